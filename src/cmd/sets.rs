//! Set commands (Redis 7.2 `t_set.c`): SADD, SREM, membership, SPOP/SRANDMEMBER, SMOVE, the
//! SINTER/SUNION/SDIFF family with their *STORE variants, SINTERCARD, SSCAN.


use bytes::Bytes;
use rand::Rng;

use super::hashes::{read_value, scan_reply, MAX_RANDOM_REPLY};
use super::{arg_i64, err, flags::*, is, notify, parse_scan_args, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::types::hash::{scan_position, scan_step};
use crate::types::{Set, Value};
use crate::util::glob_match;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("set").keys(1, 1, 1);
    t.add(c("sadd", -3, WRITE | DENYOOM | FAST, sadd).acl("@write @set @fast").doc("1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist."));
    t.add(c("srem", -3, WRITE | FAST, srem).acl("@write @set @fast").doc("1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed."));
    t.add(c("sismember", 3, READONLY | FAST, sismember).acl("@read @set @fast").doc("1.0.0", "Determines whether a member belongs to a set."));
    t.add(c("smismember", -3, READONLY | FAST, smismember).acl("@read @set @fast").doc("6.2.0", "Determines whether multiple members belong to a set."));
    t.add(c("smembers", 2, READONLY, smembers).acl("@read @set @slow").doc("1.0.0", "Returns all members of a set."));
    t.add(c("scard", 2, READONLY | FAST, scard).acl("@read @set @fast").doc("1.0.0", "Returns the number of members in a set."));
    t.add(c("spop", -2, WRITE | FAST, spop).acl("@write @set @fast").doc("1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped."));
    t.add(c("srandmember", -2, READONLY, srandmember).acl("@read @set @slow").doc("1.0.0", "Get one or multiple random members from a set"));
    t.add(c("smove", 4, WRITE | FAST, smove).keys(1, 2, 1).acl("@write @set @fast").doc("1.0.0", "Moves a member from one set to another."));
    t.add(c("sinter", -2, READONLY, sinter).keys(1, -1, 1).acl("@read @set @slow").doc("1.0.0", "Returns the intersect of multiple sets."));
    t.add(c("sinterstore", -3, WRITE | DENYOOM, sinterstore).keys(1, -1, 1).acl("@write @set @slow").doc("1.0.0", "Stores the intersect of multiple sets in a key."));
    t.add(
        CommandSpec::new("sintercard", -3, READONLY, sintercard)
            .group("set")
            .keys_fn(sintercard_keys)
            .acl("@read @set @slow")
            .doc("7.0.0", "Returns the number of members of the intersect of multiple sets."),
    );
    t.add(c("sunion", -2, READONLY, sunion).keys(1, -1, 1).acl("@read @set @slow").doc("1.0.0", "Returns the union of multiple sets."));
    t.add(c("sunionstore", -3, WRITE | DENYOOM, sunionstore).keys(1, -1, 1).acl("@write @set @slow").doc("1.0.0", "Stores the union of multiple sets in a key."));
    t.add(c("sdiff", -2, READONLY, sdiff).keys(1, -1, 1).acl("@read @set @slow").doc("1.0.0", "Returns the difference of multiple sets."));
    t.add(c("sdiffstore", -3, WRITE | DENYOOM, sdiffstore).keys(1, -1, 1).acl("@write @set @slow").doc("1.0.0", "Stores the difference of multiple sets in a key."));
    t.add(c("sscan", -3, READONLY, sscan).acl("@read @set @slow").doc("2.8.0", "Iterates over members of a set."));
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

/// Keys of SINTERCARD numkeys key [key ...] [LIMIT limit].
fn sintercard_keys(argv: &[Bytes]) -> Vec<usize> {
    let n = argv.get(1).and_then(|a| crate::util::parse_i64(a)).unwrap_or(0);
    if n <= 0 {
        return Vec::new();
    }
    (2..argv.len()).take(n as usize).collect()
}

/// Reads a set: Ok(None) when missing, Err(WRONGTYPE) for another type.
fn read_set(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Value>, Reply> {
    match read_value(ctx, key) {
        None => Ok(None),
        Some(v) if matches!(&v, Value::Set(_)) => Ok(Some(v)),
        Some(_) => Err(err::wrongtype()),
    }
}

fn as_set(v: &Value) -> &Set {
    match v {
        Value::Set(s) => s,
        _ => unreachable!("checked by read_set"),
    }
}

/// An existing set for writing: Ok(None) when missing, Err(WRONGTYPE) for another type.
fn write_set<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Set>, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(e) => {
            if !matches!(&e.value, Value::Set(_)) {
                return Err(err::wrongtype());
            }
            match e.value_mut() {
                Value::Set(s) => Ok(Some(s)),
                _ => Err(err::wrongtype()),
            }
        }
    }
}

