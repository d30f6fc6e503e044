//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO. Bit 0 is the most significant bit of the first byte, as in Redis.

use bytes::Bytes;

use super::strings::raw_string_mut;
use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
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
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("bitmap");
    t.add(c("setbit", 4, WRITE | DENYOOM, setbit).keys(1, 1, 1).acl("@write @bitmap @slow").doc("2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist."));
    t.add(c("getbit", 3, READONLY | FAST, getbit).keys(1, 1, 1).acl("@read @bitmap @fast").doc("2.2.0", "Returns a bit value by offset."));
    t.add(c("bitcount", -2, READONLY, bitcount).keys(1, 1, 1).acl("@read @bitmap @slow").doc("2.6.0", "Counts the number of set bits (population counting) in a string."));
    t.add(c("bitpos", -3, READONLY, bitpos).keys(1, 1, 1).acl("@read @bitmap @slow").doc("2.8.7", "Finds the first set (1) or clear (0) bit in a string."));
    t.add(c("bitop", -4, WRITE | DENYOOM, bitop).keys(2, -1, 1).acl("@write @bitmap @slow").doc("2.6.0", "Performs bitwise operations on multiple strings, and stores the result."));
    t.add(c("bitfield", -2, WRITE | DENYOOM, bitfield).keys(1, 1, 1).acl("@write @bitmap @slow").doc("3.2.0", "Performs arbitrary bitfield integer operations on strings."));
    t.add(c("bitfield_ro", -2, READONLY | FAST, bitfield).keys(1, 1, 1).acl("@read @bitmap @fast").doc("6.0.0", "Performs arbitrary read-only bitfield integer operations on strings."));
}

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// Parses a bit offset (`#n` means n*bits when `hash_bits` > 0), bounded by proto-max-bulk-len.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: u32) -> Result<u64, Reply> {
    let bad = || Reply::Error(BIT_OFFSET_ERR.into());
    let usehash = hash_bits > 0 && arg.first() == Some(&b'#');
    let digits = if usehash { &arg[1..] } else { arg };
    let mut off = crate::util::parse_i64(digits).ok_or_else(bad)?;
    if usehash {
        off = off.checked_mul(hash_bits as i64).ok_or_else(bad)?;
    }
    if off < 0 || (off >> 3) as u64 >= ctx.srv.config.proto_max_bulk_len as u64 {
        return Err(bad());
    }
    Ok(off as u64)
}

fn get_bit(s: &[u8], bit: u64) -> bool {
    let byte = (bit >> 3) as usize;
    byte < s.len() && s[byte] & (0x80 >> (bit & 7)) != 0
}

fn set_bit(s: &mut [u8], bit: u64, on: bool) {
    let byte = (bit >> 3) as usize;
    let mask = 0x80 >> (bit & 7);
    if on {
        s[byte] |= mask;
    } else {
        s[byte] &= !mask;
    }
}

/// Looks a string up for a bit write, creating it or growing it (zero padded) to hold bit
/// `maxbit` (Redis's `lookupStringForBitCommand`). Returns whether the key was created or grew.
fn string_for_bit_write(ctx: &mut Ctx, key: &[u8], maxbit: u64) -> Result<bool, Reply> {
    let need = (maxbit >> 3) as usize + 1;
    match ctx.lookup_write(key) {
        None => {
            ctx.add_key(key, Value::RawStr(vec![0u8; need].into()));
            Ok(true)
        }
        Some(e) => {
            if e.value.as_str().is_none() {
                return Err(err::wrongtype());
            }
            let buf = raw_string_mut(ctx, key).ok_or_else(err::wrongtype)?;
            if buf.len() < need {
                buf.resize(need, 0);
                Ok(true)
            } else {
                Ok(false)
            }
        }
    }
}

