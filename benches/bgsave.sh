#!/usr/bin/env bash
# BGSAVE without fork vs Redis's fork: time and peak memory (PSS of the server and its children,
# so a forked child's shared pages are not counted twice), idle and under a write load; then the
# load time of the saved file. Needs `cargo build --release` and redis-server/redis-benchmark.
# VK_SERVER=path/to/vk-server benchmarks another build (e.g. the previous one, for before/after).
#   benches/bgsave.sh [keys]   (default 1000000)
# Processes are tracked and stopped by their PIDs only.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-1000000}
VK=${VK_SERVER:-$PWD/target/release/vk-server}
tmp=$(mktemp -d /tmp/bgsave-bench-XXXXXX)
SRV=""
BENCH=""
cleanup() {
  [ -n "$BENCH" ] && kill "$BENCH" 2>/dev/null || true
  [ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
  sleep 0.3
  rm -rf "$tmp"
}
trap cleanup EXIT

pss() { # PSS (bytes) of process $1 and its children (Redis's forked child)
  local total=0 kb
  for pid in "$1" $(pgrep -P "$1" || true); do
    kb=$(awk '/^Pss:/{print $2}' /proc/$pid/smaps_rollup 2>/dev/null || echo 0)
    total=$((total + ${kb:-0} * 1024))
  done
  echo $total
}
start() { # name port cmd... ; sets SRV
  local name=$1 port=$2; shift 2
  mkdir -p "$tmp/$name"
  "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &
  SRV=$!
  for _ in $(seq 400); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return; sleep 0.05; done
}
stop() { # port
  redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
  wait "$SRV" 2>/dev/null || true
  SRV=""
}
bgsave() { # port load(yes|no) -> "seconds peak_extra_pct ..."
  local port=$1 load=$2 base peak t0 t1 cur
  base=$(pss "$SRV"); peak=$base
  if [ "$load" = yes ]; then
    redis-benchmark -p "$port" -t set -n 100000000 -r "$K" -d 32 -c 20 -P 16 -q >/dev/null 2>&1 &
    BENCH=$!
  fi
  sleep 0.3
  t0=$(date +%s.%N)
  redis-cli -p "$port" bgsave >/dev/null
  while redis-cli -p "$port" info persistence | grep -q "rdb_bgsave_in_progress:1"; do
    cur=$(pss "$SRV"); [ "$cur" -gt "$peak" ] && peak=$cur; sleep 0.05
  done
  t1=$(date +%s.%N)
  if [ -n "$BENCH" ]; then kill "$BENCH" 2>/dev/null || true; wait "$BENCH" 2>/dev/null || true; BENCH=""; fi
  local cow; cow=$(redis-cli -p "$port" info persistence | awk -F: '/^rdb_last_cow_size:/{print $2}' | tr -d '\r')
  echo "$(echo "$t1 - $t0" | bc) s $(( (peak - base) * 100 / base ))% base=$((base/1048576))MiB peak=$((peak/1048576))MiB rdb_last_cow_size=$((cow/1048576))MiB"
}
for s in "vaultkey 16371 $VK" "redis 16372 redis-server"; do
  set -- $s; name=$1; port=$2; shift 2
  start "$name" "$port" "$@"
  # 5 x K random SETs: 99.3 % of the K key names exist, so the write load below overwrites
  # keys and hardly grows the dataset (growth would be counted as snapshot overhead).
  redis-benchmark -p "$port" -t set -n $((K * 5)) -r "$K" -d 32 -c 50 -P 64 -q >/dev/null
  echo "$name keys=$(redis-cli -p "$port" dbsize)"
  echo "$name BGSAVE idle:         $(bgsave "$port" no)"
  echo "$name BGSAVE under writes: $(bgsave "$port" yes)"
  redis-cli -p "$port" save >/dev/null
  stop "$port"
  t0=$(date +%s.%N); start "$name" "$port" "$@"
  while redis-cli -p "$port" info persistence | grep -q "loading:1"; do sleep 0.02; done
  t1=$(date +%s.%N)
  echo "$name load of its dump.rdb: $(echo "$t1 - $t0" | bc) s ($(stat -c %s "$tmp/$name/dump.rdb") bytes)"
  stop "$port"
done
