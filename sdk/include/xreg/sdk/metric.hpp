#pragma once
/// Metric plugins score a model, or a model's explanations, on a data set: one value per point
/// (and per explained output), from which the host forms means and spreads and combines trials
/// and shards.
///
/// Thread safety: one object is used by one thread at a time.

#include <optional>

#include "xreg/sdk/explainer.hpp"

namespace xreg {

/// Per-point values of one metric.
struct MetricResult {
  /// [N] or [N, k]: one value per point, or per point and explained output.
  torch::Tensor values;

  /// Mean over points (per output when values has two dimensions).
  torch::Tensor mean() const { return values.to(torch::kDouble).mean(0); }
  /// Sample standard deviation over points (n - 1), zero for a single point.
  torch::Tensor sd() const {
    auto v = values.to(torch::kDouble);
    return v.size(0) > 1 ? v.std(0, /*unbiased=*/true) : torch::zeros_like(v.mean(0));
  }
};

/// What a metric is evaluated on.
struct MetricInput {
  Model& model;
  const Batch& points;
  Task task;
  /// Set for metrics that score explanations: the explainer, already fitted...
  Explainer* explainer = nullptr;
  /// ...and its explanation of `points`.
  const Explanation* explanation = nullptr;
  /// The training split, for metrics that need its statistics (faithfulness's baseline: the
  /// training mean). Null where the caller has none. Appended in ABI 2.1.
  const Dataset* train = nullptr;
};

class Metric : public Plugin {
 public:
  using Interface = Metric;
  static constexpr xreg_kind kind = XREG_KIND_METRIC;
  /// The kinds of Explanation this metric scores (xreg_explanation_kind bits), declared in its
  /// descriptor entry: nonzero makes it a metric of explanations, evaluated once per explainer
  /// whose kind it accepts, and `xreg validate` refuses a pairing it cannot score. Override in
  /// the plugin class: `static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_LINEAR;`.
  /// 0: the metric scores the model (accuracy, MSE).
  static constexpr uint32_t explanation_kinds = 0;

  virtual MetricResult evaluate(const MetricInput& input, const Context& ctx) = 0;
};

}  // namespace xreg
