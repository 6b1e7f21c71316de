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
  // The budget by size: rows of 6 values, of which a chunk holds 10 copies' worth (noise,
  // samples, model inputs, the float64 ridge design), so 180,000 values hold 3 points' samples.
  xreg::Context small_values = ctx;
  small_values.max_values_per_pass = 3 * 1000 * 6 * 10 + 5;
  int64_t chunks = 0;
  small_values.progress_sink = [&](int64_t, int64_t) { ++chunks; };
  EXPECT_TRUE(torch::equal(whole.coefficients,
                           lime->explain(*model, test.points, small_values).coefficients));
  EXPECT_EQ(chunks, (127 + 2) / 3);
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

/// f(x) = (sin x0 · x1 + x2², exp(x3 / 2) − x0 · x2): nonlinear, two outputs, d = 4. Keeps
/// every row it is asked about, to see the perturbations the explainer evaluates.
class RecordingCurvedModel final : public xreg::Model {
 public:
  static torch::Tensor f(const torch::Tensor& x) {
    auto c = [&](int64_t i) { return x.select(-1, i); };
    return torch::stack(
        {torch::sin(c(0)) * c(1) + c(2).pow(2), torch::exp(0.5 * c(3)) - c(0) * c(2)}, -1);
  }
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    seen.push_back(x.detach().clone());
    return f(x.flatten(1));
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }
  std::vector<torch::Tensor> seen;
};

// The lime package's LimeTabularExplainer (discretize_continuous=False) by hand, in float64:
// StandardScaler statistics of the training data; samples mean + sd·ε with ε from the plugin's
// per-point stream ("lime", keyed on the global index) and row 0 the point itself; distances
// on the scaled samples to the scaled point; kernel sqrt(exp(−D²/w²)), w = 0.75·sqrt(d); and
// Ridge(alpha=1) with intercept and sample weights as scikit-learn solves it (weighted
// centering, then the normal equations), not xreg::weighted_ridge's augmented design.
TEST(Lime, MatchesAHandBuiltWeightedRidgeWithLimesKernelOnANonlinearModel) {
  const int64_t m = 1000, d = 4;                 // lime's num_samples default; 4 features
  const double alpha = 1.0, width = 0.75 * 2.0;  // Ridge's default; 0.75·sqrt(4)
  RecordingCurvedModel model;
  auto sd_in = torch::tensor({1.0, 3.0, 0.5, 2.0}, torch::kDouble);
  auto train = normal_points(300, d, 1);
  train.points.x = train.points.x * sd_in + 1.0;
  auto points = normal_points(4, d, 2).points;
  points.x = points.x * sd_in + 1.0;
  points.index = torch::tensor({3, 17, 40, 41}, torch::kLong);  // scattered global indices
  auto lime = make_plugin<xreg::Explainer>("lime");             // every parameter at its default
  xreg::Context ctx;
  ctx.seed = 5;
  lime->fit(model, train, train, ctx);
  auto e = lime->explain(model, points, ctx);
  ASSERT_EQ(e.coefficients.sizes(), (torch::IntArrayRef{4, 2, d}));
  ASSERT_EQ(e.intercepts.sizes(), (torch::IntArrayRef{4, 2}));

  // StandardScaler: mean and population SD.
  auto mean = train.points.x.mean(0);
  auto sd = (train.points.x - mean).pow(2).mean(0).sqrt();
  // Samples: N(mean, sd²) from the lime stream, row 0 replaced by the point.
  auto eps = ctx.normal("lime", points.index, {m, d}).to(torch::kDouble);  // [P, m, d]
  auto z = mean + sd * eps;
  z.select(1, 0).copy_(points.x);

  // What the model saw, padding rows (exactly zero) dropped: the same multiset of rows as z
  // (compared sorted on feature 0, continuous so without ties), the points themselves included.
  auto rows = torch::cat(model.seen, 0);
  rows = rows.index({rows.abs().sum(1) > 0});
  ASSERT_EQ(rows.size(0), 4 * m);
  auto by_first = [](const torch::Tensor& r) {
    return r.index_select(0, std::get<1>(torch::sort(r.select(1, 0))));
  };
  // mean + sd·ε here and in the plugin differ only in the last bits (values are O(10)).
  EXPECT_TRUE(torch::allclose(by_first(rows), by_first(z.flatten(0, 1)), 1e-12, 1e-12));
  auto nearest = (rows.unsqueeze(0) - points.x.unsqueeze(1)).abs().amax(2).amin(1);  // [P]
  // Each x is itself one of the samples (the plugin's row 0: mean + sd·(x − mean)/sd).
  EXPECT_LT(nearest.max().item<double>(), 1e-12);

  // Kernel on scaled data, distances to the scaled point (row 0).
  auto scaled = (z - mean) / sd;                                           // [P, m, d]
  auto distance = (scaled - scaled.narrow(1, 0, 1)).pow(2).sum(2).sqrt();  // [P, m]
  auto w = torch::sqrt(torch::exp(-distance.pow(2) / (width * width)));    // [P, m]
  auto y = RecordingCurvedModel::f(z);                                     // [P, m, 2]
  // scikit-learn's Ridge with sample weights: center on weighted means, solve, intercept.
  auto total = w.sum(1, /*keepdim=*/true);
  auto x_offset = (w.unsqueeze(2) * scaled).sum(1) / total;  // [P, d]
  auto y_offset = (w.unsqueeze(2) * y).sum(1) / total;       // [P, 2]
  auto xc = scaled - x_offset.unsqueeze(1), yc = y - y_offset.unsqueeze(1);
  auto xw = (xc * w.unsqueeze(2)).transpose(1, 2);  // [P, d, m]
  auto gram = torch::matmul(xw, xc) + alpha * torch::eye(d, torch::kDouble);
  auto coef = torch::linalg_solve(gram, torch::matmul(xw, yc)).transpose(1, 2);  // [P, 2, d]
  auto intercept = y_offset - torch::matmul(coef, x_offset.unsqueeze(2)).squeeze(2);
  auto local_pred = intercept + torch::matmul(coef, scaled.select(1, 0).unsqueeze(2)).squeeze(2);

  // lime reports coef per standardized unit; xreg per input unit: β = coef / sd and
  // b = intercept − β·mean. Both sides are float64 solves of the same well-conditioned
  // (alpha = 1, ~1000 weighted samples of unit-variance features) 4×4 systems by different
  // routes, so they agree to ~1e-13; 1e-9 leaves ample margin yet catches any change of
  // kernel, width, scaling, alpha or samples (each moves the coefficients far more).
  auto beta = coef / sd;
  auto b = intercept - torch::matmul(beta, mean.unsqueeze(1)).squeeze(2);  // [P, 2]
  EXPECT_TRUE(torch::allclose(e.coefficients, beta, 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.intercepts, b, 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.prediction, local_pred, 1e-9, 1e-9));
  // Not trivially so: the function is not linear, so the surrogates differ between points.
  EXPECT_GT((beta[0] - beta[1]).abs().max().item<double>(), 1e-2);
}

}  // namespace

