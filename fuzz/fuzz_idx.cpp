/// IDX image and label files (MNIST layout, plain or gzip). The first two input bytes give the
/// length of the image file; the rest of the input is the label file. A bad file must end in a
/// ConfigError; any other exception, crash or sanitizer report is a finding.

#include "fuzz_support.hpp"
#include "xreg/host/data/idx.hpp"
#include "xreg/host/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xreg;
  size_t image_bytes = fuzz::take_byte(data, size);
  image_bytes |= static_cast<size_t>(fuzz::take_byte(data, size)) << 8;
  image_bytes = std::min(image_bytes, size);
  const std::string images = fuzz::scratch_file("images.idx", data, image_bytes);
  const std::string labels =
      fuzz::scratch_file("labels.idx", data + image_bytes, size - image_bytes);
  try {
    read_idx(images, labels);
  } catch (const ConfigError&) {
  }
  return 0;
}
