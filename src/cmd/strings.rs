//! String commands: GET, SET and friends, counters, ranges, LCS.

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::NO_EXPIRE;
use crate::resp::Reply;
use crate::types::Value;

/// Wraps a `Result<Reply, Reply>` implementation into a command handler.
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
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("string");
    t.add(c("get", 2, READONLY | FAST, get).keys(1, 1, 1).acl("@read @string @fast").doc("1.0.0", "Returns the string value of a key."));
    t.add(c("set", -3, WRITE | DENYOOM, set).keys(1, 1, 1).acl("@write @string @slow").doc("1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."));
    t.add(c("setnx", 3, WRITE | DENYOOM | FAST, setnx).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Set the string value of a key only when the key doesn't exist."));
    t.add(c("setex", 4, WRITE | DENYOOM, setex).keys(1, 1, 1).acl("@write @string @slow").doc("2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."));
    t.add(c("psetex", 4, WRITE | DENYOOM, setex).keys(1, 1, 1).acl("@write @string @slow").doc("2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."));
    t.add(c("getset", 3, WRITE | DENYOOM | FAST, getset).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Returns the previous string value of a key after setting it to a new value."));
    t.add(c("getdel", 2, WRITE | FAST, getdel).keys(1, 1, 1).acl("@write @string @fast").doc("6.2.0", "Returns the string value of a key after deleting the key."));
    t.add(c("getex", -2, WRITE | FAST, getex).keys(1, 1, 1).acl("@write @string @fast").doc("6.2.0", "Returns the string value of a key after setting its expiration time."));
    t.add(c("mget", -2, READONLY | FAST, mget).keys(1, -1, 1).acl("@read @string @fast").doc("1.0.0", "Atomically returns the string values of one or more keys."));
    t.add(c("mset", -3, WRITE | DENYOOM, mset).keys(1, -1, 2).acl("@write @string @slow").doc("1.0.1", "Atomically creates or modifies the string values of one or more keys."));
    t.add(c("msetnx", -3, WRITE | DENYOOM, mset).keys(1, -1, 2).acl("@write @string @slow").doc("1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist."));
    t.add(c("incr", 2, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."));
    t.add(c("decr", 2, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."));
    t.add(c("incrby", 3, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."));
    t.add(c("decrby", 3, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast").doc("1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."));
    t.add(c("incrbyfloat", 3, WRITE | DENYOOM | FAST, incrbyfloat).keys(1, 1, 1).acl("@write @string @fast").doc("2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."));
    t.add(c("append", 3, WRITE | DENYOOM | FAST, append).keys(1, 1, 1).acl("@write @string @fast").doc("2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist."));
    t.add(c("strlen", 2, READONLY | FAST, strlen).keys(1, 1, 1).acl("@read @string @fast").doc("2.2.0", "Returns the length of a string value."));
    t.add(c("getrange", 4, READONLY, getrange).keys(1, 1, 1).acl("@read @string @slow").doc("2.4.0", "Returns a substring of the string stored at a key."));
    t.add(c("substr", 4, READONLY, getrange).keys(1, 1, 1).acl("@read @string @slow").doc("1.0.0", "Returns a substring from a string value."));
    t.add(c("setrange", 4, WRITE | DENYOOM, setrange).keys(1, 1, 1).acl("@write @string @slow").doc("2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."));
    t.add(c("lcs", -3, READONLY, lcs).keys(1, 2, 1).acl("@read @string @slow").doc("7.0.0", "Finds the longest common substring."));
}

/// Reads a string value: Ok(None) when missing, Err(WRONGTYPE) for other types.
pub fn get_str<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c [u8]>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or_else(err::wrongtype),
    }
}

/// Reads a string value for a write command (no hit/miss statistics): Ok(None) when missing.
pub fn get_str_for_write(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(e) => e.value.as_str().map(|s| Some(s.to_vec())).ok_or_else(err::wrongtype),
    }
}

/// Checks that a string of `size + append` bytes is allowed (`proto-max-bulk-len`).
pub fn check_string_length(ctx: &Ctx, size: u64, append: u64) -> Result<(), Reply> {
    let total = size.checked_add(append);
    match total {
        Some(t) if t <= ctx.srv.config.proto_max_bulk_len as u64 => Ok(()),
        _ => Err(Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into())),
    }
}

/// Mutable access to an existing string value as a growable buffer (the value becomes `raw`,
/// as Redis's `dbUnshareStringValue` makes it). The caller has checked the type.
pub fn raw_string_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut Vec<u8>> {
    let e = ctx.lookup_write(key)?;
    let v = e.value_mut();
    if let Value::Str(s) = v {
        let bytes = s.to_vec();
        *v = Value::RawStr(bytes);
    }
    match v {
        Value::RawStr(b) => Some(b),
        _ => None,
    }
}

fn bulk_or_nil(v: Option<Bytes>) -> Reply {
    v.map(Reply::Bulk).unwrap_or(Reply::Nil)
}

/// GET key
fn get(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match get_str(ctx, &argv[1]) {
        Ok(Some(s)) => Reply::bulk_slice(s),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

const F_NX: u32 = 1;
const F_XX: u32 = 2;
const F_GET: u32 = 4;
const F_KEEPTTL: u32 = 8;
const F_PERSIST: u32 = 16;
const F_EX: u32 = 32;
const F_PX: u32 = 64;
const F_EXAT: u32 = 128;
const F_PXAT: u32 = 256;
const F_EXPIRES: u32 = F_EX | F_PX | F_EXAT | F_PXAT;

/// Parses the options of SET (`is_set`) or GETEX, exactly as Redis's
/// `parseExtendedStringArgumentsOrReply`: returns the flags and the index of the expire value.
fn parse_extended(argv: &[Bytes], start: usize, is_set: bool) -> Result<(u32, Option<usize>), Reply> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = start;
    while j < argv.len() {
        let a = &argv[j];
        let has_next = j + 1 < argv.len();
        if is_set && is(a, "nx") && flags & F_XX == 0 {
            flags |= F_NX;
        } else if is_set && is(a, "xx") && flags & F_NX == 0 {
            flags |= F_XX;
        } else if is_set && is(a, "get") {
            flags |= F_GET;
        } else if is_set && is(a, "keepttl") && flags & (F_PERSIST | F_EXPIRES) == 0 {
            flags |= F_KEEPTTL;
        } else if !is_set && is(a, "persist") && flags & (F_KEEPTTL | F_EXPIRES) == 0 {
            flags |= F_PERSIST;
        } else if has_next
            && flags & (F_KEEPTTL | F_PERSIST) == 0
            && [("ex", F_EX), ("px", F_PX), ("exat", F_EXAT), ("pxat", F_PXAT)]
                .iter()
                .any(|(n, f)| is(a, n) && flags & (F_EXPIRES & !f) == 0)
        {
            let f = if is(a, "ex") {
                F_EX
            } else if is(a, "px") {
                F_PX
            } else if is(a, "exat") {
                F_EXAT
            } else {
                F_PXAT
            };
            flags |= f;
            expire = Some(j + 1);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok((flags, expire))
}

/// Converts an expire argument to absolute ms, as Redis's `getExpireMillisecondsOrReply`.
fn expire_ms(ctx: &Ctx, arg: &[u8], flags: u32, cmd: &str) -> Result<i64, Reply> {
    let v = arg_i64(arg)?;
    let bad = || Reply::Error(format!("ERR invalid expire time in '{cmd}' command"));
    let seconds = flags & (F_EX | F_EXAT) != 0;
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(bad());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if flags & (F_EX | F_PX) != 0 {
        ms = ms.checked_add(ctx.now).ok_or_else(bad)?;
    }
    if ms <= 0 {
        return Err(bad());
    }
    Ok(ms)
}

/// The common part of SET/SETNX/SETEX/PSETEX (Redis's `setGenericCommand`). Returns `None`
/// when the NX/XX condition was not met.
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    key: &Bytes,
    val: &Bytes,
    expire: Option<&Bytes>,
    cmd: &str,
) -> Result<(bool, Option<Bytes>), Reply> {
    let when = match expire {
        Some(e) => Some(expire_ms(ctx, e, flags, cmd)?),
        None => None,
    };
    let mut old = None;
    if flags & F_GET != 0 {
        old = get_str(ctx, key)?.map(Bytes::copy_from_slice);
    }
    let found = ctx.exists(key);
    if (flags & F_NX != 0 && found) || (flags & F_XX != 0 && !found) {
        return Ok((false, old));
    }
    ctx.set_key(key, Value::from_bytes(val), flags & F_KEEPTTL != 0);
    ctx.notify(notify::STRING, "set", key);
    if let Some(ms) = when {
        ctx.set_expire(key, ms);
        if flags & F_PXAT == 0 {
            ctx.propagate_as(vec![vec![
                Bytes::from_static(b"SET"),
                key.clone(),
                val.clone(),
                Bytes::from_static(b"PXAT"),
                Bytes::from(ms.to_string()),
            ]]);
        }
        ctx.notify(notify::GENERIC, "expire", key);
    }
    Ok((true, old))
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
fn set_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let (flags, exp) = parse_extended(argv, 3, true)?;
    let (done, old) = set_generic(ctx, flags, &argv[1], &argv[2], exp.map(|i| &argv[i]), "set")?;
    Ok(if flags & F_GET != 0 {
        bulk_or_nil(old)
    } else if done {
        Reply::ok()
    } else {
        Reply::Nil
    })
}
handler!(set, set_impl);

/// SETNX key value
fn setnx_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let r = set_generic(ctx, F_NX, &argv[1], &argv[2], None, "setnx")?;
    Ok(Reply::Int(r.0 as i64))
}
handler!(setnx, setnx_impl);

/// SETEX key seconds value / PSETEX key milliseconds value
fn setex_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let (flags, name) = if is(&argv[0], "setex") { (F_EX, "setex") } else { (F_PX, "psetex") };
    set_generic(ctx, flags, &argv[1], &argv[3], Some(&argv[2]), name)?;
    Ok(Reply::ok())
}
handler!(setex, setex_impl);

/// GETSET key value
fn getset_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let old = get_str(ctx, &argv[1])?.map(Bytes::copy_from_slice);
    ctx.set_key(&argv[1], Value::from_bytes(&argv[2]), false);
    ctx.notify(notify::STRING, "set", &argv[1]);
    ctx.propagate_as(vec![vec![Bytes::from_static(b"SET"), argv[1].clone(), argv[2].clone()]]);
    Ok(bulk_or_nil(old))
}
handler!(getset, getset_impl);

/// GETDEL key
fn getdel_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let Some(old) = get_str(ctx, &argv[1])?.map(Bytes::copy_from_slice) else { return Ok(Reply::Nil) };
    if ctx.delete(&argv[1]) {
        ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), argv[1].clone()]]);
        ctx.notify(notify::GENERIC, "del", &argv[1]);
    }
    Ok(Reply::Bulk(old))
}
handler!(getdel, getdel_impl);

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
fn getex_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let (flags, exp) = parse_extended(argv, 2, false)?;
    let key = &argv[1];
    let Some(val) = get_str(ctx, key)?.map(Bytes::copy_from_slice) else { return Ok(Reply::Nil) };
    let when = match exp {
        Some(i) => Some(expire_ms(ctx, &argv[i], flags, "getex")?),
        None => None,
    };
    if let Some(ms) = when {
        if flags & (F_EXAT | F_PXAT) != 0 && ms <= ctx.now && !ctx.srv.loading {
            ctx.delete(key);
            ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
            ctx.notify(notify::GENERIC, "del", key);
        } else {
            ctx.set_expire(key, ms);
            if flags & F_PXAT == 0 {
                ctx.propagate_as(vec![vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(ms.to_string())]]);
            }
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "expire", key);
        }
    } else if flags & F_PERSIST != 0 {
        let has = ctx.srv.dbs[ctx.client.db].get(key).map(|e| e.expire_at != NO_EXPIRE).unwrap_or(false);
        if has {
            ctx.set_expire(key, NO_EXPIRE);
            ctx.propagate_as(vec![vec![Bytes::from_static(b"PERSIST"), key.clone()]]);
            ctx.modified(key);
            ctx.notify(notify::GENERIC, "persist", key);
        }
    }
    Ok(Reply::Bulk(val))
}
handler!(getex, getex_impl);

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut out = Vec::with_capacity(argv.len() - 1);
    for k in &argv[1..] {
        out.push(match ctx.lookup_read(k).and_then(|v| v.as_str()) {
            Some(s) => Reply::bulk_slice(s),
            None => Reply::Nil,
        });
    }
    Reply::Array(out)
}

