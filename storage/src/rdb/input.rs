//! Buffered, offset-tracking, checksumming byte source for the reader.
//!
//! Bytes are pulled from the inner `Read` in big chunks and consumed from a
//! slice, so decoding never makes a call per byte. The CRC-64 is updated
//! lazily over consumed bytes only (so trailing data after the RDB, as in an
//! AOF preamble, is not hashed), and `into_rest` hands back unread bytes.

use std::io::Read;

use super::error::{KeyName, RdbError};
use super::CRC64;

const BUF_SIZE: usize = 64 * 1024;
/// Largest allocation made up front for a length read from the file.
pub(crate) const MAX_PREALLOC: usize = 64 * 1024;

pub(crate) struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    crc_from: usize,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    /// Error context: the key being read and its type.
    pub key: Option<KeyName>,
    pub rdb_type: Option<u8>,
    pub stats: ReadStats,
    /// Reused for byte runs that straddle a buffer refill (see `with_bytes`).
    scratch: Vec<u8>,
}

/// Structural counters gathered while reading (for `--stats` style reports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// LZF-compressed strings inside keys (key names, values, blobs; not AUX or function code).
    pub lzf_strings: u64,
    /// Quicklist nodes holding a ziplist/listpack.
    pub quicklist_packed_nodes: u64,
    /// Quicklist 2 nodes holding one plain element.
    pub quicklist_plain_nodes: u64,
    /// Entries of consumer-group PELs.
    pub stream_pel_entries: u64,
    /// Keys whose collection was empty.
    pub empty_keys: u64,
}

impl<R: Read> Input<R> {
    pub fn new(inner: R) -> Self {
        Self::with_buffer(inner, BUF_SIZE)
    }

    /// With a read buffer of `size` bytes (at most the default; at least 1). For small
    /// in-memory inputs such as `RESTORE` payloads, where zeroing a 64 KiB buffer per call
    /// costs more than the parse.
    pub fn with_buffer(inner: R, size: usize) -> Self {
        Input {
            inner,
            buf: vec![0u8; size.clamp(1, BUF_SIZE)].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            crc_from: 0,
            digest: CRC64.digest(),
            key: None,
            rdb_type: None,
            stats: ReadStats::default(),
            scratch: Vec::new(),
        }
    }

