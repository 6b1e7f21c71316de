"""The Python peers on many features, for bench_maple's and bench_explanation_metrics's music
figures: ExpO's MAPLE (Code/SLIM.py) and ExpO's metrics_lime / metrics_maple, called unchanged,
on the workload bench/bench_support.hpp's load_music gives xreg. That is the shared music set
(../shared/data/uci/music.csv; the row-index column stays a feature, as ExpO's loader keeps it:
70 features), split 50/25/25 at random, features and target standardized with the training
split's statistics, and an MLP 70->100->100->1 at its initialization as xreg's mlp plugin makes
it (leaky ReLU of slope 0.2, Glorot-uniform weights, zero biases; float32). One thread, as ../shared/peers/bench_peers.py measures.

  MIRRORS=<mirrors> bash ../shared/peers/setup_peers.sh      # once: the peers' code
  eval "$(MIRRORS=<mirrors> bash ../shared/peers/setup_peers.sh --print-env)"
  /usr/bin/python3 bench/peers_many_features.py --out /tmp/peers-results/many.json

Then XREG_PEERS_JSON=/tmp/peers-results/peers.json:/tmp/peers-results/many.json for the
benchmarks. Figures: maple_music.{fit_s,per_explanation_s}.median and
expo_metrics_music.wall_s_per_full_metric_over_seeds.{lime,maple}_wall_s.median (seconds).
Reads ../shared; writes only the --out file.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")
sys.path.insert(0, os.path.join(SHARED, "peers"))
import common  # noqa: E402  (sets the thread counts before numpy and torch load)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_peers import TorchWrapper, seed_all  # noqa: E402


def music_splits(seed):
    """Train, validation and test features and targets, standardized by the training split."""
    table = np.loadtxt(os.path.join(SHARED, "data", "uci", "music.csv"), delimiter=",", skiprows=1)
    x, y = table[:, :-1], table[:, -1]
    order = np.random.RandomState(seed).permutation(len(x))
    train, val, test = np.split(order, [len(x) // 2, len(x) * 3 // 4])
    mean, sd = x[train].mean(0), x[train].std(0, ddof=1)
    sd[sd == 0] = 1
    y_mean, y_sd = y[train].mean(), y[train].std(ddof=1)
    return [((x[rows] - mean) / sd, (y[rows] - y_mean) / y_sd) for rows in (train, val, test)]


def mlp(features):
    """The mlp plugin's defaults: leaky ReLU (0.2), Glorot-uniform weights, zero biases."""
    torch.manual_seed(0)
    layers, width = [], features
    for out in (100, 100, 1):
        linear = torch.nn.Linear(width, out)
        torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.LeakyReLU(0.2)]
        width = out
    return torch.nn.Sequential(*layers[:-1]).eval()


def time_maple(wrapper, x_train, x_val, x_test, fits, passes):
    from SLIM import SLIM as MAPLE  # ExpO Code/SLIM.py, as bench_peers.py's maple section
    fit_times, fitted = [], None
    for seed in range(fits):
        seed_all(seed)
        start = time.perf_counter()
        fitted = MAPLE(x_train, wrapper.predict(x_train)[:, 0], x_val, wrapper.predict(x_val)[:, 0])
        fit_times.append(time.perf_counter() - start)
    points = list(range(len(x_test)))
    per_call, _ = common.time_calls(lambda j: fitted.explain(x_test[j]), points, repeats=passes)
    return {"fit_s": common.stats(fit_times), "per_explanation_s": common.stats(per_call),
            "retained_features": int(fitted.retain), "fits": fits, "passes": passes}


def time_metrics(wrapper, x_train, x_val, x_test, seeds):
    import ExplanationMetrics as metrics  # ExpO's, called unchanged
    walls = {"lime_wall_s": [], "maple_wall_s": []}
    for seed in seeds:
        seed_all(seed)
        start = time.perf_counter()
        metrics.metrics_maple(wrapper, x_train, x_val, x_test, stddev=0.1)
        walls["maple_wall_s"].append(time.perf_counter() - start)
        start = time.perf_counter()
        metrics.metrics_lime(wrapper, x_train, x_test, stddev=0.1)
        walls["lime_wall_s"].append(time.perf_counter() - start)
        print("  seed %d: %s" % (seed, {k: round(v[-1], 3) for k, v in walls.items()}), flush=True)
    return {"wall_s_per_full_metric_over_seeds": {k: common.stats(v) for k, v in walls.items()},
            "seeds": seeds}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--maple-fits", type=int, default=3)
    parser.add_argument("--passes", type=int, default=2, help="passes over the test points")
    parser.add_argument("--seeds", default="0,1,2", help="metric seeds")
    parser.add_argument("--n-metric-points", type=int, default=0, help="0: every test point")
    args = parser.parse_args()
    args.out = os.path.abspath(args.out)
    common.add_peer_paths()
    (x_train, _), (x_val, _), (x_test, _) = music_splits(seed=0)
    wrapper = TorchWrapper(mlp(x_train.shape[1]))
    config = {"data": "music.csv", "features": int(x_train.shape[1]), "train": len(x_train),
              "val": len(x_val), "test": len(x_test), "model": "MLP 70-100-100-1 at init (leaky ReLU 0.2, Glorot)",
              "maple": "SLIM defaults (200 trees)", "env": common.env_info()}
    print("[maple_music] running ...", flush=True)
    figures = {"maple_music": time_maple(wrapper, x_train, x_val, x_test, args.maple_fits,
                                         args.passes)}
    points = x_test[: args.n_metric_points or len(x_test)]
    config["metric_points"] = len(points)
    print("[expo_metrics_music] running ...", flush=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    figures["expo_metrics_music"] = time_metrics(wrapper, x_train, x_val, points, seeds)
    common.write_json(args.out, {"config": config, "figures": figures})
    for key, value in (("MAPLE fit", figures["maple_music"]["fit_s"]),
                       ("MAPLE per explanation", figures["maple_music"]["per_explanation_s"])):
        print("%s: median %.4g s" % (key, value["median"]))
    for key, value in figures["expo_metrics_music"]["wall_s_per_full_metric_over_seeds"].items():
        print("%s: median %.4g s" % (key, value["median"]))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
