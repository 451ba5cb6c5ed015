#!/usr/bin/env bash
# Sorted set memory, Vermilion vs redis-server: used_memory and RSS growth after loading
#   (a) 100,000 sorted sets of 10 small members ("member:N", integer scores), and
#   (b) one sorted set of 1,000,000 members,
# each into a freshly started pair of servers.
# usage: bench/zset_memory.sh [path to vermilion-server]   (default: the Release JIT build; a
#        NativeAOT binary from `dotnet publish -p:PublishAot=true` starts with a smaller RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
server_bin=${1:-src/Vermilion.Server/bin/Release/net10.0/vermilion-server}
[ -x "$server_bin" ] || dotnet build src/Vermilion.Server -c Release -v q -nologo >/dev/null
# shellcheck source=bench/lib.sh
. bench/lib.sh

measure() { # label keys members
  local label=$1 keys=$2 members=$3
  for server in redis vermilion; do
    port=$(free_port)
    if [ $server = redis ]; then pid=$(start_redis "$port"); else pid=$(start_vermilion "$port" "$server_bin"); fi
    pids+=("$pid"); wait_ready "$port"
    sleep 0.5
    local rss0 used0
    rss0=$(rss $pid); used0=$(used_memory "$port")
    python3 bench/load_zsets.py "$keys" "$members" | redis-cli -p "$port" --pipe >/dev/null
    [ "$(redis-cli -p "$port" dbsize)" = "$keys" ] || echo "  $server did not load $keys keys"
    sleep 1
    local rss1 used1 encoding
    rss1=$(rss $pid); used1=$(used_memory "$port")
    encoding=$(redis-cli -p "$port" object encoding zset:0000000001)
    printf '%-44s %-9s %-8s used_memory +%6.1f MB  RSS +%6.1f MB  (%d B / %d B per member)\n' "$label" "$server" "$encoding" \
      "$(awk "BEGIN {print ($used1 - $used0) / 1048576}")" "$(awk "BEGIN {print ($rss1 - $rss0) / 1048576}")" \
      $(( (used1 - used0) / (keys * members) )) $(( (rss1 - rss0) / (keys * members) ))
    stop_server "$pid"
  done
}

measure "100,000 sorted sets of 10 members" 100000 10
measure "1 sorted set of 1,000,000 members" 1 1000000
