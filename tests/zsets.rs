//! Sorted set commands against the real binary: exact replies (RESP2 and RESP3), special
//! scores, Redis 7.2 parsing details, big (skiplist) sets against a model, and blocking pops
//! with several clients and timeouts.
mod common;
use common::*;

use std::time::{Duration, Instant};

fn b(s: &str) -> V {
    V::bulk(s)
}

fn d(s: &str) -> V {
    V::Double(s.into())
}

fn resp3(c: &mut Client) {
    let r = c.cmd(&["HELLO", "3"]);
    assert!(matches!(r, V::Map(_)), "{r:?}");
}

#[test]
fn zadd_and_basic_replies() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]), V::Int(3));
    assert_eq!(c.cmd(&["ZADD", "z", "CH", "5", "a", "2", "b", "9", "d"]), V::Int(2));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "1.5", "a"]), b("6.5"));
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "INCR", "1", "a"]), V::Nil);
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "1", "a"]), V::Int(0));
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), b("6.5"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "-0.5", "a"]), b("6"));
    assert_eq!(c.cmd(&["ZCARD", "z"]), V::Int(4));
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), V::bulks(&["b", "2", "c", "3", "a", "6", "d", "9"]));
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "XX", "1", "a"]), V::err("ERR XX and NX options at the same time are not compatible"));
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "LT", "1", "a"]), V::err("ERR GT, LT, and/or NX options at the same time are not compatible"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "1", "a", "1", "b"]), V::err("ERR INCR option supports a single increment-element pair"));
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["ZADD", "z", "abc", "a"]), V::err("ERR value is not a valid float"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "inf", "a"]), b("inf"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "-inf", "a"]), V::err("ERR resulting score is not a number (NaN)"));
    assert_eq!(c.cmd(&["SET", "s", "x"]), V::ok());
    assert_eq!(c.cmd(&["ZADD", "s", "1", "a"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_eq!(c.cmd(&["ZREM", "z", "a", "b", "c", "d"]), V::Int(4));
    assert_eq!(c.cmd(&["EXISTS", "z"]), V::Int(0));
}

#[test]
fn special_scores_format_like_redis() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let pairs = [
        ("inf", "a", "inf"),
        ("-inf", "b", "-inf"),
        ("-0", "c", "-0"),
        ("1e300", "d", "1e+300"),
        ("5e-324", "e", "5e-324"),
        ("9007199254740993", "f", "9007199254740992"),
        ("0.1", "g", "0.1"),
        ("1.5e-7", "h", "1.5e-7"),
    ];
    for (score, m, _) in pairs {
        assert_eq!(c.cmd(&["ZADD", "z", score, m]), V::Int(1));
    }
    for (_, m, shown) in pairs {
        assert_eq!(c.cmd(&["ZSCORE", "z", m]), b(shown), "{m}");
    }
    // -0 and 0 are the same score: no update.
    assert_eq!(c.cmd(&["ZADD", "z", "CH", "0", "c"]), V::Int(0));
    assert_eq!(c.cmd(&["ZSCORE", "z", "c"]), b("-0"));
    let mut c3 = s.client();
    resp3(&mut c3);
    assert_eq!(c3.cmd(&["ZSCORE", "z", "a"]), d("inf"));
    assert_eq!(c3.cmd(&["ZSCORE", "z", "d"]), d("1e+300"));
    assert_eq!(c3.cmd(&["ZMSCORE", "z", "e", "nope"]), V::Array(vec![d("5e-324"), V::Nil]));
    assert_eq!(c3.cmd(&["ZRANGE", "z", "0", "1", "WITHSCORES"]), V::Array(vec![V::Array(vec![b("b"), d("-inf")]), V::Array(vec![b("c"), d("-0")])]));
    assert_eq!(c3.cmd(&["ZRANK", "z", "a", "WITHSCORE"]), V::Array(vec![V::Int(7), d("inf")]));
    assert_eq!(c3.cmd(&["ZRANK", "z", "nope", "WITHSCORE"]), V::Nil);
    assert_eq!(c.cmd(&["ZRANK", "z", "nope", "WITHSCORE"]), V::NilArray);
}

#[test]
fn range_parsing_follows_redis_7_2() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    // zslParseRange uses strtod: leading spaces, "(" alone (= 0) and "" (= 0) are accepted.
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", " 2", "+inf"]), V::bulks(&["b", "c"]));
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", "(", "(2"]), V::bulks(&["a"]));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "", "inf"]), V::Int(3));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "2 ", "inf"]), V::err("ERR min or max is not a float"));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "nan", "inf"]), V::err("ERR min or max is not a float"));
    assert_eq!(c.cmd(&["ZLEXCOUNT", "z", "a", "+"]), V::err("ERR min or max not valid string range item"));
    assert_eq!(c.cmd(&["ZLEXCOUNT", "z", "-", "+"]), V::Int(3));
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"]),
        V::err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"]),
        V::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
    // A negative LIMIT offset is an empty reply in Redis 7.2, whatever the encoding.
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "5"]), V::Array(vec![]));
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd(&a), V::Int(300));
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "big", "-inf", "inf", "LIMIT", "-1", "5"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["ZREVRANGEBYSCORE", "big", "inf", "-inf", "LIMIT", "1", "2"]), V::bulks(&["m298", "m297"]));
}

