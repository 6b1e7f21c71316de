// The cnn model plugin: ExpO's MNIST architecture, its initialization, dropout in training
// mode only, and the input shapes it accepts.
#include <gtest/gtest.h>

#include <string>

#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/model.hpp"

namespace {

using xreg::testing::make_plugin;

std::shared_ptr<xreg::Model> build_cnn(const xreg::Params& overrides = {},
                                       std::vector<int64_t> input = {1, 28, 28},
                                       int64_t classes = 10) {
  auto model = make_plugin<xreg::Model>("cnn", overrides);
  torch::manual_seed(0);
  model->build(xreg::ModelShape{input, classes, xreg::Task::multiclass}, xreg::Context{});
  return model;
}

int64_t parameter_count(xreg::Model& model) {
  int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

TEST(Cnn, HasTheExpOMnistArchitecture) {
  auto model = build_cnn();
  const int64_t conv1 = 6 * 1 * 6 * 6 + 6;     // 6x6, 1 -> 6
  const int64_t conv2 = 12 * 6 * 5 * 5 + 12;   // 5x5, 6 -> 12, stride 2: 14x14
  const int64_t conv3 = 24 * 12 * 4 * 4 + 24;  // 4x4, 12 -> 24, stride 2: 7x7
  const int64_t dense = 7 * 7 * 24 * 200 + 200;
  const int64_t logits = 200 * 10 + 10;
  EXPECT_EQ(parameter_count(*model), conv1 + conv2 + conv3 + dense + logits);
  EXPECT_EQ(parameter_count(*model), 244076);
  const auto params = model->parameters();
  ASSERT_EQ(params.size(), 10u);
  EXPECT_EQ(params[0].sizes(), (torch::IntArrayRef{6, 1, 6, 6}));
  EXPECT_EQ(params[6].sizes(), (torch::IntArrayRef{200, 1176}));
}

TEST(Cnn, MapsAnMnistBatchToOneLogitPerClass) {
  auto model = build_cnn();
  const auto logits = model->forward(torch::rand({5, 1, 28, 28}));
  EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{5, 10}));
  EXPECT_EQ(logits.dtype(), torch::kFloat32);
  EXPECT_TRUE(logits.requires_grad());
}

TEST(Cnn, SamePaddingKeepsOddSidesAsTensorFlowDoes) {
  // ceil(9 / 1) = 9, ceil(9 / 2) = 5, ceil(5 / 2) = 3: 24 * 3 * 3 inputs to the dense layer.
  auto model = build_cnn({}, {3, 9, 9}, 4);
  EXPECT_EQ(model->parameters()[6].sizes(), (torch::IntArrayRef{200, 24 * 3 * 3}));
  EXPECT_EQ(model->forward(torch::rand({2, 3, 9, 9})).sizes(), (torch::IntArrayRef{2, 4}));
}

TEST(Cnn, SamePaddingPutsTheOddExtraRowAndColumnAtTheEnd) {
  xreg::Params p;
  p.set("channels", std::vector<int64_t>{1});
  p.set("kernels", std::vector<int64_t>{2});
  p.set("strides", std::vector<int64_t>{2});
  p.set("dense", std::vector<int64_t>{});
  auto model = build_cnn(p, {1, 3, 3}, 4);
  torch::NoGradGuard no_grad;
  auto params = model->parameters();
  params[0].fill_(1.0);  // the 2x2 kernel sums its window
  params[1].zero_();
  params[2].copy_(torch::eye(4));  // the logits are the 2x2 feature map
  params[3].zero_();
  const auto x = torch::arange(1, 10, torch::kFloat32).view({1, 1, 3, 3});
  // TensorFlow SAME: ceil(3 / 2) = 2 outputs per side, one zero row and column after the image.
  EXPECT_TRUE(torch::equal(model->forward(x), torch::tensor({{12.0f, 9.0f, 15.0f, 9.0f}})));
}

