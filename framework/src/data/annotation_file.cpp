/// data.annotation_file: a CSV file of 0/1 values or an IDX file of bytes, one mask per row of
/// the data source, checked against the source's rows, point shape and feature names.

#include "data/annotation_file.hpp"

#include <c10/util/accumulate.h>
#include <torch/types.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "text.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// The most feature names a message lists.
constexpr size_t kMaxListedNames = 12;

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

std::string shape_text(c10::IntArrayRef shape) {
  std::ostringstream text;
  text << shape;
  return text.str();
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// The rows the mask must have: those of the source, including the ones drop_missing left out.
int64_t source_rows(const Table& table) { return table.x.size(0) + table.dropped_rows; }

std::string rows_text(int64_t rows, const std::string& row_word) {
  return std::to_string(rows) + " " + row_word + (rows == 1 ? "" : "s");
}

/// "one per row of housing.csv", with a reminder when drop_missing left rows out.
std::string one_per_row(const Table& table, const std::string& source,
                        const std::string& row_word) {
  std::string text = "one per " + row_word + " of " + source;
  if (table.dropped_rows > 0) {
    text +=
        " (the " + std::to_string(table.dropped_rows) + " that drop_missing leaves out included)";
  }
  return text;
}

// ----- CSV -----------------------------------------------------------------------------------

std::string read_text(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) fail(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char chunk[1 << 16];
  size_t count;
  while ((count = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) text.append(chunk, count);
  if (std::ferror(file.get())) fail(path + ": cannot read: " + std::strerror(errno));
  static const std::string kByteOrderMark = "\xEF\xBB\xBF";
  if (text.compare(0, kByteOrderMark.size(), kByteOrderMark) == 0) {
    text.erase(0, kByteOrderMark.size());
  }
  return text;
}

/// The file's lines without their line ends; blank lines at the end left out.
std::vector<std::string_view> lines_of(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  const auto blank = [](std::string_view line) {
    return line.find_first_not_of(" \t") == std::string_view::npos;
  };
  while (!lines.empty() && blank(lines.back())) lines.pop_back();
  return lines;
}

std::string_view trimmed(std::string_view field) {
  const size_t first = field.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return field.substr(first, field.find_last_not_of(" \t") - first + 1);
}

/// The line's comma-separated fields, trimmed; none for an empty line.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  if (trimmed(line).empty()) return fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.push_back(trimmed(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

/// A field's value when it is a number equal to 0 or 1 ("0", "1", "1.0"); -1 otherwise.
int zero_or_one(std::string_view field) {
  if (field == "0") return 0;
  if (field == "1") return 1;
  const std::string text(field);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || (value != 0.0 && value != 1.0)) return -1;
  return static_cast<int>(value);
}

bool is_number(std::string_view field) {
  const std::string text(field);
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

std::string unquoted(std::string_view field) {
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    field = field.substr(1, field.size() - 2);
  }
  return std::string(field);
}

std::string listed(const std::vector<std::string>& names) {
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + std::min(names.size(), kMaxListedNames));
  return joined(shown, ", ") + (names.size() > kMaxListedNames ? ", ..." : "");
}

/// Checks a header line against the table's feature names.
void check_header(const std::vector<std::string_view>& fields, const Table& table,
                  const std::string& source, const std::string& where) {
  const auto& names = table.feature_names;
  const int64_t values = c10::multiply_integers(table.x.sizes().slice(1));
  if (static_cast<int64_t>(names.size()) != values) {
    fail(where + ": expected 0/1 values and no header (the points " +
         shape_text(table.x.sizes().slice(1)) + " of " + source +
         " have no feature names), found the names " +
         listed(std::vector<std::string>(fields.begin(), fields.end())));
  }
  std::vector<std::string> found;
  for (std::string_view field : fields) found.push_back(unquoted(field));
  if (found.size() != names.size()) {
    fail(where + ": expected a header of the " + std::to_string(names.size()) + " features of " +
         source + " (" + listed(names) + "), found " + std::to_string(found.size()) + " names (" +
         listed(found) + ")");
  }
  for (size_t column = 0; column < names.size(); ++column) {
    if (found[column] != names[column]) {
      fail(where + ": expected feature '" + names[column] + "' in column " +
           std::to_string(column) + " of the header, as in " + source + ", found '" +
           found[column] + "'");
    }
  }
}

