#pragma once
// [data] sections for tests: the schema's defaults with a few keys set.

#include <filesystem>
#include <string>

#include "xreg/host/config/host_schemas.hpp"

namespace xreg::testing {

inline Params data_params(const Params& overrides) {
  Params params;
  for (const auto& p : data_schema()) {
    if (p.default_value) params.set(p.name, *p.default_value);
  }
  for (const auto& [key, value] : overrides.values()) params.set(key, value);
  return params;
}

inline std::string shared_path(const std::string& relative) {
  return std::string(XREG_SHARED_DIR) + "/" + relative;
}

inline bool have_shared(const std::string& relative) {
  return std::filesystem::exists(shared_path(relative));
}

}  // namespace xreg::testing
