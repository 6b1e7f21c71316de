/// load_splits and generate_builtin: split sizes as ExpO's, seeded permutations, explicit split
/// files, standardization with training statistics, and the friedman1 generator.

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/data/builtin.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/context.hpp"

namespace fs = std::filesystem;

namespace xreg {
namespace {

using Names = std::vector<std::string>;
using Overrides = std::vector<std::pair<std::string, Params::Value>>;

/// The [data] defaults of data_schema(), with `overrides` applied.
Params data_params(const std::vector<std::pair<std::string, Params::Value>>& overrides = {}) {
  Params params;
  for (const auto& param : data_schema()) params.set(param.name, *param.default_value);
  for (const auto& [key, value] : overrides) params.set(key, value);
  return params;
}

std::string uci_folder() { return (fs::path(XREG_SHARED_DIR) / "data" / "uci").string(); }

#define SKIP_WITHOUT_SHARED_DATA() \
  if (!fs::exists(uci_folder())) GTEST_SKIP() << "no ../shared/data"

SplitData split_uci(const std::string& file, int64_t trial,
                    std::vector<std::pair<std::string, Params::Value>> overrides = {}) {
  overrides.emplace_back("path", file);
  return load_splits(data_params(overrides), uci_folder(), 7, trial, torch::kDouble);
}

std::vector<int64_t> sizes_of(const SplitData& splits) {
  return {splits.train.size(), splits.val.size(), splits.test.size()};
}

TEST(SplitSizes, MatchExpOsChainedTrainTestSplit) {
  SKIP_WITHOUT_SHARED_DATA();
  EXPECT_EQ(sizes_of(split_uci("housing.csv", 0)), (std::vector<int64_t>{253, 126, 127}));
  EXPECT_EQ(sizes_of(split_uci("autompgs.csv", 0)), (std::vector<int64_t>{196, 98, 98}));
  EXPECT_EQ(sizes_of(split_uci("day.csv", 0)), (std::vector<int64_t>{365, 183, 183}));
}

TEST(SplitSizes, FractionsMustBeThreeSummingToOne) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto message = [](std::vector<double> fractions) -> std::string {
    try {
      split_uci("housing.csv", 0, {{"split", fractions}});
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_EQ(message({0.5, 0.6, 0.1}),
            "data.split: expected 3 non-negative fractions (train, val, test) summing to 1, found "
            "[0.5, 0.6, 0.1]");
  EXPECT_NE(message({0.5, 0.5}).find("data.split: "), std::string::npos);
  EXPECT_NE(message({1.2, -0.1, -0.1}).find("data.split: "), std::string::npos);
  EXPECT_EQ(sizes_of(split_uci("housing.csv", 0, {{"split", std::vector<double>{0.7, 0.3, 0.0}}})),
            (std::vector<int64_t>{354, 152, 0}));
}

TEST(Standardization, UsesTrainingMeanAndSampleSd) {
  SKIP_WITHOUT_SHARED_DATA();
  const SplitData splits = split_uci("housing.csv", 0, {{"standardize_target", true}});
  const torch::Tensor& x = splits.train.points.x;
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{253, 12}));
  EXPECT_TRUE(torch::allclose(x.mean(0), torch::zeros({12}, torch::kDouble), 0, 1e-12));
  EXPECT_TRUE(torch::allclose(x.std(0, true), torch::ones({12}, torch::kDouble), 0, 1e-12));
  const torch::Tensor& test_x = splits.test.points.x;
  EXPECT_GT(test_x.mean(0).abs().max().item<double>(), 1e-3);
  const torch::Tensor& y = splits.train.points.y;
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{253, 1}));
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(y.std().item<double>(), 1.0, 1e-12);
  EXPECT_EQ(splits.feature_mean.sizes(), (std::vector<int64_t>{12}));
  EXPECT_EQ(splits.target_scale.numel(), 1);
  EXPECT_TRUE(splits.notes.empty());
}

TEST(Standardization, NoneLeavesValuesAndStatisticsUndefined) {
  SKIP_WITHOUT_SHARED_DATA();
  const SplitData splits = split_uci("housing.csv", 0, {{"standardize", "none"}});
  EXPECT_FALSE(splits.feature_mean.defined());
  EXPECT_FALSE(splits.target_mean.defined());
  EXPECT_GT(splits.train.points.y.mean().item<double>(), 10.0);
}

