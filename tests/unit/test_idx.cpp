/// read_idx and format = "idx" in load_splits: IDX files in the MNIST layout (gzip or plain),
/// their errors, splits with and without a test pair, and the real MNIST and Fashion-MNIST files.

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"

namespace fs = std::filesystem;

namespace xreg {
namespace {

using Bytes = std::vector<uint8_t>;
using Overrides = std::vector<std::pair<std::string, Params::Value>>;

/// The [data] defaults of data_schema() for IDX data, with `overrides` applied.
Params idx_params(const Overrides& overrides) {
  Params params;
  for (const auto& param : data_schema()) params.set(param.name, *param.default_value);
  params.set("format", std::string("idx"));
  params.set("task", std::string("multiclass"));
  params.set("standardize", std::string("none"));
  for (const auto& [key, value] : overrides) params.set(key, value);
  return params;
}

void append_big_endian(Bytes& bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<uint8_t>(value >> shift));
}

/// An IDX file of unsigned bytes: magic 0x000008<rank>, the dimensions, the values.
Bytes idx_file(const std::vector<uint32_t>& dims, const Bytes& values) {
  Bytes bytes = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t dim : dims) append_big_endian(bytes, dim);
  bytes.insert(bytes.end(), values.begin(), values.end());
  return bytes;
}

/// `count` images of 2x3 pixels whose first pixel is the label (item % 10) and whose others
/// count up; and their labels.
struct Digits {
  Bytes pixels, labels;
};

Digits digits(uint32_t count) {
  Digits digits;
  for (uint32_t item = 0; item < count; ++item) {
    const auto label = static_cast<uint8_t>(item % 10);
    digits.labels.push_back(label);
    digits.pixels.push_back(label);
    for (uint32_t pixel = 1; pixel < 6; ++pixel) {
      digits.pixels.push_back(static_cast<uint8_t>((item * 7 + pixel) % 256));
    }
  }
  return digits;
}

