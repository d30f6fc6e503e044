//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queuing and EXEC itself live in `server.rs` (`execute` / `exec_transaction`): a command
//! received inside MULTI never reaches its handler until EXEC runs the queue.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{flags::*, CommandSpec, CommandTable, Ctx};
use crate::client::MultiState;
use crate::db::Sds;
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("transactions").doc("2.2.0", "");
    t.add(c("multi", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, multi).acl("@fast @transaction").doc("1.2.0", ""));
    t.add(c("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, exec).acl("@slow @transaction").doc("1.2.0", ""));
    t.add(c("discard", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, discard).acl("@fast @transaction"));
    t.add(c("watch", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, watch).acl("@fast @transaction").keys(1, -1, 1));
    t.add(c("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY, unwatch).acl("@fast @transaction"));
}

/// MULTI
fn multi(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() || ctx.srv.exec_depth > 0 {
        return Reply::Error("ERR MULTI calls can not be nested".into());
    }
    ctx.client.multi = Some(MultiState::default());
    ctx.client.shared.multi_count.store(0, Ordering::Relaxed);
    Reply::ok()
}

/// EXEC: run by `server::exec_transaction` before dispatch; reaching this handler means EXEC
/// was called where no transaction can exist (e.g. from a script).
fn exec(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Error("ERR EXEC without MULTI".into())
}

/// DISCARD
fn discard(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::Error("ERR DISCARD without MULTI".into());
    }
    ctx.client.multi = None;
    ctx.client.shared.multi_count.store(-1, Ordering::Relaxed);
    crate::server::unwatch_all(ctx.srv, ctx.client);
    Reply::ok()
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() || ctx.srv.exec_depth > 0 {
        return Reply::Error("ERR WATCH inside MULTI is not allowed".into());
    }
    // Already dirty: EXEC will fail anyway, no point in watching more keys.
    if ctx.client.watch_dirty.load(Ordering::SeqCst) {
        return Reply::ok();
    }
    let db = ctx.client.db;
    for key in &argv[1..] {
        let slot: (usize, Sds) = (db, Sds::from(&key[..]));
        let me = ctx.client.id;
        if ctx.srv.watches.get(&slot).is_some_and(|ws| ws.iter().any(|(id, _)| *id == me)) {
            continue;
        }
        // A key already logically expired when WATCHed does not count as modified when it is
        // then deleted (Redis 7 `watchedKey.expired`): remove it now, before the watch exists,
        // so only later changes touch the watch.
        ctx.expire_if_needed(key);
        let flag = ctx.client.watch_dirty.clone();
        let id = ctx.client.id;
        ctx.srv.watches.entry(slot.clone()).or_default().push((id, flag));
        ctx.client.watched.push(slot);
    }
    Reply::ok()
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    crate::server::unwatch_all(ctx.srv, ctx.client);
    Reply::ok()
}
