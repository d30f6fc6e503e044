//! CLIENT subcommands: identity, LIST/INFO fields, KILL, PAUSE, REPLY, UNBLOCK.
mod common;
use common::*;

use std::time::{Duration, Instant};

fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap_or((f, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field(line: &str, name: &str) -> String {
    fields(line).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_else(|| panic!("no {name} in {line}"))
}

fn line_named(c: &mut Client, name: &str) -> Option<String> {
    c.cmd(&["CLIENT", "LIST"]).text().lines().find(|l| l.contains(&format!(" name={name} "))).map(|s| s.to_string())
}

fn has_blpop(c: &mut Client) -> bool {
    !matches!(c.cmd(&["BLPOP", "__probe__", "0.01"]), V::Error(e) if e.starts_with("ERR unknown command"))
}

#[test]
fn id_names_and_info() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut d = s.client();
    let id = c.cmd(&["CLIENT", "ID"]).int();
    assert_ne!(d.cmd(&["CLIENT", "ID"]).int(), id);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), V::Nil);
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "alpha"]), V::ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), V::bulk("alpha"));
    let bad = V::err("ERR Client names cannot contain spaces, newlines or special characters.");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a b"]), bad);
    assert_eq!(c.cmd_bytes(&[b"CLIENT", b"SETNAME", b"a\xffb"]), bad);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), V::bulk("alpha"));
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "mylib"]), V::ok());
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "lib-ver", "1.2.3"]), V::ok());
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "a b"]),
        V::err("ERR lib-name cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "other", "x"]), V::err("ERR Unrecognized option 'other'"));
    assert_eq!(c.cmd(&["SELECT", "2"]), V::ok());
    let info = c.cmd(&["CLIENT", "INFO"]).text();
    assert!(info.ends_with('\n'));
    let f = fields(info.trim_end());
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "qbuf",
            "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user",
            "redir", "resp", "lib-name", "lib-ver"
        ]
    );
    let line = info.trim_end();
    assert_eq!(field(line, "id"), id.to_string());
    assert_eq!(field(line, "name"), "alpha");
    assert_eq!(field(line, "db"), "2");
    assert_eq!(field(line, "cmd"), "client|info");
    assert_eq!(field(line, "lib-name"), "mylib");
    assert_eq!(field(line, "lib-ver"), "1.2.3");
    assert_eq!(field(line, "flags"), "N");
    assert_eq!(field(line, "user"), "default");
    assert_eq!(field(line, "resp"), "2");
    assert_eq!(field(line, "laddr"), format!("127.0.0.1:{}", s.port));
    // An empty name clears it.
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), V::ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), V::Nil);
    // Others see the client in CLIENT LIST, by id too.
    let list = d.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]).text();
    assert_eq!(list.lines().count(), 1);
    assert_eq!(field(list.trim_end(), "cmd"), "client|getname");
    assert_eq!(d.cmd(&["CLIENT", "LIST", "ID", "abc"]), V::err("ERR Invalid client ID"));
    assert_eq!(d.cmd(&["CLIENT", "LIST", "TYPE", "bogus"]), V::err("ERR Unknown client type 'bogus'"));
    assert_eq!(d.cmd(&["CLIENT", "LIST", "TYPE", "replica"]), V::bulk(""));
    assert_eq!(d.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).text().lines().count(), 2);
    assert_eq!(d.cmd(&["CLIENT", "LIST", "bogus"]), V::err("ERR syntax error"));
    assert_eq!(d.cmd(&["CLIENT", "ID", "x"]), V::err("ERR wrong number of arguments for 'client|id' command"));
    assert_eq!(d.cmd(&["CLIENT", "BOGUS"]), V::err("ERR unknown subcommand 'BOGUS'. Try CLIENT HELP."));
    assert_eq!(d.cmd(&["CLIENT", "GETREDIR"]), V::Int(-1));
    let help = d.cmd(&["CLIENT", "HELP"]);
    assert_eq!(help.array()[0], V::Simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()));
    // NO-EVICT / NO-TOUCH flags.
    assert_eq!(d.cmd(&["CLIENT", "NO-EVICT", "on"]), V::ok());
    assert_eq!(d.cmd(&["CLIENT", "NO-TOUCH", "on"]), V::ok());
    assert_eq!(field(d.cmd(&["CLIENT", "INFO"]).text().trim_end(), "flags"), "eT");
    assert_eq!(d.cmd(&["CLIENT", "NO-TOUCH", "maybe"]), V::err("ERR syntax error"));
    assert_eq!(d.cmd(&["CLIENT", "NO-EVICT", "off"]), V::ok());
    assert_eq!(d.cmd(&["CLIENT", "NO-TOUCH", "off"]), V::ok());
    assert_eq!(field(d.cmd(&["CLIENT", "INFO"]).text().trim_end(), "flags"), "N");
    // RESP3: CLIENT INFO is a verbatim string.
    assert!(matches!(d.cmd(&["HELLO", "3"]), V::Map(_)));
    match d.cmd(&["CLIENT", "INFO"]) {
        V::Verbatim(fmt, text) => {
            assert_eq!(fmt, "txt");
            assert_eq!(field(String::from_utf8(text).unwrap().trim_end(), "resp"), "3");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn kill_forms() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut v1 = s.client();
    let id1 = v1.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &id1.to_string()]), V::Int(1));
    assert!(v1.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &id1.to_string()]), V::Int(0));
    // Old form by address.
    let mut v2 = s.client();
    assert_eq!(v2.cmd(&["CLIENT", "SETNAME", "v2"]), V::ok());
    let addr = field(&line_named(&mut c, "v2").unwrap(), "addr");
    assert_eq!(c.cmd(&["CLIENT", "KILL", &addr]), V::ok());
    assert!(v2.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", &addr]), V::err("ERR No such client"));
    // Filters combine; the caller is skipped by default.
    let mut p1 = s.client();
    assert_eq!(p1.cmd(&["SUBSCRIBE", "ch"]).array().len(), 3);
    let mut n1 = s.client();
    assert_eq!(n1.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), V::Int(1));
    assert!(p1.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "normal", "USER", "default"]), V::Int(1));
    assert!(n1.is_closed());
    let mut n2 = s.client();
    assert_eq!(n2.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "LADDR", &format!("127.0.0.1:{}", s.port), "MAXAGE", "1000"]), V::Int(0));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "LADDR", &format!("127.0.0.1:{}", s.port)]), V::Int(1));
    assert!(n2.is_closed());
    // Errors.
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", "0"]), V::err("ERR client-id should be greater than 0"));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "x"]), V::err("ERR Unknown client type 'x'"));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "USER", "bob"]), V::err("ERR No such user 'bob'"));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "SKIPME", "x"]), V::err("ERR syntax error"));
    // Three arguments are the old form: "ID" is taken as an address.
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID"]), V::err("ERR No such client"));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", "1", "TYPE"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "WHAT", "x"]), V::err("ERR syntax error"));
    // SKIPME no: the caller itself gets its reply, then is closed.
    let me = c.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &me.to_string(), "SKIPME", "no"]), V::Int(1));
    assert!(c.is_closed());
}

