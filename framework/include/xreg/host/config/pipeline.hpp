#pragma once
/// Pipeline files: one TOML file describes one experiment. The whole file is validated
/// against the host's section schemas and the plugins' schemas before any work starts; every
/// mistake is reported as "FILE:LINE:COLUMN: what was expected, what was found".

#include <string>
#include <vector>

#include "xreg/host/config/document.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/host/plugin/schema.hpp"

namespace xreg {

/// One plugin slot of a pipeline: [model], or an entry of [[regularizer]], [[explainer]],
/// [[metric]].
struct PluginConfig {
  std::string plugin;  ///< the plugin's name
  Params params;       ///< the plugin's own parameters, validated, defaults filled in
  Params host;         ///< the host's keys of this slot (regularizer weight, ...)
  std::string where;   ///< "FILE:LINE:COLUMN" of the slot, for messages
};

struct Pipeline {
  std::string file;      ///< the pipeline file as given
  std::string base_dir;  ///< its folder: relative paths in the file are resolved against it
  Params run, data, train;
  PluginConfig model;
  std::vector<PluginConfig> regularizers, explainers, metrics;
};

/// What reports call a slot: its `name`, or the plugin's name when that is empty.
std::string slot_label(const PluginConfig& slot);

/// Validates the whole document against the host's and the plugins' schemas and fills in every
/// default. Throws ConfigError "FILE:LINE:COLUMN: ..." on the first mistake.
Pipeline validate_pipeline(const PipelineDocument& document, const Registry& registry);

}  // namespace xreg
