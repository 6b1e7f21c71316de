// xreg run --resume: a run killed with SIGKILL at any moment and resumed ends with the files an
// uninterrupted run writes, bit for bit, without redoing the trials it finished; a folder from
// another pipeline, or one that holds no run, is refused.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;
using xreg::testing::slurp;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_resume_test");
  return dir;
}

struct Outcome {
  int code = -1;
  std::string err;
};

/// Runs `command` (a shell line, XREG standing for the program) in the scratch folder.
Outcome shell(const std::string& command) {
  const auto err = scratch() / "stderr";
  std::string line = command;
  for (size_t at; (at = line.find("XREG")) != std::string::npos;) {
    line.replace(at, 4, "'" XREG_APP "'");
  }
  const int status = std::system(
      ("cd '" + scratch().string() + "' && (" + line + ") 2>'" + err.string() + "'").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(err)};
}

/// Two trials of ExpO-Fidelity training, LIME and its metrics, a checkpoint after every epoch.
const char* kPipeline = R"([run]
trials = 2
checkpoint_every = 0.0

[data]
format = "builtin"
generator = "friedman1"
samples = 400
standardize = "train"
standardize_target = true

[model]
plugin = "mlp"
hidden = [32, 32]

[train]
lr = 0.001
batch_size = 32
min_epochs = 40
patience = 20
max_epochs = 120

[[regularizer]]
plugin = "expo_fidelity"
weight = 0.1
batch_size = 8

[[explainer]]
plugin = "lime"

[[metric]]
plugin = "mse"

[[metric]]
plugin = "neighborhood_fidelity"
)";

void write_pipeline() { std::ofstream(scratch() / "pipeline.toml") << kPipeline; }

/// Starts a run into `folder`, kills it with SIGKILL as soon as `file` (in the folder) exists,
/// then resumes it.
Outcome kill_when_then_resume(const std::string& folder, const std::string& file) {
  const std::string wait =
      "for i in $(seq 1 1200); do [ -e " + folder + "/" + file + " ] && break; sleep 0.05; done; ";
  const Outcome killed = shell("XREG run pipeline.toml --quiet --output " + folder +
                               " >/dev/null & pid=$!; " + wait + "kill -9 $pid; wait $pid");
  EXPECT_EQ(killed.code, 137) << "the run ended before it could be killed: " << killed.err;
  EXPECT_FALSE(fs::exists(scratch() / folder / "run.complete"));
  return shell("XREG run --resume " + folder + " >/dev/null");
}

/// metrics.json without the training times, which no two runs share.
std::string untimed_json(const fs::path& file) {
  return std::regex_replace(slurp(file), std::regex("\"train_seconds\": [^,]*"), "");
}

void expect_same_results(const std::string& folder) {
  for (const char* name : {"metrics.csv", "metrics_trials.csv", "metrics_points.csv"}) {
    const std::string whole = slurp(scratch() / "whole" / name);
    EXPECT_FALSE(whole.empty()) << name;
    EXPECT_EQ(slurp(scratch() / folder / name), whole) << folder << "/" << name;
  }
  EXPECT_EQ(untimed_json(scratch() / folder / "metrics.json"),
            untimed_json(scratch() / "whole" / "metrics.json"));
  EXPECT_TRUE(fs::exists(scratch() / folder / "run.complete"));
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    write_pipeline();
    ASSERT_EQ(shell("XREG run pipeline.toml --quiet --output whole >/dev/null").code, 0);
  }
};

TEST_F(Resume, AKillDuringTheFirstTrialsTrainingResumesFromItsCheckpoint) {
  const Outcome resumed = kill_when_then_resume("first", "checkpoints/trial-0.state");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expect_same_results("first");
}

TEST_F(Resume, FinishedTrialsAreKeptAndTheSecondGoesOnFromItsCheckpoint) {
  const Outcome resumed = kill_when_then_resume("second", "checkpoints/trial-1.state");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("trial 1: finished before, kept"), std::string::npos) << resumed.err;
  EXPECT_EQ(resumed.err.find("trial 2: finished before, kept"), std::string::npos);
  expect_same_results("second");
}

TEST_F(Resume, ACompletedRunResumedKeepsEveryTrialAndItsResults) {
  ASSERT_EQ(shell("cp -r whole again").code, 0);
  const Outcome resumed = shell("XREG run --resume again >/dev/null");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("trial 2: finished before, kept"), std::string::npos);
  expect_same_results("again");
}

TEST_F(Resume, AFolderFromAnotherPipelineIsRefusedWithOneLine) {
  const Outcome refused = shell("XREG run --resume whole --set train.lr=0.01");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("whole: the run there was started from other pipelines"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1);
  std::ofstream(scratch() / "other.toml")
      << std::string(kPipeline) + "\n[[metric]]\nplugin = \"stability\"\n";
  EXPECT_EQ(shell("XREG run other.toml --resume whole").code, 2);
}

TEST_F(Resume, AFolderWithoutARunIsRefused) {
  fs::create_directories(scratch() / "empty");
  const Outcome refused = shell("XREG run --resume empty");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("empty: not a run folder that can be resumed"), std::string::npos)
      << refused.err;
  EXPECT_EQ(shell("XREG run --resume whole --output elsewhere").code, 2);
}

}  // namespace
