// saliency_stability: how much a point's attribution changes under a small uniform perturbation,
// the mean over draws, outputs and features of (s(x') − s(x))² with x' = x + U(−r, r) per
// coordinate and s the signed attribution (ExpO's MNIST stability: the per-pixel mean squared
// difference between the saliency maps at x and at one perturbation).
#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("radius", "0.05",
                      "Half-width r of the uniform perturbation x' = x + U(-r, r) of every "
                      "coordinate, in the model's input units (pixel intensities for images).")
        .positive(),
    xreg::param::integer("samples", "1",
                         "Number of perturbations x' re-explained per point, over which the "
                         "squared difference is averaged.")
        .at_least(1),
};

class SaliencyStability final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds =
      XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_ATTRIBUTION | XREG_EXPLANATION_CONCEPT;
  explicit SaliencyStability(const xreg::Params& params)
      : perturbations_(
            xreg::metrics::read_perturbations(params, "radius", xreg::Neighborhood::uniform)) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& explanation = xreg::metrics::explanation_of(in, "saliency_stability");
    auto perturbed = perturbations_.sample(ctx, "saliency_stability", in.points);
    auto change = xreg::metrics::explanation_change(
        in, explanation, perturbed, ctx,
        [](const xreg::Explanation& e) { return e.coefficients.flatten(2); });
    return {change.flatten(1).mean(1)};  // [N, K, k, d] -> [N]
  }

 private:
  /// The uniform perturbations of each point that are re-explained.
  xreg::metrics::Perturbations perturbations_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<SaliencyStability>(
    "saliency_stability", "1.0.0",
    "Mean squared per-feature difference between a point's attribution and that of a uniform "
    "perturbation of it",
    kParams))
