#pragma once
/// The resolved pipeline file: what a run was given, every default filled in.

#include <string>

#include "xreg/host/config/pipeline.hpp"

namespace xreg {

/// The resolved pipeline as TOML text: every key of every section and slot with its value.
std::string resolved_toml(const Pipeline& pipeline);

}  // namespace xreg
