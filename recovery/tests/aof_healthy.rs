//! Healthy AOFs from every producer check clean and load completely; the Redis 6 single
//! files load and upgrade; truncation to a timestamp; random damage never panics.

mod common;

use std::path::PathBuf;

use common::*;
use vk_recovery::aof::check::{check, truncate_to_timestamp, FixError, TimestampCut, Verdict};
use vk_recovery::aof::loader::{load, LoadOptions};
use vk_recovery::aof::rdb_hook::ChecksumScan;
use vk_recovery::aof::upgrade::{upgrade_single_file, Upgrade};
use vk_recovery::aof::{AofLayout, AofSet, FileRole};
use vk_storage::aof::manifest::AofNames;

fn multipart_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for producer in ["redis-7.0.15", "redis-7.2.4", "valkey-8.0.1", "valkey-9.1.2"] {
        for c in ["aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-multi-incr"] {
            out.push(case(&format!("{producer}/{c}")));
        }
    }
    out
}

#[test]
fn every_healthy_multipart_aof_checks_clean_and_loads_fully() {
    for c in multipart_cases() {
        let m = meta(&c);
        for target in [c.join("appendonlydir"), c.join("appendonlydir/appendonly.aof.manifest"), c.clone()] {
            let report = check(&target, &mut ChecksumScan);
            assert_eq!(report.verdict, Verdict::Clean, "{}", target.display());
            assert_eq!(report.verdict.exit_code(), 0);
        }
        let tmp = copy_case(&c);
        let set = AofSet::open(&tmp.path().join("appendonlydir")).expect("open");
        let mut rec = Recorder::default();
        let report = load(&set, &LoadOptions::default(), &mut rec).expect("load");
        assert!(report.truncated.is_none());
        for (f, progress) in m["aof_files"].as_array().expect("aof_files").iter().zip(&report.files) {
            assert_eq!(f["file"].as_str(), Some(progress.name.as_str()));
            assert_eq!(f["size"].as_u64(), Some(progress.size));
            assert_eq!(progress.ok_up_to, progress.size, "{}", progress.name);
            if f.get("rdb").is_some() {
                assert_eq!(progress.rdb_end, Some(progress.size));
            } else {
                // meta counts MULTI and EXEC as commands; we deliver the bodies.
                let ours = progress.commands + 2 * progress.transactions;
                assert_eq!(f["commands"].as_u64(), Some(ours), "{}/{}", c.display(), progress.name);
                assert_eq!(f["command_names"]["EXEC"].as_u64().unwrap_or(0), progress.transactions);
                assert_eq!(f["annotations"].as_u64(), Some(progress.annotations));
            }
        }
        let rdb_bases = m["aof_files"].as_array().map_or(0, |a| a.iter().filter(|f| f.get("rdb").is_some()).count());
        assert_eq!(rec.rdb_files.len(), rdb_bases, "{}", c.display());
        // Transactions arrive whole, without MULTI/EXEC.
        assert!(rec.transactions.iter().flat_map(|(_, t)| t).all(|c| !c.is("multi") && !c.is("exec")));
    }
}

#[test]
fn redis6_single_files_check_clean_and_load() {
    for (rel, file, preamble) in [
        ("redis-6.2.5/aof-preamble", "appendonly.aof", true),
        ("redis-6.2.5/aof-nopreamble", "appendonly.aof", false),
        ("historical/rdb-preamble", "rdb-preamble.aof", true),
    ] {
        let c = case(rel);
        let path = c.join(file);
        assert_eq!(check(&path, &mut ChecksumScan).verdict, Verdict::Clean, "{rel}");
        let set = AofSet::open(&path).expect("open");
        assert!(matches!(set.layout, AofLayout::SingleFile { .. }));
        assert_eq!(set.files.first().map(|f| f.role), Some(FileRole::OldStyle));
        let mut rec = Recorder::default();
        let report = load(&set, &LoadOptions::default(), &mut rec).expect("load");
        let progress = report.files.first().expect("one file");
        assert_eq!(progress.rdb_end.is_some(), preamble, "{rel}");
        assert_eq!(progress.ok_up_to, progress.size);
        let m = meta(&c);
        let summary = if m.get("aof_file").is_some() { &m["aof_file"] } else { &m["summary"] };
        assert_eq!(summary["commands"].as_u64(), Some(progress.commands + 2 * progress.transactions), "{rel}");
    }
    // A data directory holding only appendonly.aof is found too.
    let set = AofSet::open(&case("redis-6.2.5/aof-preamble")).expect("open dir");
    assert!(matches!(set.layout, AofLayout::SingleFile { .. }));
}

