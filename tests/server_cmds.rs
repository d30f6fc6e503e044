//! Server commands: INFO, COMMAND, DEBUG, SWAPDB, FLUSH*, MONITOR, SLOWLOG, LATENCY, MEMORY.
mod common;
use common::*;

fn bulk(s: &str) -> V {
    V::bulk(s)
}
fn st(s: &str) -> V {
    V::Simple(s.into())
}
fn kv(pairs: Vec<(&str, V)>) -> V {
    V::Array(pairs.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
}
fn range_spec(flags: &[&str], index: i64, lastkey: i64, step: i64) -> V {
    kv(vec![
        ("flags", V::Array(flags.iter().map(|f| st(f)).collect())),
        ("begin_search", kv(vec![("type", bulk("index")), ("spec", kv(vec![("index", V::Int(index))]))])),
        (
            "find_keys",
            kv(vec![
                ("type", bulk("range")),
                ("spec", kv(vec![("lastkey", V::Int(lastkey)), ("keystep", V::Int(step)), ("limit", V::Int(0))])),
            ]),
        ),
    ])
}

fn info_fields(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut sec = String::new();
    for line in text.split("\r\n") {
        if let Some(s) = line.strip_prefix("# ") {
            sec = s.to_ascii_lowercase();
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((sec.clone(), k.to_string(), v.to_string()));
        }
    }
    out
}

#[test]
fn command_info_equals_redis() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    // As Redis 7.2 replies (RESP2).
    let get = V::Array(vec![
        bulk("get"),
        V::Int(2),
        V::Array(vec![st("readonly"), st("fast")]),
        V::Int(1),
        V::Int(1),
        V::Int(1),
        V::Array(vec![st("@read"), st("@string"), st("@fast")]),
        V::Array(vec![]),
        V::Array(vec![range_spec(&["RO", "access"], 1, 0, 1)]),
        V::Array(vec![]),
    ]);
    let mut set_spec = match range_spec(&["RW", "access", "update", "variable_flags"], 1, 0, 1) {
        V::Array(a) => a,
        _ => unreachable!(),
    };
    set_spec.splice(0..0, [bulk("notes"), bulk("RW and ACCESS due to the optional `GET` argument")]);
    let set = V::Array(vec![
        bulk("set"),
        V::Int(-3),
        V::Array(vec![st("write"), st("denyoom")]),
        V::Int(1),
        V::Int(1),
        V::Int(1),
        V::Array(vec![st("@write"), st("@string"), st("@slow")]),
        V::Array(vec![]),
        V::Array(vec![V::Array(set_spec)]),
        V::Array(vec![]),
    ]);
    assert_eq!(c.cmd(&["COMMAND", "INFO", "get", "nosuch", "SET"]), V::Array(vec![get, V::NilArray, set]));
    let cfg = c.cmd(&["COMMAND", "INFO", "config|set"]);
    assert_eq!(
        cfg,
        V::Array(vec![V::Array(vec![
            bulk("config|set"),
            V::Int(-4),
            V::Array(vec![st("admin"), st("noscript"), st("loading"), st("stale")]),
            V::Int(0),
            V::Int(0),
            V::Int(0),
            V::Array(vec![st("@admin"), st("@slow"), st("@dangerous")]),
            V::Array(vec![bulk("request_policy:all_nodes"), bulk("response_policy:all_succeeded")]),
            V::Array(vec![]),
            V::Array(vec![]),
        ])])
    );
    let del = c.cmd(&["COMMAND", "INFO", "del"]);
    assert_eq!(del.array()[0].array()[8], V::Array(vec![range_spec(&["RM", "delete"], 1, -1, 1)]));
    let n = c.cmd(&["COMMAND", "COUNT"]).int();
    assert_eq!(c.cmd(&["COMMAND"]).array().len() as i64, n);
    assert_eq!(c.cmd(&["COMMAND", "INFO"]).array().len() as i64, n);
}

