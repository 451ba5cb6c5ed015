#!/usr/bin/env bash
# Memory per hash, Vermilion (NativeAOT build) beside redis-server, each freshly started:
# RSS and used_memory growth per hash after loading HASHES hashes of 10 fields ("field:N" ->
# 10-byte values, listpack), then per field after loading 10 hashes of FIELDS fields (hashtable).
#   HASHES=100000 FIELDS=100000 (defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
HASHES=${HASHES:-100000}; FIELDS=${FIELDS:-100000}
out=bench/out; mkdir -p "$out"
# shellcheck source=bench/lib.sh
. bench/lib.sh
[ -x "$out/aot/vermilion-server" ] || dotnet publish src/Vermilion.Server -c Release -p:PublishAot=true -o "$out/aot" -v q -nologo >/dev/null

# hashes COUNT FIELDS_EACH: HSET commands, 100 fields per command at most
hashes() {
  python3 - "$1" "$2" <<'PY'
import sys
count, fields = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
for h in range(count):
    for start in range(0, fields, 100):
        args = [b"HSET", b"hash:%d" % h]
        for f in range(start, min(start + 100, fields)):
            args += [b"field:%d" % f, b"val-%06d" % ((h * 7 + f) % 1000000)]
        out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}

# measure LABEL COUNT FIELDS_EACH UNITS: a fresh server of each kind, growth divided by UNITS
measure() {
  local label=$1 count=$2 each=$3 units=$4
  for server in redis vermilion; do
    local port pid
    port=$(free_port)
    if [ $server = redis ]; then pid=$(start_redis "$port"); else pid=$(start_vermilion "$port" "$out/aot/vermilion-server"); fi
    pids+=("$pid"); wait_ready "$port"
    local before used_before
    before=$(rss "$pid"); used_before=$(used_memory "$port")
    hashes "$count" "$each" | redis-cli -p "$port" --pipe >/dev/null
    sleep 1
    printf '%-10s %-40s %s: RSS %d B, used_memory %d B\n' "$server" "$label" "$(redis-cli -p "$port" object encoding hash:0)" \
      $(( ($(rss "$pid") - before) / units )) $(( ($(used_memory "$port") - used_before) / units ))
    stop_server "$pid"
  done
}

measure "per hash ($HASHES hashes of 10 fields)" "$HASHES" 10 "$HASHES"
measure "per field (10 hashes of $FIELDS fields)" 10 "$FIELDS" $((10 * FIELDS))
