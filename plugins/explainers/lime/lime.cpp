// lime: tabular LIME (Ribeiro et al. 2016) with weighted ridge surrogates, for every explained
// output in one solve. In its default sampling it is the lime package's LimeTabularExplainer
// as ExpO evaluates with it (discretize_continuous=False, 1000 samples, all features):
// samples from the training distribution N(mean, sd²) with the point itself as the first
// sample, kernel sqrt(exp(-D²/w²)) on train-standardized distances with w = 0.75·sqrt(d),
// Ridge(alpha = 1) on standardized samples, coefficients mapped back to input units.
#include <cmath>
#include <utility>
#include <vector>

#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::integer("samples", "1000",
                         "Perturbations per explained point, the point itself included.")
        .at_least(2),
    xreg::param::string("sampling", "\"lime\"",
                        "lime: from the training distribution, as the lime package; gaussian: "
                        "N(x, sigma² I) around the point.",
                        "lime|gaussian"),
    xreg::param::real("sigma", "0.1", "SD of gaussian sampling, in input units.").positive(),
    xreg::param::real("kernel_width", "0.0",
                      "Width w of the kernel sqrt(exp(-D²/w²)) on train-standardized distances; "
                      "0 means 0.75·sqrt(d), lime's default.")
        .non_negative(),
    xreg::param::real("alpha", "1.0", "Ridge penalty of the surrogate on standardized features.")
        .non_negative(),
    xreg::param::boolean(
        "shared_samples", "false",
        "sampling = \"lime\" only: every explained point of a run uses the same seeded draws "
        "from the training distribution (its own point still first), so one forward pass "
        "serves them all. Each explanation keeps its distribution; explanations of different "
        "points become correlated through the shared draws."),
    xreg::param::explained_output(),
};

/// What a chunk holds per value of its samples, in float32 values: the noise, the samples, the
/// model's inputs and, in the ridge, the float64 design and weighted design (two each), with
/// room for temporaries. Chunks count it against the memory budget (ctx.max_values_per_pass).
constexpr int64_t kWorkingCopies = 10;

class Lime final : public xreg::Explainer {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_LINEAR;

  explicit Lime(const xreg::Params& params)
      : samples_(params.integer("samples")),
        gaussian_(params.string("sampling") == "gaussian"),
        sigma_(params.real("sigma")),
        kernel_width_(params.real("kernel_width")),
        alpha_(params.real("alpha")),
        shared_(params.boolean("shared_samples")),
        output_(xreg::output_mode_from_name(params.string("output"))) {
    if (shared_ && gaussian_) {
      throw std::invalid_argument(
          "lime: shared_samples = true needs sampling = \"lime\": gaussian samples are drawn "
          "around each point, so no two points can share them");
    }
  }

  /// The training features' mean and population SD (ddof 0, as scikit-learn's StandardScaler;
  /// a constant feature gets scale 1).
  void fit(xreg::Model&, const xreg::Dataset& train, const xreg::Dataset&,
           const xreg::Context&) override {
    if (train.size() == 0) throw std::invalid_argument("lime needs a training split");
    auto x = train.points.x.flatten(1).to(torch::kDouble);
    mean_ = x.mean(0);
    auto sd = x.std(0, /*unbiased=*/false);
    scale_ = torch::where(sd > 0, sd, torch::ones_like(sd));
  }

  xreg::Explanation explain(xreg::Model& model, const xreg::Batch& points,
                            const xreg::Context& ctx) override {
    if (!mean_.defined()) throw std::logic_error("lime: explain before fit");
    torch::NoGradGuard black_box;  // no graph through the points, whatever they require
    const Shared shared = shared_ ? shared_draws(model, points, ctx) : Shared{};
    return xreg::explain_in_chunks(
        points, ctx.rows_per_pass(kWorkingCopies * xreg::values_per_entry(points.x, 1)) / samples_,
        ctx, [&](const xreg::Batch& chunk) { return explain_chunk(model, chunk, shared, ctx); });
  }

 private:
  /// shared_samples: the m − 1 draws every point shares (standard normal [m − 1, d]) and the
  /// model's outputs on them [1, m − 1, K], computed once per call of explain.
  struct Shared {
    torch::Tensor noise, outputs;
  };