#[test]
fn command_getkeys_list_docs() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "set", "k", "v"]), V::bulks(&["k"]));
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "del", "a", "b"]), V::bulks(&["a", "b"]));
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "memory", "usage", "k"]), V::bulks(&["k"]));
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "ping"]), V::err("ERR The command has no key arguments"));
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "nosuch"]), V::err("ERR Invalid command specified"));
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "get"]), V::err("ERR Invalid number of arguments specified for command"));
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]),
        V::Array(vec![V::Array(vec![bulk("k"), V::Array(vec![st("OW"), st("update")])])])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "get", "k"]),
        V::Array(vec![V::Array(vec![bulk("k"), V::Array(vec![st("RO"), st("access")])])])
    );
    let mut l: Vec<String> = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"]).array().iter().map(|v| v.text()).collect();
    l.sort();
    assert_eq!(l, vec!["config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"]);
    assert_eq!(c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["COMMAND", "LIST", "FILTERBY", "bad", "x"]), V::err("ERR syntax error"));
    let acl: Vec<String> = c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous"]).array().iter().map(|v| v.text()).collect();
    assert!(acl.contains(&"flushall".to_string()) && acl.contains(&"config|set".to_string()), "{acl:?}");
    let docs = c.cmd(&["COMMAND", "DOCS", "get"]);
    assert_eq!(
        docs,
        V::Array(vec![
            bulk("get"),
            kv(vec![
                ("summary", bulk("Returns the string value of a key.")),
                ("since", bulk("1.0.0")),
                ("group", bulk("string")),
                ("complexity", bulk("O(1)")),
            ])
        ])
    );
    assert_eq!(c.cmd(&["COMMAND", "DOCS", "nosuch"]), V::Array(vec![]));
    let help = c.cmd(&["COMMAND", "HELP"]);
    assert_eq!(help.array()[0], st("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    assert_eq!(help.array().last().unwrap(), &st("    Prints this help."));
    assert_eq!(c.cmd(&["COMMAND", "FOO"]), V::err("ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
}

#[test]
fn info_sections_and_fields() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["PEXPIRE", "k", "100000"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "nosuch"]);
    c.cmd(&["CONFIG", "SET", "hz", "x"]);
    let text = c.cmd(&["INFO"]).text();
    let f = info_fields(&text);
    let has = |sec: &str, name: &str| f.iter().any(|(s, k, _)| s == sec && k == name);
    let val = |sec: &str, name: &str| f.iter().find(|(s, k, _)| s == sec && k == name).map(|x| x.2.clone()).unwrap_or_default();
    for (sec, names) in [
        ("server", &["redis_version", "redis_mode", "os", "arch_bits", "process_id", "run_id", "tcp_port", "uptime_in_seconds", "hz", "executable", "config_file"][..]),
        ("clients", &["connected_clients", "maxclients", "blocked_clients", "tracking_clients", "clients_in_timeout_table"][..]),
        ("memory", &["used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak", "used_memory_dataset", "maxmemory", "maxmemory_policy", "mem_fragmentation_ratio"][..]),
        ("persistence", &["loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status", "aof_enabled", "aof_rewrite_in_progress"][..]),
        ("stats", &["total_connections_received", "total_commands_processed", "expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses", "total_error_replies", "pubsub_channels"][..]),
        ("replication", &["role", "connected_slaves", "master_replid", "master_repl_offset", "second_repl_offset", "repl_backlog_active"][..]),
        ("cpu", &["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"][..]),
        ("errorstats", &["errorstat_ERR"][..]),
        ("cluster", &["cluster_enabled"][..]),
        ("keyspace", &["db0"][..]),
    ] {
        for n in names {
            assert!(has(sec, n), "INFO lacks {sec}.{n}:\n{text}");
        }
    }
    assert!(!text.contains("# Commandstats"));
    assert_eq!(val("keyspace", "db0"), "keys=1,expires=1,avg_ttl=0");
    assert_eq!(val("stats", "keyspace_hits"), "1");
    assert_eq!(val("stats", "keyspace_misses"), "1");
    assert_eq!(val("replication", "role"), "master");
    assert_eq!(val("errorstats", "errorstat_ERR"), "count=1");
    assert!(val("persistence", "rdb_changes_since_last_save").parse::<u64>().unwrap() >= 2);
    let all = c.cmd(&["INFO", "all"]).text();
    let f = info_fields(&all);
    let line = f.iter().find(|(s, k, _)| s == "commandstats" && k == "cmdstat_get").expect("cmdstat_get").2.clone();
    assert!(line.starts_with("calls=2,usec="), "{line}");
    assert!(line.contains(",usec_per_call=") && line.ends_with(",rejected_calls=0,failed_calls=0"), "{line}");
    let cs = f.iter().find(|(s, k, _)| s == "commandstats" && k == "cmdstat_config|set").expect("config|set").2.clone();
    assert!(cs.ends_with("failed_calls=1"), "{cs}");
    assert!(f.iter().any(|(s, k, _)| s == "latencystats" && k == "latency_percentiles_usec_get"));
    let only: Vec<String> = info_fields(&c.cmd(&["INFO", "cpu", "KEYSPACE"]).text()).into_iter().map(|x| x.0).collect();
    assert!(only.iter().all(|s| s == "cpu" || s == "keyspace"), "{only:?}");
    assert_eq!(c.cmd(&["INFO", "nosuch"]).text(), "");
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), V::ok());
    let f = info_fields(&c.cmd(&["INFO", "stats"]).text());
    assert!(f.iter().any(|(_, k, v)| k == "keyspace_hits" && v == "0"));
}

