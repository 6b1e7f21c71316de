// The annotation_mass metric on explanations whose masks are known by hand.
#include <gtest/gtest.h>

#include "analytic_models.hpp"
#include "explanation_metric_support.hpp"
#include "xreg/host/errors.hpp"

namespace {

using xreg::testing::make_plugin;

struct Case {
  xreg::testing::LinearModel model{torch::zeros({1, 4}, torch::kDouble),
                                   torch::zeros({1}, torch::kDouble)};
  xreg::testing::TangentExplainer explainer;
  xreg::Explanation explanation;
  xreg::Batch points;
  xreg::Dataset train;

  /// Attributions g [3, 1, 4] of three points: masks |g| > 0.67·max|g| of {0, 2}, none (g = 0)
  /// and {0, 1, 2}; the last point's 0.67 sits exactly at the threshold and is left out.
  Case() {
    explanation.kind = xreg::Explanation::Kind::attribution;
    explanation.coefficients =
        torch::tensor({{{1.0, 0.5, 0.9, 0.1}}, {{0.0, 0.0, 0.0, 0.0}}, {{-2.0, 1.4, 1.35, 1.34}}},
                      torch::kDouble);
    points.x = torch::zeros({3, 4}, torch::kDouble);
    points.index = torch::arange(3);
    train.feature_names = {"a", "b", "c", "d"};
  }

  torch::Tensor values(const xreg::Params& params = {}) {
    auto metric = make_plugin<xreg::Metric>("annotation_mass", params);
    xreg::MetricInput in{model, points, xreg::Task::multiclass, &explainer, &explanation, &train};
    return metric->evaluate(in, xreg::Context{}).values;
  }
};

xreg::Params features(std::vector<std::string> names) {
  xreg::Params p;
  p.set("features", std::move(names));
  return p;
}

TEST(AnnotationMass, IsTheFractionOfTheMaskInsideEachPointsAnnotations) {
  Case c;
  c.points.annotations = torch::tensor({{1, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 1}});
  auto values = c.values();
  ASSERT_EQ(values.sizes(), (torch::IntArrayRef{3, 1}));
  EXPECT_DOUBLE_EQ(values[0][0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(values[1][0].item<double>(), 0.0) << "an empty mask scores 0";
  EXPECT_DOUBLE_EQ(values[2][0].item<double>(), 2.0 / 3.0);
}

TEST(AnnotationMass, TheThresholdIsStrict) {
  Case c;
  c.explanation.coefficients = torch::tensor({{{1.0, 0.67, 0.0, 0.0}}}, torch::kDouble);
  c.points = c.points.slice(0, 1);
  auto values = c.values(features({"b"}));
  EXPECT_DOUBLE_EQ(values[0][0].item<double>(), 0.0) << "0.67 is not above 0.67 · 1";
  xreg::Params lower = features({"b"});
  lower.set("threshold", 0.5);
  EXPECT_DOUBLE_EQ(c.values(lower)[0][0].item<double>(), 0.5);
}

TEST(AnnotationMass, TakesTheRegionFromFeatureNamesOrIndices) {
  Case c;
  auto by_name = c.values(features({"a", "c"}));
  EXPECT_TRUE(torch::equal(by_name, torch::tensor({{1.0}, {0.0}, {2.0 / 3.0}}, torch::kDouble)));
  EXPECT_TRUE(torch::equal(c.values(features({"0", "2"})), by_name));
}

TEST(AnnotationMass, RefusesWithoutARegionAndUnknownFeatures) {
  Case c;
  // The host reports a plugin's std::invalid_argument as a refusal naming the plugin.
  EXPECT_THROW(c.values(), xreg::PluginRefusal);
  try {
    c.values(features({"e"}));
    ADD_FAILURE() << "an unknown feature was accepted";
  } catch (const xreg::PluginRefusal& e) {
    EXPECT_NE(std::string(e.what()).find("annotation_mass: features: expected a feature name or "
                                         "an index below 4, found 'e'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(c.values(features({"4"})), xreg::PluginRefusal);
}

}  // namespace
