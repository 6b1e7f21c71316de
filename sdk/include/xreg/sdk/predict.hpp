#pragma once
/// Batch-independent forward passes: a point's outputs do not depend on the batch it is
/// evaluated in, to the last bit on the CPU (see detail/row_layout.hpp for why this needs care),
/// and no pass exceeds ctx.max_rows_per_pass rows (or one 48-row block, when the budget is
/// smaller). Use these, not a bare model.forward, wherever a result per point is reported.

#include <torch/autograd.h>

#include <algorithm>
#include <vector>

#include "xreg/sdk/detail/row_layout.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg {

namespace detail {

/// The model's outputs on `rows` [R, d...], in passes of at most `step` rows.
inline torch::Tensor forward_in_passes(Model& model, const torch::Tensor& rows, int64_t step) {
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < rows.size(0); begin += step) {
    parts.push_back(model.forward(rows.slice(0, begin, std::min(rows.size(0), begin + step))));
  }
  return parts.size() == 1 ? parts.front() : torch::cat(parts, 0);
}

}  // namespace detail

/// The model's outputs for K inputs of each of N points, z [N, K, d...] → [N, K, k], in passes
/// of at most ctx.max_rows_per_pass rows. On the CPU each point's rows sit at an offset fixed by
/// its global index (`index` [N]), which makes OpenBLAS give a point the same bits in any batch;
/// on other devices (cuBLAS chooses its kernels by shape) the layout would not, and the rows are
/// passed as they are. Differentiable with respect to z and the model's parameters: for
/// gradient-based explainers (saliency, SmoothGrad), which take torch::autograd::grad of the
/// result with respect to z.
inline torch::Tensor forward_points(Model& model, const torch::Tensor& z,
                                    const torch::Tensor& index, const Context& ctx) {
  if (!z.device().is_cpu()) {
    const int64_t step = std::max<int64_t>(1, ctx.max_rows_per_pass);
    return detail::forward_in_passes(model, z.flatten(0, 1), step)
        .unflatten(0, {z.size(0), z.size(1)});
  }
  const detail::RowLayout layout(index, z.size(1));
  return layout.unpack(
      detail::forward_in_passes(model, layout.pack(z), layout.pass_rows(ctx.max_rows_per_pass)));
}

/// The most points of `rows_per_point` rows each whose forward_points call stays within one
/// pass of the memory budget, however scattered their global indices: the chunk size of an
/// explainer that keeps a pass's autograd graph (saliency) or its rows (LIME) in memory.
inline int64_t points_per_pass(int64_t rows_per_point, const Context& ctx) {
  const int64_t block =
      (rows_per_point + detail::kRowQuantum - 1) / detail::kRowQuantum * detail::kRowQuantum;
  const int64_t rows = std::min(ctx.max_rows_per_pass, detail::kMaxPassRows);
  return std::max<int64_t>(1, rows / block);
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
