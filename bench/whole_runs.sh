#!/usr/bin/env bash
# Whole runs, not warm kernels: hyperfine (Debian's `hyperfine`) times `xreg run` from start to
# exit, loading LibTorch and the plugins, reading the data, training or loading the model,
# explaining, scoring and writing the run folder, one thread:
#   - the shared housing model (examples/housing_explanations.toml, one trial, 127 test points)
#     scored by MSE alone, and with LIME and point fidelity: their difference over 127 is what
#     a LIME explanation costs in a real run, set beside marcotcr/lime's per explanation when
#     XREG_PEERS_JSON names this session's peer figures (../shared/peers/bench_peers.py);
#   - the quickstart (examples/quickstart.toml: 3 sweep points x 3 trials, training included).
#   bench/whole_runs.sh [RUNS]     # RUNS timed runs of each (default 7), after one warm-up
# Run from the repository root after building; reads ../shared/models.
set -euo pipefail
runs=${1:-7}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_NUM_THREADS=1
xreg="./build/bin/xreg run --quiet --set run.threads=1"
housing="$xreg examples/housing_explanations.toml --output $out/housing --set run.trials=1"
mse_only="$housing --set 'explainer=[]' --set 'metric=[{plugin=\"mse\"}]'"
with_lime="$housing --set 'explainer=[{plugin=\"lime\"}]'"
with_lime+=" --set 'metric=[{plugin=\"mse\"},{plugin=\"point_fidelity\"}]'"
quickstart="$xreg examples/quickstart.toml --output $out/quickstart"

hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$out/times.json" \
  -n "housing, MSE only" "$mse_only" -n "housing, LIME + point fidelity" "$with_lime" \
  -n "quickstart" "$quickstart"

/usr/bin/python3 - "$out/times.json" "${XREG_PEERS_JSON:-}" <<'EOF'
import json, statistics, sys
results = {r["command"]: r["times"] for r in json.load(open(sys.argv[1]))["results"]}
mse, lime = results["housing, MSE only"], results["housing, LIME + point fidelity"]
per = (statistics.median(lime) - statistics.median(mse)) / 127
print(f"LIME + point fidelity in a whole run: {per * 1e3:.2f} ms per explanation "
      f"(difference of the medians over 127 points)")
# XREG_PEERS_JSON may name several files (a.json:b.json); the first with the figure gives it.
figures = [json.load(open(f))["figures"] for f in sys.argv[2].split(":") if f]
peers = [f["lime_marcotcr"]["per_explanation_s"]["median"] for f in figures if "lime_marcotcr" in f]
if peers and per > 0:
    print(f"  marcotcr/lime in this session: {peers[0] * 1e3:.2f} ms per explanation; "
          f"xreg {peers[0] / per:.1f}x faster")
EOF
