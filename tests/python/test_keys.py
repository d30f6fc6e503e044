"""Differential tests of the generic key commands against valkey-server.

Where valkey 9.1 differs from Redis 7.2 the assertion is made on VaultKey alone, with a comment.
Tests that need collection values (lists, sets, hashes, sorted sets) use the `coll` fixture,
which skips (visibly) while those commands are not merged in.
"""

import time

import pytest

from conftest import reply


@pytest.fixture
def coll(same, vk):
    try:
        for cmd in (("RPUSH", "_t", "1"), ("SADD", "_t2", "1"), ("ZADD", "_t3", "1", "a"), ("HSET", "_t4", "f", "v")):
            vk.execute_command(*cmd)
    except Exception as e:  # unknown command before the merge
        pytest.skip(f"needs the collection commands from other branches: {e}")
    vk.execute_command("DEL", "_t", "_t2", "_t3", "_t4")
    return same


def test_del_exists_type_unlink(same):
    same("MSET", "a", "1", "b", "2", "c", "3")
    same("EXISTS", "a", "b", "nokey", "a")
    same("DEL", "a", "nokey", "a")
    same("UNLINK", "b", "c", "nokey")
    same("EXISTS", "a", "b", "c")
    same("SET", "s", "v")
    same("TYPE", "s")
    same("TYPE", "nokey")
    same("DEL")
    same("EXISTS")
    same("TYPE", "a", "b")


def test_rename(same):
    same("SET", "a", "1", "EX", "100")
    same("RENAME", "a", "b")
    same("EXISTS", "a")
    same("GET", "b")
    same("TTL", "b")
    same("RENAME", "nokey", "x")
    same("RENAMENX", "nokey", "x")
    same("RENAME", "b", "b")
    same("RENAMENX", "b", "b")
    same("RENAME", "nokey", "nokey")
    same("SET", "c", "3")
    same("RENAMENX", "b", "c")
    same("GET", "b")
    same("RENAMENX", "b", "d")
    same("GET", "d")
    same("TTL", "d")
    same("RENAME", "d", "c")
    same("GET", "c")
    same("TTL", "c")
    same("SET", "e", "5")
    same("RENAME", "e", "c")
    same("TTL", "c")
    same("RENAME", "c")


def test_copy(same):
    same("SET", "a", "1", "EX", "100")
    same("COPY", "a", "b")
    same("GET", "b")
    same("TTL", "b")
    same("COPY", "a", "b")
    same("SET", "a", "2")
    same("COPY", "a", "b", "REPLACE")
    same("GET", "b")
    same("TTL", "b")
    same("COPY", "a", "a")
    same("COPY", "a", "a", "DB", "0")
    same("COPY", "a", "a", "DB", "1")
    same("COPY", "a", "x", "DB", "abc")
    same("COPY", "a", "x", "DB", "16")
    same("COPY", "a", "x", "DB", "-1")
    same("COPY", "a", "x", "DB")
    same("COPY", "a", "x", "FOO")
    same("COPY", "a", "x", "REPLACE", "REPLACE")
    same("COPY", "nokey", "x")
    same("COPY", "nokey", "nokey")
    same("SELECT", "1")
    same("SET", "a", "other")
    same("SELECT", "0")
    same("COPY", "a", "a", "DB", "1")
    same("COPY", "a", "a", "DB", "1", "REPLACE")
    same("SELECT", "1")
    same("GET", "a")
    same("SELECT", "0")
    same("APPEND", "a", "x")
    same("COPY", "a", "raw")
    same("OBJECT", "ENCODING", "raw")
    same("APPEND", "raw", "y")
    same("MGET", "a", "raw")
    same("COPY", "a")


def test_move(same):
    same("SET", "a", "1", "PX", "100000")
    same("MOVE", "a", "1")
    same("EXISTS", "a")
    same("MOVE", "a", "1")
    same("SELECT", "1")
    same("GET", "a")
    same("EXISTS", "a")
    same("SET", "b", "x")
    same("MOVE", "a", "0")
    same("MOVE", "b", "0")
    same("SELECT", "0")
    same("GET", "a")
    same("GET", "b")
    same("SET", "b", "y")
    same("SELECT", "1")
    same("SET", "b", "z")
    same("MOVE", "b", "0")
    same("GET", "b")
    same("MOVE", "b", "1")
    same("MOVE", "b", "16")
    same("MOVE", "b", "-1")
    same("MOVE", "b", "abc")
    same("COPY", "b", "x", "DB", "99999999999")
    same("MOVE", "b", "99999999999")
    same("MOVE", "nokey", "0")
    same("MOVE", "nokey", "1")
    same("MOVE", "b")


