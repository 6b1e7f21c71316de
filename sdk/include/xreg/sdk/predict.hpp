#pragma once
/// Batch-independent forward passes: a point's outputs do not depend on the batch it is
/// evaluated in, to the last bit on the CPU (see detail/row_layout.hpp for why this needs care).
/// On the CPU every pass holds a fixed number of rows, at most 240 and 2^21 input values (or
/// one point's rows, when they are more); elsewhere passes stay within ctx's memory budget. Use
/// these, not a bare model.forward, wherever a result per point is reported.

#include <torch/autograd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "xreg/sdk/detail/row_layout.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg {

namespace detail {

/// `fn` [R', d...] → [R', m...] applied to `rows` [R, d...] in passes of at most `step` rows.
template <class Fn>
torch::Tensor in_passes(const torch::Tensor& rows, int64_t step, Fn fn) {
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < rows.size(0); begin += step) {
    parts.push_back(fn(rows.slice(0, begin, std::min(rows.size(0), begin + step))));
  }
  return parts.size() == 1 ? parts.front() : torch::cat(parts, 0);
}

}  // namespace detail

/// The values of one entry of `t` after its first `leading` dimensions: the d... of x [N, d...]
/// with leading = 1, of z [N, K, d...] with leading = 2. What the memory budget counts per row.
inline int64_t values_per_entry(const torch::Tensor& t, int64_t leading) {
  int64_t values = 1;
  for (int64_t dim = leading; dim < t.dim(); ++dim) values *= t.size(dim);
  return values;
}

/// `fn` [R, d...] → [R, m...] (a function of each row alone, such as a forward pass) applied to
/// K inputs of each of N points, z [N, K, d...] → [N, K, m...], laid out as forward_points
/// describes on the CPU, so that a point's result does not depend on its batch, and elsewhere
/// in passes within the memory budget (ctx.rows_per_pass of a row's d... values).
template <class Fn>
torch::Tensor map_points(const torch::Tensor& z, const torch::Tensor& index, const Context& ctx,
                         Fn fn) {
  const int64_t values = values_per_entry(z, 2);
  if (!z.device().is_cpu()) {
    return detail::in_passes(z.flatten(0, 1), ctx.rows_per_pass(values), fn)
        .unflatten(0, {z.size(0), z.size(1)});
  }
  const detail::RowLayout layout(index, z.size(1));
  const int64_t pass = layout.pass_rows(values);
  return layout.unpack(detail::in_passes(layout.pack(z, pass), pass, fn));
}

/// The model's outputs for K inputs of each of N points, z [N, K, d...] → [N, K, k]. On the CPU
/// each point's rows sit at an offset fixed by its global index (`index` [N]) in passes of a
/// fixed number of rows, which makes OpenBLAS give a point the same bits in any batch; on other
/// devices (cuBLAS chooses its kernels by shape) the layout would not, and the rows are passed
/// as they are, in passes of at most ctx.max_rows_per_pass rows. Differentiable with respect to z
/// and the model's parameters: for gradient-based explainers (saliency, SmoothGrad), which take
/// torch::autograd::grad of the result with respect to z.
inline torch::Tensor forward_points(Model& model, const torch::Tensor& z,
                                    const torch::Tensor& index, const Context& ctx) {
  return map_points(z, index, ctx, [&](const torch::Tensor& rows) { return model.forward(rows); });
}

/// The model's extra output `name` (Model::extras) for K inputs of each of N points,
/// z [N, K, d...] → [N, K, m...], batched and laid out as forward_points, and differentiable as
/// it is. Throws std::invalid_argument saying `need` when the model gives no such output
/// (see find_extra).
inline torch::Tensor extra_points(Model& model, const std::string& name, const std::string& need,
                                  const torch::Tensor& z, const torch::Tensor& index,
                                  const Context& ctx) {
  return map_points(z, index, ctx, [&](const torch::Tensor& rows) {
    return model_extra(model, rows, name, need);
  });
}

/// The most points of `rows_per_point` rows of `values_per_row` values each whose forward_points
/// call stays within the memory budget, however scattered their global indices (each point in a
/// block of its own): the chunk size of an explainer that keeps a call's autograd graph
/// (saliency) or its rows in memory. Points of contiguous indices fill the call's passes.
inline int64_t points_per_pass(int64_t rows_per_point, int64_t values_per_row, const Context& ctx) {
  const int64_t block =
      (rows_per_point + detail::kRowQuantum - 1) / detail::kRowQuantum * detail::kRowQuantum;
  return std::max<int64_t>(1, ctx.rows_per_pass(values_per_row) / block);
}

/// forward_points without gradients: what explainers and metrics evaluate.
inline torch::Tensor predict_points(Model& model, const torch::Tensor& z,
                                    const torch::Tensor& index, const Context& ctx) {
  torch::NoGradGuard no_grad;
  return forward_points(model, z, index, ctx);
}

/// The model's outputs [N, k] for the points of a batch, as predict_points with one input each.
inline torch::Tensor predict(Model& model, const Batch& points, const Context& ctx) {
  return predict_points(model, points.x.unsqueeze(1), points.index, ctx).squeeze(1);
}

}  // namespace xreg
