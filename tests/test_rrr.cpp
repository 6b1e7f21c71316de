// The rrr regularizer (right for the right reasons): closed forms of the input gradients of a
// linear softmax model, finite differences on a nonlinear model for every explained output and
// both classification tasks, masks, the normalized sum, differentiability in the parameters,
// and the refusals. The l2 regularizer's options RRR needs are in test_l1_l2.cpp.
#include <gtest/gtest.h>

#include "regularizer_test_support.hpp"

namespace {

using xreg::testing::context_of;
using xreg::testing::make_plugin;
using xreg::testing::normal_points;

/// logits = x Wᵀ + b with W [K, d] and b [K] as its parameters.
class LinearLogits final : public xreg::Model {
 public:
  LinearLogits(const torch::Tensor& w, const torch::Tensor& b)
      : w_(w.clone().requires_grad_(true)), b_(b.clone().requires_grad_(true)) {}
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::matmul(x.flatten(1), w_.t()) + b_;
  }
  std::vector<torch::Tensor> parameters() override { return {w_, b_}; }
  std::vector<torch::Tensor> state() override { return {w_, b_}; }

 private:
  torch::Tensor w_, b_;
};

/// logits = W₂ tanh(W₁x + b₁) + b₂, smooth in x and in the parameters (finite differences need
/// no care for kinks), with seeded weights of a size that keeps tanh away from saturation.
class TanhNetwork final : public xreg::Model {
 public:
  TanhNetwork(int64_t d, int64_t hidden, int64_t k, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto options = torch::TensorOptions(torch::kDouble);
    w1_ = (0.7 * torch::randn({hidden, d}, gen, options)).requires_grad_(true);
    b1_ = (0.3 * torch::randn({hidden}, gen, options)).requires_grad_(true);
    w2_ = (0.9 * torch::randn({k, hidden}, gen, options)).requires_grad_(true);
    b2_ = (0.3 * torch::randn({k}, gen, options)).requires_grad_(true);
  }
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::matmul(torch::tanh(torch::matmul(x.flatten(1), w1_.t()) + b1_), w2_.t()) + b2_;
  }
  std::vector<torch::Tensor> parameters() override { return {w1_, b1_, w2_, b2_}; }
  std::vector<torch::Tensor> state() override { return parameters(); }

 private:
  torch::Tensor w1_, b1_, w2_, b2_;
};

xreg::Params rrr_params(const std::string& output, double lambda, bool normalize = false) {
  xreg::Params p;
  p.set("output", output);
  p.set("lambda", lambda);
  p.set("normalize", normalize);
  return p;
}

xreg::Context task_context(xreg::Task task) {
  auto ctx = context_of(torch::kDouble);
  ctx.task = task;
  return ctx;
}

double penalty_of(const std::string& output, double lambda, bool normalize, xreg::Model& model,
                  const xreg::Batch& batch, xreg::Task task) {
  return make_plugin<xreg::Regularizer>("rrr", rrr_params(output, lambda, normalize))
      ->penalty(model, batch, 0, task_context(task))
      .item<double>();
}

/// A batch of n standard-normal points in d dimensions with annotations `a` (or none).
xreg::Batch annotated(int64_t n, int64_t d, uint64_t seed, torch::Tensor a = {}) {
  auto batch = normal_points(n, d, seed).points;
  batch.annotations = std::move(a);
  return batch;
}

/// E_n [N] of the logits [N, k] as the plugin's documentation defines it, written out here
/// without log_softmax: log ŷ_k = z_k − log Σ_j exp z_j, or for one binary logit z
/// log ŷ = (−log(1 + e^z), −log(1 + e^−z)).
torch::Tensor explained(const torch::Tensor& logits, const std::string& output, xreg::Task task) {
  torch::Tensor log_p;
  if (task == xreg::Task::binary) {
    log_p = torch::cat({-torch::log1p(torch::exp(logits)), -torch::log1p(torch::exp(-logits))}, 1);
  } else {
    log_p = logits - torch::log(torch::exp(logits).sum(1, /*keepdim=*/true));
  }
  if (output == "log_sum") return log_p.sum(1);
  if (output == "log_max") return std::get<0>(log_p.max(1));
  return std::get<0>(log_p.exp().max(1));
}

