#pragma once
/// The random forest behind MAPLE: regression trees with the semantics of scikit-learn's
/// RandomForestRegressor(bootstrap=True, criterion="squared_error", min_samples_leaf,
/// max_features as a fraction), and the leaf co-occurrence weights MAPLE derives from it.
///
/// Each tree draws from its own generator, so a forest depends only on the streams it is
/// given, never on the number of threads that grow it. Features are compared in float32, as
/// scikit-learn's trees store them.

#include <ATen/core/Generator.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace xreg::maple {

/// Row-major feature values, one row per point.
struct FeatureMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;

  const float* row(int64_t i) const { return values.data() + i * cols; }
};

/// Each column's row indices in increasing (value, row) order, [cols][rows]: sorted once for
/// all the trees of a forest, which keep their bootstrap rows in this order.
struct SortedColumns {
  explicit SortedColumns(const FeatureMatrix& x);
  std::vector<std::vector<int32_t>> rows;
};

struct ForestOptions {
  int64_t trees = 200;
  int64_t min_leaf = 10;      ///< fewest distinct training rows in a leaf (min_samples_leaf)
  double max_features = 0.5;  ///< fraction of the features drawn as candidates at each split
};

class RegressionTree {
 public:
  struct Node {
    int32_t feature = -1;  ///< the split feature; -1 for a leaf
    double threshold = 0;  ///< rows with value <= threshold go left
    int32_t left = -1;
    int32_t right = -1;
  };

  /// `nodes` in depth-first order, the root first.
  RegressionTree(std::vector<Node> nodes, double root_impurity);

  /// Grows a tree on a bootstrap sample of (x, y): x.rows draws with replacement, each row
  /// weighted by its multiplicity, as scikit-learn's forests do.
  static RegressionTree grow(const FeatureMatrix& x, const SortedColumns& sorted,
                             const std::vector<double>& y, const ForestOptions& options,
                             at::Generator generator);

  /// The id of the leaf `row` falls into.
  int32_t leaf(const float* row) const;
  int32_t node_count() const { return static_cast<int32_t>(nodes_.size()); }
  /// The root's split feature; -1 when the root is a leaf.
  int32_t root_feature() const { return nodes_.front().feature; }
  /// The weighted variance of the bootstrap targets (scikit-learn's tree_.impurity[0]).
  double root_impurity() const { return root_impurity_; }

 private:
  std::vector<Node> nodes_;
  double root_impurity_;
};

class RandomForest {
 public:
  /// Grows options.trees trees on (x, y), tree t from generator_for(t), in parallel.
  RandomForest(const FeatureMatrix& x, const std::vector<double>& y, const ForestOptions& options,
               const std::function<at::Generator(int64_t)>& generator_for);

  const std::vector<RegressionTree>& trees() const { return trees_; }

  /// MAPLE's feature scores: for every tree whose root is split, the root's impurity credited
  /// to the root's split feature. [feature_count]
  std::vector<double> root_feature_scores() const;

 private:
  std::vector<RegressionTree> trees_;
  int64_t feature_count_;
};

/// MAPLE's supervised neighborhoods: the training points that share a leaf with a point.
class LeafNeighbors {
 public:
  /// Drops every training point (not only the bootstrap samples) through every tree.
  LeafNeighbors(RandomForest forest, const FeatureMatrix& train);

  int64_t train_size() const { return train_size_; }

  /// Row-major [points.rows, train_size]: MAPLE's weight w(p, i) of every training point i for
  /// each point p (see weighted_sums), added tree after tree. A point's weights do not depend on
  /// the other points.
  std::vector<double> weights(const FeatureMatrix& points) const;

  /// Whether weighted sums of values per training point cost less as the product of the weights
  /// and the values (train_size values a point for each value column, in one matrix product at
  /// the BLAS's speed) than as weighted_sums (trees values a point for each column, scattered
  /// over leaf means that outgrow the caches): on training sets of not many more rows than the
  /// forest has trees.
  bool dense_sums_cheaper() const;

  /// Row-major [points.rows, width]: for each point p, Σ_i w(p, i) · values_i over the training
  /// points i, where values is row-major [train_size, width] and w(p, i) = Σ_trees [leaf(p) ==
  /// leaf(i)] / |training points in leaf(p)| is MAPLE's weight (each point's weights sum to the
  /// number of trees). Summed as each tree's leaf means of values, so that a point costs trees ×
  /// width, not train_size × width. A point's sums do not depend on the other points.
  std::vector<double> weighted_sums(const FeatureMatrix& points, const std::vector<double>& values,
                                    int64_t width) const;

 private:
  /// One tree's training points grouped by leaf: leaf l holds points[offsets[l], offsets[l+1]).
  struct LeafMembers {
    std::vector<int32_t> offsets;
    std::vector<int32_t> points;
  };

  /// Row-major [tree's node count, width]: the mean of values over each leaf's training points
  /// (zero for inner nodes).
  std::vector<double> leaf_means(int64_t tree, const std::vector<double>& values,
                                 int64_t width) const;

  RandomForest forest_;
  int64_t train_size_;
  std::vector<LeafMembers> members_;  ///< one per tree
};

}  // namespace xreg::maple
