// MAPLE on the shared housing model, one thread: the fit (200 trees, feature selection on the
// validation split) and the time per explanation when the 127 test points are explained in
// one batch, with their ratios against the Python reference (GDPlumb/MAPLE, peers.md).
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr double kReferenceFitSeconds = 3.08;
constexpr double kReferenceExplanationSeconds = 9.97e-3;
constexpr int kFitRuns = 5;
constexpr int kExplainRuns = 20;

}  // namespace

using namespace xreg::bench;

int main() {
  auto housing = load_housing("bench_maple");
  if (!housing) return 0;
  const auto& registry = housing->registry;
  const auto& splits = housing->splits;
  auto& model = housing->model;
  const xreg::Context ctx;

  auto maple = create<xreg::Explainer>(registry, "maple");
  const double fit = median_seconds(kFitRuns, [&] {
    maple = create<xreg::Explainer>(registry, "maple");
    maple->fit(*model, splits.train, splits.val, ctx);
  });
  const auto& test = splits.test.points;
  const double batch = median_seconds(kExplainRuns, [&] { maple->explain(*model, test, ctx); });
  const double per_explanation = batch / static_cast<double>(test.size());

  std::printf("MAPLE on housing (%lld train, %lld val, %lld test points), 1 thread\n",
              static_cast<long long>(splits.train.size()),
              static_cast<long long>(splits.val.size()), static_cast<long long>(test.size()));
  std::printf("  fit: %.4f s (median of %d); reference %.2f s: %.1fx faster\n", fit, kFitRuns,
              kReferenceFitSeconds, kReferenceFitSeconds / fit);
  std::printf(
      "  explain %lld points in one batch: %.1f us per explanation (median of %d); "
      "reference %.2f ms: %.1fx faster\n",
      static_cast<long long>(test.size()), per_explanation * 1e6, kExplainRuns,
      kReferenceExplanationSeconds * 1e3, kReferenceExplanationSeconds / per_explanation);
  return 0;
}
