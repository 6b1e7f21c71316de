// Built from sdk/README.md's example, against the installed SDK only.
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("scale", "1.0",
                      "Factor applied to every error, e.g. to undo "
                      "standardization of the target."),
};

class MaxAbsoluteError final : public xreg::Metric {
 public:
  explicit MaxAbsoluteError(const xreg::Params& params) : scale_(params.real("scale")) {
    if (scale_ <= 0) throw std::invalid_argument("scale must be positive");
  }

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    if (in.task != xreg::Task::regression) {
      throw std::invalid_argument("max_abs_error needs a regression task");
    }
    auto prediction = xreg::predict(in.model, in.points, ctx);  // [N, k], one pass
    auto target = in.points.y.reshape(prediction.sizes()).to(prediction.dtype());
    return {scale_ * std::get<0>((prediction - target).abs().max(1))};  // [N]
  }

 private:
  double scale_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<MaxAbsoluteError>("max_abs_error", "1.0.0",
                                                  "Largest absolute error over a point's outputs",
                                                  kParams))
