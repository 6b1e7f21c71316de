#include "random_forest.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace xreg::maple {
namespace {

/// scikit-learn's FEATURE_THRESHOLD: feature values closer than this count as equal.
constexpr double kFeatureThreshold = 1e-7;
/// scikit-learn's EPSILON: a node whose impurity is at most this is pure.
constexpr double kPureImpurity = std::numeric_limits<double>::epsilon();

/// Unbiased integers from one CPU generator's 64-bit stream.
class UniformIntegers {
 public:
  explicit UniformIntegers(at::Generator generator)
      : generator_(std::move(generator)),
        source_(at::check_generator<at::CPUGeneratorImpl>(generator_)) {}

  /// Uniform in [0, bound); draws in the incomplete last block are rejected.
  int64_t below(int64_t bound) {
    const uint64_t range = static_cast<uint64_t>(bound);
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    const uint64_t limit = kMax - kMax % range;
    uint64_t draw = source_->random64();
    while (draw >= limit) draw = source_->random64();
    return static_cast<int64_t>(draw % range);
  }

 private:
  at::Generator generator_;
  at::CPUGeneratorImpl* source_;
};

/// Bootstrap-weighted target statistics of a set of rows.
struct Totals {
  double weight = 0;
  double sum = 0;
  double squares = 0;

  /// The weighted variance of the targets: the squared-error criterion's impurity.
  double impurity() const {
    const double mean = sum / weight;
    return squares / weight - mean * mean;
  }
};

struct Split {
  int32_t feature = -1;
  double threshold = 0;
  /// scikit-learn's proxy for the impurity decrease: Σ_left² / W_left + Σ_right² / W_right.
  double proxy = -std::numeric_limits<double>::infinity();
};

/// The threshold between two consecutive distinct values, as scikit-learn places it.
double midpoint(float below, float above) {
  const double threshold = below / 2.0 + above / 2.0;
  return threshold == above || std::isinf(threshold) ? below : threshold;
}

/// Grows one tree depth first, as scikit-learn's DepthFirstTreeBuilder with BestSplitter.
class TreeGrower {
 public:
  TreeGrower(const FeatureMatrix& x, const SortedColumns& sorted, const std::vector<double>& y,
             const ForestOptions& options, at::Generator generator)
      : x_(x),
        sorted_(sorted),
        y_(y),
        min_leaf_(options.min_leaf),
        features_per_split_(std::max<int64_t>(
            1, static_cast<int64_t>(options.max_features * static_cast<double>(x.cols)))),
        integers_(std::move(generator)),
        features_(x.cols) {
    std::iota(features_.begin(), features_.end(), 0);
  }

  RegressionTree grow() {
    draw_bootstrap();
    list_bootstrap_rows_by_feature();
    const double root_impurity = totals(0, samples_.size()).impurity();
    grow_node(0, samples_.size());
    return RegressionTree(std::move(nodes_), root_impurity);
  }

 private:
  struct FeatureValue {
    float value;
    int32_t row;
  };

  /// x.rows draws with replacement; the tree sees each distinct row once, weighted by its count.
  void draw_bootstrap() {
    counts_.assign(x_.rows, 0.0);
    for (int64_t draw = 0; draw < x_.rows; ++draw) counts_[integers_.below(x_.rows)] += 1;
    for (int32_t row = 0; row < x_.rows; ++row) {
      if (counts_[row] > 0) samples_.push_back(row);
    }
  }

  Totals totals(size_t begin, size_t end) const {
    Totals t;
    for (size_t s = begin; s < end; ++s) add(t, samples_[s]);
    return t;
  }

  void add(Totals& t, int32_t row) const {
    const double w = counts_[row], y = y_[row];
    t.weight += w;
    t.sum += w * y;
    t.squares += w * y * y;
  }

