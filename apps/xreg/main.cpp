// xreg: runs pipeline files, lists plugins and compares runs.
//
//   xreg run FILE [--set KEY=VALUE]... [--plugin-dir DIR]... [--output DIR] [--quiet]
//   xreg run --resume DIR [FILE] [--quiet]
//   xreg validate FILE [--set KEY=VALUE]... [--plugin-dir DIR]... [--print]
//   xreg plugins [--kind KIND] [--plugin-dir DIR]...
//   xreg plugins show NAME [--kind KIND] [--plugin-dir DIR]...
//   xreg compare RUN_DIR... [--markdown FILE] [--html FILE]
//   xreg report RUN_DIR
//
// A pipeline file with a [sweep] table runs (or validates) every point of its grid.
//
// Exit codes: 0 success, 1 a run failed, 2 a usage or configuration error.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "xreg/host/cluster/cluster.hpp"
#include "xreg/host/cluster/launch.hpp"
#include "xreg/host/config/document.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/config/resolved_toml.hpp"
#include "xreg/host/config/sweep.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/host/plugin/schema.hpp"
#include "xreg/host/report/compare.hpp"
#include "xreg/host/report/html_report.hpp"
#include "xreg/host/report/report.hpp"
#include "xreg/host/run/checkpoints.hpp"
#include "xreg/host/run/determinism.hpp"
#include "xreg/host/run/process_settings.hpp"
#include "xreg/host/run/runner.hpp"
#include "xreg/sdk/version.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr int kSuccess = 0;
constexpr int kRunFailed = 1;
constexpr int kUsageError = 2;

/// A terminal's "erase to the end of the line".
constexpr const char* kClearLine = "\033[K";

const char* kUsage =
    "usage: xreg <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE         run a pipeline file and write its results\n"
    "  validate FILE    check a pipeline file against the plugins' schemas\n"
    "  plugins          list the plugins found (plugins show NAME: one in detail)\n"
    "  compare RUN...   set finished runs' metrics side by side, each against the first\n"
    "  report RUN       rebuild a finished run's report.html from its files\n"
    "\n"
    "xreg <command> --help describes a command's options.\n";

/// Options every command that loads plugins takes.
po::options_description plugin_options() {
  po::options_description options("plugin options");
  options.add_options()(
      "plugin-dir", po::value<std::vector<std::string>>()->composing(),
      "folder of plugin libraries, searched after the installed plugins and XREG_PLUGIN_PATH "
      "(repeatable)");
  return options;
}

po::options_description pipeline_options() {
  po::options_description options("pipeline options");
  options.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                        "override a key of the pipeline file: --set train.lr=1e-4 (repeatable)");
  return options;
}

std::vector<std::string> strings(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::vector<std::string>>() : std::vector<std::string>{};
}

/// Loads every plugin folder once, in search order.
void load_plugins(xreg::Registry& registry, const std::vector<std::string>& extra) {
  std::set<std::string> seen;
  for (const auto& dir : xreg::plugin_search_path(extra)) {
    std::error_code error;
    const auto canonical = fs::weakly_canonical(dir, error).string();
    if (!seen.insert(error ? dir : canonical).second) continue;
    registry.load_directory(dir);
  }
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& named,
                        const po::positional_options_description& positional) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(named).positional(positional).run(), vm);
  po::notify(vm);
  return vm;
}

bool wants_help(const po::variables_map& vm, const po::options_description& options,
                const char* synopsis) {
  if (!vm.count("help")) return false;
  std::cout << synopsis << "\n\n" << options;
  return true;
}

/// How a run is asked for on the command line: its pipeline file, --set overrides and plugin
/// folders, paths made absolute so that `xreg run --resume` finds them again from anywhere.
xreg::RunRecord invocation(const po::variables_map& vm) {
  if (!vm.count("file")) throw po::error("a pipeline FILE is required");
  xreg::RunRecord record{fs::absolute(vm["file"].as<std::string>()).lexically_normal().string(),
                         strings(vm, "set"),
                         {},
                         ""};
  for (const auto& dir : strings(vm, "plugin-dir")) {
    record.plugin_dirs.push_back(fs::absolute(dir).lexically_normal().string());
  }
  return record;
}

