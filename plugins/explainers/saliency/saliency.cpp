// saliency: input gradients (Simonyan et al. 2014) of a chosen output of the explained
// function, for a whole batch at once: the gradient of the sum over points of each point's
// output is every point's own gradient, since points do not interact.
#include <torch/autograd.h>

#include "xreg/sdk.hpp"

namespace {

constexpr xreg_param_spec kParams[] = {
    xreg::param::string("target", "\"predicted\"",
                        "Which output's gradient: the class predicted at the point (the only "
                        "output for regression), the output `class`, or all outputs.",
                        "predicted|class|all"),
    xreg::param::integer("class", "0", "The output explained when target = \"class\".")
        .non_negative(),
    xreg::param::boolean("absolute", "false", "Report |gradient| instead of the signed gradient."),
    xreg::param::explained_output(
        "What is differentiated: the model's outputs, their probabilities, or the probability "
        "of the class predicted at the point."),
};

class Saliency final : public xreg::Explainer {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_ATTRIBUTION;

  explicit Saliency(const xreg::Params& params)
      : target_(params.string("target")),
        class_(params.integer("class")),
        absolute_(params.boolean("absolute")),
        output_(xreg::output_mode_from_name(params.string("output"))) {}

  /// Chunks of one forward pass each bound the memory of the autograd graph.
  xreg::Explanation explain(xreg::Model& model, const xreg::Batch& points,
                            const xreg::Context& ctx) override {
    return xreg::explain_in_chunks(
        points, xreg::points_per_pass(1, xreg::values_per_entry(points.x, 1), ctx), ctx,
        [&](const xreg::Batch& chunk) { return explain_chunk(model, chunk, ctx); });
  }

 private:
  /// Gradients through batch-independent forward passes (xreg::forward_points), so that a
  /// point's map does not depend on its batch.
  xreg::Explanation explain_chunk(xreg::Model& model, const xreg::Batch& points,
                                  const xreg::Context& ctx) const {
    xreg::Explanation e;
    e.kind = xreg::Explanation::Kind::attribution;
    e.output = output_;
    e.classes = xreg::predicted_classes(model, points, ctx.task, ctx);
    // Points that require gradients get maps differentiable in them (white-box Lipschitz
    // estimates optimize through the map); otherwise no graph outlives the call.
    const bool differentiable = points.x.requires_grad();
    torch::AutoGradMode enable(true);
    auto z = differentiable ? points.x.unsqueeze(1)
                            : points.x.detach().unsqueeze(1).requires_grad_(true);  // [N, 1, d...]
    auto outputs = xreg::forward_points(model, z, points.index, ctx);               // [N, 1, k]
    auto f = xreg::explained_from_outputs(outputs, output_, ctx.task, e.classes).squeeze(1);
    auto chosen = chosen_outputs(f, e.classes, ctx.task);  // [N, k']
    std::vector<torch::Tensor> gradients;
    for (int64_t j = 0; j < chosen.size(1); ++j) {
      const bool last = j + 1 == chosen.size(1);
      auto grad = torch::autograd::grad({chosen.select(1, j).sum()}, {z}, {},
                                        !last || differentiable, differentiable)[0];
      gradients.push_back(grad.squeeze(1).flatten(1));
    }
    auto coefficients = torch::stack(gradients, 1);  // [N, k', d]
    e.coefficients = absolute_ ? coefficients.abs() : coefficients;
    e.prediction = chosen.detach();
    return e;
  }

  /// The columns of f [N, k] whose gradients are taken.
  torch::Tensor chosen_outputs(const torch::Tensor& f, const torch::Tensor& classes,
                               xreg::Task task) const {
    if (target_ == "all") return f;
    if (target_ == "class") {
      if (class_ >= f.size(1)) {
        throw std::invalid_argument("class " + std::to_string(class_) +
                                    " but the explained "
                                    "function has " +
                                    std::to_string(f.size(1)) + " outputs");
      }
      return f.narrow(1, class_, 1);
    }
    // predicted: the predicted class's column (the only column for one output).
    if (f.size(1) == 1) return f;
    if (task == xreg::Task::regression) {
      throw std::invalid_argument(
          "target = \"predicted\" needs a classifier or one output, but the regression has " +
          std::to_string(f.size(1)) +
          " outputs; set target = \"all\", or \"class\" with class = the output");
    }
    return f.gather(1, classes.view({-1, 1}).to(f.device()));
  }

  std::string target_;
  int64_t class_;
  bool absolute_;
  xreg::OutputMode output_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Saliency>("saliency", "1.0.0",
                                          "Input gradients of the model's outputs", kParams))
