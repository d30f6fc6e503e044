//! DUMP / RESTORE payloads: `type byte + value + RDB version (u16 LE) + CRC-64 (LE)`,
//! the CRC covering everything before it. `FUNCTION DUMP` payloads have the same
//! footer around a sequence of `FUNCTION2` opcodes + library code.

use super::consts::*;
use super::decode::read_value;
use super::error::{PayloadError, RdbError, WriteError};
use super::input::Input;
use super::value::RdbValue;
use super::writer::{encode_value, put_string, WriteOptions};
use super::crc64;

const VERSION_LEN: usize = 2;
const FOOTER_LEN: usize = VERSION_LEN + CHECKSUM_LEN;

/// Footer versions a RESTORE accepts: Redis RDB 1..=11 and Valkey 9's 80.
/// Redis 7.4+ payloads (12..=79) and newer Valkey ones are refused like Redis does.
pub fn payload_version_accepted(v: u16) -> bool {
    v <= MAX_REDIS_VERSION || v == VALKEY_VERSION_80
}

/// Checks footer version and CRC; returns the body and the version.
fn verify(payload: &[u8]) -> Result<(&[u8], u16), PayloadError> {
    if payload.len() < FOOTER_LEN {
        return Err(PayloadError::VersionOrChecksum);
    }
    let (rest, crc_bytes) = payload.split_at(payload.len() - CHECKSUM_LEN);
    let (body, ver) = rest.split_at(rest.len() - VERSION_LEN);
    let version = match ver {
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => return Err(PayloadError::VersionOrChecksum),
    };
    if !payload_version_accepted(version) {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut c = [0u8; CHECKSUM_LEN];
    c.copy_from_slice(crc_bytes);
    if u64::from_le_bytes(c) != crc64(rest) {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok((body, version))
}

/// Parses a `DUMP` payload (as given to `RESTORE`). Returns the value, its on-disk
/// type byte and the footer version. Empty collections are refused like Redis does.
pub fn parse_payload_typed(payload: &[u8]) -> Result<(RdbValue, u8, u16), PayloadError> {
    let (body, version) = verify(payload)?;
    let mut inp = Input::with_buffer(body, body.len());
    let bad = PayloadError::BadData;
    let t = inp.u8().map_err(bad)?;
    let valkey = version == VALKEY_VERSION_80;
    let known = matches!(t, TYPE_STRING..=TYPE_MODULE_2 | TYPE_HASH_ZIPMAP..=TYPE_STREAM_LISTPACKS_3) || (valkey && t == TYPE_HASH_2);
    if !known {
        return Err(bad(RdbError::UnknownType { type_byte: t, offset: 0, version, key: None }));
    }
    inp.rdb_type = Some(t);
    let v = read_value(&mut inp, t, valkey).map_err(bad)?;
    if v.is_empty_collection() {
        return Err(bad(inp.corrupt_at(0, "empty collection")));
    }
    Ok((v, t, version))
}

/// Parses a `DUMP` payload into its value.
pub fn parse_payload(payload: &[u8]) -> Result<RdbValue, PayloadError> {
    parse_payload_typed(payload).map(|(v, _, _)| v)
}

fn footer(mut out: Vec<u8>, version: u16) -> Vec<u8> {
    out.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Builds a `DUMP` payload of `value` in RDB `rdb_version` (10, 11 or 80); `opts.version` is ignored.
pub fn dump_payload(value: &RdbValue, rdb_version: u16, opts: &WriteOptions) -> Result<Vec<u8>, WriteError> {
    let o = WriteOptions { version: rdb_version, ..*opts };
    let (t, body) = encode_value(value, &o)?;
    let mut out = Vec::with_capacity(1 + body.len() + FOOTER_LEN);
    out.push(t);
    out.extend_from_slice(&body);
    Ok(footer(out, rdb_version))
}

/// Parses a `FUNCTION DUMP` payload into the libraries' code.
pub fn parse_function_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, PayloadError> {
    let (body, _version) = verify(payload)?;
    let mut inp = Input::new(body);
    let mut libs = Vec::new();
    while let Some(op) = inp.peek().map_err(PayloadError::BadData)? {
        let at = inp.offset();
        inp.u8().map_err(PayloadError::BadData)?;
        if op != OPCODE_FUNCTION2 {
            return Err(PayloadError::BadData(RdbError::UnknownOpcode { opcode: op, offset: at, version: _version }));
        }
        libs.push(inp.string().map_err(PayloadError::BadData)?);
    }
    Ok(libs)
}

/// Builds a `FUNCTION DUMP` payload.
pub fn dump_function_payload<C: AsRef<[u8]>>(libraries: &[C], rdb_version: u16, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for code in libraries {
        out.push(OPCODE_FUNCTION2);
        put_string(&mut out, code.as_ref(), compress);
    }
    footer(out, rdb_version)
}
