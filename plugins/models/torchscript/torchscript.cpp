// torchscript: a model saved from PyTorch with torch.jit.save, or by an earlier xreg run
// (models/trial-<t>.pt), evaluated as it is; trained by the host only when asked. A module with
// a method extras(x) -> Dict[str, Tensor] (xreg's senn exports one) gives the model's extras.
#include <torch/script.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

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
    if (std::FILE* file = std::fopen(path_.c_str(), "rb")) {
      std::fclose(file);
    } else {
      throw std::invalid_argument("model file '" + path_ +
                                  "': cannot open: " + std::strerror(errno));
    }
    // The profiling executor profiles and re-optimizes the graph for every new input shape (each
    // batch size of a run's passes), a one-time cost per shape that outweighs what its fusions
    // save on CPU; the plain interpreter runs every shape at once.
    torch::jit::setGraphExecutorOptimize(false);
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
    torch::Tensor probe;
    try {
      probe =
          forward(torch::zeros(probe_shape, torch::TensorOptions(ctx.dtype).device(ctx.device)));
    } catch (const std::exception& e) {  // c10::Error, or the interpreter's JITException
      throw std::invalid_argument("model file '" + path_ + "' cannot take the data's points " +
                                  shape_text(shape.input) + expected_input() + ": " +
                                  last_line(e.what()));
    }
    if (probe.dim() != 2 || probe.size(1) != shape.outputs) {
      throw std::invalid_argument(
          "model file '" + path_ + "' gives outputs of shape " + shape_text(probe.sizes().vec()) +
          " for one point; the data need [1, " + std::to_string(shape.outputs) + "]");
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

  std::map<std::string, torch::Tensor> extras(const torch::Tensor& x) override {
    std::map<std::string, torch::Tensor> all;
    if (!module_.find_method("extras")) return all;
    for (const auto& item : module_.run_method("extras", x).toGenericDict()) {
      all[item.key().toStringRef()] = item.value().toTensor();
    }
    return all;
  }

  std::string torchscript() override {
    std::ostringstream out;
    module_.save(out);
    return out.str();
  }

 private:
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
  /// The last non-blank line: where the TorchScript interpreter puts the reason.
  static std::string last_line(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text.substr(text.find_last_of('\n') + 1);
  }
  static std::string shape_text(const std::vector<int64_t>& sizes) {
    std::string text = "[";
    for (size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
    return text + "]";
  }
  /// ", expected N values per point" from the module's first weight matrix, where it has one.
  std::string expected_input() const {
    for (const auto& p : module_.parameters()) {
      if (p.dim() == 2) return " (its first weight matrix takes " + std::to_string(p.size(1)) + ")";
    }
    return "";
  }

  std::string path_;
  bool trainable_;
  torch::jit::Module module_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<TorchScriptModel>("torchscript", "1.1.0",
                                                  "A TorchScript model file saved from PyTorch",
                                                  kParams))
