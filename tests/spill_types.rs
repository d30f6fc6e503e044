//! The spill tier with every collection type (issue 8): hashes, sets, sorted sets, lists and
//! streams (with consumer groups) in both their small (listpack/intset) and big encodings are
//! moved to disk, then read and modified by their commands, survive restarts with AOF and with
//! RDB, and DUMP/RESTORE of a spilled value works.
//!
//! The oracle is a second server without `maxmemory` running the very same commands: every
//! reply, and the final content and OBJECT ENCODING of every key, must be identical.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::time::Duration;

/// Spill on, a small memory target, and sampling that sees every key (the coldest is found
/// deterministically).
const SPILL: &[&str] = &["--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024", "--maxmemory-samples", "100000"];

/// The collection keys under test with their types.
const KEYS: &[(&str, &str)] = &[
    ("h:big", "hash"),
    ("h:small", "hash"),
    ("s:big", "set"),
    ("s:int", "set"),
    ("s:small", "set"),
    ("z:big", "zset"),
    ("z:small", "zset"),
    ("l:big", "list"),
    ("x:s", "stream"),
];

fn item(tag: &str, i: usize) -> String {
    format!("{tag}-{i:05}-{}", "abcdefghij".repeat(4))
}

/// Sends a command, asserting it is not an error; returns the reply.
fn ok(c: &mut Client, args: &[&str]) -> V {
    let r = c.cmd(args);
    assert!(!matches!(r, V::Error(_)), "{args:?} -> {r:?}");
    r
}

fn many(c: &mut Client, head: &[&str], items: &[String]) {
    for chunk in items.chunks(200) {
        let mut argv: Vec<&str> = head.to_vec();
        argv.extend(chunk.iter().map(|s| s.as_str()));
        ok(c, &argv);
    }
}

fn populate(c: &mut Client) {
    let pairs = |tag: &str, n: usize| -> Vec<String> { (0..n).flat_map(|i| [format!("f{i}"), item(tag, i)]).collect() };
    many(c, &["HSET", "h:big"], &pairs("hv", 1000));
    many(c, &["HSET", "h:small"], &pairs("hs", 100));
    many(c, &["SADD", "s:big"], &(0..1000).map(|i| item("sm", i)).collect::<Vec<_>>());
    many(c, &["SADD", "s:int"], &(0..500).map(|i| (i * 7919).to_string()).collect::<Vec<_>>());
    many(c, &["SADD", "s:small"], &(0..100).map(|i| item("ss", i)).collect::<Vec<_>>());
    let scored = |tag: &str, n: usize| -> Vec<String> { (0..n).flat_map(|i| [format!("{}.5", i * 3), item(tag, i)]).collect() };
    many(c, &["ZADD", "z:big"], &scored("zm", 1000));
    many(c, &["ZADD", "z:small"], &scored("zs", 100));
    many(c, &["RPUSH", "l:big"], &(0..2000).map(|i| item("li", i)).collect::<Vec<_>>());
    for i in 1..=300 {
        let id = format!("1000-{i}");
        ok(c, &["XADD", "x:s", &id, "field", &item("xv", i), "n", &i.to_string()]);
    }
    ok(c, &["XGROUP", "CREATE", "x:s", "g", "0"]);
    ok(c, &["XGROUP", "CREATE", "x:s", "g2", "1000-100"]);
    ok(c, &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "x:s", ">"]);
    ok(c, &["XREADGROUP", "GROUP", "g2", "bob", "COUNT", "3", "STREAMS", "x:s", ">"]);
    ok(c, &["XACK", "x:s", "g", "1000-2"]);
}

/// Sorted pairs of a flat field/value array (hashtable order is arbitrary, in Redis too).
fn sorted_pairs(v: &V) -> V {
    let a = v.array();
    let mut pairs: Vec<(V, V)> = a.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    pairs.sort_by_key(|p| format!("{:?}", p.0));
    V::Array(pairs.into_iter().flat_map(|(a, b)| [a, b]).collect())
}

fn sorted(v: &V) -> V {
    let mut a = v.array().to_vec();
    a.sort_by_key(|x| format!("{x:?}"));
    V::Array(a)
}

