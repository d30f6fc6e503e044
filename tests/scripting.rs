mod common;
use common::*;

#[test]
fn eval_basics_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"]), V::ok());
    assert_eq!(c.cmd(&["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"]), V::bulk("v"));
    assert_eq!(c.cmd(&["EVAL", "return {1, 'a', 2.7, false, true}", "0"]), V::Array(vec![V::Int(1), V::bulk("a"), V::Int(2), V::Nil, V::Int(1)]));
    assert_eq!(c.cmd(&["EVAL", "return 1", "-1"]), V::err("ERR Number of keys can't be negative"));
    assert_eq!(
        c.cmd(&["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"]),
        V::err("NOSCRIPT No matching script. Please use EVAL.")
    );
    let e = c.cmd(&["EVAL", "return redis.call('INCR', KEYS[1])", "1", "k"]).text();
    assert!(e.starts_with("ERR value is not an integer or out of range script: "), "{e}");
    let e = c.cmd(&["EVAL", "return undefined_var", "0"]).text();
    assert!(e.contains("Script attempted to access nonexistent global variable 'undefined_var'"), "{e}");
    for lib in ["os", "io", "loadfile", "dofile", "require"] {
        let e = c.cmd(&["EVAL", &format!("return {lib}"), "0"]);
        assert!(matches!(e, V::Error(_)), "{lib}: {e:?}");
    }
    // The script client's SELECT does not change the caller's database.
    c.cmd(&["EVAL", "redis.call('SELECT', 3); return redis.call('SET', 'x', 1)", "0"]);
    assert_eq!(c.cmd(&["EXISTS", "x"]), V::Int(0));
    c.cmd(&["SELECT", "3"]);
    assert_eq!(c.cmd(&["GET", "x"]), V::bulk("1"));
}

#[test]
fn script_cache_and_functions() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let sha = c.cmd(&["SCRIPT", "LOAD", "return ARGV[1]"]).text();
    assert_eq!(sha.len(), 40);
    assert_eq!(c.cmd(&["EVALSHA", &sha, "0", "hi"]), V::bulk("hi"));
    assert_eq!(c.cmd(&["SCRIPT", "EXISTS", &sha, "00"]), V::Array(vec![V::Int(1), V::Int(0)]));
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), V::ok());
    assert_eq!(c.cmd(&["SCRIPT", "EXISTS", &sha]), V::Array(vec![V::Int(0)]));
    assert_eq!(c.cmd(&["SCRIPT", "KILL"]), V::err("NOTBUSY No scripts in execution right now."));
    let lib = "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return redis.call('INCR', keys[1]) end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("lib1"));
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), V::err("ERR Library 'lib1' already exists"));
    assert_eq!(c.cmd(&["FCALL", "f1", "1", "cnt"]), V::Int(1));
    assert_eq!(c.cmd(&["FCALL", "f1", "1", "cnt"]), V::Int(2));
    assert_eq!(c.cmd(&["FCALL", "nope", "0"]), V::err("ERR Function not found"));
    let dump = c.cmd(&["FUNCTION", "DUMP"]);
    let V::Bulk(payload) = dump else { panic!() };
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), V::ok());
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), V::Array(vec![]));
    assert_eq!(c.cmd_bytes(&[b"FUNCTION", b"RESTORE", &payload]), V::ok());
    assert_eq!(c.cmd(&["FCALL", "f1", "1", "cnt"]), V::Int(3));
}

#[test]
fn aof_effects_replication_and_functions_survive_restart() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = s.client();
    let script = "local t = redis.call('TIME'); redis.call('SET', 'time', t[1] .. '.' .. t[2]); redis.call('SET', 'rand', tostring(math.random())); redis.call('RPUSH', 's', tostring(math.random()), t[2]); redis.call('PEXPIRE', 'time', 100000); return 1";
    assert_eq!(c.cmd(&["EVAL", script, "0"]), V::Int(1));
    c.cmd(&["FUNCTION", "LOAD", "#!lua name=keep\nredis.register_function('kf', function() return 'kept' end)"]);
    let before: Vec<V> = ["time", "rand"].iter().map(|k| c.cmd(&["GET", k])).collect();
    let members = c.cmd(&["LRANGE", "s", "0", "-1"]);
    drop(c);
    let dir = s.stop();
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    let after: Vec<V> = ["time", "rand"].iter().map(|k| c.cmd(&["GET", k])).collect();
    assert_eq!(before, after);
    assert_eq!(members, c.cmd(&["LRANGE", "s", "0", "-1"]));
    assert_eq!(c.cmd(&["FCALL", "kf", "0"]), V::bulk("kept"));
}

