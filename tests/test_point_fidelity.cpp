// The point_fidelity metric plugin on cases whose answer is known in closed form.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"
#include "xreg/host/errors.hpp"

namespace {

using xreg::testing::double_context;
using xreg::testing::metric_values;
using xreg::testing::normal_points;
using xreg::testing::TangentExplainer;

xreg::testing::LinearModel two_output_linear_model() {
  return {torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}}, torch::kDouble),
          torch::tensor({0.25, -4.0}, torch::kDouble)};
}

TEST(PointFidelity, IsZeroForTheExactExplanationOfALinearModel) {
  auto f = two_output_linear_model();
  TangentExplainer exact;
  auto points = normal_points(40, 3, 1).points;
  auto values = metric_values("point_fidelity", {}, f, points, &exact, double_context());
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{40, 2}));
  EXPECT_LT(values.max().item<double>(), 1e-20);  // |g_x(x) - f(x)| < 1e-10
}

TEST(PointFidelity, IsTheSquaredInterceptErrorOfAShiftedTangent) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer shifted({xreg::Explanation::Kind::linear, /*intercept_shift=*/0.5});
  auto points = normal_points(25, 4, 2).points;
  auto values = metric_values("point_fidelity", {}, f, points, &shifted, double_context());
  EXPECT_TRUE(torch::allclose(values, torch::full({25, 1}, 0.25, torch::kDouble), 0, 1e-12));
}

TEST(PointFidelity, EvaluatesTheFunctionTheExplanationExplains) {
  // A zero surrogate of the predicted class's probability scores max(p, 1 - p)² per point; here
  // in float64 for float32 data and model, as LIME's and MAPLE's solves give.
  xreg::testing::LinearModel f(torch::tensor({{2.0, -1.0}}, torch::kDouble),
                               torch::zeros({1}, torch::kDouble));
  auto points = normal_points(30, 2, 3, torch::kFloat).points;
  xreg::Context ctx;
  xreg::Explanation zero;
  zero.output = xreg::OutputMode::predicted_class;
  zero.classes = xreg::predicted_classes(f, points, xreg::Task::binary, ctx);
  zero.coefficients = torch::zeros({30, 1, 2}, torch::kDouble);
  zero.intercepts = torch::zeros({30, 1}, torch::kDouble);
  TangentExplainer unused;
  auto metric = xreg::testing::make_plugin<xreg::Metric>("point_fidelity");
  auto values =
      metric->evaluate({f, points, xreg::Task::binary, &unused, &zero}, ctx).values.squeeze(1);
  auto p = torch::sigmoid(f.forward(points.x).squeeze(1));
  EXPECT_TRUE(torch::allclose(values, torch::max(p, 1 - p).pow(2).to(torch::kDouble), 0, 1e-6));
}

TEST(PointFidelity, RefusesAttributionExplanations) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  auto points = normal_points(5, 2, 4).points;
  try {
    metric_values("point_fidelity", {}, f, points, &saliency, double_context());
    FAIL() << "an attribution explanation was accepted";
  } catch (const xreg::RunError& e) {
    EXPECT_NE(
        std::string(e.what()).find("needs explanations that can be evaluated away from the point"),
        std::string::npos)
        << e.what();
  }
}

TEST(PointFidelity, ScoresExplanations) {
  const auto* info = xreg::testing::built_plugins().find(XREG_KIND_METRIC, "point_fidelity");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->explanation_kinds, uint32_t{XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_CONCEPT});
}

}  // namespace