/// The pipeline file with its --set overrides, and the plugins it may use loaded.
xreg::PipelineDocument load_document(xreg::Registry& registry, const xreg::RunRecord& run) {
  xreg::PipelineDocument document = xreg::read_pipeline_file(run.file, run.sets);
  auto dirs = run.plugin_dirs;
  for (const auto& dir : document.plugin_paths()) dirs.push_back(dir);
  load_plugins(registry, dirs);
  return document;
}

/// The validated pipeline of each point of a [sweep] grid, all before any work.
std::vector<xreg::Pipeline> validate_sweep(const xreg::PipelineDocument& document,
                                           const std::vector<xreg::SweepPoint>& points,
                                           const xreg::Registry& registry) {
  std::vector<xreg::Pipeline> pipelines;
  for (const auto& point : points) {
    pipelines.push_back(xreg::validate_pipeline(xreg::at_sweep_point(document, point), registry));
  }
  return pipelines;
}

std::string output_folder(const po::variables_map& vm, const xreg::Pipeline& pipeline) {
  return vm.count("output") ? vm["output"].as<std::string>() : pipeline.run.string("output");
}

/// The pipelines of a run: the file's, or one per point of its [sweep] grid, all validated
/// before any work.
std::vector<xreg::Pipeline> validate_all(const xreg::PipelineDocument& document,
                                         const std::vector<xreg::SweepPoint>& points,
                                         const xreg::Registry& registry) {
  if (points.empty()) return {xreg::validate_pipeline(document, registry)};
  return validate_sweep(document, points, registry);
}

/// FNV-1a of the resolved pipelines without their comments (which name the file as it was
/// spelled): equal on every rank given the same file and --set, and when a run is resumed.
std::string pipeline_digest(const std::vector<xreg::Pipeline>& pipelines) {
  uint64_t hash = 14695981039346656037ull;
  for (const auto& pipeline : pipelines) {
    std::istringstream text(xreg::resolved_toml(pipeline));
    for (std::string line; std::getline(text, line);) {
      if (line.rfind('#', 0) == 0) continue;
      for (unsigned char c : line + "\n") hash = (hash ^ c) * 1099511628211ull;
    }
  }
  return std::to_string(hash);
}

/// The processes of a run started by torchrun, srun or mpirun; nullptr for one process.
std::unique_ptr<xreg::Cluster> join_cluster(const std::vector<xreg::Pipeline>& pipelines) {
  const xreg::LaunchEnvironment launch = xreg::launch_environment();
  if (!launch.distributed()) return nullptr;
  auto cluster = std::make_unique<xreg::Cluster>(
      launch, std::chrono::seconds(pipelines.front().run.integer("timeout")));
  cluster->check_same_pipeline(pipeline_digest(pipelines));
  return cluster;
}

/// Writes the run's files into `output` and prints its table (rank 0 of a cluster only).
void publish(const std::vector<xreg::Pipeline>& pipelines,
             const std::vector<xreg::SweepPoint>& points,
             const std::vector<xreg::RunReport>& reports, const xreg::Registry& registry,
             const std::string& output) {
  if (points.empty()) {
    xreg::write_report(pipelines.front(), registry, reports.front(), output);
    std::cout << xreg::results_table(reports.front());
    return;
  }
  for (size_t i = 0; i < points.size(); ++i) {
    xreg::write_report(pipelines[i], registry, reports[i], xreg::sweep_point_folder(output, i));
  }
  xreg::write_sweep_report(points, reports, output);
  std::cout << xreg::sweep_table(points, reports);
}

/// The run asked for: the command line's, or with --resume FOLDER and no FILE the one that
/// FOLDER records.
xreg::RunRecord requested_run(const po::variables_map& vm) {
  if (vm.count("resume") && !vm.count("file")) {
    xreg::RunRecord recorded = xreg::read_run_record(vm["resume"].as<std::string>());
    for (const auto& set : strings(vm, "set")) recorded.sets.push_back(set);  // checked later
    return recorded;
  }
  return invocation(vm);
}