/// Everything observable about one key: type, encoding, TTL and full content. Reading it loads
/// a spilled value back into memory.
fn capture_key(c: &mut Client, key: &str) -> Vec<V> {
    let t = c.cmd(&["TYPE", key]).text();
    let enc = c.cmd(&["OBJECT", "ENCODING", key]);
    let mut out = vec![V::Simple(t.clone()), enc.clone(), c.cmd(&["TTL", key])];
    let hashtable = enc.text() == "hashtable";
    match t.as_str() {
        "hash" => {
            let all = c.cmd(&["HGETALL", key]);
            out.push(if hashtable { sorted_pairs(&all) } else { all });
            out.push(c.cmd(&["HLEN", key]));
        }
        "set" => {
            let all = c.cmd(&["SMEMBERS", key]);
            out.push(if hashtable { sorted(&all) } else { all });
            out.push(c.cmd(&["SCARD", key]));
        }
        "zset" => {
            out.push(c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]));
            out.push(c.cmd(&["ZCARD", key]));
        }
        "list" => {
            out.push(c.cmd(&["LRANGE", key, "0", "-1"]));
            out.push(c.cmd(&["LLEN", key]));
        }
        "stream" => {
            out.push(c.cmd(&["XRANGE", key, "-", "+"]));
            out.push(c.cmd(&["XLEN", key]));
            // XINFO STREAM without FULL: length, ids, entries-added, groups count, first/last.
            out.push(c.cmd(&["XINFO", "STREAM", key]));
            out.push(c.cmd(&["XINFO", "GROUPS", key]));
            for g in ["g", "g2"] {
                out.push(c.cmd(&["XPENDING", key, g]));
                // Consumers without their (time-dependent) idle fields.
                let consumers = c.cmd(&["XINFO", "CONSUMERS", key, g]);
                if let V::Array(cs) = consumers {
                    for cons in cs {
                        let f = cons.array();
                        out.push(f[1].clone());
                        out.push(f[3].clone());
                    }
                } else {
                    out.push(consumers);
                }
            }
        }
        _ => {}
    }
    out
}

fn capture(c: &mut Client) -> BTreeMap<String, Vec<V>> {
    KEYS.iter().map(|(k, _)| (k.to_string(), capture_key(c, k))).collect()
}

fn info_u64(c: &mut Client, name: &str) -> u64 {
    let text = c.cmd(&["INFO", "spill"]).text();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or_else(|| panic!("no {name}:\n{text}")).trim().parse().unwrap()
}

/// A spilled key's in-memory footprint is its small disk reference: MEMORY USAGE (which does
/// not load the value) tells spilled keys apart without touching them.
fn is_spilled(c: &mut Client, key: &str) -> bool {
    c.cmd(&["MEMORY", "USAGE", key]).int() < 1024
}

/// Writes filler values until every one of `keys` is on disk.
struct Pusher {
    next: usize,
}

impl Pusher {
    fn push_out(&mut self, c: &mut Client, keys: &[&str]) {
        // The LRU clock has a one-second resolution: make the fillers strictly newer.
        std::thread::sleep(Duration::from_millis(1100));
        let filler = "F".repeat(16 * 1024);
        for round in 0..400 {
            if keys.iter().all(|k| is_spilled(c, k)) {
                return;
            }
            for _ in 0..10 {
                let k = format!("filler:{}", self.next);
                self.next += 1;
                assert_eq!(c.cmd(&["SET", &k, &filler]), V::ok());
            }
            let _ = round;
        }
        let state: Vec<(String, bool)> = keys.iter().map(|k| (k.to_string(), is_spilled(c, k))).collect();
        panic!("keys not spilled after 4000 fillers: {state:?}");
    }
}

fn all_keys() -> Vec<&'static str> {
    KEYS.iter().map(|(k, _)| *k).collect()
}