#[test]
fn pops_and_replies_in_both_protocols() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut c3 = s.client();
    resp3(&mut c3);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), V::bulks(&["a", "1"]));
    assert_eq!(c3.cmd(&["ZPOPMAX", "z"]), V::Array(vec![b("d"), d("4")]));
    assert_eq!(c3.cmd(&["ZPOPMIN", "z", "1"]), V::Array(vec![V::Array(vec![b("b"), d("2")])]));
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "-1"]), V::err("ERR value is out of range, must be positive"));
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "0"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["ZMPOP", "2", "nope", "z", "MAX", "COUNT", "5"]), V::Array(vec![b("z"), V::Array(vec![V::bulks(&["c", "3"])])]));
    assert_eq!(c.cmd(&["EXISTS", "z"]), V::Int(0));
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MIN"]), V::NilArray);
    assert_eq!(c.cmd(&["ZMPOP", "0", "z", "MIN"]), V::err("ERR numkeys should be greater than 0"));
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MIN", "COUNT", "0"]), V::err("ERR count should be greater than 0"));
    assert_eq!(c.cmd(&["BZPOPMIN", "z", "-1"]), V::err("ERR timeout is negative"));
    assert_eq!(c.cmd(&["BZPOPMIN", "z", "abc"]), V::err("ERR timeout is not a float or out of range"));
}

#[test]
fn set_algebra() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    c.cmd(&["ZADD", "b", "10", "y", "20", "z", "30", "w"]);
    assert_eq!(c.cmd(&["ZUNION", "2", "a", "b", "WITHSCORES"]), V::bulks(&["x", "1", "y", "12", "z", "23", "w", "30"]));
    assert_eq!(c.cmd(&["ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "AGGREGATE", "MIN", "WITHSCORES"]), V::bulks(&["y", "4", "z", "6"]));
    assert_eq!(c.cmd(&["ZDIFF", "2", "a", "b", "WITHSCORES"]), V::bulks(&["x", "1"]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), V::Int(1));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"]), V::err("ERR LIMIT can't be negative"));
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "0", "a"]), V::err("ERR at least 1 input key is needed for 'zunionstore' command"));
    assert_eq!(c.cmd(&["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"]), V::err("ERR weight value is not a float"));
    assert_eq!(c.cmd(&["ZINTERSTORE", "d", "2", "a", "b"]), V::Int(2));
    assert_eq!(c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]), V::bulks(&["y", "12", "z", "23"]));
    assert_eq!(c.cmd(&["ZINTERSTORE", "d", "2", "a", "nope"]), V::Int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), V::Int(0));
    // inf + -inf aggregates to 0, inf * 0 weights to 0.
    c.cmd(&["ZADD", "p", "inf", "x"]);
    c.cmd(&["ZADD", "q", "-inf", "x"]);
    assert_eq!(c.cmd(&["ZUNION", "2", "p", "q", "WITHSCORES"]), V::bulks(&["x", "0"]));
    assert_eq!(c.cmd(&["ZUNION", "1", "p", "WEIGHTS", "0", "WITHSCORES"]), V::bulks(&["x", "0"]));
}

