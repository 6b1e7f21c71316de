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

std::string real_text(double value);

bool is_number(xreg_param_type type) {
  return type == XREG_PARAM_INT || type == XREG_PARAM_FLOAT || type == XREG_PARAM_INT_LIST ||
         type == XREG_PARAM_FLOAT_LIST;
}

bool can_be_empty(xreg_param_type type) {
  return type == XREG_PARAM_STRING || type == XREG_PARAM_PATH || type == XREG_PARAM_INT_LIST ||
         type == XREG_PARAM_FLOAT_LIST || type == XREG_PARAM_STRING_LIST;
}

/// Bounds only where they mean something, an interval that holds values, and a default in it.
void check_bounds_declaration(const ParamSchema& param) {
  constexpr uint32_t kNumberBounds = XREG_PARAM_HAS_MIN | XREG_PARAM_HAS_MAX;
  if ((param.flags & kNumberBounds) != 0 && !is_number(param.type)) {
    throw std::invalid_argument(std::string("bounds are only allowed for numbers (type is ") +
                                type_name(param.type) + ")");
  }
  if ((param.flags & XREG_PARAM_NON_EMPTY) != 0 && !can_be_empty(param.type)) {
    throw std::invalid_argument(std::string("non_empty is only allowed for lists and strings "
                                            "(type is ") +
                                type_name(param.type) + ")");
  }
  const bool both = (param.flags & kNumberBounds) == kNumberBounds;
  const bool open = (param.flags & (XREG_PARAM_MIN_EXCLUSIVE | XREG_PARAM_MAX_EXCLUSIVE)) != 0;
  if (both && (param.min > param.max || (param.min == param.max && open))) {
    throw std::invalid_argument("bounds " + bounds_text(param) + " admit no value");
  }
  if (param.default_value) {
    if (auto violation = bound_violation(param, *param.default_value)) {
      throw std::invalid_argument("default " + to_toml_text(*param.default_value) +
                                  " is outside its bounds: " + violation->message);
    }
  }
}

/// A bound as the parameter's type writes it: "2" for integers, "0.5" for floats.
std::string bound_text(double bound, xreg_param_type type) {
  const bool integral = type == XREG_PARAM_INT || type == XREG_PARAM_INT_LIST;
  if (integral && std::floor(bound) == bound && std::fabs(bound) < 9e15) {
    return std::to_string(static_cast<int64_t>(bound));
  }
  return real_text(bound);
}

bool within(double value, const ParamSchema& param) {
  if ((param.flags & XREG_PARAM_HAS_MIN) != 0) {
    const bool exclusive = (param.flags & XREG_PARAM_MIN_EXCLUSIVE) != 0;
    if (exclusive ? !(value > param.min) : !(value >= param.min)) return false;
  }
  if ((param.flags & XREG_PARAM_HAS_MAX) != 0) {
    const bool exclusive = (param.flags & XREG_PARAM_MAX_EXCLUSIVE) != 0;
    if (exclusive ? !(value < param.max) : !(value <= param.max)) return false;
  }
  return true;
}

/// The numbers of a number value, or of a list of numbers, as doubles; none for other types.
std::vector<double> numbers_of(const Params::Value& value) {
  if (const auto* v = std::get_if<int64_t>(&value)) return {static_cast<double>(*v)};
  if (const auto* v = std::get_if<double>(&value)) return {*v};
  if (const auto* v = std::get_if<std::vector<int64_t>>(&value)) return {v->begin(), v->end()};
  if (const auto* v = std::get_if<std::vector<double>>(&value)) return *v;
  return {};
}

bool is_empty(const Params::Value& value) {
  if (const auto* v = std::get_if<std::string>(&value)) return v->empty();
  if (const auto* v = std::get_if<std::vector<int64_t>>(&value)) return v->empty();
  if (const auto* v = std::get_if<std::vector<double>>(&value)) return v->empty();
  if (const auto* v = std::get_if<std::vector<std::string>>(&value)) return v->empty();
  return false;
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
  param.flags = spec.flags;
  param.min = spec.min;
  param.max = spec.max;
  if (!param.choices.empty() && param.type != XREG_PARAM_STRING &&
      param.type != XREG_PARAM_STRING_LIST) {
    throw std::invalid_argument(std::string("choices are only allowed for strings (type is ") +
                                type_name(param.type) + ")");
  }
  if (std::find(param.choices.begin(), param.choices.end(), "") != param.choices.end()) {
    throw std::invalid_argument(std::string("empty choice in '") + spec.choices + "'");
  }
  check_default_among_choices(param);
  check_bounds_declaration(param);
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

std::optional<std::string> string_of(const toml::node& node) {
  if (const auto integer = node.value_exact<int64_t>()) return std::to_string(*integer);
  return node.value_exact<std::string>();
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
      return wrap(string_of(node));
    case XREG_PARAM_PATH:
      return wrap(node.value_exact<std::string>());
    case XREG_PARAM_INT_LIST:
      return list_value<int64_t>(node.as_array(), integer_of);
    case XREG_PARAM_FLOAT_LIST:
      return list_value<double>(node.as_array(), real_of);
    case XREG_PARAM_STRING_LIST:
      return list_value<std::string>(node.as_array(), [](const toml::node& element) {
        return element.value_exact<std::string>();
      });
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

std::string bounds_text(const ParamSchema& param) {
  std::vector<std::string> parts;
  if ((param.flags & XREG_PARAM_HAS_MIN) != 0) {
    parts.push_back(((param.flags & XREG_PARAM_MIN_EXCLUSIVE) != 0 ? "> " : ">= ") +
                    bound_text(param.min, param.type));
  }
  if ((param.flags & XREG_PARAM_HAS_MAX) != 0) {
    parts.push_back(((param.flags & XREG_PARAM_MAX_EXCLUSIVE) != 0 ? "< " : "<= ") +
                    bound_text(param.max, param.type));
  }
  if ((param.flags & XREG_PARAM_NON_EMPTY) != 0) parts.push_back("non-empty");
  return joined(parts, " and ");
}

std::optional<BoundViolation> bound_violation(const ParamSchema& param,
                                              const Params::Value& value) {
  const bool list = std::holds_alternative<std::vector<int64_t>>(value) ||
                    std::holds_alternative<std::vector<double>>(value) ||
                    std::holds_alternative<std::vector<std::string>>(value);
  const std::string noun = list ? "list" : "string";
  if ((param.flags & XREG_PARAM_NON_EMPTY) != 0 && is_empty(value)) {
    return BoundViolation{"expected a non-empty " + noun + ", found an empty " + noun,
                          std::nullopt};
  }
  const bool integral =
      std::holds_alternative<int64_t>(value) || std::holds_alternative<std::vector<int64_t>>(value);
  const std::vector<double> numbers = numbers_of(value);
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (within(numbers[i], param)) continue;
    ParamSchema number_bounds = param;
    number_bounds.flags &= ~uint32_t{XREG_PARAM_NON_EMPTY};
    const std::string found = bound_text(numbers[i], integral ? XREG_PARAM_INT : XREG_PARAM_FLOAT);
    if (!list) {
      return BoundViolation{"expected a value " + bounds_text(number_bounds) + ", found " + found,
                            std::nullopt};
    }
    return BoundViolation{"expected values " + bounds_text(number_bounds) + ", found " + found +
                              " (element " + std::to_string(i) + ")",
                          i};
  }
  return std::nullopt;
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
