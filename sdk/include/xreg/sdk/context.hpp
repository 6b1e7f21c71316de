#pragma once
/// The run context every plugin call receives: the run's seed and per-point random streams,
/// the device and dtype tensors live on, the memory budget, the data's task, this process's
/// rank, logging and progress. The host owns it; plugins read it and never keep a reference
/// beyond the call.
///
/// Determinism rule: a random draw for point i depends only on (run seed, stream name, global
/// index i, draw number), never on batch size, thread count or process count. Use
/// `normal`/`uniform`/`integers` below instead of torch's global generator.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "xreg/sdk/data.hpp"
#include "xreg/sdk/detail/streams.hpp"

namespace xreg {

enum class LogLevel { debug, info, warning };

class Context {
 public:
  /// Run seed; with a stream name it determines every random draw.
  uint64_t seed = 0;
  /// Device of the model and of every tensor a plugin creates.
  torch::Device device = torch::kCPU;
  /// Floating-point type of data and models.
  torch::Dtype dtype = torch::kFloat32;
  /// Memory budget: the most rows one forward pass of the model may take. Plugins that expand
  /// points into neighborhoods split their work so no pass exceeds it, nor max_values_per_pass.
  int64_t max_rows_per_pass = 262144;
  /// Where log lines go; the host sets it. Default: nowhere.
  std::function<void(LogLevel, const std::string&)> log_sink;
  /// Reports progress of long work (done, total); may be empty.
  std::function<void(int64_t, int64_t)> progress_sink;

  /// What the run's targets are (the task of every split of its data), so that an explainer or
  /// regularizer knows how the model's outputs read: regression values or logits.
  Task task = Task::regression;
  /// This process's rank among `world_size` processes of a distributed run (0 of 1 otherwise).
  /// Results must not depend on them: a point's draws are keyed on its global index.
  int64_t rank = 0;
  int64_t world_size = 1;
  /// Memory budget by size: the most values (rows × values per row) one pass may hold, so that
  /// wide points (an image, a neighborhood) get fewer rows per pass. 2^25 values are 128 MiB of
  /// float32. Appended in ABI 2.2; see rows_per_pass.
  int64_t max_values_per_pass = int64_t{1} << 25;

  /// The most rows of `values_per_row` values each that one pass may hold: the smaller of the
  /// two budgets, and at least one row.
  int64_t rows_per_pass(int64_t values_per_row) const {
    const int64_t by_size = max_values_per_pass / std::max<int64_t>(1, values_per_row);
    return std::max<int64_t>(1, std::min(max_rows_per_pass, by_size));
  }

  void log(LogLevel level, const std::string& message) const {
    if (log_sink) log_sink(level, message);
  }
  /// `done` of `total` units of one piece of work (points explained, say); the host shows it.
  void progress(int64_t done, int64_t total) const {
    if (progress_sink) progress_sink(done, total);
  }

  /// A CPU generator for one stream of one point.
  at::Generator generator(std::string_view stream, int64_t index, int64_t draw = 0) const {
    return at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, stream, index, draw));
  }

  /// Standard normal noise [N, shape...]: row i from the stream of global index `index[i]`.
  torch::Tensor normal(std::string_view stream, const torch::Tensor& index,
                       torch::IntArrayRef shape, int64_t draw = 0) const {
    return per_point(stream, index, shape, draw,
                     [](torch::Tensor& t, at::Generator& g) { t.normal_(0.0, 1.0, g); });
  }

  /// Uniform noise in [low, high) [N, shape...], per point as `normal`.
  torch::Tensor uniform(std::string_view stream, const torch::Tensor& index,
                        torch::IntArrayRef shape, double low, double high, int64_t draw = 0) const {
    return per_point(stream, index, shape, draw,
                     [=](torch::Tensor& t, at::Generator& g) { t.uniform_(low, high, g); });
  }

  /// Integers in [0, high) [N, shape...] (int64), per point as `normal`.
  torch::Tensor integers(std::string_view stream, const torch::Tensor& index,
                         torch::IntArrayRef shape, int64_t high, int64_t draw = 0) const {
    auto values = per_point(stream, index, shape, draw,
                            [=](torch::Tensor& t, at::Generator& g) { t.random_(0, high, g); });
    return values.to(torch::kLong);
  }

 private:
  template <class Fill>
  torch::Tensor per_point(std::string_view stream, const torch::Tensor& index,
                          torch::IntArrayRef shape, int64_t draw, Fill fill) const {
    auto idx = index.to(torch::kCPU, torch::kLong).contiguous();
    const int64_t n = idx.numel();
    std::vector<int64_t> full{n};
    full.insert(full.end(), shape.begin(), shape.end());
    // Drawn on the CPU, so values do not depend on the device, in the context's dtype.
    auto out = torch::empty(full, torch::TensorOptions().dtype(dtype));
    const int64_t* ids = idx.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      auto gen = generator(stream, ids[i], draw);
      auto row = out[i];
      fill(row, gen);
    }
    return out.to(device);
  }
};

}  // namespace xreg
