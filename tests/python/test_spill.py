"""The spill tier against a real valkey: the same commands on the same data give the same
replies whether VaultKey holds the values in memory or in spill segments; with the tier off,
maxmemory's OOM error is Redis's."""

import random

import pytest
import redis

from conftest import raw_pair, reply, start_valkey, start_vk


def big(i, n=8000):
    rnd = random.Random(i)
    return bytes(rnd.choice(b"abcdefghijklmnop") for _ in range(n))


@pytest.fixture
def pair():
    yield from raw_pair(["--spill-enabled", "yes", "--spill-min-value-size", "512"])


def load(c):
    # Hashes, sets and streams are being built on other branches; add them here once merged.
    for i in range(200):
        c.set(f"s:{i}", big(i))
    c.rpush("list", *[big(i, 300) for i in range(40)])
    c.zadd("zset", {big(i, 300): i for i in range(40)})
    c.expire("s:3", 1000)


def test_commands_on_spilled_values_match_valkey(pair):
    vk, va = pair
    load(vk)
    load(va)
    # Squeeze VaultKey's memory: nearly everything goes to disk.
    vk.execute_command("CONFIG", "SET", "maxmemory", "1mb")
    for _ in range(50):
        info = vk.execute_command("INFO", "spill").decode()
        disk = int([l for l in info.splitlines() if l.startswith("spill_disk_keys:")][0].split(":")[1])
        if disk > 150:
            break
        vk.ping()
    assert disk > 150
    vk.execute_command("CONFIG", "SET", "maxmemory", "0")

    def same(*args, sort=False):
        a, b = reply(vk, *args), reply(va, *args)
        if sort and isinstance(a, list):
            a, b = sorted(a, key=repr), sorted(b, key=repr)
        assert a == b, f"{args!r}: vaultkey={a!r} valkey={b!r}"

    for k in ["s:0", "s:1", "list", "zset", "s:3"]:
        same("TYPE", k)
        same("EXISTS", k)
    same("OBJECT", "ENCODING", "s:0")
    assert 990 < reply(vk, "TTL", "s:3") <= 1000  # timing: not compared exactly
    same("PTTL", "s:4")
    same("GET", "s:0")
    same("STRLEN", "s:1")
    same("GETRANGE", "s:2", "10", "40")
    same("APPEND", "s:5", "tail")
    same("GET", "s:5")
    same("LRANGE", "list", "0", "-1")
    same("LLEN", "list")
    same("ZRANGE", "zset", "0", "-1", "WITHSCORES")
    same("INCR", "s:6")
    same("LPUSH", "s:7", "x")
    same("DEL", "s:8", "s:9")
    same("DBSIZE")
    same("SCAN", "0", "TYPE", "zset", "COUNT", "1000")
    d_vk, d_va = reply(vk, "DUMP", "s:10"), reply(va, "DUMP", "s:10")
    # DUMP payload footers differ in RDB version (valkey 9 writes 80): compare by RESTORE.
    assert reply(va, "RESTORE", "copy", "0", d_vk) == b"OK"
    assert reply(va, "GET", "copy") == big(10)
    assert isinstance(d_va, bytes)


def test_oom_error_without_spill_matches_valkey():
    vk_s = start_vk(["--maxmemory", "3mb"])
    va_s = start_valkey(["--maxmemory", "3mb"])
    try:
        out = []
        for s in (vk_s, va_s):
            c = s.client()
            err = None
            for i in range(2000):
                try:
                    c.set(f"k{i}", big(i, 4000))
                except redis.ResponseError as e:
                    err = str(e)
                    break
            assert c.get("k1") is not None  # reads still served
            out.append(err)
        assert out[0] is not None and out[0] == out[1]
    finally:
        vk_s.stop()
        va_s.stop()
