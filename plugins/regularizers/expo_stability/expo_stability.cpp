// expo_stability: ExpO-Stability (Algorithm 3 of Plumb et al. 2020) as ExpO's MNIST experiment
// codes it: the mean over points, neighbors and outputs of (f(x') − f(x))², with the gradient
// through both terms. The defaults are that experiment's: one neighbor x' = x + δ per point and
// step, δ ~ U(−0.05, 0.05) per coordinate.
#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("neighborhood", "\"uniform\"",
                        "Distribution of the neighbors: x + U(-scale, scale) per coordinate, as "
                        "ExpO's MNIST code, or x + scale * N(0, I).",
                        "gaussian|uniform"),
    xreg::param::real("scale", "0.05",
                      "Half-width r of the uniform box, or sigma of the Gaussian, in input units "
                      "(ExpO's MNIST code: 0.05 on pixels in [0, 1]).")
        .positive(),
    xreg::param::integer("neighbors", "1",
                         "Neighbors m drawn per point and step (ExpO's MNIST code: 1).")
        .at_least(1),
};

class ExpoStability final : public xreg::Regularizer {
 public:
  explicit ExpoStability(const xreg::Params& params)
      : neighborhood_(
            xreg::Neighborhood::from_name(params.string("neighborhood"), params.real("scale"))),
        neighbors_(params.integer("neighbors")) {}

  /// The points and their neighbors go through the model in one pass.
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context& ctx) override {
    auto neighbors = neighborhood_.sample(ctx, "expo_stability", batch, neighbors_, draw);
    auto f = xreg::regularizers::outputs_on(model, torch::cat({batch.x.unsqueeze(1), neighbors}, 1),
                                            ctx);
    return (f.narrow(1, 1, neighbors_) - f.narrow(1, 0, 1)).square().mean();
  }

  /// Each point's changes come from its own neighbors.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::point_mean; }

 private:
  /// Where the neighbors come from.
  xreg::Neighborhood neighborhood_;
  /// Neighbors per point.
  int64_t neighbors_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<ExpoStability>(
    "expo_stability", "1.1.0",
    "ExpO-Stability: mean squared change of the model's outputs from a point to its neighbors",
    kParams))
