//! Sorted set commands (Redis 7.2 semantics): ZADD and friends, ranges by rank/score/lex,
//! pops (blocking too), set algebra (ZUNION/ZINTER/ZDIFF and STORE forms), ZRANDMEMBER, ZSCAN.


use bytes::Bytes;

use super::{arg_i64, arg_timeout, err, flags::*, is, notify, BlockRequest, CommandSpec, CommandTable, Ctx};
use crate::db::Sds;
use crate::resp::Reply;
use crate::types::{Value, ZSet};

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("sorted-set");
    let w = "@write @sortedset @fast";
    let ws = "@write @sortedset @slow";
    let r = "@read @sortedset @fast";
    let rs = "@read @sortedset @slow";
    t.add(c("zadd", -4, WRITE | DENYOOM | FAST, zadd).keys(1, 1, 1).acl(w).doc("1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist."));
    t.add(c("zincrby", 4, WRITE | DENYOOM | FAST, zincrby).keys(1, 1, 1).acl(w).doc("1.2.0", "Increments the score of a member in a sorted set."));
    t.add(c("zrem", -3, WRITE | FAST, zrem).keys(1, 1, 1).acl(w).doc("1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed."));
    t.add(c("zcard", 2, READONLY | FAST, zcard).keys(1, 1, 1).acl(r).doc("1.2.0", "Returns the number of members in a sorted set."));
    t.add(c("zcount", 4, READONLY | FAST, zcount).keys(1, 1, 1).acl(r).doc("2.0.0", "Returns the count of members in a sorted set that have scores within a range."));
    t.add(c("zlexcount", 4, READONLY | FAST, zlexcount).keys(1, 1, 1).acl(r).doc("2.8.9", "Returns the number of members in a sorted set within a lexicographical range."));
    t.add(c("zscore", 3, READONLY | FAST, zscore).keys(1, 1, 1).acl(r).doc("1.2.0", "Returns the score of a member in a sorted set."));
    t.add(c("zmscore", -3, READONLY | FAST, zmscore).keys(1, 1, 1).acl(r).doc("6.2.0", "Returns the score of one or more members in a sorted set."));
    t.add(c("zrank", -3, READONLY | FAST, zrank).keys(1, 1, 1).acl(r).doc("2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores."));
    t.add(c("zrevrank", -3, READONLY | FAST, zrank).keys(1, 1, 1).acl(r).doc("2.0.0", "Returns the index of a member in a sorted set ordered by descending scores."));
    t.add(c("zrange", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("1.2.0", "Returns members in a sorted set within a range of indexes."));
    t.add(c("zrangestore", -5, WRITE | DENYOOM, zrangestore).keys(1, 2, 1).acl(ws).doc("6.2.0", "Stores a range of members from sorted set in a key."));
    t.add(c("zrevrange", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("1.2.0", "Returns members in a sorted set within a range of indexes in reverse order."));
    t.add(c("zrangebyscore", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("1.0.5", "Returns members in a sorted set within a range of scores."));
    t.add(c("zrevrangebyscore", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("2.2.0", "Returns members in a sorted set within a range of scores in reverse order."));
    t.add(c("zrangebylex", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("2.8.9", "Returns members in a sorted set within a lexicographical range."));
    t.add(c("zrevrangebylex", -4, READONLY, zrange).keys(1, 1, 1).acl(rs).doc("2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order."));
    t.add(c("zremrangebyrank", 4, WRITE, zremrange).keys(1, 1, 1).acl(ws).doc("2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed."));
    t.add(c("zremrangebyscore", 4, WRITE, zremrange).keys(1, 1, 1).acl(ws).doc("1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed."));
    t.add(c("zremrangebylex", 4, WRITE, zremrange).keys(1, 1, 1).acl(ws).doc("2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed."));
    t.add(c("zpopmin", -2, WRITE | FAST, zpop).keys(1, 1, 1).acl(w).doc("5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."));
    t.add(c("zpopmax", -2, WRITE | FAST, zpop).keys(1, 1, 1).acl(w).doc("5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."));
    t.add(c("bzpopmin", -3, WRITE | FAST | BLOCKING, bzpop).keys(1, -2, 1).acl("@write @sortedset @fast @blocking").doc("5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."));
    t.add(c("bzpopmax", -3, WRITE | FAST | BLOCKING, bzpop).keys(1, -2, 1).acl("@write @sortedset @fast @blocking").doc("5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped."));
    t.add(c("zmpop", -4, WRITE, zmpop).keys_fn(keys_numkeys_at1).acl(ws).doc("7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped."));
    t.add(c("bzmpop", -5, WRITE | BLOCKING, zmpop).keys_fn(keys_numkeys_at2).acl("@write @sortedset @slow @blocking").doc("7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."));
    t.add(c("zunion", -3, READONLY, zsetop).keys_fn(keys_numkeys_at1).acl(rs).doc("6.2.0", "Returns the union of multiple sorted sets."));
    t.add(c("zinter", -3, READONLY, zsetop).keys_fn(keys_numkeys_at1).acl(rs).doc("6.2.0", "Returns the intersect of multiple sorted sets."));
    t.add(c("zdiff", -3, READONLY, zsetop).keys_fn(keys_numkeys_at1).acl(rs).doc("6.2.0", "Returns the difference between multiple sorted sets."));
    t.add(c("zintercard", -3, READONLY, zsetop).keys_fn(keys_numkeys_at1).acl(rs).doc("7.0.0", "Returns the number of members of the intersect of multiple sorted sets."));
    t.add(c("zunionstore", -4, WRITE | DENYOOM, zsetop).keys_fn(keys_store).acl(ws).doc("2.0.0", "Stores the union of multiple sorted sets in a key."));
    t.add(c("zinterstore", -4, WRITE | DENYOOM, zsetop).keys_fn(keys_store).acl(ws).doc("2.0.0", "Stores the intersect of multiple sorted sets in a key."));
    t.add(c("zdiffstore", -4, WRITE | DENYOOM, zsetop).keys_fn(keys_store).acl(ws).doc("6.2.0", "Stores the difference of multiple sorted sets in a key."));
    t.add(c("zrandmember", -2, READONLY, zrandmember).keys(1, 1, 1).acl(rs).doc("6.2.0", "Returns one or more random members from a sorted set."));
    t.add(c("zscan", -3, READONLY, zscan).keys(1, 1, 1).acl(rs).doc("2.8.0", "Iterates over members and scores of a sorted set."));
}

// ---------------------------------------------------------------------------------------------
// Key positions of the numkeys commands.

fn numkeys_keys(argv: &[Bytes], idx: usize) -> Vec<usize> {
    let n = argv.get(idx).and_then(|b| crate::util::parse_i64(b)).unwrap_or(0);
    if n <= 0 {
        return Vec::new();
    }
    let first = idx + 1;
    let last = (first as i64 + n).min(argv.len() as i64) as usize;
    (first..last).collect()
}

fn keys_numkeys_at1(argv: &[Bytes]) -> Vec<usize> {
    numkeys_keys(argv, 1)
}

fn keys_numkeys_at2(argv: &[Bytes]) -> Vec<usize> {
    numkeys_keys(argv, 2)
}

fn keys_store(argv: &[Bytes]) -> Vec<usize> {
    let mut v = vec![1];
    v.extend(numkeys_keys(argv, 2));
    v
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn bulk(m: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(m))
}

fn resp3(ctx: &Ctx) -> bool {
    ctx.client.resp >= 3
}

/// Pushes a member (and its score) in Redis's WITHSCORES layout: flat in RESP2, pairs in RESP3.
fn push_scored(out: &mut Vec<Reply>, m: &[u8], s: f64, withscores: bool, r3: bool) {
    if withscores && r3 {
        out.push(Reply::Array(vec![bulk(m), Reply::Double(s)]));
    } else {
        out.push(bulk(m));
        if withscores {
            out.push(Reply::Double(s));
        }
    }
}

/// Reads a sorted set for a read-only command.
fn read_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ZSet>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(err::wrongtype()),
    }
}

/// Type-checks a key for a write: Ok(true) if a sorted set is there, Ok(false) if missing.
fn check_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    match ctx.peek(key).map(|e| &e.value) {
        None => Ok(false),
        Some(Value::ZSet(_)) => Ok(true),
        Some(_) => Err(err::wrongtype()),
    }
}

/// The sorted set at `key` for mutation (the caller checked it exists with [`check_write`]).
fn zset_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut ZSet> {
    match ctx.lookup_write(key)?.value_mut() {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// A shared handle on a key's value (cheap: the keyspace stores values behind `Arc`).
fn value_arc(ctx: &mut Ctx, key: &[u8]) -> Option<Value> {
    ctx.lookup_read(key)?;
    ctx.srv.dbs[ctx.client.db].get(key).map(|e| e.value.clone())
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Ranges.

/// `strtod` as `zslParseRange` uses it: leading spaces allowed, the whole rest must parse,
/// the empty string is 0, NaN is refused.
fn strtod_full(b: &[u8]) -> Option<f64> {
    if b.is_empty() {
        return Some(0.0);
    }
    let t = std::str::from_utf8(b).ok()?;
    let t = t.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let v: f64 = t.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

#[derive(Clone, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let one = |b: &[u8]| -> Option<(f64, bool)> {
            match b.first() {
                Some(b'(') => strtod_full(&b[1..]).map(|v| (v, true)),
                _ => strtod_full(b).map(|v| (v, false)),
            }
        };
        let (min, minex) = one(min)?;
        let (max, maxex) = one(max)?;
        Some(ScoreRange { min, max, minex, maxex })
    }
    fn gte_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }
    fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

#[derive(Clone, Debug)]
enum LexBound {
    NegInf,
    PosInf,
    Incl(Bytes),
    Excl(Bytes),
}

#[derive(Clone, Debug)]
struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        let one = |b: &[u8]| -> Option<LexBound> {
            match b.first()? {
                b'+' if b.len() == 1 => Some(LexBound::PosInf),
                b'-' if b.len() == 1 => Some(LexBound::NegInf),
                b'(' => Some(LexBound::Excl(Bytes::copy_from_slice(&b[1..]))),
                b'[' => Some(LexBound::Incl(Bytes::copy_from_slice(&b[1..]))),
                _ => None,
            }
        };
        Some(LexRange { min: one(min)?, max: one(max)? })
    }
    fn gte_min(&self, e: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(b) => e >= &b[..],
            LexBound::Excl(b) => e > &b[..],
        }
    }
    fn lte_max(&self, e: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(b) => e <= &b[..],
            LexBound::Excl(b) => e < &b[..],
        }
    }
}