#[test]
fn reply_off_skip_on() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.send(&[b"CLIENT", b"REPLY", b"OFF"]);
    c.send(&[b"SET", b"a", b"1"]);
    c.send(&[b"GET", b"a"]);
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), V::ok());
    c.send(&[b"CLIENT", b"REPLY", b"SKIP"]);
    c.send(&[b"SET", b"b", b"2"]);
    assert_eq!(c.cmd(&["GET", "b"]), V::bulk("2"));
    // SKIP twice in a row skips the command after the second SKIP too.
    c.send(&[b"CLIENT", b"REPLY", b"SKIP"]);
    c.send(&[b"CLIENT", b"REPLY", b"SKIP"]);
    c.send(&[b"GET", b"a"]);
    assert_eq!(c.cmd(&["GET", "b"]), V::bulk("2"));
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "bogus"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("1"));
}

#[test]
fn pause_write_lets_reads_through_and_holds_writes() {
    let s = TestServer::start(&[]);
    let mut admin = s.client();
    let mut w = s.client();
    let mut r = s.client();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), V::ok());
    w.send(&[b"SET", b"k", b"v"]);
    assert_eq!(r.cmd(&["GET", "k"]), V::Nil);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.cmd(&["GET", "k"]), V::Nil);
    let l = line_pred(&mut admin, |l| field(l, "cmd") == "NULL" && field(l, "flags") == "b");
    assert!(l.is_some(), "the paused writer shows flag b");
    let info = admin.cmd(&["INFO", "clients"]).text();
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    assert_eq!(w.read(), V::ok());
    assert_eq!(r.cmd(&["GET", "k"]), V::bulk("v"));
    // The pause ends by itself at its deadline.
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300", "WRITE"]), V::ok());
    let t0 = Instant::now();
    assert_eq!(w.cmd(&["SET", "k", "w"]), V::ok());
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
    // EXEC of a transaction with writes waits; its queuing happened before the pause.
    assert_eq!(w.cmd(&["MULTI"]), V::ok());
    assert_eq!(w.cmd(&["INCR", "n"]), V::Simple("QUEUED".into()));
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), V::ok());
    w.send(&[b"EXEC"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.cmd(&["GET", "n"]), V::Nil);
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    assert_eq!(w.read(), V::Array(vec![V::Int(1)]));
    // PUBLISH (may replicate) waits under a WRITE pause; PUBSUB NUMSUB does not.
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300", "WRITE"]), V::ok());
    let t0 = Instant::now();
    // Read-only: answered at once while the pause holds (the PUBLISH below is still paused).
    assert_eq!(r.cmd(&["PUBSUB", "NUMSUB", "c"]), V::Array(vec![V::bulk("c"), V::Int(0)]));
    assert_eq!(w.cmd(&["PUBLISH", "c", "m"]), V::Int(0));
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
}

