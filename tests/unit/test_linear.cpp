// The batched weighted ridge solver against scikit-learn's definition.
#include <gtest/gtest.h>

#include "xreg/sdk/linear.hpp"

namespace {

TEST(WeightedRidge, RecoversAnExactLinearRelationWithoutPenalty) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  auto z = torch::randn({3, 50, 4}, gen, torch::kDouble);
  auto beta = torch::randn({3, 4, 2}, gen, torch::kDouble);
  auto y = torch::matmul(z, beta) + 0.5;
  auto w = torch::rand({3, 50}, gen, torch::kDouble);
  auto fit = xreg::weighted_ridge(z, y, w, 0.0);
  EXPECT_TRUE(torch::allclose(fit.coefficients, beta.transpose(1, 2), 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(fit.intercepts, torch::full({3, 2}, 0.5, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(fit.r2, torch::ones({3, 2}, torch::kDouble)));
}

TEST(WeightedRidge, MatchesTheNormalEquationsOfTheWeightedPenalizedProblem) {
  // One problem, by hand: minimize Σ w (y − b − zβ)² + α β² in one dimension.
  auto z = torch::tensor({{0.0}, {1.0}, {2.0}, {4.0}}, torch::kDouble);
  auto y = torch::tensor({{1.0}, {2.0}, {2.0}, {7.0}}, torch::kDouble);
  auto w = torch::tensor({{1.0, 2.0, 1.0, 0.5}}, torch::kDouble);
  const double alpha = 0.7;
  const double sw = 4.5, zbar = (0 + 2 + 2 + 2) / sw, ybar = (1 + 4 + 2 + 3.5) / sw;
  double szz = 0, szy = 0;
  const double zs[] = {0, 1, 2, 4}, ys[] = {1, 2, 2, 7}, ws[] = {1, 2, 1, 0.5};
  for (int i = 0; i < 4; ++i) {
    szz += ws[i] * (zs[i] - zbar) * (zs[i] - zbar);
    szy += ws[i] * (zs[i] - zbar) * (ys[i] - ybar);
  }
  const double beta = szy / (szz + alpha);
  auto fit = xreg::weighted_ridge(z, y, w, alpha);
  EXPECT_NEAR(fit.coefficients.item<double>(), beta, 1e-12);
  EXPECT_NEAR(fit.intercepts.item<double>(), ybar - beta * zbar, 1e-12);
}

TEST(WeightedRidge, SharedDesignEqualsExpandedDesign) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto z = torch::randn({30, 3}, gen, torch::kDouble);
  auto y = torch::randn({30, 1}, gen, torch::kDouble);
  auto w = torch::rand({5, 30}, gen, torch::kDouble);
  auto shared = xreg::weighted_ridge(z, y, w, 0.1);
  auto expanded = xreg::weighted_ridge(z.expand({5, 30, 3}), y.expand({5, 30, 1}), w, 0.1);
  EXPECT_TRUE(torch::allclose(shared.coefficients, expanded.coefficients));
}

}  // namespace