def test_keys_scan(same):
    names = ["foo", "foobar", "fo", "bar", "f*o", "hello", "hallo", "hxllo", "h[a]llo"]
    for n in names:
        same("SET", n, "1")
    for pat in ["*", "foo*", "f?o", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "*o", "f\\*o", "nomatch", "",
                "h[a", "*[", "\\", "[]", "[^]", "h?llo"]:
        same("KEYS", pat, sort=True)
    same("SET", "exp", "1", "PX", "1")
    time.sleep(0.01)
    same("KEYS", "*", sort=True)
    same("KEYS")
    same("SCAN", "abc")
    same("SCAN", "-1")
    same("SCAN", "0", "COUNT", "0")
    same("SCAN", "0", "COUNT", "x")
    same("SCAN", "0", "MATCH")
    same("SCAN", "0", "FOO", "bar")
    same("SCAN", "0", "TYPE")
    same("SCAN")


def scan_all(c, *opts):
    c.response_callbacks.pop("SCAN", None)
    cursor = b"0"
    keys = []
    n = 0
    while True:
        r = c.execute_command("SCAN", cursor, *opts)
        assert isinstance(r[0], bytes) and r[0].isdigit()
        cursor = r[0]
        keys.extend(r[1])
        n += 1
        assert n < 100000
        if cursor == b"0":
            return sorted(keys)


def test_scan_full_iteration(same, vk, valkey):
    for c in (vk, valkey):
        for i in range(0, 1000, 100):
            c.mset({f"key:{j}": j for j in range(i, i + 100)})
        c.set("other", "x")
    for opts in [(), ("COUNT", "7"), ("MATCH", "key:1*"), ("MATCH", "key:1*", "COUNT", "1000"),
                 ("TYPE", "string"), ("TYPE", "list"), ("MATCH", "oth*", "TYPE", "STRING")]:
        assert scan_all(vk, *opts) == scan_all(valkey, *opts), opts
    # Redis 7.2 returns nothing for an unknown type (valkey 8+ replies with an error).
    assert scan_all(vk, "TYPE", "nosuchtype") == []
    for c in (vk, valkey):
        c.flushdb()
    same("SCAN", "0")


def test_scan_skips_expired(vk):
    vk.set("live", "1")
    vk.set("dead", "1", px=1)
    time.sleep(0.01)
    assert scan_all(vk) == [b"live"]
    assert vk.execute_command("DBSIZE") == 1


def test_randomkey_touch(same, vk):
    same("RANDOMKEY")
    same("SET", "a", "1")
    same("RANDOMKEY")
    same("TOUCH", "a", "nokey", "a")
    same("TOUCH", "nokey")
    same("TOUCH")
    same("RANDOMKEY", "x")
    vk.mset({"b": 1, "c": 2})
    seen = set()
    for _ in range(200):
        seen.add(vk.execute_command("RANDOMKEY"))
    assert seen == {b"a", b"b", b"c"}
    vk.flushdb()
    vk.set("e", "1", px=1)
    time.sleep(0.01)
    assert vk.execute_command("RANDOMKEY") is None