#[test]
fn upgrade_moves_a_single_file_into_appendonlydir() {
    let tmp = copy_case(&case("redis-6.2.5/aof-preamble"));
    let names = AofNames::default();
    let up = upgrade_single_file(tmp.path(), &names, "appendonlydir").expect("upgrade");
    let Upgrade::Upgraded { manifest, base } = up else { panic!("expected an upgrade, got {up:?}") };
    assert_eq!(std::fs::read_to_string(&manifest).ok().as_deref(), Some("file appendonly.aof seq 1 type b\n"));
    assert!(base.is_file() && !tmp.path().join("appendonly.aof").exists());
    // Now a multi-part AOF whose base has an RDB preamble and a RESP tail.
    let set = AofSet::open(tmp.path()).expect("open");
    assert!(matches!(set.layout, AofLayout::MultiPart { .. }));
    let mut rec = Recorder::default();
    let report = load(&set, &LoadOptions::default(), &mut rec).expect("load");
    assert!(report.files.first().is_some_and(|f| f.rdb_end.is_some() && f.commands > 0));
    assert_eq!(check(tmp.path(), &mut ChecksumScan).verdict, Verdict::Clean);
    assert_eq!(upgrade_single_file(tmp.path(), &names, "appendonlydir").ok(), Some(Upgrade::NotNeeded));
}

#[test]
fn upgrade_resumes_after_a_crash_between_manifest_and_rename() {
    let tmp = copy_case(&case("redis-6.2.5/aof-nopreamble"));
    let dir = tmp.path().join("appendonlydir");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("appendonly.aof.manifest"), "file appendonly.aof seq 1 type b\n").expect("manifest");
    let up = upgrade_single_file(tmp.path(), &AofNames::default(), "appendonlydir").expect("upgrade");
    assert!(matches!(up, Upgrade::Upgraded { .. }));
    assert!(dir.join("appendonly.aof").is_file());
    // A directory with a different AOF: the old file is left alone.
    let tmp2 = copy_case(&case("redis-7.2.4/aof-nopreamble"));
    std::fs::write(tmp2.path().join("appendonly.aof"), b"*1\r\n$4\r\nPING\r\n").expect("old file");
    let up = upgrade_single_file(tmp2.path(), &AofNames::default(), "appendonlydir").expect("no-op");
    assert_eq!(up, Upgrade::NotNeeded);
}

#[test]
fn truncate_to_timestamp_cuts_the_last_file_at_an_annotation() {
    let c = case("redis-7.2.4/aof-timestamp");
    let mut rec = Recorder::default();
    let set = AofSet::open(&c.join("appendonlydir")).expect("open");
    load(&set, &LoadOptions::default(), &mut rec).expect("load");
    let ts = rec.timestamps.clone();
    assert_eq!(ts.len(), 5, "{ts:?}");
    let (base_ts, incr_ts) = ts.split_at(1);
    let last = *incr_ts.last().expect("incr ts");
    let first_incr = *incr_ts.first().expect("incr ts");
    assert!(first_incr > base_ts[0]);

    // After the last annotation: nothing to cut.
    let tmp = copy_case(&c);
    let manifest = tmp.path().join("appendonlydir/appendonly.aof.manifest");
    assert!(matches!(truncate_to_timestamp(&manifest, last, &mut ChecksumScan), Ok(TimestampCut::Nothing)));
    // Before the base's annotation: it is in the base, not the last file.
    assert!(matches!(
        truncate_to_timestamp(&manifest, base_ts[0] - 1, &mut ChecksumScan),
        Err(FixError::NotLastFile { .. } | FixError::NothingBefore { .. })
    ));
    // Cut at the last annotation of the incr file.
    let cut = truncate_to_timestamp(&manifest, last - 1, &mut ChecksumScan).expect("cut");
    let TimestampCut::Cut(report) = cut else { panic!("expected a cut") };
    let incr = tmp.path().join("appendonlydir/appendonly.aof.2.incr.aof");
    let bytes = std::fs::read(&incr).expect("incr");
    assert_eq!(bytes.len() as u64, report.plan.to_size);
    let original = std::fs::read(&report.plan.backup).expect("backup");
    assert!(original.get(bytes.len()..).is_some_and(|rest| rest.starts_with(format!("#TS:{last}\r\n").as_bytes())));
    assert_eq!(check(&manifest, &mut ChecksumScan).verdict, Verdict::Clean);
}

