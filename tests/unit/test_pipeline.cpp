// Pipeline files: parsing, overrides, validation against the host's and the plugins' schemas
// with FILE:LINE:COLUMN messages, defaults, and the resolved file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config/document_access.hpp"
#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/config/resolved_toml.hpp"
#include "xreg/host/config/sweep.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

namespace fs = std::filesystem;

using Strings = std::vector<std::string>;

/// The plugins built with the project: models mlp and torchscript, metrics mse and accuracy.
const Registry& plugins() {
  static const Registry* registry = [] {
    auto* loaded = new Registry;  // never unloaded: plugin code may run until exit
    loaded->load_directory(XREG_PLUGIN_BUILD_DIR);
    return loaded;
  }();
  return *registry;
}

Pipeline validate(const std::string& text, const Strings& overrides = {}) {
  return validate_pipeline(parse_pipeline_text(text, "p.toml", overrides), plugins());
}

/// The message of the ConfigError that parsing or validating `text` throws, or "no error".
std::string error_of(const std::string& text, const Strings& overrides = {}) {
  try {
    validate(text, overrides);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

const std::string kMlp = "[model]\nplugin = \"mlp\"\n";

// ---------------------------------------------------------------------------------------------
// Defaults and the host's schemas.

TEST(HostSchemas, DeclareTheDocumentedKeysAndDefaults) {
  const Params run = validate(kMlp).run;
  EXPECT_EQ(run.integer("seed"), 0);
  EXPECT_EQ(run.integer("trials"), 1);
  // Relative to the pipeline file's folder, like every path in it.
  EXPECT_EQ(run.string("output"), (fs::absolute(".") / "runs/xreg").lexically_normal().string());
  EXPECT_TRUE(run.strings("plugin_path").empty());
  EXPECT_EQ(run.string("device"), "cpu");
  EXPECT_EQ(run.string("dtype"), "float32");
  EXPECT_EQ(run.integer("threads"), 0);
  EXPECT_EQ(run.integer("max_rows_per_pass"), 32768);
  EXPECT_EQ(run_schema()[5].choices, (Strings{"float32", "float64"}));

  const Params train = validate(kMlp).train;
  EXPECT_TRUE(train.boolean("enabled"));
  EXPECT_EQ(train.string("optimizer"), "adam");
  EXPECT_DOUBLE_EQ(train.real("lr"), 0.001);
  EXPECT_EQ(train.real("momentum"), 0.0);
  EXPECT_EQ(train.real("weight_decay"), 0.0);
  EXPECT_EQ(train.integer("batch_size"), 128);
  EXPECT_EQ(train.integer("max_epochs"), 1000);
  EXPECT_EQ(train.integer("min_epochs"), 50);
  EXPECT_EQ(train.integer("patience"), 50);
  EXPECT_EQ(train.real("tol"), 0.0);
  EXPECT_TRUE(train.boolean("restore_best"));

  const Schema& slot = regularizer_slot_schema();
  ASSERT_EQ(slot.size(), 5u);
  EXPECT_EQ(slot[0].name, "weight");
  EXPECT_EQ(slot[0].default_value, Params::Value(1.0));
  EXPECT_EQ(slot[1].choices, (Strings{"absolute", "relative"}));
  EXPECT_EQ(slot[2].default_value, Params::Value(int64_t{16}));
  EXPECT_EQ(slot[3].choices, (Strings{"separate", "minibatch"}));
  EXPECT_EQ(slot[4].name, "name");
  for (const Schema* schema : {&run_schema(), &train_schema(), &slot}) {
    for (const ParamSchema& param : *schema) EXPECT_FALSE(param.doc.empty()) << param.name;
  }
}

TEST(ValidatePipeline, FillsEveryDefault) {
  const Pipeline pipeline = validate(kMlp);
  EXPECT_EQ(pipeline.file, "p.toml");
  EXPECT_EQ(pipeline.base_dir, ".");
  EXPECT_EQ(pipeline.run.values().size(), run_schema().size());
  EXPECT_EQ(pipeline.train.values().size(), train_schema().size());
  EXPECT_EQ(pipeline.data.values().size(), data_schema().size());
  EXPECT_EQ(pipeline.model.plugin, "mlp");
  EXPECT_EQ(pipeline.model.params.integers("hidden"), (std::vector<int64_t>{100, 100}));
  EXPECT_DOUBLE_EQ(pipeline.model.params.real("negative_slope"), 0.2);
  EXPECT_TRUE(pipeline.model.host.values().empty());
  EXPECT_EQ(pipeline.model.where, "p.toml:1:1");
  EXPECT_TRUE(pipeline.regularizers.empty());
  EXPECT_TRUE(pipeline.explainers.empty());
  EXPECT_TRUE(pipeline.metrics.empty());
}

TEST(ValidatePipeline, ReadsValuesAndSlots) {
  const Pipeline pipeline = validate(
      "[run]\nseed = 3\n\n[train]\nlr = 1\noptimizer = \"sgd\"\n\n"
      "[model]\nplugin = \"mlp\"\nhidden = [7]\n\n"
      "[[metric]]\nplugin = \"mse\"\n\n[[metric]]\nplugin = \"accuracy\"\n");
  EXPECT_EQ(pipeline.run.integer("seed"), 3);
  EXPECT_EQ(pipeline.train.real("lr"), 1.0);  // an integer where a float is expected
  EXPECT_EQ(pipeline.train.string("optimizer"), "sgd");
  EXPECT_EQ(pipeline.model.params.integers("hidden"), (std::vector<int64_t>{7}));
  ASSERT_EQ(pipeline.metrics.size(), 2u);
  EXPECT_EQ(pipeline.metrics[0].plugin, "mse");
  EXPECT_EQ(pipeline.metrics[1].plugin, "accuracy");
  EXPECT_EQ(pipeline.metrics[1].where, "p.toml:15:1");
}

TEST(ValidatePipeline, BaseDirIsTheFilesFolder) {
  const PipelineDocument document = parse_pipeline_text(kMlp, "cfg/exp/p.toml", {});
  EXPECT_EQ(document.base_dir(), "cfg/exp");
  EXPECT_EQ(validate_pipeline(document, plugins()).base_dir, "cfg/exp");
}

// ---------------------------------------------------------------------------------------------
// Mistakes, each at its FILE:LINE:COLUMN.

TEST(ValidatePipeline, UnknownKeySuggestsTheClosestKey) {
  EXPECT_EQ(error_of(kMlp + "\n[train]\nlrr = 0.1\n"),
            "p.toml:5:1: unknown key 'lrr' in [train]; did you mean 'lr'?");
  EXPECT_EQ(error_of(kMlp + "hiden = [3]\n"),
            "p.toml:3:1: unknown key 'hiden' in [model] (plugin 'mlp'); did you mean 'hidden'?");
}

TEST(ValidatePipeline, UnknownKeyWithoutCloseMatchListsTheKnownKeys) {
  EXPECT_EQ(
      error_of(kMlp + "\n[run]\n  colour = 1\n"),
      "p.toml:5:3: unknown key 'colour' in [run] (known keys: seed, trials, output, "
      "plugin_path, device, dtype, threads, prototypes, max_rows_per_pass, max_values_per_pass, "
      "parallel, checkpoint_every, timeout)");
}

TEST(ValidatePipeline, UnknownTopLevelTable) {
  EXPECT_EQ(error_of(kMlp + "[modle]\n"),
            "p.toml:3:2: unknown table 'modle'; did you mean 'model'?");
  EXPECT_EQ(error_of("grid = 1\n" + kMlp),
            "p.toml:1:1: unknown table 'grid' (known tables: run, data, train, model, "
            "regularizer, explainer, metric, find_another)");
}

TEST(ValidatePipeline, WrongType) {
  EXPECT_EQ(error_of(kMlp + "\n[train]\nlr = \"fast\"\n"),
            "p.toml:5:6: [train] lr: expected a float, found a string");
  EXPECT_EQ(error_of(kMlp + "\n[train]\nbatch_size = 1.5\n"),
            "p.toml:5:14: [train] batch_size: expected an integer, found a float");
  EXPECT_EQ(error_of(kMlp + "\n[train]\nenabled = 1\n"),
            "p.toml:5:11: [train] enabled: expected a bool, found an integer");
  EXPECT_EQ(error_of(kMlp + "hidden = 5\n"),
            "p.toml:3:10: [model] hidden: expected a list of integers, found an integer");
}

TEST(ValidatePipeline, WrongListElementIsReportedAtTheElement) {
  EXPECT_EQ(error_of(kMlp + "hidden = [10, \"x\"]\n"),
            "p.toml:3:15: [model] hidden: expected a list of integers, found a list "
            "containing a string");
  EXPECT_EQ(error_of("[run]\nplugin_path = [\"a\", 2]\n" + kMlp),
            "p.toml:2:21: [run] plugin_path: expected a list of strings, found a list "
            "containing an integer (write it as \"2\")");
}

TEST(ValidatePipeline, AnIntegerWhereAStringIsExpectedIsReadAsItsDigits) {
  const Pipeline pipeline = validate("[data]\ntarget = 4\npositive = 1\n" + kMlp);
  EXPECT_EQ(pipeline.data.string("target"), "4");
  EXPECT_EQ(pipeline.data.string("positive"), "1");
  EXPECT_EQ(error_of(kMlp + "\n[train]\noptimizer = 3\n"),
            "p.toml:5:13: [train] optimizer: expected one of adam|sgd, found '3'");
  EXPECT_EQ(error_of("[data]\npath = 7\n" + kMlp),
            "p.toml:2:8: [data] path: expected a path, found an integer");
}

TEST(ValidatePipeline, StringChoices) {
  EXPECT_EQ(error_of(kMlp + "\n[train]\noptimizer = \"adm\"\n"),
            "p.toml:5:13: [train] optimizer: expected one of adam|sgd, found 'adm'");
  EXPECT_EQ(validate("[run]\ndtype = \"float64\"\n" + kMlp).run.string("dtype"), "float64");
}

TEST(ValidatePipeline, MissingRequiredKeyIsReportedAtTheTable) {
  const std::string message = error_of("\n\n[model]\nplugin = \"torchscript\"\n");
  EXPECT_TRUE(starts_with(message, "p.toml:3:1: [model] missing required key 'path' (path: "))
      << message;
  EXPECT_EQ(error_of("[model]\nhidden = [1]\n"),
            "p.toml:1:1: [model] missing required key 'plugin' (string: the name of the model "
            "plugin)");
  // A path is resolved against the pipeline file's folder before the plugin, constructed while
  // validating, sees it: a missing file is found then, at the slot.
  const std::string missing = error_of("[model]\nplugin = \"torchscript\"\npath = \"net.pt\"\n");
  EXPECT_TRUE(starts_with(missing, "p.toml:1:1: [model] 'torchscript': ")) << missing;
  EXPECT_NE(missing.find("model file '" + (fs::current_path() / "net.pt").string() +
                         "': cannot open: No such file or directory"),
            std::string::npos)
      << missing;
  EXPECT_EQ(missing.find("errno"), std::string::npos) << missing;
}

TEST(ValidatePipeline, MissingModelTable) {
  EXPECT_TRUE(starts_with(error_of("[train]\nlr = 0.1\n"), "p.toml:1:1: missing [model] table"));
}

TEST(ValidatePipeline, UnknownPluginSuggestsTheClosestName) {
  const std::string message = error_of("[model]\nplugin = \"mpl\"\n");
  EXPECT_TRUE(starts_with(message,
                          "p.toml:2:10: unknown model plugin 'mpl'; did you mean 'mlp'? (known "
                          "models: "))
      << message;
  EXPECT_NE(message.find("mlp, senn, torchscript"), std::string::npos) << message;
  EXPECT_TRUE(starts_with(error_of(kMlp + "[[explainer]]\nplugin = \"no_such_explainer\"\n"),
                          "p.toml:4:10: unknown explainer plugin 'no_such_explainer'"));
}

TEST(ValidatePipeline, PluginOfAnotherKind) {
  EXPECT_EQ(error_of("[model]\nplugin = \"mse\"\n"),
            "p.toml:2:10: 'mse' is a metric plugin, not a model plugin");
  EXPECT_EQ(error_of(kMlp + "[[metric]]\nplugin = \"mlp\"\n"),
            "p.toml:4:10: 'mlp' is a model plugin, not a metric plugin");
}

TEST(ValidatePipeline, SectionThatIsNotATable) {
  EXPECT_EQ(error_of("model = 3\n"), "p.toml:1:9: [model]: expected a table, found an integer");
  EXPECT_EQ(error_of("train = \"x\"\n" + kMlp),
            "p.toml:1:9: [train]: expected a table, found a string");
  EXPECT_EQ(error_of(kMlp + "[metric]\nplugin = \"mse\"\n"),
            "p.toml:3:1: metric: expected an array of tables ([[metric]]), found a table");
  EXPECT_EQ(error_of("metric = [1]\n" + kMlp),
            "p.toml:1:11: metric[0]: expected a table, found an integer");
}

TEST(ParsePipelineText, SyntaxErrorCarriesThePosition) {
  const std::string message = error_of("[model]\nplugin = \"mlp\nhidden = [1]\n");
  EXPECT_TRUE(starts_with(message, "p.toml:2:")) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_TRUE(starts_with(error_of("[model\n"), "p.toml:1:")) << error_of("[model\n");
}

TEST(FirstLine, KeepsTheFirstLineWithoutTrailingSpace) {
  EXPECT_EQ(first_line("p.toml:1:2: bad \t\nmore\n"), "p.toml:1:2: bad");
  EXPECT_EQ(first_line("one line"), "one line");
  EXPECT_EQ(first_line("  \n"), "");
  EXPECT_EQ(first_line(""), "");
}

// ---------------------------------------------------------------------------------------------
// Files.

TEST(ReadPipelineFile, MissingFile) {
  try {
    read_pipeline_file("/no/such/dir/p.toml", {});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "/no/such/dir/p.toml: cannot read pipeline file: No such file or directory");
  }
}

TEST(ReadPipelineFile, Directory) {
  const std::string folder = std::filesystem::temp_directory_path().string();
  try {
    read_pipeline_file(folder, {});
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.what(), folder + ": cannot read pipeline file: it is a directory");
  }
}

