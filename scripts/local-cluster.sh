#!/usr/bin/env bash
# A real Spark standalone cluster on loopback: one master and N worker JVMs, started from the Maven-resolved Spark
# runtime jars (no Spark download; Java 17 and Maven are all a fresh machine needs).
#
#   scripts/local-cluster.sh up [--workers N] [--cores C] [--memory M]
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh down
#
# State lives in GRADFLOW_CLUSTER_DIR (default <repo>/.cluster):
#   spark-home/jars/   Spark's runtime jars (links into ~/.m2) resolved from scripts/spark-runtime/pom.xml: SPARK_HOME
#   logs/              master.log, worker-<i>.log
#   pids/              master.pid, worker-<i>.pid: `down` stops exactly these processes and their executors
#   work/worker-<i>/   each worker's work dir: executor stdout/stderr per application
#   env                the cluster's addresses, for scripts (MASTER_URL=..., MASTER_UI=...)
# Ports (override when another cluster runs on this machine): GRADFLOW_MASTER_PORT (7077),
# GRADFLOW_MASTER_UI_PORT (8080), GRADFLOW_WORKER_UI_PORT (8081; worker i gets 8081 + i - 1).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${GRADFLOW_CLUSTER_DIR:-$ROOT/.cluster}"
SPARK_HOME_DIR="$DIR/spark-home"
MASTER_PORT="${GRADFLOW_MASTER_PORT:-7077}"
MASTER_UI_PORT="${GRADFLOW_MASTER_UI_PORT:-8080}"
WORKER_UI_PORT="${GRADFLOW_WORKER_UI_PORT:-8081}"
HOST=127.0.0.1
MASTER_URL="spark://$HOST:$MASTER_PORT"

# Spark's JavaModuleOptions: the master and workers are started with plain `java`, so they need them on Java 17.
source "$ROOT/scripts/java17-opens.sh"

die() { echo "local-cluster: $*" >&2; exit 2; }
say() { echo "[local-cluster] $*" >&2; }

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The master's JSON state (GET http://host:ui/json/), with bash alone when curl is missing.
master_json() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 3 "http://$HOST:$MASTER_UI_PORT/json/" 2>/dev/null || true
  else
    (exec 3<>"/dev/tcp/$HOST/$MASTER_UI_PORT" && printf 'GET /json/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$HOST" >&3 \
      && timeout 3 cat <&3) 2>/dev/null || true
  fi
}

alive_workers() {
  local n
  n="$(master_json | tr -d ' \n' | grep -o '"aliveworkers":[0-9]*' | cut -d: -f2 || true)"
  echo "${n:-0}"
}

# A pid is ours only if it is alive and still runs the main class we started (pids get reused).
pid_is() {
  local pid="$1" cls="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$cls"
}

class_of() {
  case "$1" in
    master) echo org.apache.spark.deploy.master.Master ;;
    *) echo org.apache.spark.deploy.worker.Worker ;;
  esac
}

running_pids() {
  local f name pid
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"
    pid="$(cat "$f")"
    if pid_is "$pid" "$(class_of "$name")"; then
      echo "$name $pid"
    fi
  done
}

