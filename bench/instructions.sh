#!/usr/bin/env bash
# Instructions the server executes per request (valgrind's callgrind), for two Vermilion builds
# on the same workloads: a count that does not move with the load on the machine, so a change to
# the hot path shows even where CPU time per request is within noise (user-space only; the
# syscalls per request are the same for both).
#   bench/instructions.sh OLD_BINARY NEW_BINARY    N=20000 requests per test, P=1 pipeline depth, TESTS="get set ..."
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: bench/instructions.sh OLD_BINARY NEW_BINARY"; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is missing (apt-get install -y valgrind)"; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
P=${P:-1}; N=${N:-20000}; TESTS=${TESTS:-get set incr lpush rpush lpop sadd hset spop zadd zpopmin ping_mbulk}
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT

declare -A count
for build in old new; do
  # A copy without its .dbg beside it: valgrind gives up on the NativeAOT debug file.
  mkdir -p "$work/$build"; cp "$([ $build = old ] && echo "$1" || echo "$2")" "$work/$build/vermilion-server"
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$work/$build.out" "$work/$build/vermilion-server" --port "$port" --bind 127.0.0.1 --save "" --dir "$work" >"$work/$build.log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 300); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
  # Without a server, redis-benchmark would retry forever: stop here instead.
  [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] || { echo "$build build did not start under valgrind:"; tail -5 "$work/$build.log"; exit 1; }
  for t in $TESTS; do
    redis-cli -p "$port" flushall >/dev/null
    redis-benchmark -p "$port" -c 1 -n 2000 -t "$t" -q >/dev/null 2>&1 # first touches (tables, pools) out of the count
    callgrind_control -z "$pid" >/dev/null 2>&1
    redis-benchmark -p "$port" -c 10 -P "$P" -n "$N" -t "$t" -q >/dev/null 2>&1
    callgrind_control -d "$t" "$pid" >/dev/null 2>&1
    dump=$(ls -t "$work/$build.out"* | head -1)
    count[$build,$t]=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
  done
  stop_server "$pid"
done

echo "| workload (10 clients, -P $P, $N requests) | old instructions/request | new | new/old |"
echo "|---|---:|---:|---:|"
for t in $TESTS; do
  python3 -c "o, n = ${count[old,$t]} / $N, ${count[new,$t]} / $N; print(f'| ${t^^} | {o:,.0f} | {n:,.0f} | {n / o:.3f}x |')"
done
