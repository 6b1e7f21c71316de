#pragma once
/// Regularizer plugins compute a differentiable scalar penalty on a model over a
/// regularization batch. They are batched: the whole batch's neighborhoods in one tensor.
///
/// Thread safety: one object is used by one thread at a time.

#include "xreg/sdk/model.hpp"

namespace xreg {

class Regularizer : public Plugin {
 public:
  using Interface = Regularizer;
  static constexpr xreg_kind kind = XREG_KIND_REGULARIZER;

  /// A scalar penalty over `batch`, differentiable with respect to the model's parameters.
  /// `draw` numbers the call within the run (the training step) so that each step draws
  /// fresh neighborhoods from the per-point streams.
  virtual torch::Tensor penalty(Model& model, const Batch& batch, int64_t draw,
                                const Context& ctx) = 0;
};

}  // namespace xreg
