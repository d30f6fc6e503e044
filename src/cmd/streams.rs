//! Stream commands: XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD, XREADGROUP, XGROUP,
//! XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO — with Redis 7.2's replies, errors, keyspace events
//! and propagation:
//! - XADD is logged with the generated ID, and `~` trimming as `= <effective threshold>`;
//! - XREADGROUP / XCLAIM / XAUTOCLAIM are logged as `XCLAIM ... TIME t RETRYCOUNT n FORCE JUSTID
//!   LASTID id` per PEL change, plus `XGROUP SETID ... ENTRIESREAD n` when the group's last ID
//!   moved (so a replay restores last ID, entries-read and every PEL entry exactly), and
//!   `XGROUP CREATECONSUMER` when a consumer was created.

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, BlockRequest, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::types::stream::{id_decr, id_incr, id_string, Group, Stream, StreamId, Trim, ID_MAX, ID_MIN};
use crate::types::Value;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("stream");
    t.add(c("xadd", -5, WRITE | DENYOOM | FAST, xadd).keys(1, 1, 1).acl("@write @stream @fast").doc("5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist."));
    t.add(c("xrange", -4, READONLY, xrange).keys(1, 1, 1).acl("@read @stream @slow").doc("5.0.0", "Returns the messages from a stream within a range of IDs."));
    t.add(c("xrevrange", -4, READONLY, xrevrange).keys(1, 1, 1).acl("@read @stream @slow").doc("5.0.0", "Returns the messages from a stream within a range of IDs in reverse order."));
    t.add(c("xlen", 2, READONLY | FAST, xlen).keys(1, 1, 1).acl("@read @stream @fast").doc("5.0.0", "Return the number of messages in a stream."));
    t.add(c("xdel", -3, WRITE | FAST, xdel).keys(1, 1, 1).acl("@write @stream @fast").doc("5.0.0", "Returns the number of messages after removing them from a stream."));
    t.add(c("xtrim", -4, WRITE, xtrim).keys(1, 1, 1).acl("@write @stream @slow").doc("5.0.0", "Deletes messages from the beginning of a stream."));
    t.add(c("xsetid", -3, WRITE | DENYOOM | FAST, xsetid).keys(1, 1, 1).acl("@write @stream @fast").doc("5.0.0", "An internal command for replicating stream values."));
    t.add(c("xread", -4, READONLY | BLOCKING, xread).keys_fn(xread_keys).acl("@read @stream @slow @blocking").doc("5.0.0", "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise."));
    t.add(c("xreadgroup", -7, WRITE | BLOCKING, xread).keys_fn(xread_keys).acl("@write @stream @slow @blocking").doc("5.0.0", "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise."));
    t.add(c("xack", -4, WRITE | FAST, xack).keys(1, 1, 1).acl("@write @stream @fast").doc("5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream."));
    t.add(c("xpending", -3, READONLY, xpending).keys(1, 1, 1).acl("@read @stream @slow").doc("5.0.0", "Returns the information and entries from a stream consumer group's pending entries list."));
    t.add(c("xclaim", -6, WRITE | FAST, xclaim).keys(1, 1, 1).acl("@write @stream @fast").doc("5.0.0", "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member."));
    t.add(c("xautoclaim", -6, WRITE | FAST, xautoclaim).keys(1, 1, 1).acl("@write @stream @fast").doc("6.2.0", "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member."));
    let s = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("stream");
    t.add(
        c("xgroup", -2, 0, xgroup)
            .acl("@slow")
            .doc("5.0.0", "A container for consumer groups commands.")
            .sub(vec![
                s("create", -5, WRITE | DENYOOM, xgroup).keys(2, 2, 1).acl("@write @stream @slow"),
                s("setid", -5, WRITE, xgroup).keys(2, 2, 1).acl("@write @stream @slow"),
                s("destroy", 4, WRITE, xgroup).keys(2, 2, 1).acl("@write @stream @slow"),
                s("createconsumer", 5, WRITE | DENYOOM, xgroup).keys(2, 2, 1).acl("@write @stream @slow"),
                s("delconsumer", 5, WRITE, xgroup).keys(2, 2, 1).acl("@write @stream @slow"),
                s("help", 2, LOADING | STALE, xgroup).acl("@stream @slow"),
            ]),
    );
    t.add(
        c("xinfo", -2, 0, xinfo)
            .acl("@slow")
            .doc("5.0.0", "A container for stream introspection commands.")
            .sub(vec![
                s("consumers", 4, READONLY, xinfo).keys(2, 2, 1).acl("@read @stream @slow"),
                s("groups", 3, READONLY, xinfo).keys(2, 2, 1).acl("@read @stream @slow"),
                s("stream", -3, READONLY, xinfo).keys(2, 2, 1).acl("@read @stream @slow"),
                s("help", 2, LOADING | STALE, xinfo).acl("@stream @slow"),
            ]),
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(Bytes::from(id_string(id)))
}

fn id_arg(id: StreamId) -> Bytes {
    Bytes::from(id_string(id))
}

fn entry_reply(id: StreamId, fields: &[(&[u8], &[u8])]) -> Reply {
    let mut kv = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields {
        kv.push(Reply::bulk_slice(f));
        kv.push(Reply::bulk_slice(v));
    }
    Reply::Array(vec![id_reply(id), Reply::Array(kv)])
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Redis's `string2ull`: strict `string2ll` for values that fit, else `strtoull`'s rules.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::util::parse_i64(s) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    if i >= s.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[i..] {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `streamGenericParseIDOrReply`. Returns the ID and whether the sequence was given (false for
/// `ms-*`, accepted only when `seq_star`).
fn parse_id_full(arg: &[u8], missing_seq: u64, strict: bool, seq_star: bool) -> Result<(StreamId, bool), Reply> {
    let bad = || Reply::Error(INVALID_ID.into());
    if arg.len() > 127 {
        return Err(bad());
    }
    if arg == b"-" || arg == b"+" {
        if strict {
            return Err(bad());
        }
        return Ok((if arg == b"-" { ID_MIN } else { ID_MAX }, true));
    }
    // A NUL ends the C string.
    let arg = match arg.iter().position(|&c| c == 0) {
        Some(p) => &arg[..p],
        None => arg,
    };
    match arg.iter().position(|&c| c == b'-') {
        Some(p) => {
            let ms = string2ull(&arg[..p]).ok_or_else(bad)?;
            let rest = &arg[p + 1..];
            if seq_star && rest == b"*" {
                return Ok((StreamId { ms, seq: 0 }, false));
            }
            let seq = string2ull(rest).ok_or_else(bad)?;
            Ok((StreamId { ms, seq }, true))
        }
        None => {
            let ms = string2ull(arg).ok_or_else(bad)?;
            Ok((StreamId { ms, seq: missing_seq }, true))
        }
    }
}

fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_full(arg, missing_seq, false, false).map(|x| x.0)
}

fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_full(arg, missing_seq, true, false).map(|x| x.0)
}

/// `streamParseIntervalIDOrReply`: `(id` is exclusive.
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_strict_id(&arg[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(arg, missing_seq)?, false))
    }
}

fn parse_range_start(arg: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = parse_interval(arg, 0)?;
    if ex {
        return id_incr(id).ok_or_else(|| Reply::Error("ERR invalid start ID for the interval".into()));
    }
    Ok(id)
}

fn parse_range_end(arg: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = parse_interval(arg, u64::MAX)?;
    if ex {
        return id_decr(id).ok_or_else(|| Reply::Error("ERR invalid end ID for the interval".into()));
    }
    Ok(id)
}

fn ll_msg(arg: &[u8], msg: &str) -> Result<i64, Reply> {
    crate::util::parse_i64(arg).ok_or_else(|| Reply::Error(format!("ERR {msg}")))
}

/// Reads the stream at `key`: Ok(None) when missing, WRONGTYPE for other types. Counts a
/// keyspace hit/miss like `lookupKeyRead`.
fn read_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Stream>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(err::wrongtype()),
    }
}

/// Type check without touching statistics: Ok(true) if a stream is there.
fn check_stream(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    match ctx.peek(key) {
        None => Ok(false),
        Some(e) => match &e.value {
            Value::Stream(_) => Ok(true),
            _ => Err(err::wrongtype()),
        },
    }
}