/// SETBIT key offset value
fn setbit_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let off = bit_offset(ctx, &argv[2], 0)?;
    let bad = || Reply::Error("ERR bit is not an integer or out of range".into());
    let on = crate::util::parse_i64(&argv[3]).ok_or_else(bad)?;
    if on & !1 != 0 {
        return Err(bad());
    }
    let key = &argv[1];
    // Creating the key already signalled it (and counted one change, as Redis's server.dirty++).
    let dirty_before = ctx.fx.dirty;
    let grew = string_for_bit_write(ctx, key, off)?;
    let created = ctx.fx.dirty > dirty_before;
    let buf = raw_string_mut(ctx, key).ok_or_else(err::wrongtype)?;
    let old = get_bit(buf, off);
    if grew || old != (on == 1) {
        set_bit(buf, off, on == 1);
        if !created {
            ctx.modified(key);
        }
        ctx.notify(notify::STRING, "setbit", key);
    }
    Ok(Reply::Int(old as i64))
}
handler!(setbit, setbit_impl);

/// GETBIT key offset
fn getbit_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let off = bit_offset(ctx, &argv[2], 0)?;
    let s = super::strings::get_str(ctx, &argv[1])?.unwrap_or(b"");
    Ok(Reply::Int(get_bit(s, off) as i64))
}
handler!(getbit, getbit_impl);

fn popcount(s: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        n += u64::from_ne_bytes(c.try_into().unwrap_or([0; 8])).count_ones() as u64;
    }
    n + chunks.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>()
}

/// Parses BYTE|BIT.
fn range_unit(a: &[u8]) -> Result<bool, Reply> {
    if is(a, "bit") {
        Ok(true)
    } else if is(a, "byte") {
        Ok(false)
    } else {
        Err(err::syntax())
    }
}

/// Resolves a (possibly negative) start/end range over `total` units as Redis does.
/// Returns None for an empty range.
fn resolve_range(mut start: i64, mut end: i64, total: i64) -> Option<(i64, i64)> {
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start <= end).then_some((start, end))
}

/// BITCOUNT key [start end [BYTE | BIT]]
fn bitcount_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let mut range = None;
    match argv.len() {
        2 => {}
        4 | 5 => {
            let start = arg_i64(&argv[2])?;
            let end = arg_i64(&argv[3])?;
            let isbit = if argv.len() == 5 { range_unit(&argv[4])? } else { false };
            range = Some((start, end, isbit));
        }
        _ => return Err(err::syntax()),
    }
    let Some(s) = super::strings::get_str(ctx, &argv[1])? else { return Ok(Reply::Int(0)) };
    let Some((start, end, isbit)) = range else { return Ok(Reply::Int(popcount(s) as i64)) };
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::Int(0));
    }
    let len = s.len() as i64;
    let total = if isbit { len * 8 } else { len };
    let Some((a, b)) = resolve_range(start, end, total) else { return Ok(Reply::Int(0)) };
    if !isbit {
        return Ok(Reply::Int(popcount(&s[a as usize..=b as usize]) as i64));
    }
    let (fa, fb) = ((a >> 3) as usize, (b >> 3) as usize);
    let mut n = popcount(&s[fa..=fb]) as i64;
    // Remove the bits of the edge bytes outside the range.
    let first_mask = !((1u16 << (8 - (a & 7))) - 1) as u8;
    let last_mask = ((1u16 << (7 - (b & 7))) - 1) as u8;
    n -= (s[fa] & first_mask).count_ones() as i64;
    n -= (s[fb] & last_mask).count_ones() as i64;
    Ok(Reply::Int(n))
}
handler!(bitcount, bitcount_impl);

