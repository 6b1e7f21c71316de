#pragma once
// Reading a run folder's files back (private): its CSV files and whether it holds a finished
// run. `xreg compare` and `xreg report` read the same files the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xreg {

/// The completeness marker of a run folder and the marker of a failed one (report.hpp).
constexpr const char* kCompleteMarker = "run.complete";
constexpr const char* kFailedMarker = "run.failed";

/// One data row of a CSV file: its fields and where it is, "FILE:LINE: ", for messages.
struct CsvRow {
  std::vector<std::string> fields;
  std::string at;
};

/// A CSV file's header fields and data rows (empty lines skipped).
struct CsvFile {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

/// The fields of one CSV line, unquoting RFC 4180 fields (report.cpp quotes metric names with
/// commas or quotes); nullopt when a quoted field is not closed on the line.
std::optional<std::vector<std::string>> csv_fields(const std::string& line);

/// Reads the CSV file `path`. Throws ConfigError naming "FILE:LINE" when it cannot be read, its
/// first line is not `header` (any header when `header` is empty; nothing at all is refused
/// either way), a quoted field is not closed, or a row has another number of fields than the
/// header.
CsvFile read_csv_file(const std::string& path, const std::string& header = "");

/// A whole field holding an integer >= 0.
bool parse_index(const std::string& field, int64_t* value);

/// A whole field holding a number; "nan" and "inf" as report.cpp writes undefined metrics.
bool parse_number(const std::string& field, double* value);

/// Refuses a `folder` that does not exist or is a file: throws ConfigError naming it.
void check_run_folder(const std::string& folder);

/// Refuses a run folder that is not published (no run.complete): throws ConfigError saying
/// whether the run failed (run.failed) or was interrupted.
void check_run_published(const std::string& folder);

}  // namespace xreg
