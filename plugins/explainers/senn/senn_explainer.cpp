// senn (explainer): a self-explaining model's own explanation of each point, its relevances
// θ(x) [N, k, c] over its concepts h(x) [N, c] (the model's "theta" and "concepts" extras).
// The explained function is g(θ(x)ᵀh(z)) around x: with output = "probability", g is the
// model's link (sigmoid or softmax), so metrics of surrogates (point and neighborhood fidelity)
// score it as they score LIME's, which is how ExpO's appendix A.1 measures SENN.
#include <torch/autograd.h>

#include "xreg/sdk.hpp"

namespace {

constexpr const char* kNeed =
    "the senn explainer needs the relevances θ(x) and concepts h(x) of a self-explaining model "
    "(model plugin senn)";

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("output", "\"raw\"",
                        "What the explanation explains: the model's raw outputs θ(x)ᵀh(x) "
                        "(logits for classifiers), or their probabilities g(θ(x)ᵀh(x)).",
                        "raw|probability"),
};

class SennExplainer final : public xreg::Explainer {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_CONCEPT;

  explicit SennExplainer(const xreg::Params& params)
      : output_(xreg::output_mode_from_name(params.string("output"))) {}

  /// Differentiable with respect to points.x when it requires gradients (white-box
  /// Lipschitz estimates optimize through it); evaluated without a graph otherwise.
  xreg::Explanation explain(xreg::Model& model, const xreg::Batch& points,
                            const xreg::Context& ctx) override {
    torch::AutoGradMode graph(points.x.requires_grad());
    int64_t concept_count = 0, outputs = 0;
    // θ and h of each row side by side, [rows, c·k + c], so that one pass gives both.
    auto both =
        xreg::map_points(points.x.unsqueeze(1), points.index, ctx, [&](const torch::Tensor& rows) {
          auto extras = model.extras(rows);
          auto theta = xreg::find_extra(extras, "theta", kNeed);  // [R, c, k]
          concept_count = theta.size(1);
          outputs = theta.size(2);
          return torch::cat({theta.flatten(1), xreg::find_extra(extras, "concepts", kNeed)}, 1);
        }).squeeze(1);
    auto theta = both.narrow(1, 0, concept_count * outputs).view({-1, concept_count, outputs});
    auto concepts = both.narrow(1, concept_count * outputs, concept_count);
    xreg::Explanation e;
    e.kind = xreg::Explanation::Kind::concept;
    e.output = output_;
    e.coefficients = theta.transpose(1, 2);  // [N, k, c]
    e.diagnostics["concepts"] = concepts;
    auto raw = torch::bmm(e.coefficients, concepts.unsqueeze(2)).transpose(1, 2);  // [N, 1, k]
    e.prediction = xreg::explained_from_outputs(raw, output_, ctx.task, {}).squeeze(1);
    ctx.progress(points.size(), points.size());
    return e;
  }

 private:
  xreg::OutputMode output_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<SennExplainer>(
    "senn", "1.0.0", "A self-explaining model's relevances θ(x) over its concepts h(x)", kParams))
