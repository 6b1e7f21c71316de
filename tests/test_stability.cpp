// The stability metric plugin on cases whose answer is known in closed form, and the indices it
// gives the points it re-explains.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"
#include "xreg/host/errors.hpp"

namespace {

using xreg::testing::double_context;
using xreg::testing::metric_values;
using xreg::testing::normal_points;
using xreg::testing::params;
using xreg::testing::TangentExplainer;

constexpr double kSigma = 0.3;
constexpr int64_t kSamples = 20000;

xreg::Params many_samples() { return params({{"sigma", kSigma}, {"samples", kSamples}}); }

TEST(Stability, IsZeroForTheExactExplanationOfALinearModel) {
  xreg::testing::LinearModel f(torch::tensor({{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}}, torch::kDouble),
                               torch::tensor({0.25, -4.0}, torch::kDouble));
  TangentExplainer exact;
  auto points = normal_points(40, 3, 1).points;
  auto values = metric_values("stability", {}, f, points, &exact, double_context());
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{40, 2}));
  EXPECT_LT(values.max().item<double>(), 1e-20);
}

// For f(x) = ‖x‖² the tangent is c(x) = [-‖x‖², 2x], so with x' = x + σε
// ‖c(x') - c(x)‖² = (2σxᵀε + σ²‖ε‖²)² + 4σ²‖ε‖², of mean 4σ²(‖x‖² + d) + σ⁴(d² + 2d).
TEST(Stability, OfTheTangentOfTheSquaredNormHasAClosedForm) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer tangent;
  auto points = normal_points(10, 3, 2).points;
  auto ctx = double_context();
  auto values = metric_values("stability", many_samples(), f, points, &tangent, ctx).squeeze(1);
  // The same draws, replayed: exact.
  auto steps = kSigma * ctx.normal("stability", points.index, {kSamples, 3});
  auto x = points.x.unsqueeze(1);
  auto intercept_change = (x + steps).pow(2).sum(2) - x.pow(2).sum(2);
  auto replayed = (intercept_change.pow(2) + 4 * steps.pow(2).sum(2)).mean(1);
  EXPECT_TRUE(torch::allclose(values, replayed, 1e-10, 0));
  // In expectation, per point; Monte-Carlo error about 1% here.
  const double s2 = kSigma * kSigma, d = 3;
  auto expected = 4 * s2 * (points.x.pow(2).sum(1) + d) + s2 * s2 * (d * d + 2 * d);
  EXPECT_TRUE(torch::allclose(values, expected, 0.05, 0)) << values << expected;
}

// An attribution has no intercept: c(x) = [0, 2x] and ‖c(x') - c(x)‖² = 4σ²‖ε‖², of mean 4σ²d.
TEST(Stability, OfAnAttributionComparesTheCoefficientsOnly) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer saliency({xreg::Explanation::Kind::attribution});
  auto points = normal_points(10, 3, 3).points;
  auto ctx = double_context();
  auto values = metric_values("stability", many_samples(), f, points, &saliency, ctx);
  auto steps = kSigma * ctx.normal("stability", points.index, {kSamples, 3});
  EXPECT_TRUE(torch::allclose(values.squeeze(1), 4 * steps.pow(2).sum(2).mean(1), 1e-10, 0));
  EXPECT_NEAR(values.mean().item<double>(), 4 * kSigma * kSigma * 3, 0.01);
}

TEST(Stability, LegacyExpoIsZeroForADeterministicExplainer) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer tangent;
  auto values = metric_values("stability", params({{"legacy_expo", true}}), f,
                              normal_points(30, 3, 4).points, &tangent, double_context());
  EXPECT_LT(values.max().item<double>(), 1e-20);
}

// Fresh explanations of the same x with independent noise τ·N(0, I) on all d + 1 entries:
// ‖τ(ε_j - ε_0)‖² has mean 2τ²(d + 1).
TEST(Stability, LegacyExpoMeasuresTheExplainersSamplingVariance) {
  xreg::testing::SquaredNormModel f;
  const double tau = 0.5;
  TangentExplainer noisy({xreg::Explanation::Kind::linear, 0, /*noise=*/tau});
  auto values =
      metric_values("stability", params({{"legacy_expo", true}, {"samples", int64_t{20}}}), f,
                    normal_points(2000, 3, 5).points, &noisy, double_context());
  const double expected = 2 * tau * tau * (3 + 1);
  EXPECT_GT(values.min().item<double>(), 0);
  EXPECT_NEAR(values.mean().item<double>(), expected, 0.04 * expected);  // about 4 SE
}

TEST(Stability, ReexplainsAllCopiesInOneCallUnderIndicesOfTheirOwn) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer recording;
  auto points = normal_points(6, 2, 6).points;
  points.index = torch::arange(6) * 7 + 3;
  const int64_t samples = 4;
  metric_values("stability", params({{"samples", samples}}), f, points, &recording,
                double_context());
  ASSERT_EQ(recording.explained_indices.size(), 2u);  // the points, then all their copies
  auto copies = recording.explained_indices[1];
  auto expected = (int64_t{1} << 40) + points.index.unsqueeze(1) * samples + torch::arange(samples);
  EXPECT_TRUE(torch::equal(copies, expected.flatten()));
  EXPECT_EQ(std::get<0>(torch::_unique(copies)).numel(), copies.numel());
  EXPECT_FALSE(torch::isin(copies, points.index).any().item<bool>());
}

TEST(Stability, SameValuesWhateverTheBatching) {
  xreg::testing::SquaredNormModel f;
  TangentExplainer noisy({xreg::Explanation::Kind::linear, 0, /*noise=*/0.1});
  auto points = normal_points(127, 3, 7).points;
  for (bool legacy : {false, true}) {
    EXPECT_TRUE(xreg::testing::same_values_whatever_the_batching(
        "stability", params({{"legacy_expo", legacy}}), f, points, &noisy))
        << "legacy_expo " << legacy;
  }
}

TEST(Stability, RefusesBadParameters) {
  EXPECT_TRUE(xreg::testing::refuses_empty_perturbations("stability", "sigma"));
}

}  // namespace