/// MSET key value [key value ...] / MSETNX key value [key value ...]
fn mset(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let nx = is(&argv[0], "msetnx");
    if argv.len() % 2 == 0 {
        return err::wrong_args(if nx { "msetnx" } else { "mset" });
    }
    if nx {
        for pair in argv[1..].chunks(2) {
            if ctx.exists(&pair[0]) {
                return Reply::Int(0);
            }
        }
    }
    for pair in argv[1..].chunks(2) {
        ctx.set_key(&pair[0], Value::from_bytes(&pair[1]), false);
        ctx.notify(notify::STRING, "set", &pair[0]);
    }
    if nx {
        Reply::Int(1)
    } else {
        Reply::ok()
    }
}

/// INCR/DECR/INCRBY/DECRBY key [increment]
fn incr_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let name = &argv[0];
    let by = if argv.len() == 3 { arg_i64(&argv[2])? } else { 1 };
    let by = if is(name, "decrby") {
        by.checked_neg().ok_or_else(|| Reply::Error("ERR decrement would overflow".into()))?
    } else if is(name, "decr") {
        -1
    } else {
        by
    };
    let key = &argv[1];
    let cur = match get_str_for_write(ctx, key)? {
        Some(s) => crate::util::parse_i64(&s).ok_or_else(err::not_int)?,
        None => 0,
    };
    let new = cur.checked_add(by).ok_or_else(|| Reply::Error(err::OVERFLOW.into()))?;
    ctx.set_key(key, Value::from_int(new), true);
    ctx.notify(notify::STRING, "incrby", key);
    Ok(Reply::Int(new))
}
handler!(incr, incr_impl);

