#pragma once
/// What a run keeps in its folder so that, killed at any moment, `xreg run --resume FOLDER` can
/// finish it with the numbers an uninterrupted run gives:
///   checkpoints/run.toml         how the run was started (pipeline file, --set overrides,
///                                plugin folders) and a digest of its resolved pipelines
///   checkpoints/trial-<t>.state  trial t's training state (TrainCheckpoint), while it trains
///   checkpoints/trial-<t>.done   trial t's finished report: a resumed run does not redo it
/// A sweep keeps run.toml in its folder and the trial files in each point's folder.

#include <cstdint>
#include <string>
#include <vector>

namespace xreg {

/// How a run was started: enough to start it again.
struct RunRecord {
  std::string file;                      ///< the pipeline file, absolute
  std::vector<std::string> sets;         ///< its --set overrides, in order
  std::vector<std::string> plugin_dirs;  ///< --plugin-dir folders, absolute
  std::string digest;                    ///< of the resolved pipelines (every sweep point's)
};

/// Readies `folder` for a fresh run: removes an earlier run's checkpoints/ and writes `record`.
/// Throws RunError naming the file on failure.
void begin_checkpoints(const std::string& folder, const RunRecord& record);

/// The record of the run in `folder`. Throws ConfigError naming the folder when it holds none
/// (not a run folder, or one from before runs could be resumed) or one that cannot be read.
RunRecord read_run_record(const std::string& folder);

/// Writes a checkpoint file (one of the two below) atomically, creating its folder first.
/// Throws RunError naming the file on failure.
void write_checkpoint_file(const std::string& file, const std::string& bytes);

/// Trial `trial`'s training state in run folder `folder`.
std::string trial_state_file(const std::string& folder, int64_t trial);

/// Trial `trial`'s finished report in run folder `folder`.
std::string finished_trial_file(const std::string& folder, int64_t trial);

}  // namespace xreg
