// One training step of the shared housing architecture, one thread: an mlp 12→100→100→1 with
// leaky ReLU 0.2, Adam (lr 1e-3) over the trainer's flat parameter tensor (and, to show what it
// saves, over the model's six tensors one by one), model batch 128 of the housing training split.
// µs per plain step (forward, MSE, backward, optimizer step) and per step with a regularizer on a
// batch of 16 points with m = 24 neighbors each: expo_fidelity, expo_fidelity_1d, ExpO's own
// per-point loop (Regularizers.causal written point by point) as the in-run baseline, and the floor
// of any fidelity step, the model's forward and backward pass over the 384 neighbor rows alone.
// As in the host's training loop, the minibatch rides on the regularizer's pass (SharedPass).
// Against the PyTorch peers' plain and batched-fidelity steps measured in this session
// (XREG_PEERS_JSON).
#include <cstdio>
#include <string>

#include "bench_support.hpp"
#include "xreg/host/run/shared_pass.hpp"
#include "xreg/host/run/trainer.hpp"
#include "xreg/sdk/neighborhood.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace {

constexpr int64_t kModelBatch = 128;
constexpr int64_t kRegularizationBatch = 16;
constexpr int64_t kNeighbors = 24;
constexpr int kRounds = 20;
constexpr int kStepsPerRound = 100;

/// ExpO's Regularizers.causal as its code loops: one forward pass and one (d+1)² solve per
/// point, on the same Gaussian neighbors as expo_fidelity.
class PerPointFidelity final : public xreg::Regularizer {
 public:
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context& ctx) override {
    auto neighbors =
        xreg::Neighborhood::gaussian(0.5).sample(ctx, "expo_fidelity", batch, kNeighbors, draw);
    std::vector<torch::Tensor> values;
    for (int64_t i = 0; i < batch.size(); ++i) {
      auto z = neighbors[i];
      auto design = torch::cat({z, torch::ones_like(z.narrow(1, 0, 1))}, 1);
      auto projection = torch::linalg_solve(design.t().mm(design), design.t());
      auto y = model.forward(z);
      values.push_back((y - design.mm(projection.mm(y))).square().mean());
    }
    return torch::stack(values).mean();
  }
};

/// The floor of any ExpO-Fidelity step: the model's forward and backward pass over as many rows
/// as the neighbors (fixed inputs, a mean square), without sampling or fitting.
class NeighborPassOnly final : public xreg::Regularizer {
 public:
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context&) override {
    if (!rows_.defined()) rows_ = torch::randn({batch.size() * kNeighbors, batch.x.size(1)});
    return model.forward(rows_).square().mean();
  }

 private:
  torch::Tensor rows_;
};

/// A model in training with one regularizer or none, timing each of its steps.
class TimedTraining {
 public:
  TimedTraining(const xreg::bench::Workload& housing, std::shared_ptr<xreg::Regularizer> penalty,
                bool flat_parameters = true)
      : train_(housing.splits.train),
        model_(xreg::bench::create<xreg::Model>(housing.registry, "mlp")),
        penalty_(std::move(penalty)),
        model_batches_(train_.size(), kModelBatch, ctx_, "minibatch"),
        regularization_batches_(train_.size(), kRegularizationBatch, ctx_, "regularization") {
    torch::manual_seed(0);
    model_->build(xreg::ModelShape{{12}, 1, xreg::Task::regression}, ctx_);
    optimizer_ = std::make_unique<torch::optim::Adam>(
        flat_parameters ? std::vector<torch::Tensor>{xreg::flatten_parameters(*model_)}
                        : model_->parameters(),
        torch::optim::AdamOptions(1e-3));
  }

  /// Runs `steps` steps, recording the time of each when `timed`.
  void run(int steps, bool timed = true) {
    for (int s = 0; s < steps; ++s) {
      const double seconds = xreg::bench::median_seconds(1, [&] { step(); });
      if (timed) seconds_.push_back(seconds);
    }
  }

