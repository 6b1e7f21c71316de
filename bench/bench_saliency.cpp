// Saliency (input gradients) on the shared housing model, one thread: µs per point when the
// 127 test points are explained in one call, against captum's Saliency (peers.md: 7.7 µs per
// point batched, 366 µs one point per call).
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr double kCaptumBatchedSeconds = 7.7e-6;
constexpr double kCaptumSingleSeconds = 366e-6;
constexpr int kRuns = 51;

}  // namespace

using namespace xreg::bench;

int main() {
  auto housing = load_housing("bench_saliency");
  if (!housing) return 0;
  const xreg::Context ctx;
  const auto& test = housing->splits.test.points;
  auto saliency = create<xreg::Explainer>(housing->registry, "saliency");
  saliency->fit(*housing->model, housing->splits.train, housing->splits.val, ctx);
  const double seconds =
      median_seconds(kRuns, [&] { saliency->explain(*housing->model, test, ctx); });
  const double per_point = seconds / static_cast<double>(test.size());
  std::printf("saliency on housing, %lld test points in one call, 1 thread\n",
              static_cast<long long>(test.size()));
  std::printf("  %.2f us per point (median of %d)\n", per_point * 1e6, kRuns);
  std::printf(
      "  captum batched (7.7 us): %.1fx faster; captum one point per call (366 us): "
      "%.0fx faster\n",
      kCaptumBatchedSeconds / per_point, kCaptumSingleSeconds / per_point);
  return 0;
}
