/// The splits of one trial: the files or the generator that [data] names, split by a seeded
/// permutation or given as explicit files, then standardized with training statistics.

#include "xreg/host/data/splits.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/accumulate.h>
#include <torch/types.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "config/paths.hpp"
#include "data/annotation_file.hpp"
#include "text.hpp"
#include "xreg/host/data/builtin.hpp"
#include "xreg/host/data/csv.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/context.hpp"

namespace xreg {
namespace {

/// Columns whose training SD is below this are centered but not scaled.
constexpr double kConstantSd = 1e-10;
/// Tolerance of the split fractions' sum.
constexpr double kFractionSumTolerance = 1e-6;
/// Slack before rounding split sizes up, so that 0.7 + 0.3 leaves 30 of 100 rows, not 31.
constexpr double kRoundingSlack = 1e-9;

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

Task parse_task(const std::string& name) {
  if (name == "binary") return Task::binary;
  if (name == "multiclass") return Task::multiclass;
  return Task::regression;
}

bool has_split_files(const Params& data) {
  return !data.string("train").empty() || !data.string("val").empty() ||
         !data.string("test").empty();
}

bool has_idx_files(const Params& data) {
  return !data.string("images").empty() || !data.string("labels").empty() ||
         !data.string("test_images").empty() || !data.string("test_labels").empty();
}

/// format = "idx": an image/label pair (and optionally a test pair), class labels, pixels not
/// standardized.
void check_idx_sources(const Params& data) {
  if (has_split_files(data) || !data.string("path").empty()) {
    fail(
        "data: format = \"idx\" reads images/labels (and test_images/test_labels); remove "
        "path/train/val/test");
  }
  if (data.string("images").empty() || data.string("labels").empty()) {
    fail("data: format = \"idx\" needs both images and labels");
  }
  if (data.string("test_images").empty() != data.string("test_labels").empty()) {
    fail("data: set test_images and test_labels together");
  }
  if (data.string("standardize") != "none") {
    fail(
        "data.standardize: IDX pixels are scaled to [0, 1], not standardized; set standardize = "
        "\"none\"");
  }
  if (data.string("task") != "multiclass") {
    fail("data.task: IDX labels are the classes 0..9; set task = \"multiclass\"");
  }
}

bool is_generator(const Params& data, const char* generator) {
  return data.string("format") == "builtin" && data.string("generator") == generator;
}

/// generator = "decoy": an image/label pair (and optionally a test pair) of the MNIST classes.
void check_decoy_sources(const Params& data) {
  if (data.string("images").empty() || data.string("labels").empty()) {
    fail(
        "data: generator = \"decoy\" needs both images and labels (IDX files in the MNIST "
        "layout)");
  }
  if (data.string("test_images").empty() != data.string("test_labels").empty()) {
    fail("data: set test_images and test_labels together");
  }
  if (data.string("task") != "multiclass") {
    fail("data.task: decoy labels are the classes 0..9; set task = \"multiclass\"");
  }
}

/// data.annotation_file follows the rows of one source; data.pixels is format = "idx"'s.
void check_mask_and_pixels(const Params& data) {
  if (!data.string("annotation_file").empty() && has_split_files(data)) {
    fail(
        "data.annotation_file: expected a mask aligned with the rows of path, images or a "
        "generator, found the split files train/val/test (mark features with irrelevant = [...] "
        "instead)");
  }
  if (data.string("pixels") != "unit" && data.string("format") != "idx") {
    fail(
        "data.pixels: read with format = \"idx\" only (decoy's pixels are raw 0..255 already); "
        "expected \"unit\", found \"" +
        data.string("pixels") + "\"");
  }
}

void check_sources(const Params& data) {
  check_mask_and_pixels(data);
  if (!is_generator(data, "iris_cancer") &&
      (!data.string("iris").empty() || !data.string("cancer").empty())) {
    fail("data: iris/cancer are read with format = \"builtin\", generator = \"iris_cancer\" only");
  }
  if (data.string("format") == "idx") return check_idx_sources(data);
  if (has_idx_files(data) && !is_generator(data, "decoy")) {
    fail(data.string("format") == "builtin"
             ? "data: images/labels/test_images/test_labels are read with format = \"idx\" or "
               "generator = \"decoy\" only"
             : "data: images/labels/test_images/test_labels are read with format = \"idx\" only");
  }
  const bool files = has_split_files(data);
  if (data.string("format") == "builtin") {
    if (files || !data.string("path").empty()) {
      fail("data: format = \"builtin\" reads no CSV data file; remove path/train/val/test");
    }
    if (is_generator(data, "decoy")) check_decoy_sources(data);
    return;
  }
  if (files && !data.string("path").empty()) {
    fail("data: set either path or train/val/test, not both");
  }
  if (!files && data.string("path").empty()) {
    fail("data: no data file; set path, or train/val/test");
  }
}

// ----- split sizes -----------------------------------------------------------------------

struct SplitSizes {
  int64_t train = 0, val = 0, test = 0;
};

std::string fraction_list(const std::vector<double>& fractions) {
  std::ostringstream text;
  text << '[';
  for (size_t i = 0; i < fractions.size(); ++i) text << (i ? ", " : "") << fractions[i];
  text << ']';
  return text.str();
}

void check_fractions(const std::vector<double>& fractions) {
  double sum = 0.0;
  bool negative = false;
  for (double fraction : fractions) {
    sum += fraction;
    negative = negative || fraction < 0.0;
  }
  if (fractions.size() != 3 || negative || std::abs(sum - 1.0) > kFractionSumTolerance) {
    fail("data.split: expected 3 non-negative fractions (train, val, test) summing to 1, found " +
         fraction_list(fractions));
  }
}

int64_t round_up(double rows) { return static_cast<int64_t>(std::ceil(rows - kRoundingSlack)); }

/// Sizes as scikit-learn's train_test_split chained twice, as ExpO splits: the held-out part
/// and then its test part are rounded up.
SplitSizes split_sizes(int64_t rows, const std::vector<double>& fractions) {
  check_fractions(fractions);
  SplitSizes sizes;
  sizes.train = rows - round_up(rows * (1.0 - fractions[0]));
  const int64_t held_out = rows - sizes.train;
  const double held_out_fraction = fractions[1] + fractions[2];
  sizes.test = held_out == 0 ? 0 : round_up(held_out * fractions[2] / held_out_fraction);
  sizes.val = held_out - sizes.test;
  return sizes;
}

// ----- tables of the three splits ----------------------------------------------------------

/// The unstandardized tables of one trial's splits; an absent split has no rows.
struct SplitTables {
  std::optional<Table> train, val, test;
  std::vector<std::string> notes;
  /// data.annotation_file: uint8 [source rows, point...], a split row's mask at its
  /// Table::index; undefined: no file.
  torch::Tensor file_mask;
  /// Whether the test split is a file of its own (test_images), which the mask does not cover.
  bool test_file = false;
};

/// The rows `rows` of `table`, with their per-row annotations and indices where it has them.
Table select_rows(const Table& table, const torch::Tensor& rows) {
  Table part = table;
  part.x = table.x.index_select(0, rows);
  part.y = table.y.index_select(0, rows);
  if (table.annotations.defined()) part.annotations = table.annotations.index_select(0, rows);
  if (table.index.defined()) part.index = table.index.index_select(0, rows);
  return part;
}

void note_dropped(const Table& table, const std::string& path, std::vector<std::string>& notes) {
  if (table.dropped_rows > 0) {
    notes.push_back(path + ": " + std::to_string(table.dropped_rows) +
                    " rows with an empty value left out (drop_missing)");
  }
}

/// `table` permuted by (seed, "split", trial) and cut in three by `fractions`.
SplitTables cut_in_three(const Table& table, const std::vector<double>& fractions, uint64_t seed,
                         int64_t trial) {
  SplitTables splits;
  const int64_t rows = table.x.size(0);
  const SplitSizes sizes = split_sizes(rows, fractions);
  auto generator =
      at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, "split", trial));
  const torch::Tensor order = torch::randperm(rows, generator, torch::kLong);
  splits.train = select_rows(table, order.slice(0, 0, sizes.train));
  splits.val = select_rows(table, order.slice(0, sizes.train, sizes.train + sizes.val));
  splits.test = select_rows(table, order.slice(0, sizes.train + sizes.val, rows));
  return splits;
}

