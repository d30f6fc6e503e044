//! List commands: pushes and pops (plain, counted, multi-key, blocking), ranges, positional
//! access, LINSERT/LREM/LTRIM/LPOS, LMOVE and friends.
//!
//! Blocking variants follow Redis 7.2: when a list has data they behave like their
//! non-blocking counterpart and are logged as it (BLPOP → LPOP key, BLMPOP → LPOP key count,
//! BLMOVE → LMOVE, BRPOPLPUSH → RPOPLPUSH); when re-run for a blocked client the same handler
//! runs, so the rewrite covers both paths. Without data they block (or, inside MULTI/scripts,
//! answer the timeout reply at once).

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, BlockRequest, CommandSpec, CommandTable, Ctx};
use crate::db::Sds;
use crate::resp::Reply;
use crate::types::{List, Value};

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("list");
    t.add(c("lpush", -3, WRITE | DENYOOM | FAST, push).keys(1, 1, 1).acl("@write @list @fast").doc("1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist."));
    t.add(c("rpush", -3, WRITE | DENYOOM | FAST, push).keys(1, 1, 1).acl("@write @list @fast").doc("1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist."));
    t.add(c("lpushx", -3, WRITE | DENYOOM | FAST, push).keys(1, 1, 1).acl("@write @list @fast").doc("2.2.0", "Prepends one or more elements to a list only when the list exists."));
    t.add(c("rpushx", -3, WRITE | DENYOOM | FAST, push).keys(1, 1, 1).acl("@write @list @fast").doc("2.2.0", "Appends an element to a list only when the list exists."));
    t.add(c("lpop", -2, WRITE | FAST, pop).keys(1, 1, 1).acl("@write @list @fast").doc("1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped."));
    t.add(c("rpop", -2, WRITE | FAST, pop).keys(1, 1, 1).acl("@write @list @fast").doc("1.0.0", "Returns and removes the last elements of the list. Deletes the list if the last element was popped."));
    t.add(c("lrange", 4, READONLY, lrange).keys(1, 1, 1).acl("@read @list @slow").doc("1.0.0", "Returns a range of elements from a list."));
    t.add(c("lindex", 3, READONLY, lindex).keys(1, 1, 1).acl("@read @list @slow").doc("1.0.0", "Returns an element from a list by its index."));
    t.add(c("lset", 4, WRITE | DENYOOM, lset).keys(1, 1, 1).acl("@write @list @slow").doc("1.0.0", "Sets the value of an element in a list by its index."));
    t.add(c("linsert", 5, WRITE | DENYOOM, linsert).keys(1, 1, 1).acl("@write @list @slow").doc("2.2.0", "Inserts an element before or after another element in a list."));
    t.add(c("llen", 2, READONLY | FAST, llen).keys(1, 1, 1).acl("@read @list @fast").doc("1.0.0", "Returns the length of a list."));
    t.add(c("lrem", 4, WRITE, lrem).keys(1, 1, 1).acl("@write @list @slow").doc("1.0.0", "Removes elements from a list. Deletes the list if the last element was removed."));
    t.add(c("ltrim", 4, WRITE, ltrim).keys(1, 1, 1).acl("@write @list @slow").doc("1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed."));
    t.add(c("lpos", -3, READONLY, lpos).keys(1, 1, 1).acl("@read @list @slow").doc("6.0.6", "Returns the index of matching elements in a list."));
    t.add(c("lmove", 5, WRITE | DENYOOM, lmove).keys(1, 2, 1).acl("@write @list @slow").doc("6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved."));
    t.add(c("rpoplpush", 3, WRITE | DENYOOM, lmove).keys(1, 2, 1).acl("@write @list @slow").doc("1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped."));
    t.add(c("lmpop", -4, WRITE, lmpop).keys_fn(lmpop_keys).acl("@write @list @slow").doc("7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped."));
    t.add(c("blpop", -3, WRITE | BLOCKING, bpop).keys(1, -2, 1).acl("@write @list @slow @blocking").doc("2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."));
    t.add(c("brpop", -3, WRITE | BLOCKING, bpop).keys(1, -2, 1).acl("@write @list @slow @blocking").doc("2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."));
    t.add(c("blmove", 6, WRITE | DENYOOM | BLOCKING, blmove).keys(1, 2, 1).acl("@write @list @slow @blocking").doc("6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved."));
    t.add(c("brpoplpush", 4, WRITE | DENYOOM | BLOCKING, blmove).keys(1, 2, 1).acl("@write @list @slow @blocking").doc("2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped."));
    t.add(c("blmpop", -5, WRITE | BLOCKING, blmpop).keys_fn(blmpop_keys).acl("@write @list @slow @blocking").doc("7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped."));
}

