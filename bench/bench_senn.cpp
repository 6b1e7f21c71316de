// SENN on breast cancer (30 features, binary), one thread. One training step (forward, loss,
// backward, Adam) on a minibatch of 64, as the reference trains: a plain mlp with SENN's
// relevance network's widths (30→10→10→5→1), the senn model alone, senn with its robustness
// loss (batched: one backward pass per output for ∇f and one for θᵀJh), and the same loss
// computed point by point (a backward pass per point, the in-run baseline of the batching).
// Then the local_lipschitz metric's time per point: SENN's self-explanation (100 gradient steps
// after 20 sampled candidates) and LIME on the mlp (20 candidates, each explained by LIME).
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/host/run/trainer.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/metric.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace {

constexpr int64_t kBatch = 64;
constexpr int kRounds = 10;
constexpr int kStepsPerRound = 50;

/// The robustness loss point by point: the Jacobians of one point at a time.
class PerPointRobustness final : public xreg::Regularizer {
 public:
  explicit PerPointRobustness(std::shared_ptr<xreg::Regularizer> batched)
      : batched_(std::move(batched)) {}
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context& ctx) override {
    std::vector<torch::Tensor> squares;
    for (int64_t i = 0; i < batch.size(); ++i) {
      squares.push_back(batched_->penalty(model, batch.slice(i, i + 1), draw, ctx).square());
    }
    return torch::stack(squares).sum().sqrt();
  }

 private:
  std::shared_ptr<xreg::Regularizer> batched_;
};

xreg::SplitData load_cancer() {
  xreg::Params data;
  data.set("path", xreg::bench::shared_path("data/uci/cancer.csv"));
  data.set("ignore", std::vector<std::string>{"id"});
  data.set("target", std::string("diagnosis"));
  data.set("task", std::string("binary"));
  data.set("positive", std::string("M"));
  data.set("split", std::vector<double>{0.75, 0.125, 0.125});
  return xreg::load_splits(xreg::bench::with_defaults(xreg::data_schema(), data), ".", 0, 0,
                           torch::kFloat);
}

/// A model in training with one regularizer or none.
struct Training {
  std::shared_ptr<xreg::Model> model;
  std::shared_ptr<xreg::Regularizer> penalty;
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::vector<double> seconds;

  void step(const xreg::Batch& batch, const xreg::Context& ctx) {
    optimizer->zero_grad();
    auto loss = xreg::task_loss(model->forward(batch.x), batch.y, xreg::Task::binary);
    if (penalty) loss = loss + penalty->penalty(*model, batch, 0, ctx);
    loss.backward();
    optimizer->step();
  }
};

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

}  // namespace

int main() {
  if (!std::filesystem::exists(xreg::bench::shared_path("data/uci/cancer.csv"))) {
    std::printf("bench_senn: %s is not there; nothing measured\n", XREG_SHARED_DIR);
    return 0;
  }
  xreg::make_blas_deterministic();
  torch::set_num_threads(1);
  xreg::Registry registry;
  registry.load_directory(XREG_PLUGIN_BUILD_DIR);
  auto splits = load_cancer();
  xreg::Context ctx;
  ctx.task = xreg::Task::binary;
  const xreg::ModelShape shape{{30}, 1, xreg::Task::binary};
  const auto batch = splits.train.points.slice(0, kBatch);

  auto robustness = xreg::bench::create<xreg::Regularizer>(registry, "senn_robustness");
  xreg::Params mlp_shape;
  mlp_shape.set("hidden", std::vector<int64_t>{10, 10, 5});
  struct Row {
    const char* label;
    Training training;
  };
  std::vector<Row> rows;
  auto add = [&](const char* label, const char* model, const xreg::Params& params,
                 std::shared_ptr<xreg::Regularizer> penalty) {
    torch::manual_seed(0);
    Training t;
    t.model = xreg::bench::create<xreg::Model>(registry, model, params);
    t.model->build(shape, ctx);
    t.penalty = std::move(penalty);
    t.optimizer = std::make_unique<torch::optim::Adam>(t.model->parameters(),
                                                       torch::optim::AdamOptions(1e-3));
    rows.push_back({label, std::move(t)});
  };
  add("mlp, plain", "mlp", mlp_shape, nullptr);
  add("senn, plain", "senn", {}, nullptr);
  add("senn + robustness", "senn", {}, robustness);
  add("senn + per-point loop", "senn", {}, std::make_shared<PerPointRobustness>(robustness));
  for (auto& row : rows) {
    for (int s = 0; s < 10; ++s) row.training.step(batch, ctx);  // warm-up
  }
  for (int round = 0; round < kRounds; ++round) {
    for (auto& row : rows) {
      for (int s = 0; s < kStepsPerRound; ++s) {
        row.training.seconds.push_back(
            xreg::bench::median_seconds(1, [&] { row.training.step(batch, ctx); }));
      }
    }
  }
  std::printf(
      "one training step on breast cancer (30 features, batch %lld), 1 thread, medians "
      "of %d steps\n",
      static_cast<long long>(kBatch), kRounds * kStepsPerRound);
  const double plain = median(rows.front().training.seconds);
  for (auto& row : rows) {
    const double seconds = median(row.training.seconds);
    std::printf("  %-24s %8.1f us  %6.2fx mlp\n", row.label, seconds * 1e6, seconds / plain);
  }

  // The metric on the test points, with the models as trained above.
  const auto& test = splits.test.points;
  auto lipschitz = xreg::bench::create<xreg::Metric>(registry, "local_lipschitz");
  auto time_per_point = [&](xreg::Model& model, const char* explainer_name) {
    auto explainer = xreg::bench::create<xreg::Explainer>(registry, explainer_name);
    explainer->fit(model, splits.train, splits.val, ctx);
    auto explanation = explainer->explain(model, test, ctx);
    xreg::MetricInput input{model,           test,         xreg::Task::binary,
                            explainer.get(), &explanation, &splits.train};
    return xreg::bench::median_seconds(3, [&] { lipschitz->evaluate(input, ctx); }) /
           static_cast<double>(test.size());
  };
  rows[0].training.model->set_training(false);
  rows[2].training.model->set_training(false);
  const double senn = time_per_point(*rows[2].training.model, "senn");
  const double lime = time_per_point(*rows[0].training.model, "lime");
  std::printf("local_lipschitz per point (%lld test points, epsilon 0.1):\n",
              static_cast<long long>(test.size()));
  std::printf("  senn (20 candidates + 100 gradient steps) %8.2f ms\n", senn * 1e3);
  std::printf("  lime on the mlp (20 candidates)           %8.2f ms  %6.2fx senn\n", lime * 1e3,
              lime / senn);
  return 0;
}