#[derive(Clone, Debug)]
enum Range {
    Score(ScoreRange),
    Lex(LexRange),
}

impl Range {
    fn gte_min(&self, e: &[u8], s: f64) -> bool {
        match self {
            Range::Score(r) => r.gte_min(s),
            Range::Lex(r) => r.gte_min(e),
        }
    }
    fn lte_max(&self, e: &[u8], s: f64) -> bool {
        match self {
            Range::Score(r) => r.lte_max(s),
            Range::Lex(r) => r.lte_max(e),
        }
    }
    fn parse(lex: bool, min: &[u8], max: &[u8]) -> Result<Range, Reply> {
        if lex {
            LexRange::parse(min, max)
                .map(Range::Lex)
                .ok_or_else(|| Reply::Error("ERR min or max not valid string range item".into()))
        } else {
            ScoreRange::parse(min, max).map(Range::Score).ok_or_else(|| Reply::Error("ERR min or max is not a float".into()))
        }
    }
}

/// Ranks `lo..hi` of the elements inside `range` (walking from the first one, as Redis does).
fn range_ranks(z: &ZSet, range: &Range) -> (usize, usize) {
    let lo = z.count_while(|e, s| !range.gte_min(e, s));
    let mut hi = lo;
    z.walk(lo, false, |e, s| {
        if range.lte_max(e, s) {
            hi += 1;
            true
        } else {
            false
        }
    });
    (lo, hi)
}

