//! String commands: GET, SET and friends, counters, ranges.

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::NO_EXPIRE;
use crate::resp::Reply;
use crate::types::Value;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("string");
    t.add(c("get", 2, READONLY | FAST, get).keys(1, 1, 1).acl("@read @string @fast"));
    t.add(c("set", -3, WRITE | DENYOOM, set).keys(1, 1, 1).acl("@write @string @slow"));
    t.add(c("incr", 2, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast"));
    t.add(c("decr", 2, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast"));
    t.add(c("incrby", 3, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast"));
    t.add(c("decrby", 3, WRITE | DENYOOM | FAST, incr).keys(1, 1, 1).acl("@write @string @fast"));
}

/// Reads a string value: Ok(None) when missing, Err(WRONGTYPE) for other types.
pub fn get_str<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c [u8]>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or_else(err::wrongtype),
    }
}

/// GET key
fn get(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match get_str(ctx, &argv[1]) {
        Ok(Some(s)) => Reply::bulk_slice(s),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
fn set(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (mut nx, mut xx, mut get_old, mut keepttl) = (false, false, false, false);
    let mut expire: Option<(i64, &str)> = None;
    let mut i = 3;
    while i < argv.len() {
        let a = &argv[i];
        let has_next = i + 1 < argv.len();
        if is(a, "nx") && !xx {
            nx = true;
        } else if is(a, "xx") && !nx {
            xx = true;
        } else if is(a, "get") {
            get_old = true;
        } else if is(a, "keepttl") && expire.is_none() {
            keepttl = true;
        } else if has_next && expire.is_none() && !keepttl && (is(a, "ex") || is(a, "px") || is(a, "exat") || is(a, "pxat")) {
            let unit = if is(a, "ex") { "ex" } else if is(a, "px") { "px" } else if is(a, "exat") { "exat" } else { "pxat" };
            let v = match arg_i64(&argv[i + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            expire = Some((v, unit));
            i += 1;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    let mut abs = NO_EXPIRE;
    if let Some((v, unit)) = expire {
        let bad = || Reply::Error("ERR invalid expire time in 'set' command".into());
        if v <= 0 {
            return bad();
        }
        let ms = match unit {
            "ex" | "exat" => match v.checked_mul(1000) {
                Some(m) => m,
                None => return bad(),
            },
            _ => v,
        };
        abs = if unit == "ex" || unit == "px" {
            match ms.checked_add(ctx.now) {
                Some(m) => m,
                None => return bad(),
            }
        } else {
            ms
        };
    }
    let key = &argv[1];
    let old = if get_old {
        match get_str(ctx, key) {
            Ok(v) => v.map(Bytes::copy_from_slice),
            Err(e) => return e,
        }
    } else {
        None
    };
    let exists = ctx.exists(key);
    if (nx && exists) || (xx && !exists) {
        return if get_old { old.map(Reply::Bulk).unwrap_or(Reply::Nil) } else { Reply::Nil };
    }
    ctx.set_key(key, Value::from_bytes(&argv[2]), keepttl);
    ctx.notify(notify::STRING, "set", key);
    if abs != NO_EXPIRE {
        ctx.set_expire(key, abs);
        ctx.notify(notify::GENERIC, "expire", key);
        // Log an absolute expiry so replay gives the same deadline.
        if expire.map(|e| e.1 != "pxat").unwrap_or(false) {
            let mut cmd = vec![Bytes::from_static(b"SET"), key.clone(), argv[2].clone(), Bytes::from_static(b"PXAT"), Bytes::from(abs.to_string())];
            if keepttl {
                cmd.push(Bytes::from_static(b"KEEPTTL"));
            }
            ctx.propagate_as(vec![cmd]);
        }
    }
    if get_old {
        old.map(Reply::Bulk).unwrap_or(Reply::Nil)
    } else {
        Reply::ok()
    }
}

/// INCR/DECR/INCRBY/DECRBY key [increment]
fn incr(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = &argv[0];
    let by = if argv.len() == 3 {
        match arg_i64(&argv[2]) {
            Ok(v) => v,
            Err(e) => return e,
        }
    } else {
        1
    };
    let by = if is(name, "decr") || is(name, "decrby") {
        match by.checked_neg() {
            Some(v) => v,
            None => return Reply::Error(err::OVERFLOW.into()),
        }
    } else {
        by
    };
    let key = &argv[1];
    let cur = match get_str(ctx, key) {
        Ok(Some(s)) => match crate::util::parse_i64(s) {
            Some(v) => v,
            None => return err::not_int(),
        },
        Ok(None) => 0,
        Err(e) => return e,
    };
    let Some(new) = cur.checked_add(by) else { return Reply::Error(err::OVERFLOW.into()) };
    ctx.set_key(key, Value::from_int(new), true);
    ctx.notify(notify::STRING, "incrby", key);
    Reply::Int(new)
}
