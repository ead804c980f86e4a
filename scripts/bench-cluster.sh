#!/usr/bin/env bash
# Scaling benchmark: the same 16-trial grid on a local standalone cluster with one and with two single-core
# workers, several runs each, alternating (1, 2, 1, 2, ...) so that a change in the machine's load hits both.
#
#   scripts/bench-cluster.sh [--runs N] [--grid FILE]
#
# Per run it records the end-to-end wall time of scripts/submit.sh (driver start, executor start, trials, writing
# the datasets), the sweep's own time as gradflow prints it ("... in X s": from the first task to the written
# datasets), the executors that ran trials and the 1-minute load average before the run. It prints the medians,
# the spread (min-max) and the speedups, and appends every run to target/bench-cluster/runs.tsv.
# BENCH_EXECUTOR_OPTS, when set, replaces spark.executor.extraJavaOptions (to try JVM flags on the executors).
# The cluster lives in .cluster/bench on ports 17177/18180/18181 (override with the GRADFLOW_* variables of
# local-cluster.sh) and is stopped after each run, also when the run fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
GRID=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --grid) GRID="${2:?--grid needs a file}"; shift 2 ;;
    *) echo "bench-cluster: unknown option '$1'; use --runs N, --grid FILE" >&2; exit 2 ;;
  esac
done

export GRADFLOW_CLUSTER_DIR="${GRADFLOW_CLUSTER_DIR:-$ROOT/.cluster/bench}"
export GRADFLOW_MASTER_PORT="${GRADFLOW_MASTER_PORT:-17177}"
export GRADFLOW_MASTER_UI_PORT="${GRADFLOW_MASTER_UI_PORT:-18180}"
export GRADFLOW_WORKER_UI_PORT="${GRADFLOW_WORKER_UI_PORT:-18181}"
MASTER="spark://127.0.0.1:$GRADFLOW_MASTER_PORT"
OUT="$ROOT/target/bench-cluster"
mkdir -p "$OUT"

if [ -z "$GRID" ]; then
  # 16 equal trials of ten blocks: 4 activations x 2 inits x 2 seeds, about 10 s each on one core.
  GRID="$OUT/bench16.yaml"
  cat >"$GRID" <<'EOF'
name: bench16
seeds: [1, 2]
axes:
  activation: [sigmoid, tanh, relu, elu]
  init: [xavier, he]
training:
  depth: 10
  width: 64
  steps: 600
  batch_size: 64
  optimizer: sgd
  learning_rate: 0.05
dataset:
  kind: spirals
  classes: 3
  samples: 1500
EOF
fi

[ -f "$ROOT/target/gradflow-app.jar" ] || (cd "$ROOT" && mvn -q -B -DskipTests package)
trap '"$ROOT/scripts/local-cluster.sh" down >/dev/null 2>&1 || true' EXIT

TSV="$OUT/runs.tsv"
[ -f "$TSV" ] || printf 'date\tworkers\trun\tload1\twall_s\tsweep_s\texecutors\n' >"$TSV"
RESULTS="$OUT/results-$$.tsv"
: >"$RESULTS"

run_once() { # workers, run number
  local w="$1" r="$2" load t0 t1 wall sweep execs log="$OUT/run-w$1-r$2.log"
  "$ROOT/scripts/local-cluster.sh" up --workers "$w" --cores 1 --memory 1g >"$OUT/up.log" 2>&1 \
    || { cat "$OUT/up.log" >&2; return 1; }
  load="$(cut -d' ' -f1 /proc/loadavg)"
  t0="$(date +%s.%N)"
  if ! SPARK_HOME="$GRADFLOW_CLUSTER_DIR/spark-home" "$ROOT/scripts/submit.sh" --master "$MASTER" \
      --conf "spark.cores.max=$w" \
      --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
      --conf spark.scheduler.maxRegisteredResourcesWaitingTime=300s \
      --conf spark.ui.enabled=false \
      ${BENCH_EXECUTOR_OPTS:+--conf "spark.executor.extraJavaOptions=$BENCH_EXECUTOR_OPTS"} \
      sweep --grid "$GRID" --out "$OUT/results" --overwrite --quiet >"$log" 2>&1; then
    echo "run with $w worker(s) failed; see $log" >&2
    "$ROOT/scripts/local-cluster.sh" down >/dev/null
    return 1
  fi
  t1="$(date +%s.%N)"
  "$ROOT/scripts/local-cluster.sh" down >/dev/null
  wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
  sweep="$(grep -o 'trials have a row .* in [0-9.]* s' "$log" | grep -o '[0-9.]* s$' | cut -d' ' -f1)"
  local dir
  dir="$(sed -n 's/^results: //p' "$log")"
  execs="$(tr -d '\n' <"$dir/manifest.json" 2>/dev/null | grep -o '"executors" : \[[^]]*\]'  | cut -d'[' -f2 | tr -d ' "]' || echo '?')"
  printf '%s\t%s\t%s\t%s\t%.1f\t%s\t%s\n' "$(date -u +%FT%TZ)" "$w" "$r" "$load" "$wall" "$sweep" "$execs" | tee -a "$TSV" >>"$RESULTS"
  printf 'workers=%s run=%s load=%s wall=%.1f s sweep=%s s executors=%s\n' "$w" "$r" "$load" "$wall" "$sweep" "$execs"
}

echo "bench-cluster: $RUNS runs x {1, 2} workers, grid $GRID, $(nproc) cores, $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$RUNS"); do
  run_once 1 "$r"
  run_once 2 "$r"
done

# Medians, spread and speedups.
awk -F'\t' '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { n[$2]++; wall[$2, n[$2]] = $5; sweep[$2, n[$2]] = $6 }
  END {
    for (w = 1; w <= 2; w++) {
      for (i = 1; i <= n[w]; i++) { a[i] = wall[w, i]; b[i] = sweep[w, i] }
      mw[w] = median(a, n[w]); lo = a[1]; hi = a[n[w]]
      ms[w] = median(b, n[w]); slo = b[1]; shi = b[n[w]]
      printf "%d worker(s): wall median %.1f s (min %.1f, max %.1f); sweep median %.1f s (min %.1f, max %.1f); %d runs\n", w, mw[w], lo, hi, ms[w], slo, shi, n[w]
    }
    printf "speedup (medians): wall %.2fx, sweep %.2fx\n", mw[1] / mw[2], ms[1] / ms[2]
  }' "$RESULTS"