namespace {

/// A model that counts the rows it is asked for: what the forward passes cost.
class CountingLinearModel final : public xreg::Model {
 public:
  explicit CountingLinearModel(xreg::Model& inner) : inner_(inner) {}
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    rows += x.size(0);
    return inner_.forward(x);
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }
  int64_t rows = 0;

 private:
  xreg::Model& inner_;
};

xreg::Params shared_params(double alpha) {
  xreg::Params p = lime_params(alpha);
  p.set("shared_samples", true);
  return p;
}

TEST(LimeSharedSamples, RecoverALinearModelWithOneForwardPassForEveryPoint) {
  Linear f;
  CountingLinearModel counted(f.model);
  auto train = normal_points(300, 4, 1);
  auto points = normal_points(20, 4, 2).points;
  auto lime = make_plugin<xreg::Explainer>("lime", shared_params(0.0));
  xreg::Context ctx;
  lime->fit(counted, train, train, ctx);
  auto e = lime->explain(counted, points, ctx);
  EXPECT_TRUE(torch::allclose(e.coefficients, f.a.expand({20, 2, 4}), 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(e.intercepts, f.b.expand({20, 2}), 1e-9, 1e-9));
  // 999 shared draws and each point itself, against 20 × 1000 rows without sharing.
  EXPECT_LE(counted.rows, 2 * (999 + 20)) << "row blocks may pad a pass, never multiply it";
}

TEST(LimeSharedSamples, EveryPointSeesTheSameDrawsWhateverTheBatching) {
  xreg::testing::SquaredNormModel f;
  auto train = normal_points(200, 3, 3);
  auto test = normal_points(30, 3, 4).points;
  auto lime = make_plugin<xreg::Explainer>("lime", shared_params(1.0));
  xreg::Context ctx;
  ctx.seed = 5;
  lime->fit(f, train, train, ctx);
  auto whole = lime->explain(f, test, ctx);
  auto first = lime->explain(f, test.slice(0, 10), ctx);
  auto rest = lime->explain(f, test.slice(10, 30), ctx);
  EXPECT_TRUE(
      torch::equal(whole.coefficients, torch::cat({first.coefficients, rest.coefficients}, 0)));
  // Two copies of one point at different global indices share the draws, so the same surrogate;
  // without sharing each index has draws of its own.
  xreg::Batch twice = test.slice(0, 2);
  twice.x = test.x.slice(0, 0, 1).expand({2, 3}).contiguous();
  auto same = lime->explain(f, twice, ctx);
  EXPECT_TRUE(torch::equal(same.coefficients[0], same.coefficients[1]));
  auto own = make_plugin<xreg::Explainer>("lime", lime_params(1.0));
  own->fit(f, train, train, ctx);
  auto apart = own->explain(f, twice, ctx);
  EXPECT_FALSE(torch::equal(apart.coefficients[0], apart.coefficients[1]));
  // The same distribution: on f = |x|², both fit a slope near the training-distribution
  // average of the gradient along the kernel-weighted draws, to within sampling noise.
  EXPECT_LT((same.coefficients[0] - apart.coefficients[0]).abs().max().item<double>(), 0.5);
}

TEST(LimeSharedSamples, IsRefusedWithGaussianSampling) {
  xreg::Params p = lime_params(1.0, "gaussian");
  p.set("shared_samples", true);
  try {
    make_plugin<xreg::Explainer>("lime", p);
    ADD_FAILURE() << "constructed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("shared_samples = true needs sampling = \"lime\""),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
