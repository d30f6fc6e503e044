"""Differential tests of the sorted set commands against valkey (RESP2 and RESP3).

valkey 9.1 is the reference; where it differs from Redis 7.2 the assertion is skipped with a
comment naming the difference.
"""

import threading
import time

import pytest

from conftest import reply


def both(vk, valkey, *args):
    return reply(vk, *args), reply(valkey, *args)


def fill(same, key, n, prefix="m", score=lambda i: i):
    args = []
    for i in range(n):
        args += [score(i), f"{prefix}{i}"]
    same("ZADD", key, *args)


def test_zadd_flags_and_errors(same):
    same("ZADD", "z", 1, "a", 2, "b", 3, "c")
    same("ZADD", "z", 1, "a")
    same("ZADD", "z", "CH", 5, "a", 6, "d")
    same("ZADD", "z", "NX", 10, "a", 11, "e")
    same("ZADD", "z", "XX", 10, "a", 11, "f")
    same("ZADD", "z", "XX", "CH", 12, "a", 11, "g")
    same("ZADD", "z", "GT", "CH", 1, "a", 20, "b")
    same("ZADD", "z", "LT", "CH", 100, "a", 0, "c", 7, "new")
    same("ZADD", "z", "GT", "XX", "CH", 30, "b", 1, "nope")
    same("ZRANGE", "z", 0, -1, "WITHSCORES")
    same("ZADD", "z", "INCR", 5, "a")
    same("ZADD", "z", "INCR", "NX", 5, "a")
    same("ZADD", "z", "INCR", "XX", 5, "zz")
    same("ZADD", "z", "INCR", "GT", -5, "a")
    same("ZADD", "z", "INCR", "LT", -5, "a")
    same("ZADD", "z", "INCR", 0, "a")
    same("ZADD", "z", "INCR", 1, "a", 2, "b")
    same("ZADD", "z", "NX", "XX", 1, "a")
    same("ZADD", "z", "NX", "GT", 1, "a")
    same("ZADD", "z", "LT", "GT", 1, "a")
    same("ZADD", "z", "NX", "LT", 1, "a")
    same("ZADD", "z", 1)
    same("ZADD", "z", 1, "a", 2)
    same("ZADD", "z", "NX")
    same("ZADD", "z", "x", "a")
    same("ZADD", "z", "nan", "a")
    same("ZADD", "z", 1, "a", "bad", "b")
    same("ZADD", "z")
    same("ZADD", "missing", "XX", 1, "a")
    same("ZADD", "missing", "XX", "INCR", 1, "a")
    same("EXISTS", "missing")
    same("SET", "str", "x")
    same("ZADD", "str", 1, "a")
    same("ZADD", "str", "bad", "a")
    same("ZADD", "str", "NX", "XX", 1, "a")
    same("ZADD", "z", "ch", "nx", "incr", 1, "lower")
    same("ZRANGE", "z", 0, -1, "WITHSCORES")


def test_nan_and_special_scores(same, same3):
    same("ZADD", "z", "INCR", "inf", "a")
    same("ZADD", "z", "INCR", "-inf", "a")
    same("ZINCRBY", "z", "-inf", "a")
    same("ZSCORE", "z", "a")
    same("ZADD", "s", "inf", "a", "-inf", "b", "-0", "c", "0", "d", "1e300", "e", "5e-324", "f",
         "9007199254740993", "g", "+inf", "h", "-1.5e-7", "i", "0.1", "j", "1e17", "k", "123456789012345678", "l",
         "4611686018427387904", "m", "4611686018427387905", "n", "1.7976931348623157e308", "o", "infinity", "p")
    for cmd in (same, same3):
        cmd("ZRANGE", "s", 0, -1, "WITHSCORES")
        cmd("ZSCORE", "s", "c")
        cmd("ZMSCORE", "s", "a", "b", "c", "nope", "g", "f", "e")
        cmd("ZRANGEBYSCORE", "s", "-inf", "+inf", "WITHSCORES")
        cmd("ZRANGEBYSCORE", "s", "(-inf", "(inf", "WITHSCORES")
        cmd("ZRANGEBYSCORE", "s", "-0", "0", "WITHSCORES")
        cmd("ZCOUNT", "s", "(0", "inf")
    same("ZADD", "s", "0", "c")
    same("ZSCORE", "s", "c")
    same("ZADD", "s", "-0", "d")
    same("ZSCORE", "s", "d")
    same("ZINCRBY", "s", "1e308", "o")
    same("ZINCRBY", "s", "-5e-324", "f")
    same("ZINCRBY", "s", "1", "g")
    same("ZINCRBY", "s", "x", "g")
    same("ZINCRBY", "s", "nan", "g")
    same("ZINCRBY", "s", "1")
    same("ZINCRBY", "new", "2.5", "m")
    same("ZINCRBY", "new", "-2.5", "m")
    same("ZRANGE", "new", 0, -1, "WITHSCORES")


