// concept_sparsity: ξ·‖h‖₁, the sparsity penalty on a SENN model's learned concepts (its
// "concepts" extra), summed over the batch as the reference's h_norm_l1.
#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::real("xi", "1e-4",
                      "ξ, the penalty's weight (the reference's h_sparsity default); the slot's "
                      "`weight` multiplies it.")
        .non_negative(),
};

class ConceptSparsity final : public xreg::Regularizer {
 public:
  explicit ConceptSparsity(const xreg::Params& params) : xi_(params.real("xi")) {}

  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context&) override {
    return xi_ * xreg::model_extra(model, batch.x, "concepts",
                                   "concept_sparsity needs the concepts h(x) of a "
                                   "self-explaining model (model plugin senn)")
                     .abs()
                     .sum();
  }

  /// A sum over points of each point's concepts.
  xreg::PenaltyForm form() const override { return xreg::PenaltyForm::point_sum; }

 private:
  double xi_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<ConceptSparsity>("concept_sparsity", "1.1.0",
                                                 "ξ‖h‖₁ on a SENN model's learned concepts",
                                                 kParams))
