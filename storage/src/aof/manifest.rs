//! The multi-part AOF manifest, as Redis 7.0–7.2 read and write it.
//!
//! A manifest lists the files of `appendonlydir/`, one per line:
//!
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b
//! file appendonly.aof.2.incr.aof seq 2 type i
//! file appendonly.aof.3.incr.aof seq 3 type i
//! ```
//!
//! Lines are `key value` pairs split with the rules of Redis's `sdssplitargs` (so a name with
//! spaces is written in double quotes with C-like escapes). `file`, `seq` and `type` are
//! required; other keys (`startoffset`, `endoffset` of newer Redis, anything else) are
//! tolerated, as Redis does. Lines starting with `#` are comments. The base file comes first,
//! then history files (`type h`, to be deleted), then incr files in increasing `seq` order.
//! The error texts are Redis's own (`Invalid AOF manifest file format`, ...), with the line.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::fmt;
use std::path::Path;

/// Longest manifest line Redis reads at once (`MANIFEST_MAX_LINE`).
pub const MANIFEST_MAX_LINE: usize = 1024;
/// Default `appendfilename`: the prefix of every file name in `appendonlydir/`.
pub const DEFAULT_AOF_FILENAME: &str = "appendonly.aof";
/// Default `appenddirname`.
pub const DEFAULT_AOF_DIRNAME: &str = "appendonlydir";

/// The role of a file in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AofFileType {
    /// `b`: the snapshot written by the last rewrite (RDB or RESP).
    Base,
    /// `h`: a file made obsolete by a rewrite, waiting to be deleted.
    History,
    /// `i`: commands appended after the base.
    Incr,
}

impl AofFileType {
    /// The manifest letter.
    pub fn as_char(self) -> char {
        match self {
            AofFileType::Base => 'b',
            AofFileType::History => 'h',
            AofFileType::Incr => 'i',
        }
    }
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofInfo {
    /// File name inside the AOF directory (never a path).
    pub name: String,
    /// Sequence number (never 0).
    pub seq: i64,
    /// Role of the file.
    pub kind: AofFileType,
    /// `startoffset` (replication offset at the start of an incr file; newer Redis only).
    pub start_offset: Option<i64>,
    /// `endoffset` (newer Redis only; written only together with `startoffset`).
    pub end_offset: Option<i64>,
}

impl AofInfo {
    /// A line with no offsets.
    pub fn new(name: impl Into<String>, seq: i64, kind: AofFileType) -> Self {
        AofInfo { name: name.into(), seq, kind, start_offset: None, end_offset: None }
    }

    /// The manifest line, `\n` included, exactly as Redis formats it.
    pub fn to_line(&self) -> String {
        let name = if needs_repr(self.name.as_bytes()) {
            repr(self.name.as_bytes())
        } else {
            self.name.clone()
        };
        let mut line = format!("file {} seq {} type {}", name, self.seq, self.kind.as_char());
        if let Some(start) = self.start_offset {
            line.push_str(&format!(" startoffset {start}"));
            if let Some(end) = self.end_offset {
                line.push_str(&format!(" endoffset {end}"));
            }
        }
        line.push('\n');
        line
    }
}

/// A manifest that Redis would refuse, with its error text and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The file has no line at all.
    #[error("Found an empty AOF manifest")]
    Empty,
    /// A line is wrong: `reason` is Redis's message.
    #[error("{reason} (manifest line {line}: '{text}')")]
    Invalid {
        /// 1-based line number, comments included (as Redis counts).
        line: usize,
        /// The trimmed line.
        text: String,
        /// Redis's error text.
        reason: &'static str,
    },
}