/// Modifications, each on a freshly spilled key; returns every reply.
fn modify(c: &mut Client, mut spill: impl FnMut(&mut Client, &[&str])) -> Vec<V> {
    let mut r = Vec::new();
    let steps: Vec<(&str, Vec<Vec<String>>)> = vec![
        ("h:big", vec![vec!["HSET".into(), "h:big".into(), "f1".into(), "changed".into(), "new-field".into(), "nv".into()], vec!["HGET".into(), "h:big".into(), "f1".into()], vec!["HDEL".into(), "h:big".into(), "f2".into()]]),
        ("h:small", vec![vec!["HSET".into(), "h:small".into(), "f3".into(), "x".into()], vec!["HINCRBY".into(), "h:small".into(), "counter".into(), "5".into()]]),
        ("s:big", vec![vec!["SADD".into(), "s:big".into(), "brand-new".into(), item("sm", 3)], vec!["SREM".into(), "s:big".into(), item("sm", 4)], vec!["SISMEMBER".into(), "s:big".into(), "brand-new".into()]]),
        ("s:int", vec![vec!["SADD".into(), "s:int".into(), "-5".into()], vec!["SISMEMBER".into(), "s:int".into(), "7919".into()]]),
        ("s:small", vec![vec!["SADD".into(), "s:small".into(), "zzz".into()], vec!["SCARD".into(), "s:small".into()]]),
        ("z:big", vec![vec!["ZADD".into(), "z:big".into(), "-1".into(), "lowest".into(), "2.5".into(), item("zm", 999)], vec!["ZRANGE".into(), "z:big".into(), "0".into(), "2".into(), "WITHSCORES".into()], vec!["ZINCRBY".into(), "z:big".into(), "10".into(), item("zm", 5)]]),
        ("z:small", vec![vec!["ZADD".into(), "z:small".into(), "1000".into(), "top".into()], vec!["ZRANK".into(), "z:small".into(), "top".into()]]),
        ("l:big", vec![vec!["LPUSH".into(), "l:big".into(), "head".into()], vec!["RPOP".into(), "l:big".into()], vec!["LINDEX".into(), "l:big".into(), "1000".into()], vec!["LSET".into(), "l:big".into(), "5".into(), "five".into()]]),
        (
            "x:s",
            vec![
                vec!["XADD".into(), "x:s".into(), "2000-1".into(), "field".into(), "late".into()],
                vec!["XREADGROUP".into(), "GROUP".into(), "g".into(), "carol".into(), "COUNT".into(), "5".into(), "STREAMS".into(), "x:s".into(), ">".into()],
                vec!["XACK".into(), "x:s".into(), "g".into(), "1000-1".into(), "1000-3".into()],
                vec!["XPENDING".into(), "x:s".into(), "g".into()],
                vec!["XDEL".into(), "x:s".into(), "1000-200".into()],
                vec!["XRANGE".into(), "x:s".into(), "1000-198".into(), "1000-202".into()],
            ],
        ),
    ];
    for (key, cmds) in steps {
        for (i, cmd) in cmds.iter().enumerate() {
            if i == 0 {
                spill(c, &[key]);
            }
            let argv: Vec<&str> = cmd.iter().map(|s| s.as_str()).collect();
            r.push(c.cmd(&argv));
        }
    }
    r
}

/// The reference: the same commands on a server without memory pressure.
fn reference() -> (Vec<V>, BTreeMap<String, Vec<V>>) {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    populate(&mut c);
    let replies = modify(&mut c, |_, _| {});
    (replies, capture(&mut c))
}

#[test]
fn every_type_reads_and_modifies_after_spill() {
    let (want_replies, want) = reference();
    let s = TestServer::start(SPILL);
    let mut c = s.client();
    populate(&mut c);
    let before = capture(&mut c);
    let shown = format!("{before:?}");
    assert!(!shown.contains("Error("), "{shown}");
    assert_eq!(before["x:s"][1], V::bulk("stream"));
    for (k, enc) in [("h:big", "hashtable"), ("h:small", "listpack"), ("s:big", "hashtable"), ("s:int", "intset"), ("s:small", "listpack"), ("z:big", "skiplist"), ("z:small", "listpack"), ("l:big", "quicklist")] {
        assert_eq!(before[k][1], V::bulk(enc), "{k}");
    }
    let mut p = Pusher { next: 0 };
    p.push_out(&mut c, &all_keys());
    // Metadata answers without loading.
    let loads = info_u64(&mut c, "spill_loaded_values");
    for (k, t) in KEYS {
        assert_eq!(c.cmd(&["TYPE", k]), V::Simple(t.to_string()));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", k]), before[*k][1], "{k}");
    }
    assert_eq!(info_u64(&mut c, "spill_loaded_values"), loads);
    // Every key reads back as it was, each one from disk.
    for (k, _) in KEYS {
        assert!(is_spilled(&mut c, k), "{k}");
        assert_eq!(capture_key(&mut c, k), before[*k], "{k} after spill");
    }
    assert!(info_u64(&mut c, "spill_loaded_values") >= loads + KEYS.len() as u64);
    // Modifying commands on spilled keys behave as on in-memory ones.
    let replies = modify(&mut c, |c, keys| p.push_out(c, keys));
    assert_eq!(replies, want_replies);
    p.push_out(&mut c, &all_keys());
    assert_eq!(capture(&mut c), want);
}

