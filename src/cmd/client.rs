//! CLIENT: connection introspection and control (ID, SETNAME, GETNAME, SETINFO, LIST, INFO,
//! KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT, NO-TOUCH, UNBLOCK, GETREDIR, TRACKING*, HELP).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::{err, flags::*, is, CommandSpec, CommandTable, Ctx};
use crate::client::{ClientShared, ReplyMode};
use crate::resp::Reply;
use crate::server::Server;

pub fn register(t: &mut CommandTable) {
    let base = NOSCRIPT | LOADING | STALE;
    let s = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("connection").acl("@slow @connection");
    let admin = |name, arity, h| {
        CommandSpec::new(name, arity, ADMIN | NOSCRIPT | LOADING | STALE, h)
            .group("connection")
            .acl("@admin @slow @dangerous @connection")
    };
    t.add(
        CommandSpec::new("client", -2, 0, super::server_cmds::container)
            .group("connection")
            .acl("@slow")
            .doc("2.4.0", "A container for client connection commands.")
            .sub(vec![
                s("id", 2, base, client_id),
                s("info", 2, base, client_info),
                s("setname", 3, base, client_setname),
                s("getname", 2, base, client_getname),
                s("setinfo", 4, base, client_setinfo),
                s("reply", 3, base, client_reply),
                s("no-touch", 3, base, client_no_touch),
                s("getredir", 2, base, client_getredir),
                s("tracking", -3, base, client_tracking),
                s("trackinginfo", 2, base, client_trackinginfo),
                s("caching", 3, base, client_caching),
                s("help", 2, LOADING | STALE, client_help),
                admin("list", -2, client_list),
                admin("kill", -3, client_kill),
                admin("pause", -3, client_pause),
                admin("unpause", 2, client_unpause),
                admin("unblock", -3, client_unblock),
                admin("no-evict", 3, client_no_evict),
            ]),
    );
}

fn syntax_for(argv: &[Bytes]) -> Reply {
    let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
    Reply::Error(format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP."))
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.client.id as i64)
}

/// The client types of CLIENT LIST TYPE / CLIENT KILL TYPE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type_by_name(name: &[u8]) -> Option<ClientType> {
    if is(name, "normal") {
        Some(ClientType::Normal)
    } else if is(name, "slave") || is(name, "replica") {
        Some(ClientType::Replica)
    } else if is(name, "pubsub") {
        Some(ClientType::PubSub)
    } else if is(name, "master") {
        Some(ClientType::Master)
    } else {
        None
    }
}

fn subscriptions(cs: &ClientShared) -> usize {
    cs.sub_count.load(Ordering::Relaxed) + cs.psub_count.load(Ordering::Relaxed) + cs.ssub_count.load(Ordering::Relaxed)
}

