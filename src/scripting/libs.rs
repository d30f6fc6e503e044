//! The libraries Redis scripts expect: the `redis` table (minus call/pcall/setresp, installed per
//! run), `bit`, `cjson`, and globals protection.

use mlua::{Lua, MultiValue, Table, Value};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

fn num(v: &Value) -> mlua::Result<f64> {
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Number(n) => Ok(*n),
        Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()).ok_or_else(|| mlua::Error::RuntimeError("bad argument (number expected)".into())),
        _ => Err(mlua::Error::RuntimeError("bad argument (number expected, got no value)".into())),
    }
}

/// LuaBitOp's normalisation of a number to a signed 32-bit integer.
fn tobit(n: f64) -> i32 {
    let b = n + 6755399441055744.0; // 2^52 + 2^51
    b.to_bits() as u32 as i32
}

fn install_bit(lua: &Lua) -> mlua::Result<Table> {
    let bit = lua.create_table()?;
    bit.raw_set("tobit", lua.create_function(|_, v: Value| Ok(tobit(num(&v)?) as f64))?)?;
    bit.raw_set("bnot", lua.create_function(|_, v: Value| Ok(!tobit(num(&v)?) as f64))?)?;
    let fold = |lua: &Lua, op: fn(i32, i32) -> i32| {
        lua.create_function(move |_, args: MultiValue| {
            let mut it = args.into_iter();
            let first = it.next().unwrap_or(Value::Nil);
            let mut acc = tobit(num(&first)?);
            for v in it {
                acc = op(acc, tobit(num(&v)?));
            }
            Ok(acc as f64)
        })
    };
    bit.raw_set("band", fold(lua, |a, b| a & b)?)?;
    bit.raw_set("bor", fold(lua, |a, b| a | b)?)?;
    bit.raw_set("bxor", fold(lua, |a, b| a ^ b)?)?;
    let shift = |lua: &Lua, op: fn(i32, u32) -> i32| {
        lua.create_function(move |_, (a, n): (Value, Value)| Ok(op(tobit(num(&a)?), (tobit(num(&n)?) & 31) as u32) as f64))
    };
    bit.raw_set("lshift", shift(lua, |a, n| ((a as u32) << n) as i32)?)?;
    bit.raw_set("rshift", shift(lua, |a, n| ((a as u32) >> n) as i32)?)?;
    bit.raw_set("arshift", shift(lua, |a, n| a >> n)?)?;
    bit.raw_set("rol", shift(lua, |a, n| (a as u32).rotate_left(n) as i32)?)?;
    bit.raw_set("ror", shift(lua, |a, n| (a as u32).rotate_right(n) as i32)?)?;
    bit.raw_set("bswap", lua.create_function(|_, v: Value| Ok((tobit(num(&v)?) as u32).swap_bytes() as i32 as f64))?)?;
    bit.raw_set(
        "tohex",
        lua.create_function(|_, (v, n): (Value, Option<Value>)| {
            let x = tobit(num(&v)?) as u32;
            let mut n = match n { Some(n) => tobit(num(&n)?), None => 8 };
            let upper = n < 0;
            if upper {
                n = -n;
            }
            let n = n.clamp(1, 8) as usize;
            let s = if upper { format!("{:08X}", x) } else { format!("{:08x}", x) };
            Ok(s[8 - n..].to_string())
        })?,
    )?;
    Ok(bit)
}

/// What cjson and cmsgpack need to know of a table to choose array or map: how many keys it
/// has, its largest positive integer key, and whether every key is a positive integer.
struct TableShape {
    count: usize,
    max: usize,
    positive_int_keys: bool,
}

fn table_shape(t: &Table) -> mlua::Result<TableShape> {
    let mut shape = TableShape { count: 0, max: 0, positive_int_keys: true };
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        shape.count += 1;
        match k {
            Value::Integer(i) if i >= 1 => shape.max = shape.max.max(i as usize),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => shape.max = shape.max.max(n as usize),
            _ => shape.positive_int_keys = false,
        }
    }
    Ok(shape)
}

/// lua-cjson's settings (global to the Lua state, as in Redis): cjson.encode_max_depth,
/// cjson.decode_max_depth, cjson.encode_invalid_numbers (0 off, 1 on, 2 "null").
static ENCODE_MAX_DEPTH: AtomicUsize = AtomicUsize::new(1000);
static DECODE_MAX_DEPTH: AtomicUsize = AtomicUsize::new(1000);
static ENCODE_INVALID_NUMBERS: AtomicUsize = AtomicUsize::new(0);

