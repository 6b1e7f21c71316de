// cnn: the convolutional network of ExpO's MNIST experiment. ReLU convolutions with
// TensorFlow's SAME padding (6x6 stride 1, 5x5 stride 2, 4x4 stride 2; 6, 12 and 24 channels:
// 28x28 -> 28x28 -> 14x14 -> 7x7), no pooling, a dense ReLU layer of 200 units and a linear
// output layer of one logit per class. Weights start truncated-normal (SD 0.1, as
// tf.truncated_normal) and biases at 0.1, as the reference initializes them.
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/padding.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "xreg/sdk.hpp"
#include "xreg/sdk/torchscript.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::integers("channels", "[6, 12, 24]",
                          "Output channels of the convolutions, input to output.")
        .positive()
        .non_empty(),
    xreg::param::integers("kernels", "[6, 5, 4]",
                          "Side of each convolution's square kernel (one per convolution).")
        .positive(),
    xreg::param::integers("strides", "[1, 2, 2]", "Stride of each convolution.").positive(),
    xreg::param::string("padding", "\"same\"",
                        "same: TensorFlow's SAME padding (output side ceil(input / stride), an odd "
                        "extra row or column at the bottom or right); valid: no padding.",
                        "same|valid"),
    xreg::param::integers("dense", "[200]",
                          "Widths of the dense ReLU layers between the convolutions and the "
                          "output layer.")
        .positive(),
    xreg::param::real("dropout", "0.0",
                      "Probability of zeroing a dense hidden unit while training (after each dense "
                      "ReLU); the reference uses none.")
        .non_negative()
        .less_than(1),
    xreg::param::real("weight_sd", "0.1",
                      "SD of the initial weights, normal truncated at 2 SD (tf.truncated_normal).")
        .non_negative(),
    xreg::param::real("bias", "0.1", "Initial value of every bias."),
};

/// Truncated-normal draws beyond this many SDs are redrawn, as tf.truncated_normal does.
constexpr double kTruncationSds = 2.0;

/// A shape as text: "[1, 28, 28]", or "[N, 1, 28, 28]" for a batch of such points.
std::string shape_text(torch::IntArrayRef sizes, bool batch) {
  std::string text = batch ? "[N" : "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    text += (i > 0 || batch ? ", " : "") + std::to_string(sizes[i]);
  }
  return text + "]";
}

/// Fills `tensor` with N(0, sd²) truncated at kTruncationSds SDs, by the inverse normal CDF of
/// a uniform draw on the kept interval (torch's default generator, as the host seeds it).
void truncated_normal_(torch::Tensor& tensor, double sd) {
  const double edge = std::erf(kTruncationSds / std::sqrt(2.0));
  tensor.uniform_(-edge, edge).erfinv_().mul_(sd * std::sqrt(2.0));
  tensor.clamp_(-kTruncationSds * sd, kTruncationSds * sd);
}

/// One spatial side through a convolution: the output side and the padding before and after.
struct SideThroughConv {
  int64_t output, pad_before, pad_after;
};

SideThroughConv side_through_conv(int64_t input, int64_t kernel, int64_t stride, bool same) {
  if (!same) return {input < kernel ? 0 : (input - kernel) / stride + 1, 0, 0};
  const int64_t output = (input + stride - 1) / stride;
  const int64_t pad = std::max<int64_t>((output - 1) * stride + kernel - input, 0);
  return {output, pad / 2, pad - pad / 2};
}

