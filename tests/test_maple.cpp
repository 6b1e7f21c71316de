// The maple explainer: its forest on cases whose neighborhoods are known, exact local models of
// an affine model, feature selection, batching independence, and the reference's fidelity on
// the shared housing model.
#include <gtest/gtest.h>

#include <functional>

#include "analytic_models.hpp"
#include "data_test_support.hpp"
#include "plugin_test_support.hpp"
#include "random_forest.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/linear.hpp"

// The plugin is a MODULE that exports only its descriptor: the forest is compiled in here.

namespace {

using xreg::testing::LinearModel;
using xreg::testing::make_plugin;
using xreg::testing::normal_points;

/// A model given by a function of the inputs, for targets whose shape is known.
class FunctionModel final : public xreg::Model {
 public:
  explicit FunctionModel(std::function<torch::Tensor(const torch::Tensor&)> f) : f_(std::move(f)) {}
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override { return f_(x); }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }

 private:
  std::function<torch::Tensor(const torch::Tensor&)> f_;
};

/// n points uniform in [-1, 1]^d (seeded).
torch::Tensor uniform_points(int64_t n, int64_t d, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::rand({n, d}, gen, torch::kDouble) * 2 - 1;
}

xreg::Dataset dataset_of(const torch::Tensor& x) {
  xreg::Dataset dataset;
  dataset.points = xreg::Batch{x, torch::Tensor(), torch::arange(x.size(0))};
  return dataset;
}

xreg::maple::FeatureMatrix matrix_of(const torch::Tensor& x) {
  auto values = x.to(torch::kFloat).contiguous();
  return {values.size(0), values.size(1),
          std::vector<float>(values.data_ptr<float>(), values.data_ptr<float>() + values.numel())};
}

/// A forest of `trees` trees fit to y = step(x) with scikit-learn's defaults of MAPLE.
xreg::maple::LeafNeighbors step_forest(const torch::Tensor& x, int64_t trees) {
  auto y = (x.select(1, 0) > 0).to(torch::kDouble).contiguous();
  xreg::maple::ForestOptions options;
  options.trees = trees;
  xreg::Context ctx;
  xreg::maple::RandomForest forest(
      matrix_of(x), std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel()),
      options, [&](int64_t t) { return ctx.generator("test/forest", t); });
  return xreg::maple::LeafNeighbors(std::move(forest), matrix_of(x));
}

/// [P, n]: MAPLE's weight of each training point for each point.
torch::Tensor weights_of(const xreg::maple::LeafNeighbors& neighbors, const torch::Tensor& x) {
  return torch::tensor(neighbors.weights(matrix_of(x)), torch::kDouble)
      .view({x.size(0), neighbors.train_size()});
}

/// [P, n]: the same weights as the leaf sums of the identity's rows.
torch::Tensor weights_from_leaf_sums(const xreg::maple::LeafNeighbors& neighbors,
                                     const torch::Tensor& x) {
  const int64_t n = neighbors.train_size();
  std::vector<double> identity(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) identity[i * n + i] = 1.0;
  auto w = neighbors.weighted_sums(matrix_of(x), identity, n);
  return torch::tensor(w, torch::kDouble).view({x.size(0), n});
}

TEST(MapleForest, LeafWeightsOfAStepFunctionStayOnTheirSide) {
  auto train = uniform_points(300, 2, 1);
  auto neighbors = step_forest(train, 50);
  auto points = torch::tensor({{0.5, 0.0}, {-0.5, 0.3}}, torch::kDouble);
  auto weights = weights_of(neighbors, points);
  auto right = (train.select(1, 0) > 0).to(torch::kDouble);
  const double on_right = (weights[0] * right).sum().item<double>();
  const double on_left = (weights[1] * (1 - right)).sum().item<double>();
  // Nodes of fewer than 2 * min_leaf rows stay leaves, so a little weight crosses the step
  // (about 1% in scikit-learn on such data).
  EXPECT_GT(on_right, 0.9 * 50) << "weight on the right side of the step, point at 0.5";
  EXPECT_GT(on_left, 0.9 * 50) << "weight on the left side of the step, point at -0.5";
}

