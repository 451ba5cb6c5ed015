#!/usr/bin/env bash
# Latency while the keyspace grows and while it churns, redis-server and Vermilion (NativeAOT) one
# after the other in the same run, each alone on CPU 1, loads and probe on CPU 0 (bench/lib.sh).
# Per server, freshly started:
#   idle   the probe alone for IDLE_SECONDS: the floor this machine gives (its own scheduling noise)
#   load   KEYS new keys (SET key:%010d, VALUE_SIZE-byte values) from one connection with
#          LOAD_DEPTH commands in flight (bench/latency_load.c), so the keyspace grows to KEYS
#   churn  SET/GET of random keys among those KEYS for CHURN_SECONDS, CHURN_CLIENTS connections
#          with CHURN_DEPTH in flight each (redis-benchmark -c 50 -P 16's shape over the loaded keys)
# then FLUSHALL SYNC and RSS again. During each phase bench/latency_probe.c (SCHED_FIFO when root,
# so the loader beside it on CPU 0 does not delay it) sends one PING every 1 ms on its own
# connection, open loop, and takes each reply's latency from the PING's scheduled send time: a
# 30 ms stall counts in ~30 samples, not one (no coordinated omission, the figure wrk2 corrects to).
# Prints one markdown table (rows: metrics; columns: phase × server) and writes
# bench/results/latency-latest.json.
#   KEYS=8000000 VALUE_SIZE=64 CHURN_SECONDS=20 SERVERS=redis,vermilion IDLE_SECONDS=3
#   LOAD_DEPTH=64 CHURN_CLIENTS=50 CHURN_DEPTH=16 VERMILION_BIN=path (else published) PIN=1
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-cli python3 cc; do
  command -v "$tool" >/dev/null || { echo "latency.sh: $tool is missing (apt-get install -y redis-server redis-tools python3 gcc)"; exit 1; }
done
KEYS=${KEYS:-8000000}; VALUE_SIZE=${VALUE_SIZE:-64}; CHURN_SECONDS=${CHURN_SECONDS:-20}
SERVERS=${SERVERS:-redis,vermilion}; IDLE_SECONDS=${IDLE_SECONDS:-3}
LOAD_DEPTH=${LOAD_DEPTH:-64}; CHURN_CLIENTS=${CHURN_CLIENTS:-50}; CHURN_DEPTH=${CHURN_DEPTH:-16}

out=bench/out; mkdir -p "$out" bench/results
# shellcheck source=bench/lib.sh
. bench/lib.sh
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT

build_latency_tools
IFS=, read -ra servers <<<"$SERVERS"
case ",$SERVERS," in *,vermilion,*) vermilion_bin=$(aot_binary) ;; esac

# CPU pressure (/proc/pressure/cpu "some" total, µs): time some task here waited for a CPU. Other
# work on the machine inflates every tail figure, so each phase records how much there was (the
# loader waiting while the probe runs counts too, a few % of a loaded phase).
cpu_waited() { awk '/^some/ {sub("total=", "", $5); print $5}' /proc/pressure/cpu 2>/dev/null || echo 0; }

# probe_during PORT PHASE -- COMMAND...: the probe's summary in $d/PHASE.probe, taken while COMMAND runs.
probe_during() {
  local port=$1 phase=$2 probe before; shift 3
  before=$(cpu_waited)
  "${on_client_cpu[@]}" "$out/latency_probe" "$port" >"$d/$phase.probe" &
  probe=$!; pids+=("$probe")
  sleep 0.2 # connected and probing before the phase starts
  "$@"
  kill -TERM "$probe"; wait "$probe"
  echo $(($(cpu_waited) - before)) >"$d/$phase.cpu_waited"
}
info_to() { redis-cli -p "$1" info | tr -d '\r' >"$2"; }

for server in "${servers[@]}"; do
  d=$work/$server; mkdir -p "$d"
  port=$(free_port)
  case $server in
    redis) pid=$(start_redis "$port") ;;
    vermilion) pid=$(start_vermilion "$port" "$vermilion_bin") ;;
    *) echo "latency.sh: unknown server $server (SERVERS=redis,vermilion)"; exit 1 ;;
  esac
  pids+=("$pid"); wait_ready "$port"

  echo "$server: idle ${IDLE_SECONDS}s"
  probe_during "$port" idle -- sleep "$IDLE_SECONDS"
  rss "$pid" >"$d/idle.rss"; info_to "$port" "$d/idle.info"

  echo "$server: loading $KEYS keys"
  probe_during "$port" load -- "${on_client_cpu[@]}" "$out/latency_load" "$port" load "$KEYS" "$VALUE_SIZE" "$LOAD_DEPTH" >"$d/load.run"
  [ "$(redis-cli -p "$port" dbsize)" = "$KEYS" ] || { echo "$server holds $(redis-cli -p "$port" dbsize) keys, not $KEYS"; exit 1; }
  sleep 1 # as compare.sh's memory rows: RSS read once the last writes have settled
  rss "$pid" >"$d/load.rss"; info_to "$port" "$d/load.info"

  echo "$server: churn ${CHURN_SECONDS}s"
  probe_during "$port" churn -- "${on_client_cpu[@]}" "$out/latency_load" "$port" churn "$KEYS" "$VALUE_SIZE" "$CHURN_DEPTH" "$CHURN_CLIENTS" "$CHURN_SECONDS" >"$d/churn.run"
  rss "$pid" >"$d/churn.rss"; info_to "$port" "$d/churn.info"

  redis-cli -p "$port" flushall sync >/dev/null
  sleep 1
  rss "$pid" >"$d/flush.rss"; info_to "$port" "$d/flush.info"
  stop_server "$pid"
done

echo
python3 bench/latency_report.py "$work" bench/results/latency-latest.json "$SERVERS" \
  "KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE CHURN_SECONDS=$CHURN_SECONDS IDLE_SECONDS=$IDLE_SECONDS LOAD_DEPTH=$LOAD_DEPTH CHURN_CLIENTS=$CHURN_CLIENTS CHURN_DEPTH=$CHURN_DEPTH PIN=${PIN:-1}"
echo
echo "(bench/results/latency-latest.json; $(nproc) cores, $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ))"
