//! The Lua scripting engine: EVAL scripts and FUNCTION libraries (Lua 5.1 through `mlua`).
//!
//! One Lua state per process (`ENGINE`), used under the server lock. Scripts are cached by SHA1;
//! function libraries are rebuilt from `Server::function_libraries` (the persisted source of
//! truth) whenever that list changes.
//!
//! Long scripts: a Lua hook runs every few thousand instructions; after `busy-reply-threshold`
//! ms it polls [`STATE`]'s kill flag (set without the server lock by [`fast_path`]).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::LazyLock;

use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use parking_lot::Mutex;

use crate::client::Client;
use crate::resp::Reply;
use crate::server::Server;

pub mod libs;

/// Lock-free state of the running script, visible to other connections.
pub struct ScriptState {
    /// Start time (ms) of the running script; 0 when none runs.
    pub running_since: AtomicI64,
    pub kill_requested: AtomicBool,
    /// The running script already executed a write command (SCRIPT KILL then refuses).
    pub wrote: AtomicBool,
    /// The running script is a function (FCALL) rather than an EVAL script.
    pub is_function: AtomicBool,
    /// busy-reply-threshold (ms) of the running script.
    pub threshold_ms: AtomicI64,
}

pub static STATE: ScriptState = ScriptState {
    running_since: AtomicI64::new(0),
    kill_requested: AtomicBool::new(false),
    wrote: AtomicBool::new(false),
    is_function: AtomicBool::new(false),
    threshold_ms: AtomicI64::new(5000),
};

/// The running FCALL (function name, command as called), for FUNCTION STATS while busy.
pub static RUNNING_FUNCTION: Mutex<Option<(String, Vec<Bytes>)>> = Mutex::new(None);

/// FUNCTION STATS: the running function (or nil) and the engine's counts. Lock-free of the
/// server lock, so it answers while a script is busy (Redis flags it ALLOW_BUSY); `None` when
/// the engine is momentarily in use.
pub fn function_stats_reply(libraries: Option<usize>, functions: Option<usize>) -> Option<Reply> {
    let (libs, fns) = match (libraries, functions) {
        (Some(l), Some(f)) => (l, f),
        _ => {
            let eng = ENGINE.try_lock()?;
            (eng.libraries.len(), eng.functions.len())
        }
    };
    let since = STATE.running_since.load(Ordering::SeqCst);
    let running = match (&*RUNNING_FUNCTION.lock(), since) {
        (Some((name, argv)), since) if since != 0 && STATE.is_function.load(Ordering::SeqCst) => Reply::Map(vec![
            (Reply::Bulk("name".into()), Reply::Bulk(Bytes::from(name.clone()))),
            (Reply::Bulk("command".into()), Reply::Array(argv.iter().map(|a| Reply::Bulk(a.clone())).collect())),
            (Reply::Bulk("duration_ms".into()), Reply::Int(crate::util::now_ms() - since)),
        ]),
        _ => Reply::Nil,
    };
    Some(Reply::Map(vec![
        (Reply::Bulk("running_script".into()), running),
        (
            Reply::Bulk("engines".into()),
            Reply::Map(vec![(
                Reply::Bulk("LUA".into()),
                Reply::Map(vec![
                    (Reply::Bulk("libraries_count".into()), Reply::Int(libs as i64)),
                    (Reply::Bulk("functions_count".into()), Reply::Int(fns as i64)),
                ]),
            )]),
        ),
    ]))
}

/// DEBUG SET-DISABLE-DENY-SCRIPTS: let scripts call commands flagged `noscript` (for tests).
pub static DISABLE_DENY_SCRIPTS: AtomicBool = AtomicBool::new(false);

pub const BUSY: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
pub const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

/// True when a script has been running longer than its busy threshold (other clients get BUSY).
pub fn is_busy() -> bool {
    let since = STATE.running_since.load(Ordering::SeqCst);
    since != 0 && crate::util::now_ms() - since >= STATE.threshold_ms.load(Ordering::SeqCst)
}

/// The time commands run by the current script see: the script's start (Redis freezes the
/// clock during a script, so a key cannot expire between two of its commands).
pub fn script_time() -> i64 {
    match STATE.running_since.load(Ordering::SeqCst) {
        0 => crate::util::now_ms(),
        t => t,
    }
}

/// Kill request for the running script (SCRIPT KILL when `function` is false, FUNCTION KILL
/// otherwise). Lock-free.
pub fn request_kill(function: bool) -> Reply {
    if STATE.running_since.load(Ordering::SeqCst) == 0 {
        return Reply::Error(NOTBUSY.into());
    }
    let is_fn = STATE.is_function.load(Ordering::SeqCst);
    if is_fn && !function {
        return Reply::Error("BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.".into());
    }
    if !is_fn && function {
        return Reply::Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.".into());
    }
    if STATE.wrote.load(Ordering::SeqCst) {
        return Reply::Error(UNKILLABLE.into());
    }
    STATE.kill_requested.store(true, Ordering::SeqCst);
    Reply::ok()
}

/// Lock-free dispatch for connections while a script runs past its threshold: returns the reply
/// for `argv` without taking the server lock (SCRIPT KILL / FUNCTION KILL, BUSY for others), or
/// `None` when the command must run normally.
pub fn fast_path(argv: &[Bytes]) -> Option<Reply> {
    if argv.is_empty() || !is_busy() {
        return None;
    }
    let is = |i: usize, s: &str| argv.get(i).is_some_and(|a| crate::util::eq_ic(a, s));
    if argv.len() == 2 && is(0, "script") && is(1, "kill") {
        return Some(request_kill(false));
    }
    if argv.len() == 2 && is(0, "function") && is(1, "kill") {
        return Some(request_kill(true));
    }
    if is(0, "shutdown") {
        return None;
    }
    if argv.len() == 2 && is(0, "function") && is(1, "stats") {
        if let Some(r) = function_stats_reply(None, None) {
            return Some(r);
        }
    }
    if STATE.is_function.load(Ordering::SeqCst) {
        return Some(Reply::Error("BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.".into()));
    }
    Some(Reply::Error(BUSY.into()))
}