/// BITPOS key bit [start [end [BYTE | BIT]]]
fn bitpos_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let bit = arg_i64(&argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(Reply::Error("ERR The bit argument must be 1 or 0.".into()));
    }
    let (mut start, mut end, mut isbit, mut end_given) = (0i64, -1i64, false, false);
    match argv.len() {
        3 => {}
        4..=6 => {
            start = arg_i64(&argv[3])?;
            if argv.len() == 6 {
                isbit = range_unit(&argv[5])?;
            }
            if argv.len() >= 5 {
                end = arg_i64(&argv[4])?;
                end_given = true;
            }
        }
        _ => return Err(err::syntax()),
    }
    let Some(s) = super::strings::get_str(ctx, &argv[1])? else {
        return Ok(Reply::Int(if bit == 1 { -1 } else { 0 }));
    };
    let len = s.len() as i64;
    let total = if isbit { len * 8 } else { len };
    if !end_given {
        end = total - 1;
    }
    let Some((a, b)) = resolve_range(start, end, total) else { return Ok(Reply::Int(-1)) };
    let (first, last) = if isbit { (a as u64, b as u64) } else { (a as u64 * 8, b as u64 * 8 + 7) };
    let want = bit == 1;
    let skip = if want { 0u8 } else { 0xff };
    let mut pos = first;
    while pos <= last {
        if pos & 7 == 0 && pos + 7 <= last && s[(pos >> 3) as usize] == skip {
            pos += 8;
            continue;
        }
        if get_bit(s, pos) == want {
            return Ok(Reply::Int(pos as i64));
        }
        pos += 1;
    }
    if want || end_given {
        return Ok(Reply::Int(-1));
    }
    // Looking for a clear bit with no explicit end: the string is zero padded on the right.
    Ok(Reply::Int(last as i64 + 1))
}
handler!(bitpos, bitpos_impl);

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
fn bitop_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = if is(&argv[1], "and") {
        Op::And
    } else if is(&argv[1], "or") {
        Op::Or
    } else if is(&argv[1], "xor") {
        Op::Xor
    } else if is(&argv[1], "not") {
        Op::Not
    } else {
        return Err(err::syntax());
    };
    if op == Op::Not && argv.len() != 4 {
        return Err(Reply::Error("ERR BITOP NOT must be called with a single source key.".into()));
    }
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(argv.len() - 3);
    for k in &argv[3..] {
        srcs.push(super::strings::get_str(ctx, k)?.map(|s| s.to_vec()).unwrap_or_default());
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let dest = &argv[2];
    if maxlen == 0 {
        if ctx.delete(dest) {
            ctx.notify(notify::GENERIC, "del", dest);
        }
        return Ok(Reply::Int(0));
    }
    let at = |s: &Vec<u8>, i: usize| s.get(i).copied().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    for (i, out) in res.iter_mut().enumerate() {
        let mut v = at(&srcs[0], i);
        if op == Op::Not {
            v = !v;
        }
        for s in &srcs[1..] {
            let b = at(s, i);
            match op {
                Op::And => v &= b,
                Op::Or => v |= b,
                Op::Xor => v ^= b,
                Op::Not => {}
            }
        }
        *out = v;
    }
    ctx.set_key(dest, Value::RawStr(res.into()), false);
    ctx.notify(notify::STRING, "set", dest);
    Ok(Reply::Int(maxlen as i64))
}
handler!(bitop, bitop_impl);

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incrby,
}

struct BitfieldOp {
    op: FieldOp,
    offset: u64,
    value: i64,
    signed: bool,
    bits: u32,
    overflow: Overflow,
}

fn field_type(a: &[u8]) -> Result<(bool, u32), Reply> {
    let bad = || Reply::Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.".into());
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let bits = crate::util::parse_i64(&a[1..]).ok_or_else(bad)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(bad());
    }
    Ok((signed, bits as u32))
}

fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        v = (v << 1) | get_bit(s, offset + j) as u64;
    }
    v
}

