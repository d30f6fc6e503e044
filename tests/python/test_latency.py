"""Differential tests of the latency monitor (LATENCY ..., latency-monitor-threshold, INFO
latencystats) against a real valkey-server, both started with DEBUG enabled.

Timing makes latencies differ by a few ms between the two servers: the tests compare what is
deterministic (event names, sample counts, reply shapes, histogram bucket labels, error texts)
and check values against bounds. Valkey 9.1 words LATENCY DOCTOR and the HELP footer
differently ("Valkey instance", "Print this help."); VaultKey keeps Redis 7.2's texts.
"""

import time

import pytest

from conftest import raw_pair, reply


@pytest.fixture
def pair():
    yield from raw_pair(["--enable-debug-command", "yes"], ["--enable-debug-command", "yes"])


def flat(v):
    """A map reply as a flat list (redis-py may already have made a dict of it)."""
    if isinstance(v, dict):
        return [x for kv in v.items() for x in kv]
    return v


def as_dict(v):
    return v if isinstance(v, dict) else dict(zip(v[::2], v[1::2]))


def both(pair, *args):
    return [reply(c, *args) for c in pair]


def same(pair, *args):
    a, b = both(pair, *args)
    assert a == b, f"{args!r}: vaultkey={a!r} valkey={b!r}"
    return a


def test_empty_monitor_and_errors(pair):
    same(pair, "LATENCY", "LATEST")
    same(pair, "LATENCY", "HISTORY", "command")
    same(pair, "LATENCY", "RESET")
    same(pair, "LATENCY", "RESET", "command", "fast-command")
    same(pair, "LATENCY", "GRAPH", "command")
    same(pair, "LATENCY", "GRAPH", "nosuch-event")
    same(pair, "LATENCY", "HISTORY")
    same(pair, "LATENCY", "HISTORY", "a", "b")
    same(pair, "LATENCY", "LATEST", "x")
    same(pair, "LATENCY", "DOCTOR", "x")
    same(pair, "LATENCY", "GRAPH")
    same(pair, "LATENCY")
    same(pair, "LATENCY", "NOPE")
    same(pair, "LATENCY", "HISTOGRAM", "nosuch")
    a, b = both(pair, "LATENCY", "HELP")
    assert a[:-1] == b[:-1]  # last line: "Prints this help." (Redis 7.2) vs "Print this help."
    same(pair, "CONFIG", "SET", "latency-monitor-threshold", "-1")
    same(pair, "CONFIG", "SET", "latency-monitor-threshold", "abc")
    same(pair, "CONFIG", "GET", "latency-monitor-threshold")
    vk = pair[0]
    assert vk.execute_command("LATENCY", "DOCTOR").startswith(b"I'm sorry, Dave, I can't do that.")


def test_debug_sleep_makes_a_command_event(pair):
    same(pair, "CONFIG", "SET", "latency-monitor-threshold", "150")
    same(pair, "DEBUG", "SLEEP", "0.05")
    same(pair, "LATENCY", "LATEST")  # below the threshold: nothing
    assert len(pair[0].execute_command("LATENCY", "LATEST")) == 0
    same(pair, "DEBUG", "SLEEP", "0.2")
    now = int(time.time())
    for latest in both(pair, "LATENCY", "LATEST"):
        assert len(latest) == 1
        # valkey 9 appends a fifth field (the number of samples); Redis 7.2 has four.
        event, t, lat, worst = latest[0][:4]
        assert event == b"command"
        assert abs(t - now) <= 2
        assert 200 <= lat < 2000 and worst == lat
    a, b = both(pair, "LATENCY", "HISTORY", "command")
    assert len(a) == len(b) == 1 and a[0][1] >= 200
    same(pair, "LATENCY", "HISTORY", "COMMAND")  # exact names for HISTORY
    # GRAPH: the same picture below the header (whose numbers are the measured latencies).
    a, b = both(pair, "LATENCY", "GRAPH", "command")
    a, b = a.decode().split("\n"), b.decode().split("\n")
    assert a[0].startswith("command - high ") and b[0].startswith("command - high ")
    # The dashes and the 4 rows of the picture; the label below is "<n>s" (seconds ago),
    # which may differ by one when the two samples straddle a second.
    assert a[1:7] == b[1:7]
    assert a[7].isdigit() and a[-2] == "s" and len(a) == len(b)
    # The histogram: one call, in the same bucket (label) on both.
    same(pair, "LATENCY", "HISTOGRAM", "debug")
    # RESET is case-insensitive and counts events.
    same(pair, "LATENCY", "RESET", "COMMAND", "nosuch")
    same(pair, "LATENCY", "LATEST")
    same(pair, "LATENCY", "RESET")
    doctor = pair[0].execute_command("LATENCY", "DOCTOR")
    assert doctor.startswith(b"Dave, no latency spike was observed")


