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

fn freq(c: &mut Client, k: &str) -> i64 {
    c.cmd(&["OBJECT", "FREQ", k]).int()
}

/// LFU counters as Redis keeps them: with `lfu-log-factor 0` every access counts (the
/// logarithmic increment is then certain) and `lfu-decay-time 0` disables decay, so the
/// counter is deterministic.
#[test]
fn lfu_counter_counts_accesses() {
    let s = TestServer::start(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0", "--lfu-decay-time", "0"]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(freq(&mut c, "k"), 5, "LFU_INIT_VAL");
    for _ in 0..10 {
        c.cmd(&["GET", "k"]);
    }
    assert_eq!(freq(&mut c, "k"), 15);
    // Lookups that do not touch (Redis's LOOKUP_NOTOUCH): OBJECT, TYPE, EXISTS, TTL family.
    for cmd in [&["OBJECT", "ENCODING", "k"][..], &["TYPE", "k"], &["EXISTS", "k"], &["TTL", "k"], &["PTTL", "k"]] {
        c.cmd(cmd);
    }
    assert_eq!(freq(&mut c, "k"), 15);
    // Overwriting keeps the counter and counts as one access; a new value starts at 5.
    c.cmd(&["SET", "k", "w"]);
    assert_eq!(freq(&mut c, "k"), 16);
    c.cmd(&["SET", "n", "1"]);
    c.cmd(&["INCR", "n"]);
    assert_eq!(freq(&mut c, "n"), 6, "INCR is one access");
    c.cmd(&["APPEND", "n", "0"]);
    assert_eq!(freq(&mut c, "n"), 7);
    // RENAME keeps the object's counter; COPY makes a new object.
    assert_eq!(c.cmd(&["RENAME", "k", "k2"]), V::ok());
    assert_eq!(freq(&mut c, "k2"), 17);
    assert_eq!(c.cmd(&["COPY", "k2", "k3"]), int(1));
    assert_eq!(freq(&mut c, "k3"), 5);
    assert_eq!(freq(&mut c, "k2"), 18);
    // CLIENT NO-TOUCH: reads leave the counter alone, TOUCH still touches.
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "ON"]), V::ok());
    c.cmd(&["GET", "k2"]);
    assert_eq!(freq(&mut c, "k2"), 18);
    c.cmd(&["TOUCH", "k2"]);
    assert_eq!(freq(&mut c, "k2"), 19);
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "OFF"]), V::ok());
    // The counter saturates at 255.
    for _ in 0..300 {
        c.cmd(&["GET", "k3"]);
    }
    assert_eq!(freq(&mut c, "k3"), 255);
    // With the default log factor the counter grows logarithmically.
    assert_eq!(c.cmd(&["CONFIG", "SET", "lfu-log-factor", "10"]), V::ok());
    c.cmd(&["SET", "slow", "v"]);
    for _ in 0..100 {
        c.cmd(&["GET", "slow"]);
    }
    let f = freq(&mut c, "slow");
    assert!((7..=20).contains(&f), "{f}");
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "nokey"]), V::Nil);
}

#[test]
fn object_freq_and_idletime_follow_the_policy() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(
        c.cmd(&["OBJECT", "FREQ", "k"]),
        V::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(c.cmd(&["OBJECT", "IDLETIME", "k"]).int() >= 1);
    // OBJECT IDLETIME does not touch; GET does.
    assert!(c.cmd(&["OBJECT", "IDLETIME", "k"]).int() >= 1);
    c.cmd(&["GET", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "k"]), int(0));
    for p in ["volatile-lfu", "allkeys-lfu"] {
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", p]), V::ok());
        assert_eq!(
            c.cmd(&["OBJECT", "IDLETIME", "k"]),
            V::err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
        );
        // No conversion at the switch: the field is read as LFU data, whatever it holds.
        let f = c.cmd(&["OBJECT", "FREQ", "k"]).int();
        assert!((0..=255).contains(&f));
    }
    // Keys written under LFU start at LFU_INIT_VAL.
    c.cmd(&["SET", "new", "v"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "new"]), int(5));
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]), V::ok());
    assert!(c.cmd(&["OBJECT", "IDLETIME", "new"]).int() >= 0);
    c.cmd(&["GET", "new"]);
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "new"]), int(0));
}

