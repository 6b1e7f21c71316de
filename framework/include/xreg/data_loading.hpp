#pragma once
/// Reading data sets and splitting them for one trial: CSV files (with or without header,
/// target by name, index or `last`), IDX image files (MNIST layout), built-in generators, seeded
/// splits and training-split standardization.

#include <string>
#include <vector>

#include "xreg/schema.hpp"
#include "xreg/sdk/data.hpp"

namespace xreg {

/// The [data] section's schema (keys, types, defaults, docs).
const Schema& data_schema();

/// A table of values read from a file, before splitting.
struct Table {
  torch::Tensor x;                         ///< float64 [N, d] features (after one-hot), or
                                           ///< images [N, C, H, W]
  torch::Tensor y;                         ///< float64 [N] or [N, k] (regression), int64 [N]
  std::vector<std::string> feature_names;  ///< one per column of x
  std::vector<std::string> class_names;    ///< classification: label text of each class index
  int64_t dropped_rows = 0;                ///< rows left out by drop_missing
};

/// The three splits of one trial, standardized, in the context's dtype, on the CPU.
struct SplitData {
  Dataset train, val, test;
  /// Human-readable remarks for the run log: constant columns, dropped rows.
  std::vector<std::string> notes;
  /// The statistics used for standardization (float64 [d]); undefined when not standardized.
  torch::Tensor feature_mean, feature_scale;
  /// Target statistics (regression with standardize_target); undefined otherwise.
  torch::Tensor target_mean, target_scale;
};

/// Reads a CSV file as described by `data` (validated against data_schema()). Throws
/// ConfigError "FILE:LINE: expected ..., found ..." on malformed input.
Table read_csv(const std::string& path, const Params& data);

/// Reads an IDX image file and its label file in the MNIST layout, each gzip-compressed or
/// plain: unsigned bytes [N, H, W] (magic number 0x00000803) and [N] (0x00000801), dimensions
/// big-endian. Pixels become float64 x [N, 1, H, W] in [0, 1] (divided by 255, as TensorFlow's
/// input_data), labels int64 class indices y [N] of the classes "0".."9". Throws ConfigError
/// "FILE: ..." on a bad magic number, a truncated file, a label above 9, or label and image
/// counts that differ.
Table read_idx(const std::string& images_path, const std::string& labels_path);

/// Makes the built-in data set named by data.generator, seeded by `seed`.
Table generate_builtin(const Params& data, uint64_t seed);

/// The splits of trial `trial`: data.path (or the generator's set, or the IDX pair
/// data.images/labels) split with data.split fractions under a permutation drawn from (seed,
/// "split", trial), or the explicit data.train/val/test files. With data.test_images/test_labels
/// those are the test split and the IDX pair is split into training and validation only, by the
/// first two fractions renormalized. Relative paths are resolved against `base_dir` (the
/// pipeline file's folder).
SplitData load_splits(const Params& data, const std::string& base_dir, uint64_t seed, int64_t trial,
                      torch::Dtype dtype);

}  // namespace xreg
