//! The AOF in the real server: restarts, rewrites, runtime switch, upgrade, damage, WAITAOF,
//! and crash tests (SIGKILL at random moments, also during BGREWRITEAOF).

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap_or_default()
}

fn aof_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn wait_rewrite_done(c: &mut Client) {
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "persistence"]).text();
        // INFO persistence is rendered by someone else; fall back to the files when absent.
        if !info.contains("aof_rewrite_in_progress:1") {
            std::thread::sleep(Duration::from_millis(150));
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "rewrite did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_manifest(dir: &Path, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let m = manifest(dir);
        if pred(&m) {
            return m;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "manifest never became as expected: {m}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn restart_keeps_writes_and_layout_is_redis7() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SET", "a", "1"]), V::ok());
    assert_eq!(c.cmd(&["INCR", "n"]).int(), 1);
    assert_eq!(c.cmd(&["INCR", "n"]).int(), 2);
    assert_eq!(c.cmd(&["SELECT", "3"]), V::ok());
    assert_eq!(c.cmd(&["SET", "b", "x"]), V::ok());
    assert_eq!(c.cmd(&["EXPIRE", "b", "1000"]).int(), 1);
    assert_eq!(c.cmd(&["SET", "gone", "x", "PX", "1"]), V::ok());
    let dir = s.kill9();
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    let incr = std::fs::read(dir.path().join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"), "{text}");
    assert!(text.contains("PEXPIREAT"), "relative expiry logged as absolute: {text}");
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("1"));
    assert_eq!(c.cmd(&["GET", "n"]), V::bulk("2"));
    assert_eq!(c.cmd(&["SELECT", "3"]), V::ok());
    assert_eq!(c.cmd(&["GET", "b"]), V::bulk("x"));
    let ttl = c.cmd(&["TTL", "b"]).int();
    assert!(ttl > 990 && ttl <= 1000, "{ttl}");
    assert_eq!(c.cmd(&["GET", "gone"]), V::Nil);
}

#[test]
fn appendonly_yes_without_aof_ignores_the_rdb_like_redis7() {
    let s = TestServer::start(&["--appendonly", "no"]);
    let mut c = s.client();
    c.cmd(&["SET", "inrdb", "1"]);
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.stop();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DBSIZE"]).int(), 0);
    assert!(manifest(s.dir.path()).contains("appendonly.aof.1.base.rdb"));
}

fn rewrite_roundtrip(preamble: &str) {
    let s = TestServer::start(&["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]);
    let mut c = s.client();
    for i in 0..200 {
        c.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    c.cmd(&["EXPIRE", "k1", "5000"]);
    assert_eq!(c.cmd(&["BGREWRITEAOF"]), V::Simple("Background append only file rewriting started".into()));
    let ext = if preamble == "yes" { "rdb" } else { "aof" };
    let want = format!("file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
    wait_manifest(s.dir.path(), |m| m == want);
    for i in 200..210 {
        c.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    wait_rewrite_done(&mut c);
    assert_eq!(
        aof_files(s.dir.path()),
        vec![format!("appendonly.aof.2.base.{ext}"), "appendonly.aof.2.incr.aof".into(), "appendonly.aof.manifest".into()],
        "history files deleted"
    );
    if preamble == "no" {
        let base = std::fs::read_to_string(s.dir.path().join("appendonlydir/appendonly.aof.2.base.aof")).unwrap();
        assert!(base.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), "{base}");
        assert!(base.contains("PEXPIREAT"));
    }
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DBSIZE"]).int(), 210);
    assert_eq!(c.cmd(&["GET", "k209"]), V::bulk("v209"));
    assert!(c.cmd(&["TTL", "k1"]).int() > 4000);
}

#[test]
fn bgrewriteaof_rdb_preamble() {
    rewrite_roundtrip("yes");
}

#[test]
fn bgrewriteaof_resp_base() {
    rewrite_roundtrip("no");
}

#[test]
fn config_set_appendonly_builds_the_base_first() {
    let s = TestServer::start(&["--appendonly", "no"]);
    let mut c = s.client();
    c.cmd(&["SET", "before", "1"]);
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), V::err("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."));
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]), V::ok());
    wait_manifest(s.dir.path(), |m| m.contains("base.rdb") && m.contains("incr.aof"));
    c.cmd(&["SET", "after", "2"]);
    let r = c.cmd(&["WAITAOF", "1", "0", "0"]);
    assert_eq!(r, V::Array(vec![V::Int(1), V::Int(0)]));
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "before"]), V::bulk("1"));
    assert_eq!(c.cmd(&["GET", "after"]), V::bulk("2"));
    // Off again: nothing more is appended.
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "no"]), V::ok());
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(c.cmd(&["WAITAOF", "0", "0", "0"]), V::Array(vec![V::Int(0), V::Int(0)]));
}

