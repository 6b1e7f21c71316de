#pragma once
/// Pieces shared by the metric plugins of neighbourhoods and explanations: their perturbation
/// parameters, the explanation handed to them, the error of a linear surrogate against the function
/// it explains, and the re-explanation of perturbed copies of the points in one explainer call.

#include <stdexcept>
#include <string>
#include <string_view>

#include "xreg/sdk.hpp"

namespace xreg::metrics {

/// The schema entry of "sigma", the scale of Gaussian perturbations.
constexpr xreg_param_spec kSigmaParam =
    param::real("sigma", "0.1",
                "Standard deviation of the Gaussian perturbations x' = x + sigma * N(0, I), in the "
                "model's input units.")
        .positive();

/// How a metric perturbs its points: `samples` draws per point from `neighborhood`.
struct Perturbations {
  Neighborhood neighborhood;
  int64_t samples;

  /// [N, samples, d...]: the perturbations of every point, from `stream` keyed on points.index.
  torch::Tensor sample(const Context& ctx, std::string_view stream, const Batch& points) const {
    return neighborhood.sample(ctx, stream, points, samples);
  }
};

/// The perturbations a metric's parameters ask for: `make` (e.g. Neighborhood::gaussian) with
/// the scale named `scale_name`, and "samples" draws (both bounded in the metric's schema).
inline Perturbations read_perturbations(const Params& params, const char* scale_name,
                                        Neighborhood (*make)(double)) {
  return {make(params.real(scale_name)), params.integer("samples")};
}

/// The explanation of in.points that the host hands to a metric of explanations; throws when
/// the metric was called without one.
inline const Explanation& explanation_of(const MetricInput& in, const std::string& metric) {
  if (in.explainer == nullptr || in.explanation == nullptr) {
    throw std::invalid_argument(metric + " scores explanations: it needs an explainer and its " +
                                "explanation of the points");
  }
  return *in.explanation;
}

/// As explanation_of, refusing explanations that cannot be evaluated away from x: only linear
/// surrogates g_x(z) = b + cᵀz (LIME, MAPLE) and concept explanations g_x(z) = link(θ(x)ᵀh(z))
/// (SENN, whose model gives h(z)) are surrogates of the explained function.
inline const Explanation& surrogate_explanation_of(const MetricInput& in,
                                                   const std::string& metric) {
  const Explanation& explanation = explanation_of(in, metric);
  if (explanation.kind == Explanation::Kind::attribution) {
    throw std::invalid_argument(metric + " needs explanations that can be evaluated away from " +
                                "the point (linear surrogates such as LIME's and MAPLE's, or " +
                                "SENN's concept explanations), not attributions (saliency)");
  }
  return explanation;
}

/// Each point's surrogate at z [N, K, d...], [N, K, k]: b + cᵀz for a linear explanation; for a
/// concept explanation, the relevances θ(x) applied to the model's concepts at z, h(z), through
/// the explained output's link, as the self-explaining model's aggregator does at x.
inline torch::Tensor surrogate_at(const MetricInput& in, const Explanation& explanation,
                                  const torch::Tensor& z, const Context& ctx) {
  const auto typed = z.to(explanation.coefficients.dtype());
  if (explanation.kind == Explanation::Kind::linear) return explanation.evaluate(typed);
  torch::NoGradGuard no_grad;
  auto concepts = extra_points(in.model, "concepts",
                               "a concept explanation is evaluated on the model's concepts h(z)",
                               typed, in.points.index, ctx);                     // [N, K, c]
  auto raw = torch::matmul(concepts, explanation.coefficients.transpose(1, 2));  // [N, K, k]
  return explained_from_outputs(raw, explanation.output, in.task, explanation.classes);
}

/// (g_x(z) − f(z))² at z [N, K, d...]: each point's surrogate (surrogate_at) against f, the
/// function the explanation explains. All N·K inputs go through the model in one call of
/// explained_function (in passes of at most ctx.max_rows_per_pass rows, independent of
/// batching). Returns [N, K, k] in float64.
inline torch::Tensor surrogate_squared_error(const MetricInput& in, const Explanation& explanation,
                                             const torch::Tensor& z, const Context& ctx) {
  auto f = explained_function(in.model, z, in.points.index, explanation.output, in.task,
                              explanation.classes, ctx);
  auto g = surrogate_at(in, explanation, z, ctx);
  return (g.to(torch::kDouble) - f.to(torch::kDouble)).pow(2);
}

/// The first global index given to perturbed copies of points: 2^40. Real points are numbered
/// from 0 within a split far below it, so a copy never shares an explainer's random stream with
/// a real point.
constexpr int64_t kCopyIndexBase = int64_t{1} << 40;

/// The global indices of K copies of each point, [N] -> [N·K]: copy j of the point with index i
/// gets kCopyIndexBase + i·K + j, distinct for every (i, j) and fixed by them, so that each
/// re-explanation draws random streams of its own that do not depend on batching.
inline torch::Tensor copy_indices(const torch::Tensor& index, int64_t copies) {
  auto copy = torch::arange(copies, index.options().dtype(torch::kLong));
  return (kCopyIndexBase + index.to(torch::kLong).unsqueeze(1) * copies + copy).flatten();
}

/// The points of `points` as copies at inputs z [N·K, d...] (K per point, in order) with the
/// global indices `index` [N·K]: targets and annotations repeated K times.
inline Batch copies_of(const Batch& points, const torch::Tensor& z, const torch::Tensor& index) {
  const int64_t copies = z.size(0) / points.size();
  auto repeated = [&](const torch::Tensor& t) {
    return t.defined() ? t.repeat_interleave(copies, 0) : t;
  };
  return Batch{z, repeated(points.y), index, repeated(points.annotations)};
}

/// How each point's explanation changes at K copies z [N, K, d...] of the point: the squared
/// difference, entry by entry, between `vector(explanation)` of each copy and of the point,
/// [N, K, k, m] in float64, where `vector` maps an explanation of P points to [P, k, m]. The
/// N·K copies are explained in one call of the explainer, with indices from copy_indices.
template <class Vector>
torch::Tensor explanation_change(const MetricInput& in, const Explanation& explanation,
                                 const torch::Tensor& z, const Context& ctx, Vector vector) {
  const int64_t n = z.size(0), copies = z.size(1);
  auto batch = copies_of(in.points, z.flatten(0, 1), copy_indices(in.points.index, copies));
  auto at_copies = vector(in.explainer->explain(in.model, batch, ctx)).to(torch::kDouble);
  auto at_points = vector(explanation).to(torch::kDouble).unsqueeze(1);
  return (at_copies.unflatten(0, {n, copies}) - at_points).pow(2);
}

}  // namespace xreg::metrics
