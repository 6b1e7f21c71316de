// Memory stays bounded: LIME explains 10,000 points with 1000 samples each (10 million model
// inputs) in chunks of at most [run] max_rows_per_pass rows; prints the peak resident memory.
// Points are drawn from the housing training distribution.
#include <sys/resource.h>

#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr int64_t kPoints = 10000;

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

using namespace xreg::bench;

int main() {
  auto housing = load_housing("bench_memory");
  if (!housing) return 0;
  xreg::Context ctx;
  ctx.max_rows_per_pass = 262144;  // the [run] default
  const auto& train = housing->splits.train.points.x;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto x = train.mean(0) + train.std(0) * torch::randn({kPoints, 12}, gen);
  const xreg::Batch points{x, torch::Tensor(), torch::arange(kPoints)};
  auto lime = create<xreg::Explainer>(housing->registry, "lime");
  lime->fit(*housing->model, housing->splits.train, housing->splits.val, ctx);
  const double before = peak_resident_mib();
  const double seconds = median_seconds(1, [&] { lime->explain(*housing->model, points, ctx); });
  std::printf("LIME, %lld points x 1000 samples, max_rows_per_pass %lld, 1 thread\n",
              static_cast<long long>(kPoints), static_cast<long long>(ctx.max_rows_per_pass));
  std::printf("  %.1f s; peak resident memory %.0f MiB (%.0f MiB before explaining)\n", seconds,
              peak_resident_mib(), before);
  return 0;
}
