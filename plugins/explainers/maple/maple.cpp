// maple: MAPLE (Plumb, Molitor & Talwalkar 2018), local linear explanations whose training
// points are weighted by how often they share a random-forest leaf with the explained point.
// As GDPlumb/MAPLE's MAPLE.py, which ExpO evaluates with: per explained output, a random forest
// fit to the explained function on the training split, features ranked by the impurity of the
// tree roots they split, the number of retained features chosen by the validation RMSE of the
// local predictions, and a weighted ridge on the retained features as the explanation.
#include <algorithm>
#include <numeric>
#include <string>

#include "random_forest.hpp"
#include "xreg/sdk.hpp"

namespace {

using xreg::maple::FeatureMatrix;
using xreg::maple::LeafNeighbors;

constexpr char kForestStream[] = "maple/forest";

constexpr xreg_param_spec kParams[] = {
    xreg::param::integer("trees", "200",
                         "Trees of the random forest whose leaves define the neighborhoods.")
        .at_least(1),
    xreg::param::integer("min_leaf", "10",
                         "Fewest training rows in a leaf of a tree (scikit-learn's "
                         "min_samples_leaf).")
        .at_least(1),
    xreg::param::real("max_features", "0.5",
                      "Fraction of the features drawn as split candidates at each tree node.")
        .positive()
        .at_most(1),
    xreg::param::real("regularization", "0.001",
                      "Ridge penalty alpha of the local linear models; the intercept is free.")
        .non_negative(),
    xreg::param::explained_output(),
};

/// The forest's view of points [N, d...]: flattened features in float32, on the CPU.
FeatureMatrix feature_matrix(const torch::Tensor& x) {
  auto values = x.flatten(1).to(torch::kCPU, torch::kFloat).contiguous();
  FeatureMatrix matrix;
  matrix.rows = values.size(0);
  matrix.cols = values.size(1);
  const float* data = values.data_ptr<float>();
  matrix.values.assign(data, data + values.numel());
  return matrix;
}

/// [1, x]: x [n, d] with a leading column of ones.
torch::Tensor with_intercept(const torch::Tensor& x) {
  return torch::cat({torch::ones({x.size(0), 1}, x.options()), x}, 1);
}

/// Values per training point of the statistics a local model is solved from, over the augmented
/// design a = [1, x] (a values): a aᵀ's upper triangle, a·y, y².
int64_t statistics_width(int64_t a) { return a * (a + 1) / 2 + a + 1; }

/// int64 [a·a]: for entry (r, c) of an a × a symmetric matrix, the position of (min, max) in its
/// row-major upper triangle.
torch::Tensor symmetric_from_upper(int64_t a) {
  std::vector<int64_t> position(a * a);
  for (int64_t r = 0, k = 0; r < a; ++r) {
    for (int64_t c = r; c < a; ++c, ++k) position[r * a + c] = position[c * a + r] = k;
  }
  return torch::tensor(position, torch::kLong);
}

/// Each training point's statistics over a design [n, a] and targets y [n]: the values whose
/// weighted sums the local models over that design are solved from.
struct Statistics {
  Statistics(const torch::Tensor& design, const torch::Tensor& y)
      : a(design.size(1)), symmetric(symmetric_from_upper(a)) {
    auto upper = torch::triu_indices(a, a, 0, torch::kLong);
    auto outer = (design.unsqueeze(2) * design.unsqueeze(1)).flatten(1);
    auto table = torch::cat({outer.index_select(1, upper[0] * a + upper[1]),
                             design * y.unsqueeze(1), y.square().unsqueeze(1)},
                            1)
                     .contiguous();
    rows.assign(table.data_ptr<double>(), table.data_ptr<double>() + table.numel());
  }

