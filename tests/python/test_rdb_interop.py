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
import time

import pytest

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


def _bgsave_under_writes(extra, tmp_path):
    """VaultKey BGSAVE while clients write hard: writers serialize not-yet-saved segments into
    the file themselves, so keys come in runs from several databases in any order, each after a
    SELECTDB. Returns (the file, the keyspace at the BGSAVE)."""
    d = tempfile.mkdtemp(prefix="vk-bgsave-")
    s = start_vk(["--save", ""] + list(extra), dir=d)
    try:
        c = s.client()
        for db, n in ((0, 20000), (1, 3000), (5, 3000)):
            c.execute_command("SELECT", db)
            p = c.pipeline(transaction=False)
            for i in range(n):
                p.set(f"s:{i}", f"v{i}" * (i % 5 + 1))
                if i % 10 == 0:
                    p.hset(f"h:{i}", mapping={"a": i, "b": "x" * (i % 70)})
                    p.sadd(f"set:{i}", *range(i % 7 + 1))
                    p.zadd(f"z:{i}", {"m": 1.5, "n": i})
                    p.rpush(f"l:{i}", "a", i)
                if i % 13 == 0:
                    p.pexpireat(f"s:{i}", 4102444800000 + i)
            p.execute()
        c.execute_command("SELECT", 0)
        want = dump(s.port, str(tmp_path / "before.jsonl"))
        # BGSAVE and, in the same pipeline, writes that reach segments before the thread does.
        p = c.pipeline(transaction=False)
        p.execute_command("BGSAVE")
        for i in range(0, 20000, 3):
            p.execute_command("SELECT", (0, 1, 5)[i % 3])
            p.set(f"s:{i}", "changed")
            p.delete(f"s:{i + 1}")
            p.set(f"new:{i}", "x")
            p.hset(f"h:{i - i % 10}", "a", "changed")
        p.execute()
        for _ in range(600):
            info = c.info("persistence")
            if info["rdb_bgsave_in_progress"] == 0:
                break
            time.sleep(0.05)
        assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "ok", info
        # Bytes writers serialized (or copied) for the snapshot.
        assert info["rdb_last_cow_size"] > 0, info
    finally:
        s.stop()
    return os.path.join(d, "dump.rdb"), want


def test_valkey_loads_a_bgsave_taken_under_writes(tmp_path):
    path, want = _bgsave_under_writes([], tmp_path)
    assert peer_dump(start_valkey, path, tmp_path) == want


def test_redis70_loads_a_bgsave_taken_under_writes(tmp_path):
    assert shutil.which("redis-server"), "redis-server (Debian redis-server 7.0) must be installed"
    path, want = _bgsave_under_writes(["--rdb-version", "10"], tmp_path)
    assert peer_dump(start_redis70, path, tmp_path) == want
