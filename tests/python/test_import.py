"""vk-import, run as the built binary, against real servers.

Every RDB fixture is imported to a data directory (a real valkey-server loads the result and its
keyspace equals expected.jsonl) and over RESP into a real valkey-server (pipelined RESTORE of RDB
11 payloads) and into Debian's redis-server 7.0 (which refuses RDB 11 payloads: the tool falls
back to RDB 10 payloads).
"""

import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, ROOT, Server, start_valkey
from test_rdb_interop import dump, expected, rdb_cases, case_id, rdb_file


def tool(name):
    for profile in ("debug", "release"):
        p = os.path.join(ROOT, "target", profile, name)
        if os.path.exists(p):
            return p
    raise RuntimeError(name + " not built")


def vk_import(*args):
    r = subprocess.run([tool("vk-import"), *args, "--report", "json"], capture_output=True, text=True)
    report = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    return r.returncode, report, r.stdout + r.stderr


def comparable(case):
    return not case.endswith("rdb-hash-field-ttl")


@pytest.mark.parametrize("case", [c for c in rdb_cases() if comparable(c)], ids=case_id)
def test_import_to_dir_loads_in_valkey(case, tmp_path):
    d = str(tmp_path / "data")
    code, report, out = vk_import(rdb_file(case), "--to", d)
    want = expected(case)
    # Empty collections are skipped (as Redis skips them when loading) and counted: exit 1.
    assert code == (1 if report and report["skipped"] else 0), out
    assert report["ok"] and report["keys_imported"] == len(want) - 1
    s = start_valkey(dir=d)
    try:
        assert dump(s.port, str(tmp_path / "got.jsonl")) == want
    finally:
        s.stop()


@pytest.mark.parametrize("case", [c for c in rdb_cases() if comparable(c) and "/rdb" in c][:6], ids=case_id)
def test_import_to_valkey_server(case, tmp_path):
    s = start_valkey()
    try:
        code, report, out = vk_import(rdb_file(case), "--to-server", f"127.0.0.1:{s.port}")
        assert code == 0, out
        assert report["transfer"] in ("restore-v11",)
        assert dump(s.port, str(tmp_path / "got.jsonl")) == expected(case)
    finally:
        s.stop()


def test_import_falls_back_to_v10_payloads_for_redis70(tmp_path):
    assert shutil.which("redis-server"), "Debian redis-server 7.0 must be installed"
    case = os.path.join(FIXTURES, "redis-7.2.4", "rdb")
    s = Server(["redis-server", "--save", "", "--appendonly", "no"])
    try:
        code, report, out = vk_import(rdb_file(case), "--to-server", f"127.0.0.1:{s.port}")
        assert code == 0, out
        assert report["transfer"] == "restore-v10"
        assert dump(s.port, str(tmp_path / "got.jsonl")) == expected(case)
    finally:
        s.stop()


def test_filters_dry_run_and_no_silent_overwrite(tmp_path):
    src = rdb_file(os.path.join(FIXTURES, "redis-7.2.4", "rdb"))
    d = str(tmp_path / "data")
    code, report, out = vk_import(src, "--to", d, "--dry-run")
    assert code == 0 and report["keys_imported"] == 423, out
    assert not os.path.exists(os.path.join(d, "dump.rdb"))
    code, report, out = vk_import(src, "--to", d, "--db", "1", "--match", "str:*", "--rename-db", "1:5")
    assert code == 0, out
    assert list(report["keys_by_db_and_type"].keys()) == ["5"]
    assert report["filtered_out"] > 0
    # An existing file is refused without --overwrite, and kept as a backup with it.
    code, report, out = vk_import(src, "--to", d)
    assert code == 2 and "--overwrite" in report["error"], out
    code, report, out = vk_import(src, "--to", d, "--overwrite")
    assert code == 0, out
    assert glob.glob(os.path.join(d, "dump.rdb.*.bak"))


def test_existing_keys_are_skipped_and_counted(tmp_path):
    src = rdb_file(os.path.join(FIXTURES, "redis-7.2.4", "rdb"))
    s = start_valkey()
    try:
        c = s.client()
        c.set("str:empty", "already here")
        code, report, out = vk_import(src, "--to-server", f"127.0.0.1:{s.port}")
        assert code == 1, out
        assert sum(report["skipped"].values()) >= 1
        assert c.get("str:empty") == b"already here"
    finally:
        s.stop()
