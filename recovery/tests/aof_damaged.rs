//! Every `damaged-aof-*` fixture: our checker's verdicts and `--fix` results against what
//! `redis-check-aof` 7.2.4 said, and our loader against what `redis-server` 7.2.4 did.

mod common;

use common::*;
use vk_recovery::aof::check::{check, check_and_fix, plan_fix, DamageKind, FixError, Verdict};
use vk_recovery::aof::loader::{load, LoadOptions};
use vk_recovery::aof::rdb_hook::ChecksumScan;
use vk_recovery::aof::{AofError, AofSet};

const INCR: &str = "appendonly.aof.2.incr.aof";

fn damage(case_name: &str) -> vk_recovery::aof::check::Damage {
    let c = case(&format!("redis-7.2.4/{case_name}"));
    let report = check(&c.join("appendonlydir/appendonly.aof.manifest"), &mut ChecksumScan);
    assert_eq!(report.verdict.exit_code(), 2, "{case_name}");
    match report.verdict {
        Verdict::Damaged(d) => d,
        other => panic!("{case_name}: expected damage, got {other:?}"),
    }
}

/// Check, then fix a copy; compare with `redis_check_aof` in meta.json.
fn check_and_fix_like_redis(case_name: &str, kind: DamageKind, reason: &str) {
    let c = case(&format!("redis-7.2.4/{case_name}"));
    let m = meta(&c);
    let rca = &m["redis_check_aof"];
    let out = rca["check"]["output"].as_str().expect("output");
    let analyzed = analyzed_line(out, INCR);
    let d = damage(case_name);
    assert_eq!(d.kind, kind, "{case_name}");
    assert!(d.file.ends_with(format!("appendonlydir/{INCR}")), "{case_name}: {:?}", d.file);
    assert_eq!(d.size, field(analyzed, "size"), "{case_name}: size");
    assert_eq!(d.offset, field(analyzed, "ok_up_to"), "{case_name}: ok_up_to");
    assert_eq!(d.redis_line, field(analyzed, "ok_up_to_line"), "{case_name}: ok_up_to_line");
    assert_eq!(d.reason, reason, "{case_name}");
    assert!(out.contains(reason), "{case_name}: redis-check-aof said it too");
    assert!(d.fixable, "{case_name}");
    // The hex offset redis-check-aof prints before its message, when it prints one.
    if let Some(hex) = out.lines().find_map(|l| l.strip_prefix("0x")) {
        let hex = hex.split(':').next().unwrap_or_default().trim();
        assert_eq!(d.error_offset, u64::from_str_radix(hex, 16).ok(), "{case_name}: error offset");
    }

    // --fix on a copy.
    let tmp = copy_case(&c);
    let manifest = tmp.path().join("appendonlydir/appendonly.aof.manifest");
    let mut asked = None;
    let fixed = check_and_fix(&manifest, &mut ChecksumScan, &mut |plan| {
        asked = Some(plan.description.clone());
        true
    });
    let want = rca["fix"]["sizes_after"][INCR].as_u64();
    let got = std::fs::metadata(tmp.path().join("appendonlydir").join(INCR)).map(|m| m.len()).ok();
    assert_eq!(got, want, "{case_name}: size after fix");
    let asked = asked.expect("confirmation asked");
    // Our description starts with redis-check-aof's own sentence.
    let redis_says = rca["fix"]["output"]
        .as_str()
        .and_then(|o| o.lines().find(|l| l.starts_with("This will shrink")))
        .expect("redis fix line");
    assert!(asked.starts_with(redis_says), "{asked}\nvs\n{redis_says}");
    assert_eq!(fixed.verdict.exit_code(), 1, "{case_name}");
    match fixed.verdict {
        Verdict::Repaired(r) => {
            let backup = std::fs::metadata(&r.plan.backup).map(|m| m.len()).ok();
            assert_eq!(backup, field(analyzed, "size"), "backup keeps the original");
        }
        other => panic!("{case_name}: expected repaired, got {other:?}"),
    }
    assert_eq!(check(&manifest, &mut ChecksumScan).verdict, Verdict::Clean, "{case_name}: clean after fix");
}

#[test]
fn truncated_incr_check_and_fix() {
    check_and_fix_like_redis("damaged-aof-truncated", DamageKind::Truncated, "Expected to read 9 bytes, got 2 bytes");
}

