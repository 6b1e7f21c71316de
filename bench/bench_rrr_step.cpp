// One training step of RRR's decoy-MNIST network, one thread, against the plain step on the same
// network and batch: what "right for the right reasons" costs per step. The network and training
// are examples/rrr/decoy_mnist_swatch.toml's: the mlp plugin 784→50→30→10 (ReLU, init "normal",
// scale 0.1), Adam lr 1e-3 on the summed cross-entropy, one batch of 256 images [1, 28, 28]; the
// data are random 0-255 pixels with the decoy set's 4x4 swatch (value 255 − 25·y) in a random
// corner and each row's annotation mask on its own swatch, as the builtin decoy generator makes
// them (the values do not change the dense arithmetic timed here). µs per step of
//   plain:            forward, loss, backward, Adam step;
//   + rrr log_sum:    the rrr plugin (lambda 1000, output log_sum, the example's slot) on the
//                     step's own minibatch (batch = "minibatch"): a second forward pass with x
//                     requiring its gradient, a backward pass with create_graph for ∂E/∂x, then
//                     the parameter backward through both (double backward);
//   + rrr prob_max:   the same with E = max_k ŷ_k, what the reference's explanations differentiate.
// Each step is the trainer's loop body (train_model in framework/src/run/trainer.cpp): task_loss
// with Reduction::sum plus the slot's weight times the penalty, with the model and regularizer
// built by the registry from the build tree's plugins. The plain and log_sum steps are timed
// through train_model itself too, on a 256-row training split (one step per epoch, no
// validation split): the run's loop adds the minibatch's row copy per step and, per call of
// kStepsPerRound steps, a fresh Adam and batch streams. The example's l2 slot
// (1e-4 Σθ²) is left out: it is a separate, cheap penalty, not RRR's cost.
// Variants alternate by round so that the shared machine's noise hits them alike; each figure
// is the median over rounds of a round's mean per step, with the range over rounds; the ratios
// are to the plain step measured in this process.
#include <cstdio>

#include "bench_support.hpp"
#include "xreg/host/run/trainer.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace {

constexpr int64_t kBatch = 256;
constexpr int64_t kSwatch = 4;
constexpr int kRounds = 20;
constexpr int kStepsPerRound = 50;
constexpr int kWarmupSteps = 20;

/// One batch as the decoy generator makes it: raw pixels, a swatch of value 255 − 25·y in a
/// random corner of every image, and each row's annotations on its own swatch.
xreg::Dataset decoy_batch() {
  torch::manual_seed(0);
  auto x = torch::randint(0, 256, {kBatch, 1, 28, 28}).to(torch::kFloat);
  auto y = torch::randint(0, 10, {kBatch}, torch::kLong);
  auto annotations = torch::zeros_like(x);
  auto corners = torch::randint(0, 2, {kBatch, 2}, torch::kLong);
  for (int64_t i = 0; i < kBatch; ++i) {
    const int64_t top = corners[i][0].item<int64_t>() ? 28 - kSwatch : 0;
    const int64_t left = corners[i][1].item<int64_t>() ? 28 - kSwatch : 0;
    using torch::indexing::Slice;
    const std::vector<torch::indexing::TensorIndex> swatch{i, 0, Slice(top, top + kSwatch),
                                                           Slice(left, left + kSwatch)};
    x.index_put_(swatch, 255.0 - 25.0 * static_cast<double>(y[i].item<int64_t>()));
    annotations.index_put_(swatch, 1.0);
  }
  xreg::Dataset data;
  data.points = xreg::Batch{x, y, torch::arange(kBatch, torch::kLong), annotations};
  data.task = xreg::Task::multiclass;
  data.outputs = 10;
  return data;
}

std::shared_ptr<xreg::Model> decoy_mlp(const xreg::Registry& registry, const xreg::Context& ctx) {
  xreg::Params params;
  params.set("hidden", std::vector<int64_t>{50, 30});
  params.set("negative_slope", 0.0);
  params.set("init", std::string("normal"));
  params.set("init_scale", 0.1);
  torch::manual_seed(0);
  auto model = xreg::bench::create<xreg::Model>(registry, "mlp", params);
  model->build(xreg::ModelShape{{1, 28, 28}, 10, xreg::Task::multiclass}, ctx);
  return model;
}

/// The example's rrr slot, with `output`.
xreg::WeightedRegularizer rrr_slot(const xreg::Registry& registry, const std::string& output) {
  xreg::Params params;
  params.set("lambda", 1000.0);
  params.set("output", output);
  xreg::WeightedRegularizer slot;
  slot.name = "rrr";
  slot.regularizer = xreg::bench::create<xreg::Regularizer>(registry, "rrr", params);
  slot.on_minibatch = true;  // batch = "minibatch"
  slot.effective_weight = slot.weight;
  return slot;
}

/// A variant's per-round figures: seconds per step.
struct Figures {
  const char* label;
  std::vector<double> rounds;

  double median() const { return quantile(0.5); }
  double min() const { return *std::min_element(rounds.begin(), rounds.end()); }
  double max() const { return *std::max_element(rounds.begin(), rounds.end()); }
  double quantile(double q) const {
    auto sorted = rounds;
    std::sort(sorted.begin(), sorted.end());
    return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5)];
  }
};

/// A model in training with the trainer's step: the task loss plus each slot's weighted
/// penalty, one backward pass, one Adam step.
class Training {
 public:
  Training(const xreg::Registry& registry, const xreg::Context& ctx,
           std::vector<xreg::WeightedRegularizer> slots)
      : model_(decoy_mlp(registry, ctx)),
        slots_(std::move(slots)),
        optimizer_(model_->parameters(), torch::optim::AdamOptions(1e-3)) {
    model_->set_training(true);
  }

