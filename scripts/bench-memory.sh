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
def rss_at(frac):
    # the highest RSS sampled while the number of finished trials was around frac of the total
    lo, hi = int(total * (frac - 0.05)), int(total * (frac + 0.05))
    window = [r for _, d, r in rows if lo <= d <= hi]
    return max(window) if window else None
print(f"| heap | trials | seconds | RSS after 10% (MiB) | after 50% | after 100% | growth 10%→100% | peak |")
print(f"|---|---|---|---|---|---|---|---|")
a, b, c = rss_at(0.10), rss_at(0.50), rss_at(0.97)
peak = max(r for _, _, r in rows)
print(f"| {sys.argv[2]} | {total} | {rows[-1][0]} | {a/1024:.0f} | {b/1024:.0f} | {c/1024:.0f} | {100*(c-a)/a:+.1f}% | {peak/1024:.0f} |")
PY
echo "samples: $SAMPLES"