/// Redis error texts, one constant each so callers and tests can match them.
pub mod reasons {
    /// Wrong number of fields, blank line, missing key, unbalanced quotes, seq 0.
    pub const INVALID_FORMAT: &str = "Invalid AOF manifest file format";
    /// A line longer than [`super::MANIFEST_MAX_LINE`] or without a final newline.
    pub const TOO_LONG_LINE: &str = "The AOF manifest file contains too long line";
    /// A file name with a `/`.
    pub const NOT_BASENAME: &str = "File can't be a path, just a filename";
    /// Two `type b` lines.
    pub const DUPLICATE_BASE: &str = "Found duplicate base file information";
    /// Incr `seq` values not strictly increasing.
    pub const NON_MONOTONIC: &str = "Found a non-monotonic sequence number";
    /// A type other than `b`, `h`, `i`.
    pub const UNKNOWN_TYPE: &str = "Unknown AOF file type";
    /// Not Redis: a name that is not UTF-8 (Redis would accept any bytes).
    pub const NOT_UTF8: &str = "File name is not valid UTF-8";
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<AofInfo>,
    /// Files to delete.
    pub history: Vec<AofInfo>,
    /// Incr files, in load order.
    pub incr: Vec<AofInfo>,
    /// Sequence of the current (or last) base file.
    pub curr_base_seq: i64,
    /// Sequence of the last incr file.
    pub curr_incr_seq: i64,
}