#[test]
fn keyspace_admin_commands() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "b", "2"]);
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), V::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(1));
    assert_eq!(c.cmd(&["GET", "a"]), V::bulk("1"));
    assert_eq!(c.cmd(&["SWAPDB", "0", "x"]), V::err("ERR invalid second DB index"));
    assert_eq!(c.cmd(&["SWAPDB", "x", "0"]), V::err("ERR invalid first DB index"));
    assert_eq!(c.cmd(&["SWAPDB", "0", "16"]), V::err("ERR DB index is out of range"));
    assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), V::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(2));
    assert_eq!(c.cmd(&["FLUSHALL", "NOW"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), V::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    let t = c.cmd(&["TIME"]);
    assert_eq!(t.array().len(), 2);
    assert!(c.cmd(&["LASTSAVE"]).int() > 1_600_000_000);
}

#[test]
fn debug_is_gated_and_works_when_enabled() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST"]),
        V::err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    );
    let s = TestServer::start(&["--enable-debug-command", "local"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), st("0000000000000000000000000000000000000000"));
    c.cmd(&["SET", "a", "1"]);
    // The same digests as Redis for the same dataset.
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), st("943d800368fb9c0e951138f1bc0e313ac769d91f"));
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST-VALUE", "a"]),
        V::Array(vec![st("b4fc66738120fba0b5aa500ab5c2bf89cea1c5da")])
    );
    c.cmd(&["PEXPIRE", "a", "100000"]);
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST-VALUE", "a", "nosuch"]),
        V::Array(vec![st("5279988c5d1911f474bcbbf2f0a87012d40f8459"), st("0000000000000000000000000000000000000000")])
    );
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), V::ok());
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), V::ok());
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "bignum"]), bulk("1234567999999999999999999999999999999"));
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "push"]), V::err("ERR RESP2 is not supported by this command"));
    assert!(c.cmd(&["DEBUG", "OBJECT", "a"]).text().contains(" encoding:int "));
    assert_eq!(c.cmd(&["DEBUG", "OBJECT", "zz"]), V::err("ERR no such key"));
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), V::ok());
    assert!(c.cmd(&["DEBUG", "JMAP"]).text().contains("not supported"));
    c.send(&[b"HELLO", b"3"]);
    let _ = c.read();
    // The harness does not decode RESP3 attributes: read the bytes.
    c.send(&[b"DEBUG", b"PROTOCOL", b"attrib"]);
    let want = b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n";
    let mut got = vec![0u8; want.len()];
    std::io::Read::read_exact(&mut c.stream, &mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "map"]), V::Map(vec![(V::Int(0), V::Bool(false)), (V::Int(1), V::Bool(true)), (V::Int(2), V::Bool(false))]));
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "double"]), V::Double("3.141".into()));
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "push"]), V::Push(vec![bulk("server-cpu-usage"), V::Int(42)]));
    assert_eq!(c.read(), bulk("Some real reply following the push reply"));
}