/// A BUSY refusal (from `fast_path`) seen by a client inside MULTI, as Redis's `rejectCommand`:
/// the transaction is flagged so EXEC fails, and EXEC itself answers
/// `EXECABORT Transaction discarded because of: BUSY ...` and leaves MULTI. MULTI itself goes
/// through (Redis flags it ALLOW_BUSY).
pub fn refused_in_multi(client: &mut crate::client::Client, argv: &[Bytes], reply: Reply) -> Reply {
    let Reply::Error(e) = &reply else { return reply };
    if !e.starts_with("BUSY") {
        return reply;
    }
    // MULTI is allowed while a script is busy (ALLOW_BUSY): it only changes this client's state.
    if argv.len() == 1 && crate::util::eq_ic(&argv[0], "multi") {
        if client.multi.is_some() {
            return Reply::Error("ERR MULTI calls can not be nested".into());
        }
        client.multi = Some(crate::client::MultiState::default());
        client.shared.multi_count.store(0, Ordering::Relaxed);
        return Reply::ok();
    }
    let Some(m) = client.multi.as_mut() else { return reply };
    if crate::util::eq_ic(&argv[0], "exec") {
        let e = format!("EXECABORT Transaction discarded because of: {e}");
        client.multi = None;
        client.shared.multi_count.store(-1, Ordering::Relaxed);
        return Reply::Error(e);
    }
    m.aborted = true;
    reply
}

/// A registered function of a library.
pub struct FunctionDef {
    pub name: String,
    pub library: String,
    pub func: Function,
    pub flags: Vec<String>,
    pub description: Option<String>,
}

pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: Vec<String>,
}

pub struct Engine {
    pub lua: Lua,
    /// Cached scripts: sha → flags. The compiled functions live in a Lua registry table (one
    /// reference slot for all of them: mlua has about 8000).
    pub scripts: hashbrown::HashMap<String, Vec<String>>,
    pub script_bodies: hashbrown::HashMap<String, Bytes>,
    pub functions: hashbrown::HashMap<String, FunctionDef>,
    pub libraries: Vec<Library>,
    /// The `Server::function_libraries` the functions were built from.
    pub built_from: Vec<Bytes>,
}

pub static ENGINE: LazyLock<Mutex<Engine>> = LazyLock::new(|| Mutex::new(Engine::new()));

pub fn sha1hex(b: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(b);
    h.digest().to_string()
}

fn new_lua() -> Lua {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
    let lua = Lua::new_with(libs, LuaOptions::default()).expect("lua");
    let _ = lua.set_memory_limit(1 << 30);
    let g = lua.globals();
    for name in ["loadfile", "dofile", "require", "module", "print", "newproxy", "gcinfo", "collectgarbage"] {
        let _ = g.raw_set(name, Value::Nil);
    }
    let _ = g.raw_set("package", Value::Nil);
    // Effects replication makes randomness safe: seed it (as Redis 7 no longer resets it).
    let seed = (crate::util::now_us() as u64 ^ std::process::id() as u64) % 2_147_483_647;
    let _ = lua.load(format!("math.randomseed({seed})")).exec();
    libs::install(&lua).expect("script libraries");
    lua
}

impl Engine {
    fn new() -> Engine {
        Engine {
            lua: new_lua(),
            scripts: Default::default(),
            script_bodies: Default::default(),
            functions: Default::default(),
            libraries: Vec::new(),
            built_from: Vec::new(),
        }
    }

    pub fn flush_scripts(&mut self) {
        self.scripts.clear();
        if let Ok(t) = self.lua.create_table() {
            let _ = self.lua.set_named_registry_value("vk_scripts", t);
        }
        self.script_bodies.clear();
        self.lua.gc_collect().ok();
    }

    /// Compiles an EVAL script body (with its optional `#!lua flags=...` shebang); caches it.
    pub fn load_script(&mut self, body: &Bytes) -> Result<String, String> {
        let sha = sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (code, flags) = parse_shebang(body)?;
        let f = self
            .lua
            .load(&code[..])
            .set_name("@user_script")
            .into_function()
            .map_err(|e| format!("ERR Error compiling script (new function): {}", lua_err_text(&e)))?;
        // Scripts see the read-only globals proxy, never the real globals table.
        if let Ok(env) = self.lua.named_registry_value::<Table>("vk_env") {
            f.set_environment(env).map_err(|e| format!("ERR {e}"))?;
        }
        let t: Table = match self.lua.named_registry_value::<Value>("vk_scripts") {
            Ok(Value::Table(t)) => t,
            _ => {
                let t = self.lua.create_table().map_err(|e| format!("ERR {e}"))?;
                let _ = self.lua.set_named_registry_value("vk_scripts", t.clone());
                t
            }
        };
        t.raw_set(sha.as_str(), f).map_err(|e| format!("ERR {e}"))?;
        self.scripts.insert(sha.clone(), flags);
        self.script_bodies.insert(sha.clone(), body.clone());
        Ok(sha)
    }

