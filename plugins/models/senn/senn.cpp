// senn: a self-explaining neural network (Alvarez-Melis & Jaakkola 2018),
// f(x) = g(θ(x)ᵀh(x)): concepts h(x), relevances θ(x) of each concept to each output, and an
// additive aggregator g. The model's raw outputs are the logits θ(x)ᵀh(x); the host's loss and
// output modes apply g (sigmoid for binary, softmax for multiclass, identity for regression).
// Concepts: the input itself with a bias concept appended ([x; 1], the reference's
// input_conceptizer), a fully connected autoencoder (image_fcc_conceptizer's shape) or a
// convolutional one (image_cnn_conceptizer). Relevances: a Linear/tanh stack
// (dfc_parametrizer) or a small convolutional network with a tanh output (image_parametrizer).
// PyTorch's default initialization throughout, as the reference.
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "xreg/sdk.hpp"
#include "xreg/sdk/torchscript.hpp"

namespace {

namespace F = torch::nn::functional;

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("conceptizer", "\"input\"",
                        "The concepts h(x): input (the features and a constant bias concept, "
                        "[x; 1]); autoencoder (a fully connected autoencoder learns `concepts` "
                        "concepts); conv_autoencoder (a convolutional one, for [N, C, H, W] "
                        "images of at least 16x16 pixels; the reference uses 28x28).",
                        "input|autoencoder|conv_autoencoder"),
    xreg::param::integer("concepts", "5",
                         "Number of learned concepts (autoencoder, conv_autoencoder); input "
                         "concepts number the features plus one.")
        .positive(),
    xreg::param::integers("encoder", "[128, 64, 12]",
                          "Hidden widths of the fully connected autoencoder's encoder, input to "
                          "concepts (its decoder mirrors them; the reference's 784-128-64-12-k).")
        .positive(),
    xreg::param::string("parametrizer", "\"dense\"",
                        "The relevances θ(x): dense (Linear/tanh layers of widths `hidden`, a "
                        "linear output, the reference's tabular network) or conv (5x5 "
                        "convolutions of 10 and 20 channels, max pooling, a linear layer and a "
                        "tanh output, its image network, for [N, C, H, W] images).",
                        "dense|conv"),
    xreg::param::integers("hidden", "[10, 10, 5]",
                          "Hidden widths of the dense parametrizer (the reference uses (10, 10, 5) "
                          "for cancer and COMPAS, (d/2, 10, 5) for UCI sets).")
        .positive(),
    xreg::param::real("dropout", "0.5",
                      "Dropout probability of the conv parametrizer while training (its "
                      "Dropout2d after the second convolution and dropout before the tanh).")
        .non_negative()
        .less_than(1),
};