#[test]
fn monitor_slowlog_latency_memory() {
    let s = TestServer::start(&[]);
    let mut m = s.client();
    assert_eq!(m.cmd(&["MONITOR"]), V::ok());
    let mut c = s.client();
    c.cmd(&["SET", "mk", "v"]);
    let line = m.read().text();
    assert!(line.contains("[0 127.0.0.1:") && line.ends_with("\"SET\" \"mk\" \"v\""), "{line}");

    assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]), V::ok());
    c.cmd(&["GET", "mk"]);
    let entries = c.cmd(&["SLOWLOG", "GET", "1"]);
    let e = entries.array()[0].array();
    assert_eq!(e.len(), 6);
    assert_eq!(e[3], V::bulks(&["GET", "mk"]));
    assert_eq!(c.cmd(&["SLOWLOG", "GET", "-2"]), V::err("ERR count should be greater than or equal to -1"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]), V::ok());
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), V::ok());
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), V::Int(0));

    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), V::Int(0));
    assert!(c.cmd(&["LATENCY", "DOCTOR"]).text().starts_with("I'm sorry, Dave"));
    assert!(c.cmd(&["MEMORY", "USAGE", "mk"]).int() > 0);
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "nosuch"]), V::Nil);
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "mk", "SAMPLES"]), V::err("ERR syntax error"));
    let stats = c.cmd(&["MEMORY", "STATS"]);
    assert!(stats.array().iter().any(|v| v.text() == "keys.count"));
    assert_eq!(c.cmd(&["MEMORY", "NOPE"]), V::err("ERR unknown subcommand 'NOPE'. Try MEMORY HELP."));
}

#[test]
fn latency_monitor_records_slow_commands() {
    let s = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    // Off by default: nothing is recorded, and the doctor says so.
    c.cmd(&["DEBUG", "SLEEP", "0.05"]);
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "command"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["LATENCY", "GRAPH", "command"]), V::err("ERR No samples available for event 'command'"));

    assert_eq!(c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "200"]), V::ok());
    assert!(c.cmd(&["LATENCY", "DOCTOR"]).text().starts_with("Dave, no latency spike was observed"));
    c.cmd(&["DEBUG", "SLEEP", "0.05"]); // below the threshold
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), V::Array(vec![]));
    c.cmd(&["DEBUG", "SLEEP", "0.25"]);
    let latest = c.cmd(&["LATENCY", "LATEST"]);
    let row = latest.array()[0].array();
    assert_eq!(row[0], V::bulk("command"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((row[1].int() - now).abs() <= 2, "{row:?}");
    assert!(row[2].int() >= 250 && row[2].int() < 2000, "{row:?}");
    assert_eq!(row[3], row[2]);
    let hist = c.cmd(&["LATENCY", "HISTORY", "command"]);
    assert_eq!(hist.array().len(), 1);
    assert_eq!(hist.array()[0].array()[1], row[2]);
    // An unknown event name, and names are case-sensitive for HISTORY.
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "COMMAND"]), V::Array(vec![]));

    let graph = c.cmd(&["LATENCY", "GRAPH", "command"]).text();
    let lines: Vec<&str> = graph.lines().collect();
    assert!(lines[0].starts_with("command - high ") && lines[0].contains("(all time high "), "{graph}");
    assert_eq!(lines[1], "-".repeat(80));
    assert_eq!(lines[5], "_");

    let doctor = c.cmd(&["LATENCY", "DOCTOR"]).text();
    assert!(doctor.starts_with("Dave, I have observed latency spikes in this Redis instance."), "{doctor}");
    assert!(doctor.contains("1. command: 1 latency spikes (average "), "{doctor}");
    assert!(doctor.contains("- Check your Slow Log"), "{doctor}");

    // RESET: by name (case-insensitive), then everything.
    assert_eq!(c.cmd(&["LATENCY", "RESET", "nosuch"]), V::Int(0));
    assert_eq!(c.cmd(&["LATENCY", "RESET", "COMMAND", "command"]), V::Int(1));
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), V::Array(vec![]));
    c.cmd(&["DEBUG", "SLEEP", "0.21"]);
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), V::Int(1));

    // Inside MULTI the slow command is recorded too.
    c.cmd(&["MULTI"]);
    c.cmd(&["DEBUG", "SLEEP", "0.21"]);
    c.cmd(&["EXEC"]);
    let latest = c.cmd(&["LATENCY", "LATEST"]);
    assert_eq!(latest.array()[0].array()[0], V::bulk("command"));

    // Errors and arity as Redis 7.2.
    assert_eq!(c.cmd(&["LATENCY", "HISTORY"]), V::err("ERR wrong number of arguments for 'latency|history' command"));
    assert_eq!(c.cmd(&["LATENCY", "LATEST", "x"]), V::err("ERR wrong number of arguments for 'latency|latest' command"));
    assert_eq!(c.cmd(&["LATENCY", "NOPE"]), V::err("ERR unknown subcommand 'NOPE'. Try LATENCY HELP."));
    assert_eq!(c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "-1"]).text().starts_with("ERR CONFIG SET failed"), true);
}

