//! Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, COMMAND, CLIENT, DEBUG, ...

use bytes::Bytes;

use super::{err, flags::*, is, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("server");
    t.add(c("info", -1, LOADING | STALE, info).acl("@slow @dangerous"));
    t.add(c("dbsize", 1, READONLY | FAST, dbsize).acl("@keyspace @read @fast"));
    t.add(c("flushdb", -1, WRITE, flushdb).acl("@keyspace @write @slow @dangerous"));
    t.add(c("flushall", -1, WRITE, flushall).acl("@keyspace @write @slow @dangerous"));
    t.add(c("time", 1, LOADING | STALE | FAST, time).acl("@fast"));
    t.add(
        c("config", -2, 0, container)
            .acl("@slow")
            .sub(vec![
                CommandSpec::new("get", -3, ADMIN | NOSCRIPT | LOADING | STALE, config_get).acl("@admin @slow @dangerous"),
                CommandSpec::new("set", -4, ADMIN | NOSCRIPT | LOADING | STALE, config_set).acl("@admin @slow @dangerous"),
                CommandSpec::new("resetstat", 2, ADMIN | NOSCRIPT | LOADING | STALE, config_resetstat).acl("@admin @slow @dangerous"),
            ]),
    );
    t.add(c("command", -1, LOADING | STALE, command).acl("@slow @connection").sub(vec![
        CommandSpec::new("count", 2, LOADING | STALE, command_count).acl("@slow @connection"),
    ]));
}

/// Placeholder handler of container commands (never called: dispatch resolves subcommands).
pub fn container(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Error("ERR unknown subcommand".into())
}

/// Client names may not contain spaces, newlines or other special characters.
pub fn validate_client_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Reply::Error("ERR Client names cannot contain spaces, newlines or special characters.".into()));
    }
    Ok(())
}

fn info(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let sections: Vec<String> = argv[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let text = crate::server_info::render(ctx.srv, &sections);
    Reply::Verbatim("txt", Bytes::from(text))
}

fn dbsize(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

fn flush_mode(argv: &[Bytes]) -> Result<(), Reply> {
    match argv.len() {
        1 => Ok(()),
        2 if is(&argv[1], "sync") || is(&argv[1], "async") => Ok(()),
        _ => Err(err::syntax()),
    }
}

fn flushdb(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(argv) {
        return e;
    }
    let db = ctx.client.db;
    let n = ctx.srv.dbs[db].len() as u64;
    ctx.srv.dbs[db].clear();
    ctx.srv.touch_all_watched(Some(db));
    ctx.fx.dirty += n.max(1);
    Reply::ok()
}

fn flushall(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(argv) {
        return e;
    }
    let mut n = 0;
    for db in ctx.srv.dbs.iter_mut() {
        n += db.len() as u64;
        db.clear();
    }
    ctx.srv.touch_all_watched(None);
    ctx.fx.dirty += n.max(1);
    Reply::ok()
}

fn time(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let us = crate::util::now_us();
    Reply::Array(vec![Reply::bulk_str(&(us / 1_000_000).to_string()), Reply::bulk_str(&(us % 1_000_000).to_string())])
}

fn config_get(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let all = ctx.srv.config.all();
    let mut out = Vec::new();
    for (name, value) in all {
        if argv[2..].iter().any(|p| crate::util::glob_match(p, name.as_bytes(), true)) {
            out.push((Reply::bulk_str(&name), Reply::bulk_str(&value)));
        }
    }
    Reply::Map(out)
}

fn config_set(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() % 2 != 0 {
        return err::wrong_args("config|set");
    }
    for pair in argv[2..].chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        let args: Vec<&str> = if name == "save" || name == "bind" { value.split_whitespace().collect() } else { vec![value.as_str()] };
        let args = if args.is_empty() { vec![""] } else { args };
        if let Err(reason) = ctx.srv.config.set_directive(&name, &args, false) {
            return Reply::Error(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"));
        }
    }
    Reply::ok()
}

fn config_resetstat(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    ctx.srv.stats = Default::default();
    Reply::ok()
}

fn command(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Array(vec![])
}

fn command_count(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(super::COMMANDS.len() as i64)
}
