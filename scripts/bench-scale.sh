#!/usr/bin/env bash
# Scale benchmark (BENCHMARKS.md, "Scale"): sweeps of near-zero-cost trials on local[2] at growing sizes, and
# `gradflow report` on synthetic sweep folders of a real sweep's shape (bench.SyntheticSweep: the bench-report
# sweep's rows copied as extra seeds). For each: wall time, peak RSS (GNU time), and for sweeps the task count (one
# part file each), the slots' busy share between the first trial's start and the last trial's end, and the
# driver's phases from its log; with two sweep sizes or more, the driver's CPU per additional trial between them
# (the slope of its CPU while the trials ran, apart from the sweep's fixed part). Usage:
#   scripts/bench-scale.sh [--sweeps "100 1000 10000"] [--reports "10 100"] [--combos "700"] [--heap N] [OUT]
# --reports gives copy counts of the 1,008-trial bench-report sweep (10 → 10,080 trials, 1000 → 1,008,000).
# --combos gives copy counts for synthetic sweeps of many combinations: the bench-report sweep's first seed (144
# combinations) copied as new values of an added batch_size axis (700 → 100,800 combinations, one trial each).
# --heap N starts a sweep of N near-zero trials (1000 learning rates × N/1000 seeds), reads the driver JVM's live
# heap (jcmd GC.class_histogram, which collects fully first) once the first task has started and again HEAP_WAIT seconds (default 90) later,
# then stops it with SIGTERM (the journal keeps what finished; nothing is resumed). With HEAP_FULL=1 it instead
# waits for the last trial, reads the live heap then, and lets the sweep finish (datasets, analysis, report).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SWEEPS="100 1000 10000"
REPORTS="10 100"
COMBOS=""
HEAP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sweeps) SWEEPS="$2"; shift 2 ;;
    --reports) REPORTS="$2"; shift 2 ;;
    --combos) COMBOS="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    *) break ;;
  esac
done
OUT="${1:-/tmp/gradflow-bench-scale}"
mkdir -p "$OUT"
GF="$ROOT/bin/gradflow"
# shellcheck source=java17-opens.sh
. "$ROOT/scripts/java17-opens.sh"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%.0f MiB", $1/1024}'; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

echo "| trials | tasks | wall | sweep wall time (gradflow) | Σ trial time / slot time | task slots busy (Spark) | driver CPU per trial | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
: > "$OUT/driver-cpu.txt"
for n in $SWEEPS; do
  grid="$OUT/zero-$n.yaml"
  {
    echo "name: zero-$n"
    echo "seeds: [$(seq -s ', ' 1 "$n")]"
    echo "axes:"
    echo "  activation: [relu]"
    echo "training: {depth: 1, width: 2, steps: 1, batch_size: 8}"
    echo "dataset: {kind: blobs, samples: 40, classes: 2, features: 2}"
  } > "$grid"
  /usr/bin/time -v "$GF" sweep --grid "$grid" --out "$OUT" --master 'local[2]' --overwrite --max-trials 10000000 \
    > "$OUT/zero-$n.out" 2> "$OUT/zero-$n.err" || { echo "sweep $n failed; see $OUT/zero-$n.err" >&2; exit 1; }
  tasks=$(sed -n 's/.*trials in \([0-9]*\) tasks.*/\1/p' "$OUT/zero-$n.err" | head -1)
  gwall=$(sed -n 's/.*sweep wall time \([0-9:]*\).*/\1/p' "$OUT/zero-$n.out" | head -1)
  rm -f "$OUT/busy-$n.csv"
  "$GF" sql "$OUT/zero-$n" "SELECT round(100 * sum(wall_time_ms) / (2 * (max(unix_millis(started_at) + wall_time_ms) - min(unix_millis(started_at)))), 1) AS busy FROM trials" --csv "$OUT/busy-$n.csv" >/dev/null 2>&1
  busy=$(tail -n 1 "$OUT/busy-$n.csv")
  sbusy=$(sed -n 's/.*task slots busy \([0-9.]*%\).*/\1/p' "$OUT/zero-$n.err" | head -1)
  cpu=$(sed -n 's/.*(\([0-9.]* ms\) per trial).*/\1/p' "$OUT/zero-$n.err" | head -1)
  echo "| $n | $tasks | $(wall "$OUT/zero-$n.err") | $gwall | ${busy}% | $sbusy | $cpu | $(rss "$OUT/zero-$n.err") |"
  running=$(sed -n 's/.* ms to start the job, \([0-9]*\) ms while .*/\1/p' "$OUT/zero-$n.err" | head -1)
  if [ -n "$running" ]; then echo "$n $running" >> "$OUT/driver-cpu.txt"; fi
done
# The driver's CPU while the trials ran is a fixed part per sweep (Spark's first task results and status events in a
# fresh JVM) plus a part per trial: the slope between two sizes is the cost of one more trial.
if [ "$(wc -l < "$OUT/driver-cpu.txt")" -ge 2 ]; then
  echo
  awk 'NR > 1 { slope = ($2 - ms) / ($1 - n); printf "driver CPU while the trials ran, %d to %d trials: %.4f ms per additional trial (%.0f ms fixed)\n", n, $1, slope, ms - slope * n } { n = $1; ms = $2 }' "$OUT/driver-cpu.txt"