/// A big sorted set (skiplist) driven through many operations, checked against a model.
#[test]
fn skiplist_against_model() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut model: Vec<(String, i64)> = Vec::new();
    let mut seed = 7u64;
    let mut rnd = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for _ in 0..3000 {
        let m = format!("m{}", rnd(600));
        let sc = rnd(200) as i64 - 100;
        if rnd(5) == 0 {
            c.cmd(&["ZREM", "z", &m]);
            model.retain(|(e, _)| *e != m);
        } else {
            c.cmd(&["ZADD", "z", &sc.to_string(), &m]);
            model.retain(|(e, _)| *e != m);
            model.push((m, sc));
        }
    }
    model.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    assert_eq!(c.cmd(&["ZCARD", "z"]), V::Int(model.len() as i64));
    let all = c.cmd(&["ZRANGE", "z", "0", "-1"]);
    let expect: Vec<&str> = model.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(all, V::bulks(&expect));
    for i in (0..model.len()).step_by(37) {
        let (m, sc) = &model[i];
        assert_eq!(c.cmd(&["ZRANK", "z", m]), V::Int(i as i64));
        assert_eq!(c.cmd(&["ZREVRANK", "z", m]), V::Int((model.len() - 1 - i) as i64));
        assert_eq!(c.cmd(&["ZRANGE", "z", &i.to_string(), &i.to_string(), "WITHSCORES"]), V::bulks(&[m, &sc.to_string()]));
    }
    let cnt = model.iter().filter(|(_, s)| *s > -10 && *s <= 25).count();
    assert_eq!(c.cmd(&["ZCOUNT", "z", "(-10", "25"]), V::Int(cnt as i64));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "z", "(-10", "25"]), V::Int(cnt as i64));
    model.retain(|(_, s)| !(*s > -10 && *s <= 25));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "z", "10", "19"]), V::Int(10));
    model.drain(10..20);
    let expect: Vec<&str> = model.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "-1"]), V::bulks(&expect));
}

/// ZSCAN of a skiplist returns every element that stays in the set during the iteration, even
/// when others are added and removed between calls.
#[test]
fn zscan_guarantees_under_modification() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for i in 0..400 {
        c.cmd(&["ZADD", "z", &(i % 13).to_string(), &format!("keep{i}")]);
    }
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut round = 0;
    loop {
        let r = c.cmd(&["ZSCAN", "z", &cursor, "COUNT", "20"]);
        let parts = r.array();
        cursor = parts[0].text();
        for pair in parts[1].array().chunks(2) {
            seen.insert(pair[0].text());
        }
        round += 1;
        c.cmd(&["ZADD", "z", &(round % 13).to_string(), &format!("new{round}")]);
        c.cmd(&["ZREM", "z", &format!("new{}", round - 1)]);
        if cursor == "0" {
            break;
        }
        assert!(round < 1000);
    }
    for i in 0..400 {
        assert!(seen.contains(&format!("keep{i}")), "keep{i} missed");
    }
}

#[test]
fn bzpopmin_serves_waiters_in_arrival_order() {
    let s = TestServer::start(&[]);
    let mut w1 = s.client();
    let mut w2 = s.client();
    let mut w3 = s.client();
    let mut c = s.client();
    w1.send(&[b"BZPOPMIN", b"k1", b"k2", b"0"]);
    std::thread::sleep(Duration::from_millis(100));
    w2.send(&[b"BZPOPMAX", b"k2", b"0"]);
    std::thread::sleep(Duration::from_millis(100));
    w3.send(&[b"BZMPOP", b"0", b"1", b"k2", b"MIN", b"COUNT", b"10"]);
    std::thread::sleep(Duration::from_millis(100));
    // Three elements in one ZADD: w1 takes the min, w2 the max, w3 what is left.
    assert_eq!(c.cmd(&["ZADD", "k2", "1", "a", "2", "b", "3", "c", "4", "d"]), V::Int(4));
    assert_eq!(w1.read(), V::bulks(&["k2", "a", "1"]));
    assert_eq!(w2.read(), V::bulks(&["k2", "d", "4"]));
    assert_eq!(w3.read(), V::Array(vec![b("k2"), V::Array(vec![V::bulks(&["b", "2"]), V::bulks(&["c", "3"])])]));
    assert_eq!(c.cmd(&["EXISTS", "k2"]), V::Int(0));
}

