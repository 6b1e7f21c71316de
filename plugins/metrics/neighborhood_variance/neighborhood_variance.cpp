// neighborhood_variance: how much the model's output varies around each point, the population
// variance over j of f(x + σ ε_j), per point and output (ExpO's "Variance"). It needs no
// explanation; the output parameter says which function f of the model's outputs to use.
#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::metrics::kSigmaParam,
    xreg::param::integer("samples", "20",
                         "Number of perturbations x' drawn per point, over which the variance is "
                         "taken.")
        .at_least(1),
    xreg::param::explained_output(
        "Function of the model's outputs whose variance is measured: raw outputs (logits), "
        "their probabilities, or the probability of the class predicted at the point."),
};

class NeighborhoodVariance final : public xreg::Metric {
 public:
  explicit NeighborhoodVariance(const xreg::Params& params)
      : perturbations_(
            xreg::metrics::read_perturbations(params, "sigma", xreg::Neighborhood::gaussian)),
        output_(xreg::output_mode_from_name(params.string("output"))) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    auto neighbors = perturbations_.sample(ctx, "neighborhood_variance", in.points);
    auto classes = output_ == xreg::OutputMode::predicted_class
                       ? xreg::predicted_classes(in.model, in.points, in.task, ctx)
                       : torch::Tensor();
    auto f = xreg::explained_function(in.model, neighbors, in.points.index, output_, in.task,
                                      classes, ctx);
    return {f.to(torch::kDouble).var(1, /*unbiased=*/false)};  // [N, K, k] -> [N, k]
  }

 private:
  /// The Gaussian perturbations of each point over which the variance is taken.
  xreg::metrics::Perturbations perturbations_;
  /// Which function of the model's outputs is measured.
  xreg::OutputMode output_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<NeighborhoodVariance>(
    "neighborhood_variance", "1.0.0",
    "Population variance of the model's output over Gaussian perturbations of each point", kParams))
