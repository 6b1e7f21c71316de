#pragma once
/// Pieces shared by the regularizer plugins: the model's outputs on all
/// neighbors of a batch in one differentiable pass, the residual of ExpO's local linear fits
/// (shared by ExpO-Fidelity and 1D-Fidelity), and the weight matrices that L1/L2 penalize.

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

/// The residuals r = y − ŷ [N, m, k] of the least-squares fits of y [N, m, k] on `design`
/// [N, m, p], one fit per point and all outputs at once, with the projection held constant as
/// ExpO's stop_gradient holds it: ŷ = D (DᵀD)⁻¹ Dᵀ y, the map (DᵀD)⁻¹Dᵀ from the normal
/// equations (a batched Cholesky factor) without gradients, and applied, in float64 (whose
/// precision absorbs the squared condition number of any design of sampled neighbors and the
/// cancellation of an intercept far from the neighbors' spread), so that the gradient flows
/// through y directly and through the fitted coefficients. Needs m > p, independent columns:
/// throws std::invalid_argument otherwise.
inline torch::Tensor local_fit_residual(const torch::Tensor& design, const torch::Tensor& y) {
  torch::Tensor d, map;
  {
    torch::NoGradGuard constant;
    d = design.to(torch::kDouble);
    const auto transposed = d.transpose(1, 2);
    const auto [factor, info] = torch::linalg_cholesky_ex(torch::bmm(transposed, d));
    if (info.ne(0).any().item<bool>()) {
      throw std::invalid_argument(
          "the local linear fit's design has linearly dependent columns or non-finite values");
    }
    map = torch::bmm(torch::cholesky_inverse(factor), transposed);
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