  /// Grows the subtree of samples_[begin, end) and returns its root's id.
  int32_t grow_node(size_t begin, size_t end) {
    const auto id = static_cast<int32_t>(nodes_.size());
    nodes_.emplace_back();
    const Totals node = totals(begin, end);
    const auto count = static_cast<int64_t>(end - begin);
    if (count < 2 * min_leaf_ || node.impurity() <= kPureImpurity) return id;
    const Split split = best_split(begin, end, node);
    if (split.feature < 0) return id;
    auto is_left = [&](int32_t row) { return x_.row(row)[split.feature] <= split.threshold; };
    const auto middle = std::partition(samples_.begin() + begin, samples_.begin() + end, is_left) -
                        samples_.begin();
    nodes_[id].feature = split.feature;
    nodes_[id].threshold = split.threshold;
    split_sorted_samples(begin, middle, end);
    const int32_t left = grow_node(begin, middle);
    const int32_t right = grow_node(middle, end);
    nodes_[id].left = left;
    nodes_[id].right = right;
    return id;
  }

  /// Draws features without replacement until features_per_split_ have been examined, and
  /// further while every feature examined so far was constant in the node.
  Split best_split(size_t begin, size_t end, const Totals& node) {
    Split best;
    const int64_t d = x_.cols;
    int64_t drawn = 0, constant = 0;
    while (drawn < d && (drawn < features_per_split_ || drawn <= constant)) {
      std::swap(features_[drawn], features_[drawn + integers_.below(d - drawn)]);
      if (!improve_on_feature(features_[drawn], begin, end, node, best)) ++constant;
      ++drawn;
    }
    return best;
  }

  /// Replaces `best` by a better threshold on `feature`, if any, that leaves at least
  /// min_leaf_ rows on each side. Returns false when the feature is constant in the node.
  bool improve_on_feature(int32_t feature, size_t begin, size_t end, const Totals& node,
                          Split& best) {
    const FeatureValue* sorted = by_feature_[feature].data() + begin;
    const auto count = static_cast<int64_t>(end - begin);
    if (sorted[count - 1].value <= sorted[0].value + kFeatureThreshold) return false;
    Totals left;
    for (int64_t p = 1; p < count; ++p) {
      add(left, sorted[p - 1].row);
      if (sorted[p].value <= sorted[p - 1].value + kFeatureThreshold) continue;
      if (p < min_leaf_ || count - p < min_leaf_) continue;
      const double right_sum = node.sum - left.sum, right_weight = node.weight - left.weight;
      const double proxy = left.sum * left.sum / left.weight + right_sum * right_sum / right_weight;
      if (proxy > best.proxy) {
        best = Split{feature, midpoint(sorted[p - 1].value, sorted[p].value), proxy};
      }
    }
    return true;
  }

  /// Every feature's list of the bootstrap rows with their values in (value, row) order; a
  /// node's rows are the range [begin, end) of each list, as of samples_.
  void list_bootstrap_rows_by_feature() {
    by_feature_.assign(x_.cols, {});
    for (int64_t feature = 0; feature < x_.cols; ++feature) {
      auto& list = by_feature_[feature];
      list.reserve(samples_.size());
      for (int32_t row : sorted_.rows[feature]) {
        if (counts_[row] > 0) list.push_back(FeatureValue{x_.row(row)[feature], row});
      }
    }
    goes_left_.assign(x_.rows, 0);
  }

  /// After a split of [begin, end) at middle (samples_ partitioned), the lists' ranges too: the
  /// left child's rows first, each side in its sorted order, so no node sorts again.
  void split_sorted_samples(size_t begin, size_t middle, size_t end) {
    for (size_t s = begin; s < end; ++s) goes_left_[samples_[s]] = s < middle;
    right_.resize(end - middle + 1);  // one spare: a left row after the last right one lands there
    for (auto& list : by_feature_) {
      // Every value is written to both sides and the side's end moves by the row's bit: no
      // branch to mispredict on half of the rows.
      FeatureValue* left = list.data() + begin;
      FeatureValue* right = right_.data();
      for (size_t s = begin; s < end; ++s) {
        const FeatureValue value = list[s];
        const size_t to_left = goes_left_[value.row];
        *left = value;
        *right = value;
        left += to_left;
        right += 1 - to_left;
      }
      std::copy(right_.begin(), right_.begin() + (end - middle), left);
    }
  }

