#include "xreg/host/run/runner.hpp"

#include <torch/autograd.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "cluster/wire.hpp"
#include "report/model_files.hpp"
#include "xreg/host/cluster/cluster.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"
#include "xreg/host/run/checkpoints.hpp"
#include "xreg/sdk/context.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/metric.hpp"
#include "xreg/sdk/predict.hpp"

namespace xreg {

namespace {

Dataset to_device(Dataset data, torch::Device device) {
  data.points.x = data.points.x.to(device);
  if (data.points.y.defined()) data.points.y = data.points.y.to(device);
  data.points.index = data.points.index.to(device);
  if (data.points.annotations.defined()) {
    data.points.annotations = data.points.annotations.to(device);
  }
  return data;
}

Context trial_context(const Pipeline& pipeline, int64_t trial, std::ostream* log) {
  Context ctx;
  ctx.seed =
      detail::stream_seed(static_cast<uint64_t>(pipeline.run.integer("seed")), "trial", trial);
  try {
    ctx.device = torch::Device(pipeline.run.string("device"));
  } catch (const std::exception&) {
    throw ConfigError(pipeline.file +
                      ": [run] device: expected a device such as \"cpu\" or "
                      "\"cuda:0\", found '" +
                      pipeline.run.string("device") + "'");
  }
  ctx.dtype = pipeline.run.string("dtype") == "float64" ? torch::kDouble : torch::kFloat;
  ctx.max_rows_per_pass = pipeline.run.integer("max_rows_per_pass");
  ctx.max_values_per_pass = pipeline.run.integer("max_values_per_pass");
  if (log) {
    ctx.log_sink = [log](LogLevel level, const std::string& line) {
      if (level != LogLevel::debug) *log << line << '\n';
    };
  }
  return ctx;
}

/// "1:05" or "2:03:07".
std::string clock_text(double seconds) {
  const auto total = static_cast<int64_t>(std::lround(std::max(0.0, seconds)));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

/// `ctx` whose progress reports go to options.log as "  <stage>: done/total (p%, ETA m:ss)"
/// ("  <stage>: done" when the total is not known, reported as 0): with options.redraw_progress
/// one line redrawn in place (it ends in a carriage return until the stage is done), otherwise
/// a line at most every two seconds and at the end; silent without a log.
Context with_progress(const Context& ctx, const RunOptions& options, const std::string& stage) {
  Context staged = ctx;
  std::ostream* log = options.log;
  if (log == nullptr) return staged;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last = std::make_shared<Clock::time_point>(start);
  const bool redraw = options.redraw_progress;
  const auto interval = redraw ? std::chrono::milliseconds(200) : std::chrono::milliseconds(2000);
  staged.progress_sink = [log, stage, last, start, redraw, interval](int64_t done, int64_t total) {
    const auto now = Clock::now();
    const bool finished = total > 0 && done >= total;
    if (!finished && now - *last < interval) return;
    *last = now;
    *log << "  " << stage << ": " << done;
    if (total > 0 && done > 0) {
      const double elapsed = std::chrono::duration<double>(now - start).count();
      *log << "/" << total << " (" << 100 * done / total << "%, "
           << (finished ? "took " + clock_text(elapsed)
                        : "ETA " + clock_text(elapsed / done * (total - done)))
           << ")";
    } else if (total > 0) {
      *log << "/" << total;
    }
    *log << (redraw && !finished ? '\r' : '\n') << std::flush;
  };
  return staged;
}

template <class T>
std::shared_ptr<T> create(const Registry& registry, const PluginConfig& slot) {
  return registry.create<T>(slot.plugin, slot.params);
}

std::vector<WeightedRegularizer> make_regularizers(const Pipeline& pipeline,
                                                   const Registry& registry) {
  std::vector<WeightedRegularizer> all;
  for (const auto& slot : pipeline.regularizers) {
    WeightedRegularizer r;
    r.name = slot_label(slot);
    r.regularizer = create<Regularizer>(registry, slot);
    r.weight = slot.host.real("weight");
    r.relative = slot.host.string("weight_mode") == "relative";
    r.batch_size = slot.host.integer("batch_size");
    r.on_minibatch = slot.host.string("batch") == "minibatch";
    all.push_back(std::move(r));
  }
  return all;
}

/// Refuses a training minibatch beyond the memory budget of one pass before any training: its
/// autograd graph lives until the step's backward pass, so it cannot be split.
void check_training_pass(const Pipeline& pipeline, const Dataset& train, const Context& ctx) {
  const int64_t rows = std::min(pipeline.train.integer("batch_size"), train.size());
  const int64_t values = values_per_entry(train.points.x, 1);
  if (rows <= ctx.rows_per_pass(values)) return;
  throw ConfigError(pipeline.file + ": [train] batch_size: " + std::to_string(rows) +
                    " points of " + std::to_string(values) +
                    " values exceed the memory budget of one pass ([run] max_rows_per_pass = " +
                    std::to_string(ctx.max_rows_per_pass) + ", max_values_per_pass = " +
                    std::to_string(ctx.max_values_per_pass) + "); lower batch_size");
}

/// Evaluates each regularizer once on a batch of the size it will get before any training, so
/// that a regularizer that refuses the model (senn_reconstruction on a model without learned
/// concepts) or a pass beyond the memory budget stops the run as a configuration error at its
/// slot, before any work is spent.
void check_regularizers(const Pipeline& pipeline, std::vector<WeightedRegularizer>& regularizers,
                        Model& model, const Dataset& train, const Context& ctx) {
  for (size_t r = 0; r < regularizers.size(); ++r) {
    const int64_t rows = regularizers[r].on_minibatch ? pipeline.train.integer("batch_size")
                                                      : regularizers[r].batch_size;
    const Batch probe = train.points.slice(0, std::min(rows, train.size()));
    try {
      regularizers[r].regularizer->penalty(model, probe, 0, ctx);
    } catch (const PluginRefusal& e) {
      throw ConfigError(pipeline.regularizers[r].where + ": " + e.what());
    }
  }
}

/// Evaluates each metric of the model (accuracy, MSE: those that score no explanations) on a few
/// test rows before any training, so that one that refuses the task (accuracy on a regression)
/// stops the run as a configuration error at its slot instead of after training.
void check_model_metrics(const Pipeline& pipeline, const Registry& registry, Model& model,
                         const SplitData& data, const Context& ctx) {
  if (data.test.size() == 0) return;  // evaluate_metrics says so
  const Batch probe = data.test.points.slice(0, std::min<int64_t>(2, data.test.size()));
  for (const auto& slot : pipeline.metrics) {
    if (slot.scores_explanations) continue;
    try {
      MetricInput input{model, probe, data.test.task, nullptr, nullptr, &data.train};
      create<Metric>(registry, slot)->evaluate(input, ctx);
    } catch (const PluginRefusal& e) {
      throw ConfigError(slot.where + ": " + e.what());
    }
  }
}

/// Builds the model for the data's points; a model that refuses them (a TorchScript file of
/// another input width, image networks on tabular points) is a configuration error at [model].
void build_model(const Pipeline& pipeline, Model& model, const Dataset& shape_source,
                 const Context& ctx) {
  auto input = shape_source.points.x.sizes().slice(1).vec();
  try {
    model.build(ModelShape{input, shape_source.outputs, shape_source.task}, ctx);
  } catch (const PluginRefusal& e) {
    throw ConfigError(pipeline.model.where + ": " + e.what());
  }
}

/// A metric's rows, refusing a NaN: it is never a result, only a sign of a diverged model or a
/// broken metric.
void append_rows(std::vector<MetricSummary>& summaries, std::vector<MetricSummary> rows,
                 const PluginConfig& slot) {
  for (const MetricSummary& row : rows) {
    if (std::isnan(row.mean)) {
      throw RunError(slot.where + ": metric '" + row.metric +
                     "' is NaN: the model's outputs or the metric's inputs are not finite "
                     "(diverged training?); no result is written");
    }
  }
  summaries.insert(summaries.end(), rows.begin(), rows.end());
}

/// The block of `points` that `shard`'s rank explains and scores: a contiguous run of their
/// order, rank r the r-th of `size` near-equal parts; all of them without a shard.
Batch shard_block(const Batch& points, const Cluster* shard) {
  if (shard == nullptr) return points;
  const int64_t n = points.size();
  return points.slice(n * shard->rank() / shard->size(), n * (shard->rank() + 1) / shard->size());
}

/// The per-point `values` of every rank's block, in rank order, on rank 0 (undefined: a rank
/// with no points); this rank's own elsewhere.
torch::Tensor gather_blocks(Cluster* shard, const torch::Tensor& values) {
  if (shard == nullptr) return values;
  const std::vector<std::string> all = shard->gather(encode_tensor(values));
  if (shard->rank() != 0) return values;
  std::vector<torch::Tensor> parts;
  for (const std::string& bytes : all) {
    torch::Tensor part = decode_tensor(bytes);
    if (part.defined()) parts.push_back(part);
  }
  return torch::cat(parts, 0);
}

/// The rows of one metric's per-point values over the test points `test`, which `points` keeps
/// (nullptr: a rank other than 0 of a shard, whose values cover its block only).
void append_metric(std::vector<MetricSummary>& summaries, std::vector<PointValues>* points,
                   const std::string& name, const torch::Tensor& values, const Batch& test,
                   const PluginConfig& slot) {
  append_rows(summaries, summarize(name, values), slot);
  if (points == nullptr) return;
  points->push_back(
      {name, test.index.to(torch::kCPU), values.detach().to(torch::kCPU, torch::kDouble)});
}

/// One column of per-point values a trial reports: a metric slot's, of the model or of one
/// explainer's explanations.
struct Scoring {
  const PluginConfig* slot;
  std::shared_ptr<Metric> metric;
  int64_t explainer;  ///< index into the fitted explainers; -1: a metric of the model
  std::string name;   ///< "mse", "lime/point_fidelity"
};

struct FittedExplainer {
  std::string name;
  std::shared_ptr<Explainer> explainer;
};

/// Image points whose attribution maps the run folder shows (explanations/<e>/trial-<t>-maps.png).
constexpr int64_t kPreviewPoints = 6;

/// A block of points scored: each scoring's per-point values and each explainer's explanations.
struct ScoredBlock {
  std::vector<torch::Tensor> values;
  std::vector<Explanation> explanations;
};

/// Every scoring's per-point values on `points`: each explainer explains them, then each
/// metric scores the model or the explanations. A point's values depend on its global index
/// alone, so blocks of points can be scored apart and concatenated.
ScoredBlock score_points(Model& model, const Batch& points, const SplitData& data,
                         const std::vector<FittedExplainer>& explainers,
                         const std::vector<Scoring>& scorings,
                         const std::function<Context(const std::string&)>& stage) {
  ScoredBlock block;
  std::vector<Explanation>& explanations = block.explanations;
  for (const auto& e : explainers) {
    explanations.push_back(e.explainer->explain(model, points, stage("explainer " + e.name)));
  }
  std::vector<torch::Tensor>& values = block.values;
  for (const Scoring& s : scorings) {
    const bool of_model = s.explainer < 0;
    MetricInput input{model,
                      points,
                      data.test.task,
                      of_model ? nullptr : explainers[s.explainer].explainer.get(),
                      of_model ? nullptr : &explanations[s.explainer],
                      &data.train};
    values.push_back(s.metric->evaluate(input, stage(s.name)).values);
  }
  return block;
}

/// Blocks of points scored in parallel by [run] threads workers (0: as many as the machine has
/// cores, or OMP_NUM_THREADS when set), at most one per point.
int64_t worker_count(const Pipeline& pipeline, int64_t points) {
  int64_t threads = pipeline.run.integer("threads");
  if (threads == 0) {
    const char* omp = std::getenv("OMP_NUM_THREADS");
    threads = omp && std::atoi(omp) > 0 ? std::atoi(omp) : std::thread::hardware_concurrency();
  }
  return std::clamp<int64_t>(threads, 1, std::max<int64_t>(points, 1));
}

/// score_points on `workers` contiguous blocks of `points` at once, each worker within its
/// share of the memory budget, the blocks' values and explanations concatenated in order: those
/// of one worker, bit for bit. Progress: one line per finished block.
ScoredBlock score_in_parallel(Model& model, const Batch& points, const SplitData& data,
                              const std::vector<FittedExplainer>& explainers,
                              const std::vector<Scoring>& scorings, const Context& ctx,
                              const RunOptions& options, int64_t workers) {
  Context worker_ctx = ctx;
  worker_ctx.progress_sink = nullptr;
  worker_ctx.max_rows_per_pass = std::max<int64_t>(1, ctx.max_rows_per_pass / workers);
  worker_ctx.max_values_per_pass = std::max<int64_t>(1, ctx.max_values_per_pass / workers);
  const Context progress = with_progress(ctx, options, "explanations and metrics, blocks");
  const int64_t n = points.size();
  std::vector<ScoredBlock> blocks(workers);
  std::vector<std::exception_ptr> failures(workers);
  std::mutex done_lock;
  int64_t done = 0;
  std::vector<std::thread> threads;
  for (int64_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        const Batch block = points.slice(n * w / workers, n * (w + 1) / workers);
        blocks[w] = score_points(model, block, data, explainers, scorings,
                                 [&](const std::string&) { return worker_ctx; });
        std::lock_guard<std::mutex> lock(done_lock);
        progress.progress(++done, workers);
      } catch (...) {
        failures[w] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  ScoredBlock whole;
  for (size_t s = 0; s < scorings.size(); ++s) {
    std::vector<torch::Tensor> parts;
    for (const auto& block : blocks) parts.push_back(block.values[s]);
    whole.values.push_back(torch::cat(parts, 0));
  }
  for (size_t e = 0; e < explainers.size(); ++e) {
    std::vector<Explanation> parts;
    for (const auto& block : blocks) parts.push_back(block.explanations[e]);
    whole.explanations.push_back(concatenate(parts));
  }
  return whole;
}

/// Each of `count` explainers' explanations of every rank's block in rank order on rank 0 (none
/// elsewhere), `mine` (empty: no points here) without a shard.
std::vector<Explanation> gather_explanations(Cluster* shard, const std::vector<Explanation>& mine,
                                             size_t count) {
  if (shard == nullptr) return mine;
  const std::vector<std::string> all = shard->gather(encode_explanations(mine));
  if (shard->rank() != 0) return {};
  std::vector<std::vector<Explanation>> parts(count);
  for (const std::string& bytes : all) {
    const std::vector<Explanation> block = decode_explanations(bytes);
    for (size_t e = 0; e < block.size(); ++e) parts.at(e).push_back(block[e]);
  }
  std::vector<Explanation> whole;
  for (const auto& explainer : parts) whole.push_back(concatenate(explainer));
  return whole;
}

/// `e` with every tensor detached and on the CPU, as a trial's report keeps it.
Explanation on_cpu(Explanation e) {
  for (torch::Tensor* t : {&e.classes, &e.coefficients, &e.intercepts, &e.prediction}) {
    if (t->defined()) *t = t->detach().cpu();
  }
  for (auto& item : e.diagnostics) item.second = item.second.detach().cpu();
  return e;
}

/// Every metric's rows on the test points (this rank's block of them, with a shard): the
/// explainers fitted, the points scored by the run's worker threads, the values and
/// explanations gathered to rank 0, which keeps them in `points` and `explained`. With a shard,
/// rank 0's rows cover every test point; the other ranks' are partial.
std::vector<MetricSummary> evaluate_metrics(const Pipeline& pipeline, const Registry& registry,
                                            Model& model, const SplitData& data, const Context& ctx,
                                            const RunOptions& options, Cluster* shard,
                                            std::vector<PointValues>& points,
                                            std::vector<ExplainedPoints>& explained) {
  const Dataset& test = data.test;
  if (test.size() == 0)
    throw ConfigError(pipeline.file + ": the data have no test split to evaluate on");
  std::vector<FittedExplainer> explainers;
  for (const auto& slot : pipeline.explainers) {
    auto explainer = create<Explainer>(registry, slot);
    explainer->fit(model, data.train, data.val,
                   with_progress(ctx, options, "fit " + slot_label(slot)));
    explainers.push_back({slot_label(slot), explainer});
  }
  std::vector<Scoring> scorings;
  for (const auto& slot : pipeline.metrics) {
    auto metric = create<Metric>(registry, slot);
    if (!slot.scores_explanations) scorings.push_back({&slot, metric, -1, slot_label(slot)});
    const auto& scored = slot.scored_explainers;
    for (size_t e = 0; slot.scores_explanations && e < explainers.size(); ++e) {
      if (std::find(scored.begin(), scored.end(), explainers[e].name) == scored.end()) continue;
      scorings.push_back(
          {&slot, metric, static_cast<int64_t>(e), explainers[e].name + "/" + slot_label(slot)});
    }
  }
  const Batch block = shard_block(test.points, shard);
  const int64_t workers = worker_count(pipeline, block.size());
  ScoredBlock scored{std::vector<torch::Tensor>(scorings.size()), {}};  // none: no points here
  if (block.size() > 0 && workers > 1) {
    scored = score_in_parallel(model, block, data, explainers, scorings, ctx, options, workers);
  } else if (block.size() > 0) {
    scored = score_points(model, block, data, explainers, scorings, [&](const std::string& name) {
      return with_progress(ctx, options, name);
    });
  }
  std::vector<MetricSummary> summaries;
  std::vector<PointValues>* kept = shard == nullptr || shard->rank() == 0 ? &points : nullptr;
  for (size_t s = 0; s < scorings.size(); ++s) {
    append_metric(summaries, kept, scorings[s].name, gather_blocks(shard, scored.values[s]),
                  test.points, *scorings[s].slot);
  }
  const auto whole = gather_explanations(shard, scored.explanations, explainers.size());
  for (size_t e = 0; kept != nullptr && e < whole.size(); ++e) {
    const bool images = test.points.x.dim() == 4;
    explained.push_back(
        {explainers[e].name, test.points.index.to(torch::kCPU), on_cpu(whole[e]),
         test.feature_names, test.points.x.dim() == 2,
         images ? test.points.x.slice(0, 0, kPreviewPoints).cpu() : torch::Tensor()});
  }
  return summaries;
}

/// The ranks that train together: [run] parallel = "data" over those of `shard`; else none.
Cluster* data_parallel(const Pipeline& pipeline, Cluster* shard) {
  return shard != nullptr && pipeline.run.string("parallel") == "data" ? shard : nullptr;
}

/// One model of a trial: built from a fresh initialization, trained when the pipeline trains,
/// and evaluated with the pipeline's metrics.
struct ModelRun {
  std::shared_ptr<Model> model;
  bool trained = false;
  TrainResult training;
  std::vector<std::string> notes;
  std::vector<MetricSummary> metrics;
  std::vector<PointValues> points;
  std::vector<ExplainedPoints> explanations;
};

ModelRun train_and_evaluate(const Pipeline& pipeline, const Registry& registry,
                            const SplitData& data, const Dataset& shape_source, const Context& ctx,
                            uint64_t init_seed, const RunOptions& options, Cluster* shard,
                            const TrainCheckpoint* checkpoint = nullptr) {
  ModelRun run;
  torch::manual_seed(init_seed);
  run.model = create<Model>(registry, pipeline.model);
  Model& model = *run.model;
  build_model(pipeline, model, shape_source, ctx);
  model.set_training(false);
  check_model_metrics(pipeline, registry, model, data, ctx);

  auto regularizers = make_regularizers(pipeline, registry);
  if (pipeline.train.boolean("enabled") && model.trainable() && !model.parameters().empty()) {
    model.set_training(false);
    check_training_pass(pipeline, data.train, ctx);
    check_regularizers(pipeline, regularizers, model, data.train, ctx);
    run.training = train_model(model, regularizers, data.train, data.val, pipeline.train,
                               with_progress(ctx, options, "training epochs"),
                               data_parallel(pipeline, shard), checkpoint);
    run.trained = true;
    if (run.training.stopped_by_cap) {
      run.notes.push_back("training stopped at max_epochs = " +
                          std::to_string(pipeline.train.integer("max_epochs")) +
                          " before early stopping ended it");
    }
    for (const auto& r : regularizers) {
      run.notes.push_back("regularizer " + r.name + " weight " +
                          std::to_string(r.effective_weight));
    }
  }
  model.set_training(false);
  run.metrics = evaluate_metrics(pipeline, registry, model, data, ctx, options, shard, run.points,
                                 run.explanations);
  return run;
}

int64_t find_another_iterations(const Pipeline& pipeline) {
  return pipeline.find_another.has("iterations") ? pipeline.find_another.integer("iterations") : 0;
}

/// RRR's explanation mask M_c of each point (Ross et al.; dtak/rrr's input_gradients default):
/// |g| > c·max|g| over the point's inputs (strict), g = ∂ max_k ŷ_k / ∂x the input gradient of
/// the predicted class's probability (softmax of the logits; max(σ(z), 1 − σ(z)) of a binary
/// logit z). Batched: chunks of one batch-independent forward pass each, whose autograd graph
/// stays within the memory budget. Returns booleans of x's shape; a point whose gradient is zero
/// everywhere has an empty mask.
torch::Tensor explanation_mask(Model& model, const Batch& points, double threshold,
                               const Context& ctx) {
  const int64_t chunk = points_per_pass(1, values_per_entry(points.x, 1), ctx);
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < points.size(); begin += chunk) {
    const Batch part = points.slice(begin, std::min(points.size(), begin + chunk));
    torch::AutoGradMode enable(true);
    auto z = part.x.detach().unsqueeze(1).requires_grad_(true);          // [n, 1, d...]
    auto logits = forward_points(model, z, part.index, ctx).squeeze(1);  // [n, k]
    torch::Tensor predicted;
    if (ctx.task == Task::binary) {
      auto p = torch::sigmoid(logits.select(1, 0));
      predicted = torch::maximum(p, 1 - p);
    } else {
      predicted = std::get<0>(torch::softmax(logits, 1).max(1));
    }
    auto gradient = torch::autograd::grad({predicted.sum()}, {z}, {}, /*retain_graph=*/false,
                                          /*create_graph=*/false, /*allow_unused=*/true)[0];
    if (!gradient.defined()) gradient = torch::zeros_like(z);
    auto magnitude = gradient.detach().squeeze(1).flatten(1).abs();  // [n, d]
    auto largest = std::get<0>(magnitude.max(1, /*keepdim=*/true));
    parts.push_back((magnitude > threshold * largest).view(part.x.sizes()));
  }
  return parts.size() == 1 ? parts.front() : torch::cat(parts, 0);
}

/// The fraction of each point's inputs that `annotations` mark: [N], in double.
torch::Tensor annotated_fraction(const torch::Tensor& annotations) {
  return (annotations != 0).flatten(1).to(torch::kDouble).mean(1);
}

std::string fixed(double value, int digits) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(digits) << value;
  return text.str();
}

/// "[find_another] A_t annotates a of d inputs per training example; model t's mask M_c marks
/// m, A_t+1 = A_t | M n": the mean counts per training example.
std::string mask_note(int64_t t, const torch::Tensor& annotations, const torch::Tensor& mask,
                      const torch::Tensor& next, double threshold) {
  const double d = static_cast<double>(values_per_entry(annotations, 1));
  auto per_example = [](const torch::Tensor& marks) {
    return (marks != 0).flatten(1).sum(1).to(torch::kDouble).mean().item<double>();
  };
  const std::string now = std::to_string(t), after = std::to_string(t + 1);
  return "[find_another] A_" + now + " annotates " + fixed(per_example(annotations), 2) + " of " +
         fixed(d, 0) + " inputs per training example; model " + now + "'s mask M_" +
         fixed(threshold, 2) + " marks " + fixed(per_example(mask), 2) + ", A_" + after + " = A_" +
         now + " | M " + fixed(per_example(next), 2);
}

/// Adds iteration t's model run to the trial's report: its metric rows as
/// "iteration-<t>/<metric>", its notes prefixed "iteration-<t>: ", its training record.
void append_iteration(TrialReport& report, int64_t t, const ModelRun& run) {
  const std::string label = "iteration-" + std::to_string(t);
  for (const auto& note : run.notes) report.notes.push_back(label + ": " + note);
  for (MetricSummary m : run.metrics) {
    m.metric = label + "/" + m.metric;
    report.metrics.push_back(std::move(m));
  }
  for (PointValues p : run.points) {
    p.metric = label + "/" + p.metric;
    report.points.push_back(std::move(p));
  }
  report.training = run.training;
  report.trained = true;
  report.explanations = run.explanations;  // the last iteration's stay
}

/// Find-another-explanation (RRR, Ross et al. 2017, §3): model 0 trains with the data's
/// annotations A_0 (none: zeros), model t+1 from a fresh initialization with
/// A_t+1 = A_t ∪ M_c(input gradients of model t on the training inputs). Only the training
/// split's annotations change. Each iteration's metric rows are named "iteration-<t>/<metric>",
/// with "iteration-<t>/annotated_fraction", the mean fraction of a training example's inputs
/// that A_t (model t's annotations) marks; each iteration's files are written to
/// options.output as soon as it ends. Returns the last iteration's model.
std::shared_ptr<Model> find_another(const Pipeline& pipeline, const Registry& registry,
                                    int64_t trial, SplitData& data, const Dataset& shape_source,
                                    const Context& ctx, const RunOptions& options, Cluster* shard,
                                    TrialReport& report) {
  if (ctx.task == Task::regression) {
    throw ConfigError(pipeline.file +
                      ": [find_another] needs a classifier (the predicted class's probability "
                      "is differentiated), but the data's task is regression");
  }
  const uint64_t seed = static_cast<uint64_t>(pipeline.run.integer("seed"));
  const int64_t iterations = find_another_iterations(pipeline);
  const double threshold = pipeline.find_another.real("threshold");
  Batch& train = data.train.points;
  torch::Tensor annotations = train.annotations.defined() ? train.annotations.to(train.x.options())
                                                          : torch::zeros_like(train.x);
  std::shared_ptr<Model> model;
  for (int64_t i = 0; i < iterations; ++i) {
    if (options.log) {
      *options.log << "find_another iteration " << i + 1 << "/" << iterations << '\n';
    }
    train.annotations = annotations;
    // Iteration 0 starts where a run without [find_another] does; each later one afresh.
    const uint64_t init = i == 0 ? detail::stream_seed(seed, "init", trial)
                                 : detail::stream_seed(seed, "find_another/init", trial, i);
    ModelRun run =
        train_and_evaluate(pipeline, registry, data, shape_source, ctx, init, options, shard);
    if (!run.trained) {
      throw ConfigError(pipeline.model.where +
                        ": [find_another] trains a model per iteration, but model '" +
                        pipeline.model.plugin + "' has no trainable parameters");
    }
    model = run.model;
    append_rows(run.metrics, summarize("annotated_fraction", annotated_fraction(annotations)),
                pipeline.model);
    const torch::Tensor mask = explanation_mask(*model, train, threshold, ctx);
    const torch::Tensor next = torch::maximum(annotations, mask.to(annotations.dtype()));
    run.notes.push_back(mask_note(i, annotations, mask, next, threshold));
    report.find_another.push_back({run.metrics, (next != 0).to(torch::kCPU, torch::kUInt8)});
    if (!options.output.empty()) {
      write_find_another_iteration(options.output, trial, i, run.metrics, next);
    }
    append_iteration(report, i, run);
    annotations = next;
  }
  return model;
}

/// Keeps `model` in `report`, with a note when its plugin gives parameters alone.
void keep_model(Model& model, const Pipeline& pipeline, TrialReport& report) {
  report.model = saved_model(model);
  if (!report.model.torchscript) {
    report.notes.push_back("model plugin '" + pipeline.model.plugin +
                           "' exports no TorchScript (it does not support it): " +
                           model_file(report.trial, report.model) +
                           " holds its parameters and buffers alone");
  }
}

/// Trial `trial` of `pipeline`; with `shard`, this rank's block of the test points evaluated and
/// the rows gathered to rank 0 (see run_pipelines).
TrialReport run_trial(const Pipeline& pipeline, const Registry& registry, int64_t trial,
                      const RunOptions& options, Cluster* shard) {
  std::ostream* log = options.log;
  Context ctx = trial_context(pipeline, trial, log);
  const uint64_t seed = static_cast<uint64_t>(pipeline.run.integer("seed"));
  SplitData data = load_splits(pipeline.data, pipeline.base_dir, seed, trial, ctx.dtype);
  data.train = to_device(std::move(data.train), ctx.device);
  data.val = to_device(std::move(data.val), ctx.device);
  data.test = to_device(std::move(data.test), ctx.device);
  const Dataset& shape_source = data.test.size() > 0 ? data.test : data.train;
  ctx.task = shape_source.task;

  TrialReport report;
  report.trial = trial;
  report.notes = data.notes;
  std::shared_ptr<Model> model;
  if (find_another_iterations(pipeline) > 0) {
    model =
        find_another(pipeline, registry, trial, data, shape_source, ctx, options, shard, report);
  } else {
    const TrainCheckpoint checkpoint{trial_state_file(options.output, trial),
                                     pipeline.run.real("checkpoint_every"), options.resume};
    ModelRun run = train_and_evaluate(pipeline, registry, data, shape_source, ctx,
                                      detail::stream_seed(seed, "init", trial), options, shard,
                                      options.output.empty() ? nullptr : &checkpoint);
    model = run.model;
    report.trained = run.trained;
    report.training = run.training;
    report.notes.insert(report.notes.end(), run.notes.begin(), run.notes.end());
    report.metrics = std::move(run.metrics);
    report.points = std::move(run.points);
    report.explanations = std::move(run.explanations);
  }
  report.concepts =
      concept_figures(*model, data.train, data.test, pipeline.run.integer("prototypes"), ctx);
  if (shard == nullptr || shard->rank() == 0) keep_model(*model, pipeline, report);
  return report;
}

std::vector<MetricSummary> aggregate_trials(const std::vector<TrialReport>& trials) {
  std::map<std::pair<std::string, int64_t>, std::vector<double>> means;
  std::vector<std::pair<std::string, int64_t>> order;
  for (const auto& trial : trials) {
    for (const auto& m : trial.metrics) {
      auto key = std::make_pair(m.metric, m.output);
      if (!means.count(key)) order.push_back(key);
      means[key].push_back(m.mean);
    }
  }
  std::vector<MetricSummary> all;
  for (const auto& key : order) {
    auto values = torch::tensor(means[key], torch::kDouble);
    for (const auto& s : summarize(key.first, values)) {
      all.push_back({key.first, key.second, s.mean, s.sd, s.count});
    }
  }
  return all;
}

/// Trial `trial`'s report as an earlier, interrupted run finished it, when resuming one that
/// did; logged. Empty otherwise.
std::optional<TrialReport> finished_trial(const RunOptions& options, int64_t trial) {
  if (!options.resume || options.output.empty()) return std::nullopt;
  const std::string file = finished_trial_file(options.output, trial);
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<TaggedTrial> kept = decode_trials(bytes);
  if (kept.size() != 1 || kept.front().report.trial != trial) {
    throw RunError(file + ": expected trial " + std::to_string(trial) + "'s report");
  }
  if (options.log) *options.log << "trial " << trial + 1 << ": finished before, kept\n";
  return std::move(kept.front().report);
}

/// Keeps a finished trial's report in the run folder, so that a resumed run does not redo it.
void keep_finished_trial(const std::string& folder, const TrialReport& report) {
  write_checkpoint_file(finished_trial_file(folder, report.trial),
                        encode_trials({TaggedTrial{0, report}}));
  std::error_code error;
  std::filesystem::remove(trial_state_file(folder, report.trial), error);  // no longer needed
}

/// One trial of one pipeline of a run.
struct Job {
  size_t pipeline;
  int64_t trial;
};

/// What [run] parallel asks for, "auto" decided: jobs over ranks when there are enough of them.
std::string parallelism(const Pipeline& pipeline, size_t jobs, const Cluster& cluster) {
  const std::string asked = pipeline.run.string("parallel");
  if (asked != "auto") return asked;
  return static_cast<int64_t>(jobs) >= cluster.size() ? "trials" : "points";
}

/// Every rank's trial reports on rank 0, each pipeline's in trial order; none elsewhere.
std::vector<std::vector<TrialReport>> gather_trials(
    Cluster& cluster, const std::vector<std::vector<TrialReport>>& mine) {
  std::vector<TaggedTrial> tagged;
  for (size_t p = 0; p < mine.size(); ++p) {
    for (const TrialReport& trial : mine[p]) tagged.push_back({static_cast<int64_t>(p), trial});
  }
  std::vector<std::vector<TrialReport>> gathered(mine.size());
  for (const std::string& bytes : cluster.gather(encode_trials(tagged))) {
    for (TaggedTrial& trial : decode_trials(bytes)) {
      gathered.at(trial.pipeline).push_back(std::move(trial.report));
    }
  }
  for (auto& trials : gathered) {
    std::sort(trials.begin(), trials.end(),
              [](const TrialReport& a, const TrialReport& b) { return a.trial < b.trial; });
  }
  return gathered;
}

}  // namespace

std::vector<MetricSummary> summarize(const std::string& metric, const torch::Tensor& values) {
  auto v = values.detach().to(torch::kCPU, torch::kDouble);
  const bool per_output = v.dim() == 2;
  if (!per_output) v = v.reshape({-1, 1});
  const int64_t n = v.size(0);
  std::vector<MetricSummary> rows;
  for (int64_t k = 0; k < v.size(1); ++k) {
    auto column = v.select(1, k);
    const double sd = n > 1 ? column.std(/*unbiased=*/true).item<double>() : 0.0;
    rows.push_back({metric, per_output ? k : -1, column.mean().item<double>(), sd, n});
  }
  return rows;
}

RunReport run_pipeline(const Pipeline& pipeline, const Registry& registry,
                       const RunOptions& options) {
  return run_pipelines({pipeline}, registry, options, {options.output}).front();
}

std::vector<RunReport> run_pipelines(const std::vector<Pipeline>& pipelines,
                                     const Registry& registry, const RunOptions& options,
                                     const std::vector<std::string>& outputs) {
  // Every core works through the worker threads that score blocks of points; LibTorch's own
  // threads would split sums by their count, so that a result would depend on it.
  torch::set_num_threads(1);
  std::vector<Job> jobs;
  for (size_t p = 0; p < pipelines.size(); ++p) {
    for (int64_t trial = 0; trial < pipelines[p].run.integer("trials"); ++trial) {
      jobs.push_back({p, trial});
    }
  }
  Cluster* cluster = options.cluster;
  const bool trials_over_ranks =
      cluster != nullptr && parallelism(pipelines.front(), jobs.size(), *cluster) == "trials";
  RunOptions job_options = options;
  std::vector<std::vector<TrialReport>> trials(pipelines.size());
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (trials_over_ranks && static_cast<int64_t>(j % cluster->size()) != cluster->rank()) continue;
    const auto [p, trial] = jobs[j];
    job_options.output = cluster == nullptr ? outputs.at(p) : "";  // rank 0 writes at the end
    if (options.log) {
      *options.log << (pipelines.size() > 1 ? "sweep point " + std::to_string(p) + ", " : "")
                   << "trial " << trial + 1 << "/" << pipelines[p].run.integer("trials") << '\n';
    }
    if (cluster == nullptr && trial == 0 && !job_options.output.empty() && !options.resume &&
        find_another_iterations(pipelines[p]) > 0) {
      begin_find_another_output(job_options.output);
    }
    if (std::optional<TrialReport> kept = finished_trial(job_options, trial)) {
      trials[p].push_back(std::move(*kept));
      continue;
    }
    trials[p].push_back(run_trial(pipelines[p], registry, trial, job_options,
                                  trials_over_ranks ? nullptr : cluster));
    if (!job_options.output.empty()) keep_finished_trial(job_options.output, trials[p].back());
  }
  if (trials_over_ranks) trials = gather_trials(*cluster, trials);
  std::vector<RunReport> reports(pipelines.size());
  if (cluster != nullptr && cluster->rank() != 0) return reports;
  for (size_t p = 0; p < pipelines.size(); ++p) {
    reports[p].trials = std::move(trials[p]);
    reports[p].aggregate = aggregate_trials(reports[p].trials);
  }
  return reports;
}

}  // namespace xreg
