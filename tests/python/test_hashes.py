"""Differential tests of the hash commands against valkey (Redis 7.2 semantics)."""


from conftest import reply


def flat(r):
    """redis-py 8 pairs up WITHVALUES replies even in RESP2; undo that."""
    out = []
    for x in r:
        out += x if isinstance(x, list) else [x]
    return out


def test_hset_hget_basics(same):
    same("HSET", "h", "a", "1", "b", "2")
    same("HSET", "h", "a", "3", "c", "4")
    same("HGET", "h", "a")
    same("HGET", "h", "nope")
    same("HGET", "missing", "a")
    same("HGETALL", "h")
    same("HKEYS", "h")
    same("HVALS", "h")
    same("HLEN", "h")
    same("HLEN", "missing")
    same("HGETALL", "missing")
    same("HKEYS", "missing")
    same("HVALS", "missing")
    same("HSET", "h", "a")
    same("HSET", "h", "a", "1", "b")
    same("HSET", "h")
    same("HMSET", "h", "x", "1", "y")
    same("HMSET", "h", "x", "1", "y", "2")
    same("HGETALL", "h")
    same("HSETNX", "h", "x", "9")
    same("HSETNX", "h", "z", "9")
    same("HSETNX", "h2", "z", "9")
    same("HGETALL", "h")
    same("HMGET", "h", "a", "nope", "z")
    same("HMGET", "missing", "a", "b")
    same("HEXISTS", "h", "a")
    same("HEXISTS", "h", "nope")
    same("HEXISTS", "missing", "a")
    same("HSTRLEN", "h", "a")
    same("HSTRLEN", "h", "nope")
    same("HSTRLEN", "missing", "a")
    same("HSET", "h", "empty", "")
    same("HSTRLEN", "h", "empty")
    same("HGET", "h", "empty")


def test_hdel_order_and_emptied_key(same):
    same("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    same("HDEL", "h", "b", "nope", "b")
    same("HGETALL", "h")
    same("HSET", "h", "b", "5")
    same("HGETALL", "h")
    same("HDEL", "h", "a", "b", "c", "d", "e")
    same("EXISTS", "h")
    same("HDEL", "missing", "a")
    same("HDEL", "h")


def test_wrongtype(same):
    same("SET", "s", "x")
    for args in [("HSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"), ("HGET", "s", "a"), ("HMGET", "s", "a"),
                 ("HMSET", "s", "a", "1"), ("HDEL", "s", "a"), ("HEXISTS", "s", "a"), ("HLEN", "s"),
                 ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "a", "1"),
                 ("HINCRBYFLOAT", "s", "a", "1"), ("HSTRLEN", "s", "a"), ("HRANDFIELD", "s"),
                 ("HRANDFIELD", "s", "2"), ("HRANDFIELD", "s", "2", "WITHVALUES"), ("HSCAN", "s", "0")]:
        same(*args)


def test_hincrby(same):
    same("HINCRBY", "h", "n", "5")
    same("HINCRBY", "h", "n", "-7")
    same("HINCRBY", "h", "n", "abc")
    same("HINCRBY", "h", "n", "1.5")
    same("HINCRBY", "h", "n", "9223372036854775807")
    same("HSET", "h", "big", "9223372036854775807")
    same("HINCRBY", "h", "big", "1")
    same("HSET", "h", "small", "-9223372036854775808")
    same("HINCRBY", "h", "small", "-1")
    same("HSET", "h", "s", "hello")
    same("HINCRBY", "h", "s", "1")
    same("HSET", "h", "sp", " 1")
    same("HINCRBY", "h", "sp", "1")
    same("HSET", "h", "lead", "01")
    same("HINCRBY", "h", "lead", "1")
    same("HGETALL", "h")
    same("HINCRBY", "h", "n")