/// The stream at `key` for modification (copy-on-write if a snapshot shares it).
fn stream_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut Stream> {
    match ctx.lookup_write(key)?.value_mut() {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

/// Wakes clients blocked on `key` without invalidating WATCH (`signalKeyAsReady`).
fn signal_ready(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.client.db;
    let slot = (db, crate::db::Sds::from(key));
    if ctx.srv.blocked_on.contains_key(&slot) {
        ctx.srv.ready_keys.push_back(slot);
    }
}

fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Simple(format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))];
    for l in lines {
        out.push(Reply::Simple((*l).into()));
    }
    out.push(Reply::Simple("HELP".into()));
    out.push(Reply::Simple("    Print this help.".into()));
    Reply::Array(out)
}

fn subcommand_syntax_error(argv: &[Bytes]) -> Reply {
    let sub: String = lossy(&argv[1]).chars().take(128).collect();
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        lossy(&argv[0]).to_ascii_uppercase()
    ))
}

/// `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last`.
fn xclaim_prop(key: &Bytes, group: &[u8], consumer: &[u8], id: StreamId, time: i64, count: u64, last: StreamId) -> Vec<Bytes> {
    vec![
        b("XCLAIM"),
        key.clone(),
        Bytes::copy_from_slice(group),
        Bytes::copy_from_slice(consumer),
        b("0"),
        id_arg(id),
        b("TIME"),
        Bytes::from(time.to_string()),
        b("RETRYCOUNT"),
        Bytes::from(count.to_string()),
        b("FORCE"),
        b("JUSTID"),
        b("LASTID"),
        id_arg(last),
    ]
}

/// `XGROUP SETID key group last ENTRIESREAD n`.
fn setid_prop(key: &Bytes, group: &[u8], g: &Group) -> Vec<Bytes> {
    vec![b("XGROUP"), b("SETID"), key.clone(), Bytes::copy_from_slice(group), id_arg(g.last_id), b("ENTRIESREAD"), Bytes::from(g.entries_read.to_string())]
}

fn createconsumer_prop(key: &Bytes, group: &[u8], consumer: &[u8]) -> Vec<Bytes> {
    vec![b("XGROUP"), b("CREATECONSUMER"), key.clone(), Bytes::copy_from_slice(group), Bytes::copy_from_slice(consumer)]
}

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM.

#[derive(Default)]
struct AddTrim {
    id: StreamId,
    id_given: bool,
    seq_given: bool,
    nomkstream: bool,
    trim: Option<Trim>,
    trim_idx: usize,
    approx: bool,
    limit: u64,
    limit_idx: Option<usize>,
    /// Index of the ID argument (XADD).
    idpos: usize,
}

fn parse_add_trim(ctx: &Ctx, argv: &[Bytes], xadd: bool) -> Result<AddTrim, Reply> {
    let mut a = AddTrim::default();
    let argc = argv.len();
    let mut limit_given = false;
    let mut limit: i64 = 0;
    let mut i = 2;
    let incompatible = || Reply::Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible".into());
    while i < argc {
        let more = argc - 1 - i;
        let opt = &argv[i][..];
        if xadd && opt == b"*" {
            break;
        } else if is(opt, "maxlen") && more > 0 {
            if a.trim.is_some() {
                return Err(incompatible());
            }
            a.approx = take_trim_operator(argv, &mut i, more);
            let n = arg_i64(&argv[i + 1])?;
            if n < 0 {
                return Err(Reply::Error("ERR The MAXLEN argument must be >= 0.".into()));
            }
            i += 1;
            a.trim = Some(Trim::MaxLen(n as u64));
            a.trim_idx = i;
        } else if is(opt, "minid") && more > 0 {
            if a.trim.is_some() {
                return Err(incompatible());
            }
            a.approx = take_trim_operator(argv, &mut i, more);
            let id = parse_strict_id(&argv[i + 1], 0)?;
            i += 1;
            a.trim = Some(Trim::MinId(id));
            a.trim_idx = i;
        } else if is(opt, "limit") && more > 0 {
            limit = arg_i64(&argv[i + 1])?;
            if limit < 0 {
                return Err(Reply::Error("ERR The LIMIT argument must be >= 0.".into()));
            }
            limit_given = true;
            a.limit_idx = Some(i);
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let (id, seq_given) = parse_id_full(opt, 0, true, true)?;
            a.id = id;
            a.seq_given = seq_given;
            a.id_given = true;
            break;
        } else {
            return Err(err::syntax());
        }
        i += 1;
    }
    a.idpos = i;
    if limit != 0 && a.trim.is_none() {
        return Err(Reply::Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy".into()));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::Error("ERR syntax error, XTRIM must be called with a trimming strategy".into()));
    }
    if ctx.client.is_loader {
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(Reply::Error("ERR syntax error, LIMIT cannot be used without the special ~ option".into()));
        }
        a.limit = limit as u64;
    } else if a.approx {
        // 100 nodes' worth, bounded on both sides as Redis does.
        let n = ctx.srv.config.stream_node_max_entries.max(0) as u64;
        a.limit = match n.saturating_mul(100) {
            0 => 10_000,
            l => l.min(1_000_000),
        };
    }
    Ok(a)
}

/// The argv to log after `~` trimming: `= <effective threshold>`, without LIMIT.
fn rewrite_trim(argv: &[Bytes], a: &AddTrim, s: &Stream, id_arg_new: Option<Bytes>) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(argv.len());
    for (i, arg) in argv.iter().enumerate() {
        if a.approx && a.trim.is_some() {
            if let Some(li) = a.limit_idx {
                if i == li || i == li + 1 {
                    continue;
                }
            }
            if i == a.trim_idx - 1 {
                out.push(b("="));
                continue;
            }
            if i == a.trim_idx {
                out.push(match a.trim {
                    Some(Trim::MaxLen(_)) => Bytes::from(s.length.to_string()),
                    _ => id_arg(s.first_id_with_tombstones()),
                });
                continue;
            }
        }
        if i == a.idpos {
            if let Some(n) = &id_arg_new {
                out.push(n.clone());
                continue;
            }
        }
        out.push(arg.clone());
    }
    out
}

/// XADD key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value
/// [field value ...]
fn xadd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let a = match parse_add_trim(ctx, argv, true) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let field_pos = a.idpos + 1;
    let nfields = argv.len() as isize - field_pos as isize;
    if nfields < 2 || nfields % 2 == 1 {
        return err::wrong_args("xadd");
    }
    if a.id_given && a.seq_given && a.id == ID_MIN {
        return Reply::Error("ERR The ID specified in XADD must be greater than 0-0".into());
    }
    let key = &argv[1];
    match check_stream(ctx, key) {
        Err(e) => return e,
        Ok(true) => {}
        Ok(false) => {
            if a.nomkstream {
                return Reply::Nil;
            }
            ctx.add_key(key, Value::Stream(crate::types::Shared::default()));
        }
    }
    let now = ctx.now;
    let node_max_bytes = ctx.srv.config.stream_node_max_bytes.min(usize::MAX as u64) as usize;
    let node_max_entries = ctx.srv.config.stream_node_max_entries.clamp(0, i64::MAX) as usize;
    let Some(s) = stream_mut(ctx, key) else { return err::wrongtype() };
    if s.last_id == ID_MAX {
        return Reply::Error("ERR The stream has exhausted the last possible ID, unable to add more items".into());
    }
    let edom = || Reply::Error("ERR The ID specified in XADD is equal or smaller than the target stream top item".into());
    let id = if a.id_given {
        if a.seq_given {
            a.id
        } else if s.last_id.ms == a.id.ms {
            if s.last_id.seq == u64::MAX {
                return edom();
            }
            StreamId { ms: a.id.ms, seq: s.last_id.seq + 1 }
        } else {
            a.id
        }
    } else if now as u64 > s.last_id.ms {
        StreamId { ms: now as u64, seq: 0 }
    } else {
        match id_incr(s.last_id) {
            Some(i) => i,
            None => return edom(),
        }
    };
    if id <= s.last_id {
        return edom();
    }
    let fields: Vec<(&[u8], &[u8])> = argv[field_pos..].chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
    s.append_limited(id, &fields, node_max_bytes, node_max_entries);
    let mut trimmed = 0;
    if let Some(t) = a.trim {
        trimmed = s.trim(t, a.approx, a.limit);
    }
    let new_id_arg = if !a.id_given || !a.seq_given { Some(id_arg(id)) } else { None };
    let prop = if a.approx || new_id_arg.is_some() { Some(rewrite_trim(argv, &a, s, new_id_arg)) } else { None };
    ctx.notify(notify::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    ctx.modified(key);
    if let Some(p) = prop {
        ctx.propagate_as(vec![p]);
    }
    id_reply(id)
}

