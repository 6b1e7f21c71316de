#pragma once
/// The built-in data sets, generated rather than read (format = "builtin"), and the annotation
/// masks they define.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xreg/host/data/table.hpp"
#include "xreg/sdk/params.hpp"

namespace xreg {

/// Makes the built-in data set named by data.generator, seeded by `seed`; relative paths are
/// resolved against `base_dir`:
/// - friedman1: Friedman's regression problem #1, data.samples rows of 10 features;
/// - toy_colors: RRR's toy colours (Ross et al. 2017, dtak/rrr toy_colors.py), data.samples
///   RGB images [3, 5, 5] of raw values 0..255 with 0/1 labels (binary or multiclass task);
/// - decoy: RRR's decoy MNIST training set: every image of data.images/labels (raw 0..255,
///   [1, H, W]) with its swatch of value 255 - 25 y (add_decoy_swatches), the swatch masks in
///   table.annotations (load_splits draws the test split's values at random instead);
/// - iris_cancer: RRR's Iris-Cancer composite (dtak/rrr iris_cancer.py), 100 rows of 34 raw
///   features from data.iris and data.cancer, labels 0 (rows 0..49) and 1 (rows 50..99).
Table generate_builtin(const Params& data, uint64_t seed, const std::string& base_dir = "");

/// Decoy MNIST's swatches (dtak/rrr decoy_mnist.py) painted into `table` (images [N, C, H, W],
/// H and W at least 4, table.index defined): each image gets a 4x4 swatch in a corner, rows
/// 0..3 or the last four with probability 1/2, columns likewise independently, of value
/// 255 - 25 y (`label_value`: the training rule) or 255 - 25 r with r uniform on 0..9 and
/// independent of the label (the test rule). The draws of row i come from the streams (seed,
/// "decoy/" + source, table.index[i]), so that an image's swatch does not depend on the split
/// it lands in. table.annotations becomes uint8 masks, 1 at the swatch's pixels.
void add_decoy_swatches(Table& table, bool label_value, uint64_t seed, const std::string& source);

/// The masks data.annotations may name for the built-in set `generator`, "none" first.
std::vector<std::string> builtin_mask_names(const std::string& generator);

/// The mask data.annotations names: float64 of one point's shape, 1 where an input is
/// irrelevant (the same for every row); undefined for "none" and for a per-row mask (decoy's
/// swatch, carried in Table::annotations: builtin_mask_per_row). Throws ConfigError when the
/// data are not a built-in set with that mask.
torch::Tensor builtin_mask(const Params& data);

/// Whether data.annotations names a mask that differs per row (decoy's swatch), which the
/// tables carry in Table::annotations.
bool builtin_mask_per_row(const Params& data);

}  // namespace xreg
