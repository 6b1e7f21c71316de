#pragma once
/// The built-in data sets, generated rather than read (format = "builtin").

#include <cstdint>

#include "xreg/host/data/table.hpp"
#include "xreg/sdk/params.hpp"

namespace xreg {

/// Makes the built-in data set named by data.generator, seeded by `seed`.
Table generate_builtin(const Params& data, uint64_t seed);

}  // namespace xreg
