//! AOF commands: RESP multibulk encoding and a streaming reader.
//!
//! An AOF (a RESP base file, an incr file, or the tail of a Redis 6 single file) is a
//! sequence of entries:
//!
//! ```text
//! *<argc>\r\n  then argc times  $<len>\r\n<len bytes>\r\n      a command
//! #<text>\r\n                                                    an annotation (#TS:<unix secs>)
//! ```
//!
//! [`CommandReader`] reads them one at a time with exact byte offsets, and words its errors
//! the way `redis-check-aof` does (`Expected to read 9 bytes, got 2 bytes`, ...). A clean end
//! of input inside an entry is [`FrameError::Truncated`] (a torn tail, which `aof-load-truncated`
//! may cut); anything else malformed is [`FrameError::Format`] (garbage, never cut silently by
//! the loader).
//!
//! Lines are counted as `redis-check-aof` counts them: one per header line (`*n`, `$n`) and
//! one per bulk string, whatever bytes the bulk holds; we also count one per annotation line.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::{self, BufRead, Read};

/// Longest header line (`*<n>\r\n`, `$<n>\r\n`) accepted; `redis-check-aof` reads them
/// into a 128-byte buffer.
pub const MAX_HEADER_LINE: usize = 128;
/// Longest annotation line, `\r\n` included (Redis's `AOF_ANNOTATION_LINE_MAX_LEN`).
pub const MAX_ANNOTATION_LINE: usize = 1024;

/// Appends `args` as a RESP multibulk: `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per
/// argument. This is exactly what Redis appends to its AOF.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `SELECT <db>` (written before a command whose database differs from the last).
pub fn encode_select(out: &mut Vec<u8>, db: u32) {
    encode_command(out, &[b"SELECT".as_slice(), db.to_string().as_bytes()]);
}

/// Appends a timestamp annotation `#TS:<unix seconds>\r\n` (`aof-timestamp-enabled yes`).
pub fn encode_timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(format!("#TS:{unix_secs}\r\n").as_bytes());
}

/// One command read from an AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The arguments, the command name first.
    pub args: Vec<Vec<u8>>,
    /// Offset of the `*` in the file.
    pub offset: u64,
    /// Offset just past the command's last `\r\n`.
    pub end: u64,
    /// Line of the `*` header (see the module doc for how lines are counted).
    pub line: u64,
}

impl Command {
    /// The command name (first argument).
    pub fn name(&self) -> &[u8] {
        self.args.first().map_or(&[], Vec::as_slice)
    }

    /// Case-insensitive comparison of the command name.
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name.as_bytes())
    }
}

/// A `#` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The text after `#`, without the line ending.
    pub text: Vec<u8>,
    /// Offset of the `#`.
    pub offset: u64,
    /// Offset just past the line.
    pub end: u64,
    /// Line number.
    pub line: u64,
}

impl Annotation {
    /// The Unix time of a `#TS:<seconds>` annotation.
    pub fn timestamp(&self) -> Option<i64> {
        let digits = self.text.strip_prefix(b"TS:")?;
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
}

/// What [`CommandReader::next_entry`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A command.
    Command(Command),
    /// An annotation line.
    Annotation(Annotation),
}

impl Entry {
    /// Offset just past the entry.
    pub fn end(&self) -> u64 {
        match self {
            Entry::Command(c) => c.end,
            Entry::Annotation(a) => a.end,
        }
    }
}

