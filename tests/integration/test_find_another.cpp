// Find-another-explanation (RRR, Ross et al. 2017): [find_another] trains models one after
// another, each penalized (rrr) on the union of the earlier models' explanation masks.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "plugin_test_support.hpp"
#include "scratch_files.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/config/resolved_toml.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"
#include "xreg/host/run/runner.hpp"

namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_find_another");
  return dir;
}

using xreg::testing::slurp;

/// 240 rows: x0 and x1 both carry the label (x0 less noisy than x1), n0..n3 are noise.
std::string two_explanations_csv() {
  const fs::path path = scratch() / "two_explanations.csv";
  if (fs::exists(path)) return path.string();
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::ofstream out(path);
  out << "x0,x1,n0,n1,n2,n3,y\n";
  for (int i = 0; i < 240; ++i) {
    const int y = i % 2;
    const double s = y == 1 ? 1.0 : -1.0;
    out << s + 0.1 * noise(random) << "," << s + 0.6 * noise(random);
    for (int j = 0; j < 4; ++j) out << "," << noise(random);
    out << "," << y << "\n";
  }
  return path.string();
}

std::string pipeline_text() {
  return R"([run]
seed = 5

[data]
path = ")" +
         two_explanations_csv() +
         R"("
task = "binary"

[model]
plugin = "mlp"
hidden = [16]

[train]
lr = 0.01
batch_size = 40
max_epochs = 80
min_epochs = 80

[[regularizer]]
plugin = "rrr"
lambda = 1000.0

[[explainer]]
plugin = "saliency"
output = "predicted_class"

[[metric]]
plugin = "accuracy"

[[metric]]
plugin = "annotation_mass"
name = "mass_x0"
features = ["x0"]

[[metric]]
plugin = "annotation_mass"
name = "mass_x1"
features = ["x1"]

[[metric]]
plugin = "annotation_mass"
name = "mass_informative"
features = ["x0", "x1"]

[find_another]
iterations = 2
)";
}

const char* kFile = "fa.toml";

