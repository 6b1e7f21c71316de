// The expo_fidelity_1d regularizer: ExpO's Regularizer_1D point by point (values and
// gradients), exact zero on linear models, batching independence.
#include <gtest/gtest.h>

#include "regularizer_test_support.hpp"

namespace {

using xreg::testing::context_of;
using xreg::testing::make_plugin;
using xreg::testing::mlp_model;
using xreg::testing::normal_points;
using xreg::testing::refuses;
using xreg::testing::same_penalty;

/// ExpO-1D-Fidelity as ExpO's Regularizer_1D computes it, one point at a time: the same
/// neighbors along the point's coordinate k (drawn from the neighborhood's coordinate stream),
/// u = x'_k, the closed-form 1-D fit β = Σ(u−ū)(ŷ−ȳ)/Σ(u−ū)², α = ȳ − βū of ŷ = f(x'), the mean
/// of (ŷ − α − βu)², averaged over points.
torch::Tensor fidelity_1d_point_by_point(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                                         const xreg::Context& ctx) {
  const int64_t m = 20, d = batch.x.size(1);
  auto neighbors =
      xreg::Neighborhood::single_coordinate(0.5).sample(ctx, "expo_fidelity_1d", batch, m, draw);
  auto coordinates = ctx.integers("expo_fidelity_1d/coordinate", batch.index, {}, d, draw);
  std::vector<torch::Tensor> values;
  for (int64_t i = 0; i < batch.size(); ++i) {
    const int64_t k = coordinates[i].item<int64_t>();
    auto z = neighbors[i];  // [m, d]
    EXPECT_TRUE(torch::equal(z.narrow(1, 0, k), batch.x[i].narrow(0, 0, k).expand({m, k})));
    auto u = z.select(1, k).unsqueeze(1);  // [m, 1]
    auto y = model.forward(z);             // [m, k outputs]
    auto u_centered = u - u.mean();
    auto y_centered = y - y.mean(0);
    auto beta = (u_centered * y_centered).sum(0) / u_centered.square().sum();
    auto alpha = y.mean(0) - beta * u.mean();
    values.push_back((y - alpha - beta * u).square().mean());
  }
  return torch::stack(values).mean();
}

void expect_matches_point_by_point(torch::Dtype dtype, double tolerance) {
  auto ctx = context_of(dtype);
  auto model = mlp_model(6, 2, ctx);
  auto batch = normal_points(16, 6, 1, dtype).points;
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity_1d");
  for (int64_t draw : {0, 5}) {
    auto batched = fidelity->penalty(*model, batch, draw, ctx);
    EXPECT_EQ(batched.scalar_type(), dtype);
    EXPECT_TRUE(same_penalty(batched, fidelity_1d_point_by_point(*model, batch, draw, ctx), *model,
                             tolerance));
  }
}

TEST(ExpoFidelity1d, IsTheReferenceComputationPointByPointInFloat64) {
  expect_matches_point_by_point(torch::kDouble, 1e-10);
}

TEST(ExpoFidelity1d, IsTheReferenceComputationPointByPointInFloat32) {
  expect_matches_point_by_point(torch::kFloat, 1e-5);
}

TEST(ExpoFidelity1d, IsZeroForAnAffineModel) {
  auto a = torch::tensor({{1.5, -2.0, 0.5, 0.0}, {0.3, 0.0, -1.0, 4.0}}, torch::kDouble);
  xreg::testing::LinearModel affine(a, torch::tensor({0.7, -3.0}, torch::kDouble));
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity_1d");
  EXPECT_LT(fidelity->penalty(affine, normal_points(16, 4, 3).points, 0, context_of(torch::kDouble))
                .item<double>(),
            1e-12);
}

TEST(ExpoFidelity1d, IsTheMeanOverPointsWhateverTheBatching) {
  auto ctx = context_of(torch::kFloat);
  auto model = mlp_model(5, 3, ctx);
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity_1d");
  EXPECT_TRUE(xreg::testing::is_mean_over_points(
      *fidelity, *model, normal_points(23, 5, 4, torch::kFloat).points, ctx));
}

TEST(ExpoFidelity1d, RefusesBadParameters) {
  xreg::Params no_spread, too_few;
  no_spread.set("sigma", -0.5);
  too_few.set("neighbors", int64_t{2});
  EXPECT_TRUE(refuses("expo_fidelity_1d", no_spread, "sigma: expected a value > 0.0, found -0.5"));
  EXPECT_TRUE(refuses("expo_fidelity_1d", too_few, "neighbors: expected a value >= 3, found 2"));
}

}  // namespace
