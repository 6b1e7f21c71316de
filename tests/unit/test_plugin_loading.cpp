// The host's refusals of broken plugin libraries: one fixture per failure mode, each refused
// with one line naming the file, what was expected and what was found.
#include <gtest/gtest.h>
#include <torch/version.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/sdk/abi.h"
#include "xreg/sdk/model.hpp"
#include "xreg/sdk/version.h"

namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  const std::string dir = name == "method_throws"    ? "/loadable"
                          : name == "param_type_bug" ? "/buggy"
                                                     : "";
  return std::string(XREG_FIXTURE_DIR) + dir + "/lib" + name + ".so";
}

/// A fresh, empty folder under the test's temporary directory.
fs::path scratch_folder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("xreg_test_plugin_loading_" + name);
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

/// A registry whose warnings are collected in `warnings`.
std::unique_ptr<xreg::Registry> registry_warning_into(std::vector<std::string>& warnings) {
  auto registry = std::make_unique<xreg::Registry>();
  registry->set_warning_sink([&warnings](const std::string& line) { warnings.push_back(line); });
  return registry;
}

/// The message of the PluginLoadError that loading `name` raises ("" when none is raised).
std::string refusal(const std::string& name) {
  xreg::Registry registry;
  try {
    registry.load_library(fixture(name));
  } catch (const xreg::PluginLoadError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    EXPECT_EQ(message.rfind("plugin '" + fixture(name) + "': ", 0), 0u) << message;
    return message;
  }
  return "";
}

TEST(PluginLoading, RefusesALibraryWithoutEntryPoint) {
  EXPECT_NE(refusal("no_entry_point").find("no entry point 'xreg_plugin_library'"),
            std::string::npos);
}

TEST(PluginLoading, RefusesBadMagic) {
  const auto message = refusal("bad_magic");
  EXPECT_NE(message.find("bad magic number 0x0000000000001234; expected 0x58524547504C5547"),
            std::string::npos)
      << message;
}

/// "MAJOR.MINOR" of this host's plugin ABI, offset as the fixtures offset theirs.
std::string abi(int major_offset = 0, int minor_offset = 0) {
  return std::to_string(XREG_ABI_MAJOR + major_offset) + "." +
         std::to_string(XREG_ABI_MINOR + minor_offset);
}

