#pragma once
// Grayscale PNG encoding (libpng), for the figures a run writes.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xreg {

/// A grayscale image, row by row, one byte per pixel.
struct GrayImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;

  GrayImage(int64_t w, int64_t h, uint8_t fill) : width(w), height(h), pixels(w * h, fill) {}
  uint8_t& at(int64_t x, int64_t y) { return pixels[y * width + x]; }
};

/// Draws `values` [H, W] (in [0, 1]: 0 black, 1 white) with its top-left corner at (left, top),
/// each value a scale×scale square.
void draw_gray(GrayImage& canvas, const torch::Tensor& values, int64_t left, int64_t top,
               int64_t scale);

/// The image as the bytes of a PNG file. Throws RunError when libpng fails.
std::string encode_png(const GrayImage& image);

}  // namespace xreg
