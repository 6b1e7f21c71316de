// stability: how much a point's explanation changes when the point is perturbed,
// mean_j ‖c(x'_j) − c(x)‖² with c = [intercept, coefficients] and x'_j = x + σ ε_j, per point and
// explained output (ExpO's MAPLE-S; the squared ℓ2 distance, intercept included).
#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::metrics::kSigmaParam,
    xreg::param::integer("samples", "5",
                         "Number of perturbed points x' re-explained per point, over which the "
                         "change is averaged.")
        .at_least(1),
    xreg::param::boolean("legacy_expo", "false",
                         "Reproduce ExpO's LIME-S as coded: re-explain x itself (fresh, "
                         "independent explanations) instead of perturbations x', which measures "
                         "the explainer's sampling variance; sigma is then unused."),
};

class Stability final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds =
      XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_ATTRIBUTION | XREG_EXPLANATION_CONCEPT;
  explicit Stability(const xreg::Params& params)
      : perturbations_(
            xreg::metrics::read_perturbations(params, "sigma", xreg::Neighborhood::gaussian)),
        legacy_expo_(params.boolean("legacy_expo")) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& explanation = xreg::metrics::explanation_of(in, "stability");
    auto change = xreg::metrics::explanation_change(
        in, explanation, copies(in.points, ctx), ctx,
        [](const xreg::Explanation& e) { return e.flat_with_intercept(); });
    return {change.sum(3).mean(1)};  // [N, K, k, d+1] -> [N, k]
  }

 private:
  /// The points re-explained for each point [N, K, d...]: perturbations of it, or (legacy_expo)
  /// the point itself K times.
  torch::Tensor copies(const xreg::Batch& points, const xreg::Context& ctx) const {
    if (!legacy_expo_) return perturbations_.sample(ctx, "stability", points);
    std::vector<int64_t> shape = points.x.sizes().vec();
    shape.insert(shape.begin() + 1, perturbations_.samples);
    return points.x.unsqueeze(1).expand(shape);
  }

  /// The Gaussian perturbations of each point that are re-explained.
  xreg::metrics::Perturbations perturbations_;
  /// Whether to re-explain x itself, as ExpO's code does for LIME.
  bool legacy_expo_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Stability>(
    "stability", "1.0.0",
    "Mean squared distance between a point's explanation and those of Gaussian perturbations of "
    "it",
    kParams))
