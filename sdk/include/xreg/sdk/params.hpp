#pragma once
/// Typed parameter values handed to a plugin's constructor, and the builders of a plugin's
/// parameter schema. The host has already validated the values against the schema — types,
/// choices and bounds — and filled in every default, so a plugin reads values without checking
/// them: a missing key or a wrong type here is a plugin bug, reported as one.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "xreg/sdk/abi.h"

namespace xreg {

/// A plugin read a parameter its schema does not declare, or with another type than declared.
/// `create` reports it as XREG_PLUGIN_BUG: the host names the plugin, not the user's file.
class ParamAccessError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Params {
 public:
  using Value = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                             std::vector<double>, std::vector<std::string>>;

  void set(const std::string& key, Value value) { values_[key] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, Value>& values() const { return values_; }

  /// The value of `key` as T; throws ParamAccessError naming the key and, for a value of
  /// another type, the type requested and the type the value has.
  template <class T>
  const T& get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw ParamAccessError("parameter '" + key + "' is not set");
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    throw ParamAccessError("parameter '" + key + "' was read as " + type_of(Value(T{})) +
                           " but holds " + type_of(it->second));
  }

  bool boolean(const std::string& key) const { return get<bool>(key); }
  int64_t integer(const std::string& key) const { return get<int64_t>(key); }
  double real(const std::string& key) const { return get<double>(key); }
  const std::string& string(const std::string& key) const { return get<std::string>(key); }
  const std::vector<int64_t>& integers(const std::string& key) const {
    return get<std::vector<int64_t>>(key);
  }
  const std::vector<double>& reals(const std::string& key) const {
    return get<std::vector<double>>(key);
  }
  const std::vector<std::string>& strings(const std::string& key) const {
    return get<std::vector<std::string>>(key);
  }

 private:
  static const char* type_of(const Value& value) {
    static constexpr const char* kNames[] = {
        "a bool",           "an integer",       "a float", "a string", "a list of integers",
        "a list of floats", "a list of strings"};
    return kNames[value.index()];
  }

  std::map<std::string, Value> values_;
};

/// Builders of a plugin's parameter schema. `default_toml` is the default written as a TOML
/// value; nullptr makes the parameter required. Bounds are declared on the spec and checked by
/// the host against the pipeline file, with the value's position, before the plugin sees it:
///
///     xreg::param::integer("samples", "1000", "Perturbations per point.").at_least(2)
///     xreg::param::real("sigma", "0.1", "SD of the noise.").positive()
namespace param {

class Spec {
 public:
  constexpr Spec(xreg_param_type type, const char* name, const char* default_toml, const char* doc,
                 const char* choices = nullptr)
      : spec_{sizeof(xreg_param_spec),
              static_cast<uint32_t>(type),
              name,
              default_toml,
              doc,
              choices,
              0u,
              0.0,
              0.0} {}

  constexpr operator xreg_param_spec() const { return spec_; }  // NOLINT: implicit by design

  /// value >= least.
  constexpr Spec at_least(double least) const { return with_min(least, 0u); }
  /// value > bound.
  constexpr Spec greater_than(double bound) const {
    return with_min(bound, XREG_PARAM_MIN_EXCLUSIVE);
  }
  /// value <= most.
  constexpr Spec at_most(double most) const { return with_max(most, 0u); }
  /// value < bound.
  constexpr Spec less_than(double bound) const { return with_max(bound, XREG_PARAM_MAX_EXCLUSIVE); }
  /// value > 0.
  constexpr Spec positive() const { return greater_than(0.0); }
  /// value >= 0.
  constexpr Spec non_negative() const { return at_least(0.0); }
  /// A list with at least one element, or a non-empty string.
  constexpr Spec non_empty() const {
    Spec copy = *this;
    copy.spec_.flags |= XREG_PARAM_NON_EMPTY;
    return copy;
  }

 private:
  constexpr Spec with_min(double bound, uint32_t exclusive) const {
    Spec copy = *this;
    copy.spec_.flags =
        (copy.spec_.flags & ~uint32_t{XREG_PARAM_MIN_EXCLUSIVE}) | XREG_PARAM_HAS_MIN | exclusive;
    copy.spec_.min = bound;
    return copy;
  }
  constexpr Spec with_max(double bound, uint32_t exclusive) const {
    Spec copy = *this;
    copy.spec_.flags =
        (copy.spec_.flags & ~uint32_t{XREG_PARAM_MAX_EXCLUSIVE}) | XREG_PARAM_HAS_MAX | exclusive;
    copy.spec_.max = bound;
    return copy;
  }

  xreg_param_spec spec_;
};

constexpr Spec boolean(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_BOOL, name, default_toml, doc);
}
constexpr Spec integer(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_INT, name, default_toml, doc);
}
constexpr Spec real(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_FLOAT, name, default_toml, doc);
}
constexpr Spec string(const char* name, const char* default_toml, const char* doc,
                      const char* choices = nullptr) {
  return Spec(XREG_PARAM_STRING, name, default_toml, doc, choices);
}
/// A file or folder: the plugin receives it resolved against the pipeline file's folder.
constexpr Spec path(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_PATH, name, default_toml, doc);
}
constexpr Spec integers(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_INT_LIST, name, default_toml, doc);
}
constexpr Spec reals(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_FLOAT_LIST, name, default_toml, doc);
}
constexpr Spec strings(const char* name, const char* default_toml, const char* doc) {
  return Spec(XREG_PARAM_STRING_LIST, name, default_toml, doc);
}

}  // namespace param
}  // namespace xreg
