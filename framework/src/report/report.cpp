#include "xreg/host/report/report.hpp"

#include <fcntl.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "report/explanation_files.hpp"
#include "report/model_files.hpp"
#include "report/run_folder.hpp"
#include "report/sweep_plot.hpp"
#include "report/text_table.hpp"
#include "xreg/host/config/resolved_toml.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/schema.hpp"
#include "xreg/host/report/html_report.hpp"

namespace xreg {

namespace fs = std::filesystem;

namespace {

/// Significant digits in files (enough to compare runs) and in the terminal table (to read).
constexpr int kFileDigits = 10;
constexpr int kTableDigits = 4;

std::string number(double value, int digits = kFileDigits) {
  return significant_digits(value, digits);
}

std::string json_number(double value) { return std::isfinite(value) ? number(value) : "null"; }

std::string output_label(int64_t output) { return output < 0 ? "" : std::to_string(output); }

std::string summary_json(const MetricSummary& m) {
  return "{\"metric\": " + quoted(m.metric) +
         ", \"output\": " + (m.output < 0 ? "null" : std::to_string(m.output)) +
         ", \"mean\": " + json_number(m.mean) + ", \"sd\": " + json_number(m.sd) +
         ", \"n\": " + std::to_string(m.count) + "}";
}

std::string summary_csv_row(const MetricSummary& m) {
  return csv_field(m.metric) + "," + output_label(m.output) + "," + number(m.mean) + "," +
         number(m.sd) + "," + std::to_string(m.count) + "\n";
}

std::string trials_csv(const RunReport& report) {
  std::string csv = "trial,metric,output,mean,sd,points\n";
  for (const auto& trial : report.trials) {
    for (const auto& m : trial.metrics) {
      csv += std::to_string(trial.trial) + "," + csv_field(m.metric) + "," +
             output_label(m.output) + "," + number(m.mean) + "," + number(m.sd) + "," +
             std::to_string(m.count) + "\n";
    }
  }
  return csv;
}

/// One row per trial, metric, output and test point: the values the trials' rows summarize.
std::string points_csv(const RunReport& report) {
  std::string csv = "trial,metric,output,point,value\n";
  for (const auto& trial : report.trials) {
    for (const PointValues& p : trial.points) {
      const torch::Tensor values = p.values.dim() == 1 ? p.values.unsqueeze(1) : p.values;
      const auto v = values.accessor<double, 2>();
      const auto index = p.index.accessor<int64_t, 1>();
      const std::string prefix = std::to_string(trial.trial) + "," + csv_field(p.metric) + ",";
      for (int64_t k = 0; k < v.size(1); ++k) {
        const std::string output = p.values.dim() == 1 ? "" : std::to_string(k);
        for (int64_t i = 0; i < v.size(0); ++i) {
          csv += prefix + output + "," + std::to_string(index[i]) + "," + number(v[i][k]) + "\n";
        }
      }
    }
  }
  return csv;
}

std::string aggregate_csv(const RunReport& report) {
  std::string csv = "metric,output,mean,sd,trials\n";
  for (const auto& m : report.aggregate) {
    csv += csv_field(m.metric) + "," + output_label(m.output) + "," + number(m.mean) + "," +
           number(m.sd) + "," + std::to_string(m.count) + "\n";
  }
  return csv;
}

template <class T, class Format>
std::string json_list(const std::vector<T>& items, Format format, const std::string& indent) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ",\n" : "\n") + indent + "  " + format(items[i]);
  }
  return out + (items.empty() ? "]" : "\n" + indent + "]");
}

/// A JSON array of numbers, on one line.
std::string json_numbers(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + json_number(values[i]);
  return out + "]";
}

/// The training curves: per epoch, the model's training and validation losses and each
/// regularizer's weighted penalty ("penalties": a list in slot order, each with its name).
std::string history_json(const TrainResult& training) {
  std::vector<double> train, validation;
  std::vector<std::vector<double>> penalties(training.regularizers.size());
  for (const EpochRecord& epoch : training.history) {
    train.push_back(epoch.train_loss);
    validation.push_back(epoch.validation_loss);
    for (size_t r = 0; r < penalties.size() && r < epoch.penalties.size(); ++r) {
      penalties[r].push_back(epoch.penalties[r]);
    }
  }
  std::string out = "{\"train_loss\": " + json_numbers(train) +
                    ", \"validation_loss\": " + json_numbers(validation) + ", \"penalties\": [";
  for (size_t r = 0; r < penalties.size(); ++r) {
    out += std::string(r ? ", " : "") + "{\"regularizer\": " + quoted(training.regularizers[r]) +
           ", \"values\": " + json_numbers(penalties[r]) + "}";
  }
  return out + "]}";
}

