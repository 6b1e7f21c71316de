// The mlp model plugin: its architecture, initialization and activation.
#include <gtest/gtest.h>

#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/model.hpp"

namespace {

using xreg::testing::make_plugin;

std::shared_ptr<xreg::Model> build_mlp(std::vector<int64_t> hidden, int64_t in, int64_t out,
                                       double slope = 0.2) {
  xreg::Params p;
  p.set("hidden", hidden);
  p.set("negative_slope", slope);
  auto model = make_plugin<xreg::Model>("mlp", p);
  torch::manual_seed(0);
  model->build(xreg::ModelShape{{in}, out, xreg::Task::regression}, xreg::Context{});
  return model;
}

TEST(Mlp, HasTheExpOHousingArchitecture) {
  auto model = build_mlp({100, 100}, 12, 1);
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, 12 * 100 + 100 + 100 * 100 + 100 + 100 * 1 + 1);
  EXPECT_EQ(model->forward(torch::zeros({7, 12})).sizes(), (torch::IntArrayRef{7, 1}));
}

TEST(Mlp, StartsWithGlorotWeightsAndZeroBiases) {
  auto model = build_mlp({300}, 200, 1);
  auto params = model->parameters();
  const auto& weight = params[0];  // [300, 200]
  const double bound = std::sqrt(6.0 / (200 + 300));
  EXPECT_LE(weight.abs().max().item<double>(), bound);
  EXPECT_GT(weight.abs().max().item<double>(), 0.95 * bound);
  EXPECT_NEAR(weight.var().item<double>(), bound * bound / 3.0, 0.05 * bound * bound / 3.0);
  EXPECT_EQ(params[1].abs().sum().item<double>(), 0.0);
}

TEST(Mlp, CanStartAsRrrsReferenceWithEveryParameterFromASmallNormal) {
  xreg::Params p;
  p.set("hidden", std::vector<int64_t>{300});
  p.set("init", std::string("normal"));
  p.set("init_scale", 0.1);
  auto model = make_plugin<xreg::Model>("mlp", p);
  torch::manual_seed(0);
  model->build(xreg::ModelShape{{200}, 1, xreg::Task::regression}, xreg::Context{});
  auto params = model->parameters();
  // 60,000 weights: SD within 1.5 % (its standard error is 0.3 %); 300 biases within 15 %.
  EXPECT_NEAR(params[0].std().item<double>(), 0.1, 0.0015);
  EXPECT_NEAR(params[0].mean().item<double>(), 0.0, 0.0015);
  EXPECT_NEAR(params[1].std().item<double>(), 0.1, 0.015);
  EXPECT_NEAR(params[3].item<double>(), 0.0, 0.4) << "the output bias is drawn too";
  EXPECT_NE(params[3].item<double>(), 0.0);
}

TEST(Mlp, AppliesTheLeakySlopeToNegativeHiddenValues) {
  auto model = build_mlp({1}, 1, 1, 0.2);
  torch::NoGradGuard no_grad;
  auto params = model->parameters();
  params[0].fill_(1.0);  // hidden = x
  params[2].fill_(1.0);  // output = leaky(x)
  auto y = model->forward(torch::tensor({{-2.0f}, {3.0f}}));
  EXPECT_FLOAT_EQ(y[0][0].item<float>(), -0.4f);
  EXPECT_FLOAT_EQ(y[1][0].item<float>(), 3.0f);
}

TEST(Mlp, FlattensImageInputs) {
  auto model = build_mlp({8}, 1 * 4 * 4, 10);
  EXPECT_EQ(model->forward(torch::zeros({3, 1, 4, 4})).sizes(), (torch::IntArrayRef{3, 10}));
}

TEST(Mlp, RefusesANonPositiveWidth) {
  xreg::Params p;
  p.set("hidden", std::vector<int64_t>{10, 0});
  EXPECT_THROW(make_plugin<xreg::Model>("mlp", p), xreg::ConfigError);
}

}  // namespace
