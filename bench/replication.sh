#!/usr/bin/env bash
# Replication beside redis→redis (issue 19): for each pair kind, primary→replica, in one run
# (redis→redis, vermilion→vermilion, redis→vermilion, vermilion→redis), a fresh primary holding
# KEYS keys of VALUE_SIZE bytes (DEBUG POPULATE KEYS key VALUE_SIZE) pinned to CPU 1, replicas
# unpinned, redis-benchmark on CPU 0 (bench/lib.sh):
#   full sync   REPLICAOF on a freshly started, empty replica until master_link_status:up (INFO polled
#               every 5 ms, bench/replication_probe.py), the primary with repl-diskless-sync no (the
#               snapshot through a file) and yes (streamed, repl-diskless-sync-delay 0), the replica
#               with repl-diskless-load disabled (through a file) and swapdb (parsed from the socket)
#   relink      CLIENT KILL TYPE master on the replica until the link is up again, RELINKS times; the
#               primary's sync_partial_ok must rise by one each time and sync_full not at all
#   apply       redis-benchmark -P 16 SET (-r 100000, NP requests) on the primary while the replica's
#               lag (primary master_repl_offset - replica slave_repl_offset) is sampled: max, average,
#               and whether it is back to 0 within 1 s of the end; the replica's CPU per applied SET
#   primary CPU the primary's CPU (user + sys, /proc) per request of -P 16 SET and of unpipelined SET
#               (50 clients, N requests), without a replica (before the first sync) and with one
# Prints one markdown table per part; bench/results/replication-latest.json keeps the numbers.
#   KEYS=1000000 VALUE_SIZE=64 NP=2000000 N=200000 RELINKS=3 VERMILION_BIN=path
#   PAIRS=redis:redis,vermilion:vermilion,redis:vermilion,vermilion:redis
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "replication.sh: $tool is missing (apt-get install -y redis-server redis-tools python3)"; exit 1; }
done
KEYS=${KEYS:-1000000}; VALUE_SIZE=${VALUE_SIZE:-64}; NP=${NP:-2000000}; N=${N:-200000}; RELINKS=${RELINKS:-3}
PAIRS=${PAIRS:-redis:redis,vermilion:vermilion,redis:vermilion,vermilion:redis}
mkdir -p bench/results
# shellcheck source=bench/lib.sh
. bench/lib.sh
work=$(mktemp -d); raw=$work/raw; : >"$raw"
trap 'stop_all; rm -rf "$work"' EXIT
IFS=, read -ra pairs <<<"$PAIRS"
case ",$PAIRS," in *vermilion*) vermilion_bin=$(aot_binary) ;; esac

record() { echo "$1|$2|$3|$4" >>"$raw"; } # record PART ROW PAIR VALUE
start() { # start SERVER PORT DIR options...: the pid
  local server=$1 port=$2 dir=$3; shift 3
  case $server in
    redis) start_redis "$port" --dir "$dir" "$@" ;;
    vermilion) start_vermilion "$port" "$vermilion_bin" --dir "$dir" "$@" ;;
  esac
}
# The replica is not pinned: pinned beside its primary on CPU 1 it would measure the sharing of one
# core. Called as $(start_replica ...), so clearing on_server_cpu stays in that subshell.
start_replica() { on_server_cpu=(); start "$@"; }
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; } # info_field PORT SECTION FIELD
rps_of() { awk -F'"' '$2 == "SET" {print $4}'; } # requests/s from redis-benchmark --csv
set_load() { # set_load PORT PIPELINE REQUESTS: redis-benchmark SET over 100000 keys, 50 clients; prints requests/s
  "${on_client_cpu[@]}" redis-benchmark -p "$1" -c 50 -P "$2" -n "$3" -r 100000 -t set --csv 2>/dev/null | rps_of
}
primary_cpu() { # primary_cpu PAIR PORT PID WHEN: the primary's CPU per request, -P 16 and unpipelined
  local pair=$1 port=$2 pid=$3 when=$4 p n b rps
  for p in 16 1; do
    n=$NP; [ "$p" = 1 ] && n=$N
    b=$(cpu_ticks "$pid"); rps=$(set_load "$port" "$p" "$n")
    record cpu "SET -P $p, $when: primary CPU per request (µs)" "$pair" "$(cpu_per_request "$b" "$(cpu_ticks "$pid")" "$n")"
    record cpu "SET -P $p, $when: requests/s" "$pair" "$rps"
  done
}

