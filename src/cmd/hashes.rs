//! Hash commands: HSET, HGET and friends, counters, HRANDFIELD, HSCAN (Redis 7.2 `t_hash.c`).


use bytes::Bytes;
use rand::Rng;

use super::{arg_i64, err, flags::*, is, notify, parse_scan_args, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::types::hash::{scan_position, scan_step};
use crate::types::{Hash, Thresholds, Value};
use crate::util::{glob_match, parse_i64};

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("hash").keys(1, 1, 1);
    t.add(c("hset", -4, WRITE | DENYOOM | FAST, hset).acl("@write @hash @fast").doc("2.0.0", "Creates or modifies the value of a field in a hash."));
    t.add(c("hmset", -4, WRITE | DENYOOM | FAST, hset).acl("@write @hash @fast").doc("2.0.0", "Sets the values of multiple fields."));
    t.add(c("hsetnx", 4, WRITE | DENYOOM | FAST, hsetnx).acl("@write @hash @fast").doc("2.0.0", "Sets the value of a field in a hash only when the field doesn't exist."));
    t.add(c("hget", 3, READONLY | FAST, hget).acl("@read @hash @fast").doc("2.0.0", "Returns the value of a field in a hash."));
    t.add(c("hmget", -3, READONLY | FAST, hmget).acl("@read @hash @fast").doc("2.0.0", "Returns the values of all fields in a hash."));
    t.add(c("hdel", -3, WRITE | FAST, hdel).acl("@write @hash @fast").doc("2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain."));
    t.add(c("hexists", 3, READONLY | FAST, hexists).acl("@read @hash @fast").doc("2.0.0", "Determines whether a field exists in a hash."));
    t.add(c("hlen", 2, READONLY | FAST, hlen).acl("@read @hash @fast").doc("2.0.0", "Returns the number of fields in a hash."));
    t.add(c("hstrlen", 3, READONLY | FAST, hstrlen).acl("@read @hash @fast").doc("3.2.0", "Returns the length of the value of a field."));
    t.add(c("hkeys", 2, READONLY, hkeys).acl("@read @hash @slow").doc("2.0.0", "Returns all fields in a hash."));
    t.add(c("hvals", 2, READONLY, hvals).acl("@read @hash @slow").doc("2.0.0", "Returns all values in a hash."));
    t.add(c("hgetall", 2, READONLY, hgetall).acl("@read @hash @slow").doc("2.0.0", "Returns all fields and values in a hash."));
    t.add(c("hincrby", 4, WRITE | DENYOOM | FAST, hincrby).acl("@write @hash @fast").doc("2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist."));
    t.add(c("hincrbyfloat", 4, WRITE | DENYOOM | FAST, hincrbyfloat).acl("@write @hash @fast").doc("2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist."));
    t.add(c("hrandfield", -2, READONLY, hrandfield).acl("@read @hash @slow").doc("6.2.0", "Returns one or more random fields from a hash."));
    t.add(c("hscan", -3, READONLY, hscan).acl("@read @hash @slow").doc("2.8.0", "Iterates over fields and values of a hash."));
}

/// Most random elements a single HRANDFIELD/SRANDMEMBER with a negative count returns (Redis
/// has no limit and streams them; VaultKey builds replies in memory, so it refuses more).
pub const MAX_RANDOM_REPLY: u64 = 1 << 22;

/// The value at `key` after the usual read lookup (expiry, hit/miss stats), shared with the
/// keyspace (cheap clone), so the command may use `ctx` freely while reading it.
pub fn read_value(ctx: &mut Ctx, key: &[u8]) -> Option<Value> {
    ctx.lookup_read(key)?;
    let db = ctx.db_index();
    ctx.srv.dbs[db].get(key).map(|e| e.value.clone())
}

