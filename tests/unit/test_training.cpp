// The training loop: losses per task, ExpO's batch streams, learning, early stopping that
// restores the best weights, and determinism.
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "loopback_port.hpp"
#include "plugin_test_support.hpp"
#include "xreg/host/cluster/cluster.hpp"
#include "xreg/host/cluster/launch.hpp"
#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/run/shared_pass.hpp"
#include "xreg/host/run/trainer.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace {

xreg::Params train_settings(int64_t max_epochs, int64_t patience = 1000) {
  xreg::Params p;
  for (const auto& s : xreg::train_schema()) {
    if (s.default_value) p.set(s.name, *s.default_value);
  }
  p.set("max_epochs", max_epochs);
  p.set("patience", patience);
  p.set("min_epochs", int64_t{0});
  p.set("lr", 0.01);
  p.set("batch_size", int64_t{32});
  return p;
}

/// y = x0 - 2 x1 + noise, n points.
xreg::Dataset linear_data(int64_t n, int64_t offset) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(17 + offset);
  auto x = torch::randn({n, 2}, gen);
  auto y = (x.select(1, 0) - 2 * x.select(1, 1) + 0.1 * torch::randn({n}, gen)).unsqueeze(1);
  return xreg::Dataset{{x, y, torch::arange(n)}, xreg::Task::regression, 1, {"a", "b"}, {}};
}

std::shared_ptr<xreg::Model> small_mlp() {
  xreg::Params p;
  p.set("hidden", std::vector<int64_t>{16});
  auto model = xreg::testing::make_plugin<xreg::Model>("mlp", p);
  torch::manual_seed(3);
  model->build(xreg::ModelShape{{2}, 1, xreg::Task::regression}, xreg::Context{});
  return model;
}

double loss_on(xreg::Model& model, const xreg::Dataset& data) {
  torch::NoGradGuard no_grad;
  return xreg::task_loss(model.forward(data.points.x), data.points.y, data.task).item<double>();
}

TEST(TaskLoss, MatchesTheClosedForms) {
  auto out = torch::tensor({{0.0f}, {2.0f}});
  EXPECT_FLOAT_EQ(
      xreg::task_loss(out, torch::tensor({{1.0f}, {0.0f}}), xreg::Task::regression).item<float>(),
      2.5f);
  EXPECT_NEAR(xreg::task_loss(out, torch::tensor({1, 0}), xreg::Task::binary).item<double>(),
              (std::log(2.0) + std::log1p(std::exp(2.0))) / 2, 1e-6);
  auto logits = torch::tensor({{0.0f, 0.0f, 0.0f}});
  EXPECT_NEAR(xreg::task_loss(logits, torch::tensor({2}), xreg::Task::multiclass).item<double>(),
              std::log(3.0), 1e-6);
}

TEST(TaskLoss, SumsOverTheBatchWhenAsked) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto out = torch::randn({6, 3}, gen);
  auto classes = torch::tensor({0, 2, 1, 1, 0, 2});
  for (auto [task, y] : {std::pair{xreg::Task::multiclass, classes},
                         std::pair{xreg::Task::binary, classes.clamp_max(1)},
                         std::pair{xreg::Task::regression, torch::randn({6, 1}, gen)}}) {
    auto output = task == xreg::Task::multiclass ? out : out.narrow(1, 0, 1);
    const double mean = xreg::task_loss(output, y, task).item<double>();
    const double sum = xreg::task_loss(output, y, task, xreg::Reduction::sum).item<double>();
    EXPECT_NEAR(sum, 6 * mean, 1e-5 * std::abs(sum));
  }
}

TEST(BatchStream, UnshuffledGivesConsecutiveSlicesWithAShortLastOne) {
  xreg::Context ctx;
  xreg::BatchStream stream(10, 4, ctx, "test", /*shuffle=*/false);
  EXPECT_EQ(stream.batches_per_pass(), 3);
  EXPECT_TRUE(torch::equal(stream.next(), torch::arange(0, 4)));
  EXPECT_TRUE(torch::equal(stream.next(), torch::arange(4, 8)));
  EXPECT_TRUE(torch::equal(stream.next(), torch::arange(8, 10)));
  EXPECT_TRUE(torch::equal(stream.next(), torch::arange(0, 4))) << "the next pass, same order";
  EXPECT_EQ(xreg::BatchStream(10, 4, ctx, "test").batches_per_pass(), 2);
}

