#pragma once
/// Model plugins map a batch [N, d...] to outputs [N, k].
///
/// Thread safety: one object is used by one thread at a time.

#include <map>
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

  /// Named extra outputs for inputs x (SENN: "theta", "concepts"). Default: none.
  virtual std::map<std::string, torch::Tensor> extras(const torch::Tensor& /*x*/) { return {}; }
};

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
