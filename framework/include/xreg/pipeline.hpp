#pragma once
/// Pipeline files: one TOML file describes one experiment. The whole file is validated
/// against the host's section schemas and the plugins' schemas before any work starts; every
/// mistake is reported as "FILE:LINE:COLUMN: what was expected, what was found".

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "xreg/registry.hpp"
#include "xreg/schema.hpp"

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

/// Schemas of the host's sections and of the host's keys inside plugin slots.
const Schema& run_schema();
const Schema& train_schema();
const Schema& regularizer_slot_schema();  ///< weight, weight_mode, batch_size, name
const Schema& labeled_slot_schema();      ///< name: explainer slots
const Schema& metric_slot_schema();       ///< name, explainers: metric slots

/// What reports call a slot: its `name`, or the plugin's name when that is empty.
std::string slot_label(const PluginConfig& slot);

/// Parses `path` and applies `overrides` ("train.lr=1e-4", "regularizer[0].weight=0.1").
/// Throws ConfigError with FILE:LINE:COLUMN for a syntax error, or naming the override.
toml::table read_pipeline_file(const std::string& path, const std::vector<std::string>& overrides);

/// The same for pipeline text held in memory; `source_name` stands for the file in messages.
toml::table parse_pipeline_text(const std::string& text, const std::string& source_name,
                                const std::vector<std::string>& overrides);

/// [run] plugin_path of a parsed file, resolved against `base_dir`.
std::vector<std::string> pipeline_plugin_paths(const toml::table& table,
                                               const std::string& base_dir);

/// Validates the whole file against the host's and the plugins' schemas and fills in every
/// default. Throws ConfigError "FILE:LINE:COLUMN: ..." on the first mistake.
Pipeline validate_pipeline(const toml::table& table, const std::string& file,
                           const Registry& registry);

/// The resolved pipeline as TOML text: every key of every section and slot with its value.
std::string resolved_toml(const Pipeline& pipeline);

}  // namespace xreg
