//! Server commands: INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, SWAPDB,
//! MONITOR, SLOWLOG, LATENCY, MEMORY, DEBUG.

use std::sync::LazyLock;

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, CommandSpec, CommandTable, Ctx, COMMANDS, FLAG_NAMES};
use crate::resp::Reply;
use crate::types::Value;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("server");
    let sub = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("server");
    const ADM: &str = "@admin @slow @dangerous";
    t.add(c("info", -1, LOADING | STALE, info).acl("@slow @dangerous").doc("1.0.0", "Returns information and statistics about the server."));
    t.add(c("dbsize", 1, READONLY | FAST, dbsize).acl("@keyspace @read @fast"));
    t.add(c("flushdb", -1, WRITE, flushdb).acl("@keyspace @write @slow @dangerous"));
    t.add(c("flushall", -1, WRITE, flushall).acl("@keyspace @write @slow @dangerous"));
    t.add(c("time", 1, LOADING | STALE | FAST, time).acl("@fast"));
    t.add(c("lastsave", 1, LOADING | STALE | FAST, lastsave).acl("@admin @fast @dangerous"));
    t.add(c("swapdb", 3, WRITE | FAST, swapdb).acl("@keyspace @write @fast @dangerous"));
    t.add(c("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, monitor).acl(ADM));
    t.add(c("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, debug).acl(ADM));
    t.add(c("config", -2, 0, container).acl("@slow").sub(vec![
        sub("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, config_get).acl(ADM),
        sub("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, config_set).acl(ADM),
        sub("resetstat", 2, ADMIN | NOSCRIPT | LOADING | STALE, config_resetstat).acl(ADM),
        sub("rewrite", 2, ADMIN | NOSCRIPT | LOADING | STALE, config_rewrite).acl(ADM),
        sub("help", 2, LOADING | STALE, config_help).acl("@slow"),
    ]));
    let cc = "@slow @connection";
    t.add(c("command", -1, LOADING | STALE, command).acl(cc).sub(vec![
        sub("count", 2, LOADING | STALE, command_count).acl(cc),
        sub("info", -2, LOADING | STALE, command_info).acl(cc),
        sub("docs", -2, LOADING | STALE, command_docs).acl(cc),
        sub("list", -2, LOADING | STALE, command_list).acl(cc),
        sub("getkeys", -3, LOADING | STALE, command_getkeys).acl(cc),
        sub("getkeysandflags", -3, LOADING | STALE, command_getkeysandflags).acl(cc),
        sub("help", 2, LOADING | STALE, command_help).acl(cc),
    ]));
    t.add(c("slowlog", -2, 0, container).acl("@slow").sub(vec![
        sub("get", -2, ADMIN | LOADING | STALE, slowlog_get).acl(ADM),
        sub("len", 2, ADMIN | LOADING | STALE, slowlog_len).acl(ADM),
        sub("reset", 2, ADMIN | LOADING | STALE, slowlog_reset).acl(ADM),
        sub("help", 2, LOADING | STALE, slowlog_help).acl("@slow"),
    ]));
    let lat = ADMIN | NOSCRIPT | LOADING | STALE;
    t.add(c("latency", -2, 0, container).acl("@slow").sub(vec![
        sub("latest", 2, lat, latency_latest).acl(ADM),
        sub("history", 3, lat, latency_history).acl(ADM),
        sub("reset", -2, lat, latency_reset).acl(ADM),
        sub("doctor", 2, lat, latency_doctor).acl(ADM),
        sub("graph", 3, lat, latency_graph).acl(ADM),
        sub("histogram", -2, lat, latency_histogram).acl(ADM),
        sub("help", 2, LOADING | STALE, latency_help).acl("@slow"),
    ]));
    t.add(c("memory", -2, 0, container).acl("@slow").sub(vec![
        sub("usage", -3, READONLY, memory_usage).acl("@read @slow").keys(2, 2, 1),
        sub("stats", 2, 0, memory_stats).acl("@slow"),
        sub("doctor", 2, 0, memory_doctor).acl("@slow"),
        sub("malloc-stats", 2, 0, memory_malloc_stats).acl("@slow"),
        sub("purge", 2, 0, memory_purge).acl("@slow"),
        sub("help", 2, LOADING | STALE, memory_help).acl("@slow"),
    ]));
}

/// Placeholder handler of container commands (never called: dispatch resolves subcommands).
pub fn container(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Error("ERR unknown subcommand".into())
}

/// Client names may not contain spaces, newlines or other special characters.
pub fn validate_client_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Reply::Error("ERR Client names cannot contain spaces, newlines or special characters.".into()));
    }
    Ok(())
}

/// Redis's `addReplyHelp`: a header line, the given lines, and the HELP entry.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut v = vec![Reply::Simple(format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        cmd.to_ascii_uppercase()
    ))];
    for l in lines {
        v.push(Reply::Simple((*l).into()));
    }
    v.push(Reply::Simple("HELP".into()));
    v.push(Reply::Simple("    Prints this help.".into()));
    Reply::Array(v)
}

/// True if the client connected from the loopback interface (or is internal).
fn is_local(ctx: &Ctx) -> bool {
    let a = &ctx.client.shared.addr;
    a.is_empty() || a.starts_with("127.") || a.starts_with("[::1]") || a.starts_with("::1") || a.starts_with("/")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------------
// INFO, DBSIZE, FLUSH*, TIME, LASTSAVE, SWAPDB, MONITOR
// ---------------------------------------------------------------------------------------------

fn info(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let sections: Vec<String> = argv[1..].iter().map(|a| text(a).to_ascii_lowercase()).collect();
    let out = crate::server_info::render(ctx.srv, &sections);
    Reply::Verbatim("txt", Bytes::from(out))
}

fn dbsize(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

fn flush_mode(argv: &[Bytes]) -> Result<(), Reply> {
    match argv.len() {
        1 => Ok(()),
        2 if is(&argv[1], "sync") || is(&argv[1], "async") => Ok(()),
        _ => Err(err::syntax()),
    }
}

fn flushdb(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(argv) {
        return e;
    }
    let db = ctx.client.db;
    let n = ctx.srv.dbs[db].len() as u64;
    // Only WATCHed keys that existed are touched (as Redis's touchAllWatchedKeysInDb).
    ctx.srv.touch_watched_keys_in_db(db, None);
    ctx.srv.dbs[db].clear();
    crate::cmd::client::tracking_invalidate_all(ctx.srv);
    ctx.fx.dirty += n + 1;
    Reply::ok()
}

fn flushall(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(argv) {
        return e;
    }
    let mut n = 0;
    for i in 0..ctx.srv.dbs.len() {
        ctx.srv.touch_watched_keys_in_db(i, None);
        n += ctx.srv.dbs[i].len() as u64;
        ctx.srv.dbs[i].clear();
    }
    crate::cmd::client::tracking_invalidate_all(ctx.srv);
    ctx.fx.dirty += n + 1;
    Reply::ok()
}

fn time(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let us = crate::util::now_us();
    Reply::Array(vec![Reply::bulk_str(&(us / 1_000_000).to_string()), Reply::bulk_str(&(us % 1_000_000).to_string())])
}

fn lastsave(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.lastsave)
}

fn swapdb(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some(a) = crate::util::parse_i64(&argv[1]) else {
        return Reply::Error("ERR invalid first DB index".into());
    };
    let Some(b) = crate::util::parse_i64(&argv[2]) else {
        return Reply::Error("ERR invalid second DB index".into());
    };
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Reply::Error(err::DB_RANGE.into());
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        ctx.srv.touch_watched_keys_in_db(a, Some(b));
        ctx.srv.touch_watched_keys_in_db(b, Some(a));
        ctx.srv.dbs.swap(a, b);
        // Clients blocked on keys that now exist in their database are served.
        let blocked: Vec<(usize, crate::db::Sds)> =
            ctx.srv.blocked_on.keys().filter(|(d, _)| *d == a || *d == b).cloned().collect();
        for (d, k) in blocked {
            if ctx.srv.dbs[d].get(&k).is_some() {
                ctx.srv.ready_keys.push_back((d, k));
            }
        }
    }
    ctx.fx.dirty += 1;
    Reply::ok()
}

