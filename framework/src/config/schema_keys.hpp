#pragma once
/// Keys of the host's schemas and of plugin slots (private): shared by validation, which checks
/// them, and by the resolved file, which writes them in schema order.

#include <string>
#include <vector>

#include "xreg/host/plugin/schema.hpp"

namespace xreg {

/// The key naming a slot's plugin; no plugin parameter may use it.
constexpr const char* kPluginKey = "plugin";

/// The host's keys of the [model] slot: none.
const Schema& no_host_keys();

/// The parameters' names, in schema order.
std::vector<std::string> names_of(const Schema& schema);

}  // namespace xreg
