//! Property tests: every value type round-trips through our payloads and files in each version,
//! and arbitrary bytes never panic the reader or the payload parser.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::canonical;
use proptest::prelude::*;
use vk_storage::rdb::*;

fn elem() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..24),
        2 => any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        2 => (0i64..5000).prop_map(|i| i.to_string().into_bytes()),
        1 => prop::collection::vec(b'a'..b'c', 20..200),
        1 => Just(b"-0".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 60..70),
    ]
}

fn big_elem() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![9 => elem(), 1 => prop::collection::vec(b'x'..b'z', 5000..20000)]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
        (-1000i64..1000).prop_map(|i| i as f64),
        (-1000i64..1000).prop_map(|i| i as f64 / 8.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
    ]
}

fn stream() -> impl Strategy<Value = StreamValue> {
    (
        prop::collection::vec((0u64..3, 0u64..3, prop::collection::vec((elem(), elem()), 1..4)), 0..260),
        prop::collection::vec((elem(), prop::option::of(0u64..1000), 0usize..5, 0usize..3), 0..3),
        0u64..5,
    )
        .prop_map(|(raw, groups, extra)| {
            let mut id = StreamId::new(1, 0);
            let mut entries = Vec::new();
            for (dms, dseq, mut fields) in raw {
                id = if dms == 0 { StreamId::new(id.ms, id.seq + 1 + dseq) } else { StreamId::new(id.ms + dms, dseq) };
                // Mostly the same fields as the first entry (SAMEFIELDS encoding).
                if let Some((_, first)) = entries.first() {
                    if dseq != 0 {
                        let first: &Vec<(Vec<u8>, Vec<u8>)> = first;
                        fields = first.iter().map(|(f, _)| (f.clone(), b"v".to_vec())).collect();
                    }
                }
                entries.push((id, fields));
            }
            let ids: Vec<StreamId> = entries.iter().map(|e| e.0).collect();
            let mut names = std::collections::BTreeSet::new();
            let groups = groups
                .into_iter()
                .filter(|g| names.insert(g.0.clone()))
                .map(|(name, entries_read, npel, ncons)| {
                    let pel: Vec<PendingEntry> = ids.iter().take(npel).map(|i| PendingEntry { id: *i, delivery_time_ms: 1_700_000_000_000 + i.ms, delivery_count: 1 + i.seq % 3 }).collect();
                    let consumers = (0..ncons)
                        .map(|c| StreamConsumer {
                            name: format!("c{c}").into_bytes(),
                            seen_time_ms: 1_700_000_000_000 + c as u64,
                            active_time_ms: Some(1_700_000_000_500),
                            pending: pel.iter().enumerate().filter(|(i, _)| i % ncons == c).map(|(_, p)| p.id).collect(),
                        })
                        .collect::<Vec<_>>();
                    let pel = if ncons == 0 { vec![] } else { pel };
                    StreamGroup { name, last_id: ids.first().copied().unwrap_or(StreamId::ZERO), entries_read, pel, consumers }
                })
                .collect();
            let last_id = ids.last().copied().unwrap_or(StreamId::new(extra, 0));
            StreamValue {
                length: entries.len() as u64,
                first_id: ids.first().copied().unwrap_or(StreamId::ZERO),
                last_id,
                max_deleted_id: StreamId::new(0, extra),
                entries_added: entries.len() as u64 + extra,
                entries,
                groups,
            }
        })
}