  void step(const xreg::Batch& batch, const xreg::Context& ctx) {
    optimizer_.zero_grad();
    auto loss = xreg::task_loss(model_->forward(batch.x), batch.y, xreg::Task::multiclass,
                                xreg::Reduction::sum);
    for (auto& slot : slots_) {
      loss = loss + slot.effective_weight * slot.regularizer->penalty(*model_, batch, step_, ctx);
    }
    loss.backward();
    optimizer_.step();
    ++step_;
  }

 private:
  std::shared_ptr<xreg::Model> model_;
  std::vector<xreg::WeightedRegularizer> slots_;
  torch::optim::Adam optimizer_;
  int64_t step_ = 0;
};

/// A model trained by train_model itself, kStepsPerRound epochs of one step per call.
class TrainerRun {
 public:
  TrainerRun(const xreg::Registry& registry, const xreg::Context& ctx,
             std::vector<xreg::WeightedRegularizer> slots)
      : model_(decoy_mlp(registry, ctx)), slots_(std::move(slots)) {
    xreg::Params train;
    train.set("optimizer", std::string("adam"));
    train.set("lr", 0.001);
    train.set("batch_size", kBatch);
    train.set("shuffle", false);
    train.set("loss_reduction", std::string("sum"));
    train.set("max_epochs", static_cast<int64_t>(kStepsPerRound));
    train.set("min_epochs", int64_t{0});
    settings_ = xreg::bench::with_defaults(xreg::train_schema(), train);
  }

  void run(const xreg::Dataset& train, const xreg::Dataset& validation, const xreg::Context& ctx) {
    xreg::train_model(*model_, slots_, train, validation, settings_, ctx);
  }

 private:
  std::shared_ptr<xreg::Model> model_;
  std::vector<xreg::WeightedRegularizer> slots_;
  xreg::Params settings_;
};

void print(const Figures& f, const Figures& plain) {
  std::vector<double> ratios;
  for (size_t r = 0; r < f.rounds.size(); ++r) ratios.push_back(f.rounds[r] / plain.rounds[r]);
  const Figures ratio{"", ratios};
  std::printf("  %-28s %8.1f us  (%7.1f - %7.1f)  %5.2fx plain  (per round %.2f - %.2f)\n", f.label,
              f.median() * 1e6, f.min() * 1e6, f.max() * 1e6, f.median() / plain.median(),
              ratio.min(), ratio.max());
}

}  // namespace

int main() {
  xreg::make_blas_deterministic();
  torch::set_num_threads(1);
  xreg::Registry registry;
  registry.load_directory(XREG_PLUGIN_BUILD_DIR);
  xreg::Context ctx;
  ctx.task = xreg::Task::multiclass;
  const xreg::Dataset train = decoy_batch();
  xreg::Dataset validation = train;  // no rows: no early stopping, max_epochs steps
  validation.points = train.points.slice(0, 0);
  const xreg::Batch& batch = train.points;

  const std::vector<xreg::WeightedRegularizer> none;
  std::vector<std::unique_ptr<Training>> steps;  // by pointer, as bench_training_step
  steps.push_back(std::make_unique<Training>(registry, ctx, none));
  steps.push_back(
      std::make_unique<Training>(registry, ctx, std::vector{rrr_slot(registry, "log_sum")}));
  steps.push_back(
      std::make_unique<Training>(registry, ctx, std::vector{rrr_slot(registry, "prob_max")}));
  std::vector<TrainerRun> runs;
  runs.emplace_back(registry, ctx, none);
  runs.emplace_back(registry, ctx, std::vector{rrr_slot(registry, "log_sum")});
  std::vector<Figures> figures{{"plain step", {}},
                               {"+ rrr (log_sum)", {}},
                               {"+ rrr (prob_max)", {}},
                               {"train_model, plain", {}},
                               {"train_model, + rrr (log_sum)", {}}};

  for (auto& training : steps) {
    for (int s = 0; s < kWarmupSteps; ++s) training->step(batch, ctx);
  }
  for (auto& run : runs) run.run(train, validation, ctx);  // warm-up
  for (int round = 0; round < kRounds; ++round) {
    for (size_t v = 0; v < steps.size(); ++v) {
      const double seconds = xreg::bench::median_seconds(1, [&] {
        for (int s = 0; s < kStepsPerRound; ++s) steps[v]->step(batch, ctx);
      });
      figures[v].rounds.push_back(seconds / kStepsPerRound);
    }
    for (size_t v = 0; v < runs.size(); ++v) {
      const double seconds =
          xreg::bench::median_seconds(1, [&] { runs[v].run(train, validation, ctx); });
      figures[steps.size() + v].rounds.push_back(seconds / kStepsPerRound);
    }
  }

  std::printf(
      "one training step on decoy MNIST (mlp 784->50->30->10, ReLU, batch %lld, summed "
      "cross-entropy, Adam), 1 thread;\nmedian over %d rounds of %d steps (range over rounds)\n",
      static_cast<long long>(kBatch), kRounds, kStepsPerRound);
  for (size_t v = 0; v < steps.size(); ++v) print(figures[v], figures.front());
  std::printf("through train_model (one step per epoch, per step):\n");
  for (size_t v = steps.size(); v < figures.size(); ++v) print(figures[v], figures[steps.size()]);
  return 0;
}
