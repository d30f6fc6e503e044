//! vk-import run as a built binary: the streamed `--to DIR` output holds exactly what the
//! buffered (per-database spill) path writes, for single- and multi-database sources and with
//! `--rename-db`; failures leave no temporary files; `--to-server` loads many keys with a
//! deep pipeline and reports refused keys one by one.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vk_storage::rdb::{RdbEvent, RdbReader, RdbValue, RdbWriter, WriteOptions};
use vk_tools::resp::{Client, Reply};

/// (db, key, expiry, value) in file order.
type Keys = Vec<(u64, Vec<u8>, Option<i64>, RdbValue)>;

fn value_for(i: usize) -> RdbValue {
    let s = |p: &str, j: usize| format!("{p}{i}-{j}").into_bytes();
    match i % 6 {
        0 | 1 => RdbValue::String(format!("value-{i}-{}", "v".repeat(i % 50)).into_bytes()),
        2 => RdbValue::List((0..(i % 7) + 1).map(|j| s("l", j)).collect()),
        3 => RdbValue::Set((0..(i % 9) + 1).map(|j| s("m", j)).collect()),
        4 => RdbValue::SortedSet((0..(i % 5) + 1).map(|j| (s("z", j), j as f64 * 1.5)).collect()),
        _ => RdbValue::Hash((0..(i % 4) + 1).map(|j| (s("f", j), s("v", j))).collect()),
    }
}

/// Writes an RDB 11 file with `per_db` keys in each of `dbs` (in the order given).
fn write_source(path: &Path, dbs: &[u64], per_db: usize) -> Keys {
    let f = std::fs::File::create(path).unwrap();
    let mut w = RdbWriter::new(f, WriteOptions { version: 11, ..Default::default() }).unwrap();
    w.aux(b"redis-ver", b"7.2.4").unwrap();
    let far = 4_102_444_800_000i64; // 2100-01-01
    let mut keys = Vec::new();
    for &db in dbs {
        w.select_db(db).unwrap();
        w.resize_db(per_db as u64, (0..per_db).filter(|i| i % 10 == 3).count() as u64).unwrap();
        for i in 0..per_db {
            let k = format!("k{i}:db{db}").into_bytes();
            let exp = if i % 10 == 3 { Some(far + i as i64) } else { None };
            let v = value_for(i);
            w.key(&k, exp, &v).unwrap();
            keys.push((db, k, exp, v));
        }
    }
    w.finish().unwrap();
    keys
}

/// Every key of an RDB file in file order, and the sequence of SELECTDB sections.
fn read_rdb(path: &Path) -> (Keys, Vec<u64>) {
    let mut r = RdbReader::open(path).unwrap();
    let (mut keys, mut sections) = (Vec::new(), Vec::new());
    while let Some(ev) = r.next_event().unwrap() {
        match ev {
            RdbEvent::SelectDb(db) => sections.push(db),
            RdbEvent::Key(k) => keys.push((k.db, k.key, k.expire_ms, k.value)),
            _ => {}
        }
    }
    (keys, sections)
}

fn import(args: &[&str]) -> (i32, serde_json::Value, String) {
    import_env(args, &[])
}

fn import_env(args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vk-import")).args(args).args(["--report", "json", "--quiet"]).envs(env.iter().copied()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), report, format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// Imports `src` to a fresh directory, streamed or through the per-database spill path.
fn to_dir(tmp: &Path, name: &str, src: &Path, extra: &[&str], spill: bool) -> (Keys, Vec<u64>, serde_json::Value) {
    let dir = tmp.join(name);
    let mut args = vec![src.to_str().unwrap(), "--to", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    if spill {
        args.push("--spill-by-db");
    }
    let (code, report, out) = import(&args);
    assert_eq!(code, 0, "{out}");
    // Only the result is left behind: no temporary files.
    let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["dump.rdb".to_string()], "{out}");
    let (keys, sections) = read_rdb(&dir.join("dump.rdb"));
    (keys, sections, report)
}

fn assert_sections_ascending_once(sections: &[u64]) {
    assert!(sections.windows(2).all(|w| w[0] < w[1]), "sections {sections:?}");
}

#[test]
fn streamed_output_equals_buffered_single_db() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[0], 3000);
    let (streamed, sec1, rep) = to_dir(tmp.path(), "a", &src, &[], false);
    let (buffered, sec2, _) = to_dir(tmp.path(), "b", &src, &[], true);
    assert_eq!(rep["keys_imported"], 3000);
    assert_eq!(streamed, want);
    assert_eq!(buffered, want);
    assert_eq!((sec1, sec2), (vec![0], vec![0]));
}