std::string trial_json(const TrialReport& trial) {
  std::string out = "{\"trial\": " + std::to_string(trial.trial) +
                    ", \"trained\": " + (trial.trained ? "true" : "false");
  if (trial.trained) {
    out += ", \"epochs\": " + std::to_string(trial.training.epochs) +
           ", \"best_epoch\": " + std::to_string(trial.training.best_epoch) +
           ", \"best_validation_objective\": " +
           json_number(trial.training.best_validation_objective) +
           ", \"train_seconds\": " + json_number(trial.training.seconds) +
           ", \"stopped_by_cap\": " + (trial.training.stopped_by_cap ? "true" : "false") +
           ", \"history\": " + history_json(trial.training);
  }
  out += ", \"notes\": " + json_list(trial.notes, quoted, "    ");
  out += ", \"metrics\": " + json_list(trial.metrics, summary_json, "    ") + "}";
  return out;
}

std::string metrics_json(const Pipeline& pipeline, const RunReport& report) {
  return "{\n  \"pipeline\": " + quoted(pipeline.file) +
         ",\n  \"aggregate\": " + json_list(report.aggregate, summary_json, "  ") +
         ",\n  \"trials\": " + json_list(report.trials, trial_json, "  ") + "\n}\n";
}

std::vector<const PluginInfo*> plugins_used(const Pipeline& pipeline, const Registry& registry) {
  std::vector<const PluginInfo*> used;
  auto add = [&](xreg_kind kind, const std::vector<PluginConfig>& slots) {
    for (const auto& slot : slots) {
      const PluginInfo* info = registry.find(kind, slot.plugin);
      if (info && std::find(used.begin(), used.end(), info) == used.end()) used.push_back(info);
    }
  };
  add(XREG_KIND_MODEL, {pipeline.model});
  add(XREG_KIND_REGULARIZER, pipeline.regularizers);
  add(XREG_KIND_EXPLAINER, pipeline.explainers);
  add(XREG_KIND_METRIC, pipeline.metrics);
  return used;
}

std::string plugins_json(const Pipeline& pipeline, const Registry& registry) {
  auto format = [](const PluginInfo* p) {
    return "{\"kind\": " + quoted(kind_name(p->kind)) + ", \"name\": " + quoted(p->name) +
           ", \"version\": " + quoted(p->version) + ", \"library\": " + quoted(p->library_path) +
           ", \"build\": " + quoted(p->build_stamp) + "}";
  };
  return json_list(plugins_used(pipeline, registry), format, "") + "\n";
}

/// Infix of the temporary files write_file_atomically renames into place.
constexpr const char* kTemporaryTag = ".tmp";