TEST(SplitDatasets, CarryTaskOutputsNamesAndDtype) {
  SKIP_WITHOUT_SHARED_DATA();
  const Params data = data_params({{"path", "cancer.csv"},
                                   {"target", "diagnosis"},
                                   {"ignore", Names{"id"}},
                                   {"task", "binary"},
                                   {"positive", "M"}});
  const SplitData splits = load_splits(data, uci_folder(), 1, 0, torch::kFloat32);
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{284, 142, 143}));
  EXPECT_EQ(splits.train.points.x.dtype(), torch::kFloat32);
  EXPECT_EQ(splits.train.points.y.dtype(), torch::kLong);
  EXPECT_EQ(splits.train.points.y.dim(), 1);
  EXPECT_EQ(splits.val.task, Task::binary);
  EXPECT_EQ(splits.val.outputs, 1);
  EXPECT_EQ(splits.test.feature_names.size(), 30u);
  EXPECT_EQ(splits.test.class_names, (Names{"B", "M"}));
  const int64_t positives = splits.train.points.y.sum().item<int64_t>() +
                            splits.val.points.y.sum().item<int64_t>() +
                            splits.test.points.y.sum().item<int64_t>();
  EXPECT_EQ(positives, 212);
}

/// Fixture files in a fresh folder, removed after each test.
class SplitFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xreg_test_splits_" + std::to_string(std::random_device{}()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  SplitData load(const std::vector<std::pair<std::string, Params::Value>>& overrides,
                 int64_t trial = 0) const {
    return load_splits(data_params(overrides), dir_.string(), 0, trial, torch::kDouble);
  }

  /// A file of 101 rows whose feature `id` is the row number; returns the split of `trial`.
  SplitData split_numbered_rows(int64_t trial) const {
    std::string text = "id,y\n";
    for (int row = 0; row < 101; ++row) {
      text += std::to_string(row) + "," + std::to_string(row % 7) + "\n";
    }
    write("rows.csv", text);
    return load({{"path", "rows.csv"}, {"standardize", "none"}}, trial);
  }

  fs::path dir_;
};

torch::Tensor row_ids(const Dataset& split) { return split.points.x.select(1, 0).to(torch::kLong); }

TEST_F(SplitFilesTest, SameTrialSameSplitOtherTrialOtherSplit) {
  const SplitData first = split_numbered_rows(3);
  const SplitData again = split_numbered_rows(3);
  const SplitData other = split_numbered_rows(4);
  EXPECT_EQ(sizes_of(first), (std::vector<int64_t>{50, 25, 26}));
  EXPECT_TRUE(torch::equal(row_ids(first.train), row_ids(again.train)));
  EXPECT_TRUE(torch::equal(row_ids(first.test), row_ids(again.test)));
  EXPECT_FALSE(torch::equal(row_ids(first.train), row_ids(other.train)));
  const torch::Tensor all =
      torch::cat({row_ids(first.train), row_ids(first.val), row_ids(first.test)});
  EXPECT_TRUE(torch::equal(std::get<0>(all.sort()), torch::arange(101, torch::kLong)));
  EXPECT_TRUE(torch::equal(first.test.points.index, torch::arange(26, torch::kLong)));
  EXPECT_TRUE(
      torch::equal(first.test.points.y.select(1, 0), (row_ids(first.test) % 7).to(torch::kDouble)));
}

