#!/usr/bin/env bash
# Runs a gradflow command (sweep, report, ...) through spark-submit with the application jar and
# conf/spark-defaults.conf.
#
#   scripts/submit.sh [--master URL] [--deploy-mode client|cluster] [--executor-cores N] [--executor-memory M]
#                     [--total-executor-cores N] [--num-executors N] [--conf k=v ...] [--] COMMAND [ARGS...]
#
#   scripts/submit.sh --master spark://127.0.0.1:7077 sweep --grid conf/grids/quick.yaml --out results
#
# SPARK_HOME: any Spark 3.5 (Scala 2.12) installation; its bin/spark-submit is used. A folder with only jars/
# (such as the one scripts/local-cluster.sh builds, used when SPARK_HOME is unset) works too: then this script
# starts org.apache.spark.deploy.SparkSubmit itself with the Java 17 flags the real launcher would add.
# Other settings: GRADFLOW_APP_JAR (default target/gradflow-app.jar, built when missing), GRADFLOW_SPARK_CONF
# (default conf/spark-defaults.conf), GRADFLOW_MASTER (default for --master), GRADFLOW_DRIVER_MEMORY (1g, jars-only
# SPARK_HOME in client mode). Options spark-submit knows but this script does not are passed with --conf.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_JAR="${GRADFLOW_APP_JAR:-$ROOT/target/gradflow-app.jar}"
PROPS="${GRADFLOW_SPARK_CONF:-$ROOT/conf/spark-defaults.conf}"
MASTER="${GRADFLOW_MASTER:-}"

die() { echo "submit: $*" >&2; exit 2; }

SUBMIT_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) MASTER="${2:?--master needs a URL}"; shift 2 ;;
    --deploy-mode | --executor-cores | --executor-memory | --total-executor-cores | --num-executors | --driver-memory | --name)
      SUBMIT_ARGS+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --conf) SUBMIT_ARGS+=(--conf "${2:?--conf needs k=v}"); shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1'; pass other Spark settings as --conf k=v" ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || die "no gradflow command given (sweep, grid, ...); see scripts/submit.sh --help"
[ -n "$MASTER" ] || die "no master: pass --master URL (spark://host:7077, yarn, k8s://https://host:443, local[*]) or set GRADFLOW_MASTER"

if [ -z "${SPARK_HOME:-}" ]; then
  if [ -d "$ROOT/.cluster/spark-home/jars" ]; then
    SPARK_HOME="$ROOT/.cluster/spark-home"
  else
    die "SPARK_HOME is not set (and scripts/local-cluster.sh has not built $ROOT/.cluster/spark-home)"
  fi
fi
[ -d "$SPARK_HOME/jars" ] || die "SPARK_HOME '$SPARK_HOME' has no jars/ folder"
[ -f "$PROPS" ] || die "Spark settings file '$PROPS' does not exist"
if [ ! -f "$APP_JAR" ]; then
  if [ "$APP_JAR" = "$ROOT/target/gradflow-app.jar" ]; then
    echo "[submit] building target/gradflow-app.jar (mvn package, tests skipped)..." >&2
    (cd "$ROOT" && mvn -q -B -DskipTests package) >&2
  else
    die "application jar '$APP_JAR' does not exist"
  fi
fi

ARGS=(--master "$MASTER" --class io.gradflow.cli.Main --properties-file "$PROPS" "${SUBMIT_ARGS[@]}" "$APP_JAR" "$@")

if [ -x "$SPARK_HOME/bin/spark-submit" ]; then
  exec "$SPARK_HOME/bin/spark-submit" "${ARGS[@]}"
fi

# A jars-only SPARK_HOME: start SparkSubmit as bin/spark-submit would, with Spark's JavaModuleOptions (Java 17).
source "$ROOT/scripts/java17-opens.sh"
case "$MASTER" in
  *127.0.0.1* | *localhost*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;;
esac
# In client mode this JVM is the driver: one OpenMP thread (local[*] trains here) and a capped heap.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export SPARK_HOME SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.12}"
LOG_CONF=()
[ -f "$ROOT/conf/log4j2.properties" ] && LOG_CONF=(-Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties")
COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
# shellcheck disable=SC2086
exec java -Xmx"${GRADFLOW_DRIVER_MEMORY:-1g}" "${ADD_OPENS[@]}" "${LOG_CONF[@]}" \
  -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -XX:+ExplicitGCInvokesConcurrent \
  -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Dgradflow.git.commit="$COMMIT" \
  -cp "$SPARK_HOME/conf/:$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit "${ARGS[@]}"
