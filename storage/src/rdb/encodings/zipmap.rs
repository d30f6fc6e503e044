//! Zipmap (RDB < 4 small hashes): `zmlen: u8`, then entries
//! `len key len free value <free bytes>`, then `0xFF`. A length byte < 254 is
//! the length; 254 is followed by a u32 LE length; 255 is the end marker.

use super::Cursor;
use crate::rdb::error::EncodingError;

/// Field/value pairs in zipmap order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

const BIGLEN: u8 = 254;
const END: u8 = 255;

fn read_len(c: &mut Cursor<'_>) -> Result<Option<usize>, EncodingError> {
    match c.u8("zipmap length")? {
        END => Ok(None),
        BIGLEN => Ok(Some(u32::from_le_bytes(c.array("zipmap length")?) as usize)),
        n => Ok(Some(usize::from(n))),
    }
}

/// Parses and validates a zipmap blob into field/value pairs.
pub fn parse(blob: &[u8]) -> Result<Pairs, EncodingError> {
    let mut c = Cursor::new(blob);
    let _zmlen = c.u8("zipmap header")?;
    let mut out = Vec::new();
    while let Some(klen) = read_len(&mut c)? {
        let key = c.take(klen, "zipmap key")?;
        let vlen = read_len(&mut c)?.ok_or_else(|| EncodingError::new("zipmap ends between a field and its value"))?;
        let free = usize::from(c.u8("zipmap free")?);
        let val = c.take(vlen, "zipmap value")?;
        c.take(free, "zipmap free space")?;
        out.push((key.to_vec(), val.to_vec()));
    }
    if c.remaining() != 0 {
        return Err(EncodingError::new("zipmap has bytes after its end marker"));
    }
    Ok(out)
}
