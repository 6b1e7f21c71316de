// Saliency (input gradients) on the shared housing model, one thread: µs per point when the
// 127 test points are explained in one call, against captum's Saliency measured in this session
// (XREG_PEERS_JSON): batched over the 127 points, and one point per call.
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

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
  print_peer_ratio("captum Saliency, batched, per point",
                   "captum.saliency.batched_all_test_points.per_explanation_amortized_s.median",
                   per_point);
  print_peer_ratio("captum Saliency, one point per call",
                   "captum.saliency.per_explanation_s.median", per_point);
  return 0;
}
