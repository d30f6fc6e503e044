//! DUMP/RESTORE payloads of real servers decode to the expected values; ours decode back.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::{json, Value};
use vk_storage::rdb::*;

fn payload_cases() -> Vec<std::path::PathBuf> {
    let v: Vec<_> = all_files().into_iter().filter(|p| p.ends_with("dump-payloads/payloads.jsonl")).collect();
    assert!(v.len() >= 4, "expected dump-payloads cases for 4 producers, found {}", v.len());
    v
}

#[test]
fn server_payloads_decode_to_expected_values() {
    let mut failures = Vec::new();
    let mut n = 0;
    for p in payload_cases() {
        let dir = p.parent().unwrap();
        let expected = read_expected(&dir.join("expected.jsonl"));
        let mut by_key: HashMap<String, Value> = HashMap::new();
        let mut funcs = Value::Null;
        for e in expected {
            if e.get("functions").is_some() {
                funcs = e;
            } else {
                by_key.insert(format!("{}/{}", e["db"], e["key"]), e);
            }
        }
        let meta: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        let want_version = meta["payload_rdb_version"].as_u64().unwrap() as u16;
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            let l: Value = serde_json::from_str(line).unwrap();
            if let Some(fp) = l.get("functions_payload_b64") {
                let libs = parse_function_payload(&b64_decode(fp.as_str().unwrap())).unwrap();
                let got: Vec<String> = libs.iter().map(|c| String::from_utf8(c.clone()).unwrap()).collect();
                let want: Vec<String> = funcs["functions"].as_array().unwrap().iter().map(|f| f["library_code"].as_str().unwrap().to_string()).collect();
                assert_eq!(got, want, "{}", p.display());
                continue;
            }
            n += 1;
            let bytes = b64_decode(l["payload_b64"].as_str().unwrap());
            let footer_version = u16::from_le_bytes([bytes[bytes.len() - 10], bytes[bytes.len() - 9]]);
            assert_eq!(footer_version, want_version);
            let v = match parse_payload(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{} {}: {e} ({:?})", p.display(), l["key"], e));
                    continue;
                }
            };
            let got = json!({"db": l["db"], "key": l["key"], "type": v.type_name(), "value": value_json(&v), "expire_at_ms": l["expire_at_ms"]});
            let want = by_key.get(&format!("{}/{}", l["db"], l["key"])).cloned().unwrap();
            let d = diff_lines(&[got], &[want]);
            if !d.is_empty() {
                failures.push(format!("{}: {}", p.display(), d.join("\n")));
            }
            // Our own payloads of the same value decode back, in every version we write.
            for ver in [10u16, 11, 80] {
                let ours = dump_payload(&v, ver, &WriteOptions::default()).unwrap();
                let back = parse_payload(&ours).unwrap_or_else(|e| panic!("{}: v{ver}: {e}", l["key"]));
                assert_eq!(canonical(&back), canonical(&v), "{} v{ver}", l["key"]);
            }
        }
    }
    assert!(n > 1000, "decoded only {n} payloads");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn payload_footer_checks() {
    let v = RdbValue::String(b"hello".to_vec());
    let p = dump_payload(&v, 11, &WriteOptions::default()).unwrap();
    assert_eq!(parse_payload(&p).unwrap(), v);
    // Redis 7.2's own DUMP of "hello": type 0, len 5, "hello", version 11, CRC.
    assert_eq!(&p[..7], b"\x00\x05hello");
    assert_eq!(&p[7..9], &[11, 0]);
    let mut bad = p.clone();
    bad[2] ^= 1;
    assert_eq!(parse_payload(&bad).unwrap_err().to_string(), "ERR DUMP payload version or checksum are wrong");
    for ver in [12u16, 79, 81, 0xFFFF] {
        let mut body = p[..7].to_vec();
        body.extend_from_slice(&ver.to_le_bytes());
        let crc = crc64(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(parse_payload(&body), Err(PayloadError::VersionOrChecksum)), "version {ver}");
    }
    assert!(matches!(parse_payload(b"\x00"), Err(PayloadError::VersionOrChecksum)));
    // Valkey 9 payload with a per-field TTL hash.
    let h = RdbValue::HashWithTtl(vec![(b"f".to_vec(), b"v".to_vec(), Some(4102444800000)), (b"g".to_vec(), b"w".to_vec(), None)]);
    let p = dump_payload(&h, 80, &WriteOptions::default()).unwrap();
    assert_eq!(p[0], consts::TYPE_HASH_2);
    assert_eq!(parse_payload(&p).unwrap(), h);
    assert!(dump_payload(&h, 11, &WriteOptions::default()).is_err());
    // Empty collections are refused like RESTORE does.
    let p = dump_payload(&RdbValue::Set(vec![]), 11, &WriteOptions::default()).unwrap();
    assert!(matches!(parse_payload(&p), Err(PayloadError::BadData(_))));
    // Function payloads round-trip.
    let fp = dump_function_payload(&[b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec()], 11, true);
    assert_eq!(parse_function_payload(&fp).unwrap().len(), 1);
}
