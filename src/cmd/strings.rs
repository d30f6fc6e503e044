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
        *v = Value::RawStr(bytes.into());
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
    // Only NX/XX need to know beforehand (set_key expires a stale key itself).
    if flags & (F_NX | F_XX) != 0 {
        let found = ctx.exists(key);
        if (flags & F_NX != 0 && found) || (flags & F_XX != 0 && !found) {
            return Ok((false, old));
        }
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
    let overflow = || Reply::Error(err::OVERFLOW.into());
    let new = match ctx.lookup_write(key) {
        // In place: the lookup already counted the access, the expiry stays.
        Some(e) => {
            let cur = crate::util::parse_i64(e.value.as_str().ok_or_else(err::wrongtype)?).ok_or_else(err::not_int)?;
            let new = cur.checked_add(by).ok_or_else(overflow)?;
            e.value = Value::from_int(new);
            ctx.modified(key);
            new
        }
        None => {
            ctx.set_key(key, Value::from_int(by), true);
            by
        }
    };
    ctx.notify(notify::STRING, "incrby", key);
    Ok(Reply::Int(new))
}
handler!(incr, incr_impl);

/// INCRBYFLOAT key increment (in emulated `long double`, as Redis computes it)
fn incrbyfloat_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let key = &argv[1];
    let cur = match get_str_for_write(ctx, key)? {
        Some(s) => ld::parse(&s).ok_or_else(err::not_float)?,
        None => ld::Ext::Zero(false),
    };
    let by = ld::parse(&argv[2]).ok_or_else(err::not_float)?;
    let new = match ld::add(cur, by) {
        Some(v) if !ld::is_inf(&v) => v,
        _ => return Err(Reply::Error("ERR increment would produce NaN or Infinity".into())),
    };
    let text = Bytes::from(ld::format(&new));
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
            ctx.add_key(key, Value::RawStr(Vec::new().into()));
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

/// Redis computes INCRBYFLOAT in C `long double` (x87 80-bit extended: 64-bit significand) and
/// prints the result with `%.17Lf`, trailing zeros removed. This module emulates exactly that
/// with exact big-integer arithmetic, so replies match Redis digit for digit.
pub(crate) mod ld {
    use std::cmp::Ordering;

