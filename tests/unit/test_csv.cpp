/// read_csv: layout (header, quoting, line ends), column roles, value checks with their exact
/// messages, label coding, and the reference UCI files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/data/csv.hpp"
#include "xreg/host/errors.hpp"

namespace fs = std::filesystem;

namespace xreg {
namespace {

/// The [data] defaults of data_schema(), with `overrides` applied.
Params data_params(const std::vector<std::pair<std::string, Params::Value>>& overrides = {}) {
  Params params;
  for (const auto& param : data_schema()) params.set(param.name, *param.default_value);
  for (const auto& [key, value] : overrides) params.set(key, value);
  return params;
}

/// A fresh folder for fixture files, removed after each test.
class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xreg_test_csv_" + std::to_string(std::random_device{}()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    path_ = (dir_ / "data.csv").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  /// The ConfigError message that reading `text` with `data` gives.
  std::string error_of(const std::string& text, const Params& data = data_params()) {
    write("data.csv", text);
    try {
      read_csv(path_, data);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  }

  fs::path dir_;
  std::string path_;
};

std::vector<double> values_of(const torch::Tensor& tensor) {
  auto flat = tensor.to(torch::kDouble).contiguous().view(-1);
  return {flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel()};
}

std::vector<int64_t> labels_of(const torch::Tensor& tensor) {
  auto flat = tensor.contiguous().view(-1);
  return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}

using Names = std::vector<std::string>;

TEST(DataSchema, DefinesEveryKeyWithItsDefault) {
  const Params data = data_params();
  EXPECT_EQ(data.values().size(), 30u);
  EXPECT_EQ(data.string("format"), "csv");
  EXPECT_EQ(data.string("header"), "auto");
  EXPECT_EQ(data.string("target"), "last");
  EXPECT_EQ(data.reals("split"), (std::vector<double>{0.5, 0.25, 0.25}));
  EXPECT_TRUE(data.strings("ignore").empty());
  EXPECT_EQ(data.string("standardize"), "train");
  EXPECT_FALSE(data.boolean("standardize_target"));
  EXPECT_EQ(data.integer("samples"), 1000);
  EXPECT_DOUBLE_EQ(data.real("noise"), 1.0);
  EXPECT_TRUE(data.integers("shape").empty());
  EXPECT_TRUE(data.strings("irrelevant").empty());
  EXPECT_EQ(data.string("annotations"), "none");
  EXPECT_EQ(data.string("annotation_file"), "");
  EXPECT_EQ(data.string("pixels"), "unit");
  for (const auto& param : data_schema()) {
    if (param.name == "task") {
      EXPECT_EQ(param.choices, (Names{"regression", "binary", "multiclass"}));
    }
    EXPECT_FALSE(param.doc.empty()) << param.name;
  }
}

TEST_F(CsvTest, ReadsHeaderAndTakesLastColumnAsTarget) {
  const Table table = read_csv(write("a.csv", "a,b,y\n1,2,3\n4,5.5,-6e1\n"), data_params());
  EXPECT_EQ(table.feature_names, (Names{"a", "b"}));
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(table.x.dtype(), torch::kDouble);
  EXPECT_EQ(values_of(table.x), (std::vector<double>{1, 2, 4, 5.5}));
  EXPECT_EQ(values_of(table.y), (std::vector<double>{3, -60}));
  EXPECT_EQ(table.y.dim(), 1);
  EXPECT_EQ(table.dropped_rows, 0);
}

TEST_F(CsvTest, AByteOrderMarkIsNotPartOfTheFirstName) {
  const Table table = read_csv(write("bom.csv",
                                     "\xEF\xBB\xBF"
                                     "a,b,y\n1,2,3\n"),
                               data_params());
  EXPECT_EQ(table.feature_names, (Names{"a", "b"}));
}

TEST_F(CsvTest, WithoutHeaderNamesColumnsByIndex) {
  const Table table = read_csv(write("a.csv", "1,2,3\n4,5,6\n"), data_params());
  EXPECT_EQ(table.feature_names, (Names{"x0", "x1"}));
  EXPECT_EQ(table.x.size(0), 2);
  EXPECT_EQ(values_of(table.y), (std::vector<double>{3, 6}));
}

TEST_F(CsvTest, HeaderYesTakesANumericFirstRowAsNames) {
  const Table table =
      read_csv(write("a.csv", "10,20,30\n4,5,6\n"), data_params({{"header", "yes"}}));
  EXPECT_EQ(table.feature_names, (Names{"10", "20"}));
  EXPECT_EQ(table.x.size(0), 1);
}

TEST_F(CsvTest, HeaderNoReadsTheFirstRowAsData) {
  const std::string text = "a,b,c\n4,5,6\n";
  EXPECT_EQ(error_of(text, data_params({{"header", "no"}})),
            path_ + ":1: column 'x0' (0): expected a number, found 'a'");
}

TEST_F(CsvTest, SklearnLayoutSkipsTheCountLineAndReadsNamesWhenTheFileHasThem) {
  const Params sklearn = data_params({{"header", "sklearn"}});
  const Table named = read_csv(write("a.csv", "2,2,,\nA,B,Y\n1,2,3\n4,5,6\n"), sklearn);
  EXPECT_EQ(named.feature_names, (Names{"A", "B"}));
  EXPECT_EQ(values_of(named.y), (std::vector<double>{3, 6}));
  const Table unnamed = read_csv(write("b.csv", "2,2,setosa,virginica\n1,2,0\n4,5,1\n"), sklearn);
  EXPECT_EQ(unnamed.feature_names, (Names{"x0", "x1"}));
  EXPECT_EQ(values_of(unnamed.x.flatten()), (std::vector<double>{1, 2, 4, 5}));
}

TEST_F(CsvTest, SklearnLayoutChecksTheCountsOfItsFirstLine) {
  const Params sklearn = data_params({{"header", "sklearn"}});
  EXPECT_EQ(error_of("3,2,a,b\n1,2,0\n4,5,1\n", sklearn),
            path_ + ": expected 3 data rows as its first line says, found 2");
  EXPECT_EQ(error_of("2,3,a,b\n1,2,0\n4,5,1\n", sklearn),
            path_ +
                ":2: expected 4 fields (3 features and the target, as the first line says), "
                "found 3");
  EXPECT_EQ(error_of("x,2\n1,2,0\n", sklearn),
            path_ +
                ":1: expected scikit-learn's first line (rows, features, class names), "
                "found 'x' where the number of rows goes");
}

TEST_F(CsvTest, ReadsDebiansScikitLearnHousingFile) {
  const std::string file =
      "/usr/lib/python3/dist-packages/sklearn/datasets/data/boston_house_prices.csv";
  if (!fs::exists(file)) GTEST_SKIP() << "python3-sklearn is not installed";
  const Table table = read_csv(file, data_params({{"header", "sklearn"}, {"target", "MEDV"}}));
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{506, 13}));
  EXPECT_EQ(table.feature_names.front(), "CRIM");
  EXPECT_DOUBLE_EQ(values_of(table.y).front(), 24.0);
}