/// data.annotation_file for the rows of the source `table` (named `source`); undefined without.
torch::Tensor read_file_mask(const Params& data, const std::string& base_dir, const Table& table,
                             const std::string& source, const std::string& row_word) {
  if (data.string("annotation_file").empty()) return {};
  return read_annotation_file(resolve_path(base_dir, data.string("annotation_file")), table, source,
                              row_word);
}

/// data.path or the generator, permuted by (seed, "split", trial) and cut in three.
SplitTables split_one_table(const Params& data, const std::string& base_dir, uint64_t seed,
                            int64_t trial) {
  if (data.string("format") == "builtin") {
    Table table = generate_builtin(data, seed, base_dir);
    if (!table.index.defined()) table.index = torch::arange(table.x.size(0), torch::kLong);
    SplitTables splits = cut_in_three(table, data.reals("split"), seed, trial);
    splits.file_mask = read_file_mask(data, base_dir, table,
                                      "[data] generator " + data.string("generator"), "row");
    return splits;
  }
  const std::string path = resolve_path(base_dir, data.string("path"));
  const Table table = read_csv(path, data);
  SplitTables splits = cut_in_three(table, data.reals("split"), seed, trial);
  note_dropped(table, path, splits.notes);
  splits.file_mask = read_file_mask(data, base_dir, table, path, "data row");
  return splits;
}

