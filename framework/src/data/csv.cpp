/// Reading a CSV file into a Table: records split in place in one buffer (fields NUL-terminated
/// for std::strtod), header detection, column selection, one-hot encoding and label coding.

#include "xreg/host/data/csv.hpp"

#include <torch/types.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// The most distinct labels an error message lists.
constexpr size_t kMaxListedLabels = 10;

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

std::string at_line(const std::string& path, int64_t line) {
  return path + ":" + std::to_string(line);
}

/// True when the whole field is one finite number (std::strtod syntax, surrounding blanks
/// allowed); stores it in `value`. The field must be NUL-terminated.
bool parse_number(std::string_view field, double* value) {
  char* end = nullptr;
  *value = std::strtod(field.data(), &end);
  if (end == field.data()) return false;
  const char* stop = field.data() + field.size();
  while (end < stop && (*end == ' ' || *end == '\t')) ++end;
  return end == stop && std::isfinite(*value);
}

bool is_number(std::string_view field) {
  double ignored;
  return parse_number(field, &ignored);
}

/// A file's records. The fields are views into `text` (a vector, so that moving the records
/// keeps them valid), each followed by a NUL.
struct CsvRecords {
  struct Record {
    int64_t line;        ///< 1-based physical line where the record starts
    size_t first_field;  ///< index into `fields`
    size_t field_count;
  };

  std::string path;
  std::vector<char> text;  ///< the file's bytes and a final NUL
  std::vector<std::string_view> fields;
  std::vector<Record> records;

  std::string_view field(size_t record, size_t column) const {
    return fields[records[record].first_field + column];
  }
};

/// Refuses a file with NUL bytes: binary data (gzip, IDX, a model) that no CSV holds, named as
/// such rather than as a row of an odd number of fields.
void check_is_text(const std::string& path, const std::vector<char>& bytes) {
  const auto nul = std::find(bytes.begin(), bytes.end(), '\0');
  if (nul == bytes.end()) return;
  const bool gzip = bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b';
  const int64_t line = 1 + std::count(bytes.begin(), nul, '\n');
  fail(at_line(path, line) + ": expected CSV text, found a NUL byte at byte " +
       std::to_string(nul - bytes.begin()) +
       (gzip ? " (gzip data: decompress it first" : " (binary data") +
       "; IDX image files are read with format = \"idx\")");
}

/// The file's bytes followed by a NUL.
std::vector<char> read_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) fail(path + ": cannot open: " + std::strerror(errno));
  std::vector<char> text;
  char chunk[1 << 16];
  size_t count;
  while ((count = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) {
    text.insert(text.end(), chunk, chunk + count);
  }
  if (std::ferror(file.get())) fail(path + ": cannot read: " + std::strerror(errno));
  check_is_text(path, text);
  text.push_back('\0');
  return text;
}

/// Splits the text into records and fields (RFC 4180: double-quoted fields with "" escapes,
/// possibly spanning lines). Quoted fields are unescaped in place; CRLF is read as LF; blank
/// lines are skipped.
class RecordSplitter {
 public:
  explicit RecordSplitter(CsvRecords& csv)
      : csv_(csv), text_(csv.text.data()), size_(csv.text.size() - 1) {}

  void run() {
    while (pos_ < size_) {
      if (at_line_end()) {
        skip_line_end();
        continue;
      }
      CsvRecords::Record record{line_, csv_.fields.size(), 0};
      bool more = true;
      while (more) more = read_field();
      record.field_count = csv_.fields.size() - record.first_field;
      csv_.records.push_back(record);
    }
  }

 private:
  bool at_line_end() const {
    return text_[pos_] == '\n' ||
           (text_[pos_] == '\r' && (pos_ + 1 == size_ || text_[pos_ + 1] == '\n'));
  }

  void skip_line_end() {
    pos_ += text_[pos_] == '\r' && pos_ + 1 < size_ ? 2 : 1;
    ++line_;
  }

  /// Reads one field and its terminator; returns whether another field of the record follows.
  bool read_field() {
    const size_t start = pos_;
    const size_t end = text_[pos_] == '"' ? read_quoted() : read_plain();
    csv_.fields.emplace_back(text_ + start, end - start);
    const bool more = pos_ < size_ && text_[pos_] == ',';
    if (more) {
      ++pos_;
    } else if (pos_ < size_) {
      skip_line_end();
    }
    text_[end] = '\0';  // at most the old terminator, or the final NUL
    return more;
  }

