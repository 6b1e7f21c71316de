#!/usr/bin/env bash
# Reproduces ExpO's NeurIPS Table 2 protocol on housing, autompgs, day and music: runs the
# twelve pipelines of examples/expo_uci (None, ExpO-Fidelity, ExpO-1D-Fidelity) and writes a
# Markdown table of mean (sd) over trials beside the reference implementation's figures.
#   bench/run_expo_uci.sh [TRIALS [DATASET...]]
# TRIALS overrides each file's trials (20); DATASETS default to all four. The table
# (docs/expo_uci.md) covers every run present under runs/expo_uci, so datasets can be run
# with different trial counts one after the other. TRIALS=0 only rewrites the table.
# Run from the repository root after building; reads ../shared/reference for the reference.
set -euo pipefail
trials=${1:-}
shift || true
selected=("$@")
table=docs/expo_uci.md
xreg=./build/bin/xreg
reference=../shared/reference/table2_neurips_uci_repo.csv
datasets=(housing autompgs day music)
methods=(none fidelity fidelity_1d)
[ ${#selected[@]} -gt 0 ] || selected=("${datasets[@]}")

for dataset in "${selected[@]}"; do
  [ "$trials" = 0 ] && break
  for method in "${methods[@]}"; do
    args=(run "examples/expo_uci/${dataset}_${method}.toml" --quiet --output "runs/expo_uci/${dataset}_${method}")
    [ -n "$trials" ] && args+=(--set "run.trials=$trials")
    echo "== $dataset $method" >&2
    "$xreg" "${args[@]}" >/dev/null
  done
done

mkdir -p "$(dirname "$table")"
{
  echo "| dataset | method | metric | xreg mean (sd) | trials | reference mean (sd), 20 trials |"
  echo "|---|---|---|---|---|---|"
  for dataset in "${datasets[@]}"; do
    for method in "${methods[@]}"; do
      results="runs/expo_uci/${dataset}_${method}/metrics.csv"
      [ -f "$results" ] || continue
      awk -F, -v dataset="$dataset" -v method="$method" -v reference="$reference" '
        BEGIN {
          names["mse"] = "MSE"; names["lime/point_fidelity"] = "LIME-PF";
          names["lime/neighborhood_fidelity"] = "LIME-NF"; names["lime/stability_expo"] = "LIME-S";
          names["maple/point_fidelity"] = "MAPLE-PF"; names["maple/neighborhood_fidelity"] = "MAPLE-NF";
          names["maple/stability"] = "MAPLE-S"; names["neighborhood_variance"] = "Variance";
          label["none"] = "None"; label["fidelity"] = "ExpO-Fidelity"; label["fidelity_1d"] = "ExpO-1D-Fidelity";
          while ((getline line < reference) > 0) {
            split(line, f, ",");
            if (f[2] == dataset && f[3] == label[method]) ref[f[4]] = sprintf("%.3g (%.2g)", f[5], f[6]);
          }
        }
        NR > 1 && ($1 in names) {
          printf "| %s | %s | %s | %.3g (%.2g) | %s | %s |\n", dataset, label[method], names[$1], $3, $4, $5, ref[names[$1]]
        }' "$results"
    done
  done
} > "$table"
echo "wrote $table" >&2