    /// Absolute offset of the next byte to be consumed.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn hash_consumed(&mut self) {
        if let Some(s) = self.buf.get(self.crc_from..self.pos) {
            self.digest.update(s);
        }
        self.crc_from = self.pos;
    }

    /// CRC-64 of every byte consumed so far.
    pub fn crc_now(&mut self) -> u64 {
        self.hash_consumed();
        self.digest.clone().finalize()
    }

    /// Refills the buffer when it is fully consumed. Returns false at end of input.
    fn fill(&mut self) -> Result<bool, RdbError> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.hash_consumed();
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        self.crc_from = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(RdbError::Io(e)),
            }
        }
    }

    pub fn eof(&self) -> RdbError {
        RdbError::UnexpectedEof { offset: self.offset(), key: self.key.clone(), rdb_type: self.rdb_type }
    }

    pub fn corrupt(&self, reason: impl Into<String>) -> RdbError {
        self.corrupt_at(self.offset(), reason)
    }

    pub fn corrupt_at(&self, offset: u64, reason: impl Into<String>) -> RdbError {
        RdbError::Corrupt { offset, key: self.key.clone(), rdb_type: self.rdb_type, reason: reason.into() }
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, RdbError> {
        if let Some(b) = self.buf.get(self.pos).filter(|_| self.pos < self.end) {
            let b = *b;
            self.pos += 1;
            return Ok(b);
        }
        if !self.fill()? {
            return Err(self.eof());
        }
        let b = *self.buf.get(self.pos).ok_or_else(|| self.eof())?;
        self.pos += 1;
        Ok(b)
    }

    /// Returns the next byte without consuming it, or None at end of input.
    pub fn peek(&mut self) -> Result<Option<u8>, RdbError> {
        if !self.fill()? {
            return Ok(None);
        }
        Ok(self.buf.get(self.pos).copied())
    }

    pub fn exact(&mut self, out: &mut [u8]) -> Result<(), RdbError> {
        let mut done = 0;
        while done < out.len() {
            if !self.fill()? {
                return Err(self.eof());
            }
            let avail = self.end - self.pos;
            let n = avail.min(out.len() - done);
            let src = self.buf.get(self.pos..self.pos + n).ok_or_else(|| self.eof())?;
            out.get_mut(done..done + n).ok_or_else(|| self.eof())?.copy_from_slice(src);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        if let Some(s) = self.buf.get(self.pos..self.pos + N).filter(|_| self.pos + N <= self.end) {
            a.copy_from_slice(s);
            self.pos += N;
            return Ok(a);
        }
        self.exact(&mut a)?;
        Ok(a)
    }

    /// Reads `len` bytes into a new vector; the up-front allocation is capped so
    /// a lying length fails at end of input instead of exhausting memory.
    pub fn vec(&mut self, len: u64) -> Result<Vec<u8>, RdbError> {
        let len = usize::try_from(len).map_err(|_| self.corrupt(format!("length {len} does not fit in memory")))?;
        let avail = self.end - self.pos;
        if len <= avail {
            let s = self.buf.get(self.pos..self.pos + len).ok_or_else(|| self.eof())?.to_vec();
            self.pos += len;
            return Ok(s);
        }
        let mut out = Vec::new();
        self.read_into(len, &mut out)?;
        Ok(out)
    }

    /// Calls `f` with the next `len` bytes: borrowed from the read buffer when they are all
    /// buffered (the common case), else gathered into a scratch buffer that is kept for reuse.
    /// (LZF strings are decompressed straight from here, without an owned copy.)
    pub fn with_bytes<T>(&mut self, len: u64, f: impl FnOnce(&[u8]) -> T) -> Result<T, RdbError> {
        let n = usize::try_from(len).map_err(|_| self.corrupt(format!("length {len} does not fit in memory")))?;
        if n <= self.end - self.pos {
            let s = self.buf.get(self.pos..self.pos + n).ok_or_else(|| self.eof())?;
            let r = f(s);
            self.pos += n;
            return Ok(r);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let read = self.read_into(n, &mut scratch);
        let r = read.map(|()| f(&scratch));
        if scratch.capacity() <= 1 << 20 {
            self.scratch = scratch;
        }
        r
    }

    /// Appends the next `len` bytes to `out` (preallocation capped: a lying length fails at
    /// the end of input instead of exhausting memory).
    fn read_into(&mut self, len: usize, out: &mut Vec<u8>) -> Result<(), RdbError> {
        let avail = self.end - self.pos;
        out.reserve(len.min(MAX_PREALLOC.max(avail)));
        let target = out.len() + len;
        while out.len() < target {
            if !self.fill()? {
                return Err(self.eof());
            }
            let n = (self.end - self.pos).min(target - out.len());
            let s = self.buf.get(self.pos..self.pos + n).ok_or_else(|| self.eof())?;
            out.extend_from_slice(s);
            self.pos += n;
        }
        Ok(())
    }

    /// Consumes `len` bytes without keeping them.
    pub fn skip(&mut self, len: u64) -> Result<(), RdbError> {
        let mut left = len;
        while left > 0 {
            if !self.fill()? {
                return Err(self.eof());
            }
            let n = ((self.end - self.pos) as u64).min(left);
            self.pos += n as usize;
            left -= n;
        }
        Ok(())
    }

    /// Unread buffered bytes and the inner reader (for data after the RDB, e.g. an AOF tail).
    pub fn into_rest(self) -> (Vec<u8>, R) {
        let rest = self.buf.get(self.pos..self.end).map(<[u8]>::to_vec).unwrap_or_default();
        (rest, self.inner)
    }
}
