// l1: the L1 baseline of ExpO's comparison, Σ|w| over the model's weight matrices (biases
// excluded). It does not depend on the regularization batch.
#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

class L1 final : public xreg::Regularizer {
 public:
  explicit L1(const xreg::Params&) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch&, int64_t,
                        const xreg::Context& ctx) override {
    auto total = torch::zeros({}, torch::TensorOptions(ctx.dtype).device(ctx.device));
    for (const auto& w : xreg::regularizers::weight_matrices(model)) total = total + w.abs().sum();
    return total;
  }

  /// A penalty on the weights alone.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::parameters_only; }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<L1>("l1", "1.1.0",
                                    "L1 penalty: sum of |w| over the weight matrices, biases "
                                    "excluded"))
