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

/// Sets `key` (in --set syntax) of `root` to `value`, moved in with its source position, so
/// that messages about it point where it was written. `origin` opens the message about a
/// malformed key: where the key was written and what was expected of it.
void assign_key(toml::table& root, const std::string& key, toml::node&& value,
                const std::string& origin);

}  // namespace xreg
