//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, AUTH, HELLO.

use bytes::Bytes;

use super::{err, flags::*, is, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("connection").acl("@connection");
    t.add(c("ping", -1, FAST | STALE, ping).acl("@fast @connection"));
    t.add(c("echo", 2, FAST | STALE, echo).acl("@fast @connection"));
    t.add(c("select", 2, LOADING | STALE | FAST, select).acl("@fast @connection"));
    t.add(c("quit", -1, ALLOW_BUSY | NO_AUTH | LOADING | STALE | FAST, quit).acl("@fast @connection"));
    t.add(c("reset", 1, NOSCRIPT | LOADING | STALE | NO_AUTH | ALLOW_BUSY | FAST, reset).acl("@fast @connection"));
    // AUTH and HELLO are shown by MONITOR and SLOWLOG with their secrets redacted
    // (`redact_for_logs`), as in Redis 7.
    t.add(c("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, auth).acl("@fast @connection"));
    t.add(c("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY, hello).acl("@fast @connection"));
}

/// PING [message]
fn ping(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() > 2 {
        return err::wrong_args("ping");
    }
    if ctx.client.in_subscribed_mode() {
        let msg = argv.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk_str("pong"), Reply::Bulk(msg)]);
    }
    match argv.get(1) {
        Some(m) => Reply::Bulk(m.clone()),
        None => Reply::Simple("PONG".into()),
    }
}

/// ECHO message
fn echo(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    Reply::Bulk(argv[1].clone())
}

/// SELECT index
fn select(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some(id) = crate::util::parse_i64(&argv[1]) else {
        return Reply::Error("ERR value is not an integer or out of range".into());
    };
    if id < 0 || id as usize >= ctx.srv.dbs.len() {
        return Reply::Error(err::DB_RANGE.into());
    }
    ctx.client.select(id as usize);
    Reply::ok()
}

/// The arguments as MONITOR and SLOWLOG show them, when some must be hidden: `(redacted)` in
/// place of AUTH's username and password, HELLO's `AUTH user password`, and the values of
/// sensitive parameters in CONFIG SET (requirepass, masterauth...), as Redis's
/// `redactClientCommandArgument` calls. `None`: shown as is.
pub fn redact_for_logs(argv: &[Bytes]) -> Option<Vec<Bytes>> {
    const REDACTED: Bytes = Bytes::from_static(b"(redacted)");
    let name = argv.first()?;
    let mut out: Option<Vec<Bytes>> = None;
    let mut hide = |i: usize| {
        out.get_or_insert_with(|| argv.to_vec())[i] = REDACTED;
    };
    if name.eq_ignore_ascii_case(b"auth") {
        // AUTH with more than two arguments is a syntax error and shown as is (as in Redis).
        if argv.len() <= 3 {
            (1..argv.len()).for_each(&mut hide);
        }
    } else if name.eq_ignore_ascii_case(b"hello") {
        let mut j = 2;
        while j < argv.len() {
            let more = argv.len() - 1 - j;
            if argv[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                hide(j + 1);
                hide(j + 2);
                j += 3;
            } else if argv[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
    } else if name.eq_ignore_ascii_case(b"config") && argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"set")) {
        let mut i = 2;
        while i + 1 < argv.len() {
            let param = String::from_utf8_lossy(&argv[i]).to_ascii_lowercase();
            if crate::config::lookup(&param).is_some_and(|(p, _)| p.has(crate::config::pflags::SENSITIVE)) {
                hide(i + 1);
            }
            i += 2;
        }
    }
    out
}

/// QUIT
fn quit(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    ctx.client.close_after_reply = true;
    // Gone for everyone else from now on (a tracking redirect to it is broken, messages are
    // not counted), as Redis frees the client right after writing this reply; the connection
    // still writes the reply before closing.
    ctx.client.shared.killed.store(true, std::sync::atomic::Ordering::SeqCst);
    Reply::ok()
}

/// RESET: back to a fresh connection state.
fn reset(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let c = &mut *ctx.client;
    c.multi = None;
    c.shared.multi_count.store(-1, std::sync::atomic::Ordering::Relaxed);
    crate::server::unwatch_all(ctx.srv, ctx.client);
    crate::cmd::client::tracking_disable(ctx.srv, ctx.client.id);
    let c = &mut *ctx.client;
    c.select(0);
    c.resp = 2;
    c.shared.resp.store(2, std::sync::atomic::Ordering::Relaxed);
    c.reply_mode = crate::client::ReplyMode::On;
    *c.shared.name.lock() = None;
    c.subscriptions.clear();
    c.patterns.clear();
    c.shard_subscriptions.clear();
    ctx.srv.pubsub.remove_client(c.id);
    c.shared.sub_count.store(0, std::sync::atomic::Ordering::Relaxed);
    c.shared.psub_count.store(0, std::sync::atomic::Ordering::Relaxed);
    if c.is_monitor {
        c.is_monitor = false;
        let id = c.id;
        ctx.srv.monitors.retain(|m| m.id != id);
    }
    c.authenticated = ctx.srv.config.requirepass.is_none();
    c.user = "default".into();
    Reply::Simple("RESET".into())
}

/// Checks credentials; returns the error reply on failure.
fn check_auth(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8]) -> Result<(), Reply> {
    let wrong = || Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".into());
    if let Some(u) = user {
        if u != b"default" {
            return Err(wrong());
        }
    }
    match &ctx.srv.config.requirepass {
        None => {
            if user.is_none() {
                return Err(Reply::Error(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into(),
                ));
            }
            ctx.client.authenticated = true;
            Ok(())
        }
        Some(p) if p.as_slice() == pass => {
            ctx.client.authenticated = true;
            Ok(())
        }
        Some(_) => Err(wrong()),
    }
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() > 3 {
        return err::syntax();
    }
    let (user, pass) = if argv.len() == 3 { (Some(&argv[1][..]), &argv[2][..]) } else { (None, &argv[1][..]) };
    match check_auth(ctx, user, pass) {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut ver = ctx.client.resp;
    let mut i = 1;
    if argv.len() >= 2 {
        match crate::util::parse_i64(&argv[1]) {
            Some(v) if v == 2 || v == 3 => ver = v as u8,
            Some(_) => return Reply::Error("NOPROTO unsupported protocol version".into()),
            None => return Reply::Error("ERR Protocol version is not an integer or out of range".into()),
        }
        i = 2;
    }
    let mut setname = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if is(&argv[i], "auth") && more >= 2 {
            if let Err(e) = check_auth(ctx, Some(&argv[i + 1]), &argv[i + 2]) {
                return e;
            }
            i += 3;
        } else if is(&argv[i], "setname") && more >= 1 {
            if let Err(e) = super::server_cmds::validate_client_name(&argv[i + 1]) {
                return e;
            }
            // A copy, not a slice of the read buffer (which it would keep allocated).
            setname = Some(Bytes::copy_from_slice(&argv[i + 1]));
            i += 2;
        } else {
            return Reply::Error(format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(&argv[i])));
        }
    }
    if !ctx.client.authenticated {
        return Reply::Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    if let Some(n) = setname {
        *ctx.client.shared.name.lock() = if n.is_empty() { None } else { Some(n) };
    }
    ctx.client.resp = ver;
    ctx.client.shared.resp.store(ver as usize, std::sync::atomic::Ordering::Relaxed);
    Reply::Map(vec![
        (Reply::bulk_str("server"), Reply::bulk_str("redis")),
        (Reply::bulk_str("version"), Reply::bulk_str(crate::server_info::REDIS_VERSION)),
        (Reply::bulk_str("proto"), Reply::Int(ver as i64)),
        (Reply::bulk_str("id"), Reply::Int(ctx.client.id as i64)),
        (Reply::bulk_str("mode"), Reply::bulk_str("standalone")),
        (Reply::bulk_str("role"), Reply::bulk_str("master")),
        (Reply::bulk_str("modules"), Reply::Array(vec![])),
    ])
}
