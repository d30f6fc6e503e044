//! Stream integration tests against the real binary: replies, blocking XREAD/XREADGROUP with
//! several clients, and persistence of streams with consumer groups across SAVE + restart.
mod common;
use common::*;

use std::time::{Duration, Instant};

fn xadd(c: &mut Client, key: &str, id: &str, f: &str, v: &str) -> V {
    c.cmd(&["XADD", key, id, f, v])
}

fn entry(id: &str, kv: &[&str]) -> V {
    V::Array(vec![V::bulk(id), V::bulks(kv)])
}

#[test]
fn basic_replies_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(xadd(&mut c, "s", "1-1", "a", "1"), V::bulk("1-1"));
    assert_eq!(xadd(&mut c, "s", "1-*", "b", "2"), V::bulk("1-2"));
    assert_eq!(xadd(&mut c, "s", "1", "c", "3"), V::err("ERR The ID specified in XADD is equal or smaller than the target stream top item"));
    assert_eq!(xadd(&mut c, "s", "0-0", "c", "3"), V::err("ERR The ID specified in XADD must be greater than 0-0"));
    assert_eq!(xadd(&mut c, "s", "x", "c", "3"), V::err("ERR Invalid stream ID specified as stream command argument"));
    assert_eq!(c.cmd(&["XADD", "s", "5-0", "a"]), V::err("ERR wrong number of arguments for 'xadd' command"));
    assert_eq!(c.cmd(&["XLEN", "s"]), V::Int(2));
    assert_eq!(c.cmd(&["XRANGE", "s", "(1-1", "+"]), V::Array(vec![entry("1-2", &["b", "2"])]));
    assert_eq!(c.cmd(&["XREVRANGE", "s", "+", "-", "COUNT", "1"]), V::Array(vec![entry("1-2", &["b", "2"])]));
    assert_eq!(c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "0"]), V::NilArray);
    assert_eq!(c.cmd(&["TYPE", "s"]), V::Simple("stream".into()));
    // Auto IDs are increasing and at least the current time.
    let id = c.cmd(&["XADD", "s", "*", "f", "v"]).text();
    let ms: u64 = id.split('-').next().unwrap().parse().unwrap();
    assert!(ms > 1_600_000_000_000);
    assert_eq!(c.cmd(&["XADD", "nokey", "NOMKSTREAM", "*", "f", "v"]), V::Nil);
    assert_eq!(c.cmd(&["EXISTS", "nokey"]), V::Int(0));
    // Consumer groups.
    assert_eq!(c.cmd(&["XGROUP", "CREATE", "s", "g", "0"]), V::ok());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", "s", "g", "0"]), V::err("BUSYGROUP Consumer Group name already exists"));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"]),
        V::err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option")
    );
    let r = c.cmd(&["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"]);
    assert_eq!(r, V::Array(vec![V::Array(vec![V::bulk("s"), V::Array(vec![entry("1-1", &["a", "1"])])])]));
    assert_eq!(c.cmd(&["XACK", "s", "g", "1-1", "1-1"]), V::Int(1));
}

#[test]
fn blocking_xread_wakes_in_arrival_order() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    xadd(&mut c, "s", "1-0", "f", "old");
    let mut r1 = s.client();
    let mut r2 = s.client();
    r1.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
    std::thread::sleep(Duration::from_millis(100));
    r2.send(&[b"XREAD", b"BLOCK", b"5000", b"COUNT", b"10", b"STREAMS", b"s", b"$"]);
    std::thread::sleep(Duration::from_millis(100));
    // A client not blocked is served at once; the blocked ones only see newer entries.
    xadd(&mut c, "s", "2-0", "f", "new");
    let want = V::Array(vec![V::Array(vec![V::bulk("s"), V::Array(vec![entry("2-0", &["f", "new"])])])]);
    assert_eq!(r1.read(), want);
    assert_eq!(r2.read(), want);
    // Timeout: null array.
    let start = Instant::now();
    assert_eq!(r1.cmd(&["XREAD", "BLOCK", "200", "STREAMS", "s", "$"]), V::NilArray);
    assert!(start.elapsed() >= Duration::from_millis(190));
    // Several streams: woken by any of them.
    r1.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"a", b"s", b"$", b"$"]);
    std::thread::sleep(Duration::from_millis(100));
    xadd(&mut c, "a", "5-0", "x", "y");
    assert_eq!(r1.read(), V::Array(vec![V::Array(vec![V::bulk("a"), V::Array(vec![entry("5-0", &["x", "y"])])])]));
}

