#!/usr/bin/env bash
# Server CPU time per request (user + system, from /proc/<pid>/stat), VaultKey beside Debian's
# redis-server 7.0, for the tests of issue 2's benchmark. Steadier than requests per second on
# a machine whose cores are shared: a busy neighbour slows both servers' wall clock, much less
# the CPU each spends per request.
#
#   benches/cpu_per_op.sh [pipeline] [requests] [rounds]   (defaults 32, 1000000, 3)
#
# Needs a release build (cargo build --release). Every server binds 127.0.0.1 only, no
# persistence. Prints one line per round and server: nanoseconds of server CPU per request.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-32}
N=${2:-1000000}
ROUNDS=${3:-3}
VK=${VK:-$PWD/target/release/vk-server}
TESTS=(set get incr lpush lpop sadd hset zadd)
hz=$(getconf CLK_TCK)
tmp=$(mktemp -d /tmp/cpubench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

measure() { # port pid
  local out="" t a b
  for t in "${TESTS[@]}"; do
    a=$(awk '{print $14+$15}' "/proc/$2/stat")
    redis-benchmark -p "$1" -t "$t" -n "$N" -c 50 -P "$P" -q >/dev/null 2>&1
    b=$(awk '{print $14+$15}' "/proc/$2/stat")
    out="$out $t=$(( (b - a) * 1000000000 / hz / N ))"
  done
  echo "$out"
}

start() { # name port cmd...
  local name=$1 port=$2; shift 2
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && exec "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1) &
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$port" info server | tr -d '\r' | awk -F: '$1=="process_id"{print $2}'
}

echo "# -P $P, $N requests per test, 50 clients: server CPU ns per request"
for r in $(seq "$ROUNDS"); do
  pid=$(start vaultkey 16395 "$VK")
  echo "round $r vaultkey $(measure 16395 "$pid")"
  redis-cli -p 16395 shutdown nosave >/dev/null 2>&1 || true
  pid=$(start redis 16396 redis-server)
  echo "round $r redis    $(measure 16396 "$pid")"
  redis-cli -p 16396 shutdown nosave >/dev/null 2>&1 || true
  wait 2>/dev/null || true
done
