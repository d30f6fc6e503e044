//! Intset: `encoding: u32 LE` (2, 4 or 8 bytes per element), `length: u32 LE`,
//! then `length` little-endian signed integers in strictly ascending order.

use super::Cursor;
use crate::rdb::error::EncodingError;

pub const HEADER_LEN: usize = 8;

/// Parses and validates an intset blob.
pub fn parse(blob: &[u8]) -> Result<Vec<i64>, EncodingError> {
    let mut c = Cursor::new(blob);
    let enc = u32::from_le_bytes(c.array("intset header")?);
    let len = u32::from_le_bytes(c.array("intset header")?) as usize;
    if !matches!(enc, 2 | 4 | 8) {
        return Err(EncodingError::new(format!("intset has invalid encoding {enc}")));
    }
    let width = enc as usize;
    if len.checked_mul(width).and_then(|n| n.checked_add(HEADER_LEN)) != Some(blob.len()) {
        return Err(EncodingError::new(format!(
            "intset of {len} elements of {width} bytes cannot be {} bytes long",
            blob.len()
        )));
    }
    if len == 0 {
        return Err(EncodingError::new("intset is empty"));
    }
    let mut out = Vec::with_capacity(len);
    let mut prev: Option<i64> = None;
    for _ in 0..len {
        let v = match width {
            2 => i64::from(i16::from_le_bytes(c.array("intset element")?)),
            4 => i64::from(i32::from_le_bytes(c.array("intset element")?)),
            _ => i64::from_le_bytes(c.array("intset element")?),
        };
        if prev.is_some_and(|p| p >= v) {
            return Err(EncodingError::new("intset elements are not in strictly ascending order"));
        }
        prev = Some(v);
        out.push(v);
    }
    Ok(out)
}

/// Encodes integers (any order, no duplicates expected) as an intset of the narrowest width.
pub fn encode(values: &[i64]) -> Vec<u8> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    let width: u32 = if v.iter().all(|x| i16::try_from(*x).is_ok()) {
        2
    } else if v.iter().all(|x| i32::try_from(*x).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(HEADER_LEN + v.len() * width as usize);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        match width {
            2 => out.extend_from_slice(&(x as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(x as i32).to_le_bytes()),
            _ => out.extend_from_slice(&x.to_le_bytes()),
        }
    }
    out
}
