#pragma once
// A value as the bytes torch.save writes (private): run-folder files and messages between ranks.

#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <string>
#include <vector>

namespace xreg {

/// `value` pickled as torch::pickle_save (and Python's torch.save) writes it.
inline std::string pickled(const c10::IValue& value) {
  const std::vector<char> bytes = torch::jit::pickle_save(value);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace xreg