/// INCRBYFLOAT key increment
fn incrbyfloat_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let key = &argv[1];
    let cur = match get_str_for_write(ctx, key)? {
        Some(s) => crate::util::parse_f64(&s).ok_or_else(err::not_float)?,
        None => 0.0,
    };
    let by = crate::util::parse_f64(&argv[2]).ok_or_else(err::not_float)?;
    let new = cur + by;
    if new.is_nan() || new.is_infinite() {
        return Err(Reply::Error("ERR increment would produce NaN or Infinity".into()));
    }
    let text = Bytes::from(crate::util::fmt_double_human(new));
    ctx.set_key(key, Value::from_bytes(&text), true);
    ctx.notify(notify::STRING, "incrbyfloat", key);
    ctx.propagate_as(vec![vec![Bytes::from_static(b"SET"), key.clone(), text.clone(), Bytes::from_static(b"KEEPTTL")]]);
    Ok(Reply::Bulk(text))
}
handler!(incrbyfloat, incrbyfloat_impl);

/// APPEND key value
fn append_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let key = &argv[1];
    let total = match ctx.lookup_write(key) {
        None => {
            ctx.add_key(key, Value::from_bytes(&argv[2]));
            argv[2].len()
        }
        Some(e) => {
            let cur = e.value.as_str().ok_or_else(err::wrongtype)?.len();
            check_string_length(ctx, cur as u64, argv[2].len() as u64)?;
            let buf = raw_string_mut(ctx, key).ok_or_else(err::wrongtype)?;
            buf.extend_from_slice(&argv[2]);
            let n = buf.len();
            ctx.modified(key);
            n
        }
    };
    ctx.notify(notify::STRING, "append", key);
    Ok(Reply::Int(total as i64))
}
handler!(append, append_impl);

