#pragma once
/// Model plugins map a batch [N, d...] to outputs [N, k].
///
/// Thread safety: one object is used by one thread at a time.

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "xreg/sdk/context.hpp"
#include "xreg/sdk/data.hpp"
#include "xreg/sdk/plugin.hpp"

namespace xreg {

class Model : public Plugin {
 public:
  using Interface = Model;
  static constexpr xreg_kind kind = XREG_KIND_MODEL;

  /// Creates the layers for `shape` on ctx.device with ctx.dtype. Called once, before any
  /// other method. Initialization may use torch's default generator: the host seeds it from
  /// the run seed and the trial before this call.
  virtual void build(const ModelShape& shape, const Context& ctx) = 0;

  /// Outputs [N, k] for inputs [N, d...]; differentiable with respect to inputs and parameters.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  /// The trainable parameters. Empty for a model that is not trained.
  virtual std::vector<torch::Tensor> parameters() = 0;

  /// Everything that makes the model what it is: parameters and buffers (batch-norm running
  /// statistics, ...). The host snapshots and restores these tensors in place to keep the best
  /// weights, so a buffer left out would silently keep its last value. Required: for a
  /// torch::nn::Module `m`, return m->parameters() followed by m->buffers().
  virtual std::vector<torch::Tensor> state() = 0;

  /// Switches between training and evaluation behaviour (dropout, batch norm).
  virtual void set_training(bool /*on*/) {}

  /// Whether the host's training loop should train this model. Default: true.
  virtual bool trainable() const { return true; }

  /// Named extra outputs for inputs x [N, d...], differentiable as forward is, so that
  /// regularizers, explainers and metrics can read a model's inner parts without knowing its
  /// type. Default: none. The names the built-in plugins read, for c concepts and k outputs:
  ///   - "concepts" [N, c]: the concept values h(x) of a self-explaining model (SENN);
  ///   - "theta" [N, c, k]: the relevance of each concept to each output, the raw outputs
  ///     being Σ_c theta · concepts (logits for classifiers);
  ///   - "reconstruction" [N, d...]: the input rebuilt from the concepts (learned concepts);
  ///   - "constant_concepts" [c]: 1 for concepts that do not depend on x (a bias concept).
  virtual std::map<std::string, torch::Tensor> extras(const torch::Tensor& /*x*/) { return {}; }

  /// The model as a TorchScript module (since SDK 2.3), in the bytes torch.jit.save writes, so that
  /// a user can take it away: Python's torch.jit.load and xreg's `torchscript` model plugin run it.
  /// Its forward(x [N, d...]) gives forward's outputs [N, k] in evaluation mode to float rounding;
  /// a method extras(x) -> Dict[str, Tensor], if it has one, gives extras(x). Called after
  /// training, in evaluation mode. Default: empty, the model cannot be exported and the host
  /// saves its state() tensors alone. xreg/sdk/torchscript.hpp writes such modules.
  virtual std::string torchscript() { return {}; }
};

/// The entry `name` of a model's extras. When it is missing, throws std::invalid_argument
/// saying `need` (who needs it, and which models give it) and what the model does give.
inline torch::Tensor find_extra(const std::map<std::string, torch::Tensor>& extras,
                                const std::string& name, const std::string& need) {
  auto found = extras.find(name);
  if (found != extras.end()) return found->second;
  std::string given;
  for (const auto& item : extras) given += (given.empty() ? "" : ", ") + item.first;
  throw std::invalid_argument(need + ", but the model gives no extra output '" + name +
                              "' (it gives " + (given.empty() ? std::string("none") : given) + ")");
}

/// The extra output `name` of `model` for inputs x, as find_extra.
inline torch::Tensor model_extra(Model& model, const torch::Tensor& x, const std::string& name,
                                 const std::string& need) {
  return find_extra(model.extras(x), name, need);
}

/// The state() of a torch::nn::Module (or a torch::jit::Module): its parameters, then its
/// buffers.
template <class Module>
std::vector<torch::Tensor> parameters_and_buffers(const Module& module) {
  std::vector<torch::Tensor> all;
  for (const auto& p : module.parameters()) all.push_back(p);
  for (const auto& b : module.buffers()) all.push_back(b);
  return all;
}

}  // namespace xreg