/// Reads a hash: Ok(None) when missing, Err(WRONGTYPE) for another type.
fn read_hash(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Value>, Reply> {
    match read_value(ctx, key) {
        None => Ok(None),
        Some(v) if matches!(&v, Value::Hash(_)) => Ok(Some(v)),
        Some(_) => Err(err::wrongtype()),
    }
}

fn as_hash(v: &Value) -> &Hash {
    match v {
        Value::Hash(h) => h,
        _ => unreachable!("checked by read_hash"),
    }
}

/// An existing hash for writing: Ok(None) when missing, Err(WRONGTYPE) for another type.
fn write_hash<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Hash>, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(e) => {
            if !matches!(&e.value, Value::Hash(_)) {
                return Err(err::wrongtype());
            }
            match e.value_mut() {
                Value::Hash(h) => Ok(Some(h)),
                _ => Err(err::wrongtype()),
            }
        }
    }
}

/// Runs `f` on the hash at `key`, creating it when missing (it is stored only if `f` leaves it
/// non-empty). Signals the modification when `f` returns `Ok((true, _))`.
fn with_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut Hash, &Thresholds) -> Result<(bool, R), Reply>,
) -> Result<R, Reply> {
    let th = ctx.thresholds();
    match write_hash(ctx, key)? {
        Some(h) => {
            let (changed, r) = f(h, &th)?;
            if changed {
                ctx.modified(key);
            }
            Ok(r)
        }
        None => {
            let mut h = Hash::default();
            let (_, r) = f(&mut h, &th)?;
            if !h.is_empty() {
                ctx.add_key(key, Value::Hash(crate::types::Shared::new(h)));
            }
            Ok(r)
        }
    }
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

/// HSET key field value [field value ...] / HMSET (same, replies OK)
fn hset(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let hmset = is(&argv[0], "hmset");
    if argv.len() % 2 == 1 {
        return err::wrong_args(if hmset { "hmset" } else { "hset" });
    }
    let key = &argv[1];
    let added = tri!(with_hash(ctx, key, |h, th| {
        h.try_conversion(&argv[2..], th);
        let mut added = 0;
        for pair in argv[2..].chunks(2) {
            if h.set(&pair[0], &pair[1], th) {
                added += 1;
            }
        }
        Ok((true, added))
    }));
    ctx.notify(notify::HASH, "hset", key);
    if hmset {
        Reply::ok()
    } else {
        Reply::Int(added)
    }
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let set = tri!(with_hash(ctx, key, |h, th| {
        if h.contains(&argv[2]) {
            return Ok((false, false));
        }
        h.try_conversion(&argv[2..4], th);
        h.set(&argv[2], &argv[3], th);
        Ok((true, true))
    }));
    if set {
        ctx.notify(notify::HASH, "hset", key);
    }
    Reply::Int(set as i64)
}

/// HGET key field
fn hget(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Nil,
        Some(v) => as_hash(&v).get(&argv[2]).map(Reply::bulk_slice).unwrap_or(Reply::Nil),
    }
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let v = tri!(read_hash(ctx, &argv[1]));
    let h = v.as_ref().map(as_hash);
    Reply::Array(argv[2..].iter().map(|f| h.and_then(|h| h.get(f)).map(Reply::bulk_slice).unwrap_or(Reply::Nil)).collect())
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let Some(h) = tri!(write_hash(ctx, key)) else { return Reply::Int(0) };
    let mut deleted = 0;
    for f in &argv[2..] {
        if h.delete(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.modified(key);
        ctx.notify(notify::HASH, "hdel", key);
        ctx.delete_if_empty(key);
    }
    Reply::Int(deleted)
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Int(0),
        Some(v) => Reply::Int(as_hash(&v).contains(&argv[2]) as i64),
    }
}

/// HLEN key
fn hlen(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Int(0),
        Some(v) => Reply::Int(as_hash(&v).len() as i64),
    }
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Int(0),
        Some(v) => Reply::Int(as_hash(&v).get(&argv[2]).map(|x| x.len() as i64).unwrap_or(0)),
    }
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Array(vec![]),
        Some(v) => Reply::Array(as_hash(&v).iter().map(|(f, _)| Reply::bulk_slice(f)).collect()),
    }
}

