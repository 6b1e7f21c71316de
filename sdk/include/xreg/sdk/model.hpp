#pragma once
/// Model plugins map a batch [N, d...] to outputs [N, k].
///
/// Thread safety: one object is used by one thread at a time.

#include <algorithm>
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

  /// Parameters and buffers: everything the host snapshots to restore the best weights.
  virtual std::vector<torch::Tensor> state() { return parameters(); }

  /// Switches between training and evaluation behaviour (dropout, batch norm).
  virtual void set_training(bool /*on*/) {}

  /// Whether the host's training loop should train this model. Default: true.
  virtual bool trainable() const { return true; }

  /// Named extra outputs for inputs x (SENN: "theta", "concepts"). Default: none.
  virtual std::map<std::string, torch::Tensor> extras(const torch::Tensor& /*x*/) { return {}; }
};

}  // namespace xreg

namespace xreg {

/// The model's outputs for many points without gradients, in passes of at most
/// ctx.max_rows_per_pass rows: [N, k].
inline torch::Tensor predict(Model& model, const torch::Tensor& x, const Context& ctx) {
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0), step = std::max<int64_t>(1, ctx.max_rows_per_pass);
  if (n <= step) return model.forward(x);
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < n; begin += step) {
    parts.push_back(model.forward(x.slice(0, begin, std::min(n, begin + step))));
  }
  return torch::cat(parts, 0);
}

}  // namespace xreg
