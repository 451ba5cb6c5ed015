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
# Prints one line per trial and a table: set, trials, promotion min/median/max ms.
#   TRIALS=7 SETS="redis vermilion mixed-v/r mixed-r/v mixed-v/v mixed-r/r" NODE_TIMEOUT=2000 VERMILION_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${TRIALS:-7}; SETS=${SETS:-redis vermilion mixed-v/r mixed-r/v mixed-v/v mixed-r/r}; NODE_TIMEOUT=${NODE_TIMEOUT:-2000}
# Failover times, not CPU per request: nothing pinned (six servers share the two cores).
PIN=${PIN:-0}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bin=$(aot_binary)
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT

start_node() { # kind port dir: prints the pid
  local opts=(--dir "$3" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$NODE_TIMEOUT" --repl-diskless-sync-delay 0)
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

summary=()
for set in $SETS; do
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

  times=(); failed=0
  victim=${ports[0]}; heir=${ports[1]}
  # A replica starts a new election only auth_retry = 2 × max(2 × node timeout, 2 s) after its last
  # one (clusterHandleSlaveFailover), so a trial kills no sooner than that after the last promotion.
  auth_retry=$((2 * (2 * NODE_TIMEOUT > 2000 ? 2 * NODE_TIMEOUT : 2000)))
  last=0
  for trial in $(seq "$TRIALS"); do
    while [ $(($(now_ms) - last)) -lt $((auth_retry + 500)) ]; do sleep 0.1; done
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.3), 2))')"
    t0=$(now_ms); kill -9 "${pid_of[$victim]}"
    promoted=""
    for _ in $(seq 1000); do [ "$(cli "$heir" role | head -1)" = master ] && { promoted=1; break; }; sleep 0.01; done
    t1=$(now_ms); last=$t1
    if [ -z "$promoted" ]; then echo "$set trial $trial: no promotion in 10 s"; failed=$((failed + 1)); break; fi
    times+=($((t1 - t0)))
    echo "$set trial $trial: ${kind_of[$victim]} master killed, ${kind_of[$heir]} replica promoted in $((t1 - t0)) ms"
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
    settled || { echo "$set trial $trial: the killed master did not get its slots back"; failed=$((failed + 1)); break; }
  done
  stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%d %d %d", a[1], a[int((NR+1)/2)], a[NR]; else print "- - -"}')
  summary+=("$set ${#times[@]} $stats $failed")
  for p in "${ports[@]}"; do stop_server "${pid_of[$p]}"; done
  unset pid_of kind_of
  rm -rf "${work:?}"/*
done

echo
printf '%-10s %7s %16s %10s %10s %8s\n' set trials "promotion min ms" "median ms" "max ms" aborted
for line in "${summary[@]}"; do
  # shellcheck disable=SC2086
  printf '%-10s %7s %16s %10s %10s %8s\n' $line
done
