/// The built-in data sets: Friedman's regression problem #1 ("friedman1").

#include "xreg/host/data/builtin.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <string>

#include "xreg/host/errors.hpp"
#include "xreg/sdk/context.hpp"

namespace xreg {

Table generate_builtin(const Params& data, uint64_t seed) {
  const int64_t samples = data.integer("samples");
  const double noise = data.real("noise");
  if (data.string("task") != "regression")
    throw ConfigError("data.task: friedman1 is a regression data set");
  if (samples < 1)
    throw ConfigError("data.samples: expected at least 1 row, found " + std::to_string(samples));
  if (noise < 0.0)
    throw ConfigError("data.noise: expected a non-negative SD, found " + std::to_string(noise));
  auto generator =
      at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, "builtin", 0));
  Table table;
  table.x = torch::rand({samples, 10}, generator, torch::kDouble);
  const auto column = [&](int64_t j) { return table.x.select(1, j); };
  table.y = 10.0 * torch::sin(M_PI * column(0) * column(1)) + 20.0 * (column(2) - 0.5).square() +
            10.0 * column(3) + 5.0 * column(4) +
            noise * torch::randn({samples}, generator, torch::kDouble);
  for (int j = 0; j < 10; ++j) table.feature_names.push_back("x" + std::to_string(j));
  return table;
}

}  // namespace xreg
