//! MULTI/EXEC/DISCARD/WATCH/UNWATCH, including WATCH races between clients.
mod common;
use common::*;

use std::time::Duration;

fn queued() -> V {
    V::Simple("QUEUED".into())
}

fn has_blpop(c: &mut Client) -> bool {
    !matches!(c.cmd(&["BLPOP", "__probe__", "0.01"]), V::Error(e) if e.starts_with("ERR unknown command"))
}

#[test]
fn multi_exec_discard_basics() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["EXEC"]), V::err("ERR EXEC without MULTI"));
    assert_eq!(c.cmd(&["DISCARD"]), V::err("ERR DISCARD without MULTI"));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::err("ERR MULTI calls can not be nested"));
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(c.cmd(&["INCR", "a"]), queued());
    assert_eq!(c.cmd(&["GET", "a"]), queued());
    // The nested MULTI error does not abort the transaction.
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::ok(), V::Int(2), V::bulk("2")]));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "9"]), queued());
    assert_eq!(c.cmd(&["DISCARD"]), V::ok());
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("2"));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["MULTI", "x"]), V::err("ERR wrong number of arguments for 'multi' command"));
}

#[test]
fn queuing_errors_abort_runtime_errors_do_not() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(c.cmd(&["NOSUCH", "x"]), V::err("ERR unknown command 'NOSUCH', with args beginning with: 'x' "));
    assert_eq!(c.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
    assert_eq!(c.cmd(&["GET", "a"]), V::Nil);
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["GET"]), V::err("ERR wrong number of arguments for 'get' command"));
    assert_eq!(c.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
    // After an aborted EXEC the client is out of MULTI.
    assert_eq!(c.cmd(&["EXEC"]), V::err("ERR EXEC without MULTI"));
    assert_eq!(c.cmd(&["SET", "s", "str"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["INCR", "s"]), queued());
    assert_eq!(c.cmd(&["SET", "b", "2"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::err("ERR value is not an integer or out of range"), V::ok()]));
    assert_eq!(c.cmd(&["GET", "b"]), V::bulk("2"));
}

#[test]
fn watch_detects_other_clients_writes() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut other = s.client();
    assert_eq!(c.cmd(&["SET", "w", "1"]), V::ok());
    assert_eq!(c.cmd(&["WATCH", "w"]), V::ok());
    assert_eq!(other.cmd(&["SET", "w", "2"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "w", "3"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::NilArray);
    assert_eq!(c.cmd(&["GET", "w"]), V::bulk("2"));
    // Untouched watch (including a missing key): EXEC runs; EXEC unwatches.
    assert_eq!(c.cmd(&["WATCH", "w", "missing"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "w", "4"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::ok()]));
    assert_eq!(other.cmd(&["SET", "w", "5"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["GET", "w"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::bulk("5")]));
    // UNWATCH forgets, DISCARD forgets.
    assert_eq!(c.cmd(&["WATCH", "w"]), V::ok());
    assert_eq!(other.cmd(&["DEL", "w"]), V::Int(1));
    assert_eq!(c.cmd(&["UNWATCH"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::Simple("PONG".into())]));
    // WATCH inside MULTI is an error that does not abort (Redis 7.2).
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["WATCH", "w"]), V::err("ERR WATCH inside MULTI is not allowed"));
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::Simple("PONG".into())]));
    // A write in another database does not touch the watch.
    assert_eq!(c.cmd(&["SET", "w", "1"]), V::ok());
    assert_eq!(c.cmd(&["WATCH", "w"]), V::ok());
    assert_eq!(other.cmd(&["SELECT", "1"]), V::ok());
    assert_eq!(other.cmd(&["SET", "w", "x"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::Simple("PONG".into())]));
    // The client's own write counts too.
    assert_eq!(c.cmd(&["WATCH", "w"]), V::ok());
    assert_eq!(c.cmd(&["SET", "w", "own"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::NilArray);
    // EXECABORT takes precedence over a touched watch.
    assert_eq!(c.cmd(&["WATCH", "w"]), V::ok());
    assert_eq!(other.cmd(&["SELECT", "0"]), V::ok());
    assert_eq!(other.cmd(&["SET", "w", "y"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["NOSUCH"]), V::err("ERR unknown command 'NOSUCH', with args beginning with: "));
    assert_eq!(c.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
}

#[test]
fn watch_and_expiry() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    // A watched key that expires before EXEC counts as modified.
    assert_eq!(c.cmd(&["SET", "e", "1", "PX", "50"]), V::ok());
    assert_eq!(c.cmd(&["WATCH", "e"]), V::ok());
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::NilArray);
    // A key already expired when WATCHed: its deletion is not a modification.
    assert_eq!(c.cmd(&["SET", "f", "1", "PX", "10"]), V::ok());
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(c.cmd(&["WATCH", "f"]), V::ok());
    assert_eq!(c.cmd(&["GET", "f"]), V::Nil);
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::Simple("PONG".into())]));
}

