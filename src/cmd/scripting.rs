//! Scripting commands: EVAL/EVALSHA(_RO), SCRIPT, FUNCTION, FCALL(_RO). The engine is in
//! `crate::scripting`.

use bytes::Bytes;

use super::{flags::*, is, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::scripting::{self as sc, Target, ENGINE};

fn eval_keys(argv: &[Bytes]) -> Vec<usize> {
    let Some(n) = argv.get(2).and_then(|a| crate::util::parse_i64(a)) else { return Vec::new() };
    if n <= 0 || (n as usize) > argv.len().saturating_sub(3) {
        return Vec::new();
    }
    (3..3 + n as usize).collect()
}

fn split_keys(argv: &[Bytes]) -> Result<(Vec<Bytes>, Vec<Bytes>), Reply> {
    let n = crate::util::parse_i64(&argv[2]).ok_or_else(super::err::not_int)?;
    if n < 0 {
        return Err(Reply::Error("ERR Number of keys can't be negative".into()));
    }
    if n as u64 > (argv.len() - 3) as u64 {
        return Err(Reply::Error("ERR Number of keys can't be greater than number of args".into()));
    }
    let n = n as usize;
    Ok((argv[3..3 + n].to_vec(), argv[3 + n..].to_vec()))
}

/// EVAL/FCALL are flagged skip_monitor and show themselves to MONITOR before anything else, so
/// that their script's commands (`[db lua] ...`) follow them (Redis's evalCommand/fcallCommand).
fn feed_monitors(ctx: &mut Ctx, argv: &[Bytes]) {
    if !ctx.srv.monitors.is_empty() {
        crate::server::feed_monitors(ctx.srv, ctx.client, argv);
    }
}

fn eval_generic(ctx: &mut Ctx, argv: &[Bytes], by_sha: bool, ro: bool) -> Reply {
    feed_monitors(ctx, argv);
    let (keys, args) = match split_keys(argv) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let sha = if by_sha {
        let s = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        if s.len() != 40 || !ENGINE.lock().scripts.contains_key(&s) {
            return Reply::Error("NOSCRIPT No matching script. Please use EVAL.".into());
        }
        s
    } else {
        match ENGINE.lock().load_script(&argv[1]) {
            Ok(s) => s,
            Err(e) => return Reply::Error(e),
        }
    };
    sc::run(ctx.srv, ctx.client, Target::Script { sha }, keys, args, ro)
}

fn eval(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    eval_generic(ctx, argv, false, false)
}
fn eval_ro(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    eval_generic(ctx, argv, false, true)
}
fn evalsha(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    eval_generic(ctx, argv, true, false)
}
fn evalsha_ro(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    eval_generic(ctx, argv, true, true)
}

fn fcall_generic(ctx: &mut Ctx, argv: &[Bytes], ro: bool) -> Reply {
    feed_monitors(ctx, argv);
    // FCALL words a non-integer key count differently from EVAL (functions.c).
    if crate::util::parse_i64(&argv[2]).is_none() {
        return Reply::Error("ERR Bad number of keys provided".into());
    }
    let (keys, args) = match split_keys(argv) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    *sc::RUNNING_FUNCTION.lock() = Some((name.clone(), argv.to_vec()));
    let r = sc::run(ctx.srv, ctx.client, Target::Function { name }, keys, args, ro);
    *sc::RUNNING_FUNCTION.lock() = None;
    r
}
fn fcall(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    fcall_generic(ctx, argv, false)
}
fn fcall_ro(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    fcall_generic(ctx, argv, true)
}

fn script_load(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match ENGINE.lock().load_script(&argv[2]) {
        Ok(s) => Reply::Bulk(Bytes::from(s)),
        Err(e) => Reply::Error(e),
    }
}

fn script_exists(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let eng = ENGINE.lock();
    Reply::Array(
        argv[2..]
            .iter()
            .map(|a| Reply::Int(eng.scripts.contains_key(&String::from_utf8_lossy(a).to_ascii_lowercase()) as i64))
            .collect(),
    )
}

fn flush_mode(argv: &[Bytes], from: usize) -> Result<(), Reply> {
    match argv.len() - from {
        0 => Ok(()),
        1 if is(&argv[from], "async") || is(&argv[from], "sync") => Ok(()),
        _ => Err(Reply::Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into())),
    }
}

fn script_flush(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if let Err(e) = flush_mode(argv, 2) {
        return e;
    }
    ENGINE.lock().flush_scripts();
    Reply::ok()
}

fn script_kill(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    sc::request_kill(false)
}

fn function_kill(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    sc::request_kill(true)
}

fn script_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let lines = [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Print this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Simple(l.to_string())).collect())
}

