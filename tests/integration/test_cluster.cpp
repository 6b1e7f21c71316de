// Multi-process runs on loopback, started as torchrun starts them (RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT): results identical to one process, and the faults a cluster has.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "loopback_port.hpp"
#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_cluster_test");
  return dir;
}

using xreg::testing::slurp;

std::string write_pipeline(const std::string& name, const std::string& text) {
  const auto path = scratch() / name;
  std::ofstream(path) << text;
  return path.string();
}

/// What each rank of a run printed and returned.
struct Ranks {
  std::vector<int> codes;
  std::vector<std::string> out, err;
  double seconds = 0;
};

/// Starts ranks `started` (default: all) of a `world`-process `xreg run FILE --output OUTPUT`
/// (`extra[r]` appended to rank r's arguments) with torchrun's variables, runs the shell command
/// `meanwhile` (rank r's process id is in OUTPUT.r.pid), and waits for all of them.
Ranks run_ranks(int world, const std::string& file, const std::string& output,
                const std::vector<std::string>& extra = {}, const std::string& meanwhile = "",
                std::vector<int> started = {}) {
  const int port = xreg::testing::free_loopback_port();
  if (started.empty()) {
    for (int rank = 0; rank < world; ++rank) started.push_back(rank);
  }
  std::string command = "cd '" + scratch().string() + "' && { ";
  for (int rank : started) {
    const std::string tag = output + "." + std::to_string(rank);
    command += "( env -u XREG_PLUGIN_PATH RANK=" + std::to_string(rank) +
               " WORLD_SIZE=" + std::to_string(world) + " LOCAL_RANK=" + std::to_string(rank) +
               " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) +
               " '" XREG_APP "' run '" + file + "' --output '" + output + "' " +
               (rank < static_cast<int>(extra.size()) ? extra[rank] : "") + " >'" + tag +
               ".out' 2>'" + tag + ".err' & echo $! >'" + tag + ".pid'; wait $!; echo $? >'" + tag +
               ".rc' ) & ";
  }
  command += meanwhile + " wait; }";
  const auto start = std::chrono::steady_clock::now();
  std::system(command.c_str());
  Ranks ranks;
  ranks.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int rank : started) {
    const fs::path tag = scratch() / (output + "." + std::to_string(rank));
    const std::string code = slurp(tag.string() + ".rc");
    ranks.codes.push_back(code.empty() ? -1 : std::stoi(code));
    ranks.out.push_back(slurp(tag.string() + ".out"));
    ranks.err.push_back(slurp(tag.string() + ".err"));
  }
  return ranks;
}

/// One process, as a user runs it without a launcher; `args` appended.
int run_alone(const std::string& file, const std::string& output, const std::string& args = "") {
  const std::string command = "cd '" + scratch().string() +
                              "' && env -u XREG_PLUGIN_PATH '" XREG_APP "' run '" + file +
                              "' --output '" + output + "' --quiet " + args + " >/dev/null";
  return WEXITSTATUS(std::system(command.c_str()));
}

std::string all_of(const Ranks& ranks) {
  std::string text;
  for (size_t r = 0; r < ranks.err.size(); ++r) {
    text += "rank " + std::to_string(r) + " (exit " + std::to_string(ranks.codes[r]) +
            "): " + ranks.err[r] + "\n";
  }
  return text;
}

/// Friedman #1, a small MLP, LIME scored by point fidelity and MSE: every result a per-point
/// value that depends on the seed, its stream and the point's global index.
std::string explained_pipeline(const std::string& parallel, int trials, int timeout = 60) {
  return "[run]\ntrials = " + std::to_string(trials) + "\nparallel = \"" + parallel +
         "\"\ntimeout = " + std::to_string(timeout) + "\n" + R"(
[data]
format = "builtin"
samples = 150

[model]
plugin = "mlp"
hidden = [8]

[train]
max_epochs = 4

[[explainer]]
plugin = "lime"
samples = 50

[[metric]]
plugin = "mse"

[[metric]]
plugin = "point_fidelity"
)";
}

