/// The built-in data sets: Friedman's regression problem #1 ("friedman1"), RRR's toy colours
/// ("toy_colors"), decoy MNIST ("decoy") and Iris-Cancer ("iris_cancer"), with the annotation
/// masks they define.

#include "xreg/host/data/builtin.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "config/paths.hpp"
#include "text.hpp"
#include "xreg/host/data/csv.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/context.hpp"

namespace xreg {
namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

void check_samples(int64_t samples) {
  if (samples < 1) fail("data.samples: expected at least 1 row, found " + std::to_string(samples));
}

// ----- friedman1 -----------------------------------------------------------------------------

Table friedman1(const Params& data, uint64_t seed) {
  const int64_t samples = data.integer("samples");
  const double noise = data.real("noise");
  if (data.string("task") != "regression") fail("data.task: friedman1 is a regression data set");
  check_samples(samples);
  if (noise < 0.0) fail("data.noise: expected a non-negative SD, found " + std::to_string(noise));
  auto generator =
      at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, "builtin", 0));
  Table table;
  table.x = torch::rand({samples, 10}, generator, torch::kDouble);
  const auto column = [&](int64_t j) { return table.x.select(1, j); };
  table.y = 10.0 * torch::sin(M_PI * column(0) * column(1)) + 20.0 * (column(2) - 0.5).square() +
            10.0 * column(3) + 5.0 * column(4) +
            noise * torch::randn({samples}, generator, torch::kDouble);
  for (int j = 0; j < 10; ++j) table.feature_names.push_back("x" + std::to_string(j));
  return table;
}

// ----- toy_colors ----------------------------------------------------------------------------
//
// dtak/rrr rrr/toy_colors.py: 5x5 images, every pixel one of four colours drawn uniformly; the
// label ~ Bernoulli(1/2) and the image is then repaired so that both rules give the label:
//   label 0: the four corners equal (all set to the bottom-right's colour) AND the three
//            top-middle pixels (row 0, columns 1..3) pairwise different (while a repeat is left,
//            a random one of the three is recoloured);
//   label 1: one diagonal corner pair unequal (with probability 1/2 the top-right is recoloured
//            until it differs from the bottom-left, else the top-left until it differs from the
//            bottom-right) AND a repeat in the top-middle (while none, a random one of the three
//            is recoloured).
// The rejection loops are drawn here in closed form, with the same distribution:
//   - recolouring one pixel until it differs from another gives a colour uniform among the
//     other three, so an equal pair becomes (other + U{1, 2, 3}) mod 4;
//   - recolouring top-middle pixels until they are pairwise different ends uniform over the 24
//     ordered distinct triples (the process is symmetric under colour permutations, which act
//     transitively on them): the first three of a random permutation of the four colours;
//   - recolouring until a repeat appears changes a distinct triple in one final step that sets
//     a uniformly chosen pixel to the colour of one of the other two, uniformly chosen (every
//     step from a distinct triple ends the loop with probability 1/2, and a step that does not
//     leaves a uniformly distributed distinct triple).

constexpr int64_t kSide = 5;
constexpr int64_t kColours = 4;

/// The four colours (RGB), as the reference's 'r', 'g', 'b', 'v'.
torch::Tensor palette() {
  return torch::tensor({255.0, 0.0, 0.0, 0.0, 255.0, 0.0, 0.0, 128.0, 255.0, 128.0, 0.0, 255.0},
                       torch::kDouble)
      .view({kColours, 3});
}

/// Sets column `j` of `values` [N, k] to `replacement` [N] where `where` [N] holds.
void set_where(torch::Tensor& values, int64_t j, const torch::Tensor& where,
               const torch::Tensor& replacement) {
  values.select(1, j).copy_(torch::where(where, replacement, values.select(1, j)));
}

/// A colour uniform among those other than `other` [N].
torch::Tensor other_colour(const torch::Tensor& other, at::Generator& generator) {
  return (other + torch::randint(1, kColours, other.sizes(), generator, torch::kLong)) % kColours;
}

