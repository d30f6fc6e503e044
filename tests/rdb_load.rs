//! Loading an RDB file at startup: the parallel loader (entries built and hashed in the decoder
//! thread, RESIZEDB pre-sizing) gives exactly the file's keyspace, and module values are refused
//! with an error that names the module.
mod common;
use common::*;

use std::time::{Duration, Instant};

use vk_storage::rdb::{consts, crc64, RdbValue, RdbWriter, WriteOptions};

fn s(v: &str) -> V {
    V::Bulk(v.as_bytes().to_vec())
}

#[test]
fn load_builds_the_files_keyspace() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("dump.rdb")).unwrap();
    let mut w = RdbWriter::new(std::io::BufWriter::new(f), WriteOptions::default()).unwrap();
    // db 0 with a RESIZEDB hint that lies (far more keys than the file holds): only a hint.
    w.select_db(0).unwrap();
    w.resize_db(1 << 40, 1 << 40).unwrap();
    for i in 0..5000 {
        w.key(format!("k:{i}").as_bytes(), None, &RdbValue::String(format!("v{i}").into_bytes())).unwrap();
    }
    w.key(b"expired", Some(1000), &RdbValue::String(b"x".to_vec())).unwrap();
    w.key(b"ttl", Some(4_102_444_800_000), &RdbValue::String(b"later".to_vec())).unwrap();
    w.key(b"list", None, &RdbValue::List((0..2000).map(|i| format!("element-{i}").into_bytes()).collect())).unwrap();
    w.key(b"zset", None, &RdbValue::SortedSet(vec![(b"b".to_vec(), 2.0), (b"a".to_vec(), 1.0)])).unwrap();
    w.key(b"empty-set", None, &RdbValue::Set(vec![])).unwrap();
    // db 3 after db 0, with a key of the same name.
    w.select_db(3).unwrap();
    w.resize_db(2, 0).unwrap();
    w.key(b"k:1", None, &RdbValue::String(b"db3".to_vec())).unwrap();
    w.key(b"h", None, &RdbValue::Hash(vec![(b"f".to_vec(), b"v".to_vec())])).unwrap();
    w.finish().unwrap();

    let srv = TestServer::start_in(dir, &[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(5003));
    assert_eq!(c.cmd(&["GET", "k:4999"]), s("v4999"));
    assert_eq!(c.cmd(&["GET", "k:1"]), s("v1"));
    assert_eq!(c.cmd(&["EXISTS", "expired", "empty-set"]), V::Int(0));
    assert_eq!(c.cmd(&["PEXPIRETIME", "ttl"]), V::Int(4_102_444_800_000));
    assert_eq!(c.cmd(&["LLEN", "list"]), V::Int(2000));
    assert_eq!(c.cmd(&["LINDEX", "list", "-1"]), s("element-1999"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "list"]), s("quicklist"));
    assert_eq!(c.cmd(&["ZRANGE", "zset", "0", "-1"]), V::Array(vec![s("a"), s("b")]));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "zset"]), s("listpack"));
    // Keys written after loading go to the same (pre-sized) tables and are found again.
    for i in 0..2000 {
        assert_eq!(c.cmd(&["SET", &format!("new:{i}"), "x"]), V::Simple("OK".into()));
    }
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(7003));
    assert_eq!(c.cmd(&["DEL", "k:0", "new:0"]), V::Int(2));
    assert_eq!(c.cmd(&["SELECT", "3"]), V::Simple("OK".into()));
    assert_eq!(c.cmd(&["GET", "k:1"]), s("db3"));
    assert_eq!(c.cmd(&["HGET", "h", "f"]), s("v"));
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(2));
}

fn module_id(name: &[u8; 9], encver: u64) -> u64 {
    let mut v = 0u64;
    for c in name {
        v = (v << 6) | consts::MODULE_ID_CHARSET.iter().position(|x| x == c).unwrap() as u64;
    }
    (v << 10) | encver
}

#[test]
fn module_values_are_refused_naming_the_module() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = b"REDIS0011".to_vec();
    f.extend_from_slice(&[consts::OPCODE_SELECTDB, 0]);
    f.extend_from_slice(&[consts::TYPE_STRING, 1, b'a', 1, b'1']);
    f.extend_from_slice(&[consts::TYPE_MODULE_2, 3, b'd', b'o', b'c', 0x81]);
    f.extend_from_slice(&module_id(b"ReJSON-RL", 3).to_be_bytes());
    f.extend_from_slice(&[5, 2, b'{', b'}', 0]); // STRING "{}", EOF
    f.push(consts::OPCODE_EOF);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    std::fs::write(dir.path().join("dump.rdb"), &f).unwrap();
    let log = dir.path().join("server.log");
    let mut child = std::process::Command::new(binary_path())
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir.path())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path().join("server.err")).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("vk-server kept running on a file with a module value");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let out = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(dir.path().join("server.err")).unwrap();
    assert!(out.contains("The RDB file contains module data I can't load: no matching module type 'ReJSON-RL'"), "{out}");
    assert!(out.contains("key 'doc'"), "{out}");
}
