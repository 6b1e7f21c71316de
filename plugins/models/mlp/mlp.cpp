// mlp: a fully connected network with leaky-ReLU activations and a linear output layer. By
// default the model of the ExpO experiments (Glorot-uniform weights, zero biases); with
// negative_slope = 0 and init = "normal" the model of RRR's reference (ReLU, every weight and
// bias drawn from 0.1·N(0, 1)).
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "xreg/sdk.hpp"
#include "xreg/sdk/torchscript.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::integers("hidden", "[100, 100]", "Widths of the hidden layers, input to output.")
        .positive(),
    xreg::param::real(
        "negative_slope", "0.2",
        "Slope of the leaky ReLU for negative inputs (TensorFlow's default, as ExpO); 0 gives "
        "the ReLU (RRR)."),
    xreg::param::string("init", "\"glorot_uniform\"",
                        "Initial parameters: glorot_uniform weights and zero biases (ExpO), or "
                        "normal, every weight and bias from init_scale·N(0, 1) (RRR's reference).",
                        "glorot_uniform|normal"),
    xreg::param::real("init_scale", "0.1",
                      "Standard deviation of the normal initialization (init = \"normal\").")
        .positive(),
};

class Mlp final : public xreg::Model {
 public:
  explicit Mlp(const xreg::Params& params)
      : hidden_(params.integers("hidden")),
        negative_slope_(params.real("negative_slope")),
        normal_init_(params.string("init") == "normal"),
        init_scale_(params.real("init_scale")) {}

  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    int64_t in = 1;
    for (int64_t s : shape.input) in *= s;
    for (int64_t width : hidden_) {
      add_linear(in, width);
      net_->push_back(
          torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(negative_slope_)));
      in = width;
    }
    add_linear(in, shape.outputs);
    net_->to(ctx.device, ctx.dtype);
  }

  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x.flatten(1)); }
  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  std::vector<torch::Tensor> state() override { return xreg::parameters_and_buffers(*net_); }
  void set_training(bool on) override { net_->train(on); }

  std::string torchscript() override {
    xreg::TorchScriptWriter script;
    script.line("def forward(self, x):");
    script.line("    h = torch.flatten(x, 1)");
    script.apply(net_, "layer", "h");
    script.line("    return h");
    return script.saved("Mlp");
  }

 private:
  void add_linear(int64_t in, int64_t out) {
    torch::nn::Linear layer(in, out);
    torch::NoGradGuard no_grad;
    if (normal_init_) {
      torch::nn::init::normal_(layer->weight, 0.0, init_scale_);
      torch::nn::init::normal_(layer->bias, 0.0, init_scale_);
    } else {
      torch::nn::init::xavier_uniform_(layer->weight);
      torch::nn::init::zeros_(layer->bias);
    }
    net_->push_back(layer);
  }

  std::vector<int64_t> hidden_;
  double negative_slope_;
  bool normal_init_;
  double init_scale_;
  torch::nn::Sequential net_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Mlp>("mlp", "1.2.0",
                                     "Fully connected network with leaky-ReLU activations",
                                     kParams))