/// Colour indices [N, 5, 5] (row, column) satisfying both rules of each row's label [N].
torch::Tensor colour_indices(const torch::Tensor& label, at::Generator& generator) {
  const int64_t n = label.size(0);
  // pixels as [N, 25], row-major; the corners and the top-middle by their flat index.
  torch::Tensor pixels = torch::randint(0, kColours, {n, kSide * kSide}, generator, torch::kLong);
  const int64_t top_left = 0, top_right = kSide - 1, bottom_left = (kSide - 1) * kSide,
                bottom_right = kSide * kSide - 1;
  const torch::Tensor zero = label == 0, one = label == 1;

  // Rule 1, label 0: every corner takes the bottom-right's colour.
  const torch::Tensor corner = pixels.select(1, bottom_right).clone();
  for (int64_t j : {top_left, top_right, bottom_left}) set_where(pixels, j, zero, corner);
  // Rule 1, label 1: one diagonal pair made unequal by recolouring its first pixel.
  const torch::Tensor anti_diagonal = torch::rand({n}, generator, torch::kDouble) < 0.5;
  const torch::Tensor changed =
      torch::where(anti_diagonal, pixels.select(1, top_right), pixels.select(1, top_left));
  const torch::Tensor kept =
      torch::where(anti_diagonal, pixels.select(1, bottom_left), pixels.select(1, bottom_right));
  const torch::Tensor repaired =
      torch::where(changed == kept, other_colour(kept, generator), changed);
  set_where(pixels, top_right, one & anti_diagonal, repaired);
  set_where(pixels, top_left, one & ~anti_diagonal, repaired);

  // Rule 2 on the top-middle triple [N, 3].
  torch::Tensor middle = pixels.slice(1, 1, kSide - 1).clone();
  // label 0: three different colours, uniform over the ordered distinct triples.
  const torch::Tensor distinct = torch::rand({n, kColours}, generator, torch::kDouble)
                                     .argsort(/*dim=*/1, /*descending=*/false)
                                     .slice(1, 0, 3);
  // label 1: a distinct triple gets one pixel copied from another.
  const torch::Tensor target = torch::randint(0, 3, {n}, generator, torch::kLong);
  const torch::Tensor source = (target + torch::randint(1, 3, {n}, generator, torch::kLong)) % 3;
  const torch::Tensor all_different = (middle.select(1, 0) != middle.select(1, 1)) &
                                      (middle.select(1, 0) != middle.select(1, 2)) &
                                      (middle.select(1, 1) != middle.select(1, 2));
  const torch::Tensor copied = middle.gather(1, source.unsqueeze(1));
  torch::Tensor with_repeat = middle.scatter(1, target.unsqueeze(1), copied);
  with_repeat = torch::where(all_different.unsqueeze(1), with_repeat, middle);
  middle = torch::where(zero.unsqueeze(1), distinct, with_repeat);
  pixels.slice(1, 1, kSide - 1).copy_(middle);
  return pixels.view({n, kSide, kSide});
}

/// A built-in set of the classes 0 and 1 (toy_colors, iris_cancer) needs a classification task.
void check_two_classes(const Params& data, const std::string& generator) {
  const std::string task = data.string("task");
  if (task != "binary" && task != "multiclass") {
    fail("data.task: " + generator +
         " has the classes 0 and 1; expected task = \"binary\" or \"multiclass\", found \"" + task +
         "\"");
  }
  const std::string positive = data.string("positive");
  if (!positive.empty() && positive != "1") {
    fail("data.positive: " + generator +
         " labels are the numbers 0 and 1; expected \"\" or \"1\", found \"" + positive + "\"");
  }
}

Table toy_colors(const Params& data, uint64_t seed) {
  const int64_t samples = data.integer("samples");
  check_two_classes(data, "toy_colors");
  check_samples(samples);
  auto generator =
      at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, "toy_colors", 0));
  Table table;
  table.y = (torch::rand({samples}, generator, torch::kDouble) < 0.5).to(torch::kLong);
  const torch::Tensor colours = colour_indices(table.y, generator);
  // [N, 5, 5, 3] (the reference's layout) to channels first [N, 3, 5, 5].
  table.x = palette().index_select(0, colours.flatten()).view({samples, kSide, kSide, 3});
  table.x = table.x.permute({0, 3, 1, 2}).contiguous();
  table.class_names = {"0", "1"};
  return table;
}

/// toy_colors's masks [3, 5, 5], all three channels of their pixels: corners, the four corners
/// (the reference's ignore_rule1, which forbids rule 1); top_middle, row 0 columns 1..3
/// (ignore_rule2); both.
torch::Tensor toy_colors_mask(const std::string& name) {
  torch::Tensor mask = torch::zeros({3, kSide, kSide}, torch::kDouble);
  if (name == "corners" || name == "both") {
    for (int64_t row : {int64_t{0}, kSide - 1}) {
      for (int64_t column : {int64_t{0}, kSide - 1}) mask.select(1, row).select(1, column).fill_(1);
    }
  }
  if (name == "top_middle" || name == "both") mask.select(1, 0).slice(1, 1, kSide - 1).fill_(1);
  return mask;
}

// ----- decoy ---------------------------------------------------------------------------------
//
// dtak/rrr rrr/decoy_mnist.py: every MNIST image gets a 4x4 swatch in a random corner, of value
// 255 - 25 y in the training set and 255 - 25 r (r uniform on 0..9) in the test set.

constexpr int64_t kSwatch = 4;
constexpr int64_t kDigits = 10;
constexpr double kSwatchTop = 255.0, kSwatchStep = 25.0;

