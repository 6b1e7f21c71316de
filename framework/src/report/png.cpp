#include "report/png.hpp"

#include <png.h>

#include "xreg/host/errors.hpp"

namespace xreg {

namespace {

/// libpng's write callback. Nothing may throw through libpng's C frames: a failed append is
/// reported to libpng, which longjmps back to encode_png.
void append_bytes(png_structp png, png_bytep data, png_size_t length) {
  try {
    static_cast<std::string*>(png_get_io_ptr(png))
        ->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    png_error(png, "out of memory");
  }
}

void flush_nothing(png_structp) {}

}  // namespace

void draw_gray(GrayImage& canvas, const torch::Tensor& values, int64_t left, int64_t top,
               int64_t scale) {
  const auto unit = values.to(torch::kCPU, torch::kDouble).nan_to_num(0, 1, 0).clamp(0, 1);
  const auto gray = (unit * 255).round().to(torch::kUInt8);
  const auto pixels = gray.accessor<uint8_t, 2>();
  for (int64_t y = 0; y < gray.size(0) * scale; ++y) {
    for (int64_t x = 0; x < gray.size(1) * scale; ++x) {
      canvas.at(left + x, top + y) = pixels[y / scale][x / scale];
    }
  }
}

std::string encode_png(const GrayImage& image) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw RunError("cannot encode a PNG: libpng could not allocate its state");
  }
  std::string bytes;
  std::vector<png_const_bytep> rows(image.height);
  for (int64_t y = 0; y < image.height; ++y) rows[y] = image.pixels.data() + y * image.width;
  if (setjmp(png_jmpbuf(png))) {  // libpng reports its errors by longjmp to here
    png_destroy_write_struct(&png, &info);
    throw RunError("cannot encode a PNG of " + std::to_string(image.width) + "x" +
                   std::to_string(image.height) + " pixels: libpng failed");
  }
  png_set_write_fn(png, &bytes, append_bytes, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_rows(png, const_cast<png_bytepp>(rows.data()), static_cast<png_uint_32>(image.height));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return bytes;
}

}  // namespace xreg