/// XTRIM key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let a = match parse_add_trim(ctx, argv, false) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let key = &argv[1];
    match check_stream(ctx, key) {
        Err(e) => return e,
        Ok(false) => return Reply::Int(0),
        Ok(true) => {}
    }
    let Some(s) = stream_mut(ctx, key) else { return Reply::Int(0) };
    let deleted = s.trim(a.trim.expect("trim strategy"), a.approx, a.limit);
    if deleted > 0 {
        let prop = if a.approx { Some(rewrite_trim(argv, &a, s, None)) } else { None };
        ctx.notify(notify::STREAM, "xtrim", key);
        ctx.modified(key);
        ctx.fx.dirty += deleted - 1;
        if let Some(p) = prop {
            ctx.propagate_as(vec![p]);
        }
    }
    Reply::Int(deleted as i64)
}

// ---------------------------------------------------------------------------------------------
// XRANGE / XREVRANGE / XLEN / XDEL / XSETID.

fn xrange_generic(ctx: &mut Ctx, argv: &[Bytes], rev: bool) -> Reply {
    let (sa, ea) = if rev { (&argv[3], &argv[2]) } else { (&argv[2], &argv[3]) };
    let start = match parse_range_start(sa) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let end = match parse_range_end(ea) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if is(&argv[j], "count") && j + 1 < argv.len() {
            count = match arg_i64(&argv[j + 1]) {
                Ok(v) => v.max(0),
                Err(e) => return e,
            };
            j += 2;
        } else {
            return err::syntax();
        }
    }
    let s = match read_stream(ctx, &argv[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    };
    if count == 0 {
        return Reply::NilArray;
    }
    let limit = if count < 0 { usize::MAX } else { count as usize };
    let out: Vec<Reply> = if rev {
        s.iter_rev(start, end).take(limit).map(|(n, e)| entry_reply(e.id, &n.fields(e))).collect()
    } else {
        s.iter_fwd(start, end).take(limit).map(|(n, e)| entry_reply(e.id, &n.fields(e))).collect()
    };
    Reply::Array(out)
}

/// XRANGE key start end [COUNT count]
fn xrange(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    xrange_generic(ctx, argv, false)
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    xrange_generic(ctx, argv, true)
}

