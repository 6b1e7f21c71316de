#!/usr/bin/env bash
# Reproduces ExpO's NeurIPS Table 2 protocol on housing, autompgs, day and music: runs the
# twelve pipelines of examples/expo_uci (None, ExpO-Fidelity, ExpO-1D-Fidelity) and writes, per
# data set, `xreg compare`'s Markdown table of its runs (mean (sd) over trials, each method's
# change and Welch t-test p-value against None) above the reference implementation's figures.
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
compared=$(mktemp)
trap 'rm -f "$compared"' EXIT
{
  echo "# ExpO UCI regression (Table 2 protocol): xreg and the reference"
  for dataset in "${datasets[@]}"; do
    runs=()
    for method in "${methods[@]}"; do
      run="runs/expo_uci/${dataset}_${method}"
      if [ -f "$run/metrics_trials.csv" ]; then runs+=("$run"); fi
    done
    [ ${#runs[@]} -gt 0 ] || continue
    "$xreg" compare "${runs[@]}" --markdown "$compared" >/dev/null
    printf '\n## %s\n\n' "$dataset"
    cat "$compared"
    printf '\nThe reference, mean (sd) over 20 trials:\n\n'
    awk -F, -v dataset="$dataset" '
      BEGIN {
        n = split("MSE LIME-PF MAPLE-PF LIME-NF MAPLE-NF LIME-S MAPLE-S Variance", names, " ")
        split("mse lime/point_fidelity[0] maple/point_fidelity[0] lime/neighborhood_fidelity[0] " \
              "maple/neighborhood_fidelity[0] lime/stability_expo[0] maple/stability[0] " \
              "neighborhood_variance[0]", metrics, " ")
        m = split("None ExpO-Fidelity ExpO-1D-Fidelity", labels, " ")
      }
      $2 == dataset { ref[$4, $3] = sprintf("%.4g (%.4g)", $5, $6) }
      END {
        printf "| metric |"; for (j = 1; j <= m; j++) printf " %s |", labels[j]; print ""
        printf "|---|"; for (j = 1; j <= m; j++) printf "---:|"; print ""
        for (i = 1; i <= n; i++) {
          printf "| %s (%s) |", metrics[i], names[i]
          for (j = 1; j <= m; j++) printf " %s |", ((names[i], labels[j]) in ref) ? ref[names[i], labels[j]] : "–"
          print ""
        }
      }' "$reference"
  done
} > "$table.tmp"
mv "$table.tmp" "$table"
echo "wrote $table" >&2
