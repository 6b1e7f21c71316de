// The senn model, its regularizers and its self-explanation against per-point computations.
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "explanation_metric_support.hpp"
#include "plugin_test_support.hpp"
#include "xreg/host/report/concepts.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/neighborhood.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace {

using xreg::testing::make_plugin;

xreg::Context double_task_context(xreg::Task task) {
  xreg::Context ctx = xreg::testing::double_context();
  ctx.task = task;
  return ctx;
}

/// A senn model built in float64 for points of `input` shape with `outputs` outputs.
std::shared_ptr<xreg::Model> senn(const xreg::Params& overrides, std::vector<int64_t> input,
                                  int64_t outputs, xreg::Task task, uint64_t seed = 7) {
  torch::manual_seed(seed);
  auto model = make_plugin<xreg::Model>("senn", overrides);
  model->build({std::move(input), outputs, task}, double_task_context(task));
  return model;
}

xreg::Params with(const std::string& key, const std::string& value) {
  xreg::Params p;
  p.set(key, value);
  return p;
}

xreg::Batch random_batch(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto x = torch::randn(shape, gen, torch::TensorOptions(torch::kDouble));
  return {x, {}, torch::arange(shape[0])};
}

TEST(Senn, InputConceptsAreTheFeaturesAndABias) {
  auto model = senn({}, {4}, 1, xreg::Task::binary);
  auto batch = random_batch({6, 4}, 1);
  auto extras = model->extras(batch.x);
  ASSERT_EQ(extras.at("theta").sizes(), (torch::IntArrayRef{6, 5, 1}));
  EXPECT_TRUE(torch::equal(extras.at("concepts").slice(1, 0, 4), batch.x));
  EXPECT_TRUE(torch::equal(extras.at("concepts").select(1, 4), torch::ones({6}, torch::kDouble)));
  EXPECT_TRUE(torch::equal(extras.at("constant_concepts"),
                           torch::tensor({0.0, 0.0, 0.0, 0.0, 1.0}, torch::kDouble)));
  EXPECT_EQ(extras.count("reconstruction"), 0u);
}

TEST(Senn, OutputsAreTheRelevancesTimesTheConcepts) {
  for (const char* conceptizer : {"input", "autoencoder"}) {
    auto model = senn(with("conceptizer", conceptizer), {8}, 3, xreg::Task::multiclass);
    auto batch = random_batch({5, 8}, 2);
    auto extras = model->extras(batch.x);
    auto theta = extras.at("theta"), h = extras.at("concepts");
    auto expected = torch::zeros({5, 3}, torch::kDouble);
    for (int64_t n = 0; n < 5; ++n) {
      for (int64_t k = 0; k < 3; ++k) expected[n][k] = theta[n].select(1, k).dot(h[n]);
    }
    EXPECT_TRUE(torch::allclose(model->forward(batch.x), expected, 1e-12, 1e-12)) << conceptizer;
  }
}

TEST(Senn, LearnedConceptsHaveTheirCountAndAReconstruction) {
  xreg::Params dense = with("conceptizer", "autoencoder");
  dense.set("concepts", int64_t{3});
  auto model = senn(dense, {8}, 1, xreg::Task::binary);
  auto extras = model->extras(random_batch({4, 8}, 3).x);
  EXPECT_EQ(extras.at("concepts").sizes(), (torch::IntArrayRef{4, 3}));
  EXPECT_EQ(extras.at("reconstruction").sizes(), (torch::IntArrayRef{4, 8}));
  EXPECT_EQ(extras.at("constant_concepts").sum().item<double>(), 0.0);
}

TEST(Senn, ImageConceptsAndRelevances) {
  xreg::Params image = with("conceptizer", "conv_autoencoder");
  image.set("parametrizer", std::string("conv"));
  auto model = senn(image, {1, 28, 28}, 10, xreg::Task::multiclass);
  model->set_training(false);
  auto extras = model->extras(random_batch({3, 1, 28, 28}, 4).x);
  EXPECT_EQ(extras.at("concepts").sizes(), (torch::IntArrayRef{3, 5}));
  EXPECT_EQ(extras.at("reconstruction").sizes(), (torch::IntArrayRef{3, 1, 28, 28}));
  ASSERT_EQ(extras.at("theta").sizes(), (torch::IntArrayRef{3, 5, 10}));
  EXPECT_LE(extras.at("theta").abs().max().item<double>(), 1.0);  // tanh output
}