    /// Makes the registered functions match `libs` (the server's persisted libraries).
    pub fn sync_libraries(&mut self, libs: &[Bytes]) {
        if self.built_from == libs {
            return;
        }
        self.functions.clear();
        self.libraries.clear();
        for code in libs {
            if let Ok((lib, fns)) = compile_library(&self.lua, code) {
                for f in fns {
                    self.functions.insert(f.name.clone(), f);
                }
                self.libraries.push(lib);
            }
        }
        self.built_from = libs.to_vec();
    }
}

/// Splits an EVAL body's shebang: returns the code (shebang line replaced by an empty line) and
/// the flags.
fn parse_shebang(body: &[u8]) -> Result<(Vec<u8>, Vec<String>), String> {
    if !body.starts_with(b"#!") {
        return Ok((body.to_vec(), Vec::new()));
    }
    let end = body.iter().position(|&c| c == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|s| !s.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = Vec::new();
    for p in parts {
        if let Some(fl) = p.strip_prefix("flags=") {
            for f in fl.split(',').filter(|s| !s.is_empty()) {
                if !matches!(f, "no-writes" | "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys") {
                    return Err(format!("ERR Unexpected flag in script shebang: {f}"));
                }
                flags.push(f.to_string());
            }
        } else {
            return Err(format!("ERR Unknown lua shebang option: {p}"));
        }
    }
    let mut code = b"\n".to_vec();
    code.extend_from_slice(&body[end.min(body.len())..].strip_prefix(b"\n").unwrap_or(&[]));
    Ok((code, flags))
}

/// The text of a Lua error, without mlua's traceback decorations.
pub fn lua_err_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_err_text(cause),
        mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::ExternalError(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// A library's shebang (`#!<engine> name=<name>`), split as Redis's sdssplitargs (quotes
/// allowed): returns the engine and the library name, or Redis's metadata error.
pub fn library_metadata(code: &[u8]) -> Result<(String, String), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let parts = match crate::resp::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2.min(parts[0].len())..]).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("ERR Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!("ERR Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let name = name.ok_or_else(|| "ERR Library name was not given".to_string())?;
    Ok((engine, name))
}

/// Runs a library's code in a loading environment that only offers `redis.register_function`
/// (and the usual libraries); returns the library and its functions.
pub fn compile_library(lua: &Lua, code: &Bytes) -> Result<(Library, Vec<FunctionDef>), String> {
    compile_library_timeout(lua, code, 0)
}

/// FUNCTION LOAD's limit for a library's top-level code (Redis's LOAD_TIMEOUT_MS).
pub const LOAD_TIMEOUT_MS: u64 = 500;

/// [`compile_library`] with a time limit (ms, 0 = none) for the library's top-level code: past
/// it the load fails with "FUNCTION LOAD timeout" (raised on every instruction from then on,
/// so pcall cannot swallow it).
pub fn compile_library_timeout(lua: &Lua, code: &Bytes, timeout_ms: u64) -> Result<(Library, Vec<FunctionDef>), String> {
    let (engine, name) = library_metadata(code)?;
    let first = code.split(|&c| c == b'\n').next().unwrap_or(&[]);
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    let mut body = b"\n".to_vec();
    let rest = &code[first.len()..];
    body.extend_from_slice(rest.strip_prefix(b"\n").unwrap_or(rest));
    let f = lua
        .load(&body[..])
        .set_name("@user_function")
        .into_function()
        .map_err(|e| format!("ERR Error compiling function: {}", lua_err_text(&e)))?;
    let registered: std::rc::Rc<RefCell<Vec<FunctionDef>>> = Default::default();
    let err: std::rc::Rc<RefCell<Option<String>>> = Default::default();
    let res = lua.scope(|scope| {
        let reg = registered.clone();
        let errs = err.clone();
        let libname = name.clone();
        let register = scope.create_function(move |_lua, args: MultiValue| {
            let r = register_function(&libname, args, &reg.borrow());
            match r {
                Ok(def) => {
                    reg.borrow_mut().push(def);
                    Ok(())
                }
                Err(e) => {
                    *errs.borrow_mut() = Some(e.clone());
                    Err(mlua::Error::RuntimeError(e))
                }
            }
        })?;
        // The libraries' shared environment (see `libs::install`): during the load it offers
        // only `redis` with register_function/log; the callbacks later see the globals.
        let helpers: Table = lua.named_registry_value("vk_fn")?;
        let env: Table = helpers.raw_get("env")?;
        f.set_environment(env)?;
        let begin: Function = helpers.raw_get("begin_load")?;
        let end: Function = helpers.raw_get("end_load")?;
        begin.call::<()>(register)?;
        if timeout_ms > 0 {
            let start = std::time::Instant::now();
            lua.set_hook(HookTriggers::new().every_nth_instruction(100_000), move |lua, _dbg| {
                if start.elapsed().as_millis() as u64 > timeout_ms {
                    lua.set_hook(HookTriggers::new().every_nth_instruction(1), |_lua, _dbg| {
                        Err(mlua::Error::RuntimeError("\u{1}FUNCTION LOAD timeout".into()))
                    });
                    return Err(mlua::Error::RuntimeError("\u{1}FUNCTION LOAD timeout".into()));
                }
                Ok(VmState::Continue)
            });
        }
        let r = f.call::<()>(());
        if timeout_ms > 0 {
            lua.remove_hook();
        }
        end.call::<()>(())?;
        r
    });
    if let Err(e) = res {
        if let Some(m) = err.borrow().clone() {
            return Err(m);
        }
        let text = lua_err_text(&e);
        let first = text.lines().next().unwrap_or("").trim_end();
        // Errors raised "from C" (marked \u{1}) carry no position.
        let first = first.rsplit('\u{1}').next().unwrap_or(first);
        return Err(format!("ERR Error registering functions: ERR {first}"));
    }
    let fns = std::mem::take(&mut *registered.borrow_mut());
    if fns.is_empty() {
        return Err("ERR No functions registered".into());
    }
    let lib = Library { name, code: code.clone(), functions: fns.iter().map(|f| f.name.clone()).collect() };
    Ok((lib, fns))
}

