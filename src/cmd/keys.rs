//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, EXPIRE family, TTL family, PERSIST, ...

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::NO_EXPIRE;
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("generic");
    t.add(c("del", -2, WRITE, del).keys(1, -1, 1).acl("@keyspace @write @slow"));
    t.add(c("unlink", -2, WRITE | FAST, del).keys(1, -1, 1).acl("@keyspace @write @fast"));
    t.add(c("exists", -2, READONLY | FAST, exists).keys(1, -1, 1).acl("@keyspace @read @fast"));
    t.add(c("type", 2, READONLY | FAST, type_cmd).keys(1, 1, 1).acl("@keyspace @read @fast"));
    t.add(c("expire", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast"));
    t.add(c("pexpire", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast"));
    t.add(c("expireat", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast"));
    t.add(c("pexpireat", -3, WRITE | FAST, expire).keys(1, 1, 1).acl("@keyspace @write @fast"));
    t.add(c("ttl", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast"));
    t.add(c("pttl", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast"));
    t.add(c("expiretime", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast"));
    t.add(c("pexpiretime", 2, READONLY | FAST, ttl).keys(1, 1, 1).acl("@keyspace @read @fast"));
    t.add(c("persist", 2, WRITE | FAST, persist).keys(1, 1, 1).acl("@keyspace @write @fast"));
}

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

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let (unit_ms, absolute) = match name.as_str() {
        "expire" => (1000, false),
        "pexpire" => (1, false),
        "expireat" => (1000, true),
        _ => (1, true),
    };
    let t = match arg_i64(&argv[2]) {
        Ok(v) => v,
        Err(e) => return e,
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
            return Reply::Error(format!("ERR Unsupported option {}", String::from_utf8_lossy(a)));
        }
    }
    if nx && (xx || gt || lt) {
        return Reply::Error("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Reply::Error("ERR GT and LT options at the same time are not compatible".into());
    }
    let overflow = || Reply::Error(format!("ERR invalid expire time in '{name}' command"));
    let Some(mut when) = t.checked_mul(unit_ms) else { return overflow() };
    if !absolute {
        match when.checked_add(ctx.now) {
            Some(w) => when = w,
            None => return overflow(),
        }
    }
    let key = &argv[1];
    let Some(cur) = ctx.peek(key).map(|e| e.expire_at) else { return Reply::Int(0) };
    let has = cur != NO_EXPIRE;
    if (nx && has) || (xx && !has) || (gt && (!has || when <= cur)) || (lt && has && when >= cur) {
        return Reply::Int(0);
    }
    if when <= ctx.now && !ctx.srv.loading {
        ctx.delete(key);
        ctx.notify(notify::GENERIC, "del", key);
        ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        return Reply::Int(1);
    }
    ctx.set_expire(key, when);
    ctx.modified(key);
    ctx.notify(notify::GENERIC, "expire", key);
    ctx.propagate_as(vec![vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(when.to_string())]]);
    Reply::Int(1)
}

/// TTL/PTTL/EXPIRETIME/PEXPIRETIME key
fn ttl(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let now = ctx.now;
    let Some(at) = ctx.lookup_read(&argv[1]).map(|_| ()).and_then(|_| ctx.srv.dbs[ctx.client.db].get(&argv[1]).map(|e| e.expire_at)) else {
        return Reply::Int(-2);
    };
    if at == NO_EXPIRE {
        return Reply::Int(-1);
    }
    Reply::Int(match name.as_str() {
        "ttl" => ((at - now).max(0) + 500) / 1000,
        "pttl" => (at - now).max(0),
        "expiretime" => at / 1000,
        _ => at,
    })
}

/// PERSIST key
fn persist(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match ctx.peek(&argv[1]).map(|e| e.expire_at) {
        Some(at) if at != NO_EXPIRE => {
            ctx.set_expire(&argv[1], NO_EXPIRE);
            ctx.modified(&argv[1]);
            ctx.notify(notify::GENERIC, "persist", &argv[1]);
            Reply::Int(1)
        }
        _ => Reply::Int(0),
    }
}

#[allow(dead_code)]
fn unused() -> Reply {
    err::syntax()
}
