#include "xreg/host/cluster/launch.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// The variable's value as an integer in [low, high]; ConfigError naming it otherwise.
int64_t integer_variable(const std::string& name, const std::string& value, int64_t low,
                         int64_t high) {
  int64_t parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || parsed < low || parsed > high) {
    throw ConfigError("environment variable " + name + ": expected an integer from " +
                      std::to_string(low) + " to " + std::to_string(high) + ", found '" + value +
                      "'");
  }
  return parsed;
}

/// The names of one launcher's variables.
struct Variables {
  const char* launcher;
  const char* rank;
  const char* size;
  const char* local_rank;
};

constexpr Variables kLaunchers[] = {
    {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK"},
    {"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"},
    {"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
};

bool is_number(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Whether `ranges`, what stands between a node list's brackets, reads like "01-04,07": numbers
/// and ascending ranges separated by commas.
bool valid_ranges(const std::string& ranges) {
  for (size_t begin = 0;;) {
    const size_t end = std::min(ranges.find(',', begin), ranges.size());
    const std::string item = ranges.substr(begin, end - begin);
    const size_t dash = item.find('-');
    const std::string low = item.substr(0, dash);
    const std::string high = dash == std::string::npos ? low : item.substr(dash + 1);
    if (!is_number(low) || !is_number(high) || std::stoll(low) > std::stoll(high)) return false;
    if (end == ranges.size()) return true;
    begin = end + 1;
  }
}

std::string rendezvous_host(const std::string& launcher, const EnvironmentReader& getenv) {
  if (auto address = getenv("MASTER_ADDR")) {
    if (address->empty()) {
      throw ConfigError("environment variable MASTER_ADDR: expected the rendezvous host, found ''");
    }
    return *address;
  }
  if (launcher != "slurm") return "127.0.0.1";
  for (const char* name : {"SLURM_JOB_NODELIST", "SLURM_NODELIST"}) {
    if (auto nodes = getenv(name)) return first_slurm_host(*nodes, name);
  }
  throw ConfigError(
      "environment variable MASTER_ADDR: expected the rendezvous host, or SLURM_JOB_NODELIST "
      "to take the first node from; found neither");
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist, const std::string& variable) {
  const ConfigError refusal("environment variable " + variable +
                            ": expected a Slurm node list such as node[01-04,07],gpu5, found '" +
                            nodelist + "'");
  std::string host;
  // The first host ends at the first comma outside brackets; each bracket gives its first number.
  for (size_t i = 0; i < nodelist.size() && nodelist[i] != ',';) {
    if (nodelist[i] == ']') throw refusal;
    if (nodelist[i] != '[') {
      host += nodelist[i++];
      continue;
    }
    const size_t close = nodelist.find(']', i);
    if (close == std::string::npos) throw refusal;
    const std::string ranges = nodelist.substr(i + 1, close - i - 1);
    if (!valid_ranges(ranges)) throw refusal;
    host += ranges.substr(0, ranges.find_first_of(",-"));
    i = close + 1;
  }
  if (host.empty()) throw refusal;
  return host;
}

LaunchEnvironment launch_environment(const EnvironmentReader& getenv) {
  LaunchEnvironment launch;
  for (const Variables& names : kLaunchers) {
    const auto rank = getenv(names.rank), size = getenv(names.size);
    if (!rank || !size) continue;
    launch.launcher = names.launcher;
    launch.world_size = integer_variable(names.size, *size, 1, 1 << 20);
    launch.rank = integer_variable(names.rank, *rank, 0, launch.world_size - 1);
    if (auto local = getenv(names.local_rank)) {
      launch.local_rank = integer_variable(names.local_rank, *local, 0, launch.world_size - 1);
    }
    if (!launch.distributed()) return launch;
    launch.master_addr = rendezvous_host(launch.launcher, getenv);
    if (auto port = getenv("MASTER_PORT")) {
      launch.master_port = integer_variable("MASTER_PORT", *port, 1, 65535);
    }
    return launch;
  }
  return launch;
}

LaunchEnvironment launch_environment() {
  return launch_environment([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

std::string launch_label(const LaunchEnvironment& launch) {
  if (!launch.distributed()) return "one process";
  return "rank " + std::to_string(launch.rank) + " of " + std::to_string(launch.world_size) + " (" +
         launch.launcher + ", rendezvous " + launch.master_addr + ":" +
         std::to_string(launch.master_port) + ")";
}

}  // namespace xreg