fn register_function(lib: &str, args: MultiValue, existing: &[FunctionDef]) -> Result<FunctionDef, String> {
    let args: Vec<Value> = args.into_iter().collect();
    let (name, func, flags, description) = match args.as_slice() {
        [Value::String(n), Value::Function(f)] => (n.to_string_lossy().to_string(), f.clone(), Vec::new(), None),
        [Value::Table(t)] => {
            let mut name = None;
            let mut func = None;
            let mut flags = Vec::new();
            let mut desc = None;
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair.map_err(|e| e.to_string())?;
                let Value::String(k) = k else { return Err("ERR named argument key given to redis.register_function is not a string".into()) };
                match &*k.to_string_lossy() {
                    "function_name" => match v {
                        Value::String(s) => name = Some(s.to_string_lossy().to_string()),
                        _ => return Err("ERR function_name argument given to redis.register_function must be a string".into()),
                    },
                    "callback" => match v {
                        Value::Function(f) => func = Some(f),
                        _ => return Err("ERR callback argument given to redis.register_function must be a function".into()),
                    },
                    "description" => match v {
                        Value::String(s) => desc = Some(s.to_string_lossy().to_string()),
                        _ => return Err("ERR description argument given to redis.register_function must be a string".into()),
                    },
                    "flags" => match v {
                        Value::Table(ft) => {
                            for f in ft.sequence_values::<Value>() {
                                let Ok(Value::String(f)) = f else { return Err("ERR unknown flag given".into()) };
                                let f = f.to_string_lossy().to_string();
                                if !matches!(f.as_str(), "no-writes" | "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys") {
                                    return Err("ERR unknown flag given".into());
                                }
                                flags.push(f);
                            }
                        }
                        _ => return Err("ERR flags argument to redis.register_function must be a table representing function flags".into()),
                    },
                    other => return Err(format!("ERR unknown argument given to redis.register_function: {other}")),
                }
            }
            let Some(name) = name else { return Err("ERR redis.register_function must get a function name argument".into()) };
            let Some(func) = func else { return Err("ERR redis.register_function must get a callback argument".into()) };
            (name, func, flags, desc)
        }
        [_] => {
            return Err("ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into())
        }
        [Value::String(_), _] => return Err("ERR second argument to redis.register_function must be a function".into()),
        [_, _] => return Err("ERR first argument to redis.register_function must be a string".into()),
        _ => return Err("ERR wrong number of arguments to redis.register_function".into()),
    };
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return Err("ERR Function names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    if existing.iter().any(|f| f.name == name) {
        return Err("ERR Function already exists in the library".into());
    }
    Ok(FunctionDef { name, library: lib.to_string(), func, flags, description })
}

/// Validates a library before `Server::load_function_library` stores it.
pub fn validate_library(srv_libs: &[Bytes], code: &Bytes, replace: bool) -> Result<String, String> {
    validate_library_timeout(srv_libs, code, replace, 0)
}

/// [`validate_library`] with a time limit for the new library's top-level code (FUNCTION LOAD).
pub fn validate_library_timeout(srv_libs: &[Bytes], code: &Bytes, replace: bool, timeout_ms: u64) -> Result<String, String> {
    let eng = ENGINE.lock();
    let (lib, fns) = compile_library_timeout(&eng.lua, code, timeout_ms)?;
    for other in srv_libs {
        let Ok((olib, ofns)) = compile_library(&eng.lua, other) else { continue };
        if olib.name == lib.name {
            if !replace {
                return Err(format!("ERR Library '{}' already exists", lib.name));
            }
            continue;
        }
        for f in &fns {
            if ofns.iter().any(|o| o.name == f.name) {
                return Err(format!("ERR Function {} already exists", f.name));
            }
        }
    }
    Ok(lib.name)
}

/// What kind of script runs.
pub enum Target {
    Script { sha: String },
    Function { name: String },
}

