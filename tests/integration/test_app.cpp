// The xreg program as a user runs it: commands, exit codes and one-line errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_app_test");
  return dir;
}

using xreg::testing::slurp;

/// Runs `xreg ARGS` with `env` prepended (e.g. "XREG_PLUGIN_PATH=..."), from the scratch folder.
Outcome xreg(const std::string& args, const std::string& env = "") {
  const auto out = scratch() / "stdout", err = scratch() / "stderr";
  const std::string command = "cd '" + scratch().string() + "' && env -u XREG_PLUGIN_PATH " + env +
                              " '" XREG_APP "' " + args + " >'" + out.string() + "' 2>'" +
                              err.string() + "'";
  const int status = std::system(command.c_str());
  return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

std::string write_pipeline(const std::string& name, const std::string& text) {
  const auto path = scratch() / name;
  std::ofstream(path) << text;
  return path.string();
}

int count(const std::string& text, const std::string& word) {
  int found = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++found;
  return found;
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

const char* kSmall = R"([run]
trials = 1

[data]
format = "builtin"
samples = 120

[model]
plugin = "mlp"
hidden = [8]

[train]
max_epochs = 5

[[metric]]
plugin = "mse"
)";

TEST(App, EveryExamplePipelineValidates) {
  // The examples are what users copy: a schema change that breaks one must fail here, not at a
  // user's. Validation reads no data files, but it builds each slot's plugin, and the
  // torchscript model opens its module: those examples need ../shared/models.
  const bool have_models = fs::exists(fs::path(XREG_SHARED_DIR) / "models" / "housing_mlp.pt");
  int checked = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(XREG_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".toml") continue;
    if (!have_models && slurp(entry.path()).find("shared/models/") != std::string::npos) continue;
    const Outcome outcome = xreg("validate '" + entry.path().string() + "'");
    EXPECT_EQ(outcome.code, 0) << entry.path() << ": " << outcome.err;
    ++checked;
  }
  EXPECT_GE(checked, have_models ? 40 : 38);
}

TEST(App, PrintsUsageAndRefusesUnknownCommands) {
  EXPECT_EQ(xreg("--help").code, 0);
  EXPECT_NE(xreg("--help").out.find("usage: xreg <command>"), std::string::npos);
  EXPECT_EQ(xreg("").code, 2);
  const auto bogus = xreg("frobnicate");
  EXPECT_EQ(bogus.code, 2);
  EXPECT_NE(bogus.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(xreg("run --help").code, 0);
  EXPECT_NE(xreg("run --help").out.find("--set"), std::string::npos);
  EXPECT_EQ(xreg("run --no-such-option x.toml").code, 2);
}

TEST(App, ListsTheBuiltInPlugins) {
  const auto all = xreg("plugins");
  ASSERT_EQ(all.code, 0) << all.err;
  for (const char* name : {"mlp", "torchscript", "mse", "accuracy"}) {
    EXPECT_NE(all.out.find(name), std::string::npos) << name;
  }
  const auto metrics = xreg("plugins --kind metric");
  EXPECT_EQ(metrics.out.find("mlp"), std::string::npos);
  EXPECT_NE(metrics.out.find("accuracy"), std::string::npos);
  EXPECT_EQ(xreg("plugins --kind gizmo").code, 2);
}

TEST(App, ShowsAPluginsParameters) {
  const auto shown = xreg("plugins show mlp");
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_NE(shown.out.find("hidden (list of integers) = [100, 100]"), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("Widths of the hidden layers"), std::string::npos);
  const auto required = xreg("plugins show torchscript");
  EXPECT_NE(required.out.find("= <required>"), std::string::npos) << required.out;
  EXPECT_EQ(xreg("plugins show nothing_like_it").code, 2);
}

TEST(App, RefusesABrokenPluginFolderInOneLine) {
  const auto refused = xreg("plugins --plugin-dir '" XREG_FIXTURE_DIR "'");
  EXPECT_EQ(refused.code, 2);
  EXPECT_EQ(lines(refused.err), 1) << refused.err;
  EXPECT_EQ(refused.err.rfind("xreg: plugin '" XREG_FIXTURE_DIR "/lib", 0), 0u) << refused.err;
}

TEST(App, FindsPluginsOnXregPluginPath) {
  const auto found = xreg("plugins", "XREG_PLUGIN_PATH='" XREG_FIXTURE_DIR "/loadable'");
  ASSERT_EQ(found.code, 0) << found.err;
  EXPECT_NE(found.out.find("method_throws"), std::string::npos);
  EXPECT_EQ(xreg("plugins").out.find("method_throws"), std::string::npos);
}

TEST(App, RunsAPipelineAndWritesItsResults) {
  const auto file = write_pipeline("small.toml", kSmall);
  const auto run = xreg("run '" + file + "' --output out --quiet");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("mse"), std::string::npos);
  EXPECT_TRUE(fs::exists(scratch() / "out" / "metrics.json"));
  EXPECT_TRUE(fs::exists(scratch() / "out" / "pipeline.resolved.toml"));
  const std::string points = slurp(scratch() / "out" / "metrics_points.csv");
  EXPECT_EQ(lines(points), 1 + 30) << "a row per test point (120 rows, a quarter for test)";
  EXPECT_EQ(points.substr(0, points.find('\n')), "trial,metric,output,point,value");
  EXPECT_EQ(points.find("\n0,mse,,29,"), points.rfind('\n', points.size() - 2)) << points;
  EXPECT_EQ(xreg("validate '" + file + "'").code, 0);
  const auto printed = xreg("validate '" + file + "' --print --set train.lr=0.05");
  EXPECT_NE(printed.out.find("lr = 0.05"), std::string::npos) << printed.out;
}

