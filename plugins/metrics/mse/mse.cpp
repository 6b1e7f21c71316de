// mse: the squared error of the model's prediction, per point (mean over outputs).
#include "xreg/sdk.hpp"

namespace {

class MeanSquaredError final : public xreg::Metric {
 public:
  explicit MeanSquaredError(const xreg::Params&) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    if (in.task != xreg::Task::regression) {
      throw std::invalid_argument(std::string("mse needs a regression task, not ") +
                                  xreg::task_name(in.task));
    }
    auto prediction = xreg::predict(in.model, in.points, ctx);
    auto target = in.points.y.reshape(prediction.sizes()).to(prediction.dtype());
    return {(prediction - target).pow(2).mean(1)};
  }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<MeanSquaredError>(
    "mse", "1.0.0", "Mean squared error of the predictions (regression)"))