fn json_encode(v: &Value, out: &mut String, depth: usize) -> mlua::Result<()> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::LightUserData(_) => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Number(n) if !n.is_finite() => match ENCODE_INVALID_NUMBERS.load(Relaxed) {
            0 => return Err(mlua::Error::RuntimeError("Cannot serialise number: must not be NaN or Inf".into())),
            1 => out.push_str(if n.is_nan() { "nan" } else if *n > 0.0 { "inf" } else { "-inf" }),
            _ => out.push_str("null"),
        },
        Value::Number(n) => out.push_str(&super::fmt_lua_number(*n)),
        Value::String(s) => {
            out.push('"');
            for &c in s.as_bytes().iter() {
                match c {
                    b'"' => out.push_str("\\\""),
                    b'\\' => out.push_str("\\\\"),
                    b'/' => out.push_str("\\/"),
                    b'\n' => out.push_str("\\n"),
                    b'\r' => out.push_str("\\r"),
                    b'\t' => out.push_str("\\t"),
                    8 => out.push_str("\\b"),
                    12 => out.push_str("\\f"),
                    c if c < 0x20 || c == 0x7f => out.push_str(&format!("\\u{:04x}", c)),
                    c => {
                        // Bytes are passed through (cjson does not validate UTF-8).
                        unsafe { out.as_mut_vec().push(c) }
                    }
                }
            }
            out.push('"');
        }
        Value::Table(t) => {
            let max_depth = ENCODE_MAX_DEPTH.load(Relaxed);
            if depth + 1 > max_depth {
                return Err(mlua::Error::RuntimeError(format!("Cannot serialise, excessive nesting ({})", depth + 1)));
            }
            let TableShape { count, max, positive_int_keys: is_array } = table_shape(t)?;
            if is_array && count > 0 && max <= count * 2 + 10 {
                out.push('[');
                for i in 1..=max {
                    if i > 1 {
                        out.push(',');
                    }
                    json_encode(&t.raw_get::<Value>(i)?, out, depth + 1)?;
                }
                out.push(']');
            } else {
                out.push('{');
                let mut first = true;
                for pair in t.clone().pairs::<Value, Value>() {
                    let (k, val) = pair?;
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    let key = match &k {
                        Value::String(_) => k.clone(),
                        _ => return Err(mlua::Error::RuntimeError("Cannot serialise table: table key must be a number or string".into())),
                    };
                    json_encode(&key, out, depth + 1)?;
                    out.push(':');
                    json_encode(&val, out, depth + 1)?;
                }
                out.push('}');
            }
        }
        _ => return Err(mlua::Error::RuntimeError(format!("Cannot serialise {}: type not supported", v.type_name()))),
    }
    Ok(())
}

fn json_to_lua(lua: &Lua, v: &serde_json::Value, null: &Value) -> mlua::Result<Value> {
    Ok(match v {
        serde_json::Value::Null => null.clone(),
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(lua.create_string(s)?),
        serde_json::Value::Array(a) => {
            let t = lua.create_table()?;
            for (i, x) in a.iter().enumerate() {
                t.raw_set(i + 1, json_to_lua(lua, x, null)?)?;
            }
            Value::Table(t)
        }
        serde_json::Value::Object(o) => {
            let t = lua.create_table()?;
            for (k, x) in o {
                t.raw_set(k.as_str(), json_to_lua(lua, x, null)?)?;
            }
            Value::Table(t)
        }
    })
}

