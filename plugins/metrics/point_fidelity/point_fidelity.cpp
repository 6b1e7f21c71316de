// point_fidelity: how well each point's explanation (a linear or concept surrogate) reproduces the
// explained function at the point itself, (g_x(x) − f(x))² per point and explained output (ExpO's
// "standard metric").
#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

class PointFidelity final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_CONCEPT;
  explicit PointFidelity(const xreg::Params&) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& explanation = xreg::metrics::surrogate_explanation_of(in, "point_fidelity");
    auto at_points = in.points.x.unsqueeze(1);  // [N, 1, d...]
    return {xreg::metrics::surrogate_squared_error(in, explanation, at_points, ctx).squeeze(1)};
  }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<PointFidelity>(
    "point_fidelity", "1.0.0",
    "Squared error of each surrogate explanation (linear or concept) against the explained "
    "function at its point"))
