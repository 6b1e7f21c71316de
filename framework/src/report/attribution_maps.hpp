#pragma once
// Attribution maps of image explanations as a figure (private; report.hpp lists the files).

#include <torch/types.h>

#include "report/png.hpp"

namespace xreg {

/// A row per point: the point (its channels' mean, scaled to its own range), then for each
/// explained output (the first 10) the attributions summed over channels, each map scaled by
/// its largest magnitude: mid-gray 0, white raising the output, black lowering it.
/// `inputs` [m, C, H, W]; `coefficients` [m, k, C·H·W].
GrayImage attribution_maps(const torch::Tensor& inputs, const torch::Tensor& coefficients);

}  // namespace xreg
