// Trained models out (models/trial-<t>.pt): every built-in model's TorchScript export computes
// what the model computes, in LibTorch and in Python's torch.jit.load; a run leaves one per
// trial, which the torchscript plugin scores again; an export that throws names the plugin.
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "explanation_metric_support.hpp"
#include "plugin_test_support.hpp"
#include "scratch_files.hpp"
#include "xreg/host/plugin/guarded.hpp"

namespace {

namespace fs = std::filesystem;

using xreg::testing::run_in;
using xreg::testing::slurp;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_model_export");
  return dir;
}

/// A model plugin's configuration and the points it takes.
struct ModelCase {
  std::string plugin;
  std::vector<std::pair<std::string, xreg::Params::Value>> params;
  std::vector<int64_t> input;
  int64_t outputs;
  xreg::Task task;
};

std::string name_of(const ModelCase& c) {
  std::string name = c.plugin;
  for (const auto& item : c.params) name += " " + item.first;
  return name;
}

/// Every built-in model's architectures: the layers and conceptizers an export must write.
std::vector<ModelCase> model_cases() {
  using T = xreg::Task;
  using Sizes = std::vector<int64_t>;
  return {
      {"mlp", {}, {5}, 2, T::regression},
      {"mlp", {{"negative_slope", 0.0}, {"hidden", Sizes{7}}}, {5}, 1, T::regression},
      {"cnn",
       {{"channels", Sizes{3, 4}}, {"kernels", Sizes{3, 2}}, {"strides", Sizes{1, 2}}},
       {1, 9, 9},
       3,
       T::multiclass},
      {"cnn",
       {{"padding", std::string("valid")},
        {"dropout", 0.5},
        {"channels", Sizes{2}},
        {"kernels", Sizes{3}},
        {"strides", Sizes{2}}},
       {2, 7, 7},
       2,
       T::multiclass},
      {"senn", {}, {4}, 1, T::binary},
      {"senn",
       {{"conceptizer", std::string("autoencoder")}, {"encoder", Sizes{6}}},
       {8},
       3,
       T::multiclass},
      {"senn",
       {{"conceptizer", std::string("conv_autoencoder")}, {"parametrizer", std::string("conv")}},
       {1, 28, 28},
       2,
       T::multiclass},
  };
}

xreg::Params params_of(const ModelCase& c) {
  xreg::Params p;
  for (const auto& [key, value] : c.params) p.set(key, value);
  return p;
}

/// The case's model built in float64, trained-looking (random weights), in evaluation mode.
std::shared_ptr<xreg::Model> built(const ModelCase& c) {
  torch::manual_seed(11);
  auto model = xreg::testing::make_plugin<xreg::Model>(c.plugin, params_of(c));
  xreg::Context ctx = xreg::testing::double_context();
  ctx.task = c.task;
  model->build({c.input, c.outputs, c.task}, ctx);
  model->set_training(false);
  return model;
}

torch::Tensor points_for(const ModelCase& c, int64_t n) {
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), c.input.begin(), c.input.end());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  return torch::randn(shape, gen, torch::TensorOptions(torch::kDouble));
}

torch::jit::Module loaded(const std::string& bytes) {
  std::istringstream in(bytes);
  return torch::jit::load(in);
}

/// Float64 outputs that differ only by the order of float summation.
void expect_same(const torch::Tensor& exported, const torch::Tensor& model,
                 const std::string& what) {
  ASSERT_EQ(exported.sizes(), model.sizes()) << what;
  EXPECT_TRUE(torch::allclose(exported, model, 1e-10, 1e-12))
      << what << ": largest difference " << (exported - model).abs().max().item<double>();
}

TEST(ModelExport, EveryBuiltInModelsTorchScriptComputesItsOutputsAndExtras) {
  for (const ModelCase& c : model_cases()) {
    SCOPED_TRACE(name_of(c));
    auto model = built(c);
    const torch::Tensor x = points_for(c, 6);
    torch::jit::Module exported = loaded(model->torchscript());
    expect_same(exported.forward({x}).toTensor(), model->forward(x), "forward");
    const auto extras = model->extras(x);
    ASSERT_EQ(extras.empty(), !exported.find_method("extras").has_value());
    if (extras.empty()) continue;
    const auto dict = exported.run_method("extras", x).toGenericDict();
    EXPECT_EQ(dict.size(), extras.size());
    for (const auto& [name, value] : extras) {
      ASSERT_TRUE(dict.contains(name)) << name;
      expect_same(dict.at(name).toTensor(), value, name);
    }
  }
}

TEST(ModelExport, ATrainedModelExportsItsCurrentWeights) {
  const ModelCase c{"mlp", {{"hidden", std::vector<int64_t>{3}}}, {2}, 1, xreg::Task::regression};
  auto model = built(c);
  const torch::Tensor x = points_for(c, 4);
  const torch::Tensor before = model->forward(x).detach();
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : model->parameters()) p.add_(0.5);
  }
  const torch::Tensor after = loaded(model->torchscript()).forward({x}).toTensor();
  expect_same(after, model->forward(x), "forward after a step");
  EXPECT_FALSE(torch::allclose(after, before));
}