TEST_F(CsvTest, EmptyHeaderFieldIsNamedByItsIndex) {
  const Table table = read_csv(write("a.csv", ",0,1\n0,2,3\n1,4,5\n"), data_params());
  EXPECT_EQ(table.feature_names, (Names{"column0", "0"}));
  EXPECT_EQ(values_of(table.x), (std::vector<double>{0, 2, 1, 4}));
}

TEST_F(CsvTest, TrailingEmptyHeaderFieldsThatRowsLackAreDropped) {
  const Table table = read_csv(write("a.csv", "a,b,y,,\r\n1,2,3\r\n"), data_params());
  EXPECT_EQ(table.feature_names, (Names{"a", "b"}));
  EXPECT_EQ(values_of(table.y), (std::vector<double>{3}));
  EXPECT_EQ(error_of("a,b,y,\n1,2,3,4,5\n"), path_ + ":2: expected 4 fields, found 5");
}

TEST_F(CsvTest, TargetByNameOrIndex) {
  const std::string path = write("a.csv", "a,b,c\n1,2,3\n4,5,6\n");
  const Table by_name = read_csv(path, data_params({{"target", "b"}}));
  EXPECT_EQ(by_name.feature_names, (Names{"a", "c"}));
  EXPECT_EQ(values_of(by_name.y), (std::vector<double>{2, 5}));
  const Table by_index = read_csv(path, data_params({{"target", "0"}}));
  EXPECT_EQ(by_index.feature_names, (Names{"b", "c"}));
  EXPECT_EQ(values_of(by_index.y), (std::vector<double>{1, 4}));
}

TEST_F(CsvTest, IgnoreByNameAndIndex) {
  const std::string path = write("a.csv", "id,a,b,c,y\n7,1,2,3,4\n");
  const Table table = read_csv(path, data_params({{"ignore", Names{"id", "2"}}}));
  EXPECT_EQ(table.feature_names, (Names{"a", "c"}));
  EXPECT_EQ(values_of(table.x), (std::vector<double>{1, 3}));
}