  /// Skips an unquoted field; returns its end. Leaves `pos_` on the terminator.
  size_t read_plain() {
    while (pos_ < size_ && text_[pos_] != ',' && !at_line_end()) ++pos_;
    return pos_;
  }

  /// Unescapes a quoted field to the front of its own span; returns the end of the unescaped
  /// text. Leaves `pos_` on the terminator.
  size_t read_quoted() {
    const int64_t first_line = line_;
    size_t out = pos_;
    ++pos_;
    for (;;) {
      if (pos_ >= size_) fail(at_line(csv_.path, first_line) + ": quoted field is not closed");
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < size_ && text_[pos_] == '"') {
          ++pos_;
        } else {
          break;
        }
      } else if (c == '\n') {
        ++line_;
      }
      text_[out++] = c;
    }
    if (pos_ < size_ && text_[pos_] != ',' && !at_line_end()) {
      fail(at_line(csv_.path, line_) +
           ": expected ',' or the end of the line after a quoted field, found '" +
           std::string(1, text_[pos_]) + "'");
    }
    return out;
  }

  CsvRecords& csv_;
  char* text_;
  size_t size_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

CsvRecords read_records(const std::string& path) {
  CsvRecords csv;
  csv.path = path;
  csv.text = read_file(path);
  // A UTF-8 byte order mark (as spreadsheet programs write) is not part of the first name.
  static const std::string kByteOrderMark = "\xEF\xBB\xBF";
  if (csv.text.size() >= kByteOrderMark.size() &&
      std::equal(kByteOrderMark.begin(), kByteOrderMark.end(), csv.text.begin())) {
    csv.text.erase(csv.text.begin(), csv.text.begin() + kByteOrderMark.size());
  }
  RecordSplitter(csv).run();
  return csv;
}

/// The column names and where the data records start.
struct Layout {
  std::vector<std::string> names;
  std::optional<size_t> header;  ///< the record that names the columns, if any
  size_t first_data_record = 0;
};

/// Whether record `r` is a header under "auto": any of its fields is not a number (an empty
/// field counts as not a number: ExpO's files start with ",0,1,...").
bool looks_like_header(const CsvRecords& csv, size_t r) {
  for (size_t column = 0; column < csv.records[r].field_count; ++column) {
    if (!is_number(csv.field(r, column))) return true;
  }
  return false;
}

/// The count scikit-learn's first line gives in field `column`; fails naming the line otherwise.
size_t sklearn_count(const CsvRecords& csv, size_t column, const char* what) {
  const std::string field(csv.records[0].field_count > column ? csv.field(0, column) : "");
  const bool digits = !field.empty() && std::all_of(field.begin(), field.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    fail(at_line(csv.path, csv.records[0].line) +
         ": expected scikit-learn's first line (rows, features, class names), found '" + field +
         "' where the number of " + what + " goes");
  }
  return std::stoul(field);
}

/// Where scikit-learn's bundled files (python3-sklearn's datasets/data/*.csv) put their data: a
/// first line "rows,features[,class names]", a line of column names in some (the housing file),
/// then the rows. Checks the rows and fields against the first line's counts.
size_t sklearn_first_data_record(const CsvRecords& csv) {
  const size_t rows = sklearn_count(csv, 0, "rows");
  const size_t features = sklearn_count(csv, 1, "features");
  const size_t first = csv.records.size() > 1 && looks_like_header(csv, 1) ? 2 : 1;
  if (csv.records.size() - first != rows) {
    fail(csv.path + ": expected " + std::to_string(rows) +
         " data rows as its first line says, found " + std::to_string(csv.records.size() - first));
  }
  if (csv.records[first].field_count != features + 1) {
    fail(at_line(csv.path, csv.records[first].line) + ": expected " + std::to_string(features + 1) +
         " fields (" + std::to_string(features) +
         " features and the target, as the first line says), found " +
         std::to_string(csv.records[first].field_count));
  }
  return first;
}