/// Type check for writing without touching the value (SMOVE's destination).
fn check_set_type(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(false),
        Some(e) if matches!(&e.value, Value::Set(_)) => Ok(true),
        Some(_) => Err(err::wrongtype()),
    }
}

fn bulks(members: impl IntoIterator<Item = impl AsRef<[u8]>>) -> Vec<Reply> {
    members.into_iter().map(|m| Reply::bulk_slice(m.as_ref())).collect()
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let th = ctx.thresholds();
    let n = argv.len() - 2;
    let added = match tri!(write_set(ctx, key)) {
        Some(s) => {
            s.maybe_convert(n, &th);
            let added = argv[2..].iter().filter(|m| s.add(m, &th)).count();
            if added > 0 {
                ctx.modified(key);
            }
            added
        }
        None => {
            let mut s = Set::create(&argv[2], n, &th);
            let added = argv[2..].iter().filter(|m| s.add(m, &th)).count();
            ctx.add_key(key, Value::Set(crate::types::Shared::new(s)));
            added
        }
    };
    if added > 0 {
        ctx.notify(notify::SET, "sadd", key);
    }
    Reply::Int(added as i64)
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let Some(s) = tri!(write_set(ctx, key)) else { return Reply::Int(0) };
    let mut deleted = 0;
    for m in &argv[2..] {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.modified(key);
        ctx.notify(notify::SET, "srem", key);
        ctx.delete_if_empty(key);
    }
    Reply::Int(deleted)
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_set(ctx, &argv[1])) {
        None => Reply::Int(0),
        Some(v) => Reply::Int(as_set(&v).contains(&argv[2]) as i64),
    }
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let v = tri!(read_set(ctx, &argv[1]));
    let s = v.as_ref().map(as_set);
    Reply::Array(argv[2..].iter().map(|m| Reply::Int(s.map(|s| s.contains(m)).unwrap_or(false) as i64)).collect())
}

/// SCARD key
fn scard(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_set(ctx, &argv[1])) {
        None => Reply::Int(0),
        Some(v) => Reply::Int(as_set(&v).len() as i64),
    }
}

/// SMEMBERS key (SINTER of one key, as in Redis)
fn smembers(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sinter_generic(ctx, &argv[1..2], None, false, 0)
}

/// Parses a count that must be ≥ 0 (`getPositiveLongFromObjectOrReply`).
fn positive_count(b: &[u8]) -> Result<u64, Reply> {
    match crate::util::parse_i64(b) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(Reply::Error("ERR value is out of range, must be positive".into())),
    }
}

/// `count` distinct positions in 0..size, ascending (as listpack traversal picks them).
fn sorted_sample(rng: &mut rand::rngs::SmallRng, size: usize, count: usize) -> Vec<usize> {
    let mut v = rand::seq::index::sample(rng, size, count).into_vec();
    v.sort_unstable();
    v
}

