#!/usr/bin/env bash
# ExpO's explanation-metric suite (LIME and MAPLE; point and neighborhood fidelity, stability,
# neighborhood variance) over POINTS test points (default 2000) of Friedman #1, on one thread,
# on 2 worker threads ([run] threads = 2) and on 2 processes ([run] parallel = "points", started
# as torchrun starts them): wall seconds of each whole run, the speed-ups, and whether the three
# runs' files (metrics, explanations) are identical (they must be). Training is a few epochs,
# so that the runs time the suite; the fixed costs (loading plugins, the data, training) are
# measured by the same run without explainers and subtracted for the suite's own speed-up.
# Each is the median of REPEATS runs (default 5), the configurations interleaved, since this
# machine's speed drifts by tens of percent within minutes. Built-in data, nothing read from
# ../shared.
#   [REPEATS=5] bench/scaling_metric_suite.sh [POINTS]
# Run from the repository root after building.
set -euo pipefail
points=${1:-2000}
xreg=./build/bin/xreg
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "runs kept in $out"
cat >"$out/suite.toml" <<TOML
[run]
trials = 1

[data]
format = "builtin"
generator = "friedman1"
samples = $((4 * points))
standardize = "train"
standardize_target = true

[model]
plugin = "mlp"
hidden = [100, 100]

[train]
max_epochs = 3
min_epochs = 3

[[explainer]]
plugin = "lime"

[[explainer]]
plugin = "maple"

[[metric]]
plugin = "point_fidelity"

[[metric]]
plugin = "neighborhood_fidelity"

[[metric]]
plugin = "stability"

[[metric]]
plugin = "neighborhood_variance"
TOML

sed '/^\[\[explainer\]\]/,$d' "$out/suite.toml" >"$out/train_only.toml"
printf '[[metric]]\nplugin = "mse"\n' >>"$out/train_only.toml"

seconds() {  # wall seconds of a command
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
two_processes() {
  local port=$((20000 + RANDOM % 20000))
  for rank in 0 1; do
    RANK=$rank WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$xreg" run "$out/suite.toml" --quiet --output "$out/procs" --set run.threads=1 \
      --set run.parallel=points >/dev/null &
  done
  wait
}
run() { "$xreg" run "$out/suite.toml" --quiet "$@"; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$xreg" run "$out/train_only.toml" --quiet --output "$out/warm" >/dev/null  # load LibTorch once
: >"$out/fixed.s" >"$out/one.s" >"$out/threads.s" >"$out/procs.s"
for _ in $(seq "${REPEATS:-5}"); do
  seconds "$xreg" run "$out/train_only.toml" --quiet --output "$out/fixed" --set run.threads=1 \
    >>"$out/fixed.s"
  echo >>"$out/fixed.s"
  rm -rf "$out/one" "$out/threads" "$out/procs"
  seconds run --output "$out/one" --set run.threads=1 >>"$out/one.s" && echo >>"$out/one.s"
  seconds run --output "$out/threads" --set run.threads=2 >>"$out/threads.s" && echo >>"$out/threads.s"
  seconds two_processes >>"$out/procs.s" && echo >>"$out/procs.s"
done
fixed=$(median <"$out/fixed.s")
one=$(median <"$out/one.s")
threads=$(median <"$out/threads.s")
procs=$(median <"$out/procs.s")
same=identical
for f in metrics.csv metrics_trials.csv metrics_points.csv explanations/lime/trial-0.pt \
  explanations/maple/trial-0.pt; do
  cmp -s "$out/one/$f" "$out/threads/$f" && cmp -s "$out/one/$f" "$out/procs/$f" || same=DIFFERENT
done
echo "ExpO metric suite (LIME, MAPLE; PF, NF, S, NV) on $points Friedman #1 test points, $(nproc) cores:"
echo "  medians of ${REPEATS:-5} runs each"
echo "  1 thread:      ${one} s   (fixed costs, the run without explainers: ${fixed} s)"
echo "  2 threads:     ${threads} s"
echo "  2 processes:   ${procs} s"
awk -v a="$one" -v t="$threads" -v p="$procs" -v f="$fixed" 'BEGIN {
  printf "  speed-up, whole run:       2 threads %.2fx, 2 processes %.2fx\n", a / t, a / p
  printf "  speed-up, the suite alone: 2 threads %.2fx, 2 processes %.2fx\n", (a - f) / (t - f), (a - f) / (p - f) }'
echo "  metrics and explanation files: $same"