TEST(MapleForest, WeightsOfAnyPointSumToTheNumberOfTrees) {
  auto train = uniform_points(200, 3, 2);
  auto neighbors = step_forest(train, 40);
  auto weights = weights_of(neighbors, torch::cat({train, uniform_points(10, 3, 3)}));
  EXPECT_TRUE(torch::allclose(weights.sum(1), torch::full({210}, 40.0, torch::kDouble)));
  // A training point shares its own leaf in every tree.
  EXPECT_TRUE((weights.slice(0, 0, 200).diagonal() >= 40.0 / 200).all().item<bool>());
  EXPECT_TRUE((weights >= 0).all().item<bool>());
}

TEST(MapleForest, LeafSumsWeighTheTrainingPointsAsTheWeights) {
  auto train = uniform_points(200, 3, 2);
  auto neighbors = step_forest(train, 40);
  auto points = torch::cat({train.slice(0, 0, 20), uniform_points(10, 3, 3)});
  EXPECT_TRUE(torch::allclose(weights_from_leaf_sums(neighbors, points),
                              weights_of(neighbors, points), 1e-12, 1e-12));
}

TEST(MapleForest, SumsAsAProductOnlyWhereTheTrainingSetIsNarrowForTheForest) {
  auto train = uniform_points(200, 3, 2);
  EXPECT_TRUE(step_forest(train, 50).dense_sums_cheaper()) << "200 rows, 50 trees";
  EXPECT_FALSE(step_forest(train, 10).dense_sums_cheaper()) << "200 rows, 10 trees";
}

TEST(MapleForest, LeavesHoldAtLeastMinLeafTrainingPoints) {
  // A smooth target, so the one tree grows until min_leaf = 10 stops it (a step would stop at
  // two pure leaves). A point's weights are 1 / |its leaf| on the training points of its leaf.
  auto train = uniform_points(300, 2, 4);
  auto y = (torch::sin(3 * train.select(1, 0)) + train.select(1, 1)).contiguous();
  xreg::maple::ForestOptions options;
  options.trees = 1;
  xreg::Context ctx;
  xreg::maple::RandomForest forest(
      matrix_of(train), std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel()),
      options, [&](int64_t t) { return ctx.generator("test/forest", t); });
  auto weights = weights_of(xreg::maple::LeafNeighbors(std::move(forest), matrix_of(train)), train);
  auto in_leaf = weights > 0;
  auto leaf_size = in_leaf.sum(1).to(torch::kDouble);  // [300]: training points sharing the leaf
  EXPECT_TRUE(torch::allclose(weights.sum(1), torch::ones({300}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(std::get<0>(weights.max(1)), 1.0 / leaf_size));
  EXPECT_TRUE(
      torch::allclose(std::get<0>(weights.masked_fill(~in_leaf, 1e9).min(1)), 1.0 / leaf_size))
      << "equal weights within a leaf";
  // Every leaf holds at least min_leaf distinct bootstrap rows, and a leaf of 2·min_leaf
  // distinct rows or more would have been split: with the out-of-bag points that land in it,
  // about 1.6 times as many training points.
  EXPECT_GE(leaf_size.min().item<double>(), 10);
  EXPECT_LT(leaf_size.mean().item<double>(), 1.6 * 20);
  EXPECT_GT(leaf_size.mean().item<double>(), 1.6 * 10);
}

TEST(MapleForest, RootScoresRankTheInformativeFeatureFirst) {
  auto x = uniform_points(250, 5, 19);
  auto y = torch::sin(3 * x.select(1, 2)).contiguous();
  xreg::Context ctx;
  xreg::maple::RandomForest forest(
      matrix_of(x), std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel()),
      xreg::maple::ForestOptions{}, [&](int64_t t) { return ctx.generator("test/forest", t); });
  auto scores = forest.root_feature_scores();
  ASSERT_EQ(scores.size(), 5u);
  EXPECT_EQ(std::max_element(scores.begin(), scores.end()) - scores.begin(), 2);
}

