// The expo_fidelity regularizer: ExpO's reference computation point by point (values and
// gradients), exact zero on linear models, batching independence, and its effect in training.
#include <gtest/gtest.h>

#include <limits>

#include "regularizer_test_support.hpp"
#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/run/trainer.hpp"

namespace {

using xreg::testing::context_of;
using xreg::testing::make_plugin;
using xreg::testing::mlp_model;
using xreg::testing::normal_points;
using xreg::testing::refuses;
using xreg::testing::same_penalty;

xreg::Params fidelity_params(double sigma, int64_t neighbors, bool intercept) {
  xreg::Params p;
  p.set("sigma", sigma);
  p.set("neighbors", neighbors);
  p.set("intercept", intercept);
  return p;
}

/// ExpO-Fidelity as ExpO's Regularizers.causal computes it, one point at a time: the same
/// neighbors, X = [x', 1] (or x'), P = (XᵀX)⁻¹Xᵀ held constant, B = P f(x'), the mean of
/// (f(x') − X B)² over neighbors and outputs, averaged over points.
torch::Tensor fidelity_point_by_point(xreg::Model& model, const xreg::Batch& batch, int64_t m,
                                      bool intercept, int64_t draw, const xreg::Context& ctx) {
  auto neighbors = xreg::Neighborhood::gaussian(0.5).sample(ctx, "expo_fidelity", batch, m, draw);
  std::vector<torch::Tensor> values;
  for (int64_t i = 0; i < batch.size(); ++i) {
    auto z = neighbors[i];  // [m, d]
    auto design = z;
    if (intercept) design = torch::cat({z, torch::ones({m, 1}, z.options())}, 1);
    auto projection = torch::linalg_solve(design.t().mm(design), design.t());  // [p, m]
    auto y = model.forward(z);                                                 // [m, k]
    auto coefficients = projection.mm(y);
    values.push_back((y - design.mm(coefficients)).square().mean());
  }
  return torch::stack(values).mean();
}

/// On `features` inputs with 2 outputs and m = max(20, 2 · features) neighbors.
void expect_matches_point_by_point(torch::Dtype dtype, bool intercept, double tolerance,
                                   int64_t features = 6) {
  auto ctx = context_of(dtype);
  auto model = mlp_model(features, 2, ctx);
  auto batch = normal_points(16, features, 1, dtype).points;
  const int64_t m = std::max<int64_t>(20, 2 * features);
  auto fidelity =
      make_plugin<xreg::Regularizer>("expo_fidelity", fidelity_params(0.5, m, intercept));
  for (int64_t draw : {0, 5}) {
    auto batched = fidelity->penalty(*model, batch, draw, ctx);
    EXPECT_EQ(batched.scalar_type(), dtype);
    EXPECT_TRUE(same_penalty(batched,
                             fidelity_point_by_point(*model, batch, m, intercept, draw, ctx),
                             *model, tolerance));
  }
}

TEST(ExpoFidelity, IsTheReferenceComputationPointByPointInFloat64) {
  expect_matches_point_by_point(torch::kDouble, true, 1e-10);
  expect_matches_point_by_point(torch::kDouble, false, 1e-10);
}

TEST(ExpoFidelity, IsTheReferenceComputationPointByPointInFloat32) {
  expect_matches_point_by_point(torch::kFloat, true, 1e-5);
  expect_matches_point_by_point(torch::kFloat, false, 1e-5);
}

TEST(ExpoFidelity, WideDesignsAreFitAsTheReferenceToo) {
  // 40 features: past the columns that plain loops fit, by batched BLAS and LAPACK calls.
  expect_matches_point_by_point(torch::kDouble, true, 1e-10, 40);
  expect_matches_point_by_point(torch::kFloat, true, 1e-5, 40);
}

TEST(ExpoFidelity, ANonFiniteDesignIsRefusedHoweverWide) {
  for (int64_t features : {6, 40}) {  // the loops and the batched calls
    auto ctx = context_of(torch::kDouble);
    auto model = mlp_model(features, 1, ctx);
    auto batch = normal_points(4, features, 1).points;
    batch.x[2][1] = std::numeric_limits<double>::quiet_NaN();
    try {
      make_plugin<xreg::Regularizer>("expo_fidelity")->penalty(*model, batch, 0, ctx);
      ADD_FAILURE() << "fitted " << features << " features";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("non-finite values"), std::string::npos) << e.what();
    }
  }
}

TEST(ExpoFidelity, DefaultsToExpoSettings) {
  // sigma 0.5 and m = max(20, 2d): d = 12 gives 24 neighbors, as ExpO on housing.
  auto ctx = context_of(torch::kDouble);
  auto model = mlp_model(12, 1, ctx);
  auto batch = normal_points(4, 12, 2).points;
  auto value = make_plugin<xreg::Regularizer>("expo_fidelity")->penalty(*model, batch, 1, ctx);
  EXPECT_NEAR(value.item<double>(),
              fidelity_point_by_point(*model, batch, 24, true, 1, ctx).item<double>(), 1e-12);
}