/// The record that names the columns, if any, and the first data record, for `header_mode`.
Layout header_position(const CsvRecords& csv, const std::string& header_mode) {
  Layout layout;
  if (header_mode == "sklearn") {
    layout.first_data_record = sklearn_first_data_record(csv);
    if (layout.first_data_record == 2) layout.header = 1;
  } else if (header_mode == "yes" || (header_mode == "auto" && looks_like_header(csv, 0))) {
    layout.header = 0;
    layout.first_data_record = 1;
  }
  return layout;
}

/// Names columns from the header ("column<j>" for an empty name) or "x<j>" without one. Empty
/// trailing header fields beyond the first data record's width are dropped (pandas writes them
/// for a trailing comma, as in the UCI breast cancer file).
Layout read_layout(const CsvRecords& csv, const std::string& header_mode) {
  if (csv.records.empty()) fail(csv.path + ": the file is empty");
  Layout layout = header_position(csv, header_mode);
  if (layout.first_data_record >= csv.records.size()) {
    fail(csv.path + ": the file has a header but no data rows");
  }
  const auto& first_data = csv.records[layout.first_data_record];
  if (!layout.header) {
    for (size_t column = 0; column < first_data.field_count; ++column) {
      layout.names.push_back("x" + std::to_string(column));
    }
    return layout;
  }
  const size_t header = *layout.header;
  size_t width = csv.records[header].field_count;
  while (width > first_data.field_count && csv.field(header, width - 1).empty()) --width;
  for (size_t column = 0; column < width; ++column) {
    const std::string_view name = csv.field(header, column);
    layout.names.push_back(name.empty() ? "column" + std::to_string(column) : std::string(name));
  }
  return layout;
}

void check_field_counts(const CsvRecords& csv, const Layout& layout) {
  for (size_t r = layout.first_data_record; r < csv.records.size(); ++r) {
    const auto& record = csv.records[r];
    if (record.field_count != layout.names.size()) {
      fail(at_line(csv.path, record.line) + ": expected " + std::to_string(layout.names.size()) +
           " fields, found " + std::to_string(record.field_count));
    }
  }
}

/// The column that `reference` names: "last", a 0-based index written as digits, or a name.
size_t resolve_column(const std::string& reference, const std::vector<std::string>& names,
                      const std::string& key, const std::string& path) {
  if (reference == "last") return names.size() - 1;
  const bool digits =
      !reference.empty() &&
      std::all_of(reference.begin(), reference.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    size_t index = names.size();  // out of range unless it parses
    std::from_chars(reference.data(), reference.data() + reference.size(), index);
    if (index >= names.size()) {
      fail(path + ": data." + key + ": column index " + reference +
           " is out of range (the file has " + std::to_string(names.size()) + " columns)");
    }
    return index;
  }
  const auto found = std::find(names.begin(), names.end(), reference);
  if (found == names.end()) {
    fail(path + ": data." + key + ": no column named '" + reference +
         "'; the columns are: " + joined(names, ", "));
  }
  return static_cast<size_t>(found - names.begin());
}

/// Which columns hold the target and the features, and which features are categorical.
struct ColumnRoles {
  size_t target = 0;
  std::vector<size_t> features;
  std::vector<bool> categorical;  ///< by column
};

ColumnRoles assign_roles(const Params& data, const std::vector<std::string>& names,
                         const std::string& path) {
  ColumnRoles roles;
  roles.target = resolve_column(data.string("target"), names, "target", path);
  std::vector<bool> ignored(names.size(), false);
  for (const auto& reference : data.strings("ignore")) {
    ignored[resolve_column(reference, names, "ignore", path)] = true;
  }
  for (size_t column = 0; column < names.size(); ++column) {
    if (column != roles.target && !ignored[column]) roles.features.push_back(column);
  }
  if (roles.features.empty()) fail(path + ": no feature columns left after target and ignore");
  roles.categorical.assign(names.size(), false);
  for (const auto& reference : data.strings("categorical")) {
    const size_t column = resolve_column(reference, names, "categorical", path);
    if (column == roles.target || ignored[column]) {
      fail(path + ": data.categorical: column '" + names[column] +
           "' is not a feature (it is the target or ignored)");
    }
    roles.categorical[column] = true;
  }
  return roles;
}

