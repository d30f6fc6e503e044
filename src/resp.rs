//! The RESP wire format: parsing client requests (multibulk and inline) and encoding replies in
//! RESP2 or RESP3.
//!
//! A request that has not fully arrived yet is a normal event ([`Parsed::Incomplete`]), not an
//! error. Real protocol errors carry Redis's exact wording; the connection replies with it and
//! closes, as Redis does.

use bytes::{Bytes, BytesMut};

/// Longest inline request (and longest multibulk/bulk header line) Redis accepts.
pub const INLINE_MAX: usize = 64 * 1024;

/// Limits a parser applies to one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: usize,
    /// Unauthenticated clients may only send tiny requests (Redis: 10 args, 16 KiB bulks).
    pub authenticated: bool,
}

/// Outcome of trying to parse one request from the front of a buffer.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// A whole request: its arguments (possibly empty for a blank inline line).
    Command(Vec<Bytes>),
    /// More bytes are needed. `hint` is how many more at least, when known.
    Incomplete,
}

/// A protocol violation; the text is what Redis replies before closing the connection.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

fn perr(msg: &str) -> ProtocolError {
    ProtocolError(format!("Protocol error: {msg}"))
}

/// Try to parse one request from `buf`. On success the request's bytes are removed from `buf`.
pub fn parse_request(buf: &mut BytesMut, limits: Limits) -> Result<Parsed, ProtocolError> {
    if buf.is_empty() {
        return Ok(Parsed::Incomplete);
    }
    if buf[0] == b'*' {
        parse_multibulk(buf, limits)
    } else {
        parse_inline(buf)
    }
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\r', buf.get(from..)?).map(|i| i + from)
}

/// Parses a signed decimal the way Redis's `string2ll` does (no leading '+', no spaces).
fn parse_len(s: &[u8]) -> Option<i64> {
    crate::util::parse_i64(s)
}

/// Outcome of scanning one multibulk request without taking its bytes.
enum Scan {
    Incomplete,
    /// The request ends at this offset; its argument spans were appended.
    Complete(usize),
}

/// Validates and locates the multibulk request starting at `buf[at]` (a `*`), appending the
/// (start, length) of each argument to `spans`: nothing is taken from the buffer, so an
/// incomplete request leaves it untouched. Never reserves from the claimed count beyond a
/// small cap.
fn scan_multibulk(buf: &mut BytesMut, at: usize, limits: Limits, spans: &mut Vec<(usize, usize)>) -> Result<Scan, ProtocolError> {
    let Some(nl) = find_crlf(buf, at + 1) else {
        if buf.len() - at > INLINE_MAX {
            return Err(perr("too big mbulk count string"));
        }
        return Ok(Scan::Incomplete);
    };
    if nl + 1 >= buf.len() {
        return Ok(Scan::Incomplete);
    }
    let count = match parse_len(&buf[at + 1..nl]) {
        Some(n) if n <= i32::MAX as i64 && (limits.authenticated || n <= 10) => n,
        _ => return Err(perr("invalid multibulk length")),
    };
    let mut pos = nl + 2;
    if count <= 0 {
        return Ok(Scan::Complete(pos));
    }
    spans.reserve((count as usize).min(1024));
    for _ in 0..count {
        if pos >= buf.len() {
            return Ok(Scan::Incomplete);
        }
        if buf[pos] != b'$' {
            let got = buf[pos] as char;
            return Err(ProtocolError(format!("Protocol error: expected '$', got '{got}'")));
        }
        let Some(nl) = find_crlf(buf, pos + 1) else {
            if buf.len() - pos > INLINE_MAX {
                return Err(perr("too big bulk count string"));
            }
            return Ok(Scan::Incomplete);
        };
        if nl + 1 >= buf.len() {
            return Ok(Scan::Incomplete);
        }
        let max = if limits.authenticated { limits.max_bulk_len } else { 16384 };
        let len = match parse_len(&buf[pos + 1..nl]) {
            Some(n) if n >= 0 && (n as u64) <= max as u64 => n as usize,
            _ => return Err(perr("invalid bulk length")),
        };
        let start = nl + 2;
        if buf.len() < start + len + 2 {
            // Let the caller grow the buffer toward the size it knows is coming.
            let need = start + len + 2;
            if buf.capacity() < need && len >= 32 * 1024 {
                buf.reserve(need - buf.len());
            }
            return Ok(Scan::Incomplete);
        }
        spans.push((start, len));
        pos = start + len + 2;
    }
    Ok(Scan::Complete(pos))
}