/// Refuses to resume `folder` with pipelines other than those its run was started with.
void check_resumable(const std::string& folder, const std::string& digest) {
  const xreg::RunRecord earlier = xreg::read_run_record(folder);
  if (earlier.digest == digest) return;
  throw xreg::ConfigError(folder + ": the run there was started from other pipelines (" +
                          earlier.file +
                          " with its --set); resume it with those, or run into another folder");
}

int run_command(const std::vector<std::string>& args) {
  po::options_description options("run options");
  options.add_options()("help,h", "describe this command")("output,o", po::value<std::string>(),
                                                           "output folder (default: [run] output)")(
      "quiet,q", "print only the results table")(
      "resume", po::value<std::string>(),
      "go on with the interrupted run in this folder: keep its finished trials, continue the "
      "one it was training from its last checkpoint (FILE optional: the run's own by default)");
  options.add(pipeline_options()).add(plugin_options());
  po::options_description all;
  all.add(options).add_options()("file", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("file", 1);
  const auto vm = parse(args, all, positional);
  if (wants_help(vm, options,
                 "usage: xreg run FILE [options]\n       xreg run --resume FOLDER [FILE] "
                 "[options]\n\nRuns every trial of a pipeline and writes its results to the "
                 "output folder.")) {
    return kSuccess;
  }
  const bool resume = vm.count("resume") > 0;
  if (resume && vm.count("output")) {
    throw po::error("--resume FOLDER writes into FOLDER; give no --output with it");
  }
  xreg::Registry registry;
  xreg::RunRecord run = requested_run(vm);
  const xreg::PipelineDocument document = load_document(registry, run);
  const std::vector<xreg::SweepPoint> points = xreg::sweep_points(document);
  const std::vector<xreg::Pipeline> pipelines = validate_all(document, points, registry);
  run.digest = pipeline_digest(pipelines);
  const std::string output =
      resume ? vm["resume"].as<std::string>() : output_folder(vm, pipelines.front());
  if (resume) check_resumable(output, run.digest);
  const std::unique_ptr<xreg::Cluster> cluster = join_cluster(pipelines);
  if (resume && cluster) {
    throw xreg::ConfigError("--resume: a run resumes in one process; start it without a launcher");
  }
  const bool writes = cluster == nullptr || cluster->rank() == 0;
  std::vector<std::string> outputs{output};
  if (!points.empty()) {
    outputs.clear();
    for (size_t i = 0; i < points.size(); ++i)
      outputs.push_back(xreg::sweep_point_folder(output, i));
  }
  std::unique_ptr<std::ostream> rank_log;
  xreg::RunOptions run_options;
  run_options.cluster = cluster.get();
  run_options.resume = resume;
  // On a terminal, one process redraws its progress lines in place; each line clears first.
  const bool terminal = !vm.count("quiet") && !cluster && ::isatty(STDERR_FILENO);
  if (!vm.count("quiet")) {
    if (cluster) rank_log = xreg::prefixed_log(std::cerr, cluster->log_prefix());
    if (terminal) rank_log = xreg::prefixed_log(std::cerr, kClearLine);
    run_options.log = rank_log ? rank_log.get() : &std::cerr;
    run_options.redraw_progress = terminal;
  }
  try {
    if (writes) {
      xreg::prepare_output_folder(output);
      if (!resume && !points.empty()) xreg::begin_sweep_output(output);
      if (!resume) xreg::begin_checkpoints(output, run);
      if (cluster) {
        cluster->on_failure(
            [output](const std::string& why) { xreg::mark_run_failed(output, why); });
      }
    }
    const auto reports = xreg::run_pipelines(pipelines, registry, run_options, outputs);
    if (terminal) std::cerr << kClearLine << std::flush;  // the last progress line, if open
    if (writes) publish(pipelines, points, reports, registry, output);
  } catch (const std::exception& e) {
    if (cluster) cluster->announce_failure(xreg::first_line(e.what()));
    if (writes) xreg::mark_run_failed(output, xreg::first_line(e.what()));
    throw;
  }
  if (cluster) cluster->finish();
  if (writes && !vm.count("quiet")) {
    std::cerr << "results written to " << output
              << "; the report: " << (fs::path(output) / "report.html").string() << "\n";
  }
  return kSuccess;
}

int validate_command(const std::vector<std::string>& args) {
  po::options_description options("validate options");
  options.add_options()("help,h", "describe this command")(
      "print", "print the resolved pipeline, every default filled in");
  options.add(pipeline_options()).add(plugin_options());
  po::options_description all;
  all.add(options).add_options()("file", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("file", 1);
  const auto vm = parse(args, all, positional);
  if (wants_help(vm, options,
                 "usage: xreg validate FILE [options]\n\nChecks a pipeline file "
                 "against the plugins' schemas without running it.")) {
    return kSuccess;
  }
  xreg::Registry registry;
  const xreg::PipelineDocument document = load_document(registry, invocation(vm));
  const std::vector<xreg::SweepPoint> points = xreg::sweep_points(document);
  if (points.empty()) {
    const xreg::Pipeline pipeline = xreg::validate_pipeline(document, registry);
    std::cout << (vm.count("print") ? xreg::resolved_toml(pipeline) : pipeline.file + ": valid\n");
    return kSuccess;
  }
  const std::vector<xreg::Pipeline> pipelines = validate_sweep(document, points, registry);
  if (!vm.count("print")) {
    std::cout << document.file() << ": valid, a sweep of " << points.size() << " points\n";
    return kSuccess;
  }
  for (size_t i = 0; i < points.size(); ++i) {
    std::cout << (i ? "\n" : "") << "# sweep point " << i << ": " << xreg::sweep_label(points[i])
              << "\n"
              << xreg::resolved_toml(pipelines[i]);
  }
  return kSuccess;
}

void print_plugin(const xreg::PluginInfo& info) {
  std::cout << xreg::kind_name(info.kind) << " " << info.name << " " << info.version << "\n  "
            << info.summary << "\n  library: " << info.library_path
            << "\n  build: " << info.build_stamp << "\n";
  if (info.explanation_kinds != 0) {
    std::cout << (info.kind == XREG_KIND_METRIC ? "  scores " : "  gives ")
              << xreg::explanation_kinds_text(info.explanation_kinds) << " explanations\n";
  }
  if (info.schema.empty()) {
    std::cout << "  parameters: none\n";
    return;
  }
  std::cout << "  parameters:\n";
  for (const auto& p : info.schema) {
    std::cout << "    " << p.name << " (" << xreg::type_name(p.type)
              << ") = " << (p.default_value ? xreg::to_toml_text(*p.default_value) : "<required>");
    if (!p.choices.empty()) {
      std::cout << "  one of:";
      for (const auto& c : p.choices) std::cout << " " << c;
    }
    const std::string bounds = xreg::bounds_text(p);
    if (!bounds.empty()) std::cout << "  " << bounds;
    std::cout << "\n        " << p.doc << "\n";
  }
}

int plugins_command(const std::vector<std::string>& args) {
  po::options_description options("plugins options");
  options.add_options()("help,h", "describe this command")(
      "kind", po::value<std::string>(),
      "only plugins of this kind: model, regularizer, "
      "explainer or metric");
  options.add(plugin_options());
  po::options_description all;
  all.add(options).add_options()("words", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("words", -1);
  const auto vm = parse(args, all, positional);
  if (wants_help(vm, options,
                 "usage: xreg plugins [options]\n       xreg plugins show NAME "
                 "[options]\n\nLists the plugins found, or shows one with its "
                 "parameters, types, defaults and docs.")) {
    return kSuccess;
  }
  const auto words = strings(vm, "words");
  const bool show = !words.empty() && words[0] == "show";
  if ((show && words.size() != 2) || (!show && !words.empty())) {
    throw po::error("expected 'xreg plugins' or 'xreg plugins show NAME'");
  }
  const bool by_kind = vm.count("kind") > 0;
  const xreg_kind kind =
      by_kind ? xreg::kind_from_name(vm["kind"].as<std::string>()) : XREG_KIND_MODEL;
  xreg::Registry registry;
  load_plugins(registry, strings(vm, "plugin-dir"));
  if (show) {
    const xreg::PluginInfo* info =
        by_kind ? registry.find(kind, words[1]) : registry.find_any(words[1]);
    if (!info) throw xreg::ConfigError("no plugin named '" + words[1] + "'");
    print_plugin(*info);
    return kSuccess;
  }
  for (const xreg::PluginInfo* info : registry.list()) {
    if (by_kind && info->kind != kind) continue;
    std::cout << std::left << std::setw(12) << xreg::kind_name(info->kind) << std::setw(24)
              << info->name << std::setw(9) << info->version << info->summary << "\n";
  }
  return kSuccess;
}

int compare_command(const std::vector<std::string>& args) {
  po::options_description options("compare options");
  options.add_options()("help,h", "describe this command")(
      "markdown", po::value<std::string>()->value_name("FILE"),
      "also write the table to this file as Markdown")(
      "html", po::value<std::string>()->value_name("FILE"),
      "also write the table to this file as an HTML page");
  po::options_description all;
  all.add(options).add_options()("runs", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("runs", -1);
  const auto vm = parse(args, all, positional);
  if (wants_help(vm, options,
                 "usage: xreg compare RUN_DIR... [options]\n\nSets the metrics of finished runs "
                 "side by side: each run's mean (SD) over trials and, for every run after the "
                 "first, the change of its mean and a Welch t-test p-value against the first.")) {
    return kSuccess;
  }
  const xreg::RunComparison comparison = xreg::compare_runs(strings(vm, "runs"));
  if (vm.count("markdown")) {
    xreg::write_file_atomically(vm["markdown"].as<std::string>(),
                                xreg::comparison_markdown(comparison));
  }
  if (vm.count("html")) {
    xreg::write_file_atomically(vm["html"].as<std::string>(), xreg::comparison_html(comparison));
  }
  std::cout << xreg::comparison_table(comparison);
  return kSuccess;
}

int report_command(const std::vector<std::string>& args) {
  po::options_description options("report options");
  options.add_options()("help,h", "describe this command");
  po::options_description all;
  all.add(options).add_options()("run", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("run", 1);
  const auto vm = parse(args, all, positional);
  if (wants_help(vm, options,
                 "usage: xreg report RUN_DIR\n\nRebuilds RUN_DIR/report.html, the run's results "
                 "as one self-contained page, from the files of the run folder alone.")) {
    return kSuccess;
  }
  if (!vm.count("run")) throw po::error("a RUN_DIR is required");
  const std::string folder = vm["run"].as<std::string>();
  xreg::rebuild_html_report(folder);
  std::cout << (fs::path(folder) / "report.html").string() << "\n";
  return kSuccess;
}

int dispatch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? kUsageError : kSuccess;
  }
  if (args[0] == "--version") {
    std::cout << "xreg " << XREG_SDK_VERSION << " (plugin ABI " << XREG_ABI_MAJOR << "."
              << XREG_ABI_MINOR << ")\n";
    return kSuccess;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return run_command(args);
  if (command == "validate") return validate_command(args);
  if (command == "plugins") return plugins_command(args);
  if (command == "compare") return compare_command(args);
  if (command == "report") return report_command(args);
  std::cerr << "xreg: unknown command '" << command << "'\n" << kUsage;
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  xreg::make_blas_deterministic();
  xreg::keep_freed_memory();
  try {
    return dispatch(argc, argv);
  } catch (const po::error& e) {
    std::cerr << "xreg: " << e.what() << " (see xreg --help)\n";
    return kUsageError;
  } catch (const xreg::ConfigError& e) {
    std::cerr << "xreg: " << xreg::first_line(e.what()) << "\n";
    return kUsageError;
  } catch (const std::exception& e) {
    std::cerr << "xreg: " << xreg::first_line(e.what()) << "\n";
    return kRunFailed;
  }
}
