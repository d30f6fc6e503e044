//! Writing every fixture back (RDB 11, 10 and Valkey 80) and reading it again gives the same content;
//! the encodings we pick are the ones Redis 7.2 picks; damaged input never panics.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use vk_storage::rdb::*;

type Flat = Vec<(u64, Vec<u8>, RdbValue, Option<i64>, Option<u64>, Option<u8>)>;

fn flat(r: &ReadAll) -> Flat {
    let mut v: Flat = r.keys.iter().map(|k| (k.db, k.key.clone(), canonical(&k.value), k.expire_ms, k.lru_idle, k.lfu_freq)).collect();
    v.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    v
}

fn rewrite(r: &ReadAll, version: u16, compress: bool) -> Vec<u8> {
    let opts = WriteOptions { version, compress, ..WriteOptions::default() };
    let mut w = RdbWriter::new(Vec::new(), opts).unwrap();
    for (k, v) in &r.aux {
        w.aux(k, v).unwrap();
    }
    for f in &r.functions {
        w.function(f).unwrap();
    }
    let mut db = None;
    for k in &r.keys {
        if db != Some(k.db) {
            db = Some(k.db);
            w.select_db(k.db).unwrap();
            let n = r.keys.iter().filter(|x| x.db == k.db).count() as u64;
            let e = r.keys.iter().filter(|x| x.db == k.db && x.expire_ms.is_some()).count() as u64;
            w.resize_db(n, e).unwrap();
        }
        w.key_with_meta(&k.key, k.expire_ms, k.lru_idle, k.lfu_freq, &k.value).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn every_fixture_survives_a_rewrite_in_each_version() {
    let mut n = 0;
    for f in rdb_files() {
        let orig = read_all(&f).unwrap();
        let has_field_ttl = orig.keys.iter().any(|k| matches!(&k.value, RdbValue::HashWithTtl(h) if h.iter().any(|x| x.2.is_some())));
        let versions: &[u16] = if has_field_ttl { &[80] } else { &[11, 10, 80] };
        for &ver in versions {
            for compress in [true, false] {
                let bytes = rewrite(&orig, ver, compress);
                let back = read_all_bytes(&bytes).unwrap_or_else(|e| panic!("{} rewritten as v{ver}: {e}", f.display()));
                assert_eq!(back.version, ver);
                assert!(matches!(back.checksum, Checksum::Verified(_)));
                assert_eq!(back.functions, orig.functions);
                assert_eq!(back.aux, orig.aux);
                let (a, b) = (flat(&back), flat(&orig));
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(b.iter()) {
                    assert_eq!(x, y, "{} v{ver}: key {:?}", f.display(), String::from_utf8_lossy(&y.1));
                }
                n += 1;
            }
        }
    }
    assert!(n > 60);
}

#[test]
fn we_pick_the_encodings_redis_7_2_picks() {
    // Redis 7.2 and Valkey 8 wrote these files with default thresholds, from fresh data.
    for case in ["redis-7.2.4/rdb/dump.rdb", "valkey-8.0.1/rdb/dump.rdb", "redis-7.0.15/rdb/dump.rdb"] {
        let orig = read_all(&fixtures_dir().join(case)).unwrap();
        let ver = orig.version;
        let back = read_all_bytes(&rewrite(&orig, ver, true)).unwrap();
        let mut diffs = Vec::new();
        for (a, b) in orig.keys.iter().zip(back.keys.iter()) {
            if a.rdb_type != b.rdb_type {
                diffs.push(format!("{}: {} -> {}", String::from_utf8_lossy(&a.key), consts::type_name(a.rdb_type), consts::type_name(b.rdb_type)));
            }
        }
        assert!(diffs.is_empty(), "{case}: {diffs:#?}");
    }
}

#[test]
fn writer_output_without_checksum_and_compression_flags() {
    let r = read_all(&fixtures_dir().join("redis-7.2.4/rdb/dump.rdb")).unwrap();
    let opts = WriteOptions { checksum: false, compress: false, ..WriteOptions::default() };
    let mut w = RdbWriter::new(Vec::new(), opts).unwrap();
    w.select_db(0).unwrap();
    for k in r.keys.iter().filter(|k| k.db == 0) {
        w.key(&k.key, k.expire_ms, &k.value).unwrap();
    }
    let bytes = w.finish().unwrap();
    assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
    let back = read_all_bytes(&bytes).unwrap();
    assert_eq!(back.checksum, Checksum::NotComputed);
    assert_eq!(back.keys.len(), r.keys.iter().filter(|k| k.db == 0).count());
    let compressed = rewrite(&r, 11, true);
    let plain = rewrite(&r, 11, false);
    assert!(compressed.len() < plain.len());
}

fn decode_all(bytes: &[u8], verify: bool) -> Result<usize, RdbError> {
    let mut r = RdbReader::with_options(bytes, ReadOptions { verify_checksum: verify })?;
    let mut n = 0;
    while let Some(_ev) = r.next_event()? {
        n += 1;
    }
    Ok(n)
}

#[test]
fn truncation_at_every_prefix_is_an_error_not_a_panic() {
    for case in ["redis-7.2.4/rdb/dump.rdb", "redis-6.2.5/rdb/dump.rdb", "historical/encodings/encodings.rdb", "valkey-9.1.2/rdb-hash-field-ttl/dump.rdb"] {
        let bytes = std::fs::read(fixtures_dir().join(case)).unwrap();
        let step = (bytes.len() / 400).max(1);
        let mut cut = 0;
        while cut < bytes.len() {
            let r = decode_all(&bytes[..cut], true);
            assert!(r.is_err(), "{case} cut at {cut} decoded");
            cut += step + (cut % 7);
        }
        // Every prefix of the first few KB (headers, aux fields, functions).
        for cut in 0..bytes.len().min(2048) {
            assert!(decode_all(&bytes[..cut], true).is_err());
        }
    }
}

#[test]
fn random_bit_flips_never_panic() {
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for case in ["redis-7.2.4/rdb/dump.rdb", "redis-6.2.5/rdb/dump.rdb", "historical/hash-zipmap/hash-zipmap.rdb", "historical/zset-ziplist/zset-ziplist.rdb", "historical/list-quicklist/list-quicklist.rdb"] {
        let orig = std::fs::read(fixtures_dir().join(case)).unwrap();
        let rounds = if orig.len() > 10_000 { 150 } else { 2000 };
        for _ in 0..rounds {
            let mut b = orig.clone();
            for _ in 0..(1 + rnd() % 4) {
                let i = (rnd() % b.len() as u64) as usize;
                b[i] ^= 1 << (rnd() % 8);
            }
            let _ = decode_all(&b, false);
            let _ = decode_all(&b, true);
        }
    }
}

#[test]
fn lying_lengths_do_not_allocate() {
    // A string claiming 2^62 bytes, a list claiming 2^62 elements, an LZF string claiming 4 GB.
    for body in [&b"\x00\x01k\x81\x40\x00\x00\x00\x00\x00\x00\x00"[..], b"\x01\x01k\x81\x40\x00\x00\x00\x00\x00\x00\x00", b"\x00\x01k\xc3\x02\x80\xff\xff\xff\xff\x00\x00"] {
        let mut f = b"REDIS0011".to_vec();
        f.extend_from_slice(body);
        let e = decode_all(&f, true).unwrap_err();
        assert!(matches!(e, RdbError::UnexpectedEof { .. } | RdbError::Corrupt { .. }), "{e}");
    }
}