  int64_t a;                 ///< the design's columns
  torch::Tensor symmetric;   ///< symmetric_from_upper(a)
  std::vector<double> rows;  ///< row-major [n, statistics_width(a)]
};

/// A point's forest-weighted sums over the training points, from which its local models are
/// solved (xreg::ridge_from_sums), over the augmented design [1, x] in input order.
struct NeighborhoodSums {
  torch::Tensor gram;      ///< [P, a, a]: Σ w a aᵀ
  torch::Tensor moments;   ///< [P, a, 1]: Σ w a y
  torch::Tensor y_square;  ///< [P, 1]: Σ w y²

  /// The sums over the design [1, x_columns]: columns ascending or in any order.
  NeighborhoodSums restricted(const torch::Tensor& columns) const {
    auto kept = torch::cat({torch::zeros({1}, torch::kLong), columns + 1});
    return {gram.index_select(1, kept).index_select(2, kept), moments.index_select(1, kept),
            y_square};
  }
};

/// Feature indices by decreasing score; equal scores keep their index order.
std::vector<int64_t> features_by_score(const std::vector<double>& scores) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return order;
}

/// The first `count` features of `order`, ascending: the columns of a local model. int64 [count]
torch::Tensor leading_features(const std::vector<int64_t>& order, int64_t count) {
  std::vector<int64_t> retained(order.begin(), order.begin() + count);
  std::sort(retained.begin(), retained.end());
  return torch::tensor(retained, torch::kLong);
}

/// One explained output: its forest's neighborhoods and the features its local models use.
struct OutputModel {
  LeafNeighbors neighbors;
  torch::Tensor retained;  ///< int64 [r], ascending
  /// Over the design [1, x_retained]; while the features are chosen, over [1, x].
  Statistics statistics;

  /// The sums over statistics' design of points x [P, d] (float64, CPU) with global indices
  /// `index` [P]: the product of their weights and the statistics where that is cheaper
  /// (neighbors.dense_sums_cheaper), laid out by xreg::map_points so that a point's bits do not
  /// depend on its batch; otherwise from the leaf means. Either way a function of the point
  /// alone.
  NeighborhoodSums sums(const torch::Tensor& x, const torch::Tensor& index,
                        const xreg::Context& ctx) const {
    const int64_t points = x.size(0), a = statistics.a, upper = a * (a + 1) / 2;
    const int64_t width = statistics_width(a), n = neighbors.train_size();
    const FeatureMatrix features = feature_matrix(x);
    std::vector<double> values;
    torch::Tensor sums;
    if (neighbors.dense_sums_cheaper()) {
      values = neighbors.weights(features);
      auto table = torch::from_blob(const_cast<double*>(statistics.rows.data()), {n, width},
                                    torch::kDouble);  // read only
      auto weights = torch::from_blob(values.data(), {points, 1, n}, torch::kDouble);
      sums = xreg::map_points(weights, index, ctx, [&](const torch::Tensor& rows) {
               return rows.mm(table);
             }).squeeze(1);
    } else {
      values = neighbors.weighted_sums(features, statistics.rows, width);
      sums = torch::from_blob(values.data(), {points, width}, torch::kDouble);
    }
    return {sums.narrow(1, 0, upper).index_select(1, statistics.symmetric).view({points, a, a}),
            sums.narrow(1, upper, a).unsqueeze(2).clone(), sums.narrow(1, upper + a, 1).clone()};
  }
};

/// The local linear models of a batch of points, one per fitted output, in input units.
struct LocalModels {
  torch::Tensor coefficients;  ///< [P, k, d], zero for dropped features
  torch::Tensor intercepts;    ///< [P, k]
  torch::Tensor r2;            ///< [P, k]
};

class Maple final : public xreg::Explainer {
 public:
  static constexpr uint32_t explanation_kinds = XREG_EXPLANATION_LINEAR;

  explicit Maple(const xreg::Params& params)
      : regularization_(params.real("regularization")),
        output_(xreg::output_mode_from_name(params.string("output"))) {
    forest_.trees = params.integer("trees");
    forest_.min_leaf = params.integer("min_leaf");
    forest_.max_features = params.real("max_features");
  }

