#pragma once
/// Where this process sits in a multi-process run, as its launcher says. torchrun, srun and
/// mpirun each start the same `xreg` command line several times and tell every copy its rank
/// in environment variables of their own; this reads them in one place, before any network is
/// touched, so that a mistyped value is a ConfigError on the command line rather than a hung
/// rendezvous. Cluster (cluster.hpp) joins the run that a LaunchEnvironment describes.
///
/// The launchers, the first whose rank and size are both set wins:
///   torchrun  RANK, WORLD_SIZE, LOCAL_RANK
///   Slurm     SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID
///   Open MPI  OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK
/// The local rank defaults to 0. The rendezvous (rank 0's TCPStore) is at MASTER_ADDR where
/// set; otherwise Slurm's first node (SLURM_JOB_NODELIST, or SLURM_NODELIST) and 127.0.0.1 for
/// torchrun and Open MPI. mpirun over several hosts therefore needs the address passed on,
/// e.g. `mpirun -x MASTER_ADDR=host0`. The port is MASTER_PORT, else 29500. A run of one
/// process has no rendezvous: MASTER_ADDR, MASTER_PORT and the node list are then not read.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace xreg {

/// Plain values, copied freely.
struct LaunchEnvironment {
  std::string launcher = "none";  ///< "none", "torchrun", "slurm" or "openmpi"
  int64_t rank = 0;               ///< in [0, world_size)
  int64_t world_size = 1;         ///< the number of processes
  int64_t local_rank = 0;         ///< the rank among the processes on this host
  std::string master_addr;        ///< the rendezvous host; empty for one process
  int64_t master_port = 29500;    ///< the rendezvous port, 1 to 65535

  bool distributed() const { return world_size > 1; }
};

/// Reads a variable of the environment; nullopt when it is not set.
using EnvironmentReader = std::function<std::optional<std::string>(const std::string&)>;

/// The launch that `getenv` describes (see above); `getenv` is called only during the call.
/// Throws ConfigError, one line naming the variable, what was expected and what was found, for
/// a malformed value: a rank, size or port that is not an integer or out of range, an empty
/// MASTER_ADDR, a node list that cannot be read, or Slurm without MASTER_ADDR and node list.
LaunchEnvironment launch_environment(const EnvironmentReader& getenv);

/// The same for this process's environment.
LaunchEnvironment launch_environment();

/// For log lines: "rank 1 of 3 (torchrun, rendezvous 127.0.0.1:29500)", or "one process".
std::string launch_label(const LaunchEnvironment& launch);

/// The first host of a Slurm node list, expanding the compressed syntax: "node[01-04,07],gpu5"
/// gives node01, "a[3,5-6]b" a3b, "rack[2-3]-n[09-12]" rack2-n09 (zero padding kept). Throws
/// ConfigError naming `variable` when the list cannot be read.
std::string first_slurm_host(const std::string& nodelist,
                             const std::string& variable = "SLURM_JOB_NODELIST");

}  // namespace xreg
