"""vk-rewrite and vk-import on AOF sources, as built binaries, judged by real servers."""

import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, start_valkey, start_vk, vk_binary
from test_import import tool, vk_import
from test_rdb_interop import dump, expected

import glob

# Every healthy AOF fixture: multi-part directories of Redis 7.0/7.2 and Valkey 8/9, and the
# Redis 6 single files.
AOF_CASES = sorted(
    os.path.dirname(p)
    for p in glob.glob(os.path.join(FIXTURES, "*", "aof-*", "expected.jsonl"))
)
assert AOF_CASES, "no AOF fixtures found"


def aof_source(case):
    d = os.path.join(case, "appendonlydir")
    return d if os.path.isdir(d) else os.path.join(case, "appendonly.aof")


def run(*args):
    env = dict(os.environ, VK_SERVER=vk_binary())
    return subprocess.run(list(args), capture_output=True, text=True, env=env)


@pytest.mark.parametrize("case", AOF_CASES, ids=lambda c: os.path.relpath(c, FIXTURES))
def test_import_aof_to_dir(case, tmp_path):
    d = str(tmp_path / "data")
    env_before = os.environ.get("VK_SERVER")
    os.environ["VK_SERVER"] = vk_binary()
    try:
        code, report, out = vk_import(aof_source(case), "--to", d)
    finally:
        if env_before is None:
            del os.environ["VK_SERVER"]
    assert code == 0, out
    s = start_valkey(dir=d)
    try:
        assert dump(s.port, str(tmp_path / "got.jsonl")) == expected(case)
    finally:
        s.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_rewrite_aof_compacts_and_keeps_the_dataset(preamble, tmp_path):
    case = os.path.join(FIXTURES, "redis-7.2.4", "aof-multi-incr")
    d = str(tmp_path / "data")
    shutil.copytree(os.path.join(case, "appendonlydir"), os.path.join(d, "appendonlydir"))
    r = run(tool("vk-rewrite"), "aof", d, "--preamble", preamble)
    assert r.returncode == 0, r.stdout + r.stderr
    files = sorted(os.listdir(os.path.join(d, "appendonlydir")))
    assert len([f for f in files if ".incr." in f]) == 1, files
    base = [f for f in files if ".base." in f]
    assert base and base[0].endswith(".rdb" if preamble == "yes" else ".aof"), files
    # A real valkey-server starts on the compacted directory with the same keyspace.
    s = start_valkey(["--appendonly", "yes"], dir=d)
    try:
        got = dump(s.port, str(tmp_path / "got.jsonl"))
    finally:
        s.stop()
    want = expected(case)
    if preamble == "no":
        from test_aof_interop import drop_deleted_pending
        want = [drop_deleted_pending(e) for e in want]
    assert got == want


def test_rewrite_rdb_between_versions(tmp_path):
    src = os.path.join(FIXTURES, "redis-7.2.4", "rdb", "dump.rdb")
    d = tmp_path / "v10"
    d.mkdir()
    r = run(tool("vk-rewrite"), "rdb", src, str(d / "dump.rdb"), "--rdb-version", "10")
    assert r.returncode == 0, r.stderr
    with open(d / "dump.rdb", "rb") as f:
        assert f.read(9) == b"REDIS0010"
    assert shutil.which("redis-server"), "Debian redis-server 7.0 must be installed"
    from conftest import Server
    s = Server(["redis-server", "--save", "", "--appendonly", "no"], (), str(d))
    try:
        assert dump(s.port, str(tmp_path / "got.jsonl")) == expected(os.path.join(FIXTURES, "redis-7.2.4", "rdb"))
    finally:
        s.stop()
    r = run(tool("vk-rewrite"), "rdb", "/nonexistent.rdb", str(d / "x.rdb"))
    assert r.returncode == 2


@pytest.mark.parametrize("case", ["damaged-aof-truncated", "damaged-aof-torn-multi"])
def test_fixed_aof_loads_with_the_keyspace_redis_recovered(case, tmp_path):
    src = os.path.join(FIXTURES, "redis-7.2.4", case)
    d = str(tmp_path / "data")
    shutil.copytree(os.path.join(src, "appendonlydir"), os.path.join(d, "appendonlydir"))
    r = run(tool("vk-check-aof"), "--fix", "--yes", os.path.join(d, "appendonlydir"))
    assert r.returncode == 1, r.stdout + r.stderr
    s = start_vk(["--appendonly", "yes", "--aof-load-truncated", "no"], dir=d)
    try:
        got = dump(s.port, str(tmp_path / "got.jsonl"))
    finally:
        s.stop()
    assert got == expected(src)
