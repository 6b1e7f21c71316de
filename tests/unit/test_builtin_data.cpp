/// The built-in toy_colors set (RRR's toy colours): both rules hold for every image and agree
/// with its label, four colours only, balanced labels, the reference's repair distributions,
/// determinism; its annotation masks and [data] irrelevant through splitting, standardization and
/// [data] shape, with their exact messages. Decoy MNIST (the swatch rules of the training and
/// test splits, per-row masks through splitting, draws keyed by the image) and Iris-Cancer (the
/// reference's composite, its Iris mask, zero_in_test) on ../shared/data, skipped without it.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/data/builtin.hpp"
#include "xreg/host/data/csv.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

using Overrides = std::vector<std::pair<std::string, Params::Value>>;

/// The [data] defaults of data_schema(), with `overrides` applied.
Params data_params(const Overrides& overrides = {}) {
  Params params;
  for (const auto& param : data_schema()) params.set(param.name, *param.default_value);
  for (const auto& [key, value] : overrides) params.set(key, value);
  return params;
}

Params toy_colors(int64_t samples, Overrides overrides = {}) {
  overrides.insert(overrides.begin(), {{"format", "builtin"},
                                       {"generator", "toy_colors"},
                                       {"task", "multiclass"},
                                       {"samples", samples}});
  return data_params(overrides);
}

/// The ConfigError message of `load`, or "no error".
template <class Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

/// `sigmas` standard deviations of the share of a proportion p over n draws.
double binomial_tolerance(double p, int64_t n, double sigmas = 5.0) {
  return sigmas * std::sqrt(p * (1.0 - p) / static_cast<double>(n));
}

/// Each pixel's colour index [N, 5, 5] in the reference's order r, g, b, v; -1 for none.
torch::Tensor colour_indices(const torch::Tensor& x) {
  const torch::Tensor palette =
      torch::tensor({255.0, 0.0, 0.0, 0.0, 255.0, 0.0, 0.0, 128.0, 255.0, 128.0, 0.0, 255.0},
                    torch::kDouble)
          .view({4, 3});
  // [N, 5, 5, 1, 3] against [4, 3]: a match where all three channels agree.
  const torch::Tensor matches =
      (x.permute({0, 2, 3, 1}).unsqueeze(3) == palette).all(-1);  // [N, 5, 5, 4]
  const torch::Tensor index = matches.to(torch::kLong).argmax(-1);
  return torch::where(matches.any(-1), index, torch::full_like(index, -1));
}

struct Rules {
  torch::Tensor corners_equal;    ///< all four corners one colour
  torch::Tensor diagonal_split;   ///< top-right != bottom-left or top-left != bottom-right
  torch::Tensor middle_distinct;  ///< the three top-middle pixels pairwise different
  torch::Tensor middle_same;      ///< the three top-middle pixels one colour
};

Rules rules_of(const torch::Tensor& colours) {
  const auto pixel = [&](int64_t row, int64_t column) {
    return colours.select(1, row).select(1, column);
  };
  const torch::Tensor tl = pixel(0, 0), tr = pixel(0, 4), bl = pixel(4, 0), br = pixel(4, 4);
  const torch::Tensor a = pixel(0, 1), b = pixel(0, 2), c = pixel(0, 3);
  return Rules{(tl == tr) & (tl == bl) & (tl == br), (tr != bl) | (tl != br),
               (a != b) & (a != c) & (b != c), (a == b) & (b == c)};
}

