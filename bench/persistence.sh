#!/usr/bin/env bash
# Persistence beside redis-server on the same data, each server alone on CPU 1, clients on CPU 0
# (bench/lib.sh). Per server, freshly started in its own directory:
#   load     KEYS string keys (VALUE_SIZE bytes, bench/latency_load.c) and HASHES small hashes of 4 fields
#   save     SAVE's wall time and the file's size
#   churn    SET/GET over the keys for CHURN_SECONDS with the 1 ms PING probe (bench/latency_probe.c):
#            the latency floor of this load without a save ...
#   bgsave   ... and the same churn with a BGSAVE started 1 s in: the probe's tail, the save's time, the
#            RSS peak above the RSS before it (Redis: fork + copy-on-write; Vermilion: no fork, the
#            fork-less snapshot's buffers), and the loop's own longest iteration in each phase (Vermilion's INFO)
#   reload   a restart on that file: wall time until PING answers with every key back
#   aof      SET throughput (redis-benchmark -c 50, no pipeline) with appendonly yes and appendfsync
#            always, then everysec, from an empty server, and the server's CPU time per request
# Prints a markdown table; bench/results/persistence-latest.json keeps the numbers.
#   KEYS=5000000 HASHES=500000 VALUE_SIZE=64 CHURN_SECONDS=15 AOF_REQUESTS=200000 SERVERS=redis,vermilion VERMILION_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-cli redis-benchmark python3 cc; do
  command -v "$tool" >/dev/null || { echo "persistence.sh: $tool is missing (apt-get install -y redis-server redis-tools python3 gcc)"; exit 1; }
done
KEYS=${KEYS:-5000000}; HASHES=${HASHES:-500000}; VALUE_SIZE=${VALUE_SIZE:-64}; CHURN_SECONDS=${CHURN_SECONDS:-15}
AOF_REQUESTS=${AOF_REQUESTS:-200000}; SERVERS=${SERVERS:-redis,vermilion}
out=bench/out; mkdir -p "$out" bench/results
# shellcheck source=bench/lib.sh
. bench/lib.sh
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT
build_latency_tools
IFS=, read -ra servers <<<"$SERVERS"
case ",$SERVERS," in *,vermilion,*) vermilion_bin=$(aot_binary) ;; esac

now() { date +%s.%N; }
start() { # start SERVER PORT DIR extra...: the pid
  local server=$1 port=$2 dir=$3; shift 3
  case $server in
    redis) start_redis "$port" --dir "$dir" "$@" ;;
    vermilion) start_vermilion "$port" "$vermilion_bin" --dir "$dir" "$@" ;;
  esac
}
# RSS of a server's children (Redis's BGSAVE child; Vermilion forks none); a child may exit while it is read.
children_rss() { local sum=0 c r; for c in $(pgrep -P "$1" || true); do r=$(rss "$c" 2>/dev/null || true); sum=$((sum + ${r:-0})); done; echo "$sum"; }
bgsave_running() { redis-cli -p "$1" info persistence | tr -d '\r' | grep -q '^rdb_bgsave_in_progress:1'; }