fn monitor(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    if ctx.client.in_script || ctx.client.multi.is_some() || ctx.no_block {
        return Reply::Error("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    if !ctx.client.is_monitor {
        ctx.client.is_monitor = true;
        *ctx.client.shared.flags.lock() = "O".into();
        ctx.srv.monitors.push(ctx.client.shared.clone());
    }
    Reply::ok()
}

// ---------------------------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------------------------

fn config_get(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let pats: Vec<&[u8]> = argv[2..].iter().map(|a| &a[..]).collect();
    let pairs = ctx.srv.config.config_get(&pats);
    Reply::Map(pairs.into_iter().map(|(k, v)| (Reply::bulk_str(&k), Reply::bulk(Bytes::from(v)))).collect())
}

fn config_set(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() % 2 != 0 {
        return err::syntax();
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
    let pc = ctx.srv.config.enable_protected_configs.clone();
    let allow = pc == "yes" || (pc == "local" && is_local(ctx));
    let loading = ctx.srv.loading;
    let before = ctx.srv.config.clone();
    match ctx.srv.config.config_set(&pairs, allow, loading) {
        Ok(names) => {
            // The listeners first: when they cannot change, the whole CONFIG SET is undone
            // (Redis's restoreBackupConfig) and the old listeners keep serving.
            if names.iter().any(|n| *n == "port" || *n == "bind") {
                let arg = if names.contains(&"port") && before.port != ctx.srv.config.port { "port" } else { "bind" };
                let changed = before.port != ctx.srv.config.port || before.bind != ctx.srv.config.bind;
                if changed {
                    if let Err(e) = apply_listeners(ctx) {
                        tracing::warn!("CONFIG SET {arg}: {e}");
                        ctx.srv.config = before;
                        crate::latency::sync_config(&ctx.srv.config);
                        let why = if arg == "port" {
                            "Unable to listen on this port. Check server logs."
                        } else {
                            "Failed to bind to specified addresses."
                        };
                        return Reply::Error(format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}"));
                    }
                }
            }
            for n in names {
                if let Err(e) = apply_config_change(ctx, n) {
                    return Reply::Error(format!("ERR CONFIG SET failed (possibly related to argument '{n}') - {e}"));
                }
            }
            Reply::ok()
        }
        Err(e) => Reply::Error(e),
    }
}

/// Moves the listening sockets to the configured `bind` / `port` (see `net::rebind`).
fn apply_listeners(ctx: &mut Ctx) -> Result<(), String> {
    let Some(shared) = ctx.srv.shared.upgrade() else { return Ok(()) };
    crate::net::rebind(&shared, &ctx.srv.config.bind, ctx.srv.config.port)?;
    ctx.srv.tcp_port = ctx.srv.config.port;
    Ok(())
}

/// Side effects of a parameter changed by CONFIG SET.
fn apply_config_change(ctx: &mut Ctx, name: &str) -> Result<(), String> {
    match name {
        "appendonly" | "appendfsync" | "aof-timestamp-enabled" | "aof-use-rdb-preamble" | "no-appendfsync-on-rewrite"
        | "auto-aof-rewrite-percentage" | "auto-aof-rewrite-min-size" | "aof-rewrite-incremental-fsync" => {
            return crate::aof::apply_config(ctx.srv);
        }
        "slowlog-max-len" => {
            let max = ctx.srv.config.slowlog_max_len as usize;
            ctx.srv.slowlog.truncate(max);
        }
        "loglevel" => crate::config::apply_loglevel(&ctx.srv.config.loglevel),
        "tracking-table-max-keys" => {
            // A lower limit evicts keys from the tracking table at once (Redis does it before
            // the next command), invalidating them for their clients.
            ctx.srv.tracking.max_keys = None;
            crate::cmd::client::tracking_limit_table(ctx.srv);
        }
        _ => {}
    }
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    ctx.srv.stats = Default::default();
    Reply::ok()
}

fn config_rewrite(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    match ctx.srv.config.rewrite() {
        Ok(()) => {
            tracing::warn!("CONFIG REWRITE executed with success.");
            Reply::ok()
        }
        Err(e) => {
            tracing::warn!("CONFIG REWRITE failed: {e}");
            Reply::Error(e)
        }
    }
}

fn config_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    help_reply(
        "config",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------------------------

/// Metadata Redis reports for a command beyond what its spec holds: tips, key specs, docs.
struct Meta {
    tips: Vec<&'static str>,
    key_specs: Vec<KeySpec>,
    summary: &'static str,
    since: &'static str,
    group: &'static str,
    complexity: &'static str,
}

struct KeySpec {
    flags: Vec<&'static str>,
    notes: &'static str,
    /// `Ok(index)` or `Err((keyword, startfrom))`; `None` = unknown.
    begin: Option<Result<i64, (&'static str, i64)>>,
    /// Range (lastkey, keystep, limit) or keynum (keynumidx, firstkey, keystep).
    find: Option<(bool, i64, i64, i64)>,
}

static META: LazyLock<hashbrown::HashMap<&'static str, Meta>> = LazyLock::new(|| {
    let mut m = hashbrown::HashMap::new();
    for line in COMMAND_META.lines() {
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() < 7 {
            continue;
        }
        let tips = f[1].split(',').filter(|s| !s.is_empty()).collect();
        let key_specs = f[2].split(';').filter(|s| !s.is_empty()).map(parse_key_spec).collect();
        m.insert(f[0], Meta { tips, key_specs, summary: f[3], since: f[4], group: f[5], complexity: f[6] });
    }
    m
});

fn parse_key_spec(s: &'static str) -> KeySpec {
    let parts: Vec<&'static str> = s.splitn(4, '/').collect();
    let flags = parts[0].split(',').filter(|x| !x.is_empty()).collect();
    let num = |x: &str| x.parse::<i64>().unwrap_or(0);
    let begin = parts.get(1).and_then(|b| {
        if let Some(i) = b.strip_prefix('i') {
            Some(Ok(num(i)))
        } else if let Some(k) = b.strip_prefix('k') {
            let (kw, from) = k.rsplit_once(',')?;
            Some(Err((kw, num(from))))
        } else {
            None
        }
    });
    let find = parts.get(2).and_then(|f| {
        let (range, rest) = if let Some(r) = f.strip_prefix('r') {
            (true, r)
        } else if let Some(r) = f.strip_prefix('n') {
            (false, r)
        } else {
            return None;
        };
        let v: Vec<i64> = rest.split(',').map(num).collect();
        (v.len() == 3).then(|| (range, v[0], v[1], v[2]))
    });
    KeySpec { flags, notes: parts.get(3).copied().unwrap_or(""), begin, find }
}

/// Key specs of a command: from the metadata table, or derived from first/last/step.
fn key_specs_reply(spec: &CommandSpec, full: &str) -> Reply {
    let mut out = Vec::new();
    if let Some(m) = META.get(full) {
        for ks in &m.key_specs {
            let mut map = Vec::new();
            if !ks.notes.is_empty() {
                map.push((Reply::bulk_str("notes"), Reply::bulk_str(ks.notes)));
            }
            map.push((Reply::bulk_str("flags"), Reply::Set(ks.flags.iter().map(|f| Reply::Simple((*f).into())).collect())));
            let begin = match ks.begin {
                Some(Ok(i)) => vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("index")),
                    (Reply::bulk_str("spec"), Reply::Map(vec![(Reply::bulk_str("index"), Reply::Int(i))])),
                ],
                Some(Err((kw, from))) => vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("keyword")),
                    (
                        Reply::bulk_str("spec"),
                        Reply::Map(vec![
                            (Reply::bulk_str("keyword"), Reply::bulk_str(kw)),
                            (Reply::bulk_str("startfrom"), Reply::Int(from)),
                        ]),
                    ),
                ],
                None => vec![(Reply::bulk_str("type"), Reply::bulk_str("unknown")), (Reply::bulk_str("spec"), Reply::Map(vec![]))],
            };
            map.push((Reply::bulk_str("begin_search"), Reply::Map(begin)));
            let find = match ks.find {
                Some((true, a, b, c)) => vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("range")),
                    (
                        Reply::bulk_str("spec"),
                        Reply::Map(vec![
                            (Reply::bulk_str("lastkey"), Reply::Int(a)),
                            (Reply::bulk_str("keystep"), Reply::Int(b)),
                            (Reply::bulk_str("limit"), Reply::Int(c)),
                        ]),
                    ),
                ],
                Some((false, a, b, c)) => vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("keynum")),
                    (
                        Reply::bulk_str("spec"),
                        Reply::Map(vec![
                            (Reply::bulk_str("keynumidx"), Reply::Int(a)),
                            (Reply::bulk_str("firstkey"), Reply::Int(b)),
                            (Reply::bulk_str("keystep"), Reply::Int(c)),
                        ]),
                    ),
                ],
                None => vec![(Reply::bulk_str("type"), Reply::bulk_str("unknown")), (Reply::bulk_str("spec"), Reply::Map(vec![]))],
            };
            map.push((Reply::bulk_str("find_keys"), Reply::Map(find)));
            out.push(Reply::Map(map));
        }
        return Reply::Set(out);
    }
    if spec.first_key > 0 {
        let flags: Vec<&str> = if spec.has(WRITE) { vec!["RW", "update"] } else { vec!["RO", "access"] };
        let last = if spec.last_key < 0 { spec.last_key as i64 } else { (spec.last_key - spec.first_key) as i64 };
        out.push(Reply::Map(vec![
            (Reply::bulk_str("flags"), Reply::Set(flags.iter().map(|f| Reply::Simple((*f).into())).collect())),
            (
                Reply::bulk_str("begin_search"),
                Reply::Map(vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("index")),
                    (Reply::bulk_str("spec"), Reply::Map(vec![(Reply::bulk_str("index"), Reply::Int(spec.first_key as i64))])),
                ]),
            ),
            (
                Reply::bulk_str("find_keys"),
                Reply::Map(vec![
                    (Reply::bulk_str("type"), Reply::bulk_str("range")),
                    (
                        Reply::bulk_str("spec"),
                        Reply::Map(vec![
                            (Reply::bulk_str("lastkey"), Reply::Int(last)),
                            (Reply::bulk_str("keystep"), Reply::Int(spec.step.max(1) as i64)),
                            (Reply::bulk_str("limit"), Reply::Int(0)),
                        ]),
                    ),
                ]),
            ),
        ]));
    }
    Reply::Set(out)
}

/// One command's COMMAND INFO entry (with its subcommands).
fn command_entry(spec: &CommandSpec, full: &str) -> Reply {
    let flags: Vec<Reply> =
        FLAG_NAMES.iter().filter(|(f, _)| spec.flags & f != 0).map(|(_, n)| Reply::Simple((*n).into())).collect();
    let acl: Vec<Reply> = spec.acl.split_whitespace().map(|c| Reply::Simple(c.into())).collect();
    let tips: Vec<Reply> = META.get(full).map(|m| m.tips.iter().map(|t| Reply::bulk_str(t)).collect()).unwrap_or_default();
    let mut sorted: Vec<&CommandSpec> = spec.subcommands.iter().collect();
    sorted.sort_by_key(|s| s.name);
    let subs: Vec<Reply> = sorted.iter().map(|s| command_entry(s, &format!("{}|{}", spec.name, s.name))).collect();
    let (first, last, step) = if spec.keys_fn.is_some() && spec.first_key == 0 {
        (0, 0, 0)
    } else {
        (spec.first_key, spec.last_key, spec.step)
    };
    Reply::Array(vec![
        Reply::bulk_str(full),
        Reply::Int(spec.arity as i64),
        Reply::Set(flags),
        Reply::Int(first as i64),
        Reply::Int(last as i64),
        Reply::Int(step as i64),
        Reply::Set(acl),
        Reply::Set(tips),
        key_specs_reply(spec, full),
        Reply::Array(subs),
    ])
}

/// Looks up "name" or "container|sub".
fn lookup_full(name: &[u8]) -> Option<(&'static CommandSpec, String)> {
    let n = text(name).to_ascii_lowercase();
    if let Some((top, sub)) = n.split_once('|') {
        let t = COMMANDS.get(top.as_bytes())?;
        let s = t.subcommands.iter().find(|s| s.name == sub)?;
        return Some((s, format!("{}|{}", t.name, s.name)));
    }
    let t = COMMANDS.get(n.as_bytes())?;
    Some((t, t.name.to_string()))
}

fn command(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Array(COMMANDS.map.values().map(|s| command_entry(s, s.name)).collect())
}

fn command_count(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(COMMANDS.len() as i64)
}

fn command_info(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() == 2 {
        return command(ctx, argv);
    }
    Reply::Array(
        argv[2..]
            .iter()
            .map(|n| match lookup_full(n) {
                Some((s, full)) => command_entry(s, &full),
                None => Reply::NilArray,
            })
            .collect(),
    )
}

