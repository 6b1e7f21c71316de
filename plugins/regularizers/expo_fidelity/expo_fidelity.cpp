// expo_fidelity: ExpO-Fidelity (Plumb et al. 2020) as the reference code computes it
// (Regularizers.causal): for each point of the regularization batch, m neighbors
// x' = x + σ N(0, I), a least-squares linear fit of the model's outputs on [x', 1] with the
// projection held constant, and the mean squared residual; the penalty is its mean over points.
#include <algorithm>

#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("sigma", "0.5",
                      "Standard deviation of the neighbors x' = x + sigma * N(0, I), in input "
                      "units (0.5 in every ExpO run script).")
        .positive(),
    xreg::param::integer("neighbors", "0",
                         "Neighbors m drawn per point; 0 means max(20, 2d) for d input features, "
                         "as ExpO.")
        .non_negative(),
    xreg::param::boolean("intercept", "true",
                         "Fit the local linear model with an intercept, as ExpO's code; false "
                         "fits beta^T x' without one, as the paper's Algorithm 2."),
};

class ExpoFidelity final : public xreg::Regularizer {
 public:
  explicit ExpoFidelity(const xreg::Params& params)
      : neighborhood_(xreg::Neighborhood::gaussian(params.real("sigma"))),
        neighbors_(params.integer("neighbors")),
        intercept_(params.boolean("intercept")) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context& ctx) override {
    const int64_t features = batch.x.flatten(1).size(1);
    const int64_t m = neighbors_ > 0 ? neighbors_ : std::max<int64_t>(20, 2 * features);
    const int64_t coefficients = features + (intercept_ ? 1 : 0);
    if (m <= coefficients) {
      throw std::invalid_argument(
          "neighbors = " + std::to_string(m) + " must exceed the " + std::to_string(coefficients) +
          " coefficients of the local linear fit, which would otherwise be exact");
    }
    auto neighbors = neighborhood_.sample(ctx, "expo_fidelity", batch, m, draw);  // [N, m, d...]
    auto regressors = neighbors.flatten(2);                                       // [N, m, d]
    return xreg::regularizers::local_fit_penalty(
        model, neighbors, intercept_ ? xreg::regularizers::with_intercept(regressors) : regressors,
        ctx);
  }

  /// Each point's residuals come from its own neighbors.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::point_mean; }

 private:
  /// Where the neighbors come from: N(x, sigma² I).
  xreg::Neighborhood neighborhood_;
  /// Neighbors per point; 0 for ExpO's max(20, 2d).
  int64_t neighbors_;
  /// Whether the local fit has an intercept column.
  bool intercept_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<ExpoFidelity>(
    "expo_fidelity", "1.3.0",
    "ExpO-Fidelity: mean squared residual of local linear fits on Gaussian neighbors", kParams))
