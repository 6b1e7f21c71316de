// explanations/<explainer>/trial-<t>.pt and .csv: every test point's explanation as the
// explainer gives it, readable with LibTorch and Python's torch.load, in test-split order.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;

using xreg::testing::slurp;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_explanation_files");
  return dir;
}

/// The linear model the runs explain, f(x) = x·w + b: every explainer's slopes must be w.
const std::vector<float> kWeights{2.0f, -1.0f, 0.5f};
constexpr float kBias = 0.25f;

/// The test split's rows (features a, b, c), in the order of their index in it.
const std::vector<std::vector<float>> kTestRows{
    {0.5f, 1.0f, -1.0f}, {1.5f, -0.5f, 2.0f},    {-1.0f, 0.25f, 0.75f}, {0.0f, 2.0f, -0.5f},
    {2.0f, 1.5f, 1.0f},  {-0.75f, -1.25f, 0.5f}, {1.25f, 0.0f, -2.0f}};

float linear_model(const std::vector<float>& x) {
  return x[0] * kWeights[0] + x[1] * kWeights[1] + x[2] * kWeights[2] + kBias;
}

/// linear_model as a TorchScript file for the torchscript model plugin.
std::string linear_model_file() {
  const fs::path path = scratch() / "linear.pt";
  torch::jit::Module module("Linear");
  module.register_parameter("w", torch::tensor(kWeights).reshape({3, 1}), false);
  module.register_parameter("b", torch::tensor({kBias}), false);
  module.define("def forward(self, x):\n  return torch.matmul(x, self.w) + self.b\n");
  module.save(path.string());
  return path.string();
}

/// A CSV file with the header a,b,c,y and `rows`, y = linear_model.
std::string data_file(const std::string& name, const std::vector<std::vector<float>>& rows) {
  const fs::path path = scratch() / name;
  std::ofstream out(path);
  out << "a,b,c,y\n";
  for (const auto& x : rows)
    out << x[0] << "," << x[1] << "," << x[2] << "," << linear_model(x) << "\n";
  return path.string();
}

std::vector<std::vector<float>> training_rows() {
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back({static_cast<float>(i % 7) - 3.0f, static_cast<float>(i % 5) * 0.5f - 1.0f,
                    static_cast<float>(i % 3) - 1.0f});
  }
  return rows;
}

/// The linear model on the tabular data above, explained by LIME (no ridge penalty, so that its
/// slopes are the model's) and by saliency, the latter under a label with a '/' in it.
std::string linear_pipeline() {
  return "[run]\ntrials = 2\n\n[data]\ntrain = '" + data_file("train.csv", training_rows()) +
         "'\ntest = '" + data_file("test.csv", kTestRows) + "'\nstandardize = 'none'\n\n" +
         "[model]\nplugin = 'torchscript'\npath = '" + linear_model_file() + "'\n" + R"(
[[explainer]]
plugin = "lime"
samples = 200
alpha = 0.0

[[explainer]]
plugin = "saliency"
name = "grad/raw"

[[metric]]
plugin = "mse"
)";
}

/// Runs `xreg run FILE --output OUTPUT ARGS` from the scratch folder; its exit code.
int run_xreg(const std::string& text, const std::string& output, const std::string& args = "") {
  const fs::path file = scratch() / (output + ".toml");
  std::ofstream(file) << text;
  const std::string command = "cd '" + scratch().string() +
                              "' && env -u XREG_PLUGIN_PATH '" XREG_APP "' run '" + file.string() +
                              "' --output '" + output + "' --quiet " + args + " >/dev/null";
  return WEXITSTATUS(std::system(command.c_str()));
}

/// The dict of tensors a .pt file holds, read with LibTorch.
std::map<std::string, torch::Tensor> load_tensors(const fs::path& path) {
  const std::string bytes = slurp(path);
  EXPECT_FALSE(bytes.empty()) << path;
  std::map<std::string, torch::Tensor> tensors;
  if (bytes.empty()) return tensors;
  const c10::IValue value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  for (const auto& item : value.toGenericDict()) {
    tensors[item.key().toStringRef()] = item.value().toTensor();
  }
  return tensors;
}

std::vector<std::string> keys_of(const std::map<std::string, torch::Tensor>& tensors) {
  std::vector<std::string> keys;
  for (const auto& item : tensors) keys.push_back(item.first);
  return keys;
}

/// What each point's explanation of the linear model must be: slopes w, value f(x) at x.
void expect_linear_model(const std::map<std::string, torch::Tensor>& e, double tolerance) {
  const int64_t n = static_cast<int64_t>(kTestRows.size());
  EXPECT_TRUE(torch::equal(e.at("index"), torch::arange(n, torch::kLong)));
  const torch::Tensor coefficients = e.at("coefficients").to(torch::kFloat);
  ASSERT_EQ(coefficients.sizes(), (std::vector<int64_t>{n, 1, 3}));
  const torch::Tensor w = torch::tensor(kWeights).expand({n, 1, 3});
  EXPECT_TRUE(torch::allclose(coefficients, w, 0, tolerance)) << coefficients;
  std::vector<float> f;
  for (const auto& x : kTestRows) f.push_back(linear_model(x));
  const torch::Tensor prediction = e.at("prediction").to(torch::kFloat);
  ASSERT_EQ(prediction.sizes(), (std::vector<int64_t>{n, 1}));
  EXPECT_TRUE(torch::allclose(prediction.squeeze(1), torch::tensor(f), 0, 10 * tolerance))
      << prediction;
}

class ExplanationFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    code_ = run_xreg(linear_pipeline(), "linear", "--set run.threads=2");
  }
  void SetUp() override { ASSERT_EQ(code_, 0) << "xreg run of the linear pipeline failed"; }
  static fs::path folder() { return scratch() / "linear" / "explanations"; }
  static int code_;
};

int ExplanationFiles::code_ = -1;

TEST_F(ExplanationFiles, HoldEachExplainersSurrogatesOfEveryTestPointInTestSplitOrder) {
  for (const char* trial : {"trial-0.pt", "trial-1.pt"}) {
    const auto lime = load_tensors(folder() / "lime" / trial);
    EXPECT_EQ(keys_of(lime), (std::vector<std::string>{"coefficients", "diagnostics/r2", "index",
                                                       "intercepts", "prediction"}));
    expect_linear_model(lime, 1e-3);
    EXPECT_TRUE(torch::allclose(lime.at("intercepts").to(torch::kFloat), torch::full({7, 1}, kBias),
                                0, 1e-3));
    EXPECT_TRUE(
        torch::allclose(lime.at("diagnostics/r2").to(torch::kFloat), torch::ones({7, 1}), 0, 1e-4));
  }
  const auto saliency = load_tensors(folder() / "grad%2Fraw" / "trial-0.pt");
  EXPECT_EQ(saliency.count("intercepts"), 0u) << "attributions have no intercepts";
  expect_linear_model(saliency, 1e-6);
}

TEST_F(ExplanationFiles, TheCsvListsEveryCoefficientByPointOutputAndColumnName) {
  const auto lime = load_tensors(folder() / "lime" / "trial-1.pt");
  const auto coefficients = lime.at("coefficients").to(torch::kDouble);
  std::istringstream csv(slurp(folder() / "lime" / "trial-1.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "point,output,feature,coefficient");
  const std::vector<std::string> names{"a", "b", "c"};
  int64_t rows = 0;
  for (; std::getline(csv, line); ++rows) {
    const int64_t i = rows / 3, j = rows % 3;
    const std::string expected = std::to_string(i) + ",0," + names[j] + ",";
    ASSERT_EQ(line.substr(0, expected.size()), expected) << line;
    const double value = std::stod(line.substr(expected.size()));
    EXPECT_NEAR(value, coefficients[i][0][j].item<double>(), 1e-7) << line;
  }
  EXPECT_EQ(rows, 7 * 3);
}

TEST_F(ExplanationFiles, PythonsTorchLoadReadsADictOfTensors) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3-torch";
  }
  const fs::path printed = scratch() / "python.out";
  const std::string command = "/usr/bin/python3 -c \"import torch; e = torch.load('" +
                              (folder() / "lime" / "trial-0.pt").string() +
                              "'); print(type(e).__name__, sorted(e), list(e['coefficients']"
                              ".shape), e['index'].tolist(), round(float(e['coefficients'][3, 0, "
                              "1]), 3))\" >'" +
                              printed.string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(printed);
  EXPECT_EQ(slurp(printed),
            "dict ['coefficients', 'diagnostics/r2', 'index', 'intercepts', 'prediction'] "
            "[7, 1, 3] [0, 1, 2, 3, 4, 5, 6] -1.0\n");
}

TEST_F(ExplanationFiles, EachSweepPointsFolderHoldsItsOwn) {
  ASSERT_EQ(
      run_xreg(linear_pipeline() + "\n[sweep]\n\"explainer[0].samples\" = [100, 300]\n", "sweep"),
      0);
  for (const char* point : {"0", "1"}) {
    const fs::path dir = scratch() / "sweep" / "points" / point / "explanations";
    expect_linear_model(load_tensors(dir / "lime" / "trial-1.pt"), 1e-3);
    EXPECT_TRUE(fs::exists(dir / "grad%2Fraw" / "trial-1.csv"));
  }
}

TEST(ExplanationFilesOfImages, HoldTheTensorsButNoCsv) {
  ASSERT_EQ(run_xreg(R"([run]
trials = 1

[data]
format = "builtin"
generator = "toy_colors"
task = "binary"
samples = 60

[model]
plugin = "mlp"
hidden = [4]

[train]
max_epochs = 1

[[explainer]]
plugin = "saliency"

[[metric]]
plugin = "accuracy"
)",
                     "images"),
            0);
  const fs::path dir = scratch() / "images" / "explanations" / "saliency";
  const auto saliency = load_tensors(dir / "trial-0.pt");
  ASSERT_EQ(saliency.at("coefficients").dim(), 3);
  EXPECT_EQ(saliency.at("coefficients").size(2), 3 * 5 * 5) << "flattened [3, 5, 5] points";
  EXPECT_EQ(saliency.at("index").size(0), saliency.at("coefficients").size(0));
  EXPECT_FALSE(fs::exists(dir / "trial-0.csv")) << "no row per pixel";
  // The figure: 6 rows of 5x5 tiles drawn 11 pixels a value with 4-pixel gaps, the point and a
  // map per output in each.
  const std::string png = slurp(dir / "trial-0-maps.png");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const auto big_endian = [&](size_t at) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(png[at + i]);
    return value;
  };
  const int64_t outputs = saliency.at("coefficients").size(1);
  EXPECT_EQ(big_endian(16), (1 + outputs) * 59 + 4) << "width";
  EXPECT_EQ(big_endian(20), 6 * 59 + 4) << "height";
  EXPECT_NE(
      slurp(scratch() / "images" / "report.html").find("explanations/saliency/trial-0-maps.png"),
      std::string::npos);
}

}  // namespace
