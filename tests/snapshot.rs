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
