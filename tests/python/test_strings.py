"""Differential tests of the string and bitmap commands against valkey-server.

Every command goes to VaultKey and to valkey; replies (errors included) must be identical.
Where valkey 9.1 differs from Redis 7.2 the assertion is made on VaultKey alone, with a comment.
"""

import time

from conftest import reply

import pytest


@pytest.fixture
def coll(same, vk):
    """Creates list `l` and hash `h` on both servers (needs the list/hash commands, which live
    in other branches: skipped, visibly, until they are merged)."""
    try:
        vk.execute_command("RPUSH", "l", "1")
        vk.execute_command("HSET", "h", "f", "v")
    except Exception as e:  # unknown command before the merge
        pytest.skip(f"needs RPUSH/HSET: {e}")
    vk.execute_command("DEL", "l", "h")
    same("RPUSH", "l", "1")
    same("HSET", "h", "f", "v")
    return same


def test_get_set_options(same, vk):
    same("SET", "k", "v")
    same("GET", "k")
    same("GET", "nokey")
    same("SET", "k", "v2", "NX")
    same("SET", "k", "v2", "XX")
    same("GET", "k")
    same("SET", "k2", "v", "XX")
    same("SET", "k2", "v", "NX")
    same("SET", "k", "v", "NX", "XX")
    same("SET", "k", "v", "XX", "NX")
    same("SET", "k", "v", "EX", "10", "PX", "10")
    same("SET", "k", "v", "EX", "10", "KEEPTTL")
    same("SET", "k", "v", "KEEPTTL", "EX", "10")
    same("SET", "k", "v", "EXAT", "10", "PXAT", "10")
    same("SET", "k", "v", "EX")
    same("SET", "k", "v", "FOO")
    same("SET", "k", "v", "EX", "abc", "NX", "XX")  # syntax error comes first
    same("SET", "k", "v", "EX", "abc")
    same("SET", "k", "v", "EX", "0")
    same("SET", "k", "v", "EX", "-1")
    same("SET", "k", "v", "PX", "0")
    same("SET", "k", "v", "EX", "9223372036854775")
    same("SET", "k", "v", "PX", "9223372036854775000")
    same("SET", "k", "v", "EXAT", "0")
    same("SET", "k", "v", "EX", "100", "EX", "200")
    same("TTL", "k")
    same("SET", "k", "v", "KEEPTTL", "KEEPTTL")
    same("TTL", "k")
    same("SET", "k", "v")
    same("TTL", "k")
    same("SET", "k", "v", "PX", "100000")
    same("TTL", "k")
    same("SET", "k", "v", "EXAT", str(int(time.time()) + 1000))
    same("TTL", "k")
    same("SET", "k", "v", "PXAT", str(int(time.time() * 1000) + 1000000))
    same("TTL", "k")
    same("SET", "k", "new", "KEEPTTL")
    same("TTL", "k")
    same("SET", "k", "v", "ex", "10", "nx")
    same("SET", "k", "v", "GET")
    same("SET", "k", "w", "GET", "GET")
    same("SET", "newk", "v", "GET")
    same("SET", "newk", "x", "NX", "GET")
    same("SET", "newk2", "x", "NX", "GET")
    same("SET", "nok", "x", "XX", "GET")
    same("GET", "nok")
    same("SET", "k", "v", "EXAT", "1")
    same("GET", "k")
    same("EXISTS", "k")
    same("SET")
    same("SET", "k")
    same("GET", "a", "b")



def test_setnx_setex_psetex_getset(same):
    same("SETNX", "k", "v")
    same("SETNX", "k", "w")
    same("GET", "k")
    same("SETEX", "k", "100", "v")
    same("TTL", "k")
    same("SETEX", "k", "0", "v")
    same("SETEX", "k", "-5", "v")
    same("SETEX", "k", "abc", "v")
    same("SETEX", "k", "9223372036854775807", "v")
    same("PSETEX", "k", "100000", "v")
    same("TTL", "k")
    same("PSETEX", "k", "0", "v")
    same("PSETEX", "k", "x", "v")
    same("SETEX", "k", "10")
    same("GETSET", "k", "new")
    same("TTL", "k")
    same("GETSET", "nokey", "v")
    same("GET", "nokey")


