#pragma once
/// What a run leaves in its output folder, every file written atomically and durably (a
/// temporary file in the same folder, flushed to the disk, then a rename), so a crash never
/// leaves a half-written file. The set is published by `run.complete`, written last and removed
/// first when a run writes into the folder again: a folder without it (a run killed while
/// writing) mixes two runs' files and is not a result.
///   pipeline.resolved.toml  the pipeline with every default filled in
///   plugins.json            name, kind, version, library and build stamp of each plugin used
///   metrics_trials.csv      one row per trial, metric and output
///   metrics.csv             one row per metric and output: mean and SD over trials
///   metrics_points.csv      one row per trial, metric, output and test point (its index in the
///                           test split): the values behind metrics_trials.csv
///   metrics.json            both of the above, and the training record of each trial, with its
///                           curves ("history": per epoch the train and validation losses and
///                           each regularizer's weighted penalty)
///   explanations/           <explainer>/trial-<t>.pt: each explainer's explanations of trial t's
///                           test points (the explainer's slot label, other bytes than letters,
///                           digits, '_', '-', '.' as %XX), a dict of tensors for Python's
///                           torch.load: "index" (int64 [N], each point's index in the test
///                           split), "coefficients" [N, k, d], and as the explainer gives them
///                           "intercepts" and "prediction" [N, k], "classes" [N],
///                           "diagnostics/<name>"; with [find_another], the last model's. For
///                           tabular data also trial-<t>.csv (point,output,feature,coefficient;
///                           feature: the column's name), not for images, whose CSV would be
///                           a row per pixel; for images trial-<t>-maps.png, the first test
///                           points and their attribution maps
///   models/                 trial-<t>.pt: trial t's trained model (with [find_another], the
///                           last) as a TorchScript module, for Python's torch.jit.load and the
///                           torchscript model plugin; trial-<t>-parameters.pt instead, a
///                           list of its state() tensors, when its plugin exports no TorchScript
///   concepts/               a self-explaining model's learned concepts, per trial (concepts.hpp)
///   find_another/           [find_another] runs: trial-<t>-iteration-<i>.csv, the metric rows
///                           of iteration i's model, and trial-<t>-iteration-<i>-mask.pt, the
///                           union mask A_i+1 (uint8, x's shape; torch.load), each written as
///                           soon as its iteration ends
///   report.html             the run on one self-contained page, from the files above alone
///                           (html_report.hpp; `xreg report` rebuilds it)
///   run.complete            the marker: every file above belongs to one finished run

#include <cstddef>
#include <string>
#include <vector>

#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/config/sweep.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/host/run/runner.hpp"

namespace xreg {

/// Writes `content` to `path` atomically and durably (fsync of the file, then of its folder
/// after the rename). Throws RunError naming the file and the reason on failure.
void write_file_atomically(const std::string& path, const std::string& content);

/// Creates the output folder and checks that files can be written in it, before any work, so
/// that an unusable folder is found before a run rather than after it. Throws ConfigError
/// naming the folder and the reason.
void prepare_output_folder(const std::string& folder);

/// Writes the run's files into `folder` (created if needed): removes `run.complete` and stale
/// temporary files, writes every file, then `run.complete`.
void write_report(const Pipeline& pipeline, const Registry& registry, const RunReport& report,
                  const std::string& folder);

/// Marks the run in `folder` failed: removes `run.complete`, writes `run.failed` with `reason`.
/// Best effort (nothing is written when the folder is unusable); never throws.
void mark_run_failed(const std::string& folder, const std::string& reason) noexcept;

/// Readies `folder` for a run that writes find-another-explanation files while it goes: removes
/// `run.complete` (the folder stops reading as a result) and an earlier run's find_another/.
void begin_find_another_output(const std::string& folder);

/// Writes iteration `iteration` of trial `trial` of find-another-explanation into
/// `folder`/find_another/: its metric rows as CSV (metric,output,mean,sd,points) and `mask`
/// (the union mask, nonzero = annotated) as a uint8 tensor saved with torch::pickle_save, each
/// atomically.
void write_find_another_iteration(const std::string& folder, int64_t trial, int64_t iteration,
                                  const std::vector<MetricSummary>& metrics,
                                  const torch::Tensor& mask);

/// The aggregated metrics as an aligned text table for the terminal.
std::string results_table(const RunReport& report);

/// The run folder of sweep point `index` in the sweep's folder `folder`: points/<index>.
std::string sweep_point_folder(const std::string& folder, size_t index);

/// Readies `folder` for a sweep: removes `run.complete` (the folder stops reading as a result)
/// and an earlier sweep's points/.
void begin_sweep_output(const std::string& folder);

/// Writes a sweep's sweep.csv and sweep.svg into `folder`, then `run.complete`; each point's own
/// files are written by write_report into sweep_point_folder(folder, i) first. `reports[i]` is the
/// run of `points[i]`.
void write_sweep_report(const std::vector<SweepPoint>& points,
                        const std::vector<RunReport>& reports, const std::string& folder);

/// A sweep's results as an aligned text table for the terminal: a row per point with its swept
/// values and each metric's "mean (sd)" over trials.
std::string sweep_table(const std::vector<SweepPoint>& points,
                        const std::vector<RunReport>& reports);

}  // namespace xreg
