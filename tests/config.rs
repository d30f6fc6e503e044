//! Configuration: files (include, errors naming file and line), `--name value` overrides,
//! CONFIG GET/SET conformance over every parameter, CONFIG REWRITE.
mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `vk-server <file> --port P --bind 127.0.0.1 --dir D [args]` (file first, like redis-server).
fn start_with_file(file: &Path, args: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = Command::new(binary_path())
        .arg(file)
        .arg("--port")
        .arg(port.to_string())
        .arg("--bind")
        .arg("127.0.0.1")
        .arg("--dir")
        .arg(dir.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut s = TestServer { child, port, dir };
    let start = Instant::now();
    loop {
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = c.write_all(b"PING\r\n");
            let mut buf = [0u8; 16];
            c.set_read_timeout(Some(Duration::from_millis(500))).ok();
            if matches!(c.read(&mut buf), Ok(n) if n > 0) {
                return s;
            }
        }
        if let Ok(Some(st)) = s.child.try_wait() {
            panic!("vk-server exited ({st}): {}", s.log());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "server did not start: {}", s.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `vk-server args...` expecting it to exit at once with an error; returns stderr.
fn startup_error(args: &[&str]) -> String {
    let out = Command::new(binary_path()).args(args).stdout(Stdio::null()).output().unwrap();
    assert!(!out.status.success(), "vk-server should have refused to start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn map_of(v: &V) -> Vec<(String, String)> {
    match v {
        V::Map(m) => m.iter().map(|(k, v)| (k.text(), v.text())).collect(),
        V::Array(a) => a.chunks(2).map(|c| (c[0].text(), c[1].text())).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

#[test]
fn unknown_directive_in_included_file_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let inc = d.path().join("extra.conf");
    std::fs::write(&inc, "hz 20\nnot-a-redis-directive yes\n").unwrap();
    let main = d.path().join("main.conf");
    std::fs::write(&main, format!("# main\nport 7777\ninclude {}\n", inc.display())).unwrap();
    let err = startup_error(&[main.to_str().unwrap()]);
    assert!(err.contains("FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains("extra.conf"), "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("not-a-redis-directive"), "{err}");
    assert!(err.contains("Bad directive or wrong number of arguments"), "{err}");

    std::fs::write(&main, "maxmemory lots\n").unwrap();
    let err = startup_error(&[main.to_str().unwrap()]);
    assert!(err.contains("line 1") && err.contains("argument must be a memory value"), "{err}");

    std::fs::write(&main, "port 1 2\n").unwrap();
    let err = startup_error(&[main.to_str().unwrap()]);
    assert!(err.contains("wrong number of arguments"), "{err}");

    std::fs::write(&main, "sentinel monitor mymaster 127.0.0.1 6379 2\n").unwrap();
    let err = startup_error(&[main.to_str().unwrap()]);
    assert!(err.contains("sentinel directive while not in sentinel mode"), "{err}");

    let err = startup_error(&["--no-such-option", "1"]);
    assert!(err.contains("Bad directive"), "{err}");
}

#[test]
fn redis_conf_directives_are_accepted() {
    let d = tempfile::tempdir().unwrap();
    let inc_dir = d.path().join("conf.d");
    std::fs::create_dir(&inc_dir).unwrap();
    std::fs::write(inc_dir.join("a.conf"), "slowlog-max-len 64\n").unwrap();
    std::fs::write(inc_dir.join("b.conf"), "lfu-log-factor 3\n").unwrap();
    let main = d.path().join("redis.conf");
    let text = format!(
        "# A redis.conf with directives that do and do not mean something here\n\
         daemonize no\n\
         supervised no\n\
         pidfile /var/run/redis_6379.pid\n\
         loglevel NOTICE\n\
         tcp-backlog 511\n\
         tcp-keepalive 300\n\
         save 3600 1\n\
         save 300 100 60 10000\n\
         maxmemory 100mb\n\
         maxmemory-policy ALLKEYS-LRU\n\
         hash-max-ziplist-entries 64\n\
         list-max-ziplist-entries 512\n\
         lua-replicate-commands yes\n\
         client-output-buffer-limit pubsub 32mb 8mb 60\n\
         rename-command FLUSHALL \"\"\n\
         user default on nopass ~* +@all\n\
         activerehashing yes\n\
         latency-tracking-info-percentiles 50 99 99.9\n\
         oom-score-adj-values 0 200 800\n\
         include {}/*.conf\n\
         include {}/nothing-matches-*.conf\n",
        inc_dir.display(),
        inc_dir.display()
    );
    std::fs::write(&main, text).unwrap();
    let s = start_with_file(&main, &[]);
    let mut c = s.client();
    let get = |c: &mut Client, name: &str| map_of(&c.cmd(&["CONFIG", "GET", name]))[0].1.clone();
    assert_eq!(get(&mut c, "maxmemory"), "104857600");
    assert_eq!(get(&mut c, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(get(&mut c, "loglevel"), "notice");
    assert_eq!(get(&mut c, "hash-max-listpack-entries"), "64");
    assert_eq!(get(&mut c, "save"), "3600 1 300 100 60 10000");
    assert_eq!(get(&mut c, "slowlog-max-len"), "64");
    assert_eq!(get(&mut c, "lfu-log-factor"), "3");
    assert_eq!(get(&mut c, "pidfile"), "/var/run/redis_6379.pid");
    assert_eq!(
        get(&mut c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    let info = c.cmd(&["INFO", "server"]).text();
    assert!(info.contains(&format!("config_file:{}", main.display())), "{info}");
}

#[test]
fn command_line_overrides_and_save_empty() {
    let s = TestServer::start(&["--save", "", "--maxmemory", "2mb", "--hz", "1000", "--bind", "127.0.0.1"]);
    let mut c = s.client();
    let m = map_of(&c.cmd(&["CONFIG", "GET", "save", "maxmemory", "hz"]));
    assert!(m.contains(&("save".into(), "".into())), "{m:?}");
    assert!(m.contains(&("maxmemory".into(), "2097152".into())), "{m:?}");
    assert!(m.contains(&("hz".into(), "500".into())), "{m:?}");
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        V::err("ERR The server is running without a config file")
    );
}

/// Every value CONFIG GET * shows is accepted back by CONFIG SET (or refused only because the
/// parameter is immutable or protected, as Redis does), and reads back identical.
#[test]
fn config_get_all_values_are_accepted_by_config_set() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let all = map_of(&c.cmd(&["CONFIG", "GET", "*"]));
    assert!(all.len() > 200, "only {} parameters", all.len());
    for name in ["maxmemory", "hash-max-ziplist-entries", "lua-time-limit", "slaveof", "rdb-version", "spill-enabled"] {
        assert!(all.iter().any(|(k, _)| k == name), "{name} missing from CONFIG GET *");
    }
    for (name, value) in &all {
        let r = c.cmd(&["CONFIG", "SET", name, value]);
        match r {
            V::Simple(ref ok) if ok == "OK" => {
                let back = map_of(&c.cmd(&["CONFIG", "GET", name]));
                assert_eq!(back, vec![(name.clone(), value.clone())], "{name}");
            }
            V::Error(ref e)
                if e == &format!("ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config")
                    || e == &format!("ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config") => {}
            other => panic!("CONFIG SET {name} {value:?} -> {other:?}"),
        }
    }
    // Hidden parameters are only reachable by exact name.
    assert!(!all.iter().any(|(k, _)| k == "key-load-delay"));
    assert_eq!(map_of(&c.cmd(&["CONFIG", "GET", "key-load-delay"])).len(), 1);
}

#[test]
fn config_set_errors_and_atomicity() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "10", "nosuch", "1"]),
        V::err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "10", "maxmemory", "11"]),
        V::err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "databases", "4"]),
        V::err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "10", "appendfsync", "sometimes"]),
        V::err("ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no")
    );
    assert_eq!(map_of(&c.cmd(&["CONFIG", "GET", "maxmemory"])), vec![("maxmemory".into(), "0".into())]);
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory"]), V::err("ERR wrong number of arguments for 'config|set' command"));
    assert_eq!(c.cmd(&["CONFIG", "GET"]), V::err("ERR wrong number of arguments for 'config|get' command"));
    assert_eq!(c.cmd(&["CONFIG", "NOPE"]), V::err("ERR unknown subcommand 'NOPE'. Try CONFIG HELP."));
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1", "hz"]), V::err("ERR syntax error"));
    // Encoding thresholds, through their old names too.
    assert_eq!(c.cmd(&["CONFIG", "SET", "zset-max-ziplist-entries", "7", "set-max-listpack-value", "1kb"]), V::ok());
    let m = map_of(&c.cmd(&["CONFIG", "GET", "zset-max-listpack-entries", "set-max-listpack-value"]));
    assert!(m.contains(&("zset-max-listpack-entries".into(), "7".into())), "{m:?}");
    assert!(m.contains(&("set-max-listpack-value".into(), "1024".into())), "{m:?}");
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), V::ok());
}