TEST(PluginLoading, RefusesAnotherAbiMajor) {
  const auto message = refusal("abi_major_mismatch");
  EXPECT_NE(message.find("built for plugin ABI " + abi(1) + " but this host uses ABI " + abi()),
            std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesANewerAbiMinor) {
  const auto message = refusal("abi_minor_newer");
  EXPECT_NE(
      message.find("built for plugin ABI " + abi(0, 3) + ", newer than this host's ABI " + abi()),
      std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesAnotherLibTorch) {
  const auto message = refusal("torch_version_mismatch");
  EXPECT_NE(message.find("built with LibTorch 2.3.1 but this host uses " TORCH_VERSION
                         "; rebuild the plugin with the host's LibTorch"),
            std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesAnotherCxxAbi) {
  const auto message = refusal("cxx_abi_mismatch");
  EXPECT_NE(message.find("built with C++ ABI 'cxx11=0;gxx=1002' but this host uses 'cxx11="),
            std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesAnotherSdkMajor) {
  const auto message = refusal("sdk_major_mismatch");
  EXPECT_NE(message.find("built with xreg SDK 4.0.0, whose random streams and row layout differ "
                         "from this host's SDK " XREG_SDK_VERSION),
            std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesAPluginOfThePreviousAbiMajor) {
  const auto message = refusal("abi_2_4");
  EXPECT_NE(message.find("built for plugin ABI 2.4 but this host uses ABI " + abi() +
                         "; rebuild the plugin against this host's SDK"),
            std::string::npos)
      << message;
}

TEST(PluginLoading, ReportsAPluginBugAsARunErrorNamingBothTypes) {
  xreg::Registry registry;
  registry.load_library(fixture("param_type_bug"));
  xreg::Params params;
  params.set("count", int64_t{3});
  try {
    registry.create(XREG_KIND_METRIC, "param_type_bug", params);
    FAIL() << "create succeeded";
  } catch (const xreg::ConfigError& e) {
    FAIL() << "a plugin bug was reported as a configuration error: " << e.what();
  } catch (const xreg::RunError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "plugin bug: parameter 'count' was read as a float but holds an integer"),
              std::string::npos)
        << e.what();
  }
}

/// Loads `folder` with a copy of the mse plugin added, checks that mse loaded, and returns the
/// warnings about the folder's other files.
std::vector<std::string> warnings_loading_beside_mse(const fs::path& folder) {
  fs::copy_file(std::string(XREG_PLUGIN_BUILD_DIR) + "/libxreg_mse.so", folder / "libxreg_mse.so");
  std::vector<std::string> warnings;
  auto registry = registry_warning_into(warnings);
  registry->load_directory(folder.string());
  EXPECT_NE(registry->find(XREG_KIND_METRIC, "mse"), nullptr);
  return warnings;
}

TEST(PluginLoading, SkipsALibraryThatIsNotAPluginWithAWarning) {
  const fs::path folder = scratch_folder("not_a_plugin");
  fs::copy_file(fixture("no_entry_point"), folder / "libhelper.so");
  std::ofstream(folder / "notes.so") << "not a library\n";
  const std::vector<std::string> warnings = warnings_loading_beside_mse(folder);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("libhelper.so': no entry point 'xreg_plugin_library'"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("notes.so': not a shared library (its ELF headers cannot be read)"),
            std::string::npos)
      << warnings[1];
}

TEST(PluginLoading, SkipsALinkThatLoopsOrDanglesWithAWarning) {
  const fs::path folder = scratch_folder("links");
  fs::create_symlink(folder / "libloop.so", folder / "libloop.so");
  fs::create_symlink(folder / "gone.so", folder / "libdangling.so");
  const std::vector<std::string> warnings = warnings_loading_beside_mse(folder);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("libdangling.so': "), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("libloop.so': Too many levels of symbolic links"), std::string::npos)
      << warnings[1];
}

TEST(PluginLoading, StillRefusesALibraryThatClaimsToBeAPluginInAFolder) {
  const fs::path folder = scratch_folder("claims");
  fs::copy_file(fixture("bad_magic"), folder / "libbad_magic.so");
  xreg::Registry registry;
  EXPECT_THROW(registry.load_directory(folder.string()), xreg::PluginLoadError);
}

TEST(PluginLoading, ALaterFolderOverridesAPluginOfTheSameNameWithAWarning) {
  const fs::path installed = scratch_folder("installed"), mine = scratch_folder("mine");
  const std::string mse = std::string(XREG_PLUGIN_BUILD_DIR) + "/libxreg_mse.so";
  fs::copy_file(mse, installed / "libxreg_mse.so");
  fs::copy_file(mse, mine / "libmy_mse.so");
  std::vector<std::string> warnings;
  auto registry = registry_warning_into(warnings);
  registry->load_directory(installed.string());
  registry->load_directory(mine.string());
  const xreg::PluginInfo* info = registry->find(XREG_KIND_METRIC, "mse");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->library_path, (mine / "libmy_mse.so").string());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "metric plugin 'mse' from '" + (mine / "libmy_mse.so").string() +
                             "' overrides the one from '" +
                             (installed / "libxreg_mse.so").string() + "'");
}

TEST(PluginLoading, RefusesAnUnknownKind) {
  const auto message = refusal("unknown_kind");
  EXPECT_NE(message.find("entry 'unknown_kind' has unknown kind 7; expected 1 (model)"),
            std::string::npos)
      << message;
}

TEST(PluginLoading, RefusesADuplicateNameNamingBothLibraries) {
  xreg::Registry registry;
  registry.load_library(fixture("duplicate_name_a"));
  try {
    registry.load_library(fixture("duplicate_name_b"));
    FAIL() << "the second library was accepted";
  } catch (const xreg::PluginLoadError& e) {
    EXPECT_EQ(std::string(e.what()), "plugin '" + fixture("duplicate_name_b") +
                                         "': metric 'duplicate_name' is already "
                                         "provided by '" +
                                         fixture("duplicate_name_a") +
                                         "' in the same folder; remove one of the two libraries");
  }
}