/// Normalizes a rank range like Redis (negative = from the end); None when empty.
fn rank_span(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
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

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY.

fn zadd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut i = 2;
    let (mut nx, mut xx, mut ch, mut incr, mut gt, mut lt) = (false, false, false, false, false, false);
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "nx") {
            nx = true
        } else if is(a, "xx") {
            xx = true
        } else if is(a, "ch") {
            ch = true
        } else if is(a, "incr") {
            incr = true
        } else if is(a, "gt") {
            gt = true
        } else if is(a, "lt") {
            lt = true
        } else {
            break;
        }
        i += 1;
    }
    let elements = argv.len() - i;
    if !elements.is_multiple_of(2) || elements == 0 {
        return err::syntax();
    }
    if nx && xx {
        return Reply::Error("ERR XX and NX options at the same time are not compatible".into());
    }
    if ((gt || lt) && nx) || (gt && lt) {
        return Reply::Error("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if incr && elements > 2 {
        return Reply::Error("ERR INCR option supports a single increment-element pair".into());
    }
    zadd_generic(ctx, argv, i, Flags { nx, xx, ch, incr, gt, lt })
}

fn zincrby(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    zadd_generic(ctx, argv, 2, Flags { incr: true, ..Default::default() })
}

#[derive(Default, Clone, Copy)]
struct Flags {
    nx: bool,
    xx: bool,
    ch: bool,
    incr: bool,
    gt: bool,
    lt: bool,
}

fn zadd_generic(ctx: &mut Ctx, argv: &[Bytes], first: usize, f: Flags) -> Reply {
    let key = &argv[1];
    let n = (argv.len() - first) / 2;
    let mut scores = Vec::with_capacity(n);
    for j in 0..n {
        scores.push(tri!(super::arg_f64(&argv[first + 2 * j])));
    }
    // Redis 7.2 sizes a new key by the argument count and the first member's length, and
    // converts an existing listpack up front only by the argument count.
    let first_len = argv[first + 1].len();
    let th = ctx.thresholds();
    // One write lookup (expiry, access), as Redis's lookupKeyWrite; the set is then reached by
    // a plain probe.
    let exists = match ctx.lookup_write(key).map(|e| matches!(e.value, Value::ZSet(_))) {
        None => false,
        Some(true) => true,
        Some(false) => return err::wrongtype(),
    };
    if !exists {
        if f.xx {
            return if f.incr { Reply::Nil } else { Reply::Int(0) };
        }
        ctx.add_key(key, Value::ZSet(crate::types::Shared::new(ZSet::with_hint(n, first_len, &th))));
    }
    let Some(Value::ZSet(z)) = ctx.db().get_mut(key).map(|e| e.value_mut()) else { return err::wrongtype() };
    if exists {
        z.maybe_convert(n, 0, &th);
    }
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    for (j, &score) in scores.iter().enumerate() {
        let m = &argv[first + 2 * j + 1];
        match z.score(m) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let mut new = score;
                if f.incr {
                    new += cur;
                    if new.is_nan() {
                        nan = true;
                        break;
                    }
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                processed += 1;
                last = new;
                if new != cur {
                    z.set(m, new, &th);
                    updated += 1;
                }
            }
            None => {
                if f.xx {
                    continue;
                }
                z.set(m, score, &th);
                added += 1;
                processed += 1;
                last = score;
            }
        }
    }
    if added + updated > 0 {
        ctx.modified(key);
        ctx.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if nan {
        return Reply::Error("ERR resulting score is not a number (NaN)".into());
    }
    if f.incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Int(if f.ch { added + updated } else { added })
    }
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZCOUNT, ZLEXCOUNT, ZRANK.

