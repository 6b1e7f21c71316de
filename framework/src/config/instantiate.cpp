/// The last step of validation: every slot's plugin is constructed once from its validated
/// parameters, so that a value the plugin itself refuses is reported at the slot before any
/// work; and each metric slot learns which explainers it scores, from the explanation kinds
/// that explainers give and metrics accept.

#include "config/instantiate.hpp"

#include <algorithm>

#include "text.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// "[[explainer]] 'lime'": a slot as messages name it.
std::string slot_text(xreg_kind kind, const PluginConfig& slot) {
  if (kind == XREG_KIND_MODEL) return "[model] '" + slot.plugin + "'";
  return "[[" + std::string(kind_name(kind)) + "]] '" + slot_label(slot) + "'";
}

/// The slot's object, or a ConfigError at the slot naming why its plugin refused the values.
/// A plugin's own bug (RunError) passes as it is: the user's file is not at fault.
std::shared_ptr<Plugin> construct(xreg_kind kind, const PluginConfig& slot,
                                  const Registry& registry) {
  try {
    return registry.create(kind, slot.plugin, slot.params);
  } catch (const PluginLoadError&) {
    throw;
  } catch (const ConfigError& error) {
    throw ConfigError(slot.where + ": " + slot_text(kind, slot) + ": " + error.what());
  }
}

/// Whether a metric accepting `metric` kinds can score an explainer giving `explainer` kinds;
/// an undeclared side (0) accepts or gives anything.
bool compatible(const PluginInfo& metric, const PluginInfo& explainer) {
  if (explainer.explanation_kinds == 0) return true;
  return (metric.explanation_kinds & explainer.explanation_kinds) != 0;
}

/// Which explainers the metric of `slot` scores: those it names, each of a kind it accepts,
/// or, when it names none, every explainer of a kind it accepts.
std::vector<std::string> scored_explainers(const PluginConfig& slot, const PluginInfo& metric,
                                           const Pipeline& pipeline, const Registry& registry) {
  const std::vector<std::string>& named = slot.host.strings("explainers");
  std::vector<std::string> scored, refused;
  for (const PluginConfig& explainer : pipeline.explainers) {
    const std::string label = slot_label(explainer);
    const bool wanted = named.empty() || std::count(named.begin(), named.end(), label) > 0;
    if (!wanted) continue;
    const PluginInfo& info = *registry.find(XREG_KIND_EXPLAINER, explainer.plugin);
    if (compatible(metric, info)) {
      scored.push_back(label);
      continue;
    }
    const std::string refusal =
        "'" + label + "' gives " + explanation_kinds_text(info.explanation_kinds) + " explanations";
    if (!named.empty()) {
      throw ConfigError(slot.where + ": " + slot_text(XREG_KIND_METRIC, slot) + " scores " +
                        explanation_kinds_text(metric.explanation_kinds) +
                        " explanations, but explainer " + refusal);
    }
    refused.push_back(refusal);
  }
  if (scored.empty()) {
    const std::string reason = pipeline.explainers.empty()
                                   ? "add an [[explainer]]"
                                   : "no explainer gives them (" + joined(refused, "; ") + ")";
    throw ConfigError(slot.where + ": " + slot_text(XREG_KIND_METRIC, slot) +
                      " scores explanations; " + reason);
  }
  return scored;
}

/// Decides what the metric slot scores, from the explanation kinds its entry declares.
void plan_metric(PluginConfig& slot, const Pipeline& pipeline, const Registry& registry) {
  const PluginInfo& info = *registry.find(XREG_KIND_METRIC, slot.plugin);
  slot.scores_explanations = info.explanation_kinds != 0;
  if (slot.scores_explanations) {
    slot.scored_explainers = scored_explainers(slot, info, pipeline, registry);
  } else if (!slot.host.strings("explainers").empty()) {
    throw ConfigError(slot.where + ": " + slot_text(XREG_KIND_METRIC, slot) +
                      " scores the model, not explanations; remove its explainers key");
  }
}

}  // namespace

void instantiate_slots(Pipeline& pipeline, const Registry& registry) {
  construct(XREG_KIND_MODEL, pipeline.model, registry);
  for (const PluginConfig& slot : pipeline.regularizers) {
    construct(XREG_KIND_REGULARIZER, slot, registry);
  }
  for (const PluginConfig& slot : pipeline.explainers) {
    construct(XREG_KIND_EXPLAINER, slot, registry);
  }
  for (PluginConfig& slot : pipeline.metrics) {
    construct(XREG_KIND_METRIC, slot, registry);
    plan_metric(slot, pipeline, registry);
  }
}

}  // namespace xreg
