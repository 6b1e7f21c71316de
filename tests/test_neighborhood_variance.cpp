// The neighborhood_variance metric plugin on cases whose answer is known in closed form.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"
#include "xreg/host/errors.hpp"

namespace {

using xreg::testing::double_context;
using xreg::testing::metric_values;
using xreg::testing::normal_points;
using xreg::testing::params;

xreg::testing::LinearModel linear_model(int64_t outputs) {
  auto a = torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}, {-1.0, 1.0, 1.0}}, torch::kDouble);
  return {a.slice(0, 0, outputs), torch::linspace(-1, 1, outputs, torch::kDouble)};
}

// f(x + σε) = f(x) + σ Aε: the variance of output o is σ²‖a_o‖² (times (K - 1)/K, ddof 0).
TEST(NeighborhoodVariance, OfALinearModelIsSigmaSquaredTimesTheSquaredWeights) {
  auto f = linear_model(2);
  auto points = normal_points(10, 3, 1).points;
  const double sigma = 0.2;
  const int64_t samples = 20000;
  auto ctx = double_context();
  auto values =
      metric_values("neighborhood_variance", params({{"sigma", sigma}, {"samples", samples}}), f,
                    points, nullptr, ctx);
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{10, 2}));
  // The same draws, replayed: exact.
  auto steps = sigma * ctx.normal("neighborhood_variance", points.index, {samples, 3});
  auto replayed =
      torch::matmul(steps, linear_model(2).forward(torch::eye(3, torch::kDouble)) -
                               linear_model(2).forward(torch::zeros({1, 3}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(values, replayed.var(1, /*unbiased=*/false), 1e-10, 0));
  // In expectation; Monte-Carlo error about 1% per point.
  auto expected = (samples - 1.0) / samples * sigma * sigma *
                  torch::tensor({1.0 + 4.0 + 0.25, 9.0 + 1.0}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(values.mean(0), expected, 0.02, 0)) << values.mean(0);
}

TEST(NeighborhoodVariance, PredictedClassIsTheProbabilityOfTheClassAtThePoint) {
  auto f = linear_model(3);
  auto points = normal_points(50, 3, 2).points;
  auto ctx = double_context();
  auto value_of = [&](const char* output) {
    return metric_values("neighborhood_variance", params({{"output", std::string(output)}}), f,
                         points, nullptr, ctx, xreg::Task::multiclass);
  };
  auto predicted = value_of("predicted_class");
  ASSERT_EQ(predicted.sizes(), (torch::IntArrayRef{50, 1}));
  auto classes = f.forward(points.x).argmax(1, /*keepdim=*/true);
  EXPECT_TRUE(torch::allclose(predicted, value_of("probability").gather(1, classes), 1e-12, 0));
}

TEST(NeighborhoodVariance, SameValuesWhateverTheBatching) {
  auto f = linear_model(2);
  EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching(
      "neighborhood_variance", {}, f, normal_points(127, 3, 3).points, nullptr));
}

TEST(NeighborhoodVariance, NeedsNoExplainerAndRefusesBadParameters) {
  const auto* info = xreg::testing::built_plugins().find(XREG_KIND_METRIC, "neighborhood_variance");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->explanation_kinds, 0u);  // scores the model, not explanations
  EXPECT_TRUE(xreg::testing::refuses_empty_perturbations("neighborhood_variance", "sigma"));
  EXPECT_TRUE(xreg::testing::refuses("neighborhood_variance",
                                     params({{"output", std::string("logits")}}),
                                     "output: expected one of the choices, found 'logits'"));
}

}  // namespace