TEST_F(SplitFilesTest, ValuesThatOverflowTheRunsTypeAreRefused) {
  std::string text = "a,y\n";
  for (int row = 0; row < 20; ++row) text += std::to_string(row) + "," + std::to_string(row) + "\n";
  text += "1e39,3\n";
  write("big.csv", text);
  const auto params = data_params({{"path", "big.csv"}, {"standardize", "none"}});
  try {
    load_splits(params, dir_.string(), 0, 0, torch::kFloat);
    FAIL() << "1e39 was accepted as a float32";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("big.csv: expected finite float32 values, found features"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(load_splits(params, dir_.string(), 0, 0, torch::kDouble));
}

TEST_F(SplitFilesTest, PermutationIsDrawnFromTheSplitStream) {
  const SplitData splits = split_numbered_rows(2);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(0, "split", 2));
  const torch::Tensor order = torch::randperm(101, generator, torch::kLong);
  EXPECT_TRUE(torch::equal(row_ids(splits.train), order.slice(0, 0, 50)));
}

TEST(SplitPermutation, HousingSplitsAreReproducible) {
  SKIP_WITHOUT_SHARED_DATA();
  EXPECT_TRUE(torch::equal(split_uci("housing.csv", 1).val.points.x,
                           split_uci("housing.csv", 1).val.points.x));
  EXPECT_FALSE(torch::equal(split_uci("housing.csv", 1).val.points.x,
                            split_uci("housing.csv", 2).val.points.x));
}

TEST_F(SplitFilesTest, ExplicitFilesAreReadAsGivenWithTrainStatistics) {
  write("train.csv", "a,b,y\n1,5,1\n2,5,2\n3,5,3\n");
  write("test.csv", "a,b,y\n4,5,4\n5,5,5\n");
  const SplitData splits = load({{"train", "train.csv"}, {"test", "test.csv"}});
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{3, 0, 2}));
  EXPECT_EQ(splits.val.points.x.sizes(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(splits.val.points.y.sizes(), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(torch::equal(splits.test.points.index, torch::arange(2, torch::kLong)));
  // a: mean 2, sd 1; b is constant: centered, scale 1.
  EXPECT_TRUE(torch::equal(splits.test.points.x,
                           torch::tensor({2.0, 0.0, 3.0, 0.0}, torch::kDouble).view({2, 2})));
  EXPECT_EQ(splits.notes,
            (Names{"constant feature columns in training data (centered, not scaled): b"}));
  EXPECT_EQ(splits.feature_scale[1].item<double>(), 1.0);
}

TEST_F(SplitFilesTest, EvaluationOnlyTestFileIsNotStandardized) {
  write("test.csv", "a,y\n4,4\n6,5\n");
  const SplitData splits = load({{"test", (dir_ / "test.csv").string()}});
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{0, 0, 2}));
  EXPECT_EQ(splits.test.points.x[1][0].item<double>(), 6.0);
  EXPECT_EQ(splits.notes, (Names{"no training file: data not standardized"}));
}

TEST_F(SplitFilesTest, MulticlassFilesShareClassIndices) {
  write("train.csv", "a,y\n1,cat\n2,dog\n3,cat\n");
  write("test.csv", "a,y\n4,ant\n5,dog\n");
  const SplitData splits =
      load({{"train", "train.csv"}, {"test", "test.csv"}, {"task", "multiclass"}});
  EXPECT_EQ(splits.train.class_names, (Names{"ant", "cat", "dog"}));
  EXPECT_EQ(splits.test.outputs, 3);
  EXPECT_TRUE(torch::equal(splits.train.points.y, torch::tensor({1, 2, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(splits.test.points.y, torch::tensor({0, 2}, torch::kLong)));
}

TEST_F(SplitFilesTest, FilesWithOtherFeaturesAreRejected) {
  write("train.csv", "a,b,y\n1,2,3\n4,5,6\n");
  write("val.csv", "a,c,y\n1,2,3\n");
  try {
    load({{"train", "train.csv"}, {"val", "val.csv"}});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), (dir_ / "val.csv").string() +
                                             ": the features differ from those of " +
                                             (dir_ / "train.csv").string());
  }
}

TEST_F(SplitFilesTest, DroppedRowsAreNoted) {
  std::string text = "a,y\n";
  for (int row = 0; row < 20; ++row) text += (row % 5 == 0 ? "" : std::to_string(row)) + ",1\n";
  write("all.csv", text);
  const SplitData splits = load({{"path", "all.csv"}, {"drop_missing", true}});
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{8, 4, 4}));
  EXPECT_EQ(splits.notes, (Names{(dir_ / "all.csv").string() +
                                 ": 4 rows with an empty value left out (drop_missing)"}));
}

TEST_F(SplitFilesTest, PathAndSplitFilesExcludeEachOther) {
  write("all.csv", "a,y\n1,2\n");
  EXPECT_THROW(load({{"path", "all.csv"}, {"test", "all.csv"}}), ConfigError);
  EXPECT_THROW(load({}), ConfigError);
}