TEST(ToyColors, EveryImageFollowsBothRulesOfItsLabel) {
  const int64_t n = 20000;
  const Table table = generate_builtin(toy_colors(n), 3);
  ASSERT_EQ(table.x.sizes(), (std::vector<int64_t>{n, 3, 5, 5}));
  EXPECT_EQ(table.x.dtype(), torch::kDouble);
  EXPECT_EQ(table.y.dtype(), torch::kLong);
  EXPECT_EQ(table.class_names, (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(table.feature_names.empty());
  const torch::Tensor colours = colour_indices(table.x);
  EXPECT_TRUE((colours >= 0).all().item<bool>()) << "a pixel that is none of the four colours";
  const torch::Tensor zero = table.y == 0, one = table.y == 1;
  EXPECT_TRUE((zero | one).all().item<bool>());
  const Rules rules = rules_of(colours);
  // Label 0 <=> corners equal AND top-middle pairwise different; label 1 <=> a diagonal corner
  // pair unequal AND a repeat in the top-middle. Each rule alone gives the label.
  EXPECT_TRUE(torch::equal(zero, rules.corners_equal & rules.middle_distinct));
  EXPECT_TRUE(torch::equal(one, rules.diagonal_split & ~rules.middle_distinct));
  EXPECT_TRUE(torch::equal(zero, rules.corners_equal));
  EXPECT_TRUE(torch::equal(zero, rules.middle_distinct));
}

TEST(ToyColors, LabelsAndColoursAreDistributedAsTheReferencesLoops) {
  const int64_t n = 40000;
  const Table table = generate_builtin(toy_colors(n), 5);
  const torch::Tensor colours = colour_indices(table.x);
  const torch::Tensor one = table.y == 1;
  const int64_t ones = one.sum().item<int64_t>(), zeros = n - ones;
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.5, binomial_tolerance(0.5, n));

  // Pixels no rule touches (rows 1..4, columns 1..3): each colour 1/4.
  const torch::Tensor free = colours.slice(1, 1, 5).slice(2, 1, 4).flatten();
  for (int64_t c = 0; c < 4; ++c) {
    const double share = (free == c).to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(share, 0.25, binomial_tolerance(0.25, free.numel())) << "colour " << c;
  }
  // Label 1: a repaired distinct triple gains a pair, never three equal, so the top-middle is
  // one colour with probability 1/16 (as drawn) and otherwise exactly a pair.
  const Rules rules = rules_of(colours);
  const double same = (rules.middle_same & one).sum().item<double>() / ones;
  EXPECT_NEAR(same, 1.0 / 16, binomial_tolerance(1.0 / 16, ones));
  // Label 1: the chosen diagonal pair (probability 1/2) is made unequal, the other unequal with
  // probability 3/4, so top-right != bottom-left with probability 7/8.
  const torch::Tensor tr_bl =
      colours.select(1, 0).select(1, 4) != colours.select(1, 4).select(1, 0);
  const double split = (tr_bl & one).sum().item<double>() / ones;
  EXPECT_NEAR(split, 7.0 / 8, binomial_tolerance(7.0 / 8, ones));
  // Label 0: the top-middle uniform over the 24 ordered distinct triples (first pixel 1/4), and
  // the common corner colour uniform.
  const torch::Tensor zero = table.y == 0;
  const torch::Tensor first = colours.select(1, 0).select(1, 1).masked_select(zero);
  const torch::Tensor corner = colours.select(1, 0).select(1, 0).masked_select(zero);
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR((first == c).to(torch::kDouble).mean().item<double>(), 0.25,
                binomial_tolerance(0.25, zeros));
    EXPECT_NEAR((corner == c).to(torch::kDouble).mean().item<double>(), 0.25,
                binomial_tolerance(0.25, zeros));
  }
}

TEST(ToyColors, SameSeedSameImagesOtherSeedOtherImages) {
  const Table first = generate_builtin(toy_colors(500), 9);
  const Table again = generate_builtin(toy_colors(500), 9);
  const Table other = generate_builtin(toy_colors(500), 10);
  EXPECT_TRUE(torch::equal(first.x, again.x));
  EXPECT_TRUE(torch::equal(first.y, again.y));
  EXPECT_FALSE(torch::equal(first.x, other.x));
  EXPECT_FALSE(torch::equal(first.y, other.y));
}

TEST(ToyColors, ReferenceSizesAreGeneratedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  const SplitData splits = load_splits(
      toy_colors(40000, {{"split", std::vector<double>{0.5, 0.0, 0.5}}, {"standardize", "none"}}),
      "", 0, 0, torch::kFloat32);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(splits.train.size(), 20000);
  EXPECT_EQ(splits.val.size(), 0);
  EXPECT_EQ(splits.test.size(), 20000);
  EXPECT_LT(seconds, 30.0);  // vectorized: well under a second on an idle core
  RecordProperty("seconds", std::to_string(seconds));
}

TEST(ToyColors, IsAClassificationSetOfRawOrStandardizedValues) {
  const SplitData raw =
      load_splits(toy_colors(400, {{"standardize", "none"}}), "", 1, 0, torch::kFloat32);
  EXPECT_EQ(raw.train.points.x.sizes(), (std::vector<int64_t>{200, 3, 5, 5}));
  EXPECT_EQ(raw.train.points.x.max().item<float>(), 255.0f);
  EXPECT_EQ(raw.train.points.x.min().item<float>(), 0.0f);
  EXPECT_EQ(raw.train.task, Task::multiclass);
  EXPECT_EQ(raw.train.outputs, 2);
  EXPECT_FALSE(raw.feature_mean.defined());
  EXPECT_FALSE(raw.train.points.annotations.defined());

  // The default standardize = "train": every value of the point on its own, statistics [75].
  const SplitData standardized = load_splits(toy_colors(400), "", 1, 0, torch::kDouble);
  const torch::Tensor x = standardized.train.points.x;
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{200, 3, 5, 5}));
  EXPECT_EQ(standardized.feature_mean.sizes(), (std::vector<int64_t>{75}));
  EXPECT_TRUE(torch::allclose(x.flatten(1).mean(0), torch::zeros({75}, torch::kDouble), 0, 1e-9));
  EXPECT_TRUE(
      torch::allclose(x.flatten(1).std(0, true), torch::ones({75}, torch::kDouble), 0, 1e-9));

  const SplitData binary =
      load_splits(toy_colors(400, {{"task", "binary"}}), "", 1, 0, torch::kFloat32);
  EXPECT_EQ(binary.train.outputs, 1);
  EXPECT_EQ(binary.train.points.y.dtype(), torch::kLong);
  EXPECT_EQ(binary.train.points.y.dim(), 1);

  EXPECT_EQ(error_of([] {
              generate_builtin(toy_colors(10, {{"task", "regression"}}), 0);
            }),
            "data.task: toy_colors has the classes 0 and 1; expected task = \"binary\" or "
            "\"multiclass\", found \"regression\"");
}

