#pragma once
// Files of the tests that run the xreg program or write run folders: a scratch folder per test
// program, whole files read back, and programs run with their output captured.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace xreg::testing {

/// A folder of this test process's own under the temporary folder, created on first use:
/// <tmp>/<prefix>_<pid>.
inline std::filesystem::path scratch_folder(const std::string& prefix) {
  const auto folder =
      std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  return folder;
}

/// The whole file, bytes as they are; empty when it cannot be read.
inline std::string slurp(const std::filesystem::path& path) {
  std::stringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  return text.str();
}

/// What a program gave: its exit code (-1 when it did not exit), standard output and error.
struct Outcome {
  int code = -1;
  std::string out, err;
};

/// Runs the shell command line `command` from `folder`, its output captured in files there.
inline Outcome run_in(const std::filesystem::path& folder, const std::string& command) {
  const auto out = folder / "stdout", err = folder / "stderr";
  const std::string line = "cd '" + folder.string() + "' && " + command + " >'" + out.string() +
                           "' 2>'" + err.string() + "'";
  const int status = std::system(line.c_str());
  return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace xreg::testing