for server in "${servers[@]}"; do
  d=$work/$server; mkdir -p "$d/data"
  port=$(free_port)
  pid=$(start "$server" "$port" "$d/data"); pids+=("$pid"); wait_ready "$port"
  echo "$server: loading $KEYS keys and $HASHES hashes"
  "${on_client_cpu[@]}" "$out/latency_load" "$port" load "$KEYS" "$VALUE_SIZE" 64 >/dev/null
  python3 bench/load_collections.py hash "$HASHES" 4 | "${on_client_cpu[@]}" redis-cli -p "$port" --pipe >/dev/null
  keys=$(redis-cli -p "$port" dbsize); echo "$keys" >"$d/keys"
  sleep 1; rss "$pid" >"$d/rss"

  echo "$server: SAVE"
  t0=$(now); redis-cli -p "$port" save >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >"$d/save_seconds"
  stat -c %s "$d/data/dump.rdb" >"$d/file_bytes"

  echo "$server: churn ${CHURN_SECONDS}s, then churn with a BGSAVE"
  for phase in churn bgsave; do
    redis-cli -p "$port" config resetstat >/dev/null # the loop's longest iteration of this phase alone (SAVE's stall is not in it)
    "${on_client_cpu[@]}" "$out/latency_probe" "$port" >"$d/$phase.probe" & probe=$!; pids+=("$probe")
    "${on_client_cpu[@]}" "$out/latency_load" "$port" churn "$KEYS" "$VALUE_SIZE" 16 50 "$CHURN_SECONDS" >/dev/null & load=$!; pids+=("$load")
    if [ "$phase" = bgsave ]; then
      sleep 1
      before=$(rss "$pid"); peak=$before
      t0=$(now); redis-cli -p "$port" bgsave >/dev/null
      sleep 0.05
      # Redis's RSS peak is the child's (fork + copy-on-write) plus the parent's.
      while bgsave_running "$port"; do
        r=$(($(rss "$pid") + $(children_rss "$pid")))
        [ "$r" -gt "$peak" ] && peak=$r
        sleep 0.05
      done
      t1=$(now)
      echo "$t1 - $t0" | bc -l >"$d/bgsave_seconds"; echo $((peak - before)) >"$d/bgsave_extra_rss"
    fi
    wait "$load"
    kill -TERM "$probe"; wait "$probe"
    redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '$1 == "eventloop_duration_max_usec" {print $2}' >"$d/$phase.loop_max_usec"
  done
  redis-cli -p "$port" save >/dev/null # the file of the dataset as it is now, for the reload
  keys=$(redis-cli -p "$port" dbsize)
  stop_server "$pid"

  echo "$server: reload"
  t0=$(now); pid=$(start "$server" "$port" "$d/data"); pids+=("$pid")
  until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do sleep 0.02; done
  t1=$(now); echo "$t1 - $t0" | bc -l >"$d/load_seconds"
  [ "$(redis-cli -p "$port" dbsize)" = "$keys" ] || { echo "$server reloaded $(redis-cli -p "$port" dbsize) keys, not $keys"; exit 1; }
  stop_server "$pid"

  for fsync in always everysec; do
    echo "$server: appendfsync $fsync"
    rm -rf "$d/aof"; mkdir -p "$d/aof"
    pid=$(start "$server" "$port" "$d/aof" --appendonly yes --appendfsync "$fsync"); pids+=("$pid"); wait_ready "$port"
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    "${on_client_cpu[@]}" redis-benchmark -p "$port" -t set -n "$AOF_REQUESTS" -c 50 -r 100000 -q 2>/dev/null | tr '\r' '\n' \
      | awk '/requests per second/ {for (i = 1; i <= NF; i++) if ($i == "requests") print $(i - 1)}' | tail -1 >"$d/aof_$fsync"
    # The server's CPU per request (all threads, the fsync thread too): unpipelined requests/s mostly
    # measure the client's core on a 2-core machine, this measures the server.
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    python3 -c "print(round(($after - $before) / $(getconf CLK_TCK) * 1e6 / $AOF_REQUESTS, 2))" >"$d/aof_${fsync}_cpu"
    stop_server "$pid"
  done
done

python3 - "$work" "$SERVERS" "KEYS=$KEYS HASHES=$HASHES VALUE_SIZE=$VALUE_SIZE CHURN_SECONDS=$CHURN_SECONDS AOF_REQUESTS=$AOF_REQUESTS" <<'PY'
import json, os, sys
work, servers, params = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
def read(s, name):
    try: return open(os.path.join(work, s, name)).read().strip()
    except FileNotFoundError: return ""
def probe(s, phase):
    try: return json.load(open(os.path.join(work, s, phase + ".probe")))["corrected"]
    except Exception: return {}
rows = []
def row(label, f):
    rows.append((label, [f(s) for s in servers]))
row("keys", lambda s: read(s, "keys"))
row("RSS after loading (MB)", lambda s: "%.0f" % (int(read(s, "rss")) / 1e6))
row("SAVE (s)", lambda s: "%.2f" % float(read(s, "save_seconds")))
row("RDB file (MB)", lambda s: "%.1f" % (int(read(s, "file_bytes")) / 1e6))
row("load at startup (s)", lambda s: "%.2f" % float(read(s, "load_seconds")))
for phase, label in (("churn", "churn"), ("bgsave", "churn + BGSAVE")):
    for k in ("p50", "p99", "p999", "max"):
        row(f"{label}: probe {k} (ms)", lambda s, p=phase, k=k: "%.2f" % probe(s, p).get(k, float("nan")))
row("BGSAVE (s)", lambda s: "%.2f" % float(read(s, "bgsave_seconds")))
row("RSS added during BGSAVE (MB)", lambda s: "%.0f" % (int(read(s, "bgsave_extra_rss")) / 1e6))
for phase, label in (("churn", "churn"), ("bgsave", "churn + BGSAVE")):
    row(f"{label}: longest loop iteration (ms)", lambda s, p=phase: "%.1f" % (int(read(s, p + ".loop_max_usec")) / 1e3) if read(s, p + ".loop_max_usec") else "n/a")
row("SET appendfsync always (req/s)", lambda s: read(s, "aof_always"))
row("SET appendfsync everysec (req/s)", lambda s: read(s, "aof_everysec"))
row("SET appendfsync always: server CPU per request (us)", lambda s: read(s, "aof_always_cpu"))
row("SET appendfsync everysec: server CPU per request (us)", lambda s: read(s, "aof_everysec_cpu"))
print("| " + params + " | " + " | ".join(servers) + " |")
print("|---|" + "---:|" * len(servers))
for label, values in rows: print(f"| {label} | " + " | ".join(values) + " |")
json.dump({"params": params, "rows": {l: dict(zip(servers, v)) for l, v in rows}}, open("bench/results/persistence-latest.json", "w"), indent=1)
PY
