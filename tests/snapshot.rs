//! Fork-free snapshots: a BGSAVE taken while writers run contains exactly the state at the
//! moment it started (the position of BGSAVE in the command order), and writes during the save
//! are served and do not leak into the file.
mod common;
use common::*;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use vk_storage::rdb::{RdbEvent, RdbReader, RdbValue};

fn read_rdb(path: &std::path::Path) -> HashMap<Vec<u8>, Vec<u8>> {
    let mut r = RdbReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = HashMap::new();
    while let Some(ev) = r.next_event().unwrap() {
        if let RdbEvent::Key(k) = ev {
            if let RdbValue::String(v) = k.value {
                out.insert(k.key, v);
            }
        }
    }
    out
}

#[test]
fn bgsave_is_point_in_time_under_writes() {
    let s = TestServer::start(&["--save", ""]);
    let mut c = s.client();
    const N: usize = 60_000;
    // Load N keys quickly, pipelining in chunks (a client that writes everything before
    // reading would deadlock on full socket buffers).
    for chunk in (0..N).collect::<Vec<_>>().chunks(2000) {
        let mut batch = Vec::new();
        for &i in chunk {
            batch.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\nkey:{i}\r\n$5\r\nv0-{:02}\r\n",
                    format!("key:{i}").len(),
                    i % 100
                )
                .as_bytes(),
            );
        }
        c.send_raw(&batch);
        for _ in chunk {
            assert_eq!(c.read(), V::ok());
        }
    }
    // BGSAVE, then immediately overwrite every key, delete some and add new ones from two
    // other clients while the snapshot is being written.
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        V::Simple("Background saving started".into())
    );
    let port = s.port;
    let writers: Vec<_> = (0..2)
        .map(|w| {
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                let idx: Vec<usize> = (w..N).step_by(2).collect();
                for chunk in idx.chunks(1000) {
                    let mut buf = Vec::new();
                    for &i in chunk {
                        let k = format!("key:{i}");
                        if i % 10 == 0 {
                            buf.extend_from_slice(
                                format!("*2\r\n$3\r\nDEL\r\n${}\r\n{k}\r\n", k.len()).as_bytes(),
                            );
                        } else {
                            buf.extend_from_slice(
                                format!(
                                    "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n$7\r\nchanged\r\n",
                                    k.len()
                                )
                                .as_bytes(),
                            );
                        }
                        let nk = format!("new:{i}");
                        buf.extend_from_slice(
                            format!("*3\r\n$3\r\nSET\r\n${}\r\n{nk}\r\n$1\r\nx\r\n", nk.len())
                                .as_bytes(),
                        );
                    }
                    c.send_raw(&buf);
                    for _ in 0..chunk.len() * 2 {
                        let r = c.read();
                        assert!(matches!(r, V::Simple(_) | V::Int(_)), "{r:?}");
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    // Wait for the file.
    let path = s.dir.path().join("dump.rdb");
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "BGSAVE did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The live dataset has the new state...
    assert_eq!(c.cmd(&["GET", "key:1"]), V::bulk("changed"));
    assert_eq!(c.cmd(&["GET", "key:10"]), V::Nil);
    // ...and the snapshot exactly the old one.
    let snap = read_rdb(&path);
    assert_eq!(
        snap.len(),
        N,
        "snapshot must hold exactly the keys present at BGSAVE"
    );
    for i in 0..N {
        let v = snap
            .get(format!("key:{i}").as_bytes())
            .unwrap_or_else(|| panic!("key:{i} missing"));
        assert_eq!(v, format!("v0-{:02}", i % 100).as_bytes(), "key:{i}");
    }
    // No temp files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn save_and_restart_restores_the_dataset() {
    let s = TestServer::start(&["--save", ""]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SET", "a", "1"]), V::ok());
    assert_eq!(c.cmd(&["SET", "b", "hello", "PX", "100000000"]), V::ok());
    assert_eq!(c.cmd(&["SELECT", "3"]), V::ok());
    assert_eq!(c.cmd(&["SET", "c", "in-db-3"]), V::ok());
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.stop();
    let s = TestServer::start_in(dir, &["--save", ""]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("1"));
    assert_eq!(c.cmd(&["GET", "b"]), V::bulk("hello"));
    assert!(c.cmd(&["PTTL", "b"]).int() > 99_000_000);
    assert_eq!(c.cmd(&["SELECT", "3"]), V::ok());
    assert_eq!(c.cmd(&["GET", "c"]), V::bulk("in-db-3"));
}

#[test]
fn sigterm_saves_when_save_points_are_configured() {
    let s = TestServer::start(&["--save", "3600 1"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SET", "k", "v"]), V::ok());
    let dir = s.stop();
    assert!(
        dir.path().join("dump.rdb").exists(),
        "SIGTERM with save points must write dump.rdb"
    );
    let s = TestServer::start_in(dir, &[]);
    assert_eq!(s.client().cmd(&["GET", "k"]), V::bulk("v"));
}

#[test]
fn dump_restore_round_trip_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "some value"]);
    let V::Bulk(payload) = c.cmd(&["DUMP", "k"]) else {
        panic!("DUMP must return a bulk")
    };
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"k", b"0", &payload]),
        V::err("BUSYKEY Target key name already exists.")
    );
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"k2", b"0", &payload]), V::ok());
    assert_eq!(c.cmd(&["GET", "k2"]), V::bulk("some value"));
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"k3", b"0", &bad]),
        V::err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"k3", b"-1", &payload]),
        V::err("ERR Invalid TTL value, must be >= 0")
    );
    assert_eq!(c.cmd(&["DUMP", "missing"]), V::Nil);
}