    /// Unsigned big integer, little-endian 32-bit limbs, no leading zero limbs.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u64(v: u64) -> Big {
            let mut b = Big(vec![v as u32, (v >> 32) as u32]);
            b.trim();
            b
        }
        fn trim(&mut self) {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
        }
        fn is_zero(&self) -> bool {
            self.0.is_empty()
        }
        fn bits(&self) -> u64 {
            match self.0.last() {
                None => 0,
                Some(&top) => (self.0.len() as u64 - 1) * 32 + (32 - top.leading_zeros() as u64),
            }
        }
        fn mul_small(&mut self, m: u32) {
            let mut carry = 0u64;
            for l in self.0.iter_mut() {
                let v = *l as u64 * m as u64 + carry;
                *l = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        fn add_small(&mut self, a: u32) {
            let mut carry = a as u64;
            for l in self.0.iter_mut() {
                if carry == 0 {
                    break;
                }
                let v = *l as u64 + carry;
                *l = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        /// Divides in place; returns the remainder.
        fn div_small(&mut self, d: u32) -> u32 {
            let mut rem = 0u64;
            for l in self.0.iter_mut().rev() {
                let v = (rem << 32) | *l as u64;
                *l = (v / d as u64) as u32;
                rem = v % d as u64;
            }
            self.trim();
            rem as u32
        }
        fn mul_pow10(&mut self, mut k: u64) {
            while k >= 9 {
                self.mul_small(1_000_000_000);
                k -= 9;
            }
            self.mul_small(10u32.pow(k as u32));
        }
        fn shl(&self, n: u64) -> Big {
            if self.is_zero() {
                return Big(Vec::new());
            }
            let bits = (n % 32) as u32;
            let mut out = vec![0u32; (n / 32) as usize];
            let mut carry = 0u32;
            for &l in &self.0 {
                if bits == 0 {
                    out.push(l);
                } else {
                    out.push((l << bits) | carry);
                    carry = l >> (32 - bits);
                }
            }
            if carry != 0 {
                out.push(carry);
            }
            Big(out)
        }
        fn shr(&self, n: u64) -> Big {
            let limbs = (n / 32) as usize;
            if limbs >= self.0.len() {
                return Big(Vec::new());
            }
            let bits = (n % 32) as u32;
            let src = &self.0[limbs..];
            let mut out = Vec::with_capacity(src.len());
            for i in 0..src.len() {
                let hi = if bits > 0 && i + 1 < src.len() { src[i + 1] << (32 - bits) } else { 0 };
                out.push((src[i] >> bits) | hi);
            }
            let mut b = Big(out);
            b.trim();
            b
        }
        fn bit(&self, i: u64) -> bool {
            let li = (i / 32) as usize;
            li < self.0.len() && (self.0[li] >> (i % 32)) & 1 == 1
        }
        /// Whether any bit below position `n` is set.
        fn any_below(&self, n: u64) -> bool {
            let full = ((n / 32) as usize).min(self.0.len());
            if self.0[..full].iter().any(|&l| l != 0) {
                return true;
            }
            let rem = n % 32;
            rem > 0 && full < self.0.len() && self.0[full] & ((1u32 << rem) - 1) != 0
        }
        fn low_u64(&self) -> u64 {
            self.0.first().copied().unwrap_or(0) as u64 | (self.0.get(1).copied().unwrap_or(0) as u64) << 32
        }
        fn cmp(&self, o: &Big) -> Ordering {
            self.0.len().cmp(&o.0.len()).then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
        }
        fn add(&self, o: &Big) -> Big {
            let n = self.0.len().max(o.0.len());
            let mut out = Vec::with_capacity(n + 1);
            let mut carry = 0u64;
            for i in 0..n {
                let v = self.0.get(i).copied().unwrap_or(0) as u64 + o.0.get(i).copied().unwrap_or(0) as u64 + carry;
                out.push(v as u32);
                carry = v >> 32;
            }
            if carry > 0 {
                out.push(carry as u32);
            }
            Big(out)
        }
        /// self - o, requires self >= o.
        fn sub(&self, o: &Big) -> Big {
            let mut out = Vec::with_capacity(self.0.len());
            let mut borrow = 0i64;
            for i in 0..self.0.len() {
                let mut v = self.0[i] as i64 - o.0.get(i).copied().unwrap_or(0) as i64 - borrow;
                borrow = 0;
                if v < 0 {
                    v += 1 << 32;
                    borrow = 1;
                }
                out.push(v as u32);
            }
            let mut b = Big(out);
            b.trim();
            b
        }
        fn to_decimal(&self) -> String {
            if self.is_zero() {
                return "0".into();
            }
            let mut x = self.clone();
            let mut chunks = Vec::new();
            while !x.is_zero() {
                chunks.push(x.div_small(1_000_000_000));
            }
            let mut s = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
            for c in chunks.iter().rev() {
                s.push_str(&format!("{c:09}"));
            }
            s
        }
    }

    /// An x87 extended value: m * 2^e with the top bit of m set.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum Ext {
        Zero(bool),
        Fin { neg: bool, m: u64, e: i64 },
        Inf(bool),
    }

    const MAX_EXP: i64 = 16384; // values are below 2^16384
    /// Exponent of the denormals (and of the smallest normal, 2^63 * 2^-16445 = 2^-16382).
    const DENORM_EXP: i64 = -16445;

    /// Rounds n * 2^e (n may have dropped nonzero bits below it: `sticky`) to 64 bits, half to even.
    fn round(neg: bool, n: &Big, e: i64, sticky: bool) -> Ext {
        let bl = n.bits();
        if bl == 0 {
            return Ext::Zero(neg);
        }
        // Right shift that leaves 64 significant bits; below the normal range the exponent is
        // pinned to that of the denormals (fewer significant bits).
        let mut sh = bl as i64 - 64;
        if e + sh < DENORM_EXP {
            sh = DENORM_EXP - e;
        }
        let (m, e2) = if sh <= 0 {
            (n.low_u64() << (-sh) as u32, e + sh)
        } else {
            let sh = sh as u64;
            let mut m = n.shr(sh).low_u64();
            let mut e2 = e + sh as i64;
            let half = n.bit(sh - 1);
            let rest = sticky || n.any_below(sh - 1);
            if half && (rest || m & 1 == 1) {
                m = m.wrapping_add(1);
                if m == 0 {
                    m = 1 << 63;
                    e2 += 1;
                }
            }
            (m, e2)
        };
        if m == 0 {
            Ext::Zero(neg)
        } else if e2 + 64 > MAX_EXP {
            Ext::Inf(neg)
        } else {
            Ext::Fin { neg, m, e: e2 }
        }
    }

    /// Parses like Redis's `string2ld` (strtold; no leading space, no trailing garbage, no NaN,
    /// no overflow or underflow to zero, shorter than 5 KiB).
    pub fn parse(s: &[u8]) -> Option<Ext> {
        if s.is_empty() || s.len() >= 5 * 1024 || s[0].is_ascii_whitespace() {
            return None;
        }
        let t = std::str::from_utf8(s).ok()?.to_ascii_lowercase();
        let (neg, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, &t[..]),
        };
        if body == "inf" || body == "infinity" {
            return Some(Ext::Inf(neg));
        }
        if body.starts_with("0x") {
            return parse_hex(neg, &body.as_bytes()[2..]);
        }
        let b = body.as_bytes();
        let mut i = 0;
        let mut d = Big(Vec::new());
        let mut ndigits: i64 = 0; // significant digits accumulated
        let mut exp10: i64 = 0;
        let mut any = false;
        while i < b.len() && b[i].is_ascii_digit() {
            any = true;
            if !(d.is_zero() && b[i] == b'0') {
                d.mul_small(10);
                d.add_small((b[i] - b'0') as u32);
                ndigits += 1;
            }
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                any = true;
                if !(d.is_zero() && b[i] == b'0') {
                    d.mul_small(10);
                    d.add_small((b[i] - b'0') as u32);
                    ndigits += 1;
                }
                exp10 -= 1;
                i += 1;
            }
        }
        if !any {
            return None;
        }
        exp10 += exponent_suffix(&b[i..], b'e', 1_000_000_000)?;
        if d.is_zero() {
            return Some(Ext::Zero(neg));
        }
        let magnitude = ndigits + exp10; // value is below 10^magnitude
        if magnitude > 4934 {
            return None; // overflow: ERANGE
        }
        if magnitude < -4952 {
            return None; // underflow to zero: ERANGE
        }
        let r = if exp10 >= 0 {
            d.mul_pow10(exp10 as u64);
            round(neg, &d, 0, false)
        } else {
            let k = (-exp10) as u64;
            let pbits = (k as f64 * std::f64::consts::LOG2_10).ceil() as i64 + 1;
            let s = (pbits - d.bits() as i64 + 67).max(0) as u64;
            let mut x = d.shl(s);
            let mut sticky = false;
            let mut left = k;
            while left > 0 {
                let step = left.min(9);
                sticky |= x.div_small(10u32.pow(step as u32)) != 0;
                left -= step;
            }
            round(neg, &x, -(s as i64), sticky)
        };
        match r {
            Ext::Inf(_) | Ext::Zero(_) => None,
            v => Some(v),
        }
    }

    /// The rest of a number after its mantissa: nothing, or `marker` and a signed decimal exponent
    /// (its magnitude saturated at `cap`). None when anything else follows.
    fn exponent_suffix(rest: &[u8], marker: u8, cap: i64) -> Option<i64> {
        let Some((&m, rest)) = rest.split_first() else { return Some(0) };
        if m != marker {
            return None;
        }
        let (neg, digits) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = digits.iter().fold(0i64, |v, d| (v * 10 + (d - b'0') as i64).min(cap));
        Some(if neg { -v } else { v })
    }

    /// The hexadecimal form strtold accepts: hex digits, optional fraction, optional `p` exponent.
    fn parse_hex(neg: bool, b: &[u8]) -> Option<Ext> {
        let mut h = Big(Vec::new());
        let mut exp2: i64 = 0;
        let mut i = 0;
        let mut any = false;
        let mut frac = false;
        while i < b.len() {
            let c = b[i];
            if c == b'.' && !frac {
                frac = true;
            } else if let Some(v) = (c as char).to_digit(16) {
                any = true;
                if h.bits() < 20000 {
                    h.mul_small(16);
                    h.add_small(v);
                    if frac {
                        exp2 -= 4;
                    }
                } else if !frac {
                    exp2 += 4;
                }
            } else {
                break;
            }
            i += 1;
        }
        if !any {
            return None;
        }
        exp2 += exponent_suffix(&b[i..], b'p', 1_000_000)?;
        if h.is_zero() {
            return Some(Ext::Zero(neg));
        }
        match round(neg, &h, exp2, false) {
            Ext::Inf(_) | Ext::Zero(_) => None,
            v => Some(v),
        }
    }

    /// a + b; None for NaN (inf - inf).
    pub fn add(a: Ext, b: Ext) -> Option<Ext> {
        match (a, b) {
            (Ext::Inf(x), Ext::Inf(y)) => (x == y).then_some(Ext::Inf(x)),
            (Ext::Inf(x), _) | (_, Ext::Inf(x)) => Some(Ext::Inf(x)),
            (Ext::Zero(x), Ext::Zero(y)) => Some(Ext::Zero(x && y)),
            (Ext::Zero(_), v) | (v, Ext::Zero(_)) => Some(v),
            (Ext::Fin { neg: na, m: ma, e: ea }, Ext::Fin { neg: nb, m: mb, e: eb }) => {
                let emin = ea.min(eb);
                let x = Big::from_u64(ma).shl((ea - emin) as u64);
                let y = Big::from_u64(mb).shl((eb - emin) as u64);
                if na == nb {
                    return Some(round(na, &x.add(&y), emin, false));
                }
                Some(match x.cmp(&y) {
                    Ordering::Equal => Ext::Zero(false),
                    Ordering::Greater => round(na, &x.sub(&y), emin, false),
                    Ordering::Less => round(nb, &y.sub(&x), emin, false),
                })
            }
        }
    }

    pub fn is_inf(v: &Ext) -> bool {
        matches!(v, Ext::Inf(_))
    }

    /// `%.17Lf` with trailing zeros (and a trailing '.') removed, "-0" as "0"; "" when it would
    /// not fit Redis's 5 KiB buffer.
    pub fn format(v: &Ext) -> String {
        let (neg, m, e) = match *v {
            Ext::Zero(_) => return "0".into(),
            Ext::Inf(n) => return if n { "-inf".into() } else { "inf".into() },
            Ext::Fin { neg, m, e } => (neg, m, e),
        };
        let n = Big::from_u64(m);
        let x = if e >= 0 {
            let mut x = n.shl(e as u64);
            x.mul_pow10(17);
            x
        } else {
            let mut y = n;
            y.mul_pow10(17);
            let sh = (-e) as u64;
            let mut q = y.shr(sh);
            let half = y.bit(sh - 1);
            let rest = y.any_below(sh - 1);
            if half && (rest || q.bit(0)) {
                q.add_small(1);
            }
            q
        };
        let mut digits = x.to_decimal();
        if digits.len() < 18 {
            digits = format!("{}{}", "0".repeat(18 - digits.len()), digits);
        }
        let (ip, fp) = digits.split_at(digits.len() - 17);
        let mut s = format!("{}{}.{}", if neg { "-" } else { "" }, ip, fp);
        if s.len() + 1 > 5 * 1024 {
            return String::new();
        }
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn incr(a: &str, b: &str) -> String {
            format(&add(parse(a.as_bytes()).unwrap(), parse(b.as_bytes()).unwrap()).unwrap())
        }

        #[test]
        fn matches_redis_long_double() {
            assert_eq!(incr("10.5", "0.1"), "10.6");
            assert_eq!(incr("10.6", "-5"), "5.6");
            assert_eq!(incr("5.6", "5.0e3"), "5005.60000000000000009");
            assert!(incr("0", "1e308").starts_with("99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048"));
            assert_eq!(incr("0.1", "0.2"), "0.3");
            assert_eq!(incr("3", "1.25"), "4.25");
            assert_eq!(incr("-0.5", "0.5"), "0");
            assert_eq!(incr("1", "-1.5"), "-0.5");
            assert_eq!(incr("0", "1e-20"), "0");
            assert_eq!(incr("0", "-1e-20"), "0");
            assert_eq!(
                incr("1e308", "1e308"),
                "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
            );
            assert!(parse(b"1e5000").is_none());
            assert!(parse(b"1e-5000").is_none());
            assert!(parse(b"1e-4952").is_none());
            assert!(matches!(parse(b"1e-4950"), Some(Ext::Fin { .. })));
            assert!(parse(b"nan").is_none());
            assert!(parse(b" 1").is_none());
            assert!(parse(b"1 ").is_none());
            assert!(parse(b"").is_none());
            assert!(parse(b"abc").is_none());
            assert!(parse(b".").is_none());
            assert_eq!(parse(b"inf"), Some(Ext::Inf(false)));
            assert!(add(parse(b"inf").unwrap(), parse(b"-inf").unwrap()).is_none());
            assert_eq!(incr("1.5", "-1.5"), "0");
            assert_eq!(incr("0", ".5"), "0.5");
            assert_eq!(incr("0", "5."), "5");
            assert_eq!(incr("0", "0x10"), "16");
            assert_eq!(incr("0", "-0x1.8p1"), "-3");
            assert!(parse(b"0x").is_none());
            // Exponent suffixes: sign, missing digits, trailing garbage, wrong marker.
            assert_eq!(incr("0", "1e+2"), "100");
            assert_eq!(incr("0", "25e-1"), "2.5");
            assert_eq!(incr("0", "0x1p-1"), "0.5");
            assert_eq!(incr("0", "0x1e"), "30");
            for bad in [&b"1e"[..], b"1e+", b"1e2x", b"1p2", b"0x1p", b"1.5 "] {
                assert!(parse(bad).is_none(), "{:?}", std::str::from_utf8(bad));
            }
        }
    }
}