TEST(ReadPipelineFile, ReadsTheFileAndNamesItInMessages) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("xreg_test_pipeline_" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  const std::string file = (folder / "p.toml").string();
  std::ofstream(file) << kMlp << "\n[train]\nlr = \"fast\"\n";
  const PipelineDocument document = read_pipeline_file(file, {"run.seed=4"});
  EXPECT_EQ(document.file(), file);
  try {
    validate_pipeline(document, plugins());
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.what(), file + ":5:6: [train] lr: expected a float, found a string");
  }
  const Pipeline pipeline =
      validate_pipeline(read_pipeline_file(file, {"train.lr=0.5"}), plugins());
  EXPECT_EQ(pipeline.base_dir, folder.string());
  EXPECT_EQ(pipeline.train.real("lr"), 0.5);
  std::filesystem::remove_all(folder);
}

TEST(PipelinePluginPaths, ResolvesAgainstTheBaseDir) {
  const std::string text = "[run]\nplugin_path = [\"plugins\", \"/opt/xreg\", \"../shared\"]\n";
  EXPECT_EQ(parse_pipeline_text(text, "cfg/p.toml", {}).plugin_paths(),
            (Strings{"cfg/plugins", "/opt/xreg", "shared"}));
  EXPECT_EQ(parse_pipeline_text(text, "p.toml", {}).plugin_paths(),
            (Strings{"plugins", "/opt/xreg", "../shared"}));
  EXPECT_TRUE(parse_pipeline_text(kMlp, "p.toml", {}).plugin_paths().empty());
}

