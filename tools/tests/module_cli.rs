//! `--on-module` of vk-import and vk-check-rdb, run as built binaries on an RDB file with a
//! module value (`RDB_TYPE_MODULE_2`, built by hand: a module id, self-described items, EOF).

use std::path::Path;
use std::process::Command;

use vk_storage::rdb::{consts, crc64, RdbEvent, RdbReader, RdbValue};

fn module_id(name: &[u8; 9], encver: u64) -> u64 {
    let mut v = 0u64;
    for c in name {
        v = (v << 6) | consts::MODULE_ID_CHARSET.iter().position(|x| x == c).unwrap() as u64;
    }
    (v << 10) | encver
}

/// db 0: `a`="1", `j1` (ReJSON-RL), `b`="2"; db 2: `bf` (MBbloom--), `j2` (ReJSON-RL), `c`="3".
/// `t` is the module value type (7 = MODULE_2, 6 = the pre-release format).
fn module_rdb(t: u8) -> Vec<u8> {
    let mut f = b"REDIS0011".to_vec();
    let string = |f: &mut Vec<u8>, k: &[u8], v: &[u8]| {
        f.extend_from_slice(&[consts::TYPE_STRING, k.len() as u8]);
        f.extend_from_slice(k);
        f.push(v.len() as u8);
        f.extend_from_slice(v);
    };
    let module = |f: &mut Vec<u8>, k: &[u8], name: &[u8; 9]| {
        f.extend_from_slice(&[t, k.len() as u8]);
        f.extend_from_slice(k);
        f.push(0x81); // 64-bit length
        f.extend_from_slice(&module_id(name, 2).to_be_bytes());
        if t == consts::TYPE_MODULE_2 {
            f.extend_from_slice(&[2, 3]); // UINT 3
            f.extend_from_slice(&[5, 4]); // STRING "{\"x\"" follows
            f.extend_from_slice(b"{\"x\"");
            f.push(4); // DOUBLE
            f.extend_from_slice(&0.5f64.to_le_bytes());
            f.push(0); // EOF
        } else {
            f.extend_from_slice(&[9, 9, 9]);
        }
    };
    f.extend_from_slice(&[consts::OPCODE_SELECTDB, 0]);
    string(&mut f, b"a", b"1");
    module(&mut f, b"j1", b"ReJSON-RL");
    string(&mut f, b"b", b"2");
    f.extend_from_slice(&[consts::OPCODE_SELECTDB, 2]);
    module(&mut f, b"bf", b"MBbloom--");
    module(&mut f, b"j2", b"ReJSON-RL");
    string(&mut f, b"c", b"3");
    f.push(consts::OPCODE_EOF);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

fn run(bin: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn import(args: &[&str]) -> (i32, String) {
    run(env!("CARGO_BIN_EXE_vk-import"), args)
}

fn keys_in(path: &Path) -> Vec<(u64, Vec<u8>, RdbValue)> {
    let mut out = Vec::new();
    for ev in RdbReader::open(path).unwrap() {
        if let RdbEvent::Key(k) = ev.unwrap() {
            out.push((k.db, k.key, k.value));
        }
    }
    out
}

#[test]
fn import_skips_module_values_and_names_them() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("dump.rdb");
    std::fs::write(&src, module_rdb(consts::TYPE_MODULE_2)).unwrap();
    let to = tmp.path().join("out");
    let (code, out) = import(&[src.to_str().unwrap(), "--to", to.to_str().unwrap(), "--on-module", "skip", "--report", "json", "-q"]);
    assert_eq!(code, 1, "{out}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["ok"], true, "{out}");
    assert_eq!(j["keys_imported"], 3);
    assert_eq!(j["skipped_module_keys"], serde_json::json!({"MBbloom--": 1, "ReJSON-RL": 2}));
    assert_eq!(j["skipped"]["module value of type 'ReJSON-RL'"], 2);
    let got: Vec<(u64, Vec<u8>)> = keys_in(&to.join("dump.rdb")).into_iter().map(|(d, k, _)| (d, k)).collect();
    assert_eq!(got, vec![(0, b"a".to_vec()), (0, b"b".to_vec()), (2, b"c".to_vec())]);

    // Text report names the modules too; --db filters count module keys as filtered out.
    let (code, out) = import(&[src.to_str().unwrap(), "--dry-run", "--on-module", "skip", "--db", "2", "-q"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("skipped 1: module value of type 'MBbloom--'"), "{out}");
    assert!(out.contains("skipped 1: module value of type 'ReJSON-RL'"), "{out}");
    assert!(out.contains("keys left out by --db/--match: 3"), "{out}");
}

#[test]
fn import_fails_on_module_values_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("dump.rdb");
    std::fs::write(&src, module_rdb(consts::TYPE_MODULE_2)).unwrap();
    for extra in [&[][..], &["--on-module", "fail"][..], &["--on-module", "abort"][..]] {
        let to = tmp.path().join("out");
        let mut args = vec![src.to_str().unwrap(), "--to", to.to_str().unwrap(), "--report", "json", "-q"];
        args.extend_from_slice(extra);
        let (code, out) = import(&args);
        assert_eq!(code, 2, "{out}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        let err = j["error"].as_str().unwrap();
        assert!(err.contains("module value of type 'ReJSON-RL' at key 'j1'") && err.contains("--on-module skip"), "{err}");
        assert!(!to.join("dump.rdb").exists(), "nothing is written on failure");
    }
}

#[test]
fn pre_release_module_values_cannot_be_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("dump.rdb");
    std::fs::write(&src, module_rdb(consts::TYPE_MODULE_PRE_GA)).unwrap();
    let (code, out) = import(&[src.to_str().unwrap(), "--dry-run", "--on-module", "skip", "--report", "json", "-q"]);
    assert_eq!(code, 2, "{out}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let err = j["error"].as_str().unwrap();
    assert!(err.contains("'ReJSON-RL'") && err.contains("pre-release module format (RDB type 6)"), "{err}");
}

#[test]
fn check_rdb_on_module() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("dump.rdb");
    std::fs::write(&src, module_rdb(consts::TYPE_MODULE_2)).unwrap();
    let check = env!("CARGO_BIN_EXE_vk-check-rdb");
    let (code, out) = run(check, &[src.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("'ReJSON-RL'") && out.contains("Reading key 'j1'"), "{out}");
    let (code, out) = run(check, &["--on-module", "skip", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\\o/ RDB looks OK! \\o/"), "{out}");
    assert!(out.contains("[info] 2 module values of type 'ReJSON-RL' skipped"), "{out}");
    assert!(out.contains("[info] 6 keys read"), "{out}");
    let (code, out) = run(check, &["--on-module", "skip", "--stats", "--json", src.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["module_values"], serde_json::json!({"MBbloom--": 1, "ReJSON-RL": 2}));
    assert_eq!(j["dbs"]["2"]["by_type"]["module:ReJSON-RL"], 1);
}