TEST(Senn, RefusesImageNetworksOnTabularPoints) {
  try {
    senn(with("parametrizer", "conv"), {30}, 1, xreg::Task::binary);
    FAIL() << "a conv parametrizer was built for tabular points";
  } catch (const xreg::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("needs images [N, C, H, W]"), std::string::npos)
        << e.what();
  }
}

/// The robustness loss's difference of one point, computed on that point alone with a backward
/// pass per output and per concept: θᵀJh − Jf in input space, then the constant concepts'
/// relevances. [k, d + constant concepts].
torch::Tensor difference_of_one_point(xreg::Model& model, const torch::Tensor& point,
                                      xreg::Task task) {
  auto x = point.unsqueeze(0).clone().requires_grad_(true);
  auto extras = model.extras(x);
  auto theta = extras.at("theta")[0], h = extras.at("concepts")[0];
  auto logits = model.forward(x)[0];
  auto f = task == xreg::Task::binary       ? torch::sigmoid(logits)
           : task == xreg::Task::multiclass ? torch::log_softmax(logits, 0)
                                            : logits;
  const int64_t c = h.size(0), k = f.size(0), d = x.numel();
  auto jh = torch::zeros({c, d}, torch::kDouble);
  for (int64_t i = 0; i < c; ++i) {
    auto g = torch::autograd::grad({h[i]}, {x}, {}, true, false, true)[0];
    if (g.defined()) jh[i] = g.flatten();
  }
  std::vector<torch::Tensor> rows;
  for (int64_t o = 0; o < k; ++o) {
    auto jf = torch::autograd::grad({f[o]}, {x}, {}, true)[0].flatten();
    auto row = torch::matmul(theta.select(1, o), jh) - jf;
    auto constant = extras.at("constant_concepts").nonzero().flatten();
    rows.push_back(torch::cat({row, theta.select(1, o).index_select(0, constant)}));
  }
  return torch::stack(rows).detach();
}

TEST(SennRobustness, EqualsThePerPointJacobianPenalty) {
  struct Case {
    const char* conceptizer;
    xreg::Task task;
    int64_t outputs;
  };
  for (const Case& c :
       {Case{"input", xreg::Task::binary, 1}, Case{"autoencoder", xreg::Task::multiclass, 3},
        Case{"input", xreg::Task::regression, 2}}) {
    auto model = senn(with("conceptizer", c.conceptizer), {6}, c.outputs, c.task);
    auto batch = random_batch({7, 6}, 5);
    auto squared = torch::zeros({7}, torch::kDouble);
    for (int64_t n = 0; n < 7; ++n) {
      squared[n] = difference_of_one_point(*model, batch.x[n], c.task).square().sum();
    }
    auto ctx = double_task_context(c.task);
    auto reference = make_plugin<xreg::Regularizer>("senn_robustness");
    EXPECT_NEAR(reference->penalty(*model, batch, 0, ctx).item<double>(),
                0.01 * squared.sum().sqrt().item<double>(), 1e-12)
        << c.conceptizer;
    auto mean = make_plugin<xreg::Regularizer>("senn_robustness", with("reduction", "mean"));
    EXPECT_NEAR(mean->penalty(*model, batch, 0, ctx).item<double>(),
                0.01 * squared.mean().item<double>(), 1e-12)
        << c.conceptizer;
  }
}

TEST(SennRobustness, IsDifferentiableInTheParameters) {
  auto model = senn({}, {5}, 1, xreg::Task::binary);
  auto penalty =
      make_plugin<xreg::Regularizer>("senn_robustness")
          ->penalty(*model, random_batch({9, 5}, 6), 0, double_task_context(xreg::Task::binary));
  penalty.backward();
  double total = 0;
  for (const auto& p : model->parameters()) {
    if (p.grad().defined()) total += p.grad().abs().sum().item<double>();
  }
  EXPECT_GT(total, 0.0);
}

