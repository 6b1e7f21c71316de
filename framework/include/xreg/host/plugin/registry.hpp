#pragma once
/// Plugin loading and the registry of every plugin the host knows.
///
/// Loading checks a library's C descriptor before any C++ call: the entry point, the magic
/// number, the ABI version, the LibTorch version, the C++ ABI tag, each entry's kind and
/// schema. Objects created through the registry keep their library loaded while they live.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xreg/host/plugin/schema.hpp"
#include "xreg/sdk/abi.h"
#include "xreg/sdk/params.hpp"
#include "xreg/sdk/plugin.hpp"

namespace xreg {

/// "model", "regularizer", "explainer", "metric".
const char* kind_name(xreg_kind kind);
/// The kind named `name`; throws ConfigError for an unknown name.
xreg_kind kind_from_name(const std::string& name);
/// xreg_explanation_kind bits in words: "linear", "linear or attribution".
std::string explanation_kinds_text(uint32_t kinds);

class LoadedLibrary;

/// What the registry knows of one plugin.
struct PluginInfo {
  xreg_kind kind = XREG_KIND_MODEL;
  std::string name;
  std::string version;
  std::string summary;
  Schema schema;
  std::string library_path;
  std::string build_stamp;  ///< "sdk 1.1.0; torch 1.13.0; cxx11=1;gxx=1017; gcc ..."
  /// xreg_explanation_kind bits the entry declares: given (explainers; 0: any) or scored
  /// (metrics; 0: the metric scores the model, not explanations).
  uint32_t explanation_kinds = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Loads one plugin library and registers its entries. Throws PluginLoadError naming the
  /// file, what was expected and what was found. An entry of the same kind and name as one
  /// loaded from another folder replaces it, with a warning (later search paths override
  /// earlier ones); from the same folder it is refused.
  void load_library(const std::string& path);

  /// Loads every `*.so` in `directory` (not recursively), in name order. A file that is not an
  /// xreg plugin — not a shared library, or one without the `xreg_plugin_library` symbol, as its
  /// symbol table tells before anything is loaded — is skipped with a warning; a library that
  /// exports the entry point is loaded and checked, and refused if it fails.
  void load_directory(const std::string& directory);

  /// Where warnings (skipped libraries, overridden plugins) go, one line each. Default: stderr.
  void set_warning_sink(std::function<void(const std::string&)> sink);

  /// The plugin of `kind` called `name`, or nullptr.
  const PluginInfo* find(xreg_kind kind, const std::string& name) const;
  /// The plugin called `name` of any kind, or nullptr (the first kind in enum order).
  const PluginInfo* find_any(const std::string& name) const;
  /// Every plugin, sorted by kind then name.
  std::vector<const PluginInfo*> list() const;

  /// Creates an object of plugin (`kind`, `name`) from validated params. The returned
  /// pointer's deleter destroys it through its library and keeps the library loaded until
  /// then. Throws ConfigError with the plugin's kind, name and message when the plugin refuses
  /// the parameters, RunError when it reports its own bug (XREG_PLUGIN_BUG).
  std::shared_ptr<Plugin> create(xreg_kind kind, const std::string& name,
                                 const Params& params) const;

  template <class T>
  std::shared_ptr<T> create(const std::string& name, const Params& params) const {
    return std::static_pointer_cast<T>(create(T::kind, name, params));
  }

 private:
  struct Entry;
  std::map<std::pair<int, std::string>, std::shared_ptr<Entry>> entries_;
  std::vector<std::shared_ptr<LoadedLibrary>> libraries_;
  std::function<void(const std::string&)> warn_;
};

/// The directories searched for plugins, in order: the installed plugin directory (relative
/// to the running executable), XREG_PLUGIN_PATH (colon-separated), then `extra`. Never the
/// working directory implicitly.
std::vector<std::string> plugin_search_path(const std::vector<std::string>& extra);

}  // namespace xreg
