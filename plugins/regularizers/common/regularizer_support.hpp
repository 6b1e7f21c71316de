#pragma once
/// Pieces shared by the regularizer plugins: the model's outputs on all
/// neighbors of a batch in one differentiable pass, the residual of ExpO's local linear fits
/// (shared by ExpO-Fidelity and 1D-Fidelity), and the weight matrices that L1/L2 penalize.

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

namespace detail {

/// Designs of at most this many columns are fit by the loops below; wider ones by batched BLAS
/// and LAPACK calls, whose fixed cost per call outweighs such small systems' arithmetic.
constexpr int64_t kSmallFitColumns = 32;

/// The lower Cholesky factors [N, p, p] of DᵀD for the designs d [N, m, p] (float64,
/// contiguous), by plain loops; throws std::invalid_argument for a non-positive or non-finite
/// pivot (dependent columns, non-finite values).
inline torch::Tensor gram_factors(const torch::Tensor& d) {
  const int64_t n = d.size(0), m = d.size(1), p = d.size(2);
  auto factors = torch::zeros({n, p, p}, d.options());
  const double* design = d.data_ptr<double>();
  double* all = factors.data_ptr<double>();
  for (int64_t point = 0; point < n; ++point) {
    const double* rows = design + point * m * p;
    double* l = all + point * p * p;
    for (int64_t i = 0; i < m; ++i) {  // the lower triangle of DᵀD
      for (int64_t a = 0; a < p; ++a) {
        for (int64_t b = 0; b <= a; ++b) l[a * p + b] += rows[i * p + a] * rows[i * p + b];
      }
    }
    for (int64_t j = 0; j < p; ++j) {
      double pivot = l[j * p + j];
      for (int64_t q = 0; q < j; ++q) pivot -= l[j * p + q] * l[j * p + q];
      if (!(pivot > 0) || !std::isfinite(pivot)) {
        throw std::invalid_argument(
            "the local linear fit's design has linearly dependent columns or non-finite values");
      }
      l[j * p + j] = std::sqrt(pivot);
      for (int64_t i = j + 1; i < p; ++i) {
        double entry = l[i * p + j];
        for (int64_t q = 0; q < j; ++q) entry -= l[i * p + q] * l[j * p + q];
        l[i * p + j] = entry / l[j * p + j];
      }
    }
  }
  return factors;
}

/// (I − D (DᵀD)⁻¹ Dᵀ) y per point, for designs d [N, m, p] and their gram_factors (float64), and
/// y [N, m, k] of any floating dtype, which the result keeps.
inline torch::Tensor project_out(const torch::Tensor& d, const torch::Tensor& factors,
                                 const torch::Tensor& y) {
  const int64_t n = d.size(0), m = d.size(1), p = d.size(2), k = y.size(2);
  auto values = y.to(torch::kDouble).contiguous();
  auto residuals = torch::empty_like(values);
  const double* design = d.data_ptr<double>();
  const double* all = factors.data_ptr<double>();
  const double* in = values.data_ptr<double>();
  double* out = residuals.data_ptr<double>();
  std::vector<double> coefficients(p);
  for (int64_t point = 0; point < n; ++point) {
    const double* rows = design + point * m * p;
    const double* l = all + point * p * p;
    for (int64_t c = 0; c < k; ++c) {
      const double* column = in + point * m * k + c;
      for (int64_t a = 0; a < p; ++a) {  // Dᵀy
        double sum = 0;
        for (int64_t i = 0; i < m; ++i) sum += rows[i * p + a] * column[i * k];
        coefficients[a] = sum;
      }
      for (int64_t a = 0; a < p; ++a) {  // L z = Dᵀy
        for (int64_t q = 0; q < a; ++q) coefficients[a] -= l[a * p + q] * coefficients[q];
        coefficients[a] /= l[a * p + a];
      }
      for (int64_t a = p - 1; a >= 0; --a) {  // Lᵀ β = z
        for (int64_t q = a + 1; q < p; ++q) coefficients[a] -= l[q * p + a] * coefficients[q];
        coefficients[a] /= l[a * p + a];
      }
      double* residual = out + point * m * k + c;
      for (int64_t i = 0; i < m; ++i) {
        double fitted = 0;
        for (int64_t a = 0; a < p; ++a) fitted += rows[i * p + a] * coefficients[a];
        residual[i * k] = column[i * k] - fitted;
      }
    }
  }
  return residuals.to(y.scalar_type());
}

/// y ↦ (I − P) y with the projection P of fixed designs (CPU, float64): the same map takes the
/// gradient back, as I − P is symmetric, and is itself differentiable the same way, so
/// derivatives of any order are right.
struct ProjectOut : public torch::autograd::Function<ProjectOut> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& y,
                               const torch::Tensor& d, const torch::Tensor& factors) {
    ctx->save_for_backward({d, factors});
    return project_out(d, factors, y);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list gradients) {
    const auto saved = ctx->get_saved_variables();
    return {ProjectOut::apply(gradients[0].contiguous(), saved[0], saved[1]), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace detail

/// The residuals r = y − ŷ [N, m, k] of the least-squares fits of y [N, m, k] on `design`
/// [N, m, p], one fit per point and all outputs at once, with the projection held constant as
/// ExpO's stop_gradient holds it: ŷ = D (DᵀD)⁻¹ Dᵀ y, from the normal equations' Cholesky factor
/// without gradients, in float64 (whose precision absorbs the squared condition number of any
/// design of sampled neighbors and the cancellation of an intercept far from the neighbors'
/// spread), so that the gradient flows through y directly and through the fitted coefficients.
/// Designs of up to detail::kSmallFitColumns columns on the CPU are fit by plain loops, wider
/// ones and those on other devices by batched BLAS and LAPACK calls. Needs m > p, independent
/// columns: throws std::invalid_argument otherwise.
inline torch::Tensor local_fit_residual(const torch::Tensor& design, const torch::Tensor& y) {
  torch::Tensor d, factors, map;
  {
    torch::NoGradGuard constant;
    d = design.to(torch::kDouble).contiguous();
    if (d.is_cpu() && d.size(2) <= detail::kSmallFitColumns) {
      factors = detail::gram_factors(d);
    } else {
      const auto transposed = d.transpose(1, 2);
      const auto [factor, info] = torch::linalg_cholesky_ex(torch::bmm(transposed, d));
      if (info.ne(0).any().item<bool>() || !factor.isfinite().all().item<bool>()) {
        throw std::invalid_argument(
            "the local linear fit's design has linearly dependent columns or non-finite values");
      }
      map = torch::bmm(torch::cholesky_inverse(factor), transposed);
    }
  }
  if (factors.defined()) return detail::ProjectOut::apply(y.contiguous(), d, factors);
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
