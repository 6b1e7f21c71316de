#include "report/attribution_maps.hpp"

#include <algorithm>

namespace xreg {

namespace {

constexpr int64_t kMaxOutputs = 10;
/// Tiles are drawn at least this many pixels a side.
constexpr int64_t kTileSide = 56;
constexpr int64_t kGap = 4;
constexpr uint8_t kBackground = 96;

/// `values` mapped to [0, 1] by their own range.
torch::Tensor by_range(const torch::Tensor& values) {
  const double low = values.min().item<double>(), high = values.max().item<double>();
  return (values - low) / std::max(high - low, 1e-12);
}

/// `values` mapped to [0, 1] around 0.5 by their largest magnitude.
torch::Tensor by_magnitude(const torch::Tensor& values) {
  const double largest = values.abs().max().item<double>();
  return 0.5 + 0.5 * values / std::max(largest, 1e-12);
}

}  // namespace

GrayImage attribution_maps(const torch::Tensor& inputs, const torch::Tensor& coefficients) {
  const auto x = inputs.to(torch::kCPU, torch::kDouble);
  const int64_t points = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t outputs = std::min(coefficients.size(1), kMaxOutputs);
  const auto maps = coefficients.to(torch::kCPU, torch::kDouble)
                        .slice(1, 0, outputs)
                        .reshape({points, outputs, x.size(1), height, width})
                        .sum(2);  // [m, k, H, W]
  const int64_t scale = std::max<int64_t>(1, kTileSide / std::max(height, width));
  const int64_t tile_w = width * scale + kGap, tile_h = height * scale + kGap;
  GrayImage canvas((1 + outputs) * tile_w + kGap, points * tile_h + kGap, kBackground);
  for (int64_t i = 0; i < points; ++i) {
    const int64_t top = kGap + i * tile_h;
    draw_gray(canvas, by_range(x[i].mean(0)), kGap, top, scale);
    for (int64_t k = 0; k < outputs; ++k) {
      draw_gray(canvas, by_magnitude(maps[i][k]), kGap + (1 + k) * tile_w, top, scale);
    }
  }
  return canvas;
}

}  // namespace xreg
