#pragma once
/// One type for every explanation: linear surrogates (LIME, MAPLE), attributions (saliency)
/// and concept explanations (SENN).

#include <torch/types.h>

#include <map>
#include <string>

namespace xreg {

struct Explanation {
  enum class Kind { linear, attribution, concept };

  Kind kind = Kind::linear;
  /// [N, k, d]: per point and explained output, a weight per input feature, in input units.
  torch::Tensor coefficients;
  /// [N, k]: per point and output, the surrogate's intercept (linear explanations only).
  torch::Tensor intercepts;
  /// [N, k]: the surrogate's own prediction at each explained point.
  torch::Tensor prediction;
  /// Optional per-point diagnostics, e.g. "r2" [N, k]: the surrogate's weighted R².
  std::map<std::string, torch::Tensor> diagnostics;

  int64_t size() const { return coefficients.size(0); }

  /// The linear surrogate of point i evaluated at z: z [N, K, d] -> [N, K, k].
  torch::Tensor evaluate(const torch::Tensor& z) const {
    auto flat = z.flatten(2);                                      // [N, K, d]
    auto out = torch::matmul(flat, coefficients.transpose(1, 2));  // [N, K, k]
    return intercepts.defined() ? out + intercepts.unsqueeze(1) : out;
  }

  /// [N, k, d+1]: intercept then coefficients, the vector ExpO's stability compares.
  torch::Tensor flat_with_intercept() const {
    auto c = coefficients.flatten(2);
    auto b = intercepts.defined() ? intercepts : torch::zeros({c.size(0), c.size(1)}, c.options());
    return torch::cat({b.unsqueeze(2), c}, 2);
  }
};

}  // namespace xreg