#[test]
fn flush_invalidates_watches() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut other = s.client();
    for flush in ["FLUSHDB", "FLUSHALL"] {
        assert_eq!(c.cmd(&["SET", "x", "1"]), V::ok());
        assert_eq!(c.cmd(&["WATCH", "x"]), V::ok());
        assert_eq!(other.cmd(&[flush]), V::ok());
        assert_eq!(c.cmd(&["MULTI"]), V::ok());
        assert_eq!(c.cmd(&["PING"]), queued());
        assert_eq!(c.cmd(&["EXEC"]), V::NilArray, "{flush}");
    }
}

#[test]
fn client_list_multi_field() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut other = s.client();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "tx"]), V::ok());
    let line = |o: &mut Client| o.cmd(&["CLIENT", "LIST"]).text().lines().find(|l| l.contains("name=tx")).unwrap().to_string();
    assert!(line(&mut other).contains(" flags=N ") && line(&mut other).contains(" multi=-1 "));
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(c.cmd(&["SET", "b", "1"]), queued());
    let l = line(&mut other);
    assert!(l.contains(" flags=x ") && l.contains(" multi=2 "), "{l}");
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::ok(), V::ok()]));
    assert!(line(&mut other).contains(" multi=-1 "));
    // A touched watch shows the `d` flag.
    assert_eq!(c.cmd(&["WATCH", "a"]), V::ok());
    assert_eq!(other.cmd(&["SET", "a", "2"]), V::ok());
    let l = line(&mut other);
    assert!(l.contains(" flags=d "), "{l}");
}

/// Optimistic locking under contention: every successful EXEC increments exactly once.
#[test]
fn watch_race_between_two_clients() {
    let s = TestServer::start(&[]);
    let port = s.port;
    let mut setup = s.client();
    assert_eq!(setup.cmd(&["SET", "counter", "0"]), V::ok());
    let worker = move || {
        let mut c = Client::connect(port);
        let mut wins = 0;
        let mut attempts = 0;
        while wins < 50 {
            attempts += 1;
            assert!(attempts < 100_000);
            assert_eq!(c.cmd(&["WATCH", "counter"]), V::ok());
            let v: i64 = c.cmd(&["GET", "counter"]).text().parse().unwrap();
            assert_eq!(c.cmd(&["MULTI"]), V::ok());
            assert_eq!(c.cmd(&["SET", "counter", &(v + 1).to_string()]), queued());
            match c.cmd(&["EXEC"]) {
                V::NilArray => {}
                V::Array(r) => {
                    assert_eq!(r, vec![V::ok()]);
                    wins += 1;
                }
                other => panic!("unexpected EXEC reply {other:?}"),
            }
        }
    };
    let a = std::thread::spawn(worker);
    let b = std::thread::spawn(worker);
    a.join().unwrap();
    b.join().unwrap();
    assert_eq!(setup.cmd(&["GET", "counter"]), V::bulk("100"));
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    if !has_blpop(&mut c) {
        eprintln!("SKIPPED: BLPOP is not in this build yet (lists family)");
        return;
    }
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["BLPOP", "nolist", "0"]), queued());
    assert_eq!(c.cmd(&["SET", "k", "v"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::NilArray, V::ok()]));
}