/// The decoy training set: data.images/labels, raw, every swatch of the label's value.
Table decoy(const Params& data, uint64_t seed, const std::string& base_dir) {
  if (data.string("images").empty() || data.string("labels").empty()) {
    fail(
        "data: generator = \"decoy\" needs both images and labels (IDX files in the MNIST "
        "layout)");
  }
  Table table = read_idx(resolve_path(base_dir, data.string("images")),
                         resolve_path(base_dir, data.string("labels")), /*raw=*/true);
  add_decoy_swatches(table, /*label_value=*/true, seed, "images");
  return table;
}

// ----- iris_cancer ---------------------------------------------------------------------------
//
// dtak/rrr rrr/iris_cancer.py: Iris rows of species 1 stacked on those of species 2 (4
// features), beside the first 50 malignant and the first 50 benign breast-cancer rows (30
// features); label 0 for the first 50 rows, 1 for the last 50.

constexpr int64_t kIrisFeatures = 4, kCancerFeatures = 30, kHalf = 50;

/// The CSV file of [data] key `key` read with the given target column, task and ignored columns
/// (the other reading keys at their defaults), checked to have `features` features.
Table read_part(const Params& data, const std::string& key, const std::string& base_dir,
                const std::string& target, const std::string& task, const std::string& positive,
                const std::vector<std::string>& ignore, int64_t features) {
  if (data.string(key).empty()) {
    fail("data." + key + ": generator = \"iris_cancer\" needs the " + key +
         " file (e.g. ../shared/data/uci/" + key + ".csv), found none");
  }
  Params part = data;
  part.set("header", std::string("auto"));
  part.set("target", target);
  part.set("ignore", ignore);
  part.set("categorical", std::vector<std::string>{});
  part.set("task", task);
  part.set("positive", positive);
  part.set("drop_missing", false);
  const std::string path = resolve_path(base_dir, data.string(key));
  Table table;
  try {
    table = read_csv(path, part);
  } catch (const ConfigError& error) {
    // The reading keys are fixed here: a column read_csv misses is the file's fault, so the
    // message names the file's key rather than data.target or data.ignore.
    std::string message = error.what();
    for (const std::string reading_key : {": data.target: ", ": data.ignore: "}) {
      const size_t at = message.find(reading_key);
      if (at != std::string::npos) message.replace(at, reading_key.size(), ": data." + key + ": ");
    }
    fail(message);
  }
  if (table.x.size(1) != features) {
    fail(path + ": data." + key + ": expected " + std::to_string(features) +
         " feature columns besides '" + target + "'" +
         (ignore.empty() ? "" : " and '" + joined(ignore, "', '") + "'") + ", found " +
         std::to_string(table.x.size(1)) + " (" + joined(table.feature_names, ", ") + ")");
  }
  return table;
}

/// The first 50 rows of `table` whose class index is `label`, named `what` in messages.
torch::Tensor first_half(const Table& table, int64_t label, const std::string& what,
                         const std::string& path) {
  const torch::Tensor rows = (table.y == label).nonzero().flatten();
  if (rows.size(0) < kHalf) {
    fail(path + ": expected at least " + std::to_string(kHalf) + " rows of " + what + ", found " +
         std::to_string(rows.size(0)));
  }
  return table.x.index_select(0, rows.slice(0, 0, kHalf));
}

/// The class index of label `name` in `table`, or a ConfigError naming the file.
int64_t class_index(const Table& table, const std::string& name, const std::string& what,
                    const std::string& path) {
  const auto& names = table.class_names;
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    fail(path + ": expected " + what + " '" + name + "', found the labels " + joined(names, ", "));
  }
  return found - names.begin();
}

Table iris_cancer(const Params& data, const std::string& base_dir) {
  check_two_classes(data, "iris_cancer");
  const Table iris =
      read_part(data, "iris", base_dir, "species", "multiclass", "", {}, kIrisFeatures);
  const Table cancer =
      read_part(data, "cancer", base_dir, "diagnosis", "binary", "B", {"id"}, kCancerFeatures);
  const std::string iris_path = resolve_path(base_dir, data.string("iris"));
  const std::string cancer_path = resolve_path(base_dir, data.string("cancer"));
  const torch::Tensor iris_x = torch::cat(
      {first_half(iris, class_index(iris, "1", "species", iris_path), "species 1", iris_path),
       first_half(iris, class_index(iris, "2", "species", iris_path), "species 2", iris_path)});
  // positive = "B": benign is 1 and malignant 0, as scikit-learn's breast cancer target.
  const torch::Tensor cancer_x =
      torch::cat({first_half(cancer, 0, "diagnosis M (malignant)", cancer_path),
                  first_half(cancer, 1, "diagnosis B (benign)", cancer_path)});
  Table table;
  table.x = torch::cat({iris_x, cancer_x}, 1).to(torch::kDouble);
  table.y = torch::cat({torch::zeros({kHalf}, torch::kLong), torch::ones({kHalf}, torch::kLong)});
  table.feature_names = iris.feature_names;
  table.feature_names.insert(table.feature_names.end(), cancer.feature_names.begin(),
                             cancer.feature_names.end());
  table.class_names = {"0", "1"};
  return table;
}