TEST(ExpoFidelity, IsZeroForAnAffineModelWithTheIntercept) {
  auto a = torch::tensor({{1.5, -2.0, 0.5, 0.0}, {0.3, 0.0, -1.0, 4.0}}, torch::kDouble);
  xreg::testing::LinearModel affine(a, torch::tensor({0.7, -3.0}, torch::kDouble));
  auto batch = normal_points(16, 4, 3).points;
  auto ctx = context_of(torch::kDouble);
  auto with_intercept = make_plugin<xreg::Regularizer>("expo_fidelity");
  EXPECT_LT(with_intercept->penalty(affine, batch, 0, ctx).item<double>(), 1e-12);
  // Algorithm 2 fits βᵀx' through the origin: the bias is left in the residual...
  auto without = make_plugin<xreg::Regularizer>("expo_fidelity", fidelity_params(0.5, 0, false));
  EXPECT_GT(without->penalty(affine, batch, 0, ctx).item<double>(), 0.01);
  // ...and only the bias: a linear model without one fits exactly.
  xreg::testing::LinearModel linear(a, torch::zeros({2}, torch::kDouble));
  EXPECT_LT(without->penalty(linear, batch, 0, ctx).item<double>(), 1e-12);
}

TEST(ExpoFidelity, IsTheMeanOverPointsWhateverTheBatching) {
  auto ctx = context_of(torch::kFloat);
  auto model = mlp_model(5, 3, ctx);
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity");
  EXPECT_TRUE(xreg::testing::is_mean_over_points(
      *fidelity, *model, normal_points(23, 5, 4, torch::kFloat).points, ctx));
}

TEST(ExpoFidelity, DrawsFreshNeighborsForEveryDraw) {
  auto ctx = context_of(torch::kDouble);
  auto model = mlp_model(5, 1, ctx);
  auto batch = normal_points(8, 5, 5).points;
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity");
  const double first = fidelity->penalty(*model, batch, 0, ctx).item<double>();
  EXPECT_EQ(first, fidelity->penalty(*model, batch, 0, ctx).item<double>());
  EXPECT_NE(first, fidelity->penalty(*model, batch, 1, ctx).item<double>());
}

TEST(ExpoFidelity, RefusesBadParameters) {
  EXPECT_TRUE(refuses("expo_fidelity", fidelity_params(0.0, 0, true),
                      "sigma: expected a value > 0.0, found 0.0"));
  EXPECT_TRUE(refuses("expo_fidelity", fidelity_params(0.5, -1, true),
                      "neighbors: expected a value >= 0, found -1"));
  // Six neighbors fit five slopes and an intercept exactly: there is no residual to penalize.
  auto ctx = context_of(torch::kDouble);
  auto model = mlp_model(5, 1, ctx);
  auto small = make_plugin<xreg::Regularizer>("expo_fidelity", fidelity_params(0.5, 6, true));
  EXPECT_THROW(small->penalty(*model, normal_points(2, 5, 6).points, 0, ctx), xreg::RunError);
}

// Training: y = sin(3 x0) x1 + x2², a function far from locally linear at sigma 0.5.
xreg::Dataset curved_data(int64_t n, uint64_t seed) {
  auto data = normal_points(n, 3, seed, torch::kFloat);
  auto x = data.points.x;
  data.points.y =
      (torch::sin(3 * x.select(1, 0)) * x.select(1, 1) + x.select(1, 2).square()).unsqueeze(1);
  return data;
}

xreg::Params train_settings() {
  xreg::Params p;
  for (const auto& s : xreg::train_schema()) {
    if (s.default_value) p.set(s.name, *s.default_value);
  }
  p.set("max_epochs", int64_t{150});
  p.set("min_epochs", int64_t{0});
  p.set("patience", int64_t{1000});
  p.set("lr", 0.01);
  p.set("batch_size", int64_t{64});
  return p;
}

/// The fidelity penalty of a model trained with or without ExpO-Fidelity (same seed, data and
/// initialization), measured on the validation points.
double fidelity_after_training(bool regularized) {
  auto ctx = context_of(torch::kFloat, 5);
  auto model = mlp_model(3, 1, ctx, {32, 32});
  auto train = curved_data(256, 1), validation = curved_data(128, 2);
  auto fidelity = make_plugin<xreg::Regularizer>("expo_fidelity");
  std::vector<xreg::WeightedRegularizer> slots;
  if (regularized) slots.push_back({"expo_fidelity", fidelity, 3.0});
  xreg::train_model(*model, slots, train, validation, train_settings(), ctx);
  return fidelity->penalty(*model, validation.points, 1000000, ctx).item<double>();
}

TEST(ExpoFidelity, TrainingWithItLowersTheFidelityPenalty) {
  const double plain = fidelity_after_training(false);
  const double regularized = fidelity_after_training(true);
  EXPECT_LT(regularized, 0.6 * plain) << "plain " << plain << ", regularized " << regularized;
}

}  // namespace
