//! The spill tier (issue 8): cold values on disk under `maxmemory`, read back transparently,
//! surviving restarts through the AOF/RDB, with clear errors for corrupt segments; and Redis
//! eviction when the tier is off.

mod common;
use common::*;

/// Deterministic, partly compressible content for key `i`.
/// SETs `prefix:i` keys of `len` random bytes until the server refuses one with Redis's OOM
/// error (it must, within 400 keys); every earlier SET must succeed.
fn sets_until_oom(c: &mut Client, prefix: &str, len: usize) {
    for i in 0..400 {
        match c.cmd_bytes(&[b"SET", format!("{prefix}:{i}").as_bytes(), &value(i, len)]) {
            V::Error(e) => {
                assert_eq!(e, "OOM command not allowed when used memory > 'maxmemory'.");
                return;
            }
            r => assert_eq!(r, V::ok()),
        }
    }
    panic!("no OOM error after 400 SETs of {len} bytes");
}

fn value(i: usize, len: usize) -> Vec<u8> {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Letters from a small alphabet: compressible but not trivially.
        out.push(b'a' + (x % 16) as u8);
    }
    out
}

fn info_field(c: &mut Client, section: &str, name: &str) -> String {
    let text = c.cmd(&["INFO", section]).text();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix(&format!("{name}:")) {
            return v.trim().to_string();
        }
    }
    panic!("no {name} in INFO {section}:\n{text}")
}

fn info_u64(c: &mut Client, section: &str, name: &str) -> u64 {
    info_field(c, section, name).parse().unwrap()
}

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).unwrap().parse().unwrap()
}

fn write_keys(c: &mut Client, n: usize, len: usize) {
    for i in 0..n {
        let k = format!("key:{i}");
        assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok(), "SET {k}");
    }
}

fn check_keys(c: &mut Client, n: usize, len: usize) {
    for i in 0..n {
        let k = format!("key:{i}");
        assert_eq!(c.cmd(&["GET", &k]), V::Bulk(value(i, len)), "GET {k}");
    }
}

#[test]
fn dataset_five_times_maxmemory_reads_back() {
    let s = TestServer::start(&["--maxmemory", "20mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"]);
    let mut c = s.client();
    let (n, len) = (1600, 64 * 1024); // 100 MiB of values
    let mut max_rss = 0;
    for chunk in 0..16 {
        for i in chunk * 100..(chunk + 1) * 100 {
            let k = format!("key:{i}");
            assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok());
        }
        max_rss = max_rss.max(rss_kb(s.child.id()));
    }
    let used = info_u64(&mut c, "memory", "used_memory");
    assert!(used < 22 << 20, "used_memory {used} over maxmemory");
    let disk_keys = info_u64(&mut c, "spill", "spill_disk_keys");
    assert!(disk_keys > 1000, "only {disk_keys} keys on disk");
    assert_eq!(c.cmd(&["DBSIZE"]).int(), n as i64);
    check_keys(&mut c, n, len);
    max_rss = max_rss.max(rss_kb(s.child.id()));
    eprintln!("max RSS {} KiB with maxmemory 20 MiB and 100 MiB of values", max_rss);
    assert!(max_rss < 3 * 20 * 1024, "RSS {max_rss} KiB");
    assert!(info_u64(&mut c, "spill", "spill_loaded_values") > 1000);
    assert!(info_u64(&mut c, "spill", "spill_spilled_values") > 1000);
    let used = info_u64(&mut c, "memory", "used_memory");
    assert!(used < 22 << 20, "used_memory {used} over maxmemory after reads");
}

