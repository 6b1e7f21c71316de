#pragma once
/// Regularizer plugins compute a differentiable scalar penalty on a model over a
/// regularization batch. They are batched: the whole batch's neighborhoods in one tensor.
///
/// Thread safety: one object is used by one thread at a time.

#include "xreg/sdk/model.hpp"

namespace xreg {

/// How a penalty over a batch is made of its points. Data-parallel training reads it to split
/// a regularization batch over the ranks, as it splits the model's minibatch.
enum class PenaltyForm {
  /// Not a function of points alone (a norm over the whole batch, a normalization by the
  /// batch's totals): one rank evaluates the whole batch. The default.
  whole_batch = 0,
  /// The mean over the batch's points of a value that depends on that point alone (and on its
  /// own random streams, keyed by Batch::index): a rank evaluates its rows, weighted by their
  /// share of the batch.
  point_mean = 1,
  /// The sum over the batch's points of such values: the ranks' parts add up.
  point_sum = 2,
  /// Independent of the batch (a penalty on the parameters alone): one rank evaluates it.
  parameters_only = 3,
};

class Regularizer : public Plugin {
 public:
  using Interface = Regularizer;
  static constexpr xreg_kind kind = XREG_KIND_REGULARIZER;

  /// A scalar penalty over `batch`, differentiable with respect to the model's parameters.
  /// `draw` numbers the call within the run (the training step) so that each step draws
  /// fresh neighborhoods from the per-point streams.
  virtual torch::Tensor penalty(Model& model, const Batch& batch, int64_t draw,
                                const Context& ctx) = 0;

  /// What penalty() is over a batch's points (since SDK 2.4), so that
  /// data-parallel training can give each rank a part of the batch. Declare point_mean or
  /// point_sum only when it holds exactly: a wrong answer changes the penalty trained on.
  virtual PenaltyForm form() const { return PenaltyForm::whole_batch; }
};

}  // namespace xreg