/// Keys of `LMPOP numkeys key...` / `BLMPOP timeout numkeys key...` (numkeys at `idx`).
fn mpop_keys(argv: &[Bytes], idx: usize) -> Vec<usize> {
    let Some(n) = argv.get(idx).and_then(|a| crate::util::parse_i64(a)) else { return Vec::new() };
    if n < 1 {
        return Vec::new();
    }
    let first = idx + 1;
    let last = (first as u64).saturating_add(n as u64).min(argv.len() as u64) as usize;
    (first..last).collect()
}

fn lmpop_keys(argv: &[Bytes]) -> Vec<usize> {
    mpop_keys(argv, 1)
}

fn blmpop_keys(argv: &[Bytes]) -> Vec<usize> {
    mpop_keys(argv, 2)
}

// ----- helpers -----

fn fill(ctx: &Ctx) -> i64 {
    ctx.thresholds().list_max_listpack_size
}

/// Looks a list up for reading: Ok(None) if missing, Err(WRONGTYPE) for another type.
fn get_list<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c List>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(err::wrongtype()),
    }
}

/// Checks a key for writing: Ok(true) if it holds a list, Ok(false) if missing.
fn check_list_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(false),
        Some(e) if matches!(e.value, Value::List(_)) => Ok(true),
        Some(_) => Err(err::wrongtype()),
    }
}

/// The list at `key` for in-place mutation (the caller checked it exists and is a list).
fn list_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut List> {
    let db = ctx.client.db;
    match ctx.srv.dbs[db].get_mut(key)?.value_mut() {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// What Redis's `getPositiveLongFromObjectOrReply` replies: `msg` (or "value is out of range,
/// must be positive") for non-integers and negatives alike.
fn positive_long(b: &[u8], msg: Option<&str>) -> Result<i64, Reply> {
    let text = msg.unwrap_or("value is out of range, must be positive");
    match crate::util::parse_i64(b) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(Reply::Error(format!("ERR {text}"))),
    }
}

/// `getRangeLongFromObjectOrReply` with a custom message for both failures.
fn range_long_msg(b: &[u8], min: i64, msg: &str) -> Result<i64, Reply> {
    match crate::util::parse_i64(b) {
        Some(v) if v >= min => Ok(v),
        _ => Err(Reply::Error(format!("ERR {msg}"))),
    }
}

/// Redis's `getTimeoutFromObjectOrReply` in seconds: an absolute deadline in ms (0 = forever).
/// Like `arg_timeout`, plus Redis's "timeout is out of range" for values past `LLONG_MAX` ms
/// (including `inf` and finite values beyond a double, which Redis's long double still parses).
fn arg_timeout(b: &[u8], now: i64) -> Result<i64, Reply> {
    let out_of_range = || Reply::Error("ERR timeout is out of range".into());
    match crate::util::parse_f64(b) {
        Some(v) if v.is_infinite() && v > 0.0 => Err(out_of_range()),
        Some(v) if v.is_infinite() => Err(Reply::Error(err::TIMEOUT_NEG.into())),
        Some(v) if v * 1000.0 > i64::MAX as f64 => Err(out_of_range()),
        Some(v) => {
            let ms = (v * 1000.0).ceil() as i64;
            if ms > 0 && ms > i64::MAX - now {
                return Err(out_of_range());
            }
            super::arg_timeout(b, now)
        }
        None => super::arg_timeout(b, now),
    }
}

/// Parses LEFT/RIGHT: true for LEFT (head).
fn parse_side(b: &[u8]) -> Result<bool, Reply> {
    if is(b, "left") {
        Ok(true)
    } else if is(b, "right") {
        Ok(false)
    } else {
        Err(err::syntax())
    }
}

/// Redis's `listElementsRemoved`: pop event, deletion of an emptied list (with `del`) or the
/// shrinking conversion check, and the modification signal.
fn elements_removed(ctx: &mut Ctx, key: &[u8], head: bool) {
    ctx.notify(notify::LIST, if head { "lpop" } else { "rpop" }, key);
    if !ctx.delete_if_empty(key) {
        let f = fill(ctx);
        if let Some(l) = list_mut(ctx, key) {
            l.try_convert_shrinking(f);
        }
    }
    ctx.modified(key);
}

fn bulks(items: Vec<Sds>) -> Reply {
    Reply::Array(items.into_iter().map(|v| Reply::Bulk(Bytes::from(v.into_vec()))).collect())
}

fn bulk(v: Sds) -> Reply {
    Reply::Bulk(Bytes::from(v.into_vec()))
}

// ----- commands -----

/// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
fn push(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = &argv[0];
    let head = is(name, "lpush") || is(name, "lpushx");
    let xx = is(name, "lpushx") || is(name, "rpushx");
    let key = &argv[1];
    // The elements as slices: on the stack for the usual single one.
    let one: [&[u8]; 1];
    let many: Vec<&[u8]>;
    let values: &[&[u8]] = if argv.len() == 3 {
        one = [&argv[2][..]];
        &one
    } else {
        many = argv[2..].iter().map(|a| &a[..]).collect();
        &many
    };
    let f = fill(ctx);
    // One write lookup finds, type-checks and extends an existing list.
    let existing = match ctx.lookup_write(key).map(|e| e.value_mut()) {
        None => None,
        Some(Value::List(l)) => {
            l.push_many(f, values, head);
            Some(l.len())
        }
        Some(_) => return err::wrongtype(),
    };
    let n = match existing {
        Some(n) => {
            ctx.modified(key);
            n
        }
        None if xx => return Reply::Int(0),
        None => {
            let mut l = List::new();
            l.push_many(f, values, head);
            let n = l.len();
            ctx.add_key(key, Value::List(crate::types::Shared::new(l)));
            n
        }
    };
    ctx.notify(notify::LIST, if head { "lpush" } else { "rpush" }, key);
    Reply::Int(n as i64)
}

/// LPOP/RPOP key [count]
fn pop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let head = is(&argv[0], "lpop");
    if argv.len() > 3 {
        return err::wrong_args(if head { "lpop" } else { "rpop" });
    }
    let count = if argv.len() == 3 {
        match positive_long(&argv[2], None) {
            Ok(v) => Some(v),
            Err(e) => return e,
        }
    } else {
        None
    };
    let key = &argv[1];
    match check_list_write(ctx, key) {
        Ok(true) => {}
        Ok(false) => return if count.is_some() { Reply::NilArray } else { Reply::Nil },
        Err(e) => return e,
    }
    let reply = match count {
        Some(0) => return Reply::Array(Vec::new()),
        Some(n) => {
            let l = list_mut(ctx, key).expect("checked list");
            bulks(l.pop_many(n as usize, head))
        }
        None => {
            let l = list_mut(ctx, key).expect("checked list");
            match l.pop(head) {
                Some(v) => bulk(v),
                None => return Reply::Nil,
            }
        }
    };
    elements_removed(ctx, key, head);
    reply
}

