// The launcher's environment: which launcher started this process, its rank and the
// rendezvous address, read from a fake environment (no network).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "xreg/host/cluster/launch.hpp"
#include "xreg/host/errors.hpp"

namespace {

using Environment = std::map<std::string, std::string>;

xreg::EnvironmentReader reader(const Environment& environment) {
  return [environment](const std::string& name) -> std::optional<std::string> {
    auto found = environment.find(name);
    if (found == environment.end()) return std::nullopt;
    return found->second;
  };
}

xreg::LaunchEnvironment launch(const Environment& environment) {
  return xreg::launch_environment(reader(environment));
}

/// The ConfigError's message, or "(accepted)".
std::string refusal(const Environment& environment) {
  try {
    launch(environment);
  } catch (const xreg::ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

std::string nodelist_refusal(const std::string& nodelist) {
  try {
    xreg::first_slurm_host(nodelist);
  } catch (const xreg::ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(LaunchEnvironment, WithoutALauncherIsOneProcess) {
  const auto one = launch({{"MASTER_ADDR", "host0"}, {"MASTER_PORT", "1234"}, {"RANK", "1"}});
  EXPECT_EQ(one.launcher, "none");
  EXPECT_EQ(one.rank, 0);
  EXPECT_EQ(one.world_size, 1);
  EXPECT_EQ(one.local_rank, 0);
  EXPECT_EQ(one.master_addr, "");
  EXPECT_EQ(one.master_port, 29500);
  EXPECT_FALSE(one.distributed());
}

TEST(LaunchEnvironment, Torchrun) {
  const auto torchrun = launch({{"RANK", "3"},
                                {"WORLD_SIZE", "8"},
                                {"LOCAL_RANK", "1"},
                                {"MASTER_ADDR", "10.0.0.7"},
                                {"MASTER_PORT", "12345"}});
  EXPECT_EQ(torchrun.launcher, "torchrun");
  EXPECT_EQ(torchrun.rank, 3);
  EXPECT_EQ(torchrun.world_size, 8);
  EXPECT_EQ(torchrun.local_rank, 1);
  EXPECT_EQ(torchrun.master_addr, "10.0.0.7");
  EXPECT_EQ(torchrun.master_port, 12345);
  EXPECT_TRUE(torchrun.distributed());
}

TEST(LaunchEnvironment, TorchrunDefaults) {
  const auto torchrun = launch({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  EXPECT_EQ(torchrun.local_rank, 0);
  EXPECT_EQ(torchrun.master_addr, "127.0.0.1");
  EXPECT_EQ(torchrun.master_port, 29500);
}

TEST(LaunchEnvironment, SlurmTakesTheFirstNodeOfTheJob) {
  const auto slurm = launch({{"SLURM_PROCID", "5"},
                             {"SLURM_NTASKS", "8"},
                             {"SLURM_LOCALID", "1"},
                             {"SLURM_JOB_NODELIST", "gpu[003-006],cpu1"},
                             {"SLURM_NODELIST", "other1"},
                             {"MASTER_PORT", "29400"}});
  EXPECT_EQ(slurm.launcher, "slurm");
  EXPECT_EQ(slurm.rank, 5);
  EXPECT_EQ(slurm.world_size, 8);
  EXPECT_EQ(slurm.local_rank, 1);
  EXPECT_EQ(slurm.master_addr, "gpu003");
  EXPECT_EQ(slurm.master_port, 29400);
}

TEST(LaunchEnvironment, SlurmDefaultsAndFallbacks) {
  const auto slurm =
      launch({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_NODELIST", "node[7-8]"}});
  EXPECT_EQ(slurm.local_rank, 0);
  EXPECT_EQ(slurm.master_addr, "node7");
  EXPECT_EQ(slurm.master_port, 29500);
  const auto addressed = launch({{"SLURM_PROCID", "0"},
                                 {"SLURM_NTASKS", "2"},
                                 {"SLURM_JOB_NODELIST", "node[7-8]"},
                                 {"MASTER_ADDR", "login1"}});
  EXPECT_EQ(addressed.master_addr, "login1");
}

TEST(LaunchEnvironment, OpenMpi) {
  const auto mpi = launch({{"OMPI_COMM_WORLD_RANK", "2"},
                           {"OMPI_COMM_WORLD_SIZE", "4"},
                           {"OMPI_COMM_WORLD_LOCAL_RANK", "2"}});
  EXPECT_EQ(mpi.launcher, "openmpi");
  EXPECT_EQ(mpi.rank, 2);
  EXPECT_EQ(mpi.world_size, 4);
  EXPECT_EQ(mpi.local_rank, 2);
  EXPECT_EQ(mpi.master_addr, "127.0.0.1");
  EXPECT_EQ(mpi.master_port, 29500);
  const auto addressed = launch({{"OMPI_COMM_WORLD_RANK", "2"},
                                 {"OMPI_COMM_WORLD_SIZE", "4"},
                                 {"MASTER_ADDR", "host0"},
                                 {"MASTER_PORT", "40000"}});
  EXPECT_EQ(addressed.local_rank, 0);
  EXPECT_EQ(addressed.master_addr, "host0");
  EXPECT_EQ(addressed.master_port, 40000);
}

TEST(LaunchEnvironment, TorchrunThenSlurmThenOpenMpi) {
  const Environment torchrun = {{"RANK", "1"}, {"WORLD_SIZE", "2"}};
  const Environment slurm = {
      {"SLURM_PROCID", "2"}, {"SLURM_NTASKS", "3"}, {"SLURM_JOB_NODELIST", "n1"}};
  const Environment mpi = {{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}};
  Environment all = torchrun;
  all.insert(slurm.begin(), slurm.end());
  all.insert(mpi.begin(), mpi.end());
  EXPECT_EQ(launch(all).launcher, "torchrun");
  all.erase("WORLD_SIZE");  // half of torchrun's variables: not a torchrun launch
  EXPECT_EQ(launch(all).launcher, "slurm");
  EXPECT_EQ(launch(all).rank, 2);
  all.erase("SLURM_NTASKS");
  EXPECT_EQ(launch(all).launcher, "openmpi");
  EXPECT_EQ(launch(all).rank, 3);
}

TEST(LaunchEnvironment, OneProcessReadsNoRendezvous) {
  const auto one = launch({{"SLURM_PROCID", "0"},
                           {"SLURM_NTASKS", "1"},
                           {"SLURM_JOB_NODELIST", "broken["},
                           {"MASTER_PORT", "0"}});
  EXPECT_EQ(one.launcher, "slurm");
  EXPECT_FALSE(one.distributed());
  EXPECT_EQ(one.master_addr, "");
}

TEST(LaunchEnvironment, TheRealEnvironment) {
  const char* names[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"};
  std::map<std::string, std::optional<std::string>> saved;
  for (const char* name : names) {
    const char* value = std::getenv(name);
    saved[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "2", 1);
  unsetenv("LOCAL_RANK");
  setenv("MASTER_ADDR", "host0", 1);
  setenv("MASTER_PORT", "23456", 1);
  const auto real = xreg::launch_environment();
  for (const auto& [name, value] : saved) {
    value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  }
  EXPECT_EQ(xreg::launch_label(real), "rank 1 of 2 (torchrun, rendezvous host0:23456)");
}

TEST(LaunchEnvironment, MalformedValuesAreRefusedNamingTheVariable) {
  const Environment torchrun = {{"RANK", "1"}, {"WORLD_SIZE", "3"}};
  const auto with = [&](const std::string& name, const std::string& value) {
    Environment environment = torchrun;
    environment[name] = value;
    return refusal(environment);
  };
  EXPECT_EQ(with("RANK", "one"),
            "environment variable RANK: expected an integer from 0 to 2, found 'one'");
  EXPECT_EQ(with("RANK", "1.0"),
            "environment variable RANK: expected an integer from 0 to 2, found '1.0'");
  EXPECT_EQ(with("RANK", ""),
            "environment variable RANK: expected an integer from 0 to 2, found ''");
  EXPECT_EQ(with("RANK", "3"),
            "environment variable RANK: expected an integer from 0 to 2, found '3'");
  EXPECT_EQ(with("RANK", "-1"),
            "environment variable RANK: expected an integer from 0 to 2, found '-1'");
  EXPECT_EQ(with("WORLD_SIZE", "0"),
            "environment variable WORLD_SIZE: expected an integer from 1 to 1048576, found '0'");
  EXPECT_EQ(with("LOCAL_RANK", "x"),
            "environment variable LOCAL_RANK: expected an integer from 0 to 2, found 'x'");
  EXPECT_EQ(with("MASTER_PORT", "0"),
            "environment variable MASTER_PORT: expected an integer from 1 to 65535, found '0'");
  EXPECT_EQ(with("MASTER_PORT", "65536"),
            "environment variable MASTER_PORT: expected an integer from 1 to 65535, found '65536'");
  EXPECT_EQ(with("MASTER_PORT", "http"),
            "environment variable MASTER_PORT: expected an integer from 1 to 65535, found 'http'");
  EXPECT_EQ(with("MASTER_ADDR", ""),
            "environment variable MASTER_ADDR: expected the rendezvous host, found ''");
  EXPECT_EQ(refusal({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "0"}}),
            "environment variable SLURM_NTASKS: expected an integer from 1 to 1048576, found '0'");
  EXPECT_EQ(
      refusal({{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "4"}}),
      "environment variable OMPI_COMM_WORLD_RANK: expected an integer from 0 to 3, found '4'");
}

TEST(LaunchEnvironment, SlurmNeedsAnAddressOrANodeList) {
  const Environment slurm = {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}};
  EXPECT_EQ(refusal(slurm),
            "environment variable MASTER_ADDR: expected the rendezvous host, or "
            "SLURM_JOB_NODELIST to take the first node from; found neither");
  Environment unreadable = slurm;
  unreadable["SLURM_NODELIST"] = "node[01-";
  EXPECT_EQ(refusal(unreadable),
            "environment variable SLURM_NODELIST: expected a Slurm node list such as "
            "node[01-04,07],gpu5, found 'node[01-'");
}

TEST(SlurmNodeList, FirstHost) {
  EXPECT_EQ(xreg::first_slurm_host("node01"), "node01");
  EXPECT_EQ(xreg::first_slurm_host("node01,node02"), "node01");
  EXPECT_EQ(xreg::first_slurm_host("node[01-04,07],gpu5"), "node01");
  EXPECT_EQ(xreg::first_slurm_host("gpu5,node[01-04,07]"), "gpu5");
  EXPECT_EQ(xreg::first_slurm_host("a[3,5-6]b"), "a3b");
  EXPECT_EQ(xreg::first_slurm_host("a[3,5-6]b,c1"), "a3b");
  EXPECT_EQ(xreg::first_slurm_host("n-[9-12]"), "n-9");
  EXPECT_EQ(xreg::first_slurm_host("node[001-010]"), "node001");
  EXPECT_EQ(xreg::first_slurm_host("node[7]"), "node7");
  EXPECT_EQ(xreg::first_slurm_host("rack[2-3]-n[09-12]"), "rack2-n09");
  EXPECT_EQ(xreg::first_slurm_host("host.example.org"), "host.example.org");
}

TEST(SlurmNodeList, UnreadableListsAreRefused) {
  for (const std::string nodelist :
       {"", ",node1", "node[", "node[]", "node[01-", "node[a-b]", "node[1,]", "node[1-2-3]",
        "node[4-2]", "node[[1]]", "node]1", "node[-3]"}) {
    EXPECT_EQ(nodelist_refusal(nodelist),
              "environment variable SLURM_JOB_NODELIST: expected a Slurm node list such as "
              "node[01-04,07],gpu5, found '" +
                  nodelist + "'")
        << nodelist;
  }
}

TEST(LaunchLabel, NamesRankLauncherAndRendezvous) {
  EXPECT_EQ(xreg::launch_label(launch({{"RANK", "1"}, {"WORLD_SIZE", "3"}})),
            "rank 1 of 3 (torchrun, rendezvous 127.0.0.1:29500)");
  EXPECT_EQ(xreg::launch_label(launch({})), "one process");
}

}  // namespace
