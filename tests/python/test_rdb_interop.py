"""RDB interop with real servers.

VaultKey loads every RDB fixture and SAVEs it; a real valkey-server 9 (and, for `rdb-version 10`,
Debian's redis-server 7.0) loads our file, and its keyspace must equal the fixture's
expected.jsonl. The dumps are made by the real server, so these tests judge our writer and our
loader together without depending on VaultKey's own read commands.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import redis

from conftest import DUMP_TOOL, FIXTURES, Server, start_valkey, start_vk


def rdb_cases():
    cases = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*", "rdb*", "dump.rdb"))):
        case = os.path.dirname(path)
        if os.path.exists(os.path.join(case, "expected.jsonl")):
            cases.append(case)
    for path in sorted(glob.glob(os.path.join(FIXTURES, "historical", "*", "*.rdb"))):
        case = os.path.dirname(path)
        if os.path.exists(os.path.join(case, "expected.jsonl")):
            cases.append(case)
    assert cases, "no RDB fixtures found under " + FIXTURES
    return cases


def case_id(case):
    return os.path.relpath(case, FIXTURES)


def dump(port, out):
    subprocess.run(["python3", DUMP_TOOL, "--port", str(port), "-o", out], check=True)
    with open(out) as f:
        return [json.loads(line) for line in f]


def expected(case):
    with open(os.path.join(case, "expected.jsonl")) as f:
        return [json.loads(line) for line in f]


def rdb_file(case):
    return [p for p in glob.glob(os.path.join(case, "*.rdb"))][0]


def vk_save(case, extra=()):
    """Starts VaultKey on the fixture's RDB, SAVEs, returns the written file's path."""
    d = tempfile.mkdtemp(prefix="vk-rdb-")
    shutil.copy(rdb_file(case), os.path.join(d, "dump.rdb"))
    s = start_vk(["--save", ""] + list(extra), dir=d)
    try:
        assert s.client().execute_command("SAVE") in (True, b"OK")
    finally:
        s.stop()
    return os.path.join(d, "dump.rdb")


def peer_dump(server_factory, rdb_path, tmp_path):
    d = tempfile.mkdtemp(prefix="peer-")
    shutil.copy(rdb_path, os.path.join(d, "dump.rdb"))
    s = server_factory(dir=d)
    try:
        return dump(s.port, str(tmp_path / "peer.jsonl"))
    finally:
        s.stop()


@pytest.mark.parametrize("case", rdb_cases(), ids=case_id)
def test_valkey_loads_our_rdb11(case, tmp_path):
    if case.endswith("rdb-hash-field-ttl"):
        pytest.skip("per-field hash expiry is a Valkey 9 feature we do not keep (docs/unsupported.md)")
    got = peer_dump(start_valkey, vk_save(case), tmp_path)
    assert got == expected(case)


def start_redis70(dir):
    return Server(["redis-server", "--save", "", "--appendonly", "no"], (), dir)


@pytest.mark.parametrize("case", [c for c in rdb_cases() if "valkey-9" not in c], ids=case_id)
def test_redis70_loads_our_rdb10(case, tmp_path):
    assert shutil.which("redis-server"), "redis-server (Debian redis-server 7.0) must be installed"
    got = peer_dump(start_redis70, vk_save(case, ["--rdb-version", "10"]), tmp_path)
    want = expected(case)
    # Redis 7.0 has no function flags text differences; compare everything.
    assert got == want
