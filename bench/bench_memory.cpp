// Memory stays bounded, by rows and by rows × row width:
// - LIME explains 10,000 housing points with 1000 samples each (10 million model inputs) in
//   chunks of at most [run] max_rows_per_pass rows;
// - LIME explains MNIST-sized points (784 values each, an MLP 784-200-10) in chunks within
//   [run] max_values_per_pass, with a quarter of the default budget, the default and 8 times it.
// Prints the time and the peak resident memory of each, measured in a process of its own.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_support.hpp"
#include "xreg/sdk/explainer.hpp"

namespace {

constexpr int64_t kPoints = 10000;
constexpr int64_t kImagePoints = 126;
constexpr int64_t kImageValues = 784;

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void housing_points(xreg::bench::Workload& housing) {
  xreg::Context ctx;  // the [run] defaults
  const auto& train = housing.splits.train.points.x;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto x = train.mean(0) + train.std(0) * torch::randn({kPoints, 12}, gen);
  const xreg::Batch points{x, torch::Tensor(), torch::arange(kPoints)};
  auto lime = xreg::bench::create<xreg::Explainer>(housing.registry, "lime");
  lime->fit(*housing.model, housing.splits.train, housing.splits.val, ctx);
  const double before = peak_resident_mib();
  const double seconds =
      xreg::bench::median_seconds(1, [&] { lime->explain(*housing.model, points, ctx); });
  std::printf("LIME, %lld points x 1000 samples, max_rows_per_pass %lld, 1 thread\n",
              static_cast<long long>(kPoints), static_cast<long long>(ctx.max_rows_per_pass));
  std::printf("  %.1f s; peak resident memory %.0f MiB (%.0f MiB before explaining)\n", seconds,
              peak_resident_mib(), before);
}

/// LIME on MNIST-sized points with max_values_per_pass = `budget`.
void image_points(const xreg::Registry& registry, int64_t budget) {
  xreg::Params hidden;
  hidden.set("hidden", std::vector<int64_t>{200});
  auto model = xreg::bench::create<xreg::Model>(registry, "mlp", hidden);
  model->build(xreg::ModelShape{{kImageValues}, 10, xreg::Task::multiclass}, xreg::Context{});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  xreg::Dataset train;
  train.points =
      xreg::Batch{torch::rand({1000, kImageValues}, gen), torch::Tensor(), torch::arange(1000)};
  train.task = xreg::Task::multiclass;
  train.outputs = 10;
  const xreg::Batch points{torch::rand({kImagePoints, kImageValues}, gen), torch::Tensor(),
                           torch::arange(kImagePoints)};
  auto lime = xreg::bench::create<xreg::Explainer>(registry, "lime");
  xreg::Context ctx;
  ctx.task = xreg::Task::multiclass;
  ctx.max_values_per_pass = budget;
  int64_t chunks = 0;
  ctx.progress_sink = [&](int64_t, int64_t) { ++chunks; };
  lime->fit(*model, train, train, ctx);
  const double before = peak_resident_mib();
  const double seconds =
      xreg::bench::median_seconds(1, [&] { lime->explain(*model, points, ctx); });
  std::printf(
      "  max_values_per_pass %10lld: %3lld chunks, %.1f s; peak resident memory %.0f MiB (%.0f "
      "MiB before explaining)\n",
      static_cast<long long>(budget), static_cast<long long>(chunks), seconds, peak_resident_mib(),
      before);
}

}  // namespace

/// Each measurement runs in a process of its own, so that each peak is its own.
int main(int argc, char** argv) {
  const int64_t budget = xreg::Context{}.max_values_per_pass;
  if (argc == 1) {
    const std::string self = argv[0];
    std::system((self + " housing").c_str());
    std::printf("LIME, %lld points of %lld values x 1000 samples, MLP %lld-200-10, 1 thread\n",
                static_cast<long long>(kImagePoints), static_cast<long long>(kImageValues),
                static_cast<long long>(kImageValues));
    for (const int64_t b : {budget / 4, budget, 8 * budget}) {
      std::fflush(stdout);
      std::system((self + " image " + std::to_string(b)).c_str());
    }
    return 0;
  }
  auto housing = xreg::bench::load_housing("bench_memory");
  if (!housing) return 0;
  if (std::string(argv[1]) == "housing") {
    housing_points(*housing);
  } else {
    image_points(housing->registry, std::stoll(argv[2]));
  }
  return 0;
}