/// The data records to use: all of them, or with drop_missing those without an empty value in
/// the target or a feature column. `dropped` counts the others.
std::vector<size_t> usable_records(const CsvRecords& csv, const Layout& layout,
                                   const ColumnRoles& roles, bool drop_missing, int64_t* dropped) {
  std::vector<size_t> used_columns = roles.features;
  used_columns.push_back(roles.target);
  std::vector<size_t> rows;
  *dropped = 0;
  for (size_t r = layout.first_data_record; r < csv.records.size(); ++r) {
    const auto empty = std::find_if(used_columns.begin(), used_columns.end(),
                                    [&](size_t column) { return csv.field(r, column).empty(); });
    if (empty == used_columns.end()) {
      rows.push_back(r);
    } else if (drop_missing) {
      ++*dropped;
    } else {
      fail(at_line(csv.path, csv.records[r].line) + ": column '" + layout.names[*empty] +
           "': empty value; set drop_missing = true to leave such rows out");
    }
  }
  if (rows.empty()) fail(csv.path + ": no data rows left");
  return rows;
}

/// The distinct values of a column in order (numerically when every value is a number, else
/// as text) and each row's position among them.
struct Categories {
  std::vector<std::string> names;
  std::vector<int64_t> codes;
};

/// Categories of numeric values: distinct by value, named by the first spelling met.
Categories categorize_numbers(const std::vector<std::string_view>& values) {
  std::vector<std::pair<double, std::string_view>> distinct(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    parse_number(values[i], &distinct[i].first);
    distinct[i].second = values[i];
  }
  std::vector<double> numbers(distinct.size());
  std::transform(distinct.begin(), distinct.end(), numbers.begin(),
                 [](const auto& entry) { return entry.first; });
  const auto by_value = [](const auto& a, const auto& b) { return a.first < b.first; };
  const auto same_value = [](const auto& a, const auto& b) { return a.first == b.first; };
  std::stable_sort(distinct.begin(), distinct.end(), by_value);
  distinct.erase(std::unique(distinct.begin(), distinct.end(), same_value), distinct.end());
  Categories categories;
  std::vector<double> sorted;
  for (const auto& [number, text] : distinct) {
    sorted.push_back(number);
    categories.names.emplace_back(text);
  }
  for (double number : numbers) {
    categories.codes.push_back(std::lower_bound(sorted.begin(), sorted.end(), number) -
                               sorted.begin());
  }
  return categories;
}

Categories categorize_text(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  Categories categories;
  categories.names.assign(sorted.begin(), sorted.end());
  for (const auto& value : values) {
    categories.codes.push_back(std::lower_bound(sorted.begin(), sorted.end(), value) -
                               sorted.begin());
  }
  return categories;
}

Categories categorize(const std::vector<std::string_view>& values) {
  const bool numeric = std::all_of(values.begin(), values.end(), is_number);
  return numeric ? categorize_numbers(values) : categorize_text(values);
}

std::vector<std::string_view> column_values(const CsvRecords& csv, const std::vector<size_t>& rows,
                                            size_t column) {
  std::vector<std::string_view> values;
  values.reserve(rows.size());
  for (size_t r : rows) values.push_back(csv.field(r, column));
  return values;
}

double number_at(const CsvRecords& csv, const Layout& layout, size_t record, size_t column) {
  double value;
  const std::string_view field = csv.field(record, column);
  if (!parse_number(field, &value)) {
    fail(at_line(csv.path, csv.records[record].line) + ": column '" + layout.names[column] + "' (" +
         std::to_string(column) + "): expected a number, found '" + std::string(field) + "'");
  }
  return value;
}

/// Fills table.x and table.feature_names: numeric columns as they are, categorical columns
/// one-hot ("name=value" per distinct value).
void read_features(const CsvRecords& csv, const Layout& layout, const ColumnRoles& roles,
                   const std::vector<size_t>& rows, Table& table) {
  std::vector<Categories> categories(layout.names.size());
  int64_t width = 0;
  for (size_t column : roles.features) {
    if (roles.categorical[column]) {
      categories[column] = categorize(column_values(csv, rows, column));
      for (const auto& value : categories[column].names) {
        table.feature_names.push_back(layout.names[column] + "=" + value);
      }
      width += static_cast<int64_t>(categories[column].names.size());
    } else {
      table.feature_names.push_back(layout.names[column]);
      ++width;
    }
  }
  table.x = torch::zeros({static_cast<int64_t>(rows.size()), width}, torch::kDouble);
  double* out = table.x.data_ptr<double>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t column : roles.features) {
      if (roles.categorical[column]) {
        out[categories[column].codes[i]] = 1.0;
        out += categories[column].names.size();
      } else {
        *out++ = number_at(csv, layout, rows[i], column);
      }
    }
  }
}