TEST(SennReconstruction, IsTheMeanSquaredErrorOfTheReconstruction) {
  auto model = senn(with("conceptizer", "autoencoder"), {8}, 1, xreg::Task::binary);
  auto batch = random_batch({4, 8}, 7);
  auto expected = (model->extras(batch.x).at("reconstruction") - batch.x).square().mean();
  auto value = make_plugin<xreg::Regularizer>("senn_reconstruction")
                   ->penalty(*model, batch, 0, double_task_context(xreg::Task::binary));
  EXPECT_NEAR(value.item<double>(), expected.item<double>(), 1e-14);
}

TEST(SennReconstruction, RefusesAModelWithoutReconstruction) {
  auto model = senn({}, {8}, 1, xreg::Task::binary);
  try {
    make_plugin<xreg::Regularizer>("senn_reconstruction")
        ->penalty(*model, random_batch({4, 8}, 8), 0, double_task_context(xreg::Task::binary));
    FAIL() << "a model without reconstruction was accepted";
  } catch (const xreg::RunError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("needs the input rebuilt from learned concepts"), std::string::npos)
        << message;
    EXPECT_NE(message.find("it gives concepts, constant_concepts, theta"), std::string::npos)
        << message;
  }
}

TEST(ConceptSparsity, IsXiTimesTheL1NormOfTheConcepts) {
  auto model = senn(with("conceptizer", "autoencoder"), {8}, 1, xreg::Task::binary);
  auto batch = random_batch({4, 8}, 9);
  auto expected = 1e-4 * model->extras(batch.x).at("concepts").abs().sum();
  auto value = make_plugin<xreg::Regularizer>("concept_sparsity")
                   ->penalty(*model, batch, 0, double_task_context(xreg::Task::binary));
  EXPECT_NEAR(value.item<double>(), expected.item<double>(), 1e-16);
}

TEST(SennExplainer, GivesTheModelsRelevancesAndConcepts) {
  auto model = senn({}, {4}, 1, xreg::Task::binary);
  auto batch = random_batch({10, 4}, 10);
  auto ctx = double_task_context(xreg::Task::binary);
  auto e = make_plugin<xreg::Explainer>("senn", with("output", "probability"))
               ->explain(*model, batch, ctx);
  auto extras = model->extras(batch.x);
  EXPECT_EQ(e.kind, xreg::Explanation::Kind::concept);
  EXPECT_TRUE(torch::allclose(e.coefficients, extras.at("theta").transpose(1, 2), 0, 1e-14));
  EXPECT_TRUE(torch::allclose(e.diagnostics.at("concepts"), extras.at("concepts"), 0, 1e-14));
  EXPECT_TRUE(torch::allclose(e.prediction, torch::sigmoid(model->forward(batch.x)), 0, 1e-14));
}

TEST(SennExplainer, IsExactAtThePointAndScoredAsASurrogate) {
  auto model = senn({}, {4}, 1, xreg::Task::binary);
  auto batch = random_batch({10, 4}, 11);
  auto explainer = make_plugin<xreg::Explainer>("senn", with("output", "probability"));
  auto ctx = xreg::testing::double_context();
  auto at_point = xreg::testing::metric_values("point_fidelity", {}, *model, batch, explainer.get(),
                                               ctx, xreg::Task::binary);
  EXPECT_LT(at_point.max().item<double>(), 1e-28);
  // Around the point the surrogate keeps θ(x): (σ(θ(x)ᵀ[x'; 1]) − σ(θ(x')ᵀ[x'; 1]))², averaged
  // over the metric's neighbors x', computed here point by point.
  auto around = xreg::testing::metric_values("neighborhood_fidelity", {}, *model, batch,
                                             explainer.get(), ctx, xreg::Task::binary);
  auto neighbors = xreg::Neighborhood::gaussian(0.1).sample(ctx, "neighborhood_fidelity", batch, 5);
  for (int64_t n = 0; n < 10; ++n) {
    auto theta_x = model->extras(batch.x.slice(0, n, n + 1)).at("theta")[0].squeeze(1);
    double expected = 0;
    for (int64_t j = 0; j < 5; ++j) {
      auto z = neighbors[n][j].unsqueeze(0);
      auto h_z = model->extras(z).at("concepts")[0];
      auto surrogate = torch::sigmoid(theta_x.dot(h_z));
      auto model_at_z = torch::sigmoid(model->forward(z)[0][0]);
      expected += (surrogate - model_at_z).square().item<double>() / 5;
    }
    EXPECT_NEAR(around[n].item<double>(), expected, 1e-15);
  }
  EXPECT_GT(around.min().item<double>(), 0.0);
}

