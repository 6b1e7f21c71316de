// ExpO's explanation-metric suites, one thread, over the test points, fit included, on the
// shared housing model (12 features, 127 test points) and on many features (music, 70 features,
// an MLP 70→100→100→1; bench_support.hpp's load_music):
//   LIME:  point fidelity, neighborhood fidelity, stability as ExpO codes it (5 fresh
//          explanations of x) — against ExpO's metrics_lime;
//   MAPLE: point fidelity, neighborhood fidelity, stability (explanations at 5 neighbors) —
//          against ExpO's metrics_maple;
// both peers measured in this session (XREG_PEERS_JSON).
// Also printed: the FLOP bound of the LIME suite, whose 6 explanations a point of 1000 model
// evaluations each bound it from below on this machine.
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/sdk/metric.hpp"

namespace {

constexpr int kRuns = 3;

/// Fits `explainer_name`, explains the test points and evaluates the three metrics.
double suite_seconds(xreg::bench::Workload& housing, const std::string& explainer_name,
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

/// Times both suites on `workload`, whose model is d→100→100→1, and prints them beside the
/// peers' figures of `peer_section` (expo_metrics, expo_metrics_music).
void print_suites(xreg::bench::Workload& workload, const char* name,
                  const std::string& peer_section, double peak_flops) {
  const double points = static_cast<double>(workload.splits.test.size());
  const double d = static_cast<double>(workload.splits.test.points.x.size(1));
  const double lime = suite_seconds(workload, "lime", true);
  const double maple = suite_seconds(workload, "maple", false);
  const double flops_per_input = 2.0 * (d * 100 + 100 * 100 + 100 * 1);
  const double lime_bound = 6 * points * 1000 * flops_per_input / peak_flops;  // x, 5 re-explained
  std::printf(
      "ExpO metric suites on %s (%.0f features), %.0f test points, 1 thread (median of %d)\n", name,
      d, points, kRuns);
  std::printf("  LIME-PF/NF/S:  %.3f s; FLOP bound %.3f s (%.2fx)\n", lime, lime_bound,
              lime / lime_bound);
  std::printf("  MAPLE-PF/NF/S: %.3f s\n", maple);
  const std::string over_seeds = peer_section + ".wall_s_per_full_metric_over_seeds.";
  xreg::bench::print_peer_ratio("ExpO metrics_lime", over_seeds + "lime_wall_s.median", lime);
  xreg::bench::print_peer_ratio("ExpO metrics_maple", over_seeds + "maple_wall_s.median", maple);
}

}  // namespace

int main() {
  auto housing = xreg::bench::load_housing("bench_explanation_metrics");
  if (!housing) return 0;
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double peak_flops =
      2.0 * 1024 * 1024 * 1024 / xreg::bench::median_seconds(5, [&] { torch::mm(a, b); });
  print_suites(*housing, "housing", "expo_metrics", peak_flops);
  auto music = xreg::bench::load_music("bench_explanation_metrics");
  if (music) print_suites(*music, "music", "expo_metrics_music", peak_flops);
  return 0;
}
