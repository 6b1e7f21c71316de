// RRR on toy colors, end to end: the example pipelines (one trial each) reproduce the paper's
// claims (Ross et al. §4; ../shared/reference/rrr_reference.csv): without annotations the
// network learns one rule (the corners); with the corners annotated it learns the other (the top
// middle) at full accuracy; find-another-explanation's second model finds the second rule.
#include <gtest/gtest.h>

#include <cmath>

#include "plugin_test_support.hpp"
#include "xreg/host/config/document.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/run/runner.hpp"

namespace {

xreg::RunReport run_example(const std::string& name) {
  const std::string file = std::string(XREG_SOURCE_DIR) + "/examples/rrr/" + name + ".toml";
  auto document = xreg::read_pipeline_file(file, {"run.trials=1"});
  return xreg::run_pipeline(xreg::validate_pipeline(document, xreg::testing::built_plugins()),
                            xreg::testing::built_plugins());
}

double aggregate(const xreg::RunReport& report, const std::string& metric) {
  for (const auto& m : report.aggregate) {
    if (m.metric == metric) return m.mean;
  }
  ADD_FAILURE() << "no metric " << metric;
  return NAN;
}

TEST(RrrToyColors, AnnotatingTheCornersTeachesTheTopMiddleRule) {
  // Reference: test accuracy 1.0 with the corners annotated (rule 2 learned).
  const auto report = run_example("toy_colors_corners");
  EXPECT_GT(aggregate(report, "accuracy"), 0.99);
  EXPECT_LT(aggregate(report, "saliency/corner_mass"), 0.02);
  EXPECT_GT(aggregate(report, "saliency/top_middle_mass"), 0.7);
}

TEST(RrrToyColors, FindAnotherExplanationFindsTheSecondRule) {
  // Reference: A = 0 gives 0.9998 (the corners learned), FAE's second model 0.9915.
  const auto report = run_example("toy_colors_find_another");
  EXPECT_GT(aggregate(report, "iteration-0/accuracy"), 0.99);
  EXPECT_GT(aggregate(report, "iteration-0/saliency/corner_mass"), 0.8);
  EXPECT_GT(aggregate(report, "iteration-1/annotated_fraction"), 0.0);
  EXPECT_GT(aggregate(report, "iteration-1/accuracy"), 0.97);
  EXPECT_GT(aggregate(report, "iteration-1/saliency/top_middle_mass"), 0.5);
  EXPECT_LT(aggregate(report, "iteration-1/saliency/corner_mass"),
            0.5 * aggregate(report, "iteration-0/saliency/corner_mass"));
}

}  // namespace
