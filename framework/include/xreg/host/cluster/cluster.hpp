#pragma once
/// The processes of one multi-process run (LibTorch's c10d: a TCPStore at the launcher's
/// rendezvous address, served by rank 0) and what they say to each other. Results travel to
/// rank 0, which alone prints and writes the run folder.
///
/// Faults: every rank beats a heartbeat into the store and watches the others'. A rank whose
/// heartbeat stops for `timeout` (killed, hung) or that announces a failure makes every other
/// rank print one line naming it and exit with code 1 within the timeout, calling the
/// on-failure hook first (rank 0 marks its run folder failed there); a rank that loses the
/// rendezvous server names rank 0.
///
/// Thread safety: one thread calls the methods; the watcher runs on a thread of its own.

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "xreg/host/cluster/launch.hpp"

namespace xreg {

class Cluster {
 public:
  /// Joins the run that `launch` describes (launch.distributed()). Throws RunError naming the
  /// address, this rank and what it waited for when not every rank joins within `timeout`.
  Cluster(const LaunchEnvironment& launch, std::chrono::milliseconds timeout);
  /// Stops watching; does not tell the others anything (see finish()).
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int64_t rank() const;
  int64_t size() const;
  /// "[rank R] ": the prefix of this rank's log lines.
  std::string log_prefix() const;

  /// Called, on the watcher's thread, before this process exits because another rank failed or
  /// was lost; `reason` is the line it prints. Keep it short and non-throwing.
  void on_failure(std::function<void(const std::string& reason)> hook);

  /// Collective: every rank passes a digest of its resolved pipeline; a rank whose digest
  /// differs from rank 0's gets ConfigError (and rank 0 RunError naming it), so that ranks
  /// started with different files or --set refuse to run.
  void check_same_pipeline(const std::string& digest);

  /// Collective (every rank calls it, in the same order): each rank's `bytes`, in rank order, on
  /// rank 0; an empty vector on the others, which do not wait.
  std::vector<std::string> gather(const std::string& bytes);

  /// Collective: replaces each of `tensors` (same shapes and dtype on every rank, on the CPU) by
  /// its sum over the ranks, the same bits on every rank (Gloo's ring all-reduce). The first
  /// call connects the ranks' Gloo process group.
  void sum(std::vector<torch::Tensor>& tensors);

  /// Tells the others this rank failed with `message`, so that they stop; never throws.
  void announce_failure(const std::string& message) noexcept;

  /// Collective, at the end of a run that succeeded: rank 0 waits until every rank is done with
  /// the store it serves; the others say they are done.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A stream that writes to `out` with `prefix` at the start of every line, after a newline or a
/// carriage return: "[rank 1] ", the log of one rank of a run, or a terminal's clear-to-end-of-
/// line, so that a line redrawn in place leaves nothing behind. `out` must outlive it.
std::unique_ptr<std::ostream> prefixed_log(std::ostream& out, const std::string& prefix);

}  // namespace xreg