TEST(App, ConfigurationMistakesExitWithTwoAndTheirPosition) {
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"max_epochs = 5", "max_epohcs = 5", "bad.toml:13:1: unknown key 'max_epohcs'"},
      {"max_epochs = 5", "max_epochs = \"five\"", "bad.toml:13:14: [train] max_epochs"},
      {"plugin = \"mse\"", "plugin = \"msee\"", "bad.toml:16:10: unknown metric plugin 'msee'"},
  };
  for (const auto& c : cases) {
    std::string text = kSmall;
    text.replace(text.find(c.from), c.from.size(), c.to);
    const auto file = write_pipeline("bad.toml", text);
    const auto run = xreg("run '" + file + "'");
    EXPECT_EQ(run.code, 2) << c.to;
    EXPECT_EQ(lines(run.err), 1) << run.err;
    EXPECT_NE(run.err.find(file.substr(0, file.size() - 8) + c.expected), std::string::npos)
        << "expected '" << c.expected << "' in: " << run.err;
  }
}

TEST(App, AFailingPluginMethodExitsWithOne) {
  std::string text = kSmall;
  const std::string mlp = "plugin = \"mlp\"\nhidden = [8]";
  text.replace(text.find(mlp), mlp.size(), "plugin = \"method_throws\"");
  const auto file = write_pipeline("throws.toml", text);
  const auto run = xreg("run '" + file + "' --plugin-dir '" XREG_FIXTURE_DIR "/loadable'");
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.err.find("model plugin 'method_throws' (" XREG_FIXTURE_DIR
                         "/loadable/libmethod_throws.so): forward failed: deliberate failure"),
            std::string::npos)
      << run.err;
}

TEST(App, ShowsBoundsAndExplanationKinds) {
  const auto lime = xreg("plugins show lime");
  ASSERT_EQ(lime.code, 0) << lime.err;
  EXPECT_NE(lime.out.find("samples (integer) = 1000  >= 2"), std::string::npos) << lime.out;
  EXPECT_NE(lime.out.find("gives linear explanations"), std::string::npos) << lime.out;
  const auto maple = xreg("plugins show maple");
  EXPECT_NE(maple.out.find("max_features (float) = 0.5  > 0.0 and <= 1.0"), std::string::npos)
      << maple.out;
  const auto fidelity = xreg("plugins show point_fidelity");
  EXPECT_NE(fidelity.out.find("scores linear or concept explanations"), std::string::npos)
      << fidelity.out;
}

/// kSmall with `extra` appended.
std::string small_with(const std::string& extra) { return std::string(kSmall) + extra; }

/// `pipeline` with `key` added to its [run] table, on the line after the table's header.
std::string with_run_key(const std::string& key, std::string pipeline) {
  return pipeline.insert(pipeline.find("[run]\n") + 6, key + "\n");
}