fn zrem(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    if !tri!(check_write(ctx, key)) {
        return Reply::Int(0);
    }
    let Some(z) = zset_mut(ctx, key) else { return Reply::Int(0) };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m) {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.notify(notify::ZSET, "zrem", key);
        ctx.delete_if_empty(key);
        ctx.modified(key);
    }
    Reply::Int(deleted)
}

fn zcard(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_zset(ctx, &argv[1])) {
        Some(z) => Reply::Int(z.len() as i64),
        None => Reply::Int(0),
    }
}

fn zscore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match tri!(read_zset(ctx, &argv[1])).and_then(|z| z.score(&argv[2])) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    }
}

fn zmscore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let z = tri!(read_zset(ctx, &argv[1]));
    Reply::Array(
        argv[2..]
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(s) => Reply::Double(s),
                None => Reply::Nil,
            })
            .collect(),
    )
}

fn zcount(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    zcount_generic(ctx, argv, false)
}

fn zlexcount(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    zcount_generic(ctx, argv, true)
}

fn zcount_generic(ctx: &mut Ctx, argv: &[Bytes], lex: bool) -> Reply {
    let range = tri!(Range::parse(lex, &argv[2], &argv[3]));
    match tri!(read_zset(ctx, &argv[1])) {
        Some(z) => {
            let (lo, hi) = range_ranks(z, &range);
            Reply::Int((hi - lo) as i64)
        }
        None => Reply::Int(0),
    }
}

fn zrank(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let rev = is(&argv[0], "zrevrank");
    if argv.len() > 4 {
        return err::wrong_args(if rev { "zrevrank" } else { "zrank" });
    }
    let withscore = if argv.len() == 4 {
        if !is(&argv[3], "withscore") {
            return err::syntax();
        }
        true
    } else {
        false
    };
    let miss = if withscore { Reply::NilArray } else { Reply::Nil };
    let Some(z) = tri!(read_zset(ctx, &argv[1])) else { return miss };
    let Some(r) = z.rank(&argv[2]) else { return miss };
    let r = if rev { z.len() - 1 - r } else { r };
    if withscore {
        let s = z.get(if rev { z.len() - 1 - r } else { r }).map(|(_, s)| s).unwrap_or(0.0);
        Reply::Array(vec![Reply::Int(r as i64), Reply::Double(s)])
    } else {
        Reply::Int(r as i64)
    }
}

// ---------------------------------------------------------------------------------------------
// ZRANGE family.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

fn zrange(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let (kind, rev) = match name.as_str() {
        "zrange" => (Kind::Auto, None),
        "zrevrange" => (Kind::Rank, Some(true)),
        "zrangebyscore" => (Kind::Score, Some(false)),
        "zrevrangebyscore" => (Kind::Score, Some(true)),
        "zrangebylex" => (Kind::Lex, Some(false)),
        _ => (Kind::Lex, Some(true)),
    };
    zrange_generic(ctx, argv, 1, None, kind, rev)
}

fn zrangestore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    zrange_generic(ctx, argv, 2, Some(argv[1].clone()), Kind::Auto, None)
}