TEST_F(SplitFilesTest, IrrelevantFeaturesByNameCategoricalColumnOrIndex) {
  std::string text = "a,colour,b,c,y\n";
  for (int row = 0; row < 12; ++row) {
    text += std::to_string(row) + "," + (row % 2 ? "red" : "blue") + "," +
            std::to_string(row * row) + ",1," + std::to_string(row % 3) + "\n";
  }
  write("all.csv", text);
  // Features a, colour=blue, colour=red, b, c: "colour" marks both of its one-hot features.
  const SplitData splits = load({{"path", "all.csv"},
                                 {"categorical", Names{"colour"}},
                                 {"irrelevant", Names{"colour", "4"}}});
  const torch::Tensor mask = torch::tensor({0.0, 1.0, 1.0, 0.0, 1.0}, torch::kDouble);
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    ASSERT_TRUE(split->points.annotations.defined());
    EXPECT_EQ(split->points.annotations.sizes(), split->points.x.sizes());
    EXPECT_TRUE(torch::equal(split->points.annotations, mask.expand({split->size(), 5})));
  }
  EXPECT_EQ(splits.train.feature_names, (Names{"a", "colour=blue", "colour=red", "b", "c"}));
  const auto message = [&](const Names& irrelevant, const std::string& annotations = "none") {
    try {
      load({{"path", "all.csv"},
            {"categorical", Names{"colour"}},
            {"irrelevant", irrelevant},
            {"annotations", annotations}});
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const std::string path = "all.csv";  // data.path as written (absolute in a pipeline)
  EXPECT_EQ(message({"y"}), path +
                                ": data.irrelevant: expected a feature name or a 0-based index "
                                "below 5, found 'y'; the features are: a, colour=blue, "
                                "colour=red, b, c");
  EXPECT_EQ(message({"5"}),
            path + ": data.irrelevant: expected a 0-based feature index below 5, found 5");
  EXPECT_EQ(message({}, "corners"),
            "data.annotations: only a built-in set (format = \"builtin\") has masks of its own; "
            "expected \"none\", found 'corners' (mark features with irrelevant = [...])");
}

Params friedman(int64_t samples) {
  return data_params({{"format", "builtin"}, {"samples", samples}});
}

TEST(Friedman1, IsDeterministicAndFollowsTheFormula) {
  const Table table = generate_builtin(friedman(1000), 11);
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{1000, 10}));
  EXPECT_EQ(table.y.sizes(), (std::vector<int64_t>{1000}));
  EXPECT_EQ(table.feature_names.back(), "x9");
  EXPECT_GE(table.x.min().item<double>(), 0.0);
  EXPECT_LT(table.x.max().item<double>(), 1.0);
  const auto x = [&](int64_t j) { return table.x.select(1, j); };
  const torch::Tensor clean =
      10 * torch::sin(M_PI * x(0) * x(1)) + 20 * (x(2) - 0.5).square() + 10 * x(3) + 5 * x(4);
  const double noise_sd = (table.y - clean).std().item<double>();
  EXPECT_NEAR(noise_sd, 1.0, 0.1);
  EXPECT_TRUE(torch::equal(generate_builtin(friedman(1000), 11).y, table.y));
  EXPECT_FALSE(torch::equal(generate_builtin(friedman(1000), 12).x, table.x));
}

TEST(Friedman1, SplitsLikeAFile) {
  const SplitData splits = load_splits(friedman(200), "", 5, 0, torch::kFloat32);
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{100, 50, 50}));
  EXPECT_EQ(splits.train.points.y.sizes(), (std::vector<int64_t>{100, 1}));
  EXPECT_EQ(splits.train.outputs, 1);
  EXPECT_EQ(splits.train.feature_names.size(), 10u);
}

TEST(DataShape, ReshapesEveryPointRowMajorAndChecksTheSize) {
  const SplitData flat = load_splits(friedman(200), "", 5, 0, torch::kFloat32);
  Params shaped = friedman(200);
  shaped.set("shape", std::vector<int64_t>{2, 5});
  const SplitData splits = load_splits(shaped, "", 5, 0, torch::kFloat32);
  for (const auto& [split, original] :
       {std::pair{&splits.train, &flat.train}, std::pair{&splits.val, &flat.val},
        std::pair{&splits.test, &flat.test}}) {
    EXPECT_EQ(split->points.x.sizes().slice(1).vec(), (std::vector<int64_t>{2, 5}));
    EXPECT_TRUE(torch::equal(split->points.x.flatten(1), original->points.x));
    EXPECT_TRUE(split->feature_names.empty());
  }
  shaped.set("shape", std::vector<int64_t>{1, 8, 8});
  try {
    load_splits(shaped, "", 5, 0, torch::kFloat32);
    FAIL() << "a shape of 64 values was accepted for 10 features";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "data.shape: expected a shape of 10 values per point, as [data] generator "
                 "friedman1 has ([10]), found [1, 8, 8] (64 values)");
  }
}