TEST(ConceptFigures, AreTheMostActiveTrainingRowsAndOnePointsRelevances) {
  xreg::Params learned = with("conceptizer", "autoencoder");
  learned.set("concepts", int64_t{3});
  auto model = senn(learned, {8}, 4, xreg::Task::multiclass);
  auto train = random_batch({40, 8}, 12), test = random_batch({5, 8}, 13);
  train.index = train.index + 100;  // global indices, not positions, are reported
  xreg::Dataset train_set{train, xreg::Task::multiclass, 4, {}, {}};
  xreg::Dataset test_set{test, xreg::Task::multiclass, 4, {}, {}};
  auto ctx = double_task_context(xreg::Task::multiclass);
  auto figures = xreg::concept_figures(*model, train_set, test_set, 6, ctx);
  ASSERT_TRUE(figures.defined());
  auto [values, rows] = model->extras(train.x).at("concepts").t().topk(6, 1);
  EXPECT_TRUE(torch::equal(figures.prototype_rows, rows + 100));
  EXPECT_TRUE(torch::allclose(figures.prototype_activations, values, 0, 1e-14));
  EXPECT_TRUE(torch::equal(figures.prototype_inputs[2][0], train.x[rows[2][0].item<int64_t>()]));
  auto logits = model->forward(test.x.slice(0, 0, 1));
  const int64_t predicted = logits.argmax(1).item<int64_t>();
  EXPECT_EQ(figures.explained_output, predicted);
  EXPECT_TRUE(torch::allclose(
      figures.explained_relevances,
      model->extras(test.x.slice(0, 0, 1)).at("theta")[0].select(1, predicted), 0, 1e-14));
  // Input concepts are not learned: no figures.
  auto plain = senn({}, {8}, 4, xreg::Task::multiclass);
  EXPECT_FALSE(xreg::concept_figures(*plain, train_set, test_set, 6, ctx).defined());
}

TEST(ConceptFigures, ImagesAreWrittenAsPng) {
  xreg::Params image = with("conceptizer", "conv_autoencoder");
  image.set("parametrizer", std::string("conv"));
  auto model = senn(image, {1, 28, 28}, 10, xreg::Task::multiclass);
  model->set_training(false);
  xreg::Dataset train{random_batch({12, 1, 28, 28}, 14), xreg::Task::multiclass, 10, {}, {}};
  xreg::Dataset test{random_batch({2, 1, 28, 28}, 15), xreg::Task::multiclass, 10, {}, {}};
  auto figures =
      xreg::concept_figures(*model, train, test, 4, double_task_context(xreg::Task::multiclass));
  const auto folder = std::filesystem::temp_directory_path() / "xreg_test_concept_figures";
  std::filesystem::remove_all(folder);
  xreg::write_concept_figures(folder.string(), 3, figures);
  for (const char* name : {"trial-3-prototypes.png", "trial-3-explained.png"}) {
    std::ifstream file(folder / "concepts" / name, std::ios::binary);
    std::string signature(8, '\0');
    file.read(signature.data(), 8);
    EXPECT_EQ(signature, std::string("\x89PNG\r\n\x1a\n", 8)) << name;
  }
  std::ifstream csv(folder / "concepts" / "trial-3-prototypes.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "concept,rank,row,activation");
  std::filesystem::remove_all(folder);
}

}  // namespace
