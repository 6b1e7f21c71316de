#!/usr/bin/env bash
# Data-parallel training of the housing MLP (examples/expo_uci/housing_none.toml: 12→100×5→1,
# Adam, batches of 128; or another pipeline, such as housing_fidelity.toml, whose ExpO-Fidelity
# batch of 16 points × 24 neighbors the ranks split as they split the minibatch) on 1 and on 2
# processes of this machine, started as torchrun starts them
# (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) with [run] parallel = "data": seconds per epoch
# and the ratio, and the test MSE of each, which agree up to float summation order. Fixed-length
# training (EPOCHS, default 200) so that both runs do the same work; one trial; no explainers.
#   bench/data_parallel_housing.sh [EPOCHS] [PIPELINE]
# Run from the repository root after building; reads ../shared/data/uci/housing.csv.
set -euo pipefail
epochs=${1:-200}
xreg=./build/bin/xreg
pipeline=${2:-examples/expo_uci/housing_none.toml}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sets=(--set run.trials=1 --set run.parallel=data --set "train.max_epochs=$epochs"
      --set "train.min_epochs=$epochs" --set 'explainer=[]' --set 'metric=[{plugin="mse"}]')

seconds_per_epoch() {  # metrics.json of a run folder: train_seconds / epochs of trial 0
  sed -n 's/.*"epochs": \([0-9]*\).*"train_seconds": \([0-9.e+-]*\).*/\2 \1/p' "$1/metrics.json" |
    awk '{ printf "%.4f", $1 / $2 }'
}
mse() { sed -n 's/^mse,,\([^,]*\),.*/\1/p' "$1/metrics.csv"; }

"$xreg" run "$pipeline" --quiet --output "$out/one" "${sets[@]}" >/dev/null
port=$((20000 + RANDOM % 20000))
for rank in 0 1; do
  RANK=$rank WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$xreg" run "$pipeline" --quiet --output "$out/two" "${sets[@]}" >/dev/null &
done
wait
one=$(seconds_per_epoch "$out/one") two=$(seconds_per_epoch "$out/two")
echo "$pipeline, $epochs epochs, data-parallel:"
echo "  1 process:   $one s/epoch  test MSE $(mse "$out/one")"
echo "  2 processes: $two s/epoch  test MSE $(mse "$out/two")"
awk -v a="$one" -v b="$two" 'BEGIN { printf "  speed-up:    %.2fx\n", a / b }'
