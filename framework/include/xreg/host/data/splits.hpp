#pragma once
/// The data of one trial: the [data] section's files or generator split into training,
/// validation and test (a seeded permutation or explicit files), then standardized with the
/// training split's statistics.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xreg/sdk/data.hpp"
#include "xreg/sdk/params.hpp"

namespace xreg {

/// The three splits of one trial, standardized, in the context's dtype, on the CPU.
struct SplitData {
  Dataset train, val, test;
  /// Human-readable remarks for the run log: constant columns, dropped rows.
  std::vector<std::string> notes;
  /// The statistics used for standardization (float64 [d], d the values of a flattened point);
  /// undefined when not standardized.
  torch::Tensor feature_mean, feature_scale;
  /// Target statistics (regression with standardize_target); undefined otherwise.
  torch::Tensor target_mean, target_scale;
};

/// The splits of trial `trial`: data.path (or the generator's set, or the IDX pair
/// data.images/labels) split with data.split fractions under a permutation drawn from (seed,
/// "split", trial), or the explicit data.train/val/test files. With data.test_images/test_labels
/// those are the test split and the IDX pair is split into training and validation only, by the
/// first two fractions renormalized. `data` is validated against data_schema(). Relative paths
/// are resolved against `base_dir` (the pipeline file's folder).
///
/// generator = "decoy" reads the IDX pair as format = "idx" does (raw pixels 0..255) and paints
/// the swatches after splitting: the training rule in the training and validation splits, the
/// test rule in the test split (add_decoy_swatches); data.zero_in_test sets the named features
/// of the test split to 0 before standardization.
///
/// Annotations: data.irrelevant (feature names or 0-based indices) and a built-in set's
/// data.annotations mask give every row of every split the same annotations (1 = irrelevant,
/// the shape of x, in `dtype`, reshaped with data.shape); a per-row mask (decoy's "swatch",
/// Table::annotations) travels with its row through the split and is combined with them;
/// without any points.annotations stays undefined. Standardization never touches them.
///
/// data.annotation_file (resolved against `base_dir`) is a per-row mask aligned with the rows of
/// the source that is split: data.path's data rows (a line for each, those drop_missing leaves
/// out included; Table::index picks a kept row's line), data.images' items (format = "idx" and
/// generator = "decoy") or a generator's rows. A .csv file holds a line of 0/1 values per row,
/// one per value of a point (the columns after one-hot encoding), after an optional header that
/// lists exactly the feature names; an IDX file (.idx, -ubyte, .gz) holds bytes [N, ...] with a
/// point's number of values per item, nonzero = 1. Each row's mask travels with it through the
/// split and is combined (elementwise max) with its own and the masks above; the rows of
/// data.test_images get 0. Refused with explicit train/val/test files. Mismatches (row count,
/// values per row, a value not 0/1, header names, item shape) throw ConfigError naming the file.
///
/// data.pixels = "raw" (format = "idx") keeps the pixels at 0..255, as generator = "decoy" reads
/// them; "unit" divides them by 255.
SplitData load_splits(const Params& data, const std::string& base_dir, uint64_t seed, int64_t trial,
                      torch::Dtype dtype);

}  // namespace xreg
