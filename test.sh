#!/usr/bin/env bash
# The one test command: installs what the tests need when it is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "test.sh: installing redis-server and redis-tools (the oracle, redis-cli, redis-benchmark)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
# Debian's Lua 5.1 for scripting (README: why): the static archives the AOT binary links, the shared
# objects the JIT build (dotnet test) loads.
if [ ! -f /usr/lib/x86_64-linux-gnu/liblua5.1.a ] || [ ! -f /usr/lib/x86_64-linux-gnu/liblua5.1-cjson.a ] || [ ! -f /usr/lib/x86_64-linux-gnu/liblua5.1-bitop.a ]; then
  echo "test.sh: installing liblua5.1-0-dev, lua-cjson-dev and lua-bitop-dev (scripting)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq liblua5.1-0-dev lua-cjson-dev lua-bitop-dev >/dev/null
fi
# redis-py (Debian's python3-redis, for Debian's /usr/bin/python3): its Lock runs Lua scripts through EVALSHA (RedisPyLockTests).
if ! /usr/bin/python3 -c 'import redis' 2>/dev/null; then
  echo "test.sh: installing python3-redis (redis-py, a real scripting client)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-redis >/dev/null
fi
# The openssl CLI makes the TLS tests' CA and certificates (TlsCertificates); libssl3 is what the server loads.
if ! command -v openssl >/dev/null; then
  echo "test.sh: installing openssl (the TLS tests' certificates)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl libssl3 >/dev/null
fi
redis-server --version | grep -q 'v=7\.0\.' || echo "test.sh: warning: the oracle is not Redis 7.0: $(redis-server --version)"
# The burst test opens more than 1000 connections at once.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Vermilion.slnx -c Release -v q -nologo

passed=0; failed=0
run() { # label, then dotnet test arguments
  local label=$1; shift
  local log; log=$(mktemp)
  echo "== $label"
  set +e
  # A failing test prints its name, message and stack (the block up to the next test or the summary).
  dotnet test tests/Vermilion.Tests -c Release --no-build -nologo "$@" 2>&1 | tee "$log" | awk '
    /^ +Failed / { block = 1 }
    /^ +(Passed|Skipped) / { block = 0 }
    /^(Failed|Passed)! / { block = 0; print; fflush(); next }
    block || /error/ { print; fflush() }'

  set -e
  # A test host that died (a stack overflow, an exit) still prints a summary of what ran before it.
  if grep -q "Test Run Aborted" "$log"; then echo "test.sh: $label: the test host died"; grep -A3 "Test Run Aborted\|Stack overflow" "$log" | head -20; failed=$((failed + 1)); fi
  local line; line=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then echo "test.sh: $label did not report results"; tail -40 "$log"; failed=$((failed + 1)); rm -f "$log"; return; fi
  passed=$((passed + $(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")))
  failed=$((failed + $(sed -E 's/.*Failed: +([0-9]+), Passed.*/\1/' <<<"$line")))
  rm -f "$log"
}

# Every test on the default backend (epoll), then the network tests again on poll(2).
run "all tests (epoll)"
VERMILION_EVENT_LOOP=poll run "network tests (poll backend)" --filter "Category=Network"

# The NativeAOT build must keep working: publish it and talk to it with redis-cli.
echo "== NativeAOT publish smoke test"
aot_out=$(mktemp -d)
if dotnet publish src/Vermilion.Server -c Release -p:PublishAot=true -o "$aot_out" -v q -nologo >"$aot_out/publish.log" 2>&1; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Its dir is the build output: the SIGTERM that stops it saves there (save points are on by default), never in the checkout.
  "$aot_out/vermilion-server" --port "$port" --bind 127.0.0.1 --dir "$aot_out" >"$aot_out/server.log" 2>&1 &
  pid=$!
  ok=0
  for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { ok=1; break; }; sleep 0.1; done
  if [ $ok = 1 ] && [ "$(redis-cli -p "$port" set k v)" = OK ] && [ "$(redis-cli -p "$port" get k)" = v ] \
     && [ "$(redis-cli -p "$port" eval "return redis.call('incr', KEYS[1]) + tonumber(ARGV[1])" 1 n 41)" = 42 ]; then
    passed=$((passed + 1)); echo "AOT binary answers PING/SET/GET and an EVAL"
  else
    failed=$((failed + 1)); echo "AOT binary did not answer"; cat "$aot_out/server.log"
  fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
else
  failed=$((failed + 1)); echo "AOT publish failed"; tail -30 "$aot_out/publish.log"
fi
rm -rf "$aot_out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
