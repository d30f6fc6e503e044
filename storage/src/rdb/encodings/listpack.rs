//! Listpack (Redis 7 small collections and stream nodes).
//!
//! Layout: `total_bytes: u32 LE`, `num_elements: u16 LE` (65535 = too many to
//! count), entries, `0xFF`. Each entry is `encoding [data] backlen`, where
//! backlen is the size of `encoding + data` in 1..=5 bytes of 7 bits, readable
//! right to left. Encodings (first byte):
//!
//! | bits | meaning |
//! |---|---|
//! | `0xxxxxxx` | uint 0..=127 |
//! | `10xxxxxx` | string, 6-bit length |
//! | `110xxxxx` + 1 byte | int, 13-bit two's complement |
//! | `1110xxxx` + 1 byte | string, 12-bit length (big-endian) |
//! | `11110000` + u32 LE | string, 32-bit length |
//! | `11110001`/`0010`/`0011`/`0100` | int16 / int24 / int32 / int64, LE |
//! | `11111111` | end of listpack |

use super::{canonical_i64, Cursor, Item};
use crate::rdb::error::EncodingError;

pub const HEADER_LEN: usize = 6;
pub const END: u8 = 0xFF;
/// `num_elements` value meaning "count unknown".
pub const COUNT_UNKNOWN: u16 = u16::MAX;
/// Empty listpack: header + terminator.
pub const EMPTY_LEN: usize = HEADER_LEN + 1;

const STR6_MAX: usize = (1 << 6) - 1;
const STR12_MAX: usize = (1 << 12) - 1;
const INT13_MIN: i64 = -(1 << 12);
const INT13_MAX: i64 = (1 << 12) - 1;
const INT24_MIN: i64 = -(1 << 23);
const INT24_MAX: i64 = (1 << 23) - 1;

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn push_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    // Most significant group first, every byte but the first flagged with 0x80.
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// True when `back` is exactly the back-length encoding of `l` (no allocation).
fn backlen_matches(back: &[u8], l: usize) -> bool {
    let n = back.len();
    back.iter().enumerate().all(|(pos, b)| {
        let i = n - 1 - pos;
        let group = ((l >> (7 * i)) & 127) as u8;
        *b == if i == n - 1 { group } else { group | 128 }
    })
}

/// Parses and validates a listpack blob.
pub fn parse(blob: &[u8]) -> Result<Vec<Item<'_>>, EncodingError> {
    let mut c = Cursor::new(blob);
    let total = u32::from_le_bytes(c.array("listpack header")?) as usize;
    let declared = u16::from_le_bytes(c.array("listpack header")?);
    if total != blob.len() {
        return Err(EncodingError::new(format!("listpack header says {total} bytes, blob has {}", blob.len())));
    }
    if blob.last() != Some(&END) || blob.len() < EMPTY_LEN {
        return Err(EncodingError::new("listpack does not end with its 0xFF terminator"));
    }
    let body_end = blob.len() - 1;
    let mut items = Vec::with_capacity(usize::from(declared).min(blob.len() / 2));
    while c.pos < body_end {
        let start = c.pos;
        let b = c.u8("listpack entry")?;
        let item = if b & 0x80 == 0 {
            Item::Int(i64::from(b))
        } else if b & 0xC0 == 0x80 {
            Item::Str(c.take(usize::from(b & 0x3F), "listpack string")?)
        } else if b & 0xE0 == 0xC0 {
            let uv = (u16::from(b & 0x1F) << 8) | u16::from(c.u8("listpack int13")?);
            let v = i64::from(uv);
            Item::Int(if v > INT13_MAX { v - (1 << 13) } else { v })
        } else if b & 0xF0 == 0xE0 {
            let len = (usize::from(b & 0x0F) << 8) | usize::from(c.u8("listpack str12")?);
            Item::Str(c.take(len, "listpack string")?)
        } else {
            match b {
                0xF0 => {
                    let len = u32::from_le_bytes(c.array("listpack str32")?) as usize;
                    Item::Str(c.take(len, "listpack string")?)
                }
                0xF1 => Item::Int(i64::from(i16::from_le_bytes(c.array("listpack int16")?))),
                0xF2 => {
                    let [x, y, z] = c.array::<3>("listpack int24")?;
                    Item::Int(i64::from(i32::from_le_bytes([0, x, y, z]) >> 8))
                }
                0xF3 => Item::Int(i64::from(i32::from_le_bytes(c.array("listpack int32")?))),
                0xF4 => Item::Int(i64::from_le_bytes(c.array("listpack int64")?)),
                END => return Err(EncodingError::new(format!("listpack terminator at offset {start} before the end"))),
                other => return Err(EncodingError::new(format!("listpack entry at offset {start} has invalid encoding byte {other:#04x}"))),
            }
        };
        let entry_len = c.pos - start;
        let n = backlen_size(entry_len);
        let back = c.take(n, "listpack back length")?;
        if !backlen_matches(back, entry_len) {
            return Err(EncodingError::new(format!("listpack entry at offset {start} has a wrong back length")));
        }
        if c.pos > body_end {
            return Err(EncodingError::new("listpack entry runs over the terminator"));
        }
        items.push(item);
    }
    if declared != COUNT_UNKNOWN && usize::from(declared) != items.len() {
        return Err(EncodingError::new(format!(
            "listpack header says {declared} elements, found {}",
            items.len()
        )));
    }
    Ok(items)
}