/// HVALS key
fn hvals(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Array(vec![]),
        Some(v) => Reply::Array(as_hash(&v).iter().map(|(_, x)| Reply::bulk_slice(x)).collect()),
    }
}

/// HGETALL key (a map in RESP3)
fn hgetall(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &argv[1])) {
        None => Reply::Map(vec![]),
        Some(v) => Reply::Map(as_hash(&v).iter().map(|(f, x)| (Reply::bulk_slice(f), Reply::bulk_slice(x))).collect()),
    }
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let incr = tri!(arg_i64(&argv[3]));
    let key = &argv[1];
    let field = &argv[2];
    let new = tri!(with_hash(ctx, key, |h, th| {
        let cur = match h.get(field) {
            Some(v) => parse_i64(v).ok_or_else(|| Reply::Error("ERR hash value is not an integer".into()))?,
            None => 0,
        };
        let new = cur.checked_add(incr).ok_or_else(|| Reply::Error(err::OVERFLOW.into()))?;
        let mut buf = itoa::Buffer::new();
        h.set(field, buf.format(new).as_bytes(), th);
        Ok((true, new))
    }));
    ctx.notify(notify::HASH, "hincrby", key);
    Reply::Int(new)
}

/// HINCRBYFLOAT key field increment (logged as HSET key field <result>). The arithmetic and
/// the output format are Redis's long-double ones (`strings::ld`, shared with INCRBYFLOAT).
fn hincrbyfloat(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    use super::strings::ld;
    let Some(incr) = ld::parse(&argv[3]) else { return err::not_float() };
    if ld::is_inf(&incr) {
        return Reply::Error("ERR value is NaN or Infinity".into());
    }
    let key = &argv[1];
    let field = &argv[2];
    let new = tri!(with_hash(ctx, key, |h, th| {
        let cur = match h.get(field) {
            Some(v) => ld::parse(v).ok_or_else(|| Reply::Error("ERR hash value is not a float".into()))?,
            None => ld::Ext::Zero(false),
        };
        let Some(sum) = ld::add(cur, incr).filter(|v| !ld::is_inf(v)) else {
            return Err(Reply::Error("ERR increment would produce NaN or Infinity".into()));
        };
        let new = ld::format(&sum);
        h.set(field, new.as_bytes(), th);
        Ok((true, new))
    }));
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    let new = Bytes::from(new);
    ctx.propagate_as(vec![vec![Bytes::from_static(b"HSET"), key.clone(), field.clone(), new.clone()]]);
    Reply::Bulk(new)
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() >= 3 {
        let l = tri!(arg_i64(&argv[2]));
        if l == i64::MIN {
            return Reply::Error(format!("ERR value is out of range, value must between {} and {}", -i64::MAX, i64::MAX));
        }
        if argv.len() > 4 || (argv.len() == 4 && !is(&argv[3], "withvalues")) {
            return err::syntax();
        }
        let withvalues = argv.len() == 4;
        if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            return Reply::Error("ERR value is out of range".into());
        }
        return hrandfield_count(ctx, &argv[1], l, withvalues);
    }
    let Some(v) = tri!(read_hash(ctx, &argv[1])) else { return Reply::Nil };
    let h = as_hash(&v);
    let i = ctx.srv.rng.gen_range(0..h.len());
    h.nth(i).map(|(f, _)| Reply::bulk_slice(f)).unwrap_or(Reply::Nil)
}