fn line_pred(c: &mut Client, pred: impl Fn(&str) -> bool) -> Option<String> {
    c.cmd(&["CLIENT", "LIST"]).text().lines().find(|l| pred(l)).map(|s| s.to_string())
}

#[test]
fn pause_all_holds_reads_until_timeout() {
    let s = TestServer::start(&[]);
    let mut admin = s.client();
    let mut r = s.client();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300"]), V::ok());
    let t0 = Instant::now();
    assert_eq!(r.cmd(&["GET", "k"]), V::Nil);
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300", "ALL"]), V::ok());
    let t0 = Instant::now();
    assert_eq!(r.cmd(&["PING"]), V::Simple("PONG".into()));
    assert!(t0.elapsed() >= Duration::from_millis(250));
    // Unknown commands are rejected at once, not postponed: the reply must come long before
    // the pause ends (a postponed one would make the read time out).
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "120000", "ALL"]), V::ok());
    r.set_read_timeout(Duration::from_secs(30));
    assert_eq!(r.cmd(&["NOSUCH"]), V::err("ERR unknown command 'NOSUCH', with args beginning with: "));
    // Under ALL even CLIENT UNPAUSE waits (as in Redis): the pause ends at its deadline.
}

#[test]
fn pause_errors_and_kill_of_a_paused_client() {
    let s = TestServer::start(&[]);
    let mut admin = s.client();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "x"]), V::err("ERR timeout is not an integer or out of range"));
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "-1"]), V::err("ERR timeout is negative"));
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10", "READ"]), V::err("ERR CLIENT PAUSE mode must be WRITE or ALL"));
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    let mut w = s.client();
    let wid = w.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), V::ok());
    w.send(&[b"SET", b"never", b"1"]);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &wid.to_string()]), V::Int(1));
    assert!(w.is_closed());
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(admin.cmd(&["EXISTS", "never"]), V::Int(0));
}