  /// Fits one forest per explained output to the explained function at the training points
  /// and chooses each output's features by the RMSE of the local predictions on the
  /// validation split (on the training split when there is no validation split).
  void fit(xreg::Model& model, const xreg::Dataset& train, const xreg::Dataset& validation,
           const xreg::Context& ctx) override {
    outputs_.clear();  // a refused fit leaves no half of another
    if (train.size() == 0) throw std::invalid_argument("maple needs a training split");
    const auto train_x = train.points.x.flatten(1).to(torch::kCPU, torch::kDouble);
    const auto train_targets = fitted_function(model, train.points, ctx);
    features_ = train_x.size(1);
    train_size_ = train_x.size(0);
    const xreg::Batch* selection = &validation.points;
    if (validation.size() == 0) {
      ctx.log(xreg::LogLevel::warning,
              "maple: no validation split; choosing the number of features on the training "
              "split");
      selection = &train.points;
    }
    refuse_beyond_budget(train.size(), ctx);
    const Selection selection_split{selection->x.flatten(1).to(torch::kCPU, torch::kDouble),
                                    selection->index, fitted_function(model, *selection, ctx)};
    const auto design = with_intercept(train_x);
    outputs_.clear();
    for (int64_t column = 0; column < train_targets.size(1); ++column) {
      outputs_.push_back(fit_output(column, design, train_targets.select(1, column).contiguous(),
                                    selection_split, ctx));
    }
  }

  /// The weighted ridge of every point on its output's retained features, in one batched
  /// solve per output (in chunks that keep the points' sums within the memory budget).
  xreg::Explanation explain(xreg::Model& model, const xreg::Batch& points,
                            const xreg::Context& ctx) override {
    if (outputs_.empty()) throw std::logic_error("maple: explain before fit");
    torch::NoGradGuard black_box;  // no graph through the points, whatever they require
    return xreg::explain_in_chunks(
        points, points_per_chunk(ctx), ctx,
        [&](const xreg::Batch& chunk) { return explain_chunk(model, chunk, ctx); });
  }

 private:
  /// The function the forests and local models are fit to, at the points: [N, k'] float64 on
  /// the CPU. In predicted_class mode that is every class's probability (binary: of class 1);
  /// each explained point later keeps the model of its own predicted class.
  torch::Tensor fitted_function(xreg::Model& model, const xreg::Batch& points,
                                const xreg::Context& ctx) const {
    const auto mode =
        output_ == xreg::OutputMode::predicted_class ? xreg::OutputMode::probability : output_;
    auto f = xreg::explained_function(model, points.x.unsqueeze(1), points.index, mode, ctx.task,
                                      torch::Tensor(), ctx);
    return f.squeeze(1).to(torch::kCPU, torch::kDouble);
  }

  /// The points the number of features is chosen on.
  struct Selection {
    torch::Tensor x;        ///< [n, d] float64, CPU
    torch::Tensor index;    ///< [n]: their global indices
    torch::Tensor targets;  ///< [n, k'] fitted_function
  };

  /// Refuses a training split whose per-row Statistics would outgrow the memory budget of one
  /// pass while they are built (each row's a aᵀ, then the table twice: float64, two float32
  /// values each): MAPLE's local models are over every input value, which suits tabular data,
  /// not images.
  void refuse_beyond_budget(int64_t rows, const xreg::Context& ctx) const {
    const int64_t a = features_ + 1;
    const int64_t values = 2 * rows * (a * a + 2 * statistics_width(a));
    if (values <= ctx.max_values_per_pass) return;
    throw std::invalid_argument(
        "maple: the local models' statistics of " + std::to_string(rows) + " training points of " +
        std::to_string(features_) + " input values take " + std::to_string(values) +
        " float32 values of memory, more than the budget of " +
        std::to_string(ctx.max_values_per_pass) +
        " ([run] max_values_per_pass); MAPLE is meant for tabular data: explain fewer features, "
        "fewer training points, or raise the budget");
  }