fi

SRC="$OUT/bench-report"
if { [ -n "$REPORTS" ] || [ -n "$COMBOS" ]; } && [ ! -d "$SRC/trials" ]; then
  "$GF" sweep --grid "$ROOT/conf/grids/bench-report.yaml" --out "$OUT" --quiet --overwrite > "$OUT/bench-report.log" 2>&1
fi
echo
echo "| trials | combinations | generate | report wall | report peak RSS | result | analysis phases |"
echo "|---|---|---|---|---|---|---|"
for spec in $(for c in $REPORTS; do echo "seeds:$c"; done) $(for c in $COMBOS; do echo "combinations:$c"; done); do
  mode="${spec%%:*}"
  copies="${spec#*:}"
  if [ "$mode" = seeds ]; then dst="$OUT/synthetic-$copies"; else dst="$OUT/synthetic-combos-$copies"; fi
  mkdir -p "$dst"
  start=$(date +%s)
  java "${ADD_OPENS[@]}" -Xmx2g -cp "$ROOT/target/gradflow.jar:$ROOT/target/lib/*" \
    io.gradflow.bench.SyntheticSweep "$SRC" "$dst" "$copies" "$mode" > "$dst.gen.log" 2>&1 \
    || { echo "generating $dst failed; see $dst.gen.log" >&2; exit 1; }
  gen=$(( $(date +%s) - start ))
  n=$(sed -n 's/^wrote \([0-9]*\) trials.*/\1/p' "$dst.gen.log")
  if /usr/bin/time -v "$GF" report "$dst" > "$dst.report.out" 2> "$dst.report.err"; then res=ok; else res="failed (exit $?)"; fi
  phases=$(sed -n 's/^\[gradflow\] analysis: //p' "$dst.report.err" | head -1)
  if [ "$mode" = seeds ]; then combos=144; else combos=$n; fi
  echo "| $n | $combos | ${gen} s | $(wall "$dst.report.err") | $(rss "$dst.report.err") | $res | $phases |"
done

if [ -n "$HEAP" ]; then
  seeds=$(( HEAP / 1000 ))
  grid="$OUT/heap-$HEAP.yaml"
  {
    echo "name: heap-$HEAP"
    echo "seeds: [$(seq -s ', ' 1 "$seeds")]"
    echo "axes:"
    echo "  learning_rate: [$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "%s%.3f", (i > 1 ? ", " : ""), i / 1000 }')]"
    echo "training: {activation: relu, depth: 1, width: 2, steps: 1, batch_size: 8}"
    echo "dataset: {kind: blobs, samples: 40, classes: 2, features: 2}"
  } > "$grid"
  # The live heap: a class histogram collects fully first (jcmd GC.run would only start a concurrent cycle, as the
  # launcher's -XX:+ExplicitGCInvokesConcurrent asks, and report garbage as used).
  heap_used() { jcmd "$1" GC.class_histogram 2>/dev/null | awk '/^Total/ { printf "%.0f MiB", $3 / 1048576 }'; }
  start=$(date +%s)
  "$GF" sweep --grid "$grid" --out "$OUT" --master 'local[2]' --overwrite --max-trials 100000000 \
    > "$OUT/heap-$HEAP.out" 2> "$OUT/heap-$HEAP.err" &
  for _ in $(seq 1 600); do
    grep -q "tasks (one part file" "$OUT/heap-$HEAP.err" 2>/dev/null && break
    sleep 1
  done
  first=$(( $(date +%s) - start ))
  pid=$(pgrep -f "io.gradflow.cli.Main sweep --grid $grid" | head -1)
  h1=$(heap_used "$pid")
  if [ "${HEAP_FULL:-0}" = 1 ]; then
    # The whole sweep: the live heap once every trial is recorded (the slot-use line follows the last trial,
    # before the datasets are written), then the sweep left to finish.
    until grep -q "task slots busy" "$OUT/heap-$HEAP.err" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do
      sleep 2
    done
    trials_s=$(( $(date +%s) - start ))
    done_n=$(sed -n 's/^\[gradflow\] \([0-9]*\)\/[0-9]* trials done.*/\1/p' "$OUT/heap-$HEAP.err" | tail -1)
    h2=$(heap_used "$pid")
    rc=0; wait || rc=$?
    echo
    echo "| trials in the grid | launch to first task | live heap then | trials recorded | after (s) | live heap then | whole sweep (s) | exit |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| $HEAP | ${first} s | $h1 | ${done_n:-0} | $trials_s | $h2 | $(( $(date +%s) - start )) | $rc |"
  else
    sleep "${HEAP_WAIT:-90}"
    done_n=$(sed -n 's/^\[gradflow\] \([0-9]*\)\/[0-9]* trials done.*/\1/p' "$OUT/heap-$HEAP.err" | tail -1)
    h2=$(heap_used "$pid")
    kill -TERM "$pid"; wait || true
    echo
    echo "| trials in the grid | launch to first task | live heap then | trials recorded | live heap then |"
    echo "|---|---|---|---|---|"
    echo "| $HEAP | ${first} s | $h1 | ${done_n:-0} | $h2 |"
  fi
fi