#[test]
fn unblock_and_kill_blocked_clients() {
    let s = TestServer::start(&[]);
    let mut admin = s.client();
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", "12345"]), V::Int(0));
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", "x"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(
        admin.cmd(&["CLIENT", "UNBLOCK", "1", "MAYBE"]),
        V::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    if !has_blpop(&mut admin) {
        eprintln!("SKIPPED: BLPOP is not in this build yet (lists family)");
        return;
    }
    let mut b = s.client();
    let bid = b.cmd(&["CLIENT", "ID"]).int().to_string();
    let wait_blocked = |admin: &mut Client| {
        let t0 = Instant::now();
        while !admin.cmd(&["CLIENT", "LIST", "ID", &bid]).text().contains(" flags=b ") {
            assert!(t0.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    b.send(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&mut admin);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &bid]), V::Int(1));
    assert_eq!(b.read(), V::NilArray);
    b.send(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&mut admin);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &bid, "ERROR"]), V::Int(1));
    assert_eq!(b.read(), V::err("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &bid]), V::Int(0));
    // Killing a blocked client closes it and forgets the wait.
    b.send(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&mut admin);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &bid]), V::Int(1));
    assert!(b.is_closed());
    assert_eq!(admin.cmd(&["RPUSH", "l", "x"]), V::Int(1));
    assert_eq!(admin.cmd(&["LLEN", "l"]), V::Int(1));
}

#[test]
fn tracking_default_mode_and_redirect() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut w = s.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), V::ok());
    assert_eq!(c.cmd(&["GET", "a"]), V::Nil);
    assert_eq!(w.cmd(&["SET", "a", "1"]), V::ok());
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["a"])]));
    // Its own write: the push comes after the reply.
    c.cmd(&["GET", "a"]);
    assert_eq!(c.cmd(&["SET", "a", "2"]), V::ok());
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["a"])]));
    c.cmd(&["GET", "b"]);
    assert_eq!(w.cmd(&["FLUSHALL"]), V::ok());
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::Nil]));
    match c.cmd(&["CLIENT", "TRACKINGINFO"]) {
        V::Map(m) => {
            assert_eq!(m[0], (V::bulk("flags"), V::Set(vec![V::bulk("on")])));
            assert_eq!(m[1], (V::bulk("redirect"), V::Int(0)));
        }
        other => panic!("{other:?}"),
    }
    let me = c.cmd(&["CLIENT", "ID"]).int();
    let line = w.cmd(&["CLIENT", "LIST", "ID", &me.to_string()]).text();
    assert_eq!(field(&line, "flags"), "t");
    assert_eq!(field(&line, "redir"), "0");
    assert!(w.cmd(&["INFO", "clients"]).text().contains("tracking_clients:1\r\n"));
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), V::ok());
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), V::Int(-1));

    // REDIRECT to a RESP2 client subscribed to __redis__:invalidate.
    let mut sub = s.client();
    let sid = sub.cmd(&["CLIENT", "ID"]).int().to_string();
    sub.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    let mut t = s.client();
    assert_eq!(t.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &sid]), V::ok());
    assert_eq!(t.cmd(&["CLIENT", "GETREDIR"]).int().to_string(), sid);
    t.cmd(&["GET", "k"]);
    w.cmd(&["SET", "k", "v"]);
    assert_eq!(sub.read(), V::Array(vec![V::bulk("message"), V::bulk("__redis__:invalidate"), V::bulks(&["k"])]));
    w.cmd(&["FLUSHDB"]);
    assert_eq!(sub.read(), V::Array(vec![V::bulk("message"), V::bulk("__redis__:invalidate"), V::Nil]));
    assert_eq!(
        t.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", "987654"]),
        V::err("ERR The client ID you want redirect to does not exist")
    );
    assert_eq!(t.cmd(&["CLIENT", "TRACKING", "on", "PREFIX", "x"]), V::err("ERR PREFIX option requires BCAST mode to be enabled"));
    // RESET turns tracking off.
    assert_eq!(t.cmd(&["RESET"]), V::Simple("RESET".into()));
    assert_eq!(t.cmd(&["CLIENT", "GETREDIR"]), V::Int(-1));
}