for pair in "${pairs[@]}"; do
  ps=${pair%%:*}; rs=${pair#*:}; label="$ps→$rs"
  echo "$label"
  d=$work/$ps-$rs; mkdir -p "$d/primary"
  pp=$(free_port)
  ppid=$(start "$ps" "$pp" "$d/primary" --repl-diskless-sync-delay 0 --enable-debug-command local); pids+=("$ppid"); wait_ready "$pp"
  # The primary without a replica first, on the dataset it will have with one (KEYS keys and the
  # 100000 the SET load adds), then the dataset of the syncs alone.
  redis-cli -p "$pp" debug populate "$KEYS" key "$VALUE_SIZE" >/dev/null
  echo "  primary CPU, no replica"
  primary_cpu "$label" "$pp" "$ppid" "no replica"
  redis-cli -p "$pp" flushall >/dev/null
  redis-cli -p "$pp" debug populate "$KEYS" key "$VALUE_SIZE" >/dev/null

  for diskless in no yes; do
    redis-cli -p "$pp" config set repl-diskless-sync "$diskless" >/dev/null
    for load in disabled swapdb; do
      rd=$d/replica-$diskless-$load; mkdir -p "$rd"
      rp=$(free_port); rpid=$(start_replica "$rs" "$rp" "$rd" --repl-diskless-load "$load"); pids+=("$rpid"); wait_ready "$rp"
      framing="through a file"; [ "$diskless" = yes ] && framing="diskless"
      echo "  full sync: repl-diskless-sync $diskless, repl-diskless-load $load"
      t=$(python3 bench/replication_probe.py sync "$pp" "$rp")
      keys=$(redis-cli -p "$rp" dbsize)
      [ "$keys" = "$KEYS" ] || echo "  $label: the replica has $keys keys after the sync, not $KEYS"
      record sync "primary $framing, replica repl-diskless-load $load (s)" "$label" "$t"
      # The last replica (diskless, swapdb) stays for the parts below.
      if [ "$diskless$load" != yesswapdb ]; then stop_server "$rpid"; fi
    done
  done

  echo "  relink x$RELINKS"
  full0=$(info_field "$pp" stats sync_full); partial0=$(info_field "$pp" stats sync_partial_ok)
  for _ in $(seq "$RELINKS"); do
    t=$(python3 bench/replication_probe.py relink "$rp")
    record relink "CLIENT KILL TYPE master to link up (ms, median of $RELINKS)" "$label" "$(python3 -c "print(round($t * 1e3, 1))")"
    sleep 0.2
  done
  record relink "partial resyncs (sync_partial_ok added / relinks)" "$label" "$(($(info_field "$pp" stats sync_partial_ok) - partial0))/$RELINKS"
  record relink "full syncs during the relinks (sync_full added)" "$label" "$(($(info_field "$pp" stats sync_full) - full0))"

  echo "  apply: SET -P 16 x$NP"
  python3 bench/replication_probe.py lag "$pp" "$rp" >"$d/lag" & lag=$!; pids+=("$lag")
  sleep 0.1
  b=$(cpu_ticks "$rpid"); rps=$(set_load "$pp" 16 "$NP")
  kill -USR1 "$lag"; wait "$lag" # the probe waits up to 1 s more for the lag to reach 0: the replica's CPU includes its catching up
  record apply "primary requests/s (SET -P 16, the lag sampled)" "$label" "$rps"
  read -r lmax lavg samples settle <"$d/lag"
  record apply "max lag (bytes)" "$label" "$lmax"
  record apply "average lag (bytes)" "$label" "$lavg"
  record apply "lag samples (about one per 5 ms)" "$label" "$samples"
  record apply "lag back to 0 after the load (ms; -1: not within 1 s)" "$label" "$settle"
  record apply "replica CPU per applied SET (µs)" "$label" "$(cpu_per_request "$b" "$(cpu_ticks "$rpid")" "$NP")"
  [ "$(redis-cli -p "$rp" dbsize)" = "$(redis-cli -p "$pp" dbsize)" ] || echo "  $label: replica and primary differ in DBSIZE after the load"

  echo "  primary CPU, one replica"
  primary_cpu "$label" "$pp" "$ppid" "one replica"
  stop_server "$rpid"; stop_server "$ppid"
done

python3 - "$raw" "KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE NP=$NP N=$N RELINKS=$RELINKS" <<'PY'
import json, statistics, sys
raw, params = sys.argv[1], sys.argv[2]
parts = {}
for line in open(raw):
    part, row, pair, value = line.rstrip("\n").split("|")
    parts.setdefault(part, {})
    parts[part].setdefault(row, {}).setdefault(pair, []).append(value)
def num(v):
    try: return float(v)
    except ValueError: return None
def cell(values):
    if not values: return None, ""
    nums = [num(v) for v in values]
    if None in nums: return None, ",".join(values)
    m = statistics.median(nums)
    return m, f"{m:,.4g}" if abs(m) < 1000 else f"{m:,.0f}"
titles = {"sync": f"Full sync (params: {params})", "relink": "Partial relink", "apply": "Replica apply under SET -P 16",
          "cpu": "Primary CPU per request, with and without a replica"}
pairs = ["redis→redis", "vermilion→vermilion", "redis→vermilion", "vermilion→redis"]
result = {"params": params}
for part in [p for p in titles if p in parts]:
    print(f"\n{titles.get(part, part)}\n")
    print("| | " + " | ".join(pairs[:2]) + " | ratio | " + " | ".join(pairs[2:]) + " |")
    print("|---|---:|---:|---:|---:|---:|")
    result[part] = {}
    for row, by_pair in parts[part].items():
        cells = {p: cell(by_pair.get(p, [])) for p in pairs}
        (r, rs), (v, vs) = cells[pairs[0]], cells[pairs[1]]
        ratio = f"{v / r:.2f}x" if r and v is not None else ""
        print(f"| {row} | {rs} | {vs} | {ratio} | " + " | ".join(cells[p][1] for p in pairs[2:]) + " |")
        result[part][row] = {p: by_pair.get(p, []) for p in pairs}
json.dump(result, open("bench/results/replication-latest.json", "w"), indent=1, ensure_ascii=False)
PY
echo
echo "($(nproc) cores, shared machine; $(date -u +%Y-%m-%dT%H:%MZ))"
