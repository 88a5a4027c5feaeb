#!/usr/bin/env bash
# Runs every benchmark one after another (they share the machine, so never in parallel), keeps
# each one's full output in $OUT (default /tmp/igdm-bench) and prints every RATIO line at the end.
# Needs PostgreSQL and Redis on loopback (DATABASE_URL / REDIS_URL override bench/harness.py's
# defaults: database igdm_bench, Redis db 14). Usage: bash bench/run_all.sh [name ...]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/igdm-bench}
mkdir -p "$OUT"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(ingest inbox search pages thread board reports poll audit worker burst scaleout memory)
status=0
for name in "${names[@]}"; do
  args=()
  [ "$name" = worker ] && args=(--compare-fork)
  echo "== $name ($(date -u +%H:%M:%S))"
  if python3 "bench/bench_$name.py" "${args[@]}" >"$OUT/$name.txt" 2>&1; then
    echo "   met its targets"
  else
    echo "   MISSED a target (or failed): see $OUT/$name.txt"; status=1
  fi
done
echo "== figures"
for name in "${names[@]}"; do
  grep -h -E "^(machine|RATIO|ingest p99|deliveries|replies|web (fitted|errors)|worker (fitted|:)|burst|scaleout (web processes|workers|CPU|projection|messages))" "$OUT/$name.txt"
done
exit $status
