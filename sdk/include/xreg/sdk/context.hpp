#pragma once
/// The run context every plugin call receives: the run's seed and per-point random streams,
/// the device and dtype tensors live on, the memory budget, the data's task, this process's
/// rank, logging and progress. The host owns it; plugins read it and never keep a reference
/// beyond the call.
///
/// Determinism rule: a random draw for point i depends only on (run seed, stream name, global
/// index i, draw number), never on batch size, thread count or process count. Use
/// `normal`/`uniform`/`integers` below instead of torch's global generator: they compute every
/// point's values at once with the counter-based Philox4x32-10 (detail/philox.hpp), the point's
/// full 64-bit index in the counter, so no two points' streams ever coincide.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "xreg/sdk/data.hpp"
#include "xreg/sdk/detail/philox.hpp"
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
  /// The default keeps a pass's activations (rows × a hundred float32 units) below glibc's
  /// mmap threshold, so that passes reuse memory instead of faulting in fresh pages each time.
  int64_t max_rows_per_pass = 32768;
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

  /// A CPU torch generator (mt19937) for one stream, seeded from (seed, stream, index, draw):
  /// for draws that need one (a permutation, a tree's bootstrap) over a few streams, as its
  /// seed keeps 32 bits. Per-point draws: normal, uniform, integers.
  at::Generator generator(std::string_view stream, int64_t index, int64_t draw = 0) const {
    return at::make_generator<at::CPUGeneratorImpl>(detail::stream_seed(seed, stream, index, draw));
  }

  /// Standard normal noise [N, shape...]: row i from the stream of global index `index[i]`.
  torch::Tensor normal(std::string_view stream, const torch::Tensor& index,
                       torch::IntArrayRef shape, int64_t draw = 0) const {
    return per_point(stream, index, shape, draw, detail::NormalValues{})
        .to(torch::TensorOptions().dtype(dtype).device(device));
  }

  /// Uniform noise in [low, high) [N, shape...], per point as `normal`.
  torch::Tensor uniform(std::string_view stream, const torch::Tensor& index,
                        torch::IntArrayRef shape, double low, double high, int64_t draw = 0) const {
    auto unit = per_point(stream, index, shape, draw, detail::UnitValues{}).to(dtype);
    return (unit * (high - low) + low).to(device);
  }

  /// Integers in [0, high) [N, shape...] (int64), per point as `normal`; high >= 1.
  torch::Tensor integers(std::string_view stream, const torch::Tensor& index,
                         torch::IntArrayRef shape, int64_t high, int64_t draw = 0) const {
    TORCH_CHECK(high >= 1, "integers in [0, ", high, "): high must be at least 1");
    return per_point(stream, index, shape, draw, detail::IntegersBelow{static_cast<uint64_t>(high)})
        .to(device);
  }

 private:
  /// [N, shape...] values on the CPU: point i's from the counters of global index index[i].
  template <class Values>
  torch::Tensor per_point(std::string_view stream, const torch::Tensor& index,
                          torch::IntArrayRef shape, int64_t draw, const Values& values) const {
    auto ids = index.to(torch::kCPU, torch::kLong).contiguous();
    std::vector<int64_t> full{ids.numel()};
    full.insert(full.end(), shape.begin(), shape.end());
    constexpr auto kind =
        std::is_same_v<typename Values::Value, float> ? torch::kFloat : torch::kLong;
    auto out = torch::empty(full, torch::TensorOptions().dtype(kind));
    const int64_t each = ids.numel() == 0 ? 0 : out.numel() / ids.numel();
    using Value = typename Values::Value;
    detail::philox_fill(detail::stream_key(seed, stream, draw), ids.data_ptr<int64_t>(),
                        ids.numel(), each, static_cast<Value*>(out.data_ptr()), values);
    return out;
  }
};

}  // namespace xreg
