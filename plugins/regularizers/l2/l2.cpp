// l2: the L2 baseline of ExpO's comparison, Σ ½w² over the model's weight matrices (biases
// excluded), TensorFlow's l2_loss as ExpO uses it. It does not depend on the regularization
// batch.
#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

class L2 final : public xreg::Regularizer {
 public:
  explicit L2(const xreg::Params&) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch&, int64_t,
                        const xreg::Context& ctx) override {
    auto total = torch::zeros({}, torch::TensorOptions(ctx.dtype).device(ctx.device));
    for (const auto& w : xreg::regularizers::weight_matrices(model)) {
      total = total + 0.5 * w.square().sum();
    }
    return total;
  }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<L2>("l2", "1.0.0",
                                    "L2 penalty: sum of w²/2 over the weight matrices, biases "
                                    "excluded (tf.nn.l2_loss)"))