#[test]
fn latency_histogram_per_command() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for _ in 0..5 {
        c.cmd(&["SET", "k", "v"]);
    }
    c.cmd(&["CONFIG", "GET", "port"]);
    let h = c.cmd(&["LATENCY", "HISTOGRAM", "set", "nosuch", "config"]);
    let a = h.array();
    // RESP2: a flat map: name, {calls, histogram_usec}.
    assert_eq!(a[0], V::bulk("set"));
    let m = a[1].array();
    assert_eq!(m[0], V::bulk("calls"));
    assert_eq!(m[1], V::Int(5));
    assert_eq!(m[2], V::bulk("histogram_usec"));
    let buckets = m[3].array();
    assert!(!buckets.is_empty() && buckets.len() % 2 == 0);
    // Bucket labels are Redis's: 1, 2, 4, 8, 16, 33, 66, 132 ... usec; counts are cumulative.
    let labels = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266, 270532, 541065, 1073741];
    let mut last = 0;
    for pair in buckets.chunks(2) {
        assert!(labels.contains(&pair[0].int()), "{pair:?}");
        assert!(pair[1].int() > last);
        last = pair[1].int();
    }
    assert_eq!(last, 5);
    // The container names its subcommands with data.
    assert_eq!(a[2], V::bulk("config|get"));
    assert_eq!(a.len(), 4);
    // All commands, and an exact subcommand name.
    let all = c.cmd(&["LATENCY", "HISTOGRAM"]);
    assert!(all.array().contains(&V::bulk("set")) && all.array().contains(&V::bulk("latency|histogram")));
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "CONFIG|GET"]).array()[0], V::bulk("config|get"));
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "nosuch"]), V::Array(vec![]));
    // RESP3: maps.
    c.cmd(&["HELLO", "3"]);
    match c.cmd(&["LATENCY", "HISTOGRAM", "set"]) {
        V::Map(m) => {
            assert_eq!(m[0].0, V::bulk("set"));
            assert!(matches!(&m[0].1, V::Map(inner) if inner.len() == 2));
        }
        other => panic!("{other:?}"),
    }
    // INFO latencystats follows the histogram; CONFIG RESETSTAT clears it.
    let info = c.cmd(&["INFO", "latencystats"]).text();
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["HELLO", "2"]);
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "set"]), V::Array(vec![]));
    // latency-tracking no: nothing recorded.
    assert_eq!(c.cmd(&["CONFIG", "SET", "latency-tracking", "no"]), V::ok());
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "set"]), V::Array(vec![]));
    assert!(!c.cmd(&["INFO", "latencystats"]).text().contains("latency_percentiles_usec_set"));
}

#[test]
fn info_memory_is_consistent() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    for i in 0..2000 {
        c.cmd(&["SET", &format!("key:{i}"), &"x".repeat(100)]);
    }
    let info = c.cmd(&["INFO", "memory"]).text();
    let f = |k: &str| -> f64 {
        info_fields(&info).into_iter().find(|(_, n, _)| n == k).map(|(_, _, v)| v.trim_end_matches('%').parse::<f64>().unwrap()).unwrap()
    };
    let used = f("used_memory");
    assert!(f("used_memory_peak") >= used);
    assert!(f("used_memory_rss") > 0.0);
    assert!(f("used_memory_startup") < used);
    assert_eq!(f("used_memory_dataset") + f("used_memory_overhead"), used);
    // 2000 values of 100 bytes: the dataset holds at least that.
    assert!(f("used_memory_dataset") >= 200_000.0, "{info}");
    assert!(f("used_memory_dataset_perc") <= 100.0);
    let frag = f("mem_fragmentation_ratio");
    assert!((frag - f("used_memory_rss") / used).abs() < 0.01);
    // The peak survives the memory going away.
    c.cmd(&["FLUSHALL"]);
    let info2 = c.cmd(&["INFO", "memory"]).text();
    let g = |k: &str| -> f64 { info_fields(&info2).into_iter().find(|(_, n, _)| n == k).map(|(_, _, v)| v.parse::<f64>().unwrap()).unwrap() };
    assert!(g("used_memory_peak") >= used);
    assert!(g("used_memory") < used);
    c.cmd(&["SCRIPT", "LOAD", "return 1"]);
    assert!(c.cmd(&["INFO", "memory"]).text().contains("number_of_cached_scripts:1\r\n"));
}
