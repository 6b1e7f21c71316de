// local_lipschitz: SENN's stability estimate (Alvarez-Melis & Jaakkola 2018, eq. 6) of any
// explainer, L(x) = max over z with ‖z − x‖ ≤ ε of ‖e(x) − e(z)‖ / ‖x − z‖, or of
// ‖e(x) − e(z)‖ / ‖h(x) − h(z)‖ in a self-explaining model's concepts. e is the explanation as
// one vector: intercept and coefficients of every explained output. Three searches for the
// maximum, all points at once:
//   - gradient: projected gradient ascent on z from the best of the sampled candidates below,
//     for explanations differentiable in the input (SENN's θ(z), saliency maps), keeping each
//     point's best ratio (starting from sampled candidates also serves explanations that are
//     piecewise constant, such as the saliency maps of ReLU networks, whose gradient is 0);
//   - sampling: `candidates` points drawn uniformly in the ball, explained in one call of the
//     explainer, for any explainer (LIME, MAPLE: the reference's black-box estimate searches the
//     same ball with a Gaussian-process optimizer of 10 calls);
//   - data: the reference's discrete estimate over the evaluated points themselves,
//     max_j ‖e_i − e_j‖² / ‖h_i − h_j‖² over neighbors with ‖h_i − h_j‖² ≤ max_distance (squared
//     distances, as sample_local_lipschitz computes them, so its values are on the square of
//     the other searches' scale, and they depend on which points are evaluated together); a
//     point without neighbors scores 0.
// auto picks gradient when the explanation is differentiable and sampling otherwise.
#include <torch/autograd.h>

#include <algorithm>
#include <string>

#include "../common/metric_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("search", "\"auto\"",
                        "How the maximum is sought: gradient ascent on z (from the best sampled "
                        "candidate), sampling candidates in the ball, or the evaluated data points "
                        "themselves (data: a ratio of squared distances, as the reference's); "
                        "auto: gradient when the explanation is differentiable in the input, "
                        "sampling otherwise.",
                        "auto|gradient|sampling|data"),
    xreg::param::string("distance", "\"input\"",
                        "The denominator: ‖x − z‖ in the input, or ‖h(x) − h(z)‖ in the model's "
                        "concepts (a self-explaining model's).",
                        "input|concepts"),
    xreg::param::real("epsilon", "0.1",
                      "Radius of the ℓ2 ball around x searched (gradient, sampling), in the "
                      "model's input units.")
        .positive(),
    xreg::param::integer("steps", "100", "Gradient steps per point (search = gradient).")
        .at_least(1),
    xreg::param::real("step_size", "0.1",
                      "Length of each gradient step as a fraction of epsilon (the step follows "
                      "the normalized gradient of the ratio, then z is projected onto the ball).")
        .positive(),
    xreg::param::integer("candidates", "20", "Candidates explained per point (search = sampling).")
        .at_least(1),
    xreg::param::real("max_distance", "1.0",
                      "Largest squared distance of a neighbor (search = data; the reference "
                      "uses 1 for cancer and 3 for COMPAS).")
        .positive(),
};

/// Squared distances at or below this are the same point (search = data).
constexpr double kSamePoint = 1e-24;

/// An explanation as one vector per point [N, m]: intercept and coefficients of each output.
torch::Tensor as_vector(const xreg::Explanation& e) { return e.flat_with_intercept().flatten(1); }

class LocalLipschitz final : public xreg::Metric {
 public:
  static constexpr uint32_t explanation_kinds =
      XREG_EXPLANATION_LINEAR | XREG_EXPLANATION_ATTRIBUTION | XREG_EXPLANATION_CONCEPT;

  explicit LocalLipschitz(const xreg::Params& params)
      : search_(params.string("search")),
        concepts_(params.string("distance") == "concepts"),
        epsilon_(params.real("epsilon")),
        steps_(params.integer("steps")),
        step_size_(params.real("step_size")),
        candidates_(params.integer("candidates")),
        max_distance_(params.real("max_distance")) {}

  xreg::MetricResult evaluate(const xreg::MetricInput& in, const xreg::Context& ctx) override {
    const auto& explanation = xreg::metrics::explanation_of(in, "local_lipschitz");
    if (search_ == "data") return {data_estimate(in, explanation, ctx)};
    const bool gradient = search_ != "sampling" && differentiable(in, ctx);
    if (search_ == "gradient" && !gradient) {
      throw std::invalid_argument(
          "local_lipschitz with search = \"gradient\" needs an explanation differentiable in the "
          "input (SENN, saliency); this explainer gives none: use search = \"sampling\" or "
          "\"auto\"");
    }
    auto sampled = sampling_estimate(in, explanation, ctx);
    if (!gradient) return {sampled.ratio};
    return {torch::maximum(sampled.ratio, gradient_estimate(in, explanation, sampled.best, ctx))};
  }