/// The training and validation fractions renormalized to sum 1 and no test part, for data that
/// bring their own test split.
std::vector<double> without_test_fraction(const std::vector<double>& fractions) {
  check_fractions(fractions);
  const double kept = fractions[0] + fractions[1];
  if (kept <= 0.0) {
    fail("data.split: expected a positive training or validation fraction, found " +
         fraction_list(fractions));
  }
  return {fractions[0] / kept, fractions[1] / kept, 0.0};
}

/// format = "idx": the image/label pair cut in three by data.split or, with a test pair, cut
/// into training and validation by the first two fractions renormalized. `raw`: pixels 0..255.
SplitTables split_idx(const Params& data, const std::string& base_dir, uint64_t seed, int64_t trial,
                      bool raw = false) {
  const auto path = [&](const char* key) { return resolve_path(base_dir, data.string(key)); };
  const Table table = read_idx(path("images"), path("labels"), raw);
  const bool test_file = !data.string("test_images").empty();
  SplitTables splits = cut_in_three(
      table, test_file ? without_test_fraction(data.reals("split")) : data.reals("split"), seed,
      trial);
  splits.file_mask = read_file_mask(data, base_dir, table, path("images"), "image");
  if (!test_file) return splits;
  splits.test_file = true;
  splits.test = read_idx(path("test_images"), path("test_labels"), raw);
  if (splits.test->x.sizes().slice(1) != table.x.sizes().slice(1)) {
    fail(path("test_images") + ": the images differ in size from those of " + path("images"));
  }
  return splits;
}

/// generator = "decoy": the IDX pair split as format = "idx" splits it, pixels raw 0..255, then
/// the swatches painted: the training rule (255 - 25 y) in the training and validation splits
/// (the reference's cross-validation takes its validation rows from the decoy training set),
/// the test rule (255 - 25 r, r random) in the test split. An image's draws are keyed by the
/// run seed and its index in its file, never by the trial or the split.
SplitTables split_decoy(const Params& data, const std::string& base_dir, uint64_t seed,
                        int64_t trial) {
  SplitTables splits = split_idx(data, base_dir, seed, trial, /*raw=*/true);
  const bool test_file = !data.string("test_images").empty();
  add_decoy_swatches(*splits.train, /*label_value=*/true, seed, "images");
  add_decoy_swatches(*splits.val, /*label_value=*/true, seed, "images");
  add_decoy_swatches(*splits.test, /*label_value=*/false, seed,
                     test_file ? "test_images" : "images");
  return splits;
}