#[test]
fn tracking_bcast_optin_and_table_limit() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut w = s.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "u:", "NOLOOP"]), V::ok());
    w.cmd(&["MSET", "u:2", "a", "u:1", "b", "other", "c"]);
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["u:1", "u:2"])]));
    c.cmd(&["SET", "u:3", "mine"]); // NOLOOP: nothing for its own write
    w.cmd(&["SET", "u:4", "x"]);
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["u:4"])]));
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "u:x"]),
        V::err("ERR Prefix 'u:x' overlaps with an existing prefix 'u:'. Prefixes for a single client must not overlap.")
    );
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), V::ok());

    // OPTIN: only the read after CLIENT CACHING yes is tracked.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]), V::ok());
    c.cmd(&["GET", "n1"]);
    assert_eq!(c.cmd(&["CLIENT", "CACHING", "yes"]), V::ok());
    c.cmd(&["GET", "n2"]);
    c.cmd(&["GET", "n3"]);
    w.cmd(&["MSET", "n1", "1", "n2", "2", "n3", "3"]);
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["n2"])]));
    assert_eq!(
        c.cmd(&["CLIENT", "CACHING", "no"]),
        V::err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    );
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), V::ok());

    // tracking-table-max-keys: past the limit, keys are dropped and invalidated.
    assert_eq!(w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "2"]), V::ok());
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), V::ok());
    c.cmd(&["MGET", "t1", "t2", "t3"]);
    match c.read() {
        V::Push(p) => assert_eq!(p[0], V::bulk("invalidate")),
        other => panic!("{other:?}"),
    }
    let info = w.cmd(&["INFO", "stats"]).text();
    assert!(info.contains("tracking_total_keys:2\r\n"), "{info}");
}

#[test]
fn tracking_lazy_expiry_passes_noloop_and_table_limit_applies_at_once() {
    let s = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    let mut w = s.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), V::ok());
    // Its own SET is filtered by NOLOOP; the expiry its own GET finds is the server's deletion.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]), V::ok());
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "50"]), V::ok());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["GET", "k"]), V::Nil);
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["k"])]));
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), V::ok());
    // Default mode: a key the client read, lazily expired by its own access.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "NOLOOP"]), V::ok());
    assert_eq!(c.cmd(&["SET", "k2", "v", "PX", "50"]), V::ok());
    assert_eq!(c.cmd(&["STRLEN", "k2"]), V::Int(1));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["EXISTS", "k2"]), V::Int(0));
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["k2"])]));
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), V::ok());
    // EXISTS tracked k2 again. The table is emptied by FLUSHALL even when nobody tracks any more.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), V::ok());
    assert!(w.cmd(&["INFO", "stats"]).text().contains("tracking_total_keys:1\r\n"));
    assert_eq!(w.cmd(&["FLUSHALL"]), V::ok());
    assert!(w.cmd(&["INFO", "stats"]).text().contains("tracking_total_keys:0\r\n"));

    // Lowering tracking-table-max-keys evicts from the table at once.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), V::ok());
    w.cmd(&["MSET", "a", "1", "b", "2"]);
    c.cmd(&["MGET", "a", "b"]);
    assert_eq!(w.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]), V::ok());
    match c.read() {
        V::Push(p) => assert!(p[1] == V::bulks(&["a"]) || p[1] == V::bulks(&["b"]), "{p:?}"),
        other => panic!("{other:?}"),
    }
    assert!(w.cmd(&["INFO", "stats"]).text().contains("tracking_total_keys:1\r\n"));
}