#[test]
fn random_truncation_and_bit_flips_never_panic() {
    let c = case("redis-7.2.4/aof-multi-incr");
    let names = ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.3.incr.aof"];
    let originals: Vec<Vec<u8>> =
        names.iter().map(|n| std::fs::read(c.join("appendonlydir").join(n)).expect("read")).collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let tmp = copy_case(&c);
    let dir = tmp.path().join("appendonlydir");
    for round in 0..40 {
        let victim = (next() % 3) as usize;
        for (i, (n, orig)) in names.iter().zip(&originals).enumerate() {
            let mut bytes = orig.clone();
            if i == victim {
                if next() % 2 == 0 {
                    bytes.truncate((next() % (bytes.len() as u64 + 1)) as usize);
                }
                for _ in 0..(next() % 3) {
                    if !bytes.is_empty() {
                        let at = (next() % bytes.len() as u64) as usize;
                        if let Some(b) = bytes.get_mut(at) {
                            *b ^= 1 << (next() % 8);
                        }
                    }
                }
            }
            std::fs::write(dir.join(n), &bytes).expect("write");
        }
        let report = check(&dir, &mut ChecksumScan);
        if let Verdict::Damaged(d) = &report.verdict {
            assert!(d.offset.is_none_or(|o| d.size.is_none_or(|s| o <= s)), "round {round}: {d:?}");
        }
        if let Ok(set) = AofSet::open(&dir) {
            let _ = load(&set, &LoadOptions::default(), &mut Recorder::default());
        }
    }
}

#[test]
fn damaged_single_files_fix_the_resp_tail_but_never_the_preamble() {
    use vk_recovery::aof::check::{check_and_fix, DamageKind};
    let tmp = copy_case(&case("redis-6.2.5/aof-preamble"));
    let path = tmp.path().join("appendonly.aof");
    let orig = std::fs::read(&path).expect("read");
    // A torn RESP tail: fixable, like redis-check-aof --fix on a Redis 6 file.
    std::fs::write(&path, orig.get(..orig.len() - 5).expect("cut")).expect("write");
    let report = check(&path, &mut ChecksumScan);
    let Verdict::Damaged(d) = &report.verdict else { panic!("{:?}", report.verdict) };
    assert_eq!((d.kind, d.fixable), (DamageKind::Truncated, true));
    let fixed = check_and_fix(&path, &mut ChecksumScan, &mut |_| true);
    assert_eq!(fixed.verdict.exit_code(), 1);
    let len = std::fs::metadata(&path).map(|m| m.len()).ok();
    assert_eq!(len, d.offset);
    // A damaged preamble: reported, never cut.
    let mut bad = orig.clone();
    if let Some(b) = bad.get_mut(100) {
        *b ^= 0x01;
    }
    std::fs::write(&path, &bad).expect("write");
    let report = check(&path, &mut ChecksumScan);
    assert!(matches!(&report.verdict, Verdict::Damaged(d) if d.kind == DamageKind::Rdb && !d.fixable));
    let mut asked = false;
    let _ = check_and_fix(&path, &mut ChecksumScan, &mut |_| {
        asked = true;
        true
    });
    assert!(!asked);
    assert_eq!(std::fs::read(&path).ok(), Some(bad));
}
