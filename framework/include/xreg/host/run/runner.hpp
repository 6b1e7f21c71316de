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
#include "xreg/sdk/explanation.hpp"

namespace xreg {

class Cluster;

/// One metric's summary over points (a trial) or over trials (the aggregate).
struct MetricSummary {
  std::string metric;   ///< "mse", or "<explainer>/<metric>" for explanation metrics
  int64_t output = -1;  ///< the explained output's index; -1 when the metric has one column
  double mean = 0.0;
  double sd = 0.0;    ///< sample standard deviation (n - 1); 0 for n = 1
  int64_t count = 0;  ///< points (trial) or trials (aggregate)
};

/// One metric's value at each test point of a trial: what the trial's MetricSummary rows
/// summarize, kept so that a user can find the worst-explained points.
struct PointValues {
  std::string metric;    ///< as MetricSummary::metric
  torch::Tensor index;   ///< int64 [N]: each point's index in the test split
  torch::Tensor values;  ///< double [N], or [N, k] for one column per explained output
};

/// One explainer's explanations of a trial's test points, as explanations/<explainer>/ holds
/// them (report.hpp): in the order of the points' index in the test split whatever the threads
/// and processes that computed them, on the CPU.
struct ExplainedPoints {
  std::string explainer;                   ///< its slot's label, as metric names use it
  torch::Tensor index;                     ///< int64 [N]: each point's index in the test split
  Explanation explanation;                 ///< coefficients [N, k, d] and the rest
  std::vector<std::string> feature_names;  ///< the data's columns; empty for images
  bool tabular = true;                     ///< points are rows of features (not images)
  /// Images: the first points' inputs [m, C, H, W], for the attribution figure; else undefined.
  torch::Tensor preview;
};

/// A trial's trained model as models/ holds it (report.hpp).
struct SavedModel {
  /// Whether `bytes` are a TorchScript module (torch.jit.save's format); else a pickled list of
  /// the model's state() tensors, for a plugin that does not export TorchScript.
  bool torchscript = false;
  std::string bytes;  ///< empty: no model was kept
};

/// One find-another-explanation iteration's results, as its files hold them (report.hpp).
struct FindAnotherIteration {
  std::vector<MetricSummary> metrics;  ///< its model's rows, without the "iteration-<t>/" prefix
  torch::Tensor mask;                  ///< A_t+1, uint8 of the training inputs' shape
};

struct TrialReport {
  int64_t trial = 0;
  bool trained = false;
  TrainResult training;
  /// With [find_another]: every iteration's rows, named "iteration-<t>/<metric>", and
  /// "iteration-<t>/annotated_fraction"; `training` is then the last iteration's.
  std::vector<MetricSummary> metrics;
  std::vector<PointValues> points;  ///< the per-point values behind `metrics`
  std::vector<std::string> notes;   ///< data remarks, calibrated weights
  ConceptFigures concepts;          ///< a self-explaining model's learned concepts, if any
  std::vector<FindAnotherIteration> find_another;  ///< with [find_another]: each iteration
  /// Each explainer's explanations of the test points; with [find_another], the last model's.
  std::vector<ExplainedPoints> explanations;
  SavedModel model;  ///< the trained model (with [find_another], the last); kept by rank 0
};

struct RunReport {
  std::vector<TrialReport> trials;
  std::vector<MetricSummary> aggregate;
};

struct RunOptions {
  std::ostream* log = nullptr;  ///< progress lines; nullptr: silent
  /// Redraw a stage's progress line in place (a terminal) instead of one line per update.
  bool redraw_progress = false;
  /// The processes of a multi-process run (nullptr: this one alone); see run_pipelines.
  Cluster* cluster = nullptr;
  /// The run's output folder, for the files a run writes while it goes ([find_another]'s
  /// per-iteration files, see report.hpp); empty: none are written.
  std::string output;
  /// Go on with the run `output` holds (`xreg run --resume`): keep the trials it finished and
  /// continue the one it was training from its checkpoint (checkpoints.hpp). Every run in one
  /// process with an output folder writes those checkpoints.
  bool resume = false;
};

/// Runs every trial of `pipeline`. Plugin failures surface as RunError, bad data or
/// configuration as ConfigError.
RunReport run_pipeline(const Pipeline& pipeline, const Registry& registry,
                       const RunOptions& options = {});

/// Runs every trial of each of `pipelines` (the points of a sweep), pipeline i writing the
/// files it writes while it goes into `outputs[i]` (empty: none). With options.cluster, the
/// work is spread over the ranks as the first pipeline's [run] parallel says:
///   "trials": each (pipeline, trial) a job, job j on rank j mod size; each trial's report goes
///             to rank 0, which writes the files the trials would have written as they went;
///   "points": every rank trains every trial's model; each explains and scores a contiguous
///             block of the test points' global indices and rank 0 gathers the per-point values;
///   "auto":   "trials" when there are at least as many jobs as ranks, else "points".
/// Either way rank 0's reports hold what one process computes, bit for bit (a point's result
/// depends only on the seed, its stream and its global index); the other ranks' are empty.
std::vector<RunReport> run_pipelines(const std::vector<Pipeline>& pipelines,
                                     const Registry& registry, const RunOptions& options,
                                     const std::vector<std::string>& outputs);

/// Mean and sample SD of each column of per-point values [N] or [N, k].
std::vector<MetricSummary> summarize(const std::string& metric, const torch::Tensor& values);

}  // namespace xreg