/// The mask [3, 5, 5] with ones at the given (row, column) pixels, all channels.
torch::Tensor pixel_mask(const std::vector<std::pair<int64_t, int64_t>>& pixels) {
  torch::Tensor mask = torch::zeros({3, 5, 5}, torch::kDouble);
  for (const auto& [row, column] : pixels) mask.select(1, row).select(1, column).fill_(1);
  return mask;
}

const std::vector<std::pair<int64_t, int64_t>> kCorners{{0, 0}, {0, 4}, {4, 0}, {4, 4}};
const std::vector<std::pair<int64_t, int64_t>> kTopMiddle{{0, 1}, {0, 2}, {0, 3}};

/// Every row of every split annotated with `mask`, in the points' shape and dtype.
void expect_annotations(const SplitData& splits, const torch::Tensor& mask) {
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    const torch::Tensor& a = split->points.annotations;
    ASSERT_TRUE(a.defined());
    EXPECT_EQ(a.sizes(), split->points.x.sizes());
    EXPECT_EQ(a.dtype(), split->points.x.dtype());
    const auto rows = split->size();
    EXPECT_TRUE(torch::equal(a.to(torch::kDouble).reshape({rows, mask.numel()}),
                             mask.reshape({1, -1}).expand({rows, mask.numel()})));
  }
}

TEST(ToyColorsMasks, RuleOneIsTheCornersAndRuleTwoTheTopMiddle) {
  for (const auto& [name, pixels] :
       {std::pair{"corners", kCorners}, std::pair{"top_middle", kTopMiddle}}) {
    const SplitData splits =
        load_splits(toy_colors(200, {{"annotations", name}}), "", 2, 0, torch::kFloat32);
    const torch::Tensor mask = pixel_mask(pixels);
    EXPECT_EQ(mask.sum().item<double>(), name == std::string("corners") ? 12 : 9);
    expect_annotations(splits, mask);
    EXPECT_EQ(splits.train.points.annotations.flatten(1).sum(1).min().item<float>(),
              name == std::string("corners") ? 12.0f : 9.0f);
  }
  std::vector<std::pair<int64_t, int64_t>> both = kCorners;
  both.insert(both.end(), kTopMiddle.begin(), kTopMiddle.end());
  expect_annotations(
      load_splits(toy_colors(200, {{"annotations", "both"}}), "", 2, 0, torch::kFloat32),
      pixel_mask(both));
  EXPECT_EQ(builtin_mask(toy_colors(1, {{"annotations", "both"}})).sum().item<double>(), 21.0);
  EXPECT_EQ(builtin_mask_names("toy_colors"),
            (std::vector<std::string>{"none", "corners", "top_middle", "both"}));
}

TEST(ToyColorsMasks, SurviveSplittingWithoutValidationAndDataShape) {
  const SplitData splits =
      load_splits(toy_colors(300, {{"annotations", "corners"},
                                   {"split", std::vector<double>{0.5, 0.0, 0.5}},
                                   {"shape", std::vector<int64_t>{75}}}),
                  "", 4, 1, torch::kDouble);
  EXPECT_EQ(splits.val.points.annotations.sizes(), (std::vector<int64_t>{0, 75}));
  EXPECT_EQ(splits.test.points.x.sizes(), (std::vector<int64_t>{150, 75}));
  expect_annotations(splits, pixel_mask(kCorners));
  // Row-major over [3, 5, 5]: the top-left pixel is values 0, 25 and 50.
  EXPECT_EQ(splits.train.points.annotations[0][0].item<double>(), 1.0);
  EXPECT_EQ(splits.train.points.annotations[0][25].item<double>(), 1.0);
  EXPECT_EQ(splits.train.points.annotations[0][1].item<double>(), 0.0);
  // A row's annotations stay with it through the split's rows (index_select as the trainer).
  const torch::Tensor rows = torch::tensor({3, 0, 7}, torch::kLong);
  EXPECT_TRUE(torch::equal(splits.train.points.annotations.index_select(0, rows),
                           pixel_mask(kCorners).view({1, 75}).expand({3, 75})));
}

TEST(ToyColorsMasks, CombineWithIrrelevantIndices) {
  // Index 12 is channel 0, row 2, column 2; 74 the bottom-right's blue.
  const SplitData splits = load_splits(
      toy_colors(100,
                 {{"annotations", "top_middle"}, {"irrelevant", std::vector<std::string>{"12"}}}),
      "", 0, 0, torch::kFloat32);
  torch::Tensor mask = pixel_mask(kTopMiddle);
  mask[0][2][2] = 1;
  expect_annotations(splits, mask);
}