#[test]
fn streamed_output_equals_buffered_multi_db_and_filters() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[0, 2, 5, 9], 500);
    let (streamed, sections, _) = to_dir(tmp.path(), "a", &src, &[], false);
    let (buffered, sections2, _) = to_dir(tmp.path(), "b", &src, &[], true);
    assert_eq!(streamed, want);
    assert_eq!(buffered, want);
    assert_eq!(sections, vec![0, 2, 5, 9]);
    assert_eq!(sections2, vec![0, 2, 5, 9]);
    // Filters apply the same way on both paths.
    let filt = ["--db", "2", "--db", "9", "--match", "k1*"];
    let (a, _, rep) = to_dir(tmp.path(), "c", &src, &filt, false);
    let (b, _, _) = to_dir(tmp.path(), "d", &src, &filt, true);
    let expect: Keys = want.iter().filter(|k| (k.0 == 2 || k.0 == 9) && k.1.starts_with(b"k1")).cloned().collect();
    assert_eq!(a, expect);
    assert_eq!(b, expect);
    assert_eq!(rep["keys_imported"], expect.len() as u64);
}

/// Keys of `want` with databases mapped, grouped by target database in ascending order
/// (source order within each database): what any correct output holds.
fn remapped(want: &Keys, map: &[(u64, u64)]) -> Keys {
    let t = |db: u64| map.iter().find(|m| m.0 == db).map(|m| m.1).unwrap_or(db);
    let mut out: Keys = want.iter().map(|(db, k, e, v)| (t(*db), k.clone(), *e, v.clone())).collect();
    out.sort_by_key(|k| k.0); // stable: source order kept within a database
    out
}

#[test]
fn rename_db_streams_when_monotonic_and_reorders_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[0, 2, 5], 400);
    // 2 -> 3 keeps databases ascending (streamed); 0 -> 7 reorders them; 0 -> 5 and 2 -> 5 merge.
    for (spec, map) in [
        (vec!["--rename-db", "2:3"], vec![(2, 3)]),
        (vec!["--rename-db", "0:7"], vec![(0, 7)]),
        (vec!["--rename-db", "5:1", "--rename-db", "0:4"], vec![(5, 1), (0, 4)]),
        (vec!["--rename-db", "0:5", "--rename-db", "2:5"], vec![(0, 5), (2, 5)]),
    ] {
        let expect = remapped(&want, &map);
        let name = spec.join("_").replace(':', "-");
        let (a, sa, _) = to_dir(tmp.path(), &format!("s{name}"), &src, &spec, false);
        let (b, sb, _) = to_dir(tmp.path(), &format!("b{name}"), &src, &spec, true);
        assert_eq!(a, expect, "{spec:?}");
        assert_eq!(b, expect, "{spec:?}");
        assert_sections_ascending_once(&sa);
        assert_sections_ascending_once(&sb);
    }
}

#[test]
fn source_with_databases_out_of_order_keeps_every_key() {
    // Not something Redis writes, but a valid file: db 3 before db 1.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[3, 1], 200);
    let (got, _, _) = to_dir(tmp.path(), "a", &src, &[], false);
    let mut a = got.clone();
    a.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    let mut b = want.clone();
    b.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
    assert_eq!(a, b);
    let (buffered, sections, _) = to_dir(tmp.path(), "b", &src, &[], true);
    assert_eq!(buffered, remapped(&want, &[]));
    assert_eq!(sections, vec![1, 3]);
}

