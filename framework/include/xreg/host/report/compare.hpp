#pragma once
/// `xreg compare`: finished runs side by side, a row per metric and a column per run, the shape
/// of ExpO's Table 2. Each run's value of a metric is the mean (sample SD) over its trials of the
/// trials' means (metrics_trials.csv, as metrics.csv summarizes them); every run after the first
/// is also set against the first: the relative change of its mean and a two-sided Welch t-test
/// of its trials' values against the first run's, so that "ExpO-Fidelity lowered LIME-NF by 56%"
/// comes with how far that could be chance over the trials run.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace xreg {

/// One run's summary of one metric.
struct ComparedValue {
  int64_t trials = 0;          ///< trials with a value; 0: the run has no such metric
  double mean = std::nan("");  ///< over the trials' values
  double sd = std::nan("");    ///< sample SD (n - 1) over the trials' values; 0 for one trial
  /// 100 (mean - m_1) / |m_1|, m_1 the first run's mean; NaN for the first run itself, when
  /// either run lacks the metric, and when m_1 is 0.
  double change_percent = std::nan("");
  /// welch_p_value of this run's trials' values against the first run's; NaN for the first run.
  double p = std::nan("");
};

/// A metric (and output) with one value per run.
struct ComparedMetric {
  std::string metric;  ///< "mse", or "<metric>[<output>]" as in sweep tables
  std::vector<ComparedValue> runs;
};

/// What `xreg compare` prints and writes.
struct RunComparison {
  /// Column headers: each folder's name (its last path component), or the folder as given
  /// where two runs' names are the same.
  std::vector<std::string> names;
  std::vector<int64_t> trials;  ///< each run's number of trials
  /// The metrics of every run, in the order they first appear (the first run's first); a
  /// metric that a run lacks has trials = 0 there.
  std::vector<ComparedMetric> metrics;
};

/// Reads the run folders written by `xreg run` (metrics_trials.csv) and compares each with the
/// first. Throws ConfigError naming the folder or "FILE:LINE" when there are no folders, a
/// folder does not exist or has no metrics_trials.csv, a folder lacks run.complete (an
/// interrupted or failed run is not a result), or a line of a metrics_trials.csv is malformed.
RunComparison compare_runs(const std::vector<std::string>& folders);

/// Two-sided p-value of Welch's t-test of `a` against `b` (unequal variances, Welch-Satterthwaite
/// degrees of freedom): the probability of a mean difference at least as large as theirs if
/// both came from distributions with the same mean. NaN when either has fewer than two values,
/// when both have variance 0 (there is no spread to judge the difference by), or when a value
/// is not finite.
double welch_p_value(const std::vector<double>& a, const std::vector<double>& b);

/// The comparison as an aligned text table for the terminal: a row per metric, the first run's
/// "mean (sd)", then for each later run its "mean (sd)", change and p; "–" where a value is
/// missing or undefined; a last row with each run's number of trials.
std::string comparison_table(const RunComparison& comparison);

/// The same table in Markdown (a pipe table and a line saying what the columns are).
std::string comparison_markdown(const RunComparison& comparison);

/// The same table as a self-contained HTML page (inline style, no scripts or external files).
std::string comparison_html(const RunComparison& comparison);

}  // namespace xreg