/// XLEN key
fn xlen(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match read_stream(ctx, &argv[1]) {
        Ok(Some(s)) => Reply::Int(s.length as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

/// XDEL key id [id ...]
fn xdel(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    match check_stream(ctx, key) {
        Err(e) => return e,
        Ok(false) => return Reply::Int(0),
        Ok(true) => {}
    }
    let mut ids = Vec::with_capacity(argv.len() - 2);
    for a in &argv[2..] {
        match parse_strict_id(a, 0) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Some(s) = stream_mut(ctx, key) else { return Reply::Int(0) };
    let mut deleted = 0i64;
    let mut first_entry = false;
    for id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_entry = true;
            }
            if id > s.max_deleted_id {
                s.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.length == 0 {
            s.first_id = ID_MIN;
        } else if first_entry {
            s.update_first_id();
        }
        ctx.modified(key);
        ctx.notify(notify::STREAM, "xdel", key);
        ctx.fx.dirty += deleted as u64 - 1;
    }
    Reply::Int(deleted)
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
fn xsetid(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let id = match parse_strict_id(&argv[2], 0) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut entries_added: i64 = -1;
    let mut max_xdel = ID_MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if is(&argv[i], "entriesadded") && more > 0 {
            entries_added = match arg_i64(&argv[i + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if entries_added < 0 {
                return Reply::Error("ERR entries_added must be positive".into());
            }
            i += 2;
        } else if is(&argv[i], "maxdeletedid") && more > 0 {
            max_xdel = match parse_strict_id(&argv[i + 1], 0) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if id < max_xdel {
                return Reply::Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id".into());
            }
            i += 2;
        } else {
            return err::syntax();
        }
    }
    let key = &argv[1];
    match check_stream(ctx, key) {
        Err(e) => return e,
        Ok(false) => return err::no_key(),
        Ok(true) => {}
    }
    {
        let Some(Value::Stream(s)) = ctx.peek(key).map(|e| &e.value) else { return err::no_key() };
        if id < s.max_deleted_id {
            return Reply::Error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id".into());
        }
        if s.length > 0 {
            if let Some(maxid) = s.last_valid_id() {
                if id < maxid {
                    return Reply::Error("ERR The ID specified in XSETID is smaller than the target stream top item".into());
                }
            }
            if entries_added != -1 && s.length > entries_added as u64 {
                return Reply::Error("ERR The entries_added specified in XSETID is smaller than the target stream length".into());
            }
        }
    }
    let Some(s) = stream_mut(ctx, key) else { return err::no_key() };
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if max_xdel != ID_MIN {
        s.max_deleted_id = max_xdel;
    }
    ctx.fx.dirty += 1;
    ctx.notify(notify::STREAM, "xsetid", key);
    Reply::ok()
}

// ---------------------------------------------------------------------------------------------
// XREAD / XREADGROUP.

fn xread_keys(argv: &[Bytes]) -> Vec<usize> {
    let mut i = 1;
    while i < argv.len() {
        if is(&argv[i], "streams") {
            let n = (argv.len() - i - 1) / 2;
            return (i + 1..i + 1 + n).collect();
        }
        i += 1;
    }
    Vec::new()
}

/// The ID a read asks for, per stream.
#[derive(Clone, Copy)]
enum ReadFrom {
    /// Entries with IDs greater than this.
    After(StreamId),
    /// XREADGROUP `>`: new entries for the group.
    New,
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...]
/// id [id ...]
fn xread(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let xreadgroup = argv[0].len() == 10;
    let mut timeout: i64 = -1;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group_name: Option<Bytes> = None;
    let mut consumer_name: Option<Bytes> = None;
    let argc = argv.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = &argv[i][..];
        if is(o, "block") && more > 0 {
            i += 1;
            let t = match crate::util::parse_i64(&argv[i]) {
                Some(t) => t,
                None => return Reply::Error("ERR timeout is not an integer or out of range".into()),
            };
            if t < 0 {
                return Reply::Error("ERR timeout is negative".into());
            }
            timeout = t;
        } else if is(o, "count") && more > 0 {
            i += 1;
            count = match arg_i64(&argv[i]) {
                Ok(v) => v.max(0),
                Err(e) => return e,
            };
        } else if is(o, "streams") && more > 0 {
            streams_arg = i + 1;
            let n = argc - streams_arg;
            if !n.is_multiple_of(2) {
                let (name, sym) = if xreadgroup { ("xreadgroup", '>') } else { ("xread", '$') };
                return Reply::Error(format!(
                    "ERR Unbalanced '{name}' list of streams: for each stream key an ID or '{sym}' must be specified."
                ));
            }
            streams_count = n / 2;
            break;
        } else if is(o, "group") && more >= 2 {
            if !xreadgroup {
                return Reply::Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.".into());
            }
            group_name = Some(argv[i + 1].clone());
            consumer_name = Some(argv[i + 2].clone());
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                return Reply::Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.".into());
            }
            noack = true;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    if streams_arg == 0 {
        return err::syntax();
    }
    if xreadgroup && group_name.is_none() {
        return Reply::Error("ERR Missing GROUP option for XREADGROUP".into());
    }
    let deadline = if timeout > 0 {
        match ctx.now.checked_add(timeout) {
            Some(d) => d,
            None => return Reply::Error("ERR timeout is out of range".into()),
        }
    } else {
        0
    };

    // Run again for a client blocked by XREAD: Redis serves it only when a key it waits on holds
    // a stream; a key overwritten by another type (XADD + DEL + LPUSH in a transaction) leaves it
    // blocked rather than answering WRONGTYPE. (XREADGROUP is woken by any change, as Redis.)
    if !xreadgroup && timeout != -1 && ctx.can_block() && ctx.srv.waiters.contains_key(&ctx.client.id) {
        let db = ctx.client.db;
        let any_stream = (0..streams_count).any(|k| {
            matches!(ctx.srv.dbs[db].get(&argv[streams_arg + k]).map(|e| &e.value), Some(Value::Stream(_)))
        });
        if !any_stream {
            let keys = (0..streams_count).map(|k| crate::db::Sds::from(&argv[streams_arg + k][..])).collect();
            ctx.block(BlockRequest { keys, deadline_ms: deadline, argv: Some(argv.to_vec()), timeout_reply: Reply::NilArray });
            return Reply::NilArray;
        }
    }

    // Parse the IDs, check keys and groups.
    let mut from: Vec<ReadFrom> = Vec::with_capacity(streams_count);
    let mut dollar_ids: Vec<(usize, StreamId)> = Vec::new();
    for k in 0..streams_count {
        let key = &argv[streams_arg + k];
        let idarg = &argv[streams_arg + streams_count + k][..];
        let (exists, last_id, has_group) = match read_stream(ctx, key) {
            Err(e) => return e,
            Ok(None) => (false, ID_MIN, false),
            Ok(Some(s)) => (true, s.last_id, group_name.as_ref().map(|g| s.groups.contains_key(&g[..])).unwrap_or(false)),
        };
        if let Some(g) = &group_name {
            if !exists || !has_group {
                return Reply::Error(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    lossy(key),
                    lossy(g)
                ));
            }
        }
        if idarg == b"$" {
            if xreadgroup {
                return Reply::Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.".into());
            }
            dollar_ids.push((streams_arg + streams_count + k, last_id));
            from.push(ReadFrom::After(last_id));
        } else if idarg == b"+" {
            if xreadgroup {
                return Reply::Error("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.".into());
            }
            // The entries after the one before the last ID: the last entry, if it is live.
            if exists {
                from.push(ReadFrom::After(id_decr(last_id).unwrap_or(ID_MIN)));
            } else {
                from.push(ReadFrom::After(ID_MIN));
            }
        } else if idarg == b">" {
            if !xreadgroup {
                return Reply::Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.".into());
            }
            from.push(ReadFrom::New);
        } else {
            match parse_strict_id(idarg, 0) {
                Ok(id) => from.push(ReadFrom::After(id)),
                Err(e) => return e,
            }
        }
    }

    // Serve synchronously what can be served.
    let mut results: Vec<(Reply, Reply)> = Vec::new();
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    for k in 0..streams_count {
        let key = argv[streams_arg + k].clone();
        let reply = match (&group_name, &consumer_name) {
            (Some(g), Some(c)) => read_group(ctx, &key, g, c, from[k], count, noack, &mut props),
            _ => read_plain(ctx, &key, from[k], count),
        };
        if let Some(r) = reply {
            results.push((Reply::Bulk(key), r));
        }
    }
    if xreadgroup {
        ctx.propagate_as(props);
    }
    if !results.is_empty() {
        return if ctx.client.resp >= 3 {
            Reply::Map(results)
        } else {
            Reply::Array(results.into_iter().map(|(k, v)| Reply::Array(vec![k, v])).collect())
        };
    }
    if timeout != -1 {
        if !ctx.can_block() {
            return Reply::NilArray;
        }
        let keys = (0..streams_count).map(|k| crate::db::Sds::from(&argv[streams_arg + k][..])).collect();
        let mut new_argv = argv.to_vec();
        // `$` becomes the last ID at block time, `+` the same (only newer entries wake us).
        for (idx, id) in &dollar_ids {
            new_argv[*idx] = id_arg(*id);
        }
        ctx.block(BlockRequest { keys, deadline_ms: deadline, argv: Some(new_argv), timeout_reply: Reply::NilArray });
        return Reply::NilArray;
    }
    Reply::NilArray
}

/// XREAD on one stream: the entries reply, or None when nothing can be served.
fn read_plain(ctx: &mut Ctx, key: &[u8], from: ReadFrom, count: i64) -> Option<Reply> {
    let s = match read_stream(ctx, key) {
        Ok(Some(s)) => s,
        _ => return None,
    };
    if s.length == 0 {
        return None;
    }
    let limit = if count > 0 { count as usize } else { usize::MAX };
    match from {
        ReadFrom::After(gt) => {
            let maxid = s.last_valid_id()?;
            if maxid <= gt {
                return None;
            }
            let start = id_incr(gt)?;
            Some(Reply::Array(s.iter_fwd(start, ID_MAX).take(limit).map(|(n, e)| entry_reply(e.id, &n.fields(e))).collect()))
        }
        ReadFrom::New => None,
    }
}

/// XREADGROUP on one stream (key and group exist): the entries reply, or None when nothing can
/// be served. Records the propagation of PEL changes in `props`.
#[allow(clippy::too_many_arguments)]
fn read_group(
    ctx: &mut Ctx,
    key: &Bytes,
    gname: &[u8],
    cname: &[u8],
    from: ReadFrom,
    count: i64,
    noack: bool,
    props: &mut Vec<Vec<Bytes>>,
) -> Option<Reply> {
    let now = ctx.now;
    // Decide (read-only) whether there is something to serve.
    let serve_new_after = {
        let Ok(Some(s)) = read_stream(ctx, key) else { return None };
        let g = s.groups.get(gname)?;
        match from {
            ReadFrom::New => {
                if s.length > 0 && s.last_valid_id().map(|m| m > g.last_id).unwrap_or(false) {
                    Some(g.last_id)
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    let history = !matches!(from, ReadFrom::New);
    let s = stream_mut(ctx, key)?;
    let mut g = s.groups.remove(gname)?;
    let mut created = false;
    if !g.consumers.contains_key(cname) {
        g.create_consumer(cname, now);
        created = true;
    }
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    if created {
        props.push(createconsumer_prop(key, gname, cname));
    }
    let limit = if count > 0 { count as usize } else { usize::MAX };
    let mut out: Vec<Reply> = Vec::new();
    let mut served = false;
    if history {
        served = true;
        let start = match from {
            ReadFrom::After(id) => id_incr(id),
            _ => None,
        };
        if let Some(start) = start {
            let ids: Vec<StreamId> = g.consumers.get(cname).map(|c| c.pel.range(start..).take(limit).copied().collect()).unwrap_or_default();
            for id in ids {
                match s.get(id) {
                    Some(fields) => {
                        out.push(entry_reply(id, &fields));
                        if let Some(n) = g.pel.get_mut(&id) {
                            n.delivery_time = now;
                            n.delivery_count += 1;
                            props.push(xclaim_prop(key, gname, cname, id, n.delivery_time, n.delivery_count, g.last_id));
                        }
                    }
                    None => out.push(Reply::Array(vec![id_reply(id), Reply::NilArray])),
                }
            }
        }
    } else if let Some(after) = serve_new_after {
        served = true;
        let start = id_incr(after).unwrap_or(ID_MAX);
        let ids: Vec<StreamId> = s.iter_fwd(start, ID_MAX).take(limit).map(|(_, e)| e.id).collect();
        let mut moved = false;
        for id in ids {
            if s.group_deliver(&mut g, id) {
                moved = true;
            }
            let fields = s.get(id).unwrap_or_default();
            out.push(entry_reply(id, &fields));
            if !noack {
                g.assign(id, cname, now, 1);
                if let Some(c) = g.consumers.get_mut(cname) {
                    c.active_time = now;
                }
                props.push(xclaim_prop(key, gname, cname, id, now, 1, g.last_id));
            }
        }
        if moved {
            props.push(setid_prop(key, gname, &g));
        }
    }
    s.groups.insert(gname.into(), g);
    if served || created {
        ctx.fx.dirty += 1;
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    if served {
        Some(Reply::Array(out))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// XGROUP.

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...
fn xgroup(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let argc = argv.len();
    let opt = &argv[1][..];
    let mut mkstream = false;
    let mut entries_read: i64 = -1;
    let mut exists = false;
    let mut has_group = false;
    if argc >= 4 {
        let create = is(opt, "create");
        let setid = is(opt, "setid");
        let mut i = 5;
        while i < argc {
            if create && is(&argv[i], "mkstream") {
                mkstream = true;
                i += 1;
            } else if (create || setid) && is(&argv[i], "entriesread") && i + 1 < argc {
                entries_read = match arg_i64(&argv[i + 1]) {
                    Ok(v) => v,
                    Err(e) => return e,
                };
                if entries_read < 0 && entries_read != -1 {
                    return Reply::Error("ERR value for ENTRIESREAD must be positive or -1".into());
                }
                i += 2;
            } else {
                return subcommand_syntax_error(argv);
            }
        }
        match check_stream(ctx, &argv[2]) {
            Err(e) => return e,
            Ok(e) => exists = e,
        }
        if exists {
            if let Some(Value::Stream(s)) = ctx.peek(&argv[2]).map(|e| &e.value) {
                has_group = s.groups.contains_key(&argv[3][..]);
            }
        }
    }
    if argc >= 4 && !mkstream {
        if !exists {
            return Reply::Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into());
        }
        if !has_group && (is(opt, "setid") || is(opt, "createconsumer") || is(opt, "delconsumer")) {
            return Reply::Error(format!("NOGROUP No such consumer group '{}' for key name '{}'", lossy(&argv[3]), lossy(&argv[2])));
        }
    }
    let now = ctx.now;
    if argc == 2 && is(opt, "help") {
        return help_reply(
            "XGROUP",
            &[
                "CREATE <key> <groupname> <id|$> [option]",
                "    Create a new consumer group. Options are:",
                "    * MKSTREAM",
                "      Create the empty stream if it does not exist.",
                "    * ENTRIESREAD entries_read",
                "      Set the group's entries_read counter (internal use).",
                "CREATECONSUMER <key> <groupname> <consumer>",
                "    Create a new consumer in the specified group.",
                "DELCONSUMER <key> <groupname> <consumer>",
                "    Remove the specified consumer.",
                "DESTROY <key> <groupname>",
                "    Remove the specified group.",
                "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                "    Set the current group ID and entries_read counter.",
            ],
        );
    }
    let key = argv.get(2).cloned().unwrap_or_default();
    if is(opt, "create") && (5..=8).contains(&argc) {
        let id = if &argv[4][..] == b"$" {
            match ctx.peek(&key).map(|e| &e.value) {
                Some(Value::Stream(s)) => s.last_id,
                _ => ID_MIN,
            }
        } else {
            match parse_strict_id(&argv[4], 0) {
                Ok(v) => v,
                Err(e) => return e,
            }
        };
        if !exists {
            ctx.add_key(&key, Value::Stream(crate::types::Shared::default()));
        }
        let Some(s) = stream_mut(ctx, &key) else { return err::wrongtype() };
        if s.groups.contains_key(&argv[3][..]) {
            return Reply::Error("BUSYGROUP Consumer Group name already exists".into());
        }
        s.groups.insert(argv[3][..].into(), Group::new(id, entries_read));
        ctx.fx.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-create", &key);
        Reply::ok()
    } else if is(opt, "setid") && (argc == 5 || argc == 7) {
        let last = match ctx.peek(&key).map(|e| &e.value) {
            Some(Value::Stream(s)) => s.last_id,
            _ => ID_MIN,
        };
        let id = if &argv[4][..] == b"$" {
            last
        } else {
            match parse_id(&argv[4], 0) {
                Ok(v) => v,
                Err(e) => return e,
            }
        };
        let Some(s) = stream_mut(ctx, &key) else { return err::wrongtype() };
        if let Some(g) = s.groups.get_mut(&argv[3][..]) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        ctx.fx.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-setid", &key);
        Reply::ok()
    } else if is(opt, "destroy") && argc == 4 {
        if !has_group {
            return Reply::Int(0);
        }
        let Some(s) = stream_mut(ctx, &key) else { return Reply::Int(0) };
        s.groups.remove(&argv[3][..]);
        ctx.fx.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-destroy", &key);
        signal_ready(ctx, &key);
        Reply::Int(1)
    } else if is(opt, "createconsumer") && argc == 5 {
        let Some(s) = stream_mut(ctx, &key) else { return Reply::Int(0) };
        let created = s.groups.get_mut(&argv[3][..]).map(|g| g.create_consumer(&argv[4], now)).unwrap_or(false);
        if created {
            ctx.fx.dirty += 1;
            ctx.notify(notify::STREAM, "xgroup-createconsumer", &key);
        }
        Reply::Int(created as i64)
    } else if is(opt, "delconsumer") && argc == 5 {
        let exists_c = match ctx.peek(&key).map(|e| &e.value) {
            Some(Value::Stream(s)) => s.groups.get(&argv[3][..]).map(|g| g.consumers.contains_key(&argv[4][..])).unwrap_or(false),
            _ => false,
        };
        if !exists_c {
            return Reply::Int(0);
        }
        let Some(s) = stream_mut(ctx, &key) else { return Reply::Int(0) };
        let pending = s.groups.get_mut(&argv[3][..]).and_then(|g| g.delete_consumer(&argv[4])).unwrap_or(0);
        ctx.fx.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-delconsumer", &key);
        Reply::Int(pending as i64)
    } else {
        subcommand_syntax_error(argv)
    }
}

// ---------------------------------------------------------------------------------------------
// XACK / XPENDING / XCLAIM / XAUTOCLAIM.

/// XACK key group id [id ...]
fn xack(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let has_group = match read_stream(ctx, key) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(&argv[2][..]),
    };
    if !has_group {
        return Reply::Int(0);
    }
    let mut ids = Vec::with_capacity(argv.len() - 3);
    for a in &argv[3..] {
        match parse_strict_id(a, 0) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    // Only take a writable copy when something will be acknowledged.
    let any = match ctx.peek(key).map(|e| &e.value) {
        Some(Value::Stream(s)) => s.groups.get(&argv[2][..]).map(|g| ids.iter().any(|id| g.pel.contains_key(id))).unwrap_or(false),
        _ => false,
    };
    if !any {
        return Reply::Int(0);
    }
    let Some(s) = stream_mut(ctx, key) else { return Reply::Int(0) };
    let Some(g) = s.groups.get_mut(&argv[2][..]) else { return Reply::Int(0) };
    let mut acked = 0;
    for id in ids {
        if g.ack(id) {
            acked += 1;
        }
    }
    ctx.fx.dirty += acked as u64;
    Reply::Int(acked)
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
fn xpending(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let argc = argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return err::syntax();
    }
    let mut minidle: i64 = 0;
    let mut count: i64 = 0;
    let mut start = ID_MIN;
    let mut end = ID_MAX;
    let mut consumer: Option<&Bytes> = None;
    if argc >= 6 {
        let mut si = 3;
        if is(&argv[3], "idle") {
            minidle = match arg_i64(&argv[4]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if argc < 8 {
                return err::syntax();
            }
            si += 2;
        }
        count = match arg_i64(&argv[si + 2]) {
            Ok(v) => v.max(0),
            Err(e) => return e,
        };
        start = match parse_range_start(&argv[si]) {
            Ok(v) => v,
            Err(e) => return e,
        };
        end = match parse_range_end(&argv[si + 1]) {
            Ok(v) => v,
            Err(e) => return e,
        };
        if si + 3 < argc {
            consumer = Some(&argv[si + 3]);
        }
    }
    let now = ctx.now;
    let key = &argv[1];
    let s = match read_stream(ctx, key) {
        Err(e) => return e,
        Ok(s) => s,
    };
    let Some(g) = s.and_then(|s| s.groups.get(&argv[2][..])) else {
        return Reply::Error(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(&argv[2])));
    };
    if justinfo {
        if g.pel.is_empty() {
            return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
        }
        let first = *g.pel.keys().next().expect("non-empty");
        let last = *g.pel.keys().next_back().expect("non-empty");
        let consumers: Vec<Reply> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| Reply::Array(vec![Reply::bulk_slice(n), Reply::Bulk(Bytes::from(c.pel.len().to_string()))]))
            .collect();
        return Reply::Array(vec![Reply::Int(g.pel.len() as i64), id_reply(first), id_reply(last), Reply::Array(consumers)]);
    }
    let mut out = Vec::new();
    if start > end || count == 0 {
        return Reply::Array(out);
    }
    let mut emit = |id: StreamId, n: &crate::types::stream::Nack| -> bool {
        if minidle != 0 && now - n.delivery_time < minidle {
            return true;
        }
        let elapsed = (now - n.delivery_time).max(0);
        out.push(Reply::Array(vec![id_reply(id), Reply::bulk_slice(&n.consumer), Reply::Int(elapsed), Reply::Int(n.delivery_count as i64)]));
        count -= 1;
        count > 0
    };
    match consumer {
        Some(cn) => {
            let Some(c) = g.consumers.get(&cn[..]) else { return Reply::Array(vec![]) };
            for id in c.pel.range(start..=end) {
                if let Some(n) = g.pel.get(id) {
                    if !emit(*id, n) {
                        break;
                    }
                }
            }
        }
        None => {
            for (id, n) in g.pel.range(start..=end) {
                if !emit(*id, n) {
                    break;
                }
            }
        }
    }
    Reply::Array(out)
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
fn xclaim(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let gname = &argv[2][..];
    let cname = &argv[3][..];
    let has_group = match read_stream(ctx, key) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(gname),
    };
    if !has_group {
        return Reply::Error(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(gname)));
    }
    let minidle = match ll_msg(&argv[4], "Invalid min-idle-time argument for XCLAIM") {
        Ok(v) => v.max(0),
        Err(e) => return e,
    };
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_strict_id(&argv[j], 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut force = false;
    let mut justid = false;
    let mut last_id = ID_MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j][..];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            deliverytime = match ll_msg(&argv[j], "Invalid IDLE option argument for XCLAIM") {
                Ok(v) => now.wrapping_sub(v),
                Err(e) => return e,
            };
        } else if is(opt, "time") && more > 0 {
            j += 1;
            deliverytime = match ll_msg(&argv[j], "Invalid TIME option argument for XCLAIM") {
                Ok(v) => v,
                Err(e) => return e,
            };
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retrycount = match ll_msg(&argv[j], "Invalid RETRYCOUNT option argument for XCLAIM") {
                Ok(v) => v,
                Err(e) => return e,
            };
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = match parse_strict_id(&argv[j], 0) {
                Ok(v) => v,
                Err(e) => return e,
            };
        } else {
            return Reply::Error(format!("ERR Unrecognized XCLAIM option '{}'", lossy(opt)));
        }
        j += 1;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let Some(s) = stream_mut(ctx, key) else { return err::wrongtype() };
    let Some(mut g) = s.groups.remove(gname) else { return Reply::Array(vec![]) };
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    let mut dirty = 0u64;
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    let created = g.create_consumer(cname, now);
    if created {
        dirty += 1;
        props.push(createconsumer_prop(key, gname, cname));
    }
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    let mut out = Vec::new();
    for id in ids {
        let nack = g.pel.get(&id).cloned();
        if !s.exists(id) {
            if let Some(n) = nack {
                props.push(xclaim_prop(key, gname, &n.consumer, id, n.delivery_time, n.delivery_count, g.last_id));
                propagate_last_id = false;
                dirty += 1;
                g.ack(id);
            }
            continue;
        }
        let (owner, old_count) = match &nack {
            Some(n) => {
                if minidle != 0 && now - n.delivery_time < minidle {
                    continue;
                }
                (Some(n.consumer.clone()), n.delivery_count)
            }
            None if force => (None, 1),
            None => continue,
        };
        let _ = owner;
        let new_count = if retrycount >= 0 {
            retrycount as u64
        } else if !justid {
            old_count + 1
        } else {
            old_count
        };
        g.assign(id, cname, deliverytime, new_count);
        if justid {
            out.push(id_reply(id));
        } else {
            let fields = s.get(id).unwrap_or_default();
            out.push(entry_reply(id, &fields));
        }
        if let Some(c) = g.consumers.get_mut(cname) {
            c.active_time = now;
        }
        props.push(xclaim_prop(key, gname, cname, id, deliverytime, new_count, g.last_id));
        propagate_last_id = false;
        dirty += 1;
    }
    if propagate_last_id {
        props.push(setid_prop(key, gname, &g));
        dirty += 1;
    }
    s.groups.insert(gname.into(), g);
    ctx.fx.dirty += dirty;
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    ctx.propagate_as(props);
    Reply::Array(out)
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let gname = &argv[2][..];
    let cname = &argv[3][..];
    let minidle = match ll_msg(&argv[4], "Invalid min-idle-time argument for XAUTOCLAIM") {
        Ok(v) => v.max(0),
        Err(e) => return e,
    };
    let start = match parse_range_start(&argv[5]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(&argv[j], "count") && more > 0 {
            let max_count = i64::MAX / 16;
            count = match crate::util::parse_i64(&argv[j + 1]) {
                Some(v) if (1..=max_count).contains(&v) => v,
                _ => return Reply::Error("ERR COUNT must be > 0".into()),
            };
            j += 1;
        } else if is(&argv[j], "justid") {
            justid = true;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let has_group = match read_stream(ctx, key) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(gname),
    };
    if !has_group {
        return Reply::Error(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(gname)));
    }
    let now = ctx.now;
    let Some(s) = stream_mut(ctx, key) else { return err::wrongtype() };
    let Some(mut g) = s.groups.remove(gname) else { return Reply::Array(vec![]) };
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    let mut dirty = 0u64;
    let created = g.create_consumer(cname, now);
    if created {
        dirty += 1;
        props.push(createconsumer_prop(key, gname, cname));
    }
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    let mut attempts = count.saturating_mul(10);
    let mut cursor = Some(start);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some(cur) = cursor else { break };
        let Some((&id, n)) = g.pel.range(cur..).next() else {
            cursor = None;
            break;
        };
        cursor = id_incr(id);
        let n = n.clone();
        if !s.exists(id) {
            props.push(xclaim_prop(key, gname, &n.consumer, id, n.delivery_time, n.delivery_count, g.last_id));
            dirty += 1;
            g.ack(id);
            deleted.push(id_reply(id));
            count -= 1;
            continue;
        }
        if minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        let new_count = if justid { n.delivery_count } else { n.delivery_count + 1 };
        g.assign(id, cname, now, new_count);
        if justid {
            claimed.push(id_reply(id));
        } else {
            let fields = s.get(id).unwrap_or_default();
            claimed.push(entry_reply(id, &fields));
        }
        count -= 1;
        if let Some(c) = g.consumers.get_mut(cname) {
            c.active_time = now;
        }
        props.push(xclaim_prop(key, gname, cname, id, now, new_count, g.last_id));
        dirty += 1;
    }
    let next = cursor.and_then(|c| g.pel.range(c..).next().map(|(id, _)| *id)).unwrap_or(ID_MIN);
    s.groups.insert(gname.into(), g);
    ctx.fx.dirty += dirty;
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    ctx.propagate_as(props);
    Reply::Array(vec![id_reply(next), Reply::Array(claimed), Reply::Array(deleted)])
}

// ---------------------------------------------------------------------------------------------
// XINFO.

fn bs(s: &str) -> Reply {
    Reply::bulk_str(s)
}

fn lag_reply(s: &Stream, g: &Group) -> Reply {
    match s.group_lag(g) {
        Some(l) => Reply::Int(l),
        None => Reply::Nil,
    }
}

fn entries_read_reply(g: &Group) -> Reply {
    if g.entries_read != -1 {
        Reply::Int(g.entries_read)
    } else {
        Reply::Nil
    }
}

/// XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT count]] | HELP
fn xinfo(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if is(&argv[1], "help") {
        return help_reply(
            "XINFO",
            &[
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ],
        );
    }
    let opt = argv[1].clone();
    let now = ctx.now;
    let s = match read_stream(ctx, &argv[2]) {
        Err(e) => return e,
        Ok(None) => return err::no_key(),
        Ok(Some(s)) => s,
    };
    if is(&opt, "consumers") && argv.len() == 4 {
        let Some(g) = s.groups.get(&argv[3][..]) else {
            return Reply::Error(format!("NOGROUP No such consumer group '{}' for key name '{}'", lossy(&argv[3]), lossy(&argv[2])));
        };
        let out = g
            .consumers
            .iter()
            .map(|(name, c)| {
                let inactive = if c.active_time != -1 { now - c.active_time } else { -1 };
                let idle = (now - c.seen_time).max(0);
                Reply::Map(vec![
                    (bs("name"), Reply::bulk_slice(name)),
                    (bs("pending"), Reply::Int(c.pel.len() as i64)),
                    (bs("idle"), Reply::Int(idle)),
                    (bs("inactive"), Reply::Int(inactive)),
                ])
            })
            .collect();
        Reply::Array(out)
    } else if is(&opt, "groups") && argv.len() == 3 {
        let out = s
            .groups
            .iter()
            .map(|(name, g)| {
                Reply::Map(vec![
                    (bs("name"), Reply::bulk_slice(name)),
                    (bs("consumers"), Reply::Int(g.consumers.len() as i64)),
                    (bs("pending"), Reply::Int(g.pel.len() as i64)),
                    (bs("last-delivered-id"), id_reply(g.last_id)),
                    (bs("entries-read"), entries_read_reply(g)),
                    (bs("lag"), lag_reply(s, g)),
                ])
            })
            .collect();
        Reply::Array(out)
    } else if is(&opt, "stream") {
        xinfo_stream(s, argv)
    } else {
        subcommand_syntax_error(argv)
    }
}

fn xinfo_stream(s: &Stream, argv: &[Bytes]) -> Reply {
    let opts = &argv[3..];
    let mut full = true;
    let mut count: i64 = 10;
    if opts.is_empty() {
        full = false;
    } else {
        if opts.len() != 1 && opts.len() != 3 {
            return subcommand_syntax_error(argv);
        }
        if !is(&opts[0], "full") {
            return subcommand_syntax_error(argv);
        }
        if opts.len() == 3 {
            if !is(&opts[1], "count") {
                return subcommand_syntax_error(argv);
            }
            count = match arg_i64(&opts[2]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if count < 0 {
                count = 10;
            }
        }
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let mut m = vec![
        (bs("length"), Reply::Int(s.length as i64)),
        (bs("radix-tree-keys"), Reply::Int(s.rax_keys() as i64)),
        (bs("radix-tree-nodes"), Reply::Int(s.rax_nodes() as i64)),
        (bs("last-generated-id"), id_reply(s.last_id)),
        (bs("max-deleted-entry-id"), id_reply(s.max_deleted_id)),
        (bs("entries-added"), Reply::Int(s.entries_added as i64)),
        (bs("recorded-first-entry-id"), id_reply(s.first_id)),
    ];
    if !full {
        m.push((bs("groups"), Reply::Int(s.groups.len() as i64)));
        let first = s.iter_fwd(ID_MIN, ID_MAX).next().map(|(n, e)| entry_reply(e.id, &n.fields(e))).unwrap_or(Reply::Nil);
        let last = s.iter_rev(ID_MIN, ID_MAX).next().map(|(n, e)| entry_reply(e.id, &n.fields(e))).unwrap_or(Reply::Nil);
        m.push((bs("first-entry"), first));
        m.push((bs("last-entry"), last));
        return Reply::Map(m);
    }
    let entries: Vec<Reply> = s.iter_fwd(ID_MIN, ID_MAX).take(limit).map(|(n, e)| entry_reply(e.id, &n.fields(e))).collect();
    m.push((bs("entries"), Reply::Array(entries)));
    let groups: Vec<Reply> = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending: Vec<Reply> = g
                .pel
                .iter()
                .take(limit)
                .map(|(id, n)| {
                    Reply::Array(vec![id_reply(*id), Reply::bulk_slice(&n.consumer), Reply::Int(n.delivery_time), Reply::Int(n.delivery_count as i64)])
                })
                .collect();
            let consumers: Vec<Reply> = g
                .consumers
                .iter()
                .map(|(cn, c)| {
                    let cp: Vec<Reply> = c
                        .pel
                        .iter()
                        .take(limit)
                        .filter_map(|id| g.pel.get(id).map(|n| Reply::Array(vec![id_reply(*id), Reply::Int(n.delivery_time), Reply::Int(n.delivery_count as i64)])))
                        .collect();
                    Reply::Map(vec![
                        (bs("name"), Reply::bulk_slice(cn)),
                        (bs("seen-time"), Reply::Int(c.seen_time)),
                        (bs("active-time"), Reply::Int(c.active_time)),
                        (bs("pel-count"), Reply::Int(c.pel.len() as i64)),
                        (bs("pending"), Reply::Array(cp)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (bs("name"), Reply::bulk_slice(name)),
                (bs("last-delivered-id"), id_reply(g.last_id)),
                (bs("entries-read"), entries_read_reply(g)),
                (bs("lag"), lag_reply(s, g)),
                (bs("pel-count"), Reply::Int(g.pel.len() as i64)),
                (bs("pending"), Reply::Array(pending)),
                (bs("consumers"), Reply::Array(consumers)),
            ])
        })
        .collect();
    m.push((bs("groups"), Reply::Array(groups)));
    Reply::Map(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use crate::server::{execute, LogSink, Server};
    use std::sync::{Arc, Mutex};

    struct Capture(Arc<Mutex<Vec<Vec<Bytes>>>>);
    impl LogSink for Capture {
        fn append(&mut self, cmds: &[(usize, Vec<Bytes>)]) -> u64 {
            let mut v = self.0.lock().unwrap();
            for (_, c) in cmds {
                v.push(c.clone());
            }
            0
        }
    }

    fn run(srv: &mut Server, c: &mut Client, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        execute(srv, c, argv).reply.unwrap_or(Reply::Nil)
    }

    fn stream_of(srv: &Server, key: &[u8]) -> vk_storage::rdb::StreamValue {
        match srv.dbs[0].get(key).map(|e| &e.value) {
            Some(Value::Stream(s)) => s.to_rdb(),
            _ => panic!("no stream"),
        }
    }

    /// Seen/active times are not propagated (as in Redis); everything else must be.
    fn without_consumer_times(mut v: vk_storage::rdb::StreamValue) -> vk_storage::rdb::StreamValue {
        for g in &mut v.groups {
            for c in &mut g.consumers {
                c.seen_time_ms = 0;
                c.active_time_ms = None;
            }
        }
        v
    }

    /// Everything the stream commands log replays to the same stream: entries, IDs, counters,
    /// group last IDs, entries-read and every PEL entry with owner, delivery time and count.
    #[test]
    fn propagation_replays_to_identical_state() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut srv = Server::new(crate::config::Config::default());
        srv.log_sink = Some(Box::new(Capture(log.clone())));
        let mut c = Client::detached(1);
        for i in 0..350 {
            run(&mut srv, &mut c, &["XADD", "s", "MAXLEN", "~", "200", "*", "n", &i.to_string()]);
        }
        run(&mut srv, &mut c, &["XADD", "s", "MINID", "~", "0-1", "LIMIT", "50", "*", "n", "x"]);
        run(&mut srv, &mut c, &["XGROUP", "CREATE", "s", "g1", "0"]);
        run(&mut srv, &mut c, &["XGROUP", "CREATE", "s", "g2", "$"]);
        run(&mut srv, &mut c, &["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "30", "STREAMS", "s", ">"]);
        run(&mut srv, &mut c, &["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "10", "STREAMS", "s", ">"]);
        run(&mut srv, &mut c, &["XREADGROUP", "GROUP", "g1", "carol", "NOACK", "COUNT", "5", "STREAMS", "s", ">"]);
        run(&mut srv, &mut c, &["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", "0"]);
        let first = match run(&mut srv, &mut c, &["XRANGE", "s", "-", "+", "COUNT", "3"]) {
            Reply::Array(a) => a
                .iter()
                .map(|e| match e {
                    Reply::Array(p) => match &p[0] {
                        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        _ => unreachable!(),
                    },
                    _ => unreachable!(),
                })
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        run(&mut srv, &mut c, &["XDEL", "s", &first[1]]);
        run(&mut srv, &mut c, &["XACK", "s", "g1", &first[0]]);
        run(&mut srv, &mut c, &["XCLAIM", "s", "g1", "dave", "0", &first[2], "IDLE", "500"]);
        run(&mut srv, &mut c, &["XAUTOCLAIM", "s", "g1", "erin", "0", "0", "COUNT", "4"]);
        run(&mut srv, &mut c, &["XCLAIM", "s", "g1", "dave", "0", "LASTID", "99999999999999-0"]);
        run(&mut srv, &mut c, &["XGROUP", "CREATECONSUMER", "s", "g2", "lonely"]);
        run(&mut srv, &mut c, &["XREADGROUP", "GROUP", "g2", "zed", "STREAMS", "s", ">"]);
        run(&mut srv, &mut c, &["XTRIM", "s", "MAXLEN", "~", "100"]);
        run(&mut srv, &mut c, &["XGROUP", "DELCONSUMER", "s", "g1", "bob"]);
        let expected = stream_of(&srv, b"s");

        let cmds = log.lock().unwrap().clone();
        assert!(cmds.iter().all(|c| !eq_ic_bytes(&c[0], "xreadgroup") && !eq_ic_bytes(&c[0], "xautoclaim")));
        assert!(cmds.iter().any(|c| eq_ic_bytes(&c[0], "xgroup") && eq_ic_bytes(&c[1], "setid")));
        let xclaims: Vec<&Vec<Bytes>> = cmds.iter().filter(|c| eq_ic_bytes(&c[0], "xclaim")).collect();
        assert!(!xclaims.is_empty());
        for c in xclaims {
            let words: Vec<&[u8]> = c.iter().map(|a| &a[..]).collect();
            assert_eq!(words.len(), 14, "{c:?}");
            assert_eq!(
                (words[4], words[6], words[8], words[10], words[11], words[12]),
                (&b"0"[..], &b"TIME"[..], &b"RETRYCOUNT"[..], &b"FORCE"[..], &b"JUSTID"[..], &b"LASTID"[..])
            );
        }
        for c in &cmds {
            if eq_ic_bytes(&c[0], "xadd") {
                assert!(!c.iter().any(|a| &a[..] == b"*" || &a[..] == b"~"), "{c:?}");
            }
        }
        let mut replica = Server::new(crate::config::Config::default());
        let mut loader = Client::detached(2);
        loader.is_loader = true;
        for cmd in cmds {
            if eq_ic_bytes(&cmd[0], "multi") || eq_ic_bytes(&cmd[0], "exec") {
                continue;
            }
            let r = execute(&mut replica, &mut loader, cmd.clone()).reply;
            assert!(!matches!(r, Some(Reply::Error(_))), "{cmd:?} -> {r:?}");
        }
        assert_eq!(without_consumer_times(stream_of(&replica, b"s")), without_consumer_times(expected));
    }

    /// The keyspace events stream commands fire, as Redis 7.2 fires them.
    #[test]
    fn keyspace_events() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.config.notify_keyspace_events = "Et".into();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sub = Arc::new(crate::client::ClientShared::new(99, String::new(), String::new(), -1, tx));
        srv.pubsub.patterns.entry(Bytes::from_static(b"__keyevent@0__:*")).or_default().insert(99, sub);
        let mut c = Client::detached(1);
        let mut events = |srv: &mut Server, args: &[&str]| -> Vec<String> {
            run(srv, &mut c, args);
            let mut out = Vec::new();
            while let Ok(Reply::Push(m)) = rx.try_recv() {
                if let Reply::Bulk(ch) = &m[2] {
                    let ch = String::from_utf8_lossy(ch).into_owned();
                    out.push(ch.trim_start_matches("__keyevent@0__:").to_string());
                }
            }
            out
        };
        assert_eq!(events(&mut srv, &["XADD", "s", "1-0", "f", "v"]), ["xadd"]);
        assert_eq!(events(&mut srv, &["XADD", "s", "MAXLEN", "1", "2-0", "f", "v"]), ["xadd", "xtrim"]);
        assert_eq!(events(&mut srv, &["XADD", "s", "MAXLEN", "5", "3-0", "f", "v"]), ["xadd"]);
        assert_eq!(events(&mut srv, &["XDEL", "s", "9-0"]), Vec::<String>::new());
        assert_eq!(events(&mut srv, &["XDEL", "s", "2-0"]), ["xdel"]);
        assert_eq!(events(&mut srv, &["XTRIM", "s", "MAXLEN", "0"]), ["xtrim"]);
        assert_eq!(events(&mut srv, &["XTRIM", "s", "MAXLEN", "0"]), Vec::<String>::new());
        assert_eq!(events(&mut srv, &["XSETID", "s", "10-0"]), ["xsetid"]);
        assert_eq!(events(&mut srv, &["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]), ["xgroup-create"]);
        assert_eq!(events(&mut srv, &["XGROUP", "CREATECONSUMER", "t", "g", "a"]), ["xgroup-createconsumer"]);
        assert_eq!(events(&mut srv, &["XGROUP", "CREATECONSUMER", "t", "g", "a"]), Vec::<String>::new());
        events(&mut srv, &["XADD", "t", "1-0", "f", "v"]);
        assert_eq!(events(&mut srv, &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "t", ">"]), ["xgroup-createconsumer"]);
        assert_eq!(events(&mut srv, &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "t", ">"]), Vec::<String>::new());
        assert_eq!(events(&mut srv, &["XCLAIM", "t", "g", "c", "0", "1-0"]), ["xgroup-createconsumer"]);
        assert_eq!(events(&mut srv, &["XAUTOCLAIM", "t", "g", "d", "0", "0"]), ["xgroup-createconsumer"]);
        assert_eq!(events(&mut srv, &["XACK", "t", "g", "1-0"]), Vec::<String>::new());
        assert_eq!(events(&mut srv, &["XGROUP", "DELCONSUMER", "t", "g", "a"]), ["xgroup-delconsumer"]);
        assert_eq!(events(&mut srv, &["XGROUP", "DELCONSUMER", "t", "g", "zz"]), Vec::<String>::new());
        assert_eq!(events(&mut srv, &["XGROUP", "SETID", "t", "g", "0"]), ["xgroup-setid"]);
        assert_eq!(events(&mut srv, &["XGROUP", "DESTROY", "t", "g"]), ["xgroup-destroy"]);
        assert_eq!(events(&mut srv, &["XGROUP", "DESTROY", "t", "g"]), Vec::<String>::new());
    }

    fn eq_ic_bytes(a: &[u8], b: &str) -> bool {
        a.eq_ignore_ascii_case(b.as_bytes())
    }

    #[test]
    fn id_parsing() {
        assert_eq!(parse_id(b"1-2", 0).unwrap(), StreamId { ms: 1, seq: 2 });
        assert_eq!(parse_id(b"5", u64::MAX).unwrap(), StreamId { ms: 5, seq: u64::MAX });
        assert_eq!(parse_id(b"-", 0).unwrap(), ID_MIN);
        assert_eq!(parse_id(b"+", 0).unwrap(), ID_MAX);
        assert!(parse_strict_id(b"+", 0).is_err());
        assert!(parse_id(b"a-1", 0).is_err());
        assert!(parse_id(b"1-", 0).is_err());
        assert!(parse_id(b"-1", 0).is_err());
        assert_eq!(parse_id_full(b"7-*", 0, true, true).unwrap(), (StreamId { ms: 7, seq: 0 }, false));
        assert!(parse_id(b"7-*", 0).is_err());
        assert_eq!(parse_id(b"18446744073709551615-18446744073709551615", 0).unwrap(), ID_MAX);
        assert!(parse_id(b"18446744073709551616", 0).is_err());
    }
}

/// After MAXLEN/MINID at `argv[*i]`: consumes an optional `~` or `=` operator and returns
/// whether trimming is approximate (`~`).
fn take_trim_operator(argv: &[Bytes], i: &mut usize, more: usize) -> bool {
    match &argv[*i + 1][..] {
        b"~" if more >= 2 => {
            *i += 1;
            true
        }
        b"=" if more >= 2 => {
            *i += 1;
            false
        }
        _ => false,
    }
}