/// Builds a listpack. Strings that are canonical integers are stored as integers, like Redis.
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0u8; HEADER_LEN]);
        ListpackBuilder { buf, count: 0 }
    }

    /// Bytes the listpack would have if finished now.
    pub fn len_bytes(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends an element given as bytes.
    pub fn push(&mut self, s: &[u8]) {
        match canonical_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends a string element as a string (no integer detection).
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len <= STR6_MAX {
            self.buf.push(0x80 | len as u8);
        } else if len <= STR12_MAX {
            self.buf.push(0xE0 | (len >> 8) as u8);
            self.buf.push((len & 0xFF) as u8);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        let entry_len = self.buf.len() - start;
        push_backlen(&mut self.buf, entry_len);
        self.count += 1;
    }

    /// Appends an integer element in the narrowest encoding.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (INT13_MIN..=INT13_MAX).contains(&v) {
            let uv = (v as u16) & 0x1FFF;
            self.buf.push(0xC0 | (uv >> 8) as u8);
            self.buf.push((uv & 0xFF) as u8);
        } else if let Ok(x) = i16::try_from(v) {
            self.buf.push(0xF1);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else if (INT24_MIN..=INT24_MAX).contains(&v) {
            self.buf.push(0xF2);
            let b = (v as i32).to_le_bytes();
            self.buf.extend_from_slice(b.get(..3).unwrap_or(&[0, 0, 0]));
        } else if let Ok(x) = i32::try_from(v) {
            self.buf.push(0xF3);
            self.buf.extend_from_slice(&x.to_le_bytes());
        } else {
            self.buf.push(0xF4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        let entry_len = self.buf.len() - start;
        push_backlen(&mut self.buf, entry_len);
        self.count += 1;
    }

    /// Size in bytes an element would add (for node size limits).
    pub fn entry_size(s: &[u8]) -> usize {
        let mut b = ListpackBuilder::new();
        if s.len() > 64 {
            // Long strings are never integers; avoid building them.
            let hdr = if s.len() <= STR12_MAX { 2 } else { 5 };
            return hdr + s.len() + backlen_size(hdr + s.len());
        }
        b.push(s);
        b.buf.len() - HEADER_LEN
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(END);
        let total = self.buf.len() as u32;
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        if let Some(h) = self.buf.get_mut(0..4) {
            h.copy_from_slice(&total.to_le_bytes());
        }
        if let Some(h) = self.buf.get_mut(4..6) {
            h.copy_from_slice(&count.to_le_bytes());
        }
        self.buf
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_width() {
        let ints = [0i64, 1, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608, i32::MAX as i64, i32::MIN as i64, i64::MAX, i64::MIN];
        let strs: Vec<Vec<u8>> = vec![b"".to_vec(), b"a".to_vec(), vec![b'x'; 63], vec![b'y'; 64], vec![b'z'; 4095], vec![b'w'; 4096], vec![b'v'; 20000], b"007".to_vec(), b"-0".to_vec()];
        let mut b = ListpackBuilder::new();
        for i in ints {
            b.push_int(i);
        }
        for s in &strs {
            b.push(s);
        }
        let lp = b.finish();
        let items = parse(&lp).unwrap();
        assert_eq!(items.len(), ints.len() + strs.len());
        for (i, v) in ints.iter().enumerate() {
            assert_eq!(items[i], Item::Int(*v));
        }
        for (i, s) in strs.iter().enumerate() {
            assert_eq!(items[ints.len() + i].to_vec(), *s);
        }
    }

    #[test]
    fn bad_listpacks_refused() {
        let mut b = ListpackBuilder::new();
        b.push(b"hello");
        let good = b.finish();
        let mut bad = good.clone();
        bad[6 + 6] = 9; // backlen
        assert!(parse(&bad).is_err());
        let mut bad = good.clone();
        bad[4] = 2; // count
        assert!(parse(&bad).is_err());
        assert!(parse(&good[..good.len() - 1]).is_err());
    }
}