TEST(BatchStream, VisitsEveryPointOncePerPassAndReshuffles) {
  // Batches of 4 over 10 points: the third batch takes the last 2 of the first permutation and
  // the first 2 of the next, so indices 0-9 and 10-19 of the stream are each a permutation.
  xreg::Context ctx;
  xreg::BatchStream stream(10, 4, ctx, "test");
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 5; ++i) batches.push_back(stream.next());
  for (const auto& batch : batches) EXPECT_EQ(batch.numel(), 4);
  auto all = torch::cat(batches);
  auto everyone = torch::arange(10, torch::kLong);
  EXPECT_TRUE(torch::equal(std::get<0>(all.slice(0, 0, 10).sort()), everyone));
  EXPECT_TRUE(torch::equal(std::get<0>(all.slice(0, 10, 20).sort()), everyone));
  EXPECT_FALSE(torch::equal(all.slice(0, 0, 10), all.slice(0, 10, 20)));  // reshuffled
}

TEST(Training, LearnsALinearFunction) {
  auto model = small_mlp();
  auto train = linear_data(256, 0), val = linear_data(64, 1);
  const double before = loss_on(*model, val);
  std::vector<xreg::WeightedRegularizer> none;
  auto result = xreg::train_model(*model, none, train, val, train_settings(200), xreg::Context{});
  EXPECT_EQ(result.epochs, 200);
  EXPECT_TRUE(result.stopped_by_cap);  // patience 1000: only the cap ended it
  EXPECT_LT(loss_on(*model, val), 0.1 * before);
  EXPECT_NEAR(loss_on(*model, val), result.best_validation_objective, 1e-6);
}

TEST(Training, StopsEarlyAndRestoresTheBestWeights) {
  auto model = small_mlp();
  // Validation targets of the opposite sign: the more the model learns, the worse it gets.
  auto train = linear_data(256, 0), val = linear_data(64, 1);
  val.points.y = -val.points.y;
  const double initial = loss_on(*model, val);
  std::vector<xreg::WeightedRegularizer> none;
  auto result =
      xreg::train_model(*model, none, train, val, train_settings(500, 5), xreg::Context{});
  EXPECT_LT(result.epochs, 500);
  EXPECT_FALSE(result.stopped_by_cap);
  // The loop stops at the top of the first epoch with epoch - best_epoch > patience.
  EXPECT_EQ(result.epochs, result.best_epoch + 5 + 1);
  EXPECT_NEAR(loss_on(*model, val), result.best_validation_objective, 1e-6);
  // Every epoch makes the reversed validation worse: the first is the best, and the same run
  // without restoring ends measurably worse than the weights restored.
  EXPECT_EQ(result.best_epoch, 0);
  auto unrestored = small_mlp();
  xreg::Params keep_last = train_settings(500, 5);
  keep_last.set("restore_best", false);
  xreg::train_model(*unrestored, none, train, val, keep_last, xreg::Context{});
  EXPECT_GT(loss_on(*unrestored, val), 1.05 * result.best_validation_objective);
  EXPECT_GT(loss_on(*unrestored, val), initial);
}

TEST(Training, WithoutACapRunsUntilEarlyStoppingEndsIt) {
  auto model = small_mlp();
  auto train = linear_data(256, 0), val = linear_data(64, 1);
  val.points.y = -val.points.y;
  std::vector<xreg::WeightedRegularizer> none;
  auto result = xreg::train_model(*model, none, train, val, train_settings(0, 5), xreg::Context{});
  EXPECT_FALSE(result.stopped_by_cap);
  EXPECT_EQ(result.epochs, result.best_epoch + 5 + 1);
}

TEST(Training, NoCapWithoutAValidationSplitIsRefused) {
  auto model = small_mlp();
  auto train = linear_data(64, 0);
  xreg::Dataset no_validation = linear_data(0, 1);
  std::vector<xreg::WeightedRegularizer> none;
  EXPECT_THROW(
      xreg::train_model(*model, none, train, no_validation, train_settings(0), xreg::Context{}),
      xreg::ConfigError);
}