std::optional<Table> read_split_file(const Params& data, const std::string& key,
                                     const std::string& base_dir, std::vector<std::string>& notes) {
  if (data.string(key).empty()) return std::nullopt;
  const std::string path = resolve_path(base_dir, data.string(key));
  Table table = read_csv(path, data);
  note_dropped(table, path, notes);
  return table;
}

/// Orders class names numerically when all are numbers, else as text (as read_csv does).
bool class_name_less(const std::string& a, const std::string& b, bool numeric) {
  return numeric ? std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr) : a < b;
}

bool all_numbers(const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [](const std::string& name) {
    char* end = nullptr;
    std::strtod(name.c_str(), &end);
    return !name.empty() && *end == '\0';
  });
}

/// Multiclass files may each lack some classes: re-codes every split over the union of the
/// class names, so that a class index means the same in all of them.
void unify_classes(std::vector<Table*> tables) {
  std::vector<std::string> names;
  for (const Table* table : tables) {
    names.insert(names.end(), table->class_names.begin(), table->class_names.end());
  }
  const bool numeric = all_numbers(names);
  const auto less = [&](const std::string& a, const std::string& b) {
    return class_name_less(a, b, numeric);
  };
  std::sort(names.begin(), names.end(), less);
  names.erase(std::unique(names.begin(), names.end(),
                          [&](const auto& a, const auto& b) { return !less(a, b) && !less(b, a); }),
              names.end());
  for (Table* table : tables) {
    std::vector<int64_t> recode;
    for (const auto& name : table->class_names) {
      recode.push_back(std::lower_bound(names.begin(), names.end(), name, less) - names.begin());
    }
    table->y = torch::tensor(recode, torch::kLong).index_select(0, table->y);
    table->class_names = names;
  }
}

/// The given files as the splits, checked to have the same features.
SplitTables read_split_files(const Params& data, const std::string& base_dir) {
  SplitTables splits;
  splits.train = read_split_file(data, "train", base_dir, splits.notes);
  splits.val = read_split_file(data, "val", base_dir, splits.notes);
  splits.test = read_split_file(data, "test", base_dir, splits.notes);
  std::vector<Table*> present;
  std::string first_path;
  for (auto [key, table] : {std::pair{"train", &splits.train}, std::pair{"val", &splits.val},
                            std::pair{"test", &splits.test}}) {
    if (!*table) continue;
    const std::string path = resolve_path(base_dir, data.string(key));
    if (present.empty()) {
      first_path = path;
    } else if ((*table)->feature_names != present.front()->feature_names) {
      fail(path + ": the features differ from those of " + first_path);
    }
    present.push_back(&**table);
  }
  if (data.string("task") == "multiclass") unify_classes(present);
  return splits;
}

/// The unstandardized splits of the files or the generator that `data` names.
SplitTables read_splits(const Params& data, const std::string& base_dir, uint64_t seed,
                        int64_t trial) {
  if (has_split_files(data)) return read_split_files(data, base_dir);
  if (data.string("format") == "idx") {
    return split_idx(data, base_dir, seed, trial, data.string("pixels") == "raw");
  }
  if (is_generator(data, "decoy")) return split_decoy(data, base_dir, seed, trial);
  return split_one_table(data, base_dir, seed, trial);
}

// ----- standardization and datasets ---------------------------------------------------------

/// Training mean and sample SD (ddof = 1) per column; constant columns get scale 1.
struct Standardizer {
  torch::Tensor mean, scale;
  torch::Tensor constant;  ///< bool [d]
};

Standardizer fit_standardizer(const torch::Tensor& values, const std::string& what) {
  if (values.size(0) < 2) {
    fail("data: standardizing " + what + " needs at least 2 training rows, found " +
         std::to_string(values.size(0)));
  }
  Standardizer fit;
  fit.mean = values.mean(0);
  const torch::Tensor sd = values.std(0, /*unbiased=*/true);
  fit.constant = sd < kConstantSd;
  fit.scale = torch::where(fit.constant, torch::ones_like(sd), sd);
  return fit;
}