#[test]
fn torn_multi_check_and_fix() {
    check_and_fix_like_redis(
        "damaged-aof-torn-multi",
        DamageKind::TornMulti,
        "Reached EOF before reading EXEC for MULTI",
    );
}

#[test]
fn garbage_check_and_fix() {
    check_and_fix_like_redis("damaged-aof-garbage", DamageKind::Format, "format error");
}

#[test]
fn truncated_base_is_reported_not_fixed() {
    let d = damage("damaged-aof-base-truncated");
    assert_eq!(d.kind, DamageKind::Rdb);
    assert!(d.file.ends_with("appendonlydir/appendonly.aof.2.base.rdb"));
    assert!(d.reason.contains("Unexpected EOF reading RDB file"), "{}", d.reason);
    assert!(d.reason.contains("RDB preamble of AOF file is not sane"));
    assert!(!d.fixable);
    let c = case("redis-7.2.4/damaged-aof-base-truncated");
    let tmp = copy_case(&c);
    let manifest = tmp.path().join("appendonlydir/appendonly.aof.manifest");
    let report = check(&manifest, &mut ChecksumScan);
    assert!(matches!(plan_fix(&report), Err(FixError::NotFixable { .. })));
    let mut asked = false;
    let after = check_and_fix(&manifest, &mut ChecksumScan, &mut |_| {
        asked = true;
        true
    });
    assert!(!asked);
    assert_eq!(after.verdict.exit_code(), 2);
    let size = std::fs::metadata(tmp.path().join("appendonlydir/appendonly.aof.2.base.rdb")).map(|m| m.len()).ok();
    assert_eq!(size, Some(144394), "base untouched");
}

#[test]
fn missing_incr_is_reported() {
    let c = case("redis-7.2.4/damaged-aof-missing-incr");
    let out = meta(&c)["redis_check_aof"]["check"]["output"].as_str().unwrap_or_default().to_string();
    assert!(out.contains("Cannot open file appendonlydir/appendonly.aof.2.incr.aof: No such file or directory"));
    let d = damage("damaged-aof-missing-incr");
    assert_eq!(d.kind, DamageKind::MissingFile);
    assert!(d.file.ends_with("appendonlydir/appendonly.aof.2.incr.aof"));
    assert!(d.reason.contains("No such file or directory"), "{}", d.reason);
    assert!(!d.fixable);
}

fn server_load(case_name: &str) -> (tempfile::TempDir, Result<vk_recovery::aof::loader::LoadReport, AofError>, Recorder) {
    let c = case(&format!("redis-7.2.4/{case_name}"));
    let tmp = copy_case(&c);
    let mut rec = Recorder::default();
    let res = AofSet::open(&tmp.path().join("appendonlydir"))
        .and_then(|set| load(&set, &LoadOptions::default(), &mut rec));
    (tmp, res, rec)
}

#[test]
fn loader_matches_redis_server_on_every_damaged_fixture() {
    for case_name in [
        "damaged-aof-truncated",
        "damaged-aof-torn-multi",
        "damaged-aof-garbage",
        "damaged-aof-base-truncated",
        "damaged-aof-missing-incr",
    ] {
        let m = meta(&case(&format!("redis-7.2.4/{case_name}")));
        let sl = &m["server_load"];
        let started = sl["started"].as_bool().expect("started");
        let log = sl["log"].as_array().map(|a| a.iter().filter_map(|l| l.as_str()).collect::<Vec<_>>().join("\n"));
        let log = log.unwrap_or_default();
        let (tmp, res, rec) = server_load(case_name);
        assert_eq!(res.is_ok(), started, "{case_name}: {res:?}");
        match res {
            Ok(report) => {
                let t = report.truncated.expect("a tail was cut");
                let want = sl["file_sizes_after_load"][format!("appendonlydir/{INCR}")].as_u64();
                assert_eq!(Some(t.at), want, "{case_name}");
                assert!(log.contains(&format!("Truncating the AOF {INCR} at offset {}", t.at)));
                let on_disk = std::fs::metadata(tmp.path().join("appendonlydir").join(INCR)).map(|m| m.len()).ok();
                assert_eq!(on_disk, want, "{case_name}: file cut on disk");
                assert_eq!(t.reverted_multi, log.contains("Revert incomplete MULTI/EXEC"), "{case_name}");
                // Nothing past the cut was delivered.
                assert!(rec.commands.iter().filter(|(f, _)| f == INCR).all(|(_, c)| c.end <= t.at));
                let in_incr = rec.transactions.iter().filter(|(f, _)| f == INCR);
                assert!(in_incr.flat_map(|(_, t)| t).all(|c| c.end <= t.at));
            }
            Err(AofError::Corrupt { file, offset, .. }) => {
                assert!(log.contains("Bad file format reading the append only file"), "{case_name}");
                assert!(file.ends_with(INCR));
                assert_eq!(offset, 23734);
            }
            Err(AofError::Rdb { file, .. }) => {
                assert!(log.contains("Short read or OOM loading DB"), "{case_name}");
                assert!(file.ends_with("appendonly.aof.2.base.rdb"));
            }
            Err(AofError::MissingFile { name, .. }) => {
                assert!(log.contains(&format!("Unable to obtain the AOF file {name} length")), "{case_name}");
                assert!(rec.commands.is_empty() && rec.rdb_files.is_empty(), "nothing loaded before the stat");
            }
            Err(other) => panic!("{case_name}: unexpected {other}"),
        }
    }
}