#[test]
fn config_rewrite_keeps_comments_and_unknown_lines() {
    let d = tempfile::tempdir().unwrap();
    let inc = d.path().join("inc.conf");
    std::fs::write(&inc, "lfu-decay-time 5\n").unwrap();
    let file = d.path().join("vk.conf");
    std::fs::write(
        &file,
        format!(
            "# My settings\nmaxmemory 1mb\n\n# eviction\nmaxmemory-policy allkeys-lru\nsave 60 1\nsave 30 2\ninclude {}\nrename-command KEYS \"\"\n",
            inc.display()
        ),
    )
    .unwrap();
    let s = start_with_file(&file, &[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "2gb", "timeout", "30", "save", "100 5"]), V::ok());
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), V::ok());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# My settings\nmaxmemory 2gb\n"), "{text}");
    assert!(text.contains("# eviction\nmaxmemory-policy allkeys-lru\n"), "{text}");
    assert!(text.contains("save 100 5\n") && !text.contains("save 30 2"), "{text}");
    assert!(text.contains(&format!("include {}", inc.display())), "{text}");
    assert!(text.contains("rename-command KEYS \"\""), "{text}");
    assert!(text.contains("# Generated by CONFIG REWRITE\n"), "{text}");
    assert!(text.contains("timeout 30\n"), "{text}");
    assert!(!text.contains("hz "), "defaults are not written: {text}");
    drop(c);
    drop(s);
    // The rewritten file loads and gives back the same values.
    let s = start_with_file(&file, &[]);
    let mut c = s.client();
    let m = map_of(&c.cmd(&["CONFIG", "GET", "maxmemory", "timeout", "save", "lfu-decay-time"]));
    for want in [("maxmemory", "2147483648"), ("timeout", "30"), ("save", "100 5"), ("lfu-decay-time", "5")] {
        assert!(m.contains(&(want.0.into(), want.1.into())), "{m:?}");
    }
}

