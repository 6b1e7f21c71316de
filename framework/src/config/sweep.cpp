#include "xreg/host/config/sweep.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <utility>

#include "config/diagnostics.hpp"
#include "config/document_access.hpp"
#include "config/overrides.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

constexpr const char* kSweep = "sweep";

/// The keys of [sweep] with their arrays, in the order of the file.
std::vector<std::pair<std::string, const toml::node*>> keys_in_file_order(
    const toml::table& sweep) {
  std::vector<std::pair<std::string, const toml::node*>> keys;
  for (const auto& [key, node] : sweep) keys.emplace_back(std::string(key.str()), &node);
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    const toml::source_position& left = a.second->source().begin;
    const toml::source_position& right = b.second->source().begin;
    return std::pair(left.line, left.column) < std::pair(right.line, right.column);
  });
  return keys;
}

/// The value as TOML text; a float in the fewest digits that read back as it (0.1, not
/// 0.10000000000000001).
std::string toml_text(const toml::node& node) {
  if (const auto* real = node.as_floating_point()) {
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, real->get()).ptr;
    return std::string(digits, end);
  }
  std::ostringstream text;
  node.visit([&](const auto& concrete) { text << concrete; });
  return text.str();
}

/// A key's array of values, checked: non-empty, and a key --set could set.
const toml::array& swept_values(const std::string& key, const toml::node& node,
                                const Locator& locator) {
  const std::string path = std::string(kSweep) + "." + key;
  const std::string origin = locator.where(node.source(), path) + ": [sweep] key '" + key +
                             "': expected a key like train.lr or regularizer[0].weight";
  if (key == kSweep || key.rfind(std::string(kSweep) + ".", 0) == 0) {
    throw ConfigError(origin + "; [sweep] cannot sweep itself");
  }
  toml::table scratch;
  assign_key(scratch, key, toml::value<int64_t>(0), origin);
  const toml::array* values = node.as_array();
  if (values == nullptr || values->empty()) {
    locator.fail(node.source(), path,
                 "[sweep] '" + key + "': expected a non-empty array of the values to try, found " +
                     (values ? std::string("an empty array") : found_text(node)));
  }
  return *values;
}

}  // namespace

std::string sweep_label(const SweepPoint& point) {
  std::string label;
  for (const SweepSetting& setting : point.settings) {
    label += (label.empty() ? "" : ", ") + setting.key + " = " + setting.value;
  }
  return label;
}

std::vector<SweepPoint> sweep_points(const PipelineDocument& document) {
  const toml::table& root = PipelineDocumentAccess::table(document);
  const toml::node* node = root.get(kSweep);
  if (node == nullptr) return {};
  const Locator locator(document.file());
  const toml::table* sweep = node->as_table();
  if (sweep == nullptr || sweep->empty()) {
    locator.fail(node->source(), kSweep,
                 "[sweep]: expected a table of keys, each with the array of values to try, found " +
                     (sweep ? std::string("an empty table") : found_text(*node)));
  }
  std::vector<SweepPoint> points{SweepPoint{}};
  for (const auto& [key, values_node] : keys_in_file_order(*sweep)) {
    const toml::array& values = swept_values(key, *values_node, locator);
    std::vector<SweepPoint> grown;
    for (const SweepPoint& point : points) {
      for (size_t index = 0; index < values.size(); ++index) {
        SweepPoint next = point;
        next.settings.push_back({key, index, toml_text(values[index])});
        grown.push_back(std::move(next));
      }
    }
    points = std::move(grown);
  }
  return points;
}

PipelineDocument at_sweep_point(const PipelineDocument& document, const SweepPoint& point) {
  const std::string& text = PipelineDocumentAccess::text(document);
  const std::vector<std::string>& overrides = PipelineDocumentAccess::overrides(document);
  // Parsed anew, so that every node keeps its place in the file.
  toml::table table = parse_pipeline_table(text, document.file(), overrides);
  toml::table sweep = std::move(*table.get_as<toml::table>(kSweep));
  table.erase(kSweep);
  const Locator locator(document.file());
  for (const SweepSetting& setting : point.settings) {
    toml::node& value = *sweep.get_as<toml::array>(setting.key)->get(setting.index);
    const std::string origin = locator.where(value.source(), "sweep." + setting.key) +
                               ": [sweep] key '" + setting.key + "'";
    assign_key(table, setting.key, std::move(value), origin);
  }
  return PipelineDocumentAccess::make(std::move(table), document.file(), text, overrides);
}

}  // namespace xreg