/// Runs a script or function for `caller`. `read_only`: EVAL_RO/EVALSHA_RO/FCALL_RO.
pub fn run(srv: &mut Server, caller: &mut Client, target: Target, keys: Vec<Bytes>, args: Vec<Bytes>, read_only: bool) -> Reply {
    let mut eng = ENGINE.lock();
    let (func, flags, is_fn, sha) = match &target {
        Target::Script { sha } => match (eng.scripts.get(sha), eng.lua.named_registry_value::<Table>("vk_scripts").and_then(|t| t.raw_get::<Function>(sha.as_str()))) {
            (Some(fl), Ok(f)) => (f, fl.clone(), false, sha.clone()),
            _ => return Reply::Error("NOSCRIPT No matching script. Please use EVAL.".into()),
        },
        Target::Function { name } => {
            let libs = srv.function_libraries.clone();
            eng.sync_libraries(&libs);
            // Function names are looked up case-insensitively, as Redis's functions dict.
            let found = eng.functions.get(name).or_else(|| eng.functions.values().find(|f| f.name.eq_ignore_ascii_case(name)));
            match found {
                Some(f) => (f.func.clone(), f.flags.clone(), true, f.name.clone()),
                None => return Reply::Error("ERR Function not found".into()),
            }
        }
    };
    let no_writes = read_only || flags.iter().any(|f| f == "no-writes");
    // Functions and `#!lua` scripts declare their flags; plain EVAL scripts do not.
    let declared_flags = is_fn || eng.script_bodies.get(&sha).is_some_and(|b| b.starts_with(b"#!"));
    if read_only && is_fn && !flags.iter().any(|f| f == "no-writes") {
        return Reply::Error("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    let lua = eng.lua.clone();
    drop(eng);
    let mut sclient = Client::new(caller.shared.clone(), true);
    sclient.db = caller.db;
    sclient.in_script = true;
    sclient.resp = 2;
    let allow_oom = flags.iter().any(|f| f == "allow-oom");
    // A script that declares flags and may write is refused up front when out of memory
    // (Redis 7.2 `scriptPrepareForRun`); flagless EVAL scripts are checked per command.
    if declared_flags && !no_writes && !allow_oom && crate::spill::out_of_memory(srv) {
        return Reply::Error("OOM command not allowed when used memory > 'maxmemory'.".into());
    }
    let state = RefCell::new(RunState { srv, client: sclient, no_writes, allow_oom, script_resp: 2, wrote: false, err_line: None });

    STATE.kill_requested.store(false, Ordering::SeqCst);
    STATE.wrote.store(false, Ordering::SeqCst);
    STATE.is_function.store(is_fn, Ordering::SeqCst);
    STATE.threshold_ms.store(state.borrow().srv.config.busy_reply_threshold as i64, Ordering::SeqCst);
    STATE.running_since.store(crate::util::now_ms(), Ordering::SeqCst);
    lua.set_hook(HookTriggers::new().every_nth_instruction(10_000), |lua, _dbg| {
        if STATE.kill_requested.load(Ordering::SeqCst) {
            // From now on every instruction raises, so a script looping over pcall() cannot
            // swallow the kill (Redis's luaMaskCountHook re-arms itself on every line).
            lua.set_hook(HookTriggers::new().every_nth_instruction(1), |_lua, _dbg| {
                Err(mlua::Error::RuntimeError("ERR Script killed by user with SCRIPT KILL...".into()))
            });
            return Err(mlua::Error::RuntimeError("ERR Script killed by user with SCRIPT KILL...".into()));
        }
        Ok(VmState::Continue)
    });
    let counted_reply = std::cell::Cell::new(false);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lua.scope(|scope| {
        let st = &state;
        let call = scope.create_function_mut(move |lua, args: MultiValue| redis_call(lua, st, args, true))?;
        let pcall = scope.create_function_mut(move |lua, args: MultiValue| redis_call(lua, st, args, false))?;
        let setresp = scope.create_function_mut(move |_lua, args: MultiValue| {
            let v: Vec<Value> = args.into_iter().collect();
            if v.len() != 1 {
                return Err(mlua::Error::RuntimeError("redis.setresp() requires one argument.".into()));
            }
            let n = match v[0] { Value::Integer(i) => i as f64, Value::Number(n) => n, _ => 0.0 };
            if n != 2.0 && n != 3.0 {
                return Err(mlua::Error::RuntimeError("RESP version must be 2 or 3.".into()));
            }
            st.borrow_mut().script_resp = n as u8;
            Ok(())
        })?;
        let redis: Table = lua.globals().raw_get("redis")?;
        redis.raw_set("call", call)?;
        redis.raw_set("pcall", pcall)?;
        redis.raw_set("setresp", setresp)?;
        let ktable = lua.create_sequence_from(keys.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)?;
        let atable = lua.create_sequence_from(args.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)?;
        let r = if is_fn {
            func.call::<Value>((ktable, atable))
        } else {
            lua.globals().raw_set("KEYS", ktable)?;
            lua.globals().raw_set("ARGV", atable)?;
            func.call::<Value>(())
        };
        // Booleans convert by the script's protocol (redis.setresp), as Redis does.
        let resp = st.borrow().script_resp;
        let out = match r {
            Ok(v) => {
                // An error table from redis.pcall, returned as is: already counted.
                if let Value::Table(t) = &v {
                    if matches!(t.raw_get::<Value>("ignore_error_stats_update"), Ok(Value::Boolean(true))) {
                        counted_reply.set(true);
                    }
                }
                Ok(lua_to_reply(&v, resp, 0))
            }
            Err(e) => Err(e),
        };
        redis.raw_set("call", Value::Nil)?;
        redis.raw_set("pcall", Value::Nil)?;
        redis.raw_set("setresp", Value::Nil)?;
        Ok(out)
    })))
    .unwrap_or_else(|_| Err(mlua::Error::RuntimeError("ERR script aborted by an internal error".into())));
    lua.remove_hook();
    STATE.running_since.store(0, Ordering::SeqCst);
    STATE.kill_requested.store(false, Ordering::SeqCst);
    let _ = lua.gc_step();
    let call_line = state.borrow().err_line;
    let (reply, counted) = match result {
        Ok(Ok(reply)) => (reply, counted_reply.get()),
        Ok(Err(e)) | Err(e) => (error_reply(&e, &sha, is_fn, call_line), find_table_err(&e)),
    };
    // An error from redis.call/pcall was counted when the command failed; the caller counts the
    // script's error reply: take one off so it is counted once (Redis's
    // ignore_error_stats_update).
    if counted {
        if let Reply::Error(msg) = &reply {
            let srv = &mut *state.borrow_mut().srv;
            srv.stats.total_error_replies = srv.stats.total_error_replies.saturating_sub(1);
            let code = msg.split(' ').next().unwrap_or("ERR");
            if let Some(n) = srv.stats.errors.get_mut(code) {
                *n = n.saturating_sub(1);
            }
        }
    }
    reply
}