/// ∂E_n/∂x_nd [N, d] by central differences in double precision, one coordinate at a time.
torch::Tensor finite_difference_gradient(xreg::Model& model, const torch::Tensor& x,
                                         const std::string& output, xreg::Task task) {
  torch::NoGradGuard no_grad;
  const double h = 1e-5;
  auto gradient = torch::zeros_like(x);
  for (int64_t d = 0; d < x.size(1); ++d) {
    auto step = torch::zeros_like(x);
    step.select(1, d).fill_(h);
    gradient.select(1, d).copy_((explained(model.forward(x + step), output, task) -
                                 explained(model.forward(x - step), output, task)) /
                                (2 * h));
  }
  return gradient;
}

/// W [K, d], b [K] of the linear softmax model.
torch::Tensor linear_weights() {
  return torch::tensor({{1.0, -2.0, 0.5, 0.0}, {0.3, 1.5, -1.0, 2.0}, {-0.7, 0.2, 0.8, -1.2}},
                       torch::kDouble);
}
torch::Tensor linear_biases() { return torch::tensor({0.1, -0.4, 0.25}, torch::kDouble); }

/// By hand for logits z = Wx + b, p = softmax(z), K classes: ∂ log p_k/∂x = W_k − Σ_j p_j W_j,
/// so the gradient of Σ_k log p_k is Σ_k W_k − K pᵀW [N, d].
torch::Tensor log_sum_gradient_by_hand(const torch::Tensor& x, const torch::Tensor& w,
                                       const torch::Tensor& b) {
  auto z = torch::matmul(x, w.t()) + b;
  auto p = torch::exp(z) / torch::exp(z).sum(1, /*keepdim=*/true);
  return w.sum(0).unsqueeze(0) - w.size(0) * torch::matmul(p, w);
}

TEST(Rrr, OfALinearSoftmaxModelIsTheClosedFormOfItsLogSumGradient) {
  LinearLogits model(linear_weights(), linear_biases());
  auto a = (torch::rand({6, 4}, at::make_generator<at::CPUGeneratorImpl>(3),
                        torch::TensorOptions(torch::kDouble)) > 0.4)
               .to(torch::kDouble);
  auto batch = annotated(6, 4, 1, a);
  auto g = log_sum_gradient_by_hand(batch.x, linear_weights(), linear_biases());
  const double expected = 1000.0 * (a * g.square()).sum().item<double>();
  ASSERT_GT(expected, 1.0);
  // The defaults: log_sum, λ = 1000, the sum over the batch.
  auto rrr = make_plugin<xreg::Regularizer>("rrr");
  EXPECT_NEAR(rrr->penalty(model, batch, 0, task_context(xreg::Task::multiclass)).item<double>(),
              expected, 1e-12 * expected);
  EXPECT_NEAR(penalty_of("log_sum", 2.5, false, model, batch, xreg::Task::multiclass),
              2.5e-3 * expected, 1e-12 * expected);
}

TEST(Rrr, OfALinearSoftmaxModelHasTheClosedFormsOfTheMaxima) {
  LinearLogits model(linear_weights(), linear_biases());
  auto a = torch::ones({5, 4}, torch::kDouble);
  auto batch = annotated(5, 4, 2, a);
  auto w = linear_weights();
  auto z = torch::matmul(batch.x, w.t()) + linear_biases();
  auto p = torch::softmax(z, 1);
  auto top = std::get<1>(p.max(1));  // k* [N]
  // ∂ log p_k*/∂x = W_k* − pᵀW, and ∂p_k*/∂x = p_k* (W_k* − pᵀW).
  auto log_max = w.index_select(0, top) - torch::matmul(p, w);
  auto prob_max = p.gather(1, top.unsqueeze(1)) * log_max;
  EXPECT_NEAR(penalty_of("log_max", 1.0, false, model, batch, xreg::Task::multiclass),
              log_max.square().sum().item<double>(), 1e-12 * log_max.square().sum().item<double>());
  EXPECT_NEAR(penalty_of("prob_max", 1.0, false, model, batch, xreg::Task::multiclass),
              prob_max.square().sum().item<double>(),
              1e-12 * prob_max.square().sum().item<double>());
}

