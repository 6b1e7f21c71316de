// senn_reconstruction: the concept autoencoder's reconstruction loss of a SENN model with
// learned concepts, the mean squared error of x̂ (the model's "reconstruction" extra) against x,
// as the reference's concept_learning_loss.
#include "xreg/sdk.hpp"

namespace {

class SennReconstruction final : public xreg::Regularizer {
 public:
  explicit SennReconstruction(const xreg::Params&) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context&) override {
    auto rebuilt = xreg::model_extra(
        model, batch.x, "reconstruction",
        "senn_reconstruction needs the input rebuilt from learned concepts (model senn with "
        "conceptizer = \"autoencoder\" or \"conv_autoencoder\")");
    return (rebuilt - batch.x).square().mean();
  }

  /// Each point's error is its own reconstruction's.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::point_mean; }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<SennReconstruction>(
    "senn_reconstruction", "1.1.0",
    "Mean squared error of a SENN model's concept reconstruction against its input"))
