"""Differential tests of the HyperLogLog and geo commands against valkey (RESP2 and RESP3),
plus DUMP/RESTORE and RDB-fixture interop of HLL and geo values."""

import os
import shutil

import pytest

from conftest import reply, start_vk, start_valkey, FIXTURES


@pytest.fixture
def same3(vk_server, valkey_server):
    a = vk_server.client(protocol=3)
    b = valkey_server.client(protocol=3)
    for c in (a, b):
        c.response_callbacks.clear()

    def check(*args, sort=False):
        x = reply(a, *args)
        y = reply(b, *args)
        if sort and isinstance(x, list) and isinstance(y, list):
            x, y = sorted(x, key=repr), sorted(y, key=repr)
        assert x == y, f"{args!r}: vaultkey={x!r} valkey={y!r}"
        return x
    return check


# ------------------------------------------------------------------------------------------
# HyperLogLog


def test_pfadd_pfcount_basic(same):
    same("PFADD", "h")
    same("GET", "h")
    same("PFCOUNT", "h")
    same("PFADD", "h", "a", "b", "c")
    same("PFADD", "h", "a")
    same("PFCOUNT", "h")
    same("GET", "h")
    same("PFCOUNT", "nokey")
    same("PFCOUNT", "h", "nokey")
    same("PFADD", "h2", *[f"e{i}" for i in range(200)])
    same("GET", "h2")
    same("PFCOUNT", "h2")
    same("GET", "h2")  # cached cardinality written back
    same("PFCOUNT", "h", "h2")
    same("OBJECT", "ENCODING", "h2")
    same("TYPE", "h2")


def test_pf_errors(same):
    same("SET", "s", "hello")
    same("PFADD", "s", "a")
    same("PFCOUNT", "s")
    same("PFCOUNT", "s", "x")
    same("PFMERGE", "d", "s")
    same("LPUSH", "l", "a")
    same("PFADD", "l", "a")
    same("PFCOUNT", "l")
    same("PFMERGE", "l")
    same("PFADD")
    same("PFCOUNT")
    same("PFMERGE")
    # corrupted sparse payload: valid header, bad opcodes
    same("SET", "bad", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" + b"\x80\x80")
    same("PFCOUNT", "bad")
    same("PFADD", "bad", "x")
    same("PFCOUNT", "bad", "bad")
    # dense with a wrong length
    same("SET", "bad2", b"HYLL\x00" + b"\x00" * 20)
    same("PFCOUNT", "bad2")
    same("SET", "bad3", b"HYLL\x02" + b"\x00" * 20)
    same("PFCOUNT", "bad3")


@pytest.mark.parametrize("n", [10, 100, 500, 1000, 3000, 10000, 50000])
def test_counts_and_bytes(same, n):
    for start in range(0, n, 1000):
        same("PFADD", "h", *[f"x:{i}" for i in range(start, min(n, start + 1000))])
    same("PFCOUNT", "h")
    same("GET", "h")
    same("PFDEBUG", "ENCODING", "h")


def test_sparse_promotion_threshold(same):
    same("CONFIG", "SET", "hll-sparse-max-bytes", "100")
    for i in range(60):
        same("PFADD", "h", f"v{i}")
        same("STRLEN", "h")
        same("PFDEBUG", "ENCODING", "h")
    same("GET", "h")
    same("PFCOUNT", "h")
    same("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def test_pfmerge(same):
    same("PFADD", "a", *[f"a{i}" for i in range(50)])
    same("PFADD", "b", *[f"b{i}" for i in range(5000)])
    same("PFADD", "c", *[f"c{i}" for i in range(300)])
    same("PFMERGE", "m1", "a", "c")
    same("GET", "m1")
    same("PFCOUNT", "m1")
    same("PFMERGE", "m2", "a", "b")  # sparse + dense -> dense
    same("GET", "m2")
    same("PFCOUNT", "m2")
    same("PFMERGE", "a", "c")  # destination is a source too
    same("GET", "a")
    same("PFMERGE", "empty")
    same("GET", "empty")
    same("PFMERGE", "empty2", "nokey")
    same("EXISTS", "empty2")
    same("PFCOUNT", "a", "b", "c", "nokey")


def test_pfdebug(same):
    same("PFADD", "h", "a", "b", "c", "d")
    same("PFDEBUG", "DECODE", "h")
    same("PFDEBUG", "ENCODING", "h")
    same("PFDEBUG", "GETREG", "h")
    same("PFDEBUG", "ENCODING", "h")
    same("PFDEBUG", "DECODE", "h")
    same("PFADD", "h2", "a")
    same("PFDEBUG", "TODENSE", "h2")
    same("PFDEBUG", "TODENSE", "h2")
    same("GET", "h2")
    same("PFDEBUG", "FOO", "h2")
    same("PFDEBUG", "GETREG", "nokey")


def test_resp3_pf(same3):
    same3("PFADD", "h", "a", "b")
    same3("PFCOUNT", "h")
    same3("PFMERGE", "x", "h")


def test_hll_dump_restore_both_ways(vk, valkey):
    for c in (vk, valkey):
        c.response_callbacks.clear()
    for n, key in ((100, "sp"), (20000, "dn")):
        valkey.execute_command("PFADD", key, *[f"q{i}" for i in range(n)])
        payload = valkey.execute_command("DUMP", key)
        vk.execute_command("RESTORE", key, 0, payload)
        assert vk.execute_command("PFCOUNT", key) == valkey.execute_command("PFCOUNT", key)
        # ours back to valkey
        vk.execute_command("PFADD", key + "2", *[f"r{i}" for i in range(n)])
        p2 = vk.execute_command("DUMP", key + "2")
        valkey.execute_command("RESTORE", key + "2", 0, p2)
        assert vk.execute_command("PFCOUNT", key + "2") == valkey.execute_command("PFCOUNT", key + "2")
        assert vk.execute_command("GET", key + "2") == valkey.execute_command("GET", key + "2")


def _fixture_servers(tmp_path):
    src = os.path.join(FIXTURES, "redis-7.2.4", "rdb", "dump.rdb")
    d1 = tmp_path / "vk"
    d2 = tmp_path / "valkey"
    d1.mkdir()
    d2.mkdir()
    shutil.copy(src, d1 / "dump.rdb")
    shutil.copy(src, d2 / "dump.rdb")
    a = start_vk(dir=str(d1))
    b = start_valkey(dir=str(d2))
    return a, b


def test_rdb_fixture_hll(tmp_path):
    a, b = _fixture_servers(tmp_path)
    try:
        x, y = a.client(), b.client()
        for key in ("{hll}:dense", "hll:sparse"):
            if not y.exists(key):
                continue
            assert x.execute_command("PFCOUNT", key) == y.execute_command("PFCOUNT", key)
            assert x.execute_command("GET", key) == y.execute_command("GET", key)
            assert x.execute_command("PFDEBUG", "ENCODING", key) == y.execute_command("PFDEBUG", "ENCODING", key)
            x.execute_command("PFADD", key, "new1", "new2")
            y.execute_command("PFADD", key, "new1", "new2")
            assert x.execute_command("GET", key) == y.execute_command("GET", key)
        assert x.execute_command("PFCOUNT", "{hll}:dense", "hll:sparse") == \
            y.execute_command("PFCOUNT", "{hll}:dense", "hll:sparse")
    finally:
        a.stop()
        b.stop()