#[test]
fn blocking_timeouts_and_resp3() {
    let s = TestServer::start(&[]);
    let mut w = s.client();
    let start = Instant::now();
    assert_eq!(w.cmd(&["BZPOPMIN", "nope", "0.2"]), V::NilArray);
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(w.cmd(&["BZMPOP", "0.1", "1", "nope", "MAX"]), V::NilArray);
    let mut w3 = s.client();
    resp3(&mut w3);
    assert_eq!(w3.cmd(&["BZPOPMAX", "nope", "0.1"]), V::Nil);
    w3.send(&[b"BZPOPMAX", b"k", b"5"]);
    std::thread::sleep(Duration::from_millis(100));
    let mut c = s.client();
    c.cmd(&["ZADD", "k", "1.5", "x"]);
    assert_eq!(w3.read(), V::Array(vec![b("k"), b("x"), d("1.5")]));
    // A key overwritten by another type does not serve the waiter; a later ZADD does.
    w.send(&[b"BZPOPMIN", b"k", b"5"]);
    std::thread::sleep(Duration::from_millis(100));
    c.cmd(&["SET", "k", "str"]);
    std::thread::sleep(Duration::from_millis(100));
    c.cmd(&["DEL", "k"]);
    c.cmd(&["ZADD", "k", "7", "y"]);
    assert_eq!(w.read(), V::bulks(&["k", "y", "7"]));
}

