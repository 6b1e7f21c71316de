#pragma once
/// Batched weighted ridge regression: many small local linear models solved as one batch, the
/// surrogate of LIME and MAPLE and the local fit of ExpO.

#include <torch/types.h>

namespace xreg {

struct LinearFit {
  torch::Tensor coefficients;  ///< [P, k, d]
  torch::Tensor intercepts;    ///< [P, k]
  torch::Tensor r2;            ///< [P, k]: weighted coefficient of determination on the data
};

/// The ridge of each of P problems from its weighted sums over the samples, for callers that
/// have those sums without the samples (MAPLE sums them leaf by leaf): with the augmented
/// design a = [1, z], gram = Σ_j w_j a_j a_jᵀ [P, d+1, d+1], moments = Σ_j w_j a_j y_jᵀ
/// [P, d+1, k] and y_square = Σ_j w_j y_j² [P, k], all float64. The penalty α applies to every
/// coefficient but the intercept's. Results as weighted_ridge's.
inline LinearFit ridge_from_sums(const torch::Tensor& gram, const torch::Tensor& moments,
                                 const torch::Tensor& y_square, double alpha) {
  auto penalty = torch::full({gram.size(1)}, alpha, gram.options());
  penalty[0] = 0.0;
  auto solution = torch::linalg_solve(gram + torch::diag(penalty), moments);  // [P, d+1, k]
  // Weighted sums of squares from the small matrices: Σw(y−ŷ)² = yᵀWy − 2sᵀm + sᵀGs.
  auto total = gram.select(1, 0).select(1, 0).unsqueeze(1);            // Σw [P, 1]
  auto y_weighted = moments.select(1, 0);                              // Σwy [P, k]
  auto explained = (solution * moments).sum(1);                        // sᵀm
  auto quadratic = (solution * torch::matmul(gram, solution)).sum(1);  // sᵀGs
  auto residual = (y_square - 2 * explained + quadratic).clamp_min(0.0);
  auto spread = y_square - y_weighted.pow(2) / total;
  LinearFit fit;
  fit.intercepts = solution.select(1, 0);                                      // [P, k]
  fit.coefficients = solution.narrow(1, 1, gram.size(1) - 1).transpose(1, 2);  // [P, k, d]
  fit.r2 = 1 - residual / spread.clamp_min(1e-300);
  return fit;
}

/// For each of P problems, minimizes Σ_j w_j (y_j − b − z_jᵀβ)² + α‖β‖² over β and the
/// unpenalized intercept b, as scikit-learn's Ridge(alpha, fit_intercept=True) with sample
/// weights. z: [P, m, d] or [m, d] shared by all problems; y: [P, m, k] or [m, k]; w: [P, m].
/// Everything is computed in float64, the products over the m samples included, as
/// scikit-learn does whatever the inputs' type. Results are float64.
inline LinearFit weighted_ridge(const torch::Tensor& z, const torch::Tensor& y,
                                const torch::Tensor& w, double alpha) {
  // The augmented design [1, z] with the penalty on every column but the intercept's gives the
  // same solution as centering first, in two batched products and no pass over centered data.
  const auto type = torch::kDouble;
  auto weights = w.to(type);
  const int64_t problems = weights.size(0);
  auto points = z.to(type);
  auto targets = y.to(type);
  if (points.dim() == 2) points = points.unsqueeze(0).expand({problems, -1, -1});
  if (targets.dim() == 2) targets = targets.unsqueeze(0).expand({problems, -1, -1});
  auto design = torch::cat({torch::ones_like(points.narrow(2, 0, 1)), points}, 2);  // [P,m,d+1]
  auto weighted = design * weights.unsqueeze(2);
  return ridge_from_sums(torch::matmul(weighted.transpose(1, 2), design),   // [P, d+1, d+1]
                         torch::matmul(weighted.transpose(1, 2), targets),  // [P, d+1, k]
                         (weights.unsqueeze(2) * targets.pow(2)).sum(1),    // Σwy² [P, k]
                         alpha);
}

}  // namespace xreg
