// l2: an L2 penalty on the model's parameters. By default the L2 baseline of ExpO's
// comparison, Σ ½w² over the model's weight matrices (biases excluded), TensorFlow's l2_loss as
// ExpO uses it; with biases = true and half = false it is RRR's λ₂ Σθ², the plain sum of
// squares of all parameters, biases included. It does not depend on the regularization batch.
#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::boolean("biases", "false",
                         "true: every parameter, biases included (RRR's λ₂ Σθ²); false: only the "
                         "weight matrices and kernels, parameters of two or more dimensions "
                         "(ExpO's tf.nn.l2_loss)."),
    xreg::param::boolean("half", "true",
                         "true: ½ Σ w² (tf.nn.l2_loss, ExpO); false: Σ w² (RRR's reference)."),
};

class L2 final : public xreg::Regularizer {
 public:
  explicit L2(const xreg::Params& params)
      : biases_(params.boolean("biases")), half_(params.boolean("half")) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch&, int64_t,
                        const xreg::Context& ctx) override {
    auto total = torch::zeros({}, torch::TensorOptions(ctx.dtype).device(ctx.device));
    const auto penalized =
        biases_ ? model.parameters() : xreg::regularizers::weight_matrices(model);
    for (const auto& w : penalized) {
      total = total + (half_ ? 0.5 * w.square().sum() : w.square().sum());
    }
    return total;
  }

  /// A penalty on the weights alone.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::parameters_only; }

 private:
  /// Whether every parameter is penalized, not only the weight matrices.
  bool biases_;
  /// Whether each square is halved.
  bool half_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<L2>("l2", "1.2.0",
                                    "L2 penalty: Σ w²/2 over the weight matrices, biases "
                                    "excluded (tf.nn.l2_loss), or Σ θ² over all parameters "
                                    "(RRR)",
                                    kParams))
