#include "xreg/host/run/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/archive.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <mutex>
#include <sstream>

#include "xreg/host/cluster/cluster.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/run/checkpoints.hpp"
#include "xreg/host/run/shared_pass.hpp"
#include "xreg/sdk/predict.hpp"

namespace xreg {

namespace F = torch::nn::functional;

namespace {

/// A loss's options with the reduction asked for.
template <class Options>
Options reduced(Reduction reduction) {
  Options options;
  if (reduction == Reduction::sum) {
    options.reduction(torch::kSum);
  } else {
    options.reduction(torch::kMean);
  }
  return options;
}

}  // namespace

torch::Tensor task_loss(const torch::Tensor& output, const torch::Tensor& y, Task task,
                        Reduction reduction) {
  switch (task) {
    case Task::regression:
      return F::mse_loss(output, y.reshape(output.sizes()).to(output.dtype()),
                         reduced<F::MSELossFuncOptions>(reduction));
    case Task::binary:
      return F::binary_cross_entropy_with_logits(
          output.select(1, 0), y.to(output.dtype()),
          reduced<F::BinaryCrossEntropyWithLogitsFuncOptions>(reduction));
    case Task::multiclass:
      return F::cross_entropy(output, y.to(torch::kLong),
                              reduced<F::CrossEntropyFuncOptions>(reduction));
  }
  throw std::logic_error("unknown task");
}

BatchStream::BatchStream(int64_t n, int64_t batch, const Context& ctx, std::string stream,
                         bool shuffle)
    : shuffle_(shuffle), n_(n), batch_(std::min(batch, n)), ctx_(ctx), stream_(std::move(stream)) {
  reshuffle();
}

int64_t BatchStream::batches_per_pass() const {
  return shuffle_ ? std::max<int64_t>(1, n_ / batch_) : (n_ + batch_ - 1) / batch_;
}

BatchStream::Position BatchStream::tell() const { return {order_, position_, shuffles_}; }

void BatchStream::seek(const Position& position) {
  order_ = position.order.to(torch::kLong);
  position_ = position.position;
  shuffles_ = position.shuffles;
}

void BatchStream::reshuffle() {
  if (shuffle_) {
    auto generator = ctx_.generator(stream_, 0, shuffles_++);
    order_ = torch::randperm(n_, generator, torch::TensorOptions(torch::kLong));
  } else if (!order_.defined()) {
    order_ = torch::arange(n_, torch::TensorOptions(torch::kLong));
  }
  position_ = 0;
}

torch::Tensor BatchStream::next() {
  if (!shuffle_) {
    if (position_ == n_) reshuffle();
    const int64_t end = std::min(n_, position_ + batch_);
    auto indices = order_.slice(0, position_, end);
    position_ = end;
    return indices.to(ctx_.device);
  }
  std::vector<torch::Tensor> parts;
  for (int64_t needed = batch_; needed > 0;) {
    if (position_ == n_) reshuffle();
    const int64_t take = std::min(needed, n_ - position_);
    parts.push_back(order_.slice(0, position_, position_ + take));
    position_ += take;
    needed -= take;
  }
  auto indices = parts.size() == 1 ? parts.front() : torch::cat(parts);
  return indices.to(ctx_.device);
}

torch::Tensor history_table(const TrainResult& result) {
  const int64_t columns = 2 + static_cast<int64_t>(result.regularizers.size());
  std::vector<double> flat;
  for (const EpochRecord& epoch : result.history) {
    flat.push_back(epoch.train_loss);
    flat.push_back(epoch.validation_loss);
    flat.insert(flat.end(), epoch.penalties.begin(), epoch.penalties.end());
  }
  return torch::tensor(flat, torch::kDouble).reshape({-1, columns});
}

std::vector<EpochRecord> history_from_table(const torch::Tensor& table) {
  std::vector<EpochRecord> history;
  const auto rows = table.accessor<double, 2>();
  for (int64_t e = 0; e < rows.size(0); ++e) {
    EpochRecord epoch;
    epoch.train_loss = rows[e][0];
    epoch.validation_loss = rows[e][1];
    for (int64_t r = 2; r < rows.size(1); ++r) epoch.penalties.push_back(rows[e][r]);
    history.push_back(std::move(epoch));
  }
  return history;
}

torch::Tensor flatten_parameters(Model& model) {
  std::vector<torch::Tensor> parameters = model.parameters();
  int64_t total = 0;
  for (const torch::Tensor& p : parameters) {
    if (p.options().dtype() != parameters.front().options().dtype() ||
        p.device() != parameters.front().device() || p.is_sparse() || !p.requires_grad() ||
        !p.is_leaf()) {
      return {};
    }
    total += p.numel();
  }
  if (parameters.empty()) return {};
  torch::NoGradGuard no_grad;
  torch::Tensor flat = torch::empty({total}, parameters.front().options());
  torch::Tensor gradient = torch::zeros({total}, parameters.front().options());
  int64_t offset = 0;
  for (torch::Tensor& p : parameters) {
    const int64_t n = p.numel();
    flat.narrow(0, offset, n).copy_(p.reshape({-1}));
    p.set_data(flat.narrow(0, offset, n).view(p.sizes()));
    p.mutable_grad() = gradient.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  flat.requires_grad_(true);
  flat.mutable_grad() = gradient;
  return flat;
}

namespace {

Batch rows(const Dataset& data, const torch::Tensor& indices) {
  const Batch& all = data.points;
  return Batch{
      all.x.index_select(0, indices), all.y.index_select(0, indices),
      all.index.index_select(0, indices),
      all.annotations.defined() ? all.annotations.index_select(0, indices) : torch::Tensor()};
}

/// A random 10% of the validation set (at least one point), fresh for every `draw`.
Batch validation_sample(const Dataset& validation, int64_t draw, const Context& ctx) {
  const int64_t n = validation.size();
  auto generator = ctx.generator("validation_regularization", 0, draw);
  auto order = torch::randperm(n, generator, torch::TensorOptions(torch::kLong));
  auto chosen = order.slice(0, 0, std::max<int64_t>(1, n / 10)).to(validation.points.x.device());
  return rows(validation, chosen);
}

/// The model's loss on a whole split, its forward passes within the memory budget (one pass
/// when the split fits, as for every data set of the papers).
double model_loss(Model& model, const Dataset& data, const Context& ctx) {
  torch::NoGradGuard no_grad;
  const auto& x = data.points.x;
  const int64_t rows = ctx.rows_per_pass(values_per_entry(x, 1));
  auto outputs =
      detail::in_passes(x, rows, [&](const torch::Tensor& part) { return model.forward(part); });
  return task_loss(outputs, data.points.y, data.task).item<double>();
}

/// The validation split's model loss, and the early-stopping objective: that loss plus each
/// weighted penalty on a fresh 10% of the split.
struct Validation {
  double loss = 0.0;
  double objective = 0.0;
};

Validation validate(Model& model, std::vector<WeightedRegularizer>& regularizers,
                    const Dataset& validation, int64_t draw, const Context& ctx) {
  Validation result;
  result.loss = model_loss(model, validation, ctx);
  result.objective = result.loss;
  for (auto& slot : regularizers) {
    auto sample = validation_sample(validation, draw, ctx);
    // Penalties may differentiate the model internally (input gradients), so no NoGradGuard.
    result.objective +=
        slot.effective_weight * slot.regularizer->penalty(model, sample, draw, ctx).item<double>();
  }
  return result;
}

void calibrate_weights(Model& model, std::vector<WeightedRegularizer>& regularizers,
                       const Dataset& validation, const Context& ctx) {
  for (auto& slot : regularizers) {
    slot.effective_weight = slot.weight;
    if (!slot.relative) continue;
    if (validation.size() == 0) {
      throw ConfigError("regularizer '" + slot.name +
                        "': weight_mode = \"relative\" needs a validation split");
    }
    const double loss = model_loss(model, validation, ctx);
    const double penalty =
        slot.regularizer->penalty(model, validation_sample(validation, -1, ctx), -1, ctx)
            .item<double>();
    slot.effective_weight = penalty > 0 ? slot.weight * loss / penalty : slot.weight;
  }
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<torch::Tensor>& params,
                                                        const Params& settings) {
  const double lr = settings.real("lr"), decay = settings.real("weight_decay");
  if (settings.string("optimizer") == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params,
        torch::optim::SGDOptions(lr).momentum(settings.real("momentum")).weight_decay(decay));
  }
  return std::make_unique<torch::optim::Adam>(params,
                                              torch::optim::AdamOptions(lr).weight_decay(decay));
}

std::vector<torch::Tensor> snapshot(Model& model) {
  std::vector<torch::Tensor> copy;
  for (const auto& t : model.state()) copy.push_back(t.detach().clone());
  return copy;
}

void restore(Model& model, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  auto state = model.state();
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(saved[i]);
}

/// One step's loss, and its terms for the training record: [model loss, weighted penalty of
/// each regularizer], detached (data-parallel: this rank's part of each, 0 where it has none).
struct StepLoss {
  torch::Tensor total;
  torch::Tensor terms;
};

/// This rank's rows of a batch split over the ranks of data-parallel training, contiguous and
/// in rank order; empty where the batch has fewer rows than there are ranks.
Batch rank_rows(const Batch& batch, const Cluster& parallel) {
  const int64_t n = batch.size(), rank = parallel.rank(), size = parallel.size();
  return batch.slice(n * rank / size, n * (rank + 1) / size);
}

torch::Tensor weighted_penalty(WeightedRegularizer& slot, Model& model, const Batch& batch,
                               int64_t step, const Context& ctx) {
  return slot.effective_weight * slot.regularizer->penalty(model, batch, step, ctx);
}

/// Data-parallel: this rank's part of slot `r`'s weighted penalty on `batch`; undefined where it
/// has none. A penalty that is a mean or a sum over points (PenaltyForm) is split as the model's
/// minibatch is, each part of a mean weighted by its share of the rows, so that the parts add
/// up to the whole; any other is evaluated whole by rank r mod size.
torch::Tensor penalty_part(WeightedRegularizer& slot, size_t r, Model& model, const Batch& batch,
                           int64_t step, const Context& ctx, const Cluster& parallel) {
  const PenaltyForm form = slot.regularizer->form();
  if (form == PenaltyForm::point_mean || form == PenaltyForm::point_sum) {
    const Batch part = rank_rows(batch, parallel);
    if (part.size() == 0) return {};
    const torch::Tensor term = weighted_penalty(slot, model, part, step, ctx);
    if (form == PenaltyForm::point_sum) return term;
    return term * (static_cast<double>(part.size()) / static_cast<double>(batch.size()));
  }
  if (static_cast<int64_t>(r) % parallel.size() != parallel.rank()) return {};
  return weighted_penalty(slot, model, batch, step, ctx);
}

/// The training loss of one step on `batch`: the model's loss and the weighted penalties, or with
/// `parallel` this rank's part of them (see train_model). With `share_passes`, the minibatch goes
/// through the model in the first regularizer pass that can take it (SharedPass).
StepLoss step_loss(Model& model, std::vector<WeightedRegularizer>& regularizers,
                   const Dataset& train, const Batch& batch,
                   std::vector<BatchStream>& regularization_batches, Reduction reduction,
                   int64_t step, const Context& ctx, Cluster* parallel, bool share_passes) {
  const Batch minibatch = parallel == nullptr ? batch : rank_rows(batch, *parallel);
  SharedPass shared(model, minibatch.x, ctx.rows_per_pass(values_per_entry(minibatch.x, 1)),
                    share_passes);
  std::vector<torch::Tensor> penalties;
  for (size_t r = 0; r < regularizers.size(); ++r) {
    // Every rank draws every regularizer's batch, so that the streams stay in step.
    const Batch regularization_batch =
        regularizers[r].on_minibatch ? batch : rows(train, regularization_batches[r].next());
    penalties.push_back(
        parallel
            ? penalty_part(regularizers[r], r, shared, regularization_batch, step, ctx, *parallel)
            : weighted_penalty(regularizers[r], shared, regularization_batch, step, ctx));
  }
  torch::Tensor loss;
  if (parallel == nullptr) {
    loss = task_loss(shared.minibatch_outputs(), batch.y, train.task, reduction);
  } else {
    loss = task_loss(shared.minibatch_outputs(), minibatch.y, train.task, Reduction::sum);
    if (reduction == Reduction::mean) loss = loss / static_cast<double>(batch.size());
  }
  std::vector<torch::Tensor> terms{loss.detach()};
  for (const torch::Tensor& term : penalties) {
    if (!term.defined()) {
      terms.push_back(torch::zeros_like(terms.front()));
      continue;
    }
    terms.push_back(term.detach());
    loss = loss + term;
  }
  return {loss, torch::stack(terms)};
}

/// The record of an epoch from the sum of its steps' terms.
EpochRecord epoch_record(const torch::Tensor& summed_terms, int64_t steps) {
  auto mean = (summed_terms / static_cast<double>(steps)).to(torch::kCPU);
  const double* terms = mean.data_ptr<double>();
  EpochRecord record;
  record.train_loss = terms[0];
  record.penalties.assign(terms + 1, terms + mean.numel());
  record.validation_loss = std::numeric_limits<double>::quiet_NaN();
  return record;
}

/// Everything the loop carries from epoch to epoch besides the model, the optimizer and the
/// batch streams: what a checkpoint saves with them.
struct LoopState {
  TrainResult result;
  std::vector<torch::Tensor> best_state;
  int64_t step = 0;
  bool finished = false;  ///< training ended; the model holds its final weights
};

/// The parts of a training run a checkpoint holds.
struct Resumable {
  Model& model;
  torch::optim::Optimizer& optimizer;
  std::vector<BatchStream*> streams;  ///< the model's minibatches, then each regularizer's
  LoopState& loop;
};

void write_tensors(torch::serialize::OutputArchive& archive, const std::string& key,
                   const std::vector<torch::Tensor>& tensors) {
  archive.write(key + "/count", static_cast<int64_t>(tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    archive.write(key + "/" + std::to_string(i), tensors[i].detach());
  }
}

std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& archive,
                                        const std::string& key) {
  c10::IValue count;
  archive.read(key + "/count", count);
  std::vector<torch::Tensor> tensors(static_cast<size_t>(count.toInt()));
  for (size_t i = 0; i < tensors.size(); ++i)
    archive.read(key + "/" + std::to_string(i), tensors[i]);
  return tensors;
}

void save_checkpoint(const std::string& file, const Resumable& run) {
  torch::serialize::OutputArchive archive;
  const TrainResult& result = run.loop.result;
  write_tensors(archive, "model", run.model.state());
  write_tensors(archive, "best", run.loop.best_state);
  torch::serialize::OutputArchive optimizer;
  run.optimizer.save(optimizer);
  archive.write("optimizer", optimizer);
  for (size_t k = 0; k < run.streams.size(); ++k) {
    const BatchStream::Position at = run.streams[k]->tell();
    const std::string key = "stream/" + std::to_string(k);
    archive.write(key + "/order", at.order);
    archive.write(key + "/position", at.position);
    archive.write(key + "/shuffles", at.shuffles);
  }
  archive.write("generator", at::detail::getDefaultCPUGenerator().get_state());
  archive.write("step", run.loop.step);
  archive.write("finished", run.loop.finished);
  archive.write("epochs", result.epochs);
  archive.write("best_epoch", result.best_epoch);
  archive.write("best_validation_objective", result.best_validation_objective);
  archive.write("seconds", result.seconds);
  archive.write("stopped_by_cap", result.stopped_by_cap);
  archive.write("history", history_table(result));
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_checkpoint_file(file, bytes.str());
}

void load_checkpoint(const std::string& file, Resumable& run) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file);
  } catch (const c10::Error& e) {
    throw RunError(file + ": not a training checkpoint xreg can read: " + first_line(e.what()));
  }
  auto value = [&](const std::string& key) {
    c10::IValue v;
    archive.read(key, v);
    return v;
  };
  restore(run.model, read_tensors(archive, "model"));
  run.loop.best_state = read_tensors(archive, "best");
  torch::serialize::InputArchive optimizer;
  archive.read("optimizer", optimizer);
  try {
    run.optimizer.load(optimizer);
  } catch (const c10::Error& e) {
    throw RunError(file +
                   ": its optimizer state does not fit this model's parameters (a checkpoint of "
                   "another xreg version or pipeline); run again without --resume: " +
                   first_line(e.what()));
  }
  for (size_t k = 0; k < run.streams.size(); ++k) {
    const std::string key = "stream/" + std::to_string(k);
    BatchStream::Position at;
    archive.read(key + "/order", at.order);
    at.position = value(key + "/position").toInt();
    at.shuffles = value(key + "/shuffles").toInt();
    run.streams[k]->seek(at);
  }
  torch::Tensor generator;
  archive.read("generator", generator);
  at::Generator default_generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(default_generator.mutex());
  default_generator.set_state(generator);
  TrainResult& result = run.loop.result;
  run.loop.step = value("step").toInt();
  run.loop.finished = value("finished").toBool();
  result.epochs = value("epochs").toInt();
  result.best_epoch = value("best_epoch").toInt();
  result.best_validation_objective = value("best_validation_objective").toDouble();
  result.seconds = value("seconds").toDouble();
  result.stopped_by_cap = value("stopped_by_cap").toBool();
  torch::Tensor history;
  archive.read("history", history);
  result.history = history_from_table(history);
}