def test_zrem_zcard_zscore(same):
    fill(same, "z", 5)
    same("ZREM", "z", "m1", "nope", "m3", "m1")
    same("ZCARD", "z")
    same("ZCARD", "nope")
    same("ZSCORE", "z", "m0")
    same("ZSCORE", "z", "m1")
    same("ZSCORE", "nope", "m1")
    same("ZMSCORE", "nope", "a", "b")
    same("ZMSCORE", "z")
    same("ZREM", "z", "m0", "m2", "m4")
    same("EXISTS", "z")
    same("ZREM", "z", "m0")
    same("SET", "str", "x")
    for c in (("ZREM", "str", "a"), ("ZCARD", "str"), ("ZSCORE", "str", "a"), ("ZMSCORE", "str", "a")):
        same(*c)


def test_zrank(same, same3):
    fill(same, "z", 10, score=lambda i: i % 3)
    for cmd in (same, same3):
        for m in ("m0", "m5", "m9", "nope"):
            cmd("ZRANK", "z", m)
            cmd("ZREVRANK", "z", m)
            cmd("ZRANK", "z", m, "WITHSCORE")
            cmd("ZREVRANK", "z", m, "withscore")
        cmd("ZRANK", "nope", "a")
        cmd("ZRANK", "nope", "a", "WITHSCORE")
    same("ZRANK", "z", "m0", "WITHSCORES")
    same("ZRANK", "z", "m0", "WITHSCORE", "x")
    same("ZRANK", "z")
    same("SET", "str", "x")
    same("ZRANK", "str", "a")