fn error_reply(e: &mlua::Error, _sha: &str, is_fn: bool, call_line: Option<i32>) -> Reply {
    let text = lua_err_text(e);
    if text.starts_with("ERR Script killed by user") {
        return Reply::Error("ERR Script killed by user with SCRIPT KILL...".into());
    }
    let mut text = text.lines().next().unwrap_or("").trim_end().to_string();
    let chunk = if is_fn { "user_function" } else { "user_script" };
    // Errors raised "from C" in Redis (no position in the message) are marked with \x01 by our
    // Lua helpers, which add the position only for the trailer's line number.
    let mut marked_line = None;
    if let Some(i) = text.find('\u{1}') {
        marked_line = text[..i].strip_prefix(chunk).and_then(|r| r.split(':').nth(1)).and_then(|l| l.parse::<i32>().ok());
        text = text[i + 1..].to_string();
    }
    let from_call = find_table_err(e);
    let line = if from_call { call_line } else { marked_line }.or_else(|| {
        let rest = text.strip_prefix(chunk)?.strip_prefix(':')?;
        rest.split(':').next()?.parse().ok()
    });
    let code_ok = text.split(' ').next().is_some_and(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_uppercase() || c == b'_'));
    let msg = if code_ok { text } else { format!("ERR {text}") };
    match line {
        Some(l) => Reply::Error(format!("{msg} script: on @{chunk}:{l}.")),
        None => Reply::Error(format!("{msg} script: on @{chunk}:?.")),
    }
}

/// Whether the error was raised by redis.call (rather than by Lua code).
fn find_table_err(e: &mlua::Error) -> bool {
    match e {
        mlua::Error::CallbackError { cause, .. } => find_table_err(cause),
        mlua::Error::WithContext { cause, .. } => find_table_err(cause),
        mlua::Error::ExternalError(x) => x.downcast_ref::<TableError>().is_some(),
        _ => false,
    }
}

struct RunState<'a> {
    srv: &'a mut Server,
    client: Client,
    no_writes: bool,
    /// The `allow-oom` flag: deny-oom commands run even when over `maxmemory`.
    allow_oom: bool,
    script_resp: u8,
    wrote: bool,
    /// Line of the redis.call that raised the last error.
    err_line: Option<i32>,
}

fn arg_bytes(v: &Value) -> Option<Bytes> {
    match v {
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Integer(i) => Some(Bytes::from(i.to_string())),
        Value::Number(n) => Some(Bytes::from(fmt_lua_number(*n))),
        _ => None,
    }
}

