#pragma once
/// Parameter values read from and written to TOML nodes (private: toml++ stays out of the
/// public headers).

#include <toml++/toml.h>

#include <optional>
#include <string>

#include "xreg/host/plugin/schema.hpp"

namespace xreg {

/// Converts a TOML node to a value of `type`; an integer is accepted where a float is
/// expected. Returns nothing when the node has another type.
std::optional<Params::Value> to_value(const toml::node& node, xreg_param_type type);

/// Inserts `value` into `table` under `key`.
void insert_value(toml::table& table, const std::string& key, const Params::Value& value);

}  // namespace xreg