/// STRLEN key
fn strlen_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    Ok(Reply::Int(get_str(ctx, &argv[1])?.map(|s| s.len()).unwrap_or(0) as i64))
}
handler!(strlen, strlen_impl);

/// GETRANGE key start end / SUBSTR key start end
fn getrange_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let mut start = arg_i64(&argv[2])?;
    let mut end = arg_i64(&argv[3])?;
    let Some(s) = get_str(ctx, &argv[1])? else { return Ok(Reply::bulk_slice(b"")) };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::bulk_slice(b""));
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::bulk_slice(b""));
    }
    Ok(Reply::bulk_slice(&s[start as usize..=end as usize]))
}
handler!(getrange, getrange_impl);

/// SETRANGE key offset value
fn setrange_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let key = &argv[1];
    let offset = arg_i64(&argv[2])?;
    if offset < 0 {
        return Err(Reply::Error("ERR offset is out of range".into()));
    }
    let value = &argv[3];
    match ctx.lookup_write(key) {
        None => {
            if value.is_empty() {
                return Ok(Reply::Int(0));
            }
            check_string_length(ctx, offset as u64, value.len() as u64)?;
            ctx.add_key(key, Value::RawStr(Vec::new()));
        }
        Some(e) => {
            let cur = e.value.as_str().ok_or_else(err::wrongtype)?.len();
            if value.is_empty() {
                return Ok(Reply::Int(cur as i64));
            }
            check_string_length(ctx, offset as u64, value.len() as u64)?;
        }
    }
    let buf = raw_string_mut(ctx, key).ok_or_else(err::wrongtype)?;
    let off = offset as usize;
    let need = off + value.len();
    if buf.len() < need {
        buf.resize(need, 0);
    }
    buf[off..need].copy_from_slice(value);
    let n = buf.len();
    ctx.modified(key);
    ctx.notify(notify::STRING, "setrange", key);
    Ok(Reply::Int(n as i64))
}
handler!(setrange, setrange_impl);

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
fn lcs_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let mut strs: Vec<Vec<u8>> = Vec::with_capacity(2);
    for k in &argv[1..3] {
        match ctx.lookup_read(k) {
            None => strs.push(Vec::new()),
            Some(v) => match v.as_str() {
                Some(s) => strs.push(s.to_vec()),
                None => return Err(Reply::Error("ERR The specified keys must contain string values".into())),
            },
        }
    }
    let (mut getidx, mut getlen, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let a = &argv[j];
        let more = argv.len() - 1 - j;
        if is(a, "idx") {
            getidx = true;
        } else if is(a, "len") {
            getlen = true;
        } else if is(a, "withmatchlen") {
            withmatchlen = true;
        } else if is(a, "minmatchlen") && more > 0 {
            minmatchlen = arg_i64(&argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(Reply::Error("ERR If you want both the length and indexes, please just use IDX.".into()));
    }
    let (a, b) = (&strs[0], &strs[1]);
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(Reply::Error("ERR String too long for LCS".into()));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > ctx.srv.config.proto_max_bulk_len as u64 {
        return Err(Reply::Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into()));
    }
    let w = blen + 1;
    let mut dp = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            dp[i * w + jj] = if a[i - 1] == b[jj - 1] {
                dp[(i - 1) * w + jj - 1] + 1
            } else {
                dp[(i - 1) * w + jj].max(dp[i * w + jj - 1])
            };
        }
    }
    let total = dp[alen * w + blen];
    if getlen {
        return Ok(Reply::Int(total as i64));
    }
    let mut result = vec![0u8; total as usize];
    let mut matches = Vec::new();
    let (mut i, mut jj) = (alen, blen);
    let mut idx = total as usize;
    // Current range (a_start, a_end, b_start, b_end); a_start == alen means "none".
    let (mut as_, mut ae, mut bs, mut be) = (alen, 0usize, 0usize, 0usize);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if as_ == alen {
                as_ = i - 1;
                ae = i - 1;
                bs = jj - 1;
                be = jj - 1;
            } else if as_ == i && bs == jj {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if dp[(i - 1) * w + jj] > dp[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if as_ != alen {
                emit = true;
            }
        }
        if emit {
            let mlen = ae - as_ + 1;
            if getidx && (minmatchlen == 0 || mlen as i64 >= minmatchlen) {
                let mut m = vec![
                    Reply::Array(vec![Reply::Int(as_ as i64), Reply::Int(ae as i64)]),
                    Reply::Array(vec![Reply::Int(bs as i64), Reply::Int(be as i64)]),
                ];
                if withmatchlen {
                    m.push(Reply::Int(mlen as i64));
                }
                matches.push(Reply::Array(m));
            }
            as_ = alen;
        }
    }
    if getidx {
        return Ok(Reply::Map(vec![
            (Reply::bulk_str("matches"), Reply::Array(matches)),
            (Reply::bulk_str("len"), Reply::Int(total as i64)),
        ]));
    }
    Ok(Reply::Bulk(Bytes::from(result)))
}
handler!(lcs, lcs_impl);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::client::Client;
    use crate::config::Config;
    use crate::server::Server;

    /// A server and a client to run command handlers directly and inspect their effects.
    pub struct Fx {
        pub srv: Server,
        pub client: Client,
    }

    impl Fx {
        pub fn new() -> Fx {
            Fx { srv: Server::new(Config::load(None, &[]).unwrap()), client: Client::detached(1) }
        }
        /// Runs a command; returns its reply and what it asked to log instead of itself.
        pub fn run(&mut self, args: &[&str]) -> (Reply, Option<Vec<Vec<String>>>, u64) {
            let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
            let spec = crate::cmd::COMMANDS.get(&argv[0]).expect("command");
            let mut ctx = Ctx {
                srv: &mut self.srv,
                client: &mut self.client,
                now: crate::util::now_ms(),
                fx: Default::default(),
                argv: &argv,
                no_block: true,
            };
            let r = (spec.handler)(&mut ctx, &argv);
            let rep = ctx.fx.replaced.take().map(|cmds| {
                cmds.into_iter().map(|c| c.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect()).collect()
            });
            (r, rep, ctx.fx.dirty)
        }
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn set_relative_expiry_propagates_as_pxat() {
        let mut f = Fx::new();
        let (r, rep, _) = f.run(&["SET", "k", "v", "EX", "100", "GET"]);
        assert_eq!(r, Reply::Nil);
        let rep = rep.unwrap();
        assert_eq!(rep[0][..4], strs(&["SET", "k", "v", "PXAT"])[..]);
        let at: i64 = rep[0][4].parse().unwrap();
        assert!((at - crate::util::now_ms() - 100_000).abs() < 5000);
        let (_, rep, _) = f.run(&["SET", "k", "v", "PXAT", "99999999999999"]);
        assert!(rep.is_none());
        let (_, rep, _) = f.run(&["SETEX", "k", "10", "v"]);
        assert_eq!(rep.unwrap()[0][3], "PXAT");
        let (_, rep, dirty) = f.run(&["SET", "k", "v", "NX", "EX", "10"]);
        assert!(rep.is_none());
        assert_eq!(dirty, 0);
    }

    #[test]
    fn getex_getdel_getset_incrbyfloat_propagation() {
        let mut f = Fx::new();
        f.run(&["SET", "k", "v"]);
        let (_, rep, _) = f.run(&["GETEX", "k", "EX", "100"]);
        assert_eq!(rep.unwrap()[0][0], "PEXPIREAT");
        let (_, rep, _) = f.run(&["GETEX", "k", "PERSIST"]);
        assert_eq!(rep.unwrap(), vec![strs(&["PERSIST", "k"])]);
        let (_, rep, dirty) = f.run(&["GETEX", "k", "PERSIST"]);
        assert!(rep.is_none());
        assert_eq!(dirty, 0);
        let (_, rep, dirty) = f.run(&["GETEX", "k"]);
        assert!(rep.is_none());
        assert_eq!(dirty, 0);
        let (r, rep, _) = f.run(&["GETEX", "k", "EXAT", "1"]);
        assert_eq!(r, Reply::bulk_slice(b"v"));
        assert_eq!(rep.unwrap(), vec![strs(&["DEL", "k"])]);
        f.run(&["SET", "k", "v"]);
        let (_, rep, _) = f.run(&["GETDEL", "k"]);
        assert_eq!(rep.unwrap(), vec![strs(&["DEL", "k"])]);
        let (_, rep, _) = f.run(&["GETSET", "k", "x"]);
        assert_eq!(rep.unwrap(), vec![strs(&["SET", "k", "x"])]);
        let (r, rep, _) = f.run(&["INCRBYFLOAT", "f", "1.5"]);
        assert_eq!(r, Reply::bulk_slice(b"1.5"));
        assert_eq!(rep.unwrap(), vec![strs(&["SET", "f", "1.5", "KEEPTTL"])]);
    }

    #[test]
    fn setrange_and_append_bounds() {
        let mut f = Fx::new();
        f.srv.config.proto_max_bulk_len = 100;
        let (r, _, _) = f.run(&["SETRANGE", "k", "99", "ab"]);
        assert_eq!(r, Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into()));
        let (r, _, _) = f.run(&["SETRANGE", "k", "98", "ab"]);
        assert_eq!(r, Reply::Int(100));
        let (r, _, _) = f.run(&["APPEND", "k", "x"]);
        assert_eq!(r, Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into()));
        let (r, _, _) = f.run(&["SETBIT", "b", "800", "1"]);
        assert_eq!(r, Reply::Error("ERR bit offset is not an integer or out of range".into()));
        let (r, _, _) = f.run(&["SETBIT", "b", "799", "1"]);
        assert_eq!(r, Reply::Int(0));
        let (r, _, _) = f.run(&["LCS", "k", "k"]);
        assert_eq!(r, Reply::Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into()));
    }
}
