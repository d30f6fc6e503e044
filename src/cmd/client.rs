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

/// Bytes of `argv` as a RESP multibulk request (`*2\r\n$6\r\nclient\r\n$4\r\nlist\r\n`: 26).
fn request_len(argv: &[Bytes]) -> usize {
    let digits = |n: usize| n.to_string().len();
    argv.iter().fold(3 + digits(argv.len()), |acc, a| acc + 5 + digits(a.len()) + a.len())
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
    let tracking = srv.tracking.clients.get(&id);
    if let Some(t) = tracking {
        flags.push('t');
        if t.broken_redirect {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    let redir = tracking.map(|t| t.redirect as i64).unwrap_or(-1);
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
    // The query buffer holds the calling client's own request while it runs (Redis trims it
    // after the command: `qbuf=26` for CLIENT LIST); the others' requests were all consumed.
    let qbuf = me.map(request_len).unwrap_or(0).max(cs.qbuf.load(Ordering::Relaxed));
    let qbuf_free = cs.qbuf_free.load(Ordering::Relaxed);
    let omem = cs.omem.load(Ordering::Relaxed);
    let rbs = 1024;
    let tot_mem = 1928 + qbuf + qbuf_free + argv_mem + rbs + omem;
    format!(
        "id={id} addr={} laddr={} fd={} name={name} age={age} idle={idle} flags={flags} db={} sub={} psub={} ssub={} \
         multi={multi} qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem=0 rbs={rbs} rbp=0 obl=0 oll=0 omem={omem} \
         tot-mem={tot_mem} events=r cmd={} user={} redir={redir} resp={} lib-name={lib_name} lib-ver={lib_ver}",
        cs.addr,
        cs.laddr,
        cs.fd,
        cs.db.load(Ordering::Relaxed),
        cs.sub_count.load(Ordering::Relaxed),
        cs.psub_count.load(Ordering::Relaxed),
        cs.ssub_count.load(Ordering::Relaxed),
        last_cmd_name(cs),
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

/// CLIENT LIST's `cmd=`: the full name of the command the client last ran.
fn last_cmd_name(cs: &ClientShared) -> &'static str {
    super::COMMANDS.full_name(cs.last_cmd.load(Ordering::Relaxed)).unwrap_or("NULL")
}

/// CLIENT SETNAME name
fn client_setname(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = super::server_cmds::validate_client_name(&argv[2]) {
        return e;
    }
    let n = &argv[2];
    // Copies: arguments are slices of the read buffer, which they would keep allocated.
    *ctx.client.shared.name.lock() = if n.is_empty() { None } else { Some(Bytes::copy_from_slice(n)) };
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
    *slot.lock() = if val.is_empty() { None } else { Some(Bytes::copy_from_slice(val)) };
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

// ---------------------------------------------------------------------------------------------
// Client-side caching (CLIENT TRACKING), as Redis 7.2's tracking.c
// ---------------------------------------------------------------------------------------------

/// One tracking client's options.
#[derive(Clone, Debug, Default)]
pub struct TrackOpts {
    /// REDIRECT target (0 = none).
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// BCAST prefixes ("" = every key), sorted.
    pub prefixes: Vec<Bytes>,
    /// CLIENT CACHING yes|no given for the next command.
    pub caching: Option<bool>,
    /// The redirect target was found gone (flag `R`, TRACKINGINFO `broken_redirect`).
    pub broken_redirect: bool,
}

/// Server-wide tracking state.
#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on, by id.
    pub clients: hashbrown::HashMap<u64, TrackOpts>,
    /// Key → ids of the (default mode) clients that may have cached it.
    pub table: hashbrown::HashMap<Bytes, hashbrown::HashSet<u64>>,
    /// BCAST prefix → subscribed clients, and the keys modified since the last broadcast
    /// (key → the client that modified it last, for NOLOOP).
    pub prefixes: std::collections::BTreeMap<Bytes, (Vec<u64>, std::collections::BTreeMap<Bytes, u64>)>,
    /// The client whose command is executing (0 for the server's own work).
    pub current: u64,
    /// `tracking-table-max-keys` (read from the configuration on first use; 0 = no limit).
    pub max_keys: Option<usize>,
    /// Messages for a client held back while a blocked command is served for it (sent after
    /// its reply, `tracking_release_own`).
    pub held: Option<(u64, Vec<Reply>)>,
}

impl Tracking {
    pub fn active(&self) -> bool {
        !self.clients.is_empty()
    }
}

/// Where an invalidation for `id` goes: the client itself or its REDIRECT target, as a RESP3
/// push `invalidate`, or a `__redis__:invalidate` message to a subscribed RESP2 target.
/// `keys` None is the FLUSHALL/FLUSHDB invalidation (null).
fn send_invalidation(srv: &mut Server, id: u64, keys: Option<Vec<Bytes>>) {
    let Some(opts) = srv.tracking.clients.get(&id) else { return };
    let redirect = opts.redirect;
    let dest_id = if redirect != 0 { redirect } else { id };
    let Some(dest) = srv.clients.get(&dest_id).filter(|c| !c.killed.load(Ordering::Relaxed)).cloned() else {
        if redirect != 0 {
            // The target is gone: tell a RESP3 client so (Redis's tracking-redir-broken).
            if let Some(o) = srv.tracking.clients.get_mut(&id) {
                o.broken_redirect = true;
            }
            if let Some(me) = srv.clients.get(&id) {
                if me.resp.load(Ordering::Relaxed) >= 3 {
                    let _ = me.push.send(Reply::Push(vec![Reply::bulk_str("tracking-redir-broken"), Reply::Int(redirect as i64)]));
                }
            }
        }
        return;
    };
    let payload = match keys {
        Some(k) => Reply::Array(k.into_iter().map(Reply::bulk).collect()),
        None => Reply::Nil,
    };
    let msg = if dest.resp.load(Ordering::Relaxed) >= 3 {
        Reply::Push(vec![Reply::bulk_str("invalidate"), payload])
    } else if redirect != 0
        && srv.pubsub.channels.get(&b"__redis__:invalidate"[..]).is_some_and(|subs| subs.contains_key(&dest_id))
    {
        Reply::Push(vec![Reply::bulk_str("message"), Reply::bulk_str("__redis__:invalidate"), payload])
    } else {
        return;
    };
    match srv.tracking.held.as_mut() {
        Some((held_for, q)) if *held_for == dest_id => q.push(msg),
        _ => {
            let _ = dest.push.send(msg);
        }
    }
    // A RESP2 client without a redirect cannot receive anything (as in Redis).
}

/// After a command ran for `client_id` (hook in `server::call`): remembers the keys a read-only
/// command read (default mode, honouring OPTIN/OPTOUT + CLIENT CACHING), and forgets CLIENT
/// CACHING once the command it was given for has run.
pub fn tracking_after_call(srv: &mut Server, client_id: u64, in_multi: bool, spec: &CommandSpec, argv: &[Bytes]) {
    let Some(opts) = srv.tracking.clients.get(&client_id) else { return };
    let is_caching = spec.name == "caching" && argv.len() >= 2 && argv[0].eq_ignore_ascii_case(b"client");
    if spec.has(READONLY) && !opts.bcast && !matches!(spec.name, "eval_ro" | "evalsha_ro" | "fcall_ro") {
        let given = opts.caching.is_some();
        if !((opts.optin && !given) || (opts.optout && given)) {
            for i in spec.key_indexes(argv) {
                if let Some(k) = argv.get(i) {
                    // A copy: the argument may share a large network buffer.
                    match srv.tracking.table.get_mut(&k[..]) {
                        Some(ids) => {
                            ids.insert(client_id);
                        }
                        None => {
                            srv.tracking.table.insert(Bytes::copy_from_slice(k), std::iter::once(client_id).collect());
                        }
                    }
                }
            }
            tracking_limit_table(srv);
        }
    }
    if !is_caching && !in_multi && srv.exec_depth == 0 {
        if let Some(o) = srv.tracking.clients.get_mut(&client_id) {
            o.caching = None;
        }
    }
}

/// `tracking-table-max-keys`: past the limit, keys are dropped from the table and their
/// clients told to forget them (as Redis's trackingLimitUsedSlots).
pub fn tracking_limit_table(srv: &mut Server) {
    let max = *srv.tracking.max_keys.get_or_insert_with(|| {
        srv.config.other.get("tracking-table-max-keys").and_then(|v| v.parse().ok()).unwrap_or(1_000_000)
    });
    if max == 0 || srv.tracking.table.len() <= max {
        return;
    }
    let excess: Vec<Bytes> = srv.tracking.table.keys().take(srv.tracking.table.len() - max).cloned().collect();
    for key in excess {
        let Some(ids) = srv.tracking.table.remove(&key) else { continue };
        for id in ids {
            if srv.tracking.clients.get(&id).is_some_and(|o| !o.bcast) {
                send_invalidation(srv, id, Some(vec![key.clone()]));
            }
        }
    }
}

/// While a blocked command is served for client `id` (its reply goes through another
/// channel), holds the invalidations it causes for `id` itself.
pub fn tracking_defer_own(srv: &mut Server, id: u64) {
    srv.tracking.held = Some((id, Vec::new()));
}

/// Sends the invalidations held by `tracking_defer_own`, once the reply was handed over.
pub fn tracking_release_own(srv: &mut Server) {
    let Some((id, msgs)) = srv.tracking.held.take() else { return };
    if let Some(dest) = srv.clients.get(&id) {
        for m in msgs {
            let _ = dest.push.send(m);
        }
    }
}

/// CLIENT CACHING is forgotten after EXEC too (the commands it covered ran inside).
pub fn tracking_after_exec(srv: &mut Server, client_id: u64) {
    if let Some(o) = srv.tracking.clients.get_mut(&client_id) {
        o.caching = None;
    }
}

/// A key was modified (hook in `Server::signal_modified`): invalidates it for the clients that
/// may cache it, and queues it for BCAST clients of a matching prefix.
pub fn tracking_invalidate_key(srv: &mut Server, key: &[u8]) {
    let current = srv.tracking.current;
    if !srv.tracking.prefixes.is_empty() {
        for (prefix, (_, pending)) in srv.tracking.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                pending.insert(Bytes::copy_from_slice(key), current);
            }
        }
    }
    let Some(ids) = srv.tracking.table.remove(key) else { return };
    let mut ids: Vec<u64> = ids.into_iter().collect();
    ids.sort_unstable();
    for id in ids {
        let Some(o) = srv.tracking.clients.get(&id) else { continue };
        if o.bcast || (o.noloop && id == current) {
            continue;
        }
        send_invalidation(srv, id, Some(vec![Bytes::copy_from_slice(key)]));
    }
}

/// Sends the BCAST invalidations gathered since the last call: one message per prefix with
/// every key modified under it (Redis does this before sleeping; we do it after each command).
pub fn tracking_broadcast(srv: &mut Server) {
    if srv.tracking.prefixes.values().all(|(_, p)| p.is_empty()) {
        return;
    }
    let mut sends: Vec<(u64, Vec<Bytes>)> = Vec::new();
    for (_, (ids, pending)) in srv.tracking.prefixes.iter_mut() {
        if pending.is_empty() {
            continue;
        }
        let keys = std::mem::take(pending);
        for id in ids.iter() {
            let noloop = srv.tracking.clients.get(id).is_some_and(|o| o.noloop);
            let list: Vec<Bytes> = keys.iter().filter(|(_, by)| !noloop || **by != *id).map(|(k, _)| k.clone()).collect();
            if !list.is_empty() {
                sends.push((*id, list));
            }
        }
    }
    for (id, keys) in sends {
        send_invalidation(srv, id, Some(keys));
    }
}

/// FLUSHALL / FLUSHDB: every tracking client gets the null invalidation; the table is emptied.
pub fn tracking_invalidate_all(srv: &mut Server) {
    // Keys read by clients that have since turned tracking off stay in the table (as in
    // Redis): it is emptied even when no client tracks any more.
    if !srv.tracking.active() {
        srv.tracking.table.clear();
        return;
    }
    let mut ids: Vec<u64> = srv.tracking.clients.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        send_invalidation(srv, id, None);
    }
    srv.tracking.table.clear();
}