/// Converts Redis start/stop (negative from the end) into a clamped [start, end] range.
fn range_of(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen.saturating_add(start) } else { start };
    let mut end = if end < 0 { llen.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (start, end) = match (arg_i64(&argv[2]), arg_i64(&argv[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let l = match get_list(ctx, &argv[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Reply::Array(Vec::new()),
        Err(e) => return e,
    };
    match range_of(start, end, l.len()) {
        None => Reply::Array(Vec::new()),
        Some((s, e)) => Reply::Array(l.items.range(s..=e).map(|v| Reply::bulk_slice(v)).collect()),
    }
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let l = match get_list(ctx, &argv[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let idx = match crate::util::parse_i64(&argv[2]) {
        Some(i) => i,
        None => return err::not_int(),
    };
    match l.get(idx) {
        Some(v) => Reply::bulk_slice(v),
        None => Reply::Nil,
    }
}

/// LSET key index element
fn lset(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    match check_list_write(ctx, key) {
        Ok(true) => {}
        Ok(false) => return err::no_key(),
        Err(e) => return e,
    }
    let idx = match arg_i64(&argv[2]) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let f = fill(ctx);
    let l = list_mut(ctx, key).expect("checked list");
    // As Redis: the growing check runs before the index is known to be valid.
    l.try_convert_growing(f, &[&argv[3]]);
    if !l.set(idx, Sds::from(&argv[3][..])) {
        return Reply::Error("ERR index out of range".into());
    }
    l.try_convert_shrinking(f);
    ctx.modified(key);
    ctx.notify(notify::LIST, "lset", key);
    Reply::ok()
}

/// LINSERT key BEFORE|AFTER pivot element
fn linsert(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let after = if is(&argv[2], "after") {
        true
    } else if is(&argv[2], "before") {
        false
    } else {
        return err::syntax();
    };
    let key = &argv[1];
    match check_list_write(ctx, key) {
        Ok(true) => {}
        Ok(false) => return Reply::Int(0),
        Err(e) => return e,
    }
    let f = fill(ctx);
    let l = list_mut(ctx, key).expect("checked list");
    // As Redis: convert first, assuming the element will be inserted.
    l.try_convert_growing(f, &[&argv[4]]);
    if !l.insert(&argv[3], Sds::from(&argv[4][..]), after) {
        return Reply::Int(-1);
    }
    let n = l.len();
    ctx.modified(key);
    ctx.notify(notify::LIST, "linsert", key);
    Reply::Int(n as i64)
}

/// LLEN key
fn llen(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match get_list(ctx, &argv[1]) {
        Ok(Some(l)) => Reply::Int(l.len() as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

/// LREM key count element
fn lrem(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let count = match arg_i64(&argv[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let key = &argv[1];
    match check_list_write(ctx, key) {
        Ok(true) => {}
        Ok(false) => return Reply::Int(0),
        Err(e) => return e,
    }
    let l = list_mut(ctx, key).expect("checked list");
    let removed = l.remove(&argv[3], count);
    if removed > 0 {
        ctx.modified(key);
        ctx.notify(notify::LIST, "lrem", key);
        if !ctx.delete_if_empty(key) {
            let f = fill(ctx);
            if let Some(l) = list_mut(ctx, key) {
                l.try_convert_shrinking(f);
            }
        }
    }
    Reply::Int(removed as i64)
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (start, end) = match (arg_i64(&argv[2]), arg_i64(&argv[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let key = &argv[1];
    match check_list_write(ctx, key) {
        Ok(true) => {}
        Ok(false) => return Reply::ok(),
        Err(e) => return e,
    }
    let l = list_mut(ctx, key).expect("checked list");
    let len = l.len();
    let (ltrim, rtrim) = match range_of(start, end, len) {
        None => (len, 0),
        Some((s, e)) => (s, len - e - 1),
    };
    l.trim(ltrim, rtrim);
    ctx.notify(notify::LIST, "ltrim", key);
    if !ctx.delete_if_empty(key) {
        let f = fill(ctx);
        if let Some(l) = list_mut(ctx, key) {
            l.try_convert_shrinking(f);
        }
    }
    ctx.modified(key);
    Reply::ok()
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if is(&argv[j], "rank") && more {
            j += 1;
            rank = match crate::util::parse_i64(&argv[j]) {
                None => return err::not_int(),
                Some(i64::MIN) => {
                    return Reply::Error(format!(
                        "ERR value is out of range, value must between {} and {}",
                        -i64::MAX,
                        i64::MAX
                    ))
                }
                Some(r) => r,
            };
            if rank == 0 {
                return Reply::Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
            }
        } else if is(&argv[j], "count") && more {
            j += 1;
            count = match positive_long(&argv[j], Some("COUNT can't be negative")) {
                Ok(v) => v,
                Err(e) => return e,
            };
        } else if is(&argv[j], "maxlen") && more {
            j += 1;
            maxlen = match positive_long(&argv[j], Some("MAXLEN can't be negative")) {
                Ok(v) => v,
                Err(e) => return e,
            };
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let l = match get_list(ctx, &argv[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return if count != -1 { Reply::Array(Vec::new()) } else { Reply::Nil },
        Err(e) => return e,
    };
    let ele = &argv[2][..];
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let len = l.len();
    let maxlen = if maxlen == 0 { usize::MAX } else { maxlen as usize };
    let mut matches: u64 = 0;
    let mut out = Vec::new();
    let mut single = None;
    let iter: Box<dyn Iterator<Item = (usize, &Sds)>> =
        if from_tail { Box::new(l.items.iter().enumerate().rev()) } else { Box::new(l.items.iter().enumerate()) };
    for (scanned, (i, v)) in iter.enumerate() {
        if scanned >= maxlen {
            break;
        }
        if &v[..] == ele {
            matches += 1;
            if matches >= rank {
                if count != -1 {
                    out.push(Reply::Int(i as i64));
                    if count != 0 && matches - rank + 1 >= count as u64 {
                        break;
                    }
                } else {
                    single = Some(i);
                    break;
                }
            }
        }
    }
    let _ = len;
    if count != -1 {
        Reply::Array(out)
    } else {
        match single {
            Some(i) => Reply::Int(i as i64),
            None => Reply::Nil,
        }
    }
}

/// The shared part of LMOVE/RPOPLPUSH/BLMOVE/BRPOPLPUSH once the source is known to hold a
/// list: checks the destination's type, moves one element, fires the events.
fn do_move(ctx: &mut Ctx, src: &[u8], dst: &[u8], from_head: bool, to_head: bool) -> Reply {
    let dst_exists = match check_list_write(ctx, dst) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let Some(value) = list_mut(ctx, src).and_then(|l| l.pop(from_head)) else { return Reply::Nil };
    let reply = Reply::Bulk(Bytes::copy_from_slice(&value));
    // lmoveHandlePush: signal, push (with the growing check), event.
    let f = fill(ctx);
    if dst_exists {
        ctx.modified(dst);
        if let Some(l) = list_mut(ctx, dst) {
            l.push(f, value, to_head);
        }
    } else {
        let mut l = List::new();
        l.push(f, value, to_head);
        ctx.add_key(dst, Value::List(crate::types::Shared::new(l)));
    }
    ctx.notify(notify::LIST, if to_head { "lpush" } else { "rpush" }, dst);
    elements_removed(ctx, src, from_head);
    reply
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT / RPOPLPUSH source destination
fn lmove(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (from_head, to_head) = if is(&argv[0], "rpoplpush") {
        (false, true)
    } else {
        match (parse_side(&argv[3]), parse_side(&argv[4])) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        }
    };
    match check_list_write(ctx, &argv[1]) {
        Ok(true) => {}
        Ok(false) => return Reply::Nil,
        Err(e) => return e,
    }
    do_move(ctx, &argv[1], &argv[2], from_head, to_head)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout / BRPOPLPUSH source destination timeout
fn blmove(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let rpoplpush = is(&argv[0], "brpoplpush");
    let (from_head, to_head, timeout_arg) = if rpoplpush {
        (false, true, &argv[3])
    } else {
        match (parse_side(&argv[3]), parse_side(&argv[4])) {
            (Ok(a), Ok(b)) => (a, b, &argv[5]),
            (Err(e), _) | (_, Err(e)) => return e,
        }
    };
    let deadline = match arg_timeout(timeout_arg, ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let src_state = if rerun_without_list(ctx, &argv[1..2]) { Ok(false) } else { check_list_write(ctx, &argv[1]) };
    match src_state {
        Ok(true) => {}
        Ok(false) => {
            if !ctx.can_block() {
                return Reply::Nil;
            }
            ctx.block(BlockRequest { keys: vec![Sds::from(&argv[1][..])], deadline_ms: deadline, argv: None, timeout_reply: Reply::NilArray });
            return Reply::NilArray;
        }
        Err(e) => return e,
    }
    let reply = do_move(ctx, &argv[1], &argv[2], from_head, to_head);
    if matches!(reply, Reply::Bulk(_)) {
        let cmd = if rpoplpush {
            vec![Bytes::from_static(b"RPOPLPUSH"), argv[1].clone(), argv[2].clone()]
        } else {
            vec![Bytes::from_static(b"LMOVE"), argv[1].clone(), argv[2].clone(), argv[3].clone(), argv[4].clone()]
        };
        ctx.propagate_as(vec![cmd]);
    }
    reply
}

/// Pops from the first non-empty list among `keys`. `count` None = single pop (BLPOP reply
/// `[key, element]`), Some(n) = LMPOP reply `[key, [elements]]`. Returns None when every list is
/// empty or missing. Logs the effect as LPOP/RPOP key [count].
fn pop_first(ctx: &mut Ctx, keys: &[Bytes], head: bool, count: Option<i64>) -> Option<Reply> {
    for key in keys {
        match check_list_write(ctx, key) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return Some(e),
        }
        let l = list_mut(ctx, key).expect("checked list");
        let llen = l.len();
        if llen == 0 {
            continue;
        }
        let name = Bytes::from_static(if head { b"LPOP" } else { b"RPOP" });
        let reply = match count {
            Some(n) => {
                let popped = l.pop_many(n as usize, head);
                let k = popped.len();
                ctx.propagate_as(vec![vec![name, key.clone(), Bytes::from(k.to_string())]]);
                Reply::Array(vec![Reply::Bulk(key.clone()), bulks(popped)])
            }
            None => {
                let v = l.pop(head).expect("non-empty list");
                ctx.propagate_as(vec![vec![name, key.clone()]]);
                Reply::Array(vec![Reply::Bulk(key.clone()), bulk(v)])
            }
        };
        elements_removed(ctx, key, head);
        return Some(reply);
    }
    None
}

/// True when the command runs again on behalf of a client blocked on `keys` and none of them
/// holds a list yet. Redis serves a list-blocked client only when a *list* key it waits on is
/// signalled (a key overwritten by another type leaves it blocked), so the caller just blocks
/// again instead of answering WRONGTYPE.
fn rerun_without_list(ctx: &mut Ctx, keys: &[Bytes]) -> bool {
    if !ctx.srv.waiters.contains_key(&ctx.client.id) {
        return false;
    }
    let db = ctx.client.db;
    !keys.iter().any(|k| match ctx.srv.dbs[db].get(k).map(|e| &e.value) {
        Some(Value::List(l)) => !l.is_empty(),
        _ => false,
    })
}

/// BLPOP/BRPOP key [key ...] timeout
fn bpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let head = is(&argv[0], "blpop");
    let deadline = match arg_timeout(&argv[argv.len() - 1], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let keys = &argv[1..argv.len() - 1];
    if rerun_without_list(ctx, keys) {
        return block_or_nil(ctx, keys, deadline);
    }
    if let Some(r) = pop_first(ctx, keys, head, None) {
        return r;
    }
    block_or_nil(ctx, keys, deadline)
}

fn block_or_nil(ctx: &mut Ctx, keys: &[Bytes], deadline: i64) -> Reply {
    if ctx.can_block() {
        ctx.block(BlockRequest {
            keys: keys.iter().map(|k| Sds::from(&k[..])).collect(),
            deadline_ms: deadline,
            argv: None,
            timeout_reply: Reply::NilArray,
        });
    }
    Reply::NilArray
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT count]` starting at `idx`: (keys range, head, count).
fn parse_mpop(argv: &[Bytes], idx: usize) -> Result<(std::ops::Range<usize>, bool, i64), Reply> {
    let numkeys = range_long_msg(&argv[idx], 1, "numkeys should be greater than 0")?;
    let where_idx = (idx as u64).saturating_add(numkeys as u64).saturating_add(1);
    if where_idx >= argv.len() as u64 {
        return Err(err::syntax());
    }
    let where_idx = where_idx as usize;
    let head = parse_side(&argv[where_idx])?;
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count == -1 && is(&argv[j], "count") && more {
            j += 1;
            count = range_long_msg(&argv[j], 1, "count should be greater than 0")?;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Ok((idx + 1..where_idx, head, count))
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn lmpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (keys, head, count) = match parse_mpop(argv, 1) {
        Ok(x) => x,
        Err(e) => return e,
    };
    pop_first(ctx, &argv[keys], head, Some(count)).unwrap_or(Reply::NilArray)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (keys, head, count) = match parse_mpop(argv, 2) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let deadline = match arg_timeout(&argv[1], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if rerun_without_list(ctx, &argv[keys.clone()]) {
        return block_or_nil(ctx, &argv[keys], deadline);
    }
    if let Some(r) = pop_first(ctx, &argv[keys.clone()], head, Some(count)) {
        return r;
    }
    block_or_nil(ctx, &argv[keys], deadline)
}

#[cfg(test)]
mod tests {
    //! What the list commands hand to the command log (AOF/replication), including for a blocked
    //! client served later, and how they reply when they may not block.
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::client::{Client, ClientShared};
    use crate::server::{call, execute, Action, LogSink, Server};

    type Log = Arc<Mutex<Vec<Vec<String>>>>;

    struct Capture(Log);
    impl LogSink for Capture {
        fn append(&mut self, cmds: &[(usize, Vec<Bytes>)]) -> u64 {
            let mut log = self.0.lock().unwrap();
            for (_, c) in cmds {
                log.push(c.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect());
            }
            1
        }
    }

    fn server() -> (Server, Log) {
        let mut srv = Server::new(crate::config::Config::default());
        let log: Log = Arc::default();
        srv.log_sink = Some(Box::new(Capture(log.clone())));
        (srv, log)
    }

    fn client(id: u64) -> Client {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        Client::new(Arc::new(ClientShared::new(id, "127.0.0.1:1".into(), "127.0.0.1:2".into(), -1, tx)), true)
    }

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    fn run(srv: &mut Server, c: &mut Client, a: &[&str]) -> Reply {
        let out = execute(srv, c, args(a));
        assert!(matches!(out.action, Action::None), "{a:?} blocked");
        out.reply.expect("reply")
    }

    fn run_blocking(srv: &mut Server, c: &mut Client, a: &[&str]) -> tokio::sync::oneshot::Receiver<Reply> {
        match execute(srv, c, args(a)).action {
            Action::Block { rx, .. } => rx,
            _ => panic!("{a:?} did not block"),
        }
    }

    fn b(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn logged(log: &Log) -> Vec<String> {
        log.lock().unwrap().drain(..).map(|c| c.join(" ")).collect()
    }

    #[test]
    fn blocking_variants_log_what_took_effect() {
        let (mut srv, log) = server();
        let mut c = client(1);
        run(&mut srv, &mut c, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(run(&mut srv, &mut c, &["BLPOP", "nokey", "l", "0"]), Reply::Array(vec![b("l"), b("a")]));
        assert_eq!(run(&mut srv, &mut c, &["BRPOP", "l", "1.5"]), Reply::Array(vec![b("l"), b("e")]));
        assert_eq!(run(&mut srv, &mut c, &["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"]), b("b"));
        assert_eq!(run(&mut srv, &mut c, &["BRPOPLPUSH", "l", "d", "0"]), b("d"));
        assert_eq!(
            run(&mut srv, &mut c, &["BLMPOP", "0", "2", "x", "d", "RIGHT", "COUNT", "10"]),
            Reply::Array(vec![b("d"), Reply::Array(vec![b("b"), b("d")])])
        );
        assert_eq!(run(&mut srv, &mut c, &["LMPOP", "1", "l", "LEFT", "COUNT", "3"]), Reply::Array(vec![b("l"), Reply::Array(vec![b("c")])]));
        assert_eq!(
            logged(&log),
            vec![
                "RPUSH l a b c d e",
                "LPOP l",
                "RPOP l",
                "LMOVE l d LEFT RIGHT",
                "RPOPLPUSH l d",
                "RPOP d 2",
                "LPOP l 1",
            ]
        );
        // Nothing to pop: nothing logged.
        assert_eq!(run(&mut srv, &mut c, &["LMPOP", "1", "l", "LEFT"]), Reply::NilArray);
        assert_eq!(run(&mut srv, &mut c, &["LPOP", "l"]), Reply::Nil);
        assert!(logged(&log).is_empty());
    }

    #[test]
    fn served_blocked_clients_are_logged_as_the_plain_command() {
        let (mut srv, log) = server();
        let mut w1 = client(1);
        let mut w2 = client(2);
        let mut w3 = client(3);
        let mut p = client(4);
        let mut rx1 = run_blocking(&mut srv, &mut w1, &["BLPOP", "q", "0"]);
        let mut rx2 = run_blocking(&mut srv, &mut w2, &["BLMOVE", "q", "dst", "RIGHT", "LEFT", "0"]);
        let mut rx3 = run_blocking(&mut srv, &mut w3, &["BRPOPLPUSH", "dst", "final", "0"]);
        assert!(logged(&log).is_empty());
        run(&mut srv, &mut p, &["RPUSH", "q", "a", "b"]);
        assert_eq!(rx1.try_recv().unwrap(), Reply::Array(vec![b("q"), b("a")]));
        assert_eq!(rx2.try_recv().unwrap(), b("b"));
        assert_eq!(rx3.try_recv().unwrap(), b("b"));
        assert_eq!(logged(&log), vec!["RPUSH q a b", "LPOP q", "LMOVE q dst RIGHT LEFT", "RPOPLPUSH dst final"]);
        assert_eq!(srv.blocked_clients(), 0);
        assert_eq!(run(&mut srv, &mut p, &["LRANGE", "final", "0", "-1"]), Reply::Array(vec![b("b")]));
    }

    /// Runs commands the way EXEC does: not allowed to block, effects logged as one unit, then
    /// blocked clients served.
    fn run_transaction(srv: &mut Server, c: &mut Client, cmds: &[&[&str]]) -> Vec<Reply> {
        let mut replies = Vec::new();
        srv.exec_depth += 1;
        for a in cmds {
            let argv = args(a);
            let (spec, _) = crate::server::resolve(&argv).unwrap();
            let (r, block) = call(srv, c, spec, &argv, true);
            assert!(block.is_none(), "{a:?} asked to block inside a transaction");
            replies.push(r);
        }
        srv.exec_depth -= 1;
        srv.flush_log();
        srv.handle_ready_keys();
        replies
    }

    #[test]
    fn no_blocking_inside_transactions_and_wake_up_after_exec() {
        let (mut srv, log) = server();
        let mut c = client(1);
        let replies = run_transaction(
            &mut srv,
            &mut c,
            &[
                &["BLPOP", "e", "0"],
                &["BRPOP", "e", "0"],
                &["BLMOVE", "e", "d", "LEFT", "LEFT", "0"],
                &["BRPOPLPUSH", "e", "d", "0"],
                &["BLMPOP", "0", "1", "e", "LEFT"],
            ],
        );
        // BLMOVE/BRPOPLPUSH answer a null bulk here (Redis's addReplyNull), the others a null array.
        assert_eq!(replies, vec![Reply::NilArray, Reply::NilArray, Reply::Nil, Reply::Nil, Reply::NilArray]);
        assert!(logged(&log).is_empty());

        let mut w = client(2);
        let mut rx = run_blocking(&mut srv, &mut w, &["BRPOP", "a", "b", "0"]);
        let mut t = client(3);
        let replies = run_transaction(&mut srv, &mut t, &[&["LPUSH", "b", "x"], &["LPUSH", "a", "y", "z"]]);
        assert_eq!(replies, vec![Reply::Int(1), Reply::Int(2)]);
        // The waiter sees the state after the whole transaction: key "a" comes first in its list.
        assert_eq!(rx.try_recv().unwrap(), Reply::Array(vec![b("a"), b("y")]));
        assert_eq!(logged(&log), vec!["MULTI", "LPUSH b x", "LPUSH a y z", "EXEC", "RPOP a"]);
    }

    #[test]
    fn waiters_are_served_in_arrival_order_and_reblock_when_nothing_is_left() {
        let (mut srv, _log) = server();
        let mut ws: Vec<Client> = (1..=3).map(client).collect();
        let mut rxs: Vec<_> = ws.iter_mut().map(|w| run_blocking(&mut srv, w, &["BLPOP", "k", "0"])).collect();
        let mut p = client(9);
        run(&mut srv, &mut p, &["RPUSH", "k", "1"]);
        assert_eq!(rxs[0].try_recv().unwrap(), Reply::Array(vec![b("k"), b("1")]));
        assert!(rxs[1].try_recv().is_err());
        assert_eq!(srv.blocked_clients(), 2);
        run(&mut srv, &mut p, &["RPUSH", "k", "2", "3", "4"]);
        assert_eq!(rxs[1].try_recv().unwrap(), Reply::Array(vec![b("k"), b("2")]));
        assert_eq!(rxs[2].try_recv().unwrap(), Reply::Array(vec![b("k"), b("3")]));
        assert_eq!(run(&mut srv, &mut p, &["LRANGE", "k", "0", "-1"]), Reply::Array(vec![b("4")]));
        // A key turned into another type answers the waiter with WRONGTYPE.
        let mut rx = run_blocking(&mut srv, &mut ws[0], &["BLPOP", "s", "0"]);
        // A key overwritten by another type leaves the client blocked (as in Redis 7.2)...
        run(&mut srv, &mut p, &["SET", "s", "x"]);
        assert!(rx.try_recv().is_err());
        assert_eq!(srv.blocked_clients(), 1);
        run(&mut srv, &mut p, &["DEL", "s"]);
        run(&mut srv, &mut p, &["RPUSH", "s", "y"]);
        assert_eq!(rx.try_recv().unwrap(), Reply::Array(vec![b("s"), b("y")]));
        // ...but a list key becoming ready re-runs the command, which meets the other key first.
        let mut rx = run_blocking(&mut srv, &mut ws[0], &["BLPOP", "t", "u", "0"]);
        run(&mut srv, &mut p, &["SET", "t", "x"]);
        run(&mut srv, &mut p, &["RPUSH", "u", "y"]);
        assert_eq!(rx.try_recv().unwrap(), Reply::Error(err::WRONGTYPE.into()));
        assert_eq!(srv.blocked_clients(), 0);
    }

    #[test]
    fn counts_and_nulls_by_protocol() {
        let (mut srv, _log) = server();
        let mut c = client(1);
        assert_eq!(run(&mut srv, &mut c, &["LPOP", "k", "0"]), Reply::NilArray);
        assert_eq!(run(&mut srv, &mut c, &["LPOP", "k"]), Reply::Nil);
        run(&mut srv, &mut c, &["RPUSH", "k", "a"]);
        assert_eq!(run(&mut srv, &mut c, &["LPOP", "k", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut srv, &mut c, &["RPOP", "k", "-1"]), Reply::Error("ERR value is out of range, must be positive".into()));
        assert_eq!(run(&mut srv, &mut c, &["RPOP", "k", "3"]), Reply::Array(vec![b("a")]));
        assert_eq!(run(&mut srv, &mut c, &["EXISTS", "k"]), Reply::Int(0));
    }
}