#[test]
fn torn_multi_body_is_not_applied() {
    let (_tmp, res, rec) = server_load("damaged-aof-torn-multi");
    let report = res.expect("loads");
    let cut = report.truncated.expect("cut").at;
    // The damaged file's meta: MULTI at 39955 with SET and INCR inside.
    assert_eq!(cut, 39955);
    let incr = rec.commands.iter().filter(|(f, _)| f == INCR);
    assert!(!incr.clone().any(|(_, c)| c.offset >= cut));
    assert!(incr.count() > 100, "the rest of the incr file was loaded");
}

#[test]
fn without_load_truncated_a_torn_tail_is_an_error_and_nothing_is_cut() {
    let c = case("redis-7.2.4/damaged-aof-truncated");
    let tmp = copy_case(&c);
    let set = AofSet::open(&tmp.path().join("appendonlydir")).expect("open");
    let err = load(&set, &LoadOptions { load_truncated: false }, &mut Recorder::default()).expect_err("refused");
    match &err {
        AofError::Truncated { offset, last_file, .. } => assert_eq!((*offset, *last_file), (92165, true)),
        other => panic!("{other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("vk-check-aof --fix") && msg.contains("appendonly.aof.manifest"), "{msg}");
    let size = std::fs::metadata(tmp.path().join("appendonlydir").join(INCR)).map(|m| m.len()).ok();
    assert_eq!(size, Some(92184));
}

#[test]
fn a_torn_file_that_is_not_last_is_fatal_and_not_fixable() {
    // Put the truncated incr in front of a second incr file.
    let c = case("redis-7.2.4/damaged-aof-truncated");
    let tmp = copy_case(&c);
    let dir = tmp.path().join("appendonlydir");
    std::fs::write(dir.join("appendonly.aof.3.incr.aof"), b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut m = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).expect("manifest");
    m.push_str("file appendonly.aof.3.incr.aof seq 3 type i\n");
    std::fs::write(dir.join("appendonly.aof.manifest"), m).expect("manifest");
    let set = AofSet::open(&dir).expect("open");
    let err = load(&set, &LoadOptions::default(), &mut Recorder::default()).expect_err("fatal");
    assert!(matches!(err, AofError::Truncated { last_file: false, .. }), "{err}");
    assert!(err.to_string().contains("not the last file"));
    let report = check(&dir, &mut ChecksumScan);
    assert!(matches!(&report.verdict, Verdict::Damaged(d) if !d.fixable));
    assert!(matches!(plan_fix(&report), Err(FixError::NotFixable { .. })));
}

#[test]
fn a_torn_file_followed_only_by_empty_files_counts_as_last() {
    let c = case("redis-7.2.4/damaged-aof-truncated");
    let tmp = copy_case(&c);
    let dir = tmp.path().join("appendonlydir");
    std::fs::write(dir.join("appendonly.aof.3.incr.aof"), b"").expect("write");
    let mut m = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).expect("manifest");
    m.push_str("file appendonly.aof.3.incr.aof seq 3 type i\n");
    std::fs::write(dir.join("appendonly.aof.manifest"), m).expect("manifest");
    let set = AofSet::open(&dir).expect("open");
    let report = load(&set, &LoadOptions::default(), &mut Recorder::default()).expect("loads");
    assert_eq!(report.truncated.map(|t| t.at), Some(92165));
}