def test_getdel_getex(same, vk):
    same("SET", "k", "v")
    same("GETDEL", "k")
    same("GETDEL", "k")
    same("EXISTS", "k")
    same("SET", "k", "v")
    same("GETEX", "k")
    same("TTL", "k")
    same("GETEX", "k", "EX", "100")
    same("TTL", "k")
    same("GETEX", "k", "PX", "200000")
    same("TTL", "k")
    same("GETEX", "k", "EXAT", str(int(time.time()) + 300))
    same("TTL", "k")
    same("GETEX", "k", "PXAT", str(int(time.time() * 1000) + 400000))
    same("TTL", "k")
    same("GETEX", "k", "PERSIST")
    same("TTL", "k")
    same("GETEX", "k", "PERSIST", "PERSIST")
    same("GETEX", "k", "PERSIST", "EX", "10")
    same("GETEX", "k", "EX", "10", "PX", "10")
    same("GETEX", "k", "EX", "10", "EX", "20")
    same("TTL", "k")
    same("GETEX", "k", "EX")
    same("GETEX", "k", "FOO")
    same("GETEX", "k", "NX")
    same("GETEX", "k", "KEEPTTL")
    same("GETEX", "k", "EX", "0")
    same("GETEX", "k", "EX", "-1")
    same("GETEX", "k", "EX", "abc")
    same("GETEX", "k", "EX", "9223372036854775807")
    # Redis 7.2 looks the key up before validating the time (valkey 9 validates first).
    assert reply(vk, "GETEX", "nokey", "EX", "0") is None
    same("GETEX", "nokey", "EX", "10")
    same("GETEX", "k", "PXAT", "1")
    same("EXISTS", "k")
    same("SET", "k", "v")
    same("GETEX", "k", "EXAT", "1")
    same("EXISTS", "k")
    same("GETEX")


def test_mget_mset_msetnx(same):
    same("MSET", "a", "1", "b", "2", "c", "3")
    same("MGET", "a", "b", "c", "d")
    same("MSET", "a")
    same("MSET", "a", "1", "b")
    same("MSETNX", "a", "1", "b")
    same("MSETNX", "x", "1", "a", "9")
    same("MGET", "x", "a")
    same("MSETNX", "x", "1", "y", "2")
    same("MGET", "x", "y")
    same("MSETNX", "z", "1", "z", "2")
    same("GET", "z")
    same("SET", "e", "v", "EX", "100")
    same("MSET", "e", "w")
    same("TTL", "e")
    same("MGET")


def test_incr_decr(same):
    same("INCR", "n")
    same("INCRBY", "n", "41")
    same("DECR", "n")
    same("DECRBY", "n", "-10")
    same("DECRBY", "n", "abc")
    same("INCRBY", "n", "1.5")
    same("INCRBY", "n", " 1")
    same("SET", "n", "9223372036854775807")
    same("INCR", "n")
    same("SET", "n", "-9223372036854775808")
    same("DECR", "n")
    same("DECRBY", "n", "-9223372036854775808")
    same("DECRBY", "m", "-9223372036854775808")
    same("SET", "s", "abc")
    same("INCR", "s")
    same("SET", "s", " 1")
    same("INCR", "s")
    same("SET", "s", "01")
    same("INCR", "s")
    same("SET", "s", "12345678901234567890123")
    same("INCR", "s")
    same("SET", "t", "5", "EX", "100")
    same("INCR", "t")
    same("TTL", "t")
    same("OBJECT", "ENCODING", "t")
    same("INCR")


def test_incrbyfloat(same):
    same("INCRBYFLOAT", "f", "10.5")
    same("INCRBYFLOAT", "f", "0.1")
    same("INCRBYFLOAT", "f", "-5")
    same("INCRBYFLOAT", "f", "5.0e3")  # long double: 5005.60000000000000009
    for v in ["0.1", "0.2", "1e308", "1e400", "-1e400", "1e4933", "1e-300", "3.0e-5", "123456789.123456789",
              "-0.0000001", "1e-4950", ".5", "5.", "0x10", "1e", "--1", "+1.5", "inf", "-inf", "1" * 5200]:
        same("INCRBYFLOAT", "g2", v)
    same("SET", "g3", "1e4900")
    same("INCRBYFLOAT", "g3", "1e4900")
    same("INCRBYFLOAT", "g3", "1e4932")
    same("SET", "g4", "0.1")
    for _ in range(20):
        same("INCRBYFLOAT", "g4", "0.1")
    same("INCRBYFLOAT", "f", "abc")
    same("INCRBYFLOAT", "f", "")
    same("INCRBYFLOAT", "f", "+inf")
    same("INCRBYFLOAT", "f", "nan")
    same("SET", "f", "abc")
    same("INCRBYFLOAT", "f", "1")
    same("SET", "f", "3")
    same("INCRBYFLOAT", "f", "1.25")
    same("SET", "f", "1", "EX", "100")
    same("INCRBYFLOAT", "f", "1")
    same("TTL", "f")
    same("INCRBYFLOAT", "g", "-0.5")
    same("INCRBYFLOAT", "g", "0.5")
    same("GET", "g")
    same("INCRBYFLOAT", "hf", "100")
    # Redis stores INCRBYFLOAT results unencoded (embstr even when integral); VaultKey's string
    # value reports `int` for integral text (types/mod.rs has no such variant) - not compared.