impl Manifest {
    /// Parses a manifest with Redis's rules (`aofLoadManifestFromFile`).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut maxseq: i64 = 0;
        let mut linenum = 0usize;
        let mut rest = bytes;
        while !rest.is_empty() {
            // Emulate `fgets(buf, MANIFEST_MAX_LINE + 1)`: up to 1024 bytes or through '\n'.
            let limit = rest.len().min(MANIFEST_MAX_LINE);
            let head = rest.get(..limit).unwrap_or(rest);
            let chunk_len = head.iter().position(|&b| b == b'\n').map_or(limit, |p| p + 1);
            let (chunk, tail) = rest.split_at(chunk_len);
            rest = tail;
            linenum += 1;
            if chunk.first() == Some(&b'#') {
                continue;
            }
            // C strings end at the first NUL.
            let cstr = chunk.split(|&b| b == 0).next().unwrap_or(&[]);
            let trimmed = trim(cstr);
            let text = String::from_utf8_lossy(trimmed).into_owned();
            let invalid = |reason: &'static str| ManifestError::Invalid {
                line: linenum,
                text: text.clone(),
                reason,
            };
            if !cstr.contains(&b'\n') {
                return Err(invalid(reasons::TOO_LONG_LINE));
            }
            if trimmed.is_empty() {
                return Err(invalid(reasons::INVALID_FORMAT));
            }
            let argv = split_args(trimmed).ok_or_else(|| invalid(reasons::INVALID_FORMAT))?;
            if argv.len() < 6 || argv.len() % 2 != 0 {
                return Err(invalid(reasons::INVALID_FORMAT));
            }
            let mut name: Option<Vec<u8>> = None;
            let mut seq: i64 = 0;
            let mut kind: u8 = 0;
            let mut start_offset = None;
            let mut end_offset = None;
            for pair in argv.chunks_exact(2) {
                let (key, value) = match pair {
                    [k, v] => (k, v),
                    _ => continue,
                };
                if key.eq_ignore_ascii_case(b"file") {
                    if value.contains(&b'/') {
                        return Err(invalid(reasons::NOT_BASENAME));
                    }
                    name = Some(value.clone());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(value);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied().unwrap_or(0);
                } else if key.eq_ignore_ascii_case(b"startoffset") {
                    start_offset = Some(atoll(value));
                } else if key.eq_ignore_ascii_case(b"endoffset") {
                    end_offset = Some(atoll(value));
                }
                // Unknown keys are ignored, for forward compatibility (as Redis does).
            }
            let name = match name {
                Some(n) if !n.is_empty() && seq != 0 && kind != 0 => n,
                _ => return Err(invalid(reasons::INVALID_FORMAT)),
            };
            let name = String::from_utf8(name).map_err(|_| invalid(reasons::NOT_UTF8))?;
            let kind = match kind {
                b'b' => AofFileType::Base,
                b'h' => AofFileType::History,
                b'i' => AofFileType::Incr,
                _ => return Err(invalid(reasons::UNKNOWN_TYPE)),
            };
            let info = AofInfo { name, seq, kind, start_offset, end_offset };
            match kind {
                AofFileType::Base => {
                    if m.base.is_some() {
                        return Err(invalid(reasons::DUPLICATE_BASE));
                    }
                    m.curr_base_seq = seq;
                    m.base = Some(info);
                }
                AofFileType::History => m.history.push(info),
                AofFileType::Incr => {
                    if seq <= maxseq {
                        return Err(invalid(reasons::NON_MONOTONIC));
                    }
                    maxseq = seq;
                    m.curr_incr_seq = seq;
                    m.incr.push(info);
                }
            }
        }
        if linenum == 0 {
            return Err(ManifestError::Empty);
        }
        Ok(m)
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestLoadError> {
        let bytes = std::fs::read(path).map_err(ManifestLoadError::Io)?;
        Manifest::parse(&bytes).map_err(ManifestLoadError::Invalid)
    }

    /// The manifest as Redis writes it: base, then history, then incr files.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for info in self.base.iter().chain(&self.history).chain(&self.incr) {
            out.push_str(&info.to_line());
        }
        out.into_bytes()
    }

    /// The files to load, in order: the base (if any), then every incr file.
    pub fn load_order(&self) -> impl Iterator<Item = &AofInfo> {
        self.base.iter().chain(&self.incr)
    }

    /// True when the manifest names no file to load.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// The incr file appended to now (the last one).
    pub fn last_incr(&self) -> Option<&AofInfo> {
        self.incr.last()
    }

    /// Adds a new incr file (`<prefix>.<curr_incr_seq+1>.incr.aof`) at the end and returns
    /// it. First step of a rewrite: new writes go there while the base is written.
    pub fn add_new_incr(&mut self, names: &AofNames, start_offset: Option<i64>) -> &AofInfo {
        self.curr_incr_seq += 1;
        let mut info = AofInfo::new(names.incr(self.curr_incr_seq), self.curr_incr_seq, AofFileType::Incr);
        info.start_offset = start_offset;
        self.incr.push(info);
        let last = self.incr.len() - 1;
        // `last` exists: we just pushed.
        #[allow(clippy::indexing_slicing)]
        &self.incr[last]
    }

    /// Installs a new base file (`<prefix>.<curr_base_seq+1>.base.<rdb|aof>`), moving the
    /// previous base to history, and returns its name.
    pub fn set_new_base(&mut self, names: &AofNames, format: BaseFormat) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = AofFileType::History;
            self.history.insert(0, old);
        }
        self.curr_base_seq += 1;
        let name = names.base(self.curr_base_seq, format);
        self.base = Some(AofInfo::new(name.clone(), self.curr_base_seq, AofFileType::Base));
        name
    }

    /// After a successful rewrite: every incr file except the last one (which the writer is
    /// appending to, and which holds what happened during the rewrite) becomes history.
    pub fn mark_rewritten_incr_as_history(&mut self) {
        let keep = self.incr.pop();
        for mut info in self.incr.drain(..).rev() {
            info.kind = AofFileType::History;
            self.history.insert(0, info);
        }
        self.incr.extend(keep);
    }

    /// Removes and returns the history files: the caller deletes them, then persists the
    /// manifest.
    pub fn take_history(&mut self) -> Vec<AofInfo> {
        std::mem::take(&mut self.history)
    }
}

/// Why [`Manifest::load`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ManifestLoadError {
    /// The file could not be read.
    #[error("can't read the AOF manifest: {0}")]
    Io(#[source] std::io::Error),
    /// The content is invalid.
    #[error(transparent)]
    Invalid(ManifestError),
}

impl fmt::Display for AofFileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AofFileType::Base => "BASE",
            AofFileType::History => "HISTORY",
            AofFileType::Incr => "INCR",
        })
    }
}

/// The format of a base file, which decides its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseFormat {
    /// `.base.rdb` (`aof-use-rdb-preamble yes`).
    Rdb,
    /// `.base.aof`: RESP commands.
    Resp,
}