/// SPOP key [count] (logged as SREM of the popped members, or DEL when all are popped)
fn spop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() == 3 {
        return spop_count(ctx, argv);
    }
    if argv.len() > 3 {
        return err::syntax();
    }
    let key = &argv[1];
    let i = {
        let Some(s) = tri!(write_set(ctx, key)) else { return Reply::Nil };
        s.len()
    };
    let pick = ctx.srv.rng.gen_range(0..i);
    let Some(s) = tri!(write_set(ctx, key)) else { return Reply::Nil };
    let Some(member) = s.nth(pick) else { return Reply::Nil };
    s.remove(&member);
    ctx.notify(notify::SET, "spop", key);
    let member = Bytes::from(member.into_vec());
    ctx.propagate_as(vec![vec![Bytes::from_static(b"SREM"), key.clone(), member.clone()]]);
    ctx.modified(key);
    ctx.delete_if_empty(key);
    Reply::Bulk(member)
}

fn srem_batches(key: &Bytes, members: &[Bytes]) -> Vec<Vec<Bytes>> {
    members
        .chunks(1024)
        .map(|chunk| {
            let mut cmd = vec![Bytes::from_static(b"SREM"), key.clone()];
            cmd.extend(chunk.iter().cloned());
            cmd
        })
        .collect()
}

fn spop_count(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let count = tri!(positive_count(&argv[2]));
    let key = &argv[1];
    let th = ctx.thresholds();
    let size = match tri!(write_set(ctx, key)) {
        None => return Reply::Set(vec![]),
        Some(s) => s.len(),
    };
    if count == 0 {
        return Reply::Set(vec![]);
    }
    ctx.notify(notify::SET, "spop", key);
    if count >= size as u64 {
        // The whole set, as SUNION of the key alone would reply it.
        let v = read_value(ctx, key).expect("exists");
        let mut all = Set::default();
        as_set(&v).for_each(|m| {
            all.add(m, &th);
        });
        drop(v);
        ctx.delete(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        return Reply::Set(bulks(all.members()));
    }
    let count = count as usize;
    let remaining = size - count;
    let mut rng = std::mem::replace(&mut ctx.srv.rng, rand::SeedableRng::seed_from_u64(0));
    let popped: Vec<Bytes>;
    {
        let s = tri!(write_set(ctx, key)).expect("exists");
        if remaining * 5 > count {
            if let Set::Listpack(v) = s {
                let pos = sorted_sample(&mut rng, size, count);
                popped = pos.iter().map(|&p| Bytes::copy_from_slice(&v[p])).collect();
                s.remove_positions(&pos);
            } else {
                let mut out = Vec::with_capacity(count);
                for _ in 0..count {
                    let i = rng.gen_range(0..s.len());
                    let m = s.nth(i).expect("in range");
                    s.remove(&m);
                    out.push(Bytes::from(m.into_vec()));
                }
                popped = out;
            }
        } else {
            // Few members stay: build the new set from them, reply with the rest.
            let newset = if let Set::Listpack(v) = s {
                let pos = sorted_sample(&mut rng, size, remaining);
                let mut newset = Set::Listpack(Vec::with_capacity(remaining));
                for &p in &pos {
                    newset.add(&v[p], &th);
                }
                s.remove_positions(&pos);
                newset
            } else {
                let mut newset = if matches!(s, Set::Table(_)) { Set::Listpack(Vec::new()) } else { Set::Intset(Vec::new()) };
                for _ in 0..remaining {
                    let i = rng.gen_range(0..s.len());
                    let m = s.nth(i).expect("in range");
                    newset.add(&m, &th);
                    s.remove(&m);
                }
                newset
            };
            popped = s.members().into_iter().map(|m| Bytes::from(m.into_vec())).collect();
            *s = newset;
        }
    }
    ctx.srv.rng = rng;
    ctx.propagate_as(srem_batches(key, &popped));
    ctx.modified(key);
    Reply::Set(popped.into_iter().map(Reply::Bulk).collect())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() == 3 {
        return srandmember_count(ctx, argv);
    }
    if argv.len() > 3 {
        return err::syntax();
    }
    let Some(v) = tri!(read_set(ctx, &argv[1])) else { return Reply::Nil };
    let s = as_set(&v);
    let i = ctx.srv.rng.gen_range(0..s.len());
    s.nth(i).map(|m| Reply::bulk_slice(&m)).unwrap_or(Reply::Nil)
}

fn srandmember_count(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let l = tri!(arg_i64(&argv[2]));
    if l == i64::MIN {
        return Reply::Error(format!("ERR value is out of range, value must between {} and {}", -i64::MAX, i64::MAX));
    }
    let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
    let Some(v) = tri!(read_set(ctx, &argv[1])) else { return Reply::Array(vec![]) };
    let s = as_set(&v);
    let size = s.len();
    if count == 0 {
        return Reply::Array(vec![]);
    }
    let rng = &mut ctx.srv.rng;
    if !uniq || count == 1 {
        if count > MAX_RANDOM_REPLY {
            return Reply::Error("ERR value is out of range".into());
        }
        let members = if matches!(s, Set::Table(_)) { Some(s.members()) } else { None };
        let mut out = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let i = rng.gen_range(0..size);
            match &members {
                Some(m) => out.push(Reply::bulk_slice(&m[i])),
                None => out.push(Reply::bulk_slice(&s.nth(i).expect("in range"))),
            }
        }
        return Reply::Array(out);
    }
    if count >= size as u64 {
        let mut out = Vec::with_capacity(size);
        s.for_each(|m| out.push(Reply::bulk_slice(m)));
        return Reply::Array(out);
    }
    let count = count as usize;
    let members = s.members();
    let idx = if matches!(s, Set::Listpack(_)) {
        sorted_sample(rng, size, count)
    } else {
        rand::seq::index::sample(rng, size, count).into_vec()
    };
    Reply::Array(idx.into_iter().map(|i| Reply::bulk_slice(&members[i])).collect())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (src, dst, member) = (&argv[1], &argv[2], &argv[3]);
    let th = ctx.thresholds();
    match ctx.lookup_write(src) {
        None => return Reply::Int(0),
        Some(e) if !matches!(&e.value, Value::Set(_)) => return err::wrongtype(),
        Some(_) => {}
    }
    let dst_exists = tri!(check_set_type(ctx, dst));
    if src == dst {
        let v = ctx.peek(src).map(|e| as_set(&e.value).contains(member)).unwrap_or(false);
        return Reply::Int(v as i64);
    }
    let removed = tri!(write_set(ctx, src)).map(|s| s.remove(member)).unwrap_or(false);
    if !removed {
        return Reply::Int(0);
    }
    ctx.notify(notify::SET, "srem", src);
    ctx.modified(src);
    ctx.delete_if_empty(src);
    let added = if dst_exists {
        let added = tri!(write_set(ctx, dst)).map(|s| s.add(member, &th)).unwrap_or(false);
        if added {
            ctx.modified(dst);
        }
        added
    } else {
        let mut s = Set::create(member, 1, &th);
        s.add(member, &th);
        ctx.add_key(dst, Value::Set(crate::types::Shared::new(s)));
        true
    };
    if added {
        ctx.notify(notify::SET, "sadd", dst);
    }
    Reply::Int(1)
}

