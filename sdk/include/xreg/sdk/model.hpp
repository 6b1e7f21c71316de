#pragma once
/// Model plugins map a batch [N, d...] to outputs [N, k].
///
/// Thread safety: one object is used by one thread at a time.

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "xreg/sdk/context.hpp"
#include "xreg/sdk/data.hpp"
#include "xreg/sdk/plugin.hpp"

namespace xreg {

class Model : public Plugin {
 public:
  using Interface = Model;
  static constexpr xreg_kind kind = XREG_KIND_MODEL;

  /// Creates the layers for `shape` on ctx.device with ctx.dtype. Called once, before any
  /// other method. Initialization may use torch's default generator: the host seeds it from
  /// the run seed and the trial before this call.
  virtual void build(const ModelShape& shape, const Context& ctx) = 0;

  /// Outputs [N, k] for inputs [N, d...]; differentiable with respect to inputs and parameters.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;

  /// The trainable parameters. Empty for a model that is not trained.
  virtual std::vector<torch::Tensor> parameters() = 0;

  /// Parameters and buffers: everything the host snapshots to restore the best weights.
  virtual std::vector<torch::Tensor> state() { return parameters(); }

  /// Switches between training and evaluation behaviour (dropout, batch norm).
  virtual void set_training(bool /*on*/) {}

  /// Whether the host's training loop should train this model. Default: true.
  virtual bool trainable() const { return true; }

  /// Named extra outputs for inputs x (SENN: "theta", "concepts"). Default: none.
  virtual std::map<std::string, torch::Tensor> extras(const torch::Tensor& /*x*/) { return {}; }
};

}  // namespace xreg

namespace xreg {

/// Batch-independent forward passes.
///
/// BLAS kernels sum a row's products in an order that depends on the row's offset in the
/// matrix (OpenBLAS packs rows in groups of 3 × its unroll width; 12 rows on x86 sgemm), so the
/// same point evaluated in another batch can differ in the last bit. A RowLayout places the K
/// rows of each point at a slot fixed by the point's global index inside blocks of a multiple
/// of kRowQuantum rows, so every row has the same offset modulo kRowQuantum in any batching.
/// kRowQuantum = 48 covers OpenBLAS's x86 kernels (groups of 6, 12, 24 and 48 rows).
constexpr int64_t kRowQuantum = 48;
/// OpenBLAS also cuts the rows of a large product into blocks whose size is a multiple of 16
/// only (about 98,000 rows for float32 here): passes no longer than this stay in one block.
constexpr int64_t kMaxPassRows = 256 * kRowQuantum;

class RowLayout {
 public:
  /// For points with global indices `index` [N], each bringing `rows_per_point` rows.
  RowLayout(const torch::Tensor& index, int64_t rows_per_point) : rows_per_point_(rows_per_point) {
    const int64_t k = rows_per_point;
    block_rows_ =
        k <= kRowQuantum ? kRowQuantum : (k + kRowQuantum - 1) / kRowQuantum * kRowQuantum;
    const int64_t points_per_block = k <= kRowQuantum ? kRowQuantum / k : 1;
    auto global = index.to(torch::kCPU, torch::kLong);
    auto block = global.div(points_per_block, "floor");
    auto slot = global - block * points_per_block;
    torch::Tensor order;
    std::tie(blocks_, order) = torch::_unique(block, /*sorted=*/true, /*return_inverse=*/true);
    auto first_row = order * block_rows_ + slot * k;                                  // [N]
    positions_ = (first_row.unsqueeze(1) + torch::arange(k).unsqueeze(0)).flatten();  // [N*K]
  }

  /// Rows of the packed tensor: whole blocks.
  int64_t rows() const { return blocks_.numel() * block_rows_; }

  /// z [N, K, d...] → [rows(), d...], unused rows zero.
  torch::Tensor pack(const torch::Tensor& z) const {
    std::vector<int64_t> shape{rows()};
    for (int64_t s : z.sizes().slice(2)) shape.push_back(s);
    return torch::zeros(shape, z.options())
        .index_copy(0, positions_.to(z.device()), z.flatten(0, 1));
  }

  /// outputs [rows(), k...] → [N, K, k...].
  torch::Tensor unpack(const torch::Tensor& outputs) const {
    auto rows = outputs.index_select(0, positions_.to(outputs.device()));
    std::vector<int64_t> shape{-1, rows_per_point_};
    for (int64_t s : outputs.sizes().slice(1)) shape.push_back(s);
    return rows.view(shape);
  }

  /// Rows per forward pass: whole blocks, at most `max_rows` and kMaxPassRows (at least one
  /// block).
  int64_t pass_rows(int64_t max_rows) const {
    const int64_t limit = std::min(max_rows, kMaxPassRows);
    return std::max<int64_t>(1, limit / block_rows_) * block_rows_;
  }

 private:
  int64_t rows_per_point_, block_rows_;
  torch::Tensor blocks_, positions_;
};

/// The model's outputs for K inputs of each of N points, z [N, K, d...] → [N, K, k], without
/// gradients, in passes of at most ctx.max_rows_per_pass rows laid out by RowLayout: a point's
/// outputs do not depend on the batch it is in. `index` [N]: the points' global indices.
inline torch::Tensor predict_points(Model& model, const torch::Tensor& z,
                                    const torch::Tensor& index, const Context& ctx) {
  torch::NoGradGuard no_grad;
  const RowLayout layout(index, z.size(1));
  auto packed = layout.pack(z);
  const int64_t step = layout.pass_rows(ctx.max_rows_per_pass);
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < packed.size(0); begin += step) {
    parts.push_back(model.forward(packed.slice(0, begin, std::min(packed.size(0), begin + step))));
  }
  return layout.unpack(parts.size() == 1 ? parts.front() : torch::cat(parts, 0));
}

/// The model's outputs [N, k] for the points of a batch, as predict_points with one input each.
inline torch::Tensor predict(Model& model, const Batch& points, const Context& ctx) {
  return predict_points(model, points.x.unsqueeze(1), points.index, ctx).squeeze(1);
}

}  // namespace xreg
