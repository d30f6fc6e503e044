#!/usr/bin/env bash
# SET throughput and latency with appendonly yes under each appendfsync mode, VaultKey beside
# Debian's redis-server 7.0, 50 clients, -P 1 and -P 16. Needs `cargo build --release`.
#   benches/aof.sh [requests]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
VK=$PWD/target/release/vk-server
tmp=$(mktemp -d)
trap 'pkill -f "1638[0-9]" || true; rm -rf "$tmp"' EXIT
run() { # name port mode cmd...
  local name=$1 port=$2 mode=$3; shift 3
  local d="$tmp/$name-$mode"; mkdir -p "$d"
  (cd "$d" && "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync "$mode" --dir "$d" >"$d.log" 2>&1 &)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  for P in 1 16; do
    printf '%s appendfsync=%s -P %s: ' "$name" "$mode" "$P"
    redis-benchmark -p "$port" -t set -n "$N" -r 100000 -c 50 -P "$P" -q --csv | tail -1
  done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
}
for mode in always everysec no; do
  run vaultkey 16381 "$mode" "$VK"
  run redis 16382 "$mode" redis-server
done