fn doc_entry(spec: &CommandSpec, full: &str) -> Reply {
    let (summary, since, group, complexity) = match META.get(full) {
        Some(m) => (m.summary, m.since, m.group, m.complexity),
        None => (spec.summary, spec.since, spec.group, ""),
    };
    let mut map = vec![
        (Reply::bulk_str("summary"), Reply::bulk_str(summary)),
        (Reply::bulk_str("since"), Reply::bulk_str(since)),
        (Reply::bulk_str("group"), Reply::bulk_str(group)),
    ];
    if !complexity.is_empty() {
        map.push((Reply::bulk_str("complexity"), Reply::bulk_str(complexity)));
    }
    if !spec.subcommands.is_empty() {
        let mut sorted: Vec<&CommandSpec> = spec.subcommands.iter().collect();
        sorted.sort_by_key(|s| s.name);
        let subs = sorted
            .into_iter()
            .map(|s| {
                let f = format!("{}|{}", spec.name, s.name);
                (Reply::bulk_str(&f), doc_entry(s, &f))
            })
            .collect();
        map.push((Reply::bulk_str("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(map)
}

fn command_docs(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() == 2 {
        return Reply::Map(COMMANDS.map.values().map(|s| (Reply::bulk_str(s.name), doc_entry(s, s.name))).collect());
    }
    let mut out = Vec::new();
    for n in &argv[2..] {
        if let Some((s, full)) = lookup_full(n) {
            out.push((Reply::bulk_str(&full), doc_entry(s, &full)));
        }
    }
    Reply::Map(out)
}

fn command_list(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    enum Filter {
        None,
        Module,
        Acl(String),
        Pattern(Bytes),
    }
    let filter = match argv.len() {
        2 => Filter::None,
        5 if is(&argv[2], "filterby") => {
            if is(&argv[3], "module") {
                Filter::Module
            } else if is(&argv[3], "aclcat") {
                Filter::Acl(format!("@{}", text(&argv[4]).to_ascii_lowercase()))
            } else if is(&argv[3], "pattern") {
                Filter::Pattern(argv[4].clone())
            } else {
                return err::syntax();
            }
        }
        _ => return err::syntax(),
    };
    let mut out = Vec::new();
    let mut visit = |spec: &CommandSpec, full: String| {
        let ok = match &filter {
            Filter::None => true,
            Filter::Module => false,
            Filter::Acl(cat) => spec.acl.split_whitespace().any(|c| c == cat),
            Filter::Pattern(p) => crate::util::glob_match(p, full.as_bytes(), true),
        };
        if ok {
            out.push(Reply::bulk_str(&full));
        }
    };
    for spec in COMMANDS.map.values() {
        visit(spec, spec.name.to_string());
        for s in &spec.subcommands {
            visit(s, format!("{}|{}", spec.name, s.name));
        }
    }
    Reply::Array(out)
}

/// Resolves the command of COMMAND GETKEYS and checks it has keys and a valid arity.
fn getkeys_common(argv: &[Bytes]) -> Result<(&'static CommandSpec, String, Vec<usize>), Reply> {
    let args = &argv[2..];
    let Some(top) = COMMANDS.get(&args[0]) else {
        return Err(Reply::Error("ERR Invalid command specified".into()));
    };
    let (spec, full) = if !top.subcommands.is_empty() && args.len() >= 2 {
        let sub = text(&args[1]).to_ascii_lowercase();
        match top.subcommands.iter().find(|s| s.name == sub) {
            Some(s) => (s, format!("{}|{}", top.name, s.name)),
            None => return Err(Reply::Error("ERR Invalid command specified".into())),
        }
    } else {
        (top, top.name.to_string())
    };
    if spec.first_key <= 0 && spec.keys_fn.is_none() {
        return Err(Reply::Error("ERR The command has no key arguments".into()));
    }
    if !spec.arity_ok(args.len()) {
        return Err(Reply::Error("ERR Invalid number of arguments specified for command".into()));
    }
    let keys = spec.key_indexes(args);
    Ok((spec, full, keys))
}

fn command_getkeys(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match getkeys_common(argv) {
        Ok((_, _, keys)) => Reply::Array(keys.iter().map(|&i| Reply::bulk(argv[2 + i].clone())).collect()),
        Err(e) => e,
    }
}

fn command_getkeysandflags(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (spec, full, keys) = match getkeys_common(argv) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let args = &argv[2..];
    let flags_for = |pos: usize| -> Vec<&'static str> {
        if full == "set" {
            let get = args.iter().skip(3).any(|a| is(a, "get"));
            return if get { vec!["RW", "access", "update"] } else { vec!["OW", "update"] };
        }
        if let Some(m) = META.get(full.as_str()) {
            let mut best: Option<&KeySpec> = None;
            for ks in &m.key_specs {
                match ks.begin {
                    Some(Ok(i)) if (i as usize) <= pos => best = Some(ks),
                    Some(Err(_)) if best.is_none() => best = Some(ks),
                    _ => {}
                }
            }
            if let Some(ks) = best.or(m.key_specs.first()) {
                return ks.flags.iter().copied().filter(|f| *f != "variable_flags").collect();
            }
        }
        if spec.has(WRITE) {
            vec!["RW", "update"]
        } else {
            vec!["RO", "access"]
        }
    };
    Reply::Array(
        keys.iter()
            .map(|&i| {
                Reply::Array(vec![
                    Reply::bulk(argv[2 + i].clone()),
                    Reply::Set(flags_for(i).into_iter().map(|f| Reply::Simple(f.into())).collect()),
                ])
            })
            .collect(),
    )
}

fn command_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    help_reply(
        "command",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// SLOWLOG, LATENCY, MEMORY
// ---------------------------------------------------------------------------------------------

fn slowlog_get(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut count: i64 = 10;
    if argv.len() == 3 {
        count = crate::util::parse_i64(&argv[2]).unwrap_or(i64::MIN);
        if count < -1 {
            return Reply::Error("ERR count should be greater than or equal to -1".into());
        }
    } else if argv.len() > 3 {
        return Reply::Error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.",
            text(&argv[1]).chars().take(128).collect::<String>()
        ));
    }
    let n = if count == -1 { usize::MAX } else { count as usize };
    Reply::Array(
        ctx.srv
            .slowlog
            .iter()
            .take(n)
            .map(|e| {
                Reply::Array(vec![
                    Reply::Int(e.id as i64),
                    Reply::Int(e.time),
                    Reply::Int(e.duration_us as i64),
                    Reply::Array(e.argv.iter().map(|a| Reply::bulk(a.clone())).collect()),
                    Reply::bulk_str(&e.addr),
                    Reply::bulk_str(&e.name),
                ])
            })
            .collect(),
    )
}

fn slowlog_len(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.slowlog.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    ctx.srv.slowlog.clear();
    Reply::ok()
}

fn slowlog_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    help_reply(
        "slowlog",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

fn latency_latest(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Array(
        crate::latency::latest()
            .into_iter()
            .map(|(e, t, l, max)| {
                Reply::Array(vec![Reply::bulk_str(&e), Reply::Int(t), Reply::Int(l as i64), Reply::Int(max as i64)])
            })
            .collect(),
    )
}

fn latency_history(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some((_, ts)) = crate::latency::series(&argv[2]) else { return Reply::Array(vec![]) };
    Reply::Array(
        ts.ordered().into_iter().map(|(t, l)| Reply::Array(vec![Reply::Int(t), Reply::Int(l as i64)])).collect(),
    )
}

fn latency_reset(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() == 2 {
        return Reply::Int(crate::latency::reset(None) as i64);
    }
    Reply::Int(argv[2..].iter().map(|e| crate::latency::reset(Some(e))).sum::<usize>() as i64)
}

fn latency_graph(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match crate::latency::series(&argv[2]) {
        Some((event, ts)) => Reply::Verbatim("txt", Bytes::from(crate::latency::graph(&event, &ts))),
        None => Reply::Error(format!("ERR No samples available for event '{}'", text(&argv[2]))),
    }
}

fn latency_doctor(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let cx = crate::latency::DoctorContext {
        slowlog_log_slower_than: ctx.srv.config.slowlog_log_slower_than,
        appendfsync_always: ctx.srv.config.appendfsync.eq_ignore_ascii_case("always"),
        hz: ctx.srv.config.hz,
    };
    Reply::Verbatim("txt", Bytes::from(crate::latency::doctor(&cx)))
}

/// One command's entry of LATENCY HISTOGRAM: `calls` and the cumulative `histogram_usec` map.
fn histogram_entry(name: &str, h: &crate::latency::Hist) -> (Reply, Reply) {
    let cdf = crate::latency::hist_cdf(h);
    (
        Reply::bulk_str(name),
        Reply::Map(vec![
            (Reply::bulk_str("calls"), Reply::Int(crate::latency::hist_total(h) as i64)),
            (
                Reply::bulk_str("histogram_usec"),
                Reply::Map(cdf.into_iter().map(|(us, n)| (Reply::Int(us as i64), Reply::Int(n as i64))).collect()),
            ),
        ]),
    )
}

fn latency_histogram(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let stats = &ctx.srv.stats.commands;
    let with_data = |name: &str| stats.get(name).filter(|s| crate::latency::hist_total(&s.hist) > 0);
    let mut out = Vec::new();
    if argv.len() == 2 {
        let mut names: Vec<&str> = stats.iter().map(|(n, _)| n).collect();
        names.sort();
        for name in names {
            if let Some(st) = with_data(name) {
                out.push(histogram_entry(name, &st.hist));
            }
        }
        return Reply::Map(out);
    }
    for arg in &argv[2..] {
        // A name as COMMAND INFO takes it: "get", "config|get"; unknown names are skipped.
        let lower = text(arg).to_ascii_lowercase();
        let (top, sub) = match lower.split_once('|') {
            Some((t, s)) => (t.to_string(), Some(s.to_string())),
            None => (lower.clone(), None),
        };
        let Some(spec) = COMMANDS.get(top.as_bytes()) else { continue };
        match sub {
            Some(sub) => {
                if spec.subcommands.iter().any(|s| s.name == sub) {
                    let full = format!("{}|{}", spec.name, sub);
                    if let Some(st) = with_data(&full) {
                        out.push(histogram_entry(&full, &st.hist));
                    }
                }
            }
            None => {
                if let Some(st) = with_data(spec.name) {
                    out.push(histogram_entry(spec.name, &st.hist));
                }
                let mut subs: Vec<&str> = spec.subcommands.iter().map(|s| s.name).collect();
                subs.sort();
                for s in subs {
                    let full = format!("{}|{}", spec.name, s);
                    if let Some(st) = with_data(&full) {
                        out.push(histogram_entry(&full, &st.hist));
                    }
                }
            }
        }
    }
    Reply::Map(out)
}

fn latency_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    help_reply(
        "latency",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}

/// Approximate memory used by a key and its value, as MEMORY USAGE reports it.
pub fn key_memory(key: &[u8], v: &Value) -> usize {
    // dictEntry + key sds header + robj header, plus the value.
    let key_overhead = 24 + key.len() + 3 + 16;
    let value = match v {
        Value::Str(s) if s.len() <= crate::types::EMBSTR_MAX => {
            if s.len() <= 20 && crate::util::parse_i64(s).is_some() {
                0
            } else {
                s.len() + 4
            }
        }
        other => other.approx_size() + 16,
    };
    let total = key_overhead + value;
    // jemalloc size classes round up to 8 bytes.
    (total + 7) & !7
}

fn memory_usage(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut i = 3;
    while i < argv.len() {
        if is(&argv[i], "samples") && i + 1 < argv.len() {
            match arg_i64(&argv[i + 1]) {
                Ok(n) if n >= 0 => {}
                Ok(_) => return err::syntax(),
                Err(e) => return e,
            }
            i += 2;
        } else {
            return err::syntax();
        }
    }
    let key = argv[2].clone();
    match ctx.peek(&key) {
        Some(e) => Reply::Int(key_memory(&key, &e.value) as i64),
        None => Reply::Nil,
    }
}

/// (dataset bytes, keys) over every database: exact for small keyspaces, sampled otherwise.
pub fn dataset_bytes(srv: &mut crate::server::Server) -> (u64, u64) {
    let mut total = 0u64;
    let mut keys = 0u64;
    for db in 0..srv.dbs.len() {
        let n = srv.dbs[db].len();
        keys += n as u64;
        if n == 0 {
            continue;
        }
        if n <= 20_000 {
            total += srv.dbs[db].iter().map(|e| key_memory(&e.key, &e.value) as u64).sum::<u64>();
        } else {
            let samples = 1000;
            let mut sum = 0u64;
            let mut got = 0u64;
            for _ in 0..samples {
                let (dbs, rng) = (&srv.dbs, &mut srv.rng);
                if let Some(e) = dbs[db].random_entry(rng) {
                    sum += key_memory(&e.key, &e.value) as u64;
                    got += 1;
                }
            }
            if got > 0 {
                total += sum / got * n as u64;
            }
        }
    }
    (total, keys)
}

fn memory_stats(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let m = crate::server_info::memory_numbers(ctx.srv);
    let dbs: Vec<(usize, usize, usize)> =
        ctx.srv.dbs.iter().enumerate().filter(|(_, d)| !d.is_empty()).map(|(i, d)| (i, d.len(), d.expires_count())).collect();
    let f = |x: f64| Reply::Double(x);
    let mut v = vec![
        (Reply::bulk_str("peak.allocated"), Reply::Int(m.peak as i64)),
        (Reply::bulk_str("total.allocated"), Reply::Int(m.used as i64)),
        (Reply::bulk_str("startup.allocated"), Reply::Int(m.startup as i64)),
        (Reply::bulk_str("replication.backlog"), Reply::Int(0)),
        (Reply::bulk_str("clients.slaves"), Reply::Int(0)),
        (Reply::bulk_str("clients.normal"), Reply::Int(m.clients as i64)),
        (Reply::bulk_str("cluster.links"), Reply::Int(0)),
        (Reply::bulk_str("aof.buffer"), Reply::Int(0)),
        (Reply::bulk_str("lua.caches"), Reply::Int(0)),
        (Reply::bulk_str("functions.caches"), Reply::Int(0)),
        (Reply::bulk_str("overhead.total"), Reply::Int(m.overhead as i64)),
    ];
    for (i, keys, expires) in dbs {
        v.push((
            Reply::bulk_str(&format!("db.{i}")),
            Reply::Map(vec![
                (Reply::bulk_str("overhead.hashtable.main"), Reply::Int((keys * 24) as i64)),
                (Reply::bulk_str("overhead.hashtable.expires"), Reply::Int((expires * 24) as i64)),
            ]),
        ));
    }
    let keys = m.keys.max(1);
    v.extend([
        (Reply::bulk_str("keys.count"), Reply::Int(m.keys as i64)),
        (Reply::bulk_str("keys.bytes-per-key"), Reply::Int((m.used.saturating_sub(m.startup) / keys) as i64)),
        (Reply::bulk_str("dataset.bytes"), Reply::Int(m.dataset as i64)),
        (Reply::bulk_str("dataset.percentage"), f(pct(m.dataset, m.used.saturating_sub(m.startup)))),
        (Reply::bulk_str("peak.percentage"), f(pct(m.used, m.peak))),
        (Reply::bulk_str("allocator.allocated"), Reply::Int(m.used as i64)),
        (Reply::bulk_str("allocator.active"), Reply::Int(m.used as i64)),
        (Reply::bulk_str("allocator.resident"), Reply::Int(m.rss as i64)),
        (Reply::bulk_str("allocator-fragmentation.ratio"), f(1.0)),
        (Reply::bulk_str("allocator-fragmentation.bytes"), Reply::Int(0)),
        (Reply::bulk_str("allocator.rss-ratio"), f(ratio(m.rss, m.used))),
        (Reply::bulk_str("allocator.rss-bytes"), Reply::Int(m.rss as i64 - m.used as i64)),
        (Reply::bulk_str("rss-overhead.ratio"), f(1.0)),
        (Reply::bulk_str("rss-overhead.bytes"), Reply::Int(0)),
        (Reply::bulk_str("fragmentation"), f(ratio(m.rss, m.used))),
        (Reply::bulk_str("fragmentation.bytes"), Reply::Int(m.rss as i64 - m.used as i64)),
    ]);
    Reply::Map(v)
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn memory_doctor(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let m = crate::server_info::memory_numbers(ctx.srv);
    let msg = if m.used < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    Reply::Verbatim("txt", Bytes::from(msg))
}

fn memory_malloc_stats(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Verbatim("txt", Bytes::from_static(b"Stats not supported for the current allocator"))
}

fn memory_purge(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::ok()
}

fn memory_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    help_reply(
        "memory",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// DEBUG
// ---------------------------------------------------------------------------------------------

fn debug(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mode = ctx.srv.config.enable_debug_command.as_str();
    let allowed = mode == "yes" || (mode == "local" && is_local(ctx));
    if !allowed {
        return Reply::Error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.".into());
    }
    let sub = text(&argv[1]).to_ascii_lowercase();
    match sub.as_str() {
        "help" => debug_help(),
        "sleep" if argv.len() == 3 => {
            let secs = crate::util::parse_f64(&argv[2]).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_micros((secs.min(3600.0) * 1e6) as u64));
            }
            Reply::ok()
        }
        "set-disable-deny-scripts" if argv.len() == 3 => {
            let on = crate::util::parse_i64(&argv[2]).unwrap_or(0) != 0;
            crate::scripting::DISABLE_DENY_SCRIPTS.store(on, std::sync::atomic::Ordering::Relaxed);
            Reply::ok()
        }
        "set-active-expire" if argv.len() == 3 => {
            ctx.srv.active_expire_enabled = crate::util::parse_i64(&argv[2]).unwrap_or(0) != 0;
            Reply::ok()
        }
        "quicklist-packed-threshold" if argv.len() == 3 => {
            if crate::config::memtoull(&text(&argv[2])).is_none() {
                return Reply::Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb".into());
            }
            Reply::ok()
        }
        "protocol" if argv.len() == 3 => debug_protocol(ctx, &argv[2]),
        "object" if argv.len() == 3 => {
            let key = argv[2].clone();
            let now = ctx.now;
            let th = ctx.srv.config.thresholds;
            // Redis looks the key up in the dict directly: a logically expired key is shown.
            let db = ctx.client.db;
            let Some(e) = ctx.srv.dbs[db].get(&key) else { return err::no_key() };
            let idle = e.idle_ms(now) / 1000;
            let v: &Value = &e.value;
            let mut out = format!(
                "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                &e.value as *const Value,
                v.encoding_name(),
                v.approx_size().max(1),
                e.lru,
                idle
            );
            if let Value::List(l) = v {
                if l.quicklist {
                    let nodes = (l.len() / 128).max(1);
                    out.push_str(&format!(
                        " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
                        l.len() as f64 / nodes as f64,
                        th.list_max_listpack_size,
                        (th.list_compress_depth != 0) as i32,
                        l.bytes
                    ));
                }
            }
            Reply::Simple(out)
        }
        "digest" if argv.len() == 2 => Reply::Simple(hex(&dataset_digest(ctx.srv))),
        "digest-value" => {
            let db = ctx.client.db;
            let mut out = Vec::new();
            for k in &argv[2..] {
                let mut d = [0u8; 20];
                if let Some(e) = ctx.srv.dbs[db].get(k) {
                    object_digest(&mut d, &e.value, e.expire_at != crate::db::NO_EXPIRE);
                }
                out.push(Reply::Simple(hex(&d)));
            }
            Reply::Array(out)
        }
        "change-repl-id" if argv.len() == 2 => Reply::ok(),
        // Save, flush, load again (as Redis: `DEBUG RELOAD` without options).
        "reload" if argv.len() == 2 => match crate::persist::debug_reload(ctx.srv) {
            Ok(()) => Reply::ok(),
            Err(e) => Reply::Error(e),
        },
        // Flush the AOF, empty the dataset and load it again from the AOF.
        "loadaof" if argv.len() == 2 => {
            if !ctx.srv.config.appendonly {
                return Reply::ok();
            }
            match crate::aof::debug_loadaof(ctx.srv) {
                Ok(()) => Reply::ok(),
                Err(e) => Reply::Error(format!("ERR Error loading the AOF: {e}")),
            }
        }
        "log" if argv.len() == 3 => {
            tracing::warn!("DEBUG LOG: {}", text(&argv[2]));
            Reply::ok()
        }
        _ => Reply::Error(format!(
            "ERR DEBUG subcommand '{}' not supported by VaultKey (or wrong number of arguments). Try DEBUG HELP.",
            text(&argv[1])
        )),
    }
}

fn debug_help() -> Reply {
    help_reply(
        "debug",
        &[
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "    Dangerous: should be used only for testing the replication subsystem.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level info about the ZIPLIST (listpack) and QUICKLIST encoding of <key>.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Sets the threshold for elements to be inserted as plain vs packed nodes",
            "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    )
}

fn debug_protocol(ctx: &mut Ctx, kind: &[u8]) -> Reply {
    let resp3 = ctx.client.resp >= 3;
    let k = text(kind).to_ascii_lowercase();
    match k.as_str() {
        "string" => Reply::bulk_str("Hello World"),
        "integer" => Reply::Int(12345),
        "double" => Reply::Double(3.141),
        "bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
        "null" => Reply::Nil,
        "array" => Reply::Array((0..3).map(Reply::Int).collect()),
        "set" => Reply::Set((0..3).map(Reply::Int).collect()),
        "map" => Reply::Map((0..3).map(|i| (Reply::Int(i), Reply::Bool(i == 1))).collect()),
        "attrib" => {
            // Scripts ignore attributes (Redis's script parser skips them).
            if resp3 && !ctx.client.in_script {
                Reply::Raw(Bytes::from_static(
                    b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
                ))
            } else {
                Reply::bulk_str("Some real reply following the attribute")
            }
        }
        "push" => {
            if !resp3 {
                return Reply::Error("ERR RESP2 is not supported by this command".into());
            }
            Reply::Raw(Bytes::from_static(
                b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
            ))
        }
        "true" => Reply::Bool(true),
        "false" => Reply::Bool(false),
        "verbatim" => Reply::Verbatim("txt", Bytes::from_static(b"This is a verbatim\nstring")),
        _ => Reply::Error(
            "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false".into(),
        ),
    }
}

// Digests, built like Redis's DEBUG DIGEST: order-independent for unordered collections (XOR of
// per-element digests), independent of encodings, stable across save/reload.

fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = sha1_smol::Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.digest().bytes()
}

/// digest ^= SHA1(data); digest = SHA1(digest)
fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&[&digest[..]]);
}

/// digest ^= SHA1(data)
fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    let h = sha1(&[data]);
    for (d, x) in digest.iter_mut().zip(h.iter()) {
        *d ^= x;
    }
}

fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) | Value::RawStr(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
        Value::Spilled(_) => 0,
    }
}