/// `files` and the explanation files (.pt and .csv) of `explainers` in trials 0 to trials - 1.
std::vector<std::string> with_explanations(std::vector<std::string> files,
                                           const std::vector<std::string>& explainers, int trials) {
  for (const std::string& explainer : explainers) {
    for (int t = 0; t < trials; ++t) {
      const std::string stem = "explanations/" + explainer + "/trial-" + std::to_string(t);
      files.push_back(stem + ".pt");
      files.push_back(stem + ".csv");
    }
  }
  return files;
}

void expect_same_files(const std::string& one, const std::string& many,
                       const std::vector<std::string>& files) {
  for (const std::string& file : files) {
    const std::string alone = slurp(scratch() / one / file);
    EXPECT_FALSE(alone.empty()) << file;
    EXPECT_EQ(slurp(scratch() / many / file), alone) << file;
  }
}

TEST(Cluster, ShardedEvaluationOnTwoAndThreeProcessesWritesWhatOneProcessWrites) {
  const auto file = write_pipeline("points.toml", explained_pipeline("points", 1));
  ASSERT_EQ(run_alone(file, "points_1"), 0);
  for (int world : {2, 3}) {
    const std::string output = "points_" + std::to_string(world);
    const Ranks ranks = run_ranks(world, file, output);
    for (int rank = 0; rank < world; ++rank) ASSERT_EQ(ranks.codes[rank], 0) << all_of(ranks);
    expect_same_files("points_1", output,
                      with_explanations({"metrics.csv", "metrics_trials.csv", "metrics_points.csv"},
                                        {"lime"}, 1));
    EXPECT_NE(ranks.out[0].find("lime/point_fidelity"), std::string::npos) << ranks.out[0];
    EXPECT_EQ(ranks.out[1], "") << "only rank 0 prints the table";
  }
}

TEST(Threads, OneTwoOrThreeWorkerThreadsWriteTheSameFiles) {
  const auto file = write_pipeline("threads.toml", explained_pipeline("auto", 2) + R"(
[[explainer]]
plugin = "maple"

[[explainer]]
plugin = "saliency"

[[metric]]
plugin = "stability"
)");
  for (int threads : {1, 2, 3}) {
    ASSERT_EQ(run_alone(file, "threads_" + std::to_string(threads),
                        "--set run.threads=" + std::to_string(threads)),
              0);
  }
  for (const char* many : {"threads_2", "threads_3"}) {
    expect_same_files("threads_1", many,
                      with_explanations({"metrics.csv", "metrics_trials.csv", "metrics_points.csv"},
                                        {"lime", "maple", "saliency"}, 2));
  }
}

TEST(Cluster, OpenMpisMpirunStartsARunAsTorchrunsVariablesDo) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  const auto file = write_pipeline("mpi.toml", explained_pipeline("points", 1));
  ASSERT_EQ(run_alone(file, "mpi_1"), 0);
  const std::string command = "cd '" + scratch().string() +
                              "' && env -u XREG_PLUGIN_PATH mpirun --allow-run-as-root "
                              "--oversubscribe -n 2 -x MASTER_PORT=" +
                              std::to_string(xreg::testing::free_loopback_port()) +
                              " '" XREG_APP "' run '" + file +
                              "' --output mpi_2 --quiet >mpi_2.out 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(scratch() / "mpi_2.out");
  expect_same_files("mpi_1", "mpi_2",
                    with_explanations({"metrics.csv", "metrics_points.csv"}, {"lime"}, 1));
}