// ----- data.annotation_file and data.pixels -------------------------------------------------

/// The message of the ConfigError that `load` throws, or "no error".
template <class Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

/// Row r's mask over the features id, a, b: id when r is odd, a when r is a multiple of 3, b
/// never.
std::vector<int> row_mask(int64_t row) { return {row % 2 == 1, row % 3 == 0, 0}; }

/// A CSV mask of `rows` lines of row_mask, with the header `header` unless empty.
std::string mask_csv(int64_t rows, const std::string& header = "id,a,b") {
  std::string text = header.empty() ? "" : header + "\n";
  for (int64_t row = 0; row < rows; ++row) {
    const auto mask = row_mask(row);
    text += std::to_string(mask[0]) + "," + std::to_string(mask[1]) + "," +
            std::to_string(mask[2]) + "\n";
  }
  return text;
}

/// Every row of every split has the mask of its row (the feature id), combined with `also`.
void expect_row_masks(const SplitData& splits, const torch::Tensor& also = {}) {
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    const torch::Tensor& annotations = split->points.annotations;
    ASSERT_TRUE(annotations.defined());
    ASSERT_EQ(annotations.sizes(), split->points.x.sizes());
    for (int64_t i = 0; i < split->size(); ++i) {
      const int64_t row = split->points.x[i][0].item<int64_t>();
      torch::Tensor expected = torch::tensor(row_mask(row), torch::kDouble);
      if (also.defined()) expected = torch::maximum(expected, also);
      EXPECT_TRUE(torch::equal(annotations[i], expected)) << "row " << row;
    }
  }
}

/// 101 rows id, a, b, y with id the row number; "" in `a` where `missing` says.
std::string numbered_rows(bool (*missing)(int) = nullptr) {
  std::string text = "id,a,b,y\n";
  for (int row = 0; row < 101; ++row) {
    const bool empty = missing && missing(row);
    text += std::to_string(row) + "," + (empty ? "" : std::to_string(row * 2)) + ",5," +
            std::to_string(row % 3) + "\n";
  }
  return text;
}

TEST_F(SplitFilesTest, AnnotationFileCsvMasksFollowTheirRowsThroughTheSplit) {
  write("rows.csv", numbered_rows());
  write("mask.csv", mask_csv(101));
  write("bare.csv", mask_csv(101, "") + "\n\n");  // no header, blank trailing lines
  for (const char* mask : {"mask.csv", "bare.csv"}) {
    for (int64_t trial : {0, 1}) {
      const SplitData splits =
          load({{"path", "rows.csv"}, {"standardize", "none"}, {"annotation_file", mask}}, trial);
      EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{50, 25, 26}));
      expect_row_masks(splits);
    }
  }
  // Standardizing the features leaves the masks as they are.
  const SplitData raw =
      load({{"path", "rows.csv"}, {"standardize", "none"}, {"annotation_file", "mask.csv"}});
  const SplitData standardized = load({{"path", "rows.csv"}, {"annotation_file", "mask.csv"}});
  EXPECT_TRUE(torch::equal(raw.train.points.annotations, standardized.train.points.annotations));
}

TEST_F(SplitFilesTest, AnnotationFileSkipsTheLinesOfRowsDropMissingLeavesOut) {
  write("rows.csv", numbered_rows([](int row) { return row % 5 == 2; }));
  write("mask.csv", mask_csv(101));
  const SplitData splits = load({{"path", "rows.csv"},
                                 {"standardize", "none"},
                                 {"drop_missing", true},
                                 {"annotation_file", "mask.csv"}});
  EXPECT_EQ(splits.train.size() + splits.val.size() + splits.test.size(), 81);
  expect_row_masks(splits);
  // The mask still needs a line per row of the file, the dropped ones included.
  write("short.csv", mask_csv(81));
  EXPECT_EQ(
      error_of([&] {
        load({{"path", "rows.csv"}, {"drop_missing", true}, {"annotation_file", "short.csv"}});
      }),
      (dir_ / "short.csv").string() + ": expected 101 rows, one per data row of " +
          (dir_ / "rows.csv").string() +
          " (the 20 that drop_missing leaves out included), found 81");
}

