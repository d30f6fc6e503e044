//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY,
//! TOUCH, OBJECT, the EXPIRE and TTL families, PERSIST.

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, parse_scan_args, CommandSpec, CommandTable, Ctx};
use crate::db::{Entry, NO_EXPIRE};
use crate::resp::Reply;
use crate::types::Value;

macro_rules! handler {
    ($name:ident, $imp:ident) => {
        fn $name(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
            match $imp(ctx, argv) {
                Ok(r) | Err(r) => r,
            }
        }
    };
}

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("generic");
    t.add(c("del", -2, WRITE, del).keys(1, -1, 1).acl("@keyspace @write @slow").doc("1.0.0", "Deletes one or more keys."));
    t.add(c("unlink", -2, WRITE | FAST, del).keys(1, -1, 1).acl("@keyspace @write @fast").doc("4.0.0", "Asynchronously deletes one or more keys."));
    t.add(c("exists", -2, READONLY | FAST, exists).keys(1, -1, 1).acl("@keyspace @read @fast").doc("1.0.0", "Determines whether one or more keys exist."));
    t.add(c("type", 2, READONLY | FAST, type_cmd).keys(1, 1, 1).acl("@keyspace @read @fast").doc("1.0.0", "Determines the type of value stored at a key."));
    t.add(c("rename", 3, WRITE, rename).keys(1, 2, 1).acl("@keyspace @write @slow").doc("1.0.0", "Renames a key and overwrites the destination."));
    t.add(c("renamenx", 3, WRITE | FAST, rename).keys(1, 2, 1).acl("@keyspace @write @fast").doc("1.0.0", "Renames a key only when the target key name doesn't exist."));
    t.add(c("copy", -3, WRITE | DENYOOM, copy).keys(1, 2, 1).acl("@keyspace @write @slow").doc("6.2.0", "Copies the value of a key to a new key."));
    t.add(c("move", 3, WRITE | FAST, move_cmd).keys(1, 1, 1).acl("@keyspace @write @fast").doc("1.0.0", "Moves a key to another database."));
    t.add(c("keys", 2, READONLY, keys_cmd).acl("@keyspace @read @slow @dangerous").doc("1.0.0", "Returns all key names that match a pattern."));
    t.add(c("scan", -2, READONLY, scan).acl("@keyspace @read @slow").doc("2.8.0", "Iterates over the key names in the database."));
    t.add(c("randomkey", 1, READONLY, randomkey).acl("@keyspace @read @slow").doc("1.0.0", "Returns a random key name from the database."));
    t.add(c("touch", -2, READONLY | FAST, touch).keys(1, -1, 1).acl("@keyspace @read @fast").doc("3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed."));
    t.add(
        c("object", -2, 0, super::server_cmds::container)
            .acl("@slow")
            .doc("2.2.3", "A container for object introspection commands.")
            .sub(vec![
                c("encoding", 3, READONLY, object_cmd).keys(2, 2, 1).acl("@keyspace @read @slow").doc("2.2.3", "Returns the internal encoding of a Redis object."),
                c("freq", 3, READONLY, object_cmd).keys(2, 2, 1).acl("@keyspace @read @slow").doc("4.0.0", "Returns the logarithmic access frequency counter of a Redis object."),
                c("idletime", 3, READONLY, object_cmd).keys(2, 2, 1).acl("@keyspace @read @slow").doc("2.2.3", "Returns the time since the last access to a Redis object."),
                c("refcount", 3, READONLY, object_cmd).keys(2, 2, 1).acl("@keyspace @read @slow").doc("2.2.3", "Returns the reference count of a value of a key."),
                c("help", 2, LOADING | STALE, object_help).acl("@keyspace @slow").doc("6.2.0", "Returns helpful text about the different subcommands."),
            ]),
    );
    t.add(c("expire", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast").doc("1.0.0", "Sets the expiration time of a key in seconds."));
    t.add(c("pexpire", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast").doc("2.6.0", "Sets the expiration time of a key in milliseconds."));
    t.add(c("expireat", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast").doc("1.2.0", "Sets the expiration time of a key to a Unix timestamp."));
    t.add(c("pexpireat", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast").doc("2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp."));
    t.add(c("ttl", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast").doc("1.0.0", "Returns the expiration time in seconds of a key."));
    t.add(c("pttl", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast").doc("2.6.0", "Returns the expiration time in milliseconds of a key."));
    t.add(c("expiretime", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast").doc("7.0.0", "Returns the expiration time of a key as a Unix timestamp."));
    t.add(c("pexpiretime", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast").doc("7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp."));
    t.add(c("persist", 2, WRITE | FAST, persist).keys(1, 1, 1).acl("@keyspace @write @fast").doc("2.2.0", "Removes the expiration time of a key."));
}

/// Runs `f` with database `db` selected (for commands that touch another database).
pub fn in_db<R>(ctx: &mut Ctx, db: usize, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let old = ctx.client.db;
    ctx.client.db = db;
    let r = f(ctx);
    ctx.client.db = old;
    r
}

/// Parses a database index as Redis's COPY/MOVE do.
fn arg_db(ctx: &Ctx, b: &[u8]) -> Result<usize, Reply> {
    let v = arg_i64(b)?;
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        return Err(Reply::Error("ERR value is out of range, value must between -2147483648 and 2147483647".into()));
    }
    if v < 0 || v as usize >= ctx.srv.dbs.len() {
        return Err(Reply::Error(err::DB_RANGE.into()));
    }
    Ok(v as usize)
}

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// DEL key [key ...] / UNLINK key [key ...]
fn del(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.delete(k) {
            ctx.notify(notify::GENERIC, "del", k);
            n += 1;
        }
    }
    Reply::Int(n)
}

/// EXISTS key [key ...]
fn exists(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.exists(k) {
            n += 1;
        }
    }
    Reply::Int(n)
}

/// TYPE key
fn type_cmd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match ctx.peek(&argv[1]) {
        Some(e) => Reply::Simple(e.value.type_name().into()),
        None => Reply::Simple("none".into()),
    }
}

/// RENAME key newkey / RENAMENX key newkey
fn rename_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let nx = is(&argv[0], "renamenx");
    let (src, dst) = (&argv[1], &argv[2]);
    if ctx.lookup_write(src).is_none() {
        return Err(err::no_key());
    }
    let done = if nx { Reply::Int(1) } else { Reply::ok() };
    if src == dst {
        return Ok(if nx { Reply::Int(0) } else { Reply::ok() });
    }
    if ctx.exists(dst) {
        if nx {
            return Ok(Reply::Int(0));
        }
        ctx.db().remove(dst);
    }
    let Some(old) = ctx.db().remove(src) else { return Err(err::no_key()) };
    let entry = Entry { key: dst[..].into(), value: old.value, expire_at: old.expire_at, lru: old.lru };
    ctx.db().insert(entry);
    ctx.modified(src);
    ctx.modified(dst);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    Ok(done)
}
handler!(rename, rename_impl);

/// COPY source destination [DB destination-db] [REPLACE]
fn copy_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let src_db = ctx.client.db;
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "db") && j + 1 < argv.len() {
            dst_db = arg_db(ctx, &argv[j + 1])?;
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    let (key, newkey) = (&argv[1], &argv[2]);
    if src_db == dst_db && key == newkey {
        return Err(Reply::Error(SAME_OBJECT.into()));
    }
    if ctx.lookup_read(key).is_none() {
        return Ok(Reply::Int(0));
    }
    let Some((value, expire_at)) = ctx.db().get(key).map(|e| (e.value.clone(), e.expire_at)) else {
        return Ok(Reply::Int(0));
    };
    // The copy is a new object: fresh LRU/LFU metadata (Redis's createObject).
    let lru = crate::db::Access::new(&ctx.srv.config, ctx.now).initial_lru();
    in_db(ctx, dst_db, |ctx| {
        if ctx.exists(newkey) {
            if !replace {
                return Ok(Reply::Int(0));
            }
            ctx.db().remove(newkey);
        }
        // Values are copy-on-write: the copy shares the value until either side changes it.
        ctx.db().insert(Entry { key: newkey[..].into(), value, expire_at, lru });
        ctx.modified(newkey);
        ctx.notify(notify::GENERIC, "copy_to", newkey);
        Ok(Reply::Int(1))
    })
}
handler!(copy, copy_impl);

/// MOVE key db
fn move_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let src_db = ctx.client.db;
    let dst_db = arg_db(ctx, &argv[2])?;
    if dst_db == src_db {
        return Err(Reply::Error(SAME_OBJECT.into()));
    }
    let key = &argv[1];
    if ctx.lookup_write(key).is_none() {
        return Ok(Reply::Int(0));
    }
    if in_db(ctx, dst_db, |ctx| ctx.exists(key)) {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.db().remove(key) else { return Ok(Reply::Int(0)) };
    ctx.srv.dbs[dst_db].insert(entry);
    ctx.modified(key);
    ctx.modified_in(dst_db, key);
    ctx.notify(notify::GENERIC, "move_from", key);
    in_db(ctx, dst_db, |ctx| ctx.notify(notify::GENERIC, "move_to", key));
    Ok(Reply::Int(1))
}
handler!(move_cmd, move_impl);

/// KEYS pattern
fn keys_cmd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let pattern = &argv[1][..];
    let all = pattern == b"*";
    let now = ctx.now;
    let loading = ctx.srv.loading;
    let mut out = Vec::new();
    for e in ctx.db().iter() {
        if !loading && e.expire_at != NO_EXPIRE && e.expire_at <= now {
            continue;
        }
        if all || crate::util::glob_match(pattern, &e.key, false) {
            out.push(Reply::bulk_slice(&e.key));
        }
    }
    Reply::Array(out)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let args = parse_scan_args(argv, 1, true)?;
    let now = ctx.now;
    let loading = ctx.srv.loading;
    let mut found: Vec<(Box<[u8]>, bool)> = Vec::new();
    let next = ctx.db().scan(args.cursor, args.count, |e| {
        if let Some(p) = &args.pattern {
            if !crate::util::glob_match(p, &e.key, false) {
                return;
            }
        }
        if let Some(t) = &args.type_name {
            if e.value.type_name() != t {
                return;
            }
        }
        let expired = !loading && e.expire_at != NO_EXPIRE && e.expire_at <= now;
        found.push((e.key.to_sds(), expired));
    });
    // Skip trailing empty segments so a finished iteration (or an empty database) answers 0.
    let mut next = next as usize;
    while next != 0 && next < crate::db::SEGMENTS && ctx.db().segment(next).is_empty() {
        next += 1;
    }
    if next >= crate::db::SEGMENTS {
        next = 0;
    }
    let mut keys = Vec::with_capacity(found.len());
    for (k, expired) in found {
        if expired {
            ctx.expired_for_read(&k);
            continue;
        }
        keys.push(Reply::bulk_slice(&k));
    }
    Ok(Reply::Array(vec![Reply::Bulk(Bytes::from(next.to_string())), Reply::Array(keys)]))
}
handler!(scan, scan_impl);

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    for _ in 0..1000 {
        let db = ctx.client.db;
        let srv = &mut *ctx.srv;
        let Some(key) = srv.dbs[db].random_entry(&mut srv.rng).map(|e| e.key.clone()) else { return Reply::Nil };
        if ctx.expired_for_read(&key) {
            continue;
        }
        return Reply::bulk_slice(&key);
    }
    // Every sampled key was expired; give one of them back as Redis eventually does.
    let db = ctx.client.db;
    let srv = &mut *ctx.srv;
    match srv.dbs[db].random_entry(&mut srv.rng) {
        Some(e) => Reply::bulk_slice(&e.key),
        None => Reply::Nil,
    }
}

/// TOUCH key [key ...]
fn touch(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.lookup_read(k).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

/// Redis's `OBJ_SHARED_REFCOUNT`: the reference count of shared integer objects.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

fn lfu_policy(ctx: &Ctx) -> bool {
    crate::db::lfu::is_lfu_policy(&ctx.srv.config.maxmemory_policy)
}

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key (a lookup that does not touch the key, as Redis's
/// `objectCommandLookup`).
fn object_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    let lfu = lfu_policy(ctx);
    let now = ctx.now;
    let decay = ctx.srv.config.lfu_decay_time;
    let shared_ints = !(ctx.srv.config.maxmemory > 0 && (lfu || ctx.srv.config.maxmemory_policy.contains("lru")));
    let Some(e) = ctx.peek(&argv[2]) else { return Ok(Reply::Nil) };
    Ok(match sub.as_str() {
        "encoding" => Reply::bulk_str(e.value.encoding_name()),
        "refcount" => {
            // Redis shares the integer objects 0..9999 (unless an LRU/LFU maxmemory policy is in
            // force), which report a fixed huge reference count.
            let shared = match &e.value {
                Value::Str(s) => crate::util::parse_i64(s).map(|v| (0..10000).contains(&v)).unwrap_or(false),
                _ => false,
            };
            Reply::Int(if shared && shared_ints { SHARED_REFCOUNT } else { 1 })
        }
        "freq" => {
            if !lfu {
                return Err(Reply::Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into()));
            }
            // The counter as decayed now; reading it does not store the decay (as Redis).
            Reply::Int(crate::db::lfu::decayed(e.lru, now, decay) as i64)
        }
        _ => {
            if lfu {
                return Err(Reply::Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into()));
            }
            Reply::Int((e.idle_ms(now) / 1000) as i64)
        }
    })
}
handler!(object_cmd, object_impl);

/// OBJECT HELP
fn object_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Print this help.",
    ];
    Reply::Array(LINES.iter().map(|l| Reply::Simple(l.to_string())).collect())
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX | XX | GT | LT]
fn expire_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let (seconds, absolute) = match name.as_str() {
        "expire" => (true, false),
        "pexpire" => (false, false),
        "expireat" => (true, true),
        _ => (false, true),
    };
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in &argv[3..] {
        if is(a, "nx") {
            nx = true
        } else if is(a, "xx") {
            xx = true
        } else if is(a, "gt") {
            gt = true
        } else if is(a, "lt") {
            lt = true
        } else {
            return Err(Reply::Error(format!("ERR Unsupported option {}", String::from_utf8_lossy(a))));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Reply::Error("ERR NX and XX, GT or LT options at the same time are not compatible".into()));
    }
    if gt && lt {
        return Err(Reply::Error("ERR GT and LT options at the same time are not compatible".into()));
    }
    let mut when = arg_i64(&argv[2])?;
    let bad = || Reply::Error(format!("ERR invalid expire time in '{name}' command"));
    if seconds {
        when = when.checked_mul(1000).ok_or_else(bad)?;
    }
    if !absolute {
        when = when.checked_add(ctx.now).ok_or_else(bad)?;
    }
    let key = &argv[1];
    let Some(cur) = ctx.lookup_write(key).map(|e| e.expire_at) else { return Ok(Reply::Int(0)) };
    let has = cur != NO_EXPIRE;
    if (nx && has) || (xx && !has) || (gt && (!has || when <= cur)) || (lt && has && when >= cur) {
        return Ok(Reply::Int(0));
    }
    if when <= ctx.now && !ctx.srv.loading {
        ctx.delete(key);
        ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        ctx.notify(notify::GENERIC, "del", key);
        return Ok(Reply::Int(1));
    }
    ctx.set_expire(key, when);
    let mut prop = vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(when.to_string())];
    prop.extend(argv[3..].iter().cloned());
    ctx.propagate_as(vec![prop]);
    ctx.modified(key);
    ctx.notify(notify::GENERIC, "expire", key);
    Ok(Reply::Int(1))
}
handler!(expire, expire_impl);

/// TTL/PTTL/EXPIRETIME/PEXPIRETIME key
fn ttl(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let now = ctx.now;
    // Like Redis (LOOKUP_NOTOUCH): does not change the key's access time.
    let Some(at) = ctx.peek(&argv[1]).map(|e| e.expire_at) else { return Reply::Int(-2) };
    if at == NO_EXPIRE {
        return Reply::Int(-1);
    }
    let (abs, ms) = match name.as_str() {
        "ttl" => (false, false),
        "pttl" => (false, true),
        "expiretime" => (true, false),
        _ => (true, true),
    };
    let t = if abs { at } else { at - now }.max(0);
    Reply::Int(if ms { t } else { (t + 500) / 1000 })
}

/// PERSIST key
fn persist(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match ctx.lookup_write(&argv[1]).map(|e| e.expire_at) {
        Some(at) if at != NO_EXPIRE => {
            ctx.set_expire(&argv[1], NO_EXPIRE);
            ctx.modified(&argv[1]);
            ctx.notify(notify::GENERIC, "persist", &argv[1]);
            Reply::Int(1)
        }
        _ => Reply::Int(0),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::strings::tests::Fx;
    use crate::resp::Reply;

    #[test]
    fn expire_propagation() {
        let mut f = Fx::new();
        f.run(&["SET", "k", "v"]);
        let (r, rep, _) = f.run(&["EXPIRE", "k", "100", "NX"]);
        assert_eq!(r, Reply::Int(1));
        let rep = rep.unwrap();
        assert_eq!(rep[0][0], "PEXPIREAT");
        assert_eq!(rep[0][3], "NX");
        let (r, rep, dirty) = f.run(&["EXPIRE", "k", "100", "NX"]);
        assert_eq!((r, rep, dirty), (Reply::Int(0), None, 0));
        let (r, rep, _) = f.run(&["PEXPIREAT", "k", "1"]);
        assert_eq!(r, Reply::Int(1));
        assert_eq!(rep.unwrap(), vec![vec!["DEL".to_string(), "k".to_string()]]);
        assert!(f.srv.dbs[0].get(b"k").is_none());
        let (r, _, dirty) = f.run(&["EXPIRE", "k", "100"]);
        assert_eq!((r, dirty), (Reply::Int(0), 0));
    }

    #[test]
    fn rename_move_copy_keep_ttl() {
        let mut f = Fx::new();
        f.run(&["SET", "k", "v", "EX", "100"]);
        f.run(&["RENAME", "k", "k2"]);
        assert!(f.srv.dbs[0].get(b"k2").unwrap().expire_at > 0);
        f.run(&["COPY", "k2", "k3", "DB", "2"]);
        assert!(f.srv.dbs[2].get(b"k3").unwrap().expire_at > 0);
        assert_eq!(f.run(&["MOVE", "k2", "3"]).0, Reply::Int(1));
        assert!(f.srv.dbs[3].get(b"k2").unwrap().expire_at > 0);
        assert_eq!(f.srv.dbs[0].expires_count(), 0);
        assert_eq!(f.srv.dbs[3].expires_count(), 1);
    }
}