TEST(FlatParameters, AreViewsOfOneTensorWhoseGradientAutogradFills) {
  auto model = small_mlp();
  const auto before = model->parameters();
  std::vector<torch::Tensor> values;
  for (const auto& p : before) values.push_back(p.detach().clone());
  const torch::Tensor flat = xreg::flatten_parameters(*model);
  ASSERT_TRUE(flat.defined());
  ASSERT_TRUE(flat.is_leaf());
  auto after = model->parameters();
  std::vector<torch::Tensor> pieces;
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(torch::equal(after[i], values[i])) << "values kept";
    EXPECT_TRUE(after[i].requires_grad());
    pieces.push_back(after[i].reshape({-1}));
  }
  EXPECT_TRUE(torch::equal(torch::cat(pieces), flat));
  auto data = linear_data(16, 0);
  xreg::task_loss(model->forward(data.points.x), data.points.y, data.task).backward();
  std::vector<torch::Tensor> gradients;
  for (const auto& p : after) gradients.push_back(p.grad().reshape({-1}));
  EXPECT_TRUE(torch::equal(torch::cat(gradients), flat.grad()));
  EXPECT_GT(flat.grad().abs().sum().item<double>(), 0.0);
  {
    torch::NoGradGuard no_grad;
    flat.add_(1.0);  // a step on the flat tensor moves the model
  }
  EXPECT_TRUE(torch::equal(after.front(), values.front() + 1.0));
}

TEST(FlatParameters, AdamOnTheFlatTensorTakesAdamsStepsPerTensor) {
  auto flat_model = small_mlp(), per_tensor = small_mlp();
  torch::optim::Adam flat_adam({xreg::flatten_parameters(*flat_model)},
                               torch::optim::AdamOptions(0.01));
  torch::optim::Adam adam(per_tensor->parameters(), torch::optim::AdamOptions(0.01));
  auto data = linear_data(64, 0);
  for (int step = 0; step < 20; ++step) {
    for (auto [model, optimizer] :
         {std::pair<xreg::Model*, torch::optim::Optimizer*>{flat_model.get(), &flat_adam},
          {per_tensor.get(), &adam}}) {
      optimizer->zero_grad();
      xreg::task_loss(model->forward(data.points.x), data.points.y, data.task).backward();
      optimizer->step();
    }
  }
  // Elementwise updates: the same arithmetic per element; float rounding allowed, should a
  // vectorized kernel treat an element of the two layouts differently.
  for (size_t i = 0; i < flat_model->parameters().size(); ++i) {
    EXPECT_TRUE(
        torch::allclose(flat_model->parameters()[i], per_tensor->parameters()[i], 1e-6, 1e-7))
        << i;
  }
}

TEST(Training, IsDeterministic) {
  auto train = linear_data(128, 0), val = linear_data(32, 1);
  std::vector<xreg::WeightedRegularizer> none;
  xreg::Context ctx;
  ctx.seed = 5;
  auto a = small_mlp(), b = small_mlp();
  xreg::train_model(*a, none, train, val, train_settings(30), ctx);
  xreg::train_model(*b, none, train, val, train_settings(30), ctx);
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(a->parameters()[i], b->parameters()[i]));
  }
}

}  // namespace

namespace {

TEST(Training, SeveralRegularizersAddUp) {
  auto train = linear_data(128, 0), val = linear_data(32, 1);
  auto l2 = [](const std::string& name, double weight) {
    xreg::WeightedRegularizer r;
    r.name = name;
    r.regularizer = xreg::testing::make_plugin<xreg::Regularizer>("l2");
    r.weight = weight;
    return r;
  };
  std::vector<xreg::WeightedRegularizer> two{l2("a", 0.5), l2("b", 0.25)}, one{l2("c", 0.75)};
  auto a = small_mlp(), b = small_mlp();
  xreg::train_model(*a, two, train, val, train_settings(10), xreg::Context{});
  xreg::train_model(*b, one, train, val, train_settings(10), xreg::Context{});
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_TRUE(torch::allclose(a->parameters()[i], b->parameters()[i], 1e-5, 1e-6));
  }
  EXPECT_EQ(two[1].effective_weight, 0.25);  // absolute weights are used as given
}

