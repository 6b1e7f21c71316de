// expo_fidelity_1d: ExpO-1D-Fidelity (Regularizer_1D of ExpO's code): for each point of the
// regularization batch, one random coordinate k, m neighbors x' = x + σ ε e_k that perturb only
// it, the 1-D least-squares fit α + βu of the model's outputs on u = x'_k, and the mean squared
// residual; the penalty is its mean over points. The gradient flows through the outputs,
// directly and through α and β. It costs m model rows per point whatever the dimension.
#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("sigma", "0.5",
                      "Standard deviation of the perturbation sigma * N(0, 1) of the chosen "
                      "coordinate, in input units (0.5 in every ExpO run script).")
        .positive(),
    xreg::param::integer("neighbors", "20",
                         "Neighbors m drawn per point, each perturbing the point's one chosen "
                         "coordinate.")
        .at_least(3),
};

/// u = x'_k [N, m, 1]: each neighbor's value in the coordinate k [N] that the sampler moved
/// for its point, the only one where the neighbors differ from the point.
torch::Tensor perturbed_coordinate(const torch::Tensor& neighbors, const torch::Tensor& k) {
  auto flat = neighbors.flatten(2);  // [N, m, d]
  return flat.gather(2, k.view({-1, 1, 1}).expand({-1, flat.size(1), 1}));
}

constexpr char kStream[] = "expo_fidelity_1d";

class ExpoFidelity1d final : public xreg::Regularizer {
 public:
  explicit ExpoFidelity1d(const xreg::Params& params)
      : neighborhood_(xreg::Neighborhood::single_coordinate(params.real("sigma"))),
        neighbors_(params.integer("neighbors")) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context& ctx) override {
    auto neighbors = neighborhood_.sample(ctx, kStream, batch, neighbors_, draw);
    auto moved = neighborhood_.coordinates(ctx, kStream, batch, draw);
    auto design = xreg::regularizers::with_intercept(perturbed_coordinate(neighbors, moved));
    return xreg::regularizers::local_fit_penalty(model, neighbors, design, ctx);
  }

  /// Each point's residuals come from its own neighbors.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::point_mean; }

 private:
  /// Where the neighbors come from: x + sigma N(0, 1) e_k, k drawn per point.
  xreg::Neighborhood neighborhood_;
  /// Neighbors per point (at least 3, or the 2-coefficient fit is exact).
  int64_t neighbors_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<ExpoFidelity1d>(
    "expo_fidelity_1d", "1.3.0",
    "ExpO-1D-Fidelity: mean squared residual of 1-D local fits along one random coordinate",
    kParams))
