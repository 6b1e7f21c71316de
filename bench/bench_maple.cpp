// MAPLE on the shared housing model, one thread: the fit (200 trees, feature selection on the
// validation split) and the time per explanation when the 127 test points are explained in
// one batch, with their ratios against the Python reference (ExpO's SLIM.py MAPLE, measured in
// this session: XREG_PEERS_JSON). Then the
// same on many features: the shared music set (70 features with the row index, as ExpO's loader
// keeps it; 529 training rows, ExpO's 50/25/25 split, standardized) explaining an MLP 70→100→100→1
// at its initialization, where the feature count search dominates the fit (it scores every count of
// leading features on the validation split).
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr int kFitRuns = 5;
constexpr int kExplainRuns = 20;

}  // namespace

using namespace xreg::bench;

/// MAPLE on many features, against ExpO's MAPLE on the same workload in this session.
void time_music() {
  auto music = load_music("bench_maple");
  if (!music) return;
  const auto& splits = music->splits;
  const xreg::Context ctx;
  std::shared_ptr<xreg::Explainer> maple;
  const double fit = median_seconds(3, [&] {
    maple = create<xreg::Explainer>(music->registry, "maple");
    maple->fit(*music->model, splits.train, splits.val, ctx);
  });
  const auto& test = splits.test.points;
  const double batch = median_seconds(5, [&] { maple->explain(*music->model, test, ctx); });
  const double per_explanation = batch / static_cast<double>(test.size());
  std::printf("MAPLE on music (%lld features; %lld train, %lld val, %lld test points), 1 thread\n",
              static_cast<long long>(splits.train.points.x.size(1)),
              static_cast<long long>(splits.train.size()),
              static_cast<long long>(splits.val.size()), static_cast<long long>(test.size()));
  std::printf("  fit: %.3f s (median of 3); explain: %.1f us per explanation (median of 5)\n", fit,
              per_explanation * 1e6);
  print_peer_ratio("ExpO MAPLE fit on music", "maple_music.fit_s.median", fit);
  print_peer_ratio("ExpO MAPLE per explanation on music", "maple_music.per_explanation_s.median",
                   per_explanation);
}

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
  std::printf("  fit: %.4f s (median of %d)\n", fit, kFitRuns);
  std::printf("  explain %lld points in one batch: %.1f us per explanation (median of %d)\n",
              static_cast<long long>(test.size()), per_explanation * 1e6, kExplainRuns);
  print_peer_ratio("ExpO MAPLE fit", "maple.fit_s.median", fit);
  print_peer_ratio("ExpO MAPLE per explanation", "maple.per_explanation_s.median", per_explanation);
  time_music();
  return 0;
}
