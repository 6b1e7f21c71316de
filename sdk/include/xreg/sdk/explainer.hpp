#pragma once
/// Explainer plugins explain many points at once.
///
/// Thread safety: `fit` before any `explain`; one object is used by one thread at a time.

#include <algorithm>
#include <vector>

#include "xreg/sdk/explanation.hpp"
#include "xreg/sdk/predict.hpp"

namespace xreg {

class Explainer : public Plugin {
 public:
  using Interface = Explainer;
  static constexpr xreg_kind kind = XREG_KIND_EXPLAINER;
  /// The kinds of Explanation this explainer gives (xreg_explanation_kind bits), declared in
  /// its descriptor entry so that `xreg validate` can check which metrics may score it.
  /// Override in the plugin class: `static constexpr uint32_t explanation_kinds =
  /// XREG_EXPLANATION_LINEAR;`. 0: undeclared, any metric is accepted.
  static constexpr uint32_t explanation_kinds = 0;

  /// Learns what the explainer needs from the model and the training and validation splits
  /// (LIME: feature statistics; MAPLE: its forest and feature selection). Default: nothing.
  virtual void fit(Model& /*model*/, const Dataset& /*train*/, const Dataset& /*validation*/,
                   const Context& /*ctx*/) {}

  /// Explains every point of `points`; random draws come from per-point streams keyed on
  /// points.index, so the result of a point does not depend on the batch it came in. The
  /// data's task is ctx.task.
  virtual Explanation explain(Model& model, const Batch& points, const Context& ctx) = 0;
};

/// Explains `points` in consecutive chunks of at most `chunk_points` points with
/// `explain_chunk(const Batch&) -> Explanation`, reports progress after each chunk, and returns
/// the parts concatenated: the loop of an explainer whose memory grows with the points of a
/// call (samples per point × features for LIME, training points for MAPLE).
template <class ExplainChunk>
Explanation explain_in_chunks(const Batch& points, int64_t chunk_points, const Context& ctx,
                              ExplainChunk explain_chunk) {
  const int64_t n = points.size(), step = std::max<int64_t>(1, chunk_points);
  std::vector<Explanation> parts;
  for (int64_t begin = 0; begin < n; begin += step) {
    const int64_t end = std::min(n, begin + step);
    parts.push_back(explain_chunk(points.slice(begin, end)));
    ctx.progress(end, n);
  }
  return concatenate(parts);
}

}  // namespace xreg
