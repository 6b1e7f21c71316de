// Faithfulness on models whose feature importances are known: a logistic model explained by its
// own weights correlates with the probability drops of removing each feature, and an explanation
// with the weights reversed anti-correlates.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"

namespace {

using xreg::testing::metric_values;

/// Explains every point by fixed coefficients [k, d] (a linear explanation with zero intercept).
class FixedExplainer final : public xreg::Explainer {
 public:
  explicit FixedExplainer(torch::Tensor coefficients) : coefficients_(std::move(coefficients)) {}
  xreg::Explanation explain(xreg::Model&, const xreg::Batch& points,
                            const xreg::Context&) override {
    xreg::Explanation e;
    e.coefficients = coefficients_.unsqueeze(0).expand({points.size(), -1, -1}).clone();
    e.intercepts = torch::zeros({points.size(), coefficients_.size(0)}, torch::kDouble);
    return e;
  }

 private:
  torch::Tensor coefficients_;
};

/// Pearson correlation of two vectors.
double correlation(const torch::Tensor& a, const torch::Tensor& b) {
  auto da = a - a.mean(), db = b - b.mean();
  return ((da * db).sum() / (da.norm() * db.norm())).item<double>();
}

const torch::Tensor kWeights = torch::tensor({{2.0, -1.0, 0.5, 0.0, 1.5}}, torch::kDouble);

xreg::Params zero_baseline() {
  xreg::Params p;
  p.set("baseline", std::string("zero"));
  return p;
}

TEST(Faithfulness, EqualsTheCorrelationWithEachFeaturesProbabilityDrop) {
  xreg::testing::LinearModel f(kWeights, torch::zeros({1}, torch::kDouble));
  // Points near (1, ..., 1), where removing feature i moves the logit by about w_i: the
  // weights are the true importances there.
  auto points = xreg::testing::normal_points(25, 5, 1, torch::kDouble, xreg::Task::binary).points;
  points.x = 1 + 0.1 * points.x;
  FixedExplainer own(kWeights);
  auto values = metric_values("faithfulness", zero_baseline(), f, points, &own,
                              xreg::testing::double_context(), xreg::Task::binary);
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{25}));
  for (int64_t n = 0; n < 25; ++n) {
    auto x = points.x[n];
    auto s = kWeights[0].dot(x);
    // The predicted class's probability, and its relevance: the weights, negated for class 0.
    const double sign = s.item<double>() > 0 ? 1.0 : -1.0;
    auto p = [&](const torch::Tensor& logit) { return torch::sigmoid(sign * logit); };
    auto drop = p(s) - p(s - kWeights[0] * x);  // feature i set to 0
    EXPECT_NEAR(values[n].item<double>(), correlation(sign * kWeights[0], drop), 1e-12) << n;
  }
  EXPECT_GT(values.min().item<double>(), 0.8);
  auto one_point_per_pass = xreg::testing::double_context();
  one_point_per_pass.max_rows_per_pass = 7;  // the removals of one point per chunk
  EXPECT_TRUE(torch::equal(values, metric_values("faithfulness", zero_baseline(), f, points, &own,
                                                 one_point_per_pass, xreg::Task::binary)));
  FixedExplainer reversed(-kWeights);
  auto wrong = metric_values("faithfulness", zero_baseline(), f, points, &reversed,
                             xreg::testing::double_context(), xreg::Task::binary);
  EXPECT_TRUE(torch::allclose(wrong, -values, 0, 1e-12));
}

TEST(Faithfulness, RemovesConceptsBySettingTheirRelevanceToZero) {
  torch::manual_seed(3);
  auto model = xreg::testing::make_plugin<xreg::Model>("senn");
  auto ctx = xreg::testing::double_context();
  ctx.task = xreg::Task::multiclass;
  model->build({{4}, 3, xreg::Task::multiclass}, ctx);
  auto points =
      xreg::testing::normal_points(15, 4, 2, torch::kDouble, xreg::Task::multiclass).points;
  auto explainer = xreg::testing::make_plugin<xreg::Explainer>("senn");
  auto values = metric_values("faithfulness", {}, *model, points, explainer.get(), ctx,
                              xreg::Task::multiclass);
  auto extras = model->extras(points.x);
  for (int64_t n = 0; n < 15; ++n) {
    auto theta = extras.at("theta")[n], h = extras.at("concepts")[n];  // [c, k], [c]
    auto logits = torch::matmul(h, theta);
    const int64_t predicted = logits.argmax().item<int64_t>();
    std::vector<double> drops;
    for (int64_t c = 0; c < h.size(0); ++c) {
      auto without = logits - theta[c] * h[c];
      drops.push_back((torch::softmax(logits, 0)[predicted] - torch::softmax(without, 0)[predicted])
                          .item<double>());
    }
    EXPECT_NEAR(values[n].item<double>(),
                correlation(theta.select(1, predicted), torch::tensor(drops, torch::kDouble)),
                1e-12)
        << n;
  }
}

TEST(Faithfulness, ContributionsFollowTheDropsWhereFeaturesTakeBothSigns) {
  xreg::testing::LinearModel f(kWeights, torch::zeros({1}, torch::kDouble));
  auto points = xreg::testing::normal_points(25, 5, 4, torch::kDouble, xreg::Task::binary).points;
  FixedExplainer own(kWeights);
  auto params = zero_baseline();
  params.set("relevance", std::string("contribution"));
  auto values = metric_values("faithfulness", params, f, points, &own,
                              xreg::testing::double_context(), xreg::Task::binary);
  for (int64_t n = 0; n < 25; ++n) {
    auto x = points.x[n];
    const double sign = kWeights[0].dot(x).item<double>() > 0 ? 1.0 : -1.0;
    auto s = kWeights[0].dot(x);
    auto drop = torch::sigmoid(sign * s) - torch::sigmoid(sign * (s - kWeights[0] * x));
    EXPECT_NEAR(values[n].item<double>(), correlation(sign * kWeights[0] * x, drop), 1e-12) << n;
  }
  // The drop is a monotone function of each contribution: the correlation is near 1.
  EXPECT_GT(values.mean().item<double>(), 0.9);
}

TEST(Faithfulness, NeedsTheTrainingMeanForTheMeanBaseline) {
  xreg::testing::LinearModel f(kWeights, torch::zeros({1}, torch::kDouble));
  auto points = xreg::testing::normal_points(5, 5, 1, torch::kDouble, xreg::Task::binary).points;
  FixedExplainer own(kWeights);
  try {
    metric_values("faithfulness", {}, f, points, &own, xreg::testing::double_context(),
                  xreg::Task::binary);
    FAIL() << "the mean baseline was used without a training split";
  } catch (const xreg::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("needs the training split's mean"), std::string::npos)
        << e.what();
  }
}

}  // namespace
