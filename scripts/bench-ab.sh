#!/usr/bin/env bash
# Two builds side by side, alternating B A A B, on one machine: per-step times (StepProfile), the quick grid's
# trials in one JVM (TrialLoop) and the statistics overhead (StatsOverhead). BENCHMARKS.md records its output.
#
#   scripts/bench-ab.sh BEFORE_DIR AFTER_DIR
#
# Each DIR is a checkout whose classes are built (`mvn -o -q test-compile`, e.g. a `git worktree` at the older
# commit); both use this checkout's target/lib for the dependencies, so build this one with `mvn package` first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_DIR AFTER_DIR (checkouts with target/classes and target/test-classes)" >&2; exit 2; }
for d in "$1" "$2"; do
  [ -d "$d/target/classes" ] && [ -d "$d/target/test-classes" ] || { echo "$d has no target/classes and target/test-classes: run mvn -o -q test-compile there" >&2; exit 2; }
done
cd "$ROOT"
source scripts/java17-opens.sh
export OMP_NUM_THREADS=1
B="$1/target/classes:$1/target/test-classes:$ROOT/target/lib/*"
A="$2/target/classes:$2/target/test-classes:$ROOT/target/lib/*"
J=(java -Xmx2g "${ADD_OPENS[@]}" -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -XX:+ExplicitGCInvokesConcurrent)
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in "64 10 plain" "64 10 bn" "64 10 residual" "64 10 plain 800 sigmoid" "64 10 plain 800 tanh" "64 50 plain" "256 10 plain"; do
  set -- $shape
  args="$1 $2 $3 ${4:-800} ${5:-relu}"
  for v in B A A B; do
    cp="$B"; [ $v = A ] && cp="$A"
    echo "step $args $v: $("${J[@]}" -cp "$cp" io.gradflow.bench.StepProfile $args 2>/dev/null | grep 'round 2')"
  done
done
for v in B A A B; do
  cp="$B"; [ $v = A ] && cp="$A"
  echo "trialloop $v: $("${J[@]}" -cp "$cp" io.gradflow.bench.TrialLoop conf/grids/quick.yaml 4 2>/dev/null | tr '\n' '|')"
done
for v in B A A B; do
  cp="$B"; [ $v = A ] && cp="$A"
  echo "stats $v: $("${J[@]}" -cp "$cp" io.gradflow.bench.StatsOverhead 9 conf/grids/quick.yaml 2>/dev/null)"
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