  const FeatureMatrix& x_;
  const SortedColumns& sorted_;
  const std::vector<double>& y_;
  const int64_t min_leaf_;
  const int64_t features_per_split_;
  UniformIntegers integers_;
  std::vector<int32_t> features_;  ///< permuted in place by the feature draws
  std::vector<double> counts_;     ///< bootstrap multiplicity of every row
  std::vector<int32_t> samples_;   ///< the distinct bootstrap rows, partitioned by node
  std::vector<std::vector<FeatureValue>> by_feature_;  ///< see list_bootstrap_rows_by_feature
  std::vector<uint8_t> goes_left_;   ///< per row: in the left child of the node being split
  std::vector<FeatureValue> right_;  ///< scratch of split_sorted_samples
  std::vector<RegressionTree::Node> nodes_;
};

}  // namespace

RegressionTree::RegressionTree(std::vector<Node> nodes, double root_impurity)
    : nodes_(std::move(nodes)), root_impurity_(root_impurity) {}

SortedColumns::SortedColumns(const FeatureMatrix& x) : rows(x.cols) {
  for (int64_t column = 0; column < x.cols; ++column) {
    auto& order = rows[column];
    order.resize(x.rows);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      const float u = x.row(a)[column], v = x.row(b)[column];
      return u < v || (u == v && a < b);
    });
  }
}

RegressionTree RegressionTree::grow(const FeatureMatrix& x, const SortedColumns& sorted,
                                    const std::vector<double>& y, const ForestOptions& options,
                                    at::Generator generator) {
  if (x.rows == 0 || x.cols == 0) throw std::invalid_argument("a tree needs rows and features");
  if (static_cast<int64_t>(y.size()) != x.rows) {
    throw std::invalid_argument("a tree needs one target per row");
  }
  return TreeGrower(x, sorted, y, options, std::move(generator)).grow();
}

int32_t RegressionTree::leaf(const float* row) const {
  int32_t node = 0;
  while (nodes_[node].feature >= 0) {
    const Node& split = nodes_[node];
    node = row[split.feature] <= split.threshold ? split.left : split.right;
  }
  return node;
}

RandomForest::RandomForest(const FeatureMatrix& x, const std::vector<double>& y,
                           const ForestOptions& options,
                           const std::function<at::Generator(int64_t)>& generator_for)
    : trees_(options.trees, RegressionTree({RegressionTree::Node{}}, 0.0)), feature_count_(x.cols) {
  const SortedColumns sorted(x);
  at::parallel_for(0, options.trees, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      trees_[t] = RegressionTree::grow(x, sorted, y, options, generator_for(t));
    }
  });
}

std::vector<double> RandomForest::root_feature_scores() const {
  std::vector<double> scores(feature_count_, 0.0);
  for (const auto& tree : trees_) {
    if (tree.root_feature() >= 0) scores[tree.root_feature()] += tree.root_impurity();
  }
  return scores;
}

LeafNeighbors::LeafNeighbors(RandomForest forest, const FeatureMatrix& train)
    : forest_(std::move(forest)), train_size_(train.rows), members_(forest_.trees().size()) {
  at::parallel_for(0, static_cast<int64_t>(members_.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const RegressionTree& tree = forest_.trees()[t];
      std::vector<int32_t> leaf_of(train.rows);
      LeafMembers& members = members_[t];
      members.offsets.assign(tree.node_count() + 1, 0);
      for (int64_t i = 0; i < train.rows; ++i) {
        leaf_of[i] = tree.leaf(train.row(i));
        ++members.offsets[leaf_of[i] + 1];
      }
      std::partial_sum(members.offsets.begin(), members.offsets.end(), members.offsets.begin());
      std::vector<int32_t> next(members.offsets.begin(), members.offsets.end() - 1);
      members.points.resize(train.rows);
      for (int32_t i = 0; i < train.rows; ++i) members.points[next[leaf_of[i]]++] = i;
    }
  });
}

