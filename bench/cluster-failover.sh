#!/usr/bin/env bash
# Cluster failover: how long after kill -9 of a master its replica is a master, TRIALS rounds per set.
# Each set is a cluster of three masters with a replica each (cluster-node-timeout NODE_TIMEOUT ms),
# slots 0-5460 on the victim shard:
#   redis       six redis-server (the oracle, same run)
#   vermilion   six vermilion-server (NativeAOT)
#   mixed-M/R   the victim shard's master of kind M and replica of kind R (v = vermilion, r = redis);
#               the two other shards are a redis master with a vermilion replica and the reverse.
# Each trial: after a random 0.3–1.3 s the victim master gets SIGKILL; promotion is the time until its
# replica answers ROLE with "master". The killed server restarts on its nodes.conf, rejoins as a
# replica, and CLUSTER FAILOVER gives it its slots back, so every trial kills the same kind.
# The sets run in turn, TRIALS trials each, ROUNDS times over (so a change in the machine's load
# falls on every set alike). Every node logs at LOGLEVEL (debug by default: both servers log when
# they flag a node PFAIL only there), and each trial's phases are read from the survivors' logs
# (cluster_failover_phases.py): when the first and the last survivor flagged the victim PFAIL,
# when the first flagged it FAIL and when the heir learned it, the election's delay, its start, the win.
# Prints one line per trial, a table of set, trials, promotion min/median/max ms, and one of the
# phases' medians (ms after the kill) per set.
#   ROUNDS=1 TRIALS=7 SETS="redis vermilion mixed-v/r mixed-r/v mixed-v/v mixed-r/r" NODE_TIMEOUT=2000 LOGLEVEL=debug VERMILION_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-1}; TRIALS=${TRIALS:-7}; SETS=${SETS:-redis vermilion mixed-v/r mixed-r/v mixed-v/v mixed-r/r}
NODE_TIMEOUT=${NODE_TIMEOUT:-2000}; LOGLEVEL=${LOGLEVEL:-debug}
# Failover times, not CPU per request: nothing pinned (six servers share the two cores).
PIN=${PIN:-0}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bin=$(aot_binary)
work=$(mktemp -d); results=$(mktemp -d)
trap 'stop_all; rm -rf "$work" "$results"' EXIT

