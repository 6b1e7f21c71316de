#pragma once
/// Data as plugins see it: a batch of points with their global indices, and the training set.

#include <torch/types.h>

#include <string>
#include <vector>

namespace xreg {

/// What the targets are, which decides the model's loss and the number of outputs.
enum class Task {
  regression,  ///< real targets [N, k]; mean squared error; k outputs
  binary,      ///< 0/1 targets [N]; sigmoid cross-entropy on one logit
  multiclass   ///< class indices [N]; softmax cross-entropy on one logit per class
};

inline const char* task_name(Task task) {
  switch (task) {
    case Task::regression:
      return "regression";
    case Task::binary:
      return "binary";
    case Task::multiclass:
      return "multiclass";
  }
  return "?";
}

/// Points handed to a plugin in one call. `index` holds each row's global index in its split:
/// random streams are keyed on it, so results do not depend on how points are batched.
struct Batch {
  torch::Tensor x;      ///< inputs [N, d...]
  torch::Tensor y;      ///< targets (see Task); may be undefined where not needed
  torch::Tensor index;  ///< int64 [N]
  /// Per-example annotations, same shape as x: 1 where an input must not matter to
  /// the model's decision (RRR), 0 elsewhere and for unannotated rows. Undefined: no
  /// annotations in this run.
  torch::Tensor annotations = {};

  int64_t size() const { return x.size(0); }
  /// Rows [begin, end) as a batch.
  Batch slice(int64_t begin, int64_t end) const {
    auto rows = [&](const torch::Tensor& t) { return t.defined() ? t.slice(0, begin, end) : t; };
    return Batch{x.slice(0, begin, end), rows(y), index.slice(0, begin, end), rows(annotations)};
  }
};

/// The shape a model is built for.
struct ModelShape {
  std::vector<int64_t> input;  ///< one point's shape, e.g. {12} or {1, 28, 28}
  int64_t outputs = 1;         ///< outputs per point: targets, 1 logit, or one per class
  Task task = Task::regression;
};

/// A split of a data set (training, validation or test), on the run's device.
struct Dataset {
  Batch points;
  Task task = Task::regression;
  int64_t outputs = 1;
  std::vector<std::string> feature_names;  ///< empty for images
  std::vector<std::string> class_names;    ///< classification only: label of each class index

  int64_t size() const { return points.size(); }
};

}  // namespace xreg