TEST(ModelExport, TheTorchScriptPluginSavesWhatItLoaded) {
  const ModelCase c{"mlp", {{"hidden", std::vector<int64_t>{4}}}, {3}, 2, xreg::Task::regression};
  auto model = built(c);
  const fs::path file = scratch() / "reloaded.pt";
  std::ofstream(file, std::ios::binary) << model->torchscript();
  xreg::Params params;
  params.set("path", file.string());
  auto reloaded = xreg::testing::make_plugin<xreg::Model>("torchscript", params);
  xreg::Context ctx = xreg::testing::double_context();
  reloaded->build({c.input, c.outputs, c.task}, ctx);
  const torch::Tensor x = points_for(c, 5);
  expect_same(reloaded->forward(x), model->forward(x), "reloaded forward");
  expect_same(loaded(reloaded->torchscript()).forward({x}).toTensor(), model->forward(x),
              "saved again");
}

/// A model whose export must never be called.
class ExportThrows final : public xreg::Model {
 public:
  void build(const xreg::ModelShape&, const xreg::Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }
  std::string torchscript() override { throw std::runtime_error("called"); }
};

TEST(ModelExport, AnExportThatThrowsIsARunErrorNamingThePlugin) {
  xreg::GuardedModel plugin(std::make_shared<ExportThrows>(), {"model plugin 'm'"});
  EXPECT_THROW(plugin.torchscript(), xreg::RunError);
}

bool have_python_torch() {
  return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

TEST(ModelExport, PythonsTorchJitLoadRunsTheModelAndItsExtras) {
  if (!have_python_torch()) GTEST_SKIP() << "no python3-torch";
  for (const ModelCase& c : {model_cases()[0], model_cases()[5]}) {
    SCOPED_TRACE(name_of(c));
    auto model = built(c);
    const torch::Tensor x = points_for(c, 6);
    std::ofstream(scratch() / "model.pt", std::ios::binary) << model->torchscript();
    c10::Dict<std::string, at::Tensor> io;
    io.insert("x", x);
    io.insert("y", model->forward(x).detach());
    const auto extras = model->extras(x);
    io.insert("theta", extras.count("theta") ? extras.at("theta").detach() : torch::zeros({0}));
    const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(io));
    std::ofstream(scratch() / "io.pt", std::ios::binary).write(bytes.data(), bytes.size());
    const std::string script =
        "import torch\n"
        "m = torch.jit.load('model.pt')\n"
        "io = torch.load('io.pt')\n"
        "y = m(io['x'])\n"
        "print(tuple(y.shape), torch.allclose(y, io['y'], rtol=1e-10, atol=1e-12))\n"
        "if hasattr(m, 'extras'):\n"
        "    print(sorted(m.extras(io['x'])), "
        "torch.allclose(m.extras(io['x'])['theta'], io['theta'], rtol=1e-10, atol=1e-12))\n";
    std::ofstream(scratch() / "check.py") << script;
    const auto outcome = run_in(scratch(), "/usr/bin/python3 check.py");
    ASSERT_EQ(outcome.code, 0) << outcome.err;
    const std::string expected =
        "(6, " + std::to_string(c.outputs) + ") True\n" +
        (c.plugin == "senn" ? "['concepts', 'constant_concepts', 'reconstruction', 'theta'] True\n"
                            : "");
    EXPECT_EQ(outcome.out, expected);
  }
}

/// The quickstart's data and a small MLP, trained for a few epochs, scored by MSE at every
/// test point; `model` replaces the [model] table.
std::string pipeline(const std::string& model) {
  return R"([run]
seed = 3
trials = 2

[data]
format = "builtin"
generator = "friedman1"
samples = 120
split = [0.5, 0.25, 0.25]

)" + model +
         R"(
[train]
max_epochs = 3

[[metric]]
plugin = "mse"
)";
}

/// metrics_points.csv's value column.
std::vector<double> point_values(const fs::path& run) {
  std::istringstream csv(slurp(run / "metrics_points.csv"));
  std::string line;
  std::getline(csv, line);
  std::vector<double> values;
  while (std::getline(csv, line)) values.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  return values;
}

xreg::testing::Outcome run_xreg(const std::string& text, const std::string& output) {
  std::ofstream(scratch() / (output + ".toml")) << text;
  return run_in(scratch(), "env -u XREG_PLUGIN_PATH '" XREG_APP "' run " + output +
                               ".toml --output " + output + " --quiet");
}

TEST(ModelExport, ARunLeavesEachTrialsModelWhichALaterPipelineScoresAgain) {
  const auto trained = run_xreg(pipeline("[model]\nplugin = \"mlp\"\nhidden = [8]\n"), "trained");
  ASSERT_EQ(trained.code, 0) << trained.err;
  for (const char* file : {"trial-0.pt", "trial-1.pt"}) {
    EXPECT_TRUE(fs::exists(scratch() / "trained" / "models" / file)) << file;
  }
  EXPECT_NE(slurp(scratch() / "trained" / "report.html").find("models/trial-1.pt"),
            std::string::npos);
  // Trial 0's model on trial 0's split (same seed): the same MSE at every test point.
  const std::string reload = "[model]\nplugin = \"torchscript\"\npath = '" +
                             (scratch() / "trained" / "models" / "trial-0.pt").string() + "'\n";
  std::string text = pipeline(reload);
  text.replace(text.find("trials = 2"), 10, "trials = 1");
  const auto scored = run_xreg(text, "scored");
  ASSERT_EQ(scored.code, 0) << scored.err;
  const std::vector<double> original = point_values(scratch() / "trained");
  const std::vector<double> again = point_values(scratch() / "scored");
  ASSERT_EQ(again.size() * 2, original.size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_NEAR(again[i], original[i], 1e-6 * (1 + original[i])) << "point " << i;
  }
}

}  // namespace