#[test]
fn debug_reload_and_info_persistence() {
    let s = TestServer::start(&["--save", "", "--enable-debug-command", "yes"]);
    let mut c = s.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2", "PX", "1000000"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), V::ok());
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("1"));
    assert!(c.cmd(&["PTTL", "b"]).int() > 900_000);
    let info = c.cmd(&["INFO", "persistence"]).text();
    assert!(info.contains("rdb_saves:1"), "{info}");
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    assert!(info.contains("rdb_last_load_keys_loaded:2"), "{info}");
    assert_eq!(c.cmd(&["BGSAVE"]), V::Simple("Background saving started".into()));
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "persistence"]).text();
        if info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_saves:2") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Heavy random writes during BGSAVE: writers serialize not-yet-saved segments themselves (see
// src/persist/tracker.rs); the file must still hold exactly the state at the start.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
enum M {
    S(Vec<u8>),
    L(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    H(BTreeMap<Vec<u8>, Vec<u8>>),
    Z(BTreeMap<Vec<u8>, u64>),
}

fn canon(v: RdbValue) -> M {
    match v {
        RdbValue::String(s) => M::S(s),
        RdbValue::List(l) => M::L(l),
        RdbValue::Set(s) => M::Set(s.into_iter().collect()),
        RdbValue::Hash(h) => M::H(h.into_iter().collect()),
        RdbValue::SortedSet(z) => M::Z(z.into_iter().map(|(m, s)| (m, s.to_bits())).collect()),
        other => panic!("unexpected value {other:?}"),
    }
}

type Model = BTreeMap<(u64, Vec<u8>), (Option<i64>, M)>;

fn read_rdb_full(path: &std::path::Path) -> Model {
    let mut r = RdbReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Model::new();
    while let Some(ev) = r.next_event().unwrap() {
        if let RdbEvent::Key(k) = ev {
            let prev = out.insert((k.db, k.key.clone()), (k.expire_ms, canon(k.value)));
            assert!(prev.is_none(), "key {:?} saved twice", String::from_utf8_lossy(&k.key));
        }
    }
    out
}

fn resp(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Sends commands in pipelined batches, reading the replies (errors are test failures).
fn pipeline(c: &mut Client, cmds: &[Vec<Vec<u8>>]) {
    for chunk in cmds.chunks(1000) {
        let mut buf = Vec::new();
        for cmd in chunk {
            let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            resp(&args, &mut buf);
        }
        c.send_raw(&buf);
        for cmd in chunk {
            let r = c.read();
            assert!(!matches!(r, V::Error(_)), "{:?} -> {r:?}", String::from_utf8_lossy(&cmd[0]));
        }
    }
}

fn cmd(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

/// From the server log: how many segments writers serialized during the last BGSAVE.
fn segments_written_by_writers(s: &TestServer) -> u64 {
    let log = s.log();
    log.lines()
        .filter_map(|l| l.split("Background saving: ").nth(1))
        .last()
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no saving summary in the log:\n{log}"))
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Random writes of every kind to the keys of the initial dataset and to new ones.
fn random_writes(seed: u64, n: usize) -> Vec<Vec<Vec<u8>>> {
    let mut r = Lcg(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // Database 1's data lives in database 3 after the SWAPDB.
        let db = ["0", "3", "2"][r.next(3)];
        out.push(cmd(&["SELECT", db]));
        let i = r.next(30_000).to_string();
        let w = match (db, r.next(6)) {
            ("0", 0) => cmd(&["DEL", &format!("s:{i}")]),
            ("0", 1) => cmd(&["APPEND", &format!("s:{i}"), "-appended"]),
            ("0", 2) => cmd(&["INCR", &format!("n:{}", r.next(2000))]),
            ("0", _) => cmd(&["SET", &format!("s:{i}"), "overwritten"]),
            ("3", 0) => cmd(&["HSET", &format!("h:{}", r.next(2000)), "f1", "changed", "fnew", "x"]),
            ("3", 1) => cmd(&["SADD", &format!("set:{}", r.next(1000)), "added", "99999"]),
            ("3", 2) => cmd(&["ZADD", &format!("z:{}", r.next(1000)), "7.5", "m0", "1", "added"]),
            ("3", 3) => cmd(&["LPOP", &format!("l:{}", r.next(1000))]),
            ("3", 4) => cmd(&["DEL", "bighash", &format!("h:{}", r.next(2000))]),
            ("3", _) => cmd(&["RPUSH", &format!("l:{}", r.next(1000)), "pushed"]),
            (_, 0) => cmd(&["PERSIST", &format!("t:{}", r.next(5000))]),
            (_, 1) => cmd(&["PEXPIRE", &format!("t:{}", r.next(5000)), "50"]),
            (_, 2) => cmd(&["DEL", &format!("soon:{}", r.next(500))]),
            (_, _) => cmd(&["SET", &format!("new:{i}"), "x", "PX", "100000"]),
        };
        out.push(w);
    }
    out
}

#[test]
fn bgsave_under_heavy_random_writes_saves_exactly_the_start_state() {
    let s = TestServer::start(&["--save", "", "--hz", "100"]);
    let mut c = s.client();
    let mut model = Model::new();
    let mut setup = Vec::new();
    // db 0: strings (some integers) and counters.
    setup.push(cmd(&["SELECT", "0"]));
    for i in 0..30_000 {
        let v = if i % 7 == 0 { i.to_string() } else { format!("value-{i}-{}", "x".repeat(i % 50)) };
        setup.push(cmd(&["SET", &format!("s:{i}"), &v]));
        model.insert((0, format!("s:{i}").into_bytes()), (None, M::S(v.into_bytes())));
    }
    for i in 0..2000 {
        setup.push(cmd(&["SET", &format!("n:{i}"), "10"]));
        model.insert((0, format!("n:{i}").into_bytes()), (None, M::S(b"10".to_vec())));
    }
    // db 1: collections, small and large encodings.
    setup.push(cmd(&["SELECT", "1"]));
    for i in 0..2000 {
        setup.push(cmd(&["HSET", &format!("h:{i}"), "f1", "a", "f2", &i.to_string()]));
        let h = [(b"f1".to_vec(), b"a".to_vec()), (b"f2".to_vec(), i.to_string().into_bytes())].into_iter().collect();
        model.insert((1, format!("h:{i}").into_bytes()), (None, M::H(h)));
    }
    for i in 0..1000 {
        let members: Vec<String> = (0..5).map(|j| if i % 2 == 0 { (j * 3).to_string() } else { format!("m{j}") }).collect();
        let mut a = vec!["SADD".to_string(), format!("set:{i}")];
        a.extend(members.iter().cloned());
        setup.push(a.iter().map(|x| x.as_bytes().to_vec()).collect());
        model.insert((1, format!("set:{i}").into_bytes()), (None, M::Set(members.iter().map(|m| m.as_bytes().to_vec()).collect())));
        setup.push(cmd(&["ZADD", &format!("z:{i}"), "1.5", "m0", "-2", "m1"]));
        let z = [(b"m0".to_vec(), 1.5f64.to_bits()), (b"m1".to_vec(), (-2f64).to_bits())].into_iter().collect();
        model.insert((1, format!("z:{i}").into_bytes()), (None, M::Z(z)));
        setup.push(cmd(&["RPUSH", &format!("l:{i}"), "a", "b", &i.to_string()]));
        model.insert((1, format!("l:{i}").into_bytes()), (None, M::L(vec![b"a".to_vec(), b"b".to_vec(), i.to_string().into_bytes()])));
    }
    let mut big = vec!["HSET".to_string(), "bighash".into()];
    let mut bigm = BTreeMap::new();
    for j in 0..3000 {
        big.push(format!("field{j}"));
        big.push(format!("v{j}"));
        bigm.insert(format!("field{j}").into_bytes(), format!("v{j}").into_bytes());
    }
    setup.push(big.iter().map(|x| x.as_bytes().to_vec()).collect());
    model.insert((1, b"bighash".to_vec()), (None, M::H(bigm)));
    // db 2: keys with an exact expiry, keys that expired before the save, keys expiring soon.
    setup.push(cmd(&["SELECT", "2"]));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    for i in 0..5000 {
        let at = now + 3_600_000 + i;
        setup.push(cmd(&["SET", &format!("t:{i}"), "ttl", "PXAT", &at.to_string()]));
        model.insert((2, format!("t:{i}").into_bytes()), (Some(at), M::S(b"ttl".to_vec())));
    }
    for i in 0..300 {
        setup.push(cmd(&["SET", &format!("x:{i}"), "expired", "PX", "1"]));
    }
    for i in 0..500 {
        let at = now + 3_000 + i;
        setup.push(cmd(&["SET", &format!("soon:{i}"), "soon", "PXAT", &at.to_string()]));
        model.insert((2, format!("soon:{i}").into_bytes()), (Some(at), M::S(b"soon".to_vec())));
    }
    setup.push(cmd(&["SELECT", "0"]));
    pipeline(&mut c, &setup);
    std::thread::sleep(Duration::from_millis(50)); // the x:* keys are expired now

    // BGSAVE and, in the same pipeline, the first random writes: they run right after the
    // capture, before the snapshot thread gets far. Then a SWAPDB (database 1's segments, still
    // being saved, move to 3), and more writers on other connections.
    let mut first = vec![cmd(&["BGSAVE"])];
    first.extend(random_writes(1, 3000));
    first.push(cmd(&["SWAPDB", "1", "3"]));
    first.extend(random_writes(2, 3000));
    pipeline(&mut c, &first);
    let port = s.port;
    let writers: Vec<_> = (0..3)
        .map(|w| {
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                pipeline(&mut c, &random_writes(100 + w, 20_000));
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "persistence"]).text();
        if info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_saves:1") {
            let cow: u64 = info.lines().find_map(|l| l.strip_prefix("rdb_last_cow_size:")).unwrap().trim().parse().unwrap();
            assert!(cow > 0, "writers serialized or copied segments: {info}");
            break;
        }
        assert!(!info.contains("rdb_last_bgsave_status:err"), "{info}");
        assert!(start.elapsed() < Duration::from_secs(60), "BGSAVE did not finish: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let path = s.dir.path().join("dump.rdb");
    let got = read_rdb_full(&path);
    let missing: Vec<_> = model.keys().filter(|k| !got.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = got.keys().filter(|k| !model.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    for (k, v) in &model {
        assert_eq!(&got[k], v, "{k:?}");
    }
    let by_writers = segments_written_by_writers(&s);
    eprintln!("segments serialized by writers: {by_writers}");
    assert!(by_writers > 0, "writers must have serialized segments:\n{}", s.log());
    // Redis's loader and ours accept the repeated SELECTDBs: restart on the file.
    let dir = s.stop();
    let s = TestServer::start_in(dir, &["--save", ""]);
    let mut c = s.client();
    for db in 0..3u64 {
        c.cmd(&["SELECT", &db.to_string()]);
        let n = model.keys().filter(|(d, _)| *d == db).count() as i64;
        let soon = if db == 2 { 500 } else { 0 };
        let size = c.cmd(&["DBSIZE"]).int();
        assert!(size <= n && size >= n - soon, "db {db}: {size} keys, {n} saved");
    }
}

/// The AOF rewrite uses the same snapshots; with `aof-use-rdb-preamble no` writers serialize
/// segments as RESP commands. Base + incr must rebuild exactly the live dataset.
#[test]
fn aof_rewrite_resp_base_under_writes_restores_the_dataset() {
    let args = ["--save", "", "--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--enable-debug-command", "yes"];
    let s = TestServer::start(&args);
    let mut c = s.client();
    let mut setup = Vec::new();
    for db in ["0", "4"] {
        setup.push(cmd(&["SELECT", db]));
        for i in 0..15_000 {
            setup.push(cmd(&["SET", &format!("s:{i}"), &format!("v{i}")]));
            if i % 10 == 0 {
                setup.push(cmd(&["HSET", &format!("h:{i}"), "a", "1", "b", "2"]));
                setup.push(cmd(&["PEXPIREAT", &format!("s:{i}"), "4102444800000"]));
            }
        }
    }
    setup.push(cmd(&["SELECT", "0"]));
    pipeline(&mut c, &setup);
    let mut w = vec![cmd(&["BGREWRITEAOF"])];
    let mut r = Lcg(7);
    for _ in 0..20_000 {
        w.push(cmd(&["SELECT", ["0", "4"][r.next(2)]]));
        let i = r.next(15_000);
        w.push(match r.next(4) {
            0 => cmd(&["DEL", &format!("s:{i}")]),
            1 => cmd(&["HSET", &format!("h:{}", i - i % 10), "a", "changed"]),
            2 => cmd(&["SET", &format!("new:{i}"), "x"]),
            _ => cmd(&["APPEND", &format!("s:{i}"), "+"]),
        });
    }
    w.push(cmd(&["SELECT", "0"]));
    pipeline(&mut c, &w);
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "persistence"]).text();
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1") {
            assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
            let cow: u64 = info.lines().find_map(|l| l.strip_prefix("aof_last_cow_size:")).unwrap().trim().parse().unwrap();
            assert!(cow > 0, "writers serialized segments of the base: {info}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "rewrite did not finish: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let digest = c.cmd(&["DEBUG", "DIGEST"]);
    let dir = s.stop();
    let s = TestServer::start_in(dir, &args);
    assert_eq!(s.client().cmd(&["DEBUG", "DIGEST"]), digest);
}

/// Spilled values (`Value::Spilled`) in segments that writers serialize during a BGSAVE are read
/// back from their spill segment, as the snapshot thread reads them.
#[test]
fn bgsave_under_writes_saves_spilled_values() {
    let s = TestServer::start(&["--save", "", "--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"]);
    let mut c = s.client();
    let val = |i: usize| format!("{i}:{}", "abcdefghijklmnop".repeat(128 + i % 7)).into_bytes();
    let n = 3000;
    let setup: Vec<Vec<Vec<u8>>> = (0..n).map(|i| vec![b"SET".to_vec(), format!("k:{i}").into_bytes(), val(i)]).collect();
    pipeline(&mut c, &setup);
    let disk_keys: u64 = c
        .cmd(&["INFO", "spill"])
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("spill_disk_keys:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    assert!(disk_keys > 1000, "only {disk_keys} keys spilled");
    // BGSAVE, then overwrite and delete keys in every segment while it runs.
    let mut w = vec![cmd(&["BGSAVE"])];
    for i in (0..n).rev() {
        w.push(if i % 3 == 0 { cmd(&["DEL", &format!("k:{i}")]) } else { cmd(&["SET", &format!("k:{i}"), "new"]) });
    }
    pipeline(&mut c, &w);
    let start = Instant::now();
    loop {
        let info = c.cmd(&["INFO", "persistence"]).text();
        if info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_saves:1") {
            break;
        }
        assert!(!info.contains("rdb_last_bgsave_status:err"), "{info}");
        assert!(start.elapsed() < Duration::from_secs(60), "{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let by_writers = segments_written_by_writers(&s);
    eprintln!("segments serialized by writers: {by_writers}");
    assert!(by_writers > 0);
    let got = read_rdb_full(&s.dir.path().join("dump.rdb"));
    assert_eq!(got.len(), n);
    for i in 0..n {
        assert_eq!(got[&(0, format!("k:{i}").into_bytes())], (None, M::S(val(i))), "k:{i}");
    }
}