#[test]
fn example_config_file_loads() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/vaultkey.conf");
    let s = start_with_file(&file, &[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
    let m = map_of(&c.cmd(&["CONFIG", "GET", "rdb-version", "spill-enabled", "appendfsync"]));
    assert!(m.contains(&("rdb-version".into(), "11".into())), "{m:?}");
}

fn refused(port: u16) -> bool {
    TcpStream::connect_timeout(&format!("127.0.0.1:{port}").parse().unwrap(), Duration::from_secs(2)).is_err()
}

#[test]
fn config_set_port_is_live() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    let new_port = free_port();
    assert_eq!(c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]), V::ok());
    // The connection that changed it stays; the new port serves; the old one is closed.
    assert_eq!(c.cmd(&["GET", "k"]), V::bulk("v"));
    let mut c2 = Client::connect(new_port);
    assert_eq!(c2.cmd(&["GET", "k"]), V::bulk("v"));
    assert!(refused(s.port));
    let info = c2.cmd(&["INFO", "server"]).text();
    assert!(info.contains(&format!("tcp_port:{new_port}\r\n")), "{info}");
    assert_eq!(c2.cmd(&["CONFIG", "GET", "port"]), V::Array(vec![V::bulk("port"), V::bulk(&new_port.to_string())]));

    // A port somebody else holds: Redis's error, and everything stays as it was.
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = blocker.local_addr().unwrap().port();
    assert_eq!(
        c2.cmd(&["CONFIG", "SET", "port", &busy.to_string()]),
        V::err("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.")
    );
    assert_eq!(c2.cmd(&["CONFIG", "GET", "port"]), V::Array(vec![V::bulk("port"), V::bulk(&new_port.to_string())]));
    // The whole CONFIG SET is undone, the other parameters too.
    assert!(c2.cmd(&["CONFIG", "SET", "maxmemory-samples", "7", "port", &busy.to_string()]).text().contains("'port'"));
    assert_eq!(c2.cmd(&["CONFIG", "GET", "maxmemory-samples"]), V::Array(vec![V::bulk("maxmemory-samples"), V::bulk("5")]));
    assert_eq!(Client::connect(new_port).cmd(&["PING"]), V::Simple("PONG".into()));
    drop(blocker);

    // Port 0: no TCP listener at all, existing connections still work; then back.
    assert_eq!(c2.cmd(&["CONFIG", "SET", "port", "0"]), V::ok());
    assert!(refused(new_port));
    assert_eq!(c2.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c2.cmd(&["CONFIG", "SET", "port", &s.port.to_string()]), V::ok());
    assert_eq!(Client::connect(s.port).cmd(&["GET", "k"]), V::bulk("v"));
}