// ---------------------------------------------------------------------------------------------
// Overrides.

TEST(Overrides, TakePrecedenceOverTheFileAndEarlierOverrides) {
  const std::string text = kMlp + "\n[train]\nlr = 0.1\n";
  EXPECT_EQ(validate(text, {"train.lr=1e-4"}).train.real("lr"), 1e-4);
  EXPECT_EQ(validate(text, {"train.lr=0.5", "train.lr = 0.25"}).train.real("lr"), 0.25);
  EXPECT_EQ(validate(text).train.real("lr"), 0.1);
}

TEST(Overrides, ParseTomlValuesAndFallBackToStrings) {
  const Pipeline pipeline =
      validate("[model]\nplugin = \"mlp\"\n",
               {"model.hidden=[4, 2]", "run.output=runs/today", "data.drop_missing=true",
                "run.device=cuda:0", "data.header=\"no\"", "data.split=[0.6, 0.2, 0.2]"});
  EXPECT_EQ(pipeline.model.params.integers("hidden"), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(pipeline.run.string("output"), (fs::current_path() / "runs/today").string());
  EXPECT_TRUE(pipeline.data.boolean("drop_missing"));
  EXPECT_EQ(pipeline.run.string("device"), "cuda:0");
  EXPECT_EQ(pipeline.data.string("header"), "no");
  EXPECT_EQ(pipeline.data.reals("split"), (std::vector<double>{0.6, 0.2, 0.2}));
}

TEST(Overrides, CreateTablesAndArrayEntries) {
  const Pipeline pipeline =
      validate("", {"model.plugin=mlp", "model.hidden=[5, 6]", "metric[0].plugin=mse",
                    "metric[1]={ plugin = \"accuracy\" }", "run.seed=7"});
  EXPECT_EQ(pipeline.model.params.integers("hidden"), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(pipeline.model.where, "--set model");
  ASSERT_EQ(pipeline.metrics.size(), 2u);
  EXPECT_EQ(pipeline.metrics[0].plugin, "mse");
  EXPECT_EQ(pipeline.metrics[1].plugin, "accuracy");
  EXPECT_EQ(pipeline.run.integer("seed"), 7);
}

TEST(Overrides, ReachIntoArraysOfTables) {
  const PipelineDocument document = parse_pipeline_text(
      "[[regularizer]]\nplugin = \"a\"\nweight = 1.0\n\n[[regularizer]]\nplugin = \"b\"\n",
      "p.toml", {"regularizer[1].weight=0.1", "regularizer[0].plugin=c"});
  const toml::table& table = PipelineDocumentAccess::table(document);
  EXPECT_EQ(table["regularizer"][0]["weight"].value<double>(), 1.0);
  EXPECT_EQ(table["regularizer"][0]["plugin"].value<std::string>(), "c");
  EXPECT_EQ(table["regularizer"][1]["weight"].value<double>(), 0.1);
  EXPECT_EQ(table["regularizer"].as_array()->size(), 2u);
}

TEST(Overrides, MalformedOverridesAreRejected) {
  const std::string expected = "expected KEY=VALUE with KEY like train.lr or regularizer[0].weight";
  EXPECT_EQ(error_of(kMlp, {"train.lr"}), "--set 'train.lr': " + expected + "; there is no '='");
  EXPECT_EQ(error_of(kMlp, {"=1"}), "--set '=1': " + expected + "; the key is empty");
  EXPECT_EQ(error_of(kMlp, {"train..lr=1"}),
            "--set 'train..lr=1': " + expected + "; '' is not a key or key[index]");
  EXPECT_EQ(
      error_of(kMlp, {"metric[x].plugin=mse"}),
      "--set 'metric[x].plugin=mse': " + expected + "; 'metric[x]' is not a key or key[index]");
  EXPECT_EQ(error_of(kMlp, {"metric[1].plugin=mse"}),
            "--set 'metric[1].plugin=mse': " + expected +
                "; 'metric' has 0 entries, so the index can be at most 0");
  EXPECT_EQ(error_of(kMlp + "hidden = [1]\n", {"model.hidden.x=1"}),
            "--set 'model.hidden.x=1': " + expected + "; 'hidden' is not a table");
  EXPECT_EQ(error_of(kMlp, {"model[0].x=1"}),
            "--set 'model[0].x=1': " + expected + "; 'model' is not an array of tables");
}

TEST(Overrides, MistakesInOverriddenValuesNameTheOverride) {
  EXPECT_EQ(error_of(kMlp, {"train.lr=\"fast\""}),
            "--set train.lr: [train] lr: expected a float, found a string");
  EXPECT_EQ(error_of(kMlp, {"train.lrr=1"}),
            "--set train.lrr: unknown key 'lrr' in [train]; did you mean 'lr'?");
  EXPECT_EQ(error_of(kMlp, {"model.hidden=[1, \"a\"]"}),
            "--set model.hidden: [model] hidden: expected a list of integers, found a list "
            "containing a string");
  EXPECT_TRUE(starts_with(error_of("", {"model.plugin=torchscript"}),
                          "--set model: [model] missing required key 'path'"));
  EXPECT_TRUE(starts_with(error_of(kMlp, {"model.plugin=mpl"}),
                          "--set model.plugin: unknown model plugin 'mpl'; did you mean 'mlp'?"));
  EXPECT_EQ(error_of(kMlp, {"train=3"}),
            "--set train: [train]: expected a table, found an integer");
  // The file's own mistakes keep their positions.
  EXPECT_EQ(error_of(kMlp + "\n[train]\nlr = \"x\"\n", {"train.batch_size=3"}),
            "p.toml:5:6: [train] lr: expected a float, found a string");
}

// ---------------------------------------------------------------------------------------------
// Resolved files.

TEST(ResolvedToml, ParsesBackToTheSameParams) {
  const Pipeline pipeline = validate(
      "[run]\ntrials = 3\noutput = 'out \"dir\"\\\\x'\n\n[train]\nlr = 3e-4\noptimizer = \"sgd\"\n"
      "weight_decay = 1\n\n[model]\nplugin = \"mlp\"\nhidden = [7, 3]\nnegative_slope = 0.1\n\n"
      "[[metric]]\nplugin = \"mse\"\n\n[[metric]]\nplugin = \"accuracy\"\n");
  const std::string text = resolved_toml(pipeline);
  const Pipeline again =
      validate_pipeline(parse_pipeline_text(text, "resolved.toml", {}), plugins());
  EXPECT_EQ(again.run.values(), pipeline.run.values()) << text;
  EXPECT_EQ(again.data.values(), pipeline.data.values()) << text;
  EXPECT_EQ(again.train.values(), pipeline.train.values()) << text;
  EXPECT_EQ(again.model.plugin, "mlp");
  EXPECT_EQ(again.model.params.values(), pipeline.model.params.values()) << text;
  ASSERT_EQ(again.metrics.size(), 2u);
  EXPECT_EQ(again.metrics[1].plugin, "accuracy");
  EXPECT_EQ(again.metrics[1].params.values(), pipeline.metrics[1].params.values());
  EXPECT_NE(text.find("\n[train]\nenabled = true\noptimizer = \"sgd\"\nlr = 0.0003\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weight_decay = 1.0\n"), std::string::npos) << text;
}

TEST(ResolvedToml, WritesSlotsWithPluginThenHostKeysThenPluginKeys) {
  Pipeline pipeline = validate(kMlp);
  PluginConfig slot;
  slot.plugin = "expo";
  slot.host.set("weight", 0.5);
  slot.host.set("weight_mode", std::string("relative"));
  slot.host.set("batch_size", int64_t{16});
  slot.host.set("name", std::string("smooth"));
  slot.params.set("sigma", 0.25);
  pipeline.regularizers.push_back(slot);
  const std::string text = resolved_toml(pipeline);
  EXPECT_NE(text.find("\n[model]\nplugin = \"mlp\"\nhidden = [100, 100]\ninit = "
                      "\"glorot_uniform\"\ninit_scale = 0.1\nnegative_slope = 0.2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n[[regularizer]]\nplugin = \"expo\"\nweight = 0.5\nweight_mode = "
                      "\"relative\"\nbatch_size = 16\nname = \"smooth\"\nsigma = 0.25\n"),
            std::string::npos)
      << text;
  const PipelineDocument document = parse_pipeline_text(text, "resolved.toml", {});
  const toml::table& table = PipelineDocumentAccess::table(document);
  EXPECT_EQ(table["regularizer"][0]["sigma"].value<double>(), 0.25);
}

}  // namespace
}  // namespace xreg