ensure_spark_home() {
  if [ -f "$SPARK_HOME_DIR/jars/.complete" ]; then
    return
  fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed once to resolve Spark's jars into $SPARK_HOME_DIR/jars"
  say "resolving Spark's runtime jars (Maven, scripts/spark-runtime/pom.xml) into $SPARK_HOME_DIR/jars ..."
  rm -rf "$SPARK_HOME_DIR/jars.tmp"
  mkdir -p "$SPARK_HOME_DIR/conf" "$SPARK_HOME_DIR/jars.tmp"
  local cp="$SPARK_HOME_DIR/classpath.txt"
  local args=(-B -q -f "$ROOT/scripts/spark-runtime/pom.xml" dependency:build-classpath "-Dmdep.outputFile=$cp")
  # Offline first: after the project's own build every jar is in the local repository already.
  if ! mvn -o "${args[@]}" >"$DIR/logs/spark-runtime.log" 2>&1; then
    mvn "${args[@]}" >"$DIR/logs/spark-runtime.log" 2>&1 \
      || die "could not resolve Spark's jars; see $DIR/logs/spark-runtime.log"
  fi
  # Links into the local Maven repository: SPARK_HOME/jars as Spark expects it, without copying 200 MB.
  local jar
  tr ':' '\n' <"$cp" | while read -r jar || [ -n "$jar" ]; do
    [ -z "$jar" ] || ln -s "$jar" "$SPARK_HOME_DIR/jars.tmp/$(basename "$jar")"
  done
  local want have
  want="$(tr ':' '\n' <"$cp" | grep -c '\.jar$')"
  have="$(find "$SPARK_HOME_DIR/jars.tmp" -name '*.jar' | wc -l)"
  [ "$want" = "$have" ] && [ -n "$(find "$SPARK_HOME_DIR/jars.tmp" -name 'spark-core_*.jar')" ] \
    || die "linked $have of $want Spark jars into $SPARK_HOME_DIR/jars.tmp; see $DIR/logs/spark-runtime.log"
  touch "$SPARK_HOME_DIR/jars.tmp/.complete"
  rm -rf "$SPARK_HOME_DIR/jars"
  mv "$SPARK_HOME_DIR/jars.tmp" "$SPARK_HOME_DIR/jars"
}

master_listening() { ! port_free "$MASTER_PORT"; }
enough_workers() { [ "$(alive_workers)" -ge "$WANTED_WORKERS" ]; }

port_free() {
  ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

wait_for() { # seconds, description, command...
  local secs="$1" what="$2"
  shift 2
  local end=$((SECONDS + secs))
  until "$@"; do
    if [ "$SECONDS" -ge "$end" ]; then
      return 1
    fi
    sleep 0.5
  done
}

start_daemon() { # name, log, args...
  local name="$1" log="$2"
  shift 2
  # SPARK_SCALA_VERSION: without it a worker cannot build the executor's class path ("Cannot find any build
  # directories"). SPARK_LOCAL_IP keeps every address on loopback. OMP_NUM_THREADS=1: one native thread per task.
  nohup env SPARK_HOME="$SPARK_HOME_DIR" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP="$HOST" OMP_NUM_THREADS=1 \
    java -Xms64m -Xmx256m "${ADD_OPENS[@]}" -cp "$SPARK_HOME_DIR/conf/:$SPARK_HOME_DIR/jars/*" "$@" \
    >"$log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name.pid"
}

cmd_up() {
  local workers=2 cores=1 memory=1g
  while [ $# -gt 0 ]; do
    case "$1" in
      --workers) workers="${2:?--workers needs a number}"; shift 2 ;;
      --cores) cores="${2:?--cores needs a number}"; shift 2 ;;
      --memory) memory="${2:?--memory needs a size such as 1g}"; shift 2 ;;
      *) die "unknown option '$1' for up; use --workers N, --cores C, --memory M" ;;
    esac
  done
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "--workers '$workers' is not a positive whole number"
  [[ "$cores" =~ ^[1-9][0-9]*$ ]] || die "--cores '$cores' is not a positive whole number"
  command -v java >/dev/null 2>&1 || die "java (17) is not on the PATH"
  if [ -n "$(running_pids)" ]; then
    die "a cluster from $DIR is already running (scripts/local-cluster.sh status); stop it with down first"
  fi
  for p in "$MASTER_PORT" "$MASTER_UI_PORT"; do
    port_free "$p" || die "port $p on $HOST is taken; set GRADFLOW_MASTER_PORT / GRADFLOW_MASTER_UI_PORT"
  done
  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/work"
  rm -f "$DIR"/pids/*.pid
  ensure_spark_home

  start_daemon master "$DIR/logs/master.log" org.apache.spark.deploy.master.Master \
    --host "$HOST" --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
  if ! wait_for 60 "master" master_listening; then
    say "the master did not start; its log:"
    tail -20 "$DIR/logs/master.log" >&2
    cmd_down >/dev/null 2>&1 || true
    exit 1
  fi
  local i
  for i in $(seq 1 "$workers"); do
    mkdir -p "$DIR/work/worker-$i"
    start_daemon "worker-$i" "$DIR/logs/worker-$i.log" org.apache.spark.deploy.worker.Worker "$MASTER_URL" \
      --host "$HOST" --cores "$cores" --memory "$memory" --webui-port $((WORKER_UI_PORT + i - 1)) \
      --work-dir "$DIR/work/worker-$i"
  done
  WANTED_WORKERS="$workers"
  if ! wait_for 90 "workers" enough_workers; then
    say "only $(alive_workers) of $workers workers registered; logs in $DIR/logs"
    tail -20 "$DIR/logs/worker-1.log" >&2
    cmd_down >/dev/null 2>&1 || true
    exit 1
  fi
  cat >"$DIR/env" <<EOF
MASTER_URL=$MASTER_URL
MASTER_UI=http://$HOST:$MASTER_UI_PORT
SPARK_HOME=$SPARK_HOME_DIR
WORKERS=$workers
EOF
  echo "master   $MASTER_URL   web UI http://$HOST:$MASTER_UI_PORT   pid $(cat "$DIR/pids/master.pid")"
  for i in $(seq 1 "$workers"); do
    echo "worker-$i $cores core(s), $memory   web UI http://$HOST:$((WORKER_UI_PORT + i - 1))   pid $(cat "$DIR/pids/worker-$i.pid")"
  done
  echo "logs     $DIR/logs   executor logs $DIR/work/worker-*/<app-id>/<executor>/stderr"
  echo "submit   SPARK_HOME=$SPARK_HOME_DIR scripts/submit.sh --master $MASTER_URL sweep --grid conf/grids/smoke.yaml"
}

