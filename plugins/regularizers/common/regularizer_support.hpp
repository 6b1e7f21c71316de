#pragma once
/// Pieces shared by the regularizer plugins: the model's outputs on all
/// neighbors of a batch in one differentiable pass, the residual of ExpO's local linear fits
/// (shared by ExpO-Fidelity and 1D-Fidelity), and the weight matrices that L1/L2 penalize.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "xreg/sdk.hpp"

namespace xreg::regularizers {

/// The model's outputs [N, K, k] on inputs z [N, K, d...], differentiable with respect to the
/// model's parameters: all N·K rows go through the model in one forward pass, so the penalty
/// costs one forward and one backward over them. A pass beyond the memory budget
/// (ctx.rows_per_pass) is refused (std::invalid_argument, a configuration error the host reports
/// at the slot before training): its graph must live until the step's backward pass, so
/// splitting it would save nothing.
inline torch::Tensor outputs_on(Model& model, const torch::Tensor& z, const Context& ctx) {
  const int64_t rows = z.size(0) * z.size(1), values = values_per_entry(z, 2);
  if (rows > ctx.rows_per_pass(values)) {
    throw std::invalid_argument(
        "one pass of " + std::to_string(z.size(0)) + " points x " + std::to_string(z.size(1)) +
        " inputs = " + std::to_string(rows) + " rows of " + std::to_string(values) +
        " values exceeds the memory budget ([run] max_rows_per_pass = " +
        std::to_string(ctx.max_rows_per_pass) +
        ", max_values_per_pass = " + std::to_string(ctx.max_values_per_pass) +
        "); lower this regularizer's batch_size or neighbors, or raise the budget");
  }
  return model.forward(z.flatten(0, 1)).unflatten(0, {z.size(0), z.size(1)});
}

/// The design [z, 1] of a local linear fit: z [N, m, p] with a column of ones appended.
inline torch::Tensor with_intercept(const torch::Tensor& z) {
  return torch::cat({z, torch::ones_like(z.narrow(2, 0, 1))}, 2);
}

/// G⁻¹ for each symmetric positive definite G [N, p, p] (float64), by Cholesky G = L Lᵀ and
/// G⁻¹ = L⁻ᵀ L⁻¹, in plain loops: for the few coefficients of a local fit this is several times
/// faster than a LAPACK call per point. Throws std::invalid_argument when a G is not positive
/// definite (a design of dependent columns, or one holding NaN). Computed on the CPU, returned on
/// gram's device.
inline torch::Tensor inverse_gram(const torch::Tensor& gram) {
  auto factor = gram.to(torch::kCPU, torch::kDouble).contiguous().clone();
  const int64_t n = factor.size(0), p = factor.size(1);
  auto inverse = torch::zeros_like(factor);
  std::vector<double> l_inverse(static_cast<size_t>(p * p));
  for (int64_t b = 0; b < n; ++b) {
    double* l = factor.data_ptr<double>() + b * p * p;
    for (int64_t j = 0; j < p; ++j) {
      double pivot = l[j * p + j];
      for (int64_t k = 0; k < j; ++k) pivot -= l[j * p + k] * l[j * p + k];
      if (!(pivot > 0)) {
        throw std::invalid_argument(
            "the local linear fit's design has linearly dependent columns or non-finite values "
            "(point " +
            std::to_string(b) + " of the batch)");
      }
      l[j * p + j] = std::sqrt(pivot);
      for (int64_t i = j + 1; i < p; ++i) {
        double sum = l[i * p + j];
        for (int64_t k = 0; k < j; ++k) sum -= l[i * p + k] * l[j * p + k];
        l[i * p + j] = sum / l[j * p + j];
      }
    }
    std::fill(l_inverse.begin(), l_inverse.end(), 0.0);
    for (int64_t j = 0; j < p; ++j) {
      l_inverse[j * p + j] = 1.0 / l[j * p + j];
      for (int64_t i = j + 1; i < p; ++i) {
        double sum = 0.0;
        for (int64_t k = j; k < i; ++k) sum -= l[i * p + k] * l_inverse[k * p + j];
        l_inverse[i * p + j] = sum / l[i * p + i];
      }
    }
    double* out = inverse.data_ptr<double>() + b * p * p;
    for (int64_t i = 0; i < p; ++i) {
      for (int64_t j = 0; j <= i; ++j) {
        double sum = 0.0;
        for (int64_t k = i; k < p; ++k) sum += l_inverse[k * p + i] * l_inverse[k * p + j];
        out[i * p + j] = sum;
        out[j * p + i] = sum;
      }
    }
  }
  return inverse.to(gram.device());
}

/// The residuals r = y − ŷ [N, m, k] of the least-squares fits of y [N, m, k] on `design`
/// [N, m, p], one fit per point and all outputs at once, with the projection held constant as
/// ExpO's stop_gradient holds it: ŷ = D (DᵀD)⁻¹ Dᵀ y, the map (DᵀD)⁻¹Dᵀ from the normal
/// equations without gradients, and applied, in float64 (whose precision absorbs the squared
/// condition number of any design of sampled neighbors and the cancellation of an intercept
/// far from the neighbors' spread), so that the gradient flows through y directly and through
/// the fitted coefficients. With more than kSmallFit coefficients, a batched reduced QR serves
/// instead, ŷ = Q(Qᵀy). Needs m > p: with m ≤ p the fit is exact (the QR's residual is zero; the
/// normal equations are singular and refused).
inline constexpr int64_t kSmallFit = 64;
inline torch::Tensor local_fit_residual(const torch::Tensor& design, const torch::Tensor& y) {
  if (design.size(2) > kSmallFit) {
    torch::Tensor basis;
    {
      torch::NoGradGuard constant;
      basis = std::get<0>(torch::linalg_qr(design.to(y.dtype())));
    }
    return y - torch::bmm(basis, torch::bmm(basis.transpose(1, 2), y));
  }
  torch::Tensor d, map;
  {
    torch::NoGradGuard constant;
    d = design.to(torch::kDouble);
    const auto transposed = d.transpose(1, 2);
    map = torch::bmm(inverse_gram(torch::bmm(transposed, d)), transposed);
  }
  return y - torch::bmm(d, torch::bmm(map, y.to(torch::kDouble))).to(y.dtype());
}

/// ExpO's fidelity penalty: the mean over points, neighbors and outputs of the squared residual
/// of each point's local linear fit of the model's outputs on its neighbors. neighbors
/// [N, m, d...] are the model's inputs; design [N, m, p] the fit's regressors for them.
inline torch::Tensor local_fit_penalty(Model& model, const torch::Tensor& neighbors,
                                       const torch::Tensor& design, const Context& ctx) {
  return local_fit_residual(design, outputs_on(model, neighbors, ctx)).square().mean();
}

/// The model's weight matrices and kernels: its parameters of two or more dimensions, which
/// leaves out biases (as ExpO's L1/L2 baselines).
inline std::vector<torch::Tensor> weight_matrices(Model& model) {
  std::vector<torch::Tensor> weights;
  for (auto& p : model.parameters()) {
    if (p.dim() >= 2) weights.push_back(p);
  }
  return weights;
}

}  // namespace xreg::regularizers
