#include "xreg/host/run/checkpoints.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <sstream>

#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"

namespace xreg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCheckpointFolder = "checkpoints";
constexpr const char* kRecordFile = "run.toml";

fs::path checkpoint_folder(const std::string& folder) {
  return fs::path(folder) / kCheckpointFolder;
}

toml::array toml_strings(const std::vector<std::string>& items) {
  toml::array array;
  for (const auto& item : items) array.push_back(item);
  return array;
}

/// The strings of array `key` in `table`; throws ConfigError naming `file` when it is not one.
std::vector<std::string> strings_at(const toml::table& table, const char* key,
                                    const std::string& file) {
  const toml::array* array = table[key].as_array();
  if (array == nullptr) throw ConfigError(file + ": expected an array of strings '" + key + "'");
  std::vector<std::string> items;
  for (const auto& item : *array) {
    const auto text = item.value<std::string>();
    if (!text) throw ConfigError(file + ": expected only strings in '" + key + "'");
    items.push_back(*text);
  }
  return items;
}

std::string string_at(const toml::table& table, const char* key, const std::string& file) {
  const auto text = table[key].value<std::string>();
  if (!text) throw ConfigError(file + ": expected a string '" + key + "'");
  return *text;
}

std::string trial_file(const std::string& folder, int64_t trial, const char* extension) {
  return (checkpoint_folder(folder) / ("trial-" + std::to_string(trial) + extension)).string();
}

}  // namespace

void begin_checkpoints(const std::string& folder, const RunRecord& record) {
  const fs::path checkpoints = checkpoint_folder(folder);
  std::error_code error;
  fs::remove_all(checkpoints, error);
  if (!error) fs::create_directories(checkpoints, error);
  if (error) throw RunError(checkpoints.string() + ": cannot prepare: " + error.message());
  toml::table table{{"file", record.file},
                    {"set", toml_strings(record.sets)},
                    {"plugin_dirs", toml_strings(record.plugin_dirs)},
                    {"digest", record.digest}};
  std::ostringstream text;
  text << "# How this run was started, for xreg run --resume.\n" << table << "\n";
  write_file_atomically((checkpoints / kRecordFile).string(), text.str());
}

RunRecord read_run_record(const std::string& folder) {
  const std::string file = (checkpoint_folder(folder) / kRecordFile).string();
  if (!fs::exists(file)) {
    throw ConfigError(folder + ": not a run folder that can be resumed (expected " + file +
                      ", found none)");
  }
  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw ConfigError(file + ":" + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
  return {string_at(table, "file", file), strings_at(table, "set", file),
          strings_at(table, "plugin_dirs", file), string_at(table, "digest", file)};
}

void write_checkpoint_file(const std::string& file, const std::string& bytes) {
  const fs::path folder = fs::path(file).parent_path();
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw RunError(folder.string() + ": cannot create: " + error.message());
  write_file_atomically(file, bytes);
}

std::string trial_state_file(const std::string& folder, int64_t trial) {
  return trial_file(folder, trial, ".state");
}

std::string finished_trial_file(const std::string& folder, int64_t trial) {
  return trial_file(folder, trial, ".done");
}

}  // namespace xreg
