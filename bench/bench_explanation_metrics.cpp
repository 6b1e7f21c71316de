// ExpO's explanation-metric suites on the shared housing model, one thread, over the 127 test
// points, fit included:
//   LIME:  point fidelity, neighborhood fidelity, stability as ExpO codes it (5 fresh
//          explanations of x) — against ExpO's metrics_lime;
//   MAPLE: point fidelity, neighborhood fidelity, stability (explanations at 5 neighbors) —
//          against ExpO's metrics_maple;
// both peers measured in this session (XREG_PEERS_JSON).
// Also printed: the FLOP bound of the LIME suite, whose 762 explanations of 1000 model
// evaluations each bound it from below on this machine.
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/metric.hpp"

namespace {

constexpr int kRuns = 3;
constexpr double kFlopsPerInput = 2.0 * (12 * 100 + 100 * 100 + 100 * 1);

/// Fits `explainer_name`, explains the test points and evaluates the three metrics.
double suite_seconds(xreg::bench::Housing& housing, const std::string& explainer_name,
                     bool legacy_stability) {
  using namespace xreg::bench;
  const xreg::Context ctx;
  const auto& test = housing.splits.test;
  xreg::Params stability;
  stability.set("legacy_expo", legacy_stability);
  return median_seconds(kRuns, [&] {
    auto explainer = create<xreg::Explainer>(housing.registry, explainer_name);
    explainer->fit(*housing.model, housing.splits.train, housing.splits.val, ctx);
    const auto explanation = explainer->explain(*housing.model, test.points, ctx);
    const xreg::MetricInput input{*housing.model, test.points, test.task, explainer.get(),
                                  &explanation};
    for (const auto& [metric, params] : std::vector<std::pair<std::string, xreg::Params>>{
             {"point_fidelity", {}}, {"neighborhood_fidelity", {}}, {"stability", stability}}) {
      create<xreg::Metric>(housing.registry, metric, params)->evaluate(input, ctx);
    }
  });
}

}  // namespace

int main() {
  auto housing = xreg::bench::load_housing("bench_explanation_metrics");
  if (!housing) return 0;
  const double points = static_cast<double>(housing->splits.test.size());
  const double lime = suite_seconds(*housing, "lime", true);
  const double maple = suite_seconds(*housing, "maple", false);
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double flops =
      2.0 * 1024 * 1024 * 1024 / xreg::bench::median_seconds(5, [&] { torch::mm(a, b); });
  const double lime_bound = 6 * points * 1000 * kFlopsPerInput / flops;  // x and 5 re-explanations
  std::printf("ExpO metric suites on housing, %.0f test points, 1 thread (median of %d)\n", points,
              kRuns);
  std::printf("  LIME-PF/NF/S:  %.3f s; FLOP bound %.3f s (%.2fx)\n", lime, lime_bound,
              lime / lime_bound);
  std::printf("  MAPLE-PF/NF/S: %.3f s\n", maple);
  xreg::bench::print_peer_ratio("ExpO metrics_lime",
                                "expo_metrics.wall_s_per_full_metric_over_seeds.lime_wall_s.median",
                                lime);
  xreg::bench::print_peer_ratio(
      "ExpO metrics_maple", "expo_metrics.wall_s_per_full_metric_over_seeds.maple_wall_s.median",
      maple);
  return 0;
}