xreg::Pipeline pipeline_from(const std::string& text, const std::vector<std::string>& sets = {}) {
  auto document = xreg::parse_pipeline_text(text, (scratch() / kFile).string(), sets);
  return xreg::validate_pipeline(document, xreg::testing::built_plugins());
}

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    pipeline_from(text, sets);
  } catch (const xreg::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

double metric(const xreg::TrialReport& trial, const std::string& name) {
  for (const auto& m : trial.metrics) {
    if (m.metric == name) return m.mean;
  }
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

torch::Tensor load_mask(const fs::path& path) {
  const std::string bytes = slurp(path);
  return torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensor();
}

TEST(FindAnother, TheSecondModelAvoidsTheFeatureTheFirstReliedOn) {
  const fs::path output = scratch() / "run";
  xreg::RunOptions options;
  options.output = output.string();
  const xreg::Pipeline pipeline = pipeline_from(pipeline_text());
  const auto report = xreg::run_pipeline(pipeline, xreg::testing::built_plugins(), options);
  ASSERT_EQ(report.trials.size(), 1u);
  const auto& trial = report.trials[0];

  // Both iterations' metrics, side by side.
  for (const std::string name :
       {"accuracy", "saliency/mass_x0", "saliency/mass_x1", "annotated_fraction"}) {
    for (const std::string iteration : {"iteration-0/", "iteration-1/"}) {
      bool found = false;
      for (const auto& m : report.aggregate) found = found || m.metric == iteration + name;
      EXPECT_TRUE(found) << iteration + name;
    }
  }
  EXPECT_GT(metric(trial, "iteration-0/accuracy"), 0.9);
  EXPECT_EQ(metric(trial, "iteration-0/annotated_fraction"), 0.0);  // A_0 = 0

  // The feature model 0 relied on is in A_1 for (nearly) every training example.
  const double mass0 = metric(trial, "iteration-0/saliency/mass_x0");
  const double mass1 = metric(trial, "iteration-0/saliency/mass_x1");
  const int64_t relied = mass0 >= mass1 ? 0 : 1;
  const double before = std::max(mass0, mass1);
  EXPECT_GE(before, 0.5);
  const fs::path folder = output / "find_another";
  for (const std::string file : {"trial-0-iteration-0.csv", "trial-0-iteration-0-mask.pt",
                                 "trial-0-iteration-1.csv", "trial-0-iteration-1-mask.pt"}) {
    EXPECT_TRUE(fs::exists(folder / file)) << file;
  }
  const torch::Tensor a1 = load_mask(folder / "trial-0-iteration-0-mask.pt");
  ASSERT_EQ(a1.scalar_type(), torch::kUInt8);
  ASSERT_EQ(a1.sizes(), (std::vector<int64_t>{120, 6}));  // the training split, x's shape
  EXPECT_GT(a1.select(1, relied).to(torch::kDouble).mean().item<double>(), 0.9);
  EXPECT_GT(metric(trial, "iteration-1/annotated_fraction"), 0.0);
  const torch::Tensor a2 = load_mask(folder / "trial-0-iteration-1-mask.pt");
  EXPECT_TRUE(((a2 >= a1).all()).item<bool>()) << "A_2 = A_1 ∪ M(g_1) contains A_1";

  // Model 1, penalized on A_1, explains itself with the informative features far less: its
  // input gradients there are small next to the noise features'.
  const double after = metric(trial, "iteration-1/saliency/mass_x" + std::to_string(relied));
  EXPECT_LT(after, 0.6 * before) << "before " << before << ", after " << after;
  EXPECT_GT(metric(trial, "iteration-0/saliency/mass_informative"), 0.9);
  EXPECT_LT(metric(trial, "iteration-1/saliency/mass_informative"), 0.4);

  // The iteration file holds that iteration's rows, unprefixed.
  const std::string csv = slurp(folder / "trial-0-iteration-1.csv");
  EXPECT_EQ(csv.rfind("metric,output,mean,sd,points\naccuracy,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\nannotated_fraction,"), std::string::npos) << csv;

  // The run folder's tables carry the prefixed rows; the resolved file the table.
  xreg::write_report(pipeline, xreg::testing::built_plugins(), report, output.string());
  EXPECT_NE(slurp(output / "metrics.csv").find("\niteration-1/accuracy,"), std::string::npos);
  EXPECT_NE(slurp(output / "metrics.json").find("\"iteration-1/saliency/mass_x0\""),
            std::string::npos);
  EXPECT_NE(slurp(output / "pipeline.resolved.toml")
                .find("\n[find_another]\niterations = 2\nthreshold = 0.67\n"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(output / "run.complete"));
  EXPECT_TRUE(fs::exists(folder / "trial-0-iteration-1-mask.pt"));
}

TEST(FindAnother, SameSeedSameResultsAndIterationZeroIsThePlainRun) {
  const auto run = [](const std::vector<std::string>& sets, const std::string& output) {
    xreg::RunOptions options;
    options.output = output;
    return xreg::run_pipeline(pipeline_from(pipeline_text(), sets), xreg::testing::built_plugins(),
                              options);
  };
  const std::vector<std::string> once = {"find_another.iterations=1"};
  const auto a = run(once, (scratch() / "a").string());
  const auto b = run(once, (scratch() / "b").string());
  ASSERT_EQ(a.trials[0].metrics.size(), b.trials[0].metrics.size());
  for (size_t i = 0; i < a.trials[0].metrics.size(); ++i) {
    EXPECT_EQ(a.trials[0].metrics[i].metric, b.trials[0].metrics[i].metric);
    EXPECT_EQ(a.trials[0].metrics[i].mean, b.trials[0].metrics[i].mean);
  }
  const std::string mask = "find_another/trial-0-iteration-0-mask.pt";
  EXPECT_EQ(slurp(scratch() / "a" / mask), slurp(scratch() / "b" / mask));
  // Iteration 0 trains as a run without [find_another] does.
  const auto plain = run({"find_another.iterations=0"}, "");
  EXPECT_EQ(metric(plain.trials[0], "accuracy"), metric(a.trials[0], "iteration-0/accuracy"));
  EXPECT_EQ(metric(plain.trials[0], "saliency/mass_x0"),
            metric(a.trials[0], "iteration-0/saliency/mass_x0"));
}

TEST(FindAnother, RefusesBadValuesWithTheirPosition) {
  const std::string base = pipeline_text();
  const std::string file = (scratch() / kFile).string();
  const auto with = [&](const std::string& table) {
    const auto at = base.find("[find_another]");
    return base.substr(0, at) + table;
  };
  const auto line_of = [&](const std::string& text, const std::string& what) {
    const auto at = text.find(what);
    return std::to_string(std::count(text.begin(), text.begin() + at, '\n') + 1);
  };
  const std::string negative = with("[find_another]\niterations = -1\n");
  EXPECT_EQ(error_of(negative).rfind(file + ":" + line_of(negative, "iterations = -1") +
                                         ":14: " + "[find_another] iterations: ",
                                     0),
            0u)
      << error_of(negative);
  const std::string one = with("[find_another]\niterations = 2\nthreshold = 1.0\n");
  EXPECT_EQ(
      error_of(one).rfind(
          file + ":" + line_of(one, "threshold = 1.0") + ":13: " + "[find_another] threshold: ", 0),
      0u)
      << error_of(one);
  const std::string below = with("[find_another]\niterations = 2\nthreshold = -0.5\n");
  EXPECT_NE(error_of(below).find(":" + line_of(below, "threshold = -0.5") + ":13: "),
            std::string::npos)
      << error_of(below);
  // Training disabled: refused at the table's iterations.
  const std::string message = error_of(base, {"train.enabled=false"});
  EXPECT_EQ(message.rfind(file + ":" + line_of(base, "iterations = 2") + ":14: [find_another] " +
                              "iterations = 2 trains a model per iteration, but [train] enabled "
                              "= false",
                          0),
            0u)
      << message;
  EXPECT_NE(error_of(base, {"find_another.threshold=1"}).find("--set find_another.threshold"),
            std::string::npos);
  // Off by default, and a file without the table is valid as before.
  EXPECT_EQ(pipeline_from(with("")).find_another.integer("iterations"), 0);
}

TEST(FindAnother, TheProgramRefusesWithExitCodeTwo) {
  const fs::path file = scratch() / "bad.toml";
  std::ofstream(file) << pipeline_text() << "threshold = 1.5\n";
  const std::string command = "env -u XREG_PLUGIN_PATH '" XREG_APP "' validate --plugin-dir '" +
                              std::string(XREG_PLUGIN_BUILD_DIR) + "' '" + file.string() +
                              "' >/dev/null 2>'" + (scratch() / "err").string() + "'";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(slurp(scratch() / "err").find("[find_another] threshold: "), std::string::npos)
      << slurp(scratch() / "err");
}

}  // namespace