# Descendants of a pid (executors are children of their worker).
descendants() {
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$c"
    descendants "$c"
  done
}

# Alive and not a zombie (a stopped daemon stays a zombie until its new parent reaps it).
alive() {
  kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

cmd_down() {
  local stopped=0 name pid all=()
  while read -r name pid; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2207
    all+=("$pid" $(descendants "$pid"))
    kill -TERM "$pid" 2>/dev/null || true
    stopped=$((stopped + 1))
    echo "stopping $name (pid $pid)"
  done < <(running_pids | sort -r) # workers before the master
  # Workers stop their executors on TERM; whatever is left after 15 s (daemons or executors) is killed.
  local end=$((SECONDS + 15)) left
  while :; do
    left=()
    for pid in "${all[@]}"; do
      if alive "$pid"; then left+=("$pid"); fi
    done
    [ "${#left[@]}" -gt 0 ] || break
    if [ "$SECONDS" -ge "$end" ]; then
      echo "killing ${left[*]} (still running after 15 s)"
      kill -KILL "${left[@]}" 2>/dev/null || true
      end=$((SECONDS + 1000))
    fi
    sleep 0.3
  done
  rm -f "$DIR"/pids/*.pid "$DIR/env"
  echo "stopped $stopped process(es) of the cluster in $DIR"
}

cmd_status() {
  local any=0 name pid
  while read -r name pid; do
    [ -n "$name" ] || continue
    any=1
    echo "$name running, pid $pid"
  done < <(running_pids)
  if [ "$any" = 0 ]; then
    echo "no cluster running from $DIR"
    return 3
  fi
  echo "master $MASTER_URL, web UI http://$HOST:$MASTER_UI_PORT: $(alive_workers) alive worker(s)"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down ;;
  status) shift; cmd_status ;;
  workers) alive_workers ;; # the number of alive workers, for scripts
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