#[test]
fn tracking_messages_ordered_around_replies() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut w = s.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on"]), V::ok());
    // An invalidation sent before the client's next command comes before that command's reply.
    for i in 0..50 {
        let key = format!("k{i}");
        c.cmd(&["GET", &key]);
        w.cmd(&["SET", &key, "1"]);
        c.send(&[b"PING"]);
        assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&[&key])]), "round {i}");
        assert_eq!(c.read(), V::Simple("PONG".into()));
    }
    // A blocked BLMOVE served later: its reply, then the invalidation its push caused.
    w.cmd(&["RPUSH", "dst", "a"]);
    c.cmd(&["LRANGE", "dst", "0", "-1"]);
    c.send(&[b"BLMOVE", b"src", b"dst", b"LEFT", b"LEFT", b"0"]);
    while w.cmd(&["INFO", "clients"]).text().contains("blocked_clients:0\r\n") {
        std::thread::sleep(Duration::from_millis(5));
    }
    w.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(c.read(), V::bulk("foo"));
    assert_eq!(c.read(), V::Push(vec![V::bulk("invalidate"), V::bulks(&["dst"])]));

    // QUIT breaks a redirect to the quitting client at once.
    let mut r = s.client();
    let rid = r.cmd(&["CLIENT", "ID"]).int().to_string();
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &rid]), V::ok());
    c.cmd(&["GET", "x"]);
    assert_eq!(r.cmd(&["QUIT"]), V::ok());
    w.cmd(&["SET", "x", "1"]);
    assert_eq!(c.read(), V::Push(vec![V::bulk("tracking-redir-broken"), V::Int(rid.parse().unwrap())]));
}

#[test]
fn qbuf_counts_the_callers_own_request() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let line = c.cmd(&["CLIENT", "INFO"]).text();
    assert_eq!(field(&line, "qbuf"), "26");
    let list = c.cmd(&["CLIENT", "LIST"]).text();
    assert_eq!(field(list.lines().next().unwrap(), "qbuf"), "26");
    let mut other = s.client();
    other.cmd(&["CLIENT", "SETNAME", "other"]);
    let line = line_named(&mut c, "other").unwrap();
    assert_eq!(field(&line, "qbuf"), "0");
}

