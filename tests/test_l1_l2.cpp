// The l1 and l2 regularizers: exact values and gradients on a model with known weights, biases
// left out (for l2 by default; RRR's variant takes them and drops the ½), independent of the
// regularization batch.
#include <gtest/gtest.h>

#include "regularizer_test_support.hpp"

namespace {

using xreg::testing::context_of;
using xreg::testing::make_plugin;

/// An mlp 2 → 3 → 1 whose weights are 1..6 with alternating signs and 7..9, biases all 5.
struct KnownMlp {
  xreg::Context ctx = context_of(torch::kDouble);
  std::shared_ptr<xreg::Model> model = xreg::testing::mlp_model(2, 1, ctx, {3});
  torch::Tensor first = torch::tensor({{1.0, -2.0}, {3.0, -4.0}, {5.0, -6.0}}, torch::kDouble);
  torch::Tensor second = torch::tensor({{7.0, -8.0, 9.0}}, torch::kDouble);

  KnownMlp() {
    torch::NoGradGuard no_grad;
    auto parameters = model->parameters();  // weight, bias, weight, bias
    parameters[0].copy_(first);
    parameters[1].fill_(5.0);
    parameters[2].copy_(second);
    parameters[3].fill_(5.0);
  }

  double penalty(const std::string& name, const xreg::Params& params = {}) {
    return make_plugin<xreg::Regularizer>(name, params)
        ->penalty(*model, xreg::testing::normal_points(4, 2, 1).points, 0, ctx)
        .item<double>();
  }
};

xreg::Params l2_params(bool biases, bool half) {
  xreg::Params p;
  p.set("biases", biases);
  p.set("half", half);
  return p;
}

TEST(L1, IsTheSumOfTheAbsoluteWeightsWithoutBiases) {
  KnownMlp f;
  EXPECT_DOUBLE_EQ(f.penalty("l1"), 45.0);  // 1 + ... + 9
}

TEST(L2, IsHalfTheSumOfTheSquaredWeightsWithoutBiases) {
  KnownMlp f;
  EXPECT_DOUBLE_EQ(f.penalty("l2"), 142.5);  // (1² + ... + 9²) / 2
}

// RRR's λ₂ Σθ²: every parameter, biases included (four biases of 5), without the ½.
TEST(L2, OptionallyTakesTheBiasesAndDropsTheHalf) {
  KnownMlp f;
  EXPECT_DOUBLE_EQ(f.penalty("l2", l2_params(false, true)), 142.5);        // the defaults
  EXPECT_DOUBLE_EQ(f.penalty("l2", l2_params(false, false)), 285.0);       // 1² + ... + 9²
  EXPECT_DOUBLE_EQ(f.penalty("l2", l2_params(true, true)), 142.5 + 50.0);  // + 4 · 5² / 2
  EXPECT_DOUBLE_EQ(f.penalty("l2", l2_params(true, false)), 385.0);        // 285 + 4 · 5²
  auto batch = xreg::testing::normal_points(4, 2, 1).points;
  auto all = make_plugin<xreg::Regularizer>("l2", l2_params(true, false))
                 ->penalty(*f.model, batch, 0, f.ctx);
  auto gradients = torch::autograd::grad({all}, f.model->parameters());
  EXPECT_TRUE(torch::equal(gradients[0], 2 * f.first));
  EXPECT_TRUE(torch::equal(gradients[1], torch::full({3}, 10.0, torch::kDouble)));
  EXPECT_TRUE(torch::equal(gradients[2], 2 * f.second));
  EXPECT_TRUE(torch::equal(gradients[3], torch::full({1}, 10.0, torch::kDouble)));
}

TEST(L1L2, GradientsAreTheSignsAndTheWeightsThemselves) {
  KnownMlp f;
  auto batch = xreg::testing::normal_points(4, 2, 1).points;
  auto l1 = make_plugin<xreg::Regularizer>("l1")->penalty(*f.model, batch, 0, f.ctx);
  auto l2 = make_plugin<xreg::Regularizer>("l2")->penalty(*f.model, batch, 0, f.ctx);
  auto parameters = f.model->parameters();
  auto l1_gradients = torch::autograd::grad({l1}, {parameters[0], parameters[2]});
  EXPECT_TRUE(torch::equal(l1_gradients[0], f.first.sign()));
  EXPECT_TRUE(torch::equal(l1_gradients[1], f.second.sign()));
  auto l2_gradients = torch::autograd::grad({l2}, {parameters[0], parameters[2]});
  EXPECT_TRUE(torch::equal(l2_gradients[0], f.first));
  EXPECT_TRUE(torch::equal(l2_gradients[1], f.second));
}

TEST(L1L2, AreZeroForAModelWithoutParameters) {
  xreg::testing::SquaredNormModel f;
  auto batch = xreg::testing::normal_points(4, 2, 1).points;
  for (const char* name : {"l1", "l2"}) {
    auto value = make_plugin<xreg::Regularizer>(name)->penalty(f, batch, 0, xreg::Context{});
    EXPECT_EQ(value.item<double>(), 0.0) << name;
    EXPECT_EQ(value.dim(), 0) << name;
  }
}

}  // namespace