namespace xreg {
namespace {

TEST(ValidatePipeline, ReportsTheFirstUnknownKeyInFileOrder) {
  EXPECT_EQ(error_of("[model]\nplugin = \"mlp\"\n\n[train]\nzeta = 1\nalpha = 2\n"),
            "p.toml:5:1: unknown key 'zeta' in [train] (known keys: enabled, optimizer, lr, "
            "momentum, weight_decay, batch_size, shuffle, loss_reduction, max_epochs, min_epochs, "
            "patience, tol, restore_best)");
}

}  // namespace
}  // namespace xreg

namespace xreg {
namespace {

TEST(ValidatePipeline, SlotsOfAKindNeedDistinctLabels) {
  const std::string twice =
      "[model]\nplugin = \"mlp\"\n\n[[metric]]\nplugin = \"mse\"\n\n"
      "[[metric]]\nplugin = \"mse\"\n";
  EXPECT_EQ(error_of(twice),
            "p.toml:7:1: a second [[metric]] labelled 'mse'; set name = \"...\" on one of them");
  const Pipeline named = validate(twice + "name = \"mse_again\"\n");
  EXPECT_EQ(slot_label(named.metrics[0]), "mse");
  EXPECT_EQ(slot_label(named.metrics[1]), "mse_again");
}

}  // namespace
}  // namespace xreg