def test_doctor_report(pair):
    vk = pair[0]
    vk.execute_command("CONFIG", "SET", "latency-monitor-threshold", "100")
    vk.execute_command("DEBUG", "SLEEP", "0.15")
    report = vk.execute_command("LATENCY", "DOCTOR").decode()
    assert report.startswith("Dave, I have observed latency spikes in this Redis instance.")
    assert "1. command: 1 latency spikes (average " in report
    assert "Worst all time event " in report
    assert "I have a few advices for you:" in report
    # The same events and advice as valkey gives (its wording of the preamble differs).
    other = pair[1]
    other.execute_command("CONFIG", "SET", "latency-monitor-threshold", "100")
    other.execute_command("DEBUG", "SLEEP", "0.15")
    theirs = other.execute_command("LATENCY", "DOCTOR").decode()
    advice = lambda r: [l.split(" ")[1] for l in r.split("\n") if l.startswith("- ")]
    assert advice(report) == advice(theirs)


def test_histogram_and_latencystats(pair):
    same(pair, "CONFIG", "RESETSTAT")
    for i in range(20):
        same(pair, "SET", f"k{i}", "v")
    same(pair, "GET", "k1")
    same(pair, "CONFIG", "GET", "maxmemory")
    for h in both(pair, "LATENCY", "HISTOGRAM", "set", "config", "nosuch", "get"):
        h = flat(h)
        names = h[::2]
        # A container's subcommands come in Redis's dict order: compare as a set.
        assert names[0] == b"set" and names[-1] == b"get"
        assert set(names) == {b"set", b"config|get", b"config|resetstat", b"get"}
        body = as_dict(h[1])
        assert body[b"calls"] == 20
        buckets = flat(body[b"histogram_usec"])
        assert buckets[-1] == 20 and buckets[1::2] == sorted(buckets[1::2])
        assert all(x in (1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908)
                   for x in buckets[::2])
    a, b = both(pair, "INFO", "latencystats")
    fields = lambda t: sorted(l.split(":")[0] for l in t.decode().split("\r\n") if l and not l.startswith("#"))
    assert fields(a) == fields(b)
    line = [l for l in a.decode().split("\r\n") if l.startswith("latency_percentiles_usec_set:")][0]
    assert [p.split("=")[0] for p in line.split(":")[1].split(",")] == ["p50", "p99", "p99.9"]
    same(pair, "CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.99")
    a, b = both(pair, "INFO", "latencystats")
    line = [l for l in a.decode().split("\r\n") if l.startswith("latency_percentiles_usec_set:")][0]
    assert [p.split("=")[0] for p in line.split(":")[1].split(",")] == ["p50", "p99.99"]
    # latency-tracking no: no percentiles at all.
    same(pair, "CONFIG", "SET", "latency-tracking", "no")
    a, b = both(pair, "INFO", "latencystats")
    assert fields(a) == fields(b) == []


def test_resp3_histogram(pair):
    for c in pair:
        c.execute_command("HELLO", "3")
        c.execute_command("SET", "a", "b")
    a, b = both(pair, "LATENCY", "HISTOGRAM", "set")
    assert isinstance(a, dict) and isinstance(b, dict)
    assert list(a) == list(b) == [b"set"]
    assert a[b"set"][b"calls"] == b[b"set"][b"calls"] == 1
    same(pair, "LATENCY", "HISTOGRAM", "nosuch")
    same(pair, "LATENCY", "LATEST")


def test_config_set_port_and_bind_errors_match(pair):
    """CONFIG SET port / bind apply at once; a port that cannot be opened fails with Redis's
    error text and leaves everything as it was (on both servers)."""
    import socket
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    try:
        a, b = both(pair, "CONFIG", "SET", "port", str(busy))
        assert a == b and a[0] == "error" and "Unable to listen on this port" in a[1]
        for c in pair:
            assert c.ping()
        # The same with bind: an address held by someone else on our port.
        ports = [int(as_dict(c.execute_command("CONFIG", "GET", "port"))[b"port"]) for c in pair]
        holders = []
        for p in ports:
            h = socket.socket()
            h.bind(("127.0.0.2", p))
            h.listen()
            holders.append(h)
        a, b = both(pair, "CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2")
        assert a == b and a[0] == "error" and "Failed to bind to specified addresses." in a[1]
        same(pair, "CONFIG", "GET", "bind")
        for h in holders:
            h.close()
    finally:
        blocker.close()
    # A live change of port, on both: the old connection stays, the new port answers.
    for srv_client in pair:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        new = s.getsockname()[1]
        s.close()
        assert srv_client.execute_command("CONFIG", "SET", "port", str(new)) in (b"OK", True)
        assert srv_client.ping()
        import redis as _r
        assert _r.Redis(port=new).ping()
