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
  /// Optional per-row annotations, the shape of x (any dtype; 1 where an input must not matter,
  /// e.g. decoy's swatch); undefined: none. Splitting carries them with their rows.
  torch::Tensor annotations;
  /// Optional int64 [N]: each row's index in its source (the IDX file's item), carried by
  /// splitting, so that per-row draws do not depend on the split; undefined: not tracked.
  torch::Tensor index;
};

}  // namespace xreg