  double median() {
    std::nth_element(seconds_.begin(), seconds_.begin() + seconds_.size() / 2, seconds_.end());
    return seconds_[seconds_.size() / 2];
  }

 private:
  void step() {
    optimizer_->zero_grad();
    auto batch = rows(model_batches_.next());
    // As the host's training loop: the minibatch shares the regularizer's pass.
    xreg::SharedPass shared(*model_, batch.x, ctx_.rows_per_pass(batch.x.size(1)));
    torch::Tensor penalty;
    if (penalty_) {
      penalty = penalty_->penalty(shared, rows(regularization_batches_.next()), step_, ctx_);
    }
    auto loss = xreg::task_loss(shared.minibatch_outputs(), batch.y, xreg::Task::regression);
    if (penalty.defined()) loss = loss + penalty;
    loss.backward();
    optimizer_->step();
    ++step_;
  }

  xreg::Batch rows(const torch::Tensor& indices) const {
    const auto& p = train_.points;
    return {p.x.index_select(0, indices), p.y.index_select(0, indices),
            p.index.index_select(0, indices)};
  }

  const xreg::Context ctx_;
  const xreg::Dataset& train_;
  std::shared_ptr<xreg::Model> model_;
  std::shared_ptr<xreg::Regularizer> penalty_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  xreg::BatchStream model_batches_, regularization_batches_;
  int64_t step_ = 0;
  std::vector<double> seconds_;
};

std::shared_ptr<xreg::Regularizer> regularizer(const xreg::bench::Workload& housing,
                                               const std::string& name) {
  xreg::Params params;
  params.set("neighbors", kNeighbors);
  return xreg::bench::create<xreg::Regularizer>(housing.registry, name, params);
}

}  // namespace

int main() {
  auto housing = xreg::bench::load_housing("bench_training_step");
  if (!housing) return 0;
  struct Row {
    const char* label;
    std::unique_ptr<TimedTraining> training;  // not movable: its batch streams hold its context
  };
  std::vector<Row> rows;
  auto add = [&](const char* label, std::shared_ptr<xreg::Regularizer> penalty,
                 bool flat_parameters = true) {
    rows.push_back(
        {label, std::make_unique<TimedTraining>(*housing, std::move(penalty), flat_parameters)});
  };
  add("plain step", nullptr);
  add("plain, Adam per tensor", nullptr, /*flat_parameters=*/false);
  add("+ expo_fidelity", regularizer(*housing, "expo_fidelity"));
  add("+ expo_fidelity_1d", regularizer(*housing, "expo_fidelity_1d"));
  add("+ per-point loop", std::make_shared<PerPointFidelity>());
  add("+ model pass only", std::make_shared<NeighborPassOnly>());
  for (auto& row : rows) row.training->run(kStepsPerRound, /*timed=*/false);  // warm-up
  // Rounds alternate between the variants so that the machine's noise hits them alike.
  for (int round = 0; round < kRounds; ++round) {
    for (auto& row : rows) row.training->run(kStepsPerRound);
  }
  std::printf(
      "one training step on housing (12->100->100->1, batch 128; regularization batch 16, "
      "m = 24), 1 thread, medians of %d steps\n",
      kRounds * kStepsPerRound);
  const double plain = rows.front().training->median();
  for (auto& row : rows) {
    const double seconds = row.training->median();
    std::printf("  %-20s %8.1f us  %5.2fx plain\n", row.label, seconds * 1e6, seconds / plain);
  }
  xreg::bench::print_peer_ratio("PyTorch plain step", "training_step.per_step_s.plain.median",
                                plain);
  for (auto& row : rows) {
    if (std::string(row.label) == "+ expo_fidelity") {
      xreg::bench::print_peer_ratio("PyTorch step + batched ExpO-Fidelity",
                                    "training_step.per_step_s.expo_fidelity_batched.median",
                                    row.training->median());
    }
  }
  return 0;
}
