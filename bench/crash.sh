#!/usr/bin/env bash
# kill -9 during writes, TRIALS times per fsync policy: does what the AOF promises survive?
# Each trial starts Vermilion with appendonly yes in a fresh dir, runs bench/crash_writer.py's writer
# (transactions MULTI/SET a:N/SET b:N/INCR counter/EXEC, each acknowledged number printed), kills
# the server with SIGKILL after a random 0.2–1.5 s, restarts it on the same dir and checks (its check mode):
#   always     every acknowledged transaction is there (no acknowledged write lost)
#   everysec   at most ~2 s of acknowledged transactions are missing
#   both       what survives is a prefix 0..K with no hole, each transaction whole (a:N iff b:N),
#              and counter == K+1
# Prints one line per policy: trials, failures, most transactions lost.
#   TRIALS=100 POLICIES="always everysec" VERMILION_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${TRIALS:-100}; POLICIES=${POLICIES:-always everysec}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bin=$(aot_binary)
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT

for policy in $POLICIES; do
  failures=0; most_lost=0
  for trial in $(seq "$TRIALS"); do
    d=$work/$policy-$trial; mkdir -p "$d"
    port=$(free_port)
    pid=$(start_vermilion "$port" "$bin" --dir "$d" --appendonly yes --appendfsync "$policy"); pids+=("$pid"); wait_ready "$port"
    python3 bench/crash_writer.py "$port" write >"$d/acked" 2>/dev/null & writer=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.5), 2))')"
    kill -9 "$pid"; wait "$writer" 2>/dev/null || true
    acked=$(tail -1 "$d/acked" 2>/dev/null || echo -1); acked=${acked:--1}
    pid=$(start_vermilion "$port" "$bin" --dir "$d" --appendonly yes); pids+=("$pid"); wait_ready "$port"
    result=$(python3 bench/crash_writer.py "$port" check "$acked" "$policy")
    stop_server "$pid"
    case $result in
      ok*) lost=${result#ok }; [ "$lost" -gt "$most_lost" ] && most_lost=$lost ;;
      *) failures=$((failures + 1)); echo "$policy trial $trial: $result" ;;
    esac
    rm -rf "$d"
  done
  echo "appendfsync $policy: $TRIALS trials, $failures failures, at most $most_lost acknowledged transactions lost"
done