fn value() -> impl Strategy<Value = RdbValue> {
    prop_oneof![
        big_elem().prop_map(RdbValue::String),
        prop::collection::vec(big_elem(), 1..400).prop_map(RdbValue::List),
        prop::collection::btree_set(elem(), 1..150).prop_map(|s| RdbValue::Set(s.into_iter().collect())),
        prop::collection::btree_set(0i64..100_000, 1..700).prop_map(|s| RdbValue::Set(s.into_iter().map(|i| i.to_string().into_bytes()).collect())),
        prop::collection::btree_map(elem(), score(), 1..160).prop_map(|m| RdbValue::SortedSet(m.into_iter().collect())),
        prop::collection::btree_map(elem(), elem(), 1..160).prop_map(|m| RdbValue::Hash(m.into_iter().collect())),
        stream().prop_map(|s| RdbValue::Stream(Box::new(s))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn payloads_round_trip(v in value(), compress in any::<bool>()) {
        for ver in [10u16, 11, 80] {
            let opts = WriteOptions { compress, ..WriteOptions::default() };
            let p = dump_payload(&v, ver, &opts).unwrap();
            let back = parse_payload(&p).unwrap();
            prop_assert_eq!(canonical(&back), canonical(&v));
        }
    }

    #[test]
    fn files_round_trip(vals in prop::collection::vec((elem(), value(), prop::option::of(0i64..i64::MAX)), 1..6)) {
        for ver in [10u16, 11] {
            let mut w = RdbWriter::new(Vec::new(), WriteOptions { version: ver, ..WriteOptions::default() }).unwrap();
            w.aux(b"redis-ver", b"7.2.4").unwrap();
            w.select_db(3).unwrap();
            let mut seen = std::collections::HashSet::new();
            let vals: Vec<_> = vals.iter().filter(|(k, _, _)| seen.insert(k.clone())).collect();
            for (k, v, e) in &vals {
                w.key(k, *e, v).unwrap();
            }
            let bytes = w.finish().unwrap();
            let mut r = RdbReader::new(&bytes[..]).unwrap();
            let mut got = Vec::new();
            while let Some(ev) = r.next_event().unwrap() {
                if let RdbEvent::Key(k) = ev {
                    prop_assert_eq!(k.db, 3);
                    got.push((k.key, canonical(&k.value), k.expire_ms));
                }
            }
            let want: Vec<_> = vals.iter().map(|(k, v, e)| (k.clone(), canonical(v), *e)).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn hash_with_field_ttl_round_trips_in_v80(m in prop::collection::btree_map(elem(), (elem(), prop::option::of(0i64..i64::MAX)), 1..200)) {
        let v = RdbValue::HashWithTtl(m.into_iter().map(|(f, (v, e))| (f, v, e)).collect());
        let p = dump_payload(&v, 80, &WriteOptions::default()).unwrap();
        prop_assert_eq!(canonical(&parse_payload(&p).unwrap()), canonical(&v));
        let mut w = RdbWriter::new(Vec::new(), WriteOptions { version: 80, ..WriteOptions::default() }).unwrap();
        w.key(b"h", Some(1), &v).unwrap();
        let bytes = w.finish().unwrap();
        prop_assert_eq!(&bytes[..9], b"VALKEY080");
        let k = RdbReader::new(&bytes[..]).unwrap().find_map(|e| match e.unwrap() { RdbEvent::Key(k) => Some(k), _ => None }).unwrap();
        prop_assert_eq!(canonical(&k.value), canonical(&v));
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..300), ver in 1u16..12) {
        let mut f = format!("REDIS{ver:04}").into_bytes();
        f.extend_from_slice(&body);
        if let Ok(mut r) = RdbReader::new(&f[..]) {
            while let Ok(Some(_)) = r.next_event() {}
        }
        let _ = parse_payload(&body);
        let mut p = body.clone();
        p.extend_from_slice(&11u16.to_le_bytes());
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        let _ = parse_payload(&p);
        let _ = parse_function_payload(&p);
    }

    #[test]
    fn mutated_payloads_never_panic(v in value(), flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4)) {
        let mut p = dump_payload(&v, 11, &WriteOptions::default()).unwrap();
        let n = p.len() - 10;
        for (i, bit) in flips {
            p[i.index(n)] ^= 1 << bit;
        }
        // Re-seal so the parser gets past the CRC check.
        p.truncate(n + 2);
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        let _ = parse_payload(&p);
    }
}