namespace xreg {
namespace {

TEST(ValidatePipeline, AMetricNamesOnlyExplainersThatExist) {
  const std::string text =
      "[model]\nplugin = \"mlp\"\n\n[[metric]]\nplugin = \"mse\"\n"
      "explainers = [\"lime\"]\n";
  EXPECT_EQ(error_of(text),
            "p.toml:4:1: [[metric]] 'mse' names explainer 'lime', which no [[explainer]] is "
            "labelled");
}

// ---------------------------------------------------------------------------------------------
// Bounds, reported at the value (or the list element) that breaks them.

TEST(ValidatePipeline, AnInclusiveMinimumOfAHostKey) {
  EXPECT_EQ(error_of("[run]\ntrials = 0\n" + kMlp),
            "p.toml:2:10: [run] trials: expected a value >= 1, found 0");
}

TEST(ValidatePipeline, AnExclusiveMinimumOfAHostKey) {
  EXPECT_EQ(error_of(kMlp + "\n[train]\nlr = 0\n"),
            "p.toml:5:6: [train] lr: expected a value > 0.0, found 0.0");
}

TEST(ValidatePipeline, AnExclusiveMaximumOfAHostKey) {
  EXPECT_EQ(error_of(kMlp + "\n[train]\nmomentum = 1.0\n"),
            "p.toml:5:12: [train] momentum: expected a value >= 0.0 and < 1.0, found 1.0");
}

TEST(ValidatePipeline, ABoundOfAListIsReportedAtTheElement) {
  EXPECT_EQ(error_of("[data]\nsplit = [0.5, 1.5, 0.0]\n" + kMlp),
            "p.toml:2:15: [data] split: expected values >= 0.0 and <= 1.0, found 1.5 (element 1)");
  EXPECT_EQ(error_of(kMlp + "hidden = [10, 0]\n"),
            "p.toml:3:15: [model] hidden: expected values > 0, found 0 (element 1)");
}

TEST(ValidatePipeline, APluginsBoundsAreReportedAtTheValue) {
  EXPECT_EQ(error_of(kMlp + "\n[[explainer]]\nplugin = \"lime\"\nsamples = 1\n"),
            "p.toml:6:11: explainer[0] samples: expected a value >= 2, found 1");
  EXPECT_EQ(error_of(kMlp + "\n[[explainer]]\nplugin = \"maple\"\nmax_features = 1.5\n"),
            "p.toml:6:16: explainer[0] max_features: expected a value > 0.0 and <= 1.0, found 1.5");
  EXPECT_EQ(error_of("[model]\nplugin = \"cnn\"\nchannels = []\n"),
            "p.toml:3:12: [model] channels: expected a non-empty list, found an empty list");
}

TEST(ValidatePipeline, AnOverrideOutOfBoundsNamesTheOverride) {
  EXPECT_EQ(error_of(kMlp, {"train.batch_size=0"}),
            "--set train.batch_size: [train] batch_size: expected a value >= 1, found 0");
}

// ---------------------------------------------------------------------------------------------
// Validation by construction, and which explainers each metric scores.

TEST(ValidatePipeline, ConstructsEverySlotAndReportsARefusalAtTheSlot) {
  const std::string message = error_of("[model]\nplugin = \"cnn\"\nkernels = [3, 3]\n");
  EXPECT_TRUE(starts_with(message, "p.toml:1:1: [model] 'cnn': model plugin 'cnn' (")) << message;
  EXPECT_NE(message.find("create failed: channels, kernels and strides: expected one value each"),
            std::string::npos)
      << message;
}

const std::string kExplainers =
    kMlp + "\n[[explainer]]\nplugin = \"lime\"\n\n[[explainer]]\nplugin = \"saliency\"\n";

TEST(ValidatePipeline, AMetricScoresOnlyTheExplainersOfKindsItAccepts) {
  const Pipeline pipeline = validate(kExplainers +
                                     "\n[[metric]]\nplugin = \"point_fidelity\"\n"
                                     "\n[[metric]]\nplugin = \"stability\"\n"
                                     "\n[[metric]]\nplugin = \"mse\"\n");
  ASSERT_EQ(pipeline.metrics.size(), 3u);
  EXPECT_TRUE(pipeline.metrics[0].scores_explanations);
  EXPECT_EQ(pipeline.metrics[0].scored_explainers, (Strings{"lime"}));
  EXPECT_EQ(pipeline.metrics[1].scored_explainers, (Strings{"lime", "saliency"}));
  EXPECT_FALSE(pipeline.metrics[2].scores_explanations);
  EXPECT_TRUE(pipeline.metrics[2].scored_explainers.empty());
}

TEST(ValidatePipeline, AMetricNamingAnExplainerItCannotScoreIsRefused) {
  EXPECT_EQ(error_of(kExplainers +
                     "\n[[metric]]\nplugin = \"point_fidelity\"\nexplainers = [\"saliency\"]\n"),
            "p.toml:10:1: [[metric]] 'point_fidelity' scores linear or concept explanations, but "
            "explainer "
            "'saliency' gives attribution explanations");
}

TEST(ValidatePipeline, AMetricOfExplanationsNeedsAnExplainerItCanScore) {
  EXPECT_EQ(error_of(kMlp + "\n[[metric]]\nplugin = \"stability\"\n"),
            "p.toml:4:1: [[metric]] 'stability' scores explanations; add an [[explainer]]");
  EXPECT_EQ(error_of(kMlp + "\n[[explainer]]\nplugin = \"saliency\"\n\n[[metric]]\n"
                            "plugin = \"neighborhood_fidelity\"\n"),
            "p.toml:7:1: [[metric]] 'neighborhood_fidelity' scores explanations; no explainer "
            "gives them ('saliency' gives attribution explanations)");
}

TEST(ValidatePipeline, AMetricOfTheModelTakesNoExplainers) {
  EXPECT_EQ(error_of(kExplainers + "\n[[metric]]\nplugin = \"mse\"\nexplainers = [\"lime\"]\n"),
            "p.toml:10:1: [[metric]] 'mse' scores the model, not explanations; remove its "
            "explainers key");
}

}  // namespace
}  // namespace xreg

