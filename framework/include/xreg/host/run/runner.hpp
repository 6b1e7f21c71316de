#pragma once
/// Runs a validated pipeline: for each trial a fresh split and initialization, training,
/// explanations and metrics; then the mean and spread over trials.

#include <iosfwd>
#include <string>
#include <vector>

#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/host/report/concepts.hpp"
#include "xreg/host/run/trainer.hpp"

namespace xreg {

/// One metric's summary over points (a trial) or over trials (the aggregate).
struct MetricSummary {
  std::string metric;   ///< "mse", or "<explainer>/<metric>" for explanation metrics
  int64_t output = -1;  ///< the explained output's index; -1 when the metric has one column
  double mean = 0.0;
  double sd = 0.0;    ///< sample standard deviation (n - 1); 0 for n = 1
  int64_t count = 0;  ///< points (trial) or trials (aggregate)
};

struct TrialReport {
  int64_t trial = 0;
  bool trained = false;
  TrainResult training;
  /// With [find_another]: every iteration's rows, named "iteration-<t>/<metric>", and
  /// "iteration-<t>/annotated_fraction"; `training` is then the last iteration's.
  std::vector<MetricSummary> metrics;
  std::vector<std::string> notes;  ///< data remarks, calibrated weights
  ConceptFigures concepts;         ///< a self-explaining model's learned concepts, if any
};

struct RunReport {
  std::vector<TrialReport> trials;
  std::vector<MetricSummary> aggregate;
};

struct RunOptions {
  std::ostream* log = nullptr;  ///< progress lines; nullptr: silent
  /// The run's output folder, for the files a run writes while it goes ([find_another]'s
  /// per-iteration files, see report.hpp); empty: none are written.
  std::string output;
};

/// Runs every trial of `pipeline`. Plugin failures surface as RunError, bad data or
/// configuration as ConfigError.
RunReport run_pipeline(const Pipeline& pipeline, const Registry& registry,
                       const RunOptions& options = {});

/// Mean and sample SD of each column of per-point values [N] or [N, k].
std::vector<MetricSummary> summarize(const std::string& metric, const torch::Tensor& values);

}  // namespace xreg
