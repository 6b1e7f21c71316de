#pragma once
/// Where each point's rows sit in a batched forward pass, so that a point's outputs do not
/// depend on the batch it is evaluated in.
///
/// Compiled into every plugin. Its results are part of the plugin ABI: changing the layout
/// bumps XREG_ABI_MAJOR (see abi.h). Plugins use it through xreg/sdk/predict.hpp.
///
/// Why: BLAS kernels sum a row's products in an order that depends on the row's offset in the
/// matrix (OpenBLAS packs rows in groups of 3 × its unroll width; 12 rows on x86 sgemm), so the
/// same point evaluated in another batch can differ in the last bit. A RowLayout places the K
/// rows of each point at a slot fixed by the point's global index inside blocks of a multiple
/// of kRowQuantum rows, so every row has the same offset modulo kRowQuantum in any batching.
/// This is an argument about OpenBLAS on the CPU; on other devices the layout only bounds the
/// size of each pass.

#include <torch/types.h>

#include <algorithm>
#include <tuple>
#include <vector>

namespace xreg::detail {

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

  /// z [N, K, d...] → [rows(), d...], unused rows zero. Differentiable with respect to z.
  torch::Tensor pack(const torch::Tensor& z) const {
    std::vector<int64_t> shape{rows()};
    for (int64_t s : z.sizes().slice(2)) shape.push_back(s);
    return torch::zeros(shape, z.options())
        .index_copy(0, positions_.to(z.device()), z.flatten(0, 1));
  }

  /// outputs [rows(), k...] → [N, K, k...]. Differentiable with respect to outputs.
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

}  // namespace xreg::detail
