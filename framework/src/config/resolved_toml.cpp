#include "xreg/host/config/resolved_toml.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

#include "config/schema_keys.hpp"
#include "text.hpp"
#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

void write_key_value(std::ostream& out, const std::string& key, const Params::Value& value) {
  out << (is_bare_key(key) ? key : to_toml_text(key)) << " = " << to_toml_text(value) << "\n";
}

/// Writes the keys of `params` named in `order` first, in that order, then the others.
void write_params(std::ostream& out, const Params& params, const Schema& order) {
  const std::vector<std::string> ordered = names_of(order);
  for (const std::string& key : ordered) {
    if (params.has(key)) write_key_value(out, key, params.values().at(key));
  }
  for (const auto& [key, value] : params.values()) {
    if (std::find(ordered.begin(), ordered.end(), key) == ordered.end()) {
      write_key_value(out, key, value);
    }
  }
}

void write_slot(std::ostream& out, const std::string& header, const PluginConfig& slot,
                const Schema& host_schema) {
  out << "\n" << header << "\n";
  write_key_value(out, kPluginKey, slot.plugin);
  write_params(out, slot.host, host_schema);
  write_params(out, slot.params, no_host_keys());
}

}  // namespace

std::string resolved_toml(const Pipeline& pipeline) {
  std::ostringstream out;
  out << "# Resolved pipeline of " << first_line(pipeline.file)
      << ": every key with its value, defaults filled in.\n";
  out << "\n[run]\n";
  write_params(out, pipeline.run, run_schema());
  out << "\n[data]\n";
  write_params(out, pipeline.data, data_schema());
  out << "\n[train]\n";
  write_params(out, pipeline.train, train_schema());
  // Written when the mode is on: a file without the table reads back the same.
  if (pipeline.find_another.has("iterations") && pipeline.find_another.integer("iterations") > 0) {
    out << "\n[find_another]\n";
    write_params(out, pipeline.find_another, find_another_schema());
  }
  write_slot(out, "[model]", pipeline.model, no_host_keys());
  for (const PluginConfig& slot : pipeline.regularizers) {
    write_slot(out, "[[regularizer]]", slot, regularizer_slot_schema());
  }
  for (const PluginConfig& slot : pipeline.explainers) {
    write_slot(out, "[[explainer]]", slot, labeled_slot_schema());
  }
  for (const PluginConfig& slot : pipeline.metrics) {
    write_slot(out, "[[metric]]", slot, metric_slot_schema());
  }
  return out.str();
}

}  // namespace xreg