TEST(Rrr, PenalizesOnlyTheAnnotatedInputs) {
  LinearLogits model(linear_weights(), linear_biases());
  auto x = normal_points(7, 4, 4).points.x;
  auto g = log_sum_gradient_by_hand(x, linear_weights(), linear_biases());
  auto batch = annotated(7, 4, 4, torch::zeros({7, 4}, torch::kDouble));
  EXPECT_EQ(penalty_of("log_sum", 1000.0, false, model, batch, xreg::Task::multiclass), 0.0);
  EXPECT_EQ(penalty_of("log_sum", 1000.0, true, model, batch, xreg::Task::multiclass), 0.0);
  // Feature 2 of every example, then feature 1 of examples 0 and 3 only.
  auto third = torch::zeros({7, 4}, torch::kDouble);
  third.select(1, 2).fill_(1.0);
  batch.annotations = third;
  const double on_third = g.select(1, 2).square().sum().item<double>();
  EXPECT_NEAR(penalty_of("log_sum", 1.0, false, model, batch, xreg::Task::multiclass), on_third,
              1e-12 * on_third);
  auto some = torch::zeros({7, 4}, torch::kDouble);
  some.index_put_({0, 1}, 1.0);
  some.index_put_({3, 1}, 1.0);
  batch.annotations = some;
  const double on_some = (g.index({0, 1}).square() + g.index({3, 1}).square()).item<double>();
  EXPECT_NEAR(penalty_of("log_sum", 1.0, false, model, batch, xreg::Task::multiclass), on_some,
              1e-12 * on_some);
  // normalize divides the batch's sum by Σ A = 2.
  EXPECT_NEAR(penalty_of("log_sum", 1.0, true, model, batch, xreg::Task::multiclass), on_some / 2,
              1e-12 * on_some);
  // Boolean annotations mean the same as 0/1.
  batch.annotations = some.to(torch::kBool);
  EXPECT_NEAR(penalty_of("log_sum", 1.0, false, model, batch, xreg::Task::multiclass), on_some,
              1e-12 * on_some);
}

TEST(Rrr, MatchesFiniteDifferencesOnANonlinearModel) {
  TanhNetwork model(5, 8, 3, 11);
  auto a = (torch::rand({9, 5}, at::make_generator<at::CPUGeneratorImpl>(5),
                        torch::TensorOptions(torch::kDouble)) > 0.5)
               .to(torch::kDouble);
  auto batch = annotated(9, 5, 6, a);
  for (const char* output : {"log_sum", "log_max", "prob_max"}) {
    auto g = finite_difference_gradient(model, batch.x, output, xreg::Task::multiclass);
    const double expected = 7.0 * (a * g.square()).sum().item<double>();
    ASSERT_GT(expected, 1e-3) << output;
    EXPECT_NEAR(penalty_of(output, 7.0, false, model, batch, xreg::Task::multiclass), expected,
                1e-7 * expected)
        << output;
    EXPECT_NEAR(penalty_of(output, 7.0, true, model, batch, xreg::Task::multiclass),
                expected / a.sum().item<double>(), 1e-7 * expected)
        << output;
  }
}

