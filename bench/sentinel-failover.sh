#!/usr/bin/env bash
# Sentinel failover under WAIT 1, TRIALS kill -9/restart rounds per set of servers: how long until a
# replica is promoted, and is any acknowledged write lost? Each set is a primary and two replicas,
# watched by three sentinels (Debian's redis-server --sentinel, quorum 2, down-after DOWN_AFTER ms):
#   vermilion  three vermilion-server (NativeAOT)
#   redis      three redis-server (the oracle, same run)
#   mixed      the issue's set: vermilion-server, redis-server, vermilion-server
# Each trial: bench/sentinel_writer.py writes SET t<trial>:N N then WAIT 1 1000 to the primary Sentinel
# names, recording N when WAIT counted a replica; after a random 0.3–1.0 s the primary gets SIGKILL.
# Promotion is the time until sentinel 0's get-master-addr-by-name names another server. The killed
# server is restarted empty on its port; the trial ends when Sentinel has made it a replica of the new
# primary and both replicas are online. Lost = acknowledged keys missing on the new primary (every
# trial's keys so far, so a later failover that loses an older write counts too).
# Prints one line per trial and a table: set, trials, promotion min/median/max ms, lost writes.
#   TRIALS=20 SETS="vermilion redis" DOWN_AFTER=2000 VERMILION_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${TRIALS:-20}; SETS=${SETS:-vermilion redis}; DOWN_AFTER=${DOWN_AFTER:-2000}
# Failover times, not CPU per request: nothing pinned (nine processes share the two cores).
PIN=${PIN:-0}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bin=$(aot_binary)
work=$(mktemp -d)
trap 'stop_all; rm -rf "$work"' EXIT

# Both kinds replicate without the 5 s diskless delay (a restarted server resyncs at once).
start_server() { # kind port dir: prints the pid
  case $1 in
    vermilion) start_vermilion "$2" "$bin" --dir "$3" --repl-diskless-sync-delay 0 ;;
    redis) start_redis "$2" --dir "$3" --repl-diskless-sync-delay 0 ;;
  esac
}
field() { redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }
primary_port() { redis-cli -p "$1" sentinel get-master-addr-by-name m 2>/dev/null | tail -1; }
now_ms() { date +%s%3N; }

summary=()
for set in $SETS; do
  case $set in
    vermilion) kinds=(vermilion vermilion vermilion) ;;
    redis) kinds=(redis redis redis) ;;
    mixed) kinds=(vermilion redis vermilion) ;;
    *) echo "unknown set $set"; exit 1 ;;
  esac
  ports=(); spids=(); sports=()
  declare -A pid_of=() kind_of=()
  for i in 0 1 2; do
    port=$(free_port); mkdir -p "$work/$set/$port"
    ports+=("$port"); kind_of[$port]=${kinds[$i]}
    pid_of[$port]=$(start_server "${kinds[$i]}" "$port" "$work/$set/$port"); pids+=("${pid_of[$port]}"); wait_ready "$port"
    [ "$i" -gt 0 ] && redis-cli -p "$port" replicaof 127.0.0.1 "${ports[0]}" >/dev/null
  done
  for i in 0 1 2; do
    port=$(free_port); d=$work/$set/sentinel$i; mkdir -p "$d"
    printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor m 127.0.0.1 %s 2\nsentinel down-after-milliseconds m %s\nsentinel failover-timeout m 4000\n' \
      "$port" "$d" "${ports[0]}" "$DOWN_AFTER" >"$d/sentinel.conf"
    redis-server "$d/sentinel.conf" --sentinel >"$d/log" 2>&1 & spids+=($!); pids+=($!)
    sports+=("$port")
  done
  for p in "${sports[@]}"; do wait_ready "$p"; done

  # Ready for a trial: every sentinel names the same primary, it has two online replicas, and no failover is under way.
  settled() {
    local p; p=$(primary_port "${sports[0]}")
    for s in "${sports[@]:1}"; do [ "$(primary_port "$s")" = "$p" ] || return 1; done
    [ "$(field "$p" role)" = master ] || return 1
    [ "$(redis-cli -p "$p" info replication | grep -c 'state=online')" = 2 ] || return 1
    for s in "${sports[@]}"; do
      [ "$(redis-cli -p "$s" sentinel master m | tr -d '\r' | awk 'prev == "flags" {print} {prev = $0}')" = master ] || return 1
      [ "$(redis-cli -p "$s" sentinel replicas m | grep -c 's_down\|disconnected')" = 0 ] || return 1
    done
  }
  for _ in $(seq 600); do settled && break; sleep 0.1; done
  settled || { echo "$set: the sentinels never settled"; exit 1; }

  times=(); lost_total=0; failed=0
  for trial in $(seq "$TRIALS"); do
    primary=$(primary_port "${sports[0]}")
    python3 bench/sentinel_writer.py "$primary" write "t$trial" >"$work/$set/acked.$trial" 2>/dev/null & writer=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.0), 2))')"
    t0=$(now_ms); kill -9 "${pid_of[$primary]}"
    promoted=""
    for _ in $(seq 400); do p=$(primary_port "${sports[0]}"); [ -n "$p" ] && [ "$p" != "$primary" ] && { promoted=$p; break; }; sleep 0.025; done
    t1=$(now_ms); wait "$writer" 2>/dev/null || true
    if [ -z "$promoted" ]; then echo "$set trial $trial: no promotion in 10 s"; failed=$((failed + 1)); break; fi
    times+=($((t1 - t0)))
    pid_of[$primary]=$(start_server "${kind_of[$primary]}" "$primary" "$work/$set/$primary"); pids+=("${pid_of[$primary]}"); wait_ready "$primary"
    for _ in $(seq 600); do settled && break; sleep 0.1; done
    settled || { echo "$set trial $trial: the restarted server did not rejoin"; failed=$((failed + 1)); break; }
    new=$(primary_port "${sports[0]}")
    lost=$(python3 bench/sentinel_writer.py "$new" check "$work/$set"/acked.*)
    acked=$(cat "$work/$set"/acked.* | wc -l)
    lost_total=$lost
    echo "$set trial $trial: ${kind_of[$primary]} $primary killed, ${kind_of[$promoted]} $promoted promoted in $((t1 - t0)) ms; $(wc -l <"$work/$set/acked.$trial") writes acknowledged this trial, $lost of $acked lost so far"
  done
  stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%d %d %d", a[1], a[int((NR+1)/2)], a[NR]; else print "- - -"}')
  summary+=("$set ${#times[@]} $stats $lost_total $failed")
  for p in "${ports[@]}"; do stop_server "${pid_of[$p]}"; done
  for p in "${spids[@]}"; do stop_server "$p"; done
  unset pid_of kind_of
done

echo
printf '%-10s %7s %16s %16s %16s %11s %9s\n' set trials "promotion min ms" "median ms" "max ms" "lost acked" aborted
for line in "${summary[@]}"; do
  # shellcheck disable=SC2086
  printf '%-10s %7s %16s %16s %16s %11s %9s\n' $line
done