/// Turns tracking off for a client (CLIENT TRACKING OFF, RESET, disconnection).
pub fn tracking_disable(srv: &mut Server, id: u64) {
    if let Some(o) = srv.tracking.clients.remove(&id) {
        for p in &o.prefixes {
            if let Some((ids, _)) = srv.tracking.prefixes.get_mut(p) {
                ids.retain(|x| *x != id);
                if ids.is_empty() {
                    srv.tracking.prefixes.remove(p);
                }
            }
        }
    }
}

/// Drops the tracking state of clients that are gone.
pub fn tracking_purge(srv: &mut Server) {
    let gone: Vec<u64> = srv.tracking.clients.keys().filter(|id| !srv.clients.contains_key(*id)).copied().collect();
    for id in gone {
        tracking_disable(srv, id);
    }
}

/// CLIENT GETREDIR
fn client_getredir(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    match ctx.srv.tracking.clients.get(&ctx.client.id) {
        Some(o) => Reply::Int(o.redirect as i64),
        None => Reply::Int(-1),
    }
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
fn client_tracking(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut redirect: u64 = 0;
    let mut o = TrackOpts::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        let more = argv.len() - 1 - j > 0;
        let opt = argv[j].to_ascii_lowercase();
        match opt.as_slice() {
            b"redirect" if more => {
                j += 1;
                if redirect != 0 {
                    return Reply::Error("ERR A client can only redirect to a single other client".into());
                }
                let Some(id) = crate::util::parse_i64(&argv[j]) else { return err::not_int() };
                if id <= 0 || !ctx.srv.clients.contains_key(&(id as u64)) {
                    return Reply::Error("ERR The client ID you want redirect to does not exist".into());
                }
                redirect = id as u64;
            }
            b"bcast" => o.bcast = true,
            b"optin" => o.optin = true,
            b"optout" => o.optout = true,
            b"noloop" => o.noloop = true,
            b"prefix" if more => {
                j += 1;
                prefixes.push(Bytes::copy_from_slice(&argv[j]));
            }
            _ => return err::syntax(),
        }
        j += 1;
    }
    let id = ctx.client.id;
    match on_off(&argv[2]) {
        Some(true) => {}
        Some(false) => {
            tracking_disable(ctx.srv, id);
            return Reply::ok();
        }
        None => return err::syntax(),
    }
    let cur = ctx.srv.tracking.clients.get(&id).cloned();
    if !o.bcast && !prefixes.is_empty() {
        return Reply::Error("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if let Some(c) = &cur {
        if c.bcast != o.bcast {
            return Reply::Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".into());
        }
    }
    if o.bcast && (o.optin || o.optout) {
        return Reply::Error("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if o.optin && o.optout {
        return Reply::Error("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if let Some(c) = &cur {
        if (o.optin && c.optout) || (o.optout && c.optin) {
            return Reply::Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".into());
        }
    }
    let overlaps = |a: &[u8], b: &[u8]| {
        let n = a.len().min(b.len());
        a[..n] == b[..n]
    };
    if o.bcast {
        let existing: &[Bytes] = cur.as_ref().map(|c| c.prefixes.as_slice()).unwrap_or(&[]);
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(e) = existing.iter().find(|e| overlaps(e, p)) {
                return Reply::Error(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(e)
                ));
            }
            if let Some(q) = prefixes[i + 1..].iter().find(|q| overlaps(p, q)) {
                return Reply::Error(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ));
            }
        }
    }
    // Enable (Redis's enableTracking): flags are replaced, BCAST prefixes are added.
    let mut all_prefixes = cur.as_ref().map(|c| c.prefixes.clone()).unwrap_or_default();
    if o.bcast {
        if prefixes.is_empty() {
            prefixes.push(Bytes::new());
        }
        for p in prefixes {
            if !all_prefixes.contains(&p) {
                let entry = ctx.srv.tracking.prefixes.entry(p.clone()).or_default();
                if !entry.0.contains(&id) {
                    entry.0.push(id);
                }
                all_prefixes.push(p);
            }
        }
    }
    if cur.is_none() {
        tracking_purge(ctx.srv);
    }
    all_prefixes.sort(); // a radix tree in Redis: lexicographic order
    o.redirect = redirect;
    o.prefixes = all_prefixes;
    o.caching = cur.as_ref().and_then(|c| c.caching);
    ctx.srv.tracking.clients.insert(id, o);
    Reply::ok()
}

