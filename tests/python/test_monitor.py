"""MONITOR: the same lines (timestamps and client addresses aside) as a real valkey-server for
scripts, functions, transactions, SELECT and administrative commands."""
import re
import socket

from conftest import raw


def send(sock, args):
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode("latin-1") if isinstance(a, str) else a
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(req)


def read_reply(sock):
    """Reads one RESP2 reply (any type) from `sock` and drops it."""
    f = sock.makefile("rb")
    def one():
        line = f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b"$",):
            n = int(rest)
            if n >= 0:
                f.read(n + 2)
        elif t == b"*":
            for _ in range(max(int(rest), 0)):
                one()
    one()


def monitor_lines(server, commands):
    """Runs `commands` (lists of arguments) on a client while another connection is in MONITOR;
    returns the lines MONITOR got, each without its timestamp and with client addresses as
    `client` (`lua` is kept)."""
    mon = socket.create_connection(("127.0.0.1", server.port))
    mon.sendall(b"MONITOR\r\n")
    buf = b""
    while b"\r\n" not in buf:
        buf += mon.recv(4096)
    assert buf.startswith(b"+OK\r\n")
    buf = buf[5:]
    # A plain socket: no client handshake, no reconnection after an error.
    c = socket.create_connection(("127.0.0.1", server.port))
    c.settimeout(10)
    for args in commands + [["PING", "monitor-end"]]:
        send(c, args)
        read_reply(c)
    c.close()
    lines = []
    mon.settimeout(10)
    while True:
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            text = line.decode()
            assert text.startswith("+"), text
            text = re.sub(r"^\+\d+\.\d{6} ", "", text)
            text = re.sub(r"^\[(\d+) (?!lua\])[^\]]+\]", r"[\1 client]", text)
            if text.endswith('"monitor-end"'):
                mon.close()
                return lines
            lines.append(text)
        buf += mon.recv(4096)


def test_monitor_scripts_functions_transactions(vk_server, valkey_server):
    lib = "#!lua name=mon\nredis.register_function('mset2', function(keys) redis.call('set', keys[1], 'x') return redis.call('get', keys[1]) end)"
    commands = [
        ["SET", "foo", "bar"],
        ["EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', 'n')", "1", "k", "v"],
        ["EVAL", "return redis.pcall('nosuchcommand')", "0"],
        ["EVALSHA", "0" * 40, "0"],
        ["FUNCTION", "LOAD", "REPLACE", lib],
        ["FCALL", "mset2", "1", "fk"],
        ["FCALL", "nosuchfunction", "0"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["EVAL", "return redis.call('get', 'a')", "0"],
        ["EXEC"],
        ["MULTI"],
        ["NOSUCHCOMMAND"],
        ["EXEC"],
        ["EXEC"],
        ["SELECT", "2"],
        ["SET", "in2", "x"],
        ["SELECT", "0"],
        ["CONFIG", "SET", "maxmemory-samples", "5"],
        ["CONFIG", "GET", "maxmemory-samples"],
        ["DBSIZE"],
        ["CLIENT", "SETNAME", "me"],
        ["GET", "foo\n\"quoted\"\x01"],
        # Secrets are redacted; AUTH with too many arguments is a syntax error, shown as is.
        ["AUTH", "not-real"],
        ["AUTH", "user", "not-a-password"],
        ["AUTH", "a", "b", "c"],
        ["HELLO", "2", "AUTH", "default", "wrong", "SETNAME", "x"],
        ["HELLO", "2", "SETNAME", "x", "AUTH", "default", "wrong"],
        ["HELLO", "2", "AUTH", "onlyuser"],
        ["HELLO", "2"],
    ]
    assert monitor_lines(vk_server, commands) == monitor_lines(valkey_server, commands)


def test_slowlog_redacts_secrets(vk_server, valkey_server):
    def entries(server):
        c = socket.create_connection(("127.0.0.1", server.port))
        c.settimeout(10)
        for args in (["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"],
                     ["AUTH", "pw"], ["AUTH", "u", "pw"], ["HELLO", "2", "AUTH", "u", "pw"],
                     ["CONFIG", "SET", "masterauth", "secret", "maxmemory-samples", "5"],
                     ["CONFIG", "SET", "slowlog-log-slower-than", "10000"]):
            send(c, args)
            read_reply(c)
        c.close()
        log = raw(server.client())[0].execute_command("SLOWLOG", "GET", "-1")
        return [e[3] for e in reversed(log)]
    assert entries(vk_server) == entries(valkey_server)