// One logit z: log ŷ = (logσ(−z), logσ(z)), so ∂/∂x Σ log ŷ = (1 − 2σ(z)) w for z = w·x + b.
TEST(Rrr, WorksOnABinaryLogit) {
  auto w = torch::tensor({{0.8, -1.3, 0.4}}, torch::kDouble);
  LinearLogits linear(w, torch::tensor({0.2}, torch::kDouble));
  auto a = torch::ones({6, 3}, torch::kDouble);
  auto batch = annotated(6, 3, 7, a);
  auto z = torch::matmul(batch.x, w.t()) + 0.2;  // [N, 1]
  auto g = (1 - 2 * torch::sigmoid(z)) * w;      // [N, 3]
  const double by_hand = g.square().sum().item<double>();
  EXPECT_NEAR(penalty_of("log_sum", 1.0, false, linear, batch, xreg::Task::binary), by_hand,
              1e-12 * by_hand);
  TanhNetwork model(3, 6, 1, 13);
  for (const char* output : {"log_sum", "log_max", "prob_max"}) {
    auto fd = finite_difference_gradient(model, batch.x, output, xreg::Task::binary);
    const double expected = fd.square().sum().item<double>();
    ASSERT_GT(expected, 1e-6) << output;
    EXPECT_NEAR(penalty_of(output, 1.0, false, model, batch, xreg::Task::binary), expected,
                1e-7 * expected)
        << output;
  }
}

TEST(Rrr, IsDifferentiableInTheModelsParameters) {
  auto a = (torch::rand({8, 4}, at::make_generator<at::CPUGeneratorImpl>(9),
                        torch::TensorOptions(torch::kDouble)) > 0.3)
               .to(torch::kDouble);
  auto batch = annotated(8, 4, 8, a);
  auto ctx = task_context(xreg::Task::multiclass);
  // On the linear model: the gradients of the closed form in W and b.
  {
    LinearLogits model(linear_weights(), linear_biases());
    auto rrr = make_plugin<xreg::Regularizer>("rrr", rrr_params("log_sum", 3.0));
    auto params = model.parameters();
    auto g = log_sum_gradient_by_hand(batch.x, params[0], params[1]);
    auto by_hand = 3.0 * (a * g.square()).sum();
    EXPECT_TRUE(
        xreg::testing::same_penalty(rrr->penalty(model, batch, 0, ctx), by_hand, model, 1e-10));
  }
  // On the nonlinear model, every output: autograd against central differences in one weight of
  // each layer.
  for (const char* output : {"log_sum", "log_max", "prob_max"}) {
    TanhNetwork model(4, 6, 3, 17);
    auto rrr = make_plugin<xreg::Regularizer>("rrr", rrr_params(output, 1.0));
    auto gradients = xreg::testing::parameter_gradients(rrr->penalty(model, batch, 0, ctx), model);
    for (size_t i = 0; i < gradients.size(); ++i) {
      EXPECT_GT(gradients[i].abs().max().item<double>(), 0.0) << output << " parameter " << i;
    }
    for (size_t i : {size_t{0}, size_t{2}}) {
      auto entry = model.parameters()[i].view(-1).narrow(0, 1, 1);
      const double h = 1e-5;
      const double original = entry.item<double>();
      auto shifted = [&](double by) {
        {
          torch::NoGradGuard no_grad;
          entry.fill_(original + by);
        }
        const double value = rrr->penalty(model, batch, 0, ctx).item<double>();
        {
          torch::NoGradGuard no_grad;
          entry.fill_(original);
        }
        return value;
      };
      const double fd = (shifted(h) - shifted(-h)) / (2 * h);
      const double autograd = gradients[i].view(-1)[1].item<double>();
      EXPECT_GT(std::abs(autograd), 1e-8) << output << " parameter " << i;
      EXPECT_NEAR(autograd, fd, 1e-6 * std::max(1.0, std::abs(fd))) << output << " parameter " << i;
    }
  }
}

TEST(Rrr, IsTheSumOverExamplesWhateverTheBatching) {
  TanhNetwork model(4, 6, 3, 19);
  auto batch = annotated(10, 4, 10, torch::ones({10, 4}, torch::kDouble));
  auto ctx = task_context(xreg::Task::multiclass);
  auto rrr = make_plugin<xreg::Regularizer>("rrr");
  const double whole = rrr->penalty(model, batch, 0, ctx).item<double>();
  double sum = 0;
  for (int64_t i = 0; i < batch.size(); ++i) {
    sum += rrr->penalty(model, batch.slice(i, i + 1), 0, ctx).item<double>();
  }
  EXPECT_NEAR(whole, sum, 1e-10 * sum);
}