TEST_F(SplitFilesTest, AnnotationFileCombinesWithIrrelevant) {
  write("rows.csv", numbered_rows());
  write("mask.csv", mask_csv(101));
  const SplitData splits = load({{"path", "rows.csv"},
                                 {"standardize", "none"},
                                 {"irrelevant", Names{"b", "id"}},
                                 {"annotation_file", "mask.csv"}});
  expect_row_masks(splits, torch::tensor({1.0, 0.0, 1.0}, torch::kDouble));
}

TEST_F(SplitFilesTest, AnnotationFileOfAGeneratorsRows) {
  std::string text;
  for (int row = 0; row < 40; ++row) {
    for (int j = 0; j < 10; ++j) text += std::string(j ? "," : "") + (j == row % 10 ? "1" : "0");
    text += "\n";
  }
  write("mask.csv", text);
  Params data = data_params({{"format", "builtin"},
                             {"samples", int64_t{40}},
                             {"standardize", "none"},
                             {"annotation_file", "mask.csv"}});
  const Table table = generate_builtin(data, 3);
  const SplitData splits = load_splits(data, dir_.string(), 3, 0, torch::kDouble);
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    for (int64_t i = 0; i < split->size(); ++i) {
      const int64_t row =
          (table.x == split->points.x[i]).all(1).nonzero().flatten()[0].item<int64_t>();
      EXPECT_EQ(split->points.annotations[i].sum().item<double>(), 1.0);
      EXPECT_EQ(split->points.annotations[i][row % 10].item<double>(), 1.0);
    }
  }
}

/// The side of the test images (8x8: a decoy swatch covers a quarter) and their pixels.
constexpr uint32_t kSide = 8, kPixels = kSide * kSide;

/// An IDX file of unsigned bytes: magic 0x000008<rank>, the dimensions big-endian, the values.
std::string idx_file(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(dim >> shift));
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

/// Item i's mask: pixel i % kPixels (row-major).
std::string image_masks(const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> values;
  for (uint32_t item = 0; item < dims[0]; ++item) {
    for (uint32_t pixel = 0; pixel < kPixels; ++pixel) {
      values.push_back(pixel == item % kPixels ? 9 : 0);
    }
  }
  return idx_file(dims, values);
}

class AnnotationImagesTest : public SplitFilesTest {
 protected:
  /// `count` 8x8 images whose first pixel is the item's number (first + item) and whose last is
  /// 255, the others 7; labels item % 10.
  void write_images(const std::string& name, uint32_t count, uint8_t first = 0) const {
    std::vector<uint8_t> pixels, labels;
    for (uint32_t item = 0; item < count; ++item) {
      for (uint32_t pixel = 0; pixel < kPixels; ++pixel) {
        pixels.push_back(pixel == 0             ? static_cast<uint8_t>(first + item)
                         : pixel == kPixels - 1 ? 255
                                                : 7);
      }
      labels.push_back(static_cast<uint8_t>(item % 10));
    }
    write(name + "-images-idx3-ubyte", idx_file({count, kSide, kSide}, pixels));
    write(name + "-labels-idx1-ubyte", idx_file({count}, labels));
  }

  Overrides images(Overrides overrides) const {
    overrides.insert(overrides.begin(), {{"format", "idx"},
                                         {"task", "multiclass"},
                                         {"standardize", "none"},
                                         {"pixels", "raw"},
                                         {"images", "train-images-idx3-ubyte"},
                                         {"labels", "train-labels-idx1-ubyte"}});
    return overrides;
  }
};