#[test]
fn functions_survive_rdb_save() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["FUNCTION", "LOAD", "#!lua name=keep\nredis.register_function('kf', function() return 'kept' end)"]);
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    drop(c);
    let dir = s.stop();
    let s = TestServer::start_in(dir, &[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["FCALL", "kf", "0"]), V::bulk("kept"));
}

#[test]
fn busy_script_answers_busy_and_is_killed_by_script_kill() {
    let s = TestServer::start(&["--busy-reply-threshold", "100"]);
    let mut runner = s.client();
    // Connections are registered under the server lock: connect before the script starts.
    let mut other = s.client();
    assert_eq!(other.cmd(&["PING"]), V::Simple("PONG".into()));
    runner.send(&[b"EVAL", b"while true do end", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(400));
    let busy = other.cmd(&["PING"]);
    assert!(matches!(&busy, V::Error(e) if e.starts_with("BUSY ")), "{busy:?}");
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), V::ok());
    let r = runner.read();
    assert!(matches!(&r, V::Error(e) if e.contains("Script killed by user with SCRIPT KILL")), "{r:?}");
    assert_eq!(other.cmd(&["PING"]), V::Simple("PONG".into()));
    // A script that wrote cannot be killed.
    runner.send(&[b"EVAL", b"redis.call('SET','x','1') while true do end", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(400));
    let r = other.cmd(&["SCRIPT", "KILL"]);
    assert!(matches!(&r, V::Error(e) if e.starts_with("UNKILLABLE")), "{r:?}");
}

#[test]
fn allow_oom_flag_decides_whether_writing_scripts_run_when_out_of_memory() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let big = "x".repeat(200_000);
    for i in 0..20 {
        c.cmd(&["SET", &format!("fill:{i}"), &big]);
    }
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "noeviction"]), V::ok());
    let oom = "OOM command not allowed when used memory > 'maxmemory'.";
    // A flagged script that may write is refused up front...
    assert_eq!(c.cmd(&["EVAL", "#!lua\nreturn redis.call('SET','k','v')", "0"]), V::err(oom));
    // ...unless it declares allow-oom; a no-writes script runs.
    assert_eq!(c.cmd(&["EVAL", "#!lua flags=allow-oom\nreturn redis.call('SET','k','v')", "0"]), V::ok());
    assert_eq!(c.cmd(&["EVAL", "#!lua flags=no-writes\nreturn redis.call('GET','k')", "0"]), V::bulk("v"));
    // A plain EVAL script gets the error from its deny-oom command.
    let r = c.cmd(&["EVAL", "return redis.call('SET','k2','v')", "0"]);
    assert!(matches!(&r, V::Error(e) if e.contains("OOM command not allowed")), "{r:?}");
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]), V::ok());
}

/// Redis's scripting.tcl "Scripts can handle commands with incorrect arity".
#[test]
fn redis_call_with_wrong_arity() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for script in ["redis.call('set','invalid')", "redis.call('incr')"] {
        match c.cmd(&["EVAL", script, "0"]) {
            V::Error(e) => assert!(e.starts_with("ERR Wrong number of args calling Redis command from script"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}

/// Redis's functions.tcl loads libraries with `#!LUA name=...`: the engine name is looked up
/// case-insensitively.
#[test]
fn function_engine_name_is_case_insensitive() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let code = "#!LUA name=test\nredis.register_function('test', function(KEYS, ARGV)\n return redis.call('ping')\nend)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", code]), V::bulk("test"));
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", "#!lua2 name=x\nreturn 1"]), V::err("ERR Engine 'lua2' not found"));
}

/// Redis's functions.tcl "FUNCTION - test function case insensitive": FCALL finds a function
/// whatever the case of its name.
#[test]
fn fcall_function_name_is_case_insensitive() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let code = "#!lua name=lib\nredis.register_function('test', function(KEYS, ARGV) return 'hello1' end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", code]), V::bulk("lib"));
    assert_eq!(c.cmd(&["FCALL", "TEST", "0"]), V::bulk("hello1"));
    assert_eq!(c.cmd(&["FCALL", "nope", "0"]), V::err("ERR Function not found"));
}

/// Redis's functions.tcl "FUNCTION - test fcall bad arguments".
#[test]
fn fcall_bad_number_of_keys() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let code = "#!lua name=lib2\nredis.register_function('test', function(KEYS, ARGV) return 'hello' end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", code]), V::bulk("lib2"));
    assert_eq!(c.cmd(&["FCALL", "test", "bad_arg"]), V::err("ERR Bad number of keys provided"));
    assert_eq!(c.cmd(&["EVAL", "return 1", "bad_arg"]), V::err("ERR value is not an integer or out of range"));
}