def test_append_strlen_encoding(same, vk):
    same("APPEND", "k", "123")
    same("OBJECT", "ENCODING", "k")
    same("APPEND", "k", "4")
    same("OBJECT", "ENCODING", "k")
    same("GET", "k")
    same("STRLEN", "k")
    same("STRLEN", "nokey")
    same("APPEND", "k", "")
    same("SET", "e", "hello")
    same("OBJECT", "ENCODING", "e")
    same("APPEND", "e", " world")
    same("OBJECT", "ENCODING", "e")
    same("SET", "i", "12")
    same("STRLEN", "i")
    same("SET", "big", "x" * 45)
    # Redis 7.2 stores strings over 44 bytes as raw (valkey 8+ raised the embstr limit).
    assert reply(vk, "OBJECT", "ENCODING", "big") == b"raw"
    same("SET", "emb", "x" * 44)
    same("OBJECT", "ENCODING", "emb")
    same("SET", "t", "a", "EX", "100")
    same("APPEND", "t", "b")
    same("TTL", "t")


def test_getrange_setrange(same):
    same("SET", "k", "Hello World")
    for s, e in [("0", "4"), ("-5", "-1"), ("0", "-1"), ("5", "3"), ("-1", "-2"), ("0", "100"),
                 ("-100", "2"), ("-100", "-100"), ("100", "200"), ("3", "3"), ("-3", "100")]:
        same("GETRANGE", "k", s, e)
        same("SUBSTR", "k", s, e)
    same("GETRANGE", "k", "x", "1")
    same("GETRANGE", "k", "0", "1.5")
    same("GETRANGE", "nokey", "0", "-1")
    same("SET", "n", "1234")
    same("GETRANGE", "n", "1", "2")
    same("SET", "empty", "")
    same("GETRANGE", "empty", "0", "-1")
    same("SETRANGE", "k", "6", "Redis")
    same("GET", "k")
    same("SETRANGE", "k", "20", "!")
    same("GET", "k")
    same("SETRANGE", "k", "0", "")
    same("SETRANGE", "k", "-1", "x")
    same("SETRANGE", "k", "abc", "x")
    same("SETRANGE", "new", "3", "abc")
    same("GET", "new")
    same("OBJECT", "ENCODING", "new")
    same("SETRANGE", "new2", "5", "")
    same("EXISTS", "new2")
    same("SETRANGE", "k", "536870911", "ab")
    same("SETRANGE", "new3", "536870912", "a")
    same("SET", "n", "1234")
    same("SETRANGE", "n", "1", "x")
    same("GET", "n")
    same("OBJECT", "ENCODING", "n")