/// A framing error. `offset` is where the damaged entry starts (everything before it is
/// intact, the place to cut); `error_offset` is where the problem was detected (what
/// `redis-check-aof` prints in hex).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The input ends inside an entry: a torn tail.
    #[error("{reason} (truncated entry at offset {offset}, line {line})")]
    Truncated {
        /// Start of the incomplete entry.
        offset: u64,
        /// Where the short read began.
        error_offset: u64,
        /// Line number at the point of detection.
        line: u64,
        /// `redis-check-aof`'s wording when it has one.
        reason: String,
    },
    /// Bytes that are not a well-formed entry.
    #[error("{reason} (at offset {error_offset}, entry starting at offset {offset}, line {line})")]
    Format {
        /// Start of the malformed entry.
        offset: u64,
        /// Where the problem was detected.
        error_offset: u64,
        /// Line number at the point of detection.
        line: u64,
        /// `redis-check-aof`'s wording when it has one.
        reason: String,
    },
    /// The underlying reader failed.
    #[error("I/O error reading at offset {offset}: {source}")]
    Io {
        /// Where the read failed.
        offset: u64,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl FrameError {
    /// Start of the damaged entry: everything before is intact.
    pub fn offset(&self) -> u64 {
        match self {
            FrameError::Truncated { offset, .. }
            | FrameError::Format { offset, .. }
            | FrameError::Io { offset, .. } => *offset,
        }
    }

    /// The line number, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            FrameError::Truncated { line, .. } | FrameError::Format { line, .. } => Some(*line),
            FrameError::Io { .. } => None,
        }
    }

    /// The reason text.
    pub fn reason(&self) -> String {
        match self {
            FrameError::Truncated { reason, .. } | FrameError::Format { reason, .. } => reason.clone(),
            FrameError::Io { source, .. } => source.to_string(),
        }
    }
}

/// Streaming reader of AOF entries over any [`BufRead`].
///
/// Allocation is bounded by the bytes actually present: a bulk length of 2^60 in a 20-byte
/// file allocates at most what the file holds.
pub struct CommandReader<R> {
    inner: R,
    offset: u64,
    line: u64,
    last_bulk: u64,
}

enum Line {
    /// A complete line, `\n` included.
    Full(Vec<u8>),
    /// End of input before `\n` (the bytes read so far).
    Eof(Vec<u8>),
    /// No `\n` within the limit.
    TooLong,
}

impl<R: BufRead> CommandReader<R> {
    /// A reader at offset 0, line 1.
    pub fn new(inner: R) -> Self {
        Self::with_position(inner, 0, 1)
    }

    /// A reader whose input starts at `offset` of the file (after an RDB preamble) and at
    /// `line` (for line counting across files, as `redis-check-aof` does).
    pub fn with_position(inner: R, offset: u64, line: u64) -> Self {
        CommandReader { inner, offset, line, last_bulk: offset }
    }

    /// Offset just past the last byte consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Offset of the payload of the last bulk string read (where `redis-check-aof` reports
    /// an error found at end of input, e.g. a MULTI without EXEC).
    pub fn last_bulk_offset(&self) -> u64 {
        self.last_bulk
    }

