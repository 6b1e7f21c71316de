#pragma once
/// Reading one table of a pipeline file against a schema (private): unknown keys rejected
/// with a suggestion, values checked for type and choices, defaults filled in, paths resolved.

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "xreg/host/plugin/schema.hpp"

namespace xreg {

/// A table being validated: its name in messages ("[train]", "regularizer[0]"), its path in
/// --set syntax ("train", "regularizer[0]"), and the node that a missing key is reported at
/// (the table, or the whole file when the table is absent).
struct Section {
  std::string label;
  std::string path;
  const toml::node* anchor;
  std::string anchor_path;

  std::string key_path(const std::string& key) const { return path + "." + key; }
};

/// Every parameter of `schema`: its value in `table`, else its default; a path made absolute,
/// a relative one taken from the pipeline file's folder.
Params read_params(const toml::table& table, const Schema& schema, const Section& section,
                   const Locator& locator);

/// Rejects the first key of `table` (in file order) that is not in `known`, suggesting the
/// likely one. `what` names the table's keys in the message: "key", or "table" for the file's
/// sections; `in` follows the key's name (" in [train]").
void check_keys(const toml::table& table, const std::vector<std::string>& known,
                const std::string& what, const std::string& in, const Section& section,
                const Locator& locator);

/// `node` as a table, or a ConfigError at it.
const toml::table& as_section_table(const toml::node& node, const std::string& label,
                                    const std::string& path, const Locator& locator);

/// A host section ([run], [data], [train]): every key checked, every default filled in.
Params read_host_section(const toml::table& root, const std::string& name, const Schema& schema,
                         const Locator& locator);

}  // namespace xreg