/// The 4 Iris columns of iris_cancer's 34 features.
torch::Tensor iris_mask() {
  torch::Tensor mask = torch::zeros({kIrisFeatures + kCancerFeatures}, torch::kDouble);
  mask.slice(0, 0, kIrisFeatures).fill_(1);
  return mask;
}

}  // namespace

Table generate_builtin(const Params& data, uint64_t seed, const std::string& base_dir) {
  const std::string generator = data.string("generator");
  if (generator == "toy_colors") return toy_colors(data, seed);
  if (generator == "friedman1") return friedman1(data, seed);
  if (generator == "decoy") return decoy(data, seed, base_dir);
  if (generator == "iris_cancer") return iris_cancer(data, base_dir);
  fail("data.generator: expected friedman1, toy_colors, decoy or iris_cancer, found '" + generator +
       "'");
}

void add_decoy_swatches(Table& table, bool label_value, uint64_t seed, const std::string& source) {
  if (table.x.dim() != 4 || table.x.size(2) < kSwatch || table.x.size(3) < kSwatch) {
    std::ostringstream shape;
    shape << table.x.sizes();
    fail("data: decoy swatches need images [N, C, H, W] of at least 4x4 pixels, found " +
         shape.str());
  }
  if (!table.index.defined()) fail("data: decoy swatches need each image's index in its file");
  table.x = table.x.to(torch::kDouble).contiguous();
  const torch::Tensor index = table.index.to(torch::kLong).contiguous();
  const torch::Tensor label = table.y.to(torch::kLong).contiguous();
  torch::Tensor masks = torch::zeros(table.x.sizes(), torch::kUInt8);
  auto x = table.x.accessor<double, 4>();
  auto mask = masks.accessor<uint8_t, 4>();
  const auto indices = index.accessor<int64_t, 1>();
  const auto labels = label.accessor<int64_t, 1>();
  const int64_t channels = x.size(1), height = x.size(2), width = x.size(3);
  const std::string stream = "decoy/" + source;
  for (int64_t i = 0; i < x.size(0); ++i) {
    // Three draws of the image's own stream: the rows' end, the columns' end, the test digit.
    const auto draw = [&](int64_t d) { return detail::stream_seed(seed, stream, indices[i], d); };
    const int64_t top = (draw(0) >> 63) ? height - kSwatch : 0;
    const int64_t left = (draw(1) >> 63) ? width - kSwatch : 0;
    const int64_t digit = label_value ? labels[i] : static_cast<int64_t>(draw(2) % kDigits);
    const double value = kSwatchTop - kSwatchStep * static_cast<double>(digit);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t r = top; r < top + kSwatch; ++r) {
        for (int64_t k = left; k < left + kSwatch; ++k) {
          x[i][c][r][k] = value;
          mask[i][c][r][k] = 1;
        }
      }
    }
  }
  table.annotations = masks;
}

std::vector<std::string> builtin_mask_names(const std::string& generator) {
  if (generator == "toy_colors") return {"none", "corners", "top_middle", "both"};
  if (generator == "decoy") return {"none", "swatch"};
  if (generator == "iris_cancer") return {"none", "iris"};
  return {"none"};
}

bool builtin_mask_per_row(const Params& data) {
  return data.string("format") == "builtin" && data.string("generator") == "decoy" &&
         data.string("annotations") == "swatch";
}

torch::Tensor builtin_mask(const Params& data) {
  const std::string name = data.string("annotations");
  if (name == "none") return {};
  if (data.string("format") != "builtin") {
    fail(
        "data.annotations: only a built-in set (format = \"builtin\") has masks of its own; "
        "expected \"none\", found '" +
        name + "' (mark features with irrelevant = [...])");
  }
  const std::string generator = data.string("generator");
  const std::vector<std::string> names = builtin_mask_names(generator);
  if (names.size() == 1) {
    fail("data.annotations: [data] generator " + generator +
         " has no masks of its own; expected \"none\", found '" + name +
         "' (mark features with irrelevant = [...])");
  }
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    fail("data.annotations: expected one of " + joined(names, "|") + " for [data] generator " +
         generator + ", found '" + name + "'");
  }
  if (generator == "iris_cancer") return iris_mask();
  if (generator == "decoy") return {};  // per row: Table::annotations
  return toy_colors_mask(name);
}

}  // namespace xreg