TEST(Cluster, TorchrunStartsARunAsItsVariablesSay) {
  if (std::system("/usr/bin/python3 -c 'import torch.distributed.run' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3-torch";
  }
  const auto file = write_pipeline("torchrun.toml", explained_pipeline("points", 1));
  ASSERT_EQ(run_alone(file, "torchrun_1"), 0);
  // Debian 12's torchrun (PyTorch 1.13 on Python 3.11) fails on its default --redirects/--tee of
  // 0; 2 (standard error to its log, and shown) is read correctly.
  const std::string command =
      "cd '" + scratch().string() +
      "' && env -u XREG_PLUGIN_PATH /usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 "
      "--master_port " +
      std::to_string(xreg::testing::free_loopback_port()) +
      " --redirects 2 --tee 2 --no_python '" XREG_APP "' run '" + file +
      "' --output torchrun_2 --quiet >torchrun_2.out 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(scratch() / "torchrun_2.out");
  expect_same_files("torchrun_1", "torchrun_2",
                    with_explanations({"metrics.csv", "metrics_points.csv"}, {"lime"}, 1));
}

TEST(Cluster, TrialsOverRanksGiveTheTableOfOneProcess) {
  const auto file = write_pipeline("trials.toml", explained_pipeline("trials", 3));
  ASSERT_EQ(run_alone(file, "trials_1"), 0);
  const Ranks ranks = run_ranks(2, file, "trials_2", {"", "--set run.threads=1"});
  ASSERT_EQ(ranks.codes, (std::vector<int>{2, 2})) << "--set differs: " << all_of(ranks);
  EXPECT_NE(ranks.err[0].find("rank 1 was given a different pipeline than rank 0"),
            std::string::npos)
      << all_of(ranks);
  const Ranks same = run_ranks(2, file, "trials_2");
  ASSERT_EQ(same.codes, (std::vector<int>{0, 0})) << all_of(same);
  expect_same_files(
      "trials_1", "trials_2",
      with_explanations({"metrics.csv", "metrics_trials.csv", "metrics_points.csv"}, {"lime"}, 3));
}

TEST(Cluster, ASweepOfThreePointsAndTwoTrialsOverTwoRanksIsOneProcesssSweep) {
  const auto file = write_pipeline("sweep.toml", explained_pipeline("auto", 2) +
                                                     "\n[sweep]\n\"train.lr\" = [0.001, 0.01, "
                                                     "0.1]\n");
  ASSERT_EQ(run_alone(file, "sweep_1"), 0);
  const Ranks ranks = run_ranks(2, file, "sweep_2");
  ASSERT_EQ(ranks.codes, (std::vector<int>{0, 0})) << all_of(ranks);
  expect_same_files(
      "sweep_1", "sweep_2",
      {"sweep.csv", "points/2/metrics_trials.csv", "points/2/explanations/lime/trial-1.pt",
       "points/0/explanations/lime/trial-0.csv"});
  EXPECT_NE(ranks.err[1].find("[rank 1] sweep point"), std::string::npos) << ranks.err[1];
}

/// metric (with ",output" when it has one) -> mean, from a run folder's metrics.csv.
std::map<std::string, double> means_of(const std::string& output) {
  std::map<std::string, double> means;
  std::istringstream lines(slurp(scratch() / output / "metrics.csv"));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const size_t second = line.find(',', line.find(',') + 1);
    const size_t third = line.find(',', second + 1);
    means[line.substr(0, second)] = std::stod(line.substr(second + 1, third - second - 1));
  }
  return means;
}

TEST(Cluster, DataParallelTrainingTakesOneProcesssStepsUpToFloatSummation) {
  // ExpO-Fidelity's batch (a mean over points) is split over the ranks as the minibatch is;
  // L2 (on the parameters alone) is evaluated by one rank. A fixed length of training, so that
  // float summation order cannot move early stopping.
  std::string pipeline = explained_pipeline("data", 2);
  pipeline.replace(pipeline.find("max_epochs = 4"), 14, "max_epochs = 20\nmin_epochs = 20");
  const auto file = write_pipeline("data.toml", pipeline + R"(
[[regularizer]]
plugin = "expo_fidelity"
weight = 0.1

[[regularizer]]
plugin = "l2"
weight = 0.001
)");
  ASSERT_EQ(run_alone(file, "data_1"), 0);
  const auto alone = means_of("data_1");
  ASSERT_EQ(alone.size(), 2u);
  for (int world : {2, 3}) {
    const std::string output = "data_" + std::to_string(world);
    const Ranks ranks = run_ranks(world, file, output);
    ASSERT_EQ(ranks.codes, std::vector<int>(world, 0)) << all_of(ranks);
    const auto together = means_of(output);
    for (const auto& [metric, mean] : alone) {
      // Observed: relative differences of 1e-9 to 1e-7 after 20 epochs of float32 training.
      EXPECT_NEAR(together.at(metric), mean, 1e-5 * std::abs(mean)) << metric << ", " << world;
    }
  }
}

