//! MONITOR: what it shows and in which order (Redis 7.2's `call()` / evalCommand / fcallCommand /
//! execCommand feeding).
mod common;
use common::*;

use std::time::Duration;

/// The next MONITOR line, without its timestamp.
fn next(m: &mut Client) -> String {
    let line = m.read().text();
    let (ts, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no timestamp in {line}"));
    assert!(ts.contains('.') && ts.split('.').all(|p| p.chars().all(|c| c.is_ascii_digit())), "{line}");
    rest.to_string()
}

/// The source part (`[0 127.0.0.1:port]`) is replaced by `[db client]` unless it is `lua`.
fn norm(line: &str) -> String {
    let (src, rest) = line.split_once("] ").unwrap();
    if src.ends_with(" lua") {
        line.to_string()
    } else {
        format!("{} client] {rest}", src.split(' ').next().unwrap())
    }
}

fn monitor(s: &TestServer) -> Client {
    let mut m = s.client();
    assert_eq!(m.cmd(&["MONITOR"]), V::ok());
    m.set_read_timeout(Duration::from_secs(5));
    m
}

#[test]
fn scripts_and_functions_show_their_commands_after_themselves() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut m = monitor(&s);
    assert_eq!(c.cmd(&["EVAL", "redis.call('set',KEYS[1],ARGV[1]) return redis.call('get',KEYS[1])", "1", "foo", "bar"]), V::bulk("bar"));
    assert_eq!(
        norm(&next(&mut m)),
        r#"[0 client] "EVAL" "redis.call('set',KEYS[1],ARGV[1]) return redis.call('get',KEYS[1])" "1" "foo" "bar""#
    );
    assert_eq!(next(&mut m), r#"[0 lua] "set" "foo" "bar""#);
    assert_eq!(next(&mut m), r#"[0 lua] "get" "foo""#);

    // The script's database, and EVALSHA.
    assert_eq!(c.cmd(&["SELECT", "3"]), V::ok());
    // Shown once it ran: with the database it selected (Redis's call() feeds after the command).
    assert_eq!(norm(&next(&mut m)), r#"[3 client] "SELECT" "3""#);
    let sha = c.cmd(&["SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])"]).text();
    assert_eq!(norm(&next(&mut m)), r#"[3 client] "SCRIPT" "LOAD" "return redis.call('incr', KEYS[1])""#);
    assert_eq!(c.cmd(&["EVALSHA", &sha, "1", "n"]), V::Int(1));
    assert_eq!(norm(&next(&mut m)), format!(r#"[3 client] "EVALSHA" "{sha}" "1" "n""#));
    assert_eq!(next(&mut m), r#"[3 lua] "incr" "n""#);
    // A failing script still shows itself (Redis feeds EVAL before running it).
    assert!(matches!(c.cmd(&["EVALSHA", "0000000000000000000000000000000000000000", "0"]), V::Error(_)));
    assert_eq!(norm(&next(&mut m)), r#"[3 client] "EVALSHA" "0000000000000000000000000000000000000000" "0""#);
    assert_eq!(c.cmd(&["SELECT", "0"]), V::ok());
    next(&mut m);

    let lib = "#!lua name=test\nredis.register_function('test', function() return redis.call('set', 'foo', 'bar') end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", "REPLACE", lib]), V::bulk("test"));
    assert!(next(&mut m).contains(r#""FUNCTION" "LOAD" "REPLACE""#));
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), V::ok());
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "FCALL" "test" "0""#);
    assert_eq!(next(&mut m), r#"[0 lua] "set" "foo" "bar""#);
    c.cmd(&["PING"]);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "PING""#);
}

#[test]
fn transactions_show_multi_commands_then_exec() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut m = monitor(&s);
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "foo", "bar"]), V::Simple("QUEUED".into()));
    assert_eq!(c.cmd(&["EVAL", "return redis.call('get', 'foo')", "0"]), V::Simple("QUEUED".into()));
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::ok(), V::bulk("bar")]));
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "MULTI""#);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "SET" "foo" "bar""#);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "EVAL" "return redis.call('get', 'foo')" "0""#);
    assert_eq!(next(&mut m), r#"[0 lua] "get" "foo""#);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "EXEC""#);

    // A transaction aborted by a queuing error still shows MULTI and EXEC.
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert!(matches!(c.cmd(&["NOSUCHCOMMAND"]), V::Error(_)));
    assert!(matches!(c.cmd(&["EXEC"]), V::Error(e) if e.starts_with("EXECABORT")));
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "MULTI""#);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "EXEC""#);

    // Administrative commands are not shown (CONFIG, DEBUG, CLIENT KILL...).
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-samples", "5"]), V::ok());
    c.cmd(&["PING", "after-admin"]);
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "PING" "after-admin""#);
}

#[test]
fn secrets_are_redacted_for_monitor_and_slowlog() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut m = monitor(&s);
    assert!(matches!(c.cmd(&["AUTH", "user", "pw"]), V::Error(_)));
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "AUTH" "(redacted)" "(redacted)""#);
    assert!(matches!(c.cmd(&["HELLO", "2", "AUTH", "user", "pw"]), V::Error(_)));
    assert_eq!(norm(&next(&mut m)), r#"[0 client] "HELLO" "2" "AUTH" "(redacted)" "(redacted)""#);
    assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]), V::ok());
    assert_eq!(c.cmd(&["CONFIG", "SET", "masterauth", "secret"]), V::ok());
    let log = c.cmd(&["SLOWLOG", "GET", "1"]);
    assert_eq!(log.array()[0].array()[3], V::bulks(&["CONFIG", "SET", "masterauth", "(redacted)"]));
    assert!(matches!(c.cmd(&["AUTH", "pw"]), V::Error(_)));
    let log = c.cmd(&["SLOWLOG", "GET", "1"]);
    assert_eq!(log.array()[0].array()[3], V::bulks(&["AUTH", "(redacted)"]));
}
