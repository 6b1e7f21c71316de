#include "xreg/host/report/compare.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "report/run_folder.hpp"
#include "report/sweep_plot.hpp"
#include "report/text_table.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/run/runner.hpp"

namespace xreg {

namespace fs = std::filesystem;

namespace {

/// The files of a run folder that a comparison reads (report.hpp).
constexpr const char* kTrialsFile = "metrics_trials.csv";
constexpr const char* kTrialsHeader = "trial,metric,output,mean,sd,points";

/// Significant digits of means and SDs (as in `xreg run`'s table), and of changes and p-values.
constexpr int kTableDigits = 4;
constexpr int kTestDigits = 3;
/// A value a run lacks or that is undefined (a p-value of fewer than two trials).
constexpr const char* kMissing = "–";

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

/// One run's per-trial values of each metric column, columns in the order of the file.
struct RunValues {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> values;
  std::set<int64_t> trials;
};

RunValues read_trials(const fs::path& file) {
  RunValues run;
  std::set<std::pair<int64_t, std::string>> seen;
  for (const CsvRow& row : read_csv_file(file.string(), kTrialsHeader).rows) {
    const std::string &trial_text = row.fields[0], &output_text = row.fields[2],
                      &mean_text = row.fields[3];
    int64_t trial = 0, output = -1;
    double mean = 0;
    if (!parse_index(trial_text, &trial)) {
      fail(row.at + "expected a trial number, found '" + trial_text + "'");
    }
    if (!output_text.empty() && !parse_index(output_text, &output)) {
      fail(row.at + "expected an output index or an empty field, found '" + output_text + "'");
    }
    if (!parse_number(mean_text, &mean)) {
      fail(row.at + "expected a number for the mean, found '" + mean_text + "'");
    }
    const std::string column = metric_column(MetricSummary{row.fields[1], output});
    if (!seen.insert({trial, column}).second) {
      fail(row.at + "expected one row per trial and metric, found trial " + trial_text + "'s " +
           column + " again");
    }
    if (!run.values.count(column)) run.order.push_back(column);
    run.values[column].push_back(mean);
    run.trials.insert(trial);
  }
  return run;
}

/// A finished run's values; refuses what is not one.
RunValues read_run(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code error;
  check_run_folder(folder);
  if (!fs::exists(dir / kTrialsFile, error)) {
    const bool sweep = fs::exists(dir / "sweep.csv", error);
    fail(folder + ": expected a run folder of xreg run, found no " + kTrialsFile +
         (sweep ? " (a sweep's folder: compare its points/<i>)" : ""));
  }
  check_run_published(folder);
  return read_trials(dir / kTrialsFile);
}

/// Each folder's last path component ("runs/a/" gives "a"), or the folder as given where two
/// folders share a name.
std::vector<std::string> column_names(const std::vector<std::string>& folders) {
  std::vector<std::string> names;
  for (const std::string& folder : folders) {
    fs::path path = fs::path(folder).lexically_normal();
    if (!path.has_filename()) path = path.parent_path();
    names.push_back(path.filename().empty() ? folder : path.filename().string());
  }
  std::vector<std::string> unique = names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::count(names.begin(), names.end(), names[i]) > 1) unique[i] = folders[i];
  }
  return unique;
}

const std::vector<double>* find_values(const RunValues& run, const std::string& column) {
  const auto found = run.values.find(column);
  return found == run.values.end() ? nullptr : &found->second;
}

std::pair<double, double> mean_and_variance(const std::vector<double>& values) {
  double mean = 0, squares = 0;
  for (double v : values) mean += v / double(values.size());
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, squares / double(values.size() - 1)};
}

std::string mean_sd_cell(const ComparedValue& v) {
  if (v.trials == 0) return kMissing;
  return significant_digits(v.mean, kTableDigits) + " (" + significant_digits(v.sd, kTableDigits) +
         ")";
}

std::string change_cell(const ComparedValue& v) {
  if (std::isnan(v.change_percent)) return kMissing;
  return (v.change_percent > 0 ? "+" : "") + significant_digits(v.change_percent, kTestDigits) +
         "%";
}

std::string p_cell(const ComparedValue& v) {
  return std::isnan(v.p) ? kMissing : significant_digits(v.p, kTestDigits);
}

/// The table's cells, header first: metric, the first run's "mean (sd)", then each later run's
/// "mean (sd)", change and p; a last row of trial counts.
std::vector<std::vector<std::string>> table_cells(const RunComparison& comparison) {
  std::vector<std::string> header{"metric"};
  std::vector<std::string> trials{"trials"};
  for (size_t i = 0; i < comparison.names.size(); ++i) {
    header.push_back(comparison.names[i]);
    trials.push_back(std::to_string(comparison.trials[i]));
    if (i > 0) {
      header.insert(header.end(), {"change", "p"});
      trials.insert(trials.end(), {"", ""});
    }
  }
  std::vector<std::vector<std::string>> rows{header};
  for (const ComparedMetric& metric : comparison.metrics) {
    std::vector<std::string> row{metric.metric};
    for (size_t i = 0; i < metric.runs.size(); ++i) {
      row.push_back(mean_sd_cell(metric.runs[i]));
      if (i > 0) row.insert(row.end(), {change_cell(metric.runs[i]), p_cell(metric.runs[i])});
    }
    rows.push_back(row);
  }
  rows.push_back(trials);
  return rows;
}