TEST(Training, ARelativeWeightIsAFractionOfTheInitialValidationLoss) {
  auto train = linear_data(128, 0), val = linear_data(32, 1);
  // By hand, on the untrained model: the validation MSE and l2's Σ ½w² over the weight matrices
  // (the mlp's parameters alternate weight, bias), which does not depend on the batch drawn.
  auto fresh = small_mlp();
  const double loss = loss_on(*fresh, val);
  double half_squares = 0;
  for (const auto& p : fresh->parameters()) {
    if (p.dim() == 2) half_squares += 0.5 * p.square().sum().item<double>();
  }
  xreg::WeightedRegularizer relative;
  relative.name = "l2";
  relative.regularizer = xreg::testing::make_plugin<xreg::Regularizer>("l2");
  relative.weight = 0.3;
  relative.relative = true;
  std::vector<xreg::WeightedRegularizer> slots{relative};
  auto model = small_mlp();
  xreg::train_model(*model, slots, train, val, train_settings(1), xreg::Context{});
  EXPECT_NEAR(slots[0].effective_weight, 0.3 * loss / half_squares,
              1e-5 * slots[0].effective_weight);
  // Without a validation split there is nothing to calibrate on: a configuration error.
  auto other = small_mlp();
  xreg::Dataset none = val;
  none.points = val.points.slice(0, 0);
  EXPECT_THROW(xreg::train_model(*other, slots, train, none, train_settings(1), xreg::Context{}),
               xreg::ConfigError);
}

/// An mlp that records the most rows one forward pass without gradients took (the validation
/// passes).
class PassRecordingModel : public xreg::Model {
 public:
  explicit PassRecordingModel(std::shared_ptr<xreg::Model> inner) : inner_(std::move(inner)) {}
  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    inner_->build(shape, ctx);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    if (!torch::GradMode::is_enabled()) largest_pass = std::max(largest_pass, x.size(0));
    return inner_->forward(x);
  }
  std::vector<torch::Tensor> parameters() override { return inner_->parameters(); }
  std::vector<torch::Tensor> state() override { return inner_->state(); }
  void set_training(bool on) override { inner_->set_training(on); }

  int64_t largest_pass = 0;

 private:
  std::shared_ptr<xreg::Model> inner_;
};

TEST(Training, ValidationPassesStayWithinTheMemoryBudgetAndTrainTheSame) {
  auto train = linear_data(128, 0), val = linear_data(300, 1);
  std::vector<xreg::WeightedRegularizer> none;
  PassRecordingModel whole(small_mlp()), in_passes(small_mlp());
  xreg::Context budget;
  budget.max_values_per_pass = 14;  // rows of 2 values: 7 rows a pass
  const auto a = xreg::train_model(whole, none, train, val, train_settings(20), xreg::Context{});
  const auto b = xreg::train_model(in_passes, none, train, val, train_settings(20), budget);
  EXPECT_EQ(whole.largest_pass, 300);
  EXPECT_EQ(in_passes.largest_pass, 7);
  EXPECT_EQ(a.best_epoch, b.best_epoch);
  EXPECT_NEAR(a.best_validation_objective, b.best_validation_objective,
              1e-6 * a.best_validation_objective);
}

TEST(Training, TheValidationObjectiveAddsTheWeightedPenalty) {
  // One epoch: the objective kept is the validation MSE of the trained model plus w times l2's
  // Σ ½w² over its weight matrices, computed here by hand from the model it leaves.
  auto train = linear_data(128, 0), val = linear_data(32, 1);
  xreg::WeightedRegularizer l2;
  l2.name = "l2";
  l2.regularizer = xreg::testing::make_plugin<xreg::Regularizer>("l2");
  l2.weight = 0.02;
  std::vector<xreg::WeightedRegularizer> slots{l2};
  auto model = small_mlp();
  const auto result =
      xreg::train_model(*model, slots, train, val, train_settings(1), xreg::Context{});
  double half_squares = 0;
  for (const auto& p : model->parameters()) {
    if (p.dim() == 2) half_squares += 0.5 * p.square().sum().item<double>();
  }
  EXPECT_NEAR(result.best_validation_objective, loss_on(*model, val) + 0.02 * half_squares, 1e-6);
}

