// accuracy: whether the predicted class equals the label, per point. Binary models give one
// logit (class 1 when positive); multiclass models one logit per class.
#include "xreg/sdk.hpp"

namespace {

class Accuracy final : public xreg::Metric {
 public:
  explicit Accuracy(const xreg::Params&) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    if (in.task == xreg::Task::regression) {
      throw std::invalid_argument("accuracy needs a binary or multiclass task, not regression");
    }
    auto predicted = xreg::predicted_classes(in.model, in.points, in.task, ctx);
    auto labels = in.points.y.reshape({-1}).to(torch::kLong);
    return {(predicted == labels).to(torch::kDouble)};
  }
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Accuracy>("accuracy", "1.0.0",
                                          "Fraction of points whose predicted class is the label"))