/// A value's name in messages: the feature's name when the table has them, else its index.
std::string value_name(const Table& table, int64_t column) {
  if (static_cast<int64_t>(table.feature_names.size()) > column) {
    return "feature '" + table.feature_names[column] + "' (column " + std::to_string(column) + ")";
  }
  return "value " + std::to_string(column);
}

torch::Tensor read_csv_mask(const std::string& path, const Table& table, const std::string& source,
                            const std::string& row_word) {
  const std::string text = read_text(path);
  const std::vector<std::string_view> lines = lines_of(text);
  const auto point = table.x.sizes().slice(1);
  const int64_t values = c10::multiply_integers(point);
  size_t first = 0;
  if (!lines.empty()) {
    const auto fields = fields_of(lines[0]);
    if (!std::all_of(fields.begin(), fields.end(), is_number)) {
      check_header(fields, table, source, path + ":1");
      first = 1;
    }
  }
  const int64_t rows = source_rows(table);
  const int64_t found = static_cast<int64_t>(lines.size() - first);
  if (found != rows) {
    fail(path + ": expected " + rows_text(rows, "row") + ", " +
         one_per_row(table, source, row_word) + ", found " + std::to_string(found));
  }
  torch::Tensor mask = torch::empty({rows, values}, torch::kUInt8);
  uint8_t* out = mask.data_ptr<uint8_t>();
  for (size_t line = first; line < lines.size(); ++line) {
    const std::string where = path + ":" + std::to_string(line + 1);
    const auto fields = fields_of(lines[line]);
    if (static_cast<int64_t>(fields.size()) != values) {
      fail(where + ": expected " + std::to_string(values) + " values, one per " +
           (table.feature_names.empty() ? "value of a point " + shape_text(point)
                                        : std::string("feature")) +
           " of " + source + ", found " +
           (fields.empty() ? std::string("an empty line") : std::to_string(fields.size())));
    }
    for (int64_t column = 0; column < values; ++column) {
      const int value = zero_or_one(fields[column]);
      if (value < 0) {
        fail(where + ": expected 0 or 1 for " + value_name(table, column) + ", found '" +
             std::string(fields[column]) + "'");
      }
      *out++ = static_cast<uint8_t>(value);
    }
  }
  std::vector<int64_t> sizes{rows};
  sizes.insert(sizes.end(), point.begin(), point.end());
  return mask.view(sizes);
}

// ----- IDX -----------------------------------------------------------------------------------

std::string dims_text(c10::IntArrayRef dims) {
  std::string text;
  for (int64_t dim : dims) text += (text.empty() ? "" : "x") + std::to_string(dim);
  return text;
}

torch::Tensor read_idx_mask(const std::string& path, const Table& table, const std::string& source,
                            const std::string& row_word) {
  const torch::Tensor bytes = read_idx_array(path, "mask");
  const int64_t rows = source_rows(table);
  if (bytes.size(0) != rows) {
    fail(path + ": expected " + rows_text(rows, "item") + ", " +
         one_per_row(table, source, row_word) + ", found " + std::to_string(bytes.size(0)) +
         " (dimensions " + dims_text(bytes.sizes()) + ")");
  }
  const auto point = table.x.sizes().slice(1);
  const int64_t values = c10::multiply_integers(point);
  const auto item = bytes.sizes().slice(1);
  const int64_t found = c10::multiply_integers(item);
  if (found != values) {
    fail(path + ": expected items of " + std::to_string(values) + " values, as a point " +
         shape_text(point) + " of " + source + ", found items " +
         (item.empty() ? std::string("of one value") : dims_text(item)) + " (" +
         std::to_string(found) + " values)");
  }
  std::vector<int64_t> sizes{rows};
  sizes.insert(sizes.end(), point.begin(), point.end());
  return (bytes != 0).to(torch::kUInt8).reshape(sizes);
}

}  // namespace

torch::Tensor read_annotation_file(const std::string& path, const Table& table,
                                   const std::string& source, const std::string& row_word) {
  const std::string name = lower(path);
  if (ends_with(name, ".csv")) return read_csv_mask(path, table, source, row_word);
  if (ends_with(name, ".idx") || ends_with(name, "-ubyte") || ends_with(name, ".gz")) {
    return read_idx_mask(path, table, source, row_word);
  }
  fail(path +
       ": data.annotation_file: expected a CSV file (.csv) or an IDX file (.idx, -ubyte or .gz), "
       "found neither extension");
}

}  // namespace xreg
