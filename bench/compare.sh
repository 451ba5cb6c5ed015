#!/usr/bin/env bash
# Runs the same redis-benchmark workloads against Vermilion (NativeAOT build) and redis-server,
# alternating, several rounds; prints requests/s and the ratio Vermilion/Redis per workload,
# memory per idle connection and per key, and writes bench/results/latest.json.
#   ROUNDS=3 (default)  QUICK=1 (tiny smoke run)  COLLECTIONS=1 (add redis-benchmark's collection tests)  STREAMS=0 (skip XADD, XRANGE, XREADGROUP, memory per stream entry)
#   TLS=1 (add SET/GET over TLS: both servers also listen on a tls-port, redis-benchmark --tls)
#   VERMILION_BIN=path (run that binary instead of building)  RESULTS_NAME=latest (the JSON file name)  PIN=1
# Both servers bind 127.0.0.1 with the same settings, pinned to CPU 1 with the clients on CPU 0
# (bench/lib.sh; PIN=0 to run unpinned). Both run with --save "" (and no AOF), so neither spends
# time on snapshots while measured (bench/persistence.sh measures those).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install -y redis-server redis-tools python3)"; exit 1; }
done

ROUNDS=${ROUNDS:-3}
N=${N:-200000}; NP=${NP:-2000000}; KEYS=${KEYS:-1000000}; IDLE=${IDLE:-5000}
if [ "${QUICK:-0}" = 1 ]; then ROUNDS=1; N=20000; NP=100000; KEYS=50000; IDLE=500; fi
ulimit -n 65536 2>/dev/null || true

out=bench/out; results=bench/results; mkdir -p "$out" "$results"
# shellcheck source=bench/lib.sh
. bench/lib.sh
raw=$(mktemp)
trap 'stop_all; rm -f "$raw"' EXIT

# VERMILION_BIN=path runs a given binary (say, an older build, to compare two builds against the
# same Redis) and skips the build and the JIT pass.
if [ -n "${VERMILION_BIN:-}" ]; then
  aot_bin=$VERMILION_BIN; jit_bin=""
else
  echo "building Vermilion (NativeAOT and JIT)..."
  publish_aot
  dotnet publish src/Vermilion.Server -c Release -o "$out/jit" -v q -nologo >/dev/null
  aot_bin=$out/aot/vermilion-server; jit_bin=$out/jit/vermilion-server
fi

# TLS=1: a test CA and a server certificate (openssl CLI); both servers get the same TLS settings
# on a tls-port of their own, clients are not asked for certificates (steady-state cost is the
# records, not the handshake), and redis-benchmark connects with --tls.
tls_server=(); tls_client=()
if [ "${TLS:-0}" = 1 ]; then
  tls_dir=$out/tls; mkdir -p "$tls_dir"
  openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" -days 30 -subj "/CN=bench CA" 2>/dev/null
  openssl req -new -nodes -newkey rsa:2048 -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tls_dir/san.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" -CAcreateserial -out "$tls_dir/server.crt" -days 30 -extfile "$tls_dir/san.ext" 2>/dev/null
  tls_server=(--tls-cert-file "$tls_dir/server.crt" --tls-key-file "$tls_dir/server.key" --tls-ca-cert-file "$tls_dir/ca.crt" --tls-auth-clients no)
  tls_client=(--tls --cacert "$tls_dir/ca.crt")
  rtp=$(free_port); vtp=$(free_port)
fi

# Both servers take thousands of connections here (the 1000-client and idle-connection runs).
start_redis_wide() { start_redis "$1" --protected-mode no --maxclients 20000 "${@:2}"; }
start_vermilion_wide() { start_vermilion "$1" "$2" --protected-mode no --maxclients 20000 "${@:3}"; }

record() { printf '{"kind":"%s","workload":"%s","server":"%s","value":%s,"build":"%s"}\n' "$1" "$2" "$3" "$4" "${5:-aot}" >>"$raw"; }


