#!/usr/bin/env bash
# One wide trial as a task trial against the same trial data-parallel (DL4J Spark parameter averaging) on a local
# standalone cluster of two single-core workers (issue 14's benchmark; BENCHMARKS.md records the figures).
#
#   scripts/bench-data-parallel.sh [--grid FILE] [--runs N]
#
# Each run starts the cluster, submits the grid (default conf/grids/bench-wide.yaml: parallelism [task, data]),
# stops the cluster and prints, per trial: steps, time per step in training (train_time_ms + averaging_time_ms
# over steps), the averaging share of it, the statistics time and the whole trial's wall time, from the trials
# dataset. The cluster lives in .cluster/bench-dp on ports 17277/18280/18281.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GRID="$ROOT/conf/grids/bench-wide.yaml"
RUNS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --grid) GRID="${2:?--grid needs a file}"; shift 2 ;;
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    *) echo "bench-data-parallel: unknown option '$1'; use --grid FILE, --runs N" >&2; exit 2 ;;
  esac
done
export GRADFLOW_CLUSTER_DIR="${GRADFLOW_CLUSTER_DIR:-$ROOT/.cluster/bench-dp}"
export GRADFLOW_MASTER_PORT="${GRADFLOW_MASTER_PORT:-17277}"
export GRADFLOW_MASTER_UI_PORT="${GRADFLOW_MASTER_UI_PORT:-18280}"
export GRADFLOW_WORKER_UI_PORT="${GRADFLOW_WORKER_UI_PORT:-18281}"
MASTER="spark://127.0.0.1:$GRADFLOW_MASTER_PORT"
OUT="$ROOT/target/bench-data-parallel"
mkdir -p "$OUT"
[ -f "$ROOT/target/gradflow-app.jar" ] || (cd "$ROOT" && mvn -q -B -DskipTests package)
trap '"$ROOT/scripts/local-cluster.sh" down >/dev/null 2>&1 || true' EXIT

echo "bench-data-parallel: grid $GRID, $RUNS run(s), $(nproc) cores, $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$RUNS"); do
  "$ROOT/scripts/local-cluster.sh" up --workers 2 --cores 1 --memory 2g >"$OUT/up.log" 2>&1 \
    || { cat "$OUT/up.log" >&2; exit 1; }
  load="$(cut -d' ' -f1 /proc/loadavg)"
  log="$OUT/run-$r.log"
  if ! SPARK_HOME="$GRADFLOW_CLUSTER_DIR/spark-home" "$ROOT/scripts/submit.sh" --master "$MASTER" \
      --conf spark.cores.max=2 --conf spark.driver.memory=3g \
      --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
      --conf spark.scheduler.maxRegisteredResourcesWaitingTime=300s \
      --conf spark.ui.enabled=false \
      sweep --grid "$GRID" --out "$OUT/results-$r" --overwrite --quiet >"$log" 2>&1; then
    echo "run $r failed; see $log" >&2
    exit 1
  fi
  "$ROOT/scripts/local-cluster.sh" down >/dev/null
  dir="$(sed -n 's/^results: //p' "$log")"
  echo "run $r (load before: $load): $dir"
  "$ROOT/bin/gradflow" sql "$dir" "select parallelism, workers, steps_completed as steps,
      round((train_time_ms + coalesce(averaging_time_ms, 0)) / steps_completed, 1) as ms_per_step,
      round(100.0 * coalesce(averaging_time_ms, 0) / (train_time_ms + coalesce(averaging_time_ms, 0)), 1) as averaging_pct,
      stats_time_ms, wall_time_ms, executor_id, verdict from trials order by parallelism desc"
done
