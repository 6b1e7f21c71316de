// examples/housing_explanations.toml against the reference implementation's metric values on the
// same model (../shared/reference/peers.md: ExpO's metrics_lime / metrics_maple, 5 seeds).
// How the bands are sized: the run below averages two trials; the reference, five seeds. Over
// 20 trials of this pipeline (xreg run ... --set run.trials=20, 2026-12-02) a trial's value has
// SD σ = 0.0026 (LIME-PF), 0.0025 (LIME-NF), 8.1e-5 (LIME-S), 0.0015 (MAPLE-PF), 0.0023
// (MAPLE-NF), 0.018 (MAPLE-S), 3.1e-4 (neighborhood variance). The difference of a two-trial
// mean and a five-seed mean has SD σ·√(1/2 + 1/5) = 0.84σ; each band is the reference ± 3.5 of
// those (±6 % to ±16 %), so Monte-Carlo noise alone leaves it with probability < 1e-3 and a
// wrong kernel, neighborhood or back-transform does not fit in it. MAPLE-S is the exception:
// its noise (15 % for two trials) needs ±66 %, a bound that catches gross errors only. (It was
// once the 2-trial value's ±1.7 of those SDs, a regression check of one run's draws; SDK 3.0's
// Philox streams drew it anew, at 0.112, 2.1 SDs from the reference.)
// The MSE is of a fixed model: the reference's four digits.
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
      {"mse", {0.1211, 0.12105, 0.12115}},
      {"lime/point_fidelity", {0.124, 0.1164, 0.1316}},
      {"lime/neighborhood_fidelity", {0.125, 0.1177, 0.1323}},
      {"lime/stability_expo", {0.0034, 0.00316, 0.00364}},
      {"maple/point_fidelity", {0.040, 0.0357, 0.0443}},
      {"maple/neighborhood_fidelity", {0.043, 0.0362, 0.0498}},
      {"maple/stability", {0.080, 0.027, 0.133}},
      {"neighborhood_variance", {0.0099, 0.00899, 0.01081}},
  };
  for (const auto& [metric, band] : expected) {
    ASSERT_TRUE(measured.count(metric)) << metric;
    EXPECT_GE(measured[metric], band.low) << metric << " (reference " << band.reference << ")";
    EXPECT_LE(measured[metric], band.high) << metric << " (reference " << band.reference << ")";
    RecordProperty(metric, std::to_string(measured[metric]));
  }
}

}  // namespace
