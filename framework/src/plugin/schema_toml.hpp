#pragma once
/// Parameter values read from and written to TOML nodes (private: toml++ stays out of the
/// public headers).

#include <toml++/toml.h>

#include <optional>
#include <string>

#include "xreg/host/plugin/schema.hpp"

namespace xreg {

/// The text of a string node, or of an integer node as its digits (`target = 4` names a column
/// by index as `target = "4"` does); nothing for other nodes.
std::optional<std::string> string_of(const toml::node& node);

/// Converts a TOML node to a value of `type`; an integer is accepted where a float is
/// expected, and where a string is (not a path, nor in a list), as its digits. Returns nothing
/// when the node has another type.
std::optional<Params::Value> to_value(const toml::node& node, xreg_param_type type);

/// Inserts `value` into `table` under `key`.
void insert_value(toml::table& table, const std::string& key, const Params::Value& value);

}  // namespace xreg