/// Training that runs until the process is stopped. The timeout covers the rendezvous too, so it
/// leaves room for ranks that start seconds apart on a loaded machine (sanitizer builds).
constexpr int kTimeoutSeconds = 10;
const char* kEndlessTraining = R"([run]
timeout = 10
parallel = "points"

[data]
format = "builtin"
samples = 2000

[model]
plugin = "mlp"
hidden = [32]

[train]
max_epochs = 0
min_epochs = 100000

[[metric]]
plugin = "mse"
)";

/// Shell: once both ranks of run OUTPUT have begun training (each has logged its first trial),
/// kill -9 rank `victim` and write the time, in nanoseconds since the epoch, to OUTPUT.killed.
std::string kill_once_training(const std::string& output, int victim) {
  const std::string started =
      "grep -qs 'trial 1/1' " + output + ".0.err && grep -qs 'trial 1/1' " + output + ".1.err";
  return "for i in $(seq 1200); do " + started +
         " && break; sleep 0.1; done; sleep 1; kill -9 $(cat " + output + "." +
         std::to_string(victim) + ".pid); date +%s%N >" + output + ".killed;";
}

/// Seconds from the kill that `kill_once_training` wrote until now.
double seconds_since_kill(const std::string& output) {
  const std::string at = slurp(scratch() / (output + ".killed"));
  if (at.empty()) return 1e9;
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<double>(now.count() - std::stoll(at)) * 1e-9;
}

TEST(Cluster, ARankKilledMidRunStopsTheOthersWithinTheTimeoutNamingIt) {
  const auto file = write_pipeline("long.toml", kEndlessTraining);
  const Ranks ranks = run_ranks(2, file, "killed", {}, kill_once_training("killed", 1));
  EXPECT_EQ(ranks.codes[0], 1) << all_of(ranks);
  // The timeout, one watcher period and the exit; the slack is for a loaded machine.
  EXPECT_LT(seconds_since_kill("killed"), kTimeoutSeconds + 5) << all_of(ranks);
  EXPECT_NE(ranks.err[0].find("[rank 0] lost rank 1: no heartbeat for 10"), std::string::npos)
      << all_of(ranks);
  EXPECT_FALSE(fs::exists(scratch() / "killed" / "run.complete"));
  EXPECT_NE(slurp(scratch() / "killed" / "run.failed").find("lost rank 1"), std::string::npos);
  EXPECT_EQ(ranks.out[0], "") << "no results table for a failed run";
}

TEST(Cluster, LosingRankZeroAndItsStoreStopsTheOthersNamingIt) {
  const auto file = write_pipeline("long0.toml", kEndlessTraining);
  const Ranks ranks = run_ranks(2, file, "killed0", {}, kill_once_training("killed0", 0));
  EXPECT_EQ(ranks.codes[1], 1) << all_of(ranks);
  EXPECT_LT(seconds_since_kill("killed0"), kTimeoutSeconds + 5) << all_of(ranks);
  EXPECT_NE(ranks.err[1].find("[rank 1] lost rank 0"), std::string::npos) << all_of(ranks);
}

TEST(Cluster, ARankAloneAtTheRendezvousGivesUpAfterTheTimeoutNamingTheAddress) {
  const auto file = write_pipeline("alone.toml", explained_pipeline("auto", 1, /*timeout=*/2));
  const Ranks ranks = run_ranks(2, file, "alone", {}, "", {1});
  EXPECT_EQ(ranks.codes[0], 1) << all_of(ranks);
  EXPECT_LT(ranks.seconds, 20);
  EXPECT_NE(ranks.err[0].find("xreg: rendezvous at 127.0.0.1:"), std::string::npos) << ranks.err[0];
  EXPECT_NE(ranks.err[0].find("rank 1 of 2 waited 2"), std::string::npos) << ranks.err[0];
}

}  // namespace
