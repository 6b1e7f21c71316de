/// Validation of a whole pipeline file: the host's sections, the plugin slots with their
/// plugins' schemas, and the checks across slots.

#include <algorithm>
#include <optional>

#include "config/diagnostics.hpp"
#include "config/document_access.hpp"
#include "config/instantiate.hpp"
#include "config/schema_keys.hpp"
#include "config/sections.hpp"
#include "text.hpp"
#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

std::string kind_plural(xreg_kind kind) { return std::string(kind_name(kind)) + "s"; }

/// The plugin that the slot's `plugin` key names, or a ConfigError at that key.
const PluginInfo& find_slot_plugin(const toml::table& table, xreg_kind kind, const Section& section,
                                   const Registry& registry, const Locator& locator) {
  const toml::node* node = table.get(kPluginKey);
  const std::string path = section.key_path(kPluginKey);
  if (node == nullptr) {
    locator.fail(table.source(), section.path,
                 section.label + " missing required key 'plugin' (string: the name of the " +
                     kind_name(kind) + " plugin)");
  }
  const std::optional<std::string> name = node->value_exact<std::string>();
  if (!name) {
    locator.fail(node->source(), path,
                 section.label + " plugin: expected a string, found " + found_text(*node));
  }
  if (const PluginInfo* info = registry.find(kind, *name)) return *info;
  if (const PluginInfo* other = registry.find_any(*name)) {
    locator.fail(node->source(), path,
                 "'" + *name + "' is " + with_article(kind_name(other->kind)) + " plugin, not " +
                     with_article(kind_name(kind)) + " plugin");
  }
  std::vector<std::string> known;
  for (const PluginInfo* info : registry.list()) {
    if (info->kind == kind) known.push_back(info->name);
  }
  const std::optional<std::string> match = closest_match(*name, known);
  const std::string listing =
      known.empty() ? " (no " + kind_plural(kind) + " are loaded)"
                    : " (known " + kind_plural(kind) + ": " + joined(known, ", ") + ")";
  locator.fail(node->source(), path,
               "unknown " + std::string(kind_name(kind)) + " plugin '" + *name + "'" +
                   (match ? did_you_mean(*match) : "") + listing);
}

/// A plugin parameter named like a host key of its slot could never be set: the plugin is
/// unusable until it renames it.
void check_no_reserved_names(const PluginInfo& info, const std::vector<std::string>& host_keys,
                             const toml::node& plugin_node, const std::string& path,
                             const Locator& locator) {
  for (const ParamSchema& param : info.schema) {
    if (std::find(host_keys.begin(), host_keys.end(), param.name) == host_keys.end()) continue;
    throw PluginLoadError(locator.where(plugin_node.source(), path) + ": " + kind_name(info.kind) +
                          " plugin '" + info.name + "' (" + info.library_path +
                          ") declares parameter '" + param.name + "', a key the host reserves in " +
                          kind_name(info.kind) + " slots; the plugin must rename it");
  }
}

/// One plugin slot: the plugin, its parameters and the slot's host keys, defaults filled in.
PluginConfig read_slot(const toml::node& node, xreg_kind kind, const Schema& host_schema,
                       const std::string& label, const std::string& path, const Registry& registry,
                       const Locator& locator) {
  const toml::table& table = as_section_table(node, label, path, locator);
  const Section section{label, path, &table, path};
  const PluginInfo& info = find_slot_plugin(table, kind, section, registry, locator);
  std::vector<std::string> known = names_of(host_schema);
  known.insert(known.begin(), kPluginKey);
  check_no_reserved_names(info, known, *table.get(kPluginKey), section.key_path(kPluginKey),
                          locator);
  const std::vector<std::string> plugin_keys = names_of(info.schema);
  known.insert(known.end(), plugin_keys.begin(), plugin_keys.end());
  check_keys(table, known, "key", " in " + label + " (plugin '" + info.name + "')", section,
             locator);
  PluginConfig config;
  config.plugin = info.name;
  config.host = read_params(table, host_schema, section, locator);
  config.params = read_params(table, info.schema, section, locator);
  config.where = locator.where(table.source(), path);
  return config;
}

/// The slots of an array of tables ([[regularizer]], ...); none when the key is absent.
std::vector<PluginConfig> read_slots(const toml::table& root, const std::string& name,
                                     xreg_kind kind, const Schema& host_schema,
                                     const Registry& registry, const Locator& locator) {
  std::vector<PluginConfig> slots;
  const toml::node* node = root.get(name);
  if (node == nullptr) return slots;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    locator.fail(
        node->source(), name,
        name + ": expected an array of tables ([[" + name + "]]), found " + found_text(*node));
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string path = name + "[" + std::to_string(i) + "]";
    slots.push_back(read_slot((*array)[i], kind, host_schema, path, path, registry, locator));
  }
  return slots;
}

