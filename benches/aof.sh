#!/usr/bin/env bash
# SET throughput and latency with appendonly yes under each appendfsync mode, VaultKey beside
# Debian's redis-server 7.0 in one run, 50 clients, -P 1 and -P 16, each measurement repeated
# ROUNDS times (VaultKey and Redis alternate, so both see the same machine load). Also prints
# the server's CPU time per request (from /proc: steadier than rps on a shared machine) and,
# for VaultKey, the AOF statistics of INFO persistence (group-commit batch, write batch,
# average fsync, largest unsynced age). Needs `cargo build --release --bin vk-server`.
#   benches/aof.sh [requests] [rounds]   (defaults 200000, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
ROUNDS=${2:-3}
VK=${VK:-$PWD/target/release/vk-server}
PORT_VK=${PORT_VK:-16381}
PORT_REDIS=${PORT_REDIS:-16382}
tmp=$(mktemp -d /tmp/aofbench-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
hz=$(getconf CLK_TCK)
run() { # name port mode pipeline cmd...   (a fresh server per measurement: INFO counts only it)
  local name=$1 port=$2 mode=$3 P=$4; shift 4
  local d="$tmp/$name-$mode"; rm -rf "$d"; mkdir -p "$d"
  (cd "$d" && exec "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync "$mode" --dir "$d" >"$d.log" 2>&1) &
  pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  (
    local c0 c1 res
    c0=$(awk '{print $14+$15}' /proc/$pid/stat)
    res=$(redis-benchmark -p "$port" -t set -n "$N" -r 100000 -c 50 -P "$P" -q --csv | tail -1)
    c1=$(awk '{print $14+$15}' /proc/$pid/stat)
    printf '%-8s %-8s -P%-2s %s cpu_us_per_op=%s' "$name" "$mode" "$P" "$res" "$(echo "scale=2; ($c1-$c0)*1000000/$hz/$N" | bc)"
    if [ "$name" = vaultkey ]; then
      printf ' %s' "$(redis-cli -p "$port" info persistence | tr -d '\r' | grep -E '^aof_(group_commit_avg_batch|write_avg_batch|fsync_avg_usec|max_unsynced_age_ms):' | tr '\n' ' ')"
    fi
    echo
  )
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  pid=
}
echo "# name mode pipeline \"test\",\"rps\",\"avg_ms\",\"min_ms\",\"p50_ms\",\"p95_ms\",\"p99_ms\",\"max_ms\" cpu"
for r in $(seq "$ROUNDS"); do
  for mode in always everysec no; do
    for P in 1 16; do
      run vaultkey "$PORT_VK" "$mode" "$P" "$VK"
      run redis "$PORT_REDIS" "$mode" "$P" redis-server
    done
  done
done
