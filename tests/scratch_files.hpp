#pragma once
// Files of the tests that run the xreg program or write run folders: a scratch folder per test
// program, and whole files read back.

#include <unistd.h>

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

}  // namespace xreg::testing