#[test]
fn metadata_commands_need_no_disk_read() {
    let s = TestServer::start(&["--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"]);
    let mut c = s.client();
    write_keys(&mut c, 300, 32 * 1024);
    c.cmd(&["RPUSH", "biglist"]);
    let items: Vec<String> = (0..2000).map(|i| format!("item-{i}-{}", "x".repeat(20))).collect();
    let mut argv: Vec<&str> = vec!["RPUSH", "biglist"];
    argv.extend(items.iter().map(|s| s.as_str()));
    assert_eq!(c.cmd(&argv).int(), 2000);
    // Push everything cold out.
    write_keys(&mut c, 300, 32 * 1024);
    assert_eq!(c.cmd(&["EXPIRE", "key:0", "1000"]).int(), 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let spilled: Vec<usize> = (0..300).filter(|_| true).collect();
    let loads = info_u64(&mut c, "spill", "spill_loaded_values");
    for i in &spilled {
        let k = format!("key:{i}");
        assert_eq!(c.cmd(&["TYPE", &k]), V::Simple("string".into()));
        assert_eq!(c.cmd(&["EXISTS", &k]).int(), 1);
        assert!(c.cmd(&["PTTL", &k]).int() >= -1);
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &k]), V::bulk("raw"));
    }
    let mut cursor = "0".to_string();
    let mut seen = 0;
    loop {
        let r = c.cmd(&["SCAN", &cursor, "TYPE", "string", "COUNT", "100"]);
        let a = r.array();
        cursor = a[0].text();
        seen += a[1].array().len();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, 300);
    assert_eq!(info_u64(&mut c, "spill", "spill_loaded_values"), loads, "metadata commands read the disk");
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 100);
    // Every command works on spilled keys, of any type.
    assert_eq!(c.cmd(&["TYPE", "biglist"]), V::Simple("list".into()));
    assert_eq!(c.cmd(&["LLEN", "biglist"]).int(), 2000);
    assert_eq!(c.cmd(&["LINDEX", "biglist", "1999"]).text(), items[1999]);
    assert_eq!(c.cmd(&["STRLEN", "key:5"]).int(), 32 * 1024);
    assert_eq!(c.cmd(&["APPEND", "key:6", "zz"]).int(), 32 * 1024 + 2);
    assert_eq!(c.cmd(&["GETRANGE", "key:6", "-2", "-1"]), V::bulk("zz"));
    assert!(matches!(c.cmd(&["DUMP", "key:7"]), V::Bulk(_)));
    assert_eq!(c.cmd(&["DEL", "key:8", "key:9"]).int(), 2);
    assert_eq!(c.cmd(&["EXISTS", "key:8"]).int(), 0);
    assert_eq!(c.cmd(&["COPY", "key:10", "copy10"]).int(), 1);
    assert_eq!(c.cmd(&["GET", "copy10"]), V::Bulk(value(10, 32 * 1024)));
    assert_eq!(c.cmd(&["RENAME", "key:11", "renamed11"]), V::ok());
    assert_eq!(c.cmd(&["GET", "renamed11"]), V::Bulk(value(11, 32 * 1024)));
    assert!(c.cmd(&["TTL", "key:0"]).int() > 900);
    assert_eq!(c.cmd(&["GET", "key:0"]), V::Bulk(value(0, 32 * 1024)));
    let text = c.cmd(&["INFO", "spill"]).text();
    for f in ["spill_memory_keys", "spill_disk_bytes", "spill_disk_garbage_bytes", "spill_memory_hit_rate", "spill_load_rate_per_sec"] {
        assert!(text.contains(f), "{f} missing in {text}");
    }
}

#[test]
fn restart_with_aof_after_sigkill() {
    let args = ["--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024", "--appendonly", "yes", "--appendfsync", "always"];
    let s = TestServer::start(&args);
    let mut c = s.client();
    write_keys(&mut c, 300, 32 * 1024);
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 100);
    // A rewrite reads spilled values from the segments.
    c.cmd(&["BGREWRITEAOF"]);
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if info_u64(&mut c, "persistence", "aof_rewrite_in_progress") == 0 && info_u64(&mut c, "persistence", "aof_rewrite_scheduled") == 0 {
            break;
        }
    }
    assert_eq!(info_field(&mut c, "persistence", "aof_last_bgrewrite_status"), "ok");
    assert_eq!(c.cmd(&["SET", "after-rewrite", "1"]), V::ok());
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 100);
    check_keys(&mut c, 300, 32 * 1024);
    assert_eq!(c.cmd(&["GET", "after-rewrite"]), V::bulk("1"));
}