TEST(Cnn, ValidPaddingShrinksTheImage) {
  xreg::Params p;
  p.set("padding", std::string("valid"));
  auto model = build_cnn(p);
  // 28 -> 23 -> (23 - 5) / 2 + 1 = 10 -> (10 - 4) / 2 + 1 = 4.
  EXPECT_EQ(model->parameters()[6].sizes(), (torch::IntArrayRef{200, 24 * 4 * 4}));
}

TEST(Cnn, StartsWithTruncatedNormalWeightsAndBiasesOfOneTenth) {
  auto model = build_cnn();
  const auto dense_weight = model->parameters()[6];
  EXPECT_LE(dense_weight.abs().max().item<double>(), 0.2);
  EXPECT_GT(dense_weight.abs().max().item<double>(), 0.199);
  // Variance of N(0, 0.1²) truncated at 2 SD: 0.01 * 0.774.
  EXPECT_NEAR(dense_weight.var().item<double>(), 0.00774, 0.0001);
  EXPECT_NEAR(dense_weight.mean().item<double>(), 0.0, 0.001);
  for (size_t bias = 1; bias < 10; bias += 2) {
    EXPECT_TRUE(torch::all(model->parameters()[bias] == 0.1f).item<bool>());
  }
}

TEST(Cnn, DropsDenseUnitsOnlyInTrainingMode) {
  xreg::Params p;
  p.set("dropout", 0.5);
  auto model = build_cnn(p);
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({4, 1, 28, 28});
  model->set_training(false);
  EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));
  const auto evaluated = model->forward(x);
  model->set_training(true);
  EXPECT_FALSE(torch::allclose(model->forward(x), evaluated));
  EXPECT_FALSE(torch::equal(model->forward(x), model->forward(x)));
  model->set_training(false);
  EXPECT_TRUE(torch::equal(model->forward(x), evaluated));
}

TEST(Cnn, WithoutDropoutTrainingAndEvaluationAgree) {
  auto model = build_cnn();
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({3, 1, 28, 28});
  model->set_training(true);
  const auto trained = model->forward(x);
  model->set_training(false);
  EXPECT_TRUE(torch::equal(model->forward(x), trained));
}

::testing::AssertionResult ends_with(const std::string& text, const std::string& end) {
  if (text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << text << "' does not end with '" << end << "'";
}

std::string forward_error(xreg::Model& model, const torch::Tensor& x) {
  try {
    model.forward(x);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "no error";
}

TEST(Cnn, RefusesInputsOfAnotherShape) {
  auto model = build_cnn();
  EXPECT_TRUE(ends_with(forward_error(*model, torch::rand({3, 784})),
                        "forward failed: expected inputs [N, 1, 28, 28], found [3, 784]"));
  EXPECT_TRUE(ends_with(forward_error(*model, torch::rand({3, 1, 14, 14})),
                        "expected inputs [N, 1, 28, 28], found [3, 1, 14, 14]"));
}

TEST(Cnn, RefusesToBuildForFlatPoints) {
  auto model = make_plugin<xreg::Model>("cnn");
  try {
    model->build(xreg::ModelShape{{784}, 10, xreg::Task::multiclass}, xreg::Context{});
    FAIL() << "no error";
  } catch (const std::exception& error) {
    EXPECT_TRUE(ends_with(error.what(),
                          "expected images of shape [channels, height, width], found points of "
                          "shape [784]"));
  }
}

TEST(Cnn, RefusesInconsistentLayerLists) {
  xreg::Params p;
  p.set("kernels", std::vector<int64_t>{5, 5});
  EXPECT_THROW(make_plugin<xreg::Model>("cnn", p), xreg::ConfigError);
  xreg::Params dropout;
  dropout.set("dropout", 1.0);
  EXPECT_THROW(make_plugin<xreg::Model>("cnn", dropout), xreg::ConfigError);
}

}  // namespace