TEST(Training, TheHistoryRecordsEachEpochsLossesAndWeightedPenalties) {
  // With a learning rate of 0 the model never moves, so every epoch's record must equal the
  // losses and the weighted l2 penalty computed here by hand from the untouched model.
  auto train = linear_data(128, 0), val = linear_data(32, 1);
  xreg::WeightedRegularizer l2;
  l2.name = "l2";
  l2.regularizer = xreg::testing::make_plugin<xreg::Regularizer>("l2");
  l2.weight = 0.02;
  std::vector<xreg::WeightedRegularizer> slots{l2};
  auto model = small_mlp();
  xreg::Params frozen = train_settings(3);
  frozen.set("lr", 0.0);
  frozen.set("batch_size", int64_t{128});
  const auto result = xreg::train_model(*model, slots, train, val, frozen, xreg::Context{});
  double half_squares = 0;
  for (const auto& p : model->parameters()) {
    if (p.dim() == 2) half_squares += 0.5 * p.square().sum().item<double>();
  }
  ASSERT_EQ(result.history.size(), 3u);
  EXPECT_EQ(result.regularizers, std::vector<std::string>{"l2"});
  for (const xreg::EpochRecord& epoch : result.history) {
    EXPECT_NEAR(epoch.train_loss, loss_on(*model, train), 1e-6);
    EXPECT_NEAR(epoch.validation_loss, loss_on(*model, val), 1e-6);
    ASSERT_EQ(epoch.penalties.size(), 1u);
    EXPECT_NEAR(epoch.penalties[0], 0.02 * half_squares, 1e-7);
  }
}

/// A regularizer that records the rows of every batch it is given during training steps.
class RecordingRegularizer : public xreg::Regularizer {
 public:
  torch::Tensor penalty(xreg::Model&, const xreg::Batch& batch, int64_t,
                        const xreg::Context&) override {
    batches.push_back(batch.index.clone());
    return torch::zeros({});
  }
  std::vector<torch::Tensor> batches;
};

TEST(Training, RegularizersDrawTheirOwnBatchesOrTheStepsMinibatch) {
  auto train = linear_data(40, 0);
  xreg::Dataset no_validation = train;
  no_validation.points = train.points.slice(0, 0);
  auto settings = train_settings(1);
  settings.set("batch_size", int64_t{8});
  const xreg::Context ctx;  // BatchStream keeps a reference to it
  auto run = [&](bool on_minibatch) {
    auto recorder = std::make_shared<RecordingRegularizer>();
    xreg::WeightedRegularizer slot;
    slot.name = "recorder";
    slot.regularizer = recorder;
    slot.batch_size = 5;
    slot.on_minibatch = on_minibatch;
    std::vector<xreg::WeightedRegularizer> slots{slot};
    auto model = small_mlp();
    xreg::train_model(*model, slots, train, no_validation, settings, ctx);
    return recorder->batches;
  };
  // A separate stream: one epoch is 40 / 8 = 5 steps, each a batch of 5 rows of the slot's own
  // shuffles, so 25 distinct rows of the first pass over the 40.
  const auto own = run(false);
  ASSERT_EQ(own.size(), 5u);
  auto seen = torch::cat(own);
  EXPECT_EQ(std::get<0>(torch::_unique(seen)).numel(), 25);
  xreg::BatchStream expected(40, 5, ctx, "regularization_batch/recorder");
  for (const auto& batch : own) EXPECT_TRUE(torch::equal(batch, expected.next()));
  // On the minibatch: exactly the model's batches.
  const auto shared = run(true);
  ASSERT_EQ(shared.size(), 5u);
  xreg::BatchStream minibatches(40, 8, ctx, "minibatch");
  for (const auto& batch : shared) EXPECT_TRUE(torch::equal(batch, minibatches.next()));
}

/// Counts the forward passes of a model and the rows they took; with `buffer`, its state holds a
/// tensor besides its parameters, as batch norm's running statistics.
class CountingModel final : public xreg::Model {
 public:
  explicit CountingModel(xreg::Model& inner, bool buffer = false)
      : inner_(inner), buffer_(buffer ? torch::zeros({3}) : torch::Tensor()) {}
  void build(const xreg::ModelShape& shape, const xreg::Context& ctx) override {
    inner_.build(shape, ctx);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    rows.push_back(x.size(0));
    return inner_.forward(x);
  }
  std::vector<torch::Tensor> parameters() override { return inner_.parameters(); }
  std::vector<torch::Tensor> state() override {
    auto state = inner_.state();
    if (buffer_.defined()) state.push_back(buffer_);
    return state;
  }

