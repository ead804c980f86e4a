#!/usr/bin/env bash
# Time of `gradflow report` on a 1,008-trial sweep (conf/grids/bench-report.yaml), from JVM start to the printed
# summary, run three times. The sweep itself is run once first (skipped when it already exists in OUT).
# Usage: scripts/bench-report.sh [out-dir]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-/tmp/gradflow-bench-report}"
GRID="$ROOT/conf/grids/bench-report.yaml"
if [ ! -d "$OUT/bench-report/trials" ]; then
  "$ROOT/bin/gradflow" sweep --grid "$GRID" --out "$OUT" --quiet --overwrite > "$OUT.sweep.log" 2>&1
fi
trials=$(sed -n 's/.*"trials_written" : \([0-9]*\).*/\1/p' "$OUT/bench-report/manifest.json")
for i in 1 2 3; do
  start=$(date +%s%N)
  "$ROOT/bin/gradflow" report "$OUT/bench-report" > "$OUT.report.log" 2>&1
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  printf 'run %d: gradflow report on %d trials took %d.%01d s\n' "$i" "$trials" $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
done
