#![no_main]
//! RESTORE payloads: the input is re-sealed with a valid footer so the value parser is exercised.
use libfuzzer_sys::fuzz_target;
use vk_storage::rdb::{crc64, dump_payload, parse_function_payload, parse_payload, WriteOptions};

fuzz_target!(|data: &[u8]| {
    let _ = parse_payload(data);
    let mut p = data.to_vec();
    p.extend_from_slice(&11u16.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    let _ = parse_function_payload(&p);
    if let Ok(v) = parse_payload(&p) {
        // Whatever parses must re-encode and parse back to the same value.
        let again = dump_payload(&v, 11, &WriteOptions::default()).expect("encode");
        let back = parse_payload(&again).expect("our own payload must parse");
        assert_eq!(format!("{:?}", back.type_name()), format!("{:?}", v.type_name()));
    }
});
