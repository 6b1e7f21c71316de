#pragma once
/// Explainer plugins explain many points at once.
///
/// Thread safety: `fit` before any `explain`; one object is used by one thread at a time.

#include "xreg/sdk/explanation.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg {

class Explainer : public Plugin {
 public:
  using Interface = Explainer;
  static constexpr xreg_kind kind = XREG_KIND_EXPLAINER;

  /// Learns what the explainer needs from the model and the training and validation splits
  /// (LIME: feature statistics; MAPLE: its forest and feature selection). Default: nothing.
  virtual void fit(Model& /*model*/, const Dataset& /*train*/, const Dataset& /*validation*/,
                   const Context& /*ctx*/) {}

  /// Explains every point of `points`; random draws come from per-point streams keyed on
  /// points.index, so the result of a point does not depend on the batch it came in.
  virtual Explanation explain(Model& model, const Batch& points, const Context& ctx) = 0;
};

}  // namespace xreg