fn zrange_generic(ctx: &mut Ctx, argv: &[Bytes], start: usize, store: Option<Bytes>, mut kind: Kind, mut rev: Option<bool>) -> Reply {
    let key = &argv[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if store.is_none() && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = tri!(arg_i64(&argv[j + 1]));
            limit = tri!(arg_i64(&argv[j + 2]));
            j += 2;
        } else if rev.is_none() && is(a, "rev") {
            rev = Some(true);
        } else if kind == Kind::Auto && is(a, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && is(a, "byscore") {
            kind = Kind::Score;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Reply::Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX".into());
    }
    if withscores && kind == Kind::Lex {
        return Reply::Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let mut ranks = (0i64, 0i64);
    let mut range = None;
    match kind {
        Kind::Rank => {
            ranks.0 = tri!(arg_i64(&argv[minidx]));
            ranks.1 = tri!(arg_i64(&argv[maxidx]));
        }
        _ => range = Some(tri!(Range::parse(kind == Kind::Lex, &argv[minidx], &argv[maxidx]))),
    }
    let r3 = resp3(ctx);
    let mut items: Vec<(Sds, f64)> = Vec::new();
    {
        let z = match tri!(read_zset(ctx, key)) {
            Some(z) => z,
            None => {
                return match store {
                    Some(dst) => store_result(ctx, &dst, Vec::new(), "zrangestore"),
                    None => Reply::Array(Vec::new()),
                }
            }
        };
        let len = z.len();
        let mut emit = |m: &[u8], s: f64| items.push((m.into(), s));
        match range {
            None => {
                if let Some((s, e)) = rank_span(ranks.0, ranks.1, len) {
                    let first = if rev { len - 1 - s } else { s };
                    let mut left = e - s + 1;
                    z.walk(first, rev, |m, sc| {
                        emit(m, sc);
                        left -= 1;
                        left > 0
                    });
                }
            }
            Some(range) => {
                if offset >= 0 && !(offset > 0 && offset as u64 >= len as u64) {
                    let offset = offset as usize;
                    let first = if rev {
                        z.last_where(|e, s| range.lte_max(e, s)).and_then(|hi| hi.checked_sub(offset))
                    } else {
                        let lo = z.count_while(|e, s| !range.gte_min(e, s)) + offset;
                        (lo < len).then_some(lo)
                    };
                    if let Some(first) = first {
                        let mut limit = limit;
                        if limit != 0 {
                            z.walk(first, rev, |m, sc| {
                                let ok = if rev { range.gte_min(m, sc) } else { range.lte_max(m, sc) };
                                if !ok {
                                    return false;
                                }
                                emit(m, sc);
                                limit -= 1;
                                limit != 0
                            });
                        }
                    }
                }
            }
        }
    }
    match store {
        Some(dst) => {
            if rev {
                items.reverse();
            }
            store_result(ctx, &dst, items, "zrangestore")
        }
        None => {
            let mut out = Vec::with_capacity(items.len() * if withscores && !r3 { 2 } else { 1 });
            for (m, s) in &items {
                push_scored(&mut out, m, *s, withscores, r3);
            }
            Reply::Array(out)
        }
    }
}

/// Stores a computed result (sorted ascending, unique members) at `dst` as ZRANGESTORE /
/// ZUNIONSTORE do: an empty result deletes the destination.
fn store_result(ctx: &mut Ctx, dst: &[u8], items: Vec<(Sds, f64)>, event: &str) -> Reply {
    if items.is_empty() {
        if ctx.delete(dst) {
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return Reply::Int(0);
    }
    let n = items.len();
    let th = ctx.thresholds();
    ctx.set_key(dst, Value::ZSet(crate::types::Shared::new(ZSet::from_sorted(items, &th))), false);
    ctx.notify(notify::ZSET, event, dst);
    Reply::Int(n as i64)
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*.

fn zremrange(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let key = &argv[1];
    let mut ranks = (0, 0);
    let mut range = None;
    match name.as_str() {
        "zremrangebyrank" => {
            ranks.0 = tri!(arg_i64(&argv[2]));
            ranks.1 = tri!(arg_i64(&argv[3]));
        }
        "zremrangebyscore" => range = Some(tri!(Range::parse(false, &argv[2], &argv[3]))),
        _ => range = Some(tri!(Range::parse(true, &argv[2], &argv[3]))),
    }
    if !tri!(check_write(ctx, key)) {
        return Reply::Int(0);
    }
    let Some(z) = zset_mut(ctx, key) else { return Reply::Int(0) };
    let (lo, hi) = match &range {
        None => match rank_span(ranks.0, ranks.1, z.len()) {
            Some((s, e)) => (s, e + 1),
            None => return Reply::Int(0),
        },
        Some(r) => range_ranks(z, r),
    };
    let removed = z.remove_range(lo, hi).len();
    if removed > 0 {
        let ev = match name.as_str() {
            "zremrangebyrank" => "zremrangebyrank",
            "zremrangebyscore" => "zremrangebyscore",
            _ => "zremrangebylex",
        };
        ctx.notify(notify::ZSET, ev, key);
        ctx.delete_if_empty(key);
        ctx.modified(key);
    }
    Reply::Int(removed as i64)
}

// ---------------------------------------------------------------------------------------------
// Pops.

/// Redis's `genericZpopCommand`. `count` -1 = no count given. Returns the reply and, when
/// something was popped, the key and how many elements.
fn zpop_generic(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    emitkey: bool,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) -> (Reply, Option<(Bytes, usize)>) {
    let mut found = None;
    for k in keys {
        match check_write(ctx, k) {
            Err(e) => return (e, None),
            Ok(false) => continue,
            Ok(true) => {
                found = Some(k.clone());
                break;
            }
        }
    }
    let Some(key) = found else {
        return (if nil_when_empty { Reply::NilArray } else { Reply::Array(Vec::new()) }, None);
    };
    if count == 0 {
        return (Reply::Array(Vec::new()), None);
    }
    let count = if count == -1 { 1 } else { count as u64 };
    let r3 = resp3(ctx);
    let Some(z) = zset_mut(ctx, &key) else { return (Reply::Array(Vec::new()), None) };
    let len = z.len();
    let n = (count.min(len as u64)) as usize;
    let popped = if max {
        let mut v = z.remove_range(len - n, len);
        v.reverse();
        v
    } else {
        z.remove_range(0, n)
    };
    let mut items = Vec::with_capacity(popped.len() * 2);
    for (m, s) in &popped {
        if nested {
            items.push(Reply::Array(vec![bulk(m), Reply::Double(*s)]));
        } else {
            items.push(bulk(m));
            items.push(Reply::Double(*s));
        }
    }
    let _ = r3;
    ctx.notify(notify::ZSET, if max { "zpopmax" } else { "zpopmin" }, &key);
    ctx.delete_if_empty(&key);
    ctx.modified(&key);
    let reply = if emitkey {
        if nested {
            Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(items)])
        } else {
            let mut v = vec![Reply::Bulk(key.clone())];
            v.extend(items);
            Reply::Array(v)
        }
    } else {
        Reply::Array(items)
    };
    (reply, Some((key, n)))
}

fn zpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let max = is(&argv[0], "zpopmax");
    if argv.len() > 3 {
        return err::syntax();
    }
    let mut count = -1;
    if argv.len() == 3 {
        count = crate::util::parse_i64(&argv[2]).unwrap_or(-1);
        if count < 0 {
            return Reply::Error("ERR value is out of range, must be positive".into());
        }
    }
    let nested = resp3(ctx) && count != -1;
    zpop_generic(ctx, &argv[1..2], max, false, count, nested, false).0
}

fn pop_cmd_name(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

/// The blocking part shared by BZPOPMIN/BZPOPMAX/BZMPOP (`blockingGenericZpopCommand`).
fn blocking_zpop(ctx: &mut Ctx, keys: &[Bytes], max: bool, timeout_arg: &[u8], count: i64, nested: bool, nil_when_empty: bool) -> Reply {
    let deadline = tri!(arg_timeout(timeout_arg, ctx.now));
    // Re-run for a waiting client because one of its keys changed: Redis 7.2 serves it only if
    // a key now holds a sorted set (a key overwritten by another type keeps it waiting).
    let rerun = ctx.srv.waiters.contains_key(&ctx.client.id);
    if rerun && !keys.iter().any(|k| matches!(ctx.peek(k).map(|e| &e.value), Some(Value::ZSet(z)) if !z.is_empty())) {
        ctx.block(BlockRequest { keys: Vec::new(), deadline_ms: deadline, argv: None, timeout_reply: Reply::NilArray });
        return Reply::NilArray;
    }
    for k in keys {
        let has = match ctx.peek(k).map(|e| &e.value) {
            None => false,
            Some(Value::ZSet(z)) => !z.is_empty(),
            Some(_) => return err::wrongtype(),
        };
        if !has {
            continue;
        }
        let (reply, popped) = zpop_generic(ctx, std::slice::from_ref(k), max, true, count, nested, nil_when_empty);
        if let Some((key, n)) = popped {
            let mut cmd = vec![pop_cmd_name(max), key];
            if count != -1 {
                cmd.push(Bytes::from(n.to_string()));
            }
            ctx.propagate_as(vec![cmd]);
        }
        return reply;
    }
    if !ctx.can_block() {
        return Reply::NilArray;
    }
    ctx.block(BlockRequest {
        keys: keys.iter().map(|k| Sds::from(&k[..])).collect(),
        deadline_ms: deadline,
        argv: None,
        timeout_reply: Reply::NilArray,
    });
    Reply::NilArray
}

fn bzpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let max = is(&argv[0], "bzpopmax");
    let n = argv.len();
    blocking_zpop(ctx, &argv[1..n - 1], max, &argv[n - 1], -1, false, false)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] /
/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let block = is(&argv[0], "bzmpop");
    let nk_idx = if block { 2 } else { 1 };
    let numkeys_err = || Reply::Error("ERR numkeys should be greater than 0".into());
    let numkeys = match crate::util::parse_i64(&argv[nk_idx]) {
        Some(n) if n >= 1 => n as u64,
        _ => return numkeys_err(),
    };
    let where_idx = nk_idx as u64 + numkeys + 1;
    if where_idx >= argv.len() as u64 {
        return err::syntax();
    }
    let where_idx = where_idx as usize;
    let max = if is(&argv[where_idx], "min") {
        false
    } else if is(&argv[where_idx], "max") {
        true
    } else {
        return err::syntax();
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is(&argv[j], "count") && more > 0 {
            j += 1;
            count = match crate::util::parse_i64(&argv[j]) {
                Some(c) if c >= 1 => c,
                _ => return Reply::Error("ERR count should be greater than 0".into()),
            };
        } else {
            return err::syntax();
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = &argv[nk_idx + 1..where_idx];
    if block {
        return blocking_zpop(ctx, keys, max, &argv[1], count, true, true);
    }
    let (reply, popped) = zpop_generic(ctx, keys, max, true, count, true, true);
    if let Some((key, n)) = popped {
        ctx.propagate_as(vec![vec![pop_cmd_name(max), key, Bytes::from(n.to_string())]]);
    }
    reply
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF / ZINTERCARD and the STORE forms.

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq)]
enum Agg {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, agg: Agg) {
    match agg {
        Agg::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => {
            if val < *target {
                *target = val
            }
        }
        Agg::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

/// One input of a set operation.
struct Src {
    value: Option<Value>,
    weight: f64,
    /// Member lookup for inputs that are sets or large enough to deserve an index.
    lookup: Option<hashbrown::HashMap<Sds, f64>>,
}

impl Src {
    fn len(&self) -> usize {
        match self.value.as_ref() {
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            _ => 0,
        }
    }
    fn elements(&self) -> Vec<(Sds, f64)> {
        match self.value.as_ref() {
            Some(Value::ZSet(z)) => z.iter().map(|(m, s)| (Sds::from(m), s)).collect(),
            Some(Value::Set(s)) => s.members().into_iter().map(|m| (m, 1.0)).collect(),
            _ => Vec::new(),
        }
    }
    fn find(&mut self, m: &[u8]) -> Option<f64> {
        let zs = match self.value.as_ref() {
            Some(Value::ZSet(z)) => Some(&**z),
            _ => None,
        };
        match (self.value.as_ref(), zs) {
            (_, Some(ZSet::Skiplist(s))) => s.score(m),
            (_, Some(ZSet::Listpack(v))) if v.len() <= 16 => v.iter().find(|(e, _)| &**e == m).map(|(_, s)| *s),
            (None, _) => None,
            _ => {
                if self.lookup.is_none() {
                    self.lookup = Some(self.elements().into_iter().collect());
                }
                self.lookup.as_ref().and_then(|l| l.get(m).copied())
            }
        }
    }
}

fn zsetop(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let (op, store, card_only) = match name.as_str() {
        "zunion" => (Op::Union, false, false),
        "zinter" => (Op::Inter, false, false),
        "zdiff" => (Op::Diff, false, false),
        "zintercard" => (Op::Inter, false, true),
        "zunionstore" => (Op::Union, true, false),
        "zinterstore" => (Op::Inter, true, false),
        _ => (Op::Diff, true, false),
    };
    let nk_idx = if store { 2 } else { 1 };
    let setnum = tri!(arg_i64(&argv[nk_idx]));
    if setnum < 1 {
        return Reply::Error(format!("ERR at least 1 input key is needed for '{name}' command"));
    }
    if setnum > (argv.len() - (nk_idx + 1)) as i64 {
        return err::syntax();
    }
    let setnum = setnum as usize;
    let mut srcs = Vec::with_capacity(setnum);
    for k in &argv[nk_idx + 1..nk_idx + 1 + setnum] {
        let v = value_arc(ctx, k);
        if let Some(v) = &v {
            if !matches!(v, Value::ZSet(_) | Value::Set(_)) {
                return err::wrongtype();
            }
        }
        srcs.push(Src { value: v, weight: 1.0, lookup: None });
    }
    let mut agg = Agg::Sum;
    let mut withscores = false;
    let mut limit = 0u64;
    let mut j = nk_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != Op::Diff && !card_only && remaining > setnum && is(a, "weights") {
            j += 1;
            for s in srcs.iter_mut() {
                s.weight = match crate::util::parse_f64(&argv[j]) {
                    Some(w) => w,
                    None => return Reply::Error("ERR weight value is not a float".into()),
                };
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(a, "aggregate") {
            let v = &argv[j + 1];
            agg = if is(v, "sum") {
                Agg::Sum
            } else if is(v, "min") {
                Agg::Min
            } else if is(v, "max") {
                Agg::Max
            } else {
                return err::syntax();
            };
            j += 2;
        } else if !store && !card_only && is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(a, "limit") {
            limit = match crate::util::parse_i64(&argv[j + 1]) {
                Some(l) if l >= 0 => l as u64,
                _ => return Reply::Error("ERR LIMIT can't be negative".into()),
            };
            j += 2;
        } else {
            return err::syntax();
        }
    }
    if op != Op::Diff {
        srcs.sort_by_key(|s| s.len());
    }
    let mut result: Vec<(Sds, f64)> = Vec::new();
    let mut card = 0u64;
    match op {
        Op::Inter => {
            if srcs[0].len() > 0 {
                let first = srcs[0].elements();
                let w0 = srcs[0].weight;
                'outer: for (m, s) in first {
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for src in srcs.iter_mut().skip(1) {
                        match src.find(&m) {
                            Some(v) => aggregate(&mut score, v * src.weight, agg),
                            None => continue 'outer,
                        }
                    }
                    if card_only {
                        card += 1;
                        if limit > 0 && card >= limit {
                            break;
                        }
                    } else {
                        result.push((m, score));
                    }
                }
            }
        }
        Op::Union => {
            let mut acc: hashbrown::HashMap<Sds, f64> = hashbrown::HashMap::new();
            for src in &srcs {
                for (m, s) in src.elements() {
                    let mut score = src.weight * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            result = acc.into_iter().collect();
        }
        Op::Diff => {
            let first = srcs[0].elements();
            let same_as_first: Vec<bool> = srcs.iter().map(|s| match (&s.value, &srcs[0].value) {
                (Some(a), Some(b)) => a.same_object(b),
                _ => false,
            }).collect();
            for (m, s) in first {
                let mut keep = true;
                for (i, src) in srcs.iter_mut().enumerate().skip(1) {
                    if same_as_first[i] || src.find(&m).is_some() {
                        keep = false;
                        break;
                    }
                }
                if keep {
                    result.push((m, s));
                }
            }
        }
    }
    if card_only {
        return Reply::Int(card as i64);
    }
    result.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    if store {
        let dst = argv[1].clone();
        let ev = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        return store_result(ctx, &dst, result, ev);
    }
    let r3 = resp3(ctx);
    let mut out = Vec::with_capacity(result.len() * if withscores && !r3 { 2 } else { 1 });
    for (m, s) in &result {
        push_scored(&mut out, m, *s, withscores, r3);
    }
    Reply::Array(out)
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER.

/// Most elements a negative-count ZRANDMEMBER may ask for (Redis streams an unbounded reply;
/// we refuse absurd counts instead of allocating them).
const RANDMEMBER_MAX: u64 = 10_000_000;

fn zrandmember(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    use rand::Rng;
    if argv.len() >= 3 {
        let l = tri!(arg_i64(&argv[2]));
        let mut withscores = false;
        if argv.len() > 4 || (argv.len() == 4 && !is(&argv[3], "withscores")) {
            return err::syntax();
        } else if argv.len() == 4 {
            withscores = true;
            if !(i64::MIN / 2..=i64::MAX / 2).contains(&l) {
                return Reply::Error("ERR value is out of range".into());
            }
        }
        let r3 = resp3(ctx);
        let value = match ctx.lookup_read(&argv[1]) {
            None => return Reply::Array(Vec::new()),
            Some(Value::ZSet(_)) => ctx.srv.dbs[ctx.client.db].get(&argv[1]).map(|e| e.value.clone()),
            Some(_) => return err::wrongtype(),
        };
        let Some(value) = value else { return Reply::Array(Vec::new()) };
        let Value::ZSet(z) = &value else { return err::wrongtype() };
        let size = z.len();
        let (count, uniq) = if l >= 0 { (l as u64, true) } else { (l.unsigned_abs(), false) };
        if count == 0 {
            return Reply::Array(Vec::new());
        }
        let mut out = Vec::new();
        if !uniq || count == 1 {
            if count > RANDMEMBER_MAX {
                return Reply::Error("ERR value is out of range".into());
            }
            for _ in 0..count {
                let r = ctx.srv.rng.gen_range(0..size);
                if let Some((m, s)) = z.get(r) {
                    push_scored(&mut out, m, s, withscores, r3);
                }
            }
            return Reply::Array(out);
        }
        if count >= size as u64 {
            // Redis's zset iterator (zuiNext) walks from the highest score down.
            let all: Vec<(&[u8], f64)> = z.iter().collect();
            for &(m, s) in all.iter().rev() {
                push_scored(&mut out, m, s, withscores, r3);
            }
            return Reply::Array(out);
        }
        let picks = rand::seq::index::sample(&mut ctx.srv.rng, size, count as usize);
        for r in picks.iter() {
            if let Some((m, s)) = z.get(r) {
                push_scored(&mut out, m, s, withscores, r3);
            }
        }
        return Reply::Array(out);
    }
    let Some(z) = tri!(read_zset(ctx, &argv[1])) else { return Reply::Nil };
    let size = z.len();
    if size == 0 {
        return Reply::Nil;
    }
    let value = ctx.srv.dbs[ctx.client.db].get(&argv[1]).map(|e| e.value.clone());
    let Some(value) = value else { return Reply::Nil };
    let Value::ZSet(z) = &value else { return Reply::Nil };
    let r = ctx.srv.rng.gen_range(0..size);
    z.get(r).map(|(m, _)| bulk(m)).unwrap_or(Reply::Nil)
}

// ---------------------------------------------------------------------------------------------
// ZSCAN.

/// Order-preserving map of a score to a non-zero cursor.
fn score_cursor(s: f64) -> u64 {
    let s = if s == 0.0 { 0.0 } else { s };
    let b = s.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn cursor_score(c: u64) -> f64 {
    let b = if c >> 63 == 1 { c & !(1 << 63) } else { !c };
    f64::from_bits(b)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]. A small (listpack) set is returned whole;
/// a skiplist is walked in score order, the cursor encoding the score to resume from (elements
/// present for the whole iteration are returned at least once).
fn zscan(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some(cursor) = crate::util::parse_u64(&argv[2]) else { return Reply::Error("ERR invalid cursor".into()) };
    let empty = || Reply::Array(vec![Reply::bulk_str("0"), Reply::Array(Vec::new())]);
    let Some(value) = (match ctx.lookup_read(&argv[1]) {
        None => return empty(),
        Some(Value::ZSet(_)) => ctx.srv.dbs[ctx.client.db].get(&argv[1]).map(|e| e.value.clone()),
        Some(_) => return err::wrongtype(),
    }) else {
        return empty();
    };
    let args = tri!(super::parse_scan_args(argv, 2, false));
    let Value::ZSet(z) = &value else { return err::wrongtype() };
    let mut out = Vec::new();
    let mut push = |m: &[u8], s: f64| {
        if args.pattern.as_ref().map(|p| crate::util::glob_match(p, m, false)).unwrap_or(true) {
            out.push(bulk(m));
            out.push(Reply::bulk(crate::util::fmt_double(s)));
        }
    };
    let next = match &**z {
        ZSet::Listpack(v) => {
            for (m, s) in v {
                push(m, *s);
            }
            0
        }
        ZSet::Skiplist(_) => {
            let start = if cursor == 0 {
                0
            } else {
                let from = cursor_score(cursor);
                z.count_while(|_, s| s < from)
            };
            let mut n = 0usize;
            let mut first_score = None;
            let mut next = 0u64;
            z.walk(start, false, |m, s| {
                let fs = *first_score.get_or_insert(s);
                if n >= args.count && s != fs {
                    next = score_cursor(s);
                    return false;
                }
                push(m, s);
                n += 1;
                true
            });
            next
        }
    };
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(out)])
}

