//! Generic key commands through the real binary.
mod common;
use common::*;

fn int(i: i64) -> V {
    V::Int(i)
}

#[test]
fn rename_copy_move() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["RENAME", "nokey", "x"]), V::err("ERR no such key"));
    assert_eq!(c.cmd(&["RENAMENX", "nokey", "nokey"]), V::err("ERR no such key"));
    c.cmd(&["SET", "a", "1", "EX", "100"]);
    assert_eq!(c.cmd(&["RENAME", "a", "a"]), V::ok());
    assert_eq!(c.cmd(&["RENAMENX", "a", "a"]), int(0));
    assert_eq!(c.cmd(&["RENAME", "a", "b"]), V::ok());
    assert_eq!(c.cmd(&["TTL", "b"]), int(100));
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(c.cmd(&["RENAMENX", "b", "c"]), int(0));
    assert_eq!(c.cmd(&["COPY", "b", "b"]), V::err("ERR source and destination objects are the same"));
    assert_eq!(c.cmd(&["COPY", "b", "c"]), int(0));
    assert_eq!(c.cmd(&["COPY", "b", "c", "REPLACE"]), int(1));
    assert_eq!(c.cmd(&["TTL", "c"]), int(100));
    assert_eq!(c.cmd(&["COPY", "b", "x", "DB", "16"]), V::err("ERR DB index is out of range"));
    assert_eq!(c.cmd(&["COPY", "b", "x", "DB", "1"]), int(1));
    assert_eq!(c.cmd(&["MOVE", "b", "0"]), V::err("ERR source and destination objects are the same"));
    assert_eq!(c.cmd(&["MOVE", "b", "x"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(c.cmd(&["MOVE", "b", "1"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "1"]), V::ok());
    assert_eq!(c.cmd(&["MGET", "b", "x"]), V::Array(vec![V::bulk("1"), V::bulk("1")]));
    assert_eq!(c.cmd(&["TTL", "b"]), int(100));
    assert_eq!(c.cmd(&["MOVE", "b", "0"]), int(1));
}

#[test]
fn keys_scan_randomkey() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SCAN", "0"]), V::Array(vec![V::bulk("0"), V::Array(vec![])]));
    assert_eq!(c.cmd(&["RANDOMKEY"]), V::Nil);
    for i in 0..300 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let keys = c.cmd(&["KEYS", "k1?"]);
    assert_eq!(keys.array().len(), 10);
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    loop {
        let r = c.cmd(&["SCAN", &cursor, "MATCH", "k*", "COUNT", "20"]);
        let parts = r.array().to_vec();
        cursor = parts[0].text();
        for k in parts[1].array() {
            seen.insert(k.text());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    assert_eq!(c.cmd(&["SCAN", "x"]), V::err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "0"]), V::err("ERR syntax error"));
    assert!(matches!(c.cmd(&["RANDOMKEY"]), V::Bulk(_)));
    assert_eq!(c.cmd(&["TOUCH", "k1", "k2", "nokey"]), int(2));
}

#[test]
fn object_subcommands() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "n", "100"]);
    c.cmd(&["SET", "s", "hello"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "n"]), V::bulk("int"));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "n"]), int(2147483647));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "s"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "s"]), int(0));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "nokey"]), V::Nil);
    assert!(c.cmd(&["OBJECT", "FREQ", "s"]).text().starts_with("ERR An LFU maxmemory policy is not selected"));
    assert_eq!(c.cmd(&["OBJECT", "FOO"]), V::err("ERR unknown subcommand 'FOO'. Try OBJECT HELP."));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING"]), V::err("ERR wrong number of arguments for 'object|encoding' command"));
    let help = c.cmd(&["OBJECT", "HELP"]);
    assert_eq!(help.array()[0], V::Simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()));
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    assert!(c.cmd(&["OBJECT", "IDLETIME", "s"]).text().starts_with("ERR An LFU maxmemory policy is selected"));
    assert!(matches!(c.cmd(&["OBJECT", "FREQ", "s"]), V::Int(_)));
}

#[test]
fn expire_ttl_persist() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "FOO"]), V::err("ERR Unsupported option FOO"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "x", "FOO"]), V::err("ERR Unsupported option FOO"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX", "XX"]), V::err("ERR NX and XX, GT or LT options at the same time are not compatible"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT", "LT"]), V::err("ERR GT and LT options at the same time are not compatible"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "9223372036854775807"]), V::err("ERR invalid expire time in 'expire' command"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "LT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "200", "LT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "200", "GT"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(200));
    assert_eq!(c.cmd(&["PEXPIREAT", "k", "33177117420500"]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(33177117421));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(33177117420500));
    assert_eq!(c.cmd(&["PERSIST", "k"]), int(1));
    assert_eq!(c.cmd(&["PERSIST", "k"]), int(0));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(-1));
    assert_eq!(c.cmd(&["TTL", "nokey"]), int(-2));
    assert_eq!(c.cmd(&["EXPIRE", "k", "-1"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    c.cmd(&["SET", "p", "v", "PX", "30"]);
    std::thread::sleep(std::time::Duration::from_millis(60));
    assert_eq!(c.cmd(&["GET", "p"]), V::Nil);
}

#[test]
fn sort_errors_without_collections() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SORT", "nokey"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["SORT", "nokey", "STORE", "d"]), int(0));
    assert_eq!(c.cmd(&["SORT", "nokey", "LIMIT", "x", "1"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(c.cmd(&["SORT", "nokey", "FOO"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["SORT_RO", "nokey", "STORE", "d"]), V::err("ERR syntax error"));
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(c.cmd(&["SORT", "s"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

/// Redis's keyspace.tcl "Regression for pattern matching long nested loops": KEYS with many
/// stars against a long key answers at once (no exponential backtracking).
#[test]
fn keys_pattern_with_nested_stars_is_fast() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", &"a".repeat(40), "1"]);
    let t = std::time::Instant::now();
    assert_eq!(c.cmd(&["KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]), V::Array(vec![]));
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
}
