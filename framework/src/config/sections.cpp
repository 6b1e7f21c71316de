#include "config/sections.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "config/paths.hpp"
#include "config/schema_keys.hpp"
#include "plugin/schema_toml.hpp"
#include "text.hpp"

namespace xreg {
namespace {

bool is_list(xreg_param_type type) {
  return type == XREG_PARAM_INT_LIST || type == XREG_PARAM_FLOAT_LIST ||
         type == XREG_PARAM_STRING_LIST;
}

xreg_param_type element_type(xreg_param_type list_type) {
  switch (list_type) {
    case XREG_PARAM_INT_LIST:
      return XREG_PARAM_INT;
    case XREG_PARAM_FLOAT_LIST:
      return XREG_PARAM_FLOAT;
    default:
      return XREG_PARAM_STRING;
  }
}

/// Why `node` is not a value of `type`: the node to point at (the value, or the first list
/// element of another type) and what was found there.
std::pair<const toml::node*, std::string> type_mismatch(const toml::node& node,
                                                        xreg_param_type type) {
  const toml::array* array = node.as_array();
  if (array != nullptr && is_list(type)) {
    for (const toml::node& element : *array) {
      const bool strict_string = type == XREG_PARAM_STRING_LIST && !element.is_string();
      if (strict_string || !to_value(element, element_type(type))) {
        return {&element, "a list containing " + found_text(element)};
      }
    }
  }
  return {&node, found_text(node)};
}

/// Checks a string (or each string of a list) against the parameter's choices.
void check_choices(const toml::node& node, const ParamSchema& param, const std::string& subject,
                   const std::string& path, const Locator& locator) {
  if (param.choices.empty()) return;
  auto check_one = [&](const toml::node& string_node) {
    const std::string text = *string_of(string_node);
    if (std::find(param.choices.begin(), param.choices.end(), text) == param.choices.end()) {
      locator.fail(
          string_node.source(), path,
          subject + ": expected one of " + joined(param.choices, "|") + ", found '" + text + "'");
    }
  };
  if (const toml::array* array = node.as_array()) {
    for (const toml::node& element : *array) check_one(element);
  } else {
    check_one(node);
  }
}

/// Checks a number (or each number of a list) against the parameter's bounds, pointing at the
/// offending element.
void check_bounds(const toml::node& node, const Params::Value& value, const ParamSchema& param,
                  const std::string& subject, const std::string& path, const Locator& locator) {
  const std::optional<BoundViolation> violation = bound_violation(param, value);
  if (!violation) return;
  const toml::array* array = node.as_array();
  const toml::node* culprit =
      array != nullptr && violation->element ? array->get(*violation->element) : &node;
  locator.fail(culprit->source(), path, subject + ": " + violation->message);
}

/// The value of `node` for `param`, or a ConfigError saying what was expected and found.
Params::Value read_value(const toml::node& node, const ParamSchema& param, const Section& section,
                         const Locator& locator) {
  const std::string subject = section.label + " " + param.name;
  const std::string path = section.key_path(param.name);
  std::optional<Params::Value> value = to_value(node, param.type);
  if (!value) {
    const auto [culprit, found] = type_mismatch(node, param.type);
    const bool quotable = param.type == XREG_PARAM_STRING_LIST && culprit->is_integer();
    locator.fail(culprit->source(), path,
                 subject + ": expected " + with_article(type_name(param.type)) + ", found " +
                     found + (quotable ? " (write it as \"" + *string_of(*culprit) + "\")" : ""));
  }
  check_choices(node, param, subject, path, locator);
  check_bounds(node, *value, param, subject, path, locator);
  return *value;
}

/// A path value as the plugin receives it: absolute, a relative one taken from the pipeline
/// file's folder. Empty stays empty (no file).
std::string absolute_path(const std::string& path, const Locator& locator) {
  if (path.empty()) return path;
  const std::string resolved = resolve_path(pipeline_folder(locator.file()), path);
  return std::filesystem::absolute(resolved).lexically_normal().string();
}

/// Whether position `a` comes before `b` in the file; a position an override made (none) last.
bool earlier(const toml::source_position& a, const toml::source_position& b) {
  if (!a || !b) return static_cast<bool>(a);
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

}  // namespace

Params read_params(const toml::table& table, const Schema& schema, const Section& section,
                   const Locator& locator) {
  Params params;
  for (const ParamSchema& param : schema) {
    if (const toml::node* node = table.get(param.name)) {
      params.set(param.name, read_value(*node, param, section, locator));
    } else if (param.default_value) {
      params.set(param.name, *param.default_value);
    } else {
      locator.fail(section.anchor->source(), section.anchor_path,
                   section.label + " missing required key '" + param.name + "' (" +
                       type_name(param.type) + (param.doc.empty() ? "" : ": " + param.doc) + ")");
    }
    if (param.type == XREG_PARAM_PATH) {
      params.set(param.name, absolute_path(params.string(param.name), locator));
    }
  }
  return params;
}

void check_keys(const toml::table& table, const std::vector<std::string>& known,
                const std::string& what, const std::string& in, const Section& section,
                const Locator& locator) {
  // toml++ keeps keys sorted; report the unknown key that comes first in the file.
  const toml::key* first = nullptr;
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), std::string(key.str())) != known.end()) continue;
    if (first == nullptr || earlier(key.source().begin, first->source().begin)) first = &key;
  }
  if (first != nullptr) {
    const toml::key& key = *first;
    const toml::node& node = *table.get(key.str());
    const std::string name(key.str());
    const std::optional<std::string> match = closest_match(name, known);
    const std::string hint =
        match ? did_you_mean(*match) : " (known " + what + "s: " + joined(known, ", ") + ")";
    const std::string path = section.path.empty() ? name : section.key_path(name);
    locator.fail(key.source().begin ? key.source() : node.source(), path,
                 "unknown " + what + " '" + name + "'" + in + hint);
  }
}

const toml::table& as_section_table(const toml::node& node, const std::string& label,
                                    const std::string& path, const Locator& locator) {
  if (const toml::table* table = node.as_table()) return *table;
  locator.fail(node.source(), path, label + ": expected a table, found " + found_text(node));
}

Params read_host_section(const toml::table& root, const std::string& name, const Schema& schema,
                         const Locator& locator) {
  static const toml::table kAbsent;
  const std::string label = "[" + name + "]";
  const toml::node* node = root.get(name);
  const toml::table& table = node ? as_section_table(*node, label, name, locator) : kAbsent;
  const Section section{label, name, node ? node : &root, node ? name : ""};
  check_keys(table, names_of(schema), "key", " in " + label, section, locator);
  return read_params(table, schema, section, locator);
}

}  // namespace xreg
