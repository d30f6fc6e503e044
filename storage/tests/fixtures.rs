//! Every RDB written by a real server decodes to exactly what the server held.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use vk_storage::rdb::*;

fn case_dir(p: &std::path::Path) -> std::path::PathBuf {
    let mut d = p.parent().unwrap().to_path_buf();
    if d.ends_with("appendonlydir") {
        d = d.parent().unwrap().to_path_buf();
    }
    d
}

fn meta(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

#[test]
fn every_rdb_fixture_decodes_and_matches_expected() {
    let files = rdb_files();
    assert!(files.len() >= 30, "found only {} RDB fixtures", files.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for f in &files {
        let dir = case_dir(f);
        let r = match read_all(f) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        // Key count and checksum recorded by the fixture generator.
        let m = meta(&dir);
        let summary = m.get("rdb_contents").or_else(|| m.get("summary")).cloned().or_else(|| m["aof_files"].get(0).and_then(|a| a.get("rdb")).cloned());
        if let Some(s) = summary {
            let s = s.get("rdb").cloned().unwrap_or(s);
            if let Some(n) = s.get("keys").and_then(|v| v.as_u64()) {
                if n != r.keys.len() as u64 && s.get("walk_stopped").is_none() {
                    failures.push(format!("{}: {} keys, meta says {n}", f.display(), r.keys.len()));
                }
            }
            if let Some(c) = s.get("checksum").and_then(|v| v.as_str()) {
                let ok = match r.checksum {
                    Checksum::Verified(x) => x.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>() == c,
                    Checksum::NotComputed => c == "0000000000000000",
                    _ => false,
                };
                if !ok {
                    failures.push(format!("{}: checksum {:?}, meta says {c}", f.display(), r.checksum));
                }
            }
        }
        let fname = f.to_string_lossy();
        let is_plain_rdb = fname.ends_with(".rdb") && !fname.contains("appendonlydir");
        let expected = dir.join("expected.jsonl");
        if is_plain_rdb && expected.is_file() {
            compared += 1;
            let d = diff_lines(&to_lines(&r), &read_expected(&expected));
            if !d.is_empty() {
                failures.push(format!("{}:\n{}", f.display(), d.join("\n")));
            }
        }
    }
    assert!(compared >= 25, "compared only {compared} cases");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn aof_preamble_base_files_decode_with_tail() {
    let root = fixtures_dir();
    for p in ["redis-6.2.5/aof-preamble/appendonly.aof", "historical/rdb-preamble/rdb-preamble.aof"] {
        let bytes = std::fs::read(root.join(p)).unwrap();
        let r = read_all_bytes(&bytes).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(r.trailing > 0, "{p}: the AOF tail should be left unread");
        assert!(!r.keys.is_empty());
    }
}

#[test]
fn rdb_hash_field_ttl_per_field_expiries() {
    let dir = fixtures_dir().join("valkey-9.1.2/rdb-hash-field-ttl");
    let r = read_all(&dir.join("dump.rdb")).unwrap();
    assert_eq!(r.version, 80);
    let m = meta(&dir);
    let want = m["hash_field_expire_at_ms"].as_object().unwrap();
    let mut seen = 0;
    for k in &r.keys {
        let name = String::from_utf8(k.key.clone()).unwrap();
        let Some(fields) = want.get(&name).and_then(|v| v.as_object()) else { continue };
        seen += 1;
        let pairs: Vec<(Vec<u8>, Option<i64>)> = match &k.value {
            RdbValue::HashWithTtl(h) => h.iter().map(|(f, _, e)| (f.clone(), *e)).collect(),
            RdbValue::Hash(h) => h.iter().map(|(f, _)| (f.clone(), None)).collect(),
            other => panic!("{name}: not a hash: {other:?}"),
        };
        for (f, e) in pairs {
            let f = String::from_utf8(f).unwrap();
            assert_eq!(e, fields.get(&f).and_then(|v| v.as_i64()), "{name} field {f}");
        }
    }
    assert_eq!(seen, want.len());
    assert!(r.keys.iter().any(|k| k.rdb_type == consts::TYPE_HASH_2));
}

#[test]
fn corrupt_ziplist_is_refused_naming_the_key() {
    let p = fixtures_dir().join("historical/corrupt_ziplist/corrupt_ziplist.rdb");
    let err = read_all(&p).err().expect("corrupt_ziplist must be refused");
    match &err {
        RdbError::Corrupt { key, rdb_type, .. } => {
            assert_eq!(key.as_ref().map(|k| k.0.as_slice()), Some(&b"key:000000000091"[..]), "{err}");
            assert_eq!(*rdb_type, Some(consts::TYPE_HASH_ZIPLIST));
        }
        other => panic!("wrong error: {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("key:000000000091") && msg.contains("ziplist"), "{msg}");
}

#[test]
fn damaged_rdb_flipped_is_a_checksum_mismatch() {
    let dir = fixtures_dir().join("redis-7.2.4/damaged-rdb-flipped");
    let err = read_all(&dir.join("dump.rdb")).err().expect("must fail");
    // Redis logs "expected: (5b8699816616c852) but got (6b38849f477bd1cf)".
    match err {
        RdbError::ChecksumMismatch { expected, got } => {
            assert_eq!(format!("{expected:016x}"), "5b8699816616c852");
            assert_eq!(format!("{got:016x}"), "6b38849f477bd1cf");
        }
        other => panic!("wrong error: {other}"),
    }
    // With verification off, it loads.
    let f = std::fs::File::open(dir.join("dump.rdb")).unwrap();
    let mut r = RdbReader::with_options(std::io::BufReader::new(f), ReadOptions { verify_checksum: false }).unwrap();
    let mut last = None;
    while let Some(ev) = r.next_event().unwrap() {
        last = Some(ev);
    }
    assert!(matches!(last, Some(RdbEvent::Eof { checksum: Checksum::Unverified(_) })));
}

#[test]
fn damaged_rdb_truncated_is_unexpected_eof_naming_key_and_type() {
    // redis-check-rdb: "Unexpected EOF reading RDB file ... Reading key 'list:qp:big' ... type 18 (quicklist-v2)".
    let err = read_all(&fixtures_dir().join("redis-7.2.4/damaged-rdb-truncated/dump.rdb")).err().expect("must fail");
    match &err {
        RdbError::UnexpectedEof { key, rdb_type, offset } => {
            assert_eq!(key.as_ref().map(|k| k.0.as_slice()), Some(&b"list:qp:big"[..]), "{err}");
            assert_eq!(*rdb_type, Some(consts::TYPE_LIST_QUICKLIST_2));
            assert_eq!(*offset, 144394);
        }
        other => panic!("wrong error: {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("list:qp:big") && msg.contains("quicklist-v2"), "{msg}");
    // The AOF base cut the same way: an EOF error naming whatever key was being read.
    let p = fixtures_dir().join("redis-7.2.4/damaged-aof-base-truncated/appendonlydir/appendonly.aof.2.base.rdb");
    let err = read_all(&p).err().expect("must fail");
    assert!(matches!(&err, RdbError::UnexpectedEof { key: Some(_), rdb_type: Some(_), offset: 144394 }), "{err}");
}

#[test]
fn corrupt_empty_keys_are_flagged() {
    let r = read_all(&fixtures_dir().join("historical/corrupt_empty_keys/corrupt_empty_keys.rdb")).unwrap();
    assert_eq!(r.keys.len(), 9);
    assert!(r.keys.iter().all(|k| k.empty), "{:?}", r.keys.iter().filter(|k| !k.empty).map(|k| &k.key).collect::<Vec<_>>());
}

#[test]
fn unsupported_versions_and_types_are_named() {
    let e = RdbReader::new(&b"REDIS0012\xff"[..]).err().unwrap();
    assert!(matches!(e, RdbError::UnsupportedVersion { version: 12, .. }), "{e}");
    assert!(e.to_string().contains("12"));
    let e = RdbReader::new(&b"VALKEY081\xff"[..]).err().unwrap();
    assert!(matches!(e, RdbError::UnsupportedVersion { version: 81, .. }), "{e}");
    assert!(matches!(RdbReader::new(&b"RUBBISH00"[..]).err().unwrap(), RdbError::BadMagic { .. }));
    // Type 22 in a REDIS file, type 8 anywhere.
    for (file, t) in [(&b"REDIS0011\x16\x01k"[..], 22u8), (&b"REDIS0011\x08\x01k"[..], 8)] {
        let mut r = RdbReader::new(file).unwrap();
        match r.next_event() {
            Err(RdbError::UnknownType { type_byte, offset, .. }) => {
                assert_eq!(type_byte, t);
                assert_eq!(offset, 9);
            }
            other => panic!("{other:?}"),
        }
    }
    // A module value names its module.
    let id: u64 = {
        let name = b"ReJSON-RL";
        let mut v = 0u64;
        for c in name {
            let idx = consts::MODULE_ID_CHARSET.iter().position(|x| x == c).unwrap() as u64;
            v = (v << 6) | idx;
        }
        (v << 10) | 3
    };
    let mut f = b"REDIS0011\x07\x01k\x81".to_vec();
    f.extend_from_slice(&id.to_be_bytes());
    let mut r = RdbReader::new(&f[..]).unwrap();
    match r.next_event() {
        Err(RdbError::Module { module_name, encver, key, .. }) => {
            assert_eq!(module_name, "ReJSON-RL");
            assert_eq!(encver, 3);
            assert_eq!(key.unwrap().0, b"k");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn module_aux_slot_info_and_old_expiry_opcodes() {
    let id: u64 = (7u64 << 58) | 1; // name starts with 'H', encver 1
    let mut f = b"REDIS0009".to_vec();
    f.push(consts::OPCODE_MODULE_AUX);
    f.push(0x81);
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&[2, 2]); // when opcode UINT, when = 2 (after keys)
    f.extend_from_slice(&[1, 5]); // SINT 5
    f.extend_from_slice(&[5, 2, b'h', b'i']); // STRING "hi"
    f.push(0); // EOF of module data
    f.extend_from_slice(&[consts::OPCODE_SLOT_INFO, 7, 1, 0]);
    f.extend_from_slice(&[consts::OPCODE_SELECTDB, 2]);
    f.push(consts::OPCODE_EXPIRETIME);
    f.extend_from_slice(&1_700_000_000i32.to_le_bytes());
    f.extend_from_slice(&[consts::OPCODE_IDLE, 10]);
    f.extend_from_slice(&[0, 1, b'k', 1, b'v']);
    f.push(consts::OPCODE_EOF);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    let evs: Vec<RdbEvent> = RdbReader::new(&f[..]).unwrap().map(|e| e.unwrap()).collect();
    match &evs[0] {
        RdbEvent::ModuleAux { module_name, encver, when, items, .. } => {
            assert!(module_name.starts_with('H'));
            assert_eq!((*encver, *when), (1, 2));
            assert_eq!(items, &vec![ModuleItem::SInt(5), ModuleItem::String(b"hi".to_vec())]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(evs[1], RdbEvent::SlotInfo { slot_id: 7, slot_size: 1, expires_slot_size: 0 });
    assert_eq!(evs[2], RdbEvent::SelectDb(2));
    match &evs[3] {
        RdbEvent::Key(k) => {
            assert_eq!((k.db, k.expire_ms, k.lru_idle, k.lfu_freq), (2, Some(1_700_000_000_000), Some(10), None));
            assert_eq!(k.value, RdbValue::String(b"v".to_vec()));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(evs[4], RdbEvent::Eof { checksum: Checksum::Verified(_) }));
    // Pre-GA function opcode is refused with a clear reason.
    let e = RdbReader::new(&b"REDIS0010\xf6\x01x"[..]).unwrap().next_event().unwrap_err();
    assert!(e.to_string().contains("pre-GA"), "{e}");
}

#[test]
fn structural_counters_match_the_fixture_summaries() {
    let mut checked = 0;
    for f in rdb_files() {
        let dir = case_dir(&f);
        let m = meta(&dir);
        let Some(s) = m.get("rdb_contents").cloned() else { continue };
        if s.get("walk_stopped").is_some() || !f.to_string_lossy().ends_with("dump.rdb") {
            continue;
        }
        let mut r = RdbReader::open(&f).unwrap();
        while r.next_event().unwrap().is_some() {}
        let st = r.stats();
        let want = |k: &str| s.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        assert_eq!(st.lzf_strings, want("lzf_strings"), "{} lzf", f.display());
        assert_eq!(st.quicklist_plain_nodes, want("quicklist_plain_nodes"), "{} plain nodes", f.display());
        assert_eq!(st.stream_pel_entries, want("stream_pel_entries"), "{} pel", f.display());
        if s.get("quicklist_packed_nodes").is_some() {
            assert_eq!(st.quicklist_packed_nodes, want("quicklist_packed_nodes"), "{} packed nodes", f.display());
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}
