#pragma once
// What the ranks of a run send each other (private): trial reports, per-point values and
// explanations as bytes in torch's pickle format, read back by a process of the same build.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xreg/host/run/runner.hpp"

namespace xreg {

/// A trial's report with the index of its pipeline among a sweep's points.
struct TaggedTrial {
  int64_t pipeline = 0;
  TrialReport report;
};

std::string encode_trials(const std::vector<TaggedTrial>& trials);
/// Throws RunError when `bytes` are not encoded trial reports.
std::vector<TaggedTrial> decode_trials(const std::string& bytes);

/// A block of points' explanations, one per explainer (on any device: sent from the CPU).
std::string encode_explanations(const std::vector<Explanation>& explanations);
std::vector<Explanation> decode_explanations(const std::string& bytes);

/// A tensor (any dtype, on any device: sent from the CPU) as bytes; undefined allowed.
std::string encode_tensor(const torch::Tensor& tensor);
torch::Tensor decode_tensor(const std::string& bytes);

}  // namespace xreg