/// Looks up every key (all are type-checked, missing keys are None).
fn lookup_sets(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<Option<Value>>, Reply> {
    let mut sets = Vec::with_capacity(keys.len());
    for k in keys {
        sets.push(read_set(ctx, k)?);
    }
    Ok(sets)
}

/// Stores `result` at `dst` (or deletes `dst` when empty) and replies with its size.
fn store_result(ctx: &mut Ctx, dst: &Bytes, result: Set, event: &str) -> Reply {
    if result.is_empty() {
        if ctx.delete(dst) {
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return Reply::Int(0);
    }
    let n = result.len();
    ctx.set_key(dst, Value::Set(crate::types::Shared::new(result)), false);
    ctx.notify(notify::SET, event, dst);
    Reply::Int(n as i64)
}

/// SINTER / SMEMBERS / SINTERSTORE / SINTERCARD.
fn sinter_generic(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&Bytes>, card_only: bool, limit: u64) -> Reply {
    let sets = tri!(lookup_sets(ctx, keys));
    if sets.iter().any(|s| s.is_none()) {
        if let Some(d) = dst {
            if ctx.delete(d) {
                ctx.notify(notify::GENERIC, "del", d);
            }
            return Reply::Int(0);
        }
        return if card_only { Reply::Int(0) } else { Reply::Set(vec![]) };
    }
    let mut sets: Vec<Value> = sets.into_iter().flatten().collect();
    sets.sort_by_key(|v| as_set(v).len());
    let th = ctx.thresholds();
    let first = &sets[0];
    let mut dstset = dst.map(|_| if matches!(as_set(first), Set::Intset(_)) { Set::Intset(Vec::new()) } else { Set::Listpack(Vec::new()) });
    let mut only_integers = true;
    let mut card: u64 = 0;
    let mut out = Vec::new();
    let mut done = false;
    as_set(first).for_each(|m| {
        if done {
            return;
        }
        for other in &sets[1..] {
            if other.same_object(first) {
                continue;
            }
            if !as_set(other).contains(m) {
                return;
            }
        }
        if card_only {
            card += 1;
            if limit > 0 && card >= limit {
                done = true;
            }
        } else if let Some(d) = dstset.as_mut() {
            if only_integers && crate::util::parse_i64(m).is_none() {
                only_integers = false;
            }
            d.add(m, &th);
        } else {
            out.push(Reply::bulk_slice(m));
        }
    });
    if card_only {
        return Reply::Int(card as i64);
    }
    match (dst, dstset) {
        (Some(d), Some(mut result)) => {
            if only_integers && !result.is_empty() {
                result.maybe_convert_to_intset(&th);
            }
            drop(sets);
            store_result(ctx, d, result, "sinterstore")
        }
        _ => Reply::Set(out),
    }
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sinter_generic(ctx, &argv[1..], None, false, 0)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sinter_generic(ctx, &argv[2..], Some(&argv[1]), false, 0)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let numkeys = match crate::util::parse_i64(&argv[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return Reply::Error("ERR numkeys should be greater than 0".into()),
    };
    if numkeys > argv.len() - 2 {
        return Reply::Error("ERR Number of keys can't be greater than number of args".into());
    }
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < argv.len() {
        if is(&argv[j], "limit") && j + 1 < argv.len() {
            j += 1;
            limit = match crate::util::parse_i64(&argv[j]) {
                Some(n) if n >= 0 => n as u64,
                _ => return Reply::Error("ERR LIMIT can't be negative".into()),
            };
        } else {
            return err::syntax();
        }
        j += 1;
    }
    sinter_generic(ctx, &argv[2..2 + numkeys], None, true, limit)
}

#[derive(PartialEq)]
enum Op {
    Union,
    Diff,
}

/// SUNION / SDIFF and their *STORE variants.
fn sunion_diff(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&Bytes>, op: Op) -> Reply {
    let mut sets = tri!(lookup_sets(ctx, keys));
    let th = ctx.thresholds();
    let same = |a: &Option<Value>, b: &Option<Value>| matches!((a, b), (Some(x), Some(y)) if x.same_object(y));
    let sameset = (1..sets.len()).any(|j| same(&sets[0], &sets[j]));
    let size = |s: &Option<Value>| s.as_ref().map(|v| as_set(v).len()).unwrap_or(0);
    let mut algo = 1;
    if op == Op::Diff && sets[0].is_some() && !sameset {
        let first = size(&sets[0]) as u64;
        let (mut one, mut two) = (0u64, 0u64);
        for s in sets.iter().filter(|s| s.is_some()) {
            one += first;
            two += size(s) as u64;
        }
        one /= 2;
        algo = if one <= two { 1 } else { 2 };
        if algo == 1 && sets.len() > 1 {
            sets[1..].sort_by_key(|s| std::cmp::Reverse(size(s)));
        }
    }
    let mut result = Set::Intset(Vec::new());
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                as_set(s).for_each(|m| {
                    result.add(m, &th);
                });
            }
        }
        Op::Diff if sameset || sets[0].is_none() => {}
        Op::Diff if algo == 1 => {
            let first = sets[0].as_ref().map(as_set).expect("checked");
            first.for_each(|m| {
                let found = sets[1..].iter().flatten().any(|o| as_set(o).contains(m));
                if !found {
                    result.add(m, &th);
                }
            });
        }
        Op::Diff => {
            for (j, s) in sets.iter().enumerate() {
                let Some(s) = s else { continue };
                if j == 0 {
                    as_set(s).for_each(|m| {
                        result.add(m, &th);
                    });
                } else {
                    as_set(s).for_each(|m| {
                        result.remove(m);
                    });
                }
                if result.is_empty() {
                    break;
                }
            }
        }
    }
    drop(sets);
    match dst {
        None => Reply::Set(bulks(result.members())),
        Some(d) => store_result(ctx, d, result, if op == Op::Union { "sunionstore" } else { "sdiffstore" }),
    }
}