/// Fixture files in a fresh folder, removed after each test.
class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xreg_test_idx_" + std::to_string(std::random_device{}()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_plain(const std::string& name, const Bytes& bytes) const {
    std::ofstream(path(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path(name);
  }

  std::string write_gzip(const std::string& name, const Bytes& bytes) const {
    gzFile file = gzopen(path(name).c_str(), "wb");
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(gzwrite(file, bytes.data(), bytes.size()), static_cast<int>(bytes.size()));
    EXPECT_EQ(gzclose(file), Z_OK);
    return path(name);
  }

  /// Writes `count` digits as gzip files named `prefix`-images.gz and `prefix`-labels.gz.
  void write_digits(const std::string& prefix, uint32_t count) const {
    const Digits set = digits(count);
    write_gzip(prefix + "-images.gz", idx_file({count, 2, 3}, set.pixels));
    write_gzip(prefix + "-labels.gz", idx_file({count}, set.labels));
  }

  SplitData load(const Overrides& overrides, int64_t trial = 0) const {
    return load_splits(idx_params(overrides), dir_.string(), 0, trial, torch::kFloat32);
  }

  /// The ConfigError message of read_idx for the two files; "no error" when none.
  std::string read_error(const std::string& images, const std::string& labels) const {
    try {
      read_idx(images, labels);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  }

  fs::path dir_;
};

void expect_digits(const Table& table, uint32_t count) {
  const Digits set = digits(count);
  const auto items = static_cast<int64_t>(count);
  const auto expected_pixels =
      torch::tensor(std::vector<double>(set.pixels.begin(), set.pixels.end()), torch::kDouble)
          .view({items, 1, 2, 3}) /
      255.0;
  EXPECT_EQ(table.x.dtype(), torch::kDouble);
  EXPECT_TRUE(torch::equal(table.x, expected_pixels));
  EXPECT_EQ(table.y.dtype(), torch::kLong);
  EXPECT_TRUE(torch::equal(table.y, torch::arange(items, torch::kLong) % 10));
  EXPECT_EQ(table.class_names,
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_TRUE(table.feature_names.empty());
}

TEST_F(IdxTest, ReadsGzipFiles) {
  write_digits("set", 12);
  expect_digits(read_idx(path("set-images.gz"), path("set-labels.gz")), 12);
}

TEST_F(IdxTest, ReadsUncompressedFiles) {
  const Digits set = digits(7);
  const Table table = read_idx(write_plain("images", idx_file({7, 2, 3}, set.pixels)),
                               write_plain("labels", idx_file({7}, set.labels)));
  expect_digits(table, 7);
}

TEST_F(IdxTest, ScalesPixelsToTheUnitInterval) {
  const Table table = read_idx(write_plain("images", idx_file({1, 1, 3}, {0, 51, 255})),
                               write_plain("labels", idx_file({1}, {3})));
  EXPECT_TRUE(torch::equal(table.x.flatten(), torch::tensor({0.0, 0.2, 1.0}, torch::kDouble)));
}

TEST_F(IdxTest, BadMagicNumberIsNamedWithTheFile) {
  const Digits set = digits(3);
  const std::string images = write_gzip("images.gz", idx_file({3, 2, 3}, set.pixels));
  EXPECT_EQ(read_error(images, images),
            images + ": bad magic number 0x00000803: an IDX label file starts with 0x00000801");
  const std::string text = write_plain("labels.csv", {'l', 'a', 'b', 'e', 'l', '\n'});
  EXPECT_EQ(read_error(images, text),
            text + ": bad magic number 0x6C616265: an IDX label file starts with 0x00000801");
}

TEST_F(IdxTest, TruncatedFilesAreNamed) {
  const Digits set = digits(5);
  const std::string labels = write_plain("labels", idx_file({5}, set.labels));
  Bytes short_images = idx_file({5, 2, 3}, set.pixels);
  short_images.pop_back();
  const std::string plain = write_plain("images", short_images);
  EXPECT_EQ(
      read_error(plain, labels),
      plain + ": truncated file: 5x2x3 image values need 30 bytes after the header, found 29");
  const std::string gzip = write_gzip("images.gz", short_images);
  EXPECT_EQ(read_error(gzip, labels),
            gzip + ": truncated file: 5x2x3 image values need 30 bytes after the header, found 29");
  const std::string header = write_plain("header", {0, 0, 8, 3, 0, 0});
  EXPECT_EQ(read_error(header, labels), header + ": truncated file: the IDX header ends early");
  const std::string empty = write_plain("empty", {});
  EXPECT_EQ(read_error(empty, labels),
            empty + ": truncated file: no IDX magic number (0x00000803)");
}

TEST_F(IdxTest, EmptyDimensionsAreRefused) {
  const Digits set = digits(3);
  const std::string labels = write_plain("labels", idx_file({3}, set.labels));
  const std::string blank = write_plain("blank", idx_file({3, 0, 0}, {}));
  EXPECT_EQ(read_error(blank, labels),
            blank + ": expected image dimensions of at least 1, found 3x0x0");
  const std::string none = write_plain("none", idx_file({0}, {}));
  EXPECT_EQ(read_error(write_plain("images", idx_file({3, 2, 3}, set.pixels)), none),
            none + ": expected label dimensions of at least 1, found 0");
  // Found by fuzz_idx: no images of 3166485692x3166485692 pixels, whose strides overflowed.
  const std::string huge = write_plain("huge", idx_file({0, 0xbcbcbcbc, 0xbcbcbcbc}, {}));
  EXPECT_EQ(read_error(huge, labels),
            huge + ": expected image dimensions of at least 1, found 0x3166485692x3166485692");
}

TEST_F(IdxTest, CutGzipStreamIsATruncatedFile) {
  write_digits("set", 200);
  std::ifstream in(path("set-images.gz"), std::ios::binary);
  Bytes compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  compressed.resize(compressed.size() / 2);
  const std::string cut = write_plain("cut.gz", compressed);
  EXPECT_EQ(read_error(cut, path("set-labels.gz")),
            cut + ": truncated file: the gzip data end early");
}

TEST_F(IdxTest, LabelAndImageCountsMustAgree) {
  const Digits set = digits(5);
  const std::string images = write_plain("images", idx_file({5, 2, 3}, set.pixels));
  const std::string labels =
      write_plain("labels", idx_file({4}, Bytes(set.labels.begin(), set.labels.end() - 1)));
  EXPECT_EQ(read_error(images, labels), labels + ": 4 labels for 5 images in " + images);
}

TEST_F(IdxTest, LabelsAreClassesZeroToNine) {
  const std::string images = write_plain("images", idx_file({2, 1, 1}, {0, 0}));
  const std::string labels = write_plain("labels", idx_file({2}, {9, 10}));
  EXPECT_EQ(read_error(images, labels), labels + ": label 10 of item 1 is not a class 0..9");
}

TEST_F(IdxTest, MissingFileIsNamed) {
  const std::string missing = path("missing.gz");
  EXPECT_EQ(read_error(missing, missing).rfind(missing + ": cannot open: ", 0), 0u);
}

std::vector<int64_t> sizes_of(const SplitData& splits) {
  return {splits.train.size(), splits.val.size(), splits.test.size()};
}

/// Each image's first pixel is its label: rows and labels must stay together.
void expect_labels_follow_images(const Dataset& split) {
  const torch::Tensor labels_from_pixels =
      (split.points.x.flatten(1).select(1, 0) * 255).round().to(torch::kLong);
  EXPECT_TRUE(torch::equal(labels_from_pixels, split.points.y));
}

TEST_F(IdxTest, SplitsLikeACsvFile) {
  write_digits("set", 100);
  const SplitData splits = load({{"images", "set-images.gz"}, {"labels", "set-labels.gz"}});
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{50, 25, 25}));
  EXPECT_EQ(splits.train.points.x.sizes(), (std::vector<int64_t>{50, 1, 2, 3}));
  EXPECT_EQ(splits.train.points.x.dtype(), torch::kFloat32);
  EXPECT_EQ(splits.val.points.y.dtype(), torch::kLong);
  EXPECT_EQ(splits.test.task, Task::multiclass);
  EXPECT_EQ(splits.test.outputs, 10);
  EXPECT_FALSE(splits.feature_mean.defined());
  for (const Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    expect_labels_follow_images(*split);
  }
  const SplitData other = load({{"images", "set-images.gz"}, {"labels", "set-labels.gz"}}, 1);
  EXPECT_FALSE(torch::equal(other.train.points.x, splits.train.points.x));
}

