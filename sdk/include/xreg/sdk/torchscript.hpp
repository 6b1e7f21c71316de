#pragma once
/// Writing a model's TorchScript export (Model::torchscript, SDK 2.3): the module's tensors and
/// the source of its methods in TorchScript's subset of Python, saved as torch.jit.save saves a
/// module, so that Python's torch.jit.load and xreg's `torchscript` model plugin run it.
///
/// Not part of xreg/sdk.hpp: it includes LibTorch's TorchScript headers, which only a plugin
/// that exports needs. Thread safety: one writer is used by one thread.

#include <torch/csrc/jit/api/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/padding.h>

#include <array>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xreg {

class TorchScriptWriter {
 public:
  /// "self.<name>", with a detached CPU copy of `tensor` the module's parameter `name` (a
  /// Python identifier; unique within the module).
  std::string parameter(const std::string& name, const torch::Tensor& tensor) {
    tensors_.push_back({name, tensor.detach().cpu().clone()});
    return "self." + name;
  }

  /// Appends one line of source, indentation included ("def forward(self, x):", "    ...").
  void line(const std::string& code) { source_ += code + "\n"; }

  /// `input` through `layer`, its tensors registered as `<name>_weight` and `<name>_bias`.
  std::string linear(const torch::nn::LinearImpl& layer, const std::string& name,
                     const std::string& input) {
    return "torch.linear(" + input + ", " + parameter(name + "_weight", layer.weight) + ", " +
           bias(name, layer.bias) + ")";
  }

  /// `input` through a 2-D convolution with zero padding, as linear.
  std::string conv2d(const torch::nn::Conv2dImpl& layer, const std::string& name,
                     const std::string& input) {
    const auto& o = layer.options;
    return "torch.conv2d(" + input + ", " + parameter(name + "_weight", layer.weight) + ", " +
           bias(name, layer.bias) + ", " + list(*o.stride()) + ", " + list(padding_of(o, name)) +
           ", " + list(*o.dilation()) + ", " + std::to_string(o.groups()) + ")";
  }

  /// `input` through a 2-D transposed convolution, as linear.
  std::string conv_transpose2d(const torch::nn::ConvTranspose2dImpl& layer, const std::string& name,
                               const std::string& input) {
    const auto& o = layer.options;
    return "torch.conv_transpose2d(" + input + ", " + parameter(name + "_weight", layer.weight) +
           ", " + bias(name, layer.bias) + ", " + list(*o.stride()) + ", " +
           list(padding_of(o, name)) + ", " + list(*o.output_padding()) + ", " +
           std::to_string(o.groups()) + ", " + list(*o.dilation()) + ")";
  }

  /// Appends lines `<indent><var> = <layer>(<var>)` for each layer of `net` as it computes in
  /// evaluation mode (dropout: nothing), layer i's tensors named `<prefix><i>_weight` and
  /// `_bias`. Layers: Linear, Conv2d, ConvTranspose2d, ReLU, LeakyReLU, Tanh, Sigmoid, ZeroPad2d,
  /// Flatten, Dropout. Throws std::invalid_argument naming any other layer.
  void apply(const torch::nn::Sequential& net, const std::string& prefix, const std::string& var,
             const std::string& indent = "    ") {
    for (size_t i = 0; i < net->size(); ++i) {
      const std::string expression =
          layer_expression(*net->ptr(i), prefix + std::to_string(i), var);
      if (!expression.empty()) line(indent + var + " = " + expression);
    }
  }

  /// The module as torch.jit.save writes it: a TorchScript class `__torch__.xreg.<type>` (a
  /// Python identifier) with the tensors as its parameters and the source's methods. Throws
  /// std::invalid_argument with the compiler's message when the source does not compile.
  std::string saved(const std::string& type) const {
    torch::jit::Module module("__torch__.xreg." + type);
    for (const auto& [name, tensor] : tensors_) {
      module.register_parameter(name, tensor, /*is_buffer=*/false);
    }
    try {
      module.define(source_);
    } catch (const c10::Error& e) {
      throw std::invalid_argument("TorchScript export of " + type +
                                  " does not compile: " + e.what_without_backtrace());
    }
    module.eval();
    std::ostringstream out;
    module.save(out);
    return out.str();
  }

 private:
  std::string bias(const std::string& name, const torch::Tensor& tensor) {
    return tensor.defined() ? parameter(name + "_bias", tensor) : "None";
  }

  template <class Sizes>
  static std::string list(const Sizes& values) {
    std::string text = "[";
    for (size_t i = 0; i < values.size(); ++i) {
      text += (i ? ", " : "") + std::to_string(values[i]);
    }
    return text + "]";
  }

  /// The zero padding of a convolution's options `o` as sizes; throws for other paddings.
  template <size_t D>
  static std::array<int64_t, D> padding_of(const torch::nn::detail::ConvNdOptions<D>& o,
                                           const std::string& name) {
    const bool zeros = c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) != nullptr;
    const auto* sizes = c10::get_if<torch::ExpandingArray<D>>(&o.padding());
    if (!zeros || sizes == nullptr) {
      throw std::invalid_argument("TorchScript export: layer " + name +
                                  " pads otherwise than with zeros of explicit sizes");
    }
    return **sizes;
  }

  std::string layer_expression(torch::nn::Module& layer, const std::string& name,
                               const std::string& x) {
    if (auto* l = layer.as<torch::nn::Linear>()) return linear(*l, name, x);
    if (auto* c = layer.as<torch::nn::Conv2d>()) return conv2d(*c, name, x);
    if (auto* t = layer.as<torch::nn::ConvTranspose2d>()) return conv_transpose2d(*t, name, x);
    if (layer.as<torch::nn::ReLU>()) return "torch.relu(" + x + ")";
    if (layer.as<torch::nn::Tanh>()) return "torch.tanh(" + x + ")";
    if (layer.as<torch::nn::Sigmoid>()) return "torch.sigmoid(" + x + ")";
    if (auto* r = layer.as<torch::nn::LeakyReLU>()) {
      return "torch.leaky_relu(" + x + ", " + number(r->options.negative_slope()) + ")";
    }
    if (auto* p = layer.as<torch::nn::ZeroPad2d>()) {
      return "torch.constant_pad_nd(" + x + ", " + list(*p->options.padding()) + ", 0.0)";
    }
    if (auto* f = layer.as<torch::nn::Flatten>()) {
      return "torch.flatten(" + x + ", " + std::to_string(f->options.start_dim()) + ", " +
             std::to_string(f->options.end_dim()) + ")";
    }
    if (layer.as<torch::nn::Dropout>()) return "";
    throw std::invalid_argument("TorchScript export: layer " + name + " (" + layer.name() +
                                ") has no TorchScript form here");
  }

  /// `value` in full precision, as TorchScript source reads a float.
  static std::string number(double value) {
    std::ostringstream out;
    out.precision(17);
    out << std::showpoint << value;
    return out.str();
  }

  std::vector<std::pair<std::string, torch::Tensor>> tensors_;
  std::string source_;
};

}  // namespace xreg
