#pragma once
/// --set overrides: "KEY=VALUE" applied to a parsed pipeline file (private).

#include <toml++/toml.h>

#include <string>

namespace xreg {

/// Applies one "KEY=VALUE" override ("train.lr=1e-4", "regularizer[0].weight=0.1"): the value
/// is TOML when it reads as TOML, else taken as a string. Tables and array entries are created
/// as needed. The inserted nodes carry no source position, so messages about them name the
/// override instead of a place in the file. Throws ConfigError naming a malformed override.
void apply_override(toml::table& root, const std::string& text);

}  // namespace xreg