 private:
  /// Each point's best ratio [N] among the sampled candidates, and that candidate [N, d...].
  struct Sampled {
    torch::Tensor ratio, best;
  };

  /// The explainer's explanation of z [N·K, d...], K copies of each point of `base` with global
  /// indices `index`, quietly (progress is the metric's own).
  static xreg::Explanation explain_at(const xreg::MetricInput& in, const xreg::Batch& base,
                                      const torch::Tensor& z, const torch::Tensor& index,
                                      const xreg::Context& ctx) {
    xreg::Context quiet = ctx;
    quiet.progress_sink = nullptr;
    return in.explainer->explain(in.model, xreg::metrics::copies_of(base, z, index), quiet);
  }

  /// Whether the explanation of a point depends differentiably on it.
  bool differentiable(const xreg::MetricInput& in, const xreg::Context& ctx) const {
    torch::AutoGradMode graph(true);
    auto probe = in.points.slice(0, 1);
    auto z = probe.x.detach().requires_grad_(true);
    return as_vector(explain_at(in, probe, z, probe.index, ctx)).requires_grad();
  }

  /// The denominator's representation of inputs z [N, K, d...]: z flattened, or h(z).
  torch::Tensor represented(const xreg::MetricInput& in, const torch::Tensor& z,
                            const xreg::Context& ctx) const {
    if (!concepts_) return z.flatten(2);
    return xreg::extra_points(in.model, "concepts",
                              "local_lipschitz with distance = \"concepts\" needs the model's "
                              "concepts h(x)",
                              z, in.points.index, ctx);
  }

  /// Each point's best ratio along projected gradient ascent from `start` [N, d...].
  torch::Tensor gradient_estimate(const xreg::MetricInput& in, const xreg::Explanation& at_x,
                                  const torch::Tensor& start, const xreg::Context& ctx) const {
    const auto& points = in.points;
    const int64_t n = points.size();
    auto x = points.x.detach();
    auto e_x = as_vector(at_x).detach();
    auto h_x = represented(in, x.unsqueeze(1), ctx).squeeze(1).detach();
    auto z = start.detach();
    auto best = torch::zeros({n}, torch::kDouble);
    torch::AutoGradMode graph(true);
    for (int64_t step = 0; step <= steps_; ++step) {
      z = z.detach().requires_grad_(true);
      auto ratio = lipschitz_ratio(in, e_x, h_x, z, points.index, ctx);
      best = torch::maximum(best, ratio.detach().to(torch::kCPU, torch::kDouble));
      if (step == steps_) break;
      auto grad = torch::autograd::grad({ratio.sum()}, {z}, {}, false, false, true)[0];
      if (!grad.defined()) break;
      torch::NoGradGuard no_grad;
      z = project(x, z + step_size_ * epsilon_ * unit_rows(grad));
      ctx.progress(step + 1, steps_);
    }
    return best;
  }

  /// Each point's largest ratio over `candidates` points drawn uniformly in its ball.
  Sampled sampling_estimate(const xreg::MetricInput& in, const xreg::Explanation& at_x,
                            const xreg::Context& ctx) const {
    const auto& points = in.points;
    const int64_t n = points.size(), k = candidates_;
    std::vector<int64_t> shape{k};
    for (int64_t s : points.x.sizes().slice(1)) shape.push_back(s);
    auto direction = unit_rows(ctx.normal("local_lipschitz", points.index, shape).flatten(0, 1));
    const double features = static_cast<double>(direction[0].numel());
    auto radius = ctx.uniform("local_lipschitz_radius", points.index, {k}, 0.0, 1.0)
                      .pow(1.0 / features)
                      .flatten();  // uniform in the ball: radius ∝ U^(1/d)
    auto offsets = epsilon_ * direction * radius.view(row_shape(direction.dim()));
    auto z = points.x.unsqueeze(1) + offsets.unflatten(0, {n, k});  // [N, K, d...]
    auto e_z = as_vector(explain_at(in, points, z.flatten(0, 1),
                                    xreg::metrics::copy_indices(points.index, k), ctx))
                   .unflatten(0, {n, k});
    auto numerator =
        (e_z.to(torch::kDouble) - as_vector(at_x).to(torch::kDouble).unsqueeze(1)).norm(2, {2});
    auto denominator = (represented(in, z, ctx) - represented(in, points.x.unsqueeze(1), ctx))
                           .to(torch::kDouble)
                           .norm(2, {2});
    // A candidate at the point itself (or with the point's concepts) bounds nothing: ratio 0.
    auto ratios = torch::where(denominator > 0, numerator / denominator.clamp_min(1e-300),
                               torch::zeros_like(numerator));
    auto [ratio, which] = ratios.max(1);
    auto index = which.to(z.device()).view({n, 1}).expand({n, z[0][0].numel()});
    auto best = z.flatten(2).gather(1, index.unsqueeze(1)).squeeze(1).view(points.x.sizes());
    ctx.progress(n, n);
    return {ratio.to(torch::kCPU), best};
  }