/// Saves the run's state when `checkpoint` asks for it: at the end, or when its interval has
/// passed since `last`.
class Checkpointer {
 public:
  explicit Checkpointer(const TrainCheckpoint* checkpoint) : checkpoint_(checkpoint) {}

  /// Resumes `run` from the checkpoint file when one is asked for and exists; true if it did.
  bool resume(Resumable& run) const {
    if (checkpoint_ == nullptr || !checkpoint_->resume) return false;
    if (!std::filesystem::exists(checkpoint_->file)) return false;
    load_checkpoint(checkpoint_->file, run);
    return true;
  }

  void maybe_save(Resumable& run, double elapsed_seconds, bool force) {
    if (checkpoint_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < checkpoint_->every_seconds) return;
    const double kept = run.loop.result.seconds;
    run.loop.result.seconds = elapsed_seconds;
    save_checkpoint(checkpoint_->file, run);
    run.loop.result.seconds = kept;
    last_ = now;
  }

 private:
  const TrainCheckpoint* checkpoint_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

/// The gradients of the optimized tensors, zeros where a rank's part of the loss did not reach
/// one.
std::vector<torch::Tensor> gradients_of(std::vector<torch::Tensor>& optimized) {
  std::vector<torch::Tensor> gradients;
  for (torch::Tensor& tensor : optimized) {
    if (!tensor.grad().defined()) tensor.mutable_grad() = torch::zeros_like(tensor);
    gradients.push_back(tensor.grad());
  }
  return gradients;
}

/// Zeroes the optimized tensors' gradients in place, so that the parameters' gradients stay
/// views of a flat one (LibTorch 2's zero_grad() would set them to none).
void zero_gradients(std::vector<torch::Tensor>& optimized) {
  for (torch::Tensor& tensor : optimized) {
    if (tensor.grad().defined()) tensor.mutable_grad().zero_();
  }
}

}  // namespace