/// Names the constant columns; points without feature names (images) by their 0-based index.
void note_constant_columns(const Standardizer& fit, const std::vector<std::string>& names,
                           std::vector<std::string>& notes) {
  std::string list;
  const auto constant = fit.constant.accessor<bool, 1>();
  for (int64_t column = 0; column < constant.size(0); ++column) {
    if (!constant[column]) continue;
    const bool named = static_cast<int64_t>(names.size()) == constant.size(0);
    list += (list.empty() ? "" : ", ") + (named ? names[column] : std::to_string(column));
  }
  if (!list.empty())
    notes.push_back("constant feature columns in training data (centered, not scaled): " + list);
}

/// Each value of a point (a column of a table, a pixel channel of an image) standardized on its
/// own; the statistics are [d] over the flattened point.
void standardize_features(SplitTables& splits, SplitData& out) {
  const Standardizer fit = fit_standardizer(splits.train->x.flatten(1), "features");
  note_constant_columns(fit, splits.train->feature_names, out.notes);
  for (auto* table : {&splits.train, &splits.val, &splits.test}) {
    if (!*table) continue;
    auto& x = (*table)->x;
    x = ((x.flatten(1) - fit.mean) / fit.scale).view(x.sizes());
  }
  out.feature_mean = fit.mean;
  out.feature_scale = fit.scale;
}

/// A regression target as [N, k]: a single target [N] becomes one column.
torch::Tensor as_columns(const torch::Tensor& y) { return y.dim() == 1 ? y.unsqueeze(1) : y; }

void standardize_target(SplitTables& splits, SplitData& out) {
  const Standardizer fit = fit_standardizer(as_columns(splits.train->y), "the target");
  for (auto* table : {&splits.train, &splits.val, &splits.test}) {
    if (!*table) continue;
    auto& y = (*table)->y;
    y = ((as_columns(y) - fit.mean) / fit.scale).view(y.sizes());
  }
  out.target_mean = fit.mean;
  out.target_scale = fit.scale;
}

/// Standardizes as data.standardize and data.standardize_target ask, where a training split
/// exists to take statistics from.
void standardize(const Params& data, SplitTables& splits, SplitData& out) {
  const bool features = data.string("standardize") == "train";
  const bool target = data.boolean("standardize_target");
  if (target && data.string("task") != "regression") {
    fail("data.standardize_target: only a regression target can be standardized");
  }
  if (!features && !target) return;
  if (!splits.train) {
    out.notes.push_back("no training file: data not standardized");
    return;
  }
  if (features) standardize_features(splits, out);
  if (target) standardize_target(splits, out);
}

/// Outputs of a model for the task: target columns, one logit, or one per class.
int64_t output_count(Task task, const Table& table) {
  if (task == Task::multiclass) return static_cast<int64_t>(table.class_names.size());
  if (task == Task::binary || table.y.dim() == 1) return 1;
  return table.y.size(1);
}

/// The annotations are the table's own per-row ones (when defined) together with `mask`, one
/// point's shape for every row (when defined); neither: no annotations.
Dataset make_dataset(const Table& table, Task task, torch::Dtype dtype, const torch::Tensor& mask) {
  Dataset dataset;
  const int64_t rows = table.x.size(0);
  dataset.points.x = table.x.to(dtype);
  torch::Tensor& annotations = dataset.points.annotations;
  if (table.annotations.defined()) annotations = table.annotations.to(dtype).contiguous();
  if (mask.defined()) {
    std::vector<int64_t> sizes{rows};
    sizes.insert(sizes.end(), mask.sizes().begin(), mask.sizes().end());
    const torch::Tensor every_row = mask.to(dtype).unsqueeze(0).expand(sizes);
    annotations =
        annotations.defined() ? torch::maximum(annotations, every_row) : every_row.contiguous();
  }
  dataset.points.y = task == Task::regression ? as_columns(table.y).to(dtype) : table.y;
  dataset.points.index = torch::arange(rows, torch::kLong);
  dataset.task = task;
  dataset.outputs = output_count(task, table);
  dataset.feature_names = table.feature_names;
  dataset.class_names = table.class_names;
  return dataset;
}

