#pragma once
/// The function an explanation explains, f: the model's raw outputs (logits for classifiers),
/// their probabilities, or the probability of the class predicted at the explained point.
/// Explainers record the choice in the Explanation so that metrics evaluate the same f.

#include <stdexcept>
#include <string>

#include "xreg/sdk/params.hpp"
#include "xreg/sdk/predict.hpp"

namespace xreg {

enum class OutputMode {
  raw,             ///< every model output as it is (regression values, logits)
  probability,     ///< sigmoid (binary) or softmax (multiclass) of the outputs; raw for regression
  predicted_class  ///< one output: the probability of the class predicted at the explained point
};

inline OutputMode output_mode_from_name(const std::string& name) {
  if (name == "raw") return OutputMode::raw;
  if (name == "probability") return OutputMode::probability;
  if (name == "predicted_class") return OutputMode::predicted_class;
  throw std::invalid_argument("unknown output '" + name +
                              "'; expected raw, probability or predicted_class");
}

namespace param {

/// The schema entry "output" of a plugin that explains, or scores, one of the functions above
/// (default raw), read back with output_mode_from_name.
constexpr Spec explained_output(const char* doc =
                                    "What is explained: the model's outputs, their "
                                    "probabilities, or the probability of the class predicted "
                                    "at the point.") {
  return string("output", "\"raw\"", doc, "raw|probability|predicted_class");
}

}  // namespace param

/// The class the model predicts for each point of x: [N] int64 (0 for regression).
inline torch::Tensor predicted_classes(Model& model, const Batch& points, Task task,
                                       const Context& ctx) {
  if (task == Task::regression) {
    return torch::zeros({points.size()}, points.x.options().dtype(torch::kLong));
  }
  auto logits = predict(model, points, ctx);
  return task == Task::binary ? (logits.select(1, 0) > 0).to(torch::kLong) : logits.argmax(1);
}

/// f applied to model outputs [N, K, k] of N points' K inputs each; `classes` [N] selects the
/// class in predicted_class mode. Returns [N, K, k'] (k' = 1 for predicted_class).
inline torch::Tensor explained_from_outputs(const torch::Tensor& outputs, OutputMode mode,
                                            Task task, const torch::Tensor& classes) {
  if (mode == OutputMode::raw || task == Task::regression) return outputs;
  auto probabilities =
      task == Task::binary ? torch::sigmoid(outputs) : torch::softmax(outputs, /*dim=*/2);
  if (mode == OutputMode::probability) return probabilities;
  if (task == Task::binary) {
    // p(class 1) for points predicted 1, p(class 0) = 1 - p(class 1) otherwise.
    auto is_one = classes.view({-1, 1, 1}).to(probabilities.dtype());
    return is_one * probabilities + (1 - is_one) * (1 - probabilities);
  }
  auto index = classes.view({-1, 1, 1}).expand({outputs.size(0), outputs.size(1), 1});
  return probabilities.gather(2, index.to(probabilities.device()));
}

/// f at z [N, K, d...] (K inputs for each of N points with global indices `index`):
/// [N, K, k'], without gradients, batch-independent (see predict_points).
inline torch::Tensor explained_function(Model& model, const torch::Tensor& z,
                                        const torch::Tensor& index, OutputMode mode, Task task,
                                        const torch::Tensor& classes, const Context& ctx) {
  return explained_from_outputs(predict_points(model, z, index, ctx), mode, task, classes);
}

}  // namespace xreg