/// Every image of `split` has the mask of its item (its first pixel), or none at all.
void expect_image_masks(const Dataset& split, bool masked = true) {
  const torch::Tensor& annotations = split.points.annotations;
  ASSERT_TRUE(annotations.defined());
  ASSERT_EQ(annotations.sizes(), split.points.x.sizes());
  for (int64_t i = 0; i < split.size(); ++i) {
    const int64_t item = split.points.x[i][0][0][0].item<int64_t>();
    torch::Tensor expected = torch::zeros({kPixels}, torch::kDouble);
    if (masked) expected[item % kPixels] = 1.0;
    EXPECT_TRUE(torch::equal(annotations[i].flatten(), expected)) << "item " << item;
  }
}

TEST_F(AnnotationImagesTest, IdxMaskFollowsItsImagesAndATestFileGetsNone) {
  write_images("train", 40);
  write_images("test", 10, 100);
  write("mask.idx", image_masks({40, kSide, kSide}));
  write("flat-mask-ubyte", image_masks({40, kPixels}));
  for (const char* mask : {"mask.idx", "flat-mask-ubyte"}) {
    const SplitData splits = load(images({{"annotation_file", mask}}), 2);
    EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{20, 10, 10}));
    for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
      expect_image_masks(*split);
    }
  }
  const SplitData with_test = load(images({{"annotation_file", "mask.idx"},
                                           {"test_images", "test-images-idx3-ubyte"},
                                           {"test_labels", "test-labels-idx1-ubyte"}}));
  expect_image_masks(with_test.train);
  expect_image_masks(with_test.val);
  EXPECT_EQ(with_test.test.size(), 10);
  expect_image_masks(with_test.test, /*masked=*/false);
}

TEST_F(AnnotationImagesTest, IdxMaskCombinesWithDecoysSwatches) {
  write_images("train", 40);
  write("mask.idx", image_masks({40, kSide, kSide}));
  Overrides decoy = {{"format", "builtin"},
                     {"generator", "decoy"},
                     {"task", "multiclass"},
                     {"standardize", "none"},
                     {"annotations", "swatch"},
                     {"images", "train-images-idx3-ubyte"},
                     {"labels", "train-labels-idx1-ubyte"}};
  const SplitData swatches = load(decoy);
  decoy.emplace_back("annotation_file", "mask.idx");
  const SplitData both = load(decoy);
  decoy.back() = {"annotations", "none"};
  decoy.emplace_back("annotation_file", "mask.idx");
  const SplitData file_only = load(decoy);
  for (auto split : {&SplitData::train, &SplitData::val, &SplitData::test}) {
    EXPECT_TRUE(torch::equal((both.*split).points.annotations,
                             torch::maximum((swatches.*split).points.annotations,
                                            (file_only.*split).points.annotations)));
    EXPECT_GT((both.*split).points.annotations.sum().item<double>(),
              (swatches.*split).points.annotations.sum().item<double>());
  }
}

TEST_F(AnnotationImagesTest, RawPixelsKeepTheBytes) {
  write_images("train", 40);
  const SplitData raw = load(images({}));
  EXPECT_EQ(raw.train.points.x.max().item<double>(), 255.0);
  EXPECT_EQ(raw.train.points.x[0][0][0][1].item<double>(), 7.0);
  EXPECT_FALSE(raw.train.points.annotations.defined());
  const SplitData unit = load(images({{"pixels", "unit"}}));
  EXPECT_EQ(unit.train.points.x.max().item<double>(), 1.0);
  EXPECT_TRUE(torch::allclose(unit.train.points.x * 255.0, raw.train.points.x));
  EXPECT_EQ(error_of([&] {
              load({{"path", "rows.csv"}, {"pixels", "raw"}});
            }),
            "data.pixels: read with format = \"idx\" only (decoy's pixels are raw 0..255 "
            "already); expected \"unit\", found \"raw\"");
}