/// CLIENT TRACKINGINFO
fn client_trackinginfo(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let mut flags = Vec::new();
    let (redirect, prefixes) = match ctx.srv.tracking.clients.get(&ctx.client.id) {
        None => {
            flags.push("off");
            (-1, Vec::new())
        }
        Some(o) => {
            flags.push("on");
            if o.bcast {
                flags.push("bcast");
            }
            if o.optin {
                flags.push("optin");
                if o.caching == Some(true) {
                    flags.push("caching-yes");
                }
            }
            if o.optout {
                flags.push("optout");
                if o.caching == Some(false) {
                    flags.push("caching-no");
                }
            }
            if o.noloop {
                flags.push("noloop");
            }
            if o.redirect != 0 && o.broken_redirect {
                flags.push("broken_redirect");
            }
            (o.redirect as i64, o.prefixes.clone())
        }
    };
    Reply::Map(vec![
        (Reply::bulk_str("flags"), Reply::Set(flags.into_iter().map(Reply::bulk_str).collect())),
        (Reply::bulk_str("redirect"), Reply::Int(redirect)),
        (Reply::bulk_str("prefixes"), Reply::Array(prefixes.into_iter().map(Reply::bulk).collect())),
    ])
}

/// CLIENT CACHING YES|NO: for the next command, in OPTIN / OPTOUT tracking.
fn client_caching(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some(o) = ctx.srv.tracking.clients.get_mut(&ctx.client.id).filter(|o| o.optin || o.optout) else {
        return Reply::Error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled".into(),
        );
    };
    let v = argv[2].to_ascii_lowercase();
    if v == b"yes" {
        if !o.optin {
            return Reply::Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.".into());
        }
        o.caching = Some(true);
    } else if v == b"no" {
        if !o.optout {
            return Reply::Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.".into());
        }
        o.caching = Some(false);
    } else {
        return err::syntax();
    }
    Reply::ok()
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
