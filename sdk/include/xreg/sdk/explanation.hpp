#pragma once
/// One type for every explanation: linear surrogates (LIME, MAPLE), attributions (saliency)
/// and concept explanations (SENN).

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "xreg/sdk/explained_output.hpp"

namespace xreg {

/// What each kind fills in (N points, k explained outputs, d input features — the flattened
/// input for images — and c concepts):
///   - linear (LIME, MAPLE): coefficients [N, k, d] (the surrogate's slopes), intercepts
///     [N, k], prediction [N, k] (the surrogate at x); diagnostics optional ("r2" [N, k]).
///   - attribution (saliency): coefficients [N, k, d]; intercepts undefined; prediction
///     optional.
///   - concept (SENN): coefficients [N, k, c] (relevances θ over the concepts); intercepts
///     undefined; diagnostics "concepts" [N, c].
///
/// Shapes keep the output axis even when k = 1 ([N, 1, d] and [N, 1], never [N, d] or [N]).
/// For attributions, k counts the outputs explained: 1 for `predicted`/a given class, every
/// output for `all`. Only linear explanations can be evaluated away from x (`evaluate`).
struct Explanation {
  enum class Kind { linear, attribution, concept };

  Kind kind = Kind::linear;
  /// Which function of the model's outputs is explained (see explained_output.hpp)...
  OutputMode output = OutputMode::raw;
  /// ...and, in predicted_class mode, the class of each point [N].
  torch::Tensor classes;
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

/// The explanations of consecutive batches as one, in order. All parts have the same kind,
/// output mode and diagnostics.
inline Explanation concatenate(const std::vector<Explanation>& parts) {
  if (parts.empty()) return Explanation{};
  if (parts.size() == 1) return parts.front();
  auto cat = [&](auto field) {
    std::vector<torch::Tensor> pieces;
    for (const auto& part : parts) pieces.push_back(field(part));
    return pieces.front().defined() ? torch::cat(pieces, 0) : torch::Tensor();
  };
  Explanation whole;
  whole.kind = parts.front().kind;
  whole.output = parts.front().output;
  whole.classes = cat([](const Explanation& p) { return p.classes; });
  whole.coefficients = cat([](const Explanation& p) { return p.coefficients; });
  whole.intercepts = cat([](const Explanation& p) { return p.intercepts; });
  whole.prediction = cat([](const Explanation& p) { return p.prediction; });
  for (const auto& item : parts.front().diagnostics) {
    whole.diagnostics[item.first] =
        cat([&](const Explanation& p) { return p.diagnostics.at(item.first); });
  }
  return whole;
}

}  // namespace xreg
