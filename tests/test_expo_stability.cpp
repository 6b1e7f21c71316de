// The expo_stability regularizer: closed forms on linear and constant models, gradients
// through both f(x') and f(x), batching independence, ExpO's MNIST defaults.
#include <gtest/gtest.h>

#include "regularizer_test_support.hpp"

namespace {

using xreg::testing::context_of;
using xreg::testing::make_plugin;
using xreg::testing::mlp_model;
using xreg::testing::normal_points;
using xreg::testing::refuses;

xreg::Params stability_params(const std::string& neighborhood, double scale, int64_t neighbors) {
  xreg::Params p;
  p.set("neighborhood", neighborhood);
  p.set("scale", scale);
  p.set("neighbors", neighbors);
  return p;
}

/// A of the affine model: 2 outputs, 3 features.
torch::Tensor weights() {
  return torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}}, torch::kDouble);
}

// f(x + δ) − f(x) = Aδ for f = Ax + b: the penalty is the mean of (Aδ)² over points, neighbors
// and outputs, on the neighborhood's own draws replayed from its stream.
TEST(ExpoStability, OfAnAffineModelIsTheMeanSquareOfTheWeightsTimesTheSteps) {
  xreg::testing::LinearModel affine(weights(), torch::tensor({0.5, -1.0}, torch::kDouble));
  auto points = normal_points(10, 3, 1).points;
  auto ctx = context_of(torch::kDouble);
  const int64_t draw = 4;
  auto uniform = make_plugin<xreg::Regularizer>("expo_stability");  // U(±0.05), one neighbor
  auto box_steps = ctx.uniform("expo_stability", points.index, {1, 3}, -0.05, 0.05, draw);
  EXPECT_NEAR(uniform->penalty(affine, points, draw, ctx).item<double>(),
              torch::matmul(box_steps, weights().t()).square().mean().item<double>(), 1e-15);
  auto gaussian =
      make_plugin<xreg::Regularizer>("expo_stability", stability_params("gaussian", 0.3, 5));
  auto gaussian_steps = 0.3 * ctx.normal("expo_stability", points.index, {5, 3}, draw);
  EXPECT_NEAR(gaussian->penalty(affine, points, draw, ctx).item<double>(),
              torch::matmul(gaussian_steps, weights().t()).square().mean().item<double>(), 1e-14);
}

TEST(ExpoStability, IsZeroForAConstantModel) {
  xreg::testing::LinearModel constant(torch::zeros({2, 3}, torch::kDouble),
                                      torch::tensor({2.0, -1.0}, torch::kDouble));
  auto stability =
      make_plugin<xreg::Regularizer>("expo_stability", stability_params("gaussian", 1.0, 3));
  EXPECT_EQ(
      stability->penalty(constant, normal_points(10, 3, 2).points, 0, context_of(torch::kDouble))
          .item<double>(),
      0.0);
}

// ExpO's MNIST code lets the gradient flow through f(x) as well as f(x').
TEST(ExpoStability, DifferentiatesBothTheNeighborsAndThePoints) {
  auto ctx = context_of(torch::kDouble);
  auto model = mlp_model(4, 3, ctx);
  auto points = normal_points(12, 4, 3).points;
  auto stability =
      make_plugin<xreg::Regularizer>("expo_stability", stability_params("uniform", 0.2, 2));
  auto neighbors = xreg::Neighborhood::uniform(0.2).sample(ctx, "expo_stability", points, 2, 7);
  std::vector<torch::Tensor> changes;
  for (int64_t j = 0; j < 2; ++j) {
    changes.push_back(model->forward(neighbors.select(1, j)) - model->forward(points.x));
  }
  auto explicit_penalty = torch::stack(changes).square().mean();
  EXPECT_TRUE(xreg::testing::same_penalty(stability->penalty(*model, points, 7, ctx),
                                          explicit_penalty, *model, 1e-10));
}

TEST(ExpoStability, IsTheMeanOverPointsWhateverTheBatching) {
  auto ctx = context_of(torch::kFloat);
  auto model = mlp_model(5, 3, ctx);
  auto stability =
      make_plugin<xreg::Regularizer>("expo_stability", stability_params("gaussian", 0.1, 4));
  EXPECT_TRUE(xreg::testing::is_mean_over_points(
      *stability, *model, normal_points(23, 5, 4, torch::kFloat).points, ctx));
}

TEST(ExpoStability, RefusesBadParameters) {
  EXPECT_TRUE(refuses("expo_stability", stability_params("uniform", 0.0, 1),
                      "scale: expected a value > 0.0, found 0.0"));
  EXPECT_TRUE(refuses("expo_stability", stability_params("uniform", 0.05, 0),
                      "neighbors: expected a value >= 1, found 0"));
  EXPECT_TRUE(refuses("expo_stability", stability_params("single_coordinate", 0.05, 1),
                      "neighborhood: expected one of the choices, found 'single_coordinate'"));
}

}  // namespace