/// A table without rows shaped like `like`, for a split that has no file.
Table empty_like(const Table& like) {
  Table empty = like;
  empty.x = like.x.slice(0, 0, 0).clone();
  empty.y = like.y.slice(0, 0, 0).clone();
  if (like.annotations.defined()) empty.annotations = like.annotations.slice(0, 0, 0).clone();
  if (like.index.defined()) empty.index = like.index.slice(0, 0, 0).clone();
  empty.dropped_rows = 0;
  return empty;
}

/// Refuses data whose values do not survive as finite numbers of the run's type (1e39 in
/// float32, or 1e308 whose square overflows while standardizing): training on them gives NaN.
void check_finite(const Dataset& split, const std::string& source, torch::Dtype dtype) {
  const bool features = torch::isfinite(split.points.x).all().item<bool>();
  const bool targets =
      !split.points.y.is_floating_point() || torch::isfinite(split.points.y).all().item<bool>();
  if (features && targets) return;
  throw ConfigError(source + ": expected finite " +
                    std::string(dtype == torch::kDouble ? "float64" : "float32") +
                    " values, found " + (features ? "targets" : "features") +
                    " that are infinite or NaN in that type (after standardization); values this "
                    "large need [run] dtype = \"float64\" or rescaling");
}

/// The data's file in messages: the CSV or IDX file, or the built-in generator.
std::string source_of(const Params& data) {
  for (const char* key : {"path", "train", "images", "iris"}) {
    if (!data.string(key).empty()) return data.string(key);
  }
  return "[data] generator " + data.string("generator");
}

std::string shape_text(c10::IntArrayRef shape) {
  std::ostringstream text;
  text << shape;
  return text.str();
}

/// data.shape: each point reshaped to the given shape (row-major), when its size matches.
void reshape_points(const Params& data, const std::string& source, SplitData& out) {
  const std::vector<int64_t>& shape = data.integers("shape");
  if (shape.empty()) return;
  const auto& x = out.train.points.x;
  int64_t wanted = 1;
  for (int64_t extent : shape) wanted *= extent;
  const auto found = x.sizes().slice(1);
  const int64_t per_point = c10::multiply_integers(found);
  if (wanted != per_point) {
    fail("data.shape: expected a shape of " + std::to_string(per_point) + " values per point, as " +
         source + " has (" + shape_text(found) + "), found " + shape_text(shape) + " (" +
         std::to_string(wanted) + " values)");
  }
  for (Dataset* split : {&out.train, &out.val, &out.test}) {
    std::vector<int64_t> sizes{split->points.x.size(0)};
    sizes.insert(sizes.end(), shape.begin(), shape.end());
    split->points.x = split->points.x.reshape(sizes);
    auto& annotations = split->points.annotations;
    if (annotations.defined()) annotations = annotations.reshape(sizes);
    if (shape.size() > 1) split->feature_names.clear();
  }
}

const Table& any_split(const SplitTables& splits) {
  return splits.train ? *splits.train : splits.val ? *splits.val : *splits.test;
}

// ----- annotations ---------------------------------------------------------------------------

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The flat indices of the features that `reference` names in `table`: a 0-based index written
/// as digits, a feature's name, or a categorical column's name (all its "name=value" features).
std::vector<int64_t> resolve_feature(const std::string& reference, const Table& table,
                                     const std::string& source,
                                     const std::string& key = "irrelevant") {
  const auto point = table.x.sizes().slice(1);
  const int64_t values = c10::multiply_integers(point);
  const std::string prefix = source + ": data." + key + ": ";
  if (all_digits(reference)) {
    int64_t index = values;  // out of range unless it parses
    std::from_chars(reference.data(), reference.data() + reference.size(), index);
    if (index >= values) {
      fail(prefix + "expected a 0-based feature index below " + std::to_string(values) +
           ", found " + reference);
    }
    return {index};
  }
  const auto& names = table.feature_names;
  if (static_cast<int64_t>(names.size()) != values) {
    fail(prefix + "expected a 0-based index below " + std::to_string(values) + " (the points " +
         shape_text(point) + " have no feature names; indices run row-major), found '" + reference +
         "'");
  }
  std::vector<int64_t> found;
  for (size_t column = 0; column < names.size(); ++column) {
    if (names[column] == reference) return {static_cast<int64_t>(column)};
    if (names[column].rfind(reference + "=", 0) == 0) found.push_back(column);
  }
  if (found.empty()) {
    fail(prefix + "expected a feature name or a 0-based index below " + std::to_string(values) +
         ", found '" + reference + "'; the features are: " + joined(names, ", "));
  }
  return found;
}

