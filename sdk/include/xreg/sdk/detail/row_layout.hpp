#pragma once
/// Where each point's rows sit in a batched forward pass, so that a point's outputs do not
/// depend on the batch it is evaluated in.
///
/// Compiled into every plugin. Its results are part of the plugin ABI: changing the layout
/// bumps XREG_ABI_MAJOR (see abi.h), except for the two changes abi.h and sdk/README.md state
/// (2.3, 2.4), which move values by float rounding only. Plugins use it through
/// xreg/sdk/predict.hpp.
///
/// Why: BLAS kernels sum a row's products in an order that depends on the row's offset in the
/// matrix (OpenBLAS packs rows in groups of 3 × its unroll width; 12 rows on x86 sgemm) and on
/// the product's shape (a layer with few outputs takes another kernel once rows × outputs
/// passes about 1,200: an output layer of 10 logits from 144 rows on), so the same point
/// evaluated in another batch can differ in the last bit. A RowLayout places the K rows of each
/// point at a slot fixed by the point's global index inside blocks of a multiple of kRowQuantum
/// rows, so every row has the same offset modulo kRowQuantum in any batching, and every pass
/// holds the same number of rows (pass_rows, zero rows filling the last), which depends on the
/// points' shape alone: a row then meets the same kernels at the same offset whichever points
/// share its pass, however many the call holds and whatever the run's threads and processes.
/// This is an argument about OpenBLAS on the CPU; on other devices the layout is not used.

#include <torch/types.h>

#include <algorithm>
#include <tuple>
#include <vector>

namespace xreg::detail {

/// kRowQuantum = 48 covers OpenBLAS's x86 kernels (groups of 6, 12, 24 and 48 rows).
constexpr int64_t kRowQuantum = 48;
/// A pass holds at most this many rows (five blocks of one-row points; or one block)...
constexpr int64_t kMaxPassRows = 240;
/// ...and at most this many input values (8 MiB of float32; or one block): small enough that
/// padding a short call to a whole pass costs little, large enough that a pass's products run
/// at the BLAS's speed.
constexpr int64_t kMaxPassValues = int64_t{1} << 21;

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

  /// z [N, K, d...] → [rows() rounded up to whole passes of `pass_rows` rows, d...], unused
  /// rows zero. Differentiable with respect to z.
  torch::Tensor pack(const torch::Tensor& z, int64_t pass_rows) const {
    std::vector<int64_t> shape{(rows() + pass_rows - 1) / pass_rows * pass_rows};
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

  /// Rows of every forward pass for rows of `values_per_row` values: whole blocks, at most
  /// kMaxPassRows rows and kMaxPassValues values (at least one block). It depends on the
  /// points' shape alone, never on a memory budget that the run's threads share.
  int64_t pass_rows(int64_t values_per_row) const {
    const int64_t limit =
        std::min(kMaxPassRows, kMaxPassValues / std::max<int64_t>(1, values_per_row));
    return std::max<int64_t>(1, limit / block_rows_) * block_rows_;
  }

 private:
  int64_t rows_per_point_, block_rows_;
  torch::Tensor blocks_, positions_;
};

}  // namespace xreg::detail