  /// Output `column`'s forest on the training design [1, x] and targets y [n], and its features.
  OutputModel fit_output(int64_t column, const torch::Tensor& design, const torch::Tensor& y,
                         const Selection& selection, const xreg::Context& ctx) const {
    const FeatureMatrix train_features = feature_matrix(design.narrow(1, 1, features_));
    xreg::maple::RandomForest forest(
        train_features, std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel()),
        forest_, [&](int64_t tree) { return ctx.generator(kForestStream, tree, column); });
    const auto order = features_by_score(forest.root_feature_scores());
    OutputModel output{LeafNeighbors(std::move(forest), train_features), torch::Tensor(),
                       Statistics(design, y)};
    const int64_t count = select_feature_count(output, order, selection.x, selection.index,
                                               selection.targets.select(1, column), ctx);
    output.retained = leading_features(order, count);
    // Explanations sum the retained features' statistics only.
    auto kept = torch::cat({torch::zeros({1}, torch::kLong), output.retained + 1});
    output.statistics = Statistics(design.index_select(1, kept), y);
    ctx.log(xreg::LogLevel::info, "maple: output " + std::to_string(column) + " keeps " +
                                      std::to_string(count) + " of " +
                                      std::to_string(order.size()) + " features");
    return output;
  }

  /// The number of leading features whose local models predict the selection targets with the
  /// smallest squared error (the first on ties), as MAPLE's validation RMSE. With the features
  /// in `order`, the count-c ridge problem of a point is the leading (c+1)×(c+1) block of one
  /// weighted Gram matrix over [1, all features], so one Gram and one Cholesky factor per point
  /// serve every c: the factor of a leading block is the leading block of the factor.
  int64_t select_feature_count(const OutputModel& output, const std::vector<int64_t>& order,
                               const torch::Tensor& selection_x,
                               const torch::Tensor& selection_index,
                               const torch::Tensor& selection_targets,
                               const xreg::Context& ctx) const {
    const int64_t d = static_cast<int64_t>(order.size()), n = selection_x.size(0);
    const int64_t step = points_per_chunk(ctx);
    const auto ordered = torch::tensor(order, torch::kLong);
    auto penalty = torch::full({d + 1}, regularization_, torch::kDouble);
    penalty[0] = 0.0;  // the intercept is free
    std::vector<double> squared_error(d, 0.0);
    for (int64_t begin = 0; begin < n; begin += step) {
      auto x = selection_x.slice(0, begin, std::min(n, begin + step));
      auto target = selection_targets.slice(0, begin, std::min(n, begin + step));
      auto index = selection_index.slice(0, begin, std::min(n, begin + step));
      const NeighborhoodSums sums = output.sums(x, index, ctx).restricted(ordered);
      auto [factor, info] = torch::linalg_cholesky_ex(sums.gram + torch::diag(penalty));
      if (info.any().item<bool>()) {
        throw std::invalid_argument(
            "maple: a point's local model is singular (collinear features among its forest "
            "neighbors and no ridge penalty); set regularization > 0");
      }
      // Forward substitution is prefix-consistent: the first c+1 entries of L⁻¹m serve count c.
      auto forward = torch::linalg_solve_triangular(factor, sums.moments, /*upper=*/false);
      auto query = with_intercept(x.index_select(1, ordered));  // [p, d+1]
      for (int64_t count = 1; count <= d; ++count) {
        auto block = factor.narrow(1, 0, count + 1).narrow(2, 0, count + 1);
        auto solution =
            torch::linalg_solve_triangular(block.transpose(1, 2), forward.narrow(1, 0, count + 1),
                                           /*upper=*/true);  // [p, count+1, 1]
        auto prediction = (query.narrow(1, 0, count + 1) * solution.squeeze(2)).sum(1);
        squared_error[count - 1] += (prediction - target).pow(2).sum().item<double>();
      }
    }
    return 1 +
           (std::min_element(squared_error.begin(), squared_error.end()) - squared_error.begin());
  }

  xreg::Explanation explain_chunk(xreg::Model& model, const xreg::Batch& points,
                                  const xreg::Context& ctx) const {
    auto x = points.x.flatten(1).to(torch::kCPU, torch::kDouble);
    LocalModels local = local_models(x, points.index, ctx);
    xreg::Explanation e;
    e.kind = xreg::Explanation::Kind::linear;
    e.output = output_;
    if (output_ == xreg::OutputMode::predicted_class) {
      e.classes = xreg::predicted_classes(model, points, ctx.task, ctx);
      keep_predicted_class(local, e.classes.to(torch::kCPU), ctx.task);
    }
    auto prediction =
        local.intercepts + torch::matmul(local.coefficients, x.unsqueeze(2)).squeeze(2);
    const auto options = points.x.options();
    e.coefficients = local.coefficients.to(options);
    e.intercepts = local.intercepts.to(options);
    e.prediction = prediction.to(options);
    e.diagnostics["r2"] = local.r2.to(options);
    return e;
  }

  /// Every fitted output's local models at x [P, d] (float64, CPU) of global indices `index`.
  LocalModels local_models(const torch::Tensor& x, const torch::Tensor& index,
                           const xreg::Context& ctx) const {
    const int64_t points = x.size(0), d = x.size(1);
    std::vector<torch::Tensor> coefficients, intercepts, r2;
    for (size_t column = 0; column < outputs_.size(); ++column) {
      const OutputModel& output = outputs_[column];
      const NeighborhoodSums sums = output.sums(x, index, ctx);
      auto fit = xreg::ridge_from_sums(sums.gram, sums.moments, sums.y_square, regularization_);
      coefficients.push_back(torch::zeros({points, d}, x.options())
                                 .index_copy_(1, output.retained, fit.coefficients.select(1, 0)));
      intercepts.push_back(fit.intercepts.select(1, 0));
      r2.push_back(fit.r2.select(1, 0));
    }
    return {torch::stack(coefficients, 1), torch::stack(intercepts, 1), torch::stack(r2, 1)};
  }

  /// Keeps, for each point, the local model of the probability of its predicted class.
  /// Binary: the models are of p(class 1); a point predicted 0 gets 1 − that model.
  static void keep_predicted_class(LocalModels& local, const torch::Tensor& classes,
                                   xreg::Task task) {
    if (task == xreg::Task::regression) return;
    if (task == xreg::Task::binary) {
      auto sign = (2 * classes - 1).to(torch::kDouble).unsqueeze(1);  // [P, 1]: +1 or -1
      local.coefficients = local.coefficients * sign.unsqueeze(2);
      local.intercepts = (1 - sign) / 2 + sign * local.intercepts;
      return;
    }
    auto index = classes.view({-1, 1});
    const int64_t d = local.coefficients.size(2);
    local.coefficients = local.coefficients.gather(1, index.unsqueeze(2).expand({-1, 1, d}));
    local.intercepts = local.intercepts.gather(1, index);
    local.r2 = local.r2.gather(1, index);
  }

  /// Points per batched solve, so that the solve's tensors stay within the memory budget: for
  /// each point, its weights over the training points and its sums and Gram matrices, [a, a],
  /// a few times over, all float64 (two float32 values each).
  int64_t points_per_chunk(const xreg::Context& ctx) const {
    return std::max<int64_t>(
        1, ctx.rows_per_pass(8 * (features_ + 1) * (features_ + 1) + 2 * train_size_));
  }

  xreg::maple::ForestOptions forest_;
  double regularization_;
  xreg::OutputMode output_;
  int64_t features_ = 0;    ///< d: the training points' features, flattened
  int64_t train_size_ = 0;  ///< n: the training points
  std::vector<OutputModel> outputs_;
};

}  // namespace

XREG_PLUGIN_LIBRARY(xreg::entry<Maple>("maple", "1.3.0",
                                       "MAPLE: ridge surrogates weighted by random-forest leaf "
                                       "co-occurrence",
                                       kParams))