TEST(ToyColorsMasks, UnknownMaskOrImageFeatureNameIsRefused) {
  EXPECT_EQ(error_of([] {
              load_splits(toy_colors(10, {{"annotations", "rule1"}}), "", 0, 0, torch::kFloat32);
            }),
            "data.annotations: expected one of none|corners|top_middle|both for [data] generator "
            "toy_colors, found 'rule1'");
  EXPECT_EQ(error_of([] {
              load_splits(data_params({{"format", "builtin"}, {"annotations", "corners"}}), "", 0,
                          0, torch::kFloat32);
            }),
            "data.annotations: [data] generator friedman1 has no masks of its own; expected "
            "\"none\", found 'corners' (mark features with irrelevant = [...])");
  EXPECT_EQ(error_of([] {
              load_splits(toy_colors(10, {{"irrelevant", std::vector<std::string>{"corner"}}}), "",
                          0, 0, torch::kFloat32);
            }),
            "[data] generator toy_colors: data.irrelevant: expected a 0-based index below 75 (the "
            "points [3, 5, 5] have no feature names; indices run row-major), found 'corner'");
  EXPECT_EQ(error_of([] {
              load_splits(toy_colors(10, {{"irrelevant", std::vector<std::string>{"75"}}}), "", 0,
                          0, torch::kFloat32);
            }),
            "[data] generator toy_colors: data.irrelevant: expected a 0-based feature index below "
            "75, found 75");
}

Params friedman(Overrides overrides) {
  overrides.insert(overrides.begin(), {{"format", "builtin"}, {"samples", int64_t{200}}});
  return data_params(overrides);
}

TEST(Irrelevant, ByNameAndByIndexOnEverySplit) {
  const SplitData splits = load_splits(
      friedman({{"irrelevant", std::vector<std::string>{"x3", "7"}}}), "", 0, 0, torch::kFloat32);
  torch::Tensor mask = torch::zeros({10}, torch::kDouble);
  mask[3] = 1;
  mask[7] = 1;
  expect_annotations(splits, mask);
  // Standardization leaves them alone; data.shape reshapes them with the points.
  const SplitData shaped =
      load_splits(friedman({{"irrelevant", std::vector<std::string>{"x3", "7"}},
                            {"shape", std::vector<int64_t>{2, 5}}}),
                  "", 0, 0, torch::kFloat32);
  expect_annotations(shaped, mask);
  EXPECT_EQ(shaped.val.points.annotations.sizes(), (std::vector<int64_t>{50, 2, 5}));
  EXPECT_EQ(shaped.val.points.annotations[0][1][2].item<float>(), 1.0f);  // feature 7
}

TEST(Irrelevant, WithoutKeysThereAreNoAnnotations) {
  const SplitData splits = load_splits(friedman({}), "", 0, 0, torch::kFloat32);
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    EXPECT_FALSE(split->points.annotations.defined());
  }
}

TEST(Irrelevant, UnknownNameOrIndexOutOfRangeIsRefused) {
  EXPECT_EQ(error_of([] {
              load_splits(friedman({{"irrelevant", std::vector<std::string>{"x3", "x10"}}}), "", 0,
                          0, torch::kFloat32);
            }),
            "[data] generator friedman1: data.irrelevant: expected a feature name or a 0-based "
            "index below 10, found 'x10'; the features are: x0, x1, x2, x3, x4, x5, x6, x7, x8, "
            "x9");
  EXPECT_EQ(error_of([] {
              load_splits(friedman({{"irrelevant", std::vector<std::string>{"10"}}}), "", 0, 0,
                          torch::kFloat32);
            }),
            "[data] generator friedman1: data.irrelevant: expected a 0-based feature index below "
            "10, found 10");
  EXPECT_EQ(error_of([] {
              load_splits(
                  friedman({{"irrelevant", std::vector<std::string>{"99999999999999999999999"}}}),
                  "", 0, 0, torch::kFloat32);
            }),
            "[data] generator friedman1: data.irrelevant: expected a 0-based feature index below "
            "10, found 99999999999999999999999");
}

// ----- decoy MNIST ---------------------------------------------------------------------------

namespace fs = std::filesystem;

std::string shared_file(const std::string& folder, const std::string& name) {
  return (fs::path(XREG_SHARED_DIR) / "data" / folder / name).string();
}

const std::string kImages = shared_file("mnist", "t10k-images-idx3-ubyte.gz");
const std::string kLabels = shared_file("mnist", "t10k-labels-idx1-ubyte.gz");

#define SKIP_WITHOUT(path) \
  if (!fs::exists(path)) GTEST_SKIP() << "no " << (path)

Params decoy(Overrides overrides = {}) {
  overrides.insert(overrides.begin(), {{"format", "builtin"},
                                       {"generator", "decoy"},
                                       {"task", "multiclass"},
                                       {"standardize", "none"},
                                       {"images", kImages},
                                       {"labels", kLabels}});
  return data_params(overrides);
}

/// Each image's swatch value: the mean of x over its mask (the 16 swatch pixels).
torch::Tensor swatch_values(const torch::Tensor& x, const torch::Tensor& mask) {
  const torch::Tensor m = mask.to(torch::kDouble).flatten(1);
  return (x.to(torch::kDouble).flatten(1) * m).sum(1) / m.sum(1);
}

