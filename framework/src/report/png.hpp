#pragma once
// Grayscale PNG encoding (libpng), for the figures a run writes.

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

/// The image as the bytes of a PNG file. Throws RunError when libpng fails.
std::string encode_png(const GrayImage& image);

}  // namespace xreg
