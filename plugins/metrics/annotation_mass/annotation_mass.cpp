// annotation_mass: how much of an explanation lies inside a region of the input, RRR's "rule
// score" and "iris usage" (Ross et al., §4): each point's explanation mask
// M_c = |g| > c·max|g| (strict, per point and explained output, over the inputs), and the
// fraction of M_c that falls inside the region: the point's annotations (1 = an input that must
// not matter), or the features named in `features`. A point whose attribution is zero
// everywhere has an empty mask and scores 0.
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("threshold", "0.67",
                      "c of the explanation mask |g| > c·max|g| (the reference's 0.67).")
        .non_negative()
        .less_than(1),
    xreg::param::strings("features", "[]",
                         "The region: feature names of the training split, or 0-based indices "
                         "into the flattened input written as strings (\"3\"); empty: each "
                         "point's annotations from the data."),
};

class AnnotationMass final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds =
      XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_ATTRIBUTION;

  explicit AnnotationMass(const xreg::Params& params)
      : threshold_(params.real("threshold")), features_(params.strings("features")) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context&) override {
    const auto& explanation = xreg::metrics::explanation_of(in, "annotation_mass");
    if (explanation.kind == xreg::Explanation::Kind::concept) {
      throw std::invalid_argument(
          "annotation_mass needs explanations over the inputs (attributions or linear "
          "surrogates), not over concepts");
    }
    auto magnitude = explanation.coefficients.abs().to(torch::kDouble);  // [N, k, d]
    auto largest = std::get<0>(magnitude.max(2, /*keepdim=*/true));      // [N, k, 1]
    auto mask = magnitude > threshold_ * largest;
    auto inside = mask & region(in, magnitude.size(2)).unsqueeze(1);  // [N, k, d]
    auto count = mask.sum(2).to(torch::kDouble);
    auto fraction = inside.sum(2).to(torch::kDouble) / count.clamp_min(1.0);
    return {fraction};  // [N, k]; 0 where the mask is empty
  }

 private:
  /// [N, d] booleans: the region of each point over its d flattened inputs.
  torch::Tensor region(const xreg::MetricInput& in, int64_t d) const {
    const int64_t n = in.points.size();
    if (features_.empty()) {
      if (!in.points.annotations.defined()) {
        throw std::invalid_argument(
            "annotation_mass needs a region: annotations in the data, or features = [...]");
      }
      return in.points.annotations.flatten(1).to(torch::kCPU) != 0;
    }
    auto chosen = torch::zeros({d}, torch::kBool);
    for (const auto& feature : features_) chosen[index_of(feature, in, d)] = true;
    return chosen.unsqueeze(0).expand({n, d});
  }

  /// A feature's index: its position among the training split's feature names, or its digits.
  static int64_t index_of(const std::string& feature, const xreg::MetricInput& in, int64_t d) {
    if (in.train != nullptr) {
      const auto& names = in.train->feature_names;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == feature) return static_cast<int64_t>(i);
      }
    }
    const bool digits =
        !feature.empty() && feature.find_first_not_of("0123456789") == std::string::npos;
    if (digits && feature.size() < 10 && std::stoll(feature) < d) return std::stoll(feature);
    throw std::invalid_argument(
        "annotation_mass: features: expected a feature name or an index "
        "below " +
        std::to_string(d) + ", found '" + feature + "'");
  }

  double threshold_;
  std::vector<std::string> features_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<AnnotationMass>(
    "annotation_mass", "1.0.0",
    "Fraction of each explanation's mask |g| > c·max|g| inside a region: the annotations or "
    "named features (RRR's rule score and iris usage)",
    kParams))
