// Per-point random draws, one thread: xreg::Context::normal (Philox4x32-10, every point of a call
// at once; SDK 3.0) against the scheme of SDK 2.x measured here in the same run, an mt19937
// seeded per point from 32 bits of a hash and filled by ATen's normal_. Three shapes: LIME's
// neighborhoods (127 housing points × 1,000 samples × 12 features), an ExpO-Fidelity
// regularization batch (16 points × 24 neighbors × 12), and saliency-stability noise on MNIST
// (64 images × 10 draws × 784 pixels). Also whether the AVX2 path is taken.
#include <cstdio>
#include <vector>

#include "bench_support.hpp"
#include "xreg/sdk/context.hpp"

namespace {

/// SDK 2.x's Context::normal: a generator per point, seeded from (seed, stream, index, draw).
torch::Tensor normal_per_point_mt19937(const xreg::Context& ctx, const torch::Tensor& index,
                                       torch::IntArrayRef shape) {
  std::vector<int64_t> full{index.numel()};
  full.insert(full.end(), shape.begin(), shape.end());
  auto out = torch::empty(full);
  const int64_t* ids = index.data_ptr<int64_t>();
  for (int64_t i = 0; i < index.numel(); ++i) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(
        xreg::detail::stream_seed(ctx.seed, "noise", ids[i], 0));
    out[i].normal_(0.0, 1.0, generator);
  }
  return out;
}

void compare(const char* label, int64_t points, std::vector<int64_t> shape) {
  xreg::Context ctx;
  ctx.seed = 7;
  const auto index = torch::arange(points, torch::kLong);
  const int runs = 51;
  const double philox =
      xreg::bench::median_seconds(runs, [&] { (void)ctx.normal("noise", index, shape); });
  const double mt19937 =
      xreg::bench::median_seconds(runs, [&] { (void)normal_per_point_mt19937(ctx, index, shape); });
  int64_t values = points;
  for (int64_t s : shape) values *= s;
  std::printf("  %-34s %9.1f us (%5.2f ns/value)  %9.1f us (%5.2f ns/value)  %5.2fx\n", label,
              philox * 1e6, philox / values * 1e9, mt19937 * 1e6, mt19937 / values * 1e9,
              mt19937 / philox);
}

}  // namespace

int main() {
  xreg::make_blas_deterministic();
  torch::set_num_threads(1);
  std::printf("standard normal draws per call, medians of 51 calls, 1 thread (AVX2 path: %s)\n",
#ifdef XREG_PHILOX_AVX2
              xreg::detail::cpu_has_avx2() ? "yes" : "no"
#else
              "no"
#endif
  );
  std::printf("  %-34s %34s  %34s  ratio\n", "shape", "Philox (SDK 3.0)",
              "mt19937 per point (2.x)");
  compare("LIME, 127 x 1000 x 12", 127, {1000, 12});
  compare("ExpO-Fidelity batch, 16 x 24 x 12", 16, {24, 12});
  compare("saliency stability, 64 x 10 x 784", 64, {10, 784});
  return 0;
}