TEST(Maple, RecoversAnAffineModel) {
  auto a = torch::tensor({{1.5, -2.0, 0.5}, {0.3, 0.7, -1.0}}, torch::kDouble);
  auto b = torch::tensor({0.7, -3.0}, torch::kDouble);
  LinearModel f(a, b);
  auto train = normal_points(300, 3, 1), validation = normal_points(100, 3, 2);
  auto points = normal_points(20, 3, 3).points;
  auto maple = make_plugin<xreg::Explainer>("maple");
  xreg::Context ctx;
  maple->fit(f, train, validation, ctx);
  auto e = maple->explain(f, points, ctx);
  ASSERT_EQ(e.coefficients.sizes(), (torch::IntArrayRef{20, 2, 3}));
  EXPECT_EQ(e.kind, xreg::Explanation::Kind::linear);
  EXPECT_EQ(e.output, xreg::OutputMode::raw);
  EXPECT_LT((e.coefficients - a).abs().max().item<double>(), 1e-3);
  EXPECT_LT((e.intercepts - b).abs().max().item<double>(), 1e-3);
  EXPECT_LT((e.prediction - f.forward(points.x)).abs().max().item<double>(), 1e-3);
  auto at_x = e.evaluate(points.x.unsqueeze(1)).squeeze(1);
  EXPECT_TRUE(torch::allclose(e.prediction, at_x, 1e-12, 1e-12));
  EXPECT_GT(e.diagnostics.at("r2").min().item<double>(), 0.999999);
}

/// Forest sizes for which the plugin sums the neighborhoods as one product of weights and
/// statistics (200 trees on 300 rows) and as leaf sums (20 trees).
class MapleSums : public ::testing::TestWithParam<int64_t> {};

INSTANTIATE_TEST_SUITE_P(ProductAndLeafSums, MapleSums, ::testing::Values(200, 20));

TEST_P(MapleSums, ExplanationsAreTheWeightedRidgeOnItsForestsNeighbors) {
  // The same forest's weights over every training point in the dense weighted ridge of the
  // definition must give the plugin's local models, however it summed the neighborhoods.
  FunctionModel wavy([](const torch::Tensor& x) {
    return (torch::sin(2 * x.narrow(1, 0, 1)) + x.narrow(1, 1, 1) * x.narrow(1, 2, 1)).contiguous();
  });
  auto train = dataset_of(uniform_points(300, 3, 30));
  auto validation = dataset_of(uniform_points(100, 3, 31));
  auto points = uniform_points(40, 3, 32);
  xreg::Params params;
  params.set("trees", GetParam());
  auto maple = make_plugin<xreg::Explainer>("maple", params);
  xreg::Context ctx;
  maple->fit(wavy, train, validation, ctx);
  auto e = maple->explain(wavy, xreg::Batch{points, torch::Tensor(), torch::arange(40)}, ctx);
  auto y = wavy.forward(train.points.x).squeeze(1).contiguous();
  xreg::maple::ForestOptions options;
  options.trees = GetParam();
  xreg::maple::RandomForest forest(
      matrix_of(train.points.x),
      std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel()), options,
      [&](int64_t t) { return ctx.generator("maple/forest", t, 0); });
  const xreg::maple::LeafNeighbors neighbors(std::move(forest), matrix_of(train.points.x));
  EXPECT_EQ(neighbors.dense_sums_cheaper(), GetParam() == 200);
  auto retained = e.coefficients.select(1, 0).abs().sum(0).nonzero().squeeze(1);
  ASSERT_GE(retained.size(0), 2) << "a case that keeps features";
  auto dense = xreg::weighted_ridge(train.points.x.index_select(1, retained), y.unsqueeze(1),
                                    weights_of(neighbors, points), 0.001);
  EXPECT_LT(
      (dense.coefficients.select(1, 0) - e.coefficients.select(1, 0).index_select(1, retained))
          .abs()
          .max()
          .item<double>(),
      1e-9);
  EXPECT_LT((dense.intercepts - e.intercepts).abs().max().item<double>(), 1e-9);
  EXPECT_LT((dense.r2 - e.diagnostics.at("r2")).abs().max().item<double>(), 1e-9);
}