/// The mask (one point's shape, float64) of data.irrelevant together with the built-in set's
/// data.annotations mask `builtin`; undefined when neither marks anything.
torch::Tensor annotation_mask(const Params& data, const Table& table, torch::Tensor builtin,
                              const std::string& source) {
  const std::vector<std::string>& irrelevant = data.strings("irrelevant");
  if (irrelevant.empty()) return builtin;
  const auto point = table.x.sizes().slice(1);
  torch::Tensor mask = torch::zeros({c10::multiply_integers(point)}, torch::kDouble);
  for (const std::string& reference : irrelevant) {
    for (int64_t index : resolve_feature(reference, table, source)) mask[index] = 1.0;
  }
  mask = mask.view(point);
  return builtin.defined() ? torch::maximum(mask, builtin) : mask;
}

/// data.zero_in_test: the named features of the test split set to 0 before standardization (the
/// reference's "Iris out" test of Iris-Cancer, whose inputs are raw).
void zero_in_test(const Params& data, SplitTables& splits, const std::string& source) {
  const std::vector<std::string>& zeroed = data.strings("zero_in_test");
  if (zeroed.empty() || !splits.test) return;
  torch::Tensor flat = splits.test->x.flatten(1).clone();
  for (const std::string& reference : zeroed) {
    for (int64_t index : resolve_feature(reference, *splits.test, source, "zero_in_test")) {
      flat.select(1, index).zero_();
    }
  }
  splits.test->x = flat.view(splits.test->x.sizes());
}

/// Drops the tables' own per-row annotations unless data.annotations asks for them.
void keep_row_annotations(const Params& data, SplitTables& splits) {
  if (builtin_mask_per_row(data)) return;
  for (auto* table : {&splits.train, &splits.val, &splits.test}) {
    if (*table) (*table)->annotations = torch::Tensor();
  }
}

/// data.annotation_file's masks given to the split rows by their index in the source and
/// combined (elementwise max) with the rows' own (decoy's swatch); a test file's rows get 0.
void add_file_masks(SplitTables& splits) {
  if (!splits.file_mask.defined()) return;
  for (auto* table : {&splits.train, &splits.val, &splits.test}) {
    if (!*table) continue;
    Table& part = **table;
    const bool uncovered = table == &splits.test && splits.test_file;
    torch::Tensor rows = uncovered ? torch::zeros(part.x.sizes(), torch::kUInt8)
                                   : splits.file_mask.index_select(0, part.index);
    if (part.annotations.defined()) {
      rows = torch::maximum(part.annotations, rows.to(part.annotations.scalar_type()));
    }
    part.annotations = rows;
  }
}

}  // namespace

SplitData load_splits(const Params& data, const std::string& base_dir, uint64_t seed, int64_t trial,
                      torch::Dtype dtype) {
  check_sources(data);
  const torch::Tensor builtin = builtin_mask(data);
  SplitTables splits = read_splits(data, base_dir, seed, trial);
  keep_row_annotations(data, splits);
  add_file_masks(splits);
  zero_in_test(data, splits, source_of(data));
  SplitData out;
  out.notes = splits.notes;
  standardize(data, splits, out);
  const Task task = parse_task(data.string("task"));
  const Table& shape = any_split(splits);
  const torch::Tensor mask = annotation_mask(data, shape, builtin, source_of(data));
  out.train = make_dataset(splits.train ? *splits.train : empty_like(shape), task, dtype, mask);
  out.val = make_dataset(splits.val ? *splits.val : empty_like(shape), task, dtype, mask);
  out.test = make_dataset(splits.test ? *splits.test : empty_like(shape), task, dtype, mask);
  for (const Dataset* split : {&out.train, &out.val, &out.test}) {
    check_finite(*split, source_of(data), dtype);
  }
  reshape_points(data, source_of(data), out);
  return out;
}

}  // namespace xreg
