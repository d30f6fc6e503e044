//! vk-check-rdb run as a built binary on every RDB fixture: clean files exit 0, damaged files
//! exit 2 with the verdict redis-check-rdb gave (recorded in each fixture's meta.json).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(p.is_dir(), "fixtures not found at {}", p.display());
    p
}

fn run(file: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vk-check-rdb")).args(extra).arg(file).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn rdb_files(case: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(case).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().map(|x| x == "rdb").unwrap_or(false)).collect()
}

#[test]
fn healthy_fixtures_check_clean() {
    let mut n = 0;
    for producer in std::fs::read_dir(fixtures()).unwrap().filter_map(|e| e.ok()) {
        if !producer.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(producer.path()).unwrap().filter_map(|e| e.ok()) {
            let name = case.file_name().to_string_lossy().into_owned();
            if name.starts_with("damaged") || name.starts_with("corrupt") {
                continue;
            }
            for f in rdb_files(&case.path()) {
                let (code, out) = run(&f, &[]);
                assert_eq!(code, 0, "{}: {out}", f.display());
                assert!(out.contains("\\o/ RDB looks OK! \\o/"), "{out}");
                n += 1;
            }
        }
    }
    assert!(n >= 20, "only {n} RDB fixtures found");
}

/// The last lines redis-check-rdb printed, as recorded in meta.json.
fn recorded(case: &Path) -> String {
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(case.join("meta.json")).unwrap()).unwrap();
    let rec = meta.get("redis_check_rdb").or_else(|| meta.get("check_rdb")).expect("check record");
    rec["output"].as_str().unwrap().to_string()
}

#[test]
fn damaged_fixtures_give_redis_verdicts() {
    for case in ["redis-7.2.4/damaged-rdb-truncated", "redis-7.2.4/damaged-rdb-flipped", "historical/corrupt_empty_keys", "historical/corrupt_ziplist"] {
        let dir = fixtures().join(case);
        let file = &rdb_files(&dir)[0];
        let (code, out) = run(file, &[]);
        assert_eq!(code, 2, "{case}: {out}");
        let want = recorded(&dir);
        assert!(out.contains("--- RDB ERROR DETECTED ---"), "{case}: {out}");
        // Same error class, key, type and counters as redis-check-rdb.
        for line in want.lines().filter(|l| l.starts_with("[additional info] Reading") || l.starts_with("[info]") || l.contains("RDB CRC error") || l.contains("Unexpected EOF")) {
            let line = line.split("] ").skip(1).collect::<Vec<_>>().join("] ");
            assert!(out.contains(&line), "{case}: expected {line:?} in:\n{out}");
        }
    }
}

#[test]
fn stats_as_json() {
    let file = fixtures().join("redis-7.2.4/rdb/dump.rdb");
    let (code, out) = run(&file, &["--stats", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["keys"], 423);
    assert_eq!(v["dbs"]["0"]["keys"].as_u64().unwrap() + v["dbs"]["1"]["keys"].as_u64().unwrap() + v["dbs"]["15"]["keys"].as_u64().unwrap(), 423);
    assert_eq!(v["biggest"].as_array().unwrap().len(), 20);
}

#[test]
fn missing_file_is_damaged_not_a_panic() {
    let (code, out) = run(Path::new("/nonexistent/dump.rdb"), &[]);
    assert_eq!(code, 2, "{out}");
}
