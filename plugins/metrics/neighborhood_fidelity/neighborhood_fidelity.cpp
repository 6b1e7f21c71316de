// neighborhood_fidelity: how well each point's explanation (a linear or concept surrogate)
// reproduces the explained function around the point, mean_j (g_x(x'_j) − f(x'_j))² over Gaussian
// perturbations x'_j = x + σ ε_j, per point and explained output (ExpO's "causal metric").
#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::metrics::kSigmaParam,
    xreg::param::integer("samples", "5",
                         "Number of perturbations x' drawn per point, at which the fidelity is "
                         "averaged.")
        .at_least(1),
};

class NeighborhoodFidelity final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_CONCEPT;
  explicit NeighborhoodFidelity(const xreg::Params& params)
      : perturbations_(
            xreg::metrics::read_perturbations(params, "sigma", xreg::Neighborhood::gaussian)) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& explanation = xreg::metrics::surrogate_explanation_of(in, "neighborhood_fidelity");
    auto neighbors = perturbations_.sample(ctx, "neighborhood_fidelity", in.points);
    return {xreg::metrics::surrogate_squared_error(in, explanation, neighbors, ctx).mean(1)};
  }

 private:
  /// The Gaussian perturbations of each point at which the fidelity is measured.
  xreg::metrics::Perturbations perturbations_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(
    xreg::entry<NeighborhoodFidelity>("neighborhood_fidelity", "1.0.0",
                                      "Mean squared error of each surrogate explanation (linear or "
                                      "concept) against the explained function at Gaussian "
                                      "perturbations of its point",
                                      kParams))
