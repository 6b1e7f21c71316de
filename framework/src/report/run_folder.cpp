#include "report/run_folder.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "xreg/host/errors.hpp"

namespace xreg {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

std::string joined(const std::vector<std::string>& fields) {
  std::string text;
  for (size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + fields[i];
  return text;
}

}  // namespace

std::optional<std::vector<std::string>> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

CsvFile read_csv_file(const std::string& path, const std::string& header) {
  std::ifstream in(path);
  if (!in) fail(path + ": cannot read: " + std::strerror(errno));
  const std::string expected = header.empty() ? "a header" : "the header " + header;
  CsvFile file;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    const std::string at = path + ":" + std::to_string(++number) + ": ";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && !header.empty() && line != header) {
      fail(at + "expected " + expected + ", found '" + line + "'");
    }
    if (number > 1 && line.empty()) continue;
    const std::optional<std::vector<std::string>> fields = csv_fields(line);
    if (!fields) fail(at + "expected a closing '\"', found the end of the line");
    if (number == 1) {
      file.header = *fields;
    } else if (fields->size() != file.header.size()) {
      fail(at + "expected " + std::to_string(file.header.size()) + " fields (" +
           joined(file.header) + "), found " + std::to_string(fields->size()));
    } else {
      file.rows.push_back(CsvRow{*fields, at});
    }
  }
  if (number == 0) fail(path + ":1: expected " + expected + ", found nothing");
  return file;
}

bool parse_index(const std::string& field, int64_t* value) {
  const char* end = field.data() + field.size();
  const auto result = std::from_chars(field.data(), end, *value);
  return result.ec == std::errc() && result.ptr == end && *value >= 0;
}

bool parse_number(const std::string& field, double* value) {
  char* end = nullptr;
  *value = std::strtod(field.c_str(), &end);
  return !field.empty() && end == field.c_str() + field.size();
}

void check_run_folder(const std::string& folder) {
  std::error_code error;
  if (!fs::exists(folder, error)) fail(folder + ": no such run folder");
  if (!fs::is_directory(folder, error)) fail(folder + ": expected a run folder, found a file");
}

void check_run_published(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code error;
  if (fs::exists(dir / kCompleteMarker, error)) return;
  fail(folder + (fs::exists(dir / kFailedMarker, error)
                     ? ": a failed run (run.failed, no run.complete), not a result"
                     : ": an interrupted run (no run.complete), not a result"));
}

}  // namespace xreg