#[test]
fn restart_with_rdb() {
    let args = ["--maxmemory", "3mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"];
    let s = TestServer::start(&args);
    let mut c = s.client();
    write_keys(&mut c, 300, 32 * 1024);
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 100);
    assert_eq!(c.cmd(&["SAVE"]), V::ok());
    let dir = s.kill9();
    let s = TestServer::start_in(dir, &args);
    let mut c = s.client();
    // Loading spilled what did not fit.
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 100);
    assert_eq!(c.cmd(&["DBSIZE"]).int(), 300);
    check_keys(&mut c, 300, 32 * 1024);
}

#[test]
fn corrupt_segment_gives_clear_error() {
    let s = TestServer::start(&["--maxmemory", "3mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024"]);
    let mut c = s.client();
    write_keys(&mut c, 200, 32 * 1024);
    let spill_dir = s.dir.path().join("spill");
    let mut segs: Vec<_> = std::fs::read_dir(&spill_dir).unwrap().flatten().map(|e| e.path()).collect();
    segs.sort();
    assert!(!segs.is_empty());
    // Flip bytes all over the first segment.
    let mut data = std::fs::read(&segs[0]).unwrap();
    for pos in (100..data.len()).step_by(4096) {
        data[pos] ^= 0x5a;
    }
    std::fs::write(&segs[0], &data).unwrap();
    let mut errors = 0;
    for i in 0..200 {
        let k = format!("key:{i}");
        match c.cmd(&["GET", &k]) {
            V::Bulk(b) => assert_eq!(b, value(i, 32 * 1024), "wrong data for {k}"),
            V::Error(e) => {
                assert!(e.starts_with("ERR spilled value unreadable"), "{e}");
                assert!(e.contains("seg-") && e.contains("at offset"), "{e}");
                errors += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(errors > 0, "corruption not detected");
    assert!(info_u64(&mut c, "spill", "spill_read_errors") > 0);
    // The server keeps serving.
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
}

#[test]
fn spill_off_evicts_as_redis() {
    let s = TestServer::start(&["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.client();
    write_keys(&mut c, 400, 32 * 1024);
    let n = c.cmd(&["DBSIZE"]).int();
    assert!(n < 400, "nothing evicted ({n} keys)");
    assert!(info_u64(&mut c, "stats", "evicted_keys") > 0);
    assert!(info_u64(&mut c, "memory", "used_memory") < 5 << 20);

    let s = TestServer::start(&["--maxmemory", "4mb"]);
    let mut c = s.client();
    sets_until_oom(&mut c, "key", 32 * 1024);
    // Reads and deletes still work.
    assert!(matches!(c.cmd(&["GET", "key:1"]), V::Bulk(_)));
    assert_eq!(c.cmd(&["DEL", "key:1"]).int(), 1);
}

#[test]
fn config_set_enables_spill() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    write_keys(&mut c, 100, 32 * 1024);
    assert_eq!(c.cmd(&["CONFIG", "SET", "spill-enabled", "yes", "spill-min-value-size", "1024"]), V::ok());
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "2mb"]), V::ok());
    // The cron spills in the background.
    for _ in 0..100 {
        if info_u64(&mut c, "spill", "spill_disk_keys") > 30 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let disk_keys = info_u64(&mut c, "spill", "spill_disk_keys");
    assert!(disk_keys > 30, "{}", c.cmd(&["INFO", "spill"]).text());
    check_keys(&mut c, 100, 32 * 1024);
}

fn key_exists(c: &mut Client, k: &str) -> bool {
    c.cmd(&["EXISTS", k]).int() == 1
}

/// allkeys-lru with a small `maxmemory` (spill off): keys read all along survive while a
/// stream of new keys pushes the memory over the limit; the victims are the old ones.
#[test]
fn lru_eviction_keeps_recently_used_keys() {
    let s = TestServer::start(&["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.client();
    let len = 16 * 1024;
    let hot: Vec<String> = (0..50).map(|i| format!("hot:{i}")).collect();
    for (i, k) in hot.iter().enumerate() {
        assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok());
    }
    for i in 0..600 {
        let k = format!("cold:{i}");
        assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok());
        if i % 5 == 4 {
            for k in &hot {
                assert!(matches!(c.cmd(&["GET", k]), V::Bulk(_)), "{k} evicted after {i} cold keys");
            }
        }
    }
    assert!(info_u64(&mut c, "stats", "evicted_keys") >= 300);
    let alive = hot.iter().filter(|k| key_exists(&mut c, k)).count();
    assert_eq!(alive, hot.len());
    // The oldest cold keys went first.
    let old_alive = (0..100).filter(|i| key_exists(&mut c, &format!("cold:{i}"))).count();
    assert!(old_alive < 10, "{old_alive} of the 100 oldest cold keys survived");
}

/// allkeys-lfu: frequently read keys survive, however long ago they were read, while keys
/// written once are evicted.
#[test]
fn lfu_eviction_keeps_frequently_used_keys() {
    let s = TestServer::start(&["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0", "--lfu-decay-time", "0"]);
    let mut c = s.client();
    let len = 16 * 1024;
    let hot: Vec<String> = (0..40).map(|i| format!("hot:{i}")).collect();
    for (i, k) in hot.iter().enumerate() {
        assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok());
        for _ in 0..20 {
            c.cmd(&["GET", k]);
        }
    }
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "hot:0"]).int(), 25);
    // Written after the hot keys were last read: under LRU they would be the victims.
    for i in 0..600 {
        let k = format!("cold:{i}");
        assert_eq!(c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]), V::ok());
    }
    assert!(info_u64(&mut c, "stats", "evicted_keys") >= 300);
    let alive = hot.iter().filter(|k| key_exists(&mut c, k)).count();
    assert_eq!(alive, hot.len(), "hot keys evicted");
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "hot:7"]).int(), 25);
}