#[test]
fn failed_import_leaves_no_files_and_keeps_the_old_dump() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    write_source(&src, &[0, 1], 2000);
    // A truncated source: the import fails half-way.
    let bytes = std::fs::read(&src).unwrap();
    let cut = tmp.path().join("cut.rdb");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("dump.rdb"), b"old").unwrap();
    for spill in [false, true] {
        let mut args = vec![cut.to_str().unwrap(), "--to", dir.to_str().unwrap(), "--overwrite"];
        if spill {
            args.push("--spill-by-db");
        }
        let (code, report, out) = import(&args);
        assert_eq!(code, 2, "{out}");
        assert_eq!(report["ok"], false);
        assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), b"old");
        let temps: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("temp-")).collect();
        assert!(temps.is_empty(), "{temps:?}");
    }
    // Without --overwrite nothing is even started.
    let (code, _, out) = import(&[src.to_str().unwrap(), "--to", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.contains("use --overwrite"), "{out}");
}

/// A vk-server of this workspace on a free port.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let bin = std::env::var("VK_SERVER").map(PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/vk-server"));
        assert!(bin.is_file(), "{} not built (run `cargo build` at the workspace root)", bin.display());
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        loop {
            if let Ok(mut c) = Client::connect(&format!("127.0.0.1:{port}")) {
                if vk_tools::server::answers_as(&mut c, child.id()) {
                    break;
                }
            }
            assert!(start.elapsed() < Duration::from_secs(30), "vk-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, port, _dir: dir }
    }
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
    fn client(&self) -> Client {
        Client::connect(&self.addr()).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn int(r: Reply) -> i64 {
    match r {
        Reply::Int(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn to_server_many_keys_with_per_key_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[0, 3], 30_000);
    let s = Server::start();
    let mut c = s.client();
    // 150 keys already exist on the target: each is refused (BUSYKEY) and reported.
    let mut taken = BTreeSet::new();
    for i in (0..30_000).step_by(200) {
        let k = format!("k{i}:db3");
        c.call(&[b"SELECT", b"3"]).unwrap();
        assert_eq!(c.call(&[b"SET", k.as_bytes(), b"old"]).unwrap(), Reply::Simple("OK".into()));
        taken.insert(k);
    }
    let (code, report, out) = import(&[src.to_str().unwrap(), "--to-server", &s.addr()]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(report["ok"], true, "{out}");
    assert_eq!(report["transfer"], "restore-v11");
    assert_eq!(report["keys_imported"], 60_000 - 150);
    assert_eq!(report["skipped"]["key exists on target (use --replace)"], 150, "{out}");
    let named: BTreeSet<String> = report["skipped_keys"].as_array().unwrap().iter().map(|k| {
        assert_eq!(k["db"], 3);
        assert_eq!(k["reason"], "key exists on target (use --replace)");
        k["key"].as_str().unwrap().to_string()
    }).collect();
    assert_eq!(named.len(), 100, "the first 100 are named");
    assert!(named.is_subset(&taken));
    c.call(&[b"SELECT", b"0"]).unwrap();
    assert_eq!(int(c.call(&[b"DBSIZE"]).unwrap()), 30_000);
    c.call(&[b"SELECT", b"3"]).unwrap();
    assert_eq!(int(c.call(&[b"DBSIZE"]).unwrap()), 30_000);
    assert_eq!(c.call(&[b"GET", b"k200:db3"]).unwrap(), Reply::Bulk(Some(b"old".to_vec())));
    // Spot checks of content and expiry.
    assert_eq!(c.call(&[b"GET", b"k1:db3"]).unwrap(), Reply::Bulk(Some(b"value-1-v".to_vec())));
    assert_eq!(int(c.call(&[b"LLEN", b"k2:db3"]).unwrap()), 3);
    assert!(int(c.call(&[b"PTTL", b"k3:db3"]).unwrap()) > 0);
    // --replace: every key lands, nothing skipped (over several connections).
    let (code, report, out) = import(&[src.to_str().unwrap(), "--to-server", &s.addr(), "--replace", "--connections", "3"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["keys_imported"], 60_000);
    assert!(report.get("skipped_keys").is_none());
    assert_eq!(c.call(&[b"TYPE", b"k200:db3"]).unwrap(), Reply::Simple("list".into()));
    assert_eq!(int(c.call(&[b"LLEN", b"k200:db3"]).unwrap()), 5);
    assert_eq!(want.len(), 60_000);
}

#[test]
fn to_server_big_values_with_a_small_window() {
    // Values bigger than the in-flight byte budget: the writer waits for the reader instead
    // of holding them all.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let f = std::fs::File::create(&src).unwrap();
    let mut w = RdbWriter::new(f, WriteOptions { version: 11, ..Default::default() }).unwrap();
    w.select_db(0).unwrap();
    for i in 0..200u32 {
        let v: Vec<u8> = (0..64 * 1024u32).map(|j| (j.wrapping_mul(2654435761).wrapping_add(i) >> 13) as u8).collect();
        w.key(format!("big{i}").as_bytes(), None, &RdbValue::String(v)).unwrap();
    }
    w.finish().unwrap();
    let s = Server::start();
    let (code, report, out) = import_env(&[src.to_str().unwrap(), "--to-server", &s.addr()], &[("VK_IMPORT_MAX_INFLIGHT_BYTES", "200000")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["keys_imported"], 200);
    let mut c = s.client();
    assert_eq!(int(c.call(&[b"DBSIZE"]).unwrap()), 200);
    assert_eq!(int(c.call(&[b"STRLEN", b"big199"]).unwrap()), 64 * 1024);
}

/// A fake server that refuses every RESTORE payload (as a server too old for both RDB 10 and
/// 11 would) and accepts plain commands in MULTI/EXEC: records the keys each EXEC wrote.
fn fake_server_refusing_payloads() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let w = written.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let w = w.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut out = std::io::BufWriter::new(s);
                let mut queued: Option<Vec<Vec<Vec<u8>>>> = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = line.trim_end()[1..].parse().unwrap();
                    let mut args = Vec::new();
                    for _ in 0..n {
                        let mut l2 = String::new();
                        r.read_line(&mut l2).unwrap();
                        let len: usize = l2.trim_end()[1..].parse().unwrap();
                        let mut b = vec![0u8; len + 2];
                        r.read_exact(&mut b).unwrap();
                        b.truncate(len);
                        args.push(b);
                    }
                    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
                    let reply: Vec<u8> = match (name.as_str(), queued.as_mut()) {
                        ("RESTORE", None) => b"-ERR DUMP payload version or checksum are wrong\r\n".to_vec(),
                        ("MULTI", None) => {
                            queued = Some(Vec::new());
                            b"+OK\r\n".to_vec()
                        }
                        ("EXEC", Some(_)) => {
                            let cmds = queued.take().unwrap();
                            let mut rep = format!("*{}\r\n", cmds.len()).into_bytes();
                            for c in &cmds {
                                rep.extend_from_slice(if c[0].eq_ignore_ascii_case(b"PEXPIREAT") { b":1\r\n" } else { b"+OK\r\n" });
                            }
                            let first = cmds.iter().find(|c| !c[0].eq_ignore_ascii_case(b"DEL")).map(|c| c[1].clone()).unwrap();
                            w.lock().unwrap().push(first);
                            rep
                        }
                        (_, Some(q)) => {
                            q.push(args.clone());
                            b"+QUEUED\r\n".to_vec()
                        }
                        _ => b"+OK\r\n".to_vec(),
                    };
                    out.write_all(&reply).unwrap();
                    if r.buffer().is_empty() {
                        out.flush().unwrap();
                    }
                }
            });
        }
    });
    (addr, written)
}

#[test]
fn to_server_falls_back_to_commands_for_every_key() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.rdb");
    let want = write_source(&src, &[0, 4], 5_000);
    let (addr, written) = fake_server_refusing_payloads();
    for conns in ["1", "3"] {
        written.lock().unwrap().clear();
        let (code, report, out) = import(&[src.to_str().unwrap(), "--to-server", &addr, "--connections", conns]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(report["transfer"], "commands", "{out}");
        assert_eq!(report["keys_imported"], 10_000, "{out}");
        // Every key written exactly once, whole, by one EXEC.
        let mut got: Vec<Vec<u8>> = written.lock().unwrap().clone();
        got.sort();
        let mut expect: Vec<Vec<u8>> = want.iter().map(|k| k.1.clone()).collect();
        expect.sort();
        assert_eq!(got, expect);
    }
}
