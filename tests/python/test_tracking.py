"""Differential tests of client-side caching (CLIENT TRACKING) against a real valkey-server:
the same sequence of commands on raw RESP2/RESP3 connections to both servers must produce the
same replies and the same invalidation messages (RESP3 `invalidate` pushes, or
`__redis__:invalidate` messages through REDIRECT to a RESP2 subscriber). Also checks redis-py's
own RESP3 client-side cache against VaultKey.
"""

import socket
import time

import pytest
import redis

from conftest import start_valkey, start_vk


class Raw:
    """A raw connection that keeps every frame, pushes included, and parses RESP2/RESP3."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.settimeout(5)
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+",):
            return ("simple", rest)
        if t == b"-":
            return ("error", rest)
        if t == b":":
            return int(rest)
        if t == b"_":
            return None
        if t == b"#":
            return rest == b"t"
        if t in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return ("push", items) if t == b">" else items
        if t == b"%":
            n = int(rest)
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        raise ValueError(line)

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def pending(self, wait=0.2):
        """Frames that arrive without a request (pushes, pub/sub messages)."""
        out = []
        deadline = time.time() + wait
        self.s.settimeout(0.05)
        try:
            while time.time() < deadline:
                try:
                    out.append(self.read())
                except socket.timeout:
                    pass
        finally:
            self.s.settimeout(5)
        return out


@pytest.fixture
def servers():
    a = start_vk(["--enable-debug-command", "yes"])
    b = start_valkey(["--enable-debug-command", "yes"])
    yield a, b
    a.stop()
    b.stop()


def both(servers, script):
    """Runs `script(connect)` against each server; returns both transcripts."""
    out = []
    for srv in servers:
        conns = []

        def connect(resp=2):
            c = Raw(srv.port)
            conns.append(c)
            if resp == 3:
                c.cmd("HELLO", "3")
            return c

        out.append(script(connect))
        for c in conns:
            c.s.close()
    return out


def check(servers, script):
    a, b = both(servers, script)
    assert a == b, f"\nvaultkey={a!r}\nvalkey  ={b!r}"
    return a


def test_default_mode_resp3(servers):
    def script(connect):
        c, w = connect(3), connect()
        t = [c.cmd("CLIENT", "TRACKING", "on")]
        t += [c.cmd("GET", "a"), c.cmd("MGET", "b", "c")]
        t += [w.cmd("SET", "a", "1"), c.pending()]
        t += [w.cmd("MSET", "b", "1", "c", "2"), c.pending()]
        # Invalidated once: the key is no longer tracked until read again.
        t += [w.cmd("SET", "a", "2"), c.pending()]
        t += [c.cmd("GET", "a"), c.cmd("SET", "a", "3"), c.pending()]  # own write: after the reply
        t += [c.cmd("GET", "a"), w.cmd("DEL", "a"), c.pending()]
        t += [c.cmd("GET", "x"), w.cmd("FLUSHALL"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKINGINFO"), c.cmd("CLIENT", "GETREDIR")]
        t += [c.cmd("CLIENT", "TRACKING", "off"), c.cmd("GET", "z"), w.cmd("SET", "z", "1"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKINGINFO"), c.cmd("CLIENT", "GETREDIR")]
        return t

    check(servers, script)


def test_noloop_optin_optout(servers):
    def script(connect):
        c, w = connect(3), connect()
        t = [c.cmd("CLIENT", "TRACKING", "on", "NOLOOP")]
        t += [c.cmd("GET", "a"), c.cmd("SET", "a", "1"), c.pending()]
        t += [c.cmd("GET", "a"), w.cmd("SET", "a", "2"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKING", "off")]
        # OPTIN: only reads right after CLIENT CACHING yes are tracked.
        t += [c.cmd("CLIENT", "TRACKING", "on", "OPTIN")]
        t += [c.cmd("GET", "k1"), c.cmd("CLIENT", "CACHING", "yes"), c.cmd("GET", "k2"), c.cmd("GET", "k3")]
        t += [w.cmd("MSET", "k1", "x", "k2", "x", "k3", "x"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKINGINFO")]
        t += [c.cmd("CLIENT", "CACHING", "no"), c.cmd("CLIENT", "CACHING", "maybe")]
        # CACHING yes covers a whole MULTI/EXEC.
        t += [c.cmd("CLIENT", "CACHING", "yes"), c.cmd("MULTI"), c.cmd("GET", "m1"), c.cmd("GET", "m2"), c.cmd("EXEC")]
        t += [c.cmd("GET", "m3"), w.cmd("MSET", "m1", "1", "m2", "2", "m3", "3"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKING", "off"), c.cmd("CLIENT", "TRACKING", "on", "OPTOUT")]
        t += [c.cmd("CLIENT", "CACHING", "no"), c.cmd("GET", "o1"), c.cmd("GET", "o2")]
        t += [w.cmd("MSET", "o1", "1", "o2", "2"), c.pending()]
        t += [c.cmd("CLIENT", "CACHING", "yes"), c.cmd("CLIENT", "TRACKINGINFO")]
        return t

    check(servers, script)


def test_scripts_expiry_and_blocking(servers):
    def script(connect):
        c, w = connect(3), connect()
        t = [c.cmd("CLIENT", "TRACKING", "on")]
        # Keys read by a script's commands are tracked.
        t += [c.cmd("EVAL", "return redis.call('get', KEYS[1])", "1", "s1"), w.cmd("SET", "s1", "v"), c.pending()]
        t += [c.cmd("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s2"), w.cmd("SET", "s2", "v"), c.pending()]
        # An expired key is invalidated (active expiry), and a lazily expired one.
        t += [w.cmd("SET", "e1", "v", "PX", "50"), c.cmd("GET", "e1"), c.pending(0.6)]
        t += [w.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")]
        t += [w.cmd("SET", "e2", "v", "PX", "50"), c.cmd("GET", "e2")]
        time.sleep(0.1)
        t += [w.cmd("GET", "e2"), c.pending()]
        t += [w.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")]
        # Writes made by a blocked command when it is served.
        t += [c.cmd("GET", "dst"), c.cmd("LLEN", "src")]
        w.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
        time.sleep(0.1)
        o = connect()
        t += [o.cmd("RPUSH", "src", "x"), w.read(), c.pending()]
        return t

    check(servers, script)


def test_bcast_prefixes(servers):
    def script(connect):
        c, w = connect(3), connect()
        t = [c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:")]
        t += [w.cmd("SET", "user:1", "a"), c.pending()]
        t += [w.cmd("MSET", "obj:2", "a", "obj:1", "b", "other", "c"), c.pending()]
        t += [c.cmd("CLIENT", "TRACKINGINFO")]
        t += [c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x")]
        t += [c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "new:")]
        t += [c.cmd("CLIENT", "TRACKING", "on")]
        t += [c.cmd("CLIENT", "TRACKING", "off"), c.cmd("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")]
        t += [c.cmd("SET", "mine", "1"), w.cmd("SET", "theirs", "1"), c.pending()]
        t += [w.cmd("FLUSHDB"), c.pending()]
        return t

    check(servers, script)


def test_redirect_to_resp2_subscriber(servers):
    def script(connect):
        sub, c, w = connect(), connect(), connect()
        sid = sub.cmd("CLIENT", "ID")
        t = [sub.cmd("SUBSCRIBE", "__redis__:invalidate")]
        t += [c.cmd("CLIENT", "TRACKING", "on", "REDIRECT", sid), c.cmd("CLIENT", "GETREDIR") == sid]
        t += [c.cmd("GET", "a"), w.cmd("SET", "a", "1"), sub.pending(), c.pending()]
        t += [c.cmd("GET", "b"), w.cmd("FLUSHALL"), sub.pending()]
        t += [c.cmd("CLIENT", "TRACKINGINFO")[1][0]]
        return t

    check(servers, script)


def test_redirect_broken(servers):
    def script(connect):
        target, c, w = connect(), connect(3), connect()
        tid = target.cmd("CLIENT", "ID")
        t = [c.cmd("CLIENT", "TRACKING", "on", "REDIRECT", tid), c.cmd("GET", "a")]
        target.s.close()
        time.sleep(0.2)
        t += [w.cmd("SET", "a", "1")]
        p = c.pending()
        t += [[x[1][0] for x in p]]
        info = c.cmd("CLIENT", "TRACKINGINFO")
        t += [info[1][0]]
        return t

    check(servers, script)


def test_option_errors(servers):
    def script(connect):
        c = connect()
        me = c.cmd("CLIENT", "ID")
        t = [
            c.cmd("CLIENT", "TRACKING", "maybe"),
            c.cmd("CLIENT", "TRACKING", "on", "FOO"),
            c.cmd("CLIENT", "TRACKING", "on", "PREFIX", "a"),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
            c.cmd("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
            c.cmd("CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
            c.cmd("CLIENT", "TRACKING", "on", "REDIRECT", "abc"),
            c.cmd("CLIENT", "TRACKING", "on", "REDIRECT", me, "REDIRECT", me),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
            c.cmd("CLIENT", "TRACKING", "on", "REDIRECT"),
            c.cmd("CLIENT", "TRACKING"),
            c.cmd("CLIENT", "CACHING", "yes"),
            c.cmd("CLIENT", "TRACKING", "on", "OPTIN"),
            c.cmd("CLIENT", "TRACKING", "on", "OPTOUT"),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST"),
            c.cmd("CLIENT", "CACHING", "no"),
            c.cmd("CLIENT", "TRACKING", "off", "BCAST"),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab"),
            c.cmd("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"),
            c.cmd("CLIENT", "TRACKINGINFO"),
            c.cmd("RESET"),
            c.cmd("CLIENT", "TRACKINGINFO"),
        ]
        return t

    check(servers, script)


def test_client_list_and_info_fields(servers):
    vk, _ = servers
    c = Raw(vk.port)
    c.cmd("HELLO", "3")
    c.cmd("CLIENT", "TRACKING", "on", "BCAST")
    line = c.cmd("CLIENT", "INFO").decode()
    assert " flags=tB " in line and " redir=0 " in line
    info = redis.Redis(port=vk.port).info()
    assert info["tracking_clients"] == 1 and info["tracking_total_prefixes"] == 1


def test_redis_py_resp3_invalidation_pushes(servers):
    """redis-py's RESP3 client receives the invalidation pushes with its own parser, the same
    from both servers. (redis-py's built-in client-side cache itself insists on Redis >= 7.4.)"""
    seen = []
    for srv in servers:
        r = redis.Redis(port=srv.port, protocol=3, single_connection_client=True)
        got = []
        r.connection._parser.set_invalidation_push_handler(got.append)
        w = redis.Redis(port=srv.port)
        assert r.execute_command("CLIENT", "TRACKING", "on") in (b"OK", "OK", True)
        r.get("foo")
        r.mget("bar", "baz")
        w.set("foo", "x")
        w.mset({"bar": "1", "baz": "2"})
        time.sleep(0.1)
        r.ping()
        w.flushall()
        time.sleep(0.1)
        r.ping()
        seen.append(got)
        r.close()
        w.close()
    assert seen[0] == seen[1]
    assert seen[0][0] == [b"invalidate", [b"foo"]] and seen[0][-1] == [b"invalidate", None]
