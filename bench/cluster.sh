#!/usr/bin/env bash
# Redis Cluster beside redis-server (issue 20), NativeAOT build:
#   request CPU  GET and SET (redis-benchmark, 50 clients, -r 100000 keys, unpipelined N requests and
#                -P 16 NP requests) against one node alone: standalone, and cluster-enabled yes owning
#                all 16384 slots (so no redirection: what is measured is the slot routing and the
#                per-slot key index). Server pinned to CPU 1, redis-benchmark on CPU 0 (bench/lib.sh);
#                the server's user+sys time (/proc/PID/stat) per request, median of ROUNDS rounds
#                (alternating the order). The bar: Vermilion cluster ≤ 1.05× Vermilion standalone.
#   slot move    one slot holding SLOT_KEYS keys (DEBUG POPULATE, VALUE_SIZE bytes, one hash tag) moved
#                between the two masters of a two-node cluster by redis-cli --cluster reshard
#                (SETSLOT IMPORTING/MIGRATING, GETKEYSINSLOT + MIGRATE … KEYS of --cluster-pipeline
#                PIPELINE keys, SETSLOT NODE): its wall time and each node's CPU, for
#                vermilion→vermilion, redis→redis, vermilion→redis and redis→vermilion, taking turns
#                (MOVES rounds of the four). Unpinned.
# Prints markdown tables; bench/results/cluster-latest.json keeps the numbers.
#   ROUNDS=3 N=200000 NP=2000000 SLOT_KEYS=100000 VALUE_SIZE=64 PIPELINE=10 MOVES=3 VERMILION_BIN=path
#   PARTS=cpu,move (one of them alone: PARTS=cpu)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "cluster.sh: $tool is missing (apt-get install -y redis-server redis-tools python3)"; exit 1; }
done
ROUNDS=${ROUNDS:-3}; N=${N:-200000}; NP=${NP:-2000000}
SLOT_KEYS=${SLOT_KEYS:-100000}; VALUE_SIZE=${VALUE_SIZE:-64}; PIPELINE=${PIPELINE:-10}; MOVES=${MOVES:-3}; PARTS=${PARTS:-cpu,move}
mkdir -p bench/results
# shellcheck source=bench/lib.sh
. bench/lib.sh
work=$(mktemp -d); raw=$work/raw; : >"$raw"
trap 'stop_all; rm -rf "$work"' EXIT
vermilion_bin=$(aot_binary)

record() { echo "$1|$2|$3|$4" >>"$raw"; } # record PART ROW COLUMN VALUE
start() { # start SERVER PORT options...: the pid; each server in a directory of its own (nodes.conf)
  local server=$1 port=$2; shift 2
  mkdir -p "$work/$port"
  case $server in
    redis) start_redis "$port" --dir "$work/$port" "$@" ;;
    vermilion) start_vermilion "$port" "$vermilion_bin" --dir "$work/$port" "$@" ;;
  esac
}
cluster_args() { echo --cluster-enabled yes --cluster-port "${1:-$(free_port)}" --cluster-node-timeout 5000 --enable-debug-command local; } # cluster_args [BUS_PORT]
wait_cluster_ok() { # wait_cluster_ok PORT...
  local p
  for p in "$@"; do
    for _ in $(seq 200); do redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' && break; sleep 0.1; done
    redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' || { echo "node $p never reached cluster_state:ok"; exit 1; }
  done
}

declare -A port pid
if [[ ",$PARTS," == *,cpu,* ]]; then
echo "request CPU: standalone and cluster, $ROUNDS rounds"
for server in vermilion redis; do
  for mode in standalone cluster; do
    p=$(free_port)
    # shellcheck disable=SC2046
    if [ "$mode" = cluster ]; then id=$(start "$server" "$p" $(cluster_args)); else id=$(start "$server" "$p"); fi
    pids+=("$id"); wait_ready "$p"
    if [ "$mode" = cluster ]; then redis-cli -p "$p" cluster addslotsrange 0 16383 >/dev/null; wait_cluster_ok "$p"; fi
    port[$server-$mode]=$p; pid[$server-$mode]=$id
  done
done
for round in $(seq "$ROUNDS"); do
  echo "  round $round/$ROUNDS"
  order="vermilion-standalone vermilion-cluster redis-standalone redis-cluster"
  [ $((round % 2)) = 0 ] && order="redis-cluster redis-standalone vermilion-cluster vermilion-standalone"
  for which in $order; do
    for p in 1 16; do
      n=$N; [ "$p" = 16 ] && n=$NP
      # SET first: the GET run then finds its keys.
      for t in set get; do
        b=$(cpu_ticks "${pid[$which]}")
        "${on_client_cpu[@]}" redis-benchmark -p "${port[$which]}" -c 50 -P "$p" -n "$n" -r 100000 -t "$t" --csv >/dev/null 2>&1
        label="${t^^} -P $p"; [ "$p" = 1 ] && label="${t^^} unpipelined"
        record cpu "$label" "$which" "$(cpu_per_request "$b" "$(cpu_ticks "${pid[$which]}")" "$n")"
      done
    done
  done
done
for which in "${!pid[@]}"; do stop_server "${pid[$which]}"; done
fi