fn parse_multibulk(buf: &mut BytesMut, limits: Limits) -> Result<Parsed, ProtocolError> {
    let mut spans = Vec::new();
    match scan_multibulk(buf, 0, limits, &mut spans)? {
        Scan::Incomplete => Ok(Parsed::Incomplete),
        Scan::Complete(end) => {
            let frame = buf.split_to(end).freeze();
            Ok(Parsed::Command(spans.iter().map(|&(s, l)| frame.slice(s..s + l)).collect()))
        }
    }
}

/// Parses every complete multibulk request at the front of `buf` (at most `max`) into `out`,
/// taking their bytes from `buf` as one frozen chunk that the arguments slice (one reference
/// count for the batch instead of one per request). Stops, leaving the rest in `buf` for
/// [`parse_request`], at an incomplete request, an inline request, an empty multibulk or a
/// protocol error; so an error is reported only once the requests before it have run, and
/// limits that change on the way (AUTH, CONFIG SET) apply from the request after. Returns how
/// many requests were added. `spans` is scratch space kept by the caller.
pub fn parse_batch(
    buf: &mut BytesMut,
    limits: Limits,
    max: usize,
    spans: &mut Vec<(usize, usize)>,
    out: &mut std::collections::VecDeque<Vec<Bytes>>,
) -> usize {
    spans.clear();
    // Argument count of each request found, and where the last one ends.
    let mut counts: [usize; 64] = [0; 64];
    let max = max.min(counts.len());
    let mut n = 0;
    let mut end = 0;
    while n < max && end < buf.len() && buf[end] == b'*' {
        let before = spans.len();
        match scan_multibulk(buf, end, limits, spans) {
            Ok(Scan::Complete(e)) if spans.len() > before => {
                counts[n] = spans.len() - before;
                n += 1;
                end = e;
            }
            _ => {
                spans.truncate(before);
                break;
            }
        }
    }
    if n == 0 {
        return 0;
    }
    let chunk = buf.split_to(end).freeze();
    let mut first = 0;
    for &c in &counts[..n] {
        out.push_back(spans[first..first + c].iter().map(|&(s, l)| chunk.slice(s..s + l)).collect());
        first += c;
    }
    n
}

fn parse_inline(buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        if buf.len() > INLINE_MAX {
            return Err(perr("too big inline request"));
        }
        return Ok(Parsed::Incomplete);
    };
    let line = buf.split_to(nl + 1);
    let mut end = nl;
    if end > 0 && line[end - 1] == b'\r' {
        end -= 1;
    }
    match split_args(&line[..end]) {
        Some(args) => Ok(Parsed::Command(args.into_iter().map(Bytes::from).collect())),
        None => Err(perr("unbalanced quotes in request")),
    }
}

/// Splits a line into arguments like Redis's `sdssplitargs`: whitespace separated, with
/// "double quotes" (supporting \n \r \t \b \a \\ \" and \xHH escapes) and 'single quotes'.
/// Returns `None` on unbalanced quotes. Also used by the config file reader.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' && is_hex(line[i + 2]) && is_hex(line[i + 3]) {
                    cur.push(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or the end.
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// A reply, independent of the protocol version it will be encoded in.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`: the full text including the error code prefix (e.g. `ERR`, `WRONGTYPE`).
    Error(String),
    Int(i64),
    Bulk(Bytes),
    /// A null bulk string in RESP2 (`$-1`), null in RESP3.
    Nil,
    /// A null array in RESP2 (`*-1`), null in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 map; flattened to an array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// RESP3 boolean; the integer 1/0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (format, text); a bulk string in RESP2.
    Verbatim(&'static str, Bytes),
    /// RESP3 big number; a bulk string in RESP2.
    BigNumber(String),
    /// RESP3 push; an array in RESP2 (pub/sub messages).
    Push(Vec<Reply>),
    /// Already encoded bytes, written verbatim (used for cached/shared replies).
    Raw(Bytes),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple("OK".into())
    }
    pub fn err(msg: impl Into<String>) -> Reply {
        let m = msg.into();
        Reply::Error(m)
    }
    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }
    pub fn bulk_str(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }
    pub fn bulk_slice(s: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s))
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::bulk_slice(b.as_ref())).collect())
    }
}