TEST_P(MapleSums, AnyBatchingOfScatteredIndicesGivesTheSameBitsInFloat64) {
  FunctionModel wavy([](const torch::Tensor& x) {
    return (torch::sin(2 * x.narrow(1, 0, 1)) + x.narrow(1, 1, 1) * x.narrow(1, 2, 1)).contiguous();
  });
  auto train = dataset_of(uniform_points(300, 3, 40));
  auto validation = dataset_of(uniform_points(100, 3, 41));
  // Indices far apart and out of order, as a rank's block or a metric's perturbed copies.
  auto points = xreg::Batch{uniform_points(61, 3, 42), torch::Tensor(),
                            (torch::arange(61) * 7919 + 1000003).flip(0)};
  xreg::Params params;
  params.set("trees", GetParam());
  auto maple = make_plugin<xreg::Explainer>("maple", params);
  xreg::Context ctx;
  maple->fit(wavy, train, validation, ctx);
  auto whole = maple->explain(wavy, points, ctx);
  std::vector<xreg::Explanation> parts;
  for (int64_t begin = 0; begin < 61; begin += 13) {
    parts.push_back(
        maple->explain(wavy, points.slice(begin, std::min<int64_t>(61, begin + 13)), ctx));
  }
  auto in_parts = xreg::concatenate(parts);
  EXPECT_TRUE(torch::equal(whole.coefficients, in_parts.coefficients));
  EXPECT_TRUE(torch::equal(whole.intercepts, in_parts.intercepts));
  EXPECT_TRUE(torch::equal(whole.diagnostics.at("r2"), in_parts.diagnostics.at("r2")));
}

TEST(Maple, PredictsAStepFromTheRightSide) {
  FunctionModel step([](const torch::Tensor& x) { return (x.narrow(1, 0, 1) > 0).to(x.dtype()); });
  auto train = dataset_of(uniform_points(300, 2, 5));
  auto validation = dataset_of(uniform_points(100, 2, 6));
  auto maple = make_plugin<xreg::Explainer>("maple");
  xreg::Context ctx;
  maple->fit(step, train, validation, ctx);
  auto points = torch::tensor({{0.6, 0.2}, {-0.6, -0.2}}, torch::kDouble);
  auto e = maple->explain(step, xreg::Batch{points, torch::Tensor(), torch::arange(2)}, ctx);
  EXPECT_NEAR(e.prediction[0][0].item<double>(), 1.0, 0.05);
  EXPECT_NEAR(e.prediction[1][0].item<double>(), 0.0, 0.05);
}

TEST(Maple, KeepsOnlyTheInformativeFeature) {
  FunctionModel one_feature(
      [](const torch::Tensor& x) { return torch::sin(2 * x.narrow(1, 2, 1)); });
  auto train = normal_points(400, 5, 7), validation = normal_points(150, 5, 8);
  auto maple = make_plugin<xreg::Explainer>("maple");
  xreg::Context ctx;
  maple->fit(one_feature, train, validation, ctx);
  auto e = maple->explain(one_feature, normal_points(30, 5, 9).points, ctx);
  auto used = (e.coefficients.select(1, 0) != 0).any(0);  // [5]: features of the local models
  EXPECT_TRUE(used[2].item<bool>());
  EXPECT_EQ(used.sum().item<int64_t>(), 1) << used;
}

TEST(Maple, ASingularLocalModelWithoutPenaltyIsRefusedNamingTheRemedy) {
  FunctionModel first([](const torch::Tensor& x) { return x.narrow(1, 0, 1); });
  auto train = normal_points(200, 3, 7), validation = normal_points(60, 3, 8);
  for (auto* split : {&train, &validation}) {  // feature 2 repeats feature 0
    split->points.x.select(1, 2).copy_(split->points.x.select(1, 0));
  }
  xreg::Params params;
  params.set("regularization", 0.0);
  auto maple = make_plugin<xreg::Explainer>("maple", params);
  try {
    maple->fit(first, train, validation, xreg::Context{});
    ADD_FAILURE() << "fitted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("set regularization > 0"), std::string::npos) << e.what();
  }
  auto penalized = make_plugin<xreg::Explainer>("maple");
  penalized->fit(first, train, validation, xreg::Context{});  // the default penalty solves it
}