/// Lua 5.1's number → string conversion ("%.14g").
pub fn fmt_lua_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    if n.is_nan() {
        return "nan".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{:.13e}", n);
    // Convert to %.14g style.
    let (mant, exp) = s.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..14).contains(&exp) {
        let decimals = (13 - exp).max(0) as usize;
        let f = format!("{:.*}", decimals, n);
        let f = if f.contains('.') { f.trim_end_matches('0').trim_end_matches('.').to_string() } else { f };
        f
    } else {
        let m = mant.trim_end_matches('0').trim_end_matches('.');
        format!("{}e{}{:02}", m, if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}


#[derive(Debug)]
struct TableError(String);
impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TableError {}

fn redis_call(lua: &Lua, st: &RefCell<RunState>, args: MultiValue, raise_errors: bool) -> mlua::Result<MultiValue> {
    let vals: Vec<Value> = args.into_iter().collect();
    let n = vals.len();
    let fail = |lua: &Lua, msg: String| -> mlua::Result<MultiValue> {
        // Counted once, here (Redis: when the command fails); a script error reply carrying
        // it is not counted again (see `run`).
        if let Ok(mut s) = st.try_borrow_mut() {
            crate::server::count_error(s.srv, &Reply::Error(msg.clone()));
        }
        if raise_errors {
            let line = (0..6).find_map(|lvl| {
                let d = lua.inspect_stack(lvl)?;
                let user = d.source().short_src.as_deref().is_some_and(|s| s.starts_with("user_"));
                (user && d.curr_line() > 0).then(|| d.curr_line())
            });
            if let Ok(mut s) = st.try_borrow_mut() {
                s.err_line = line.or(Some(1));
            }
            Err(mlua::Error::external(TableError(msg)))
        } else {
            let t = lua.create_table()?;
            t.raw_set("err", msg)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Ok(MultiValue::from_iter([Value::Table(t)]))
        }
    };
    if n == 0 {
        return fail(lua, "ERR Please specify at least one argument for this redis lib call".into());
    }
    let mut argv = Vec::with_capacity(n.min(1 << 16));
    for i in 1..=n {
        match arg_bytes(&vals[i - 1]) {
            Some(b) => argv.push(b),
            None => return fail(lua, "ERR Lua redis lib command arguments must be strings or integers".into()),
        }
    }
    let (spec, _) = match crate::server::resolve(&argv) {
        Ok(x) => x,
        Err(Reply::Error(e)) => {
            let e = if e.starts_with("ERR unknown command") {
                "ERR Unknown Redis command called from script".to_string()
            } else if e.starts_with("ERR wrong number of arguments") {
                "ERR Wrong number of args calling Redis command from script".to_string()
            } else {
                e
            };
            return fail(lua, e);
        }
        Err(_) => return fail(lua, "ERR Unknown Redis command called from script".into()),
    };
    if spec.has(crate::cmd::flags::NOSCRIPT) && !DISABLE_DENY_SCRIPTS.load(Ordering::Relaxed) {
        return fail(lua, "ERR This Redis command is not allowed from script".into());
    }
    let mut guard = st.borrow_mut();
    let s = &mut *guard;
    let is_write = spec.has(crate::cmd::flags::WRITE);
    // Read-only scripts refuse may-replicate commands too (PUBLISH, PFCOUNT...), as Redis's
    // scriptVerifyWriteCommandAllow: they must not slip through CLIENT PAUSE WRITE.
    if s.no_writes && !is_write && spec.has(crate::cmd::flags::MAY_REPLICATE) {
        s.srv.stats.commands.of(spec).rejected_calls += 1;
        drop(guard);
        return fail(lua, "ERR Write commands are not allowed from read-only scripts.".into());
    }
    if is_write {
        let refusal = if s.no_writes {
            Some("ERR Write commands are not allowed from read-only scripts.".to_string())
        } else if let Some(Reply::Error(e)) = s.srv.write_refusal(spec) {
            Some(e)
        } else if !s.allow_oom && spec.has(crate::cmd::flags::DENYOOM) && crate::spill::out_of_memory(s.srv) {
            Some(crate::spill::OOM_ERROR.to_string())
        } else {
            None
        };
        if let Some(e) = refusal {
            s.srv.stats.commands.of(spec).rejected_calls += 1;
            drop(guard);
            return fail(lua, e);
        }
    }
    s.client.resp = s.script_resp;
    let dirty_before = s.srv.dirty;
    let (reply, _) = crate::server::call(s.srv, &mut s.client, spec, &argv, true);
    // MONITOR shows the script's commands after they ran, as `[db lua] ...`.
    if !s.srv.monitors.is_empty() && crate::server::monitored(spec) {
        crate::server::feed_monitors(s.srv, &s.client, &argv);
    }
    if s.srv.dirty != dirty_before || is_write {
        if s.srv.dirty != dirty_before {
            s.wrote = true;
            STATE.wrote.store(true, Ordering::SeqCst);
        }
    }
    if let Reply::Error(e) = &reply {
        let e = e.clone();
        drop(guard);
        return fail(lua, e);
    }
    let resp = s.script_resp;
    drop(guard);
    let v = reply_to_lua(lua, &reply, resp)?;
    Ok(MultiValue::from_iter([v]))
}

/// RESP → Lua as Redis documents it.
pub fn reply_to_lua(lua: &Lua, r: &Reply, resp: u8) -> mlua::Result<Value> {
    let single = |k: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(k, v)?;
        Ok(Value::Table(t))
    };
    Ok(match r {
        Reply::Simple(s) => single("ok", Value::String(lua.create_string(s)?))?,
        Reply::Error(e) => single("err", Value::String(lua.create_string(e)?))?,
        Reply::Int(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray => {
            if resp == 3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Reply::Array(items) | Reply::Push(items) => {
            let t = lua.create_table()?;
            for (i, it) in items.iter().enumerate() {
                t.raw_set(i + 1, reply_to_lua(lua, it, resp)?)?;
            }
            Value::Table(t)
        }
        Reply::Set(items) => {
            if resp == 3 {
                let inner = lua.create_table()?;
                for it in items {
                    inner.raw_set(reply_to_lua(lua, it, resp)?, true)?;
                }
                single("set", Value::Table(inner))?
            } else {
                reply_to_lua(lua, &Reply::Array(items.clone()), resp)?
            }
        }
        Reply::Map(pairs) => {
            if resp == 3 {
                let inner = lua.create_table()?;
                for (k, v) in pairs {
                    inner.raw_set(reply_to_lua(lua, k, resp)?, reply_to_lua(lua, v, resp)?)?;
                }
                single("map", Value::Table(inner))?
            } else {
                let t = lua.create_table()?;
                let mut i = 1;
                for (k, v) in pairs {
                    t.raw_set(i, reply_to_lua(lua, k, resp)?)?;
                    t.raw_set(i + 1, reply_to_lua(lua, v, resp)?)?;
                    i += 2;
                }
                Value::Table(t)
            }
        }
        Reply::Double(d) => {
            if resp == 3 {
                single("double", Value::Number(*d))?
            } else {
                Value::String(lua.create_string(crate::util::fmt_double(*d))?)
            }
        }
        Reply::Bool(b) => {
            if resp == 3 {
                Value::Boolean(*b)
            } else if *b {
                Value::Number(1.0)
            } else {
                Value::Number(0.0)
            }
        }
        Reply::Verbatim(fmt, s) => {
            if resp == 3 {
                let inner = lua.create_table()?;
                inner.raw_set("format", *fmt)?;
                inner.raw_set("string", lua.create_string(s)?)?;
                single("verbatim_string", Value::Table(inner))?
            } else {
                Value::String(lua.create_string(s)?)
            }
        }
        Reply::BigNumber(s) => {
            if resp == 3 {
                single("big_number", Value::String(lua.create_string(s)?))?
            } else {
                Value::String(lua.create_string(s)?)
            }
        }
        Reply::Raw(b) => Value::String(lua.create_string(b)?),
    })
}

/// Lua → RESP as Redis documents it; `resp` is the calling client's protocol.
pub fn lua_to_reply(v: &Value, resp: u8, depth: usize) -> Reply {
    if depth > 200 {
        return Reply::Error("ERR reached lua stack limit".into());
    }
    match v {
        Value::Nil => Reply::Nil,
        Value::Boolean(b) => {
            if resp == 3 {
                Reply::Bool(*b)
            } else if *b {
                Reply::Int(1)
            } else {
                Reply::Nil
            }
        }
        Value::Integer(i) => Reply::Int(*i as i64),
        Value::Number(n) => Reply::Int(if n.is_finite() { *n as i64 } else { i64::MIN /* x86 cvttsd2si of NaN/inf, as Redis */ }),
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Table(t) => {
            if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
                return Reply::Error(e.to_string_lossy().to_string());
            }
            if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
                return Reply::Simple(s.to_string_lossy().to_string());
            }
            if resp == 3 || true {
                if let Ok(Value::Number(d)) = t.raw_get::<Value>("double") {
                    return Reply::Double(d);
                }
                if let Ok(Value::Integer(d)) = t.raw_get::<Value>("double") {
                    return Reply::Double(d as f64);
                }
                if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
                    // CR/LF would break the protocol: Redis maps them to spaces.
                    return Reply::BigNumber(s.to_string_lossy().replace(['\r', '\n'], " "));
                }
                if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
                    let mut out = Vec::new();
                    for (k, v) in m.pairs::<Value, Value>().flatten() {
                        out.push((lua_to_reply(&k, resp, depth + 1), lua_to_reply(&v, resp, depth + 1)));
                    }
                    return Reply::Map(out);
                }
                if let Ok(Value::Table(m)) = t.raw_get::<Value>("set") {
                    let mut out = Vec::new();
                    for (k, _) in m.pairs::<Value, Value>().flatten() {
                        out.push(lua_to_reply(&k, resp, depth + 1));
                    }
                    return Reply::Set(out);
                }
                if let Ok(Value::Table(m)) = t.raw_get::<Value>("verbatim_string") {
                    let s: Option<mlua::String> = m.raw_get("string").ok();
                    if let Some(s) = s {
                        return Reply::Verbatim("txt", Bytes::copy_from_slice(&s.as_bytes()));
                    }
                }
            }
            let mut out = Vec::new();
            let mut i = 1;
            loop {
                match t.raw_get::<Value>(i) {
                    Ok(Value::Nil) | Err(_) => break,
                    Ok(v) => out.push(lua_to_reply(&v, resp, depth + 1)),
                }
                i += 1;
            }
            Reply::Array(out)
        }
        _ => Reply::Nil,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(srv: &mut Server, c: &mut Client, body: &str) -> Reply {
        let sha = ENGINE.lock().load_script(&Bytes::from(body.to_string())).unwrap();
        run(srv, c, Target::Script { sha }, vec![], vec![], false)
    }

    #[test]
    fn kill_flag_stops_a_running_script() {
        let mut srv = Server::new(crate::config::Config::default());
        srv.config.busy_reply_threshold = 0;
        let mut c = Client::detached(1);
        assert_eq!(request_kill(false), Reply::Error(NOTBUSY.into()));
        let killer = std::thread::spawn(|| {
            let start = std::time::Instant::now();
            while STATE.running_since.load(Ordering::SeqCst) == 0 && start.elapsed().as_secs() < 10 {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(is_busy());
            assert!(matches!(fast_path(&[Bytes::from("GET"), Bytes::from("k")]), Some(Reply::Error(e)) if e == BUSY));
            assert_eq!(request_kill(true).is_error(), true);
            fast_path(&[Bytes::from("SCRIPT"), Bytes::from("KILL")])
        });
        let r = eval(&mut srv, &mut c, "local i = 0 while true do i = i + 1 end");
        assert_eq!(killer.join().unwrap(), Some(Reply::ok()));
        assert_eq!(r, Reply::Error("ERR Script killed by user with SCRIPT KILL...".into()));
        assert!(!is_busy());
        // The engine still works afterwards.
        assert_eq!(eval(&mut srv, &mut c, "return 7"), Reply::Int(7));
    }

    #[test]
    fn number_format() {
        assert_eq!(fmt_lua_number(3.0), "3");
        assert_eq!(fmt_lua_number(0.1), "0.1");
        assert_eq!(fmt_lua_number(1e20), "1e+20");
        assert_eq!(fmt_lua_number(-2.5), "-2.5");
    }
}