    /// The current line number.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Gives the inner reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn io_err(&self, source: io::Error) -> FrameError {
        FrameError::Io { offset: self.offset, source }
    }

    fn peek(&mut self) -> Result<Option<u8>, FrameError> {
        loop {
            match self.inner.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        }
    }

    fn read_line(&mut self, max: usize) -> Result<Line, FrameError> {
        let mut out = Vec::new();
        loop {
            let (done, used) = {
                let buf = match self.inner.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(FrameError::Io { offset: self.offset, source: e }),
                };
                if buf.is_empty() {
                    return Ok(Line::Eof(out));
                }
                let room = max.saturating_sub(out.len());
                let window = buf.get(..buf.len().min(room)).unwrap_or(&[]);
                match window.iter().position(|&b| b == b'\n') {
                    Some(p) => {
                        out.extend_from_slice(window.get(..=p).unwrap_or(&[]));
                        (true, p + 1)
                    }
                    None => {
                        out.extend_from_slice(window);
                        (false, window.len())
                    }
                }
            };
            self.inner.consume(used);
            self.offset += used as u64;
            if done {
                return Ok(Line::Full(out));
            }
            if out.len() >= max {
                return Ok(Line::TooLong);
            }
        }
    }

    /// Reads `*<n>\r\n` / `$<n>\r\n`: the number, or an error.
    fn read_number(&mut self, start: u64, prefix: u8, max: usize) -> Result<i64, FrameError> {
        let epos = self.offset;
        let line = self.line;
        let truncated = |reason: String| FrameError::Truncated { offset: start, error_offset: epos, line, reason };
        let format = |reason: String| FrameError::Format { offset: start, error_offset: epos, line, reason };
        let bytes = match self.read_line(max)? {
            Line::Full(b) => b,
            Line::Eof(b) if b.is_empty() => {
                return Err(truncated(format!("Unexpected EOF, expected '{}'", char::from(prefix))))
            }
            Line::Eof(_) => return Err(truncated("Unexpected EOF inside a header line".to_string())),
            Line::TooLong => return Err(format(format!("Header line longer than {max} bytes"))),
        };
        let first = bytes.first().copied().unwrap_or(0);
        if first != prefix {
            return Err(format(format!(
                "Expected prefix '{}', got: '{}'",
                char::from(prefix),
                char::from(first).escape_default()
            )));
        }
        let body = bytes.get(1..).unwrap_or(&[]);
        let digits_end = body
            .iter()
            .enumerate()
            .position(|(i, &b)| !(b.is_ascii_digit() || (i == 0 && b == b'-')))
            .unwrap_or(body.len());
        let (digits, after) = body.split_at(digits_end);
        if after != b"\r\n" {
            let a = after.first().copied().unwrap_or(0);
            let b = after.get(1).copied().unwrap_or(0);
            return Err(format(format!("Expected \\r\\n, got: {a:02x}{b:02x}")));
        }
        let n = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| format(format!("Invalid number in '{}' line", char::from(prefix))))?;
        self.line += 1;
        Ok(n)
    }

    /// Reads the next entry; `Ok(None)` at a clean end of input (between entries).
    pub fn next_entry(&mut self) -> Result<Option<Entry>, FrameError> {
        let start = self.offset;
        let start_line = self.line;
        match self.peek()? {
            None => Ok(None),
            Some(b'#') => {
                let line = self.line;
                match self.read_line(MAX_ANNOTATION_LINE)? {
                    Line::Full(mut text) => {
                        text.pop();
                        if text.last() == Some(&b'\r') {
                            text.pop();
                        }
                        text.remove(0);
                        self.line += 1;
                        Ok(Some(Entry::Annotation(Annotation { text, offset: start, end: self.offset, line })))
                    }
                    Line::Eof(_) => Err(FrameError::Truncated {
                        offset: start,
                        error_offset: start,
                        line,
                        reason: "Unexpected EOF inside an annotation line".to_string(),
                    }),
                    Line::TooLong => Err(FrameError::Format {
                        offset: start,
                        error_offset: start,
                        line,
                        reason: format!("Annotation line longer than {MAX_ANNOTATION_LINE} bytes"),
                    }),
                }
            }
            Some(b'*') => {
                let argc = self.read_number(start, b'*', MAX_HEADER_LINE)?;
                if argc < 1 || argc > i64::from(i32::MAX) {
                    return Err(FrameError::Format {
                        offset: start,
                        error_offset: start,
                        line: start_line,
                        reason: format!("Invalid multibulk length {argc}"),
                    });
                }
                // Never trust argc for the allocation: grow as arguments really arrive.
                let argc = usize::try_from(argc).unwrap_or(0);
                let mut args = Vec::with_capacity(argc.min(64));
                for _ in 0..argc {
                    let len = self.read_number(start, b'$', MAX_HEADER_LINE)?;
                    let epos = self.offset;
                    let line = self.line;
                    if !(0..=i64::MAX - 2).contains(&len) {
                        return Err(FrameError::Format {
                            offset: start,
                            error_offset: epos,
                            line,
                            reason: format!(
                                "Expected to read string of {len} bytes, which is not in the suitable range"
                            ),
                        });
                    }
                    let want = u64::try_from(len).unwrap_or(0) + 2;
                    self.last_bulk = epos;
                    let mut data = Vec::new();
                    let got = match (&mut self.inner).take(want).read_to_end(&mut data) {
                        Ok(n) => n as u64,
                        Err(e) => return Err(self.io_err(e)),
                    };
                    self.offset += got;
                    if got != want {
                        return Err(FrameError::Truncated {
                            offset: start,
                            error_offset: epos,
                            line,
                            reason: format!("Expected to read {want} bytes, got {got} bytes"),
                        });
                    }
                    let crlf_at = data.len().saturating_sub(2);
                    if data.get(crlf_at..) != Some(b"\r\n".as_slice()) {
                        let a = data.get(crlf_at).copied().unwrap_or(0);
                        let b = data.get(crlf_at + 1).copied().unwrap_or(0);
                        return Err(FrameError::Format {
                            offset: start,
                            error_offset: epos,
                            line,
                            reason: format!("Expected \\r\\n, got: {a:02x}{b:02x}"),
                        });
                    }
                    data.truncate(crlf_at);
                    self.line += 1;
                    args.push(data);
                }
                Ok(Some(Entry::Command(Command { args, offset: start, end: self.offset, line: start_line })))
            }
            Some(_) => Err(FrameError::Format {
                offset: start,
                error_offset: start,
                line: start_line,
                reason: "format error".to_string(),
            }),
        }
    }
}

