// faithfulness: the SENN paper's faithfulness (§5.3, Alvarez-Melis & Jaakkola 2018): per point,
// the Pearson correlation between each feature's (or concept's) relevance to the predicted class
// and the drop in the predicted class's probability when that feature is removed. A concept is
// removed by setting its relevance θᵢ to zero (a self-explaining model's concept explanation);
// a feature by setting it to a baseline, the training mean by default (linear and attribution
// explanations), all points' removals in one batched pass. Higher is more faithful; a point
// whose relevances or drops are all equal has no correlation and scores 0. The relevance is the
// coefficient itself (θᵢ, the paper's choice) or its contribution at the point, the coefficient
// times what removal takes away (θᵢhᵢ, or cᵢ(xᵢ − baselineᵢ)), which a removal's drop follows
// more closely when features or concepts take both signs.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("baseline", "\"mean\"",
                        "The value a removed feature takes: the training split's mean of the "
                        "feature, or zero (the mean of standardized data).",
                        "mean|zero"),
    xreg::param::string("relevance", "\"coefficient\"",
                        "What is correlated with the drops: each coefficient (θᵢ, as the SENN "
                        "paper), or its contribution at the point, the coefficient times the "
                        "value removal takes away (θᵢhᵢ; cᵢ(xᵢ − baselineᵢ)).",
                        "coefficient|contribution"),
};

/// Pearson correlation of the rows of a and b [N, m] (0 where either row is constant).
torch::Tensor row_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  auto da = a - a.mean(1, true), db = b - b.mean(1, true);
  auto denominator = (da.square().sum(1) * db.square().sum(1)).sqrt();
  auto correlation = (da * db).sum(1) / denominator.clamp_min(1e-300);
  return torch::where(denominator > 0, correlation, torch::zeros_like(correlation));
}

