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

/// For each of P problems, minimizes Σ_j w_j (y_j − b − z_jᵀβ)² + α‖β‖² over β and the
/// unpenalized intercept b, as scikit-learn's Ridge(alpha, fit_intercept=True) with sample
/// weights. z: [P, m, d] or [m, d] shared by all problems; y: [P, m, k] or [m, k]; w: [P, m].
/// Solved in float64 whatever the inputs' dtype; results in float64.
inline LinearFit weighted_ridge(const torch::Tensor& z, const torch::Tensor& y,
                                const torch::Tensor& w, double alpha) {
  auto weights = w.to(torch::kDouble);
  const int64_t problems = weights.size(0);
  auto points = z.to(torch::kDouble);
  auto targets = y.to(torch::kDouble);
  if (points.dim() == 2) points = points.unsqueeze(0).expand({problems, -1, -1});
  if (targets.dim() == 2) targets = targets.unsqueeze(0).expand({problems, -1, -1});
  auto total = weights.sum(1, /*keepdim=*/true);                  // [P, 1]
  auto normalized = (weights / total).unsqueeze(2);               // [P, m, 1]
  auto z_mean = (normalized * points).sum(1, /*keepdim=*/true);   // [P, 1, d]
  auto y_mean = (normalized * targets).sum(1, /*keepdim=*/true);  // [P, 1, k]
  auto zc = points - z_mean, yc = targets - y_mean;
  auto weighted_zc = zc * weights.unsqueeze(2);
  auto gram = torch::matmul(weighted_zc.transpose(1, 2), zc);  // [P, d, d]
  const int64_t d = gram.size(1);
  gram = gram + alpha * torch::eye(d, gram.options());
  auto beta = torch::linalg_solve(gram, torch::matmul(weighted_zc.transpose(1, 2), yc));  // [P,d,k]
  auto fitted = torch::matmul(zc, beta);                                 // [P, m, k]
  auto residual = (weights.unsqueeze(2) * (yc - fitted).pow(2)).sum(1);  // [P, k]
  auto spread = (weights.unsqueeze(2) * yc.pow(2)).sum(1);               // [P, k]
  LinearFit fit;
  fit.coefficients = beta.transpose(1, 2);                             // [P, k, d]
  fit.intercepts = (y_mean - torch::matmul(z_mean, beta)).squeeze(1);  // [P, k]
  fit.r2 = 1 - residual / spread.clamp_min(1e-300);
  return fit;
}

}  // namespace xreg
