//! The compact in-blob encodings Redis stores inside RDB strings: listpack,
//! ziplist, intset and zipmap. Parsers validate the structure like Redis's
//! deep sanitization (sizes, terminators, back lengths, counts) and never index
//! out of bounds.

pub mod intset;
pub mod listpack;
pub mod ziplist;
pub mod zipmap;

use super::error::EncodingError;

/// One element of a listpack or ziplist: integers are stored natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Item<'_> {
    /// The element as the bytes a client would see.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Item::Int(v) => v.to_string().into_bytes(),
            Item::Str(s) => s.to_vec(),
        }
    }

    /// Same bytes as another item (an int and its decimal string are equal).
    pub fn bytes_eq(&self, other: &Item<'_>) -> bool {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a == b,
            (Item::Str(a), Item::Str(b)) => a == b,
            _ => self.to_vec() == other.to_vec(),
        }
    }
}

/// Parses `s` as Redis's `string2ll` does: canonical decimal only (no '+', no
/// leading zeros, no "-0", no spaces), fitting in i64.
pub fn canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    let mut buf = [0u8; 24];
    let mut w = std::io::Cursor::new(&mut buf[..]);
    std::io::Write::write_fmt(&mut w, format_args!("{v}")).ok()?;
    let n = usize::try_from(w.position()).ok()?;
    (buf.get(..n)? == s).then_some(v)
}

/// A bounds-checked reader over a byte slice.
pub(crate) struct Cursor<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EncodingError> {
        let end = self.pos.checked_add(n).ok_or_else(|| EncodingError::new(format!("{what}: length overflow")))?;
        let s = self.data.get(self.pos..end).ok_or_else(|| {
            EncodingError::new(format!("{what}: needs {n} bytes at offset {}, only {} left", self.pos, self.remaining()))
        })?;
        self.pos = end;
        Ok(s)
    }
    pub fn u8(&mut self, what: &str) -> Result<u8, EncodingError> {
        let b = *self.data.get(self.pos).ok_or_else(|| EncodingError::new(format!("{what}: unexpected end at offset {}", self.pos)))?;
        self.pos += 1;
        Ok(b)
    }
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], EncodingError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}