  Shared shared_draws(xreg::Model& model, const xreg::Batch& points,
                      const xreg::Context& ctx) const {
    const auto options = points.x.options();
    const int64_t d = xreg::values_per_entry(points.x, 1);
    const auto run = torch::zeros({1}, options.dtype(torch::kLong));  // one stream for the run
    Shared shared;
    shared.noise = ctx.normal("lime/shared", run, {samples_ - 1, d}).to(options).squeeze(0);
    auto z = mean_.to(options) + scale_.to(options) * shared.noise;
    std::vector<int64_t> shape{1, samples_ - 1};
    for (int64_t s : points.x.sizes().slice(1)) shape.push_back(s);
    shared.outputs = xreg::predict_points(model, z.view(shape), run, ctx);
    return shared;
  }

  /// The standardized samples [P, m, d] of a chunk's points (centre [P, 1, d]) and the model's
  /// outputs on them [P, m, K]: own draws, or with `shared` the shared ones after the point.
  std::pair<torch::Tensor, torch::Tensor> samples_and_outputs(xreg::Model& model,
                                                              const xreg::Batch& points,
                                                              const torch::Tensor& centre,
                                                              const Shared& shared,
                                                              const xreg::Context& ctx) const {
    const auto options = points.x.options();
    const int64_t n = points.size(), d = centre.size(2);
    torch::Tensor standardized;
    if (shared.noise.defined()) {
      standardized =
          torch::cat({centre, shared.noise.unsqueeze(0).expand({n, samples_ - 1, d})}, 1);
      auto own = xreg::predict_points(model, points.x.unsqueeze(1), points.index, ctx);
      return {standardized, torch::cat({own, shared.outputs.expand({n, -1, -1})}, 1)};
    }
    auto noise = ctx.normal("lime", points.index, {samples_, d}).to(options);  // [P, m, d]
    standardized = gaussian_ ? centre + (sigma_ / scale_.to(options)) * noise
                             : noise.index_put_({torch::indexing::Slice(), 0}, centre.squeeze(1));
    auto z = mean_.to(options) + scale_.to(options) * standardized;
    return {standardized,
            xreg::predict_points(model, z.view(sample_shape(points)), points.index, ctx)};
  }

  /// One batch: all samples of all points through the model in passes, then one batched
  /// weighted ridge. The standardized samples are the standard-normal draws themselves:
  /// lime sampling z = mean + scale·ε gives (z − mean)/scale = ε.
  xreg::Explanation explain_chunk(xreg::Model& model, const xreg::Batch& points,
                                  const Shared& shared, const xreg::Context& ctx) const {
    const auto options = points.x.options();
    auto x = points.x.flatten(1);
    auto mean = mean_.to(options), scale = scale_.to(options);
    const int64_t d = x.size(1);
    auto centre = ((x - mean) / scale).unsqueeze(1);  // [P, 1, d]
    auto [standardized, outputs] = samples_and_outputs(model, points, centre, shared, ctx);

    xreg::Explanation e;
    e.kind = xreg::Explanation::Kind::linear;
    e.output = output_;
    if (output_ == xreg::OutputMode::predicted_class) {
      e.classes = xreg::predicted_classes(model, points, ctx.task, ctx);
    }
    auto f = xreg::explained_from_outputs(outputs, output_, ctx.task, e.classes);

    const double width = kernel_width_ > 0 ? kernel_width_ : 0.75 * std::sqrt(double(d));
    auto distance2 = (standardized - centre).pow(2).sum(2);       // [P, m]
    auto weights = torch::exp(distance2 / (-2 * width * width));  // √exp(−D²/w²)
    auto fit = xreg::weighted_ridge(standardized, f, weights, alpha_);

    // Back to input units: β = coef / scale, b = intercept − Σ β·mean.
    auto scale64 = scale_.to(fit.coefficients.device()), mean64 = mean_.to(scale64.device());
    auto coefficients = fit.coefficients / scale64;
    auto intercepts = fit.intercepts - torch::matmul(coefficients, mean64);
    auto x64 = x.to(torch::kDouble).unsqueeze(2);
    e.prediction = (intercepts + torch::matmul(coefficients, x64).squeeze(2)).to(options);
    e.coefficients = coefficients.to(options);
    e.intercepts = intercepts.to(options);
    e.diagnostics["r2"] = fit.r2.to(options);
    return e;
  }

  /// [P, m, d...]: the samples laid out as the model's inputs.
  std::vector<int64_t> sample_shape(const xreg::Batch& points) const {
    std::vector<int64_t> shape{points.size(), samples_};
    for (int64_t s : points.x.sizes().slice(1)) shape.push_back(s);
    return shape;
  }

  int64_t samples_;
  bool gaussian_;
  double sigma_, kernel_width_, alpha_;
  bool shared_;
  xreg::OutputMode output_;
  torch::Tensor mean_, scale_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Lime>("lime", "1.1.0",
                                      "LIME: weighted ridge surrogates fit on perturbations",
                                      kParams))