/// Every mask [N, 1, 28, 28] is one 4x4 block of ones in a corner (16 ones in all), and x equals
/// its swatch value there. Returns the corner of each image: 2 * bottom + right.
torch::Tensor expect_swatches(const torch::Tensor& x, const torch::Tensor& annotations) {
  const int64_t n = x.size(0);
  EXPECT_EQ(annotations.sizes(), x.sizes());
  const torch::Tensor m = annotations.to(torch::kDouble).reshape({n, 28, 28});
  EXPECT_TRUE((m.sum({1, 2}) == 16).all().item<bool>()) << "a mask without exactly 16 ones";
  EXPECT_TRUE(((m == 0) | (m == 1)).all().item<bool>());
  torch::Tensor corner = torch::full({n}, -1, torch::kLong);
  for (int64_t bottom : {0, 1}) {
    for (int64_t right : {0, 1}) {
      const torch::Tensor block =
          m.slice(1, bottom * 24, bottom * 24 + 4).slice(2, right * 24, right * 24 + 4);
      corner = torch::where(block.sum({1, 2}) == 16, torch::full_like(corner, 2 * bottom + right),
                            corner);
    }
  }
  EXPECT_TRUE((corner >= 0).all().item<bool>()) << "a mask that is not a corner's 4x4 block";
  const torch::Tensor values = swatch_values(x, annotations);
  const torch::Tensor on_mask =
      x.to(torch::kDouble).reshape({n, 784}).masked_select(m.reshape({n, 784}) == 1);
  EXPECT_TRUE(torch::equal(on_mask.view({n, 16}), values.unsqueeze(1).expand({n, 16}).contiguous()))
      << "a swatch of more than one value";
  return corner;
}

TEST(DecoyMnist, TrainingSwatchesCarryTheLabelInARandomCorner) {
  SKIP_WITHOUT(kImages);
  const Table table = generate_builtin(decoy(), 7);
  const Table clean = read_idx(kImages, kLabels, /*raw=*/true);
  const int64_t n = table.x.size(0);
  ASSERT_EQ(n, 10000);
  ASSERT_EQ(table.x.sizes(), (std::vector<int64_t>{n, 1, 28, 28}));
  EXPECT_TRUE(torch::equal(table.y, clean.y));
  const torch::Tensor corner = expect_swatches(table.x, table.annotations);
  EXPECT_TRUE(torch::equal(swatch_values(table.x, table.annotations),
                           255.0 - 25.0 * table.y.to(torch::kDouble)));
  // Outside the swatch the raw pixels 0..255 are untouched.
  const torch::Tensor outside = table.annotations == 0;
  EXPECT_TRUE(torch::equal(table.x.masked_select(outside), clean.x.masked_select(outside)));
  EXPECT_EQ(clean.x.max().item<double>(), 255.0);
  // Rows and columns independently top/bottom, left/right with probability 1/2.
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR((corner == c).to(torch::kDouble).mean().item<double>(), 0.25,
                binomial_tolerance(0.25, n))
        << "corner " << c;
  }
}

TEST(DecoyMnist, TestSwatchesAreRandomDigitsAndValidationFollowsTraining) {
  SKIP_WITHOUT(kImages);
  const SplitData splits =
      load_splits(decoy({{"annotations", "swatch"}}), "", 3, 0, torch::kFloat32);
  EXPECT_EQ(splits.train.size(), 5000);
  EXPECT_EQ(splits.val.size(), 2500);
  EXPECT_EQ(splits.test.size(), 2500);
  EXPECT_EQ(splits.train.outputs, 10);
  EXPECT_FALSE(splits.feature_mean.defined());
  for (const Dataset* split : {&splits.train, &splits.val}) {
    expect_swatches(split->points.x, split->points.annotations);
    EXPECT_TRUE(torch::equal(swatch_values(split->points.x, split->points.annotations),
                             255.0 - 25.0 * split->points.y.to(torch::kDouble)));
  }
  const Dataset& test = splits.test;
  expect_swatches(test.points.x, test.points.annotations);
  const torch::Tensor values = swatch_values(test.points.x, test.points.annotations);
  const torch::Tensor digit = (255.0 - values) / 25.0;
  EXPECT_TRUE(torch::equal(digit, digit.round())) << "a value that is not 255 - 25 r";
  EXPECT_TRUE(((digit >= 0) & (digit <= 9)).all().item<bool>());
  // r independent of the label: it matches the label about a tenth of the time, and every r
  // comes about a tenth of the time.
  const double matches =
      (digit == test.points.y.to(torch::kDouble)).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(matches, 0.1, binomial_tolerance(0.1, test.size()));
  for (int64_t r = 0; r < 10; ++r) {
    EXPECT_NEAR((digit == r).to(torch::kDouble).mean().item<double>(), 0.1,
                binomial_tolerance(0.1, test.size()))
        << "r = " << r;
  }
}

TEST(DecoyMnist, TestFileGetsTheTestRule) {
  SKIP_WITHOUT(kImages);
  // The same file as test pair: training and validation from images (training rule), the test
  // split the whole test file (random digits).
  const SplitData splits = load_splits(decoy({{"annotations", "swatch"},
                                              {"test_images", kImages},
                                              {"test_labels", kLabels},
                                              {"split", std::vector<double>{0.8, 0.2, 0.0}}}),
                                       "", 3, 0, torch::kFloat32);
  EXPECT_EQ(splits.train.size(), 8000);
  EXPECT_EQ(splits.val.size(), 2000);
  ASSERT_EQ(splits.test.size(), 10000);
  expect_swatches(splits.test.points.x, splits.test.points.annotations);
  const torch::Tensor values = swatch_values(splits.test.points.x, splits.test.points.annotations);
  const torch::Tensor label_value = 255.0 - 25.0 * splits.test.points.y.to(torch::kDouble);
  const double matches = (values == label_value).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(matches, 0.1, binomial_tolerance(0.1, 10000));
  EXPECT_TRUE(torch::equal(swatch_values(splits.train.points.x, splits.train.points.annotations),
                           255.0 - 25.0 * splits.train.points.y.to(torch::kDouble)));
}