int64_t product(const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

/// TorchScript of a 2x2 max pool of `input`, as F::max_pool2d with MaxPool2dFuncOptions(2).
std::string max_pool_script(const std::string& input) {
  return "torch.max_pool2d(" + input + ", [2, 2], [2, 2], [0, 0], [1, 1], False)";
}

/// A side through a 5x5 valid convolution and a 2x2 max pool.
int64_t after_conv_pool(int64_t side) { return (side - 4) / 2; }

/// Requires an image input [C, H, W] on which two 5x5 convolutions with pooling leave at least
/// `min_side` pixels a side; returns the side [H, W] left.
std::vector<int64_t> conv_sides(const std::vector<int64_t>& input, const std::string& what,
                                int64_t min_side) {
  if (input.size() != 3) {
    throw std::invalid_argument(what + " needs images [N, C, H, W]; the data's points have " +
                                std::to_string(input.size()) + " dimensions");
  }
  std::vector<int64_t> sides{after_conv_pool(after_conv_pool(input[1])),
                             after_conv_pool(after_conv_pool(input[2]))};
  if (sides[0] < min_side || sides[1] < min_side) {
    throw std::invalid_argument(what + " needs images of at least 16x16 pixels; the data's are " +
                                std::to_string(input[1]) + "x" + std::to_string(input[2]));
  }
  return sides;
}

/// Concept values [N, c] and, for learned concepts, the reconstruction of the input.
struct Concepts {
  torch::Tensor values;
  torch::Tensor reconstruction;
};

struct Conceptizer : torch::nn::Module {
  virtual Concepts encode(const torch::Tensor& x) = 0;
  /// [c]: 1 for the concepts that do not depend on x.
  virtual torch::Tensor constant_concepts() const = 0;
  virtual int64_t count() const = 0;
  /// Writes the TorchScript methods concepts(self, x) -> h [N, c] and, for learned concepts,
  /// decode(self, h, x) -> the reconstruction of x, as encode computes them.
  virtual void write_script(xreg::TorchScriptWriter& script) const = 0;
};

/// h(x) = [x; 1], the features themselves and a constant bias concept.
struct InputConcepts final : Conceptizer {
  explicit InputConcepts(int64_t features) : features_(features) {}
  Concepts encode(const torch::Tensor& x) override {
    auto flat = x.flatten(1);
    return {torch::cat({flat, torch::ones({flat.size(0), 1}, flat.options())}, 1), {}};
  }
  torch::Tensor constant_concepts() const override {
    auto mask = torch::zeros({features_ + 1});
    mask[features_] = 1;
    return mask;
  }
  int64_t count() const override { return features_ + 1; }
  void write_script(xreg::TorchScriptWriter& script) const override {
    script.line("def concepts(self, x):");
    script.line("    flat = torch.flatten(x, 1)");
    script.line("    return torch.cat([flat, torch.ones_like(flat.narrow(1, 0, 1))], 1)");
  }

 private:
  int64_t features_;
};

/// A fully connected autoencoder: ReLU layers down to `concepts` linear codes, a mirrored
/// decoder ending in tanh.
struct DenseAutoencoder final : Conceptizer {
  DenseAutoencoder(const std::vector<int64_t>& input, const std::vector<int64_t>& hidden,
                   int64_t concepts)
      : input_(input), concepts_(concepts) {
    std::vector<int64_t> widths{product(input)};
    widths.insert(widths.end(), hidden.begin(), hidden.end());
    widths.push_back(concepts);
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
      encoder_->push_back(torch::nn::Linear(widths[i], widths[i + 1]));
      if (i + 2 < widths.size()) encoder_->push_back(torch::nn::ReLU());
    }
    for (size_t i = widths.size() - 1; i > 0; --i) {
      decoder_->push_back(torch::nn::Linear(widths[i], widths[i - 1]));
      decoder_->push_back(i > 1 ? torch::nn::AnyModule(torch::nn::ReLU())
                                : torch::nn::AnyModule(torch::nn::Tanh()));
    }
    register_module("encoder", encoder_);
    register_module("decoder", decoder_);
  }
  Concepts encode(const torch::Tensor& x) override {
    auto h = encoder_->forward(x.flatten(1));
    return {h, decoder_->forward(h).view(x.sizes())};
  }
  torch::Tensor constant_concepts() const override { return torch::zeros({concepts_}); }
  int64_t count() const override { return concepts_; }
  void write_script(xreg::TorchScriptWriter& script) const override {
    script.line("def concepts(self, x):");
    script.line("    h = torch.flatten(x, 1)");
    script.apply(encoder_, "encoder", "h");
    script.line("    return h");
    script.line("def decode(self, h, x):");
    script.apply(decoder_, "decoder", "h");
    script.line("    return h.view(x.size())");
  }

 private:
  std::vector<int64_t> input_;
  int64_t concepts_;
  torch::nn::Sequential encoder_, decoder_;
};