/// With spill on and `spill-max-disk` reached, an evicting policy deletes keys (spilled ones
/// included, which frees disk so colder values keep moving out), and every key left reads back.
#[test]
fn spill_max_disk_reached_evicts_by_policy() {
    let s = TestServer::start(&[
        "--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024",
        "--spill-max-disk", "4mb", "--maxmemory-policy", "allkeys-lru",
    ]);
    let mut c = s.client();
    let (n, len) = (800, 32 * 1024); // 25 MiB of values: 4 in memory, 4 on disk, the rest evicted
    write_keys(&mut c, n, len);
    let evicted = info_u64(&mut c, "stats", "evicted_keys");
    let disk_evicted = info_u64(&mut c, "spill", "spill_evicted_keys");
    assert!(evicted > 0 && disk_evicted > 0, "{}", c.cmd(&["INFO", "spill"]).text());
    assert!(info_u64(&mut c, "spill", "spill_disk_keys") > 50);
    // The cap holds for live data at once; compaction takes the files back near it.
    assert!(info_u64(&mut c, "spill", "spill_disk_live_bytes") <= (4 << 20) + 64 * 1024);
    let mut disk = u64::MAX;
    for _ in 0..100 {
        disk = info_u64(&mut c, "spill", "spill_disk_bytes");
        if disk <= 3 * (4 << 20) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(disk <= 3 * (4 << 20), "segment files hold {disk} bytes");
    // Whatever is left reads back intact; the newest keys are there.
    let mut left = 0;
    for i in 0..n {
        let k = format!("key:{i}");
        match c.cmd(&["GET", &k]) {
            V::Bulk(b) => {
                assert_eq!(b, value(i, len), "GET {k}");
                left += 1;
            }
            V::Nil => {}
            r => panic!("GET {k}: {r:?}"),
        }
    }
    assert_eq!(left as i64, c.cmd(&["DBSIZE"]).int());
    assert!(key_exists(&mut c, &format!("key:{}", n - 1)));
    assert!(left < n && left > 150, "{left}");
}

/// With spill on, `spill-max-disk` reached and `noeviction`, writes that need memory are
/// refused with Redis's OOM error; reads and deletes still work, and deleting spilled keys
/// makes room again.
#[test]
fn spill_max_disk_reached_with_noeviction_refuses_writes() {
    let s = TestServer::start(&[
        "--maxmemory", "4mb", "--spill-enabled", "yes", "--spill-min-value-size", "1024", "--spill-max-disk", "4mb",
    ]);
    let mut c = s.client();
    let len = 32 * 1024;
    let mut written = 0;
    for i in 0..2000 {
        let k = format!("key:{i}");
        match c.cmd_bytes(&[b"SET", k.as_bytes(), &value(i, len)]) {
            V::Error(e) => {
                assert_eq!(e, "OOM command not allowed when used memory > 'maxmemory'.");
                break;
            }
            r => assert_eq!(r, V::ok()),
        }
        written += 1;
    }
    assert!(written < 2000, "never refused");
    assert!(written > 150, "refused too early: {written}");
    assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
    assert_eq!(c.cmd(&["DBSIZE"]).int(), written as i64);
    assert_eq!(c.cmd(&["SET", "more", "x"]), V::err("OOM command not allowed when used memory > 'maxmemory'."));
    check_keys(&mut c, written, len);
    // Reading everything back moved values around; free room on disk by deleting the first
    // half of the keys (most of them on disk by now): writes are accepted again.
    for i in 0..written / 2 {
        assert_eq!(c.cmd(&["DEL", &format!("key:{i}")]).int(), 1);
    }
    assert_eq!(c.cmd_bytes(&[b"SET", b"again", &value(1, len)]), V::ok());
    assert_eq!(c.cmd(&["GET", "again"]), V::Bulk(value(1, len)));
}

/// volatile-* policies evict only keys with an expiry (volatile-ttl the nearest expiries
/// first); random policies evict too; the eviction pool follows a policy change.
#[test]
fn volatile_and_random_policies() {
    let s = TestServer::start(&["--maxmemory", "4mb", "--maxmemory-policy", "volatile-ttl"]);
    let mut c = s.client();
    let len = 16 * 1024;
    // 100 persistent keys, then keys with expiries 1000 + i seconds: the earliest go first.
    for i in 0..100 {
        assert_eq!(c.cmd_bytes(&[b"SET", format!("keep:{i}").as_bytes(), &value(i, len)]), V::ok());
    }
    for i in 0..400 {
        let ttl = (1000 + i).to_string();
        let r = c.cmd_bytes(&[b"SET", format!("ttl:{i}").as_bytes(), &value(i, len), b"EX", ttl.as_bytes()]);
        assert_eq!(r, V::ok(), "ttl:{i}");
    }
    assert!(info_u64(&mut c, "stats", "evicted_keys") > 100);
    assert!((0..100).all(|i| key_exists(&mut c, &format!("keep:{i}"))), "a key without expiry was evicted");
    let early = (0..100).filter(|i| key_exists(&mut c, &format!("ttl:{i}"))).count();
    // About 70 keys with an expiry fit beside the persistent ones: the latest expiries stay.
    let late = (350..400).filter(|i| key_exists(&mut c, &format!("ttl:{i}"))).count();
    assert!(early == 0 && late >= 45, "early {early}, late {late}");
    // volatile-lru: still only keys with an expiry.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]), V::ok());
    for i in 400..500 {
        let r = c.cmd_bytes(&[b"SET", format!("ttl:{i}").as_bytes(), &value(i, len), b"EX", b"5000"]);
        assert_eq!(r, V::ok());
    }
    assert!((0..100).all(|i| key_exists(&mut c, &format!("keep:{i}"))));
    // allkeys-random: anything may go, and memory stays bounded.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]), V::ok());
    for i in 0..300 {
        assert_eq!(c.cmd_bytes(&[b"SET", format!("r:{i}").as_bytes(), &value(i, len)]), V::ok());
    }
    assert!(info_u64(&mut c, "memory", "used_memory") < 5 << 20);
    // With only persistent keys and a volatile policy, nothing can be evicted: OOM.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]), V::ok());
    let mut cursor = "0".to_string();
    loop {
        let r = c.cmd(&["SCAN", &cursor, "COUNT", "1000"]);
        let items = r.array();
        cursor = items[0].text();
        for k in items[1].array() {
            c.cmd(&["PERSIST", &k.text()]);
        }
        if cursor == "0" {
            break;
        }
    }
    sets_until_oom(&mut c, "x", len);
}