fn wait_rewrite(c: &mut Client) {
    for _ in 0..300 {
        let text = c.cmd(&["INFO", "persistence"]).text();
        if text.contains("aof_rewrite_in_progress:0") && text.contains("aof_rewrite_scheduled:0") {
            assert!(text.contains("aof_last_bgrewrite_status:ok"), "{text}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("AOF rewrite did not finish");
}

#[test]
fn spilled_collections_survive_restart_with_aof() {
    let (_, want) = reference();
    let mut args = SPILL.to_vec();
    args.extend(["--appendonly", "yes", "--appendfsync", "always"]);
    let s = TestServer::start(&args);
    let mut c = s.client();
    populate(&mut c);
    let mut p = Pusher { next: 0 };
    // Part of the changes before the rewrite (in the new base, read from the segments)...
    p.push_out(&mut c, &all_keys());
    ok(&mut c, &["BGREWRITEAOF"]);
    wait_rewrite(&mut c);
    // ... and the rest after it (in the incr file), all on spilled keys.
    modify(&mut c, |c, keys| p.push_out(c, keys));
    p.push_out(&mut c, &all_keys());
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    assert_eq!(capture(&mut c), want);
    // And once more with every value spilled again after the restart.
    let mut p = Pusher { next: 100_000 };
    p.push_out(&mut c, &all_keys());
    assert_eq!(capture(&mut c), want);
}

#[test]
fn spilled_collections_survive_restart_with_rdb() {
    let (_, want) = reference();
    let s = TestServer::start(SPILL);
    let mut c = s.client();
    populate(&mut c);
    let mut p = Pusher { next: 0 };
    modify(&mut c, |c, keys| p.push_out(c, keys));
    // The snapshot reads every collection from the segments.
    p.push_out(&mut c, &all_keys());
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.kill9();
    let s = TestServer::start_in(dir, SPILL);
    let mut c = s.client();
    assert_eq!(capture(&mut c), want);
    let mut p = Pusher { next: 100_000 };
    p.push_out(&mut c, &all_keys());
    assert_eq!(capture(&mut c), want);
    // BGSAVE of spilled values too.
    p.push_out(&mut c, &all_keys());
    ok(&mut c, &["BGSAVE"]);
    for _ in 0..300 {
        if c.cmd(&["INFO", "persistence"]).text().contains("rdb_bgsave_in_progress:0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &[]);
    let mut c = s.client();
    assert_eq!(capture(&mut c), want);
}

#[test]
fn dump_restore_of_spilled_collections() {
    let s = TestServer::start(SPILL);
    let mut c = s.client();
    populate(&mut c);
    let before = capture(&mut c);
    let mut p = Pusher { next: 0 };
    p.push_out(&mut c, &all_keys());
    let mut payloads = BTreeMap::new();
    for (k, _) in KEYS {
        assert!(is_spilled(&mut c, k), "{k}");
        let d = c.cmd(&["DUMP", k]);
        let V::Bulk(payload) = d else { panic!("DUMP {k}: {d:?}") };
        payloads.insert(k.to_string(), payload);
    }
    // Restored copies equal the originals (content and encoding).
    for (k, _) in KEYS {
        let copy = format!("{k}:copy");
        assert_eq!(c.cmd_bytes(&[b"RESTORE", copy.as_bytes(), b"0", &payloads[*k]]), V::ok());
        assert_eq!(capture_key(&mut c, &copy), before[*k], "{copy}");
    }
    // The copies spill and read back too; RESTORE REPLACE over a spilled key.
    let copies: Vec<String> = KEYS.iter().map(|(k, _)| format!("{k}:copy")).collect();
    let refs: Vec<&str> = copies.iter().map(|s| s.as_str()).collect();
    p.push_out(&mut c, &refs);
    for (k, _) in KEYS {
        assert_eq!(capture_key(&mut c, &format!("{k}:copy")), before[*k]);
    }
    p.push_out(&mut c, &["h:big"]);
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"h:big", b"0", &payloads["z:small"]]), V::err("BUSYKEY Target key name already exists."));
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"h:big", b"0", &payloads["z:small"], b"REPLACE"]), V::ok());
    let mut got = capture_key(&mut c, "h:big");
    got.truncate(2);
    assert_eq!(got, before["z:small"][..2].to_vec());
    assert_eq!(c.cmd(&["ZRANGE", "h:big", "0", "-1", "WITHSCORES"]), before["z:small"][3]);
    // A payload from a spilled value loads in a server that never spilled anything.
    let plain = TestServer::start(&[]);
    let mut pc = plain.client();
    for (k, _) in KEYS {
        assert_eq!(pc.cmd_bytes(&[b"RESTORE", k.as_bytes(), b"0", &payloads[*k]]), V::ok());
        assert_eq!(capture_key(&mut pc, k), before[*k], "{k} in a plain server");
    }
}