TEST(DecoyMnist, SameSeedSameSwatchesWhateverTheSplitOrBatch) {
  SKIP_WITHOUT(kImages);
  const SplitData first =
      load_splits(decoy({{"annotations", "swatch"}}), "", 5, 1, torch::kFloat32);
  const SplitData again =
      load_splits(decoy({{"annotations", "swatch"}}), "", 5, 1, torch::kFloat32);
  const SplitData other =
      load_splits(decoy({{"annotations", "swatch"}}), "", 6, 1, torch::kFloat32);
  for (auto split : {&SplitData::train, &SplitData::val, &SplitData::test}) {
    EXPECT_TRUE(torch::equal((first.*split).points.x, (again.*split).points.x));
    EXPECT_TRUE(torch::equal((first.*split).points.annotations, (again.*split).points.annotations));
  }
  EXPECT_FALSE(torch::equal(first.train.points.x, other.train.points.x));

  // An image's draws are keyed by its index in the file: painting a permuted subset, or the
  // set in two halves, gives each image the swatch it gets in the whole set.
  const Table clean = read_idx(kImages, kLabels, /*raw=*/true);
  Table whole = clean;
  add_decoy_swatches(whole, false, 11, "test_images");
  const torch::Tensor rows = torch::tensor({9999, 3, 512, 0, 7777}, torch::kLong);
  Table part = clean;
  part.x = clean.x.index_select(0, rows);
  part.y = clean.y.index_select(0, rows);
  part.index = clean.index.index_select(0, rows);
  add_decoy_swatches(part, false, 11, "test_images");
  EXPECT_TRUE(torch::equal(part.x, whole.x.index_select(0, rows)));
  EXPECT_TRUE(torch::equal(part.annotations, whole.annotations.index_select(0, rows)));
  Table second_half = clean;
  second_half.x = clean.x.slice(0, 5000);
  second_half.y = clean.y.slice(0, 5000);
  second_half.index = clean.index.slice(0, 5000);
  add_decoy_swatches(second_half, false, 11, "test_images");
  EXPECT_TRUE(torch::equal(second_half.x, whole.x.slice(0, 5000)));
  // Another source's stream draws other swatches.
  Table other_source = clean;
  add_decoy_swatches(other_source, false, 11, "images");
  EXPECT_FALSE(torch::equal(other_source.annotations, whole.annotations));
}

TEST(DecoyMnist, MasksSurviveSplittingShapeAndIrrelevant) {
  SKIP_WITHOUT(kImages);
  const SplitData plain = load_splits(decoy(), "", 2, 0, torch::kFloat32);
  for (const Dataset* split : {&plain.train, &plain.val, &plain.test}) {
    EXPECT_FALSE(split->points.annotations.defined());
  }
  const SplitData shaped =
      load_splits(decoy({{"annotations", "swatch"},
                         {"shape", std::vector<int64_t>{784}},
                         {"irrelevant", std::vector<std::string>{"406"}}}),  // row 14, column 14
                  "", 2, 0, torch::kDouble);
  const SplitData swatch =
      load_splits(decoy({{"annotations", "swatch"}}), "", 2, 0, torch::kDouble);
  for (auto split : {&SplitData::train, &SplitData::val, &SplitData::test}) {
    const torch::Tensor& a = (shaped.*split).points.annotations;
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{(shaped.*split).size(), 784}));
    EXPECT_EQ(a.dtype(), torch::kDouble);
    EXPECT_TRUE((a.sum(1) == 17).all().item<bool>());
    EXPECT_TRUE((a.select(1, 406) == 1).all().item<bool>());
    // The row's own swatch (the shaped run's rows are the same rows in the same order).
    torch::Tensor own = (swatch.*split).points.annotations.reshape({-1, 784}).clone();
    own.select(1, 406).fill_(1);
    EXPECT_TRUE(torch::equal(a, own));
  }
  // The swatch's value follows the row's label through the permutation of the split.
  EXPECT_TRUE(torch::equal(swatch_values(swatch.train.points.x, swatch.train.points.annotations),
                           255.0 - 25.0 * swatch.train.points.y.to(torch::kDouble)));
}

TEST(DecoyMnist, StandardizesWhenAsked) {
  SKIP_WITHOUT(kImages);
  const SplitData splits = load_splits(decoy({{"standardize", "train"}, {"annotations", "swatch"}}),
                                       "", 2, 0, torch::kDouble);
  EXPECT_EQ(splits.feature_mean.sizes(), (std::vector<int64_t>{784}));
  EXPECT_TRUE((splits.train.points.annotations.flatten(1).sum(1) == 16).all().item<bool>());
}

