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
  /// The statistics used for standardization (float64 [d]); undefined when not standardized.
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
SplitData load_splits(const Params& data, const std::string& base_dir, uint64_t seed, int64_t trial,
                      torch::Dtype dtype);

}  // namespace xreg