/// Redis's multi.tcl "MULTI and script timeout" / "EXEC and script timeout": a command refused
/// with BUSY while a script runs flags the transaction, and EXEC refused with BUSY answers
/// EXECABORT and leaves MULTI (nothing of the transaction runs).
#[test]
fn busy_script_aborts_transaction() {
    let s = TestServer::start(&["--busy-reply-threshold", "10"]);
    let mut c = s.client();
    let mut r2 = s.client();
    let mut busy = s.client();
    c.cmd(&["SET", "xx", "1"]);
    assert_eq!(r2.cmd(&["MULTI"]), V::ok());
    assert_eq!(r2.cmd(&["INCR", "xx"]), queued());
    busy.send(&[b"EVAL", b"while true do end", b"0"]);
    std::thread::sleep(Duration::from_millis(300));
    let busy_err = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    assert_eq!(r2.cmd(&["INCR", "xx"]), V::err(busy_err));
    assert_eq!(r2.cmd(&["EXEC"]), V::err(&format!("EXECABORT Transaction discarded because of: {busy_err}")));
    assert_eq!(c.cmd(&["SCRIPT", "KILL"]), V::ok());
    assert!(matches!(busy.read(), V::Error(_)));
    assert_eq!(c.cmd(&["GET", "xx"]), V::bulk("1"));
    assert_eq!(r2.cmd(&["PING", "asdf"]), V::bulk("asdf"));

    // A command refused while queuing makes the later EXEC fail with EXECABORT.
    assert_eq!(r2.cmd(&["MULTI"]), V::ok());
    assert_eq!(r2.cmd(&["INCR", "xx"]), queued());
    busy.send(&[b"EVAL", b"while true do end", b"0"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(r2.cmd(&["INCR", "xx"]), V::err(busy_err));
    assert_eq!(c.cmd(&["SCRIPT", "KILL"]), V::ok());
    assert!(matches!(busy.read(), V::Error(_)));
    assert_eq!(r2.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
    assert_eq!(c.cmd(&["GET", "xx"]), V::bulk("1"));

    // MULTI itself is allowed while the script is busy ("MULTI and script timeout").
    busy.send(&[b"EVAL", b"while true do end", b"0"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(r2.cmd(&["MULTI"]), V::ok());
    assert_eq!(r2.cmd(&["MULTI"]), V::err("ERR MULTI calls can not be nested"));
    assert_eq!(r2.cmd(&["INCR", "xx"]), V::err(busy_err));
    assert_eq!(c.cmd(&["SCRIPT", "KILL"]), V::ok());
    assert!(matches!(busy.read(), V::Error(_)));
    assert_eq!(r2.cmd(&["INCR", "xx"]), queued());
    assert_eq!(r2.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
    assert_eq!(c.cmd(&["GET", "xx"]), V::bulk("1"));
    assert_eq!(r2.cmd(&["PING", "asdf"]), V::bulk("asdf"));
}

#[test]
fn maxmemory_refuses_denyoom_commands_queued_in_multi() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut admin = s.client();
    const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
    // Queued while over maxmemory: refused, and EXEC aborts.
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]), V::ok());
    assert_eq!(c.cmd(&["LPUSH", "l", "x"]), V::err(OOM));
    // Reads and DISCARD go through.
    assert_eq!(c.cmd(&["GET", "a"]), queued());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]), V::ok());
    assert_eq!(c.cmd(&["EXEC"]), V::err("EXECABORT Transaction discarded because of previous errors."));
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]), V::ok());
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "x", "1"]), V::err(OOM));
    assert_eq!(c.cmd(&["DISCARD"]), V::ok());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]), V::ok());
    // Queued before the limit: EXEC checks the queued commands, aborts and leaves MULTI.
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["SET", "x", "1"]), queued());
    assert_eq!(c.cmd(&["GET", "x"]), queued());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]), V::ok());
    assert_eq!(c.cmd(&["EXEC"]), V::err(&format!("EXECABORT Transaction discarded because of: {OOM}")));
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["EXISTS", "x"]), V::Int(0));
    // A read-only transaction (and a no-writes script) still runs.
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["GET", "x"]), queued());
    assert_eq!(c.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 7", "0"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), V::Array(vec![V::Nil, V::Int(7)]));
    // A `#!lua` script that may write is DENYOOM; a plain EVAL is not (checked per command).
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    assert_eq!(c.cmd(&["EVAL", "#!lua\nreturn 1", "0"]), V::err(OOM));
    assert_eq!(c.cmd(&["EVAL", "return 1", "0"]), queued());
    assert_eq!(c.cmd(&["DISCARD"]), V::ok());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]), V::ok());
}

#[test]
fn multi_exec_with_spill_under_maxmemory() {
    // With the spill tier on, memory is freed by spilling: transactions keep working.
    let s = TestServer::start(&["--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"]);
    let mut c = s.client();
    let big = "v".repeat(32 * 1024);
    for round in 0..10 {
        assert_eq!(c.cmd(&["MULTI"]), V::ok());
        for i in 0..40 {
            assert_eq!(c.cmd(&["SET", &format!("k:{round}:{i}"), &big]), queued());
        }
        let r = c.cmd(&["EXEC"]);
        assert_eq!(r.array().len(), 40, "{r:?}");
        assert!(r.array().iter().all(|x| *x == V::ok()), "{r:?}");
    }
    assert_eq!(c.cmd(&["STRLEN", "k:0:0"]), V::Int(32 * 1024));
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(400));
}