/// Every explainer a metric names exists.
void check_metric_explainers(const Pipeline& pipeline) {
  for (const auto& metric : pipeline.metrics) {
    for (const auto& wanted : metric.host.strings("explainers")) {
      const bool found = std::any_of(
          pipeline.explainers.begin(), pipeline.explainers.end(),
          [&](const PluginConfig& explainer) { return slot_label(explainer) == wanted; });
      if (!found) {
        throw ConfigError(metric.where + ": [[metric]] '" + slot_label(metric) +
                          "' names explainer '" + wanted + "', which no [[explainer]] is labelled");
      }
    }
  }
}

/// Reports and random streams tell slots apart by label: two slots of a kind may not share one.
void check_unique_labels(const std::vector<PluginConfig>& slots, const std::string& kind) {
  for (size_t i = 0; i < slots.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (slot_label(slots[i]) == slot_label(slots[j])) {
        throw ConfigError(slots[i].where + ": a second [[" + kind + "]] labelled '" +
                          slot_label(slots[i]) + "'; set name = \"...\" on one of them");
      }
    }
  }
}

/// Find-another-explanation trains a model per iteration: it needs training.
void check_find_another(const Pipeline& pipeline, const toml::table& root, const Locator& locator) {
  if (pipeline.find_another.integer("iterations") == 0 || pipeline.train.boolean("enabled")) return;
  const toml::node* section = root.get("find_another");
  const toml::table* table = section ? section->as_table() : nullptr;
  const toml::node* iterations = table ? table->get("iterations") : nullptr;
  const toml::node& at = iterations ? *iterations : section ? *section : root;
  locator.fail(
      at.source(), "find_another.iterations",
      "[find_another] iterations = " + std::to_string(pipeline.find_another.integer("iterations")) +
          " trains a model per iteration, but [train] enabled = false; set "
          "iterations = 0 or enable training");
}

}  // namespace

std::string slot_label(const PluginConfig& slot) {
  const std::string& name = slot.host.string("name");
  return name.empty() ? slot.plugin : name;
}

Pipeline validate_pipeline(const PipelineDocument& document, const Registry& registry) {
  static const std::vector<std::string> kSections = {
      "run", "data", "train", "model", "regularizer", "explainer", "metric", "find_another"};
  const toml::table& table = PipelineDocumentAccess::table(document);
  const Locator locator(document.file());
  if (const toml::node* sweep = table.get("sweep")) {
    locator.fail(sweep->source(), "sweep",
                 "[sweep] is a grid of pipelines: validate each of its points (sweep_points and "
                 "at_sweep_point in xreg/host/config/sweep.hpp), as xreg run and validate do");
  }
  check_keys(table, kSections, "table", "", Section{"", "", &table, ""}, locator);

  Pipeline pipeline;
  pipeline.file = document.file();
  pipeline.base_dir = document.base_dir();
  pipeline.run = read_host_section(table, "run", run_schema(), locator);
  pipeline.data = read_host_section(table, "data", data_schema(), locator);
  pipeline.train = read_host_section(table, "train", train_schema(), locator);
  pipeline.find_another = read_host_section(table, "find_another", find_another_schema(), locator);
  check_find_another(pipeline, table, locator);
  const toml::node* model = table.get("model");
  if (model == nullptr) {
    locator.fail(table.source(), "",
                 "missing [model] table: it names the model plugin and its parameters");
  }
  pipeline.model =
      read_slot(*model, XREG_KIND_MODEL, no_host_keys(), "[model]", "model", registry, locator);
  pipeline.regularizers = read_slots(table, "regularizer", XREG_KIND_REGULARIZER,
                                     regularizer_slot_schema(), registry, locator);
  pipeline.explainers =
      read_slots(table, "explainer", XREG_KIND_EXPLAINER, labeled_slot_schema(), registry, locator);
  pipeline.metrics =
      read_slots(table, "metric", XREG_KIND_METRIC, metric_slot_schema(), registry, locator);
  check_unique_labels(pipeline.regularizers, "regularizer");
  check_unique_labels(pipeline.explainers, "explainer");
  check_unique_labels(pipeline.metrics, "metric");
  check_metric_explainers(pipeline);
  instantiate_slots(pipeline, registry);
  return pipeline;
}

}  // namespace xreg