fn set_field(s: &mut [u8], offset: u64, bits: u32, v: u64) {
    for j in 0..bits as u64 {
        set_bit(s, offset + j, v & (1u64 << (bits as u64 - 1 - j)) != 0);
    }
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 64 {
        v as i64
    } else if v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Applies `value + incr` to a field of `bits`; returns (overflowed, result to store).
fn field_add(value: i128, incr: i128, signed: bool, bits: u32, ow: Overflow) -> (bool, i128) {
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let sum = value + incr;
    if sum >= min && sum <= max {
        return (false, sum);
    }
    let r = match ow {
        Overflow::Sat => {
            if sum > max {
                max
            } else {
                min
            }
        }
        _ => {
            let low = (sum as u128 as u64) & if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
            if signed {
                sign_extend(low, bits) as i128
            } else {
                low as i128
            }
        }
    };
    (true, r)
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
/// [OVERFLOW WRAP|SAT|FAIL] INCRBY type offset increment ...] / BITFIELD_RO key [GET type offset ...]
fn bitfield_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let ro_cmd = is(&argv[0], "bitfield_ro");
    let mut ops: Vec<BitfieldOp> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest: u64 = 0;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let a = &argv[j];
        let op = if is(a, "get") && rem >= 2 {
            FieldOp::Get
        } else if is(a, "set") && rem >= 3 {
            FieldOp::Set
        } else if is(a, "incrby") && rem >= 3 {
            FieldOp::Incrby
        } else if is(a, "overflow") && rem >= 1 {
            let t = &argv[j + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(Reply::Error("ERR Invalid OVERFLOW type specified".into()));
            };
            j += 2;
            continue;
        } else {
            return Err(err::syntax());
        };
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(ctx, &argv[j + 2], bits)?;
        let mut value = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest = highest.max(offset + bits as u64 - 1);
            value = arg_i64(&argv[j + 3])?;
        }
        ops.push(BitfieldOp { op, offset, value, signed, bits, overflow });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    let key = &argv[1];
    let mut grew = false;
    let mut created = false;
    if readonly {
        super::strings::get_str(ctx, key)?;
    } else {
        if ro_cmd {
            return Err(Reply::Error("ERR BITFIELD_RO only supports the GET subcommand".into()));
        }
        let dirty_before = ctx.fx.dirty;
        grew = string_for_bit_write(ctx, key, highest)?;
        created = ctx.fx.dirty > dirty_before;
    }
    let mut out = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for op in &ops {
        if op.op == FieldOp::Get {
            let s = ctx.db().get(key).and_then(|e| e.value.as_str()).unwrap_or(b"");
            let raw = get_field(s, op.offset, op.bits);
            out.push(Reply::Int(if op.signed { sign_extend(raw, op.bits) } else { raw as i64 }));
            continue;
        }
        let buf = raw_string_mut(ctx, key).ok_or_else(err::wrongtype)?;
        let raw = get_field(buf, op.offset, op.bits);
        let old: i128 = if op.signed { sign_extend(raw, op.bits) as i128 } else { raw as i128 };
        let (overflowed, newval, ret) = if op.op == FieldOp::Incrby {
            let (o, n) = field_add(old, op.value as i128, op.signed, op.bits, op.overflow);
            (o, n, n)
        } else {
            // SET: unsigned types see the value as its two's complement u64, as Redis does.
            let v: i128 = if op.signed { op.value as i128 } else { op.value as u64 as i128 };
            let (o, n) = field_add(v, 0, op.signed, op.bits, op.overflow);
            (o, n, old)
        };
        if overflowed && op.overflow == Overflow::Fail {
            out.push(Reply::Nil);
            continue;
        }
        set_field(buf, op.offset, op.bits, newval as u64);
        out.push(Reply::Int(ret as i64));
        if grew || old != newval {
            changes += 1;
        }
    }
    if changes > 0 {
        // Redis counts one change per field written (server.dirty += changes); creating the
        // key already signalled it and counted one.
        if !created {
            ctx.modified(key);
        }
        ctx.fx.dirty += changes - 1;
        ctx.notify(notify::STRING, "setbit", key);
    }
    Ok(Reply::Array(out))
}
handler!(bitfield, bitfield_impl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_roundtrip_and_overflow() {
        let mut s = vec![0u8; 4];
        set_field(&mut s, 3, 5, 0b10110);
        assert_eq!(get_field(&s, 3, 5), 0b10110);
        assert_eq!(sign_extend(0b10110, 5), -10);
        assert_eq!(field_add(100, 100, false, 8, Overflow::Wrap), (false, 200));
        assert_eq!(field_add(200, 100, false, 8, Overflow::Wrap), (true, 44));
        assert_eq!(field_add(100, 100, true, 8, Overflow::Wrap), (true, -56));
        assert_eq!(field_add(100, 100, true, 8, Overflow::Sat), (true, 127));
        assert_eq!(field_add(-100, -100, true, 8, Overflow::Sat), (true, -128));
        assert_eq!(field_add(0, -1, false, 8, Overflow::Wrap), (true, 255));
        assert_eq!(field_add(i64::MAX as i128, 1, true, 64, Overflow::Wrap), (true, i64::MIN as i128));
    }
}