/// The reference's convolutional concept autoencoder: 5x5 convolutions (C → 10 → c channels)
/// with 2x2 max pooling and ReLU, one scalar per concept map by a shared linear layer; the
/// decoder maps each scalar back to a map and upsamples with transposed convolutions to the
/// input's size, ending in tanh.
struct ConvAutoencoder final : Conceptizer {
  ConvAutoencoder(const std::vector<int64_t>& input, int64_t concepts) : concepts_(concepts) {
    sides_ = conv_sides(input, "conceptizer = \"conv_autoencoder\"", 1);
    const int64_t area = sides_[0] * sides_[1];
    conv1_ = register_module("conv1", torch::nn::Conv2d(input[0], 10, 5));
    conv2_ = register_module("conv2", torch::nn::Conv2d(10, concepts, 5));
    code_ = register_module("code", torch::nn::Linear(area, 1));
    uncode_ = register_module("uncode", torch::nn::Linear(1, area));
    deconv3_ = register_module(
        "deconv3",
        torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(concepts, 16, 5).stride(2)));
    deconv2_ = register_module("deconv2", torch::nn::ConvTranspose2d(16, 8, 5));
    deconv1_ = register_module(
        "deconv1", torch::nn::ConvTranspose2d(
                       torch::nn::ConvTranspose2dOptions(8, input[0], 2).stride(2).padding(1)));
    output_ = {input[1], input[2]};
  }
  Concepts encode(const torch::Tensor& x) override {
    auto p = torch::relu(F::max_pool2d(conv1_->forward(x), F::MaxPool2dFuncOptions(2)));
    p = torch::relu(F::max_pool2d(conv2_->forward(p), F::MaxPool2dFuncOptions(2)));
    auto h = code_->forward(p.flatten(2)).squeeze(2);  // [N, c]
    auto q = uncode_->forward(h.unsqueeze(2)).view({-1, concepts_, sides_[0], sides_[1]});
    q = torch::relu(deconv3_->forward(q));
    q = torch::relu(deconv2_->forward(q));
    auto decoded = torch::tanh(deconv1_->forward(q));
    // The transposed convolutions give 28x28 from 4x4 maps; other sizes are cropped or padded.
    decoded = F::pad(decoded, F::PadFuncOptions({0, output_[1] - decoded.size(3), 0,
                                                 output_[0] - decoded.size(2)}));
    return {h, decoded};
  }
  torch::Tensor constant_concepts() const override { return torch::zeros({concepts_}); }
  int64_t count() const override { return concepts_; }
  void write_script(xreg::TorchScriptWriter& script) const override {
    const auto relu_pool = [](const std::string& input) {
      return "torch.relu(" + max_pool_script(input) + ")";
    };
    script.line("def concepts(self, x):");
    script.line("    p = " + relu_pool(script.conv2d(*conv1_, "conv1", "x")));
    script.line("    p = " + relu_pool(script.conv2d(*conv2_, "conv2", "p")));
    script.line("    return " + script.linear(*code_, "code", "torch.flatten(p, 2)") +
                ".squeeze(2)");
    script.line("def decode(self, h, x):");
    script.line("    q = " + script.linear(*uncode_, "uncode", "h.unsqueeze(2)") + ".view([-1, " +
                std::to_string(concepts_) + ", " + std::to_string(sides_[0]) + ", " +
                std::to_string(sides_[1]) + "])");
    script.line("    q = torch.relu(" + script.conv_transpose2d(*deconv3_, "deconv3", "q") + ")");
    script.line("    q = torch.relu(" + script.conv_transpose2d(*deconv2_, "deconv2", "q") + ")");
    script.line("    d = torch.tanh(" + script.conv_transpose2d(*deconv1_, "deconv1", "q") + ")");
    script.line("    return torch.constant_pad_nd(d, [0, " + std::to_string(output_[1]) +
                " - d.size(3), 0, " + std::to_string(output_[0]) + " - d.size(2)], 0.0)");
  }

 private:
  int64_t concepts_;
  std::vector<int64_t> sides_, output_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear code_{nullptr}, uncode_{nullptr};
  torch::nn::ConvTranspose2d deconv3_{nullptr}, deconv2_{nullptr}, deconv1_{nullptr};
};