/// Stores a library in the server (replacing one with the same name when `replace`).
fn install_library(ctx: &mut Ctx, code: Bytes, replace: bool, timeout_ms: u64) -> Result<String, Reply> {
    let name = sc::validate_library_timeout(&ctx.srv.function_libraries, &code, replace, timeout_ms).map_err(Reply::Error)?;
    ctx.srv.function_libraries.retain(|c| crate::server::library_name(c).as_deref() != Some(name.as_str()));
    ctx.srv.function_libraries.push(code);
    Ok(name)
}

fn function_load(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut replace = false;
    let mut i = 2;
    while i < argv.len() - 1 {
        if is(&argv[i], "replace") {
            replace = true;
        } else {
            return Reply::Error(format!("ERR Unknown option given: {}", String::from_utf8_lossy(&argv[i])));
        }
        i += 1;
    }
    if argv.len() < 3 || i != argv.len() - 1 {
        return Reply::Error("ERR Function code is missing".into());
    }
    match install_library(ctx, argv[argv.len() - 1].clone(), replace, sc::LOAD_TIMEOUT_MS) {
        Ok(name) => {
            ctx.fx.dirty += 1;
            Reply::Bulk(Bytes::from(name))
        }
        Err(e) => e,
    }
}

fn function_delete(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&argv[2]).into_owned();
    let before = ctx.srv.function_libraries.len();
    ctx.srv.function_libraries.retain(|c| crate::server::library_name(c).as_deref() != Some(name.as_str()));
    if ctx.srv.function_libraries.len() == before {
        return Reply::Error("ERR Library not found".into());
    }
    ctx.fx.dirty += 1;
    Reply::ok()
}

/// Redis's addReplySubcommandSyntaxError (the subcommand as given, the command upper-cased).
fn subcommand_syntax_error(argv: &[Bytes]) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(&argv[1]),
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    ))
}

fn function_flush(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match argv.len() {
        2 => {}
        3 if is(&argv[2], "async") || is(&argv[2], "sync") => {}
        3 => return Reply::Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into()),
        _ => return subcommand_syntax_error(argv),
    }
    ctx.srv.clear_functions();
    ctx.fx.dirty += 1;
    Reply::ok()
}

fn function_list(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut pattern: Option<Bytes> = None;
    let mut withcode = false;
    let mut i = 2;
    while i < argv.len() {
        if is(&argv[i], "withcode") {
            if withcode {
                return Reply::Error(format!("ERR Unknown argument {}", String::from_utf8_lossy(&argv[i])));
            }
            withcode = true;
            i += 1;
        } else if is(&argv[i], "libraryname") {
            if pattern.is_some() {
                return Reply::Error(format!("ERR Unknown argument {}", String::from_utf8_lossy(&argv[i])));
            }
            if i + 1 >= argv.len() {
                return Reply::Error("ERR library name argument was not given".into());
            }
            pattern = Some(argv[i + 1].clone());
            i += 2;
        } else {
            return Reply::Error(format!("ERR Unknown argument {}", String::from_utf8_lossy(&argv[i])));
        }
    }
    let libs = ctx.srv.function_libraries.clone();
    let mut eng = ENGINE.lock();
    eng.sync_libraries(&libs);
    let mut out = Vec::new();
    for lib in &eng.libraries {
        if let Some(p) = &pattern {
            if !crate::util::glob_match(p, lib.name.as_bytes(), false) {
                continue;
            }
        }
        let mut fns = Vec::new();
        for fname in &lib.functions {
            let Some(f) = eng.functions.get(fname) else { continue };
            fns.push(Reply::Map(vec![
                (Reply::Bulk("name".into()), Reply::Bulk(Bytes::from(f.name.clone()))),
                (Reply::Bulk("description".into()), f.description.clone().map(|d| Reply::Bulk(Bytes::from(d))).unwrap_or(Reply::Nil)),
                (Reply::Bulk("flags".into()), Reply::Set(f.flags.iter().map(|x| Reply::Bulk(Bytes::from(x.clone()))).collect())),
            ]));
        }
        let mut m = vec![
            (Reply::Bulk("library_name".into()), Reply::Bulk(Bytes::from(lib.name.clone()))),
            (Reply::Bulk("engine".into()), Reply::Bulk("LUA".into())),
            (Reply::Bulk("functions".into()), Reply::Array(fns)),
        ];
        if withcode {
            m.push((Reply::Bulk("library_code".into()), Reply::Bulk(lib.code.clone())));
        }
        out.push(Reply::Map(m));
    }
    Reply::Array(out)
}

fn function_dump(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let version = ctx.srv.config.rdb_version as u16;
    Reply::Bulk(Bytes::from(vk_storage::rdb::dump_function_payload(&ctx.srv.function_libraries, version, false)))
}