class Cnn final : public xreg::Model {
 public:
  explicit Cnn(const xreg::Params& params)
      : channels_(params.integers("channels")),
        kernels_(params.integers("kernels")),
        strides_(params.integers("strides")),
        same_padding_(params.string("padding") == "same"),
        dense_(params.integers("dense")),
        dropout_(params.real("dropout")),
        weight_sd_(params.real("weight_sd")),
        bias_(params.real("bias")) {
    if (kernels_.size() != channels_.size() || strides_.size() != channels_.size()) {
      throw std::invalid_argument(
          "channels, kernels and strides: expected one value each per convolution, found " +
          std::to_string(channels_.size()) + ", " + std::to_string(kernels_.size()) + " and " +
          std::to_string(strides_.size()));
    }
  }

  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    if (shape.input.size() != 3) {
      throw std::invalid_argument(
          "expected images of shape [channels, height, width], found points of shape " +
          shape_text(shape.input, false));
    }
    input_ = shape.input;
    int64_t in_channels = input_[0], height = input_[1], width = input_[2];
    for (size_t layer = 0; layer < channels_.size(); ++layer) {
      add_conv(in_channels, layer, height, width);
      in_channels = channels_[layer];
    }
    net_->push_back(torch::nn::Flatten());
    int64_t in = in_channels * height * width;
    for (int64_t width_of_layer : dense_) {
      add_dense(in, width_of_layer);
      net_->push_back(torch::nn::ReLU());
      if (dropout_ > 0.0) net_->push_back(torch::nn::Dropout(dropout_));
      in = width_of_layer;
    }
    add_dense(in, shape.outputs);
    net_->to(ctx.device, ctx.dtype);
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    if (x.dim() != 4 || x.sizes().slice(1) != torch::IntArrayRef(input_)) {
      throw std::invalid_argument("expected inputs " + shape_text(input_, true) + ", found " +
                                  shape_text(x.sizes(), false));
    }
    return net_->forward(x);
  }

  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  std::vector<torch::Tensor> state() override { return xreg::parameters_and_buffers(*net_); }
  void set_training(bool on) override { net_->train(on); }

  std::string torchscript() override {
    xreg::TorchScriptWriter script;
    script.line("def forward(self, x):");
    script.apply(net_, "layer", "x");
    script.line("    return x");
    return script.saved("Cnn");
  }

 private:
  /// Adds convolution `layer` with its padding and ReLU; updates the spatial sides.
  void add_conv(int64_t in_channels, size_t layer, int64_t& height, int64_t& width) {
    const int64_t kernel = kernels_[layer], stride = strides_[layer];
    const SideThroughConv rows = side_through_conv(height, kernel, stride, same_padding_);
    const SideThroughConv columns = side_through_conv(width, kernel, stride, same_padding_);
    if (rows.output < 1 || columns.output < 1) {
      throw std::invalid_argument("convolution " + std::to_string(layer + 1) + " (kernel " +
                                  std::to_string(kernel) + ") does not fit its " +
                                  std::to_string(height) + "x" + std::to_string(width) +
                                  " input; use padding = \"same\" or smaller kernels");
    }
    if (rows.pad_before + rows.pad_after + columns.pad_before + columns.pad_after > 0) {
      net_->push_back(torch::nn::ZeroPad2d(torch::nn::ZeroPad2dOptions(
          {columns.pad_before, columns.pad_after, rows.pad_before, rows.pad_after})));
    }
    torch::nn::Conv2d conv(
        torch::nn::Conv2dOptions(in_channels, channels_[layer], kernel).stride(stride));
    initialize(conv->weight, conv->bias);
    net_->push_back(conv);
    net_->push_back(torch::nn::ReLU());
    height = rows.output;
    width = columns.output;
  }

  void add_dense(int64_t in, int64_t out) {
    torch::nn::Linear layer(in, out);
    initialize(layer->weight, layer->bias);
    net_->push_back(layer);
  }

  void initialize(torch::Tensor& weight, torch::Tensor& bias) const {
    torch::NoGradGuard no_grad;
    truncated_normal_(weight, weight_sd_);
    bias.fill_(bias_);
  }

  std::vector<int64_t> channels_, kernels_, strides_;
  bool same_padding_;
  std::vector<int64_t> dense_;
  double dropout_, weight_sd_, bias_;
  std::vector<int64_t> input_;  ///< one point's shape [C, H, W]
  torch::nn::Sequential net_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Cnn>("cnn", "1.1.0",
                                     "Convolutional network of ExpO's MNIST experiment: ReLU "
                                     "convolutions, dense ReLU layers, linear output",
                                     kParams))