TEST(PluginLoading, ReportsACreateFailureWithThePluginsMessage) {
  xreg::Registry registry;
  registry.load_library(fixture("create_fails"));
  try {
    registry.create(XREG_KIND_METRIC, "create_fails", xreg::Params{});
    FAIL() << "create succeeded";
  } catch (const xreg::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "metric plugin 'create_fails' (" + fixture("create_fails") +
                                         "): create failed: weights file 'missing.bin' not found");
  }
}

TEST(PluginLoading, WrapsAnExceptionFromAPluginMethod) {
  xreg::Registry registry;
  registry.load_library(fixture("method_throws"));
  auto model = registry.create<xreg::Model>("method_throws", xreg::Params{});
  try {
    model->forward(torch::zeros({2, 3}));
    FAIL() << "forward did not throw";
  } catch (const xreg::RunError& e) {
    EXPECT_EQ(std::string(e.what()), "model plugin 'method_throws' (" + fixture("method_throws") +
                                         "): forward failed: deliberate failure in forward");
  }
}

TEST(PluginLoading, RefusesAFileThatIsNotALibrary) {
  xreg::Registry registry;
  const std::string path = std::string(XREG_SOURCE_DIR) + "/CMakeLists.txt";
  try {
    registry.load_library(path);
    FAIL() << "a text file was loaded";
  } catch (const xreg::PluginLoadError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("plugin '" + path + "': cannot load the library: ", 0), 0u) << message;
    // The dynamic loader's reason only: not Boost.DLL's wrapping, nor an errno text
    // ("Bad file descriptor") that belongs to no call of ours.
    EXPECT_NE(message.find("invalid ELF header"), std::string::npos) << message;
    EXPECT_EQ(message.find("Bad file descriptor"), std::string::npos) << message;
    EXPECT_EQ(message.find("boost::dll"), std::string::npos) << message;
  }
}

TEST(PluginLoading, LoadsTheBuiltInPluginsWithTheirSchemas) {
  xreg::Registry registry;
  registry.load_directory(XREG_PLUGIN_BUILD_DIR);
  const xreg::PluginInfo* mlp = registry.find(XREG_KIND_MODEL, "mlp");
  ASSERT_NE(mlp, nullptr);
  EXPECT_EQ(mlp->version, "1.2.0");
  ASSERT_EQ(mlp->schema.size(), 4u);
  EXPECT_EQ(mlp->schema[0].name, "hidden");
  EXPECT_EQ(std::get<std::vector<int64_t>>(*mlp->schema[0].default_value),
            (std::vector<int64_t>{100, 100}));
  EXPECT_NE(registry.find(XREG_KIND_METRIC, "mse"), nullptr);
  EXPECT_EQ(registry.find(XREG_KIND_METRIC, "mlp"), nullptr);
  EXPECT_NE(mlp->build_stamp.find("torch " TORCH_VERSION), std::string::npos);
}

TEST(PluginLoading, ObjectsKeepTheirLibraryAliveAfterTheRegistryIsGone) {
  std::shared_ptr<xreg::Model> model;
  {
    xreg::Registry registry;
    registry.load_directory(XREG_PLUGIN_BUILD_DIR);
    xreg::Params params;
    params.set("hidden", std::vector<int64_t>{4});
    params.set("negative_slope", 0.2);
    params.set("init", std::string("glorot_uniform"));
    params.set("init_scale", 0.1);
    model = registry.create<xreg::Model>("mlp", params);
  }
  model->build(xreg::ModelShape{{3}, 2, xreg::Task::regression}, xreg::Context{});
  EXPECT_EQ(model->forward(torch::ones({5, 3})).sizes(), (torch::IntArrayRef{5, 2}));
}

}  // namespace