TEST_F(CsvTest, UnknownColumnListsTheColumns) {
  const std::string text = "a,b,y\n1,2,3\n";
  EXPECT_EQ(error_of(text, data_params({{"target", "z"}})),
            path_ + ": data.target: no column named 'z'; the columns are: a, b, y");
  EXPECT_EQ(error_of(text, data_params({{"ignore", Names{"q"}}})),
            path_ + ": data.ignore: no column named 'q'; the columns are: a, b, y");
  EXPECT_EQ(error_of(text, data_params({{"target", "3"}})),
            path_ + ": data.target: column index 3 is out of range (the file has 3 columns)");
}

TEST_F(CsvTest, WrongFieldCountNamesFileAndPhysicalLine) {
  EXPECT_EQ(error_of("a,b,y\n1,2,3\n\n4,5\n"), path_ + ":4: expected 3 fields, found 2");
  EXPECT_EQ(error_of("a,b,y\n\"multi\nline\",2,3\n4,5,6,7\n"),
            path_ + ":4: expected 3 fields, found 4");
}

TEST_F(CsvTest, BinaryDataIsNamedAsSuch) {
  EXPECT_EQ(error_of(std::string("a,b\n1,2\n\0\x03\x08", 11)),
            path_ +
                ":3: expected CSV text, found a NUL byte at byte 8 (binary data; IDX image "
                "files are read with format = \"idx\")");
  EXPECT_EQ(error_of(std::string("\x1f\x8b\x08\0", 4)),
            path_ +
                ":1: expected CSV text, found a NUL byte at byte 3 (gzip data: decompress it "
                "first; IDX image files are read with format = \"idx\")");
}

TEST_F(CsvTest, NonNumericValueNamesColumnAndText) {
  EXPECT_EQ(error_of("a,b,y\n1,2,3\n4,abc,6\n"),
            path_ + ":3: column 'b' (1): expected a number, found 'abc'");
  EXPECT_EQ(error_of("a,b,y\r\n1,2,3\r\n4,5,6x\r\n"),
            path_ + ":3: column 'y' (2): expected a number, found '6x'");
}

TEST_F(CsvTest, EmptyValueIsAnErrorUnlessDropMissing) {
  const std::string text = "a,b,y\n1,,3\n4,5,6\n7,8,\n9,10,11\n";
  EXPECT_EQ(error_of(text),
            path_ + ":2: column 'b': empty value; set drop_missing = true to leave such rows out");
  const Table table = read_csv(path_, data_params({{"drop_missing", true}}));
  EXPECT_EQ(table.dropped_rows, 2);
  EXPECT_EQ(values_of(table.y), (std::vector<double>{6, 11}));
}

TEST_F(CsvTest, EmptyValueInIgnoredColumnIsFine) {
  const Table table =
      read_csv(write("a.csv", "note,a,y\n,1,2\n"), data_params({{"ignore", Names{"note"}}}));
  EXPECT_EQ(values_of(table.x), (std::vector<double>{1}));
}

TEST_F(CsvTest, MissingFileSaysWhy) {
  const std::string path = (dir_ / "absent.csv").string();
  try {
    read_csv(path, data_params());
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": cannot open: No such file or directory");
  }
}