/// DEBUG SET-DISABLE-DENY-SCRIPTS (used by Redis's scripting.tcl): scripts may then call commands
/// flagged noscript.
#[test]
fn debug_set_disable_deny_scripts() {
    let s = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    let denied = c.cmd(&["EVAL", "return redis.call('client','list')", "0"]);
    assert!(matches!(&denied, V::Error(e) if e.contains("This Redis command is not allowed from script")), "{denied:?}");
    assert_eq!(c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]), V::ok());
    assert!(c.cmd(&["EVAL", "return redis.call('client','list')", "0"]).text().contains("cmd="));
    assert_eq!(c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]), V::ok());
}

/// Redis's functions.tcl "LIBRARIES - test registration ..." error texts (Redis 7.2 wording).
#[test]
fn register_function_argument_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let load = |c: &mut Client, body: &str| c.cmd(&["FUNCTION", "LOAD", &format!("#!lua name=t\n{body}")]);
    let cases = [
        ("redis.register_function()", "wrong number of arguments to redis.register_function"),
        ("redis.register_function('f')", "calling redis.register_function with a single argument is only applicable to Lua table"),
        ("redis.register_function('f', function() return 1 end, 'x')", "wrong number of arguments to redis.register_function"),
        ("redis.register_function(1, function() return 1 end)", "first argument to redis.register_function must be a string"),
        ("redis.register_function('f', 'nope')", "second argument to redis.register_function must be a function"),
    ];
    for (body, want) in cases {
        match load(&mut c, body) {
            V::Error(e) => assert!(e.contains(want), "{body}: {e}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn lua_globals_are_read_only() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let ro = |r: V| match r {
        V::Error(e) => assert!(e.contains("Attempt to modify a readonly table"), "{e}"),
        other => panic!("{other:?}"),
    };
    ro(c.cmd(&["EVAL", "redis = function() return 1 end", "0"]));
    ro(c.cmd(&["EVAL", "redis.call = function() return 1 end", "0"]));
    ro(c.cmd(&["EVAL", "_G = {}", "0"]));
    ro(c.cmd(&["EVAL", "a = 10", "0"]));
    ro(c.cmd(&["EVAL", "cjson.encode = nil", "0"]));
    ro(c.cmd(&["EVAL", "setmetatable(_G, {})", "0"]));
    ro(c.cmd(&["EVAL", "loadstring('redis = nil')()", "0"]));
    match c.cmd(&["EVAL", "return undefined_name", "0"]) {
        V::Error(e) => assert!(e.contains("Script attempted to access nonexistent global variable 'undefined_name'"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Later scripts still see the real `redis`.
    assert_eq!(c.cmd(&["EVAL", "return redis.call('PING')", "0"]), V::Simple("PONG".into()));
    // Function libraries: the load run sees only the library API; callbacks see the globals.
    match c.cmd(&["FUNCTION", "LOAD", "#!lua name=l\nreturn math.random()"]) {
        V::Error(e) => assert!(e.contains("nonexistent global variable 'math'"), "{e}"),
        other => panic!("{other:?}"),
    }
    ro(c.cmd(&["FUNCTION", "LOAD", "#!lua name=l\na = 1"]));
    let lib = "#!lua name=l\nredis.register_function('f', function() return {redis.call('PING'), type(math.floor)} end)\nredis.register_function('g', function() x = 1 end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("l"));
    assert_eq!(c.cmd(&["FCALL", "f", "0"]), V::Array(vec![V::Simple("PONG".into()), V::bulk("function")]));
    ro(c.cmd(&["FCALL", "g", "0"]));
}

#[test]
fn script_looping_over_pcall_is_killed() {
    let s = TestServer::start(&["--busy-reply-threshold", "100"]);
    let mut runner = s.client();
    let mut other = s.client();
    assert_eq!(other.cmd(&["PING"]), V::Simple("PONG".into()));
    for script in [
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        "while 1 do pcall(function() local a = 0 for i = 1, 100 do a = a + i end end) end",
    ] {
        runner.send(&[b"EVAL", script.as_bytes(), b"0"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(other.cmd(&["SCRIPT", "KILL"]), V::ok());
        let r = runner.read();
        assert!(matches!(&r, V::Error(e) if e.contains("Script killed by user with SCRIPT KILL")), "{r:?}");
        assert_eq!(other.cmd(&["PING"]), V::Simple("PONG".into()));
    }
    // Functions too (FUNCTION KILL).
    let lib = "#!lua name=l\nredis.register_function{function_name='f', callback=function() while 1 do pcall(function() while 1 do end end) end end, flags={'no-writes'}}";
    assert_eq!(other.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("l"));
    runner.send(&[b"FCALL", b"f", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(other.cmd(&["FUNCTION", "KILL"]), V::ok());
    let r = runner.read();
    assert!(matches!(&r, V::Error(e) if e.contains("killed")), "{r:?}");
    assert_eq!(runner.cmd(&["EVAL", "return 1", "0"]), V::Int(1));
}

#[test]
fn function_load_times_out() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let t0 = std::time::Instant::now();
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "#!lua name=lib\nlocal a = 1\nwhile 1 do a = a + 1 end"]),
        V::err("ERR Error registering functions: ERR FUNCTION LOAD timeout")
    );
    assert!(t0.elapsed() >= std::time::Duration::from_millis(450), "{:?}", t0.elapsed());
    // Nothing was registered; the server goes on, and a normal library loads.
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), V::Array(vec![]));
    let lib = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("lib"));
    assert_eq!(c.cmd(&["FCALL", "f", "0"]), V::Int(1));
    // The limit is for the load run only: a function may run longer.
    let slow = "#!lua name=slow\nredis.register_function('g', function() local t = redis.call('TIME')[1] local n = 0 while n < 3e7 do n = n + 1 end return 1 end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", slow]), V::bulk("slow"));
    assert_eq!(c.cmd(&["FCALL", "g", "0"]), V::Int(1));
}