/// Writes `content` to a new file at `path` and flushes it to the disk (fsync), so that the
/// rename that publishes it never publishes an empty or partial file after a power loss.
/// False with errno set on failure.
bool write_durably(const fs::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == content.size() && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

/// The folder of a sweep's points in its run folder: points/<index>/ is a run folder each.
constexpr const char* kSweepPointsFolder = "points";

/// The folder of find-another-explanation's per-iteration files in a run folder.
constexpr const char* kFindAnotherFolder = "find_another";

/// Flushes a folder's entries (the renames into it) to the disk; best effort.
void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// Removes what an interrupted run left in `folder`: its completeness marker, first, so that
/// the folder stops reading as a result before any file in it changes, and write_file_atomically's
/// temporary files of a run that was killed.
void unpublish(const fs::path& folder) {
  std::error_code error;
  const bool complete = fs::remove(folder / kCompleteMarker, error);
  if (fs::remove(folder / kFailedMarker, error) || complete) sync_folder(folder);
  for (const auto& item : fs::directory_iterator(folder, error)) {
    const std::string name = item.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(kTemporaryTag) != std::string::npos) {
      fs::remove(item.path(), error);
    }
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const fs::path target(path);
  std::random_device entropy;
  const fs::path temporary = target.parent_path() / ("." + target.filename().string() +
                                                     kTemporaryTag + std::to_string(entropy()));
  if (!write_durably(temporary, content)) {
    const std::string reason = std::strerror(errno);  // before remove() can change errno
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw RunError(path + ": cannot write: " + reason);
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) {
    std::error_code ignored;  // the rename's error is the one to report
    fs::remove(temporary, ignored);
    throw RunError(path + ": cannot replace: " + error.message());
  }
  sync_folder(target.parent_path());
}

void prepare_output_folder(const std::string& folder) {
  if (folder.empty()) throw ConfigError("output folder: expected a path, found an empty one");
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw ConfigError(folder + ": cannot create the output folder: " + error.message());
  const fs::path probe = fs::path(folder) / ".xreg-write-check";
  if (!std::ofstream(probe)) {
    throw ConfigError(folder + ": cannot write in the output folder: " + std::strerror(errno));
  }
  fs::remove(probe, error);
  unpublish(folder);  // an earlier run's markers go before this run's work begins
}

void write_report(const Pipeline& pipeline, const Registry& registry, const RunReport& report,
                  const std::string& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw RunError(folder + ": cannot create the output folder: " + error.message());
  const fs::path dir(folder);
  unpublish(dir);
  const bool find_another =
      pipeline.find_another.has("iterations") && pipeline.find_another.integer("iterations") > 0;
  if (!find_another) fs::remove_all(dir / kFindAnotherFolder, error);  // an earlier run's
  write_file_atomically((dir / "pipeline.resolved.toml").string(), resolved_toml(pipeline));
  write_file_atomically((dir / "plugins.json").string(), plugins_json(pipeline, registry));
  write_file_atomically((dir / "metrics_trials.csv").string(), trials_csv(report));
  write_file_atomically((dir / "metrics.csv").string(), aggregate_csv(report));
  write_file_atomically((dir / "metrics_points.csv").string(), points_csv(report));
  write_file_atomically((dir / "metrics.json").string(), metrics_json(pipeline, report));
  write_explanation_files(folder, report);
  write_model_files(folder, report);
  for (const auto& trial : report.trials) {
    write_concept_figures(folder, trial.trial, trial.concepts);
    for (size_t i = 0; i < trial.find_another.size(); ++i) {
      write_find_another_iteration(folder, trial.trial, static_cast<int64_t>(i),
                                   trial.find_another[i].metrics, trial.find_another[i].mask);
    }
  }
  write_file_atomically((dir / "report.html").string(), html_report(folder));
  write_file_atomically((dir / kCompleteMarker).string(),
                        "xreg " + std::to_string(report.trials.size()) +
                            " trials: every file of this run folder is written\n");
}

void mark_run_failed(const std::string& folder, const std::string& reason) noexcept {
  try {
    std::error_code error;
    if (!fs::is_directory(folder, error)) return;
    fs::remove(fs::path(folder) / kCompleteMarker, error);
    write_file_atomically((fs::path(folder) / kFailedMarker).string(),
                          "xreg: the run failed: " + reason + "\n");
  } catch (const std::exception&) {
    // Best effort: the run's own error message is what the user sees first.
  }
}

void begin_find_another_output(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw RunError(folder + ": cannot create the output folder: " + error.message());
  unpublish(dir);
  fs::remove_all(dir / kFindAnotherFolder, error);
  if (!error) fs::create_directories(dir / kFindAnotherFolder, error);
  if (error) {
    throw RunError((dir / kFindAnotherFolder).string() + ": cannot prepare: " + error.message());
  }
}

void write_find_another_iteration(const std::string& folder, int64_t trial, int64_t iteration,
                                  const std::vector<MetricSummary>& metrics,
                                  const torch::Tensor& mask) {
  const fs::path dir = fs::path(folder) / kFindAnotherFolder;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw RunError(dir.string() + ": cannot create: " + error.message());
  const std::string stem =
      "trial-" + std::to_string(trial) + "-iteration-" + std::to_string(iteration);
  std::string csv = "metric,output,mean,sd,points\n";
  for (const auto& m : metrics) csv += summary_csv_row(m);
  write_file_atomically((dir / (stem + ".csv")).string(), csv);
  const torch::Tensor bytes = (mask.detach() != 0).to(torch::kCPU, torch::kUInt8).contiguous();
  const std::vector<char> pickled = torch::jit::pickle_save(bytes);
  write_file_atomically((dir / (stem + "-mask.pt")).string(),
                        std::string(pickled.begin(), pickled.end()));
}

namespace {

/// The metric columns of every point's aggregate, in order of first appearance.
std::vector<std::string> metric_columns(const std::vector<RunReport>& reports) {
  std::vector<std::string> columns;
  for (const RunReport& report : reports) {
    for (const MetricSummary& m : report.aggregate) {
      const std::string column = metric_column(m);
      if (std::find(columns.begin(), columns.end(), column) == columns.end())
        columns.push_back(column);
    }
  }
  return columns;
}

/// `report`'s aggregate row of `column`; nullptr when it has none.
const MetricSummary* find_column(const RunReport& report, const std::string& column) {
  for (const MetricSummary& m : report.aggregate) {
    if (metric_column(m) == column) return &m;
  }
  return nullptr;
}

void check_sweep_sizes(const std::vector<SweepPoint>& points,
                       const std::vector<RunReport>& reports) {
  if (points.empty() || points.size() != reports.size()) {
    throw std::invalid_argument("sweep report: expected one run report per sweep point, found " +
                                std::to_string(reports.size()) + " for " +
                                std::to_string(points.size()) + " points");
  }
}

std::string sweep_csv(const std::vector<SweepPoint>& points,
                      const std::vector<RunReport>& reports) {
  const std::vector<std::string> columns = metric_columns(reports);
  std::string csv = "point";
  for (const SweepSetting& setting : points[0].settings) csv += "," + csv_field(setting.key);
  for (const std::string& column : columns) {
    csv += "," + csv_field(column + " mean") + "," + csv_field(column + " sd");
  }
  csv += ",trials\n";
  for (size_t i = 0; i < points.size(); ++i) {
    csv += std::to_string(i);
    for (const SweepSetting& setting : points[i].settings) csv += "," + csv_field(setting.value);
    for (const std::string& column : columns) {
      const MetricSummary* m = find_column(reports[i], column);
      csv += m ? "," + number(m->mean) + "," + number(m->sd) : ",,";
    }
    csv += "," + std::to_string(reports[i].trials.size()) + "\n";
  }
  return csv;
}

}  // namespace

std::string results_table(const RunReport& report) {
  std::vector<std::vector<std::string>> rows{{"metric", "output", "mean", "sd", "trials"}};
  for (const auto& m : report.aggregate) {
    rows.push_back({m.metric, output_label(m.output), number(m.mean, kTableDigits),
                    number(m.sd, kTableDigits), std::to_string(m.count)});
  }
  return aligned_table(rows, 1);
}

std::string sweep_point_folder(const std::string& folder, size_t index) {
  return (fs::path(folder) / kSweepPointsFolder / std::to_string(index)).string();
}

void begin_sweep_output(const std::string& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw RunError(folder + ": cannot create the output folder: " + error.message());
  unpublish(folder);
  fs::remove_all(fs::path(folder) / kSweepPointsFolder, error);
  if (error)
    throw RunError(folder + ": cannot remove an earlier sweep's points: " + error.message());
}

void write_sweep_report(const std::vector<SweepPoint>& points,
                        const std::vector<RunReport>& reports, const std::string& folder) {
  check_sweep_sizes(points, reports);
  const fs::path dir(folder);
  write_file_atomically((dir / "sweep.csv").string(), sweep_csv(points, reports));
  const std::string figure = sweep_svg(points, reports);
  if (!figure.empty()) write_file_atomically((dir / "sweep.svg").string(), figure);
  write_file_atomically((dir / "report.html").string(), html_report(folder));
  write_file_atomically((dir / kCompleteMarker).string(),
                        "xreg sweep of " + std::to_string(points.size()) +
                            " points: every file of this run folder is written\n");
}

std::string sweep_table(const std::vector<SweepPoint>& points,
                        const std::vector<RunReport>& reports) {
  check_sweep_sizes(points, reports);
  const std::vector<std::string> columns = metric_columns(reports);
  std::vector<std::string> header{"point"};
  for (const SweepSetting& setting : points[0].settings) header.push_back(setting.key);
  header.insert(header.end(), columns.begin(), columns.end());
  std::vector<std::vector<std::string>> rows{header};
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<std::string> row{std::to_string(i)};
    for (const SweepSetting& setting : points[i].settings) row.push_back(setting.value);
    for (const std::string& column : columns) {
      const MetricSummary* m = find_column(reports[i], column);
      row.push_back(m ? number(m->mean, kTableDigits) + " (" + number(m->sd, kTableDigits) + ")"
                      : "");
    }
    rows.push_back(row);
  }
  return aligned_table(rows, 1 + points[0].settings.size());
}

}  // namespace xreg
