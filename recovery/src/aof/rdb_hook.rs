//! The hook through which the RDB part of an AOF is read.
//!
//! An AOF file can start with an RDB image: a multi-part base `.rdb`, or the preamble of a
//! Redis 6 single file (followed by RESP commands). The AOF code does not decode RDB; it
//! hands a reader positioned at the image's first byte to an [`RdbHook`], which must consume
//! **exactly** the image (through the EOF opcode and the 8-byte checksum) and fail if the image
//! is damaged. When the RDB decoder lands (`vk_storage::rdb::RdbReader`), a hook that runs it
//! replaces [`ChecksumScan`] — in the checker (to validate) and in the loader's visitor (to
//! load keys).
//!
//! [`ChecksumScan`] decodes nothing: it checks the signature, then finds the end of the image
//! as the first `0xFF` (EOF opcode) whose following 8 bytes are the CRC-64 (Jones, as Redis
//! computes it) of everything up to and including that `0xFF`. A false match has probability
//! 2^-64 per `0xFF` byte. It therefore catches truncation and any bit flip, but not a
//! structurally invalid image written with a valid checksum. Images written with
//! `rdbchecksum no` (checksum 0) are accepted at the first `0xFF` followed by 8 zero bytes;
//! RDB versions before 5 have no checksum and end at a final `0xFF`.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::path::Path;

use crc::{Crc, CRC_64_REDIS};

use super::BoxError;

/// Reads one RDB image from `reader` and stops right after it.
pub trait RdbHook {
    /// Consume exactly one RDB image, or fail. `file` is for messages.
    fn read_rdb(&mut self, file: &Path, reader: &mut dyn BufRead) -> Result<(), BoxError>;
}

/// An RDB damage found by [`ChecksumScan`].
#[derive(Debug, thiserror::Error)]
pub enum RdbScanError {
    /// Neither `REDIS` + 4 digits nor `VALKEY` + 3 digits.
    #[error("Wrong signature trying to load DB from file")]
    BadSignature,
    /// The input ended before a valid end of image.
    #[error("Unexpected EOF reading RDB file (at offset {offset}; no EOF opcode with a matching checksum)")]
    UnexpectedEof {
        /// Bytes read.
        offset: u64,
    },
    /// An I/O error.
    #[error("I/O error reading RDB: {0}")]
    Io(#[from] io::Error),
}

/// Signature + checksum validation that also finds where the image ends; see the module doc.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChecksumScan;

static CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

struct Candidate {
    crc: u64,
    got: usize,
    bytes: [u8; 8],
}

impl ChecksumScan {
    /// Scans one image; returns its length.
    pub fn scan(reader: &mut dyn BufRead) -> Result<u64, RdbScanError> {
        let mut digest = CRC64.digest();
        let mut pos: u64 = 0;
        let mut header: Vec<u8> = Vec::with_capacity(9);
        let mut version: Option<u32> = None;
        let mut cands: VecDeque<Candidate> = VecDeque::new();
        let mut last_byte: Option<u8> = None;
        loop {
            let buf = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if buf.is_empty() {
                // Pre-5 images have no checksum: they end at a final 0xFF.
                if version.is_some_and(|v| v < 5) && last_byte == Some(0xFF) {
                    return Ok(pos);
                }
                return Err(RdbScanError::UnexpectedEof { offset: pos });
            }
            let mut seg_start = 0usize;
            let mut end_at: Option<usize> = None;
            for (i, &b) in buf.iter().enumerate() {
                if version.is_none() {
                    header.push(b);
                    if let Some(v) = parse_signature(&header)? {
                        version = Some(v);
                    }
                }
                for c in cands.iter_mut() {
                    if let Some(slot) = c.bytes.get_mut(c.got) {
                        *slot = b;
                    }
                    c.got += 1;
                }
                while cands.front().is_some_and(|c| c.got >= 8) {
                    if let Some(c) = cands.pop_front() {
                        let stored = u64::from_le_bytes(c.bytes);
                        if stored == c.crc || stored == 0 {
                            end_at = Some(i + 1);
                            break;
                        }
                    }
                }
                if end_at.is_some() {
                    break;
                }
                last_byte = Some(b);
                if b == 0xFF && version.is_some() {
                    digest.update(buf.get(seg_start..=i).unwrap_or(&[]));
                    seg_start = i + 1;
                    cands.push_back(Candidate { crc: digest.clone().finalize(), got: 0, bytes: [0; 8] });
                }
            }
            let used = end_at.unwrap_or(buf.len());
            if end_at.is_none() {
                digest.update(buf.get(seg_start..).unwrap_or(&[]));
            }
            reader.consume(used);
            pos += used as u64;
            if end_at.is_some() {
                return Ok(pos);
            }
        }
    }
}

/// `Ok(Some(version))` once the header is complete, `Ok(None)` while more bytes are needed.
fn parse_signature(h: &[u8]) -> Result<Option<u32>, RdbScanError> {
    let digits = |d: &[u8]| -> Option<u32> {
        if d.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(d).ok()?.parse().ok()
        } else {
            None
        }
    };
    let is_prefix = |magic: &[u8]| h.len() <= magic.len() && magic.starts_with(h);
    if is_prefix(b"REDIS") || is_prefix(b"VALKEY") {
        return Ok(None);
    }
    if let Some(rest) = h.strip_prefix(b"REDIS") {
        if rest.len() < 4 {
            return if rest.iter().all(u8::is_ascii_digit) { Ok(None) } else { Err(RdbScanError::BadSignature) };
        }
        return digits(rest).map(Some).ok_or(RdbScanError::BadSignature);
    }
    if let Some(rest) = h.strip_prefix(b"VALKEY") {
        if rest.len() < 3 {
            return if rest.iter().all(u8::is_ascii_digit) { Ok(None) } else { Err(RdbScanError::BadSignature) };
        }
        return digits(rest).map(Some).ok_or(RdbScanError::BadSignature);
    }
    Err(RdbScanError::BadSignature)
}

impl RdbHook for ChecksumScan {
    fn read_rdb(&mut self, _file: &Path, reader: &mut dyn BufRead) -> Result<(), BoxError> {
        Self::scan(reader).map(|_| ()).map_err(|e| Box::new(e) as BoxError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(body: &[u8]) -> Vec<u8> {
        let mut v = b"REDIS0011".to_vec();
        v.extend_from_slice(body);
        v.push(0xFF);
        let crc = CRC64.checksum(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        v
    }

    #[test]
    fn finds_the_end_and_leaves_the_tail() {
        let mut bytes = image(&[0xFF, 1, 2, 0xFF, 0xFF, 3]);
        let len = bytes.len() as u64;
        bytes.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut r = &bytes[..];
        assert_eq!(ChecksumScan::scan(&mut r).ok(), Some(len));
        assert_eq!(r, b"*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn truncation_and_flips_are_caught() {
        let bytes = image(b"hello world");
        for cut in 0..bytes.len() {
            let mut r = bytes.get(..cut).unwrap_or(&[]);
            assert!(ChecksumScan::scan(&mut r).is_err(), "cut {cut}");
        }
        for i in 9..bytes.len() - 9 {
            let mut b = bytes.clone();
            if let Some(x) = b.get_mut(i) {
                *x ^= 0x10;
            }
            let mut r = &b[..];
            assert!(ChecksumScan::scan(&mut r).is_err(), "flip {i}");
        }
        let mut r = &b"NOTRDB000"[..];
        assert!(matches!(ChecksumScan::scan(&mut r), Err(RdbScanError::BadSignature)));
    }
}