// ---------------------------------------------------------------------------------------------
// [sweep]: a grid of pipelines.

namespace xreg {
namespace {

std::vector<SweepPoint> points_of(const std::string& text, const Strings& overrides = {}) {
  return sweep_points(parse_pipeline_text(text, "p.toml", overrides));
}

std::string sweep_error(const std::string& text) {
  try {
    const PipelineDocument document = parse_pipeline_text(text, "p.toml", {});
    for (const SweepPoint& point : sweep_points(document)) {
      validate_pipeline(at_sweep_point(document, point), plugins());
    }
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

const std::string kGrid = kMlp + R"(
[[regularizer]]
plugin = "l2"

[sweep]
"train.lr" = [0.1, 0.01]
"regularizer[0].weight" = [1.0, 2.0, 3.0]
)";

TEST(Sweep, TheGridIsEveryCombinationInFileOrderTheLastKeyFastest) {
  const std::vector<SweepPoint> points = points_of(kGrid);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(sweep_label(points[0]), "train.lr = 0.1, regularizer[0].weight = 1");
  EXPECT_EQ(sweep_label(points[1]), "train.lr = 0.1, regularizer[0].weight = 2");
  EXPECT_EQ(sweep_label(points[5]), "train.lr = 0.01, regularizer[0].weight = 3");
  EXPECT_EQ(points[4].settings[1].index, 1u);
}

TEST(Sweep, APointIsThePipelineWithItsValuesSet) {
  const PipelineDocument document = parse_pipeline_text(kGrid, "p.toml", {"train.lr=0.5"});
  const std::vector<SweepPoint> points = sweep_points(document);
  const Pipeline point = validate_pipeline(at_sweep_point(document, points[5]), plugins());
  EXPECT_DOUBLE_EQ(point.train.real("lr"), 0.01);  // the sweep's value wins over --set
  EXPECT_DOUBLE_EQ(point.regularizers.at(0).host.real("weight"), 3.0);
  const Pipeline alone = validate(kMlp + "[[regularizer]]\nplugin = \"l2\"\n",
                                  {"train.lr=0.01", "regularizer[0].weight=3.0"});
  EXPECT_EQ(resolved_toml(point), resolved_toml(alone));
}

TEST(Sweep, AFileWithoutSweepHasNoPoints) { EXPECT_TRUE(points_of(kMlp).empty()); }

TEST(Sweep, AValueTheSchemaRefusesIsReportedWhereTheSweepWritesIt) {
  EXPECT_EQ(sweep_error(kMlp + "[sweep]\n\"train.lr\" = [0.1, -1.0]\n"),
            "p.toml:4:20: [train] lr: expected a value > 0.0, found -1.0");
}

TEST(Sweep, RefusesWhatIsNotAGridAtItsPosition) {
  EXPECT_EQ(sweep_error(kMlp + "[sweep]\n\"train.lr\" = []\n"),
            "p.toml:4:14: [sweep] 'train.lr': expected a non-empty array of the values to try, "
            "found an empty array");
  EXPECT_EQ(sweep_error(kMlp + "[sweep]\n\"train.lr\" = 0.1\n"),
            "p.toml:4:14: [sweep] 'train.lr': expected a non-empty array of the values to try, "
            "found a float");
  EXPECT_TRUE(starts_with(sweep_error(kMlp + "[sweep]\n\"train..lr\" = [1]\n"),
                          "p.toml:4:15: [sweep] key 'train..lr': expected a key like train.lr"));
  EXPECT_TRUE(starts_with(sweep_error("sweep = 3\n" + kMlp),
                          "p.toml:1:9: [sweep]: expected a "
                          "table of keys"));
  EXPECT_TRUE(starts_with(sweep_error(kMlp + "[sweep]\n\"sweep.x\" = [1]\n"),
                          "p.toml:4:13: [sweep] key 'sweep.x'"));
}

TEST(Sweep, ValidatingTheWholeGridAsOnePipelineIsRefused) {
  EXPECT_TRUE(starts_with(error_of(kGrid), "p.toml:7:1: [sweep] is a grid of pipelines"))
      << error_of(kGrid);
}

}  // namespace
}  // namespace xreg
