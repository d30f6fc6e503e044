"""A real consumer-group workload against VaultKey, driven by redis-py: producers append with
auto IDs, two groups consume with blocking XREADGROUP, some consumers crash mid-batch (their
messages stay pending), one comes back and drains its own history, and reapers take over what
the dead left behind with XAUTOCLAIM and XPENDING + XCLAIM. At the end every message has been
acknowledged exactly once in each group: nothing lost, nothing acked twice. The state then
survives SAVE + restart unchanged.

Bounded: fixed message counts, every loop has a deadline, all threads stop by themselves.
"""

import threading
import time
from collections import Counter

import redis

from conftest import start_vk

STREAM = "jobs"
GROUPS = ("billing", "audit")
PRODUCERS = 3
PER_PRODUCER = 250
TOTAL = PRODUCERS * PER_PRODUCER
DEADLINE_S = 90


class Book:
    """Shared bookkeeping: which IDs each group acknowledged (XACK returned 1)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {g: Counter() for g in GROUPS}
        self.produced = []
        self.errors = []
        self.reclaimed = Counter()

    def ack_one(self, client, group, i):
        n = client.xack(STREAM, group, i)
        if n == 1:
            with self.lock:
                self.acked[group][i] += 1
        return n

    def done(self, group):
        with self.lock:
            return len(self.acked[group]) >= TOTAL


def producer(port, book, p):
    c = redis.Redis(port=port, socket_timeout=30)
    for n in range(PER_PRODUCER):
        mid = c.xadd(STREAM, {"producer": p, "n": n})
        with book.lock:
            book.produced.append(mid)
    c.close()


def consumer(port, book, group, name, stop, crash_after_batches=None, start_with_history=False):
    c = redis.Redis(port=port, socket_timeout=30)
    batches = 0
    deadline = time.time() + DEADLINE_S
    if start_with_history:
        # A restarted consumer first drains the messages it had received before crashing.
        while time.time() < deadline:
            res = c.xreadgroup(group, name, {STREAM: "0"}, count=20)
            entries = res[0][1] if res else []
            if not entries:
                break
            for mid, fields in entries:
                if fields:  # may be None if deleted
                    book.ack_one(c, group, mid)
    while not stop.is_set() and time.time() < deadline and not book.done(group):
        res = c.xreadgroup(group, name, {STREAM: ">"}, count=10, block=100)
        if not res:
            continue
        entries = res[0][1]
        batches += 1
        if crash_after_batches is not None and batches >= crash_after_batches:
            # Crash: acknowledge half of the batch and vanish (the connection drops).
            for mid, _ in entries[: len(entries) // 2]:
                book.ack_one(c, group, mid)
            c.connection_pool.disconnect()
            return
        for mid, _ in entries:
            book.ack_one(c, group, mid)
    c.close()


def reaper(port, book, group, stop):
    """Takes over messages idle for a while: XAUTOCLAIM, and XPENDING + XCLAIM in turns."""
    c = redis.Redis(port=port, socket_timeout=30)
    c.response_callbacks.pop("XAUTOCLAIM", None)
    deadline = time.time() + DEADLINE_S
    turn = 0
    while not stop.is_set() and time.time() < deadline and not book.done(group):
        turn += 1
        if turn % 2:
            cursor = "0-0"
            while True:
                nxt, claimed, deleted = c.execute_command(
                    "XAUTOCLAIM", STREAM, group, "reaper", "300", cursor, "COUNT", "25")
                for mid, fields in claimed:
                    if book.ack_one(c, group, mid):
                        book.reclaimed[group] += 1
                if nxt in (b"0-0", "0-0"):
                    break
                cursor = nxt
        else:
            pending = c.xpending_range(STREAM, group, min="-", max="+", count=50, idle=300)
            ids = [p["message_id"] for p in pending]
            if ids:
                claimed = c.xclaim(STREAM, group, "reaper2", 300, ids, justid=True)
                for mid in claimed:
                    if book.ack_one(c, group, mid):
                        book.reclaimed[group] += 1
        time.sleep(0.15)
    c.close()


def test_consumer_group_workload_loses_nothing():
    srv = start_vk()
    try:
        admin = srv.client()
        for g in GROUPS:
            admin.xgroup_create(STREAM, g, id="$", mkstream=True)
        book = Book()
        stop = threading.Event()
        threads = []
        for p in range(PRODUCERS):
            threads.append(threading.Thread(target=producer, args=(srv.port, book, p)))
        for g in GROUPS:
            threads.append(threading.Thread(target=consumer, args=(srv.port, book, g, "steady", stop)))
            threads.append(threading.Thread(target=consumer, args=(srv.port, book, g, "flaky", stop, 2)))
            threads.append(threading.Thread(target=consumer, args=(srv.port, book, g, "doomed", stop, 3)))
            threads.append(threading.Thread(target=reaper, args=(srv.port, book, g, stop)))
        for t in threads:
            t.start()
        # "flaky" comes back after its crash and drains its own history first.
        time.sleep(1.0)
        comeback = [threading.Thread(target=consumer, args=(srv.port, book, g, "flaky", stop, None, True))
                    for g in GROUPS]
        for t in comeback:
            t.start()
        end = time.time() + DEADLINE_S
        while time.time() < end and not all(book.done(g) for g in GROUPS):
            time.sleep(0.2)
        stop.set()
        for t in threads + comeback:
            t.join(30)
        assert not book.errors, book.errors

        produced = set(book.produced)
        assert len(produced) == TOTAL
        assert admin.xlen(STREAM) == TOTAL
        for g in GROUPS:
            acked = book.acked[g]
            assert set(acked) == produced, f"{g}: lost {len(produced - set(acked))} messages"
            twice = [i for i, n in acked.items() if n != 1]
            assert not twice, f"{g}: acked twice: {twice[:5]}"
            assert admin.xpending(STREAM, g)["pending"] == 0
            # The crashed consumers' messages were taken over by the reapers.
            assert book.reclaimed[g] > 0
            # A second ack of anything is a no-op.
            assert admin.xack(STREAM, g, *list(produced)[:20]) == 0
        admin.response_callbacks.pop("XINFO GROUPS", None)
        groups = admin.execute_command("XINFO", "GROUPS", STREAM)
        last = max(produced, key=lambda s: tuple(int(x) for x in s.split(b"-")))
        info_before = []
        for g in groups:
            g = dict(zip(g[::2], g[1::2])) if isinstance(g, list) else g
            assert g[b"entries-read"] == TOTAL
            assert g[b"lag"] == 0
            assert g[b"pending"] == 0
            assert g[b"last-delivered-id"] == last
            info_before.append(g)

        # The group state survives SAVE + restart.
        assert admin.save()
        admin.close()
        d = srv.dir
        srv.stop()
        srv = start_vk(dir=d)
        admin = srv.client()
        admin.response_callbacks.pop("XINFO GROUPS", None)
        after = admin.execute_command("XINFO", "GROUPS", STREAM)
        after = [dict(zip(g[::2], g[1::2])) if isinstance(g, list) else g for g in after]
        assert after == info_before
        assert admin.xlen(STREAM) == TOTAL
    finally:
        srv.stop()