fn function_restore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut policy = "append";
    if argv.len() == 4 {
        if is(&argv[3], "append") {
            policy = "append";
        } else if is(&argv[3], "replace") {
            policy = "replace";
        } else if is(&argv[3], "flush") {
            policy = "flush";
        } else {
            return Reply::Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.".into());
        }
    } else if argv.len() > 4 {
        return subcommand_syntax_error(argv);
    }
    let libs = match vk_storage::rdb::parse_function_payload(&argv[2]) {
        Ok(l) => l,
        Err(_) => return Reply::Error("ERR DUMP payload version or checksum are wrong".into()),
    };
    let saved = ctx.srv.function_libraries.clone();
    if policy == "flush" {
        ctx.srv.function_libraries.clear();
    }
    for code in libs {
        let code = Bytes::from(code);
        if let Err(e) = install_library(ctx, code, policy == "replace", 0) {
            ctx.srv.function_libraries = saved;
            // RESTORE words the collision without quotes (as Redis's libraryJoin).
            return match e {
                Reply::Error(m) if m.starts_with("ERR Library '") => Reply::Error(m.replacen('\'', "", 2)),
                other => other,
            };
        }
    }
    ctx.fx.dirty += 1;
    Reply::ok()
}

fn function_stats(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let libs = ctx.srv.function_libraries.clone();
    let (nl, nf) = {
        let mut eng = ENGINE.lock();
        eng.sync_libraries(&libs);
        (eng.libraries.len(), eng.functions.len())
    };
    sc::function_stats_reply(Some(nl), Some(nf)).unwrap_or(Reply::Nil)
}

fn function_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Print this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Simple(l.to_string())).collect())
}

fn container(_ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    super::err::wrong_args(&String::from_utf8_lossy(&argv[0]).to_ascii_lowercase())
}

pub fn register(t: &mut CommandTable) {
    let ev = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS;
    let mk = |name, f, flags, summary| {
        CommandSpec::new(name, -3, flags, f).keys_fn(eval_keys).acl("@slow @scripting").group("scripting").doc("2.6.0", summary)
    };
    t.add(mk("eval", eval as super::Handler, ev | MAY_REPLICATE, "Executes a server-side Lua script."));
    t.add(mk("evalsha", evalsha, ev | MAY_REPLICATE, "Executes a server-side Lua script by SHA1 digest."));
    t.add(mk("eval_ro", eval_ro, ev | READONLY, "Executes a read-only server-side Lua script.").doc("7.0.0", "Executes a read-only server-side Lua script."));
    t.add(mk("evalsha_ro", evalsha_ro, ev | READONLY, "Executes a read-only server-side Lua script by SHA1 digest.").doc("7.0.0", "Executes a read-only server-side Lua script by SHA1 digest."));
    t.add(mk("fcall", fcall, ev | MAY_REPLICATE, "Invokes a function.").doc("7.0.0", "Invokes a function."));
    t.add(mk("fcall_ro", fcall_ro, ev | READONLY, "Invokes a read-only function.").doc("7.0.0", "Invokes a read-only function."));
    let sub = |name, arity, flags, f: super::Handler, acl| CommandSpec::new(name, arity, flags, f).acl(acl).group("scripting");
    t.add(
        CommandSpec::new("script", -2, 0, container).group("scripting").doc("2.6.0", "A container for Lua scripts management commands.").sub(vec![
            sub("load", 3, NOSCRIPT | STALE, script_load, "@slow @scripting"),
            sub("exists", -3, NOSCRIPT, script_exists, "@slow @scripting"),
            sub("flush", -2, NOSCRIPT, script_flush, "@slow @scripting"),
            sub("kill", 2, NOSCRIPT | ALLOW_BUSY, script_kill, "@slow @scripting"),
            sub("help", 2, LOADING | STALE, script_help, "@slow"),
        ]),
    );
    t.add(
        CommandSpec::new("function", -2, 0, container).group("scripting").doc("7.0.0", "A container for function commands.").sub(vec![
            sub("load", -3, WRITE | DENYOOM | NOSCRIPT, function_load, "@write @slow @scripting"),
            sub("list", -2, NOSCRIPT, function_list, "@slow @scripting"),
            sub("delete", 3, WRITE | NOSCRIPT, function_delete, "@write @slow @scripting"),
            sub("flush", -2, WRITE | NOSCRIPT, function_flush, "@write @slow @scripting"),
            sub("dump", 2, NOSCRIPT, function_dump, "@slow @scripting"),
            sub("restore", -3, WRITE | DENYOOM | NOSCRIPT, function_restore, "@write @slow @scripting"),
            sub("stats", 2, NOSCRIPT | ALLOW_BUSY, function_stats, "@slow @scripting"),
            sub("kill", 2, NOSCRIPT | ALLOW_BUSY, function_kill, "@slow @scripting"),
            sub("help", 2, LOADING | STALE, function_help, "@slow"),
        ]),
    );
}
