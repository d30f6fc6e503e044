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
            Item::Int(v) => int_to_vec(*v),
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

/// Decimal text of an integer, without going through `fmt` (hot in decoding).
pub fn int_to_vec(v: i64) -> Vec<u8> {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = buf.get(i..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(digits.len() + 1);
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(digits);
    out
}

/// Parses `s` as Redis's `string2ll` does: canonical decimal only (no '+', no
/// leading zeros, no "-0", no spaces), fitting in i64.
pub fn canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        Some(b'0') if digits.len() == 1 && !neg => return Some(0),
        _ => return None,
    }
    let mut acc: u64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        if acc <= i64::MAX as u64 + 1 {
            Some((acc as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(acc).ok()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_integers() {
        for ok in ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "123"] {
            assert_eq!(canonical_i64(ok.as_bytes()), ok.parse().ok(), "{ok}");
            assert_eq!(int_to_vec(ok.parse().unwrap_or(0)), ok.as_bytes());
        }
        for bad in ["", "-", "-0", "+5", "007", "00", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1e3", "12a"] {
            assert_eq!(canonical_i64(bad.as_bytes()), None, "{bad}");
        }
    }
}
