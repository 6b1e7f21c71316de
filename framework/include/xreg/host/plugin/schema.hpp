#pragma once
/// Parameter schemas, for plugins (read from their C descriptors) and for the host's own
/// pipeline sections.

#include <optional>
#include <string>
#include <vector>

#include "xreg/sdk/abi.h"
#include "xreg/sdk/params.hpp"

namespace xreg {

/// One parameter: the C++ copy of an xreg_param_spec.
struct ParamSchema {
  std::string name;
  xreg_param_type type = XREG_PARAM_FLOAT;
  std::optional<Params::Value> default_value;  ///< none: required
  std::string doc;
  std::vector<std::string> choices;  ///< allowed strings; empty: any
  uint32_t flags = 0;                ///< xreg_param_flag bits: which bounds apply
  double min = 0.0, max = 0.0;       ///< the bounds, where flags say so
};

using Schema = std::vector<ParamSchema>;

/// "bool", "integer", "float", "string", "list of integers", ...
const char* type_name(xreg_param_type type);

/// Parses a default written as a TOML value ("0.1", "[100, 100]", "\"adam\"").
/// Throws std::invalid_argument when it is not a valid value of `type`.
Params::Value parse_default(const std::string& toml_text, xreg_param_type type);

/// The bounds of `param` in words: ">= 2", "> 0 and <= 1", "a non-empty list"; "" for none.
std::string bounds_text(const ParamSchema& param);

/// Where a value breaks its parameter's bounds: what was expected and found ("expected an
/// integer >= 2, found 1"), and for lists the offending element's index (none: the whole
/// value).
struct BoundViolation {
  std::string message;
  std::optional<size_t> element;
};

/// Whether `value` (of param.type) is within param's bounds; the violation when not.
std::optional<BoundViolation> bound_violation(const ParamSchema& param, const Params::Value& value);

/// Reads an xreg_param_spec array of `count` entries laid out with stride `size`; specs of a
/// plugin built before ABI 1.1 (shorter than today's) have no bounds.
/// Throws std::invalid_argument on a malformed spec (bad type, unparsable default, bounds on
/// a type that cannot have them, a default outside its bounds).
Schema schema_from_specs(const xreg_param_spec* specs, uint32_t count, uint32_t size);

/// The value as TOML text, as it appears in a resolved pipeline file.
std::string to_toml_text(const Params::Value& value);

/// `text` as a quoted string with quotes, backslashes and control characters escaped: valid
/// in TOML (a basic string) and in JSON alike, whose escapes agree.
std::string quoted(const std::string& text);

}  // namespace xreg
