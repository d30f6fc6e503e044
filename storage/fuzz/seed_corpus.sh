#!/bin/sh
# Seeds the fuzz corpora from the shared fixtures (run from storage/fuzz/).
set -eu
FIX="${1:-../../../shared/fixtures}"
[ -d "$FIX" ] || { echo "fixtures not found at $FIX" >&2; exit 1; }
mkdir -p corpus/rdb_reader corpus/rdb_payload
find "$FIX" -name '*.rdb' -size -300k | while read -r f; do
  cp "$f" "corpus/rdb_reader/$(echo "$f" | sed 's|^.*/fixtures/||' | tr '/' '_')"
done
# Payloads: strip the 10-byte footer (the target re-seals it) from every DUMP payload.
python3 - "$FIX" <<'PY'
import base64, json, pathlib, sys
fix = pathlib.Path(sys.argv[1])
out = pathlib.Path("corpus/rdb_payload")
n = 0
for p in fix.glob("*/dump-payloads/payloads.jsonl"):
    for line in p.read_text().splitlines():
        d = json.loads(line)
        b = base64.b64decode(d.get("payload_b64") or d.get("functions_payload_b64"))
        (out / f"{p.parent.parent.name}-{n}").write_bytes(b[:-10])
        n += 1
print(f"{n} payload seeds")
PY