/// File naming in `appendonlydir/`, derived from `appendfilename` (the prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofNames {
    /// `appendfilename`, `appendonly.aof` by default.
    pub prefix: String,
}

impl Default for AofNames {
    fn default() -> Self {
        AofNames { prefix: DEFAULT_AOF_FILENAME.to_string() }
    }
}

impl AofNames {
    /// Names derived from `appendfilename`.
    pub fn new(prefix: impl Into<String>) -> Self {
        AofNames { prefix: prefix.into() }
    }
    /// `<prefix>.<seq>.base.rdb` or `<prefix>.<seq>.base.aof`.
    pub fn base(&self, seq: i64, format: BaseFormat) -> String {
        let suffix = match format {
            BaseFormat::Rdb => "rdb",
            BaseFormat::Resp => "aof",
        };
        format!("{}.{}.base.{}", self.prefix, seq, suffix)
    }
    /// `<prefix>.<seq>.incr.aof`.
    pub fn incr(&self, seq: i64) -> String {
        format!("{}.{}.incr.aof", self.prefix, seq)
    }
    /// `<prefix>.manifest`.
    pub fn manifest(&self) -> String {
        format!("{}.manifest", self.prefix)
    }
    /// `temp-<prefix>.manifest`: where the manifest is written before the rename.
    pub fn temp_manifest(&self) -> String {
        format!("temp-{}.manifest", self.prefix)
    }
    /// `temp-<prefix>.incr`: the incr file used while AOF is being turned on.
    pub fn temp_incr(&self) -> String {
        format!("temp-{}.incr", self.prefix)
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_print(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

fn trim(s: &[u8]) -> &[u8] {
    let strip = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !strip(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !strip(b)).map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or(&[])
}

/// C `atoll`: optional blanks and sign, then digits; anything else stops; 0 if none.
fn atoll(s: &[u8]) -> i64 {
    let mut it = s.iter().copied().skip_while(|&b| is_space(b)).peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    for b in it {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        v.saturating_neg()
    } else {
        v
    }
}

/// Does a name need quoting (Redis's `sdsneedsrepr`)? We also quote names with a `'`, which
/// Redis writes bare but then cannot read back.
pub fn needs_repr(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b'\\' | b'"' | b'\'') || !is_print(b) || is_space(b))
}

/// Redis's `sdscatrepr`: the name in double quotes with C escapes.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b if is_print(b) => out.push(char::from(b)),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Redis's `sdssplitargs`: blanks separate arguments; `"..."` with `\xHH`, `\n`, `\r`,
/// `\t`, `\b`, `\a` escapes; `'...'` with only `\'`. `None` for unbalanced quotes or a closing
/// quote followed by something other than a blank.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0usize;
    loop {
        while at(p) != 0 && is_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(args);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq, mut done) = (false, false, false);
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        cur.push(h * 16 + l);
                        p += 3;
                    } else {
                        p += 1;
                        cur.push(b'x');
                    }
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    other => cur.push(other),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_reason(bytes: &[u8]) -> Option<(usize, &'static str)> {
        match Manifest::parse(bytes) {
            Err(ManifestError::Invalid { line, reason, .. }) => Some((line, reason)),
            _ => None,
        }
    }

    #[test]
    fn parses_and_roundtrips_redis_manifest() -> Result<(), ManifestError> {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text)?;
        assert_eq!(m.base.as_ref().map(|b| b.name.as_str()), Some("appendonly.aof.2.base.rdb"));
        assert_eq!(m.incr.len(), 2);
        assert_eq!((m.curr_base_seq, m.curr_incr_seq), (2, 3));
        assert_eq!(m.to_bytes(), text.to_vec());
        Ok(())
    }

    #[test]
    fn tolerates_unknown_keys_comments_and_case() -> Result<(), ManifestError> {
        let m = Manifest::parse(b"# comment\nFILE a.1.incr.aof SEQ 1 TYPE i startoffset 5 endoffset 9 future x\n")?;
        let i = m.incr.first().cloned();
        assert_eq!(i.as_ref().map(|i| (i.start_offset, i.end_offset)), Some((Some(5), Some(9))));
        assert_eq!(
            i.map(|i| i.to_line()),
            Some("file a.1.incr.aof seq 1 type i startoffset 5 endoffset 9\n".to_string())
        );
        Ok(())
    }

    #[test]
    fn quoted_names_roundtrip() -> Result<(), ManifestError> {
        for name in ["my file.aof", "q\"uote", "back\\slash", "tab\there", "it's", "\u{7f}x"] {
            let m = Manifest { base: Some(AofInfo::new(name, 1, AofFileType::Base)), ..Manifest::default() };
            let bytes = m.to_bytes();
            let back = Manifest::parse(&bytes)?;
            assert_eq!(back.base.map(|b| b.name), Some(name.to_string()), "{name:?}");
        }
        assert_eq!(repr(b"a b\x01"), "\"a b\\x01\"");
        Ok(())
    }

    #[test]
    fn redis_errors_with_line_numbers() {
        use reasons::*;
        assert_eq!(Manifest::parse(b""), Err(ManifestError::Empty));
        assert_eq!(err_reason(b"file a seq 1\n"), Some((1, INVALID_FORMAT)));
        assert_eq!(err_reason(b"# c\n\n"), Some((2, INVALID_FORMAT)));
        assert_eq!(err_reason(b"file a seq 1 type i"), Some((1, TOO_LONG_LINE)));
        assert_eq!(err_reason(b"file d/a seq 1 type i\n"), Some((1, NOT_BASENAME)));
        assert_eq!(err_reason(b"file a seq 0 type i\n"), Some((1, INVALID_FORMAT)));
        assert_eq!(err_reason(b"file a seq x type i\n"), Some((1, INVALID_FORMAT)));
        assert_eq!(err_reason(b"file a seq 1 type x\n"), Some((1, UNKNOWN_TYPE)));
        assert_eq!(err_reason(b"file \"a seq 1 type i\n"), Some((1, INVALID_FORMAT)));
        assert_eq!(
            err_reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            Some((2, DUPLICATE_BASE))
        );
        assert_eq!(
            err_reason(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            Some((2, NON_MONOTONIC))
        );
        let long = format!("file {} seq 1 type i\n", "a".repeat(1100));
        assert_eq!(err_reason(long.as_bytes()), Some((1, TOO_LONG_LINE)));
        // Only comments: an empty but valid manifest.
        assert!(Manifest::parse(b"# nothing\n").is_ok_and(|m| m.is_empty()));
    }

    #[test]
    fn rewrite_steps_follow_redis() {
        let names = AofNames::default();
        let mut m = Manifest::default();
        m.set_new_base(&names, BaseFormat::Rdb);
        m.add_new_incr(&names, None);
        // A rewrite: open a new incr first, then install the new base.
        m.add_new_incr(&names, None);
        let base = m.set_new_base(&names, BaseFormat::Rdb);
        m.mark_rewritten_incr_as_history();
        assert_eq!(base, "appendonly.aof.2.base.rdb");
        let hist: Vec<_> = m.history.iter().map(|h| h.name.as_str()).collect();
        // Redis pushes each to the head of the history list: incr files end up first.
        assert_eq!(hist, ["appendonly.aof.1.incr.aof", "appendonly.aof.1.base.rdb"]);
        assert_eq!(
            String::from_utf8_lossy(&m.to_bytes()),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert_eq!(m.take_history().len(), 2);
        assert!(m.history.is_empty());
    }

    #[test]
    fn split_args_matches_sds() {
        assert_eq!(
            split_args(b"a \"b c\" 'd\\'e' \"\\x41\\n\""),
            Some(vec![b"a".to_vec(), b"b c".to_vec(), b"d'e".to_vec(), b"A\n".to_vec()])
        );
        assert_eq!(split_args(b"\"a\"b"), None);
        assert_eq!(split_args(b"'a"), None);
        assert_eq!(split_args(b"   "), Some(vec![]));
    }
}