TEST_F(IdxTest, TestPairLeavesTheFirstPairToTrainingAndValidation) {
  write_digits("train", 100);
  write_digits("test", 20);
  const SplitData splits = load({{"images", "train-images.gz"},
                                 {"labels", "train-labels.gz"},
                                 {"test_images", "test-images.gz"},
                                 {"test_labels", "test-labels.gz"},
                                 {"split", std::vector<double>{0.72, 0.08, 0.2}}});
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{90, 10, 20}));
  expect_labels_follow_images(splits.train);
  EXPECT_TRUE(torch::equal(splits.test.points.y, torch::arange(20, torch::kLong) % 10));
  EXPECT_TRUE(torch::equal(splits.test.points.index, torch::arange(20, torch::kLong)));
}

class IdxSettingsTest : public IdxTest {
 protected:
  std::string error(Overrides overrides) const {
    overrides.insert(overrides.begin(), {{"images", std::string("set-images.gz")},
                                         {"labels", std::string("set-labels.gz")}});
    try {
      load(overrides);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  }
};

TEST_F(IdxSettingsTest, AreCheckedBeforeReading) {
  write_digits("set", 20);
  EXPECT_EQ(error({}), "no error");
  EXPECT_EQ(error({{"standardize", std::string("train")}}),
            "data.standardize: IDX pixels are scaled to [0, 1], not standardized; set standardize "
            "= \"none\"");
  EXPECT_EQ(error({{"task", std::string("regression")}}),
            "data.task: IDX labels are the classes 0..9; set task = \"multiclass\"");
  EXPECT_EQ(error({{"labels", std::string()}}),
            "data: format = \"idx\" needs both images and labels");
  EXPECT_EQ(error({{"test_images", std::string("set-images.gz")}}),
            "data: set test_images and test_labels together");
  EXPECT_EQ(error({{"path", std::string("set.csv")}}),
            "data: format = \"idx\" reads images/labels (and test_images/test_labels); remove "
            "path/train/val/test");
  EXPECT_EQ(error({{"test_images", std::string("set-images.gz")},
                   {"test_labels", std::string("set-labels.gz")},
                   {"split", std::vector<double>{0.0, 0.0, 1.0}}}),
            "data.split: expected a positive training or validation fraction, found [0, 0, 1]");
}

TEST_F(IdxTest, IdxKeysNeedTheIdxFormat) {
  Params csv = idx_params({{"format", std::string("csv")}, {"images", std::string("a.gz")}});
  try {
    load_splits(csv, dir_.string(), 0, 0, torch::kFloat32);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "data: images/labels/test_images/test_labels are read with format = \"idx\" only");
  }
}

