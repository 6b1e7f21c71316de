#pragma once
// What every benchmark needs: the shared housing model and splits, plugins with defaults, and
// a median timer, and the Python peers' figures of this session. Benchmarks run on one thread, as
// ../shared/peers/bench_peers.py measures the peers.

#include <torch/torch.h>

#include <algorithm>
// property_tree reaches boost/bind.hpp, which otherwise warns about its global placeholders.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "xreg/host/config/host_schemas.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/plugin/registry.hpp"
#include "xreg/host/run/determinism.hpp"
#include "xreg/host/run/process_settings.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg::bench {

inline std::string shared_path(const std::string& relative) {
  return std::string(XREG_SHARED_DIR) + "/" + relative;
}

/// A schema's defaults with `overrides` applied.
inline Params with_defaults(const Schema& schema, const Params& overrides = {}) {
  Params params;
  for (const auto& p : schema) {
    if (p.default_value) params.set(p.name, *p.default_value);
  }
  for (const auto& [key, value] : overrides.values()) params.set(key, value);
  return params;
}

template <class T>
std::shared_ptr<T> create(const Registry& registry, const std::string& name,
                          const Params& overrides = {}) {
  const PluginInfo* info = registry.find(T::kind, name);
  if (!info) throw std::runtime_error("plugin '" + name + "' was not built");
  return registry.create<T>(name, with_defaults(info->schema, overrides));
}

/// The median wall time of `runs` calls of `work`, in seconds.
template <class Work>
double median_seconds(int runs, Work&& work) {
  std::vector<double> seconds;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + runs / 2, seconds.end());
  return seconds[runs / 2];
}

/// A figure of the Python peers measured on this machine in this session: `key` (such as
/// "lime_marcotcr.per_explanation_s.median") in the JSON files that ../shared/peers/bench_peers.py
/// and bench/peers_many_features.py wrote, named by the environment variable XREG_PEERS_JSON
/// (several separated by ':'; the first that holds the key gives it). nullopt, after saying how
/// to measure it, when the variable or the figure is missing: a ratio is only ever printed
/// against a figure from the same machine and session, never against a constant from elsewhere.
inline std::optional<double> peer_figure(const std::string& key) {
  const char* files = std::getenv("XREG_PEERS_JSON");
  if (files == nullptr) {
    std::printf(
        "  (no peer ratio: run ../shared/peers/bench_peers.py and bench/peers_many_features.py in "
        "this session and set XREG_PEERS_JSON to their outputs, separated by ':')\n");
    return std::nullopt;
  }
  std::string problems;
  std::stringstream list(files);
  for (std::string file; std::getline(list, file, ':');) {
    try {
      boost::property_tree::ptree figures;
      boost::property_tree::read_json(file, figures);
      return figures.get_child("figures").get<double>(key);
    } catch (const std::exception& error) {
      problems += std::string(problems.empty() ? "" : "; ") + error.what();
    }
  }
  std::printf("  (no peer ratio: no figure %s in %s: %s)\n", key.c_str(), files, problems.c_str());
  return std::nullopt;
}

/// "  <label>: <figure> <unit> measured by the peers; xreg <ratio>x faster" when the peers'
/// figure `key` (seconds) is there, `xreg_seconds` being xreg's figure for the same work.
inline void print_peer_ratio(const char* label, const std::string& key, double xreg_seconds) {
  const std::optional<double> peer = peer_figure(key);
  if (!peer) return;
  std::printf("  %s: %.4g ms in this session; xreg %.1fx faster\n", label, *peer * 1e3,
              *peer / xreg_seconds);
}

/// What a benchmark explains: the build tree's plugins, a data set's splits and a model.
struct Workload {
  Registry registry;
  SplitData splits;
  std::shared_ptr<Model> model;
};

/// The build tree's plugins on one thread, deterministic BLAS; nullptr (after saying so) when
/// `needed` of ../shared is not there.
inline std::unique_ptr<Workload> start_workload(const char* program, const std::string& needed) {
  if (!std::filesystem::exists(shared_path(needed))) {
    std::printf("%s: %s is not there; nothing measured\n", program, shared_path(needed).c_str());
    return nullptr;
  }
  make_blas_deterministic();
  keep_freed_memory();
  torch::set_num_threads(1);
  auto workload = std::make_unique<Workload>();
  workload->registry.load_directory(XREG_PLUGIN_BUILD_DIR);
  return workload;
}

/// The shared housing model and its splits, as peers.md measures on them.
inline std::unique_ptr<Workload> load_housing(const char* program) {
  auto housing = start_workload(program, "models/housing_mlp.pt");
  if (!housing) return nullptr;
  Params data;
  data.set("train", shared_path("models/housing_train.csv"));
  data.set("val", shared_path("models/housing_val.csv"));
  data.set("test", shared_path("models/housing_test.csv"));
  data.set("header", std::string("no"));
  data.set("standardize", std::string("none"));
  housing->splits = load_splits(with_defaults(data_schema(), data), ".", 0, 0, torch::kFloat);
  Params model;
  model.set("path", shared_path("models/housing_mlp.pt"));
  housing->model = create<Model>(housing->registry, "torchscript", model);
  housing->model->build(ModelShape{{12}, 1, Task::regression}, Context{});
  return housing;
}

/// Many features: the shared music set (70 features with the row index, as ExpO's loader keeps it;
/// 529 training rows; ExpO's 50/25/25 split, standardized) and an MLP 70→100→100→1 at its seeded
/// initialization, the workload that bench/peers_many_features.py gives the peers.
inline std::unique_ptr<Workload> load_music(const char* program) {
  auto music = start_workload(program, "data/uci/music.csv");
  if (!music) return nullptr;
  Params data;
  data.set("path", shared_path("data/uci/music.csv"));
  data.set("standardize_target", true);
  music->splits = load_splits(with_defaults(data_schema(), data), ".", 0, 0, torch::kFloat);
  const int64_t d = music->splits.train.points.x.size(1);
  Params hidden;
  hidden.set("hidden", std::vector<int64_t>{100, 100});
  torch::manual_seed(0);
  music->model = create<Model>(music->registry, "mlp", hidden);
  music->model->build(ModelShape{{d}, 1, Task::regression}, Context{});
  return music;
}

}  // namespace xreg::bench