TEST_F(AnnotationImagesTest, IdxMaskOfOtherItemsIsRefused) {
  write_images("train", 40);
  write("items.idx", image_masks({39, kSide, kSide}));
  write("shape.idx", idx_file({40, 3, 4}, std::vector<uint8_t>(480, 1)));
  write("labels.idx", idx_file({40}, std::vector<uint8_t>(40, 1)));
  write("text.idx", "0,1,0\n");
  const std::string images_path = (dir_ / "train-images-idx3-ubyte").string();
  const auto message = [&](const char* mask) {
    return error_of([&] { load(images({{"annotation_file", mask}})); });
  };
  EXPECT_EQ(message("items.idx"), (dir_ / "items.idx").string() +
                                      ": expected 40 items, one per image of " + images_path +
                                      ", found 39 (dimensions 39x8x8)");
  EXPECT_EQ(message("shape.idx"), (dir_ / "shape.idx").string() +
                                      ": expected items of 64 values, as a point [1, 8, 8] of " +
                                      images_path + ", found items 3x4 (12 values)");
  EXPECT_EQ(message("labels.idx"), (dir_ / "labels.idx").string() +
                                       ": expected items of 64 values, as a point [1, 8, 8] of " +
                                       images_path + ", found items of one value (1 values)");
  EXPECT_EQ(message("text.idx"),
            (dir_ / "text.idx").string() +
                ": bad magic number 0x302C312C: an IDX mask file of unsigned bytes starts with "
                "0x000008 and its number of dimensions (0x00000803 for [N, H, W])");
  // A CSV mask of images: one 0/1 value per pixel, row-major, and no header.
  std::string text;
  for (uint32_t item = 0; item < 40; ++item) {
    for (uint32_t pixel = 0; pixel < kPixels; ++pixel) {
      text += std::string(pixel ? "," : "") + (pixel == item % kPixels ? "1" : "0");
    }
    text += "\n";
  }
  write("mask.csv", text);
  expect_image_masks(load(images({{"annotation_file", "mask.csv"}})).train);
  write("named.csv", "p0,p1\n" + text);
  EXPECT_EQ(message("named.csv"),
            (dir_ / "named.csv").string() +
                ":1: expected 0/1 values and no header (the points [1, 8, 8] of " + images_path +
                " have no feature names), found the names p0, p1");
}

TEST_F(SplitFilesTest, AnnotationFileCsvMismatchesAreRefusedNamingTheFile) {
  write("rows.csv", numbered_rows());
  const std::string rows = (dir_ / "rows.csv").string();
  const auto message = [&](const std::string& name, const std::string& text) {
    write(name, text);
    return error_of([&] { load({{"path", "rows.csv"}, {"annotation_file", name}}); });
  };
  const auto path = [&](const std::string& name) { return (dir_ / name).string(); };
  EXPECT_EQ(message("short.csv", mask_csv(100)),
            path("short.csv") + ": expected 101 rows, one per data row of " + rows + ", found 100");
  std::string text = mask_csv(101);
  EXPECT_EQ(message("wide.csv", "id,a,b\n0,0,0\n1,1\n" + mask_csv(99, "")),
            path("wide.csv") + ":3: expected 3 values, one per feature of " + rows + ", found 2");
  EXPECT_EQ(message("blank.csv", "id,a,b\n0,0,0\n\n" + mask_csv(99, "")),
            path("blank.csv") + ":3: expected 3 values, one per feature of " + rows +
                ", found an empty line");
  EXPECT_EQ(message("two.csv", "id,a,b\n0,0,0\n1,0,0\n0,2,1\n" + mask_csv(98, "")),
            path("two.csv") + ":4: expected 0 or 1 for feature 'a' (column 1), found '2'");
  EXPECT_EQ(message("named.csv", mask_csv(101, "id,x,b")),
            path("named.csv") + ":1: expected feature 'a' in column 1 of the header, as in " +
                rows + ", found 'x'");
  EXPECT_EQ(message("names.csv", mask_csv(101, "id,a")),
            path("names.csv") + ":1: expected a header of the 3 features of " + rows +
                " (id, a, b), found 2 names (id, a)");
  EXPECT_EQ(message("mask.txt", mask_csv(101)),
            path("mask.txt") +
                ": data.annotation_file: expected a CSV file (.csv) or an IDX file (.idx, -ubyte "
                "or .gz), found neither extension");
  EXPECT_EQ(error_of([&] {
              load({{"path", "rows.csv"}, {"annotation_file", "missing.csv"}});
            }),
            path("missing.csv") + ": cannot open: No such file or directory");
  write("train.csv", "a,y\n1,2\n3,4\n");
  EXPECT_EQ(error_of([&] {
              load({{"train", "train.csv"}, {"annotation_file", "short.csv"}});
            }),
            "data.annotation_file: expected a mask aligned with the rows of path, images or a "
            "generator, found the split files train/val/test (mark features with irrelevant = "
            "[...] instead)");
}

}  // namespace
}  // namespace xreg