std::vector<double> LeafNeighbors::weights(const FeatureMatrix& points) const {
  const auto& trees = forest_.trees();
  std::vector<double> weights(points.rows * train_size_, 0.0);
  at::parallel_for(0, points.rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      double* weight = weights.data() + p * train_size_;
      for (size_t t = 0; t < trees.size(); ++t) {
        const LeafMembers& members = members_[t];
        const int32_t leaf = trees[t].leaf(points.row(p));
        const int32_t first = members.offsets[leaf], last = members.offsets[leaf + 1];
        if (first == last) continue;  // a leaf without training points
        const double share = 1.0 / (last - first);
        for (int32_t k = first; k < last; ++k) weight[members.points[k]] += share;
      }
    }
  });
  return weights;
}

bool LeafNeighbors::dense_sums_cheaper() const {
  constexpr int64_t kDenseRowsPerTree = 4;
  return train_size_ <= kDenseRowsPerTree * static_cast<int64_t>(forest_.trees().size());
}

std::vector<double> LeafNeighbors::weighted_sums(const FeatureMatrix& points,
                                                 const std::vector<double>& values,
                                                 int64_t width) const {
  if (static_cast<int64_t>(values.size()) != train_size_ * width) {
    throw std::invalid_argument("weighted_sums needs train_size x width values");
  }
  // Trees go in groups whose leaf means stay in cache while every point adds its leaves' means,
  // tree after tree: a point's sum is in tree order whatever the grouping.
  constexpr int64_t kGroupBytes = 4 << 20;
  const auto& trees = forest_.trees();
  const int64_t tree_count = static_cast<int64_t>(trees.size());
  std::vector<double> sums(points.rows * width, 0.0);
  std::vector<std::vector<double>> means;
  for (int64_t first = 0; first < tree_count;) {
    int64_t last = first, bytes = 0;
    means.clear();
    do {
      means.push_back(leaf_means(last, values, width));
      bytes += static_cast<int64_t>(means.back().size() * sizeof(double));
      ++last;
    } while (last < tree_count && bytes < kGroupBytes);
    at::parallel_for(0, points.rows, 16, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        double* sum = sums.data() + p * width;
        for (int64_t t = first; t < last; ++t) {
          const double* mean = means[t - first].data() + trees[t].leaf(points.row(p)) * width;
          for (int64_t c = 0; c < width; ++c) sum[c] += mean[c];
        }
      }
    });
    first = last;
  }
  return sums;
}

std::vector<double> LeafNeighbors::leaf_means(int64_t tree, const std::vector<double>& values,
                                              int64_t width) const {
  const LeafMembers& members = members_[tree];
  const int64_t nodes = static_cast<int64_t>(members.offsets.size()) - 1;
  std::vector<double> means(nodes * width, 0.0);
  for (int64_t node = 0; node < nodes; ++node) {
    const int32_t first = members.offsets[node], last = members.offsets[node + 1];
    if (first == last) continue;  // an inner node, or a leaf without training points
    double* mean = means.data() + node * width;
    for (int32_t k = first; k < last; ++k) {
      const double* row = values.data() + static_cast<int64_t>(members.points[k]) * width;
      for (int64_t c = 0; c < width; ++c) mean[c] += row[c];
    }
    const double share = 1.0 / (last - first);
    for (int64_t c = 0; c < width; ++c) mean[c] *= share;
  }
  return means;
}

}  // namespace xreg::maple