fn install_cjson(lua: &Lua) -> mlua::Result<Table> {
    let cjson = lua.create_table()?;
    let null = Value::LightUserData(mlua::LightUserData(std::ptr::null_mut()));
    cjson.raw_set("null", null.clone())?;
    cjson.raw_set(
        "encode",
        lua.create_function(|lua, v: Value| {
            let mut out = String::new();
            encode_top(lua, &v, &mut out)?;
            lua.create_string(out.as_bytes())
        })?,
    )?;
    cjson.raw_set(
        "decode",
        lua.create_function(move |lua, s: mlua::String| {
            let parsed: serde_json::Value = serde_json::from_slice(&s.as_bytes()).map_err(|e| mlua::Error::RuntimeError(format!("Expected value but found invalid token at character {}", e.column())))?;
            let max = DECODE_MAX_DEPTH.load(Relaxed);
            if json_depth(&parsed) > max {
                return Err(mlua::Error::RuntimeError(format!("Found too many nested data structures ({}) at character 1", max + 1)));
            }
            json_to_lua(lua, &parsed, &null)
        })?,
    )?;
    // Settings: called with a value they set it; they return the current setting.
    let depth_setting = |cell: &'static AtomicUsize| {
        move |_: &Lua, v: Option<Value>| -> mlua::Result<usize> {
            match v {
                None | Some(Value::Nil) => {}
                Some(Value::Integer(n)) if (1..=i32::MAX as i64).contains(&n) => cell.store(n as usize, Relaxed),
                Some(Value::Number(n)) if n >= 1.0 && n <= i32::MAX as f64 => cell.store(n as usize, Relaxed),
                _ => return Err(mlua::Error::RuntimeError("bad argument #1 (expected integer between 1 and 2147483647)".into())),
            }
            Ok(cell.load(Relaxed))
        }
    };
    cjson.raw_set("encode_max_depth", lua.create_function(depth_setting(&ENCODE_MAX_DEPTH))?)?;
    cjson.raw_set("decode_max_depth", lua.create_function(depth_setting(&DECODE_MAX_DEPTH))?)?;
    cjson.raw_set(
        "encode_invalid_numbers",
        lua.create_function(|lua, v: Option<Value>| {
            let set = match v {
                None | Some(Value::Nil) => None,
                Some(Value::Boolean(b)) => Some(b as usize),
                Some(Value::String(s)) => match &*s.to_string_lossy() {
                    "on" => Some(1),
                    "off" => Some(0),
                    "null" => Some(2),
                    _ => return Err(mlua::Error::RuntimeError("bad argument #1 (invalid option)".into())),
                },
                _ => return Err(mlua::Error::RuntimeError("bad argument #1 (invalid option)".into())),
            };
            if let Some(x) = set {
                ENCODE_INVALID_NUMBERS.store(x, Relaxed);
            }
            Ok(match ENCODE_INVALID_NUMBERS.load(Relaxed) {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    // The encode buffer is not kept between calls here; the setting is accepted and reported.
    cjson.raw_set(
        "encode_keep_buffer",
        lua.create_function(|_, v: Option<Value>| {
            Ok(match v {
                Some(Value::Boolean(b)) => b,
                Some(Value::String(s)) => &*s.to_string_lossy() == "on",
                _ => true,
            })
        })?,
    )?;
    Ok(cjson)
}

/// Nesting depth of a decoded JSON value (arrays and objects; serde_json bounds the nesting).
fn json_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(json_depth).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn encode_top(lua: &Lua, v: &Value, out: &mut String) -> mlua::Result<()> {
    // Convert numeric table keys to strings up front by re-keying (needs the Lua state).
    let v = rekey(lua, v, 0)?;
    json_encode(&v, out, 0)
}

fn rekey(lua: &Lua, v: &Value, depth: usize) -> mlua::Result<Value> {
    // Past the configured depth json_encode reports the nesting error; stop copying there.
    if depth > ENCODE_MAX_DEPTH.load(Relaxed) {
        return Ok(v.clone());
    }
    let Value::Table(t) = v else { return Ok(v.clone()) };
    let mut is_array = true;
    let mut count = 0usize;
    let mut max = 0usize;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        count += 1;
        match k {
            Value::Integer(i) if i >= 1 => max = max.max(i as usize),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as usize),
            _ => is_array = false,
        }
    }
    let nt = lua.create_table()?;
    let array = is_array && count > 0 && max <= count * 2 + 10;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, val) = pair?;
        let key = if array {
            k
        } else {
            match k {
                Value::Integer(i) => Value::String(lua.create_string(i.to_string())?),
                Value::Number(n) => Value::String(lua.create_string(super::fmt_lua_number(n))?),
                other => other,
            }
        };
        nt.raw_set(key, rekey(lua, &val, depth + 1)?)?;
    }
    Ok(Value::Table(nt))
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    g.raw_set("bit", install_bit(lua)?)?;
    g.raw_set("cjson", install_cjson(lua)?)?;
    g.raw_set("cmsgpack", msgpack::install(lua)?)?;
    g.raw_set("struct", structlib::install(lua)?)?;
    let redis = lua.create_table()?;
    redis.raw_set("sha1hex", lua.create_function(|_, s: mlua::String| Ok(super::sha1hex(&s.as_bytes())))?)?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, s: mlua::String| {
            let t = lua.create_table()?;
            // Redis 7.2 (luaRedisErrorReplyCommand + luaPushErrorBuff): "-" is prepended when
            // missing; the first word is the error code, or "ERR" when there is only one word;
            // trailing CR/LF is trimmed.
            let raw = s.to_string_lossy().to_string();
            let body = raw.strip_prefix('-').unwrap_or(&raw);
            let msg = match body.split_once(' ') {
                Some((code, rest)) => format!("{code} {}", rest.trim_matches(|c| c == '\r' || c == '\n')),
                None => format!("ERR {}", body.trim_matches(|c| c == '\r' || c == '\n')),
            };
            t.raw_set("err", msg)?;
            Ok(t)
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, s: mlua::String| {
            let t = lua.create_table()?;
            t.raw_set("ok", s)?;
            Ok(t)
        })?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|_, args: MultiValue| {
            let v: Vec<Value> = args.into_iter().collect();
            if v.len() < 2 {
                return Err(mlua::Error::RuntimeError("redis.log() requires two arguments or more.".into()));
            }
            let msg: Vec<String> = v[1..].iter().map(|x| match x {
                Value::String(s) => s.to_string_lossy().to_string(),
                Value::Number(n) => super::fmt_lua_number(*n),
                Value::Integer(i) => i.to_string(),
                _ => String::new(),
            }).collect();
            tracing::info!("{}", msg.join(" "));
            Ok(())
        })?,
    )?;
    redis.raw_set("set_repl", lua.create_function(|_, _v: MultiValue| Ok(()))?)?;
    redis.raw_set("replicate_commands", lua.create_function(|_, _v: MultiValue| Ok(true))?)?;
    for (k, v) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3), ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        redis.raw_set(k, v)?;
    }
    redis.raw_set("REDIS_VERSION", "7.2.4")?;
    redis.raw_set("REDIS_VERSION_NUM", 0x070204)?;
    g.raw_set("redis", redis)?;
    // Globals protection (Redis's luaSetErrorMetatable + readonly tables). Scripts do not run
    // in the real globals table G but in an empty, read-only proxy P (the `vk_env` registry
    // value): P -> S (read-only proxies of `redis`, `_G` = P) -> G -> an error for undefined
    // names. Creating or replacing a global, changing a library table, or changing the
    // metatable of a protected table raises "Attempt to modify a readonly table"; reading an
    // undefined global raises "Script attempted to access nonexistent global variable".
    // The server still writes KEYS/ARGV and redis.call into G and the real `redis` table.
    let fn_helpers = lua.create_table()?;
    let env: Table = lua
        .load(
            r#"
        local sm, G, rawset_, type_, getfenv_, setfenv_, error_ = setmetatable, _G, rawset, type, getfenv, setfenv, error
        local loadstring_, load_ = loadstring, load
        local debug_registry = ...
        -- Errors raised by the Rust library functions reach scripts as strings, positioned at
        -- the caller, as luaL_error from a C function (pcall sees the message, not a userdata).
        do
          local pcall_, select_, unpack_, tostring_ = pcall, select, unpack, tostring
          local smatch, sgsub = string.match, string.gsub
          local function pack(...) return select_('#', ...), {...} end
          for _, lib in ipairs({'cjson', 'cmsgpack', 'struct', 'bit'}) do
            local t = rawget(G, lib)
            if t then
              for k, f in pairs(t) do
                if type_(f) == 'function' then
                  rawset_(t, k, function(...)
                    local n, r = pack(pcall_(f, ...))
                    if r[1] then return unpack_(r, 2, n) end
                    local e = r[2]
                    if type_(e) ~= 'string' then
                      -- mlua's error value: "runtime error: <msg>" and a traceback.
                      e = sgsub(smatch(tostring_(e), '^[^\n]*'), '^runtime error: ', '')
                    end
                    error_(e, 2)
                  end)
                end
              end
            end
          end
        end
        local protected = sm({}, {__mode = 'k'})
        local function ro_err() error_("Attempt to modify a readonly table", 2) end
        local function ro_meta()
          local m = {}
          sm(m, {__newindex = ro_err, __metatable = false})
          protected[m] = true
          return m
        end
        local proxied = sm({}, {__mode = 'k'})
        local function ro(orig)
          local proxy = {}
          sm(proxy, {__index = orig, __newindex = ro_err, __metatable = ro_meta()})
          protected[proxy] = true
          proxied[proxy] = orig
          return proxy
        end
        for _, n in ipairs({'string', 'table', 'math', 'bit', 'cjson', 'cmsgpack', 'struct', 'coroutine'}) do
          local t = rawget(G, n)
          if t then rawset_(G, n, ro(t)) end
        end
        -- Strings' methods come from the read-only `string` (getmetatable("").__index == string).
        local smt = getmetatable("")
        if smt then rawset_(smt, '__index', rawget(G, 'string')) end
        sm(G, {
          __index = function(t, k) error_("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end,
          __newindex = ro_err,
          __metatable = ro_meta(),
        })
        protected[G] = true
        local S = {redis = ro(rawget(G, 'redis'))}
        sm(S, {__index = G, __newindex = ro_err, __metatable = ro_meta()})
        protected[S] = true
        local missing = function(t, k) error_("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
        local P = {}
        sm(P, {__index = S, __newindex = ro_err, __metatable = ro({__index = missing})})
        protected[P] = true
        rawset_(S, '_G', P)
        -- Function libraries: one environment FE for every library's code and callbacks. While
        -- FUNCTION LOAD runs the library's top level, FE shows only `redis` with the library API
        -- (register_function, log, constants); at run time it shows the globals (`redis`
        -- being the script API), as Redis 7 switches the globals' __index.
        local R = rawget(G, 'redis')
        -- redis.sha1hex: exactly one argument; anything but a string or number hashes as "".
        local sha1hex_, select_ = rawget(R, 'sha1hex'), select
        rawset_(R, 'sha1hex', function(...)
          if select_('#', ...) ~= 1 then error_("\1wrong number of arguments", 2) end
          local v = ...
          if type_(v) ~= 'string' and type_(v) ~= 'number' then v = '' end
          return sha1hex_(v)
        end)
        local current_register = nil
        local LRc = {
          register_function = function(...)
            if not current_register then error_("\1redis.register_function can only be called on FUNCTION LOAD command", 2) end
            return current_register(...)
          end,
          log = rawget(R, 'log'),
        }
        for _, k in ipairs({'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION', 'REDIS_VERSION_NUM'}) do
          rawset_(LRc, k, rawget(R, k))
        end
        sm(LRc, {__index = missing, __newindex = ro_err, __metatable = ro_meta()})
        protected[LRc] = true
        local LoadAPI = {redis = ro(LRc)}
        sm(LoadAPI, {__index = missing, __newindex = ro_err, __metatable = ro_meta()})
        protected[LoadAPI] = true
        local FE = {}
        local RS = {redis = rawget(S, 'redis'), _G = FE}
        sm(RS, {__index = G, __newindex = ro_err, __metatable = ro_meta()})
        protected[RS] = true
        local FM = {__index = RS, __newindex = ro_err}
        FM.__metatable = ro({__index = ro(RS)})
        sm(FE, FM)
        protected[FE] = true
        local fn = {env = FE}
        fn.begin_load = function(reg) current_register = reg; FM.__index = LoadAPI end
        fn.end_load = function() current_register = nil; FM.__index = RS end
        rawset_(debug_registry, 'vk_fn', fn)
        -- Errors raised "from C" in Redis (no position): marked with \1 for error_reply.
        rawset_(G, 'setmetatable', function(t, m)
          if protected[t] then error_("\1Attempt to modify a readonly table", 2) end
          return sm(t, m)
        end)
        rawset_(G, 'rawset', function(t, k, v)
          if protected[t] then error_("\1Attempt to modify a readonly table", 2) end
          return rawset_(t, k, v)
        end)
        -- Iterating a library table sees its fields (not the empty proxy).
        local next_ = next
        rawset_(G, 'next', function(t, k) return next_(proxied[t] or t, k) end)
        rawset_(G, 'pairs', function(t) return next_, proxied[t] or t, nil end)
        local rawget_ = rawget
        rawset_(G, 'rawget', function(t, k) return rawget_(proxied[t] or t, k) end)
        -- Not offered to scripts (Redis 7.2): getfenv/setfenv would reach the real globals.
        rawset_(G, 'getfenv', nil)
        rawset_(G, 'setfenv', nil)
        -- Binary chunks are refused (Redis: loadstring returns nil); loaded code sees P.
        rawset_(G, 'loadstring', function(s, name)
          if type_(s) == 'string' and s:byte(1) == 27 then return nil, 'binary code not allowed' end
          local f, e = loadstring_(s, name)
          if f then setfenv_(f, P) end
          return f, e
        end)
        rawset_(G, 'load', function(fn, name)
          local first = true
          local f, e = load_(function()
            local piece = fn()
            if first then
              first = false
              if type_(piece) == 'string' and piece:byte(1) == 27 then return nil end
            end
            return piece
          end, name)
          if f then setfenv_(f, P) end
          return f, e
        end)
        return P
        "#,
        )
        .set_name("=protect")
        .call(fn_helpers.clone())?;
    lua.set_named_registry_value("vk_env", env)?;
    lua.set_named_registry_value("vk_fn", fn_helpers.raw_get::<Table>("vk_fn")?)?;
    Ok(())
}

/// cmsgpack.pack / cmsgpack.unpack (lua-cmsgpack's encoding choices: integral numbers as the
/// smallest integer type, others as float64; tables with keys 1..n as arrays, else maps).
pub mod msgpack {
    use mlua::{Lua, MultiValue, Table, Value};

    fn pack_value(v: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
        // lua-cmsgpack's LUACMSGPACK_MAX_NESTING: a table 16 levels down is packed as nil.
        if depth >= 16 && matches!(v, Value::Table(_)) {
            out.push(0xc0);
            return Ok(());
        }
        match v {
            Value::Nil => out.push(0xc0),
            Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Integer(i) => pack_num(*i as f64, out),
            Value::Number(n) => pack_num(*n, out),
            Value::String(s) => {
                let b = s.as_bytes();
                let n = b.len();
                if n < 32 {
                    out.push(0xa0 | n as u8);
                } else if n < 256 {
                    out.extend_from_slice(&[0xd9, n as u8]);
                } else if n < 65536 {
                    out.push(0xda);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xdb);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(&b);
            }
            Value::Table(t) => pack_table(t, out, depth)?,
            _ => out.push(0xc0),
        }
        Ok(())
    }

    fn pack_num(n: f64, out: &mut Vec<u8>) {
        if n.fract() == 0.0 && n.is_finite() && n.abs() < 9.2e18 {
            let i = n as i64;
            if (0..128).contains(&i) {
                out.push(i as u8);
            } else if (-32..0).contains(&i) {
                out.push(i as i8 as u8);
            } else if i >= 0 {
                if i < 256 {
                    out.extend_from_slice(&[0xcc, i as u8]);
                } else if i < 65536 {
                    out.push(0xcd);
                    out.extend_from_slice(&(i as u16).to_be_bytes());
                } else if i < (1 << 32) {
                    out.push(0xce);
                    out.extend_from_slice(&(i as u32).to_be_bytes());
                } else {
                    out.push(0xcf);
                    out.extend_from_slice(&(i as u64).to_be_bytes());
                }
            } else if i >= -128 {
                out.extend_from_slice(&[0xd0, i as i8 as u8]);
            } else if i >= -32768 {
                out.push(0xd1);
                out.extend_from_slice(&(i as i16).to_be_bytes());
            } else if i >= -(1 << 31) {
                out.push(0xd2);
                out.extend_from_slice(&(i as i32).to_be_bytes());
            } else {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            }
        } else if (n as f32) as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&(n as f32).to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn pack_table(t: &Table, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
        let super::TableShape { count, max, positive_int_keys: array } = super::table_shape(t)?;
        if array && max == count {
            header(out, count, 0x90, 0xdc);
            for i in 1..=count {
                pack_value(&t.raw_get::<Value>(i)?, out, depth + 1)?;
            }
        } else {
            header(out, count, 0x80, 0xde);
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair?;
                pack_value(&k, out, depth + 1)?;
                pack_value(&v, out, depth + 1)?;
            }
        }
        Ok(())
    }

    fn header(out: &mut Vec<u8>, n: usize, fix: u8, code16: u8) {
        if n < 16 {
            out.push(fix | n as u8);
        } else if n < 65536 {
            out.push(code16);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(code16 + 1);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    struct Rd<'a> {
        b: &'a [u8],
        p: usize,
    }
    impl Rd<'_> {
        fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
            if self.b.len() - self.p < n {
                return Err(mlua::Error::RuntimeError("Missing bytes in input.".into()));
            }
            let s = &self.b[self.p..self.p + n];
            self.p += n;
            Ok(s)
        }
        fn uint(&mut self, n: usize) -> mlua::Result<u64> {
            Ok(self.take(n)?.iter().fold(0u64, |a, &x| (a << 8) | x as u64))
        }
    }

    fn unpack_value(lua: &Lua, r: &mut Rd, depth: usize) -> mlua::Result<Value> {
        if depth > 200 {
            return Err(mlua::Error::RuntimeError("Bad data format in input.".into()));
        }
        let c = r.take(1)?[0];
        let num = |f: f64| Ok(Value::Number(f));
        match c {
            0x00..=0x7f => num(c as f64),
            0xe0..=0xff => num(c as i8 as f64),
            0xa0..=0xbf => Ok(Value::String(lua.create_string(r.take((c & 0x1f) as usize)?)?)),
            0x90..=0x9f => array(lua, r, (c & 0x0f) as usize, depth),
            0x80..=0x8f => map(lua, r, (c & 0x0f) as usize, depth),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xca => num(f32::from_bits(r.uint(4)? as u32) as f64),
            0xcb => num(f64::from_bits(r.uint(8)?)),
            0xcc => num(r.uint(1)? as f64),
            0xcd => num(r.uint(2)? as f64),
            0xce => num(r.uint(4)? as f64),
            0xcf => num(r.uint(8)? as f64),
            0xd0 => num(r.uint(1)? as u8 as i8 as f64),
            0xd1 => num(r.uint(2)? as u16 as i16 as f64),
            0xd2 => num(r.uint(4)? as u32 as i32 as f64),
            0xd3 => num(r.uint(8)? as i64 as f64),
            0xd9 | 0xc4 => {
                let n = r.uint(1)? as usize;
                Ok(Value::String(lua.create_string(r.take(n)?)?))
            }
            0xda | 0xc5 => {
                let n = r.uint(2)? as usize;
                Ok(Value::String(lua.create_string(r.take(n)?)?))
            }
            0xdb | 0xc6 => {
                let n = r.uint(4)? as usize;
                Ok(Value::String(lua.create_string(r.take(n)?)?))
            }
            0xdc => {
                let n = r.uint(2)? as usize;
                array(lua, r, n, depth)
            }
            0xdd => {
                let n = r.uint(4)? as usize;
                array(lua, r, n, depth)
            }
            0xde => {
                let n = r.uint(2)? as usize;
                map(lua, r, n, depth)
            }
            0xdf => {
                let n = r.uint(4)? as usize;
                map(lua, r, n, depth)
            }
            _ => Err(mlua::Error::RuntimeError("Bad data format in input.".into())),
        }
    }

    fn array(lua: &Lua, r: &mut Rd, n: usize, depth: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for i in 1..=n {
            t.raw_set(i, unpack_value(lua, r, depth + 1)?)?;
        }
        Ok(Value::Table(t))
    }

    fn map(lua: &Lua, r: &mut Rd, n: usize, depth: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = unpack_value(lua, r, depth + 1)?;
            let v = unpack_value(lua, r, depth + 1)?;
            if !matches!(k, Value::Nil) {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }

    /// lua-cmsgpack's mp_unpack_full: decodes up to `limit` values from `offset` (both 0: all
    /// values, returned alone); otherwise the next offset (-1 at the end) comes first.
    fn unpack_full(lua: &Lua, s: &mlua::String, limit: i64, offset: i64) -> mlua::Result<MultiValue> {
        let b = s.as_bytes();
        if offset < 0 || limit < 0 {
            return Err(mlua::Error::RuntimeError(format!("Invalid request to unpack with offset of {offset} and limit of {limit}.")));
        }
        if offset as u64 > b.len() as u64 {
            return Err(mlua::Error::RuntimeError(format!("Start offset {offset} greater than input length {}.", b.len())));
        }
        let decode_all = limit == 0 && offset == 0;
        let limit = if decode_all { usize::MAX } else { limit as usize };
        let mut r = Rd { b: &b, p: offset as usize };
        let mut vals = Vec::new();
        while r.p < r.b.len() && vals.len() < limit {
            if vals.len() > 7000 {
                return Err(mlua::Error::RuntimeError("too many results to unpack".into()));
            }
            vals.push(unpack_value(lua, &mut r, 0)?);
        }
        if !decode_all {
            let next = if r.p >= r.b.len() { -1 } else { r.p as i64 };
            vals.insert(0, Value::Integer(next));
        }
        Ok(MultiValue::from_iter(vals))
    }

    pub fn install(lua: &Lua) -> mlua::Result<Table> {
        let m = lua.create_table()?;
        m.raw_set(
            "pack",
            lua.create_function(|lua, args: MultiValue| {
                if args.is_empty() {
                    return Err(mlua::Error::RuntimeError("MessagePack pack needs input.".into()));
                }
                let mut out = Vec::new();
                for v in args.iter() {
                    pack_value(v, &mut out, 0)?;
                }
                lua.create_string(&out)
            })?,
        )?;
        m.raw_set("unpack", lua.create_function(|lua, s: mlua::String| unpack_full(lua, &s, 0, 0))?)?;
        m.raw_set(
            "unpack_one",
            lua.create_function(|lua, (s, offset): (mlua::String, Option<i64>)| unpack_full(lua, &s, 1, offset.unwrap_or(0)))?,
        )?;
        m.raw_set(
            "unpack_limit",
            lua.create_function(|lua, (s, limit, offset): (mlua::String, i64, Option<i64>)| {
                unpack_full(lua, &s, limit, offset.unwrap_or(0))
            })?,
        )?;
        Ok(m)
    }
}

/// The `struct` library (pack/unpack/size) for the common formats: `<`, `>`, `=`, `!`, `b B h H
/// i[n] I[n] l L f d s c[n] z x`.
pub mod structlib {
    use mlua::{Lua, MultiValue, Table, Value};

    fn err(m: &str) -> mlua::Error {
        mlua::Error::RuntimeError(m.to_string())
    }

    struct Fmt<'a> {
        f: &'a [u8],
        p: usize,
        little: bool,
    }

    impl Fmt<'_> {
        fn num(&mut self, default: usize) -> usize {
            let start = self.p;
            while self.p < self.f.len() && self.f[self.p].is_ascii_digit() {
                self.p += 1;
            }
            if start == self.p {
                default
            } else {
                std::str::from_utf8(&self.f[start..self.p]).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
            }
        }
    }

    fn to_f64(v: &Value) -> mlua::Result<f64> {
        match v {
            Value::Integer(i) => Ok(*i as f64),
            Value::Number(n) => Ok(*n),
            Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse().ok()).ok_or_else(|| err("bad argument to 'pack' (number expected)")),
            _ => Err(err("bad argument to 'pack' (number expected)")),
        }
    }

    fn put_int(out: &mut Vec<u8>, v: i64, size: usize, little: bool) {
        let bytes = v.to_le_bytes();
        let mut b: Vec<u8> = (0..size).map(|i| if i < 8 { bytes[i] } else if v < 0 { 0xff } else { 0 }).collect();
        if !little {
            b.reverse();
        }
        out.extend_from_slice(&b);
    }

    fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
        let mut it = args.into_iter();
        let fmt = match it.next() {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            _ => return Err(err("bad argument #1 to 'pack' (string expected)")),
        };
        let mut f = Fmt { f: &fmt, p: 0, little: true };
        let mut out = Vec::new();
        while f.p < f.f.len() {
            let c = f.f[f.p];
            f.p += 1;
            match c {
                b'<' | b'=' => f.little = true,
                b'>' => f.little = false,
                b'!' => {
                    f.num(8);
                }
                b' ' => {}
                b'x' => out.push(0),
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let size = match c {
                        b'b' | b'B' => 1,
                        b'h' | b'H' => 2,
                        b'l' | b'L' | b'T' => 8,
                        _ => f.num(4),
                    };
                    if size == 0 || size > 16 {
                        return Err(err("integral size out of limits"));
                    }
                    let v = to_f64(&it.next().unwrap_or(Value::Nil))?;
                    put_int(&mut out, v as i64, size, f.little);
                }
                b'f' => {
                    let v = to_f64(&it.next().unwrap_or(Value::Nil))? as f32;
                    out.extend_from_slice(&if f.little { v.to_le_bytes() } else { v.to_be_bytes() });
                }
                b'd' => {
                    let v = to_f64(&it.next().unwrap_or(Value::Nil))?;
                    out.extend_from_slice(&if f.little { v.to_le_bytes() } else { v.to_be_bytes() });
                }
                b'c' | b's' => {
                    let s = match it.next() {
                        Some(Value::String(s)) => s.as_bytes().to_vec(),
                        _ => return Err(err("bad argument to 'pack' (string expected)")),
                    };
                    match c {
                        b'c' => {
                            let n = f.num(0);
                            let n = if n == 0 { s.len() } else { n };
                            if s.len() < n {
                                return Err(err("bad argument to 'pack' (string too short)"));
                            }
                            out.extend_from_slice(&s[..n]);
                        }
                        _ => {
                            out.extend_from_slice(&s);
                            out.push(0);
                        }
                    }
                }
                _ => return Err(err(&format!("invalid format option '{}'", c as char))),
            }
        }
        lua.create_string(&out)
    }

    fn unpack(lua: &Lua, (fmt, data, init): (mlua::String, mlua::String, Option<i64>)) -> mlua::Result<MultiValue> {
        let fmt = fmt.as_bytes().to_vec();
        let data = data.as_bytes().to_vec();
        let mut pos = init.unwrap_or(1).max(1) as usize - 1;
        let mut f = Fmt { f: &fmt, p: 0, little: true };
        let mut vals = Vec::new();
        let need = |pos: usize, n: usize| if data.len() < pos + n { Err(err("bad argument #2 to 'unpack' (data string too short)")) } else { Ok(()) };
        while f.p < f.f.len() {
            let c = f.f[f.p];
            f.p += 1;
            match c {
                b'<' | b'=' => f.little = true,
                b'>' => f.little = false,
                b'!' => {
                    f.num(8);
                }
                b' ' => {}
                b'x' => pos += 1,
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let size = match c {
                        b'b' | b'B' => 1,
                        b'h' | b'H' => 2,
                        b'l' | b'L' | b'T' => 8,
                        _ => f.num(4),
                    };
                    if size == 0 || size > 8 {
                        return Err(err("integral size out of limits"));
                    }
                    need(pos, size)?;
                    let mut b = data[pos..pos + size].to_vec();
                    if !f.little {
                        b.reverse();
                    }
                    let mut v: u64 = 0;
                    for (i, x) in b.iter().enumerate() {
                        v |= (*x as u64) << (8 * i);
                    }
                    let signed = c.is_ascii_lowercase();
                    let n = if signed && size < 8 && (v >> (size * 8 - 1)) & 1 == 1 {
                        (v as i64 - (1i64 << (size * 8))) as f64
                    } else if signed {
                        v as i64 as f64
                    } else {
                        v as f64
                    };
                    vals.push(Value::Number(n));
                    pos += size;
                }
                b'f' => {
                    need(pos, 4)?;
                    let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or([0; 4]);
                    vals.push(Value::Number(if f.little { f32::from_le_bytes(b) } else { f32::from_be_bytes(b) } as f64));
                    pos += 4;
                }
                b'd' => {
                    need(pos, 8)?;
                    let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or([0; 8]);
                    vals.push(Value::Number(if f.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) }));
                    pos += 8;
                }
                b'c' => {
                    let n = f.num(0);
                    need(pos, n)?;
                    vals.push(Value::String(lua.create_string(&data[pos..pos + n])?));
                    pos += n;
                }
                b's' => {
                    let end = data[pos.min(data.len())..].iter().position(|&x| x == 0).ok_or_else(|| err("unfinished string in data"))?;
                    vals.push(Value::String(lua.create_string(&data[pos..pos + end])?));
                    pos += end + 1;
                }
                _ => return Err(err(&format!("invalid format option '{}'", c as char))),
            }
        }
        vals.push(Value::Number((pos + 1) as f64));
        Ok(MultiValue::from_iter(vals))
    }

    pub fn install(lua: &Lua) -> mlua::Result<Table> {
        let t = lua.create_table()?;
        t.raw_set("pack", lua.create_function(pack)?)?;
        t.raw_set("unpack", lua.create_function(unpack)?)?;
        t.raw_set(
            "size",
            lua.create_function(|_, fmt: mlua::String| {
                let fmt = fmt.as_bytes().to_vec();
                let mut f = Fmt { f: &fmt, p: 0, little: true };
                let mut n = 0usize;
                while f.p < f.f.len() {
                    let c = f.f[f.p];
                    f.p += 1;
                    n += match c {
                        b'b' | b'B' | b'x' => 1,
                        b'h' | b'H' => 2,
                        b'l' | b'L' | b'T' | b'd' => 8,
                        b'f' => 4,
                        b'i' | b'I' => f.num(4),
                        b'c' => f.num(0),
                        b'!' => {
                            f.num(8);
                            0
                        }
                        b's' => return Err(err("options cannot have variable size")),
                        _ => 0,
                    };
                }
                Ok(n as f64)
            })?,
        )?;
        Ok(t)
    }
}