/// What the columns are, for the files.
std::string legend(const RunComparison& comparison) {
  if (comparison.names.size() == 1) return "Mean (SD) over the run's trials.";
  const std::string& first = comparison.names[0];
  return "Mean (SD) over each run's trials; change: of the mean, against " + first +
         "; p: two-sided Welch t-test of the trials' values against " + first + "'s.";
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

double welch_p_value(const std::vector<double>& a, const std::vector<double>& b) {
  const double nan = std::nan("");
  if (a.size() < 2 || b.size() < 2) return nan;
  const auto [mean_a, variance_a] = mean_and_variance(a);
  const auto [mean_b, variance_b] = mean_and_variance(b);
  const double se_a = variance_a / double(a.size()), se_b = variance_b / double(b.size());
  const double t = (mean_a - mean_b) / std::sqrt(se_a + se_b);
  const double df = (se_a + se_b) * (se_a + se_b) /
                    (se_a * se_a / double(a.size() - 1) + se_b * se_b / double(b.size() - 1));
  if (!(se_a + se_b > 0) || !std::isfinite(t) || !std::isfinite(df)) return nan;
  const boost::math::students_t distribution(df);
  return 2 * boost::math::cdf(boost::math::complement(distribution, std::abs(t)));
}

RunComparison compare_runs(const std::vector<std::string>& folders) {
  if (folders.empty()) fail("compare: expected at least one RUN_DIR, found none");
  std::vector<RunValues> runs;
  for (const std::string& folder : folders) runs.push_back(read_run(folder));
  RunComparison comparison;
  comparison.names = column_names(folders);
  std::vector<std::string> columns;
  for (const RunValues& run : runs) {
    comparison.trials.push_back(static_cast<int64_t>(run.trials.size()));
    for (const std::string& column : run.order) {
      if (std::find(columns.begin(), columns.end(), column) == columns.end())
        columns.push_back(column);
    }
  }
  for (const std::string& column : columns) {
    ComparedMetric metric{column, {}};
    const std::vector<double>* first = find_values(runs[0], column);
    for (const RunValues& run : runs) {
      ComparedValue value;
      const std::vector<double>* values = find_values(run, column);
      if (values) {
        // As metrics.csv summarizes the trials, so that a run's column matches its metrics.csv.
        const MetricSummary s = summarize(column, torch::tensor(*values, torch::kDouble)).front();
        value.trials = s.count;
        value.mean = s.mean;
        value.sd = s.sd;
      }
      if (!metric.runs.empty() && values && first) {
        const double m1 = metric.runs[0].mean;
        const double change = 100 * (value.mean - m1) / std::abs(m1);
        value.change_percent = std::isfinite(change) ? change : std::nan("");
        value.p = welch_p_value(*values, *first);
      }
      metric.runs.push_back(value);
    }
    comparison.metrics.push_back(metric);
  }
  return comparison;
}

std::string comparison_table(const RunComparison& comparison) {
  return aligned_table(table_cells(comparison), 1);
}

std::string comparison_markdown(const RunComparison& comparison) {
  const std::vector<std::vector<std::string>> rows = table_cells(comparison);
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (const std::string& cell : rows[r]) out += "| " + markdown_cell(cell) + " ";
    out += "|\n";
    if (r > 0) continue;
    out += "|---";  // the metric column left-aligned, the values right-aligned
    for (size_t c = 1; c < rows[0].size(); ++c) out += "|---:";
    out += "|\n";
  }
  return out + "\n" + legend(comparison) + "\n";
}

std::string comparison_html(const RunComparison& comparison) {
  const std::vector<std::vector<std::string>> rows = table_cells(comparison);
  std::string title = "xreg compare:";
  for (const std::string& name : comparison.names) title += " " + name;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      html_escaped(title) +
      "</title>\n<style>\n"
      "body { font-family: sans-serif; }\n"
      "table { border-collapse: collapse; }\n"
      "th, td { padding: 0.2em 0.8em; text-align: right; white-space: nowrap; }\n"
      "th:first-child, td:first-child { text-align: left; }\n"
      "thead th { border-bottom: 1px solid; }\n"
      "caption { caption-side: bottom; text-align: left; padding-top: 0.5em; }\n"
      "</style>\n</head>\n<body>\n<table>\n<caption>" +
      html_escaped(legend(comparison)) + "</caption>\n<thead>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    const char* tag = r == 0 ? "th" : "td";
    out += "<tr>";
    for (const std::string& cell : rows[r]) {
      out += std::string("<") + tag + ">" + html_escaped(cell) + "</" + tag + ">";
    }
    out += r == 0 ? "</tr>\n</thead>\n<tbody>\n" : "</tr>\n";
  }
  return out + "</tbody>\n</table>\n</body>\n</html>\n";
}

}  // namespace xreg