TEST(IdxSchema, DocumentsTheIdxKeys) {
  std::vector<std::string> names;
  for (const auto& param : data_schema()) names.push_back(param.name);
  for (const char* key : {"images", "labels", "test_images", "test_labels"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), key), names.end()) << key;
  }
}

// ----- real files -------------------------------------------------------------------------

fs::path mnist_folder() { return fs::path(XREG_SHARED_DIR) / "data" / "mnist"; }
const fs::path kFashionMnist = "/usr/share/datasets/fashion-mnist";

TEST(IdxMnist, ReadsTheTestSet) {
  if (!fs::exists(mnist_folder())) GTEST_SKIP() << "no ../shared/data/mnist";
  const Table table = read_idx((mnist_folder() / "t10k-images-idx3-ubyte.gz").string(),
                               (mnist_folder() / "t10k-labels-idx1-ubyte.gz").string());
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(table.x.min().item<double>(), 0.0);
  EXPECT_EQ(table.x.max().item<double>(), 1.0);
  EXPECT_EQ(table.y.sizes(), (std::vector<int64_t>{10000}));
  EXPECT_EQ(table.y.min().item<int64_t>(), 0);
  EXPECT_EQ(table.y.max().item<int64_t>(), 9);
  EXPECT_TRUE((torch::bincount(table.y) > 800).all().item<bool>());  // every digit, ~1,000 each
}

TEST(IdxMnist, SplitsTheTestSetAsTheExample) {
  if (!fs::exists(mnist_folder())) GTEST_SKIP() << "no ../shared/data/mnist";
  const SplitData splits =
      load_splits(idx_params({{"images", std::string("t10k-images-idx3-ubyte.gz")},
                              {"labels", std::string("t10k-labels-idx1-ubyte.gz")},
                              {"split", std::vector<double>{0.72, 0.08, 0.2}}}),
                  mnist_folder().string(), 0, 0, torch::kFloat32);
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{7200, 800, 2000}));
}

TEST(IdxFashionMnist, ReadsTheDebianPackagesFiles) {
  if (!fs::exists(kFashionMnist)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const SplitData splits =
      load_splits(idx_params({{"images", std::string("train-images-idx3-ubyte.gz")},
                              {"labels", std::string("train-labels-idx1-ubyte.gz")},
                              {"test_images", std::string("t10k-images-idx3-ubyte.gz")},
                              {"test_labels", std::string("t10k-labels-idx1-ubyte.gz")},
                              {"split", std::vector<double>{0.9, 0.1, 0.0}}}),
                  kFashionMnist.string(), 0, 0, torch::kFloat32);
  EXPECT_EQ(sizes_of(splits), (std::vector<int64_t>{54000, 6000, 10000}));
  EXPECT_EQ(splits.test.points.x.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(splits.train.outputs, 10);
}

}  // namespace
}  // namespace xreg
