//! AOF commands: BGREWRITEAOF, WAITAOF.

use bytes::Bytes;

use super::{flags::*, BlockRequest, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    t.add(
        CommandSpec::new("bgrewriteaof", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, bgrewriteaof)
            .group("server")
            .acl("@admin @slow @dangerous")
            .doc("1.0.0", "Asynchronously rewrites the append-only file to disk."),
    );
    t.add(
        CommandSpec::new("waitaof", 4, NOSCRIPT, waitaof)
            .group("generic")
            .acl("@slow @connection")
            .doc("7.2.0", "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas."),
    );
}

/// BGREWRITEAOF
fn bgrewriteaof(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    if ctx.srv.aof.rewrite.is_some() {
        return Reply::Error("ERR Background append only file rewriting already in progress".into());
    }
    match crate::aof::start_rewrite(ctx.srv) {
        Ok(()) => Reply::Simple("Background append only file rewriting started".into()),
        Err(e) => Reply::Error(e),
    }
}

fn long_arg(b: &[u8]) -> Result<i64, Reply> {
    crate::util::parse_i64(b).ok_or_else(|| Reply::Error("ERR value is not an integer or out of range".into()))
}

/// WAITAOF numlocal numreplicas timeout
fn waitaof(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let numlocal = match long_arg(&argv[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if !(0..=1).contains(&numlocal) {
        return Reply::Error("ERR value is out of range, value must between 0 and 1".into());
    }
    let numreplicas = match long_arg(&argv[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if numreplicas < 0 {
        return Reply::Error("ERR value is out of range, must be positive".into());
    }
    let timeout = match crate::util::parse_i64(&argv[3]) {
        Some(t) if t < 0 => return Reply::Error("ERR timeout is negative".into()),
        Some(t) => t,
        None => return Reply::Error("ERR timeout is not an integer or out of range".into()),
    };
    let aof_on = ctx.srv.aof.on;
    if numlocal > 0 && !aof_on {
        return Reply::Error("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.".into());
    }
    let (target, done) = if aof_on { crate::aof::fsync_target(ctx.srv) } else { (0, true) };
    let acklocal = if aof_on && done { 1 } else { 0 };
    let deny_blocking = ctx.client.multi.is_some() || ctx.client.in_script || !ctx.can_block();
    if (numreplicas == 0 && acklocal >= numlocal) || deny_blocking {
        return Reply::Array(vec![Reply::Int(acklocal), Reply::Int(0)]);
    }
    if numreplicas > 0 {
        // No replicas: they never acknowledge; wait for the timeout (forever with 0), as Redis.
        let deadline_ms = if timeout == 0 { 0 } else { ctx.now + timeout };
        let local = if aof_on { 1 } else { 0 };
        ctx.block(BlockRequest {
            keys: Vec::new(),
            deadline_ms,
            argv: None,
            timeout_reply: Reply::Array(vec![Reply::Int(local.min(numlocal.max(acklocal))), Reply::Int(0)]),
        });
        return Reply::Nil;
    }
    // numlocal 1, not fsynced yet: the connection holds the reply until the fsync.
    ctx.srv.wait_fsync_request = target;
    Reply::Array(vec![Reply::Int(1), Reply::Int(0)])
}
