// senn_robustness: SENN's robustness loss ("grad3", Alvarez-Melis & Jaakkola 2018, eq. 5),
// λ·‖∇ₓf(x) − θ(x)ᵀJₓh(x)‖: a self-explaining model whose relevances θ are locally what its
// gradient is, so that its explanation θ(x) is the model's own local linear behaviour in the
// concepts. f is the model's output as the reference differentiates it: the sigmoid probability
// (binary), the log-probabilities (multiclass) or the value (regression). Reads "theta",
// "concepts" and "constant_concepts" from the model's extras (a senn model gives them).
//
// Batched: per output k, one backward pass of f_k over the whole batch gives ∇ₓf_k of every
// point, and one vector-Jacobian product of h with θ_k as its output gradient gives θ_kᵀJₓh of
// every point, both with create_graph so that the penalty is differentiable in the parameters.
// The relevances of constant concepts (the bias concept of input concepts) meet a zero gradient,
// as the reference pads ∇ₓf with zeros for them, which pushes the bias relevance towards 0.
#include <torch/autograd.h>

#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("lambda", "0.01",
                      "λ, the penalty's weight (the reference's theta_reg_lambda, 1e-2, which "
                      "ExpO's SENN runs use too); the slot's `weight` multiplies it.")
        .non_negative(),
    xreg::param::string(
        "reduction", "\"reference\"",
        "How the per-point differences combine: reference, the unsquared Frobenius norm over the "
        "whole batch as the reference computes it (it grows like the square root of the batch "
        "size, so λ = 1e-2 means what it meant there, and it is the default for that reason); "
        "mean, the mean over points of each point's squared norm (independent of the batch "
        "size, for comparing runs with other batch sizes).",
        "reference|mean"),
};

constexpr const char* kNeed =
    "senn_robustness needs the relevances θ(x) and concepts h(x) of a self-explaining model "
    "(model plugin senn)";

/// f as the reference differentiates it, from the model's raw outputs [N, k].
torch::Tensor differentiated_output(const torch::Tensor& logits, xreg::Task task) {
  switch (task) {
    case xreg::Task::binary:
      return torch::sigmoid(logits);
    case xreg::Task::multiclass:
      return torch::log_softmax(logits, 1);
    case xreg::Task::regression:
      break;
  }
  return logits;
}

/// ∂(Σ_n ⟨outputs_n, weights_n⟩)/∂x flattened to [N, d], zero where outputs do not depend on x.
torch::Tensor vector_jacobian(const torch::Tensor& outputs, const torch::Tensor& x,
                              const torch::Tensor& weights) {
  auto grad = torch::autograd::grad({outputs}, {x}, {weights}, /*retain_graph=*/true,
                                    /*create_graph=*/true, /*allow_unused=*/true)[0];
  return grad.defined() ? grad.flatten(1) : torch::zeros_like(x).flatten(1);
}

class SennRobustness final : public xreg::Regularizer {
 public:
  explicit SennRobustness(const xreg::Params& params)
      : lambda_(params.real("lambda")), mean_(params.string("reduction") == "mean") {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context& ctx) override {
    torch::AutoGradMode enable(true);
    auto x = batch.x.detach().requires_grad_(true);
    auto extras = model.extras(x);
    auto theta = xreg::find_extra(extras, "theta", kNeed);        // [N, c, k]
    auto concepts = xreg::find_extra(extras, "concepts", kNeed);  // [N, c]
    // The raw outputs Σ_c θ·h (model.hpp's contract for these extras) from the same pass as θ
    // and h, so that dropout draws one mask for all three, as the reference's single pass.
    auto f = differentiated_output((theta * concepts.unsqueeze(2)).sum(1), ctx.task);
    std::vector<torch::Tensor> differences;  // per output k: [N, d]
    for (int64_t k = 0; k < f.size(1); ++k) {
      auto unit = torch::zeros_like(f);
      unit.select(1, k).fill_(1);
      auto gradient = vector_jacobian(f, x, unit);
      auto explained = vector_jacobian(concepts, x, theta.select(2, k));
      differences.push_back(explained - gradient);
    }
    auto difference = torch::stack(differences, 1);  // [N, k, d]
    auto constant = extras.find("constant_concepts");
    if (constant != extras.end() && constant->second.sum().item<double>() > 0) {
      auto bias = theta.index_select(1, constant->second.nonzero().flatten());  // [N, c0, k]
      difference = torch::cat({difference, bias.transpose(1, 2)}, 2);
    }
    auto total = mean_ ? difference.square().sum({1, 2}).mean() : difference.norm();
    return lambda_ * total;
  }

  /// reduction = "mean" is a mean over points; the reference's norm is of the whole batch.
  xreg::PenaltyForm form() const override {
    return mean_ ? xreg::PenaltyForm::point_mean : xreg::PenaltyForm::whole_batch;
  }

 private:
  double lambda_;
  bool mean_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<SennRobustness>(
    "senn_robustness", "1.1.0",
    "SENN's robustness loss λ‖∇f(x) − θ(x)ᵀJh(x)‖ on a self-explaining model", kParams))
