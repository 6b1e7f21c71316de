// torchscript: a model saved from PyTorch with torch.jit.save, evaluated as it is; trained by
// the host only when asked.
#include <torch/script.h>

#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::path("path", nullptr, "TorchScript file (torch.jit.save) of the model."),
    xreg::param::boolean("trainable", "false",
                         "Train the loaded weights with the pipeline's [train] settings."),
};

class TorchScriptModel final : public xreg::Model {
 public:
  explicit TorchScriptModel(const xreg::Params& params)
      : path_(params.string("path")), trainable_(params.boolean("trainable")) {
    try {
      module_ = torch::jit::load(path_, torch::kCPU);
    } catch (const c10::Error& e) {
      throw std::runtime_error("model file '" + path_ + "': not a loadable TorchScript file: " +
                               first_line(e.what_without_backtrace()));
    }
  }

  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    module_.to(ctx.device, ctx.dtype);
    module_.train(false);
    std::vector<int64_t> probe_shape{1};
    probe_shape.insert(probe_shape.end(), shape.input.begin(), shape.input.end());
    torch::NoGradGuard no_grad;
    auto probe =
        forward(torch::zeros(probe_shape, torch::TensorOptions(ctx.dtype).device(ctx.device)));
    if (probe.dim() != 2 || probe.size(1) != shape.outputs) {
      throw std::runtime_error("model file '" + path_ + "' gives outputs of shape " +
                               shape_text(probe) + " for one point; the data need [1, " +
                               std::to_string(shape.outputs) + "]");
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override { return module_.forward({x}).toTensor(); }

  std::vector<torch::Tensor> parameters() override {
    std::vector<torch::Tensor> all;
    if (!trainable_) return all;
    for (const auto& p : module_.parameters()) all.push_back(p);
    return all;
  }

  std::vector<torch::Tensor> state() override { return xreg::parameters_and_buffers(module_); }

  void set_training(bool on) override { module_.train(on); }
  bool trainable() const override { return trainable_; }

 private:
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
  static std::string shape_text(const torch::Tensor& t) {
    std::string text = "[";
    for (int64_t i = 0; i < t.dim(); ++i) text += (i ? ", " : "") + std::to_string(t.size(i));
    return text + "]";
  }

  std::string path_;
  bool trainable_;
  torch::jit::Module module_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<TorchScriptModel>("torchscript", "1.0.0",
                                                  "A TorchScript model file saved from PyTorch",
                                                  kParams))
