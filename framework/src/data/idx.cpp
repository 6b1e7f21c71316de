/// Reading IDX files in the MNIST layout (gzip-compressed or plain): an image file of unsigned
/// bytes [N, H, W] and a label file of unsigned bytes [N], as one Table.

#include "xreg/host/data/idx.hpp"

#include <torch/types.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// Third byte of the magic number: the values are unsigned bytes.
constexpr uint8_t kUnsignedByte = 0x08;
/// MNIST layout: 10 classes, labelled 0 to 9.
constexpr int64_t kClasses = 10;
/// Pixels are bytes 0..255; scaled to [0, 1] as TensorFlow's input_data does.
constexpr double kMaxPixel = 255.0;

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

/// The file's bytes, decompressed when it is gzip (zlib reads plain files as they are).
std::vector<uint8_t> read_bytes(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) fail(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int count;
  while ((count = gzread(file.get(), chunk, sizeof chunk)) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + count);
  }
  int error = Z_OK;
  const char* message = gzerror(file.get(), &error);
  if (error == Z_BUF_ERROR) fail(path + ": truncated file: the gzip data end early");
  if (error != Z_OK) fail(path + ": cannot read: " + message);
  return bytes;
}

/// Four bytes as a magic number in hex: "0x00000803".
std::string magic_text(const uint8_t* magic) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%02X%02X%02X%02X", magic[0], magic[1], magic[2], magic[3]);
  return text;
}

/// The big-endian 32-bit number at `bytes`.
uint32_t big_endian_u32(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | static_cast<uint32_t>(bytes[3]);
}

/// Dimensions as text: "60000x28x28".
std::string dims_text(const std::vector<int64_t>& dims) {
  std::string text;
  for (int64_t dim : dims) text += (text.empty() ? "" : "x") + std::to_string(dim);
  return text;
}

/// The dimensions in the header of an IDX file of unsigned bytes with `rank` dimensions, after
/// checking its magic number. `what` names the content in messages ("image", "label").
std::vector<int64_t> read_header(const std::vector<uint8_t>& bytes, uint8_t rank,
                                 const std::string& what, const std::string& path) {
  const uint8_t expected[4] = {0, 0, kUnsignedByte, rank};
  if (bytes.size() < 4) {
    fail(path + ": truncated file: no IDX magic number (" + magic_text(expected) + ")");
  }
  if (!std::equal(expected, expected + 4, bytes.begin())) {
    fail(path + ": bad magic number " + magic_text(bytes.data()) + ": an IDX " + what +
         " file starts with " + magic_text(expected));
  }
  if (bytes.size() < 4 + 4 * size_t{rank}) {
    fail(path + ": truncated file: the IDX header ends early");
  }
  std::vector<int64_t> dims;
  for (size_t d = 0; d < rank; ++d) dims.push_back(big_endian_u32(bytes.data() + 4 + 4 * d));
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) {
    fail(path + ": expected " + what + " dimensions of at least 1, found " + dims_text(dims));
  }
  return dims;
}

/// An IDX file of unsigned bytes with `rank` dimensions as a uint8 tensor of its shape.
/// `bytes`: the file's content when already read.
torch::Tensor read_idx_file(const std::string& path, uint8_t rank, const std::string& what,
                            std::vector<uint8_t> bytes = {}) {
  if (bytes.empty()) bytes = read_bytes(path);
  const std::vector<int64_t> dims = read_header(bytes, rank, what, path);
  const size_t header = 4 + 4 * size_t{rank};
  const double needed = std::accumulate(dims.begin(), dims.end(), 1.0, std::multiplies<>());
  const size_t found = bytes.size() - header;
  if (needed > static_cast<double>(found)) {
    char count[32];
    std::snprintf(count, sizeof count, "%.0f", needed);
    fail(path + ": truncated file: " + dims_text(dims) + " " + what + " values need " + count +
         " bytes after the header, found " + std::to_string(found));
  }
  return torch::from_blob(const_cast<uint8_t*>(bytes.data() + header), dims, torch::kUInt8).clone();
}

/// Labels as class indices, each checked to be a class 0..9.
torch::Tensor class_indices(const torch::Tensor& labels, const std::string& path) {
  const torch::Tensor indices = labels.to(torch::kLong);
  const torch::Tensor outside = (indices >= kClasses).nonzero();
  if (outside.size(0) > 0) {
    const int64_t item = outside[0][0].item<int64_t>();
    fail(path + ": label " + std::to_string(indices[item].item<int64_t>()) + " of item " +
         std::to_string(item) + " is not a class 0.." + std::to_string(kClasses - 1));
  }
  return indices;
}

}  // namespace

torch::Tensor read_idx_array(const std::string& path, const std::string& what) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  if (bytes.size() < 4) fail(path + ": truncated file: no IDX magic number");
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != kUnsignedByte || bytes[3] == 0) {
    fail(path + ": bad magic number " + magic_text(bytes.data()) + ": an IDX " + what +
         " file of unsigned bytes starts with 0x000008 and its number of dimensions (0x00000803 "
         "for [N, H, W])");
  }
  return read_idx_file(path, bytes[3], what, bytes);
}

Table read_idx(const std::string& images_path, const std::string& labels_path, bool raw) {
  const torch::Tensor images = read_idx_file(images_path, 3, "image");
  const torch::Tensor labels = read_idx_file(labels_path, 1, "label");
  if (images.size(0) != labels.size(0)) {
    fail(labels_path + ": " + std::to_string(labels.size(0)) + " labels for " +
         std::to_string(images.size(0)) + " images in " + images_path);
  }
  Table table;
  table.x = images.unsqueeze(1).to(torch::kDouble);
  if (!raw) table.x /= kMaxPixel;
  table.y = class_indices(labels, labels_path);
  table.index = torch::arange(images.size(0), torch::kLong);
  for (int64_t label = 0; label < kClasses; ++label) {
    table.class_names.push_back(std::to_string(label));
  }
  return table;
}

}  // namespace xreg