TEST(Rrr, LeavesTheInputsGradientAlone) {
  LinearLogits model(linear_weights(), linear_biases());
  auto ctx = task_context(xreg::Task::multiclass);
  auto rrr = make_plugin<xreg::Regularizer>("rrr", rrr_params("log_sum", 1.0));
  // x without a gradient stays so, and the host may call with gradients off.
  auto batch = annotated(4, 4, 12, torch::ones({4, 4}, torch::kDouble));
  torch::Tensor value;
  {
    torch::NoGradGuard off;
    value = rrr->penalty(model, batch, 0, ctx);
  }
  EXPECT_TRUE(value.requires_grad());
  EXPECT_FALSE(batch.x.requires_grad());
  EXPECT_FALSE(batch.x.grad().defined());
  // x that requires its gradient: the penalty is differentiable in x as well.
  auto x = batch.x.clone().requires_grad_(true);
  auto with_grad = batch;
  with_grad.x = x;
  auto penalty = rrr->penalty(model, with_grad, 0, ctx);
  EXPECT_NEAR(penalty.item<double>(), value.item<double>(), 1e-12 * value.item<double>());
  EXPECT_TRUE(x.requires_grad());
  auto dx = torch::autograd::grad({penalty}, {x})[0];
  EXPECT_GT(dx.abs().max().item<double>(), 0.0);
}

TEST(Rrr, IsZeroWithoutAnnotations) {
  LinearLogits model(linear_weights(), linear_biases());
  auto batch = annotated(5, 4, 13);
  ASSERT_FALSE(batch.annotations.defined());
  for (auto task : {xreg::Task::multiclass, xreg::Task::binary}) {
    auto value =
        make_plugin<xreg::Regularizer>("rrr")->penalty(model, batch, 0, task_context(task));
    EXPECT_EQ(value.item<double>(), 0.0);
    EXPECT_EQ(value.dim(), 0);
  }
}

TEST(Rrr, RefusesRegressionAndBadParameters) {
  LinearLogits model(linear_weights(), linear_biases());
  auto rrr = make_plugin<xreg::Regularizer>("rrr");
  for (auto batch : {annotated(5, 4, 14), annotated(5, 4, 14, torch::ones({5, 4}))}) {
    try {
      rrr->penalty(model, batch, 0, task_context(xreg::Task::regression));
      ADD_FAILURE() << "accepted a regression task";
    } catch (const xreg::PluginRefusal& e) {
      EXPECT_NE(std::string(e.what()).find("class probabilities"), std::string::npos) << e.what();
    }
  }
  // Annotations of another shape than x.
  EXPECT_THROW(rrr->penalty(model, annotated(5, 4, 14, torch::ones({5, 3})), 0,
                            task_context(xreg::Task::multiclass)),
               xreg::PluginRefusal);
  EXPECT_TRUE(xreg::testing::refuses("rrr", rrr_params("log_sum", -1.0),
                                     "lambda: expected a value >= 0.0, found -1.0"));
  EXPECT_TRUE(xreg::testing::refuses("rrr", rrr_params("sum", 1.0),
                                     "output: expected one of the choices, found 'sum'"));
}

TEST(Rrr, RefusesAPassBeyondTheMemoryBudget) {
  LinearLogits model(linear_weights(), linear_biases());
  auto ctx = task_context(xreg::Task::multiclass);
  ctx.max_rows_per_pass = 4;
  auto rrr = make_plugin<xreg::Regularizer>("rrr");
  EXPECT_NO_THROW(rrr->penalty(model, annotated(4, 4, 15, torch::ones({4, 4})), 0, ctx));
  EXPECT_THROW(rrr->penalty(model, annotated(5, 4, 15, torch::ones({5, 4})), 0, ctx),
               xreg::PluginRefusal);
}

}  // namespace
