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
  /// Metric slots: whether the metric scores explanations, and the labels of the explainers
  /// whose explanations it scores (decided while validating, from the kinds of explanation
  /// explainers give and the metric accepts).
  bool scores_explanations = false;
  std::vector<std::string> scored_explainers;
};

struct Pipeline {
  std::string file;      ///< the pipeline file as given
  std::string base_dir;  ///< its folder: relative paths in the file are resolved against it
  Params run, data, train;
  Params find_another;  ///< [find_another]: iterations (0: off) and threshold
  PluginConfig model;
  std::vector<PluginConfig> regularizers, explainers, metrics;
};

/// What reports call a slot: its `name`, or the plugin's name when that is empty.
std::string slot_label(const PluginConfig& slot);

/// Validates the whole document against the host's and the plugins' schemas (types, choices,
/// bounds), fills in every default, then constructs every slot's plugin once, so that a value a
/// plugin refuses is reported before any work, and checks that each metric can score the
/// explanations of the explainers it scores. A document with [sweep] is refused: each of its
/// points is a pipeline (sweep.hpp). Throws ConfigError "FILE:LINE:COLUMN: ..." on the
/// first mistake, RunError when a plugin misbehaves (XREG_PLUGIN_BUG).
Pipeline validate_pipeline(const PipelineDocument& document, const Registry& registry);

}  // namespace xreg
