//! Ziplist (RDB 2..=9 small lists, hashes and zsets; quicklist v1 nodes).
//!
//! Layout: `zlbytes: u32 LE`, `zltail: u32 LE` (offset of the last entry),
//! `zllen: u16 LE` (65535 = count unknown), entries, `0xFF`. Each entry is
//! `prevlen encoding data`: prevlen is 1 byte (< 254) or `0xFE` + u32 LE.
//! Encodings: `00xxxxxx` string 6-bit length; `01xxxxxx yyyyyyyy` 14-bit length
//! (big-endian); `10000000` + u32 BE length; `11000000` int16, `11010000` int32,
//! `11100000` int64, `11110000` int24, `11111110` int8 (all LE); `1111xxxx`
//! with xxxx in 1..=13: immediate 0..=12.

use super::{Cursor, Item};
use crate::rdb::error::EncodingError;

pub const HEADER_LEN: usize = 10;
pub const END: u8 = 0xFF;
const PREVLEN_BIG: u8 = 0xFE;
const COUNT_UNKNOWN: u16 = u16::MAX;

/// Parses and validates a ziplist blob.
pub fn parse(blob: &[u8]) -> Result<Vec<Item<'_>>, EncodingError> {
    let mut c = Cursor::new(blob);
    let zlbytes = u32::from_le_bytes(c.array("ziplist header")?) as usize;
    let zltail = u32::from_le_bytes(c.array("ziplist header")?) as usize;
    let zllen = u16::from_le_bytes(c.array("ziplist header")?);
    if zlbytes != blob.len() {
        return Err(EncodingError::new(format!("ziplist header says {zlbytes} bytes, blob has {}", blob.len())));
    }
    if blob.len() < HEADER_LEN + 1 || blob.last() != Some(&END) {
        return Err(EncodingError::new("ziplist does not end with its 0xFF terminator"));
    }
    let body_end = blob.len() - 1;
    let mut items = Vec::with_capacity(usize::from(zllen).min(blob.len() / 2));
    let mut prev_len = 0usize;
    let mut last_start = HEADER_LEN;
    while c.pos < body_end {
        let start = c.pos;
        let p = c.u8("ziplist prevlen")?;
        let prevlen = if p == PREVLEN_BIG {
            u32::from_le_bytes(c.array("ziplist prevlen")?) as usize
        } else if p == END {
            return Err(EncodingError::new(format!("ziplist terminator at offset {start} before the end")));
        } else {
            usize::from(p)
        };
        if prevlen != prev_len {
            return Err(EncodingError::new(format!(
                "ziplist entry at offset {start} says the previous entry is {prevlen} bytes, it is {prev_len}"
            )));
        }
        let e = c.u8("ziplist encoding")?;
        let item = match e >> 6 {
            0 => Item::Str(c.take(usize::from(e & 0x3F), "ziplist string")?),
            1 => {
                let len = (usize::from(e & 0x3F) << 8) | usize::from(c.u8("ziplist string length")?);
                Item::Str(c.take(len, "ziplist string")?)
            }
            2 => {
                if e != 0x80 {
                    return Err(EncodingError::new(format!("ziplist entry at offset {start} has invalid encoding {e:#04x}")));
                }
                let len = u32::from_be_bytes(c.array("ziplist string length")?) as usize;
                Item::Str(c.take(len, "ziplist string")?)
            }
            _ => match e {
                0xC0 => Item::Int(i64::from(i16::from_le_bytes(c.array("ziplist int16")?))),
                0xD0 => Item::Int(i64::from(i32::from_le_bytes(c.array("ziplist int32")?))),
                0xE0 => Item::Int(i64::from_le_bytes(c.array("ziplist int64")?)),
                0xF0 => {
                    let [x, y, z] = c.array::<3>("ziplist int24")?;
                    Item::Int(i64::from(i32::from_le_bytes([0, x, y, z]) >> 8))
                }
                0xFE => Item::Int(i64::from(c.u8("ziplist int8")? as i8)),
                0xF1..=0xFD => Item::Int(i64::from(e & 0x0F) - 1),
                _ => return Err(EncodingError::new(format!("ziplist entry at offset {start} has invalid encoding {e:#04x}"))),
            },
        };
        if c.pos > body_end {
            return Err(EncodingError::new("ziplist entry runs over the terminator"));
        }
        prev_len = c.pos - start;
        last_start = start;
        items.push(item);
    }
    if zltail != last_start {
        return Err(EncodingError::new(format!("ziplist tail offset {zltail} does not point at the last entry ({last_start})")));
    }
    if zllen != COUNT_UNKNOWN && usize::from(zllen) != items.len() {
        return Err(EncodingError::new(format!("ziplist header says {zllen} entries, found {}", items.len())));
    }
    Ok(items)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Minimal ziplist encoder for tests (strings < 64 bytes and small ints).
    fn build(items: &[Item<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER_LEN;
        for it in items {
            let start = body.len();
            tail = HEADER_LEN + start;
            body.push(prev as u8);
            match it {
                Item::Str(s) => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                Item::Int(v) => {
                    body.push(0xFE);
                    body.push(*v as i8 as u8);
                }
            }
            prev = body.len() - start;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((HEADER_LEN + body.len() + 1) as u32).to_le_bytes());
        out.extend_from_slice(&(tail as u32).to_le_bytes());
        out.extend_from_slice(&(items.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(END);
        out
    }

    #[test]
    fn parses_and_validates() {
        let items = [Item::Str(b"ab"), Item::Int(-5), Item::Str(b"")];
        let zl = build(&items);
        assert_eq!(parse(&zl).unwrap(), items.to_vec());
        let mut bad = zl.clone();
        bad[HEADER_LEN + 4] = 7; // prevlen of 2nd entry
        assert!(parse(&bad).is_err());
        let mut bad = zl.clone();
        bad[4] = 0; // tail
        assert!(parse(&bad).is_err());
    }
}