/// CLIENT LIST reports the query buffer's free space; a connection idle for more than 2 s
/// has its buffer freed (Redis's clientsCron), and a large request's buffer is trimmed back.
#[test]
fn query_buffer_is_reported_trimmed_and_freed_when_idle() {
    let s = TestServer::start(&[]);
    let mut idle = s.client();
    assert_eq!(idle.cmd(&["CLIENT", "SETNAME", "idle"]), V::ok());
    let mut c = s.client();
    let field = |c: &mut Client, name: &str, f: &str| -> usize {
        let list = c.cmd(&["CLIENT", "LIST"]).text();
        let line = list.lines().find(|l| l.contains(&format!(" name={name} "))).unwrap().to_string();
        let v = line.split(' ').find_map(|kv| kv.strip_prefix(&format!("{f}="))).unwrap();
        v.parse().unwrap()
    };
    assert!(field(&mut c, "idle", "qbuf-free") >= 16384);
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(field(&mut c, "idle", "qbuf-free"), 0);
    // Still usable, and the buffer comes back.
    assert_eq!(idle.cmd(&["PING"]), V::Simple("PONG".into()));

    let big = "x".repeat(400_000);
    assert_eq!(idle.cmd(&["SET", "big", &big]), V::ok());
    let mut shrunk = false;
    for _ in 0..100 {
        assert_eq!(idle.cmd(&["SET", "small", "v"]), V::ok());
        let free = field(&mut c, "idle", "qbuf-free");
        if free > 0 && free < 100_000 {
            shrunk = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(shrunk, "the query buffer was not trimmed after a large request");
}

fn blocked_count(c: &mut Client) -> i64 {
    let info = c.cmd(&["INFO", "clients"]).text();
    info.lines().find_map(|l| l.strip_prefix("blocked_clients:")).map(|v| v.trim().parse().unwrap()).unwrap()
}

fn wait_blocked(c: &mut Client, n: i64) {
    for _ in 0..200 {
        if blocked_count(c) == n {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never saw {n} blocked clients");
}

#[test]
fn pause_write_lets_read_only_scripts_through() {
    let s = TestServer::start(&[]);
    let mut admin = s.client();
    let mut r = s.client();
    assert_eq!(r.cmd(&["SET", "x", "y"]), V::ok());
    let lib = "#!lua name=f1\nredis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}";
    assert_eq!(r.cmd(&["FUNCTION", "LOAD", "REPLACE", lib]), V::bulk("f1"));
    let sha = r.cmd(&["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 2"]).text();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), V::ok());
    // Scripts declaring no-writes, EVAL_RO and FCALL of a no-writes function are answered.
    assert_eq!(r.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 'ro'", "0"]), V::bulk("ro"));
    assert_eq!(r.cmd(&["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "x"]), V::bulk("y"));
    assert_eq!(r.cmd(&["EVALSHA", &sha, "0"]), V::Int(2));
    assert_eq!(r.cmd(&["FCALL", "f1", "0"]), V::bulk("hello"));
    assert_eq!(r.cmd(&["MULTI"]), V::ok());
    assert_eq!(r.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 12", "0"]), V::Simple("QUEUED".into()));
    assert_eq!(r.cmd(&["EXEC"]), V::Array(vec![V::Int(12)]));
    // Read-only scripts refuse may-replicate commands (PUBLISH).
    match r.cmd(&["EVAL_RO", "return redis.call('publish','ch','msg')", "0"]) {
        V::Error(e) => assert!(e.starts_with("ERR Write commands are not allowed from read-only scripts."), "{e}"),
        other => panic!("{other:?}"),
    }
    // A plain EVAL (may replicate) and a `#!lua` script without flags (may write) are held.
    let mut w1 = s.client();
    let mut w2 = s.client();
    w1.send(&[b"EVAL", b"return 1", b"0"]);
    w2.send(&[b"EVAL", b"#!lua\nreturn 1", b"0"]);
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    assert_eq!(w1.read(), V::Int(1));
    assert_eq!(w2.read(), V::Int(1));
    assert_eq!(r.cmd(&["EVAL", "return redis.call('publish','ch','msg')", "0"]), V::Int(0));
}

fn expired_keys(c: &mut Client) -> i64 {
    let info = c.cmd(&["INFO", "stats"]).text();
    info.lines().find_map(|l| l.strip_prefix("expired_keys:")).map(|v| v.trim().parse().unwrap()).unwrap()
}

#[test]
fn expiry_is_paused_with_client_pause() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let before = expired_keys(&mut c);
    assert_eq!(c.cmd(&["MULTI"]), V::ok());
    c.cmd(&["SET", "a", "1", "PX", "10"]);
    c.cmd(&["SET", "b", "1", "PX", "10"]);
    c.cmd(&["CLIENT", "PAUSE", "50000", "WRITE"]);
    assert_eq!(c.cmd(&["EXEC"]).array().len(), 3);
    std::thread::sleep(Duration::from_millis(300));
    // Logically expired (reads miss), but neither lazy nor active expiry deletes them.
    assert_eq!(c.cmd(&["GET", "a"]), V::Nil);
    assert_eq!(c.cmd(&["EXISTS", "a", "b"]), V::Int(0));
    assert_eq!(c.cmd(&["TTL", "b"]), V::Int(-2));
    let scan = c.cmd(&["SCAN", "0"]);
    assert_eq!(scan.array()[1], V::Array(vec![]));
    c.cmd(&["RANDOMKEY"]);
    assert_eq!(expired_keys(&mut c), before);
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(2));
    assert_eq!(c.cmd(&["CLIENT", "UNPAUSE"]), V::ok());
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET", "b"]);
    assert_eq!(expired_keys(&mut c), before + 2);
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
}