struct Parametrizer : torch::nn::Module {
  /// θ(x) [N, c, k].
  virtual torch::Tensor relevances(const torch::Tensor& x) = 0;
  /// Writes the TorchScript method theta(self, x) -> θ(x) in evaluation mode.
  virtual void write_script(xreg::TorchScriptWriter& script) const = 0;
};

/// Linear/tanh layers of widths `hidden`, then a linear layer to c·k relevances.
struct DenseRelevances final : Parametrizer {
  DenseRelevances(int64_t inputs, const std::vector<int64_t>& hidden, int64_t concepts,
                  int64_t outputs)
      : concepts_(concepts), outputs_(outputs) {
    int64_t in = inputs;
    for (int64_t width : hidden) {
      net_->push_back(torch::nn::Linear(in, width));
      net_->push_back(torch::nn::Tanh());
      in = width;
    }
    net_->push_back(torch::nn::Linear(in, concepts * outputs));
    register_module("net", net_);
  }
  torch::Tensor relevances(const torch::Tensor& x) override {
    return net_->forward(x.flatten(1)).view({-1, concepts_, outputs_});
  }
  void write_script(xreg::TorchScriptWriter& script) const override {
    script.line("def theta(self, x):");
    script.line("    t = torch.flatten(x, 1)");
    script.apply(net_, "relevances", "t");
    script.line("    return t.view([-1, " + std::to_string(concepts_) + ", " +
                std::to_string(outputs_) + "])");
  }

 private:
  int64_t concepts_, outputs_;
  torch::nn::Sequential net_;
};

/// 5x5 convolutions of 10 and 20 channels with 2x2 max pooling and ReLU (Dropout2d after the
/// second), a linear layer to c·k, dropout and tanh: relevances in [−1, 1].
struct ConvRelevances final : Parametrizer {
  ConvRelevances(const std::vector<int64_t>& input, int64_t concepts, int64_t outputs,
                 double dropout)
      : concepts_(concepts), outputs_(outputs), dropout_(dropout) {
    const auto sides = conv_sides(input, "parametrizer = \"conv\"", 1);
    conv1_ = register_module("conv1", torch::nn::Conv2d(input[0], 10, 5));
    conv2_ = register_module("conv2", torch::nn::Conv2d(10, 20, 5));
    fc_ = register_module("fc", torch::nn::Linear(20 * sides[0] * sides[1], concepts * outputs));
  }
  torch::Tensor relevances(const torch::Tensor& x) override {
    auto p = torch::relu(F::max_pool2d(conv1_->forward(x), F::MaxPool2dFuncOptions(2)));
    p = F::dropout2d(conv2_->forward(p),
                     F::Dropout2dFuncOptions().p(dropout_).training(is_training()));
    p = torch::relu(F::max_pool2d(p, F::MaxPool2dFuncOptions(2)));
    auto out = fc_->forward(p.flatten(1));
    out = F::dropout(out, F::DropoutFuncOptions().p(dropout_).training(is_training()));
    return torch::tanh(out).view({-1, concepts_, outputs_});
  }
  void write_script(xreg::TorchScriptWriter& script) const override {
    script.line("def theta(self, x):");
    script.line("    p = torch.relu(" +
                max_pool_script(script.conv2d(*conv1_, "theta_conv1", "x")) + ")");
    script.line("    p = torch.relu(" +
                max_pool_script(script.conv2d(*conv2_, "theta_conv2", "p")) + ")");
    script.line("    t = torch.tanh(" + script.linear(*fc_, "theta_fc", "torch.flatten(p, 1)") +
                ")");
    script.line("    return t.view([-1, " + std::to_string(concepts_) + ", " +
                std::to_string(outputs_) + "])");
  }