def test_object(same, vk):
    same("SET", "n", "123")
    same("SET", "s", "hello")
    same("SET", "big", "x" * 100)
    same("OBJECT", "ENCODING", "n")
    same("OBJECT", "ENCODING", "s")
    # Redis 7.2: strings over 44 bytes are raw (valkey 8+ embeds longer ones).
    assert reply(vk, "OBJECT", "ENCODING", "big") == b"raw"
    same("OBJECT", "ENCODING", "nokey")
    same("OBJECT", "REFCOUNT", "s")
    same("OBJECT", "REFCOUNT", "nokey")
    # Redis 7.2 shares the integers 0..9999 (valkey 9 does not).
    assert reply(vk, "OBJECT", "REFCOUNT", "n") == 2147483647
    same("SET", "n2", "123456")
    same("OBJECT", "REFCOUNT", "n2")
    same("OBJECT", "IDLETIME", "s")
    same("OBJECT", "IDLETIME", "nokey")
    same("OBJECT", "FREQ", "s")
    same("OBJECT", "FREQ", "nokey")
    same("OBJECT", "HELP")
    same("OBJECT", "help")
    same("OBJECT", "HELP", "x")
    same("OBJECT", "FOO", "s")
    same("OBJECT", "ENCODING")
    same("OBJECT", "ENCODING", "s", "x")
    same("OBJECT")
    same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    same("OBJECT", "IDLETIME", "s")
    same("OBJECT", "IDLETIME", "nokey")
    same("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_object_idletime(vk):
    vk.set("k", "v")
    time.sleep(2.1)
    idle = vk.execute_command("OBJECT", "IDLETIME", "k")
    assert 1 <= idle <= 3
    vk.execute_command("TTL", "k")  # does not touch
    assert vk.execute_command("OBJECT", "IDLETIME", "k") >= 1
    vk.get("k")
    assert vk.execute_command("OBJECT", "IDLETIME", "k") == 0


def test_expire_family(same):
    same("SET", "k", "v")
    same("EXPIRE", "k", "100")
    same("TTL", "k")
    same("PEXPIRE", "k", "200000")
    same("TTL", "k")
    same("EXPIREAT", "k", str(int(time.time()) + 300))
    same("TTL", "k")
    same("PEXPIREAT", "k", str(int(time.time() * 1000) + 400000))
    same("TTL", "k")
    same("EXPIRETIME", "nokey")
    same("PEXPIRETIME", "nokey")
    same("TTL", "nokey")
    same("PTTL", "nokey")
    same("SET", "p", "v")
    same("TTL", "p")
    same("PTTL", "p")
    same("EXPIRETIME", "p")
    same("PEXPIRETIME", "p")
    same("EXPIREAT", "p", "33177117420")
    same("EXPIRETIME", "p")
    same("PEXPIRETIME", "p")
    same("PEXPIREAT", "p", "33177117420499")
    same("EXPIRETIME", "p")
    same("PEXPIREAT", "p", "33177117420500")
    same("EXPIRETIME", "p")
    same("PEXPIRETIME", "p")
    same("EXPIRE", "nokey", "100")
    same("EXPIRE", "k", "abc")
    same("EXPIRE", "k", "1.5")
    same("EXPIRE", "k", "9223372036854775807")
    same("EXPIRE", "k", "-9223372036854775808")
    same("PEXPIRE", "k", "9223372036854775807")
    same("EXPIREAT", "k", "9223372036854775807")
    same("PEXPIREAT", "k", "9223372036854775807")
    same("EXPIRE", "k", "100", "FOO")
    same("EXPIRE", "k", "abc", "FOO")
    same("EXPIRE", "k", "abc", "NX", "XX")
    same("EXPIRE", "k", "100", "NX", "GT")
    same("EXPIRE", "k", "100", "NX", "LT")
    same("EXPIRE", "k", "100", "GT", "LT")
    same("EXPIRE", "k", "100", "XX", "XX")
    same("EXPIRE", "k")
    same("TTL")


def test_expire_options(same):
    same("SET", "k", "v")
    same("EXPIRE", "k", "100", "XX")
    same("EXPIRE", "k", "100", "GT")
    same("EXPIRE", "k", "100", "LT")
    same("TTL", "k")
    same("PERSIST", "k")
    same("EXPIRE", "k", "100", "NX")
    same("EXPIRE", "k", "200", "NX")
    same("TTL", "k")
    same("EXPIRE", "k", "50", "GT")
    same("EXPIRE", "k", "200", "GT")
    same("TTL", "k")
    same("EXPIRE", "k", "300", "LT")
    same("EXPIRE", "k", "50", "LT")
    same("TTL", "k")
    same("EXPIRE", "k", "60", "XX", "GT")
    same("EXPIRE", "k", "40", "XX", "LT")
    same("TTL", "k")
    same("SET", "p", "v")
    same("EXPIRE", "p", "-1", "LT")
    same("EXISTS", "p")
    same("SET", "p", "v")
    same("EXPIRE", "p", "-1", "GT")
    same("EXISTS", "p")
    same("EXPIRE", "p", "-1", "NX")
    same("EXISTS", "p")


def test_expire_in_the_past_deletes(same):
    for cmd, t in [("EXPIRE", "0"), ("EXPIRE", "-10"), ("PEXPIRE", "-1"), ("EXPIREAT", "1"), ("PEXPIREAT", "0")]:
        same("SET", "k", "v")
        same(cmd, "k", t)
        same("EXISTS", "k")
        same("TTL", "k")


def test_persist(same):
    same("SET", "k", "v", "EX", "100")
    same("PERSIST", "k")
    same("TTL", "k")
    same("PERSIST", "k")
    same("PERSIST", "nokey")
    same("PERSIST")


def test_lazy_expiry(same, vk):
    same("SET", "k", "v", "PX", "50")
    time.sleep(0.1)
    same("GET", "k")
    same("TTL", "k")
    same("EXISTS", "k")


def test_keyspace_events_keys(vk_server):
    c = vk_server.client()
    c.config_set("notify-keyspace-events", "KEA")
    p = c.pubsub()
    try:
        p.psubscribe("__keyevent@*__:*")
        p.get_message(timeout=1)
    except Exception as e:
        pytest.skip(f"needs PSUBSCRIBE (pub/sub branch): {e}")
    cmds = [
        ("SET", "a", "1"),
        ("RENAME", "a", "b"),
        ("COPY", "b", "c"),
        ("MOVE", "c", "1"),
        ("EXPIRE", "b", "100"),
        ("PERSIST", "b"),
        ("EXPIRE", "b", "-1"),
        ("DEL", "c"),
    ]
    for cmd in cmds:
        c.execute_command(*cmd)
    events = []
    deadline = time.time() + 5
    while time.time() < deadline and len(events) < 9:
        m = p.get_message(timeout=0.5)
        if m and m["type"] == "pmessage":
            ch = m["channel"].decode()
            events.append((ch.split("@")[1].split("__")[0], ch.split(":", 1)[1], m["data"].decode()))
    assert events == [
        ("0", "set", "a"), ("0", "rename_from", "a"), ("0", "rename_to", "b"), ("0", "copy_to", "c"),
        ("0", "move_from", "c"), ("1", "move_to", "c"), ("0", "expire", "b"), ("0", "persist", "b"),
        ("0", "del", "b"),
    ]


def test_collections_keys(coll):
    same = coll
    same("RPUSH", "l", "a", "b")
    same("SADD", "s", "x")
    same("ZADD", "z", "1", "m")
    same("HSET", "h", "f", "v")
    for k in ["l", "s", "z", "h"]:
        same("TYPE", k)
        same("OBJECT", "ENCODING", k)
    same("COPY", "l", "l2")
    same("RPUSH", "l2", "c")
    same("LRANGE", "l", "0", "-1")
    same("LRANGE", "l2", "0", "-1")
    same("RENAME", "h", "h2")
    same("HGETALL", "h2")
    same("KEYS", "*", sort=True)


def test_sort_lists(coll, vk):
    same = coll
    same("RPUSH", "l", "3", "1", "10", "2", "-1.5", "1e2")
    same("SORT", "l")
    same("SORT", "l", "DESC")
    same("SORT", "l", "ALPHA")
    same("SORT", "l", "ALPHA", "DESC")
    for lim in [("0", "2"), ("2", "2"), ("-1", "2"), ("0", "-1"), ("5", "10"), ("10", "1"), ("0", "0"), ("1", "-5")]:
        same("SORT", "l", "LIMIT", *lim)
        same("SORT", "l", "BY", "nosort", "LIMIT", *lim)
        same("SORT", "l", "BY", "nosort", "DESC", "LIMIT", *lim)
    same("SORT", "l", "LIMIT", "x", "1")
    same("SORT", "l", "LIMIT", "0")
    same("SORT", "l", "FOO")
    same("SORT", "l", "STORE")
    same("SORT", "l", "GET")
    same("SORT", "l", "BY")
    same("SORT", "l", "ASC", "DESC", "ASC")
    same("SORT_RO", "l")
    same("SORT_RO", "l", "STORE", "x")
    same("RPUSH", "bad", "1", "x", "2")
    same("SORT", "bad")
    same("SORT", "bad", "STORE", "dst")
    same("EXISTS", "dst")
    same("SORT", "bad", "ALPHA")
    same("RPUSH", "sp", " 1", "", "2 ", "0x10", "inf", "-inf")
    same("SORT", "sp", "ALPHA")
    # Redis 7.2 parses weights with strtod (leading spaces, "" as 0, hex); valkey 9 is stricter.
    vk.execute_command("RPUSH", "t", " 1", "", "0x10", "-inf", "3")
    assert reply(vk, "SORT", "t") == [b"-inf", b"", b" 1", b"3", b"0x10"]
    same("SORT", "nokey")
    same("SORT", "nokey", "STORE", "dst")
    same("SET", "str", "x")
    same("SORT", "str")
    same("SORT", "str", "FOO")
    same("SORT")


def test_sort_by_get(coll):
    same = coll
    same("RPUSH", "l", "a", "b", "c", "d")
    same("MSET", "w_a", "3", "w_b", "1", "w_c", "2", "w_d", "x", "name_a", "A", "name_c", "C")
    same("HSET", "h_a", "f", "30", "n", "Ann")
    same("HSET", "h_b", "f", "10")
    same("HSET", "h_c", "f", "20", "n", "Cat")
    same("SORT", "l", "BY", "w_*")
    same("SORT", "l", "BY", "w_*", "ALPHA")
    same("SORT", "l", "BY", "h_*->f")
    same("SORT", "l", "BY", "h_*->f", "DESC")
    same("SORT", "l", "BY", "h_*->n", "ALPHA")
    same("SORT", "l", "BY", "h_*->f", "GET", "#", "GET", "h_*->n", "GET", "name_*", "GET", "nostar")
    same("SORT", "l", "BY", "nosort", "GET", "#", "GET", "w_*")
    same("SORT", "l", "BY", "h_*->", "GET", "h_*->")
    same("SORT", "l", "BY", "w_*->f", "GET", "w_*->f")
    same("SORT", "l", "BY", "nosort", "GET", "h_*->f", "LIMIT", "1", "2")
    same("SORT", "l", "BY", "h_*->f", "LIMIT", "0", "2", "GET", "name_*", "STORE", "dst")
    same("LRANGE", "dst", "0", "-1")
    same("OBJECT", "ENCODING", "dst")
    same("TYPE", "dst")
    same("SORT", "l", "BY", "w_*", "STORE", "dst")


def test_sort_sets_zsets(coll):
    same = coll
    same("SADD", "s", "5", "1", "30", "-2")
    same("SORT", "s")
    same("SORT", "s", "DESC", "LIMIT", "1", "2")
    same("SORT", "s", "BY", "nosort")
    same("SORT", "s", "BY", "nosort", "STORE", "dst")
    same("LRANGE", "dst", "0", "-1")
    same("SADD", "sa", "b", "a", "c")
    same("SORT", "sa", "ALPHA")
    same("SORT", "sa")
    same("ZADD", "z", "1", "x", "2", "a", "3", "m", "3", "b")
    same("SORT", "z", "ALPHA")
    same("SORT", "z", "BY", "nosort")
    same("SORT", "z", "BY", "nosort", "DESC")
    same("SORT", "z", "BY", "nosort", "LIMIT", "1", "2")
    same("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2")
    same("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "3", "5")
    same("SORT", "z")


def test_sort_store_encoding(coll):
    same = coll
    same("RPUSH", "l", *[str(i) for i in range(200)])
    same("SORT", "l", "STORE", "dst")
    same("OBJECT", "ENCODING", "dst")
    same("RPUSH", "big", *["x" * 100 + str(i) for i in range(100)])
    same("SORT", "big", "ALPHA", "STORE", "dst2")
    same("OBJECT", "ENCODING", "dst2")
    same("SORT", "big", "ALPHA", "LIMIT", "0", "10", "STORE", "dst2")
    same("OBJECT", "ENCODING", "dst2")
