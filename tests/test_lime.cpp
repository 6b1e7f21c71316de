// The lime explainer: exact on linear models, ExpO's configuration, batching-independent.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "plugin_test_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

using xreg::testing::LinearModel;
using xreg::testing::make_plugin;
using xreg::testing::normal_points;

xreg::Params lime_params(double alpha, const std::string& sampling = "lime") {
  xreg::Params p;
  p.set("alpha", alpha);
  p.set("sampling", sampling);
  return p;
}

struct Linear {
  torch::Tensor a = torch::tensor({{1.5, -2.0, 0.5, 0.0}, {0.3, 0.0, -1.0, 4.0}}, torch::kDouble);
  torch::Tensor b = torch::tensor({0.7, -3.0}, torch::kDouble);
  LinearModel model{a, b};
};

TEST(Lime, RecoversTheWeightsOfALinearModel) {
  Linear f;
  auto train = normal_points(300, 4, 1);
  train.points.x = train.points.x * torch::tensor({1.0, 3.0, 0.5, 2.0}, torch::kDouble) + 1.0;
  auto points = normal_points(20, 4, 2).points;
  auto lime = make_plugin<xreg::Explainer>("lime", lime_params(0.0));
  xreg::Context ctx;
  lime->fit(f.model, train, train, ctx);
  auto e = lime->explain(f.model, points, ctx);
  ASSERT_EQ(e.coefficients.sizes(), (torch::IntArrayRef{20, 2, 4}));
  EXPECT_TRUE(torch::allclose(e.coefficients, f.a.expand({20, 2, 4}), 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.intercepts, f.b.expand({20, 2}), 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.prediction, f.model.forward(points.x), 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.diagnostics.at("r2"), torch::ones({20, 2}, torch::kDouble)));
}

TEST(Lime, DefaultRidgeShrinksOnlySlightly) {
  Linear f;
  auto train = normal_points(300, 4, 1);
  auto lime = make_plugin<xreg::Explainer>("lime");
  xreg::Context ctx;
  lime->fit(f.model, train, train, ctx);
  auto e = lime->explain(f.model, normal_points(5, 4, 2).points, ctx);
  auto relative =
      (e.coefficients - f.a).abs().max().item<double>() / f.a.abs().max().item<double>();
  EXPECT_GT(relative, 0.0);   // alpha = 1 shrinks...
  EXPECT_LT(relative, 0.05);  // ...by a few percent at most with 1000 samples
}

TEST(Lime, GaussianSamplingFindsTheLocalGradient) {
  xreg::testing::SquaredNormModel f;
  auto train = normal_points(100, 3, 1);
  xreg::Params p = lime_params(0.0, "gaussian");
  p.set("sigma", 0.001);
  p.set("kernel_width", 100.0);  // nearly uniform weights
  auto lime = make_plugin<xreg::Explainer>("lime", p);
  xreg::Context ctx;
  lime->fit(f, train, train, ctx);
  auto points = normal_points(10, 3, 5).points;
  auto e = lime->explain(f, points, ctx);
  EXPECT_LT((e.coefficients.squeeze(1) - 2 * points.x).abs().max().item<double>(), 5e-4);
}

TEST(Lime, SameCoefficientsWhateverTheBatching) {
  auto mlp_params = xreg::Params();
  mlp_params.set("hidden", std::vector<int64_t>{20, 20});
  auto model = make_plugin<xreg::Model>("mlp", mlp_params);
  torch::manual_seed(0);
  model->build(xreg::ModelShape{{6}, 1, xreg::Task::regression}, xreg::Context{});
  auto train = normal_points(200, 6, 3, torch::kFloat);
  auto test = normal_points(127, 6, 4, torch::kFloat);
  auto lime = make_plugin<xreg::Explainer>("lime");
  xreg::Context ctx;
  ctx.seed = 11;
  lime->fit(*model, train, train, ctx);
  auto whole = lime->explain(*model, test.points, ctx);
  std::vector<torch::Tensor> pieces;
  for (int64_t begin = 0; begin < 127; begin += 7) {
    pieces.push_back(
        lime->explain(*model, test.points.slice(begin, std::min<int64_t>(127, begin + 7)), ctx)
            .coefficients);
  }
  EXPECT_TRUE(torch::equal(whole.coefficients, torch::cat(pieces, 0)));
  xreg::Context small_passes = ctx;
  small_passes.max_rows_per_pass = 3000;  // 3 points per forward pass
  EXPECT_TRUE(torch::equal(whole.coefficients,
                           lime->explain(*model, test.points, small_passes).coefficients));
  xreg::Context other_seed = ctx;
  other_seed.seed = 12;
  EXPECT_FALSE(torch::equal(whole.coefficients,
                            lime->explain(*model, test.points, other_seed).coefficients));
}

TEST(Lime, ExplainsProbabilitiesOfAClassifier) {
  // Two logits, linear: p1 = softmax(...)[1]. The explanation of the predicted class's
  // probability has one output, and its value at x matches the model's probability closely.
  Linear f;
  auto train = normal_points(300, 4, 1, torch::kDouble, xreg::Task::multiclass);
  xreg::Params p;
  p.set("output", std::string("predicted_class"));
  p.set("sampling", std::string("gaussian"));
  p.set("sigma", 0.01);
  auto lime = make_plugin<xreg::Explainer>("lime", p);
  xreg::Context ctx;
  ctx.task = xreg::Task::multiclass;
  lime->fit(f.model, train, train, ctx);
  auto points = normal_points(8, 4, 9).points;
  auto e = lime->explain(f.model, points, ctx);
  ASSERT_EQ(e.coefficients.sizes(), (torch::IntArrayRef{8, 1, 4}));
  auto probabilities = torch::softmax(f.model.forward(points.x), 1);
  auto expected = std::get<0>(probabilities.max(1));
  EXPECT_TRUE(torch::allclose(e.prediction.squeeze(1), expected, 1e-3, 1e-3));
  EXPECT_TRUE(torch::equal(e.classes, probabilities.argmax(1)));
}

TEST(Lime, RefusesBadParameters) {
  xreg::Params p;
  p.set("samples", int64_t{1});
  EXPECT_ANY_THROW(make_plugin<xreg::Explainer>("lime", p));
}

}  // namespace