/// Our own INFO persistence fields: the group-commit batch (appends per fsync), the write
/// batch, the average fsync time and the largest age of unsynced data (the measured
/// power-failure window). `no-appendfsync-on-rewrite` is accepted and reported by CONFIG GET.
#[test]
fn info_reports_group_commit_and_unsynced_age() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "always", "--no-appendfsync-on-rewrite", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["CONFIG", "GET", "no-appendfsync-on-rewrite"]), V::Array(vec![V::bulk("no-appendfsync-on-rewrite"), V::bulk("yes")]));
    for i in 0..20 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), V::ok());
    }
    let info = c.cmd(&["INFO", "persistence"]).text();
    let field = |name: &str| -> f64 {
        let line = info.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap_or_else(|| panic!("{name} missing: {info}"));
        line.split(':').nth(1).unwrap().trim().parse().unwrap()
    };
    // One client, one write per fsync.
    assert!(field("aof_group_commit_avg_batch") >= 1.0, "{info}");
    assert!(field("aof_write_avg_batch") >= 1.0, "{info}");
    assert!(field("aof_fsync_avg_usec") >= 0.0);
    assert!(field("aof_max_unsynced_age_ms") >= 0.0);
}

#[test]
fn waitaof_arguments() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "no"]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "0"]), V::Array(vec![V::Int(1), V::Int(0)]));
    assert_eq!(c.cmd(&["WAITAOF", "2", "0", "0"]), V::err("ERR value is out of range, value must between 0 and 1"));
    assert_eq!(c.cmd(&["WAITAOF", "1", "-1", "0"]), V::err("ERR value is out of range, must be positive"));
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "-1"]), V::err("ERR timeout is negative"));
    assert_eq!(c.cmd(&["WAITAOF", "1", "0", "x"]), V::err("ERR timeout is not an integer or out of range"));
    // A replica count we cannot reach: waits for the timeout.
    let t = Instant::now();
    assert_eq!(c.cmd(&["WAITAOF", "1", "1", "100"]), V::Array(vec![V::Int(1), V::Int(0)]));
    assert!(t.elapsed() >= Duration::from_millis(90));
}

#[test]
fn old_single_file_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$2\r\nv6\r\n",
    )
    .unwrap();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "old"]), V::bulk("v6"));
    assert!(!s.dir.path().join("appendonly.aof").exists());
    let m = manifest(s.dir.path());
    assert!(m.starts_with("file appendonly.aof seq 1 type b\n"), "{m}");
}

#[test]
fn damage_refuses_to_start_naming_file_offset_and_tool() {
    let s = TestServer::start(&["--appendonly", "yes"]);
    let mut c = s.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    let dir = s.stop();
    let incr = dir.path().join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = b'!';
    bytes.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    std::fs::write(&incr, &bytes).unwrap();
    let out = std::process::Command::new(binary_path())
        .args(["--port", &free_port().to_string(), "--dir"])
        .arg(dir.path())
        .args(["--appendonly", "yes"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("appendonly.aof.1.incr.aof") && log.contains("offset") && log.contains("vk-check-aof --fix"), "{log}");
}

#[test]
fn sigterm_flushes_under_appendfsync_no() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "no", "--save", ""]);
    let mut c = s.client();
    for i in 0..100 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let dir = s.stop();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    assert_eq!(s.client().cmd(&["DBSIZE"]).int(), 100);
}

#[test]
fn timestamps_annotations() {
    let s = TestServer::start(&["--appendonly", "yes", "--aof-timestamp-enabled", "yes"]);
    let mut c = s.client();
    c.cmd(&["SET", "a", "1"]);
    let dir = s.stop();
    let incr = std::fs::read_to_string(dir.path().join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    assert!(incr.starts_with("#TS:"), "{incr}");
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    assert_eq!(s.client().cmd(&["GET", "a"]), V::bulk("1"));
}

// ---------------------------------------------------------------------------------------------
// Crash tests.

/// A minimal client that survives the server dying (returns None instead of panicking).
struct Raw {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let w = TcpStream::connect(("127.0.0.1", port)).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let r = BufReader::new(w.try_clone().unwrap());
        Raw { w, r }
    }
    fn cmd(&mut self, args: &[&str]) -> Option<String> {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.w.write_all(out.as_bytes()).ok()?;
        let mut line = String::new();
        match self.r.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with("\r\n") => Some(line.trim_end().to_string()),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Acked {
    /// Per writer: highest acknowledged INCR value.
    counters: Vec<i64>,
    /// Acknowledged SET keys (value = key).
    keys: Vec<String>,
    /// Commands sent whose reply never came (executed or not).
    unacked: u64,
}

/// Runs `writers` threads of INCR + SET until the server dies; returns what was acknowledged.
fn drive(port: u16, writers: usize, round: usize, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<Acked>> {
    (0..writers)
        .map(|w| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut a = Acked { counters: vec![0; 1], ..Default::default() };
                let mut c = Raw::connect(port);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    match c.cmd(&["INCR", &format!("ctr:{w}")]) {
                        Some(r) if r.starts_with(':') => a.counters[0] = r[1..].parse().unwrap(),
                        Some(r) => panic!("unexpected reply {r}"),
                        None => {
                            a.unacked += 1;
                            break;
                        }
                    }
                    let key = format!("r{round}:w{w}:{i}");
                    match c.cmd(&["SET", &key, &key]) {
                        Some(r) if r == "+OK" => a.keys.push(key),
                        Some(r) => panic!("unexpected reply {r}"),
                        None => {
                            a.unacked += 1;
                            break;
                        }
                    }
                }
                a
            })
        })
        .collect()
}