  std::vector<int64_t> rows;  ///< per forward pass

 private:
  xreg::Model& inner_;
  torch::Tensor buffer_;
};

/// 0.01 × the mean squared output of the model on the batch: one forward pass of its rows.
class SquaredOutputs final : public xreg::Regularizer {
 public:
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t,
                        const xreg::Context&) override {
    return 0.01 * model.forward(batch.x).square().mean();
  }
};

TEST(SharedPass, TheMinibatchRidesOnTheFirstRegularizerPassWithTheSameOutputsAndGradients) {
  auto model = small_mlp();
  auto minibatch = torch::randn({8, 2}), neighbors = torch::randn({24, 2});
  // Separately: two passes.
  auto separate = model->forward(minibatch).square().sum() + model->forward(neighbors).sum();
  auto separate_gradients = torch::autograd::grad({separate}, model->parameters());
  CountingModel counted(*model);
  xreg::SharedPass shared(counted, minibatch, 1000);
  auto on_neighbors = shared.forward(neighbors);
  auto again = shared.forward(neighbors);  // later passes are the model's own
  auto together = shared.minibatch_outputs().square().sum() + on_neighbors.sum();
  auto shared_gradients = torch::autograd::grad({together}, model->parameters());
  EXPECT_EQ(counted.rows, (std::vector<int64_t>{32, 24}));
  EXPECT_TRUE(torch::allclose(on_neighbors, model->forward(neighbors), 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(again, model->forward(neighbors), 1e-6, 1e-6));
  EXPECT_NEAR(together.item<double>(), separate.item<double>(), 1e-4);
  for (size_t i = 0; i < shared_gradients.size(); ++i) {
    EXPECT_TRUE(torch::allclose(shared_gradients[i], separate_gradients[i], 1e-5, 1e-5)) << i;
  }
}

TEST(SharedPass, KeepsPassesApartWhereSharingWouldChangeThem) {
  auto model = small_mlp();
  auto minibatch = torch::randn({8, 2});
  CountingModel counted(*model);
  {
    xreg::SharedPass shared(counted, minibatch, 1000);
    shared.forward(torch::randn({4, 2}).requires_grad_());  // input gradients: its own graph
    {
      torch::NoGradGuard no_grad;
      shared.forward(torch::randn({4, 2}));  // no gradients to carry the minibatch's
    }
    shared.minibatch_outputs();
  }
  EXPECT_EQ(counted.rows, (std::vector<int64_t>{4, 4, 8}));
  counted.rows.clear();
  {
    xreg::SharedPass within_budget(counted, minibatch, 11);
    within_budget.forward(torch::randn({4, 2}));  // 12 rows together: over the budget
    within_budget.minibatch_outputs();
    xreg::SharedPass not_shared(counted, minibatch, 1000, /*share=*/false);
    not_shared.forward(torch::randn({4, 2}));
    not_shared.minibatch_outputs();
  }
  EXPECT_EQ(counted.rows, (std::vector<int64_t>{4, 8, 4, 8}));
}

TEST(SharedPass, TrainingSharesPassesOnlyForModelsWithoutBuffers) {
  auto train = linear_data(40, 0);
  xreg::Dataset no_validation = train;
  no_validation.points = train.points.slice(0, 0);
  auto settings = train_settings(1);
  settings.set("batch_size", int64_t{8});
  const xreg::Context ctx;
  for (bool buffer : {false, true}) {
    auto model = small_mlp();
    CountingModel counted(*model, buffer);
    xreg::WeightedRegularizer slot;
    slot.name = "squares";
    slot.regularizer = std::make_shared<SquaredOutputs>();
    slot.batch_size = 5;
    std::vector<xreg::WeightedRegularizer> slots{slot};
    xreg::train_model(counted, slots, train, no_validation, settings, ctx);
    // 40 / 8 = 5 steps: each one pass of 8 + 5 rows, or a pass of 5 and then one of 8.
    std::vector<int64_t> expected;
    for (int step = 0; step < 5; ++step) {
      if (buffer) {
        expected.insert(expected.end(), {5, 8});
      } else {
        expected.push_back(13);
      }
    }
    EXPECT_EQ(counted.rows, expected) << (buffer ? "with a buffer" : "parameters only");
  }
}

/// A regularizer of a declared form that records the step (`draw`) and the global indices of
/// every batch it is given: 0.01 times the sum (point_sum) or the mean (point_mean) over the
/// batch of the model's squared output, or the square of the batch's mean output (whole_batch,
/// which no split of the batch could add up to).
class FormRecorder : public xreg::Regularizer {
 public:
  explicit FormRecorder(xreg::PenaltyForm form) : form_(form) {}
  torch::Tensor penalty(xreg::Model& model, const xreg::Batch& batch, int64_t draw,
                        const xreg::Context&) override {
    calls.emplace_back(draw, batch.index.clone());
    const torch::Tensor output = model.forward(batch.x);
    switch (form_) {
      case xreg::PenaltyForm::point_sum:
        return 0.01 * output.square().sum();
      case xreg::PenaltyForm::point_mean:
        return 0.01 * output.square().mean();
      default:
        return 0.01 * output.mean().square();
    }
  }
  xreg::PenaltyForm form() const override { return form_; }

  std::vector<std::pair<int64_t, torch::Tensor>> calls;  ///< (step, global indices) per call

 private:
  xreg::PenaltyForm form_;
};

/// Slots 0-2: point_sum over batches of 5 (ranks of 2 get 2 and 3 rows), point_mean over batches
/// of 1 (rank 0's block is empty), whole_batch over batches of 4 (rank 2 mod 2 = 0 evaluates it).
struct FormSlots {
  std::vector<std::shared_ptr<FormRecorder>> recorders;
  std::vector<xreg::WeightedRegularizer> slots;
};

FormSlots form_slots() {
  FormSlots made;
  const std::pair<xreg::PenaltyForm, int64_t> forms[] = {{xreg::PenaltyForm::point_sum, 5},
                                                         {xreg::PenaltyForm::point_mean, 1},
                                                         {xreg::PenaltyForm::whole_batch, 4}};
  for (const auto& [form, batch_size] : forms) {
    made.recorders.push_back(std::make_shared<FormRecorder>(form));
    xreg::WeightedRegularizer slot;
    slot.name = "form" + std::to_string(made.slots.size());
    slot.regularizer = made.recorders.back();
    slot.batch_size = batch_size;
    made.slots.push_back(slot);
  }
  return made;
}

TEST(DataParallelTraining, SplitsPointwisePenaltiesAndGivesWholeOnesToOneRank) {
  // Two ranks of one run in this process, each Cluster on a thread of its own (rank 0 serves the
  // store while rank 1 connects), against the same training in one process.
  auto train = linear_data(40, 0);
  xreg::Dataset no_validation = train;  // penalties are then evaluated by training steps only
  no_validation.points = train.points.slice(0, 0);
  auto settings = train_settings(3);
  settings.set("batch_size", int64_t{10});  // 4 steps an epoch, 12 in all
  xreg::Context ctx;
  ctx.seed = 11;

  auto alone_model = small_mlp();
  FormSlots alone = form_slots();
  const auto alone_result =
      xreg::train_model(*alone_model, alone.slots, train, no_validation, settings, ctx);
  const size_t steps = 12;
  for (const auto& recorder : alone.recorders) ASSERT_EQ(recorder->calls.size(), steps);

  // torch's default generator is process-wide: both models are built here, alike.
  std::vector<std::shared_ptr<xreg::Model>> models{small_mlp(), small_mlp()};
  std::vector<FormSlots> ranks{form_slots(), form_slots()};
  std::vector<xreg::TrainResult> results(2);
  std::vector<std::string> errors(2);
  const int port = xreg::testing::free_loopback_port();
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        xreg::LaunchEnvironment launch;
        launch.launcher = "torchrun";
        launch.rank = rank;
        launch.world_size = 2;
        launch.local_rank = rank;
        launch.master_addr = "127.0.0.1";
        launch.master_port = port;
        xreg::Cluster cluster(launch, std::chrono::seconds(30));
        try {
          results[rank] = xreg::train_model(*models[rank], ranks[rank].slots, train, no_validation,
                                            settings, ctx, &cluster);
        } catch (const std::exception& e) {
          errors[rank] = e.what();
        }
        cluster.finish();
      } catch (const std::exception& e) {
        errors[rank] += e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(errors, std::vector<std::string>(2)) << errors[0] << "\n" << errors[1];

  // (a) point_sum: every step, rank 0's 2 rows then rank 1's 3 are the step's batch of 5.
  const auto& sum0 = ranks[0].recorders[0]->calls;
  const auto& sum1 = ranks[1].recorders[0]->calls;
  ASSERT_EQ(sum0.size(), steps);
  ASSERT_EQ(sum1.size(), steps);
  for (size_t s = 0; s < steps; ++s) {
    const auto& whole = alone.recorders[0]->calls[s];
    EXPECT_EQ(sum0[s].first, whole.first);
    EXPECT_EQ(sum1[s].first, whole.first);
    EXPECT_EQ(sum0[s].second.numel(), 2) << "step " << s;
    EXPECT_EQ(sum1[s].second.numel(), 3) << "step " << s;
    EXPECT_TRUE(torch::equal(torch::cat({sum0[s].second, sum1[s].second}), whole.second))
        << "step " << s;
  }
  // (b) point_mean over batches of 1: rank 0's block is empty, rank 1 has every point.
  EXPECT_TRUE(ranks[0].recorders[1]->calls.empty());
  const auto& mean1 = ranks[1].recorders[1]->calls;
  ASSERT_EQ(mean1.size(), steps);
  for (size_t s = 0; s < steps; ++s) {
    EXPECT_EQ(mean1[s].first, alone.recorders[1]->calls[s].first);
    EXPECT_TRUE(torch::equal(mean1[s].second, alone.recorders[1]->calls[s].second)) << "step " << s;
  }
  // (c) whole_batch in slot 2: rank 2 mod 2 = 0 evaluates every batch whole, rank 1 none.
  EXPECT_TRUE(ranks[1].recorders[2]->calls.empty());
  const auto& whole0 = ranks[0].recorders[2]->calls;
  ASSERT_EQ(whole0.size(), steps);
  for (size_t s = 0; s < steps; ++s) {
    EXPECT_EQ(whole0[s].first, alone.recorders[2]->calls[s].first);
    EXPECT_TRUE(torch::equal(whole0[s].second, alone.recorders[2]->calls[s].second))
        << "step " << s;
  }

  // The ranks take the same steps, bit for bit (summed gradients, the same bits on each); one
  // process takes them up to float32 summation order. Observed after 12 steps: parameters within
  // 6e-8 of one process's (entries up to 0.6, so about 1e-7 relative), each epoch's train loss
  // and penalties within 2.4e-7 relative; the bounds allow 10 to 100 times that.
  const auto alone_parameters = alone_model->parameters();
  for (size_t i = 0; i < alone_parameters.size(); ++i) {
    const torch::Tensor p0 = models[0]->parameters()[i], p1 = models[1]->parameters()[i];
    EXPECT_TRUE(torch::equal(p0, p1)) << "parameter " << i;
    EXPECT_TRUE(torch::allclose(p0, alone_parameters[i], 1e-5, 1e-6)) << "parameter " << i;
  }
  // The ranks' records are their terms summed over the ranks: the same on both. (No
  // validation split: validation losses are NaN, which torch::equal on the tables would refuse.)
  ASSERT_EQ(results[1].history.size(), results[0].history.size());
  for (size_t e = 0; e < results[0].history.size(); ++e) {
    EXPECT_EQ(results[1].history[e].train_loss, results[0].history[e].train_loss);
    EXPECT_EQ(results[1].history[e].penalties, results[0].history[e].penalties);
  }
  ASSERT_EQ(results[0].history.size(), alone_result.history.size());
  for (size_t e = 0; e < alone_result.history.size(); ++e) {
    const auto& epoch = results[0].history[e];
    const auto& expected = alone_result.history[e];
    EXPECT_NEAR(epoch.train_loss, expected.train_loss, 1e-5 * expected.train_loss);
    ASSERT_EQ(epoch.penalties.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(epoch.penalties[k], expected.penalties[k], 1e-5 * expected.penalties[k])
          << "epoch " << e << ", penalty " << k;
    }
  }
}

}  // namespace
