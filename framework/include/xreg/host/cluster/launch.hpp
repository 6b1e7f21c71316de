#pragma once
/// Where this process sits in a multi-process run, as its launcher says: torchrun's RANK /
/// WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT, Slurm's SLURM_PROCID / SLURM_NTASKS /
/// SLURM_LOCALID with the first host of SLURM_JOB_NODELIST, or Open MPI's
/// OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE / OMPI_COMM_WORLD_LOCAL_RANK. Without any of
/// them the run is one process.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace xreg {

struct LaunchEnvironment {
  std::string launcher = "none";  ///< "none", "torchrun", "slurm" or "openmpi"
  int64_t rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr;  ///< the rendezvous host; empty for one process
  int64_t master_port = 29500;

  bool distributed() const { return world_size > 1; }
};

/// Reads a variable of the environment; nullopt when it is not set.
using EnvironmentReader = std::function<std::optional<std::string>(const std::string&)>;

/// The launch that `getenv` describes, the first launcher whose variables are set in the order
/// torchrun, Slurm, Open MPI. The rendezvous address is MASTER_ADDR where set; otherwise Slurm's
/// first node (SLURM_JOB_NODELIST, or SLURM_NODELIST, in Slurm's compressed syntax:
/// "node[01-04,07]" is node01) and 127.0.0.1 for torchrun and Open MPI (mpirun over several
/// hosts needs `-x MASTER_ADDR=<host>`); the port MASTER_PORT, else 29500. Throws ConfigError
/// naming the variable, what was expected and what was found for a malformed value.
LaunchEnvironment launch_environment(const EnvironmentReader& getenv);

/// The same for this process's environment.
LaunchEnvironment launch_environment();

/// "rank 1 of 3 (torchrun, rendezvous 127.0.0.1:29500)", or "one process".
std::string launch_label(const LaunchEnvironment& launch);

/// The first host of a Slurm node list ("gpu[003-010,12],cpu1" gives gpu003). Throws
/// ConfigError when it cannot be read.
std::string first_slurm_host(const std::string& nodelist);

}  // namespace xreg