/// Crash loop: start, drive writers, optionally BGREWRITEAOF, SIGKILL at a random moment,
/// restart on the same directory, check every acknowledged write. Returns (acked, unacked-
/// but-present) totals.
fn crash_loop(fsync: &str, rounds: usize, seed: u64) -> (u64, u64) {
    let mut rng = seed;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut dir = tempfile::tempdir().unwrap();
    let args = ["--appendonly", "yes", "--appendfsync", fsync, "--save", "", "--auto-aof-rewrite-percentage", "0"];
    let expected: Arc<Mutex<(Vec<i64>, Vec<String>)>> = Arc::new(Mutex::new((vec![0; 2], Vec::new())));
    let (mut total_acked, mut extra) = (0u64, 0u64);
    for round in 0..rounds {
        let s = TestServer::start_in(dir, &args);
        // Verify everything acknowledged so far.
        {
            let mut c = s.client();
            let exp = expected.lock().unwrap();
            for (w, &v) in exp.0.iter().enumerate() {
                let got = c.cmd(&["GET", &format!("ctr:{w}")]);
                let got: i64 = if got == V::Nil { 0 } else { got.text().parse().unwrap() };
                assert!(got >= v, "round {round} ({fsync}): counter {w} is {got}, acknowledged {v}");
                extra += (got - v) as u64;
            }
            for k in &exp.1 {
                assert_eq!(c.cmd(&["GET", k]), V::bulk(k), "round {round} ({fsync}): acknowledged key {k} lost");
            }
            // Counters restart from what survived.
            drop(exp);
            let mut exp = expected.lock().unwrap();
            for (w, v) in exp.0.iter_mut().enumerate() {
                let got = c.cmd(&["GET", &format!("ctr:{w}")]);
                *v = if got == V::Nil { 0 } else { got.text().parse().unwrap() };
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handles = drive(s.port, 2, round, stop.clone());
        std::thread::sleep(Duration::from_millis(100 + next(250)));
        if round % 2 == 1 {
            let mut c = s.client();
            assert_eq!(c.cmd(&["BGREWRITEAOF"]), V::Simple("Background append only file rewriting started".into()));
            std::thread::sleep(Duration::from_millis(next(40)));
        }
        dir = s.kill9();
        stop.store(true, Ordering::Relaxed);
        let mut exp = expected.lock().unwrap();
        for (w, h) in handles.into_iter().enumerate() {
            let a = h.join().unwrap();
            total_acked += a.keys.len() as u64 + a.counters[0].max(0) as u64;
            exp.0[w] = exp.0[w].max(a.counters[0]);
            exp.1.extend(a.keys);
        }
    }
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    let exp = expected.lock().unwrap();
    for k in &exp.1 {
        assert_eq!(c.cmd(&["GET", k]), V::bulk(k), "final ({fsync}): acknowledged key {k} lost");
    }
    for (w, &v) in exp.0.iter().enumerate() {
        let got = c.cmd(&["GET", &format!("ctr:{w}")]);
        let got: i64 = if got == V::Nil { 0 } else { got.text().parse().unwrap() };
        assert!(got >= v);
    }
    (total_acked, extra)
}

#[test]
fn crash_always_loses_no_acknowledged_write() {
    let (acked, extra) = crash_loop("always", 8, 0x9E3779B97F4A7C15);
    eprintln!("appendfsync always: {acked} acknowledged writes across 8 kills, all present; {extra} unacknowledged INCRs survived");
    assert!(acked > 100);
}

#[test]
fn crash_everysec_loses_no_acknowledged_write_on_process_crash() {
    let (acked, extra) = crash_loop("everysec", 6, 0xD1B54A32D192ED03);
    eprintln!("appendfsync everysec: {acked} acknowledged writes across 6 kills, all present; {extra} unacknowledged INCRs survived");
    assert!(acked > 100);
}

/// `appendfsync no`: replies wait only for the connection's own `write` (write-through, no
/// fsync), which is enough for a process crash.
#[test]
fn crash_no_loses_no_acknowledged_write_on_process_crash() {
    let (acked, extra) = crash_loop("no", 4, 0x94D049BB133111EB);
    eprintln!("appendfsync no: {acked} acknowledged writes across 4 kills, all present; {extra} unacknowledged INCRs survived");
    assert!(acked > 100);
}