def test_hincrbyfloat(same):
    same("HINCRBYFLOAT", "h", "f", "10.5")
    same("HINCRBYFLOAT", "h", "f", "0.1")
    same("HINCRBYFLOAT", "h", "f", "-5")
    same("HSET", "h", "e", "5.0e3")
    same("HINCRBYFLOAT", "h", "e", "2.0e2")
    same("HINCRBYFLOAT", "h", "g", "3")
    same("HINCRBYFLOAT", "h", "g", "abc")
    same("HINCRBYFLOAT", "h", "g", "inf")
    same("HINCRBYFLOAT", "h", "g", "-inf")
    same("HINCRBYFLOAT", "h", "g", "nan")
    same("HSET", "h", "s", "hello")
    same("HINCRBYFLOAT", "h", "s", "1")
    same("HSET", "h", "m", "1.7976931348623157e308")
    same("HINCRBYFLOAT", "h", "m", "1.7976931348623157e308")
    same("HINCRBYFLOAT", "h", "z", "0")
    same("HINCRBYFLOAT", "h", "z", "-0.0")
    same("HINCRBYFLOAT", "h", "n", "-1.5")
    same("HINCRBYFLOAT", "h", "n", "1.5")
    same("HINCRBYFLOAT", "h", "q", "0.1")
    same("HINCRBYFLOAT", "h", "q", "0.2")
    same("HINCRBYFLOAT", "h", "r", "1.23456789")
    same("HINCRBYFLOAT", "h", "r", "100")
    same("HINCRBYFLOAT", "h", "i", "5")
    same("HINCRBYFLOAT", "h", "i", "1e2")
    same("HGETALL", "h")


def test_hrandfield(vk, valkey, same):
    same("HRANDFIELD", "missing")
    same("HRANDFIELD", "missing", "3")
    same("HRANDFIELD", "missing", "-3", "WITHVALUES")
    same("HSET", "h", "a", "1", "b", "2", "c", "3")
    same("HRANDFIELD", "h", "0")
    same("HRANDFIELD", "h", "3")
    same("HRANDFIELD", "h", "10")
    same("HRANDFIELD", "h", "10", "WITHVALUES")
    same("HRANDFIELD", "h", "10", "WITHVALUES", "x")
    same("HRANDFIELD", "h", "10", "NOPE")
    same("HRANDFIELD", "h", "abc")
    same("HRANDFIELD", "h", "-9223372036854775808")
    # A huge negative count: Redis streams an endless reply; VaultKey refuses (bounded memory).
    assert reply(vk, "HRANDFIELD", "h", "-9223372036854775807") == ("error", "value is out of range")
    same("HRANDFIELD", "h", "9223372036854775807", "WITHVALUES")
    same("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES")
    same("HSET", "one", "f", "v")
    same("HRANDFIELD", "one")
    same("HRANDFIELD", "one", "1")
    same("HRANDFIELD", "one", "-3")
    same("HRANDFIELD", "one", "-2", "WITHVALUES")
    same("HRANDFIELD", "one", "1", "WITHVALUES")
    # random replies: check shape and membership
    for c in (vk,):
        r = c.execute_command("HRANDFIELD", "h", "-10")
        assert len(r) == 10 and set(r) <= {b"a", b"b", b"c"}
        r = c.execute_command("HRANDFIELD", "h", "2")
        assert len(r) == 2 and len(set(r)) == 2
        r = c.execute_command("HRANDFIELD", "h", "-5", "WITHVALUES")
        r = flat(r)
        assert len(r) == 10
        for f, v in zip(r[::2], r[1::2]):
            assert {b"a": b"1", b"b": b"2", b"c": b"3"}[f] == v
        assert c.execute_command("HRANDFIELD", "h") in (b"a", b"b", b"c")


def test_hrandfield_resp3(vk_server, valkey_server):
    a = vk_server.client(protocol=3)
    b = valkey_server.client(protocol=3)
    for c in (a, b):
        c.response_callbacks.clear()
    for args in [("HSET", "one", "f", "v"), ("HRANDFIELD", "one", "-2", "WITHVALUES"),
                 ("HRANDFIELD", "one", "5", "WITHVALUES"), ("HRANDFIELD", "one", "5"),
                 ("HGETALL", "one"), ("HGETALL", "missing"), ("HRANDFIELD", "missing", "2")]:
        assert reply(a, *args) == reply(b, *args), args
    r = a.execute_command("HRANDFIELD", "one", "-3", "WITHVALUES")
    assert r == [[b"f", b"v"]] * 3


