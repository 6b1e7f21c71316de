// The accuracy metric plugin on binary and multiclass cases with known answers.
#include <gtest/gtest.h>

#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/metric.hpp"

namespace {

xreg::MetricResult accuracy(torch::Tensor logits, torch::Tensor labels, xreg::Task task) {
  /// Each point's input is its row of logits; the model returns its input.
  struct Identity final : xreg::Model {
    void build(const xreg::ModelShape&, const xreg::Context&) override {}
    torch::Tensor forward(const torch::Tensor& x) override { return x; }
    std::vector<torch::Tensor> parameters() override { return {}; }
    std::vector<torch::Tensor> state() override { return {}; }
  } model;
  xreg::Batch points{logits, labels, torch::arange(labels.size(0))};
  auto plugin = xreg::testing::make_plugin<xreg::Metric>("accuracy");
  return plugin->evaluate(xreg::MetricInput{model, points, task}, xreg::Context{});
}

TEST(Accuracy, BinaryPredictsClassOneForPositiveLogits) {
  auto result = accuracy(torch::tensor({{2.0f}, {-1.0f}, {0.5f}, {-3.0f}}),
                         torch::tensor({1, 0, 0, 1}), xreg::Task::binary);
  EXPECT_TRUE(torch::equal(result.values, torch::tensor({1.0, 1.0, 0.0, 0.0}, torch::kDouble)));
  EXPECT_DOUBLE_EQ(result.mean().item<double>(), 0.5);
}

TEST(Accuracy, MulticlassTakesTheLargestLogit) {
  auto result = accuracy(torch::tensor({{0.1f, 0.7f, 0.2f}, {3.0f, 1.0f, 2.0f}}),
                         torch::tensor({1, 2}), xreg::Task::multiclass);
  EXPECT_TRUE(torch::equal(result.values, torch::tensor({1.0, 0.0}, torch::kDouble)));
}

TEST(Accuracy, RefusesRegression) {
  EXPECT_THROW(accuracy(torch::ones({1, 1}), torch::ones({1, 1}), xreg::Task::regression),
               xreg::RunError);
}

}  // namespace