/// The distinct labels, for messages.
std::string label_list(const std::vector<std::string_view>& labels) {
  std::vector<std::string> names = categorize(labels).names;
  const size_t total = names.size();
  if (total > kMaxListedLabels) names.resize(kMaxListedLabels);
  return joined(names, ", ") +
         (total > kMaxListedLabels ? ", ... (" + std::to_string(total) + " in all)" : "");
}

/// Binary labels written as the numbers 0 and 1.
void read_zero_one_labels(const std::vector<std::string_view>& labels, const std::string& where,
                          Table& table) {
  table.y = torch::empty({static_cast<int64_t>(labels.size())}, torch::kLong);
  int64_t* out = table.y.data_ptr<int64_t>();
  for (const auto& label : labels) {
    double value;
    if (!parse_number(label, &value) || (value != 0.0 && value != 1.0)) {
      fail(where +
           ": task = \"binary\" needs labels 0 and 1 or `positive` naming the label of class 1; "
           "labels found: " +
           label_list(labels));
    }
    *out++ = static_cast<int64_t>(value);
  }
  table.class_names = {"0", "1"};
}

/// Binary labels, class 1 being the label `positive` against all others. Class 0 is named by
/// the other label, or "not <positive>" when there are several.
void read_positive_labels(const std::vector<std::string_view>& labels, const std::string& positive,
                          const std::string& where, Table& table) {
  table.y = torch::empty({static_cast<int64_t>(labels.size())}, torch::kLong);
  int64_t* out = table.y.data_ptr<int64_t>();
  std::vector<std::string_view> negatives;
  for (const auto& label : labels) {
    const bool is_positive = label == positive;
    *out++ = is_positive ? 1 : 0;
    if (!is_positive) negatives.push_back(label);
  }
  if (negatives.size() == labels.size()) {
    fail(where + ": positive = \"" + positive +
         "\" is not among the labels found: " + label_list(labels));
  }
  const auto negative_names = categorize(negatives).names;
  table.class_names = {negative_names.size() == 1 ? negative_names[0] : "not " + positive,
                       positive};
}

/// Fills table.y (and class_names for classification) from the target column.
void read_target(const CsvRecords& csv, const Layout& layout, const ColumnRoles& roles,
                 const std::vector<size_t>& rows, const Params& data, Table& table) {
  const std::string& task = data.string("task");
  const std::string where = csv.path + ": column '" + layout.names[roles.target] + "'";
  if (task == "regression") {
    table.y = torch::empty({static_cast<int64_t>(rows.size())}, torch::kDouble);
    double* out = table.y.data_ptr<double>();
    for (size_t r : rows) *out++ = number_at(csv, layout, r, roles.target);
    return;
  }
  const auto labels = column_values(csv, rows, roles.target);
  if (task == "binary") {
    const std::string& positive = data.string("positive");
    if (positive.empty()) {
      read_zero_one_labels(labels, where, table);
    } else {
      read_positive_labels(labels, positive, where, table);
    }
    return;
  }
  Categories classes = categorize(labels);
  table.class_names = std::move(classes.names);
  table.y = torch::tensor(classes.codes, torch::kLong);
}

}  // namespace

Table read_csv(const std::string& path, const Params& data) {
  const CsvRecords csv = read_records(path);
  const Layout layout = read_layout(csv, data.string("header"));
  check_field_counts(csv, layout);
  const ColumnRoles roles = assign_roles(data, layout.names, path);
  Table table;
  const auto rows =
      usable_records(csv, layout, roles, data.boolean("drop_missing"), &table.dropped_rows);
  read_features(csv, layout, roles, rows, table);
  read_target(csv, layout, roles, rows, data, table);
  std::vector<int64_t> positions;  // each kept row's position among the file's data rows
  for (size_t r : rows) positions.push_back(static_cast<int64_t>(r - layout.first_data_record));
  table.index = torch::tensor(positions, torch::kLong);
  return table;
}

}  // namespace xreg