def test_lcs(same, vk_server):
    same("MSET", "key1", "ohmytext", "key2", "mynewtext")
    same("LCS", "key1", "key2")
    same("LCS", "key1", "key2", "LEN")
    same("LCS", "key1", "key2", "IDX")
    same("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4")
    same("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    same("LCS", "key1", "key2", "IDX", "WITHMATCHLEN")
    same("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5")
    same("LCS", "key1", "key2", "IDX", "LEN")
    same("LCS", "key1", "key2", "MINMATCHLEN")
    same("LCS", "key1", "key2", "MINMATCHLEN", "x")
    same("LCS", "key1", "key2", "FOO")
    same("LCS", "key1", "nokey")
    same("LCS", "key1", "nokey", "IDX")
    same("LCS", "nokey", "nokey2", "LEN")
    same("MSET", "a", "ACGTTGCAGCTAGCTAGCTAG", "b", "TTGCAGGCTAGCTAGGATCAG")
    same("LCS", "a", "b")
    same("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    same("LCS", "a", "a", "IDX")
    same("LCS", "a")
    vk3 = vk_server.client(protocol=3)
    r = vk3.execute_command("LCS", "key1", "key2", "IDX")
    assert r == {b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len": 6}


def test_keyspace_events_strings(vk_server):
    c = vk_server.client()
    c.config_set("notify-keyspace-events", "KEA")
    p = c.pubsub()
    try:
        p.psubscribe("__keyevent@0__:*")
        p.get_message(timeout=1)
    except Exception as e:
        pytest.skip(f"needs PSUBSCRIBE (pub/sub branch): {e}")
    p.get_message(timeout=1)
    cmds = [
        ("SET", "k", "v", "EX", "100"),
        ("APPEND", "k", "x"),
        ("SETRANGE", "k", "0", "y"),
        ("INCRBYFLOAT", "f", "1.5"),
        ("INCR", "n"),
        ("GETEX", "k", "PERSIST"),
        ("GETDEL", "k"),
        ("MSET", "a", "1"),
    ]
    for cmd in cmds:
        c.execute_command(*cmd)
    events = []
    deadline = time.time() + 5
    while time.time() < deadline and len(events) < 10:
        m = p.get_message(timeout=0.5)
        if m and m["type"] == "pmessage":
            events.append((m["channel"].decode().split(":", 1)[1], m["data"].decode()))
    assert events == [
        ("set", "k"), ("expire", "k"), ("append", "k"), ("setrange", "k"), ("incrbyfloat", "f"),
        ("incrby", "n"), ("persist", "k"), ("del", "k"), ("set", "a"),
    ]


def test_wrongtype_strings(coll, vk):
    same = coll
    same("GET", "h")
    same("SET", "h", "v", "GET")
    same("SET", "h", "v", "NX", "GET")
    same("TYPE", "h")
    same("SET", "h", "v")
    same("TYPE", "h")
    same("GETSET", "l", "v")
    same("SETNX", "l", "v")
    same("GETDEL", "l")
    same("GETEX", "l")
    # Redis 7.2 looks the key up (WRONGTYPE) before validating the expire time; valkey 9
    # validates first. We follow 7.2.
    from conftest import reply
    assert reply(vk, "GETEX", "l", "EX", "0")[1].startswith("WRONGTYPE")
    same("MGET", "a", "l", "a")
    same("INCR", "l")
    same("INCRBY", "l", "x")
    same("INCRBYFLOAT", "l", "1")
    same("INCRBYFLOAT", "l", "x")
    same("APPEND", "l", "x")
    same("STRLEN", "l")
    same("SETRANGE", "l", "0", "x")
    same("SETRANGE", "l", "0", "")
    same("GETRANGE", "l", "0", "1")
    same("SETRANGE", "l", "-1", "x")
    same("LCS", "a", "l")
    same("LCS", "l", "nokey")
    same("SET", "a", "1")
    same("MGET", "a", "l", "h", "a")


def test_setbit_getbit(same):
    same("SETBIT", "b", "7", "1")
    same("GET", "b")
    same("SETBIT", "b", "7", "1")
    same("SETBIT", "b", "7", "0")
    same("SETBIT", "b", "100", "1")
    same("STRLEN", "b")
    same("GETBIT", "b", "100")
    same("GETBIT", "b", "99")
    same("GETBIT", "b", "100000")
    same("GETBIT", "nokey", "5")
    same("OBJECT", "ENCODING", "b")
    for bad in ["-1", "abc", "4294967296", "9223372036854775807", "1.5", "#1"]:
        same("SETBIT", "b", bad, "1")
        same("GETBIT", "b", bad)
    same("SETBIT", "b", "1", "2")
    same("SETBIT", "b", "1", "-1")
    same("SETBIT", "b", "1", "x")
    same("SETBIT", "b", "4294967295", "x")
    same("SET", "n", "1")
    same("GETBIT", "n", "2")
    same("GETBIT", "n", "3")
    same("SETBIT", "n", "6", "1")
    same("GET", "n")
    same("OBJECT", "ENCODING", "n")
    same("SET", "t", "a", "EX", "100")
    same("SETBIT", "t", "0", "1")
    same("TTL", "t")


def test_bitcount(same, vk):
    same("SET", "s", "foobar")
    same("BITCOUNT", "s")
    for args in [("0", "0"), ("1", "1"), ("1", "-2"), ("-1", "-1"), ("-2", "-5"), ("5", "2"), ("0", "100"),
                 ("-100", "-1"), ("1", "1", "BYTE"), ("5", "30", "BIT"), ("0", "-1", "BIT"), ("-7", "-1", "BIT"),
                 ("3", "3", "bit"), ("10", "9", "BIT"), ("-1", "-100", "BIT"), ("7", "8", "BIT")]:
        same("BITCOUNT", "s", *args)
    # Redis 7.2 requires both start and end (valkey 8 made end optional).
    assert reply(vk, "BITCOUNT", "s", "0") == ("error", "syntax error")
    same("BITCOUNT", "s", "0", "1", "FOO")
    same("BITCOUNT", "s", "0", "1", "BIT", "x")
    same("BITCOUNT", "s", "a", "1")
    same("BITCOUNT", "s", "0", "b")
    same("BITCOUNT", "nokey")
    same("BITCOUNT", "nokey", "0", "1")
    same("BITCOUNT", "nokey", "0", "1", "BIT")
    same("BITCOUNT", "nokey", "0", "1", "FOO")
    same("BITCOUNT", "nokey", "a", "b")
    same("SET", "e", "")
    same("BITCOUNT", "e")
    same("BITCOUNT", "e", "0", "-1")
    same("SET", "n", "12345")
    same("BITCOUNT", "n")


def test_bitpos(same):
    same("SET", "s", b"\xff\xf0\x00")
    same("BITPOS", "s", "0")
    same("BITPOS", "s", "1")
    same("BITPOS", "s", "1", "2")
    same("BITPOS", "s", "0", "0", "0")
    same("BITPOS", "s", "0", "0", "-1")
    same("BITPOS", "s", "1", "2", "-1")
    same("BITPOS", "s", "0", "0", "0", "BIT")
    same("BITPOS", "s", "0", "7", "15", "BIT")
    same("BITPOS", "s", "1", "7", "15", "BIT")
    same("BITPOS", "s", "1", "13", "100", "BIT")
    same("BITPOS", "s", "0", "1", "11", "BIT")
    same("BITPOS", "s", "1", "-5", "-1", "BIT")
    same("BITPOS", "s", "1", "0", "-1", "BYTE")
    same("BITPOS", "s", "0", "5", "3")
    same("BITPOS", "s", "2")
    same("BITPOS", "s", "-1")
    same("BITPOS", "s", "x")
    same("BITPOS", "s", "1", "x")
    same("BITPOS", "s", "1", "0", "x")
    same("BITPOS", "s", "1", "0", "1", "FOO")
    same("BITPOS", "s", "1", "0", "1", "BIT", "extra")
    same("SET", "ones", b"\xff\xff")
    same("BITPOS", "ones", "0")
    same("BITPOS", "ones", "0", "0")
    same("BITPOS", "ones", "0", "0", "-1")
    same("BITPOS", "ones", "0", "1")
    same("SET", "zeros", b"\x00\x00")
    same("BITPOS", "zeros", "1")
    same("BITPOS", "zeros", "0")
    same("BITPOS", "nokey", "1")
    same("BITPOS", "nokey", "0")
    same("BITPOS", "nokey", "0", "1", "2")
    same("BITPOS", "nokey", "2")
    same("SET", "e", "")
    same("BITPOS", "e", "0")
    same("BITPOS", "e", "1")
    same("SET", "big", b"\x00" * 100 + b"\x01")
    same("BITPOS", "big", "1")
    same("BITPOS", "big", "1", "3", "-1", "BYTE")


def test_bitop(same):
    same("SET", "a", b"\xff\x0f")
    same("SET", "b", b"\x0f")
    for op in ["AND", "OR", "XOR", "and"]:
        same("BITOP", op, "d", "a", "b")
        same("GET", "d")
    same("BITOP", "AND", "d", "a", "b", "nokey")
    same("GET", "d")
    same("BITOP", "NOT", "d", "a")
    same("GET", "d")
    same("BITOP", "NOT", "d", "a", "b")
    same("BITOP", "NOT", "d")
    same("BITOP", "FOO", "d", "a")
    same("BITOP", "AND", "d", "nokey", "nokey2")
    same("EXISTS", "d")
    same("BITOP", "OR", "d", "a")
    same("OBJECT", "ENCODING", "d")
    same("SET", "d", "x", "EX", "100")
    same("BITOP", "OR", "d", "a")
    same("TTL", "d")
    same("BITOP", "AND", "d")


def test_bitfield(same):
    same("BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0")
    same("BITFIELD", "bf", "INCRBY", "i8", "0", "100")
    same("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100")
    same("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "100")
    same("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-300")
    same("BITFIELD", "bf", "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "u4", "8", "GET", "i4", "8")
    same("BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
    same("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u2", "100", "5", "INCRBY", "u2", "100", "-10")
    same("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u2", "100", "10", "SET", "i2", "100", "-3", "SET", "i2", "100", "-2")
    same("BITFIELD", "bf", "SET", "u8", "0", "-1", "GET", "u8", "0")
    same("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "0", "1000", "SET", "i8", "0", "-1000")
    same("BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0", "GET", "u63", "0")
    same("BITFIELD", "bf", "INCRBY", "i64", "0", "-1")
    same("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1")
    same("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808")
    same("BITFIELD", "bf", "SET", "u63", "3", "9223372036854775807", "GET", "u63", "3")
    same("BITFIELD", "bf", "INCRBY", "u63", "3", "1", "GET", "i5", "#3")
    same("GET", "bf")
    same("BITFIELD", "bf")
    same("BITFIELD", "nokey")
    same("BITFIELD", "nokey", "GET", "u8", "0")
    same("EXISTS", "nokey")
    same("BITFIELD", "bf", "GET", "u64", "0")
    same("BITFIELD", "bf", "GET", "i65", "0")
    same("BITFIELD", "bf", "GET", "i0", "0")
    same("BITFIELD", "bf", "GET", "I8", "0")
    same("BITFIELD", "bf", "GET", "x8", "0")
    same("BITFIELD", "bf", "GET", "u8", "-1")
    same("BITFIELD", "bf", "GET", "u8", "#-1")
    same("BITFIELD", "bf", "GET", "u8", "x")
    same("BITFIELD", "bf", "GET", "u8", "4294967296")
    same("BITFIELD", "bf", "GET", "u8", "#536870912")
    same("BITFIELD", "bf", "GET", "u8", "#9223372036854775807")
    same("BITFIELD", "bf", "SET", "u8", "0")
    same("BITFIELD", "bf", "SET", "u8", "0", "x")
    same("BITFIELD", "bf", "INCRBY", "u8", "0", "1.5")
    same("BITFIELD", "bf", "GET", "u8")
    same("BITFIELD", "bf", "FOO", "u8", "0")
    same("BITFIELD", "bf", "OVERFLOW", "FOO", "GET", "u8", "0")
    same("BITFIELD", "bf", "OVERFLOW")
    same("BITFIELD", "bf", "GET", "u8", "0", "OVERFLOW", "SAT")
    same("BITFIELD", "bf", "OVERFLOW", "FAIL", "GET", "u8", "0", "SET", "u8", "0", "1", "GET", "u8", "0", "BAD")
    same("BITFIELD", "new", "OVERFLOW", "FAIL", "SET", "u2", "0", "10")
    same("EXISTS", "new")
    same("SET", "n", "1234")
    same("BITFIELD", "n", "GET", "u8", "0", "GET", "u16", "#1")
    same("BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "#3")
    same("BITFIELD_RO", "bf", "SET", "u8", "0", "1")
    same("BITFIELD_RO", "bf", "INCRBY", "u8", "0", "x")
    same("BITFIELD_RO", "nokey", "GET", "u8", "0")
    same("BITFIELD_RO", "bf")
    same("BITFIELD")
    same("BITFIELD_RO")


def test_wrongtype_bitmaps(coll):
    same = coll
    same("SETBIT", "l", "0", "1")
    same("SETBIT", "l", "-1", "1")
    same("GETBIT", "l", "0")
    same("BITCOUNT", "l")
    same("BITCOUNT", "l", "0", "1")
    same("BITCOUNT", "l", "0", "x")
    same("BITPOS", "l", "1")
    same("BITPOS", "l", "3")
    same("BITOP", "AND", "d", "l")
    same("BITOP", "AND", "l", "nokey")
    same("TYPE", "l")
    same("BITFIELD", "h", "GET", "u8", "0")
    same("BITFIELD", "h", "SET", "u8", "0", "1")
    same("BITFIELD_RO", "h", "GET", "u8", "0")
    same("BITFIELD", "h", "GET", "u8", "x")
