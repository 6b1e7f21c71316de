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

}  // namespace
}  // namespace xreg
