/// A plugin's parameter descriptors as the registry checks them when it loads a library:
/// types, names, defaults written as TOML, choices and bounds, all from the input. A malformed
/// descriptor must be refused with std::invalid_argument (the registry turns it into a
/// PluginLoadError); any other exception, crash or sanitizer report is a finding.

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "xreg/host/plugin/schema.hpp"

namespace {

/// A NUL-terminated string of up to 31 input bytes, or null when the length byte says so.
const char* take_text(const uint8_t*& data, size_t& size, std::vector<std::string>& keep) {
  const uint8_t length = xreg::fuzz::take_byte(data, size);
  if (length == 0xff) return nullptr;
  const size_t n = std::min<size_t>(length % 32, size);
  keep.emplace_back(reinterpret_cast<const char*>(data), n);
  data += n;
  size -= n;
  return keep.back().c_str();
}

double take_double(const uint8_t*& data, size_t& size) {
  double value = 0;
  const size_t n = std::min(sizeof value, size);
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> keep;
  keep.reserve(64);  // the specs point into these strings
  std::vector<xreg_param_spec> specs;
  while (size > 0 && specs.size() < 8) {
    xreg_param_spec spec{};
    spec.struct_size = sizeof spec;
    spec.type = xreg::fuzz::take_byte(data, size) % 9;
    spec.name = take_text(data, size, keep);
    spec.default_toml = take_text(data, size, keep);
    spec.doc = take_text(data, size, keep);
    spec.choices = take_text(data, size, keep);
    spec.flags = xreg::fuzz::take_byte(data, size);
    spec.min = take_double(data, size);
    spec.max = take_double(data, size);
    specs.push_back(spec);
  }
  try {
    xreg::schema_from_specs(specs.data(), static_cast<uint32_t>(specs.size()),
                            sizeof(xreg_param_spec));
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