TEST(DecoyMnist, MissingFilesWrongTaskOrMaskAreRefused) {
  EXPECT_EQ(error_of([] {
              load_splits(data_params({{"format", "builtin"},
                                       {"generator", "decoy"},
                                       {"task", "multiclass"},
                                       {"images", "a.gz"}}),
                          "", 0, 0, torch::kFloat32);
            }),
            "data: generator = \"decoy\" needs both images and labels (IDX files in the MNIST "
            "layout)");
  EXPECT_EQ(error_of([] {
              load_splits(decoy({{"task", "binary"}}), "", 0, 0, torch::kFloat32);
            }),
            "data.task: decoy labels are the classes 0..9; set task = \"multiclass\"");
  EXPECT_EQ(error_of([] {
              load_splits(decoy({{"annotations", "corners"}}), "", 0, 0, torch::kFloat32);
            }),
            "data.annotations: expected one of none|swatch for [data] generator decoy, found "
            "'corners'");
  EXPECT_EQ(error_of([] {
              load_splits(toy_colors(10, {{"images", "a.gz"}}), "", 0, 0, torch::kFloat32);
            }),
            "data: images/labels/test_images/test_labels are read with format = \"idx\" or "
            "generator = \"decoy\" only");
  SKIP_WITHOUT(kImages);  // the images are read before the missing labels are found
  EXPECT_EQ(error_of([] {
              load_splits(decoy({{"labels", "/nonexistent/labels.gz"}}), "", 0, 0, torch::kFloat32);
            }).rfind("/nonexistent/labels.gz: cannot open: ", 0),
            0u);
}

// ----- Iris-Cancer ---------------------------------------------------------------------------

const std::string kIris = shared_file("uci", "iris.csv");
const std::string kCancer = shared_file("uci", "cancer.csv");

Params iris_cancer(Overrides overrides = {}) {
  overrides.insert(overrides.begin(), {{"format", "builtin"},
                                       {"generator", "iris_cancer"},
                                       {"task", "binary"},
                                       {"standardize", "none"},
                                       {"iris", kIris},
                                       {"cancer", kCancer}});
  return data_params(overrides);
}