fn hrandfield_count(ctx: &mut Ctx, key: &[u8], l: i64, withvalues: bool) -> Reply {
    let Some(v) = tri!(read_hash(ctx, key)) else { return Reply::Array(vec![]) };
    let h = as_hash(&v);
    let size = h.len();
    let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    if count == 0 {
        return Reply::Array(vec![]);
    }
    let resp3 = ctx.client.resp >= 3;
    let emit = |out: &mut Vec<Reply>, f: &[u8], x: &[u8]| {
        if withvalues && resp3 {
            out.push(Reply::Array(vec![Reply::bulk_slice(f), Reply::bulk_slice(x)]));
        } else {
            out.push(Reply::bulk_slice(f));
            if withvalues {
                out.push(Reply::bulk_slice(x));
            }
        }
    };
    let mut out = Vec::new();
    // A table has no positional access: index its pairs once.
    let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    if !uniq || count == 1 {
        if count > MAX_RANDOM_REPLY {
            return Reply::Error("ERR value is out of range".into());
        }
        for _ in 0..count {
            let (f, x) = pairs[ctx.srv.rng.gen_range(0..size)];
            emit(&mut out, f, x);
        }
        return Reply::Array(out);
    }
    if count as usize >= size {
        for (f, x) in &pairs {
            emit(&mut out, f, x);
        }
        return Reply::Array(out);
    }
    // Unique sample of `count` positions; a listpack replies in its own order, a table in
    // random order (as Redis's dict-based sampling).
    let count = count as usize;
    let mut idx = rand::seq::index::sample(&mut ctx.srv.rng, size, count).into_vec();
    if matches!(h, Hash::Listpack(_)) {
        idx.sort_unstable();
    }
    for i in idx {
        let (f, x) = pairs[i];
        emit(&mut out, f, x);
    }
    Reply::Array(out)
}

/// The reply of a SCAN-family command.
pub fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(Bytes::from(cursor.to_string())), Reply::Array(items)])
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if crate::util::parse_u64(&argv[2]).is_none() {
        return Reply::Error("ERR invalid cursor".into());
    }
    let Some(v) = tri!(read_hash(ctx, &argv[1])) else { return scan_reply(0, vec![]) };
    let args = tri!(parse_scan_args(argv, 2, false));
    let h = as_hash(&v);
    let keep = |f: &[u8]| args.pattern.as_ref().map(|p| glob_match(p, f, false)).unwrap_or(true);
    let mut out = Vec::new();
    match h {
        Hash::Listpack(_) => {
            for (f, x) in h.iter() {
                if keep(f) {
                    out.push(Reply::bulk_slice(f));
                    out.push(Reply::bulk_slice(x));
                }
            }
            scan_reply(0, out)
        }
        Hash::Table(m) => {
            let (next, got) = scan_step(m.iter().map(|(f, x)| (scan_position(f), (&f[..], &x[..]))), args.cursor, args.count);
            for (f, x) in got {
                if keep(f) {
                    out.push(Reply::bulk_slice(f));
                    out.push(Reply::bulk_slice(x));
                }
            }
            scan_reply(next, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::sets::tests::Harness;
    use crate::resp::Reply;

    fn ev(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn hash_events_and_propagation() {
        let mut h = Harness::new();
        h.run(&["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(h.events(), ev(&[("hset", "h")]));
        h.run(&["HSETNX", "h", "a", "1"]);
        assert_eq!(h.events(), ev(&[]));
        assert!(h.logged().is_empty());
        h.run(&["HINCRBY", "h", "n", "2"]);
        assert_eq!(h.events(), ev(&[("hincrby", "h")]));
        assert_eq!(h.run(&["HINCRBYFLOAT", "h", "f", "0.1"]), Reply::Bulk("0.1".into()));
        assert_eq!(h.run(&["HINCRBYFLOAT", "h", "f", "0.2"]), Reply::Bulk("0.3".into()));
        assert_eq!(h.events(), ev(&[("hincrbyfloat", "h"), ("hincrbyfloat", "h")]));
        assert_eq!(h.logged(), vec![vec!["HSET".to_string(), "h".into(), "f".into(), "0.3".into()]]);
        h.run(&["HDEL", "h", "a", "zz"]);
        assert_eq!(h.events(), ev(&[("hdel", "h")]));
        h.run(&["HDEL", "h", "b", "n", "f"]);
        assert_eq!(h.events(), ev(&[("hdel", "h"), ("del", "h")]));
        assert_eq!(h.run(&["EXISTS", "h"]), Reply::Int(0));
        h.run(&["HDEL", "h", "x"]);
        assert_eq!(h.events(), ev(&[]));
    }
}
