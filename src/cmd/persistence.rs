//! Persistence commands: SAVE, BGSAVE, SHUTDOWN, DUMP, RESTORE.

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::NO_EXPIRE;
use crate::persist::{self, convert};
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    t.add(CommandSpec::new("save", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, save).group("server").acl("@admin @slow @dangerous"));
    t.add(CommandSpec::new("bgsave", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, bgsave).group("server").acl("@admin @slow @dangerous"));
    t.add(
        CommandSpec::new("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY, shutdown)
            .group("server")
            .acl("@admin @slow @dangerous"),
    );
    t.add(CommandSpec::new("dump", 2, READONLY, dump).keys(1, 1, 1).group("generic").acl("@keyspace @read @slow"));
    t.add(CommandSpec::new("restore", -4, WRITE | DENYOOM, restore).keys(1, 1, 1).group("generic").acl("@keyspace @write @slow @dangerous"));
}

/// SAVE
fn save(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    if ctx.srv.rdb.bgsave_in_progress {
        return Reply::Error("ERR Background save already in progress".into());
    }
    match persist::save_sync(ctx.srv) {
        Ok(()) => Reply::ok(),
        Err(_) => Reply::Error("ERR".into()),
    }
}

/// BGSAVE [SCHEDULE]
fn bgsave(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let schedule = match argv.len() {
        1 => false,
        2 if is(&argv[1], "schedule") => true,
        _ => return err::syntax(),
    };
    if ctx.srv.rdb.bgsave_in_progress {
        if schedule {
            ctx.srv.rdb.scheduled = true;
            return Reply::Simple("Background saving scheduled".into());
        }
        return Reply::Error("ERR Background save already in progress".into());
    }
    match persist::start_bgsave(ctx.srv) {
        Ok(()) => Reply::Simple("Background saving started".into()),
        Err(e) => Reply::Error(e),
    }
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
fn shutdown(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (mut nosave, mut save, mut force, mut abort) = (false, false, false, false);
    for a in &argv[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") {
        } else if is(a, "force") {
            force = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return err::syntax();
        }
    }
    if (abort && argv.len() != 2) || (nosave && save) {
        return err::syntax();
    }
    if abort {
        return Reply::Error("ERR No shutdown in progress.".into());
    }
    let do_save = save || (!nosave && !ctx.srv.config.save.is_empty());
    if let Err(e) = crate::prepare_shutdown(ctx.srv, do_save) {
        if !force {
            tracing::warn!("{e}");
            return Reply::Error("ERR Errors trying to SHUTDOWN. Check logs.".into());
        }
    }
    if let Some(shared) = ctx.srv.shared.upgrade() {
        shared.shutting_down.store(true, std::sync::atomic::Ordering::SeqCst);
        shared.shutdown.notify_waiters();
        shared.shutdown.notify_one();
    }
    ctx.client.close_after_reply = true;
    // Redis closes the connection without a reply on success.
    Reply::Raw(Bytes::new())
}

/// DUMP key
fn dump(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let version = ctx.srv.config.rdb_version as u16;
    let opts = persist::write_options(ctx.srv);
    let Some(v) = ctx.lookup_read(&argv[1]) else { return Reply::Nil };
    match vk_storage::rdb::dump_payload(&convert::to_rdb(v), version, &opts) {
        Ok(p) => Reply::Bulk(Bytes::from(p)),
        Err(e) => Reply::Error(format!("ERR {e}")),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "absttl") {
            absttl = true;
        } else if is(&argv[j], "idletime") && more && freq.is_none() {
            let v = match arg_i64(&argv[j + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if v < 0 {
                return Reply::Error("ERR Invalid IDLETIME value, must be >= 0".into());
            }
            idle = Some(v);
            j += 1;
        } else if is(&argv[j], "freq") && more && idle.is_none() {
            let v = match arg_i64(&argv[j + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if !(0..=255).contains(&v) {
                return Reply::Error("ERR Invalid FREQ value, must be >= 0 and <= 255".into());
            }
            freq = Some(v);
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let key = &argv[1];
    if !replace && ctx.exists(key) {
        return Reply::Error("BUSYKEY Target key name already exists.".into());
    }
    let mut ttl = match arg_i64(&argv[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if ttl < 0 {
        return Reply::Error("ERR Invalid TTL value, must be >= 0".into());
    }
    let value = match vk_storage::rdb::parse_payload(&argv[3]) {
        Ok(v) => v,
        Err(vk_storage::rdb::PayloadError::VersionOrChecksum) => {
            return Reply::Error("ERR DUMP payload version or checksum are wrong".into())
        }
        Err(_) => return Reply::Error("ERR Bad data format".into()),
    };
    let t = ctx.thresholds();
    let value = convert::from_rdb(value, &t);
    let deleted = replace && ctx.delete(key);
    if ttl != 0 && !absttl {
        ttl += ctx.now;
    }
    if ttl != 0 && ttl <= ctx.now && !ctx.srv.loading {
        if deleted {
            ctx.notify(notify::GENERIC, "del", key);
            ctx.propagate_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        } else {
            ctx.propagate_as(vec![]);
        }
        return Reply::ok();
    }
    ctx.add_key(key, value);
    if ttl != 0 {
        ctx.set_expire(key, ttl);
        if !absttl {
            let mut cmd = argv.to_vec();
            cmd[2] = Bytes::from(ttl.to_string());
            cmd.push(Bytes::from_static(b"ABSTTL"));
            ctx.propagate_as(vec![cmd]);
        }
    } else {
        ctx.set_expire(key, NO_EXPIRE);
    }
    // Redis's objectSetLRUOrLFU: FREQ applies under an LFU policy, IDLETIME under the others.
    let now = ctx.now;
    let lfu = crate::db::lfu::is_lfu_policy(&ctx.srv.config.maxmemory_policy);
    let meta = match (lfu, freq, idle) {
        (true, Some(f), _) => Some(crate::db::lfu::pack(now, f as u8)),
        (false, _, Some(i)) => Some(crate::db::lru_from_idle_secs(crate::db::lru_clock(now), i as u64)),
        _ => None,
    };
    if let Some(lru) = meta {
        if let Some(e) = ctx.db().get_mut(key) {
            e.lru = lru;
        }
    }
    ctx.notify(notify::GENERIC, "restore", key);
    Reply::ok()
}