fn sunion(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sunion_diff(ctx, &argv[1..], None, Op::Union)
}
fn sunionstore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sunion_diff(ctx, &argv[2..], Some(&argv[1]), Op::Union)
}
fn sdiff(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sunion_diff(ctx, &argv[1..], None, Op::Diff)
}
fn sdiffstore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    sunion_diff(ctx, &argv[2..], Some(&argv[1]), Op::Diff)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if crate::util::parse_u64(&argv[2]).is_none() {
        return Reply::Error("ERR invalid cursor".into());
    }
    let Some(v) = tri!(read_set(ctx, &argv[1])) else { return scan_reply(0, vec![]) };
    let args = tri!(parse_scan_args(argv, 2, false));
    let s = as_set(&v);
    let keep = |m: &[u8]| args.pattern.as_ref().map(|p| glob_match(p, m, false)).unwrap_or(true);
    let mut out = Vec::new();
    match s {
        Set::Table(t) => {
            let (next, got) = scan_step(t.iter().map(|m| (scan_position(m), &m[..])), args.cursor, args.count);
            out.extend(got.into_iter().filter(|m| keep(m)).map(Reply::bulk_slice));
            scan_reply(next, out)
        }
        _ => {
            s.for_each(|m| {
                if keep(m) {
                    out.push(Reply::bulk_slice(m));
                }
            });
            scan_reply(0, out)
        }
    }
}

