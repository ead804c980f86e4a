#!/usr/bin/env bash
# How much arithmetic two processes get on this machine compared with one: a register-only AVX2 FMA loop in C
# (no memory traffic), one process alone, then two at once, alternating, N pairs. Prints the ratio of each pair
# (2 × time alone / time of the slower of the two). Ceiling for any "two workers vs one" speedup here.
# Usage: scripts/cpu-ceiling.sh [pairs]   (needs gcc and an x86-64 CPU with AVX2 and FMA)
set -euo pipefail
PAIRS="${1:-3}"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
cat > "$DIR/fma.c" <<'C'
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
int main(void) {
  __m256 a[8];
  for (int i = 0; i < 8; i++) a[i] = _mm256_set1_ps(1.0f + i * 1e-7f);
  __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long it = 0; it < 400000000L; it++)
    for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);   /* 8 independent chains */
  clock_gettime(CLOCK_MONOTONIC, &t1);
  float o[8], s = 0;
  for (int i = 0; i < 8; i++) { _mm256_storeu_ps(o, a[i]); s += o[0]; }
  printf("%.3f %f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, s);
  return 0;
}
C
gcc -O2 -mavx2 -mfma "$DIR/fma.c" -o "$DIR/fma"
for i in $(seq "$PAIRS"); do
  one=$("$DIR/fma" | cut -d' ' -f1)
  "$DIR/fma" > "$DIR/a" & "$DIR/fma" > "$DIR/b"; wait
  slow=$(cut -d' ' -f1 "$DIR/a" "$DIR/b" | sort -n | tail -1)
  echo "pair $i: alone ${one} s, two at once ${slow} s (slower one): $(python3 -c "print(f'{2*$one/$slow:.2f}')")×"
done