  /// The discrete estimate over the evaluated points, in blocks of rows.
  torch::Tensor data_estimate(const xreg::MetricInput& in, const xreg::Explanation& at_x,
                              const xreg::Context& ctx) const {
    auto e = as_vector(at_x).to(torch::kDouble);
    auto h = represented(in, in.points.x.unsqueeze(1), ctx).squeeze(1).to(torch::kDouble);
    const int64_t n = e.size(0), block = 1024;
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < n; begin += block) {
      const int64_t end = std::min(n, begin + block);
      auto h_distance = exact_distances(h.slice(0, begin, end), h).pow(2);
      auto e_distance = exact_distances(e.slice(0, begin, end), e).pow(2);
      auto neighbor = (h_distance <= max_distance_) & (h_distance > kSamePoint);
      auto ratio = torch::where(neighbor, e_distance / h_distance.clamp_min(1e-300),
                                torch::zeros_like(e_distance));
      parts.push_back(std::get<0>(ratio.max(1)));
      ctx.progress(end, n);
    }
    return torch::cat(parts).to(torch::kCPU);
  }

  /// Pairwise distances from the differences themselves (cdist's matrix-product shortcut leaves
  /// duplicate rows tiny positive distances, which would pass as neighbors).
  static torch::Tensor exact_distances(const torch::Tensor& a, const torch::Tensor& b) {
    return torch::cdist(a, b, 2.0, /*compute_mode=donot_use_mm_for_euclid_dist=*/2);
  }

  /// ‖e(x) − e(z)‖ / ‖r(x) − r(z)‖ per point, differentiable in z.
  torch::Tensor lipschitz_ratio(const xreg::MetricInput& in, const torch::Tensor& e_x,
                                const torch::Tensor& h_x, const torch::Tensor& z,
                                const torch::Tensor& index, const xreg::Context& ctx) const {
    auto e_z = as_vector(explain_at(in, in.points, z, index, ctx));
    auto h_z = represented(in, z.unsqueeze(1), ctx).squeeze(1);
    return (e_z - e_x).norm(2, {1}) / (h_z - h_x).norm(2, {1}).clamp_min(1e-12);
  }

  /// The shape [-1, 1, ...] of `dims` dimensions that spreads one value per row over a row.
  static std::vector<int64_t> row_shape(int64_t dims) {
    std::vector<int64_t> shape(dims, 1);
    shape[0] = -1;
    return shape;
  }

  /// Rows of t [N, ...] scaled to unit ℓ2 norm (zero rows stay zero).
  static torch::Tensor unit_rows(const torch::Tensor& t) {
    return t / t.flatten(1).norm(2, {1}).clamp_min(1e-30).view(row_shape(t.dim()));
  }

  /// z moved back onto the ball of radius epsilon around x where it left it.
  torch::Tensor project(const torch::Tensor& x, const torch::Tensor& z) const {
    auto offset = z - x;
    auto scale = (epsilon_ / offset.flatten(1).norm(2, {1}).clamp_min(1e-30)).clamp_max(1.0);
    return x + offset * scale.view(row_shape(z.dim()));
  }

  std::string search_;
  bool concepts_;
  double epsilon_;
  int64_t steps_;
  double step_size_;
  int64_t candidates_;
  double max_distance_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<LocalLipschitz>(
    "local_lipschitz", "1.0.0",
    "SENN's local Lipschitz estimate of an explainer: the largest change of the explanation per "
    "unit change of the input (or of the concepts) near each point",
    kParams))
