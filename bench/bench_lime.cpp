// LIME on the shared housing model, one thread: µs per explanation (1000 samples, ExpO's
// configuration) when the 127 test points are explained in one call, against
//   - the FLOP bound: the model's multiply-adds on the samples at this machine's measured
//     single-thread matrix-product rate (both measured in this run),
//   - the model's forward pass alone over the same samples,
//   - marcotcr/lime as ExpO configures it, measured in this session (XREG_PEERS_JSON),
// and the same with shared_samples = true, where the 127 points share one set of draws from the
// training distribution, so one forward pass of 999 rows serves them all.
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr int64_t kSamples = 1000;
constexpr int kRuns = 7;

/// Single-thread float32 matrix-product rate, FLOP/s, from a 1024³ product.
double measured_flops() {
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double seconds = xreg::bench::median_seconds(5, [&] { torch::mm(a, b); });
  return 2.0 * 1024 * 1024 * 1024 / seconds;
}

/// Multiply-adds ×2 of the housing MLP (12→100→100→1) for one input.
constexpr double kFlopsPerInput = 2.0 * (12 * 100 + 100 * 100 + 100 * 1);

}  // namespace

using namespace xreg::bench;

int main() {
  auto housing = load_housing("bench_lime");
  if (!housing) return 0;
  const xreg::Context ctx;
  const auto& test = housing->splits.test.points;
  const double n = static_cast<double>(test.size());

  auto lime = create<xreg::Explainer>(housing->registry, "lime");
  lime->fit(*housing->model, housing->splits.train, housing->splits.val, ctx);
  const double explain = median_seconds(kRuns, [&] { lime->explain(*housing->model, test, ctx); });
  xreg::Params shared_samples;
  shared_samples.set("shared_samples", true);
  auto shared = create<xreg::Explainer>(housing->registry, "lime", shared_samples);
  shared->fit(*housing->model, housing->splits.train, housing->splits.val, ctx);
  const double explain_shared =
      median_seconds(kRuns, [&] { shared->explain(*housing->model, test, ctx); });

  auto samples = torch::randn({test.size(), kSamples, 12});
  const double forward = median_seconds(
      kRuns, [&] { xreg::predict_points(*housing->model, samples, test.index, ctx); });
  const double flops = measured_flops();
  const double bound = kFlopsPerInput * kSamples / flops;

  const double per_explanation = explain / n;
  std::printf("LIME on housing, %lld test points, %lld samples each, 1 thread\n",
              static_cast<long long>(test.size()), static_cast<long long>(kSamples));
  std::printf("  LIME:                 %8.1f us per explanation (median of %d)\n",
              per_explanation * 1e6, kRuns);
  std::printf("  forward pass only:    %8.1f us per explanation\n", forward / n * 1e6);
  std::printf("  FLOP bound:           %8.1f us per explanation (%.1f MFLOP at %.1f GFLOP/s)\n",
              bound * 1e6, kFlopsPerInput * kSamples / 1e6, flops / 1e9);
  std::printf("  ratio to FLOP bound:  %8.2fx\n", per_explanation / bound);
  std::printf("  shared_samples:       %8.1f us per explanation\n", explain_shared / n * 1e6);
  print_peer_ratio("marcotcr/lime per explanation", "lime_marcotcr.per_explanation_s.median",
                   per_explanation);
  print_peer_ratio("marcotcr/lime against shared_samples", "lime_marcotcr.per_explanation_s.median",
                   explain_shared / n);
  return 0;
}