/// Mixes a value into `digest` (Redis's `xorObjectDigest`).
fn object_digest(digest: &mut [u8; 20], v: &Value, has_expire: bool) {
    if let Value::Spilled(_) = v {
        // Digest the value as stored on disk (DEBUG DIGEST must not load the dataset).
        if let Ok(m) = crate::spill::materialize(v) {
            object_digest(digest, &m, has_expire);
        }
        return;
    }
    mix_digest(digest, &type_code(v).to_be_bytes());
    match v {
        Value::Str(_) | Value::RawStr(_) => mix_digest(digest, v.as_str().unwrap_or_default()),
        Value::List(l) => {
            for item in &l.items {
                mix_digest(digest, item);
            }
        }
        Value::Set(s) => {
            for m in s.members() {
                xor_digest(digest, &m);
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                let mut ed = [0u8; 20];
                mix_digest(&mut ed, m);
                mix_digest(&mut ed, crate::util::fmt_double(score).as_bytes());
                xor_digest(digest, &ed);
            }
        }
        Value::Hash(h) => {
            for (f, val) in h.iter() {
                let mut ed = [0u8; 20];
                mix_digest(&mut ed, f);
                mix_digest(&mut ed, val);
                xor_digest(digest, &ed);
            }
        }
        Value::Stream(st) => {
            mix_digest(digest, st.to_rdb().length.to_string().as_bytes());
        }
        Value::Spilled(_) => {}
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST: 20 zero bytes for an empty dataset.
pub fn dataset_digest(srv: &crate::server::Server) -> [u8; 20] {
    let mut fin = [0u8; 20];
    for (j, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for e in db.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, &e.key);
            object_digest(&mut d, &e.value, e.expire_at != crate::db::NO_EXPIRE);
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_table_parses() {
        let m = META.get("set").expect("set metadata");
        assert_eq!(m.key_specs.len(), 1);
        assert_eq!(m.key_specs[0].flags, vec!["RW", "access", "update", "variable_flags"]);
        assert!(META.get("config|get").is_some());
    }
}

/// Command metadata as Redis 7.2 reports it (tips, key specs, documentation): one line per
/// command or `container|subcommand`, tab separated: name, tips, key specs
/// (`flags/begin/find[/notes]` joined by `;`, begin = `i<index>` or `k<keyword>,<startfrom>`,
/// find = `r<lastkey>,<keystep>,<limit>` or `n<keynumidx>,<firstkey>,<keystep>`), summary,
/// since, group, complexity.
const COMMAND_META: &str = r#"acl			A container for Access List Control commands.	6.0.0	server	Depends on subcommand.
acl|deluser	request_policy:all_nodes,response_policy:all_succeeded		Deletes ACL users, and terminates their connections.	6.0.0	server	O(1) amortized time considering the typical user.
acl|genpass			Generates a pseudorandom, secure password that can be used to identify ACL users.	6.0.0	server	O(1)
acl|getuser			Lists the ACL rules of a user.	6.0.0	server	O(N). Where N is the number of password, command and pattern rules that the user has.
acl|whoami			Returns the authenticated username of the current connection.	6.0.0	server	O(1)
acl|cat			Lists the ACL categories, or the commands inside a category.	6.0.0	server	O(1) since the categories and commands are a fixed set.
acl|dryrun			Simulates the execution of a command by a user, without executing the command.	7.0.0	server	O(1).
acl|help			Returns helpful text about the different subcommands.	6.0.0	server	O(1)
acl|list			Dumps the effective rules in ACL file format.	6.0.0	server	O(N). Where N is the number of configured users.
acl|load			Reloads the rules from the configured ACL file.	6.0.0	server	O(N). Where N is the number of configured users.
acl|log			Lists recent security events generated due to ACL rules.	6.0.0	server	O(N) with N being the number of entries shown.
acl|save	request_policy:all_nodes,response_policy:all_succeeded		Saves the effective ACL rules in the configured ACL file.	6.0.0	server	O(N). Where N is the number of configured users.
acl|setuser	request_policy:all_nodes,response_policy:all_succeeded		Creates and modifies an ACL user and its rules.	6.0.0	server	O(N). Where N is the number of rules provided.
acl|users			Lists all ACL users.	6.0.0	server	O(N). Where N is the number of configured users.
append		RW,insert/i1/r0,1,0	Appends a string to the value of a key. Creates the key if it doesn't exist.	2.0.0	string	O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by the server will double the free space available on every reallocation.
asking			Signals that a cluster client is following an -ASK redirect.	3.0.0	cluster	O(1)
auth			Authenticates the connection.	1.0.0	connection	O(N) where N is the number of passwords defined for the user
bgrewriteaof			Asynchronously rewrites the append-only file to disk.	1.0.0	server	O(1)
bgsave			Asynchronously saves the database(s) to disk.	1.0.0	server	O(1)
bitcount		RO,access/i1/r0,1,0	Counts the number of set bits (population counting) in a string.	2.6.0	bitmap	O(N)
bitfield		RW,access,update,variable_flags/i1/r0,1,0/This command allows both access and modification of the key	Performs arbitrary bitfield integer operations on strings.	3.2.0	bitmap	O(1) for each subcommand specified
bitfield_ro		RO,access/i1/r0,1,0	Performs arbitrary read-only bitfield integer operations on strings.	6.0.0	bitmap	O(1) for each subcommand specified
bitop		OW,update/i2/r0,1,0;RO,access/i3/r-1,1,0	Performs bitwise operations on multiple strings, and stores the result.	2.6.0	bitmap	O(N)
bitpos		RO,access/i1/r0,1,0	Finds the first set (1) or clear (0) bit in a string.	2.8.7	bitmap	O(N)
blmove		RW,access,delete/i1/r0,1,0;RW,insert/i2/r0,1,0	Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.	6.2.0	list	O(1)
blmpop		RW,access,delete/i2/n0,1,1	Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.	7.0.0	list	O(N+M) where N is the number of provided keys and M is the number of elements returned.
blpop		RW,access,delete/i1/r-2,1,0	Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.	2.0.0	list	O(N) where N is the number of provided keys.
brpop		RW,access,delete/i1/r-2,1,0	Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.	2.0.0	list	O(N) where N is the number of provided keys.
brpoplpush		RW,access,delete/i1/r0,1,0;RW,insert/i2/r0,1,0	Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was popped.	2.2.0	list	O(1)
bzmpop		RW,access,delete/i2/n0,1,1	Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.	7.0.0	sorted-set	O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.
bzpopmax		RW,access,delete/i1/r-2,1,0	Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.	5.0.0	sorted-set	O(log(N)) with N being the number of elements in the sorted set.
bzpopmin		RW,access,delete/i1/r-2,1,0	Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.	5.0.0	sorted-set	O(log(N)) with N being the number of elements in the sorted set.
client			A container for client connection commands.	2.4.0	connection	Depends on subcommand.
client|caching			Instructs the server whether to track the keys in the next request.	6.0.0	connection	O(1)
client|getredir			Returns the client ID to which the connection's tracking notifications are redirected.	6.0.0	connection	O(1)
client|no-touch			Controls whether commands sent by the client affect the LRU/LFU of accessed keys.	7.2.0	connection	O(1)
client|getname			Returns the name of the connection.	2.6.9	connection	O(1)
client|kill			Terminates open connections.	2.4.0	connection	O(N) where N is the number of client connections
client|list	nondeterministic_output		Lists open connections.	2.4.0	connection	O(N) where N is the number of client connections
client|setname	request_policy:all_nodes,response_policy:all_succeeded		Sets the connection name.	2.6.9	connection	O(1)
client|unblock			Unblocks a client blocked by a blocking command from a different connection.	5.0.0	connection	O(log N) where N is the number of client connections
client|unpause			Resumes processing commands from paused clients.	6.2.0	connection	O(N) Where N is the number of paused clients
client|reply			Instructs the server whether to reply to commands.	3.2.0	connection	O(1)
client|trackinginfo			Returns information about server-assisted client-side caching for the connection.	6.2.0	connection	O(1)
client|capa			A client claims its capability.	8.0.0	connection	O(1)
client|help			Returns helpful text about the different subcommands.	5.0.0	connection	O(1)
client|id			Returns the unique client ID of the connection.	5.0.0	connection	O(1)
client|import-source			Marks this client as an import source when the server is in import mode.	8.1.0	connection	O(1)
client|info	nondeterministic_output		Returns information about the connection.	6.2.0	connection	O(1)
client|no-evict			Sets the client eviction mode of the connection.	7.0.0	connection	O(1)
client|pause			Suspends commands processing.	3.0.0	connection	O(1)
client|setinfo	request_policy:all_nodes,response_policy:all_succeeded		Sets information specific to the client or connection.	7.2.0	connection	O(1)
client|tracking			Controls server-assisted client-side caching for the connection.	6.0.0	connection	O(1). Some options may introduce additional complexity.
cluster			A container for Cluster commands.	3.0.0	cluster	Depends on subcommand.
cluster|addslotsrange			Assigns new hash slot ranges to a node.	7.0.0	cluster	O(N) where N is the total number of the slots between the start slot and end slot arguments.
cluster|countkeysinslot			Returns the number of keys in a hash slot.	3.0.0	cluster	O(1)
cluster|keyslot			Returns the hash slot for a key.	3.0.0	cluster	O(N) where N is the number of bytes in the key
cluster|replicas	nondeterministic_output		Lists the replica nodes of a primary node.	5.0.0	cluster	O(N) where N is the number of replicas.
cluster|shards	nondeterministic_output		Returns the mapping of cluster slots to shards.	7.0.0	cluster	O(N) where N is the total number of cluster nodes
cluster|slot-stats	nondeterministic_output,request_policy:all_shards		Return an array of slot usage statistics for slots assigned to the current node.	8.0.0	cluster	O(N) where N is the total number of slots based on arguments. O(N*log(N)) with ORDERBY subcommand.
cluster|bumpepoch	nondeterministic_output		Advances the cluster config epoch.	3.0.0	cluster	O(1)
cluster|count-failure-reports	nondeterministic_output		Returns the number of active failure reports for a node. No new reports are created once the node is marked as failed.	3.0.0	cluster	O(N) where N is the number of failure reports
cluster|flushslots			Deletes all slots information from a node.	3.0.0	cluster	O(1)
cluster|forget			Removes a node from the nodes table.	3.0.0	cluster	O(1)
cluster|syncslots			A container for internal slot migration commands.	9.0.0	cluster	Depends on subcommand.
cluster|getslotmigrations			Gets the status of ongoing and recently finished slot import and export operations.	9.0.0	cluster	O(N), where N is the number of active slot import and export jobs.
cluster|myshardid	nondeterministic_output		Returns the shard ID of a node.	7.2.0	cluster	O(1)
cluster|addslots			Assigns new hash slots to a node.	3.0.0	cluster	O(N) where N is the total number of hash slot arguments
cluster|getkeysinslot	nondeterministic_output		Returns the key names in a hash slot.	3.0.0	cluster	O(N) where N is the number of requested keys
cluster|migrateslots			Migrate the given slots from this node to the specified nodes.	9.0.0	cluster	O(N) where N is the total number of the slots between all start slot and end slot arguments.
cluster|saveconfig			Forces a node to save the cluster configuration to disk.	3.0.0	cluster	O(1)
cluster|flushslot			Removes all keys from the target slot.	9.0.0	cluster	O(N) where N is the number of keys in the target slot
cluster|replicate			Configures a node as replica of a primary node or detaches a replica from its primary.	3.0.0	cluster	O(1)
cluster|reset			Resets a node.	3.0.0	cluster	O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.
cluster|delslotsrange			Sets hash slot ranges as unbound for a node.	7.0.0	cluster	O(N) where N is the total number of the slots between the start slot and end slot arguments.
cluster|myid			Returns the ID of a node.	3.0.0	cluster	O(1)
cluster|cancelslotmigrations			Cancel all current ongoing slot migration operations.	9.0.0	cluster	O(N), where N is the number of slot migration operations being cancelled.
cluster|failover			Forces a replica to perform a manual failover of its primary.	3.0.0	cluster	O(1)
cluster|links	nondeterministic_output		Returns a list of all TCP links to and from peer nodes.	7.0.0	cluster	O(N) where N is the total number of Cluster nodes
cluster|meet			Forces a node to handshake with another node.	3.0.0	cluster	O(1)
cluster|nodes	nondeterministic_output		Returns the cluster configuration for a node.	3.0.0	cluster	O(N) where N is the total number of Cluster nodes
cluster|slaves	nondeterministic_output		Lists the replica nodes of a primary node.	3.0.0	cluster	O(N) where N is the number of replicas.
cluster|slots	nondeterministic_output		Returns the mapping of cluster slots to nodes.	3.0.0	cluster	O(N) where N is the total number of Cluster nodes
cluster|delslots			Sets hash slots as unbound for a node.	3.0.0	cluster	O(N) where N is the total number of hash slot arguments
cluster|help			Returns helpful text about the different subcommands.	5.0.0	cluster	O(1)
cluster|info	nondeterministic_output		Returns information about the state of a node.	3.0.0	cluster	O(1)
cluster|set-config-epoch			Sets the configuration epoch for a new node.	3.0.0	cluster	O(1)
cluster|setslot			Binds a hash slot to a node.	3.0.0	cluster	O(1)
clusterscan	nondeterministic_output,request_policy:special,response_policy:special	not_key/i1/r0,1,0	Iterates over the keys in the cluster.	9.1.0	cluster	O(N) where N is the number of elements returned.
command	nondeterministic_output_order		Returns detailed information about all commands.	2.8.13	server	O(N) where N is the total number of commands
command|count			Returns a count of commands.	2.8.13	server	O(1)
command|docs	nondeterministic_output_order		Returns documentary information about one, multiple or all commands.	7.0.0	server	O(N) where N is the number of commands to look up
command|getkeys			Extracts the key names from an arbitrary command.	2.8.13	server	O(N) where N is the number of arguments to the command
command|getkeysandflags			Extracts the key names and access flags for an arbitrary command.	7.0.0	server	O(N) where N is the number of arguments to the command
command|help			Returns helpful text about the different subcommands.	5.0.0	server	O(1)
command|info	nondeterministic_output_order		Returns information about one, multiple or all commands.	2.8.13	server	O(N) where N is the number of commands to look up
command|list	nondeterministic_output_order		Returns a list of command names.	7.0.0	server	O(N) where N is the total number of commands
commandlog			A container for command log commands.	8.1.0	server	Depends on subcommand.
commandlog|get	request_policy:all_nodes,nondeterministic_output		Returns the specified command log's entries.	8.1.0	server	O(N) where N is the number of entries returned
commandlog|help			Shows helpful text about the different subcommands.	8.1.0	server	O(1)
commandlog|len	request_policy:all_nodes,response_policy:agg_sum,nondeterministic_output		Returns the number of entries in the specified type of command log.	8.1.0	server	O(1)
commandlog|reset	request_policy:all_nodes,response_policy:all_succeeded		Clears all entries from the specified type of command log.	8.1.0	server	O(N) where N is the number of entries in the commandlog
config			A container for server configuration commands.	2.0.0	server	Depends on subcommand.
config|get			Returns the effective values of configuration parameters.	2.0.0	server	O(N) when N is the number of configuration parameters provided
config|help			Returns helpful text about the different subcommands.	5.0.0	server	O(1)
config|resetstat	request_policy:all_nodes,response_policy:all_succeeded		Resets the server's statistics.	2.0.0	server	O(1)
config|rewrite	request_policy:all_nodes,response_policy:all_succeeded		Persists the effective configuration to file.	2.8.0	server	O(1)
config|set	request_policy:all_nodes,response_policy:all_succeeded		Sets configuration parameters in-flight.	2.0.0	server	O(N) when N is the number of configuration parameters provided
copy		RO,access/i1/r0,1,0;OW,update/i2/r0,1,0	Copies the value of a key to a new key.	6.2.0	generic	O(N) worst case for collections, where N is the number of nested items. O(1) for string values.
dbsize	request_policy:all_shards,response_policy:agg_sum		Returns the number of keys in the database.	1.0.0	server	O(1)
debug			A container for debugging commands.	1.0.0	server	Depends on subcommand.
decr		RW,access,update/i1/r0,1,0	Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.	1.0.0	string	O(1)
decrby		RW,access,update/i1/r0,1,0	Decrements the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.	1.0.0	string	O(1)
del	request_policy:multi_shard,response_policy:agg_sum	RM,delete/i1/r-1,1,0	Deletes one or more keys.	1.0.0	generic	O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).
delifeq		RM,delete/i1/r0,1,0	Delete key if value matches string.	9.0.0	string	O(1)
discard			Discards a transaction.	2.0.0	transactions	O(N), when N is the number of queued commands
dump	nondeterministic_output	RO,access/i1/r0,1,0	Returns a serialized representation of the value stored at a key.	2.6.0	generic	O(1) to access the key and additional O(N*M) to serialize it, where N is the number of objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).
echo			Returns the given string.	1.0.0	connection	O(1)
eval		RW,access,update/i2/n0,1,1/We cannot tell how the keys will be used so we assume the worst, RW and UPDATE	Executes a server-side Lua script.	2.6.0	scripting	Depends on the script that is executed.
eval_ro		RO,access/i2/n0,1,1/We cannot tell how the keys will be used so we assume the worst, RO and ACCESS	Executes a read-only server-side Lua script.	7.0.0	scripting	Depends on the script that is executed.
evalsha		RW,access,update/i2/n0,1,1	Executes a server-side Lua script by SHA1 digest.	2.6.0	scripting	Depends on the script that is executed.
evalsha_ro		RO,access/i2/n0,1,1	Executes a read-only server-side Lua script by SHA1 digest.	7.0.0	scripting	Depends on the script that is executed.
exec			Executes all commands in a transaction.	1.2.0	transactions	Depends on commands in the transaction
exists	request_policy:multi_shard,response_policy:agg_sum	RO/i1/r-1,1,0	Determines whether one or more keys exist.	1.0.0	generic	O(N) where N is the number of keys to check.
expire		RW,update/i1/r0,1,0	Sets the expiration time of a key in seconds.	1.0.0	generic	O(1)
expireat		RW,update/i1/r0,1,0	Sets the expiration time of a key to a Unix timestamp.	1.2.0	generic	O(1)
expiretime		RO,access/i1/r0,1,0	Returns the expiration time of a key as a Unix timestamp.	7.0.0	generic	O(1)
failover			Starts a coordinated failover from a server to one of its replicas.	6.2.0	server	O(1)
fcall		RW,access,update/i2/n0,1,1/We cannot tell how the keys will be used so we assume the worst, RW and UPDATE	Invokes a function.	7.0.0	scripting	Depends on the function that is executed.
fcall_ro		RO,access/i2/n0,1,1/We cannot tell how the keys will be used so we assume the worst, RO and ACCESS	Invokes a read-only function.	7.0.0	scripting	Depends on the function that is executed.
flushall	request_policy:all_shards,response_policy:all_succeeded		Removes all keys from all databases.	1.0.0	server	O(N) where N is the total number of keys in all databases
flushdb	request_policy:all_shards,response_policy:all_succeeded		Removes all keys from the current database.	1.0.0	server	O(N) where N is the number of keys in the selected database
function			A container for function commands.	7.0.0	scripting	Depends on subcommand.
function|dump			Dumps all libraries into a serialized binary payload.	7.0.0	scripting	O(N) where N is the number of functions
function|delete	request_policy:all_shards,response_policy:all_succeeded		Deletes a library and its functions.	7.0.0	scripting	O(1)
function|flush	request_policy:all_shards,response_policy:all_succeeded		Deletes all libraries and functions.	7.0.0	scripting	O(N) where N is the number of functions deleted
function|help			Returns helpful text about the different subcommands.	7.0.0	scripting	O(1)
function|kill	request_policy:all_shards,response_policy:one_succeeded		Terminates a function during execution.	7.0.0	scripting	O(1)
function|list	nondeterministic_output_order		Returns information about all libraries.	7.0.0	scripting	O(N) where N is the number of functions
function|load	request_policy:all_shards,response_policy:all_succeeded		Creates a library.	7.0.0	scripting	O(1) (considering compilation time is redundant)
function|restore	request_policy:all_shards,response_policy:all_succeeded		Restores all libraries from a payload.	7.0.0	scripting	O(N) where N is the number of functions on the payload
function|stats	nondeterministic_output,request_policy:all_shards,response_policy:special		Returns information about a function during execution.	7.0.0	scripting	O(1)
geoadd		RW,update/i1/r0,1,0	Adds one or more members to a geospatial index. The key is created if it doesn't exist.	3.2.0	geo	O(log(N)) for each item added, where N is the number of elements in the sorted set.
geodist		RO,access/i1/r0,1,0	Returns the distance between two members of a geospatial index.	3.2.0	geo	O(1)
geohash		RO,access/i1/r0,1,0	Returns members from a geospatial index as geohash strings.	3.2.0	geo	O(1) for each member requested.
geopos		RO,access/i1/r0,1,0	Returns the longitude and latitude of members from a geospatial index.	3.2.0	geo	O(1) for each member requested.
georadius		RO,access/i1/r0,1,0;OW,update,variable_flags/kSTORE,6/r0,1,0;OW,update,variable_flags/kSTOREDIST,6/r0,1,0	Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.	3.2.0	geo	O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.
georadius_ro		RO,access/i1/r0,1,0	Returns members from a geospatial index that are within a distance from a coordinate.	3.2.10	geo	O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.
georadiusbymember		RO,access/i1/r0,1,0;OW,update,variable_flags/kSTORE,5/r0,1,0;OW,update,variable_flags/kSTOREDIST,5/r0,1,0	Queries a geospatial index for members within a distance from a member, optionally stores the result.	3.2.0	geo	O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.
georadiusbymember_ro		RO,access/i1/r0,1,0	Returns members from a geospatial index that are within a distance from a member.	3.2.10	geo	O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.
geosearch		RO,access/i1/r0,1,0	Queries a geospatial index for members inside an area of a box, circle, or a polygon.	6.2.0	geo	O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape
geosearchstore		OW,update/i1/r0,1,0;RO,access/i2/r0,1,0	Queries a geospatial index for members inside an area of a box, a circle, or a polygon, optionally stores the result.	6.2.0	geo	O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape
get		RO,access/i1/r0,1,0	Returns the string value of a key.	1.0.0	string	O(1)
getbit		RO,access/i1/r0,1,0	Returns a bit value by offset.	2.2.0	bitmap	O(1)
getdel		RW,access,delete/i1/r0,1,0	Returns the string value of a key after deleting the key.	6.2.0	string	O(1)
getex		RW,access,update/i1/r0,1,0/RW and UPDATE because it changes the TTL	Returns the string value of a key after setting its expiration time.	6.2.0	string	O(1)
getrange		RO,access/i1/r0,1,0	Returns a substring of the string stored at a key.	2.4.0	string	O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.
getset		RW,access,update/i1/r0,1,0	Returns the previous string value of a key after setting it to a new value.	1.0.0	string	O(1)
hdel		RW,delete/i1/r0,1,0	Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.	2.0.0	hash	O(N) where N is the number of fields to be removed.
hello			Handshakes with the server.	6.0.0	connection	O(1)
hexists		RO/i1/r0,1,0	Determines whether a field exists in a hash.	2.0.0	hash	O(1)
hexpire		RW,update/i1/r0,1,0	Sets expiry time on hash fields.	9.0.0	hash	O(N) where N is the number of specified fields.
hexpireat		RW,update/i1/r0,1,0	Sets expiry time on hash fields.	9.0.0	hash	O(N) where N is the number of specified fields.
hexpiretime		RO,access/i1/r0,1,0	Returns Unix timestamps in seconds since the epoch at which the given key's field(s) will expire.	9.0.0	hash	O(N) where N is the number of specified fields.
hget		RO,access/i1/r0,1,0	Returns the value of a field in a hash.	2.0.0	hash	O(1)
hgetall	nondeterministic_output_order	RO,access/i1/r0,1,0	Returns all fields and values in a hash.	2.0.0	hash	O(N) where N is the size of the hash.
hgetdel		RW,access,delete/i1/r0,1,0	Returns the values of one or more fields and deletes them from a hash.	9.1.0	hash	O(N) where N is the number of fields to be retrieved and deleted.
hgetex		RW,access,update/i1/r0,1,0	Gets the value of one or more fields of a given hash key, and optionally sets their expiration time or time-to-live (TTL).	9.0.0	hash	O(N) where N is the number of specified fields.
hincrby		RW,access,update/i1/r0,1,0	Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.	2.0.0	hash	O(1)
hincrbyfloat		RW,access,update/i1/r0,1,0	Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.	2.6.0	hash	O(1)
hkeys	nondeterministic_output_order	RO,access/i1/r0,1,0	Returns all fields in a hash.	2.0.0	hash	O(N) where N is the size of the hash.
hlen		RO/i1/r0,1,0	Returns the number of fields in a hash.	2.0.0	hash	O(1)
hmget		RO,access/i1/r0,1,0	Returns the values of all fields in a hash.	2.0.0	hash	O(N) where N is the number of fields being requested.
hmset		RW,update/i1/r0,1,0	Sets the values of multiple fields.	2.0.0	hash	O(N) where N is the number of fields being set.
hpersist		RW,update/i1/r0,1,0	Remove the existing expiration on a hash key's field(s).	9.0.0	hash	O(N) where N is the number of specified fields.
hpexpire		RW,update/i1/r0,1,0	Sets expiry time on hash object.	9.0.0	hash	O(N) where N is the number of specified fields.
hpexpireat		RW,update/i1/r0,1,0	Sets expiration time on hash field.	9.0.0	hash	O(N) where N is the number of specified fields.
hpexpiretime		RO,access/i1/r0,1,0	Returns the Unix timestamp in milliseconds since Unix epoch at which the given key's field(s) will expire.	9.0.0	hash	O(N) where N is the number of specified fields.
hpttl		RO,access/i1/r0,1,0	Returns the remaining time to live in milliseconds of a hash key's field(s) that have an associated expiration.	9.0.0	hash	O(N) where N is the number of specified fields.
hrandfield	nondeterministic_output	RO,access/i1/r0,1,0	Returns one or more random fields from a hash.	6.2.0	hash	O(N) where N is the number of fields returned
hscan	nondeterministic_output	RO,access/i1/r0,1,0	Iterates over fields and values of a hash.	2.8.0	hash	O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.
hset		RW,update/i1/r0,1,0	Creates or modifies the value of a field in a hash.	2.0.0	hash	O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.
hsetex		RW,insert/i1/r0,1,0	Sets the value of one or more fields of a given hash key, and optionally sets their expiration time.	9.0.0	hash	O(N) where N is the number of specified fields.
hsetnx		RW,insert/i1/r0,1,0	Sets the value of a field in a hash only when the field doesn't exist.	2.0.0	hash	O(1)
hstrlen		RO/i1/r0,1,0	Returns the length of the value of a field.	3.2.0	hash	O(1)
httl		RO,access/i1/r0,1,0	Returns the remaining time to live (in seconds) of a hash key's field(s) that have an associated expiration.	9.0.0	hash	O(N) where N is the number of specified fields.
hvals	nondeterministic_output_order	RO,access/i1/r0,1,0	Returns all values in a hash.	2.0.0	hash	O(N) where N is the size of the hash.
incr		RW,access,update/i1/r0,1,0	Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.	1.0.0	string	O(1)
incrby		RW,access,update/i1/r0,1,0	Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.	1.0.0	string	O(1)
incrbyfloat		RW,access,update/i1/r0,1,0	Increments the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.	2.6.0	string	O(1)
info	nondeterministic_output,request_policy:all_shards,response_policy:special		Returns information and statistics about the server.	1.0.0	server	O(1)
keys	request_policy:all_shards,nondeterministic_output_order		Returns all key names that match a pattern.	1.0.0	generic	O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.
lastsave	nondeterministic_output		Returns the Unix timestamp of the last successful save to disk.	1.0.0	server	O(1)
latency			A container for latency diagnostics commands.	2.8.13	server	Depends on subcommand.
latency|doctor	nondeterministic_output,request_policy:all_nodes,response_policy:special		Returns a human-readable latency analysis report.	2.8.13	server	O(1)
latency|graph	nondeterministic_output,request_policy:all_nodes,response_policy:special		Returns a latency graph for an event.	2.8.13	server	O(1)
latency|help			Returns helpful text about the different subcommands.	2.8.13	server	O(1)
latency|histogram	nondeterministic_output,request_policy:all_nodes,response_policy:special		Returns the cumulative distribution of latencies of a subset or all commands.	7.0.0	server	O(N) where N is the number of commands with latency information being retrieved.
latency|history	nondeterministic_output,request_policy:all_nodes,response_policy:special		Returns timestamp-latency samples for an event.	2.8.13	server	O(1)
latency|latest	nondeterministic_output,request_policy:all_nodes,response_policy:special		Returns the latest latency samples for all events.	2.8.13	server	O(1)
latency|reset	request_policy:all_nodes,response_policy:agg_sum		Resets the latency data for one or more events.	2.8.13	server	O(1)
lcs		RO,access/i1/r1,1,0	Finds the longest common substring.	7.0.0	string	O(N*M) where N and M are the lengths of s1 and s2, respectively
lindex		RO,access/i1/r0,1,0	Returns an element from a list by its index.	1.0.0	list	O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).
linsert		RW,insert/i1/r0,1,0	Inserts an element before or after another element in a list.	2.2.0	list	O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).
llen		RO/i1/r0,1,0	Returns the length of a list.	1.0.0	list	O(1)
lmove		RW,access,delete/i1/r0,1,0;RW,insert/i2/r0,1,0	Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.	6.2.0	list	O(1)
lmpop		RW,access,delete/i1/n0,1,1	Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.	7.0.0	list	O(N+M) where N is the number of provided keys and M is the number of elements returned.
lolwut			Displays computer art and the server version.	5.0.0	server	
lpop		RW,access,delete/i1/r0,1,0	Returns and removes one or more elements from the beginning of a list. Deletes the list if the last element was popped.	1.0.0	list	O(N) where N is the number of elements returned
lpos		RO,access/i1/r0,1,0	Returns the index of matching elements in a list.	6.0.6	list	O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.
lpush		RW,insert/i1/r0,1,0	Prepends one or more elements to a list. Creates the key if it doesn't exist.	1.0.0	list	O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
lpushx		RW,insert/i1/r0,1,0	Prepends one or more elements to a list only when the list exists.	2.2.0	list	O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
lrange		RO,access/i1/r0,1,0	Returns a range of elements from a list.	1.0.0	list	O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.
lrem		RW,delete/i1/r0,1,0	Removes elements from a list. Deletes the list if the last element was removed.	1.0.0	list	O(N+M) where N is the length of the list and M is the number of elements removed.
lset		RW,update/i1/r0,1,0	Sets the value of an element in a list by its index.	1.0.0	list	O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).
ltrim		RW,delete/i1/r0,1,0	Removes elements from both ends of a list. Deletes the list if all elements were trimmed.	1.0.0	list	O(N) where N is the number of elements to be removed by the operation.
memory			A container for memory diagnostics commands.	4.0.0	server	Depends on subcommand.
memory|doctor	nondeterministic_output,request_policy:all_shards,response_policy:special		Outputs a memory problems report.	4.0.0	server	O(1)
memory|help			Returns helpful text about the different subcommands.	4.0.0	server	O(1)
memory|malloc-stats	nondeterministic_output,request_policy:all_shards,response_policy:special		Returns the allocator statistics.	4.0.0	server	Depends on how much memory is allocated, could be slow
memory|purge	request_policy:all_shards,response_policy:all_succeeded		Asks the allocator to release memory.	4.0.0	server	Depends on how much memory is allocated, could be slow
memory|stats	nondeterministic_output,request_policy:all_shards,response_policy:special		Returns details about memory usage.	4.0.0	server	O(1)
memory|usage		RO/i2/r0,1,0	Estimates the memory usage of a key.	4.0.0	server	O(N) where N is the number of samples.
mget	request_policy:multi_shard	RO,access/i1/r-1,1,0	Atomically returns the string values of one or more keys.	1.0.0	string	O(N) where N is the number of keys to retrieve.
migrate	nondeterministic_output	RW,access,delete/i3/r0,1,0;RW,access,delete,incomplete/kKEYS,-2/r-1,1,0	Atomically transfers a key from one instance to another.	2.6.0	generic	This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.
module			A container for module commands.	4.0.0	server	Depends on subcommand.
module|help			Returns helpful text about the different subcommands.	5.0.0	server	O(1)
module|list	nondeterministic_output_order		Returns all loaded modules.	4.0.0	server	O(N) where N is the number of loaded modules.
module|load			Loads a module.	4.0.0	server	O(1)
module|loadex			Loads a module using extended parameters.	7.0.0	server	O(1)
module|unload			Unloads a module.	4.0.0	server	O(1)
monitor			Listens for all requests received by the server in real-time.	1.0.0	server	
move		RW,access,update/i1/r0,1,0	Moves a key to another database.	1.0.0	generic	O(1)
mset	request_policy:multi_shard,response_policy:all_succeeded	OW,update/i1/r-1,2,0	Atomically creates or modifies the string values of one or more keys.	1.0.1	string	O(N) where N is the number of keys to set.
msetex	request_policy:multi_shard,response_policy:all_succeeded	OW,update/i1/n0,1,2	Atomically creates or modifies the string values of one or more keys, and optionally set their expiration.	9.1.0	string	O(N) where N is the number of keys to set.
msetnx		OW,insert/i1/r-1,2,0	Atomically modifies the string values of one or more keys only when all keys don't exist.	1.0.1	string	O(N) where N is the number of keys to set.
multi			Starts a transaction.	1.2.0	transactions	O(1)
object			A container for object introspection commands.	2.2.3	generic	Depends on subcommand.
object|encoding	nondeterministic_output	RO/i2/r0,1,0	Returns the internal encoding of an object.	2.2.3	generic	O(1)
object|freq	nondeterministic_output	RO/i2/r0,1,0	Returns the logarithmic access frequency counter of an object.	4.0.0	generic	O(1)
object|help			Returns helpful text about the different subcommands.	6.2.0	generic	O(1)
object|idletime	nondeterministic_output	RO/i2/r0,1,0	Returns the time since the last access to an object.	2.2.3	generic	O(1)
object|refcount	nondeterministic_output	RO/i2/r0,1,0	Returns the reference count of a value of a key.	2.2.3	generic	O(1)
persist		RW,update/i1/r0,1,0	Removes the expiration time of a key.	2.2.0	generic	O(1)
pexpire		RW,update/i1/r0,1,0	Sets the expiration time of a key in milliseconds.	2.6.0	generic	O(1)
pexpireat		RW,update/i1/r0,1,0	Sets the expiration time of a key to a Unix milliseconds timestamp.	2.6.0	generic	O(1)
pexpiretime		RO,access/i1/r0,1,0	Returns the expiration time of a key as a Unix milliseconds timestamp.	7.0.0	generic	O(1)
pfadd		RW,insert/i1/r0,1,0	Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.	2.8.9	hyperloglog	O(1) to add every element.
pfcount		RW,access/i1/r-1,1,0/RW because it may change the internal representation of the key, and propagate to replicas	Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).	2.8.9	hyperloglog	O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.
pfdebug		RW,access/i2/r0,1,0	Internal commands for debugging HyperLogLog values.	2.8.9	hyperloglog	N/A
pfmerge		RW,access,insert/i1/r0,1,0;RO,access/i2/r-1,1,0	Merges one or more HyperLogLog values into a single key.	2.8.9	hyperloglog	O(N) to merge N HyperLogLogs, but with high constant times.
pfselftest			An internal command for testing HyperLogLog values.	2.8.9	hyperloglog	N/A
ping	request_policy:all_shards,response_policy:all_succeeded		Returns the server's liveliness response.	1.0.0	connection	O(1)
psetex		OW,update/i1/r0,1,0	Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.	2.6.0	string	O(1)
psubscribe			Listens for messages published to channels that match one or more patterns.	2.0.0	pubsub	O(N) where N is the number of patterns to subscribe to.
psync			An internal command used in replication.	2.8.0	server	
pttl	nondeterministic_output	RO,access/i1/r0,1,0	Returns the expiration time in milliseconds of a key.	2.6.0	generic	O(1)
publish			Posts a message to a channel.	2.0.0	pubsub	O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).
pubsub			A container for Pub/Sub commands.	2.8.0	pubsub	Depends on subcommand.
pubsub|channels			Returns the active channels.	2.8.0	pubsub	O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)
pubsub|help			Returns helpful text about the different subcommands.	6.2.0	pubsub	O(1)
pubsub|numpat			Returns a count of unique pattern subscriptions.	2.8.0	pubsub	O(1)
pubsub|numsub			Returns a count of subscribers to channels.	2.8.0	pubsub	O(N) for the NUMSUB subcommand, where N is the number of requested channels
pubsub|shardchannels			Returns the active shard channels.	7.0.0	pubsub	O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).
pubsub|shardnumsub			Returns the count of subscribers of shard channels.	7.0.0	pubsub	O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels
punsubscribe			Stops listening to messages published to channels that match one or more patterns.	2.0.0	pubsub	O(N) where N is the number of patterns to unsubscribe.
quit			Closes the connection.	1.0.0	connection	O(1)
randomkey	request_policy:all_shards,response_policy:special,nondeterministic_output		Returns a random key name from the database.	1.0.0	generic	O(1)
readonly			Enables read-only queries for a connection to a Valkey replica node.	3.0.0	cluster	O(1)
readwrite			Enables read-write queries for a connection to a Valkey replica node.	3.0.0	cluster	O(1)
rename		RW,access,delete/i1/r0,1,0;OW,update/i2/r0,1,0	Renames a key and overwrites the destination.	1.0.0	generic	O(1)
renamenx		RW,access,delete/i1/r0,1,0;OW,insert/i2/r0,1,0	Renames a key only when the target key name doesn't exist.	1.0.0	generic	O(1)
replconf			An internal command for configuring the replication stream.	3.0.0	server	O(1)
replicaof			Configures a server as replica of another, or promotes it to a primary.	5.0.0	server	O(1)
reset			Resets the connection.	6.2.0	connection	O(1)
restore		OW,update/i1/r0,1,0	Creates a key from the serialized representation of a value.	2.6.0	generic	O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).
restore-asking		OW,update/i1/r0,1,0	An internal command for migrating keys in a cluster.	3.0.0	server	O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).
role			Returns the replication role.	2.8.12	server	O(1)
rpop		RW,access,delete/i1/r0,1,0	Returns and removes one or more elements from the end of a list. Deletes the list if the last element was popped.	1.0.0	list	O(N) where N is the number of elements returned
rpoplpush		RW,access,delete/i1/r0,1,0;RW,insert/i2/r0,1,0	Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.	1.2.0	list	O(1)
rpush		RW,insert/i1/r0,1,0	Appends one or more elements to a list. Creates the key if it doesn't exist.	1.0.0	list	O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
rpushx		RW,insert/i1/r0,1,0	Appends one or more elements to a list only when the list exists.	2.2.0	list	O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
sadd		RW,insert/i1/r0,1,0	Adds one or more members to a set. Creates the key if it doesn't exist.	1.0.0	set	O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.
save			Synchronously saves the database(s) to disk.	1.0.0	server	O(N) where N is the total number of keys in all databases
scan	nondeterministic_output,request_policy:special,response_policy:special		Iterates over the key names in the database.	2.8.0	generic	O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.
scard		RO/i1/r0,1,0	Returns the number of members in a set.	1.0.0	set	O(1)
script			A container for Lua scripts management commands.	2.6.0	scripting	Depends on subcommand.
script|debug			Sets the debug mode of server-side Lua scripts.	3.2.0	scripting	O(1)
script|exists	request_policy:all_shards,response_policy:agg_logical_and		Determines whether server-side Lua scripts exist in the script cache.	2.6.0	scripting	O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).
script|flush	request_policy:all_nodes,response_policy:all_succeeded		Removes all server-side Lua scripts from the script cache.	2.6.0	scripting	O(N) with N being the number of scripts in cache
script|help			Returns helpful text about the different subcommands.	5.0.0	scripting	O(1)
script|kill	request_policy:all_shards,response_policy:one_succeeded		Terminates a server-side Lua script during execution.	2.6.0	scripting	O(1)
script|load	request_policy:all_nodes,response_policy:all_succeeded		Loads a server-side Lua script to the script cache.	2.6.0	scripting	O(N) with N being the length in bytes of the script body.
script|show			Show server-side Lua script in the script cache.	8.0.0	scripting	O(1).
sdiff	nondeterministic_output_order	RO,access/i1/r-1,1,0	Returns the difference of multiple sets.	1.0.0	set	O(N) where N is the total number of elements in all given sets.
sdiffstore		OW,update/i1/r0,1,0;RO,access/i2/r-1,1,0	Stores the difference of multiple sets in a key.	1.0.0	set	O(N) where N is the total number of elements in all given sets.
select			Changes the selected database.	1.0.0	connection	O(1)
set		RW,access,update,variable_flags/i1/r0,1,0/RW and ACCESS due to the optional `GET` argument	Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.	1.0.0	string	O(1)
setbit		RW,access,update/i1/r0,1,0	Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.	2.2.0	bitmap	O(1)
setex		OW,update/i1/r0,1,0	Sets the string value and expiration time of a key. Creates the key if it doesn't exist.	2.0.0	string	O(1)
setnx		OW,insert/i1/r0,1,0	Sets the string value of a key only when the key doesn't exist.	1.0.0	string	O(1)
setrange		RW,update/i1/r0,1,0	Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.	2.2.0	string	O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.
shutdown			Synchronously saves the database(s) to disk and shuts down the server.	1.0.0	server	O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)
sinter	nondeterministic_output_order	RO,access/i1/r-1,1,0	Returns the intersect of multiple sets.	1.0.0	set	O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.
sintercard		RO,access/i1/n0,1,1	Returns the number of members of the intersect of multiple sets.	7.0.0	set	O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.
sinterstore		OW,update/i1/r0,1,0;RO,access/i2/r-1,1,0	Stores the intersect of multiple sets in a key.	1.0.0	set	O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.
sismember		RO/i1/r0,1,0	Determines whether a member belongs to a set.	1.0.0	set	O(1)
slaveof			Sets a server as a replica of another, or promotes it to being a primary.	1.0.0	server	O(1)
slowlog			A container for slow log commands.	2.2.12	server	Depends on subcommand.
slowlog|get	request_policy:all_nodes,nondeterministic_output		Returns the slow log's entries.	2.2.12	server	O(N) where N is the number of entries returned
slowlog|help			Shows helpful text about the different subcommands.	6.2.0	server	O(1)
slowlog|len	request_policy:all_nodes,response_policy:agg_sum,nondeterministic_output		Returns the number of entries in the slow log.	2.2.12	server	O(1)
slowlog|reset	request_policy:all_nodes,response_policy:all_succeeded		Clears all entries from the slow log.	2.2.12	server	O(N) where N is the number of entries in the slowlog
smembers	nondeterministic_output_order	RO,access/i1/r0,1,0	Returns all members of a set.	1.0.0	set	O(N) where N is the set cardinality.
smismember		RO,access/i1/r0,1,0	Determines whether multiple members belong to a set.	6.2.0	set	O(N) where N is the number of elements being checked for membership
smove		RW,access,delete/i1/r0,1,0;RW,insert/i2/r0,1,0	Moves a member from one set to another.	1.0.0	set	O(1)
sort		RO,access/i1/r0,1,0;RO,access/u/u/For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort;OW,update/u/u/For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array	Sorts the elements in a list, a set, or a sorted set, optionally storing the result.	1.0.0	generic	O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).
sort_ro		RO,access/i1/r0,1,0;RO,access/u/u/For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort	Returns the sorted elements of a list, a set, or a sorted set.	7.0.0	generic	O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).
spop	nondeterministic_output	RW,access,delete/i1/r0,1,0	Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.	1.0.0	set	Without the count argument O(1), otherwise O(N) where N is the value of the passed count.
spublish		not_key/i1/r0,1,0	Posts a message to a shard channel.	7.0.0	pubsub	O(N) where N is the number of clients subscribed to the receiving shard channel.
srandmember	nondeterministic_output	RO,access/i1/r0,1,0	Gets one or multiple random members from a set.	1.0.0	set	Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.
srem		RW,delete/i1/r0,1,0	Removes one or more members from a set. Deletes the set if the last member was removed.	1.0.0	set	O(N) where N is the number of members to be removed.
sscan	nondeterministic_output	RO,access/i1/r0,1,0	Iterates over members of a set.	2.8.0	set	O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.
ssubscribe		not_key/i1/r-1,1,0	Listens for messages published to shard channels.	7.0.0	pubsub	O(N) where N is the number of shard channels to subscribe to.
strlen		RO/i1/r0,1,0	Returns the length of a string value.	2.2.0	string	O(1)
subscribe			Listens for messages published to channels.	2.0.0	pubsub	O(N) where N is the number of channels to subscribe to.
substr		RO,access/i1/r0,1,0	Returns a substring from a string value.	1.0.0	string	O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.
sunion	nondeterministic_output_order	RO,access/i1/r-1,1,0	Returns the union of multiple sets.	1.0.0	set	O(N) where N is the total number of elements in all given sets.
sunionstore		OW,update/i1/r0,1,0;RO,access/i2/r-1,1,0	Stores the union of multiple sets in a key.	1.0.0	set	O(N) where N is the total number of elements in all given sets.
sunsubscribe		not_key/i1/r-1,1,0	Stops listening to messages posted to shard channels.	7.0.0	pubsub	O(N) where N is the number of shard channels to unsubscribe.
swapdb			Swaps two databases.	4.0.0	server	O(N) where N is the count of clients watching or blocking on keys from both databases.
sync			An internal command used in replication.	1.0.0	server	
time	nondeterministic_output		Returns the server time.	2.6.0	server	O(1)
touch	request_policy:multi_shard,response_policy:agg_sum	RO/i1/r-1,1,0	Returns the number of existing keys out of those specified after updating the time they were last accessed.	3.2.1	generic	O(N) where N is the number of keys that will be touched.
ttl	nondeterministic_output	RO,access/i1/r0,1,0	Returns the expiration time in seconds of a key.	1.0.0	generic	O(1)
type		RO/i1/r0,1,0	Determines the type of value stored at a key.	1.0.0	generic	O(1)
unlink	request_policy:multi_shard,response_policy:agg_sum	RM,delete/i1/r-1,1,0	Asynchronously deletes one or more keys.	4.0.0	generic	O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.
unsubscribe			Stops listening to messages posted to channels.	2.0.0	pubsub	O(N) where N is the number of channels to unsubscribe.
unwatch			Forgets about watched keys of a transaction.	2.2.0	transactions	O(1)
wait	request_policy:all_shards,response_policy:agg_min		Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.	3.0.0	generic	O(1)
waitaof	request_policy:all_shards,response_policy:agg_min		Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the primary and/or replicas.	7.2.0	generic	O(1)
watch		RO/i1/r-1,1,0	Monitors changes to keys to determine the execution of a transaction.	2.2.0	transactions	O(1) for every key.
xack		RW,update/i1/r0,1,0	Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.	5.0.0	stream	O(1) for each message ID processed.
xadd	nondeterministic_output	RW,update/i1/r0,1,0/UPDATE instead of INSERT because of the optional trimming feature	Appends a new message to a stream. Creates the key if it doesn't exist.	5.0.0	stream	O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.
xautoclaim	nondeterministic_output	RW,delete/i1/r0,1,0	Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to a consumer group member.	6.2.0	stream	O(1) if COUNT is small.
xclaim	nondeterministic_output	RW,update/i1/r0,1,0	Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered to a consumer group member.	5.0.0	stream	O(log N) with N being the number of messages in the PEL of the consumer group.
xdel		RW,delete/i1/r0,1,0	Returns the number of messages after removing them from a stream.	5.0.0	stream	O(1) for each single item to delete in the stream, regardless of the stream size.
xgroup			A container for consumer groups commands.	5.0.0	stream	Depends on subcommand.
xgroup|create		RW,insert/i2/r0,1,0	Creates a consumer group.	5.0.0	stream	O(1)
xgroup|createconsumer		RW,insert/i2/r0,1,0	Creates a consumer in a consumer group.	6.2.0	stream	O(1)
xgroup|delconsumer		RW,delete/i2/r0,1,0	Deletes a consumer from a consumer group.	5.0.0	stream	O(1)
xgroup|destroy		RW,delete/i2/r0,1,0	Destroys a consumer group.	5.0.0	stream	O(N) where N is the number of entries in the group's pending entries list (PEL).
xgroup|help			Returns helpful text about the different subcommands.	5.0.0	stream	O(1)
xgroup|setid		RW,update/i2/r0,1,0	Sets the last-delivered ID of a consumer group.	5.0.0	stream	O(1)
xinfo			A container for stream introspection commands.	5.0.0	stream	Depends on subcommand.
xinfo|consumers	nondeterministic_output	RO,access/i2/r0,1,0	Returns a list of the consumers in a consumer group.	5.0.0	stream	O(1)
xinfo|groups		RO,access/i2/r0,1,0	Returns a list of the consumer groups of a stream.	5.0.0	stream	O(1)
xinfo|help			Returns helpful text about the different subcommands.	5.0.0	stream	O(1)
xinfo|stream		RO,access/i2/r0,1,0	Returns information about a stream.	5.0.0	stream	O(1)
xlen		RO/i1/r0,1,0	Returns the number of messages in a stream.	5.0.0	stream	O(1)
xpending	nondeterministic_output	RO,access/i1/r0,1,0	Returns the information and entries from a stream consumer group's pending entries list.	5.0.0	stream	O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.
xrange		RO,access/i1/r0,1,0	Returns the messages from a stream within a range of IDs.	5.0.0	stream	O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).
xread		RO,access/kSTREAMS,1/r-1,1,2	Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.	5.0.0	stream	
xreadgroup		RO,access/kSTREAMS,4/r-1,1,2	Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.	5.0.0	stream	For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.
xrevrange		RO,access/i1/r0,1,0	Returns the messages from a stream within a range of IDs in reverse order.	5.0.0	stream	O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).
xsetid		RW,update/i1/r0,1,0	An internal command for replicating stream values.	5.0.0	stream	O(1)
xtrim	nondeterministic_output	RW,delete/i1/r0,1,0	Deletes messages from the beginning of a stream.	5.0.0	stream	O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.
zadd		RW,update/i1/r0,1,0	Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.	1.2.0	sorted-set	O(log(N)) for each item added, where N is the number of elements in the sorted set.
zcard		RO/i1/r0,1,0	Returns the number of members in a sorted set.	1.2.0	sorted-set	O(1)
zcount		RO,access/i1/r0,1,0	Returns the count of members in a sorted set that have scores within a range.	2.0.0	sorted-set	O(log(N)) with N being the number of elements in the sorted set.
zdiff		RO,access/i1/n0,1,1	Returns the difference between multiple sorted sets.	6.2.0	sorted-set	O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.
zdiffstore		OW,update/i1/r0,1,0;RO,access/i2/n0,1,1	Stores the difference of multiple sorted sets in a key.	6.2.0	sorted-set	O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.
zincrby		RW,access,update/i1/r0,1,0	Increments the score of a member in a sorted set.	1.2.0	sorted-set	O(log(N)) where N is the number of elements in the sorted set.
zinter		RO,access/i1/n0,1,1	Returns the intersect of multiple sorted sets.	6.2.0	sorted-set	O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.
zintercard		RO,access/i1/n0,1,1	Returns the number of members of the intersect of multiple sorted sets.	7.0.0	sorted-set	O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.
zinterstore		OW,update/i1/r0,1,0;RO,access/i2/n0,1,1	Stores the intersect of multiple sorted sets in a key.	2.0.0	sorted-set	O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.
zlexcount		RO,access/i1/r0,1,0	Returns the number of members in a sorted set within a lexicographical range.	2.8.9	sorted-set	O(log(N)) with N being the number of elements in the sorted set.
zmpop		RW,access,delete/i1/n0,1,1	Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.	7.0.0	sorted-set	O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.
zmscore		RO,access/i1/r0,1,0	Returns the score of one or more members in a sorted set.	6.2.0	sorted-set	O(N) where N is the number of members being requested.
zpopmax		RW,access,delete/i1/r0,1,0	Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.	5.0.0	sorted-set	O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.
zpopmin		RW,access,delete/i1/r0,1,0	Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.	5.0.0	sorted-set	O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.
zrandmember	nondeterministic_output	RO,access/i1/r0,1,0	Returns one or more random members from a sorted set.	6.2.0	sorted-set	O(N) where N is the number of members returned
zrange		RO,access/i1/r0,1,0	Returns members in a sorted set within a range of indexes.	1.2.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.
zrangebylex		RO,access/i1/r0,1,0	Returns members in a sorted set within a lexicographical range.	2.8.9	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).
zrangebyscore		RO,access/i1/r0,1,0	Returns members in a sorted set within a range of scores.	1.0.5	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).
zrangestore		OW,update/i1/r0,1,0;RO,access/i2/r0,1,0	Stores a range of members from sorted set in a key.	6.2.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.
zrank		RO,access/i1/r0,1,0	Returns the index of a member in a sorted set ordered by ascending scores.	2.0.0	sorted-set	O(log(N))
zrem		RW,delete/i1/r0,1,0	Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.	1.2.0	sorted-set	O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.
zremrangebylex		RW,delete/i1/r0,1,0	Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.	2.8.9	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
zremrangebyrank		RW,delete/i1/r0,1,0	Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.	2.0.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
zremrangebyscore		RW,delete/i1/r0,1,0	Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.	1.2.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.
zrevrange		RO,access/i1/r0,1,0	Returns members in a sorted set within a range of indexes in reverse order.	1.2.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.
zrevrangebylex		RO,access/i1/r0,1,0	Returns members in a sorted set within a lexicographical range in reverse order.	2.8.9	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).
zrevrangebyscore		RO,access/i1/r0,1,0	Returns members in a sorted set within a range of scores in reverse order.	2.2.0	sorted-set	O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).
zrevrank		RO,access/i1/r0,1,0	Returns the index of a member in a sorted set ordered by descending scores.	2.0.0	sorted-set	O(log(N))
zscan	nondeterministic_output	RO,access/i1/r0,1,0	Iterates over members and scores of a sorted set.	2.8.0	sorted-set	O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.
zscore		RO,access/i1/r0,1,0	Returns the score of a member in a sorted set.	1.2.0	sorted-set	O(1)
zunion		RO,access/i1/n0,1,1	Returns the union of multiple sorted sets.	6.2.0	sorted-set	O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.
zunionstore		OW,update/i1/r0,1,0;RO,access/i2/n0,1,1	Stores the union of multiple sorted sets in a key.	2.0.0	sorted-set	O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."#;