TEST(Maple, SameExplanationsWhateverTheBatchingAndSameSeed) {
  FunctionModel wavy([](const torch::Tensor& x) {
    return torch::tanh(x.matmul(torch::tensor({0.8, -0.5, 0.3, 1.2}, x.options()))).unsqueeze(1) +
           x.narrow(1, 1, 1).pow(2);
  });
  auto train = normal_points(250, 4, 10, torch::kFloat);
  auto validation = normal_points(120, 4, 11, torch::kFloat);
  auto points = normal_points(127, 4, 12, torch::kFloat).points;
  auto explain_all = [&](uint64_t seed, int64_t batch) {
    auto maple = make_plugin<xreg::Explainer>("maple");
    xreg::Context ctx;
    ctx.seed = seed;
    maple->fit(wavy, train, validation, ctx);
    std::vector<xreg::Explanation> parts;
    for (int64_t begin = 0; begin < points.size(); begin += batch) {
      parts.push_back(maple->explain(wavy, points.slice(begin, begin + batch), ctx));
    }
    return xreg::concatenate(parts);
  };
  auto whole = explain_all(5, 127), in_sevens = explain_all(5, 7), again = explain_all(5, 127);
  EXPECT_EQ(whole.coefficients.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(whole.coefficients, in_sevens.coefficients));
  EXPECT_TRUE(torch::equal(whole.intercepts, in_sevens.intercepts));
  EXPECT_TRUE(torch::equal(whole.coefficients, again.coefficients));
  EXPECT_FALSE(torch::equal(whole.coefficients, explain_all(6, 127).coefficients));
}

TEST(Maple, ExplainsThePredictedClassProbability) {
  FunctionModel logit([](const torch::Tensor& x) {
    return (2 * x.narrow(1, 0, 1) - x.narrow(1, 1, 1)).contiguous();
  });
  auto train = normal_points(400, 2, 13, torch::kDouble, xreg::Task::binary);
  auto validation = normal_points(150, 2, 14, torch::kDouble, xreg::Task::binary);
  auto points = normal_points(40, 2, 15, torch::kDouble, xreg::Task::binary).points;
  auto explain_as = [&](const std::string& output) {
    xreg::Params p;
    p.set("output", output);
    auto maple = make_plugin<xreg::Explainer>("maple", p);
    xreg::Context ctx;
    ctx.task = xreg::Task::binary;
    maple->fit(logit, train, validation, ctx);
    return maple->explain(logit, points, ctx);
  };
  auto e = explain_as("predicted_class");
  auto classes = (logit.forward(points.x).squeeze(1) > 0).to(torch::kLong);
  ASSERT_TRUE(e.classes.defined());
  EXPECT_TRUE(torch::equal(e.classes, classes));
  // By hand: the predicted class's probability, σ(z) for class 1 and 1 − σ(z) for class 0.
  auto p_one = torch::sigmoid(logit.forward(points.x));  // [40, 1]
  auto f = torch::where(classes.unsqueeze(1) == 1, p_one, 1 - p_one);
  EXPECT_LT((e.prediction - f).pow(2).mean().item<double>(), 0.01);
  EXPECT_TRUE((f >= 0.5).all().item<bool>());
  // The same forests fit p(class 1); points predicted 0 get 1 − that local model.
  auto p1 = explain_as("probability");
  auto sign = (2 * classes - 1).to(torch::kDouble).unsqueeze(1);
  EXPECT_TRUE(torch::allclose(e.coefficients, sign.unsqueeze(2) * p1.coefficients));
  EXPECT_TRUE(torch::allclose(e.intercepts, (1 - sign) / 2 + sign * p1.intercepts));
}

TEST(Maple, ChoosesFeaturesOnTheTrainingSplitWithoutValidation) {
  LinearModel f(torch::tensor({{1.0, 2.0}}, torch::kDouble), torch::tensor({0.5}, torch::kDouble));
  auto train = normal_points(200, 2, 16);
  auto maple = make_plugin<xreg::Explainer>("maple");
  std::vector<std::string> warnings;
  xreg::Context ctx;
  ctx.log_sink = [&](xreg::LogLevel level, const std::string& message) {
    if (level == xreg::LogLevel::warning) warnings.push_back(message);
  };
  maple->fit(f, train, normal_points(0, 2, 17), ctx);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no validation split"), std::string::npos) << warnings[0];
  auto e = maple->explain(f, normal_points(3, 2, 18).points, ctx);
  EXPECT_LT((e.coefficients.squeeze(1) - torch::tensor({1.0, 2.0}, torch::kDouble))
                .abs()
                .max()
                .item<double>(),
            1e-3);
}

