//! Hash commands: HSET, HGET and friends, counters, HRANDFIELD, HSCAN (Redis 7.2 `t_hash.c`).

use std::sync::Arc;

use bytes::Bytes;
use rand::Rng;

use super::{arg_i64, err, flags::*, is, notify, parse_scan_args, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::types::hash::{scan_position, scan_step};
use crate::types::{Hash, Thresholds, Value};
use crate::util::{glob_match, parse_f64, parse_i64};

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
pub fn read_value(ctx: &mut Ctx, key: &[u8]) -> Option<Arc<Value>> {
    ctx.lookup_read(key)?;
    let db = ctx.db_index();
    ctx.srv.dbs[db].get(key).map(|e| e.value.clone())
}

/// Reads a hash: Ok(None) when missing, Err(WRONGTYPE) for another type.
fn read_hash(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Arc<Value>>, Reply> {
    match read_value(ctx, key) {
        None => Ok(None),
        Some(v) if matches!(&*v, Value::Hash(_)) => Ok(Some(v)),
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
            if !matches!(&*e.value, Value::Hash(_)) {
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
                ctx.add_key(key, Value::Hash(Box::new(h)));
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
    let h = v.as_deref().map(as_hash);
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

/// HINCRBYFLOAT key field increment (logged as HSET key field <result>)
fn hincrbyfloat(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let Some(incr) = parse_f64(&argv[3]) else { return err::not_float() };
    if incr.is_infinite() {
        return Reply::Error("ERR value is NaN or Infinity".into());
    }
    let key = &argv[1];
    let field = &argv[2];
    let new = tri!(with_hash(ctx, key, |h, th| {
        let cur: &[u8] = match h.get(field) {
            Some(v) => {
                if parse_f64(v).is_none() {
                    return Err(Reply::Error("ERR hash value is not a float".into()));
                }
                v
            }
            None => b"0",
        };
        let Some(new) = incr_float(cur, &argv[3]) else {
            return Err(Reply::Error("ERR increment would produce NaN or Infinity".into()));
        };
        h.set(field, new.as_bytes(), th);
        Ok((true, new))
    }));
    ctx.notify(notify::HASH, "hincrbyfloat", key);
    let new = Bytes::from(new);
    ctx.propagate_as(vec![vec![Bytes::from_static(b"HSET"), key.clone(), field.clone(), new.clone()]]);
    Reply::Bulk(new)
}

/// `cur + incr` for HINCRBYFLOAT/INCRBYFLOAT, formatted as Redis does (`%.17Lf` of a long double
/// with trailing zeros removed). None if the result is not finite.
pub fn incr_float(cur: &[u8], incr: &[u8]) -> Option<String> {
    if let Some(r) = ldouble::add_format(cur, incr) {
        return r;
    }
    let sum = parse_f64(cur)? + parse_f64(incr)?;
    if !sum.is_finite() {
        return None;
    }
    Some(crate::util::fmt_double_human(sum))
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

/// Redis computes float increments in `long double` (x87 80-bit extended precision: a 64-bit
/// mantissa) and prints them with `%.17Lf` minus trailing zeros. This emulates exactly that with
/// a small big-integer: correctly rounded parsing, one correctly rounded addition, exact printing.
pub mod ldouble {
    /// Little-endian base-2^32 natural number.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u128(mut v: u128) -> Big {
            let mut d = Vec::new();
            while v > 0 {
                d.push(v as u32);
                v >>= 32;
            }
            Big(d)
        }
        fn trim(mut self) -> Big {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
            self
        }
        fn is_zero(&self) -> bool {
            self.0.iter().all(|&x| x == 0)
        }
        fn bits(&self) -> usize {
            match self.0.iter().rposition(|&x| x != 0) {
                None => 0,
                Some(i) => i * 32 + (32 - self.0[i].leading_zeros() as usize),
            }
        }
        fn bit(&self, i: usize) -> bool {
            self.0.get(i / 32).map(|w| (w >> (i % 32)) & 1 == 1).unwrap_or(false)
        }
        fn mul_small(&mut self, m: u32) {
            let mut carry = 0u64;
            for d in self.0.iter_mut() {
                let v = *d as u64 * m as u64 + carry;
                *d = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        fn add_small(&mut self, a: u32) {
            let mut carry = a as u64;
            for d in self.0.iter_mut() {
                if carry == 0 {
                    return;
                }
                let v = *d as u64 + carry;
                *d = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        fn pow10(k: usize) -> Big {
            let mut b = Big(vec![1]);
            for _ in 0..k {
                b.mul_small(10);
            }
            b
        }
        fn shl(&self, n: usize) -> Big {
            let (words, bits) = (n / 32, n % 32);
            let mut d = vec![0u32; words];
            let mut carry = 0u32;
            for &w in &self.0 {
                if bits == 0 {
                    d.push(w);
                } else {
                    d.push((w << bits) | carry);
                    carry = w >> (32 - bits);
                }
            }
            if carry > 0 {
                d.push(carry);
            }
            Big(d).trim()
        }
        /// (self >> n, whether any shifted-out bit was set)
        fn shr(&self, n: usize) -> (Big, bool) {
            let sticky = (0..n.min(self.bits())).any(|i| self.bit(i));
            let (words, bits) = (n / 32, n % 32);
            if words >= self.0.len() {
                return (Big(vec![]), sticky);
            }
            let src = &self.0[words..];
            let mut d = Vec::with_capacity(src.len());
            for i in 0..src.len() {
                let lo = src[i] >> bits;
                let hi = if bits > 0 { src.get(i + 1).map(|&h| h << (32 - bits)).unwrap_or(0) } else { 0 };
                d.push(lo | hi);
            }
            (Big(d).trim(), sticky)
        }
        fn cmp(&self, o: &Big) -> std::cmp::Ordering {
            let (a, b) = (self.bits(), o.bits());
            if a != b {
                return a.cmp(&b);
            }
            for i in (0..self.0.len().max(o.0.len())).rev() {
                let x = self.0.get(i).copied().unwrap_or(0);
                let y = o.0.get(i).copied().unwrap_or(0);
                if x != y {
                    return x.cmp(&y);
                }
            }
            std::cmp::Ordering::Equal
        }
        fn add(&self, o: &Big) -> Big {
            let n = self.0.len().max(o.0.len());
            let mut d = Vec::with_capacity(n + 1);
            let mut carry = 0u64;
            for i in 0..n {
                let v = self.0.get(i).copied().unwrap_or(0) as u64 + o.0.get(i).copied().unwrap_or(0) as u64 + carry;
                d.push(v as u32);
                carry = v >> 32;
            }
            if carry > 0 {
                d.push(carry as u32);
            }
            Big(d)
        }
        /// self - o, requires self >= o.
        fn sub(&self, o: &Big) -> Big {
            let mut d = Vec::with_capacity(self.0.len());
            let mut borrow = 0i64;
            for i in 0..self.0.len() {
                let v = self.0[i] as i64 - o.0.get(i).copied().unwrap_or(0) as i64 - borrow;
                if v < 0 {
                    d.push((v + (1 << 32)) as u32);
                    borrow = 1;
                } else {
                    d.push(v as u32);
                    borrow = 0;
                }
            }
            Big(d).trim()
        }
        /// (self / d, remainder != 0) by binary long division (quotients here are ~70 bits).
        fn div(&self, den: &Big) -> (Big, bool) {
            let mut q = Big(vec![0; self.0.len()]);
            let mut r = Big(vec![]);
            for i in (0..self.bits()).rev() {
                r = r.shl(1);
                if self.bit(i) {
                    r.add_small(1);
                }
                if r.cmp(den) != std::cmp::Ordering::Less {
                    r = r.sub(den);
                    q.0[i / 32] |= 1 << (i % 32);
                }
            }
            (q.trim(), !r.is_zero())
        }
        fn divmod_small(&mut self, d: u32) -> u32 {
            let mut rem = 0u64;
            for w in self.0.iter_mut().rev() {
                let v = (rem << 32) | *w as u64;
                *w = (v / d as u64) as u32;
                rem = v % d as u64;
            }
            rem as u32
        }
        fn to_decimal(&self) -> String {
            let mut n = self.clone().trim();
            if n.is_zero() {
                return "0".into();
            }
            let mut chunks = Vec::new();
            while !n.is_zero() {
                chunks.push(n.divmod_small(1_000_000_000));
                n = n.trim();
            }
            let mut s = chunks.last().unwrap().to_string();
            for c in chunks.iter().rev().skip(1) {
                s.push_str(&format!("{c:09}"));
            }
            s
        }
        fn to_u64(&self) -> u64 {
            self.0.first().copied().unwrap_or(0) as u64 | (self.0.get(1).copied().unwrap_or(0) as u64) << 32
        }
    }

    /// A finite long double: (-1)^neg × m × 2^e, m < 2^64 (m == 0 for zero).
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Ld {
        neg: bool,
        m: u64,
        e: i32,
    }

    /// Largest binary exponent of a long double (values must stay below 2^16384).
    const MAX_EXP: i64 = 16384;

    /// Rounds `n × 2^e` (plus a sticky bit below it) to a 64-bit mantissa, ties to even.
    /// None on overflow.
    fn round(neg: bool, n: &Big, e: i64, sticky: bool) -> Option<Ld> {
        let bits = n.bits();
        if bits == 0 {
            return Some(Ld { neg, m: 0, e: 0 });
        }
        let (mut m, mut e) = if bits <= 64 {
            (n.to_u64(), e)
        } else {
            let shift = bits - 64;
            let (q, _) = n.shr(shift);
            let half = n.bit(shift - 1);
            let (_, below) = n.shr(shift - 1);
            let below = below || sticky;
            let mut m = q.to_u64();
            let mut e = e + shift as i64;
            if half && (below || m & 1 == 1) {
                match m.checked_add(1) {
                    Some(v) => m = v,
                    None => {
                        m = 1 << 63;
                        e += 1;
                    }
                }
            }
            (m, e)
        };
        // Normalise so the exponent check is about the value's magnitude.
        while m & (1 << 63) == 0 {
            m <<= 1;
            e -= 1;
        }
        if e + 64 > MAX_EXP {
            return None;
        }
        if e < -20000 {
            return Some(Ld { neg, m: 0, e: 0 });
        }
        Some(Ld { neg, m, e: e as i32 })
    }

    /// Parses a plain decimal (`[-+]digits[.digits][e[-+]digits]`) like `strtold` would.
    /// None for other syntaxes (infinities, hex floats) or overflow.
    pub fn parse(s: &[u8]) -> Option<Ld> {
        let mut i = 0;
        let mut neg = false;
        if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
            neg = s[i] == b'-';
            i += 1;
        }
        let mut digits = Vec::new();
        let mut exp10: i64 = 0;
        let mut seen = false;
        while i < s.len() && s[i].is_ascii_digit() {
            digits.push(s[i] - b'0');
            i += 1;
            seen = true;
        }
        if i < s.len() && s[i] == b'.' {
            i += 1;
            while i < s.len() && s[i].is_ascii_digit() {
                digits.push(s[i] - b'0');
                exp10 -= 1;
                i += 1;
                seen = true;
            }
        }
        if !seen {
            return None;
        }
        if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
                eneg = s[i] == b'-';
                i += 1;
            }
            let start = i;
            let mut ev: i64 = 0;
            while i < s.len() && s[i].is_ascii_digit() {
                ev = (ev * 10 + (s[i] - b'0') as i64).min(1_000_000);
                i += 1;
            }
            if i == start {
                return None;
            }
            exp10 += if eneg { -ev } else { ev };
        }
        if i != s.len() {
            return None;
        }
        // Strip leading zeros; keep at most 60 significant digits (the rest only as sticky).
        let first = digits.iter().position(|&d| d != 0);
        let Some(first) = first else { return Some(Ld { neg, m: 0, e: 0 }) };
        let digits = &digits[first..];
        let keep = digits.len().min(60);
        let extra_sticky = digits[keep..].iter().any(|&d| d != 0);
        exp10 += (digits.len() - keep) as i64;
        let mut n = Big(vec![]);
        for &d in &digits[..keep] {
            n.mul_small(10);
            n.add_small(d as u32);
        }
        let magnitude = exp10 + keep as i64; // value < 10^magnitude
        if magnitude > 4940 {
            return None;
        }
        if magnitude < -4960 {
            return Some(Ld { neg, m: 0, e: 0 });
        }
        if exp10 >= 0 {
            let mut p = n;
            for _ in 0..exp10 {
                p.mul_small(10);
            }
            round(neg, &p, 0, extra_sticky)
        } else {
            let den = Big::pow10((-exp10) as usize);
            let s = (70 + den.bits()).saturating_sub(n.bits());
            let (q, rem) = n.shl(s).div(&den);
            round(neg, &q, -(s as i64), rem || extra_sticky)
        }
    }

    /// a + b rounded to a long double; None on overflow.
    pub fn add(a: Ld, b: Ld) -> Option<Ld> {
        if a.m == 0 {
            return Some(if b.m == 0 { Ld { neg: a.neg && b.neg, m: 0, e: 0 } } else { b });
        }
        if b.m == 0 {
            return Some(a);
        }
        let emin = a.e.min(b.e) as i64;
        let (da, db) = (a.e as i64 - emin, b.e as i64 - emin);
        if da > 200 || db > 200 {
            // The smaller one is far below half an ulp of the larger: no effect.
            return Some(if da > db { a } else { b });
        }
        let x = Big::from_u128(a.m as u128).shl(da as usize);
        let y = Big::from_u128(b.m as u128).shl(db as usize);
        if a.neg == b.neg {
            return round(a.neg, &x.add(&y), emin, false);
        }
        match x.cmp(&y) {
            std::cmp::Ordering::Equal => Some(Ld { neg: false, m: 0, e: 0 }),
            std::cmp::Ordering::Greater => round(a.neg, &x.sub(&y), emin, false),
            std::cmp::Ordering::Less => round(b.neg, &y.sub(&x), emin, false),
        }
    }

    /// `%.17Lf` with trailing zeros (and a trailing '.') removed, "-0" shown as "0".
    pub fn format_human(v: Ld) -> String {
        let mut p = Big::from_u128(v.m as u128);
        for _ in 0..17 {
            p.mul_small(10);
        }
        let q = if v.e >= 0 {
            p.shl(v.e as usize)
        } else {
            let shift = (-v.e) as usize;
            let (mut q, _) = p.shr(shift);
            let half = shift > 0 && p.bit(shift - 1);
            let (_, below) = if shift > 0 { p.shr(shift - 1) } else { (Big(vec![]), false) };
            if half && (below || q.bit(0)) {
                q.add_small(1);
            }
            q
        };
        let mut digits = q.to_decimal();
        if digits.len() < 18 {
            digits = format!("{}{}", "0".repeat(18 - digits.len()), digits);
        }
        let (int, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut s = String::new();
        if v.neg {
            s.push('-');
        }
        s.push_str(int);
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }

    /// The result of INCRBYFLOAT/HINCRBYFLOAT for plain decimal inputs: Some(None) when the
    /// result overflows, None when the inputs are not plain decimals.
    pub fn add_format(a: &[u8], b: &[u8]) -> Option<Option<String>> {
        let x = parse(a)?;
        let y = parse(b)?;
        Some(add(x, y).map(format_human))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn f(a: &str, b: &str) -> String {
            add_format(a.as_bytes(), b.as_bytes()).unwrap().unwrap()
        }

        #[test]
        fn matches_redis_long_double_output() {
            assert_eq!(f("10.50", "0.1"), "10.6");
            assert_eq!(f("0.1", "0.2"), "0.3");
            assert_eq!(f("5.0e3", "2.0e2"), "5200");
            assert_eq!(f("0", "-0.0"), "0");
            assert_eq!(f("10.6", "-5"), "5.6");
            assert_eq!(f("3", "1.5"), "4.5");
            assert_eq!(f("-1.5", "1.5"), "0");
            assert_eq!(f("0", "1e-20"), "0");
            assert_eq!(f("0", "1.23456789"), "1.23456789");
            assert_eq!(f("1.7976931348623157e308", "1.7976931348623157e308").len(), 309);
            assert!(add_format(b"1e4932", b"1e4932").unwrap().is_none());
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
