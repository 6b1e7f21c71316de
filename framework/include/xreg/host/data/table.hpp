#pragma once
/// A data set as read from its files or generated, before it is split for a trial.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xreg {

/// A table of values read from a file, before splitting.
struct Table {
  torch::Tensor x;                         ///< float64 [N, d] features (after one-hot), or
                                           ///< images [N, C, H, W]
  torch::Tensor y;                         ///< float64 [N] or [N, k] (regression), int64 [N]
  std::vector<std::string> feature_names;  ///< one per column of x
  std::vector<std::string> class_names;    ///< classification: label text of each class index
  int64_t dropped_rows = 0;                ///< rows left out by drop_missing
};

}  // namespace xreg
