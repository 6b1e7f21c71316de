#pragma once
/// What the harnesses share: input bytes written to a scratch file (the readers take paths), and
/// the [data] defaults.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/sdk/params.hpp"

namespace xreg::fuzz {

/// A file of this process under /tmp named `stem`, overwritten with `size` bytes at `data`.
inline std::string scratch_file(const std::string& stem, const uint8_t* data, size_t size) {
  const std::string path = "/tmp/xreg-fuzz-" + std::to_string(getpid()) + "-" + stem;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

/// Every key of `schema` at its default.
inline Params defaults(const Schema& schema) {
  Params params;
  for (const auto& param : schema) params.set(param.name, *param.default_value);
  return params;
}

/// Reads one byte from the front of (data, size), 0 when none is left.
inline uint8_t take_byte(const uint8_t*& data, size_t& size) {
  if (size == 0) return 0;
  --size;
  return *data++;
}

}  // namespace xreg::fuzz