impl<R: BufRead> Iterator for CommandReader<R> {
    type Item = Result<Entry, FrameError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Vec<Entry>, Option<FrameError>) {
        let mut r = CommandReader::new(bytes);
        let mut out = Vec::new();
        loop {
            match r.next_entry() {
                Ok(Some(e)) => out.push(e),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn encode_then_read_roundtrip() {
        let mut buf = Vec::new();
        encode_timestamp(&mut buf, 1_700_000_000);
        encode_select(&mut buf, 3);
        encode_command(&mut buf, &[b"SET".as_slice(), b"k\r\n", b""]);
        assert_eq!(
            &buf[..],
            b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n"
        );
        let (entries, err) = read_all(&buf);
        assert!(err.is_none());
        assert_eq!(entries.len(), 3);
        match entries.first() {
            Some(Entry::Annotation(a)) => assert_eq!(a.timestamp(), Some(1_700_000_000)),
            other => panic!("expected annotation, got {other:?}"),
        }
        match entries.get(2) {
            Some(Entry::Command(c)) => {
                assert!(c.is("set"));
                assert_eq!(c.args, vec![b"SET".to_vec(), b"k\r\n".to_vec(), Vec::new()]);
                assert_eq!((c.offset, c.end, c.line), (39, buf.len() as u64, 7));
            }
            other => panic!("expected SET, got {other:?}"),
        }
    }

    #[test]
    fn truncated_bulk_is_reported_like_redis_check_aof() {
        let bytes = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$7\r\nab";
        let (entries, err) = read_all(bytes);
        assert_eq!(entries.len(), 1);
        match err {
            Some(FrameError::Truncated { offset, error_offset, line, reason }) => {
                assert_eq!((offset, error_offset, line), (14, 31, 8));
                assert_eq!(reason, "Expected to read 9 bytes, got 2 bytes");
            }
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[test]
    fn garbage_is_a_format_error() {
        let (_, err) = read_all(b"*1\r\n$4\r\nPING\r\nhello");
        assert!(matches!(err, Some(FrameError::Format { offset: 14, ref reason, .. }) if reason == "format error"));
        let (_, err) = read_all(b"*1\r\n$4\r\nPINGxx");
        assert!(matches!(err, Some(FrameError::Format { ref reason, .. }) if reason == "Expected \\r\\n, got: 7878"));
        let (_, err) = read_all(b"*1\r\n#4\r\n");
        assert!(matches!(err, Some(FrameError::Format { ref reason, .. }) if reason == "Expected prefix '$', got: '#'"));
        let (_, err) = read_all(b"*1\r\n$-5\r\n");
        assert!(matches!(err, Some(FrameError::Format { .. })));
        let (_, err) = read_all(b"*0\r\n");
        assert!(matches!(err, Some(FrameError::Format { .. })));
    }

    #[test]
    fn lying_length_does_not_allocate() {
        let (_, err) = read_all(b"*1\r\n$9000000000000000000\r\nabc");
        assert!(matches!(err, Some(FrameError::Truncated { .. })));
        let (_, err) = read_all(b"*2147483647\r\n$1\r\na\r\n");
        assert!(matches!(err, Some(FrameError::Truncated { .. })));
    }

    #[test]
    fn every_prefix_is_truncated_not_format() {
        let mut buf = Vec::new();
        encode_command(&mut buf, &[b"SET".as_slice(), b"key", b"value"]);
        encode_timestamp(&mut buf, 5);
        encode_command(&mut buf, &[b"DEL".as_slice(), b"key"]);
        for cut in 0..buf.len() {
            let (entries, err) = read_all(buf.get(..cut).unwrap_or(&[]));
            let good_end = entries.last().map_or(0, Entry::end);
            match err {
                None => assert_eq!(good_end, cut as u64),
                Some(FrameError::Truncated { offset, .. }) => assert_eq!(offset, good_end),
                Some(other) => panic!("cut {cut}: {other:?}"),
            }
        }
    }
}
