// examples/housing_explanations.toml against the reference implementation's metric values on the
// same model (../shared/reference/peers.md: ExpO's metrics_lime / metrics_maple, 5 seeds).
// Bands are wide enough for Monte-Carlo noise over two seeds, narrow enough to catch a wrong
// kernel, neighborhood or back-transform.
#include <gtest/gtest.h>

#include <map>

#include "data_test_support.hpp"
#include "plugin_test_support.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/run/runner.hpp"

namespace {

struct Band {
  double reference, low, high;
};

TEST(HousingExplanations, AgreeWithTheReferenceImplementation) {
  if (!xreg::testing::have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "no ../shared";
  const std::string file = std::string(XREG_SOURCE_DIR) + "/examples/housing_explanations.toml";
  const auto document = xreg::read_pipeline_file(file, {"run.trials=2"});
  const auto pipeline = xreg::validate_pipeline(document, xreg::testing::built_plugins());
  const auto report = xreg::run_pipeline(pipeline, xreg::testing::built_plugins());
  std::map<std::string, double> measured;
  for (const auto& m : report.aggregate) measured[m.metric] = m.mean;

  const std::map<std::string, Band> expected = {
      {"mse", {0.1211, 0.1206, 0.1216}},
      {"lime/point_fidelity", {0.124, 0.105, 0.143}},
      {"lime/neighborhood_fidelity", {0.125, 0.106, 0.144}},
      {"lime/stability_expo", {0.0034, 0.0026, 0.0043}},
      {"maple/point_fidelity", {0.040, 0.030, 0.050}},
      {"maple/neighborhood_fidelity", {0.043, 0.033, 0.055}},
      {"maple/stability", {0.080, 0.055, 0.110}},
      {"neighborhood_variance", {0.0099, 0.0084, 0.0114}},
  };
  for (const auto& [metric, band] : expected) {
    ASSERT_TRUE(measured.count(metric)) << metric;
    EXPECT_GE(measured[metric], band.low) << metric << " (reference " << band.reference << ")";
    EXPECT_LE(measured[metric], band.high) << metric << " (reference " << band.reference << ")";
    RecordProperty(metric, std::to_string(measured[metric]));
  }
}

}  // namespace
