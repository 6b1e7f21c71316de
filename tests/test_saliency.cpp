// The saliency explainer against analytic gradients.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "plugin_test_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

using xreg::testing::make_plugin;
using xreg::testing::normal_points;

xreg::Explanation saliency(xreg::Model& model, const xreg::Dataset& data, xreg::Params p = {}) {
  auto explainer = make_plugin<xreg::Explainer>("saliency", p);
  xreg::Context ctx;
  ctx.task = data.task;
  explainer->fit(model, data, data, ctx);
  return explainer->explain(model, data.points, ctx);
}

TEST(Saliency, EqualsTheAnalyticGradient) {
  xreg::testing::SquaredNormModel f;
  auto data = normal_points(50, 5, 1);
  auto e = saliency(f, data);
  ASSERT_EQ(e.coefficients.sizes(), (torch::IntArrayRef{50, 1, 5}));
  EXPECT_TRUE(torch::allclose(e.coefficients.squeeze(1), 2 * data.points.x, 1e-12, 1e-12));
  xreg::Params absolute;
  absolute.set("absolute", true);
  EXPECT_TRUE(torch::allclose(saliency(f, data, absolute).coefficients.squeeze(1),
                              2 * data.points.x.abs(), 1e-12, 1e-12));
}

TEST(Saliency, AllOutputsOfALinearModelAreItsRows) {
  auto a = torch::tensor({{1.0, 2.0, 3.0}, {-1.0, 0.0, 5.0}}, torch::kDouble);
  xreg::testing::LinearModel f(a, torch::zeros({2}, torch::kDouble));
  xreg::Params all;
  all.set("target", std::string("all"));
  auto e = saliency(f, normal_points(4, 3, 2), all);
  EXPECT_TRUE(torch::allclose(e.coefficients, a.expand({4, 2, 3})));
  xreg::Params second;
  second.set("target", std::string("class"));
  second.set("class", int64_t{1});
  EXPECT_TRUE(torch::allclose(saliency(f, normal_points(4, 3, 2), second).coefficients,
                              a[1].expand({4, 1, 3})));
}

TEST(Saliency, ProbabilityOfThePredictedClassOfALinearClassifier) {
  auto w = torch::tensor({{1.0, -1.0}, {0.5, 2.0}, {-1.0, 0.0}}, torch::kDouble);  // 3 classes
  xreg::testing::LinearModel f(w, torch::zeros({3}, torch::kDouble));
  auto data = normal_points(30, 2, 3, torch::kDouble, xreg::Task::multiclass);
  xreg::Params p;
  p.set("output", std::string("probability"));
  auto e = saliency(f, data, p);
  // d p_c / dx = p_c (w_c - Σ_j p_j w_j) for the predicted class c.
  auto probabilities = torch::softmax(f.forward(data.points.x), 1);
  auto c = probabilities.argmax(1);
  auto p_c = probabilities.gather(1, c.view({-1, 1}));
  auto expected = p_c * (w.index_select(0, c) - torch::matmul(probabilities, w));
  EXPECT_TRUE(torch::allclose(e.coefficients.squeeze(1), expected, 1e-10, 1e-12));
  EXPECT_TRUE(torch::equal(e.classes, c));
}

TEST(Saliency, SameMapsWhateverTheBatching) {
  xreg::testing::SquaredNormModel f;
  auto data = normal_points(20, 4, 4);
  auto explainer = make_plugin<xreg::Explainer>("saliency");
  xreg::Context ctx;
  explainer->fit(f, data, data, ctx);
  auto whole = explainer->explain(f, data.points, ctx).coefficients;
  ctx.max_rows_per_pass = 3;
  EXPECT_TRUE(torch::equal(whole, explainer->explain(f, data.points, ctx).coefficients));
}

}  // namespace

namespace {

TEST(Saliency, SameMapsOfAnMlpWhateverTheBatching) {
  xreg::Params p;
  p.set("hidden", std::vector<int64_t>{30, 30});
  auto model = make_plugin<xreg::Model>("mlp", p);
  torch::manual_seed(1);
  model->build(xreg::ModelShape{{5}, 3, xreg::Task::multiclass}, xreg::Context{});
  auto data = normal_points(300, 5, 8, torch::kFloat, xreg::Task::multiclass);
  xreg::Params all;
  all.set("target", std::string("all"));
  auto explainer = make_plugin<xreg::Explainer>("saliency", all);
  xreg::Context ctx;
  explainer->fit(*model, data, data, ctx);
  auto whole = explainer->explain(*model, data.points, ctx).coefficients;
  std::vector<torch::Tensor> pieces;
  for (int64_t begin = 0; begin < 300; begin += 13) {
    pieces.push_back(
        explainer
            ->explain(*model, data.points.slice(begin, std::min<int64_t>(300, begin + 13)), ctx)
            .coefficients);
  }
  EXPECT_TRUE(torch::equal(whole, torch::cat(pieces, 0)));
}

}  // namespace