 private:
  int64_t concepts_, outputs_;
  double dropout_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

/// The whole network, so that parameters, buffers and training mode come from one module.
struct Network : torch::nn::Module {
  std::shared_ptr<Conceptizer> concepts;
  std::shared_ptr<Parametrizer> relevances;
};

class Senn final : public xreg::Model {
 public:
  explicit Senn(const xreg::Params& params)
      : conceptizer_(params.string("conceptizer")),
        concepts_(params.integer("concepts")),
        encoder_(params.integers("encoder")),
        parametrizer_(params.string("parametrizer")),
        hidden_(params.integers("hidden")),
        dropout_(params.real("dropout")) {}

  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    net_ = std::make_shared<Network>();
    net_->concepts = net_->register_module("concepts", make_conceptizer(shape.input));
    net_->relevances = net_->register_module(
        "relevances", make_parametrizer(shape.input, net_->concepts->count(), shape.outputs));
    net_->to(ctx.device, ctx.dtype);
    constant_ = net_->concepts->constant_concepts().to(ctx.device, ctx.dtype);
  }

  /// The logits θ(x)ᵀh(x) [N, k].
  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = net_->concepts->encode(x).values;
    return aggregate(net_->relevances->relevances(x), h);
  }

  std::map<std::string, torch::Tensor> extras(const torch::Tensor& x) override {
    auto h = net_->concepts->encode(x);
    std::map<std::string, torch::Tensor> all{{"theta", net_->relevances->relevances(x)},
                                             {"concepts", h.values},
                                             {"constant_concepts", constant_}};
    if (h.reconstruction.defined()) all["reconstruction"] = h.reconstruction;
    return all;
  }

  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  std::vector<torch::Tensor> state() override { return xreg::parameters_and_buffers(*net_); }
  void set_training(bool on) override { net_->train(on); }

  /// forward and extras as TorchScript methods, from the concepts' and relevances' own.
  std::string torchscript() override {
    xreg::TorchScriptWriter script;
    net_->concepts->write_script(script);
    net_->relevances->write_script(script);
    const bool learned = conceptizer_ != "input";
    script.line("def forward(self, x):");
    script.line("    return (self.theta(x) * self.concepts(x).unsqueeze(2)).sum(1)");
    script.line("def extras(self, x) -> Dict[str, Tensor]:");
    script.line("    h = self.concepts(x)");
    script.line("    out = {'theta': self.theta(x), 'concepts': h, 'constant_concepts': " +
                script.parameter("constant_concepts", constant_) + "}");
    if (learned) script.line("    out['reconstruction'] = self.decode(h, x)");
    script.line("    return out");
    return script.saved("Senn");
  }

 private:
  /// Σ_c θ[n, c, k] h[n, c]: the additive aggregator before its link.
  static torch::Tensor aggregate(const torch::Tensor& theta, const torch::Tensor& h) {
    return (theta * h.unsqueeze(2)).sum(1);
  }

  std::shared_ptr<Conceptizer> make_conceptizer(const std::vector<int64_t>& input) const {
    if (conceptizer_ == "input") return std::make_shared<InputConcepts>(product(input));
    if (conceptizer_ == "autoencoder") {
      return std::make_shared<DenseAutoencoder>(input, encoder_, concepts_);
    }
    return std::make_shared<ConvAutoencoder>(input, concepts_);
  }

  std::shared_ptr<Parametrizer> make_parametrizer(const std::vector<int64_t>& input,
                                                  int64_t concepts, int64_t outputs) const {
    if (parametrizer_ == "dense") {
      return std::make_shared<DenseRelevances>(product(input), hidden_, concepts, outputs);
    }
    return std::make_shared<ConvRelevances>(input, concepts, outputs, dropout_);
  }

  std::string conceptizer_;
  int64_t concepts_;
  std::vector<int64_t> encoder_;
  std::string parametrizer_;
  std::vector<int64_t> hidden_;
  double dropout_;
  std::shared_ptr<Network> net_;
  torch::Tensor constant_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Senn>("senn", "1.1.0",
                                      "Self-explaining neural network f(x) = g(θ(x)ᵀh(x)) with "
                                      "input or learned concepts",
                                      kParams))