#[test]
fn blocking_xreadgroup_one_entry_per_consumer() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]), V::ok());
    let mut readers: Vec<Client> = (0..3).map(|_| s.client()).collect();
    for (i, r) in readers.iter_mut().enumerate() {
        let name = format!("c{i}");
        r.send(&[b"XREADGROUP", b"GROUP", b"g", name.as_bytes(), b"COUNT", b"1", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    // One XADD wakes only the first waiter (arrival order); the others keep waiting.
    xadd(&mut c, "s", "1-0", "n", "1");
    let got = readers[0].read();
    assert_eq!(got, V::Array(vec![V::Array(vec![V::bulk("s"), V::Array(vec![entry("1-0", &["n", "1"])])])]));
    // A transaction-like burst: two more entries serve the next two waiters in order.
    xadd(&mut c, "s", "2-0", "n", "2");
    xadd(&mut c, "s", "3-0", "n", "3");
    let r1 = readers[1].read();
    let r2 = readers[2].read();
    assert_eq!(r1, V::Array(vec![V::Array(vec![V::bulk("s"), V::Array(vec![entry("2-0", &["n", "2"])])])]));
    assert_eq!(r2, V::Array(vec![V::Array(vec![V::bulk("s"), V::Array(vec![entry("3-0", &["n", "3"])])])]));
    let p = c.cmd(&["XPENDING", "s", "g"]);
    assert_eq!(p.array()[0], V::Int(3));
}

#[test]
fn blocked_xreadgroup_errors_when_group_or_key_goes_away() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let mut r = s.client();
    r.send(&[b"XREADGROUP", b"GROUP", b"g", b"alice", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", "s", "g"]), V::Int(1));
    assert_eq!(r.read(), V::err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"));

    c.cmd(&["XGROUP", "CREATE", "s", "g", "$"]);
    r.send(&[b"XREADGROUP", b"GROUP", b"g", b"alice", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["DEL", "s"]), V::Int(1));
    assert_eq!(r.read(), V::err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"));

    c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    r.send(&[b"XREADGROUP", b"GROUP", b"g", b"alice", b"BLOCK", b"0", b"STREAMS", b"s", b">"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["SET", "s", "x"]), V::ok());
    assert_eq!(r.read(), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));

    // Timeout of a blocked XREADGROUP.
    c.cmd(&["DEL", "s"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    assert_eq!(r.cmd(&["XREADGROUP", "GROUP", "g", "a", "BLOCK", "100", "STREAMS", "s", ">"]), V::NilArray);
}

#[test]
fn resp3_xread_is_a_map() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    xadd(&mut c, "s", "1-0", "f", "v");
    let r = c.cmd(&["XREAD", "STREAMS", "s", "0"]);
    assert_eq!(r, V::Map(vec![(V::bulk("s"), V::Array(vec![entry("1-0", &["f", "v"])]))]));
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "1-0"]), V::Nil);
}

/// Removes the node-layout counters from XINFO STREAM (RESP2 flat arrays): Redis keeps the
/// listpacks of the file, we rebuild nodes from the live entries (deleted entries are not in the
/// file), so `radix-tree-keys`/`radix-tree-nodes` may differ after a reload of a stream that had
/// deletions.
fn strip_layout(v: &V) -> V {
    match v {
        V::Array(items) => {
            let mut out = Vec::new();
            let mut i = 0;
            while i < items.len() {
                let k = &items[i];
                if matches!(k, V::Bulk(b) if b == b"radix-tree-keys" || b == b"radix-tree-nodes") {
                    i += 2;
                    continue;
                }
                out.push(strip_layout(k));
                i += 1;
            }
            V::Array(out)
        }
        other => other.clone(),
    }
}

#[test]
fn groups_and_pel_survive_save_and_restart() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for i in 1..=300 {
        let id = format!("{i}-0");
        let v = format!("v{i}");
        c.cmd(&["XADD", "s", &id, "f", &v, "g", "x"]);
    }
    c.cmd(&["XADD", "s", "301-0", "other", "fields"]);
    c.cmd(&["XDEL", "s", "5-0", "150-0"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g1", "0"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g2", "100-0", "ENTRIESREAD", "99"]);
    c.cmd(&["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "20", "STREAMS", "s", ">"]);
    c.cmd(&["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "s", ">"]);
    c.cmd(&["XREADGROUP", "GROUP", "g2", "carol", "NOACK", "COUNT", "3", "STREAMS", "s", ">"]);
    c.cmd(&["XACK", "s", "g1", "1-0", "2-0"]);
    c.cmd(&["XCLAIM", "s", "g1", "dave", "0", "3-0", "RETRYCOUNT", "9"]);
    c.cmd(&["XGROUP", "CREATECONSUMER", "s", "g2", "idle"]);
    c.cmd(&["XSETID", "s", "400-0", "ENTRIESADDED", "500", "MAXDELETEDID", "300-5"]);
    let info_before = c.cmd(&["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]);
    let groups_before = c.cmd(&["XINFO", "GROUPS", "s"]);
    let pending_before = c.cmd(&["XPENDING", "s", "g1", "-", "+", "100"]);
    let range_before = c.cmd(&["XRANGE", "s", "-", "+"]);
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.stop();
    let s2 = TestServer::start_in(dir, &[]);
    let mut c2 = s2.client();
    assert_eq!(c2.cmd(&["XRANGE", "s", "-", "+"]), range_before);
    assert_eq!(c2.cmd(&["XINFO", "GROUPS", "s"]), groups_before);
    let info_after = c2.cmd(&["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]);
    // Delivery, seen and active times are absolute and saved: everything but the node layout
    // counters must be identical.
    assert_eq!(strip_layout(&info_after), strip_layout(&info_before));
    // XPENDING idle times move with the clock; ids, owners and counts must match.
    let norm = |v: &V| -> Vec<(String, String, i64)> {
        v.array().iter().map(|e| {
            let a = e.array();
            (a[0].text(), a[1].text(), a[3].int())
        }).collect()
    };
    assert_eq!(norm(&c2.cmd(&["XPENDING", "s", "g1", "-", "+", "100"])), norm(&pending_before));
    // The restored group keeps working: new deliveries continue after the last delivered ID.
    let r = c2.cmd(&["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "s", ">"]);
    assert_eq!(r.array()[0].array()[1].array()[0].array()[0], V::bulk("27-0"));
}

#[test]
fn approximate_trim_keeps_whole_nodes() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for i in 1..=1000 {
        let id = format!("{i}-0");
        c.cmd(&["XADD", "s", &id, "f", "v"]);
    }
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~", "555"]), V::Int(400));
    assert_eq!(c.cmd(&["XLEN", "s"]), V::Int(600));
    let info = c.cmd(&["XINFO", "STREAM", "s"]);
    let a = info.array();
    assert_eq!(a[3], V::Int(6)); // radix-tree-keys
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "555"]), V::Int(45));
}

/// Redis's stream.tcl "XREAD: XADD + DEL + LPUSH should not awake client": a key overwritten by
/// another type leaves an XREAD client blocked (no WRONGTYPE); it is served once a stream is back.
#[test]
fn blocked_xread_ignores_key_turned_into_another_type() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut r = s.client();
    r.send(&[b"XREAD", b"BLOCK", b"20000", b"STREAMS", b"s1", b"$"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    c.cmd(&["XADD", "s1", "1-0", "old", "abcd1234"]);
    c.cmd(&["DEL", "s1"]);
    c.cmd(&["LPUSH", "s1", "foo", "bar"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["SET", "s1", "str"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["DEL", "s1"]), V::Int(1));
    xadd(&mut c, "s1", "2-0", "new", "abcd1234");
    assert_eq!(r.read(), V::Array(vec![V::Array(vec![V::bulk("s1"), V::Array(vec![entry("2-0", &["new", "abcd1234"])])])]));
}

/// Redis's stream.tcl "XADD with LIMIT consecutive calls": approximate trimming removes whole
/// nodes, whose size follows `stream-node-max-entries` as set at run time; the default LIMIT of
/// `~` is 100 nodes.
#[test]
fn approx_trim_follows_configured_node_size() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "10"]), V::ok());
    for i in 1..=100 {
        xadd(&mut c, "s", &format!("{i}-0"), "xitem", "v");
    }
    c.cmd(&["XADD", "s", "MAXLEN", "~", "55", "LIMIT", "30", "*", "xitem", "v"]);
    assert_eq!(c.cmd(&["XLEN", "s"]), V::Int(71));
    c.cmd(&["XADD", "s", "MAXLEN", "~", "55", "LIMIT", "30", "*", "xitem", "v"]);
    assert_eq!(c.cmd(&["XLEN", "s"]), V::Int(62));
    // XTRIM ~ 0 LIMIT 2 with 1-entry nodes removes exactly 2 entries.
    assert_eq!(c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "1"]), V::ok());
    c.cmd(&["DEL", "t"]);
    for i in 1..=102 {
        xadd(&mut c, "t", &format!("{i}-0"), "f", "v");
    }
    assert_eq!(c.cmd(&["XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "2"]), V::Int(2));
    // Without LIMIT, `~` may remove at most 100 nodes' worth (100 entries here).
    assert_eq!(c.cmd(&["XTRIM", "t", "MAXLEN", "~", "0"]), V::Int(100));
    assert_eq!(c.cmd(&["XLEN", "t"]), V::Int(0));
}