TEST(IrisCancer, IsTheReferencesComposite) {
  SKIP_WITHOUT(kIris);
  const Table table = generate_builtin(iris_cancer(), 0);
  ASSERT_EQ(table.x.sizes(), (std::vector<int64_t>{100, 34}));
  EXPECT_TRUE(torch::equal(
      table.y, torch::cat({torch::zeros({50}, torch::kLong), torch::ones({50}, torch::kLong)})));
  EXPECT_EQ(table.class_names, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(table.feature_names.size(), 34u);
  EXPECT_EQ(table.feature_names[0], "sepal_length");
  EXPECT_EQ(table.feature_names[3], "petal_width");
  EXPECT_EQ(table.feature_names[4], "radius_mean");
  EXPECT_FALSE(table.annotations.defined());

  // The Iris columns: the file's rows of species 1 (rows 50..99) then species 2 (100..149).
  const Table iris = read_csv(kIris, data_params({{"target", "species"}, {"task", "multiclass"}}));
  ASSERT_EQ(iris.x.size(0), 150);
  EXPECT_TRUE(torch::equal(
      iris.y.slice(0, 50, 150),
      torch::cat({torch::ones({50}, torch::kLong), torch::full({50}, 2, torch::kLong)})));
  EXPECT_TRUE(torch::equal(table.x.slice(1, 0, 4), iris.x.slice(0, 50, 150)));
  // The cancer columns: the first 50 malignant then the first 50 benign rows, 30 raw features.
  const Table cancer = read_csv(kCancer, data_params({{"target", "diagnosis"},
                                                      {"ignore", std::vector<std::string>{"id"}},
                                                      {"task", "binary"},
                                                      {"positive", "B"}}));
  const torch::Tensor malignant = (cancer.y == 0).nonzero().flatten().slice(0, 0, 50);
  const torch::Tensor benign = (cancer.y == 1).nonzero().flatten().slice(0, 0, 50);
  EXPECT_TRUE(torch::equal(table.x.slice(1, 4), torch::cat({cancer.x.index_select(0, malignant),
                                                            cancer.x.index_select(0, benign)})));
  EXPECT_EQ(table.x[0][4].item<double>(), 17.99);  // id 842302, M: radius_mean
}

TEST(IrisCancer, IrisMaskMarksTheFirstFourColumnsOfEveryRow) {
  SKIP_WITHOUT(kIris);
  const SplitData splits = load_splits(
      iris_cancer({{"annotations", "iris"}, {"split", std::vector<double>{0.67, 0.0, 0.33}}}), "",
      4, 2, torch::kFloat32);
  EXPECT_EQ(splits.train.size(), 67);
  EXPECT_EQ(splits.val.size(), 0);
  EXPECT_EQ(splits.test.size(), 33);
  EXPECT_EQ(splits.train.outputs, 1);
  torch::Tensor mask = torch::zeros({34}, torch::kDouble);
  mask.slice(0, 0, 4).fill_(1);
  expect_annotations(splits, mask);
  EXPECT_EQ(builtin_mask_names("iris_cancer"), (std::vector<std::string>{"none", "iris"}));
  const SplitData none = load_splits(iris_cancer(), "", 4, 2, torch::kFloat32);
  EXPECT_FALSE(none.train.points.annotations.defined());
}

TEST(IrisCancer, ZeroInTestZeroesTheIrisColumnsOfTheTestSplitOnly) {
  SKIP_WITHOUT(kIris);
  const Overrides split{{"split", std::vector<double>{0.67, 0.0, 0.33}}};
  const SplitData with_iris = load_splits(iris_cancer(split), "", 4, 2, torch::kDouble);
  for (const auto& names :
       {std::vector<std::string>{"0", "1", "2", "3"},
        std::vector<std::string>{"sepal_length", "sepal_width", "petal_length", "petal_width"}}) {
    Overrides overrides = split;
    overrides.emplace_back("zero_in_test", names);
    const SplitData iris_out = load_splits(iris_cancer(overrides), "", 4, 2, torch::kDouble);
    EXPECT_TRUE(torch::equal(iris_out.train.points.x, with_iris.train.points.x));
    EXPECT_TRUE(torch::equal(iris_out.test.points.y, with_iris.test.points.y));
    EXPECT_TRUE((iris_out.test.points.x.slice(1, 0, 4) == 0).all().item<bool>());
    EXPECT_TRUE(
        torch::equal(iris_out.test.points.x.slice(1, 4), with_iris.test.points.x.slice(1, 4)));
    EXPECT_TRUE((with_iris.test.points.x.slice(1, 0, 4) > 0).all().item<bool>());
  }
  EXPECT_EQ(error_of([&] {
              Overrides overrides = split;
              overrides.emplace_back("zero_in_test", std::vector<std::string>{"iris"});
              load_splits(iris_cancer(overrides), "", 0, 0, torch::kDouble);
            })
                .rfind(kIris + ": data.zero_in_test: expected a feature name or a 0-based index "
                               "below 34, found 'iris'; the features are: sepal_length, ",
                       0),
            0u);
}

TEST(IrisCancer, MissingOrWrongFilesAreRefused) {
  EXPECT_EQ(error_of([] {
              load_splits(iris_cancer({{"iris", ""}}), "", 0, 0, torch::kFloat32);
            }),
            "data.iris: generator = \"iris_cancer\" needs the iris file (e.g. "
            "../shared/data/uci/iris.csv), found none");
  EXPECT_EQ(error_of([] {
              load_splits(toy_colors(10, {{"cancer", "c.csv"}}), "", 0, 0, torch::kFloat32);
            }),
            "data: iris/cancer are read with format = \"builtin\", generator = \"iris_cancer\" "
            "only");
  EXPECT_EQ(error_of([] {
              load_splits(iris_cancer({{"task", "regression"}}), "", 0, 0, torch::kFloat32);
            }),
            "data.task: iris_cancer has the classes 0 and 1; expected task = \"binary\" or "
            "\"multiclass\", found \"regression\"");
  EXPECT_EQ(error_of([] {
              load_splits(iris_cancer({{"annotations", "swatch"}}), "", 0, 0, torch::kFloat32);
            }),
            "data.annotations: expected one of none|iris for [data] generator iris_cancer, found "
            "'swatch'");
  if (!fs::exists(kIris)) return;
  // The two files swapped: the cancer file has no column 'species'; an Iris file without an
  // extra column has too few features.
  const std::string swapped = error_of([] {
    load_splits(iris_cancer({{"iris", kCancer}, {"cancer", kIris}}), "", 0, 0, torch::kFloat32);
  });
  EXPECT_EQ(swapped.rfind(kCancer + ": data.iris: no column named 'species'; the columns are: id, "
                                    "diagnosis, radius_mean",
                          0),
            0u)
      << swapped;
  const std::string no_id = error_of([] {
    load_splits(iris_cancer({{"cancer", kIris}}), "", 0, 0, torch::kFloat32);
  });
  EXPECT_EQ(no_id.rfind(kIris + ": data.cancer: no column named 'diagnosis'", 0), 0u) << no_id;
}

TEST(IrisCancer, TooFewFeaturesOrRowsAreRefused) {
  SKIP_WITHOUT(kCancer);  // read beside the iris file under test
  const fs::path dir = fs::temp_directory_path() /
                       ("xreg_test_iris_cancer_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  };
  std::string three_features = "a,b,c,species\n", few_rows = "a,b,c,d,species\n";
  for (int i = 0; i < 150; ++i) {
    three_features += "1,2,3," + std::to_string(i / 50) + "\n";
    few_rows += "1,2,3,4," + std::to_string(i < 110 ? 1 : 2) + "\n";
  }
  const std::string narrow = write("narrow.csv", three_features);
  const std::string short_file = write("few.csv", few_rows);
  const std::string features = error_of([&] {
    load_splits(iris_cancer({{"iris", narrow}}), "", 0, 0, torch::kFloat32);
  });
  const std::string rows = error_of([&] {
    load_splits(iris_cancer({{"iris", short_file}}), "", 0, 0, torch::kFloat32);
  });
  fs::remove_all(dir);
  EXPECT_EQ(features, narrow +
                          ": data.iris: expected 4 feature columns besides 'species', found 3 "
                          "(a, b, c)");
  EXPECT_EQ(rows, short_file + ": expected at least 50 rows of species 2, found 40");
}

}  // namespace
}  // namespace xreg