/// Appends the encoding of `reply` in protocol `proto` (2 or 3) to `out`.
pub fn encode(reply: &Reply, proto: u8, out: &mut BytesMut) {
    let resp3 = proto >= 3;
    match reply {
        Reply::Simple(s) => {
            out.extend_from_slice(b"+");
            out.extend_from_slice(s.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Reply::Error(s) => {
            out.extend_from_slice(b"-");
            // Newlines inside an error would break the protocol: Redis replaces them by spaces.
            for &c in s.as_bytes() {
                out.extend_from_slice(&[if c == b'\r' || c == b'\n' { b' ' } else { c }]);
            }
            out.extend_from_slice(b"\r\n");
        }
        Reply::Int(i) => header(out, b':', *i),
        Reply::Bulk(b) => bulk(out, b),
        Reply::Nil => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
        Reply::NilArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
        Reply::Array(items) => {
            header(out, b'*', items.len() as i64);
            for r in items {
                encode(r, proto, out);
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                header(out, b'%', pairs.len() as i64);
            } else {
                header(out, b'*', 2 * pairs.len() as i64);
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Reply::Set(items) => {
            header(out, if resp3 { b'~' } else { b'*' }, items.len() as i64);
            for r in items {
                encode(r, proto, out);
            }
        }
        Reply::Double(d) => {
            let s = crate::util::fmt_double(*d);
            if resp3 {
                out.extend_from_slice(b",");
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                bulk(out, s.as_bytes());
            }
        }
        Reply::Bool(b) => {
            if resp3 {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            }
        }
        Reply::Verbatim(fmt, text) => {
            if resp3 {
                header(out, b'=', text.len() as i64 + 4);
                out.extend_from_slice(fmt.as_bytes());
                out.extend_from_slice(b":");
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            } else {
                bulk(out, text);
            }
        }
        Reply::BigNumber(s) => {
            if resp3 {
                out.extend_from_slice(b"(");
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else {
                bulk(out, s.as_bytes());
            }
        }
        Reply::Push(items) => {
            header(out, if resp3 { b'>' } else { b'*' }, items.len() as i64);
            for r in items {
                encode(r, proto, out);
            }
        }
        Reply::Raw(b) => out.extend_from_slice(b),
    }
}

fn header(out: &mut BytesMut, tag: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(&[tag]);
    out.extend_from_slice(buf.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut BytesMut, b: &[u8]) {
    header(out, b'$', b.len() as i64);
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Encodes a command (an argument vector) as a RESP multibulk, the form the AOF and
/// MONITOR-like consumers use.
pub fn encode_command(args: &[Bytes], out: &mut BytesMut) {
    header(out, b'*', args.len() as i64);
    for a in args {
        bulk(out, a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { max_bulk_len: 512 * 1024 * 1024, authenticated: true };

    fn parse_all(input: &[u8]) -> Vec<Vec<Bytes>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Parsed::Command(c) = parse_request(&mut buf, L).unwrap() {
            out.push(c);
        }
        out
    }

    #[test]
    fn multibulk_and_pipeline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(cmds[1], vec![Bytes::from("PING")]);
    }

    /// Batches then single requests, as a connection parses: the same requests in the same
    /// order as parsing one at a time, whatever the cut, and the rest left in the buffer.
    #[test]
    fn batches_match_single_parsing_at_every_cut() {
        let input: &[u8] = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*0\r\n*1\r\n$4\r\nPING\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$2\r\nbc\r\n*1\r\n$4\r\nQUIT\r\n";
        let want = parse_all(input);
        for cut in 0..=input.len() {
            let mut buf = BytesMut::from(&input[..cut]);
            let mut got = Vec::new();
            let mut queue = std::collections::VecDeque::new();
            let mut spans = Vec::new();
            loop {
                parse_batch(&mut buf, L, 64, &mut spans, &mut queue);
                if let Some(c) = queue.pop_front() {
                    got.push(c);
                    got.extend(queue.drain(..));
                    continue;
                }
                match parse_request(&mut buf, L).unwrap() {
                    Parsed::Command(c) if c.is_empty() => {}
                    Parsed::Command(c) => got.push(c),
                    Parsed::Incomplete => break,
                }
            }
            buf.extend_from_slice(&input[cut..]);
            loop {
                parse_batch(&mut buf, L, 2, &mut spans, &mut queue);
                got.extend(queue.drain(..));
                match parse_request(&mut buf, L).unwrap() {
                    Parsed::Command(c) if c.is_empty() => {}
                    Parsed::Command(c) => got.push(c),
                    Parsed::Incomplete => break,
                }
            }
            let want: Vec<_> = want.iter().filter(|c| !c.is_empty()).cloned().collect();
            assert_eq!(got, want, "cut {cut}");
            assert!(buf.is_empty());
        }
    }

    /// A batch stops before a protocol error: the requests before it run first, and the
    /// error is then reported by `parse_request` (after limits such as AUTH's have changed).
    #[test]
    fn batches_stop_before_errors() {
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n*1\r\nfoo\r\n"[..]);
        let (mut queue, mut spans) = (std::collections::VecDeque::new(), Vec::new());
        assert_eq!(parse_batch(&mut buf, L, 64, &mut spans, &mut queue), 1);
        assert_eq!(queue.pop_front().unwrap(), vec![Bytes::from("PING")]);
        assert_eq!(parse_batch(&mut buf, L, 64, &mut spans, &mut queue), 0);
        assert_eq!(parse_request(&mut buf, L).unwrap_err().0, "Protocol error: expected '$', got 'f'");
    }

    #[test]
    fn partial_requests_are_incomplete_at_every_cut() {
        let full = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for cut in 0..full.len() {
            let mut buf = BytesMut::from(&full[..cut]);
            assert_eq!(parse_request(&mut buf, L).unwrap(), Parsed::Incomplete, "cut {cut}");
            assert_eq!(buf.len(), cut);
        }
    }

    #[test]
    fn inline_with_quotes() {
        let cmds = parse_all(b"set \"a b\" 'c d'\r\nPING\n");
        assert_eq!(cmds[0], vec![Bytes::from("set"), Bytes::from("a b"), Bytes::from("c d")]);
        assert_eq!(cmds[1], vec![Bytes::from("PING")]);
        let mut buf = BytesMut::from(&b"set \"a\r\n"[..]);
        assert_eq!(
            parse_request(&mut buf, L).unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn protocol_errors_have_redis_wording() {
        let mut buf = BytesMut::from(&b"*1\r\nfoo\r\n"[..]);
        assert_eq!(parse_request(&mut buf, L).unwrap_err().0, "Protocol error: expected '$', got 'f'");
        let mut buf = BytesMut::from(&b"*x\r\n"[..]);
        assert_eq!(parse_request(&mut buf, L).unwrap_err().0, "Protocol error: invalid multibulk length");
        let mut buf = BytesMut::from(&b"*1\r\n$-5\r\n"[..]);
        assert_eq!(parse_request(&mut buf, L).unwrap_err().0, "Protocol error: invalid bulk length");
        let small = Limits { max_bulk_len: 10, authenticated: true };
        let mut buf = BytesMut::from(&b"*1\r\n$11\r\n"[..]);
        assert_eq!(parse_request(&mut buf, small).unwrap_err().0, "Protocol error: invalid bulk length");
    }

    #[test]
    fn lying_lengths_do_not_allocate() {
        let mut buf = BytesMut::from(&b"*2147483647\r\n$3\r\nGET\r\n"[..]);
        assert_eq!(parse_request(&mut buf, L).unwrap(), Parsed::Incomplete);
    }

    #[test]
    fn encodes_both_protocols() {
        let r = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Double(1.5))]);
        let mut out = BytesMut::new();
        encode(&r, 2, &mut out);
        assert_eq!(&out[..], b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
        out.clear();
        encode(&r, 3, &mut out);
        assert_eq!(&out[..], b"%1\r\n$1\r\na\r\n,1.5\r\n");
    }
}
