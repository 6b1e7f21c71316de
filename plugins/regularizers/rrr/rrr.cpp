// rrr: "Right for the right reasons" (Ross, Hughes & Doshi-Velez 2017), the input-gradient
// penalty λ₁ Σ_n Σ_d A_nd (∂E_n/∂x_nd)² where the annotations A (batch.annotations, 1 = this
// input must not matter to example n's decision) mark the inputs whose gradient is penalized
// and E_n is the explained quantity of example n's class log-probabilities log ŷ_n: by default
// Σ_k log ŷ_nk, as the reference (dtak/rrr, scale='log', y='sum'). A run without annotations
// has nothing to penalize: the penalty is zero.
//
// Batched: one forward pass of the whole batch with x requiring its gradient, and one backward
// pass of Σ_n E_n (examples do not interact, so its gradient is every example's own ∂E_n/∂x_n)
// with create_graph, so that the penalty is differentiable in the model's parameters.
#include <torch/autograd.h>

#include <stdexcept>
#include <string>

#include "../common/regularizer_support.hpp"
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("lambda", "1000.0",
                      "λ₁, the penalty's weight (the reference's l2_grads): 1000 as its "
                      "experiments pass it (the reference class's own default is 1e-4); the "
                      "slot's `weight` multiplies it.")
        .non_negative(),
    xreg::param::string(
        "output", "\"log_sum\"",
        "The explained quantity E whose input gradient is penalized, from the class "
        "log-probabilities log ŷ (log_softmax of the logits, or logsigmoid(±z) of a binary "
        "logit): log_sum, Σ_k log ŷ_k (the reference's loss, scale='log', y='sum'); log_max, "
        "max_k log ŷ_k; prob_max, max_k ŷ_k (what the reference's explanations differentiate).",
        "log_sum|log_max|prob_max"),
    xreg::param::boolean(
        "normalize", "false",
        "false: the penalty is the sum over the batch, as the reference; true: that sum divided "
        "by the sum of the batch's annotations (0 where it has none), as the reference's "
        "data-efficiency script."),
};

enum class Output { log_sum, log_max, prob_max };

Output output_from_name(const std::string& name) {
  if (name == "log_max") return Output::log_max;
  if (name == "prob_max") return Output::prob_max;
  return Output::log_sum;
}

/// The class log-probabilities [N, K] of the model's logits: log_softmax of K class logits, or
/// (logsigmoid(−z), logsigmoid(z)) of a binary logit z [N, 1].
torch::Tensor class_log_probabilities(const torch::Tensor& logits, xreg::Task task) {
  if (task == xreg::Task::binary) {
    return torch::cat({torch::log_sigmoid(-logits), torch::log_sigmoid(logits)}, 1);
  }
  return torch::log_softmax(logits, 1);
}

class Rrr final : public xreg::Regularizer {
 public:
  explicit Rrr(const xreg::Params& params)
      : lambda_(params.real("lambda")),
        output_(output_from_name(params.string("output"))),
        normalize_(params.boolean("normalize")) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context& ctx) override {
    if (ctx.task == xreg::Task::regression) {
      throw std::invalid_argument(
          "rrr needs class probabilities (a binary or multiclass task); this run's task is "
          "regression");
    }
    if (!batch.annotations.defined()) {
      return torch::zeros({}, torch::TensorOptions(ctx.dtype).device(ctx.device));
    }
    if (batch.annotations.sizes() != batch.x.sizes()) {
      throw std::invalid_argument("rrr needs annotations of the inputs' shape " +
                                  shape_text(batch.x) + ", found " + shape_text(batch.annotations));
    }
    torch::AutoGradMode enable(true);
    // An x that already requires its gradient is differentiated as it is, so that the penalty
    // stays differentiable in whatever x depends on; otherwise a leaf sharing x's storage.
    auto x = batch.x.requires_grad() ? batch.x : batch.x.detach().requires_grad_(true);
    auto logits = xreg::regularizers::outputs_on(model, x.unsqueeze(1), ctx).squeeze(1);
    auto explained = explained_quantity(class_log_probabilities(logits, ctx.task));  // [N]
    auto gradient = torch::autograd::grad({explained.sum()}, {x}, {}, /*retain_graph=*/true,
                                          /*create_graph=*/true, /*allow_unused=*/true)[0];
    if (!gradient.defined()) gradient = torch::zeros_like(x);
    auto annotations = batch.annotations.to(gradient.options());
    auto total = lambda_ * (annotations * gradient.square()).sum();
    if (!normalize_) return total;
    // Σ A without a device sync: where it is 0 the sum above is 0 too, and 0 / 1 = 0.
    auto annotated = annotations.sum();
    return total / torch::where(annotated > 0, annotated, torch::ones_like(annotated));
  }

  /// A sum over points, unless divided by the whole batch's annotations.
  xreg::PenaltyForm form() const override {
    return normalize_ ? xreg::PenaltyForm::whole_batch : xreg::PenaltyForm::point_sum;
  }

 private:
  /// E_n [N] of the class log-probabilities [N, K].
  torch::Tensor explained_quantity(const torch::Tensor& log_probabilities) const {
    switch (output_) {
      case Output::log_max:
        return std::get<0>(log_probabilities.max(1));
      case Output::prob_max:
        return std::get<0>(log_probabilities.exp().max(1));
      case Output::log_sum:
        break;
    }
    return log_probabilities.sum(1);
  }

  static std::string shape_text(const torch::Tensor& t) {
    std::string text = "[";
    for (int64_t i = 0; i < t.dim(); ++i) text += (i ? ", " : "") + std::to_string(t.size(i));
    return text + "]";
  }

  double lambda_;
  Output output_;
  bool normalize_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Rrr>(
    "rrr", "1.1.0",
    "RRR (right for the right reasons): λ·Σ A·(∂E/∂x)², the squared input gradients of the "
    "class log-probabilities at the annotated inputs",
    kParams))
