// The local Lipschitz estimate against functions whose Lipschitz constant is known: the saliency
// map of f(x) = ½ Σ a_i x_i² is a ⊙ x, which changes by at most max |a_i| per unit of input.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"

namespace {

using xreg::testing::metric_values;

const torch::Tensor kSlopes = torch::tensor({3.0, 1.0, 0.5}, torch::kDouble);

xreg::Params search(const std::string& how) {
  xreg::Params p;
  p.set("search", how);
  return p;
}

torch::Tensor lipschitz(const xreg::Params& params, const xreg::Batch& points) {
  xreg::testing::DiagonalQuadraticModel f(kSlopes);
  auto saliency = xreg::testing::make_plugin<xreg::Explainer>("saliency");
  return metric_values("local_lipschitz", params, f, points, saliency.get(),
                       xreg::testing::double_context());
}

TEST(LocalLipschitz, GradientAscentFindsTheLargestSlope) {
  auto points = xreg::testing::normal_points(12, 3, 1).points;
  auto values = lipschitz({}, points);  // auto: saliency maps are differentiable here
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{12}));
  EXPECT_LE(values.max().item<double>(), 3.0 + 1e-9);
  EXPECT_GT(values.min().item<double>(), 2.99);
}

TEST(LocalLipschitz, SamplingStaysBelowTheConstant) {
  auto points = xreg::testing::normal_points(40, 3, 2).points;
  auto values = lipschitz(search("sampling"), points);
  EXPECT_LE(values.max().item<double>(), 3.0 + 1e-9);
  // 20 random directions in three dimensions come within a factor 0.6 of the largest slope.
  EXPECT_GT(values.min().item<double>(), 0.6 * 3.0);
  EXPECT_LT(values.mean().item<double>(), lipschitz({}, points).mean().item<double>());
}

TEST(LocalLipschitz, TheDataEstimateIsTheLargestSquaredRatioAmongNeighbors) {
  auto points = xreg::testing::normal_points(30, 3, 3).points;
  xreg::Params params = search("data");
  params.set("max_distance", 2.0);
  auto values = lipschitz(params, points);
  auto e = points.x * kSlopes;  // the saliency maps
  for (int64_t i = 0; i < 30; ++i) {
    double expected = 0;
    for (int64_t j = 0; j < 30; ++j) {
      const double dx = (points.x[i] - points.x[j]).square().sum().item<double>();
      if (j == i || dx > 2.0) continue;
      expected = std::max(expected, (e[i] - e[j]).square().sum().item<double>() / dx);
    }
    EXPECT_NEAR(values[i].item<double>(), expected, 1e-12) << i;
  }
}

TEST(LocalLipschitz, SearchesBlackBoxExplainersBySampling) {
  // LIME's explanation carries no gradient, so auto samples candidates only.
  xreg::testing::DiagonalQuadraticModel f(kSlopes);
  auto points = xreg::testing::normal_points(6, 3, 5);
  auto lime = xreg::testing::make_plugin<xreg::Explainer>("lime");
  auto ctx = xreg::testing::double_context();
  lime->fit(f, points, points, ctx);
  xreg::Params few;
  few.set("candidates", int64_t{4});
  auto automatic = metric_values("local_lipschitz", few, f, points.points, lime.get(), ctx);
  few.set("search", std::string("sampling"));
  auto sampled = metric_values("local_lipschitz", few, f, points.points, lime.get(), ctx);
  EXPECT_TRUE(torch::equal(automatic, sampled));
  few.set("search", std::string("gradient"));
  try {
    metric_values("local_lipschitz", few, f, points.points, lime.get(), ctx);
    FAIL() << "gradient ascent was run on an explanation without gradients";
  } catch (const xreg::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("needs an explanation differentiable in the input"),
              std::string::npos)
        << e.what();
  }
}

TEST(LocalLipschitz, SameValuesWhateverTheBatching) {
  xreg::testing::DiagonalQuadraticModel f(kSlopes);
  auto saliency = xreg::testing::make_plugin<xreg::Explainer>("saliency");
  auto points = xreg::testing::normal_points(70, 3, 4).points;
  xreg::Params few;
  few.set("steps", int64_t{5});
  EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching("local_lipschitz", few, f, points,
                                                               saliency.get()));
  EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching(
      "local_lipschitz", search("sampling"), f, points, saliency.get()));
}

}  // namespace