#[test]
fn function_stats_answers_while_a_function_is_busy() {
    let s = TestServer::start(&["--busy-reply-threshold", "50"]);
    let mut runner = s.client();
    let mut other = s.client();
    let lib = "#!lua name=t\nredis.register_function('test', function() local a = 1 while true do a = a + 1 end end)";
    assert_eq!(other.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("t"));
    runner.send(&[b"FCALL", b"test", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(matches!(other.cmd(&["PING"]), V::Error(e) if e.starts_with("BUSY")));
    let stats = other.cmd(&["FUNCTION", "STATS"]);
    let a = stats.array();
    assert_eq!(a[0], V::bulk("running_script"));
    let running = a[1].array();
    assert_eq!(running[0], V::bulk("name"));
    assert_eq!(running[1], V::bulk("test"));
    assert_eq!(running[2], V::bulk("command"));
    assert_eq!(running[3], V::bulks(&["FCALL", "test", "0"]));
    assert_eq!(running[4], V::bulk("duration_ms"));
    assert!(running[5].int() >= 200, "{running:?}");
    assert_eq!(a[2], V::bulk("engines"));
    assert_eq!(other.cmd(&["FUNCTION", "KILL"]), V::ok());
    assert!(matches!(runner.read(), V::Error(_)));
    // Nothing runs: running_script is nil.
    let stats = other.cmd(&["FUNCTION", "STATS"]);
    assert_eq!(stats.array()[1], V::Nil);
}

#[test]
fn clock_is_frozen_while_a_script_runs() {
    let s = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]), V::ok());
    let script = "redis.call('SET', 'key', 'value', 'PX', '1') redis.call('DEBUG', 'SLEEP', '0.01') return redis.call('EXISTS', 'key')";
    assert_eq!(c.cmd(&["EVAL", script, "0"]), V::Int(1));
    assert_eq!(c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]), V::ok());
    assert_eq!(c.cmd(&["EXISTS", "key"]), V::Int(0));
    let lib = "#!lua name=t\nredis.register_function('f', function() redis.call('SET', 'key', 'value', 'PX', '1') local t = redis.call('TIME') local n = 0 while n < 2e6 do n = n + 1 end return redis.call('EXISTS', 'key') end)";
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), V::bulk("t"));
    assert_eq!(c.cmd(&["FCALL", "f", "0"]), V::Int(1));
    // DEBUG OBJECT shows a logically expired key (as Redis's direct dict lookup).
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), V::ok());
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "1"]), V::ok());
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(matches!(c.cmd(&["DEBUG", "OBJECT", "k"]), V::Simple(_)));
    assert_eq!(c.cmd(&["EVAL", "return redis.call('EXISTS', 'k')", "0"]), V::Int(0));
    assert!(matches!(c.cmd(&["DEBUG", "OBJECT", "k"]), V::Error(_)));
}

#[test]
fn debug_protocol_attrib_from_a_resp3_script() {
    let s = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]), V::ok());
    assert_eq!(
        c.cmd(&["EVAL", "redis.setresp(3);return redis.call('debug', 'protocol', 'attrib')", "0"]),
        V::bulk("Some real reply following the attribute")
    );
    // A big number with CR/LF in it is sanitized (spaces), the connection stays in step.
    assert_eq!(c.cmd(&["EVAL", "return {big_number='123\\r\\n123'}", "0"]), V::bulk("123  123"));
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
}
