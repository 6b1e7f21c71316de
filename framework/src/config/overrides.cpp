#include "config/overrides.hpp"

#include <optional>
#include <regex>
#include <sstream>
#include <vector>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// One step of an override's key: a table key, with an array index for arrays of tables.
struct KeyStep {
  std::string key;
  std::optional<size_t> index;
};

/// `origin` says where the key comes from and what was expected of it.
[[noreturn]] void bad_key(const std::string& origin, const std::string& reason) {
  throw ConfigError(origin + "; " + reason);
}

std::vector<KeyStep> parse_key(const std::string& key, const std::string& origin) {
  static const std::regex kStep(R"(([A-Za-z0-9_-]+)(?:\[([0-9]{1,9})\])?)");
  std::vector<KeyStep> steps;
  std::stringstream parts(key);
  std::string part;
  while (std::getline(parts, part, '.')) {
    std::smatch match;
    if (!std::regex_match(part, match, kStep)) {
      bad_key(origin, "'" + part + "' is not a key or key[index]");
    }
    KeyStep step{match[1].str(), std::nullopt};
    if (match[2].matched) step.index = std::stoul(match[2].str());
    steps.push_back(step);
  }
  if (steps.empty() || key.empty() || key.back() == '.') bad_key(origin, "the key is empty");
  return steps;
}

/// The override's value as a table holding it under "v": a TOML value when the text is one,
/// otherwise the text itself as a string, so that `--set model.path=net.pt` needs no quotes.
toml::table parse_override_value(const std::string& value) {
  try {
    toml::table parsed = toml::parse("v = " + value);
    if (parsed.size() == 1 && parsed.contains("v")) return parsed;
  } catch (const toml::parse_error&) {
    // Not a TOML value: taken as a string below.
  }
  toml::table fallback;
  fallback.insert("v", value);
  return fallback;
}

/// The array that `step` indexes into, created when absent; the index must name an entry or
/// the one after the last (which appends).
toml::array& indexed_array(toml::table& parent, const KeyStep& step, const std::string& origin) {
  toml::array* array = parent.insert(step.key, toml::array{}).first->second.as_array();
  if (array == nullptr) bad_key(origin, "'" + step.key + "' is not an array of tables");
  if (*step.index > array->size()) {
    bad_key(origin, "'" + step.key + "' has " + std::to_string(array->size()) +
                        " entries, so the index can be at most " + std::to_string(array->size()));
  }
  return *array;
}

/// The table that `step` leads to, created when absent.
toml::table& step_into(toml::table& parent, const KeyStep& step, const std::string& origin) {
  toml::node* node = nullptr;
  if (step.index) {
    toml::array& array = indexed_array(parent, step, origin);
    if (*step.index == array.size()) array.push_back(toml::table{});
    node = array.get(*step.index);
  } else {
    node = &parent.insert(step.key, toml::table{}).first->second;
  }
  toml::table* table = node->as_table();
  if (table == nullptr) bad_key(origin, "'" + step.key + "' is not a table");
  return *table;
}

void assign(toml::table& parent, const KeyStep& step, toml::node&& value,
            const std::string& origin) {
  if (!step.index) {
    parent.insert_or_assign(step.key, std::move(value));
    return;
  }
  toml::array& array = indexed_array(parent, step, origin);
  if (*step.index == array.size()) {
    array.push_back(std::move(value));
  } else {
    array.replace(array.cbegin() + static_cast<std::ptrdiff_t>(*step.index), std::move(value));
  }
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

void assign_key(toml::table& root, const std::string& key, toml::node&& value,
                const std::string& origin) {
  const std::vector<KeyStep> steps = parse_key(key, origin);
  toml::table* table = &root;
  for (size_t i = 0; i + 1 < steps.size(); ++i) table = &step_into(*table, steps[i], origin);
  assign(*table, steps.back(), std::move(value), origin);
}

void apply_override(toml::table& root, const std::string& text) {
  const std::string origin =
      "--set '" + text + "': expected KEY=VALUE with KEY like train.lr or regularizer[0].weight";
  const size_t equals = text.find('=');
  if (equals == std::string::npos) bad_key(origin, "there is no '='");
  const toml::table parsed = parse_override_value(trimmed(text.substr(equals + 1)));
  toml::table value = parsed;  // a copy holds no source position: messages name the override

  assign_key(root, trimmed(text.substr(0, equals)), std::move(*value.get("v")), origin);
}

}  // namespace xreg