fn client_type(cs: &ClientShared) -> ClientType {
    // MONITOR clients are replicas flagged as monitors in Redis: their type is normal.
    if subscriptions(cs) > 0 {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

fn unknown_type(name: &[u8]) -> Reply {
    Reply::Error(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(name)))
}

/// One line of CLIENT LIST / CLIENT INFO, with every field Redis 7.2 prints, in its order.
/// `me` is the calling client's own argv (its `argv-mem`).
fn info_line(srv: &Server, cs: &ClientShared, me: Option<&[Bytes]>) -> String {
    let now = crate::util::now_ms();
    let age = (now / 1000 - cs.created_ms / 1000).max(0);
    let idle = (now / 1000 - cs.last_interaction_ms.load(Ordering::Relaxed) / 1000).max(0);
    let id = cs.id;
    let multi = cs.multi_count.load(Ordering::Relaxed);
    let mut flags = String::new();
    if srv.monitors.iter().any(|m| m.id == id) {
        flags.push('O');
    }
    if subscriptions(cs) > 0 {
        flags.push('P');
    }
    if multi >= 0 {
        flags.push('x');
    }
    if srv.waiters.contains_key(&id) || cs.postponed.load(Ordering::Relaxed) {
        flags.push('b');
    }
    if srv.watches.values().any(|ws| ws.iter().any(|(cid, f)| *cid == id && f.load(Ordering::Relaxed))) {
        flags.push('d');
    }
    if cs.killed.load(Ordering::Relaxed) {
        flags.push('A');
    }
    if cs.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if cs.no_touch.load(Ordering::Relaxed) {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let text = |b: &Option<Bytes>| b.as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
    let name = text(&cs.name.lock());
    let lib_name = text(&cs.lib_name.lock());
    let lib_ver = text(&cs.lib_ver.lock());
    let argv_mem: usize = me.map(|a| a.iter().map(|x| x.len()).sum()).unwrap_or(0);
    let qbuf = cs.qbuf.load(Ordering::Relaxed);
    let omem = cs.omem.load(Ordering::Relaxed);
    let rbs = 1024;
    let tot_mem = 1928 + qbuf + argv_mem + rbs + omem;
    format!(
        "id={id} addr={} laddr={} fd={} name={name} age={age} idle={idle} flags={flags} db={} sub={} psub={} ssub={} \
         multi={multi} qbuf={qbuf} qbuf-free=0 argv-mem={argv_mem} multi-mem=0 rbs={rbs} rbp=0 obl=0 oll=0 omem={omem} \
         tot-mem={tot_mem} events=r cmd={} user={} redir=-1 resp={} lib-name={lib_name} lib-ver={lib_ver}",
        cs.addr,
        cs.laddr,
        cs.fd,
        cs.db.load(Ordering::Relaxed),
        cs.sub_count.load(Ordering::Relaxed),
        cs.psub_count.load(Ordering::Relaxed),
        cs.ssub_count.load(Ordering::Relaxed),
        cs.last_cmd.lock(),
        cs.user.lock(),
        cs.resp.load(Ordering::Relaxed),
    )
}

fn sorted_clients(srv: &Server) -> Vec<Arc<ClientShared>> {
    let mut all: Vec<Arc<ClientShared>> = srv.clients.values().cloned().collect();
    all.sort_by_key(|c| c.id);
    all
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let cs = ctx.client.shared.clone();
    let mut line = info_line(ctx.srv, &cs, Some(argv));
    line.push('\n');
    Reply::Verbatim("txt", Bytes::from(line))
}

/// CLIENT LIST [TYPE type] [ID id [id ...]]
fn client_list(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut want_type = None;
    let mut want_ids: Option<Vec<u64>> = None;
    if argv.len() == 4 && is(&argv[2], "type") {
        match client_type_by_name(&argv[3]) {
            Some(t) => want_type = Some(t),
            None => return unknown_type(&argv[3]),
        }
    } else if argv.len() > 3 && is(&argv[2], "id") {
        let mut ids = Vec::new();
        for a in &argv[3..] {
            match crate::util::parse_i64(a) {
                Some(n) if n >= 1 => ids.push(n as u64),
                _ => return Reply::Error("ERR Invalid client ID".into()),
            }
        }
        want_ids = Some(ids);
    } else if argv.len() != 2 {
        return err::syntax();
    }
    let me = ctx.client.id;
    let mut out = String::new();
    let clients: Vec<Arc<ClientShared>> = match &want_ids {
        Some(ids) => {
            // In the order the IDs were given, each at most as often as given (as Redis).
            ids.iter().filter_map(|id| ctx.srv.clients.get(id).cloned()).collect()
        }
        None => sorted_clients(ctx.srv),
    };
    for cs in clients {
        if let Some(t) = want_type {
            if client_type(&cs) != t {
                continue;
            }
        }
        let own = if cs.id == me { Some(argv) } else { None };
        out.push_str(&info_line(ctx.srv, &cs, own));
        out.push('\n');
    }
    Reply::Verbatim("txt", Bytes::from(out))
}

/// CLIENT SETNAME name
fn client_setname(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = super::server_cmds::validate_client_name(&argv[2]) {
        return e;
    }
    let n = &argv[2];
    *ctx.client.shared.name.lock() = if n.is_empty() { None } else { Some(n.clone()) };
    Reply::ok()
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    match ctx.client.shared.name.lock().as_ref() {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Nil,
    }
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value
fn client_setinfo(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let attr = String::from_utf8_lossy(&argv[2]).into_owned();
    let is_name = is(&argv[2], "lib-name");
    if !is_name && !is(&argv[2], "lib-ver") {
        return Reply::Error(format!("ERR Unrecognized option '{attr}'"));
    }
    let val = &argv[3];
    if val.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Reply::Error(format!("ERR {attr} cannot contain spaces, newlines or special characters."));
    }
    let slot = if is_name { &ctx.client.shared.lib_name } else { &ctx.client.shared.lib_ver };
    *slot.lock() = if val.is_empty() { None } else { Some(val.clone()) };
    Reply::ok()
}

/// CLIENT REPLY ON|OFF|SKIP (the suppression itself happens in the connection, `net.rs`).
fn client_reply(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if is(&argv[2], "on") {
        ctx.client.reply_mode = ReplyMode::On;
        Reply::ok()
    } else if is(&argv[2], "off") {
        ctx.client.reply_mode = ReplyMode::Off;
        Reply::ok()
    } else if is(&argv[2], "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
        Reply::ok()
    } else {
        err::syntax()
    }
}

fn on_off(arg: &[u8]) -> Option<bool> {
    if is(arg, "on") {
        Some(true)
    } else if is(arg, "off") {
        Some(false)
    } else {
        None
    }
}

/// CLIENT NO-EVICT ON|OFF
fn client_no_evict(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match on_off(&argv[2]) {
        Some(v) => {
            ctx.client.shared.no_evict.store(v, Ordering::Relaxed);
            Reply::ok()
        }
        None => err::syntax(),
    }
}

/// CLIENT NO-TOUCH ON|OFF
fn client_no_touch(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match on_off(&argv[2]) {
        Some(v) => {
            ctx.client.no_touch = v;
            ctx.client.shared.no_touch.store(v, Ordering::Relaxed);
            Reply::ok()
        }
        None => err::syntax(),
    }
}

/// CLIENT GETREDIR: tracking is never enabled here, so -1.
fn client_getredir(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(-1)
}

/// CLIENT TRACKING ON|OFF [...]: client-side caching is not supported; OFF is a no-op.
fn client_tracking(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match on_off(&argv[2]) {
        Some(false) => Reply::ok(),
        Some(true) => Reply::Error("ERR CLIENT TRACKING ON is not supported by this server".into()),
        None => err::syntax(),
    }
}

/// CLIENT TRACKINGINFO (tracking is always off).
fn client_trackinginfo(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Map(vec![
        (Reply::bulk_str("flags"), Reply::Set(vec![Reply::bulk_str("off")])),
        (Reply::bulk_str("redirect"), Reply::Int(-1)),
        (Reply::bulk_str("prefixes"), Reply::Array(vec![])),
    ])
}

/// CLIENT CACHING YES|NO: only valid in OPTIN/OPTOUT tracking, which never is on here.
fn client_caching(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into(),
    )
}

/// CLIENT KILL addr | CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR addr] [USER user]
/// [SKIPME yes|no] [MAXAGE secs]
fn client_kill(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut id: Option<u64> = None;
    let mut ctype: Option<ClientType> = None;
    let mut user: Option<&[u8]> = None;
    let mut maxage: Option<i64> = None;
    let mut skipme = true;
    let old_form = argv.len() == 3;
    if old_form {
        addr = Some(&argv[2]);
        skipme = false; // With the old form a client may kill itself.
    } else {
        let mut i = 2;
        while i < argv.len() {
            let opt = &argv[i];
            let Some(val) = argv.get(i + 1) else { return err::syntax() };
            if is(opt, "id") {
                match crate::util::parse_i64(val) {
                    Some(n) if n >= 1 => id = Some(n as u64),
                    _ => return Reply::Error("ERR client-id should be greater than 0".into()),
                }
            } else if is(opt, "type") {
                match client_type_by_name(val) {
                    Some(t) => ctype = Some(t),
                    None => return unknown_type(val),
                }
            } else if is(opt, "addr") {
                addr = Some(val);
            } else if is(opt, "laddr") {
                laddr = Some(val);
            } else if is(opt, "user") {
                if &val[..] != b"default" {
                    return Reply::Error(format!("ERR No such user '{}'", String::from_utf8_lossy(val)));
                }
                user = Some(val);
            } else if is(opt, "skipme") {
                if is(val, "yes") {
                    skipme = true;
                } else if is(val, "no") {
                    skipme = false;
                } else {
                    return err::syntax();
                }
            } else if is(opt, "maxage") {
                // Redis 7.4+ filter: connections older than `maxage` seconds.
                match crate::util::parse_i64(val) {
                    Some(n) if n > 0 => maxage = Some(n),
                    Some(_) => return Reply::Error("ERR maxage should be greater than 0".into()),
                    None => return Reply::Error("ERR maxage is not an integer or out of range".into()),
                }
            } else {
                return err::syntax();
            }
            i += 2;
        }
    }
    let me = ctx.client.id;
    let now_s = crate::util::now_ms() / 1000;
    let mut killed = 0i64;
    let mut kill_me = false;
    for cs in sorted_clients(ctx.srv) {
        if addr.is_some_and(|a| a != cs.addr.as_bytes()) {
            continue;
        }
        if laddr.is_some_and(|a| a != cs.laddr.as_bytes()) {
            continue;
        }
        if id.is_some_and(|i| i != cs.id) {
            continue;
        }
        if ctype.is_some_and(|t| t != client_type(&cs)) {
            continue;
        }
        if user.is_some_and(|u| u != cs.user.lock().as_bytes()) {
            continue;
        }
        if maxage.is_some_and(|m| now_s - cs.created_ms / 1000 <= m) {
            continue;
        }
        if cs.id == me {
            if skipme {
                continue;
            }
            kill_me = true;
        } else {
            // Gone at once, as Redis frees it: no more messages, no more data served to its
            // blocked command (the connection task finishes the cleanup).
            cs.kill();
            ctx.srv.clients.remove(&cs.id);
            ctx.srv.pubsub.remove_client(cs.id);
            ctx.srv.remove_waiter(cs.id);
            ctx.srv.monitors.retain(|m| m.id != cs.id);
        }
        killed += 1;
    }
    if kill_me {
        ctx.client.close_after_reply = true;
    }
    if old_form {
        if killed == 0 {
            Reply::Error("ERR No such client".into())
        } else {
            Reply::ok()
        }
    } else {
        Reply::Int(killed)
    }
}

/// CLIENT PAUSE timeout [WRITE|ALL]: other commands wait (in the connection, outside the lock)
/// until the pause ends; see `server::pause_blocks`.
fn client_pause(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() > 4 {
        return syntax_for(argv);
    }
    let mut writes_only = false;
    if argv.len() == 4 {
        if is(&argv[3], "write") {
            writes_only = true;
        } else if !is(&argv[3], "all") {
            return Reply::Error("ERR CLIENT PAUSE mode must be WRITE or ALL".into());
        }
    }
    let Some(ms) = crate::util::parse_i64(&argv[2]) else {
        return Reply::Error("ERR timeout is not an integer or out of range".into());
    };
    if ms < 0 {
        return Reply::Error("ERR timeout is negative".into());
    }
    let end = ctx.now.saturating_add(ms);
    let srv = &mut *ctx.srv;
    let active = srv.pause_until != 0 && ctx.now < srv.pause_until;
    if active {
        // The strongest pause and the latest end win.
        srv.pause_writes_only = srv.pause_writes_only && writes_only;
        srv.pause_until = srv.pause_until.max(end);
    } else {
        srv.pause_writes_only = writes_only;
        srv.pause_until = end;
    }
    Reply::ok()
}

/// CLIENT UNPAUSE
fn client_unpause(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    ctx.srv.pause_until = 0;
    ctx.srv.pause_writes_only = false;
    Reply::ok()
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
fn client_unblock(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() > 4 {
        return syntax_for(argv);
    }
    let mut with_error = false;
    if argv.len() == 4 {
        if is(&argv[3], "timeout") {
            with_error = false;
        } else if is(&argv[3], "error") {
            with_error = true;
        } else {
            return Reply::Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into());
        }
    }
    let Some(id) = crate::util::parse_i64(&argv[2]) else { return err::not_int() };
    if id < 0 {
        return Reply::Int(0);
    }
    match ctx.srv.remove_waiter(id as u64) {
        Some(w) => {
            if with_error {
                let _ = w.tx.send(Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into()));
            }
            // Dropping the sender without a reply makes the connection send its timeout reply.
            Reply::Int(1)
        }
        None => Reply::Int(0),
    }
}

const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Print this help.",
];

/// CLIENT HELP (Redis 7.2's text).
fn client_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Array(CLIENT_HELP.iter().map(|l| Reply::Simple((*l).into())).collect())
}
