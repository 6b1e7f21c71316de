#pragma once
/// Reading IDX image and label files in the MNIST layout.

#include <torch/types.h>

#include <string>

#include "xreg/host/data/table.hpp"

namespace xreg {

/// Reads an IDX image file and its label file in the MNIST layout, each gzip-compressed or
/// plain: unsigned bytes [N, H, W] (magic number 0x00000803) and [N] (0x00000801), dimensions
/// big-endian. Pixels become float64 x [N, 1, H, W] in [0, 1] (divided by 255, as TensorFlow's
/// input_data), labels int64 class indices y [N] of the classes "0".."9". Throws ConfigError
/// "FILE: ..." on a bad magic number, a truncated file, a label above 9, or label and image
/// counts that differ. table.index is each item's position in the file (0..N-1). `raw`: pixels
/// stay the bytes 0..255 (RRR's decoy MNIST) instead of being divided by 255.
Table read_idx(const std::string& images_path, const std::string& labels_path, bool raw = false);

/// Reads an IDX file of unsigned bytes of any rank (magic number 0x000008RR, RR the rank),
/// gzip-compressed or plain, as a uint8 tensor of its dimensions. Throws ConfigError "FILE: ..."
/// on a bad magic number, a zero dimension or a truncated file; `what` names the content in
/// messages ("mask").
torch::Tensor read_idx_array(const std::string& path, const std::string& what);

}  // namespace xreg