#[test]
fn restore_idletime_and_freq() {
    let s = TestServer::start(&["--lfu-decay-time", "0"]);
    let mut c = s.client();
    c.cmd(&["SET", "src", "hello"]);
    let V::Bulk(payload) = c.cmd(&["DUMP", "src"]) else { panic!() };
    let p: &[u8] = &payload;
    let restore = |c: &mut Client, extra: &[&str]| {
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"dst", b"0", p, b"REPLACE"];
        args.extend(extra.iter().map(|a| a.as_bytes()));
        c.cmd_bytes(&args)
    };
    assert_eq!(restore(&mut c, &["IDLETIME", "-1"]), V::err("ERR Invalid IDLETIME value, must be >= 0"));
    assert_eq!(restore(&mut c, &["FREQ", "256"]), V::err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
    assert_eq!(restore(&mut c, &["FREQ", "-1"]), V::err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
    assert_eq!(restore(&mut c, &["IDLETIME", "x"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(restore(&mut c, &["IDLETIME", "10", "FREQ", "10"]), V::err("ERR syntax error"));
    assert_eq!(restore(&mut c, &["FREQ", "10", "IDLETIME", "10"]), V::err("ERR syntax error"));
    // LRU policy (the default noeviction included): IDLETIME applies, FREQ is ignored.
    assert_eq!(restore(&mut c, &["IDLETIME", "1000"]), V::ok());
    let idle = c.cmd(&["OBJECT", "IDLETIME", "dst"]).int();
    assert!((1000..=1002).contains(&idle), "{idle}");
    assert_eq!(restore(&mut c, &["IDLETIME", "10000000"]), V::ok());
    assert!(c.cmd(&["OBJECT", "IDLETIME", "dst"]).int() >= 10_000_000);
    // Past what the 32-bit, 10 ms clock holds (497 days): clamped, still very idle.
    assert_eq!(restore(&mut c, &["IDLETIME", "100000000"]), V::ok());
    assert!(c.cmd(&["OBJECT", "IDLETIME", "dst"]).int() >= 40_000_000);
    assert_eq!(restore(&mut c, &["FREQ", "100"]), V::ok());
    assert!(c.cmd(&["OBJECT", "IDLETIME", "dst"]).int() <= 1);
    // LFU policy: FREQ applies, IDLETIME is ignored (a new object's counter).
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"]), V::ok());
    assert_eq!(restore(&mut c, &["FREQ", "100"]), V::ok());
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "dst"]), int(100));
    assert_eq!(restore(&mut c, &["FREQ", "0"]), V::ok());
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "dst"]), int(0));
    assert_eq!(restore(&mut c, &["IDLETIME", "1000"]), V::ok());
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "dst"]), int(5));
    assert_eq!(c.cmd(&["GET", "dst"]), V::bulk("hello"));
}

/// The RDB file carries IDLE (LRU policies) and FREQ (LFU policies) per key, as Redis's
/// rdbSaveKeyValuePair writes them, and loading applies them.
#[test]
fn rdb_keeps_idle_time_and_lfu_counter() {
    let args = ["--maxmemory-policy", "allkeys-lru", "--lfu-decay-time", "0"];
    let s = TestServer::start(&args);
    let mut c = s.client();
    c.cmd(&["SET", "src", "hello"]);
    let V::Bulk(payload) = c.cmd(&["DUMP", "src"]) else { panic!() };
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"idle", b"0", &payload, b"IDLETIME", b"5000"]), V::ok());
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.stop();
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    let idle = c.cmd(&["OBJECT", "IDLETIME", "idle"]).int();
    assert!((5000..5100).contains(&idle), "{idle}");
    // Under LFU the counter is saved instead.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]), V::ok());
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"hot", b"0", &payload, b"FREQ", b"77"]), V::ok());
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.stop();
    let args = ["--maxmemory-policy", "allkeys-lfu", "--lfu-decay-time", "0"];
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "hot"]), int(77));
    // Every key gets a FREQ under LFU (`idle` holds LRU data read as LFU: no conversion).
    assert!((0..=255).contains(&c.cmd(&["OBJECT", "FREQ", "idle"]).int()));
}

/// Redis's keyspace.tcl "Regression for pattern matching long nested loops": KEYS with many
/// stars against a long key answers at once (no exponential backtracking).
#[test]
fn keys_pattern_with_nested_stars_is_fast() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", &"a".repeat(40), "1"]);
    // With exponential backtracking this would not finish for hours: the client's read timeout
    // fails the test instead of hanging the suite.
    assert_eq!(c.cmd(&["KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]), V::Array(vec![]));
}
