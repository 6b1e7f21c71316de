#pragma once
/// Typed parameter values handed to a plugin's constructor. The host has already validated
/// them against the plugin's schema and filled in every default, so a plugin reads values
/// without checking for presence: a missing key or a wrong type here is a plugin bug.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "xreg/sdk/abi.h"

namespace xreg {

class Params {
 public:
  using Value = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                             std::vector<double>, std::vector<std::string>>;

  void set(const std::string& key, Value value) { values_[key] = std::move(value); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, Value>& values() const { return values_; }

  /// The value of `key` as T; throws std::invalid_argument naming the key when it is absent
  /// or of another type.
  template <class T>
  const T& get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::invalid_argument("parameter '" + key + "' is not set");
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    throw std::invalid_argument("parameter '" + key + "' has another type than requested");
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
  std::map<std::string, Value> values_;
};

/// Constexpr builders for a plugin's parameter schema. `default_toml` is the default written as
/// a TOML value; pass nullptr (or use `required`) for a parameter without default.
namespace param {

constexpr xreg_param_spec make(xreg_param_type type, const char* name, const char* default_toml,
                               const char* doc, const char* choices = nullptr) {
  return xreg_param_spec{
      sizeof(xreg_param_spec), static_cast<uint32_t>(type), name, default_toml, doc, choices};
}
constexpr xreg_param_spec boolean(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_BOOL, name, default_toml, doc);
}
constexpr xreg_param_spec integer(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_INT, name, default_toml, doc);
}
constexpr xreg_param_spec real(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_FLOAT, name, default_toml, doc);
}
constexpr xreg_param_spec string(const char* name, const char* default_toml, const char* doc,
                                 const char* choices = nullptr) {
  return make(XREG_PARAM_STRING, name, default_toml, doc, choices);
}
/// A file or folder: the plugin receives it resolved against the pipeline file's folder.
constexpr xreg_param_spec path(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_PATH, name, default_toml, doc);
}
constexpr xreg_param_spec integers(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_INT_LIST, name, default_toml, doc);
}
constexpr xreg_param_spec reals(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_FLOAT_LIST, name, default_toml, doc);
}
constexpr xreg_param_spec strings(const char* name, const char* default_toml, const char* doc) {
  return make(XREG_PARAM_STRING_LIST, name, default_toml, doc);
}

}  // namespace param
}  // namespace xreg
