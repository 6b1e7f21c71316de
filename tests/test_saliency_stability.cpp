// The saliency_stability metric plugin on cases whose answer is known in closed form.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"
#include "xreg/host/errors.hpp"

namespace {

using xreg::testing::double_context;
using xreg::testing::metric_values;
using xreg::testing::normal_points;
using xreg::testing::params;
using xreg::testing::TangentExplainer;

constexpr double kRadius = 0.05;
constexpr int64_t kSamples = 2000;

xreg::Params many_samples() { return params({{"radius", kRadius}, {"samples", kSamples}}); }

// The saliency of f(x) = ‖x‖² is 2x, so s(x + u) - s(x) = 2u with u ~ U(-r, r): 4E[u²] = 4r²/3.
TEST(SaliencyStability, OfTheSquaredNormIsFourThirdsOfTheRadiusSquared) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  auto points = normal_points(20, 5, 1).points;
  auto ctx = double_context();
  auto values = metric_values("saliency_stability", many_samples(), f, points, &saliency, ctx);
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{20}));
  // The same draws, replayed: exact.
  auto steps = ctx.uniform("saliency_stability", points.index, {kSamples, 5}, -kRadius, kRadius);
  EXPECT_TRUE(torch::allclose(values, 4 * steps.pow(2).mean({1, 2}), 1e-10, 0));
  // In expectation; Monte-Carlo error about 0.2% here.
  const double expected = 4 * kRadius * kRadius / 3;
  EXPECT_NEAR(values.mean().item<double>(), expected, 0.01 * expected);
}

TEST(SaliencyStability, AgreesWithTheSaliencyPlugin) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer tangent({xreg::Explanation::Kind::attribution});
  auto saliency = xreg::testing::make_plugin<xreg::Explainer>("saliency");
  auto points = normal_points(20, 5, 2).points;
  auto ctx = double_context();
  EXPECT_TRUE(torch::allclose(
      metric_values("saliency_stability", {}, f, points, saliency.get(), ctx),
      metric_values("saliency_stability", {}, f, points, &tangent, ctx), 1e-10, 1e-16));
}

TEST(SaliencyStability, IsZeroForALinearModel) {
  xreg::testing::LinearModel f(torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}}, torch::kDouble),
                               torch::zeros({2}, torch::kDouble));
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  auto values = metric_values("saliency_stability", many_samples(), f,
                              normal_points(10, 3, 3).points, &saliency, double_context());
  EXPECT_LT(values.max().item<double>(), 1e-20);
}

TEST(SaliencyStability, SameValuesWhateverTheBatching) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching(
      "saliency_stability", {}, f, normal_points(127, 3, 4).points, &saliency));
}

TEST(SaliencyStability, RefusesBadParameters) {
  EXPECT_TRUE(xreg::testing::refuses_empty_perturbations("saliency_stability", "radius"));
}

}  // namespace
