#!/usr/bin/env bash
# BGSAVE without fork vs Redis's fork: time and peak memory (PSS of all the server's processes,
# so a forked child's shared pages are not counted twice), idle and under a write load; then the
# load time of the saved file. Needs `cargo build --release`.
#   benches/bgsave.sh [keys]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-1000000}
VK=$PWD/target/release/vk-server
tmp=$(mktemp -d)
trap 'pkill -f "1637[0-9]" || true; rm -rf "$tmp"' EXIT

pss() { # total PSS (bytes) of processes whose command line mentions the port
  local total=0
  for pid in $(pgrep -f "$1"); do
    local kb; kb=$(awk '/^Pss:/{print $2}' /proc/$pid/smaps_rollup 2>/dev/null || echo 0)
    total=$((total + ${kb:-0} * 1024))
  done
  echo $total
}
start() { # name port cmd...
  local name=$1 port=$2; shift 2
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &)
  for _ in $(seq 200); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return; sleep 0.05; done
}
bgsave() { # port load(yes|no) -> "seconds peak_extra_pct"
  local port=$1 load=$2 base peak t0 t1
  base=$(pss "$port"); peak=$base
  [ "$load" = yes ] && (redis-benchmark -p "$port" -t set -n 100000000 -r "$K" -d 32 -c 20 -P 16 -q >/dev/null 2>&1 &)
  sleep 0.3
  t0=$(date +%s.%N)
  redis-cli -p "$port" bgsave >/dev/null
  while redis-cli -p "$port" info persistence | grep -q "rdb_bgsave_in_progress:1"; do
    cur=$(pss "$port"); [ "$cur" -gt "$peak" ] && peak=$cur; sleep 0.05
  done
  t1=$(date +%s.%N)
  pkill -f "redis-benchmark -p $port" || true
  echo "$(echo "$t1 - $t0" | bc) $(( (peak - base) * 100 / base ))% base=$((base/1048576))MiB peak=$((peak/1048576))MiB"
}
for s in "vaultkey 16371 $VK" "redis 16372 redis-server"; do
  set -- $s; name=$1; port=$2; shift 2
  start "$name" "$port" "$@"
  redis-benchmark -p "$port" -t set -n "$K" -r "$K" -d 32 -c 50 -P 64 -q >/dev/null
  echo "$name keys=$(redis-cli -p "$port" dbsize)"
  echo "$name BGSAVE idle:        $(bgsave "$port" no)"
  echo "$name BGSAVE under writes: $(bgsave "$port" yes)"
  redis-cli -p "$port" save >/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
  t0=$(date +%s.%N); start "$name" "$port" "$@"
  while redis-cli -p "$port" info persistence | grep -q "loading:1"; do sleep 0.02; done
  t1=$(date +%s.%N)
  echo "$name load of its dump.rdb: $(echo "$t1 - $t0" | bc) s ($(stat -c %s "$tmp/$name/dump.rdb") bytes)"
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
done