#[test]
fn many_clients_each_get_one_element() {
    let s = TestServer::start(&[]);
    let n = 8;
    let mut waiters: Vec<Client> = (0..n).map(|_| s.client()).collect();
    for w in waiters.iter_mut() {
        w.send(&[b"BZPOPMIN", b"q", b"10"]);
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut c = s.client();
    for i in 0..n {
        c.cmd(&["ZADD", "q", &i.to_string(), &format!("e{i}")]);
    }
    let mut got: Vec<String> = waiters.iter_mut().map(|w| w.read().array()[1].text()).collect();
    got.sort();
    let mut expect: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
    expect.sort();
    assert_eq!(got, expect);
    assert_eq!(c.cmd(&["EXISTS", "q"]), V::Int(0));
}

#[test]
fn zrandmember_bounds() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "z", "-5"]).array().len(), 5);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "z", "5", "WITHSCORES"]), V::bulks(&["b", "2", "a", "1"]));
    assert_eq!(c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"]), V::err("ERR value is out of range"));
    // Unbounded negative counts are refused rather than allocated.
    assert!(matches!(c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775807"]), V::Error(_)));
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
}

/// In-process checks of what the command log receives and which keyspace events fire (the
/// server is driven directly through `execute`, with a capturing log sink and a pattern
/// subscriber on every event channel).
mod inproc {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use vaultkey::client::{Client, ClientShared};
    use vaultkey::config::Config;
    use vaultkey::resp::Reply;
    use vaultkey::server::{execute, Action, LogSink, Server};

    struct Capture(Arc<Mutex<Vec<String>>>);
    impl LogSink for Capture {
        fn append(&mut self, cmds: &[(usize, Vec<Bytes>)]) -> u64 {
            let mut log = self.0.lock().unwrap();
            for (_, c) in cmds {
                log.push(c.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "));
            }
            0
        }
    }

    struct Harness {
        srv: Server,
        log: Arc<Mutex<Vec<String>>>,
        events: tokio::sync::mpsc::UnboundedReceiver<Reply>,
    }

    fn harness() -> Harness {
        let mut config = Config::default();
        config.notify_keyspace_events = "KEA".into();
        let mut srv = Server::new(config);
        let log = Arc::new(Mutex::new(Vec::new()));
        srv.log_sink = Some(Box::new(Capture(log.clone())));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let sub = Arc::new(ClientShared::new(9999, String::new(), String::new(), -1, tx));
        srv.pubsub.patterns.entry(Bytes::from_static(b"__keyevent@0__:*")).or_default().insert(9999, sub);
        Harness { srv, log, events: rx }
    }

    fn client(id: u64) -> Client {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        Client::new(Arc::new(ClientShared::new(id, String::new(), String::new(), -1, tx)), true)
    }

    impl Harness {
        fn run(&mut self, c: &mut Client, args: &[&str]) -> Option<Reply> {
            let argv = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
            let out = execute(&mut self.srv, c, argv);
            match out.action {
                Action::Block { .. } => None,
                _ => out.reply,
            }
        }
        fn take_log(&mut self) -> Vec<String> {
            std::mem::take(&mut *self.log.lock().unwrap())
        }
        fn take_events(&mut self) -> Vec<String> {
            let mut v = Vec::new();
            while let Ok(Reply::Push(parts)) = self.events.try_recv() {
                if let (Reply::Bulk(ch), Reply::Bulk(key)) = (&parts[2], &parts[3]) {
                    let ch = String::from_utf8_lossy(ch);
                    v.push(format!("{} {}", ch.trim_start_matches("__keyevent@0__:"), String::from_utf8_lossy(key)));
                }
            }
            v
        }
    }

    #[test]
    fn propagation_of_pops() {
        let mut h = harness();
        let mut c = client(1);
        h.run(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        assert_eq!(h.take_log(), vec!["ZADD z 1 a 2 b 3 c"]);
        h.run(&mut c, &["ZADD", "z", "NX", "5", "a"]);
        assert!(h.take_log().is_empty(), "a ZADD that changed nothing is not logged");
        h.run(&mut c, &["ZMPOP", "2", "nope", "z", "MAX", "COUNT", "2"]);
        assert_eq!(h.take_log(), vec!["ZPOPMAX z 2"]);
        h.run(&mut c, &["ZADD", "z", "5", "x", "6", "y"]);
        h.take_log();
        h.run(&mut c, &["BZPOPMIN", "nope", "z", "0"]);
        assert_eq!(h.take_log(), vec!["ZPOPMIN z"]);
        h.run(&mut c, &["BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"]);
        assert_eq!(h.take_log(), vec!["ZPOPMAX z 2"]);
        // A blocked BZPOPMIN served later is logged as ZPOPMIN after the ZADD that fed it.
        let mut w = client(2);
        assert_eq!(h.run(&mut w, &["BZPOPMIN", "q", "0"]), None);
        assert!(h.take_log().is_empty());
        h.run(&mut c, &["ZADD", "q", "1", "m", "2", "n"]);
        assert_eq!(h.take_log(), vec!["ZADD q 1 m 2 n", "ZPOPMIN q"]);
        let mut w2 = client(3);
        assert_eq!(h.run(&mut w2, &["BZMPOP", "0", "1", "r", "MIN", "COUNT", "5"]), None);
        h.run(&mut c, &["ZADD", "r", "1", "m"]);
        assert_eq!(h.take_log(), vec!["ZADD r 1 m", "ZPOPMIN r 1"]);
        // ZINCRBY/ZADD INCR are deterministic and logged as received.
        h.run(&mut c, &["ZINCRBY", "s", "1.5", "m"]);
        assert_eq!(h.take_log(), vec!["ZINCRBY s 1.5 m"]);
        assert_eq!(h.run(&mut c, &["ZRANGESTORE", "dst", "nope", "0", "-1"]), Some(Reply::Int(0)));
        assert!(h.take_log().is_empty());
    }

    #[test]
    fn keyspace_events() {
        let mut h = harness();
        let mut c = client(1);
        h.run(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        h.run(&mut c, &["ZADD", "z", "INCR", "1", "a"]);
        h.run(&mut c, &["ZINCRBY", "z", "1", "a"]);
        h.run(&mut c, &["ZADD", "z", "NX", "1", "a"]);
        h.run(&mut c, &["ZREM", "z", "a", "nope"]);
        h.run(&mut c, &["ZREM", "z", "nope"]);
        h.run(&mut c, &["ZREMRANGEBYSCORE", "z", "2", "2"]);
        h.run(&mut c, &["ZPOPMIN", "z"]);
        h.run(&mut c, &["ZPOPMAX", "z"]);
        assert_eq!(
            h.take_events(),
            vec!["zadd z", "zincr z", "zincr z", "zrem z", "zremrangebyscore z", "zpopmin z", "zpopmax z", "del z"]
        );
        h.run(&mut c, &["ZADD", "a", "1", "x", "2", "y"]);
        h.run(&mut c, &["ZUNIONSTORE", "u", "1", "a"]);
        h.run(&mut c, &["ZINTERSTORE", "u", "2", "a", "nope"]);
        h.run(&mut c, &["ZDIFFSTORE", "u", "1", "a"]);
        h.run(&mut c, &["ZRANGESTORE", "r", "a", "0", "0"]);
        h.run(&mut c, &["ZREMRANGEBYRANK", "r", "0", "-1"]);
        h.run(&mut c, &["ZADD", "l", "0", "p", "0", "q"]);
        h.run(&mut c, &["ZREMRANGEBYLEX", "l", "[p", "[p"]);
        h.run(&mut c, &["ZMPOP", "1", "l", "MIN"]);
        assert_eq!(
            h.take_events(),
            vec![
                "zadd a",
                "zunionstore u",
                "del u",
                "zdiffstore u",
                "zrangestore r",
                "zremrangebyrank r",
                "del r",
                "zadd l",
                "zremrangebylex l",
                "zpopmin l",
                "del l",
            ]
        );
    }

    fn encoding(h: &Harness, key: &str) -> &'static str {
        h.srv.dbs[0].get(key.as_bytes()).map(|e| e.value.encoding_name()).unwrap_or("none")
    }

    fn zadd_many(h: &mut Harness, c: &mut Client, key: &str, n: usize) {
        let mut args = vec!["ZADD".to_string(), key.to_string()];
        for i in 0..n {
            args.push(i.to_string());
            args.push(format!("m{i}"));
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        h.run(c, &a);
    }

    /// OBJECT ENCODING transitions as Redis 7.2 makes them (checked on the stored value).
    #[test]
    fn encoding_transitions() {
        let mut h = harness();
        let mut c = client(1);
        zadd_many(&mut h, &mut c, "z", 128);
        assert_eq!(encoding(&h, "z"), "listpack");
        h.run(&mut c, &["ZADD", "z", "1000", "one-more"]);
        assert_eq!(encoding(&h, "z"), "skiplist");
        h.run(&mut c, &["ZREMRANGEBYRANK", "z", "0", "100"]);
        assert_eq!(encoding(&h, "z"), "skiplist", "removals never convert back");
        let x64 = "x".repeat(64);
        let y65 = "y".repeat(65);
        h.run(&mut c, &["ZADD", "long", "1", &x64]);
        assert_eq!(encoding(&h, "long"), "listpack");
        // XX with a long absent member adds nothing and (in Redis 7.2) converts nothing.
        h.run(&mut c, &["ZADD", "long", "XX", "1", &y65]);
        assert_eq!(encoding(&h, "long"), "listpack");
        h.run(&mut c, &["ZADD", "long", "1", &y65]);
        assert_eq!(encoding(&h, "long"), "skiplist");
        h.run(&mut c, &["ZADD", "new", "1", &y65]);
        assert_eq!(encoding(&h, "new"), "skiplist");
        zadd_many(&mut h, &mut c, "many", 129);
        assert_eq!(encoding(&h, "many"), "skiplist");
        // The argument count sizes a new key, even when members repeat.
        let mut dups = vec!["ZADD", "dups"];
        for _ in 0..129 {
            dups.extend(["1", "a"]);
        }
        h.run(&mut c, &dups);
        assert_eq!(encoding(&h, "dups"), "skiplist");
        assert_eq!(h.run(&mut c, &["ZCARD", "dups"]), Some(Reply::Int(1)));
        // Rebuilt values fit back into a listpack.
        h.run(&mut c, &["ZUNIONSTORE", "u", "1", "z"]);
        assert_eq!(encoding(&h, "u"), "listpack");
        h.run(&mut c, &["ZRANGESTORE", "r", "many", "0", "5"]);
        assert_eq!(encoding(&h, "r"), "listpack");
        h.run(&mut c, &["ZRANGESTORE", "r", "many", "-inf", "+inf", "BYSCORE"]);
        assert_eq!(encoding(&h, "r"), "skiplist");
        h.run(&mut c, &["ZDIFFSTORE", "d", "1", "long"]);
        assert_eq!(encoding(&h, "d"), "skiplist");
        h.srv.config.thresholds.zset_max_listpack_entries = 0;
        h.run(&mut c, &["ZADD", "zero", "1", "a"]);
        assert_eq!(encoding(&h, "zero"), "skiplist");
        h.srv.config.thresholds.zset_max_listpack_entries = 128;
        h.srv.config.thresholds.zset_max_listpack_value = 2;
        h.run(&mut c, &["ZINCRBY", "small", "1", "ab"]);
        assert_eq!(encoding(&h, "small"), "listpack");
        h.run(&mut c, &["ZINCRBY", "small", "1", "abc"]);
        assert_eq!(encoding(&h, "small"), "skiplist");
        assert_eq!(
            h.run(&mut c, &["ZRANGE", "small", "0", "-1", "WITHSCORES"]),
            Some(Reply::Array(vec![
                Reply::Bulk(Bytes::from_static(b"ab")),
                Reply::Double(1.0),
                Reply::Bulk(Bytes::from_static(b"abc")),
                Reply::Double(1.0)
            ]))
        );
    }

    /// Plain sets as inputs of ZUNION/ZINTER/ZDIFF (score 1), in every set encoding.
    #[test]
    fn set_inputs() {
        use vaultkey::db::Entry;
        use vaultkey::types::{Set, Value};
        let mut h = harness();
        let mut c = client(1);
        let sds = |s: &str| s.as_bytes().to_vec().into_boxed_slice();
        h.srv.dbs[0].insert(Entry::new(sds("int"), Value::Set(vaultkey::types::Shared::new(Set::Intset(vec![1, 2, 3])))));
        h.srv.dbs[0].insert(Entry::new(sds("lp"), Value::Set(vaultkey::types::Shared::new(Set::Listpack(vec![sds("x"), sds("2")])))));
        h.srv.dbs[0].insert(Entry::new(sds("ht"), Value::Set(vaultkey::types::Shared::new(Set::Table([sds("x"), sds("w")].into_iter().collect())))));
        h.run(&mut c, &["ZADD", "z", "5", "2", "7", "x", "9", "y"]);
        let bulks = |items: &[&str]| Some(Reply::Array(items.iter().map(|s| Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))).collect()));
        let flat = |r: Option<Reply>| -> Vec<String> {
            match r {
                Some(Reply::Array(v)) => v
                    .into_iter()
                    .map(|x| match x {
                        Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                        Reply::Double(d) => vaultkey::util::fmt_double(d),
                        other => format!("{other:?}"),
                    })
                    .collect(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(flat(h.run(&mut c, &["ZUNION", "3", "int", "lp", "z", "WITHSCORES"])), ["1", "1", "3", "1", "2", "7", "x", "8", "y", "9"]);
        assert_eq!(flat(h.run(&mut c, &["ZINTER", "2", "lp", "z", "WEIGHTS", "10", "1", "WITHSCORES"])), ["2", "15", "x", "17"]);
        assert_eq!(flat(h.run(&mut c, &["ZINTER", "3", "lp", "ht", "z", "AGGREGATE", "MAX", "WITHSCORES"])), ["x", "7"]);
        assert_eq!(h.run(&mut c, &["ZDIFF", "2", "int", "lp"]), bulks(&["1", "3"]));
        assert_eq!(h.run(&mut c, &["ZDIFF", "2", "z", "ht"]), bulks(&["2", "y"]));
        assert_eq!(h.run(&mut c, &["ZINTERCARD", "2", "ht", "lp"]), Some(Reply::Int(1)));
        assert_eq!(h.run(&mut c, &["ZUNIONSTORE", "dst", "2", "int", "ht"]), Some(Reply::Int(5)));
        assert_eq!(encoding(&h, "dst"), "listpack");
        assert_eq!(flat(h.run(&mut c, &["ZRANGE", "dst", "0", "-1", "WITHSCORES"])), ["1", "1", "2", "1", "3", "1", "w", "1", "x", "1"]);
    }
}