/// In-process tests of what the wire cannot show yet: keyspace events and what is logged.
#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use crate::client::{Client, ClientShared};
    use crate::resp::Reply;
    use crate::server::Server;

    pub struct Harness {
        pub srv: Server,
        pub client: Client,
        rx: tokio::sync::mpsc::UnboundedReceiver<Reply>,
    }

    impl Harness {
        pub fn new() -> Harness {
            let config = crate::config::Config { notify_keyspace_events: "KEA".into(), ..Default::default() };
            let mut srv = Server::new(config);
            // A sink, so that commands record what they would log (`logged`).
            struct Keep;
            impl crate::server::LogSink for Keep {
                fn append(&mut self, _: &[(usize, Vec<Bytes>)]) -> u64 {
                    0
                }
            }
            srv.log_sink = Some(Box::new(Keep));
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let shared = Arc::new(ClientShared::new(7, String::new(), String::new(), -1, tx));
            let mut h = Harness { srv, client: Client::new(shared.clone(), true), rx };
            let mut subs = hashbrown::HashMap::new();
            subs.insert(7u64, shared);
            h.srv.pubsub.patterns.insert(Bytes::from_static(b"__keyevent@*"), subs);
            h
        }

        /// Runs a command; returns its reply.
        pub fn run(&mut self, args: &[&str]) -> Reply {
            let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
            let spec = crate::cmd::COMMANDS.get(&argv[0]).expect("known command").clone();
            self.srv.pending_log.clear();
            crate::server::call(&mut self.srv, &mut self.client, &spec, &argv, true).0
        }

        /// (event, key) pairs fired since the last call.
        pub fn events(&mut self) -> Vec<(String, String)> {
            let mut out = Vec::new();
            while let Ok(m) = self.rx.try_recv() {
                let items = match m {
                    Reply::Push(v) | Reply::Array(v) => v,
                    _ => continue,
                };
                let text = |r: &Reply| match r {
                    Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                };
                let ch = text(&items[2]);
                let event = ch.rsplit(':').next().unwrap_or_default().to_string();
                out.push((event, text(&items[3])));
            }
            out
        }

        /// What the last command logged, as strings.
        pub fn logged(&self) -> Vec<Vec<String>> {
            self.srv.pending_log.iter().map(|(_, c)| c.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect()).collect()
        }
    }

    fn ev(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn cmd(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn set_events_and_propagation() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SADD", "s", "a", "b"]), Reply::Int(2));
        assert_eq!(h.events(), ev(&[("sadd", "s")]));
        assert_eq!(h.logged(), vec![cmd(&["SADD", "s", "a", "b"])]);
        h.run(&["SADD", "s", "a"]);
        assert_eq!(h.events(), ev(&[]));
        assert!(h.logged().is_empty());
        h.run(&["SREM", "s", "a", "zz"]);
        assert_eq!(h.events(), ev(&[("srem", "s")]));
        h.run(&["SMOVE", "s", "t", "b"]);
        assert_eq!(h.events(), ev(&[("srem", "s"), ("del", "s"), ("sadd", "t")]));
        h.run(&["SADD", "u", "x", "y", "z"]);
        h.events();
        let r = h.run(&["SPOP", "u"]);
        let Reply::Bulk(m) = r else { panic!("{r:?}") };
        assert_eq!(h.events(), ev(&[("spop", "u")]));
        assert_eq!(h.logged(), vec![cmd(&["SREM", "u", std::str::from_utf8(&m).unwrap()])]);
        h.run(&["SPOP", "u", "1"]);
        assert_eq!(h.events(), ev(&[("spop", "u")]));
        assert_eq!(h.logged().len(), 1);
        assert_eq!(h.logged()[0][..2], cmd(&["SREM", "u"]));
        h.run(&["SPOP", "u", "5"]);
        assert_eq!(h.events(), ev(&[("spop", "u"), ("del", "u")]));
        assert_eq!(h.logged(), vec![cmd(&["DEL", "u"])]);
        h.run(&["SADD", "a", "1", "2"]);
        h.run(&["SADD", "b", "2", "3"]);
        h.events();
        h.run(&["SINTERSTORE", "d", "a", "b"]);
        assert_eq!(h.events(), ev(&[("sinterstore", "d")]));
        h.run(&["SUNIONSTORE", "d", "a", "b"]);
        assert_eq!(h.events(), ev(&[("sunionstore", "d")]));
        h.run(&["SDIFFSTORE", "d", "a", "b"]);
        assert_eq!(h.events(), ev(&[("sdiffstore", "d")]));
        h.run(&["SDIFFSTORE", "d", "a", "a"]);
        assert_eq!(h.events(), ev(&[("del", "d")]));
        h.run(&["SINTERSTORE", "d", "a", "missing"]);
        assert_eq!(h.events(), ev(&[]));
        h.run(&["SREM", "a", "1", "2"]);
        assert_eq!(h.events(), ev(&[("srem", "a"), ("del", "a")]));
    }

    #[test]
    fn spop_many_logs_srem_batches() {
        let mut h = Harness::new();
        let mut args = vec!["SADD".to_string(), "s".to_string()];
        args.extend((0..3000).map(|i| format!("m{i}")));
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        h.run(&a);
        let r = h.run(&["SPOP", "s", "2500"]);
        let Reply::Set(items) = r else { panic!() };
        assert_eq!(items.len(), 2500);
        let logged = h.logged();
        assert_eq!(logged.len(), 3);
        assert_eq!(logged.iter().map(|c| c.len() - 2).sum::<usize>(), 2500);
        assert!(logged.iter().all(|c| c[0] == "SREM" && c[1] == "s"));
        assert_eq!(h.run(&["SCARD", "s"]), Reply::Int(500));
    }
}
