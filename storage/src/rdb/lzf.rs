//! LZF compression as used by RDB strings (`RDB_ENC_LZF`).
//!
//! Choice: hand-written. The `lzf` crate is deprecated, and the other crates.io
//! options are FFI bindings to liblzf (`lzf-sys`, needs a C toolchain + bindgen) or
//! unmaintained; the format is tiny, so we own it here (no unsafe, no panics on
//! untrusted input). The decoder accepts any valid LZF stream (liblzf's,
//! Redis's and ours); the encoder emits only standard LZF tokens, so real Redis
//! (`lzf_decompress`) reads what we write. Output is not byte-identical to
//! liblzf's (different hash function), which the format does not require.
//!
//! Format: a sequence of tokens, each starting with a control byte `c`:
//! - `c < 32`: literal run of `c + 1` bytes that follow.
//! - otherwise a back reference: `len = c >> 5` (if 7, add the next byte),
//!   `offset = ((c & 0x1f) << 8 | next byte) + 1`; copy `len + 2` bytes from
//!   `offset` bytes back in the output (may overlap).

use super::error::EncodingError;

/// Longest literal run of one token.
const MAX_LIT: usize = 1 << 5;
/// Farthest back reference (13 bits of offset, plus one).
const MAX_OFF: usize = 1 << 13;
/// Longest back reference: 2 + 7 + 255.
const MAX_REF: usize = (1 << 3) + (1 << 8);
/// Biggest output one input byte can produce (a 3-byte token yields `MAX_REF` bytes).
pub const MAX_EXPANSION: usize = MAX_REF / 3 + 1;
const HASH_LOG: u32 = 14;

/// Decompresses `input` into exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, EncodingError> {
    if out_len > input.len().saturating_mul(MAX_EXPANSION) {
        return Err(EncodingError::new(format!(
            "LZF string claims {out_len} bytes from only {} compressed bytes",
            input.len()
        )));
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    let eof = || EncodingError::new("LZF data ends inside a token");
    while ip < input.len() {
        let ctrl = usize::from(*input.get(ip).ok_or_else(eof)?);
        ip += 1;
        if ctrl < MAX_LIT {
            let n = ctrl + 1;
            let lit = input.get(ip..ip + n).ok_or_else(eof)?;
            if out.len() + n > out_len {
                return Err(EncodingError::new("LZF output longer than declared"));
            }
            out.extend_from_slice(lit);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or_else(eof)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or_else(eof)?);
            ip += 1;
            let off = ((ctrl & 0x1f) << 8 | low) + 1;
            let n = len + 2;
            if off > out.len() {
                return Err(EncodingError::new("LZF back reference before start of output"));
            }
            if out.len() + n > out_len {
                return Err(EncodingError::new("LZF output longer than declared"));
            }
            let start = out.len() - off;
            if off >= n {
                out.extend_from_within(start..start + n);
            } else {
                for i in 0..n {
                    let b = *out.get(start + i).ok_or_else(eof)?;
                    out.push(b);
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(EncodingError::new(format!(
            "LZF data decompressed to {} bytes, {out_len} declared",
            out.len()
        )));
    }
    Ok(out)
}

fn hash3(a: u8, b: u8, c: u8, bits: u32) -> usize {
    let v = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
    (v.wrapping_mul(2_654_435_761) >> (32 - bits)) as usize
}

fn flush_literals(out: &mut Vec<u8>, lits: &[u8]) {
    for chunk in lits.chunks(MAX_LIT) {
        // chunk.len() is 1..=32 so the control byte is 0..=31.
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Compresses `input`; returns `None` when the result would be longer than `max_out`
/// (Redis stores a string compressed only when it saves at least 4 bytes).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(max_out.min(input.len()));
    // Table sized to the input: small strings must not pay for a 64 KiB memset.
    let bits = (usize::BITS - input.len().leading_zeros()).clamp(8, HASH_LOG);
    let mut table = vec![0u32; 1 << bits];
    let mut lit_start = 0usize;
    let mut ip = 0usize;
    while ip + 2 < input.len() {
        let (a, b, c) = match (input.get(ip), input.get(ip + 1), input.get(ip + 2)) {
            (Some(a), Some(b), Some(c)) => (*a, *b, *c),
            _ => break,
        };
        let h = hash3(a, b, c, bits);
        let slot = table.get_mut(h)?;
        let cand = *slot as usize;
        *slot = (ip + 1) as u32;
        if cand > 0 {
            let r = cand - 1;
            let off = ip - r; // >= 1
            if off <= MAX_OFF && input.get(r..r + 3) == Some(&[a, b, c][..]) {
                let max_len = MAX_REF.min(input.len() - ip);
                let mut l = 3;
                while l < max_len && input.get(r + l) == input.get(ip + l) {
                    l += 1;
                }
                flush_literals(&mut out, input.get(lit_start..ip)?);
                let lenc = l - 2;
                let offc = off - 1;
                if lenc < 7 {
                    out.push(((lenc as u8) << 5) | (offc >> 8) as u8);
                } else {
                    out.push((7 << 5) | (offc >> 8) as u8);
                    out.push((lenc - 7) as u8);
                }
                out.push((offc & 0xff) as u8);
                // Index a couple of positions inside the match for better ratios.
                for p in [ip + l - 2, ip + l - 1] {
                    if let (Some(x), Some(y), Some(z)) = (input.get(p), input.get(p + 1), input.get(p + 2)) {
                        if let Some(s) = table.get_mut(hash3(*x, *y, *z, bits)) {
                            *s = (p + 1) as u32;
                        }
                    }
                }
                ip += l;
                lit_start = ip;
                if out.len() > max_out {
                    return None;
                }
                continue;
            }
        }
        ip += 1;
    }
    flush_literals(&mut out, input.get(lit_start..)?);
    if out.len() > max_out {
        return None;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut data = Vec::new();
        for i in 0..5000u32 {
            data.extend_from_slice(format!("item-{}-", i % 37).as_bytes());
        }
        let c = compress(&data, data.len()).unwrap();
        assert!(c.len() < data.len() / 3);
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
        let rle = vec![b'a'; 10_000];
        let c = compress(&rle, rle.len()).unwrap();
        assert_eq!(decompress(&c, rle.len()).unwrap(), rle);
    }

    #[test]
    fn incompressible_refused() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let data: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        assert!(compress(&data, data.len() - 4).is_none());
    }

    #[test]
    fn garbage_does_not_panic() {
        for seed in 0..2000u32 {
            let bytes: Vec<u8> = (0..(seed % 40)).map(|i| (seed.wrapping_mul(31).wrapping_add(i * 17)) as u8).collect();
            let _ = decompress(&bytes, (seed % 100) as usize);
        }
    }
}