#[test]
fn config_set_bind_is_live() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let v6 = |port: u16| TcpStream::connect_timeout(&format!("[::1]:{port}").parse().unwrap(), Duration::from_secs(2)).is_ok();
    let have_v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -::1"]), V::ok());
    assert_eq!(c.cmd(&["CONFIG", "GET", "bind"]), V::Array(vec![V::bulk("bind"), V::bulk("127.0.0.1 -::1")]));
    assert_eq!(v6(s.port), have_v6);
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1"]), V::ok());
    assert!(!v6(s.port));
    // The wildcard and back: overlapping addresses on the same port.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "* -::*"]), V::ok());
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1"]), V::ok());
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), V::Simple("PONG".into()));
    // An address that cannot be bound (somebody holds it): refused, old listeners kept. An
    // optional one is skipped.
    let _blocker = std::net::TcpListener::bind(("127.0.0.2", s.port)).unwrap();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2"]),
        V::err("ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.")
    );
    assert_eq!(c.cmd(&["CONFIG", "GET", "bind"]), V::Array(vec![V::bulk("bind"), V::bulk("127.0.0.1")]));
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -127.0.0.2"]), V::ok());
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
}

#[test]
fn config_set_loglevel_is_live() {
    let s = TestServer::start(&["--loglevel", "warning"]);
    let mut c = s.client();
    let _blocker = std::net::TcpListener::bind(("127.0.0.2", s.port)).unwrap();
    // Debug lines appear as soon as the level allows them (an optional bind that fails is
    // logged at debug level), and stop when it goes back.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -127.0.0.2"]), V::ok());
    assert!(!s.log().contains("optional bind"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "debug"]), V::ok());
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "-127.0.0.2 127.0.0.1"]), V::ok());
    assert!(s.log().contains("optional bind 127.0.0.2"), "{}", s.log());
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "nothing"]), V::ok());
    let before = s.log().len();
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -127.0.0.2"]), V::ok());
    assert_eq!(s.log().len(), before);
    assert_eq!(c.cmd(&["CONFIG", "GET", "loglevel"]), V::Array(vec![V::bulk("loglevel"), V::bulk("nothing")]));
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "loud"]).text(), "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
}

/// `io-threads` sets the number of threads serving connections; with several, commands from
/// concurrent pipelining clients still take effect one at a time (no lost increments).
#[test]
fn io_threads_serve_concurrent_clients() {
    for threads in ["1", "3"] {
        let s = TestServer::start(&["--io-threads", threads]);
        let workers: Vec<_> = (0..6)
            .map(|_| {
                let mut c = s.client();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        for _ in 0..50 {
                            c.send(&[b"INCR", b"n"]);
                        }
                        for _ in 0..50 {
                            assert!(matches!(c.read(), V::Int(_)));
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let mut c = s.client();
        assert_eq!(c.cmd(&["GET", "n"]), V::bulk("6000"));
        assert_eq!(c.cmd(&["CONFIG", "GET", "io-threads"]), V::Array(vec![V::bulk("io-threads"), V::bulk(threads)]));
    }
}
