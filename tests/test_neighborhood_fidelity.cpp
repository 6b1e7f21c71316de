// The neighborhood_fidelity metric plugin on cases whose answer is known in closed form.
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

TEST(NeighborhoodFidelity, IsZeroForTheExactExplanationOfALinearModel) {
  xreg::testing::LinearModel f(torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}}, torch::kDouble),
                               torch::tensor({0.25, -4.0}, torch::kDouble));
  TangentExplainer exact;
  auto points = normal_points(40, 3, 1).points;
  auto values = metric_values("neighborhood_fidelity", params({{"samples", int64_t{50}}}), f,
                              points, &exact, double_context());
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{40, 2}));
  EXPECT_LT(values.max().item<double>(), 1e-20);  // |g_x(x') - f(x')| < 1e-10
}

// For f(x) = ‖x‖² and its tangent at x, g_x(x') - f(x') = -‖x' - x‖² = -σ²‖ε‖².
TEST(NeighborhoodFidelity, OfTheTangentOfTheSquaredNormIsTheFourthPowerOfTheStep) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer tangent;
  auto points = normal_points(20, 3, 2).points;
  const double sigma = 0.3;
  const int64_t samples = 10000;
  auto ctx = double_context();
  auto values =
      metric_values("neighborhood_fidelity", params({{"sigma", sigma}, {"samples", samples}}), f,
                    points, &tangent, ctx)
          .squeeze(1);
  // The same draws, replayed: exact.
  auto steps = sigma * ctx.normal("neighborhood_fidelity", points.index, {samples, 3});
  auto replayed = steps.pow(2).sum(2).pow(2).mean(1);
  EXPECT_TRUE(torch::allclose(values, replayed, 1e-10, 0));
  // In expectation σ⁴ E[χ²_d²] = σ⁴ (d² + 2d); Monte-Carlo error about 0.4% here.
  const double expected = std::pow(sigma, 4) * (3 * 3 + 2 * 3);
  EXPECT_NEAR(values.mean().item<double>(), expected, 0.025 * expected);
}

TEST(NeighborhoodFidelity, SameValuesWhateverTheBatching) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer tangent;
  EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching(
      "neighborhood_fidelity", {}, f, normal_points(127, 3, 3).points, &tangent));
}

TEST(NeighborhoodFidelity, RefusesAttributionExplanations) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  EXPECT_THROW(metric_values("neighborhood_fidelity", {}, f, normal_points(5, 2, 4).points,
                             &saliency, double_context()),
               xreg::RunError);
}

TEST(NeighborhoodFidelity, RefusesBadParameters) {
  EXPECT_TRUE(xreg::testing::refuses_empty_perturbations("neighborhood_fidelity", "sigma"));
}

}  // namespace