TEST(Maple, RefusesBadParametersAndExplainingBeforeFit) {
  xreg::Params p;
  p.set("max_features", 0.0);
  EXPECT_THROW(make_plugin<xreg::Explainer>("maple", p), xreg::ConfigError);
  p = xreg::Params();
  p.set("trees", int64_t{0});
  EXPECT_THROW(make_plugin<xreg::Explainer>("maple", p), xreg::ConfigError);
  LinearModel f(torch::ones({1, 2}, torch::kDouble), torch::zeros({1}, torch::kDouble));
  EXPECT_ANY_THROW(make_plugin<xreg::Explainer>("maple")->explain(f, normal_points(2, 2, 1).points,
                                                                  xreg::Context{}));
}

TEST(Maple, RefusesTrainingSetsWhoseStatisticsOutgrowTheMemoryBudget) {
  // 300 points of 40 values, a = 41: 300 x (41² + 2 x 903) float64 while the statistics are
  // built, 2,092,200 float32 values.
  LinearModel f(torch::ones({1, 40}, torch::kDouble), torch::zeros({1}, torch::kDouble));
  auto train = normal_points(300, 40, 1);
  xreg::Context ctx;
  ctx.max_values_per_pass = 2000000;
  try {
    make_plugin<xreg::Explainer>("maple")->fit(f, train, normal_points(50, 40, 2), ctx);
    ADD_FAILURE() << "fitted";
  } catch (const std::exception& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("300 training points of 40 input values take 2092200"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("max_values_per_pass"), std::string::npos) << message;
  }
  ctx.max_values_per_pass = 2092200;
  make_plugin<xreg::Explainer>("maple")->fit(f, train, normal_points(50, 40, 2), ctx);
}

// --- The shared housing model, against the Python reference (peers.md) ----------------------

xreg::SplitData housing_splits() {
  xreg::Params p;
  p.set("train", xreg::testing::shared_path("models/housing_train.csv"));
  p.set("val", xreg::testing::shared_path("models/housing_val.csv"));
  p.set("test", xreg::testing::shared_path("models/housing_test.csv"));
  p.set("header", std::string("no"));
  p.set("standardize", std::string("none"));
  return xreg::load_splits(xreg::testing::data_params(p), ".", 0, 0, torch::kFloat);
}

std::shared_ptr<xreg::Model> housing_model() {
  xreg::Params p;
  p.set("path", xreg::testing::shared_path("models/housing_mlp.pt"));
  auto model = make_plugin<xreg::Model>("torchscript", p);
  model->build(xreg::ModelShape{{12}, 1, xreg::Task::regression}, xreg::Context{});
  return model;
}

TEST(Maple, MatchesTheReferenceFidelityOnHousing) {
  if (!xreg::testing::have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "no ../shared";
  auto splits = housing_splits();
  auto model = housing_model();
  auto maple = make_plugin<xreg::Explainer>("maple");
  xreg::Context ctx;
  maple->fit(*model, splits.train, splits.val, ctx);
  const auto& test = splits.test.points;
  ASSERT_EQ(test.size(), 127);
  auto e = maple->explain(*model, test, ctx);

  auto f = xreg::predict(*model, test, ctx);
  const double point_fidelity = (e.prediction - f).pow(2).mean().item<double>();
  auto neighbors = test.x.unsqueeze(1) + 0.1 * ctx.normal("test/neighbors", test.index, {5, 12});
  auto f_neighbors = xreg::predict_points(*model, neighbors, test.index, ctx);
  const double neighborhood_fidelity =
      (e.evaluate(neighbors) - f_neighbors).pow(2).mean().item<double>();
  std::printf("MAPLE-PF %.4f (reference 0.040), MAPLE-NF %.4f (reference 0.043)\n", point_fidelity,
              neighborhood_fidelity);
  // One seed against the reference's five: over 20 seeds MAPLE-PF has SD σ = 0.0015 per seed
  // and MAPLE-NF (5 neighbors, as here) 0.0023. The bands are the reference ± 3.5·σ·√(1 + 1/5)
  // (test_housing_explanations.cpp says why).
  EXPECT_GT(point_fidelity, 0.0344);
  EXPECT_LT(point_fidelity, 0.0456);
  EXPECT_GT(neighborhood_fidelity, 0.0342);
  EXPECT_LT(neighborhood_fidelity, 0.0518);
}

}  // namespace
