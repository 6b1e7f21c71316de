#pragma once
// Creating built-in plugins in tests: the registry of the build tree's plugins and parameter
// sets with the schema's defaults filled in.

#include <algorithm>
#include <memory>
#include <string>

#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/registry.hpp"

namespace xreg::testing {

/// The registry of every plugin built in this tree (loaded once per test program).
inline const Registry& built_plugins() {
  static const std::unique_ptr<Registry> registry = [] {
    auto r = std::make_unique<Registry>();
    r->load_directory(XREG_PLUGIN_BUILD_DIR);
    return r;
  }();
  return *registry;
}

/// Throws ConfigError "KEY: expected ..., found ..." when `value` breaks the choices or bounds
/// of `param`, as the host's validation of a pipeline file does.
inline void check_as_the_host_does(const ParamSchema& param, const Params::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    if (!param.choices.empty() &&
        std::find(param.choices.begin(), param.choices.end(), *text) == param.choices.end()) {
      throw ConfigError(param.name + ": expected one of the choices, found '" + *text + "'");
    }
  }
  if (const auto violation = bound_violation(param, value)) {
    throw ConfigError(param.name + ": " + violation->message);
  }
}

/// The plugin's defaults with `overrides` applied, each checked against the schema's choices
/// and bounds.
inline Params params_for(xreg_kind kind, const std::string& name, const Params& overrides = {}) {
  const PluginInfo* info = built_plugins().find(kind, name);
  if (!info) throw std::runtime_error("plugin '" + name + "' was not built");
  Params params;
  for (const auto& p : info->schema) {
    if (p.default_value) params.set(p.name, *p.default_value);
  }
  for (const auto& [key, value] : overrides.values()) {
    for (const auto& p : info->schema) {
      if (p.name == key) check_as_the_host_does(p, value);
    }
    params.set(key, value);
  }
  return params;
}

template <class T>
std::shared_ptr<T> make_plugin(const std::string& name, const Params& overrides = {}) {
  return built_plugins().create<T>(name, params_for(T::kind, name, overrides));
}

}  // namespace xreg::testing
