"""Smoke test: the binary serves real redis-py clients like valkey does."""


def test_basic_replies_match_valkey(same):
    same("PING")
    same("SET", "k", "v")
    same("GET", "k")
    same("GET", "missing")
    same("INCR", "n")
    same("INCRBY", "n", "41")
    same("INCR", "k")
    same("SET", "k", "v", "NX", "XX")
    same("NOSUCHCOMMAND", "a", "b")
    same("GET")