class Faithfulness final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds =
      XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_ATTRIBUTION | XREG_EXPLANATION_CONCEPT;

  explicit Faithfulness(const xreg::Params& params)
      : mean_baseline_(params.string("baseline") == "mean"),
        contribution_(params.string("relevance") == "contribution") {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& e = xreg::metrics::explanation_of(in, "faithfulness");
    if (in.task == xreg::Task::regression) {
      throw std::invalid_argument(
          "faithfulness measures drops in the predicted class's probability; the task is "
          "regression");
    }
    auto classes = xreg::predicted_classes(in.model, in.points, in.task, ctx);
    auto result = e.kind == xreg::Explanation::Kind::concept
                      ? concept_correlation(in, e, classes)
                      : feature_correlation(in, e, classes, ctx);
    ctx.progress(in.points.size(), in.points.size());
    return {result.to(torch::kCPU)};
  }

 private:
  /// Relevances [N, m] toward each point's predicted class from coefficients [N, k', m]: the
  /// predicted class's row when every output is explained, the only row otherwise, negated for
  /// a binary model predicting class 0 unless the explanation is of the predicted class.
  static torch::Tensor toward_predicted(const xreg::Explanation& e, const torch::Tensor& classes,
                                        xreg::Task task) {
    auto c = e.coefficients.flatten(2).to(torch::kDouble);
    if (c.size(1) > 1) {
      auto index = classes.view({-1, 1, 1}).expand({c.size(0), 1, c.size(2)});
      return c.gather(1, index.to(c.device())).squeeze(1);
    }
    auto only = c.squeeze(1);
    if (task != xreg::Task::binary || e.output == xreg::OutputMode::predicted_class) return only;
    auto sign = (2 * classes.to(torch::kDouble) - 1).to(only.device());
    return only * sign.unsqueeze(1);
  }

  /// Concepts: raw outputs θᵀh with one concept's relevance zeroed at a time.
  torch::Tensor concept_correlation(const xreg::MetricInput& in, const xreg::Explanation& e,
                                    const torch::Tensor& classes) const {
    auto theta = e.coefficients.to(torch::kDouble);                   // [N, k, c]
    auto h = e.diagnostics.at("concepts").to(torch::kDouble);         // [N, c]
    auto contributions = theta * h.unsqueeze(1);                      // [N, k, c]
    auto raw = contributions.sum(2);                                  // [N, k]
    auto without = raw.unsqueeze(1) - contributions.transpose(1, 2);  // [N, c, k]
    auto drop = probability(raw.unsqueeze(1), classes, in.task) -
                probability(without, classes, in.task);  // [N, c]
    auto relevance = toward_predicted(e, classes, in.task);
    return row_correlation(contribution_ ? relevance * h : relevance, drop);
  }

  /// Features: the model at x with one feature set to the baseline at a time, in chunks of
  /// points whose d removed copies each fit one forward pass of the memory budget.
  torch::Tensor feature_correlation(const xreg::MetricInput& in, const xreg::Explanation& e,
                                    const torch::Tensor& classes, const xreg::Context& ctx) const {
    const auto& x = in.points.x;
    const int64_t n = x.size(0), d = x[0].numel();
    auto base = baseline(in, x.flatten(1));  // [d]
    auto drop = torch::empty({n, d}, x.options().dtype(torch::kDouble));
    const int64_t chunk = xreg::points_per_pass(d, d, ctx);
    for (int64_t begin = 0; begin < n; begin += chunk) {
      const int64_t end = std::min(n, begin + chunk);
      auto points = in.points.slice(begin, end);
      drop.slice(0, begin, end)
          .copy_(removal_drops(in.model, points, base, classes.slice(0, begin, end), in.task, ctx));
    }
    auto relevance = toward_predicted(e, classes, in.task);
    auto removed_value = (x.flatten(1) - base).to(torch::kDouble);
    return row_correlation(contribution_ ? relevance * removed_value : relevance, drop);
  }

  /// [P, d]: the predicted class's probability at each of P points minus its value with each
  /// feature set to the baseline [d].
  static torch::Tensor removal_drops(xreg::Model& model, const xreg::Batch& points,
                                     const torch::Tensor& base, const torch::Tensor& classes,
                                     xreg::Task task, const xreg::Context& ctx) {
    const auto& x = points.x;
    const int64_t p = x.size(0), d = x[0].numel();
    auto flat = x.flatten(1);
    auto eye = torch::eye(d, flat.options()).to(torch::kBool);  // [d, d]
    auto removed = torch::where(eye.unsqueeze(0), base.view({1, 1, d}), flat.unsqueeze(1));
    std::vector<int64_t> shape{p, d};
    for (int64_t s : x.sizes().slice(1)) shape.push_back(s);
    auto at_removed = xreg::explained_function(model, removed.view(shape), points.index,
                                               xreg::OutputMode::predicted_class, task, classes,
                                               ctx);  // [P, d, 1]
    auto at_x = xreg::explained_function(model, x.unsqueeze(1), points.index,
                                         xreg::OutputMode::predicted_class, task, classes,
                                         ctx);  // [P, 1, 1]
    return (at_x - at_removed).squeeze(2).to(torch::kDouble);
  }

  /// The probability of each point's predicted class from raw outputs [N, K, k]: [N, K].
  static torch::Tensor probability(const torch::Tensor& raw, const torch::Tensor& classes,
                                   xreg::Task task) {
    return xreg::explained_from_outputs(raw, xreg::OutputMode::predicted_class, task,
                                        classes.to(raw.device()))
        .squeeze(2);
  }

  /// The removed features' values [d].
  torch::Tensor baseline(const xreg::MetricInput& in, const torch::Tensor& flat) const {
    if (!mean_baseline_) return torch::zeros({flat.size(1)}, flat.options());
    if (in.train == nullptr || in.train->size() == 0) {
      throw std::invalid_argument(
          "faithfulness with baseline = \"mean\" needs the training split's mean, and none was "
          "given; set baseline = \"zero\"");
    }
    return in.train->points.x.flatten(1).mean(0).to(flat.device(), flat.scalar_type());
  }

  bool mean_baseline_;
  bool contribution_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Faithfulness>(
    "faithfulness", "1.0.0",
    "Correlation between each feature's or concept's relevance and the drop in the predicted "
    "class's probability when it is removed",
    kParams))
