//! Manifests and RESP files written by real Redis and Valkey servers.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vk_storage::aof::command::{CommandReader, Entry};
use vk_storage::aof::manifest::{AofFileType, Manifest};

fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(p.join("README.md").is_file(), "fixtures missing at {}", p.display());
    p
}

fn meta(case: &Path) -> Value {
    let text = std::fs::read_to_string(case.join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json is JSON")
}

/// Every `<producer>/aof-*` case with an `appendonlydir/`.
fn multipart_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for producer in ["redis-7.0.15", "redis-7.2.4", "valkey-8.0.1", "valkey-9.1.2"] {
        for case in ["aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-multi-incr"] {
            let p = fixtures().join(producer).join(case);
            assert!(p.join("appendonlydir").is_dir(), "missing fixture {}", p.display());
            out.push(p);
        }
    }
    out
}

fn count(bytes: &[u8]) -> (u64, u64, u64) {
    let (mut cmds, mut notes) = (0, 0);
    let mut r = CommandReader::new(bytes);
    while let Some(e) = r.next_entry().expect("fixture parses cleanly") {
        match e {
            Entry::Command(_) => cmds += 1,
            Entry::Annotation(a) => {
                assert!(a.timestamp().is_some(), "only #TS annotations in fixtures");
                notes += 1
            }
        }
    }
    (cmds, notes, r.offset())
}

#[test]
fn real_manifests_parse_and_serialize_byte_for_byte() {
    for case in multipart_cases() {
        let path = case.join("appendonlydir/appendonly.aof.manifest");
        let bytes = std::fs::read(&path).expect("manifest");
        let m = Manifest::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(m.to_bytes(), bytes, "{}", path.display());
        let listed: Vec<(String, String, String)> = meta(&case)["manifest"]
            .as_array()
            .expect("manifest list")
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or_default().to_string(),
                    f["seq"].as_str().unwrap_or_default().to_string(),
                    f["type"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let ours: Vec<(String, String, String)> = m
            .load_order()
            .map(|i| (i.name.clone(), i.seq.to_string(), i.kind.as_char().to_string()))
            .collect();
        assert_eq!(ours, listed, "{}", path.display());
        assert_eq!(m.base.as_ref().map(|b| b.kind), Some(AofFileType::Base));
    }
}

#[test]
fn real_resp_files_read_to_the_end_with_the_right_counts() {
    let mut checked = 0;
    for case in multipart_cases() {
        for f in meta(&case)["aof_files"].as_array().expect("aof_files") {
            if f.get("rdb").is_some() {
                continue;
            }
            let name = f["file"].as_str().expect("file");
            let bytes = std::fs::read(case.join("appendonlydir").join(name)).expect("aof file");
            let (cmds, notes, end) = count(&bytes);
            assert_eq!(end, bytes.len() as u64, "{name}");
            assert_eq!(Some(cmds), f["commands"].as_u64(), "{}/{name}", case.display());
            assert_eq!(Some(notes), f["annotations"].as_u64(), "{}/{name}", case.display());
            checked += 1;
        }
    }
    assert!(checked >= 24, "only {checked} files checked");
    let single = fixtures().join("redis-6.2.5/aof-nopreamble");
    let bytes = std::fs::read(single.join("appendonly.aof")).expect("appendonly.aof");
    let (cmds, _, end) = count(&bytes);
    assert_eq!((Some(cmds), end), (meta(&single)["aof_file"]["commands"].as_u64(), bytes.len() as u64));
}

#[test]
fn random_damage_never_panics() {
    let path = fixtures().join("redis-7.2.4/aof-timestamp/appendonlydir/appendonly.aof.2.incr.aof");
    let orig = std::fs::read(path).expect("incr");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut bytes = orig.clone();
        let cut = (next() % bytes.len() as u64) as usize;
        bytes.truncate(cut);
        for _ in 0..(next() % 4) {
            if bytes.is_empty() {
                break;
            }
            let i = (next() % bytes.len() as u64) as usize;
            if let Some(b) = bytes.get_mut(i) {
                *b ^= 1 << (next() % 8);
            }
        }
        let mut r = CommandReader::new(&bytes[..]);
        let mut last_end = 0;
        loop {
            match r.next_entry() {
                Ok(Some(e)) => last_end = e.end(),
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(e.offset(), last_end, "errors point at the start of the bad entry");
                    break;
                }
            }
        }
        assert!(last_end <= bytes.len() as u64);
    }
}