# bench NAME SERVER PORT BUILD PID -- redis-benchmark args; one row per test. A "-t a,b" list runs
# as one redis-benchmark per test, so the server's CPU time per request is measured for each.
bench() {
  local name=$1 server=$2 port=$3 build=$4 pid=$5; shift 6
  local args=("$@") tests=() requests=0 i
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
      -t) IFS=, read -ra tests <<<"${args[i + 1]}"; unset 'args[i]' 'args[i+1]'; i=$((i + 1)) ;;
      -n) requests=${args[i + 1]} ;;
    esac
  done
  [ ${#tests[@]} = 0 ] && tests=("")
  local t csv before after
  for t in "${tests[@]}"; do
    before=$(cpu_ticks "$pid")
    if ! csv=$("${on_client_cpu[@]}" redis-benchmark -p "$port" --csv ${t:+-t "$t"} "${args[@]}" 2>/dev/null); then echo "  $name $t on $server: failed"; continue; fi
    after=$(cpu_ticks "$pid")
    while IFS=, read -r test rps _; do
      test=${test//\"/}; rps=${rps//\"/}
      [ "$test" = test ] && continue
      [ -z "$rps" ] && continue
      record rps "$name $test" "$server" "$rps" "$build"
      # CPU per request only where the run was this test alone (an LRANGE_* run pushes first).
      if [ "$requests" -gt 0 ] && [ "${t%%_*}" != lrange ]; then
        record cpu "$name $test" "$server" "$(cpu_per_request "$before" "$after" "$requests")" "$build"
      fi
    done <<<"$csv"
  done
}

# client_workload NAME SERVER PID COUNT -- bench/ClientWorkloads arguments: its rate and the server's CPU per operation.
client_workload() {
  local name=$1 server=$2 pid=$3 count=$4; shift 4
  local before after
  before=$(cpu_ticks "$pid")
  record rps "$name" "$server" "$("${on_client_cpu[@]}" dotnet bench/ClientWorkloads/bin/Release/net10.0/ClientWorkloads.dll "$@")"
  after=$(cpu_ticks "$pid")
  record cpu "$name" "$server" "$(cpu_per_request "$before" "$after" "$count")"
}

SCRIPT_TRIVIAL="return 1"
SCRIPT_INCR="return redis.call('incr', KEYS[1])"
SCRIPT_TEN="for i = 1, 5 do redis.call('incr', KEYS[1]) redis.call('get', KEYS[1]) end return 1"
sha_of() { printf '%s' "$1" | sha1sum | cut -c1-40; }
SHA_TRIVIAL=$(sha_of "$SCRIPT_TRIVIAL"); SHA_INCR=$(sha_of "$SCRIPT_INCR"); SHA_TEN=$(sha_of "$SCRIPT_TEN")
workloads=(
  "50 clients|-c 50 -n $N -t set,get"
  "50 clients -P 16|-c 50 -n $NP -P 16 -t set,get"
  "50 clients -P 128|-c 50 -n $NP -P 128 -t set,get"
  "50 clients -P 128, 256-byte values|-c 50 -n $NP -P 128 -d 256 -t set"
  "50 clients|-c 50 -n $N -t ping_inline,ping_mbulk"
  "50 clients|-c 50 -n $N -t incr"
  "50 clients, random keys over 1M|-c 50 -n $N -r 1000000 -t set,get"
  "50 clients|-c 50 -n $N -t mset"
  "1000 clients|-c 1000 -n $N -t set,get"
  # EVALSHA of three cached scripts (loaded into both servers below): trivial, one INCR, ten commands.
  "50 clients -P 16 EVALSHA return 1|-c 50 -n $NP -P 16 evalsha $SHA_TRIVIAL 0"
  "50 clients -P 16 EVALSHA incr|-c 50 -n $NP -P 16 evalsha $SHA_INCR 1 counter"
  "50 clients -P 16 EVALSHA 10 commands|-c 50 -n $NP -P 16 evalsha $SHA_TEN 1 counter"
)
# Issue 17's families; a third field names the data bench/workload_data.py loads first.
workloads+=(
  "50 clients PFADD|-c 50 -n $N -r 1000000 pfadd hll:new __rand_int__"
  "50 clients PFCOUNT of 1 key|-c 50 -n $N pfcount hll:1|hll"
  "50 clients PFCOUNT of 3 keys|-c 50 -n $((N / 10)) pfcount hll:1 hll:2 hll:3|hll"
  "50 clients GEOSEARCH of 10 results|-c 50 -n $N geosearch geo:pts fromlonlat 13.36 38.11 byradius 50 km count 10 asc withdist|geo"
  "50 clients SORT of a 100-element list|-c 50 -n $N sort sort:l|sort"
)
# PUBLISH to a channel with 10 subscribers on each server (started below), as a custom command.
workloads+=("50 clients, 10 subscribers|-c 50 -n $N PUBLISH news hello-subscribers")
if [ "${COLLECTIONS:-0}" = 1 ]; then
  workloads+=("50 clients|-c 50 -n $N -t lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600")
fi

rp=$(free_port); vp=$(free_port)
if [ "${TLS:-0}" = 1 ]; then
  rpid=$(start_redis_wide "$rp" --tls-port "$rtp" "${tls_server[@]}"); vpid=$(start_vermilion_wide "$vp" "$aot_bin" --tls-port "$vtp" "${tls_server[@]}")
else
  rpid=$(start_redis_wide "$rp"); vpid=$(start_vermilion_wide "$vp" "$aot_bin")
fi
pids+=("$rpid" "$vpid"); wait_ready "$rp"; wait_ready "$vp"
for port in $rp $vp; do
  for _ in $(seq 10); do "${on_client_cpu[@]}" redis-cli -p "$port" subscribe news >/dev/null 2>&1 & pids+=($!); done
done
for port in $rp $vp; do
  for script in "$SCRIPT_TRIVIAL" "$SCRIPT_INCR" "$SCRIPT_TEN"; do redis-cli -p "$port" script load "$script" >/dev/null; done
done
dotnet build bench/ClientWorkloads -c Release -v q -nologo >/dev/null

for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS"
  for w in "${workloads[@]}"; do
    name=${w%%|*}; args=${w#*|}; data=""
    if [[ "$args" == *"|"* ]]; then data=${args#*|}; args=${args%%|*}; fi
    # Alternate who goes first, so neither always runs on a warmer machine.
    if [ $((round % 2)) = 1 ]; then order="redis vermilion"; else order="vermilion redis"; fi
    for server in $order; do
      port=$rp; [ "$server" = vermilion ] && port=$vp
      redis-cli -p "$port" flushall >/dev/null
      [ -n "$data" ] && python3 bench/workload_data.py "$data" | redis-cli -p "$port" --pipe >/dev/null
      # shellcheck disable=SC2086
      pid=$rpid; [ "$server" = vermilion ] && pid=$vpid
      bench "$name" "$server" "$port" aot "$pid" -- $args
    done
  done
  # TLS rows: the same SET/GET through each server's tls-port (the flush goes through the plain one).
  if [ "${TLS:-0}" = 1 ]; then
    for server in $order; do
      port=$rp tport=$rtp pid=$rpid; [ "$server" = vermilion ] && port=$vp tport=$vtp pid=$vpid
      redis-cli -p "$port" flushall >/dev/null
      bench "TLS, 50 clients" "$server" "$tport" aot "$pid" -- -c 50 -n "$N" -t set,get "${tls_client[@]}"
      bench "TLS, 50 clients -P 16" "$server" "$tport" aot "$pid" -- -c 50 -n "$NP" -P 16 -t set,get "${tls_client[@]}"
    done
  fi
  # MULTI/INCR/SET/EXEC transactions (redis-benchmark has no transaction workload).
  for server in $order; do
    port=$rp pid=$rpid; [ "$server" = vermilion ] && port=$vp pid=$vpid
    client_workload "50 clients MULTI/INCR/SET/EXEC (transactions/s)" "$server" "$pid" $((N / 4)) multi "$port" 50 $((N / 4))
  done
done

# Memory is measured on freshly started servers: a garbage-collected heap keeps what earlier
# workloads grew it to, so growth measured on a used Vermilion would read too low.
fresh() { # fresh redis|vermilion: start one; sets fport and fpid
  fport=$(free_port)
  if [ "$1" = redis ]; then fpid=$(start_redis_wide "$fport"); else fpid=$(start_vermilion_wide "$fport" "$aot_bin"); fi
  pids+=("$fpid")
  wait_ready "$fport"
}
stop_fresh() { stop_server "$fpid"; }

echo "memory: $IDLE idle connections"
for server in redis vermilion; do
  fresh "$server"
  record memory "RSS bytes per idle connection ($IDLE clients, one PING each)" "$server" "$(python3 bench/idle_connections.py "$fport" "$fpid" "$IDLE")"
  stop_fresh
done

# memory_growth LABEL COUNT UNIT -- loader command: RSS and used_memory growth per UNIT after loading COUNT of them
# (counted by DBSIZE, or by the command in MEMORY_COUNT)
memory_growth() {
  local label=$1 count=$2; shift 4
  echo "memory: $label"
  for server in redis vermilion; do
    fresh "$server"
    local before used_before
    before=$(rss "$fpid"); used_before=$(used_memory "$fport")
    "$@" | redis-cli -p "$fport" --pipe >/dev/null
    # shellcheck disable=SC2086
    if [ "$(redis-cli -p "$fport" ${MEMORY_COUNT:-dbsize})" = "$count" ]; then
      sleep 1
      record memory "RSS bytes per $label" "$server" "$(( ($(rss "$fpid") - before) / count ))"
      record memory "used_memory bytes per $label" "$server" "$(( ($(used_memory "$fport") - used_before) / count ))"
    else echo "  $server did not load $count ${label%% *}s"; fi
    stop_fresh
  done
}
memory_per_key() { memory_growth "key ($KEYS keys, $3)" "$KEYS" key -- python3 bench/load_keys.py "$KEYS" "$1" "$2"; }
memory_per_collection() { memory_growth "$1 ($2 ${1}s of $3)" "$2" "$1" -- python3 bench/load_collections.py "$1" "$2" "$3"; }

memory_per_key 10 0 "10-byte values"
memory_per_key 64 0 "64-byte values"
memory_per_key 64 100000 "64-byte values, EX 100000"
if [ "${COLLECTIONS:-0}" = 1 ]; then
  SMALL=${SMALL:-100000}; BIG=${BIG:-1000000}
  [ "${QUICK:-0}" = 1 ] && { SMALL=5000; BIG=20000; }
  for kind in list hash set intset zset; do memory_per_collection "$kind" "$SMALL" 10; done
  for kind in list zset; do memory_per_collection "$kind" 10 "$BIG"; done
fi

# Streams (STREAMS=0 skips them): XADD, XRANGE of 10, XREADGROUP COUNT 1 NOACK, and XREADGROUP then
# XACK of the ID it got (bench/ClientWorkloads: redis-benchmark cannot feed XACK) over a stream of N
# entries; memory per entry of a 1M-entry stream.
if [ "${STREAMS:-1}" = 1 ]; then
  for round in $(seq "$ROUNDS"); do
    echo "streams round $round/$ROUNDS"
    if [ $((round % 2)) = 1 ]; then order="redis vermilion"; else order="vermilion redis"; fi
    for server in $order; do
      port=$rp pid=$rpid; [ "$server" = vermilion ] && port=$vp pid=$vpid
      redis-cli -p "$port" flushall >/dev/null
      bench "50 clients" "$server" "$port" aot "$pid" -- -c 50 -n "$N" XADD bench:stream '*' field value n 1
      bench "50 clients" "$server" "$port" aot "$pid" -- -c 50 -n "$N" XRANGE bench:stream - + COUNT 10
      redis-cli -p "$port" xgroup create bench:stream g 0 >/dev/null
      bench "50 clients" "$server" "$port" aot "$pid" -- -c 50 -n "$N" XREADGROUP GROUP g c NOACK COUNT 1 STREAMS bench:stream '>'
      redis-cli -p "$port" xgroup create bench:stream acked 0 >/dev/null
      client_workload "50 clients XREADGROUP + XACK (entries/s)" "$server" "$pid" $((N / 4)) xreadgroup-xack "$port" 50 $((N / 4)) bench:stream acked
    done
  done
  ENTRIES=${ENTRIES:-1000000}; [ "${QUICK:-0}" = 1 ] && ENTRIES=50000
  echo "memory: stream entry ($ENTRIES entries of 2 small fields)"
  MEMORY_COUNT="xlen coll:stream:0000000" memory_growth "stream entry ($ENTRIES entries of 2 small fields)" "$ENTRIES" entry -- \
    python3 bench/load_collections.py stream 1 "$ENTRIES"
fi

if [ -n "$jit_bin" ]; then
  echo "JIT build, one pass"
  stop_server "$vpid"
  jp=$(free_port); jpid=$(start_vermilion_wide "$jp" "$jit_bin"); pids+=("$jpid"); wait_ready "$jp"
  for w in "${workloads[0]}" "${workloads[1]}"; do
    name=${w%%|*}; args=${w#*|}; data=""
    if [[ "$args" == *"|"* ]]; then data=${args#*|}; args=${args%%|*}; fi
    # shellcheck disable=SC2086
    bench "$name" redis "$rp" jit "$rpid" -- $args
    # shellcheck disable=SC2086
    bench "$name" vermilion "$jp" jit "$jpid" -- $args
  done
fi

echo
python3 bench/report.py "$raw" "$results/${RESULTS_NAME:-latest}.json"
echo
echo "(bench/results/${RESULTS_NAME:-latest}.json; $ROUNDS rounds, median; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ))"
