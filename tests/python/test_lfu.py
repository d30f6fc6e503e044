"""Differential tests of LFU/LRU key metadata against valkey-server: OBJECT FREQ/IDLETIME,
RESTORE IDLETIME/FREQ, and which commands count as accesses.

Deterministic only with `lfu-log-factor 0` (every access increments the counter) and
`lfu-decay-time 0` (no decay); idle times are compared as ranges.
"""

import pytest

from conftest import reply

# redis-py strips the "ERR " prefix of error replies.
LFU_NOT_SELECTED = ("An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
                    "that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
LFU_SELECTED = ("An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                "switching between policies at runtime LRU and LFU data will take some time to adjust.")


@pytest.fixture
def lfu(same):
    for args in (("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ("CONFIG", "SET", "lfu-log-factor", "0"),
                 ("CONFIG", "SET", "lfu-decay-time", "0")):
        same(*args)
    return same


def test_freq_counts_every_access(lfu):
    same = lfu
    same("SET", "k", "v")
    same("OBJECT", "FREQ", "k")  # LFU_INIT_VAL
    for _ in range(10):
        same("GET", "k")
    assert same("OBJECT", "FREQ", "k") == 15
    same("OBJECT", "FREQ", "nokey")
    # Lookups without touch.
    for args in (("OBJECT", "ENCODING", "k"), ("TYPE", "k"), ("EXISTS", "k"), ("TTL", "k"), ("PTTL", "k"),
                 ("OBJECT", "REFCOUNT", "k")):
        same(*args)
    same("OBJECT", "FREQ", "k")
    for _ in range(250):
        same("GET", "k")
    assert same("OBJECT", "FREQ", "k") == 255
    same("OBJECT", "IDLETIME", "k")


def test_writes_and_key_commands(lfu, vk):
    same = lfu
    same("SET", "n", "1")
    same("INCR", "n")
    same("OBJECT", "FREQ", "n")
    same("INCRBY", "n", "5")
    same("APPEND", "n", "0")
    same("OBJECT", "FREQ", "n")
    same("SET", "s", "v")
    same("GET", "s")
    same("SET", "s", "w")
    same("OBJECT", "FREQ", "s")
    same("RENAME", "s", "s2")
    # Redis 7.2 moves the same object (looked up for writing: one access) to the new name;
    # valkey 9 re-creates it with a fresh counter (5).
    assert reply(vk, "OBJECT", "FREQ", "s2") == 8
    same("DEL", "s2")
    same("SET", "s2", "fresh")
    same("COPY", "s2", "s3")
    same("OBJECT", "FREQ", "s3")
    same("MGET", "s2", "s3", "nokey")
    same("OBJECT", "FREQ", "s2")
    same("TOUCH", "s2", "s3")
    same("OBJECT", "FREQ", "s3")

    same("MOVE", "s3", "1")
    same("SELECT", "1")
    # As RENAME: Redis 7.2 moves the object (one access), valkey 9 re-creates it (5).
    assert reply(vk, "OBJECT", "FREQ", "s3") == 8
    same("SELECT", "0")


def test_collections_count_one_access_per_command(lfu):
    same = lfu
    for args in (("RPUSH", "l", "a"), ("LPUSH", "l", "b"), ("LRANGE", "l", "0", "-1"), ("LPOP", "l"),
                 ("HSET", "h", "f", "v"), ("HSET", "h", "g", "w"), ("HGET", "h", "f"), ("HINCRBY", "h", "n", "1"),
                 ("SADD", "s", "a"), ("SADD", "s", "b"), ("SMEMBERS", "s"), ("SISMEMBER", "s", "a"),
                 ("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "2", "a"), ("ZSCORE", "z", "a"), ("ZRANGE", "z", "0", "-1"),
                 ("SET", "str", "abc"), ("SETRANGE", "str", "1", "x"), ("GETRANGE", "str", "0", "-1"), ("STRLEN", "str"),
                 ("GETSET", "str", "q"), ("SET", "str", "r", "GET"), ("GETEX", "str", "PERSIST"), ("MGET", "str", "str"), ("SETBIT", "b", "1", "1"), ("GETBIT", "b", "1")):
        same(*args, sort=True)
    for k in ("l", "h", "s", "z", "str", "b"):
        same("OBJECT", "FREQ", k)


def test_client_no_touch(lfu):
    same = lfu
    same("SET", "k", "v")
    same("SET", "n", "1")
    same("CLIENT", "NO-TOUCH", "ON")
    for args in (("GET", "k"), ("SET", "k", "w"), ("APPEND", "k", "x"), ("INCR", "n"), ("MGET", "k", "n")):
        same(*args)
    same("OBJECT", "FREQ", "k")
    same("OBJECT", "FREQ", "n")
    same("TOUCH", "k")
    same("OBJECT", "FREQ", "k")
    same("CLIENT", "NO-TOUCH", "OFF")
    same("GET", "k")
    same("OBJECT", "FREQ", "k")


def test_freq_error_under_lru_and_idletime_error_under_lfu(same):
    same("SET", "k", "v")
    assert same("OBJECT", "FREQ", "k") == ("error", LFU_NOT_SELECTED)
    for policy in ("allkeys-lru", "volatile-lru", "volatile-ttl", "allkeys-random"):
        same("CONFIG", "SET", "maxmemory-policy", policy)
        same("OBJECT", "FREQ", "k")
        same("OBJECT", "FREQ", "nokey")
    for policy in ("allkeys-lfu", "volatile-lfu"):
        same("CONFIG", "SET", "maxmemory-policy", policy)
        assert same("OBJECT", "IDLETIME", "k") == ("error", LFU_SELECTED)
        same("OBJECT", "IDLETIME", "nokey")


def test_restore_idletime_freq(same, vk, valkey):
    same("SET", "src", "hello")
    payload = reply(vk, "DUMP", "src")
    for args in (("IDLETIME", "-1"), ("FREQ", "256"), ("FREQ", "-1"), ("IDLETIME", "x"), ("FREQ", "1.5"),
                 ("IDLETIME", "10", "FREQ", "10"), ("FREQ", "10", "IDLETIME", "10"), ("IDLETIME",), ("FREQ",)):
        same("RESTORE", "dst", "0", payload, "REPLACE", *args)
    # LRU side: IDLETIME sets the idle time (compared as a range: a second may tick).
    same("RESTORE", "dst", "0", payload, "REPLACE", "IDLETIME", "1000")
    for c in (vk, valkey):
        assert 1000 <= reply(c, "OBJECT", "IDLETIME", "dst") <= 1002
    same("RESTORE", "dst", "0", payload, "REPLACE", "FREQ", "100")
    for c in (vk, valkey):
        assert reply(c, "OBJECT", "IDLETIME", "dst") <= 1
    # LFU side: FREQ sets the counter, IDLETIME leaves a new object's counter.
    same("CONFIG", "SET", "lfu-decay-time", "0")
    same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    same("RESTORE", "dst", "0", payload, "REPLACE", "FREQ", "100")
    assert same("OBJECT", "FREQ", "dst") == 100
    same("RESTORE", "dst", "0", payload, "REPLACE", "FREQ", "0")
    same("OBJECT", "FREQ", "dst")
    same("RESTORE", "dst", "0", payload, "REPLACE", "IDLETIME", "1000")
    same("OBJECT", "FREQ", "dst")
    same("RESTORE", "dst", "0", payload, "REPLACE", "FREQ", "255", "ABSTTL")
    same("OBJECT", "FREQ", "dst")
    same("GET", "dst")


def _save_and_load(src_start, dst_start, policy, setup, tmp_path):
    """Saves an RDB on one server (under `policy`) and loads it in the other."""
    import os
    import shutil
    from conftest import reply as r
    src = src_start(["--maxmemory-policy", policy, "--lfu-decay-time", "0"], dir=str(tmp_path / "src"))
    try:
        c = src.client()
        setup(c)
        assert c.execute_command("SAVE") in (b"OK", True, "OK")
        os.makedirs(tmp_path / "dst", exist_ok=True)
        shutil.copy(os.path.join(src.dir, "dump.rdb"), str(tmp_path / "dst" / "dump.rdb"))
    finally:
        src.stop()
    dst = dst_start(["--maxmemory-policy", policy, "--lfu-decay-time", "0"], dir=str(tmp_path / "dst"))
    return dst, r


@pytest.mark.parametrize("direction", ["valkey_to_vk", "vk_to_valkey"])
def test_rdb_idle_and_freq_interop(direction, tmp_path):
    """RDB_OPCODE_IDLE (LRU policies) and RDB_OPCODE_FREQ (LFU policies) written by one server
    are applied by the other."""
    import os
    from conftest import start_valkey, start_vk
    os.makedirs(tmp_path / "src", exist_ok=True)
    src_start, dst_start = (start_valkey, start_vk) if direction == "valkey_to_vk" else (start_vk, start_valkey)

    def setup_lfu(c):
        c.execute_command("SET", "src", "v")
        payload = c.execute_command("DUMP", "src")
        c.execute_command("RESTORE", "hot", "0", payload, "FREQ", "77")

    dst, r = _save_and_load(src_start, dst_start, "allkeys-lfu", setup_lfu, tmp_path)
    try:
        assert r(dst.client(), "OBJECT", "FREQ", "hot") == 77
        assert r(dst.client(), "OBJECT", "FREQ", "src") == 6  # SET, then DUMP: one access
    finally:
        dst.stop()

    def setup_lru(c):
        c.execute_command("SET", "src", "v")
        payload = c.execute_command("DUMP", "src")
        c.execute_command("RESTORE", "idle", "0", payload, "IDLETIME", "5000")

    import shutil
    shutil.rmtree(tmp_path / "src")
    shutil.rmtree(tmp_path / "dst")
    os.makedirs(tmp_path / "src", exist_ok=True)
    dst, r = _save_and_load(src_start, dst_start, "allkeys-lru", setup_lru, tmp_path)
    try:
        assert 5000 <= r(dst.client(), "OBJECT", "IDLETIME", "idle") <= 5010
        assert r(dst.client(), "OBJECT", "IDLETIME", "src") <= 10
    finally:
        dst.stop()
