// The mse metric plugin on cases whose answer is known in closed form.
#include <gtest/gtest.h>

#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/metric.hpp"

namespace {

/// A model that returns a fixed prediction per row, whatever the input.
class FixedModel final : public xreg::Model {
 public:
  explicit FixedModel(torch::Tensor outputs) : outputs_(std::move(outputs)) {}
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return outputs_.index_select(0, x.select(1, 0).to(torch::kLong));
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }

 private:
  torch::Tensor outputs_;
};

xreg::MetricResult evaluate(const std::string& metric, torch::Tensor outputs, torch::Tensor y,
                            xreg::Task task) {
  FixedModel model(std::move(outputs));
  const int64_t n = y.size(0);
  xreg::Batch points{torch::arange(n, torch::kFloat).unsqueeze(1), y, torch::arange(n)};
  auto plugin = xreg::testing::make_plugin<xreg::Metric>(metric);
  return plugin->evaluate(xreg::MetricInput{model, points, task}, xreg::Context{});
}

TEST(Mse, IsTheMeanSquaredErrorPerPoint) {
  auto result = evaluate("mse", torch::tensor({{1.0f}, {2.0f}, {4.0f}}),
                         torch::tensor({{1.0f}, {0.0f}, {1.0f}}), xreg::Task::regression);
  EXPECT_TRUE(torch::allclose(result.values, torch::tensor({0.0f, 4.0f, 9.0f})));
  EXPECT_DOUBLE_EQ(result.mean().item<double>(), 13.0 / 3.0);
}

TEST(Mse, AveragesOverOutputs) {
  auto result = evaluate("mse", torch::tensor({{1.0f, 3.0f}}), torch::tensor({{0.0f, 0.0f}}),
                         xreg::Task::regression);
  EXPECT_FLOAT_EQ(result.values[0].item<float>(), 5.0f);
}

TEST(Mse, RefusesAClassificationTask) {
  EXPECT_THROW(evaluate("mse", torch::tensor({{1.0f}}), torch::tensor({1}), xreg::Task::binary),
               xreg::RunError);
}

}  // namespace