start_node() { # kind port dir: prints the pid
  local opts=(--dir "$3" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$NODE_TIMEOUT" --repl-diskless-sync-delay 0
    --logfile "$3/log" --loglevel "$LOGLEVEL")
  case $1 in
    v) start_vermilion "$2" "$bin" "${opts[@]}" ;;
    r) start_redis "$2" "${opts[@]}" ;;
  esac
}
# The bus listens on port + 10000, which must be free too and at most 65535 (free_port's ephemeral range is not).
free_cluster_port() {
  python3 -c '
import random, socket
while True:
    p = random.randrange(20000, 30000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError: pass'
}
cli() { redis-cli -p "$@" 2>/dev/null | tr -d '\r'; }
info_field() { cli "$1" info "$2" | awk -F: -v f="$3" '$1 == f {print $2}'; }
now_ms() { date +%s%3N; }

run_set() { # set trials: appends each promotion's ms to $results/<set>.times, its phases to <set>.phases
  local set=$1 trials=$2 file=$results/${1//\//-}
  case $set in
    redis) kinds=(r r r r r r) ;;
    vermilion) kinds=(v v v v v v) ;;
    mixed-?/?) kinds=("${set:6:1}" "${set:8:1}" r v v r) ;;
    *) echo "unknown set $set"; exit 1 ;;
  esac
  # 0: the victim master, 1: its replica; 2 and 4: the other masters, 3 and 5 their replicas.
  ports=(); declare -A pid_of=() kind_of=()
  for i in 0 1 2 3 4 5; do
    port=$(free_cluster_port); mkdir -p "$work/$port"
    ports+=("$port"); kind_of[$port]=${kinds[$i]}
    pid_of[$port]=$(start_node "${kinds[$i]}" "$port" "$work/$port"); pids+=("${pid_of[$port]}")
  done
  for p in "${ports[@]}"; do wait_ready "$p"; done
  cli "${ports[0]}" cluster addslotsrange 0 5460 >/dev/null
  cli "${ports[2]}" cluster addslotsrange 5461 10922 >/dev/null
  cli "${ports[4]}" cluster addslotsrange 10923 16383 >/dev/null
  for p in "${ports[@]:1}"; do cli "${ports[0]}" cluster meet 127.0.0.1 "$p" >/dev/null; done
  id_of() { cli "$1" cluster myid; }
  # A replica can be told its master once it has heard of it.
  for r in 1 3 5; do
    master_id=$(id_of "${ports[$((r - 1))]}")
    for _ in $(seq 100); do [ "$(cli "${ports[$r]}" cluster replicate "$master_id")" = OK ] && break; sleep 0.1; done
  done

  # Ready for a trial: node 0 is a master with one online replica (node 1, in sync), every node
  # sees the cluster ok and no node flagged failing.
  settled() {
    [ "$(info_field "${ports[0]}" replication role)" = master ] || return 1
    [ "$(info_field "${ports[1]}" replication master_link_status)" = up ] || return 1
    [ "$(info_field "${ports[0]}" replication connected_slaves)" = 1 ] || return 1
    for p in "${ports[@]}"; do
      [ "$(info_field "$p" cluster cluster_enabled)" = 1 ] || return 1
      [ "$(cli "$p" cluster info | awk -F: '$1 == "cluster_state" {print $2}')" = ok ] || return 1
      [ "$(cli "$p" cluster nodes | grep -c 'fail')" = 0 ] || return 1
      [ "$(cli "$p" cluster nodes | wc -l)" = 6 ] || return 1
    done
    for r in 3 5; do [ "$(info_field "${ports[$r]}" replication master_link_status)" = up ] || return 1; done
  }
  for _ in $(seq 600); do settled && break; sleep 0.1; done
  settled || { echo "$set: the cluster never settled"; exit 1; }

  victim=${ports[0]}; heir=${ports[1]}
  # A replica starts a new election only auth_retry = 2 × max(2 × node timeout, 2 s) after its last
  # one (clusterHandleSlaveFailover), so a trial kills no sooner than that after the last promotion.
  auth_retry=$((2 * (2 * NODE_TIMEOUT > 2000 ? 2 * NODE_TIMEOUT : 2000)))
  last=0
  for trial in $(seq "$trials"); do
    while [ $(($(now_ms) - last)) -lt $((auth_retry + 500)) ]; do sleep 0.1; done
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.3), 2))')"
    victim_id=$(id_of "$victim")
    t0=$(now_ms); kill -9 "${pid_of[$victim]}"
    promoted=""
    for _ in $(seq 1000); do [ "$(cli "$heir" role | head -1)" = master ] && { promoted=1; break; }; sleep 0.01; done
    t1=$(now_ms); last=$t1
    if [ -z "$promoted" ]; then echo "$set trial $trial: no promotion in 10 s"; echo >>"$file.aborted"; break; fi
    echo $((t1 - t0)) >>"$file.times"
    survivor_logs=(); for p in "${ports[@]:2}"; do survivor_logs+=("$work/$p/log"); done
    phases=$(python3 bench/cluster_failover_phases.py "$t0" $((t1 - t0)) "$victim_id" "$work/$heir/log" "${survivor_logs[@]}")
    echo "$phases" >>"$file.phases"
    echo "$set trial $trial: ${kind_of[$victim]} master killed, ${kind_of[$heir]} replica promoted in $((t1 - t0)) ms $phases"
    pid_of[$victim]=$(start_node "${kind_of[$victim]}" "$victim" "$work/$victim"); pids+=("${pid_of[$victim]}"); wait_ready "$victim"
    # The restarted node learns it lost its slots, follows the new master, then takes them back.
    for _ in $(seq 300); do [ "$(info_field "$victim" replication master_link_status)" = up ] && break; sleep 0.1; done
    # CLUSTER FAILOVER gives up after 5 s; the restarted node's own last election (the previous
    # trial's failback) may hold it back until its auth_retry has passed: ask again.
    for _ in $(seq 10); do
      [ "$(cli "$victim" cluster failover)" = OK ] || { sleep 0.5; continue; }
      for _ in $(seq 60); do [ "$(info_field "$victim" replication role)" = master ] && break; sleep 0.1; done
      [ "$(info_field "$victim" replication role)" = master ] && break
    done
    for _ in $(seq 600); do settled && break; sleep 0.1; done
    settled || { echo "$set trial $trial: the killed master did not get its slots back"; echo >>"$file.aborted"; break; }
  done
  for p in "${ports[@]}"; do stop_server "${pid_of[$p]}"; done
  rm -rf "${work:?}"/*
}

for _ in $(seq "$ROUNDS"); do
  for set in $SETS; do run_set "$set" "$TRIALS"; done
done

echo
printf '%-10s %7s %16s %10s %10s %8s\n' set trials "promotion min ms" "median ms" "max ms" aborted
for set in $SETS; do
  file=$results/${set//\//-}
  stats=$(sort -n "$file.times" 2>/dev/null | awk '{a[NR]=$1} END {if (NR) printf "%d %d %d %d", NR, a[1], a[int((NR+1)/2)], a[NR]; else print "0 - - -"}')
  # shellcheck disable=SC2086
  printf '%-10s %7s %16s %10s %10s %8s\n' "$set" $stats "$(cat "$file.aborted" 2>/dev/null | wc -l)"
done
echo
echo "phase medians, ms after the kill (election delay: the delay the heir chose)"
for set in $SETS; do
  file=$results/${set//\//-}
  [ -s "$file.phases" ] && python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[2])]
keys = list(rows[0])
if sys.argv[3] == "1": print("%-10s " % "set" + " ".join("%14s" % k for k in keys))
def med(k):
    v = [r[k] for r in rows]
    v = [x for x in v if x is not None]
    return "%14s" % (round(statistics.median(v)) if v else "-")
print("%-10s " % sys.argv[1] + " ".join(med(k) for k in keys))' "$set" "$file.phases" "$([ "$set" = "${SETS%% *}" ] && echo 1 || echo 0)"
done