# The slot move: A owns the slot of the tag and every slot above it, B the slots below, so the
# slot is A's lowest, the one redis-cli --cluster reshard --cluster-slots 1 moves.
tag=bench
pairs=(vermilion:vermilion redis:redis vermilion:redis redis:vermilion)
[[ ",$PARTS," == *,move,* ]] || pairs=()
# The pairs take turns, move after move (each round starting with the next pair): the machine's load changes over a run (other work shares
# it) and moves the wall time by up to 3x, so a pair measured all at once would get the load of its
# own minutes (a run that moved each pair three times in a row had redis→vermilion, measured last,
# at 4.42 s; interleaved, the four pairs are within each other's spread).
for move in $(seq "$MOVES"); do
  # Each round starts one pair further on, so no pair always follows the same one.
  n=${#pairs[@]}; order=()
  for ((i = 0; i < n; i++)); do order+=("${pairs[$(((i + move - 1) % n))]}"); done
  for pair in "${order[@]}"; do
    from=${pair%%:*}; to=${pair#*:}; label="$from→$to"
    echo "slot move $move/$MOVES: $label, $SLOT_KEYS keys"
    a=$(free_port); b=$(free_port); bbus=$(free_port)
    # shellcheck disable=SC2046
    apid=$(on_server_cpu=(); start "$from" "$a" $(cluster_args)); pids+=("$apid")
    # shellcheck disable=SC2046
    bpid=$(on_server_cpu=(); start "$to" "$b" $(cluster_args "$bbus")); pids+=("$bpid")
    wait_ready "$a"; wait_ready "$b"
    slot=$(redis-cli -p "$a" cluster keyslot "$tag")
    redis-cli -p "$a" cluster addslotsrange "$slot" 16383 >/dev/null
    [ "$slot" -gt 0 ] && redis-cli -p "$b" cluster addslotsrange 0 $((slot - 1)) >/dev/null
    redis-cli -p "$a" cluster meet 127.0.0.1 "$b" "$bbus" >/dev/null
    wait_cluster_ok "$a" "$b"
    for _ in $(seq 100); do redis-cli --cluster check "127.0.0.1:$a" 2>&1 | grep -q 'All nodes agree' && break; sleep 0.1; done
    redis-cli -p "$a" debug populate "$SLOT_KEYS" "{$tag}" "$VALUE_SIZE" >/dev/null
    [ "$(redis-cli -p "$a" cluster countkeysinslot "$slot")" = "$SLOT_KEYS" ] || { echo "  $label: populate did not fill slot $slot"; exit 1; }
    ca=$(cpu_ticks "$apid"); cb=$(cpu_ticks "$bpid"); t0=$(date +%s.%N)
    redis-cli --cluster reshard "127.0.0.1:$a" --cluster-from "$(redis-cli -p "$a" cluster myid)" --cluster-to "$(redis-cli -p "$b" cluster myid)" \
      --cluster-slots 1 --cluster-pipeline "$PIPELINE" --cluster-yes >"$work/reshard" 2>&1
    t1=$(date +%s.%N)
    grep -q "ERR" "$work/reshard" && { echo "  $label: reshard failed"; cat "$work/reshard"; exit 1; }
    moved=$(redis-cli -p "$b" cluster countkeysinslot "$slot"); left=$(redis-cli -p "$a" cluster countkeysinslot "$slot")
    [ "$moved:$left" = "$SLOT_KEYS:0" ] || echo "  $label: after the move the target has $moved keys and the source $left"
    record move "wall time (s)" "$label" "$(python3 -c "print(round($t1 - $t0, 3))")"
    record move "source CPU (s)" "$label" "$(python3 -c "print(round(($(cpu_ticks "$apid") - $ca) / $ticks_per_second, 3))")"
    record move "target CPU (s)" "$label" "$(python3 -c "print(round(($(cpu_ticks "$bpid") - $cb) / $ticks_per_second, 3))")"
    stop_server "$apid"; stop_server "$bpid"
  done
done

python3 - "$raw" "ROUNDS=$ROUNDS N=$N NP=$NP SLOT_KEYS=$SLOT_KEYS VALUE_SIZE=$VALUE_SIZE PIPELINE=$PIPELINE MOVES=$MOVES" <<'PY'
import json, statistics, sys
raw, params = sys.argv[1], sys.argv[2]
parts = {}
for line in open(raw):
    part, row, col, value = line.rstrip("\n").split("|")
    parts.setdefault(part, {}).setdefault(row, {}).setdefault(col, []).append(float(value))
med = lambda v: statistics.median(v) if v else None
fmt = lambda v: "" if v is None else f"{v:.3g}"
ratio = lambda a, b: f"{a / b:.3f}x" if a is not None and b else ""
result = {"params": params}
if "cpu" in parts:
  print(f"\nServer CPU per request, µs (median; params: {params})\n")
  print("| | Vermilion standalone | Vermilion cluster | cluster/standalone | redis standalone | redis cluster | cluster/standalone | Vermilion/redis, cluster |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  for row, by in parts["cpu"].items():
    vs, vc, rs, rc = (med(by.get(k, [])) for k in ["vermilion-standalone", "vermilion-cluster", "redis-standalone", "redis-cluster"])
    print(f"| {row} | {fmt(vs)} | {fmt(vc)} | {ratio(vc, vs)} | {fmt(rs)} | {fmt(rc)} | {ratio(rc, rs)} | {ratio(vc, rc)} |")
pairs = ["vermilion→vermilion", "redis→redis", "vermilion→redis", "redis→vermilion"]
if "move" in parts:
  print(f"\nMoving one slot with redis-cli --cluster reshard (median)\n")
  print("| | " + " | ".join(pairs) + " |")
  print("|---|" + "---:|" * len(pairs))
  for row, by in parts["move"].items():
    print(f"| {row} | " + " | ".join(fmt(med(by.get(p, []))) for p in pairs) + " |")
    if row == "wall time (s)":
      print("| wall time min–max (s) | " + " | ".join(f"{fmt(min(by[p]))}–{fmt(max(by[p]))}" if by.get(p) else "" for p in pairs) + " |")
result.update(parts)
json.dump(result, open("bench/results/cluster-latest.json", "w"), indent=1, ensure_ascii=False)
PY
echo
echo "($(nproc) cores, shared machine: load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ))"
