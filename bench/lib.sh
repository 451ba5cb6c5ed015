# Helpers the bench/*.sh scripts source (after `cd` to the repository root): a free port, a
# server started and awaited, memory readings, and the servers killed when the script exits.
# Both servers bind 127.0.0.1; Redis also gets --save "" --appendonly no, so it spends no time on
# snapshots Vermilion does not take. A script adds its own options after the port.

# On a 2-core machine the client takes a core of its own, so requests/s of unpipelined runs measure
# mostly the client: servers run pinned to CPU 1 and clients (redis-benchmark, loaders) to CPU 0,
# and each server's CPU time per request is the figure that compares them. PIN=0 turns it off.
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  on_server_cpu=(taskset -c 1); on_client_cpu=(taskset -c 0)
else
  on_server_cpu=(); on_client_cpu=()
fi

pids=()
stop_all() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 100); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done; echo "server on $1 did not start"; exit 1; }

# pid=$(start_redis PORT [options]) / pid=$(start_vermilion PORT BINARY [options]): the caller
# adds the pid to pids (a subshell cannot), and then waits for it with wait_ready PORT.
start_redis() { local port=$1; shift; "${on_server_cpu[@]}" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no "$@" >/dev/null 2>&1 & echo $!; }
# --save "" as for redis-server above: no save point fires a BGSAVE in the middle of a measurement.
start_vermilion() { local port=$1 binary=$2; shift 2; "${on_server_cpu[@]}" "$binary" --port "$port" --bind 127.0.0.1 --save "" "$@" >/dev/null 2>&1 & echo $!; }
# The server runs in start_…'s subshell, so `wait` cannot see it: poll until it is gone.
stop_server() { kill "$1" 2>/dev/null || true; while kill -0 "$1" 2>/dev/null; do sleep 0.1; done; }

# User + system time of the whole process (every thread), in clock ticks: a server's CPU per request
# is the difference over a run divided by its requests (compare.sh, replication.sh).
# utime + stime: counted after the ")" that ends comm, which may hold spaces (a process title such as "b2 *:6379").
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
ticks_per_second=$(getconf CLK_TCK)
# cpu_per_request TICKS_BEFORE TICKS_AFTER REQUESTS: microseconds of CPU per request.
cpu_per_request() { python3 -c "print(round(($2 - $1) / $ticks_per_second * 1e6 / $3, 2))"; }

rss() { awk '/VmRSS/ {printf "%.0f\n", $2 * 1024}' "/proc/$1/status"; } # print would switch to 3.35e+09 past 2^31, mawk's %d stops at 2^31
used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }

# The NativeAOT build the scripts measure: publish_aot builds this tree into bench/out/aot;
# aot_binary prints the binary to run, VERMILION_BIN when given (an older build, say), else the
# freshly published one.
publish_aot() { dotnet publish src/Vermilion.Server -c Release -p:PublishAot=true -o bench/out/aot -v q -nologo >/dev/null; }
aot_binary() {
  if [ -n "${VERMILION_BIN:-}" ]; then echo "$VERMILION_BIN"; return; fi
  echo "building Vermilion (NativeAOT)..." >&2
  publish_aot
  echo bench/out/aot/vermilion-server
}

# The 1 ms PING probe and the loader of latency.sh and persistence.sh, compiled into $out.
build_latency_tools() {
  cc -O2 -Wall -o "$out/latency_probe" bench/latency_probe.c
  cc -O2 -Wall -o "$out/latency_load" bench/latency_load.c
}
