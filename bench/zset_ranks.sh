#!/usr/bin/env bash
# ZRANK and a 10-entry range walk on one sorted set of 10^3 .. 10^6 members, Vermilion vs
# redis-server, through redis-benchmark pipelined (-P 16) so the data structure's cost shows
# through the network's. Prints requests/s per size.
# usage: bench/zset_ranks.sh [path to vermilion-server]
set -euo pipefail
cd "$(dirname "$0")/.."
server_bin=${1:-src/Vermilion.Server/bin/Release/net10.0/vermilion-server}
n=${N:-200000}
# shellcheck source=bench/lib.sh
. bench/lib.sh
rport=$(free_port); rpid=$(start_redis "$rport"); pids+=("$rpid")
vport=$(free_port); vpid=$(start_vermilion "$vport" "$server_bin"); pids+=("$vpid")
wait_ready "$rport"; wait_ready "$vport"
rps() { "${on_client_cpu[@]}" redis-benchmark -p "$1" -n "$n" -P 16 -c 4 -r "$2" -q --csv "${@:3}" | tail -1 | cut -d'"' -f4; }
printf '%10s  %22s  %22s  %30s\n' members "ZRANK redis/vermilion" "ZSCORE redis/vermilion" "ZRANGEBYSCORE x +inf LIMIT 0 10"
for size in 1000 10000 100000 1000000; do
  for port in $rport $vport; do
    redis-cli -p "$port" flushall >/dev/null
    python3 bench/load_zsets.py 1 "$size" 100 padded | redis-cli -p "$port" --pipe >/dev/null
  done
  key=zset:0000000001
  printf '%10s  %10s / %-9s  %10s / %-9s  %14s / %-9s\n' "$size" \
    "$(rps $rport $size ZRANK $key member:__rand_int__)" "$(rps $vport $size ZRANK $key member:__rand_int__)" \
    "$(rps $rport $size ZSCORE $key member:__rand_int__)" "$(rps $vport $size ZSCORE $key member:__rand_int__)" \
    "$(rps $rport $size ZRANGEBYSCORE $key __rand_int__ +inf LIMIT 0 10)" "$(rps $vport $size ZRANGEBYSCORE $key __rand_int__ +inf LIMIT 0 10)"
done
