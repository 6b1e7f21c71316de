// The torchscript model plugin on the shared housing model trained in PyTorch.
#include <gtest/gtest.h>

#include "data_test_support.hpp"
#include "plugin_test_support.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/predict.hpp"

namespace {

using xreg::testing::have_shared;
using xreg::testing::make_plugin;
using xreg::testing::shared_path;

std::shared_ptr<xreg::Model> housing_model(bool trainable = false) {
  xreg::Params p;
  p.set("path", shared_path("models/housing_mlp.pt"));
  p.set("trainable", trainable);
  auto model = make_plugin<xreg::Model>("torchscript", p);
  model->build(xreg::ModelShape{{12}, 1, xreg::Task::regression}, xreg::Context{});
  return model;
}

xreg::Dataset housing_test_split() {
  xreg::Params p;
  p.set("test", shared_path("models/housing_test.csv"));
  p.set("header", std::string("no"));
  p.set("standardize", std::string("none"));
  return xreg::load_splits(xreg::testing::data_params(p), ".", 0, 0, torch::kFloat).test;
}

TEST(TorchScript, ReproducesTheHousingModelsTestMse) {
  if (!have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "../shared is not there";
  auto model = housing_model();
  auto test = housing_test_split();
  ASSERT_EQ(test.size(), 127);
  auto prediction = xreg::predict(*model, test.points, xreg::Context{});
  const double mse = (prediction - test.points.y).pow(2).mean().item<double>();
  EXPECT_NEAR(mse, 0.12108204208690516, 1e-5);  // housing_mlp_meta.json
}

TEST(TorchScript, IsNotTrainedUnlessAsked) {
  if (!have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "../shared is not there";
  EXPECT_FALSE(housing_model()->trainable());
  EXPECT_TRUE(housing_model()->parameters().empty());
  EXPECT_EQ(housing_model(true)->parameters().size(), 6u);
  EXPECT_EQ(housing_model()->state().size(), 6u);
}

TEST(TorchScript, RefusesAFileThatIsNotTorchScript) {
  xreg::Params p;
  p.set("path", std::string(XREG_SOURCE_DIR) + "/CMakeLists.txt");
  try {
    make_plugin<xreg::Model>("torchscript", p);
    FAIL() << "a text file was accepted";
  } catch (const xreg::ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("model file '" + std::string(XREG_SOURCE_DIR) +
                           "/CMakeLists.txt': not a loadable TorchScript file"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(TorchScript, RefusesDataOfAnotherShape) {
  if (!have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "../shared is not there";
  xreg::Params p;
  p.set("path", shared_path("models/housing_mlp.pt"));
  auto model = make_plugin<xreg::Model>("torchscript", p);
  EXPECT_THROW(model->build(xreg::ModelShape{{12}, 3, xreg::Task::regression}, xreg::Context{}),
               xreg::PluginRefusal);
}

TEST(TorchScript, NamesBothWidthsWhenTheDataAreWider) {
  if (!have_shared("models/housing_mlp.pt")) GTEST_SKIP() << "../shared is not there";
  xreg::Params p;
  p.set("path", shared_path("models/housing_mlp.pt"));
  auto model = make_plugin<xreg::Model>("torchscript", p);
  try {
    model->build(xreg::ModelShape{{13}, 1, xreg::Task::regression}, xreg::Context{});
    FAIL() << "a model of 12 inputs was built for points of 13";
  } catch (const xreg::PluginRefusal& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot take the data's points [13] (its first weight matrix takes 12)"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("The following operation failed"), std::string::npos) << message;
  }
}

}  // namespace
