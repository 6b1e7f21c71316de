#pragma once
// Explainers whose explanations are known in closed form, and running a metric plugin on them,
// for the tests of the explanation metrics.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/metric.hpp"

namespace xreg::testing {

/// How a TangentExplainer departs from the exact first-order expansion.
struct TangentOptions {
  /// linear: g_x(z) = f(x) + ∇f(x)ᵀ(z − x); attribution: the gradient alone, no intercept.
  Explanation::Kind kind = Explanation::Kind::linear;
  /// Added to every intercept (linear only), so that g_x(x) − f(x) = intercept_shift.
  double intercept_shift = 0;
  /// Standard deviation of noise added to [intercept, coefficients], drawn from the stream of
  /// each explained point's index: explanations of the same x under other indices differ.
  double noise = 0;
};

/// Explains every model output by its tangent at x (exact for a linear model), computed with
/// autograd, and records the indices of every batch it explains.
class TangentExplainer final : public Explainer {
 public:
  explicit TangentExplainer(TangentOptions options = {}) : options_(options) {}

  Explanation explain(Model& model, const Batch& points, const Context& ctx) override {
    explained_indices.push_back(points.index.clone());
    auto x = points.x.detach().clone().requires_grad_(true);
    auto outputs = model.forward(x);  // [N, k]
    Explanation e;
    e.kind = options_.kind;
    e.coefficients = gradients(outputs, x);
    e.prediction = outputs.detach();
    if (e.kind == Explanation::Kind::linear) {
      auto slope_at_x = (e.coefficients * x.detach().flatten(1).unsqueeze(1)).sum(2);
      e.intercepts = e.prediction - slope_at_x + options_.intercept_shift;
    }
    if (options_.noise > 0) add_noise(e, points.index, ctx);
    return e;
  }

  /// The `index` of every batch explained so far, in call order.
  std::vector<torch::Tensor> explained_indices;

 private:
  /// [N, k, d]: the gradient of every output with respect to x.
  static torch::Tensor gradients(const torch::Tensor& outputs, const torch::Tensor& x) {
    std::vector<torch::Tensor> per_output;
    for (int64_t o = 0; o < outputs.size(1); ++o) {
      auto g = torch::autograd::grad({outputs.select(1, o).sum()}, {x}, {}, /*retain_graph=*/true);
      per_output.push_back(g[0].flatten(1));
    }
    return torch::stack(per_output, 1);
  }

  void add_noise(Explanation& e, const torch::Tensor& index, const Context& ctx) const {
    const int64_t k = e.coefficients.size(1), d = e.coefficients.size(2);
    auto noise = options_.noise * ctx.normal("tangent_noise", index, {k, d + 1});
    e.intercepts = e.intercepts + noise.select(2, 0);
    e.coefficients = e.coefficients + noise.slice(2, 1);
  }

  TangentOptions options_;
};

/// A context whose random draws and tensors are float64, so that exact cases hold to 1e-10.
inline Context double_context() {
  Context ctx;
  ctx.seed = 20240611;
  ctx.dtype = torch::kDouble;
  return ctx;
}

/// `metric`'s per-point values on `points`, scoring `explainer`'s explanation of them (for
/// metrics of explanations; pass nullptr for the others).
inline torch::Tensor metric_values(const std::string& metric, const Params& overrides, Model& model,
                                   const Batch& points, Explainer* explainer, const Context& ctx,
                                   Task task = Task::regression) {
  auto plugin = make_plugin<Metric>(metric, overrides);
  Context run = ctx;
  run.task = task;
  if (explainer == nullptr) return plugin->evaluate(MetricInput{model, points, task}, run).values;
  auto explanation = explainer->explain(model, points, run);
  return plugin->evaluate(MetricInput{model, points, task, explainer, &explanation}, run).values;
}

/// Whether `metric` gives the points the same values evaluated all at once as in batches of 1,
/// 63 and the remaining points (at least 65) with passes of at most 7 rows.
inline ::testing::AssertionResult same_values_whatever_the_batching(const std::string& metric,
                                                                    const Params& overrides,
                                                                    Model& model,
                                                                    const Batch& points,
                                                                    Explainer* explainer) {
  auto ctx = double_context();
  auto whole = metric_values(metric, overrides, model, points, explainer, ctx);
  ctx.max_rows_per_pass = 7;
  const std::vector<int64_t> bounds{0, 1, 64, points.size()};
  std::vector<torch::Tensor> parts;
  for (size_t b = 0; b + 1 < bounds.size(); ++b) {
    auto batch = points.slice(bounds[b], bounds[b + 1]);
    parts.push_back(metric_values(metric, overrides, model, batch, explainer, ctx));
  }
  if (torch::equal(whole, torch::cat(parts, 0))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << metric << " gives other values in other batches";
}

/// Parameters from (name, value) pairs.
inline Params params(std::initializer_list<std::pair<std::string, Params::Value>> values) {
  Params p;
  for (const auto& [key, value] : values) p.set(key, value);
  return p;
}

/// Whether creating `metric` with `overrides` fails with a ConfigError whose message contains
/// `reason`.
inline ::testing::AssertionResult refuses(const std::string& metric, const Params& overrides,
                                          const std::string& reason) {
  try {
    make_plugin<Metric>(metric, overrides);
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find(reason) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "refused for another reason: " << e.what();
  }
  return ::testing::AssertionFailure() << metric << " accepted the parameters";
}

/// Whether `metric` refuses a zero `scale_name` (sigma, radius) and zero samples, naming each.
inline ::testing::AssertionResult refuses_empty_perturbations(const std::string& metric,
                                                              const std::string& scale_name) {
  auto zero_scale = refuses(metric, params({{scale_name, 0.0}}),
                            scale_name + ": expected a value > 0.0, found 0.0");
  if (!zero_scale) return zero_scale;
  return refuses(metric, params({{"samples", int64_t{0}}}),
                 "samples: expected a value >= 1, found 0");
}

}  // namespace xreg::testing