TEST_F(CsvTest, QuotedFieldsCrlfAndTrailingBlankLines) {
  const std::string text = "\"a,1\",\"say \"\"hi\"\"\",y\r\n\"1\",2,3\r\n4,\"5\",6\r\n\r\n\r\n";
  const Table table = read_csv(write("a.csv", text), data_params());
  EXPECT_EQ(table.feature_names, (Names{"a,1", "say \"hi\""}));
  EXPECT_EQ(values_of(table.x), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(values_of(table.y), (std::vector<double>{3, 6}));
}

TEST_F(CsvTest, UnclosedQuoteIsAnError) {
  EXPECT_EQ(error_of("a,y\n1,2\n\"3,4\n"), path_ + ":3: quoted field is not closed");
}

TEST_F(CsvTest, CategoricalColumnsAreOneHot) {
  const std::string text = "color,size,w,y\nred,10,1.5,1\nblue,2,2.5,2\nred,2,3.5,3\n";
  const Table table =
      read_csv(write("a.csv", text), data_params({{"categorical", Names{"color", "1"}}}));
  EXPECT_EQ(table.feature_names, (Names{"color=blue", "color=red", "size=2", "size=10", "w"}));
  EXPECT_EQ(values_of(table.x), (std::vector<double>{0, 1, 0, 1, 1.5,  //
                                                     1, 0, 1, 0, 2.5,  //
                                                     0, 1, 1, 0, 3.5}));
}

TEST_F(CsvTest, CategoricalTargetIsRejected) {
  EXPECT_EQ(
      error_of("a,y\n1,2\n", data_params({{"categorical", Names{"y"}}})),
      path_ + ": data.categorical: column 'y' is not a feature (it is the target or ignored)");
}

TEST_F(CsvTest, BinaryLabelsByPositiveOrAsNumbers) {
  const std::string path = write("a.csv", "a,label\n1,M\n2,B\n3,M\n");
  const Table text = read_csv(path, data_params({{"task", "binary"}, {"positive", "M"}}));
  EXPECT_EQ(text.y.dtype(), torch::kLong);
  EXPECT_EQ(labels_of(text.y), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(text.class_names, (Names{"B", "M"}));
  const Table numbers =
      read_csv(write("b.csv", "a,label\n1,1\n2,0\n3,0.0\n"), data_params({{"task", "binary"}}));
  EXPECT_EQ(labels_of(numbers.y), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(numbers.class_names, (Names{"0", "1"}));
}

TEST_F(CsvTest, BinaryLabelsThatAreNotZeroOneAreListed) {
  const std::string text = "a,label\n1,M\n2,B\n3,M\n";
  EXPECT_EQ(error_of(text, data_params({{"task", "binary"}})),
            path_ +
                ": column 'label': task = \"binary\" needs labels 0 and 1 or `positive` naming the "
                "label of class 1; labels found: B, M");
  EXPECT_EQ(error_of(text, data_params({{"task", "binary"}, {"positive", "m"}})),
            path_ + ": column 'label': positive = \"m\" is not among the labels found: B, M");
}

TEST_F(CsvTest, MulticlassLabelsAreSortedDistinctValues) {
  const Table text = read_csv(write("a.csv", "a,label\n1,cat\n2,ant\n3,bee\n4,cat\n"),
                              data_params({{"task", "multiclass"}}));
  EXPECT_EQ(text.class_names, (Names{"ant", "bee", "cat"}));
  EXPECT_EQ(labels_of(text.y), (std::vector<int64_t>{2, 0, 1, 2}));
  const Table numbers = read_csv(write("b.csv", "a,label\n1,10\n2,2\n3,7\n4,2\n"),
                                 data_params({{"task", "multiclass"}}));
  EXPECT_EQ(numbers.class_names, (Names{"2", "7", "10"}));
  EXPECT_EQ(labels_of(numbers.y), (std::vector<int64_t>{2, 0, 1, 0}));
}

TEST_F(CsvTest, ReadsManyRowsExactly) {
  std::string text = "a,b,c,d,e,f,g,h,i,y\n";
  for (int row = 0; row < 20000; ++row) {
    for (int column = 0; column < 10; ++column) {
      text += std::to_string(row * 0.001 + column) + (column < 9 ? "," : "\n");
    }
  }
  const Table table = read_csv(write("big.csv", text), data_params());
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{20000, 9}));
  EXPECT_DOUBLE_EQ(table.x[19999][8].item<double>(), 19.999 + 8);
}

/// The path of a reference file, or empty when ../shared is absent.
std::string shared_file(const std::string& name) {
  const fs::path path = fs::path(XREG_SHARED_DIR) / "data" / "uci" / name;
  return fs::exists(path) ? path.string() : "";
}

TEST(ReferenceCsv, HousingReadsAsExpODoes) {
  const std::string path = shared_file("housing.csv");
  if (path.empty()) GTEST_SKIP() << "no ../shared/data";
  const Table table = read_csv(path, data_params());
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{506, 12}));
  EXPECT_EQ(table.feature_names.front(), "column0");
  EXPECT_EQ(table.feature_names.back(), "10");
  EXPECT_DOUBLE_EQ(table.y[0].item<double>(), 28.4);
  EXPECT_DOUBLE_EQ(table.x[1][0].item<double>(), 1.0);  // the row index column
}

TEST(ReferenceCsv, CancerDropsTheTrailingEmptyHeaderField) {
  const std::string path = shared_file("cancer.csv");
  if (path.empty()) GTEST_SKIP() << "no ../shared/data";
  const Table table = read_csv(path, data_params({{"target", "diagnosis"},
                                                  {"ignore", Names{"id"}},
                                                  {"task", "binary"},
                                                  {"positive", "M"}}));
  EXPECT_EQ(table.x.sizes(), (std::vector<int64_t>{569, 30}));
  EXPECT_EQ(table.feature_names.front(), "radius_mean");
  EXPECT_EQ(table.feature_names.back(), "fractal_dimension_worst");
  EXPECT_EQ(table.y.sum().item<int64_t>(), 212);
  EXPECT_EQ(table.class_names, (Names{"B", "M"}));
}

}  // namespace
}  // namespace xreg
