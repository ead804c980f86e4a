#!/usr/bin/env bash
# Memory stability of one executor over hundreds of trials: runs conf/grids/bench-memory.yaml (336 small trials)
# on local[1] (one task at a time, the driver JVM is the executor) and samples the JVM's resident memory and the
# number of finished trials every second. Prints a Markdown summary for BENCHMARKS.md.
# Usage: scripts/bench-memory.sh [out-dir]   (GRADFLOW_JAVA_OPTS sets the heap, default -Xmx1g)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$(mktemp -d /tmp/gradflow-bench-memory.XXXXXX)}"
GRID="$ROOT/conf/grids/bench-memory.yaml"
SAMPLES="$OUT/rss.csv"
mkdir -p "$OUT"
export GRADFLOW_JAVA_OPTS="${GRADFLOW_JAVA_OPTS:--Xmx1g}"

"$ROOT/bin/gradflow" grid --grid "$GRID" --limit 0 >/dev/null   # builds the jar first if needed
"$ROOT/bin/gradflow" sweep --grid "$GRID" --out "$OUT" --master 'local[1]' --overwrite --quiet \
  --conf spark.ui.enabled=false > "$OUT/sweep.log" 2>&1 &
LAUNCHER=$!
echo "seconds,trials_done,rss_kib" > "$SAMPLES"
start=$(date +%s)
while kill -0 "$LAUNCHER" 2>/dev/null; do
  pid=$(pgrep -f "io.gradflow.cli.Main sweep --grid $GRID" | head -1 || true)
  if [ -n "$pid" ]; then
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "")
    done_n=$(ls "$OUT/.bench-memory.incomplete/_progress" 2>/dev/null | grep -c '\.result$' || true)
    [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$done_n,$rss" >> "$SAMPLES"
  fi
  sleep 1
done
wait "$LAUNCHER"

python3 - "$SAMPLES" "$GRADFLOW_JAVA_OPTS" <<'PY'
import csv, sys
rows = [(int(s), int(d), int(r)) for s, d, r in list(csv.reader(open(sys.argv[1])))[1:]]
total = max(d for _, d, _ in rows)
# The trial phase: samples taken while trials were still finishing (the progress count resets to 0 when the
# sweep folder is committed; the final Parquet writing is reported separately).
last_trial_sample = max(i for i, (_, d, _) in enumerate(rows) if 0 < d < total)
trial_phase = rows[:last_trial_sample + 1]
def rss_between(lo, hi):
    window = [r for _, d, r in trial_phase if total * lo <= d < total * hi]
    return max(window)
a, b, c = rss_between(0.05, 0.15), rss_between(0.45, 0.55), rss_between(0.90, 1.0)
peak_trials = max(r for _, _, r in trial_phase)
peak_all = max(r for _, _, r in rows)
print("| heap | trials | seconds | RSS at 10% of trials (MiB) | at 50% | at 90-100% | growth after warm-up | peak while training | peak incl. writing |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {sys.argv[2]} | {total} | {rows[-1][0]} | {a/1024:.0f} | {b/1024:.0f} | {c/1024:.0f} | {100*(c-a)/a:+.1f}% | {peak_trials/1024:.0f} | {peak_all/1024:.0f} |")
PY
echo "samples: $SAMPLES"