@pytest.mark.parametrize("big", [False, True])
def test_zrange_variants(same, same3, big):
    n = 200 if big else 20
    fill(same, "z", n, score=lambda i: i // 2)
    same("ZADD", "lex", *sum([[0, chr(97 + i) * (1 + i % 3)] for i in range(20)], []))
    if big:
        same("ZADD", "lex", *sum([[0, f"x{i:03}"] for i in range(150)], []))
    for cmd in (same, same3):
        for a, b in ((0, -1), (2, 5), (-3, -1), (5, 2), (-100, 100), (100, 200), (0, 0), (-1, -1)):
            cmd("ZRANGE", "z", a, b)
            cmd("ZRANGE", "z", a, b, "WITHSCORES")
            cmd("ZRANGE", "z", a, b, "REV", "WITHSCORES")
            cmd("ZREVRANGE", "z", a, b, "WITHSCORES")
        for a, b in (("-inf", "+inf"), ("2", "5"), ("(2", "(5"), ("(2", "5"), ("5", "2"), ("(3", "3"), ("3", "3"),
                     ("", "4"), ("(", "3"), ("1e0", "3.5")):
            # (" 1", "3") is not compared: Redis 7.2 parses ranges with strtod (leading spaces
            # accepted), valkey 9.1 refuses them; tests/zsets.rs checks the Redis 7.2 behaviour.
            cmd("ZRANGEBYSCORE", "z", a, b)
            cmd("ZRANGEBYSCORE", "z", a, b, "WITHSCORES")
            cmd("ZRANGEBYSCORE", "z", a, b, "LIMIT", 1, 3)
            cmd("ZRANGEBYSCORE", "z", a, b, "WITHSCORES", "LIMIT", 0, -1)
            cmd("ZREVRANGEBYSCORE", "z", b, a, "WITHSCORES")
            cmd("ZREVRANGEBYSCORE", "z", b, a, "LIMIT", 2, 2)
            cmd("ZRANGE", "z", a, b, "BYSCORE", "LIMIT", 1, 2, "WITHSCORES")
            cmd("ZRANGE", "z", b, a, "BYSCORE", "REV", "LIMIT", 1, 2)
            cmd("ZCOUNT", "z", a, b)
        # A negative offset gives an empty reply in Redis 7.2; valkey 9.1 counts it from the end
        # on skiplists, so (-1, 5) is only compared while small.
        for off, cnt in ((0, 0), (3, -1), (1000, 1), (n - 1, 5), (0, 1)):
            cmd("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", off, cnt)
            cmd("ZREVRANGEBYSCORE", "z", "inf", "-inf", "LIMIT", off, cnt)
            cmd("ZRANGEBYLEX", "lex", "-", "+", "LIMIT", off, cnt)
        for a, b in (("-", "+"), ("[a", "[c"), ("(a", "(c"), ("[aa", "(ddd"), ("+", "-"), ("[c", "[a"), ("(b", "(b"),
                     ("[b", "[b"), ("[", "+"), ("-", "(x050")):
            cmd("ZRANGEBYLEX", "lex", a, b)
            cmd("ZREVRANGEBYLEX", "lex", b, a)
            cmd("ZRANGEBYLEX", "lex", a, b, "LIMIT", 1, 2)
            cmd("ZRANGE", "lex", a, b, "BYLEX")
            cmd("ZRANGE", "lex", b, a, "BYLEX", "REV", "LIMIT", 0, 3)
            cmd("ZLEXCOUNT", "lex", a, b)
    if not big:
        same("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", -1, 5)
    # Errors, in Redis's order.
    same("ZRANGEBYSCORE", "z", "a", "1")
    same("ZRANGEBYSCORE", "z", "1", "nan")
    same("ZRANGEBYSCORE", "z", "1", "2 ")
    same("ZRANGEBYSCORE", "z", "1", "(")
    same("ZCOUNT", "z", "x", "1")
    same("ZRANGEBYLEX", "lex", "a", "[b")
    same("ZRANGEBYLEX", "lex", "[a", "b")
    same("ZRANGEBYLEX", "lex", "++", "-")
    same("ZRANGEBYLEX", "lex", "", "-")
    same("ZLEXCOUNT", "lex", "-", "x")
    same("ZRANGE", "z", 0, 1, "LIMIT", 0, 1)
    same("ZRANGE", "z", 0, 1, "LIMIT", 0, -1)
    same("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES")
    same("ZRANGE", "z", 0, 1, "BYSCORE", "BYLEX")
    same("ZRANGE", "z", 0, 1, "REV", "REV")
    same("ZRANGE", "z", 0, 1, "LIMIT", 0)
    same("ZRANGE", "z", 0, 1, "LIMIT", "x", 1)
    same("ZRANGE", "z", "a", 1)
    same("ZRANGE", "z", 0, 1, "FOO")
    same("ZREVRANGE", "z", 0, 1, "REV")
    same("ZRANGEBYSCORE", "z", 0, 1, "BYSCORE")
    same("ZRANGEBYSCORE", "z", 0, 1, "REV")
    same("ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES")
    same("ZRANGE", "nope", 0, -1)
    same("ZRANGE", "nope", "x", -1)
    same("ZRANGEBYSCORE", "nope", 0, 1)
    same("ZRANGEBYLEX", "nope", "-", "+")
    same("SET", "str", "x")
    same("ZRANGE", "str", 0, -1)
    same("ZRANGE", "str", "x", -1)
    same("ZRANGE", "str", 0, -1, "FOO")
    same("ZCOUNT", "str", 0, 1)
    same("ZLEXCOUNT", "str", "-", "+")
    same("ZRANGE", "z", 0)


def test_zrangestore(same):
    fill(same, "src", 10)
    same("ZRANGESTORE", "dst", "src", 0, 3)
    same("ZRANGE", "dst", 0, -1, "WITHSCORES")
    same("ZRANGESTORE", "dst", "src", 2, 5, "BYSCORE", "REV")
    same("ZRANGESTORE", "dst", "src", 5, 2, "BYSCORE", "REV")
    same("ZRANGE", "dst", 0, -1, "WITHSCORES")
    same("ZRANGESTORE", "dst", "src", "(2", "+inf", "BYSCORE", "LIMIT", 1, 3)
    same("ZRANGE", "dst", 0, -1, "WITHSCORES")
    same("ZRANGESTORE", "dst", "src", "[m1", "[m5", "BYLEX")
    same("ZRANGE", "dst", 0, -1, "WITHSCORES")
    same("ZRANGESTORE", "dst", "src", 5, 2)
    same("EXISTS", "dst")
    same("ZRANGESTORE", "dst", "nope", 0, -1)
    same("ZRANGESTORE", "dst", "src", 0, -1, "WITHSCORES")
    same("SET", "str", "x")
    same("ZRANGESTORE", "dst", "str", 0, -1)
    same("ZRANGESTORE", "str", "src", 0, 1)
    same("TYPE", "str")
    same("ZRANGESTORE", "src", "src", 0, 1)
    same("ZRANGE", "src", 0, -1, "WITHSCORES")


def test_zremrange(same):
    for enc in (10, 200):
        fill(same, "z", enc)
        same("ZREMRANGEBYRANK", "z", 0, 1)
        same("ZREMRANGEBYRANK", "z", -2, -1)
        same("ZREMRANGEBYRANK", "z", 5, 2)
        same("ZREMRANGEBYRANK", "z", 100000, 100001)
        same("ZREMRANGEBYSCORE", "z", "(3", 5)
        same("ZREMRANGEBYSCORE", "z", 5, 3)
        same("ZREMRANGEBYSCORE", "z", "-inf", "(0")
        same("ZRANGE", "z", 0, -1, "WITHSCORES")
        same("ZREMRANGEBYRANK", "z", 0, -1)
        same("EXISTS", "z")
    same("ZADD", "lex", 0, "a", 0, "b", 0, "c", 0, "d")
    same("ZREMRANGEBYLEX", "lex", "(a", "[c")
    same("ZREMRANGEBYLEX", "lex", "[z", "+")
    same("ZRANGE", "lex", 0, -1)
    same("ZREMRANGEBYLEX", "lex", "-", "+")
    same("EXISTS", "lex")
    same("ZREMRANGEBYLEX", "lex", "x", "+")
    same("ZREMRANGEBYSCORE", "lex", "x", "1")
    same("ZREMRANGEBYRANK", "lex", "x", "1")
    same("ZREMRANGEBYRANK", "nope", 0, 1)
    same("SET", "str", "x")
    same("ZREMRANGEBYRANK", "str", 0, 1)
    same("ZREMRANGEBYSCORE", "str", 0, 1)
    same("ZREMRANGEBYLEX", "str", "-", "+")
    same("ZREMRANGEBYLEX", "str", "x", "+")


def test_zpop(same, same3):
    for cmd in (same, same3):
        cmd("DEL", "z")
        fill(cmd, "z", 10)
        cmd("ZPOPMIN", "z")
        cmd("ZPOPMAX", "z")
        cmd("ZPOPMIN", "z", 2)
        cmd("ZPOPMAX", "z", 1)
        cmd("ZPOPMIN", "z", 0)
        cmd("ZPOPMIN", "z", -1)
        cmd("ZPOPMIN", "z", "x")
        cmd("ZPOPMIN", "z", 1, 2)
        cmd("ZPOPMAX", "z", 100)
        cmd("EXISTS", "z")
        cmd("ZPOPMIN", "z")
        cmd("ZPOPMIN", "z", 3)
        cmd("ZPOPMIN", "z", 0)
        cmd("SET", "str", "x")
        cmd("ZPOPMIN", "str")
        cmd("ZPOPMIN", "str", 0)


def test_zmpop(same, same3):
    for cmd in (same, same3):
        cmd("DEL", "a", "b")
        fill(cmd, "b", 5)
        cmd("ZMPOP", 2, "a", "b", "MIN")
        cmd("ZMPOP", 2, "a", "b", "MAX", "COUNT", 2)
        cmd("ZMPOP", 1, "b", "min", "count", 10)
        cmd("ZMPOP", 2, "a", "b", "MIN")
        cmd("EXISTS", "b")
    same("ZADD", "b", 1, "x")
    for args in ((0, "b", "MIN"), (-1, "b", "MIN"), ("x", "b", "MIN"), (1, "b"), (1, "b", "MID"),
                 (1, "b", "MIN", "COUNT"), (1, "b", "MIN", "COUNT", 0), (1, "b", "MIN", "COUNT", -1),
                 (1, "b", "MIN", "COUNT", "x"), (1, "b", "MIN", "COUNT", 1, "COUNT", 1), (1, "b", "MIN", "FOO"),
                 (5, "b", "MIN"), (2, "b")):
        same("ZMPOP", *args)
    same("SET", "str", "x")
    same("ZMPOP", 2, "str", "b", "MIN")
    same("ZMPOP", 2, "b", "str", "MIN")
    # BZMPOP with data behaves like ZMPOP.
    same("ZADD", "c", 1, "x", 2, "y")
    same("BZMPOP", 0, 2, "nope", "c", "MAX", "COUNT", 5)
    same("BZMPOP", "x", 1, "c", "MIN")
    same("BZMPOP", -1, 1, "c", "MIN")
    same("BZMPOP", 0, 0, "c", "MIN")
    same("BZMPOP", 0.01, 1, "nope", "MIN")
    same("BZMPOP", 0, 1, "str", "MIN")


def test_bzpop_with_data_and_timeout(same, same3):
    for cmd in (same, same3):
        cmd("DEL", "z")
        cmd("ZADD", "z", 1, "a", 2, "b", 3, "c")
        cmd("BZPOPMIN", "nope", "z", 0)
        cmd("BZPOPMAX", "z", 0)
        cmd("BZPOPMIN", "nope", 0.01)
    same("BZPOPMIN", "z", "x")
    same("BZPOPMIN", "z", -1)
    same("SET", "str", "x")
    same("BZPOPMIN", "str", 0)
    same("BZPOPMIN", "nope", "str", 0)


def test_blocking_wakeup(vk_server, valkey_server):
    results = []
    for srv in (vk_server, valkey_server):
        blocked = srv.client()
        blocked.response_callbacks.clear()
        out = {}

        def run():
            out["r"] = blocked.execute_command("BZPOPMIN", "k1", "k2", 5)
            out["m"] = blocked.execute_command("BZMPOP", 5, 2, "k1", "k2", "MAX", "COUNT", 10)
        t = threading.Thread(target=run)
        t.start()
        c = srv.client()
        time.sleep(0.2)
        c.zadd("k2", {"x": 1})
        time.sleep(0.2)
        c.zadd("k1", {"p": 3})
        t.join(10)
        assert out["r"][:2] == [b"k2", b"x"]
        assert out["m"][0] == b"k1"
        results.append(out)
    assert results[0] == results[1]


def test_set_operations(same, same3):
    same("ZADD", "a", 1, "x", 2, "y", 3, "z")
    same("ZADD", "b", 10, "y", 20, "z", 30, "w")
    same("ZADD", "n", 1, 1, 5, 2)
    for cmd in (same, same3):
        for op in ("ZUNION", "ZINTER"):
            cmd(op, 2, "a", "b")
            cmd(op, 2, "a", "b", "WITHSCORES")
            cmd(op, 2, "a", "b", "WEIGHTS", 2, 3, "WITHSCORES")
            cmd(op, 2, "a", "b", "WEIGHTS", 2, -1, "AGGREGATE", "MIN", "WITHSCORES")
            cmd(op, 2, "a", "b", "AGGREGATE", "max", "WITHSCORES")
            cmd(op, 2, "a", "nope", "WITHSCORES")
            cmd(op, 2, "a", "a", "WITHSCORES")
            cmd(op, 2, "n", "a", "WITHSCORES")
        cmd("ZDIFF", 2, "a", "b", "WITHSCORES")
        cmd("ZDIFF", 2, "a", "a")
        cmd("ZDIFF", 1, "a")
        cmd("ZDIFF", 2, "nope", "a")
        cmd("ZINTERCARD", 2, "a", "b")
        cmd("ZINTERCARD", 2, "a", "b", "LIMIT", 1)
        cmd("ZINTERCARD", 2, "a", "b", "LIMIT", 0)
    # inf * weight and inf - inf.
    same("ZADD", "inf", "inf", "x", "-inf", "y")
    same("ZADD", "inf2", "-inf", "x", "inf", "y")
    same("ZUNION", 2, "inf", "inf2", "WITHSCORES")
    same("ZINTER", 2, "inf", "inf2", "WEIGHTS", 0, 1, "WITHSCORES")
    same("ZUNION", 1, "inf", "WEIGHTS", 0, "WITHSCORES")
    same("ZUNION", 2, "a", "b", "WEIGHTS", "inf", "-inf", "WITHSCORES")
    # Errors.
    for op in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        same(op, 0, "a")
        same(op, -1, "a")
        same(op, "x", "a")
        same(op, 3, "a", "b")
        same(op, 1, "a", "FOO")
        same(op, 1, "a", "WEIGHTS", 1)
        same(op, 1, "a", "AGGREGATE", "avg")
        same(op, 1, "a", "WEIGHTS", "x")
        same(op, 1, "a", "WEIGHTS")
        same(op, 1, "a", "LIMIT", -1)
        same(op, 1, "a", "LIMIT", "x")
        same(op, 1, "a", "WITHSCORES")
    same("SET", "str", "x")
    same("ZUNION", 2, "a", "str")
    same("ZUNION", 2, "a", "str", "FOO")
    same("ZINTERCARD", 2, "a", "str")


def test_set_inputs(vk, same, same3):
    """Plain sets are inputs with score 1 (intset, listpack and hashtable encodings)."""
    r = reply(vk, "SADD", "probe", "x")
    if isinstance(r, tuple) and "unknown command" in r[1]:
        pytest.skip("SADD is not implemented on this branch (sets are another family)")
    same("ZADD", "a", 1, "x", 2, "y", 3, "z")
    same("ZADD", "b", 10, "y", 20, "z", 30, "w")
    same("SADD", "s", "x", "w", "q")
    same("SADD", "i", 1, 2, "3")
    same("SADD", "h", *[f"e{i}" for i in range(300)], "x")
    same("ZADD", "n", 1, 1, 5, 2)
    for cmd in (same, same3):
        for op in ("ZUNION", "ZINTER"):
            cmd(op, 3, "a", "b", "s", "WITHSCORES")
            cmd(op, 2, "i", "n", "WITHSCORES")
            cmd(op, 1, "s", "WITHSCORES")
            cmd(op, 2, "h", "a", "WEIGHTS", 2, 1, "WITHSCORES")
        cmd("ZDIFF", 3, "b", "a", "s", "WITHSCORES")
        cmd("ZDIFF", 2, "s", "a", "WITHSCORES")
        cmd("ZDIFF", 2, "a", "h")
        cmd("ZINTERCARD", 3, "a", "b", "s")
        cmd("ZINTERCARD", 2, "h", "s")
    for op in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        same(op, "dst", 3, "a", "b", "s")
        same("ZRANGE", "dst", 0, -1, "WITHSCORES")
        same(op, "dst", 2, "h", "a")
        same("ZCARD", "dst")


def test_store_operations(same):
    same("ZADD", "a", 1, "x", 2, "y", 3, "z")
    same("ZADD", "b", 10, "y", 20, "z", 30, "w")
    for op in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        same(op, "dst", 2, "a", "b")
        same("ZRANGE", "dst", 0, -1, "WITHSCORES")
        same(op, "dst", 2, "a", "b", "WEIGHTS", 1, 2)
        same(op, "dst", 2, "a", "b", "AGGREGATE", "MAX")
        same("ZRANGE", "dst", 0, -1, "WITHSCORES")
        same(op, "dst", 2, "a", "b", "WITHSCORES")
        same(op, "dst", 0, "a")
        same(op, "dst", 2, "a")
    same("ZINTERSTORE", "dst", 2, "a", "nope")
    same("EXISTS", "dst")
    same("ZUNIONSTORE", "a", 2, "a", "b")
    same("ZRANGE", "a", 0, -1, "WITHSCORES")
    same("SET", "str", "v")
    same("ZUNIONSTORE", "str", 1, "b")
    same("TYPE", "str")
    same("ZUNIONSTORE", "dst", 1, "str")


def test_zrandmember(vk, valkey, same, same3):
    same("ZRANDMEMBER", "nope")
    same("ZRANDMEMBER", "nope", 5)
    same("ZRANDMEMBER", "nope", 5, "WITHSCORES")
    same("ZADD", "z", 1, "a", 2, "b", 3, "c")
    same("ZRANDMEMBER", "z", 0)
    same("ZRANDMEMBER", "z", 3)
    same("ZRANDMEMBER", "z", 10, "WITHSCORES")
    same3("ZRANDMEMBER", "z", 10, "WITHSCORES")
    same("ZRANDMEMBER", "z", 1, "FOO")
    same("ZRANDMEMBER", "z", 1, "WITHSCORES", "x")
    same("ZRANDMEMBER", "z", "x")
    same("ZRANDMEMBER", "z", -9223372036854775807, "WITHSCORES")
    same("ZRANDMEMBER", "z", 4611686018427387904, "WITHSCORES")
    same("SET", "str", "x")
    same("ZRANDMEMBER", "str")
    same("ZRANDMEMBER", "str", 1)
    for c in (vk, valkey):
        c.response_callbacks.clear()
        assert c.execute_command("ZRANDMEMBER", "z") in (b"a", b"b", c and b"c")
        # (redis-py pairs WITHSCORES replies up itself, whatever the callbacks.)
        r = c.execute_command("ZRANDMEMBER", "z", -20, "WITHSCORES")
        assert len(r) == 20 and all(m in (b"a", b"b", b"c") and s == " abc".index(m.decode()) for m, s in r)
        r = c.execute_command("ZRANDMEMBER", "z", 2)
        assert len(r) == 2 and len(set(r)) == 2
    fill(same, "big", 300)
    for c in (vk, valkey):
        r = c.execute_command("ZRANDMEMBER", "big", 250)
        assert len(set(r)) == 250
        r = c.execute_command("ZRANDMEMBER", "big", 20, "WITHSCORES")
        assert len(r) == 20 and len(set(m for m, _ in r)) == 20 and all(int(m[1:]) == s for m, s in r)


def scan_all(c, key, **kw):
    cursor, seen = 0, []
    for _ in range(10000):
        args = ["ZSCAN", key, cursor]
        for k, v in kw.items():
            args += [k, v]
        cursor, items = c.execute_command(*args)
        seen += items
        if int(cursor) == 0:
            return seen
    raise AssertionError("scan did not finish")


def test_zscan(vk, valkey, same, same3):
    same("ZSCAN", "nope", 0)
    same("ZADD", "z", 1, "a", 2.5, "b", "-inf", "c")
    same("ZSCAN", "z", 0)
    same3("ZSCAN", "z", 0)
    same("ZSCAN", "z", 0, "MATCH", "a*")
    same("ZSCAN", "z", 0, "COUNT", 1)
    same("ZSCAN", "z", 0, "COUNT", 0)
    same("ZSCAN", "z", 0, "TYPE", "zset")
    same("ZSCAN", "z", "x")
    same("ZSCAN", "z", 0, "FOO")
    same("SET", "str", "x")
    same("ZSCAN", "str", 0)
    fill(same, "big", 500, score=lambda i: i % 7)
    for c in (vk, valkey):
        c.response_callbacks.clear()
    a = scan_all(vk, "big", COUNT=13)
    b = scan_all(valkey, "big", COUNT=13)
    pairs = lambda r: sorted(set(zip(r[::2], r[1::2])))
    assert pairs(a) == pairs(b) and len(pairs(a)) == 500
    a = scan_all(vk, "big", MATCH="m1*")
    b = scan_all(valkey, "big", MATCH="m1*")
    assert pairs(a) == pairs(b)


def test_arity_errors(same):
    for args in (("ZADD", "z", 1), ("ZINCRBY", "z", 1), ("ZREM", "z"), ("ZCARD",), ("ZCOUNT", "z", 1),
                 ("ZSCORE", "z"), ("ZMSCORE", "z"), ("ZRANGE", "z", 0), ("ZRANGESTORE", "d", "z", 0),
                 ("ZPOPMIN",), ("BZPOPMIN", "z"), ("ZMPOP", 1, "z"), ("BZMPOP", 0, 1, "z"), ("ZUNION", 1),
                 ("ZUNIONSTORE", "d", 1), ("ZRANDMEMBER",), ("ZSCAN", "z"), ("ZREMRANGEBYRANK", "z", 0),
                 ("ZLEXCOUNT", "z", "-"), ("ZRANK", "z"), ("ZINTERCARD", 1), ("ZDIFF", 1)):
        same(*args)


def test_encoding_transitions(vk, valkey, same):
    if isinstance(reply(vk, "OBJECT", "ENCODING", "nokey"), tuple) and "unknown command" in reply(vk, "OBJECT", "ENCODING", "nokey")[1]:
        pytest.skip("OBJECT is not implemented on this branch (merged from another family)")
    enc = lambda k: same("OBJECT", "ENCODING", k)
    fill(same, "z", 128)
    enc("z")
    same("ZADD", "z", 1000, "one-more")
    enc("z")
    same("ZREMRANGEBYRANK", "z", 0, 100)
    enc("z")
    same("ZADD", "long", 1, "x" * 64)
    enc("long")
    same("ZADD", "long", 1, "y" * 65)
    enc("long")
    same("ZADD", "new", 1, "y" * 65)
    enc("new")
    fill(same, "many", 129)
    enc("many")
    # ZADD of many duplicates of one member converts too (Redis sizes by the argument count).
    same("ZADD", "dups", *([1, "a"] * 129))
    enc("dups")
    same("ZUNIONSTORE", "u", 1, "z")
    enc("u")
    same("ZRANGESTORE", "r", "many", 0, 5)
    enc("r")
    same("ZRANGESTORE", "r", "many", 0, -1)
    enc("r")
    same("ZDIFFSTORE", "d", 1, "long")
    enc("d")
    same("CONFIG", "SET", "zset-max-listpack-entries", 0)
    same("ZADD", "zero", 1, "a")
    enc("zero")
    same("CONFIG", "SET", "zset-max-listpack-entries", 128)
    same("CONFIG", "SET", "zset-max-listpack-value", 2)
    same("ZADD", "small", 1, "abc")
    enc("small")
    same("ZINCRBY", "small2", 1, "ab")
    enc("small2")
    same("ZINCRBY", "small2", 1, "abc")
    enc("small2")
    same("ZRANGE", "small2", 0, -1, "WITHSCORES")


def test_skiplist_ops_match(same, same3):
    # Exercise the skiplist path thoroughly (ranks, removals, score updates).
    fill(same, "z", 400, score=lambda i: (i * 37) % 101)
    for i in range(0, 400, 7):
        same("ZADD", "z", (i * 13) % 50, f"m{i}")
    same("ZREM", "z", *[f"m{i}" for i in range(0, 400, 11)])
    for cmd in (same, same3):
        cmd("ZRANGE", "z", 0, -1, "WITHSCORES")
        cmd("ZRANGE", "z", 100, 120, "REV", "WITHSCORES")
        cmd("ZRANGEBYSCORE", "z", 10, 20, "LIMIT", 5, 10, "WITHSCORES")
        cmd("ZREVRANGEBYSCORE", "z", 20, 10, "LIMIT", 5, 10)
        for m in ("m1", "m7", "m399", "m11"):
            cmd("ZRANK", "z", m, "WITHSCORE")
            cmd("ZREVRANK", "z", m)
        cmd("ZCOUNT", "z", "(10", 40)
    same("ZPOPMIN", "z", 3)
    same("ZPOPMAX", "z", 3)
    same("ZREMRANGEBYSCORE", "z", 30, 40)
    same("ZREMRANGEBYRANK", "z", 10, 20)
    same("ZRANGE", "z", 0, -1, "WITHSCORES")


@pytest.fixture
def redis70():
    """Debian's Redis 7.0 (installed by tests/run-all.sh): the reference where valkey 9.1 left
    Redis's behaviour (7.0 and 7.2 agree on these points)."""
    import shutil
    from conftest import Server
    binary = shutil.which("redis-server")
    assert binary, "redis-server (Debian package) is required"
    s = Server([binary, "--save", "", "--appendonly", "no"])
    yield s
    s.stop()


def test_where_valkey_differs_from_redis(vk, redis70):
    r = redis70.client()
    for c in (vk, r):
        c.response_callbacks.clear()

    def same(*args):
        a, b = reply(vk, *args), reply(r, *args)
        assert a == b, f"{args!r}: vaultkey={a!r} redis={b!r}"

    same("ZADD", "z", 1, "a", 2, "b", 3, "c")
    same("ZADD", "big", *sum([[i, f"m{i}"] for i in range(300)], []))
    # strtod-style range parsing: leading whitespace accepted, trailing refused.
    for a in (" 1", "\t2", "( 1", "1 ", " ", "(", ""):
        same("ZRANGEBYSCORE", "z", a, "+inf")
        same("ZCOUNT", "big", a, "(10")
    # A negative LIMIT offset is an empty reply on both encodings.
    for key in ("z", "big"):
        same("ZRANGEBYSCORE", key, "-inf", "inf", "LIMIT", -1, 5)
        same("ZREVRANGEBYSCORE", key, "inf", "-inf", "LIMIT", -2, 5)
        same("ZRANGEBYLEX", key, "-", "+", "LIMIT", -1, 5)
    # ZRANDMEMBER with a count covering the whole set walks it from the highest score.
    same("ZRANDMEMBER", "z", 5)
    same("ZRANDMEMBER", "z", 3, "WITHSCORES")