/// The command flags of `argv` as Redis's `getCommandFlags` computes them: for EVAL/EVALSHA/FCALL
/// (and their `_RO` forms) the script's declared flags replace WRITE, DENYOOM and STALE
/// (`scriptFlagsToCmdFlags`); scripts without a shebang, unknown scripts and unknown functions
/// keep the command's own flags (EVAL: MAY_REPLICATE). Used by CLIENT PAUSE WRITE and by the
/// OOM check of MULTI/EXEC.
pub fn effective_flags(srv: &Server, spec: &crate::cmd::CommandSpec, argv: &[Bytes]) -> u64 {
    let base = spec.flags;
    let script_flags: Vec<String> = match spec.name {
        "eval" | "eval_ro" => {
            let Some(body) = argv.get(1) else { return base };
            if !body.starts_with(b"#!") {
                return base;
            }
            match parse_shebang(body) {
                Ok((_, f)) => f,
                Err(_) => return base,
            }
        }
        "evalsha" | "evalsha_ro" => {
            let Some(sha) = argv.get(1) else { return base };
            let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
            let eng = ENGINE.lock();
            match (eng.script_bodies.get(&sha), eng.scripts.get(&sha)) {
                (Some(b), Some(f)) if b.starts_with(b"#!") => f.clone(),
                _ => return base,
            }
        }
        "fcall" | "fcall_ro" => {
            let Some(name) = argv.get(1) else { return base };
            let name = String::from_utf8_lossy(name);
            let mut eng = ENGINE.lock();
            eng.sync_libraries(&srv.function_libraries);
            let found = eng.functions.get(name.as_ref()).or_else(|| eng.functions.values().find(|f| f.name.eq_ignore_ascii_case(&name)));
            match found {
                Some(f) => f.flags.clone(),
                None => return base,
            }
        }
        _ => return base,
    };
    use crate::cmd::flags::*;
    let has = |n: &str| script_flags.iter().any(|f| f == n);
    let mut fl = base & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
    if !has("allow-oom") && !has("no-writes") {
        fl |= DENYOOM;
    }
    if !has("no-writes") {
        fl |= WRITE;
    }
    if has("allow-stale") {
        fl |= STALE;
    }
    fl
}