TEST(App, ValidateReportsAValueOutOfBoundsAtItsPositionBeforeAnyWork) {
  const auto file = write_pipeline("bound.toml", small_with(R"(
[[explainer]]
plugin = "lime"
samples = 1
)"));
  const auto validated = xreg("validate '" + file + "'");
  EXPECT_EQ(validated.code, 2);
  EXPECT_EQ(lines(validated.err), 1) << validated.err;
  EXPECT_NE(validated.err.find("bound.toml:20:11: explainer[0] samples: expected a value >= 2, "
                               "found 1"),
            std::string::npos)
      << validated.err;
  const auto run = xreg("run '" + file + "' --output never");
  EXPECT_EQ(run.code, 2);
  EXPECT_FALSE(fs::exists(scratch() / "never"));
}

TEST(App, ARegularizerThatRefusesTheModelStopsTheRunBeforeTraining) {
  std::string text = small_with(R"(
[[regularizer]]
plugin = "senn_reconstruction"
)");
  text.replace(text.find("plugin = \"mlp\""), 14, "plugin = \"senn\"");
  const auto file = write_pipeline("refused.toml", text);
  const auto run = xreg("run '" + file + "' --output refused_out --quiet");
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(lines(run.err), 1) << run.err;
  EXPECT_NE(run.err.find("refused.toml:18:1: regularizer plugin 'senn_reconstruction'"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("needs the input rebuilt from learned concepts"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("it gives concepts, constant_concepts, theta"), std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(scratch() / "refused_out" / "metrics.csv"));
}

TEST(App, ARegularizerPassBeyondTheMemoryBudgetStopsTheRunBeforeTraining) {
  // 16 points x 20 neighbors of 10 values = 3200 values a pass; the budget holds 3000.
  const auto file =
      write_pipeline("budget.toml", with_run_key("max_values_per_pass = 3000", small_with(R"(
[[regularizer]]
plugin = "expo_fidelity"
batch_size = 16
)")));
  const auto run = xreg("run '" + file + "' --output budget_out --quiet");
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(lines(run.err), 1) << run.err;
  EXPECT_NE(run.err.find("budget.toml:19:1: regularizer plugin 'expo_fidelity'"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("16 points x 20 inputs = 320 rows of 10 values exceeds the memory "
                         "budget ([run] max_rows_per_pass = 32768, max_values_per_pass = 3000)"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(scratch() / "budget_out" / "metrics.csv"));
}

TEST(App, ATrainingBatchBeyondTheMemoryBudgetStopsTheRunBeforeTraining) {
  const auto file =
      write_pipeline("batch_budget.toml", with_run_key("max_rows_per_pass = 50", kSmall));
  const auto run = xreg("run '" + file + "' --output batch_budget_out --quiet");
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(lines(run.err), 1) << run.err;
  EXPECT_NE(run.err.find("batch_budget.toml: [train] batch_size: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(" points of 10 values exceed the memory budget of one pass ([run] "
                         "max_rows_per_pass = 50,"),
            std::string::npos)
      << run.err;
}

TEST(App, AMetricThatRefusesTheTaskStopsTheRunBeforeTraining) {
  const auto file = write_pipeline("accuracy.toml", small_with(R"(
[[metric]]
plugin = "accuracy"
)"));
  const auto run = xreg("run '" + file + "' --output accuracy_out");
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.out.find("training epochs"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("accuracy.toml:18:1: metric plugin 'accuracy'"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("needs a binary or multiclass task, not regression"), std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(scratch() / "accuracy_out" / "metrics.csv"));
}

TEST(App, AModelThatRefusesTheDataIsAConfigurationErrorAtItsSlot) {
  const std::string model = XREG_SHARED_DIR "/models/housing_mlp.pt";
  if (!fs::exists(model)) GTEST_SKIP() << "../shared is not there";
  std::string text = kSmall;
  const std::string mlp = "plugin = \"mlp\"\nhidden = [8]";
  text.replace(text.find(mlp), mlp.size(), "plugin = \"torchscript\"\npath = \"" + model + "\"");
  const auto run =
      xreg("run '" + write_pipeline("width.toml", text) + "' --output width_out --quiet");
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(lines(run.err), 1) << run.err;
  EXPECT_NE(run.err.find("width.toml:8:1: model plugin 'torchscript'"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("cannot take the data's points [10] (its first weight matrix takes 12)"),
            std::string::npos)
      << run.err;
}

TEST(App, ValidateRefusesAMetricThatCannotScoreItsExplainer) {
  const auto file = write_pipeline("kinds.toml", small_with(R"(
[[explainer]]
plugin = "saliency"

[[metric]]
plugin = "point_fidelity"
explainers = ["saliency"]
)"));
  const auto validated = xreg("validate '" + file + "'");
  EXPECT_EQ(validated.code, 2);
  EXPECT_NE(
      validated.err.find("kinds.toml:21:1: [[metric]] 'point_fidelity' scores linear or concept "
                         "explanations, but explainer 'saliency' gives attribution "
                         "explanations"),
      std::string::npos)
      << validated.err;
}

TEST(App, ValidateReportsARefusingConstructorAtItsSlot) {
  // A combination only the plugin can judge is caught by constructing it: cnn with two
  // kernels for three convolutions.
  std::string text = kSmall;
  const std::string mlp = "plugin = \"mlp\"\nhidden = [8]";
  text.replace(text.find(mlp), mlp.size(), "plugin = \"cnn\"\nkernels = [3, 3]");
  const auto cnn = write_pipeline("cnn.toml", text);
  const auto validated = xreg("validate '" + cnn + "'");
  EXPECT_EQ(validated.code, 2);
  EXPECT_NE(validated.err.find("cnn.toml:8:1: [model] 'cnn': model plugin 'cnn'"),
            std::string::npos)
      << validated.err;
  EXPECT_NE(validated.err.find("create failed: channels, kernels and strides"), std::string::npos)
      << validated.err;
}

TEST(App, APluginBugExitsWithOneNotTwo) {
  const auto file = write_pipeline("bug.toml", small_with(R"(
[[metric]]
plugin = "param_type_bug"
)"));
  const auto run = xreg("validate '" + file + "' --plugin-dir '" XREG_FIXTURE_DIR "/buggy'");
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.err.find("plugin bug: parameter 'count' was read as a float but holds an integer"),
            std::string::npos)
      << run.err;
}

TEST(App, AnUnusableOutputFolderIsFoundBeforeAnyWork) {
  const auto file = write_pipeline("small_out.toml", kSmall);
  std::ofstream(scratch() / "a_file") << "not a folder\n";
  const auto run = xreg("run '" + file + "' --output a_file/out");
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("a_file/out: cannot create the output folder"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("trial 1/1"), std::string::npos) << "the run started: " << run.err;
}

TEST(App, AMissingPipelineFileIsAConfigurationError) {
  const auto run = xreg("run does-not-exist.toml");
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("does-not-exist.toml"), std::string::npos);
}

TEST(App, ASweepRunsEveryPointIntoItsOwnFolderAsARunWithSetWould) {
  const auto file = write_pipeline("sweep.toml", small_with(R"(
[sweep]
"train.lr" = [0.01, 0.05]
"model.hidden" = [[4], [8]]
)"));
  const auto validated = xreg("validate '" + file + "'");
  EXPECT_EQ(validated.out, file + ": valid, a sweep of 4 points\n");
  const auto sweep = xreg("run '" + file + "' --output sweep_out --quiet");
  ASSERT_EQ(sweep.code, 0) << sweep.err;
  EXPECT_EQ(lines(sweep.out), 2 + 4) << sweep.out;
  EXPECT_NE(sweep.out.find("0.05      [ 4 ]"), std::string::npos) << sweep.out;
  const std::string csv = slurp(scratch() / "sweep_out" / "sweep.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "point,train.lr,model.hidden,mse mean,mse sd,trials");
  EXPECT_EQ(lines(csv), 1 + 4);
  EXPECT_TRUE(fs::exists(scratch() / "sweep_out" / "run.complete"));
  const std::string figure = slurp(scratch() / "sweep_out" / "sweep.svg");
  EXPECT_EQ(count(figure, "<circle"), 4) << "a marker per point of the one metric";
  EXPECT_EQ(count(figure, "<path"), 2) << "a line per model.hidden";
  const auto alone = write_pipeline("alone.toml", kSmall);
  ASSERT_EQ(xreg("run '" + alone + "' --output alone_out --quiet --set train.lr=0.05").code, 0);
  EXPECT_EQ(slurp(scratch() / "sweep_out" / "points" / "3" / "metrics.csv"),
            slurp(scratch() / "alone_out" / "metrics.csv"));
}

TEST(App, ASweepValueTheSchemaRefusesStopsTheSweepBeforeAnyPointRuns) {
  const auto file = write_pipeline("bad_sweep.toml", small_with(R"(
[sweep]
"train.lr" = [0.01, -0.05]
)"));
  const auto run = xreg("run '" + file + "' --output bad_sweep_out");
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("bad_sweep.toml:19:21: [train] lr: expected a value > 0.0, found -0.05"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(scratch() / "bad_sweep_out")) << "a point ran: " << run.err;
}

}  // namespace