def test_hscan(same, vk, valkey):
    same("HSCAN", "missing", "0")
    same("HSET", "h", "a", "1", "b", "2", "ab", "3")
    same("HSCAN", "h", "0")
    same("HSCAN", "h", "0", "MATCH", "a*")
    same("HSCAN", "h", "0", "COUNT", "1")
    same("HSCAN", "h", "0", "COUNT", "0")
    same("HSCAN", "h", "0", "COUNT", "x")
    same("HSCAN", "h", "abc")
    same("HSCAN", "h", "-1")
    same("HSCAN", "h", "0", "BOGUS", "x")
    same("HSCAN", "h", "0", "MATCH")
    same("HSCAN", "missing", "0", "COUNT", "0")
    # NOVALUES is Redis 7.4+: Redis 7.2 says syntax error (valkey 9.1 accepts it).
    assert reply(vk, "HSCAN", "h", "0", "NOVALUES") == ("error", "syntax error")
    # a hashtable-encoded hash: iterate to the end, compare the contents
    # (valkey 9.1's default entries limit is 512; Redis 7.2's is 128)
    same("CONFIG", "SET", "hash-max-listpack-entries", "128")
    fields = []
    for i in range(300):
        fields += [f"f{i}", f"v{i}"]
    same("HSET", "big", *fields)
    same("OBJECT", "ENCODING", "big")
    for c in (vk, valkey):
        cursor, seen = b"0", {}
        while True:
            cursor, items = c.execute_command("HSCAN", "big", cursor, "COUNT", "17")
            for f, v in zip(items[::2], items[1::2]):
                seen[f] = v
            if cursor == b"0":
                break
        assert len(seen) == 300 and seen[b"f7"] == b"v7"
    for c in (vk, valkey):
        cursor, seen = b"0", set()
        while True:
            cursor, items = c.execute_command("HSCAN", "big", cursor, "MATCH", "f1*")
            seen |= set(items[::2])
            if cursor == b"0":
                break
        assert seen == {f"f{i}".encode() for i in range(300) if str(i).startswith("1")}


def test_encoding_transitions(same):
    same("CONFIG", "SET", "hash-max-listpack-entries", "4")
    same("CONFIG", "SET", "hash-max-listpack-value", "8")
    same("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    same("OBJECT", "ENCODING", "h")
    same("HGETALL", "h")
    same("HSET", "h", "e", "5")
    same("OBJECT", "ENCODING", "h")
    same("HDEL", "h", "a", "b", "c", "d")
    same("OBJECT", "ENCODING", "h")  # never converted back
    same("HSET", "v", "a", "12345678")
    same("OBJECT", "ENCODING", "v")
    same("HSET", "v", "b", "123456789")
    same("OBJECT", "ENCODING", "v")
    same("HSET", "f", "123456789", "x")
    same("OBJECT", "ENCODING", "f")
    # more pairs in one command than entries, even if duplicates
    same("HSET", "dup", "a", "1", "a", "1", "a", "1", "a", "1", "a", "1")
    same("OBJECT", "ENCODING", "dup")
    same("HLEN", "dup")
    same("HSETNX", "nx", "a", "123456789")
    same("OBJECT", "ENCODING", "nx")
    same("HSET", "nx2", "a", "1")
    same("HSETNX", "nx2", "a", "123456789")
    same("OBJECT", "ENCODING", "nx2")
    same("HSET", "inc", "a", "1")
    same("HINCRBY", "inc", "a-very-long-field-name", "1")
    same("OBJECT", "ENCODING", "inc")
    same("HINCRBYFLOAT", "inc", "another-very-long-field", "1.5")
    same("OBJECT", "ENCODING", "inc")
    same("HINCRBY", "inc", "a", "1000000000000")
    same("OBJECT", "ENCODING", "inc")
    same("CONFIG", "SET", "hash-max-listpack-entries", "128")
    same("CONFIG", "SET", "hash-max-listpack-value", "64")
    same("HSET", "small", "z", "1", "y", "2", "x", "3")
    same("OBJECT", "ENCODING", "small")
    same("HGETALL", "small")


def test_arity_errors(same):
    for args in [("HSET", "h", "a"), ("HGET", "h"), ("HMGET", "h"), ("HDEL", "h"), ("HEXISTS", "h"),
                 ("HLEN",), ("HKEYS",), ("HVALS",), ("HGETALL",), ("HINCRBY", "h", "a"),
                 ("HINCRBYFLOAT", "h", "a"), ("HSTRLEN", "h"), ("HRANDFIELD",), ("HSCAN", "h"),
                 ("HSETNX", "h", "a"), ("HMSET", "h", "a")]:
        same(*args)
