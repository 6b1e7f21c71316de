#include "xreg/host/plugin/schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "plugin/schema_toml.hpp"
#include "text.hpp"

namespace xreg {
namespace {

/// Converts every element of `array` with `convert`; nothing when one element does not fit.
template <class T, class Convert>
std::optional<Params::Value> list_value(const toml::array* array, Convert convert) {
  if (array == nullptr) return std::nullopt;
  std::vector<T> values;
  values.reserve(array->size());
  for (const toml::node& element : *array) {
    std::optional<T> value = convert(element);
    if (!value) return std::nullopt;
    values.push_back(std::move(*value));
  }
  return Params::Value(std::move(values));
}

std::optional<int64_t> integer_of(const toml::node& node) { return node.value_exact<int64_t>(); }

/// A float, or an integer read as a float: `lr = 1` means 1.0.
std::optional<double> real_of(const toml::node& node) {
  if (const auto* real = node.as_floating_point()) return real->get();
  if (const auto* integer = node.as_integer()) return static_cast<double>(integer->get());
  return std::nullopt;
}

std::optional<std::string> string_of(const toml::node& node) {
  return node.value_exact<std::string>();
}

/// Splits "adam|sgd" into its choices; an empty or null string has none.
std::vector<std::string> split_choices(const char* choices) {
  std::vector<std::string> result;
  if (choices == nullptr || *choices == '\0') return result;
  std::string text = choices;
  size_t start = 0;
  while (true) {
    const size_t bar = text.find('|', start);
    result.push_back(text.substr(start, bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return result;
}

bool is_known_type(uint32_t type) { return type >= XREG_PARAM_BOOL && type <= XREG_PARAM_PATH; }

/// The name of spec number `index`; throws when it is missing or cannot be a bare TOML key
/// (keys must be usable bare, so a pipeline file can name them without quotes).
std::string checked_name(const char* name, uint32_t index) {
  const std::string which = "parameter #" + std::to_string(index);
  if (name == nullptr) throw std::invalid_argument(which + " has no name");
  if (!is_bare_key(name)) {
    throw std::invalid_argument(which + " has the name '" + name +
                                "'; use letters, digits, '_' and '-' only");
  }
  return name;
}

/// Checks that a string default (or every element of a string-list default) is allowed.
void check_default_among_choices(const ParamSchema& param) {
  if (param.choices.empty() || !param.default_value) return;
  std::vector<std::string> values;
  if (const auto* text = std::get_if<std::string>(&*param.default_value)) values = {*text};
  if (const auto* list = std::get_if<std::vector<std::string>>(&*param.default_value)) {
    values = *list;
  }
  for (const std::string& value : values) {
    if (std::find(param.choices.begin(), param.choices.end(), value) == param.choices.end()) {
      throw std::invalid_argument("default '" + value + "' is not one of " +
                                  joined(param.choices, "|"));
    }
  }
}

/// The checks of one spec other than its name; throws std::invalid_argument with the reason.
ParamSchema param_from_spec(const xreg_param_spec& spec) {
  if (!is_known_type(spec.type)) {
    throw std::invalid_argument("unknown type " + std::to_string(spec.type));
  }
  ParamSchema param;
  param.name = spec.name;
  param.type = static_cast<xreg_param_type>(spec.type);
  param.doc = spec.doc != nullptr ? spec.doc : "";
  if (spec.default_toml != nullptr)
    param.default_value = parse_default(spec.default_toml, param.type);
  param.choices = split_choices(spec.choices);
  if (!param.choices.empty() && param.type != XREG_PARAM_STRING &&
      param.type != XREG_PARAM_STRING_LIST) {
    throw std::invalid_argument(std::string("choices are only allowed for strings (type is ") +
                                type_name(param.type) + ")");
  }
  if (std::find(param.choices.begin(), param.choices.end(), "") != param.choices.end()) {
    throw std::invalid_argument(std::string("empty choice in '") + spec.choices + "'");
  }
  check_default_among_choices(param);
  return param;
}

/// The shortest text that reads back as the same double, always recognizable as a TOML float:
/// plain decimals for everyday magnitudes ("0.0003", "100.0"), an exponent beyond them.
std::string real_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  const double magnitude = std::fabs(value);
  const bool everyday = magnitude == 0 || (magnitude >= 1e-5 && magnitude < 1e16);
  char buffer[64];  // enough for the shortest text of either notation in these ranges
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value,
                    everyday ? std::chars_format::fixed : std::chars_format::scientific);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string scalar_text(bool value) { return value ? "true" : "false"; }
std::string scalar_text(int64_t value) { return std::to_string(value); }
std::string scalar_text(double value) { return real_text(value); }
std::string scalar_text(const std::string& value) { return quoted(value); }

template <class T>
std::string list_text(const std::vector<T>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += scalar_text(values[i]);
  }
  return text + "]";
}

template <class T>
toml::array toml_array(const std::vector<T>& values) {
  toml::array array;
  for (const T& value : values) array.push_back(value);
  return array;
}

}  // namespace

const char* type_name(xreg_param_type type) {
  switch (type) {
    case XREG_PARAM_BOOL:
      return "bool";
    case XREG_PARAM_INT:
      return "integer";
    case XREG_PARAM_FLOAT:
      return "float";
    case XREG_PARAM_STRING:
      return "string";
    case XREG_PARAM_INT_LIST:
      return "list of integers";
    case XREG_PARAM_FLOAT_LIST:
      return "list of floats";
    case XREG_PARAM_STRING_LIST:
      return "list of strings";
    case XREG_PARAM_PATH:
      return "path";
  }
  return "unknown type";
}

std::optional<Params::Value> to_value(const toml::node& node, xreg_param_type type) {
  auto wrap = [](auto optional) -> std::optional<Params::Value> {
    if (!optional) return std::nullopt;
    return Params::Value(std::move(*optional));
  };
  switch (type) {
    case XREG_PARAM_BOOL:
      return wrap(node.value_exact<bool>());
    case XREG_PARAM_INT:
      return wrap(integer_of(node));
    case XREG_PARAM_FLOAT:
      return wrap(real_of(node));
    case XREG_PARAM_STRING:
    case XREG_PARAM_PATH:
      return wrap(string_of(node));
    case XREG_PARAM_INT_LIST:
      return list_value<int64_t>(node.as_array(), integer_of);
    case XREG_PARAM_FLOAT_LIST:
      return list_value<double>(node.as_array(), real_of);
    case XREG_PARAM_STRING_LIST:
      return list_value<std::string>(node.as_array(), string_of);
  }
  return std::nullopt;
}

Params::Value parse_default(const std::string& toml_text, xreg_param_type type) {
  toml::table table;
  try {
    table = toml::parse("v = " + toml_text);
  } catch (const toml::parse_error& error) {
    throw std::invalid_argument("default '" + toml_text +
                                "' is not a TOML value: " + std::string(error.description()));
  }
  const toml::node* node = table.get("v");
  std::optional<Params::Value> value;
  if (node != nullptr && table.size() == 1) value = to_value(*node, type);
  if (!value) {
    throw std::invalid_argument("default '" + toml_text + "' is not a valid " + type_name(type));
  }
  return *value;
}

Schema schema_from_specs(const xreg_param_spec* specs, uint32_t count, uint32_t size) {
  constexpr size_t kMinimumSize = offsetof(xreg_param_spec, name) + sizeof(const char*);
  if (count > 0 && specs == nullptr) {
    throw std::invalid_argument("parameter specs are null but their count is " +
                                std::to_string(count));
  }
  if (count > 0 && size < kMinimumSize) {
    throw std::invalid_argument("parameter spec size " + std::to_string(size) +
                                " is smaller than the minimum " + std::to_string(kMinimumSize));
  }
  Schema schema;
  for (uint32_t i = 0; i < count; ++i) {
    xreg_param_spec spec{};
    std::memcpy(&spec, reinterpret_cast<const char*>(specs) + size_t{i} * size,
                std::min<size_t>(size, sizeof spec));
    const std::string name = checked_name(spec.name, i);
    auto same_name = [&](const ParamSchema& param) { return param.name == name; };
    if (std::any_of(schema.begin(), schema.end(), same_name)) {
      throw std::invalid_argument("parameter '" + name + "' is declared twice");
    }
    try {
      schema.push_back(param_from_spec(spec));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("parameter '" + name + "': " + error.what());
    }
  }
  return schema;
}

std::string to_toml_text(const Params::Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                      std::is_same_v<T, std::vector<double>> ||
                      std::is_same_v<T, std::vector<std::string>>) {
          return list_text(v);
        } else {
          return scalar_text(v);
        }
      },
      value);
}

void insert_value(toml::table& table, const std::string& key, const Params::Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                      std::is_same_v<T, std::vector<double>> ||
                      std::is_same_v<T, std::vector<std::string>>) {
          table.insert_or_assign(key, toml_array(v));
        } else {
          table.insert_or_assign(key, v);
        }
      },
      value);
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace xreg
