//! vk-check-aof run as a built binary: healthy AOF fixtures exit 0, damaged ones exit 2, and
//! `--fix --yes` repairs a torn tail (exit 1, backup kept) into a directory that checks clean.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(p.is_dir(), "fixtures not found at {}", p.display());
    p
}

fn run(args: &[&str], path: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vk-check-aof")).args(args).arg(path).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn healthy_and_damaged_verdicts_and_fix() {
    for case in ["redis-7.2.4/aof-preamble", "redis-7.2.4/aof-nopreamble", "valkey-9.1.2/aof-multi-incr"] {
        let (code, out) = run(&[], &fixtures().join(case).join("appendonlydir"));
        assert_eq!(code, 0, "{case}: {out}");
    }
    for case in ["damaged-aof-truncated", "damaged-aof-torn-multi", "damaged-aof-garbage", "damaged-aof-base-truncated", "damaged-aof-missing-incr"] {
        let (code, out) = run(&[], &fixtures().join("redis-7.2.4").join(case).join("appendonlydir"));
        assert_eq!(code, 2, "{case}: {out}");
    }
    for case in ["damaged-aof-truncated", "damaged-aof-torn-multi"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("appendonlydir");
        copy_dir(&fixtures().join("redis-7.2.4").join(case).join("appendonlydir"), &dir);
        let (code, out) = run(&["--fix", "--yes"], &dir);
        assert_eq!(code, 1, "{case}: {out}");
        assert!(std::fs::read_dir(&dir).unwrap().flatten().any(|e| e.file_name().to_string_lossy().ends_with(".bak")), "{case}: no backup kept");
        let (code, out) = run(&[], &dir);
        assert_eq!(code, 0, "{case} after --fix: {out}");
    }
    // A damaged base is reported, never "repaired".
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("appendonlydir");
    copy_dir(&fixtures().join("redis-7.2.4/damaged-aof-base-truncated/appendonlydir"), &dir);
    let (code, out) = run(&["--fix", "--yes"], &dir);
    assert_eq!(code, 2, "{out}");
}
