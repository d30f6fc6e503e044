//! Spill segment files: append-only files holding cold values moved out of memory.
//!
//! Layout (all integers little-endian; see `docs/spill-format.md`):
//!
//! ```text
//! file header (16 bytes): "VKSPILL\0" | version u32 (=1) | segment id u32
//! frame:  stored_len u32 | raw_len u32 | header_crc u32 | payload_crc u32 | payload (stored_len bytes)
//! ```
//!
//! `header_crc` is CRC-32C of the first 8 bytes of the frame (the two lengths), so a torn or
//! flipped length is detected before anything is allocated from it. `payload` is the LZ4 block
//! compression of the raw bytes (a DUMP payload of the value); `payload_crc` is CRC-32C of the
//! stored payload. A frame is addressed by the offset of its first byte.

use std::fs::File;
use std::os::unix::fs::FileExt;

pub const MAGIC: &[u8; 8] = b"VKSPILL\0";
pub const VERSION: u32 = 1;
pub const FILE_HEADER_LEN: usize = 16;
pub const FRAME_HEADER_LEN: usize = 16;
/// Largest raw value a frame may hold (Redis's `proto-max-bulk-len` upper bound is 512 MiB for
/// a string; collections can be larger, so allow 4 GiB - 1 but never allocate more than the
/// file can hold: the stored length is checked against the caller's expected length).
pub const MAX_RAW_LEN: u32 = u32::MAX;

const CRC32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpillError {
    #[error("I/O error: {0}")]
    Io(String),
    #[error("bad file header (not a VaultKey spill segment, or wrong segment id)")]
    BadFileHeader,
    #[error("frame header checksum mismatch")]
    HeaderChecksum,
    #[error("frame length {found} does not match the expected {expected}")]
    LengthMismatch { expected: u32, found: u32 },
    #[error("payload checksum mismatch")]
    PayloadChecksum,
    #[error("truncated frame")]
    Truncated,
    #[error("LZ4 decompression failed: {0}")]
    Decompress(String),
}

/// The 16-byte file header of segment `id`.
pub fn file_header(id: u32) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&id.to_le_bytes());
    h
}

/// Checks a file header; returns the segment id.
pub fn parse_file_header(h: &[u8]) -> Result<u32, SpillError> {
    if h.len() < FILE_HEADER_LEN || &h[..8] != MAGIC || h[8..12] != VERSION.to_le_bytes() {
        return Err(SpillError::BadFileHeader);
    }
    Ok(u32::from_le_bytes([h[12], h[13], h[14], h[15]]))
}

/// Builds a frame holding `raw` (compressed). Returns the whole frame.
pub fn encode_frame(raw: &[u8]) -> Vec<u8> {
    let stored = lz4_flex::block::compress(raw);
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + stored.len());
    out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    let hcrc = CRC32C.checksum(&out[..8]);
    out.extend_from_slice(&hcrc.to_le_bytes());
    out.extend_from_slice(&CRC32C.checksum(&stored).to_le_bytes());
    out.extend_from_slice(&stored);
    out
}

/// Parses and checks a frame header: returns `(stored_len, raw_len, payload_crc)`.
pub fn parse_frame_header(h: &[u8; FRAME_HEADER_LEN]) -> Result<(u32, u32, u32), SpillError> {
    let u = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    if CRC32C.checksum(&h[..8]) != u(8) {
        return Err(SpillError::HeaderChecksum);
    }
    Ok((u(0), u(4), u(12)))
}

/// Decodes a whole frame held in memory.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<u8>, SpillError> {
    if frame.len() < FRAME_HEADER_LEN {
        return Err(SpillError::Truncated);
    }
    let mut h = [0u8; FRAME_HEADER_LEN];
    h.copy_from_slice(&frame[..FRAME_HEADER_LEN]);
    let (stored_len, raw_len, pcrc) = parse_frame_header(&h)?;
    let payload = &frame[FRAME_HEADER_LEN..];
    if payload.len() != stored_len as usize {
        return Err(SpillError::LengthMismatch { expected: payload.len() as u32, found: stored_len });
    }
    decode_payload(payload, raw_len, pcrc)
}

fn decode_payload(payload: &[u8], raw_len: u32, pcrc: u32) -> Result<Vec<u8>, SpillError> {
    if CRC32C.checksum(payload) != pcrc {
        return Err(SpillError::PayloadChecksum);
    }
    // LZ4 expands at most ~255x; a raw length beyond that is a lie caught before allocating.
    if raw_len as u64 > (payload.len() as u64).saturating_mul(255).saturating_add(16) {
        return Err(SpillError::Decompress("raw length too large for the stored payload".into()));
    }
    let out = lz4_flex::block::decompress(payload, raw_len as usize).map_err(|e| SpillError::Decompress(e.to_string()))?;
    if out.len() != raw_len as usize {
        return Err(SpillError::Decompress("decompressed length differs".into()));
    }
    Ok(out)
}

/// Reads the frame at `offset` of `file`, whose total length (header included) the caller
/// recorded when writing it: the stored length must agree, so nothing is allocated from an
/// unchecked length.
pub fn read_frame_at(file: &File, offset: u64, frame_len: u32) -> Result<Vec<u8>, SpillError> {
    let mut h = [0u8; FRAME_HEADER_LEN];
    read_exact_at(file, &mut h, offset)?;
    let (stored_len, raw_len, pcrc) = parse_frame_header(&h)?;
    let expected = frame_len.saturating_sub(FRAME_HEADER_LEN as u32);
    if stored_len != expected {
        return Err(SpillError::LengthMismatch { expected, found: stored_len });
    }
    let mut payload = vec![0u8; stored_len as usize];
    read_exact_at(file, &mut payload, offset + FRAME_HEADER_LEN as u64)?;
    decode_payload(&payload, raw_len, pcrc)
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> Result<(), SpillError> {
    match file.read_exact_at(buf, offset) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(SpillError::Truncated),
        Err(e) => Err(SpillError::Io(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn roundtrip_and_corruption() {
        let raw: Vec<u8> = (0..10_000u32).flat_map(|i| (i % 97).to_le_bytes()).collect();
        let f = encode_frame(&raw);
        assert_eq!(decode_frame(&f).unwrap(), raw);
        for pos in [0, 3, 5, 9, 13, 20, f.len() - 1] {
            let mut g = f.clone();
            g[pos] ^= 0x40;
            assert!(decode_frame(&g).is_err(), "flip at {pos} undetected");
        }
        assert_eq!(decode_frame(&f[..10]), Err(SpillError::Truncated));
    }

    #[test]
    fn file_reads() {
        let mut t = tempfile::NamedTempFile::new().unwrap();
        t.write_all(&file_header(7)).unwrap();
        let a = encode_frame(b"hello");
        let b = encode_frame(&vec![b'x'; 100_000]);
        t.write_all(&a).unwrap();
        t.write_all(&b).unwrap();
        t.flush().unwrap();
        let file = File::open(t.path()).unwrap();
        let mut h = [0u8; 16];
        file.read_exact_at(&mut h, 0).unwrap();
        assert_eq!(parse_file_header(&h), Ok(7));
        assert_eq!(read_frame_at(&file, 16, a.len() as u32).unwrap(), b"hello");
        let off = 16 + a.len() as u64;
        assert_eq!(read_frame_at(&file, off, b.len() as u32).unwrap(), vec![b'x'; 100_000]);
        assert!(matches!(read_frame_at(&file, off, 10), Err(SpillError::LengthMismatch { .. })));
        assert_eq!(read_frame_at(&file, off + b.len() as u64, 40), Err(SpillError::Truncated));
    }
}