TrainResult train_model(Model& model, std::vector<WeightedRegularizer>& regularizers,
                        const Dataset& train, const Dataset& validation, const Params& settings,
                        const Context& ctx, Cluster* data_parallel,
                        const TrainCheckpoint* checkpoint) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t batch_size = settings.integer("batch_size");
  const int64_t max_epochs = settings.integer("max_epochs");
  const int64_t min_epochs = settings.integer("min_epochs");
  const int64_t patience = settings.integer("patience");
  const double tol = settings.real("tol");
  if (train.size() == 0) throw ConfigError("training needs a non-empty training split");
  model.set_training(false);
  calibrate_weights(model, regularizers, validation, ctx);
  const torch::Tensor flat = flatten_parameters(model);
  // A model with buffers besides its parameters (batch norm's running statistics) may mix the
  // rows of a pass in training: its minibatch and regularizers' rows then go in passes apart.
  const bool share_passes = model.state().size() == model.parameters().size();
  std::vector<torch::Tensor> optimized =
      flat.defined() ? std::vector<torch::Tensor>{flat} : model.parameters();
  auto optimizer = make_optimizer(optimized, settings);
  BatchStream model_batches(train.size(), batch_size, ctx, "minibatch",
                            settings.boolean("shuffle"));
  const Reduction reduction =
      settings.string("loss_reduction") == "sum" ? Reduction::sum : Reduction::mean;
  std::vector<BatchStream> regularization_batches;
  for (const auto& slot : regularizers) {
    regularization_batches.emplace_back(train.size(), slot.batch_size, ctx,
                                        "regularization_batch/" + slot.name);
  }
  const int64_t steps_per_epoch = model_batches.batches_per_pass();
  const bool early_stopping = validation.size() > 0;
  if (max_epochs == 0 && !early_stopping) {
    throw ConfigError(
        "[train] max_epochs = 0 (no cap) needs a validation split for early "
        "stopping, and the data have none");
  }

  LoopState loop;
  TrainResult& result = loop.result;
  result.best_validation_objective = std::numeric_limits<double>::infinity();
  for (const auto& slot : regularizers) result.regularizers.push_back(slot.name);
  Resumable run{model, *optimizer, {&model_batches}, loop};
  for (auto& stream : regularization_batches) run.streams.push_back(&stream);
  Checkpointer checkpointer(checkpoint);
  const double earlier_seconds = checkpointer.resume(run) ? result.seconds : 0.0;
  auto elapsed = [&] {
    return earlier_seconds +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int64_t epoch = result.epochs; !loop.finished; ++epoch) {
    const bool stop_early = epoch - result.best_epoch > patience && epoch > min_epochs;
    if (early_stopping && stop_early) break;
    if (max_epochs > 0 && epoch == max_epochs) {
      // A cap at or below min_epochs asks for a fixed length; only a higher one cut training.
      result.stopped_by_cap = early_stopping && max_epochs > min_epochs + 1;
      break;
    }
    if (data_parallel != nullptr && data_parallel->rank() > 0) {
      // Every rank starts from the same default generator (the runner seeds it alike for the
      // model's initialization), so dropout would draw the same masks on every rank for
      // different rows of the minibatch. Ranks above 0 draw from a stream of their own; rank 0
      // keeps its generator, so that one process's numbers do not change. One process's masks
      // are not reproduced exactly either way: torch draws them per call, not per global row.
      // Reseeded every epoch, keyed on the step, so that a run resumed from a checkpoint (taken
      // between epochs, with some rank's generator) draws what an uninterrupted one does.
      at::Generator generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_current_seed(
          detail::stream_seed(ctx.seed, "training/dropout", data_parallel->rank(), loop.step));
    }
    model.set_training(true);
    torch::Tensor summed_terms;
    for (int64_t s = 0; s < steps_per_epoch; ++s, ++loop.step) {
      zero_gradients(optimized);
      const Batch batch = rows(train, model_batches.next());
      StepLoss loss = step_loss(model, regularizers, train, batch, regularization_batches,
                                reduction, loop.step, ctx, data_parallel, share_passes);
      loss.total.backward();
      if (data_parallel) {
        std::vector<torch::Tensor> summed = gradients_of(optimized);
        summed.push_back(loss.terms);  // the ranks' parts of the terms add up as gradients do
        data_parallel->sum(summed);
      }
      const torch::Tensor terms = loss.terms.to(torch::kDouble);
      summed_terms = s == 0 ? terms : summed_terms + terms;
      optimizer->step();
    }
    model.set_training(false);
    result.history.push_back(epoch_record(summed_terms, steps_per_epoch));
    result.epochs = epoch + 1;
    ctx.progress(result.epochs, max_epochs);  // a total of 0: no cap, not known in advance
    if (early_stopping) {
      const Validation validation_result = validate(model, regularizers, validation, epoch, ctx);
      result.history.back().validation_loss = validation_result.loss;
      if (validation_result.objective < result.best_validation_objective - tol) {
        result.best_validation_objective = validation_result.objective;
        result.best_epoch = epoch;
        loop.best_state = snapshot(model);
      }
    }
    checkpointer.maybe_save(run, elapsed(), false);
  }
  if (!loop.finished) {
    if (settings.boolean("restore_best") && !loop.best_state.empty()) {
      restore(model, loop.best_state);
    }
    loop.finished = true;
    loop.best_state.clear();  // the model holds what training leaves; the copy is not needed
    checkpointer.maybe_save(run, elapsed(), true);
  }
  result.seconds = elapsed();
  return result;
}

}  // namespace xreg
