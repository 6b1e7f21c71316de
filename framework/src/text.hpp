#pragma once
/// Small text helpers shared by the framework's messages and files (private).

#include <string>
#include <vector>

namespace xreg {

/// `words` with `separator` between neighbours: joined({"a", "b"}, ", ") is "a, b".
std::string joined(const std::vector<std::string>& words, const char* separator);

/// Whether `key` can be written as a bare TOML key: letters, digits, '_' and '-' only.
bool is_bare_key(const std::string& key);

}  // namespace xreg
