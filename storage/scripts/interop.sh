#!/bin/sh
# Manual interop check (not part of `cargo test`): rewrite fixtures with our writer and
# load them into real servers, comparing the keyspace with the fixture's expected.jsonl.
#   SERVER=/path/to/valkey-server VERSION=11 storage/scripts/interop.sh
#   SERVER=redis-server VERSION=10 storage/scripts/interop.sh      # Redis 7.0.15 (Debian 12)
# Run from the repository root. Needs python3 with the `redis` package.
set -u
SERVER="${SERVER:-redis-server}"
VERSION="${VERSION:-10}"
FIX="../shared/fixtures"
TMP="$(mktemp -d)"
cargo build -q -p vk-storage --example rdb_rewrite || exit 1
port=7700
fail=0
for f in $(find "$FIX" -path '*/rdb*/dump.rdb' | grep -v hash-field-ttl | sort) $(find "$FIX/historical" -name '*.rdb' | grep -v corrupt_ziplist | sort); do
    port=$((port + 1))
    d="$TMP/$port"; mkdir -p "$d"
    ./target/debug/examples/rdb_rewrite "$f" "$d/dump.rdb" "$VERSION" || { echo "FAIL rewrite $f"; fail=1; continue; }
    "$SERVER" --port "$port" --dir "$d" --dbfilename dump.rdb --save "" --sanitize-dump-payload yes --logfile "$d/log" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    python3 "$FIX/../tools/dump_keyspace.py" --port "$port" -o "$d/got.jsonl" 2>/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null
    if cmp -s "$d/got.jsonl" "$(dirname "$f")/expected.jsonl"; then echo "ok   $f"; else echo "FAIL $f (see $d/log)"; fail=1; fi
done
exit $fail
