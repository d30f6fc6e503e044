//! RDB writer: the compact encodings Redis 7.0 / 7.2 (and Valkey 9) write.

use std::io::Write;

use super::consts::*;
use super::encodings::{canonical_i64, intset, listpack::ListpackBuilder};
use super::error::WriteError;
use super::lzf;
use super::value::*;
use super::CRC64;

/// Redis's encoding thresholds (`*-max-listpack-*`, `set-max-intset-entries`, `list-max-listpack-size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: max elements per quicklist node; -1..=-5: max node size 4/8/16/32/64 KiB.
    pub list_max_listpack_size: i32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
        }
    }
}

/// Options of [`RdbWriter`] and [`encode_value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// 10 (Redis 7.0), 11 (Redis 7.2 / Valkey 8) or 80 (Valkey 9, `VALKEY080`).
    pub version: u16,
    /// `rdbcompression`: LZF for strings longer than 20 bytes when it saves space.
    pub compress: bool,
    /// `rdbchecksum`: CRC-64 trailer (else 8 zero bytes).
    pub checksum: bool,
    pub thresholds: Thresholds,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { version: MAX_REDIS_VERSION, compress: true, checksum: true, thresholds: Thresholds::default() }
    }
}

/// Strings at most this long are never compressed (Redis: `len > 20`).
const LZF_MIN_LEN: usize = 20;
/// Redis keeps an LZF form only when it saves at least this many bytes.
const LZF_MIN_SAVING: usize = 4;
/// Longest string tried for integer encoding (Redis `rdbTryIntegerEncoding`).
const INT_ENC_MAX_LEN: usize = 11;
/// Quicklist node safety limit for positive fill factors (`SIZE_SAFETY_LIMIT`).
const QUICKLIST_SIZE_SAFETY_LIMIT: usize = 8192;
/// Base of the negative fill sizes: -1 = 4096 bytes, -2 = 8192, ...
const QUICKLIST_NEG_FILL_BASE: usize = 4096;
/// Stream node limits (`stream-node-max-entries`, `stream-node-max-bytes`).
const STREAM_NODE_MAX_ENTRIES: usize = 100;
const STREAM_NODE_MAX_BYTES: usize = 4096;

fn check_version(v: u16) -> Result<(), WriteError> {
    match v {
        10 | 11 | VALKEY_VERSION_80 => Ok(()),
        _ => Err(WriteError::UnsupportedVersion(v)),
    }
}

pub(crate) fn put_len(out: &mut Vec<u8>, n: u64) {
    if n <= LEN_6BIT_MAX {
        out.push((LEN_6BIT << 6) | n as u8);
    } else if n <= LEN_14BIT_MAX {
        out.push((LEN_14BIT << 6) | (n >> 8) as u8);
        out.push((n & 0xFF) as u8);
    } else if let Ok(v) = u32::try_from(n) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_enc(out: &mut Vec<u8>, enc: u8) {
    out.push((LEN_ENCVAL << 6) | enc);
}

/// Writes an RDB string: int-encoded when possible, LZF when asked and worth it, raw otherwise.
pub(crate) fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= INT_ENC_MAX_LEN {
        if let Some(v) = canonical_i64(s) {
            if let Ok(b) = i8::try_from(v) {
                put_enc(out, ENC_INT8);
                out.push(b as u8);
                return;
            } else if let Ok(h) = i16::try_from(v) {
                put_enc(out, ENC_INT16);
                out.extend_from_slice(&h.to_le_bytes());
                return;
            } else if let Ok(w) = i32::try_from(v) {
                put_enc(out, ENC_INT32);
                out.extend_from_slice(&w.to_le_bytes());
                return;
            }
        }
    }
    if compress && s.len() > LZF_MIN_LEN {
        if let Some(c) = lzf::compress(s, s.len() - LZF_MIN_SAVING) {
            put_enc(out, ENC_LZF);
            put_len(out, c.len() as u64);
            put_len(out, s.len() as u64);
            out.extend_from_slice(&c);
            return;
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A score as Redis stores it in a zset listpack (an integer when exact, else a shortest round-trip string).
fn score_bytes(x: f64) -> Vec<u8> {
    if x.is_infinite() {
        return if x > 0.0 { b"inf".to_vec() } else { b"-inf".to_vec() };
    }
    if x == 0.0 && x.is_sign_negative() {
        return b"-0".to_vec();
    }
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        return (x as i64).to_string().into_bytes();
    }
    format!("{x:?}").into_bytes()
}

fn sorted_zset(v: &[(Vec<u8>, f64)]) -> Vec<(&[u8], f64)> {
    let mut z: Vec<(&[u8], f64)> = v.iter().map(|(m, s)| (m.as_slice(), *s)).collect();
    z.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    z
}

/// Serializes a value; returns the type byte and the bytes that follow the key.
pub fn encode_value(value: &RdbValue, opts: &WriteOptions) -> Result<(u8, Vec<u8>), WriteError> {
    check_version(opts.version)?;
    let th = &opts.thresholds;
    let c = opts.compress;
    let mut out = Vec::new();
    let t = match value {
        RdbValue::String(s) => {
            put_string(&mut out, s, c);
            TYPE_STRING
        }
        RdbValue::List(items) => {
            encode_quicklist(&mut out, items, th.list_max_listpack_size, c);
            TYPE_LIST_QUICKLIST_2
        }
        RdbValue::Set(members) => {
            let ints: Option<Vec<i64>> = members.iter().map(|m| canonical_i64(m)).collect();
            match ints {
                Some(ints) if !ints.is_empty() && ints.len() <= th.set_max_intset_entries => {
                    put_string(&mut out, &intset::encode(&ints), c);
                    TYPE_SET_INTSET
                }
                _ if opts.version >= 11
                    && !members.is_empty()
                    && members.len() <= th.set_max_listpack_entries
                    && members.iter().all(|m| m.len() <= th.set_max_listpack_value) =>
                {
                    let mut lp = ListpackBuilder::new();
                    for m in members {
                        lp.push(m);
                    }
                    put_string(&mut out, &lp.finish(), c);
                    TYPE_SET_LISTPACK
                }
                _ => {
                    put_len(&mut out, members.len() as u64);
                    for m in members {
                        put_string(&mut out, m, c);
                    }
                    TYPE_SET
                }
            }
        }
        RdbValue::SortedSet(z) => {
            if let Some((m, _)) = z.iter().find(|(_, s)| s.is_nan()) {
                return Err(WriteError::Unsupported { version: opts.version, reason: format!("zset member {:?} has a NaN score", String::from_utf8_lossy(m)) });
            }
            if !z.is_empty() && z.len() <= th.zset_max_listpack_entries && z.iter().all(|(m, _)| m.len() <= th.zset_max_listpack_value) {
                let mut lp = ListpackBuilder::new();
                for (m, s) in sorted_zset(z) {
                    lp.push(m);
                    lp.push(&score_bytes(s));
                }
                put_string(&mut out, &lp.finish(), c);
                TYPE_ZSET_LISTPACK
            } else {
                put_len(&mut out, z.len() as u64);
                // Like Redis: from the highest score down, so loading appends at the head.
                for (m, s) in sorted_zset(z).iter().rev() {
                    put_string(&mut out, m, c);
                    out.extend_from_slice(&s.to_le_bytes());
                }
                TYPE_ZSET_2
            }
        }
        RdbValue::Hash(h) => encode_hash(&mut out, h.iter().map(|(f, v)| (f.as_slice(), v.as_slice())), h.len(), opts),
        RdbValue::HashWithTtl(h) => {
            if h.iter().all(|(_, _, e)| e.is_none()) {
                encode_hash(&mut out, h.iter().map(|(f, v, _)| (f.as_slice(), v.as_slice())), h.len(), opts)
            } else if opts.version == VALKEY_VERSION_80 {
                put_len(&mut out, h.len() as u64);
                for (f, v, e) in h {
                    put_string(&mut out, f, c);
                    put_string(&mut out, v, c);
                    out.extend_from_slice(&e.unwrap_or(-1).to_le_bytes());
                }
                TYPE_HASH_2
            } else {
                return Err(WriteError::Unsupported {
                    version: opts.version,
                    reason: "hash fields with their own expiry need RDB 80 (Valkey 9)".into(),
                });
            }
        }
        RdbValue::Stream(s) => {
            let t = if opts.version >= 11 { TYPE_STREAM_LISTPACKS_3 } else { TYPE_STREAM_LISTPACKS_2 };
            encode_stream(&mut out, s, t, c);
            t
        }
    };
    Ok((t, out))
}

fn encode_hash<'a, I: Iterator<Item = (&'a [u8], &'a [u8])> + Clone>(out: &mut Vec<u8>, it: I, n: usize, opts: &WriteOptions) -> u8 {
    let th = &opts.thresholds;
    if n > 0 && n <= th.hash_max_listpack_entries && it.clone().all(|(f, v)| f.len() <= th.hash_max_listpack_value && v.len() <= th.hash_max_listpack_value) {
        let mut lp = ListpackBuilder::new();
        for (f, v) in it {
            lp.push(f);
            lp.push(v);
        }
        put_string(out, &lp.finish(), opts.compress);
        TYPE_HASH_LISTPACK
    } else {
        put_len(out, n as u64);
        for (f, v) in it {
            put_string(out, f, opts.compress);
            put_string(out, v, opts.compress);
        }
        TYPE_HASH
    }
}

fn encode_quicklist(out: &mut Vec<u8>, items: &[Vec<u8>], fill: i32, c: bool) {
    let size_limit = if fill < 0 {
        let shift = (fill.unsigned_abs().clamp(1, 5) - 1) as usize;
        QUICKLIST_NEG_FILL_BASE << shift
    } else {
        QUICKLIST_SIZE_SAFETY_LIMIT
    };
    let count_limit = if fill > 0 { fill as usize } else { usize::MAX };
    let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut cur: Option<ListpackBuilder> = None;
    for it in items {
        if it.len() > size_limit {
            if let Some(lp) = cur.take() {
                nodes.push((QUICKLIST_NODE_PACKED, lp.finish()));
            }
            nodes.push((QUICKLIST_NODE_PLAIN, it.clone()));
            continue;
        }
        let add = ListpackBuilder::entry_size(it);
        if let Some(lp) = &cur {
            if lp.count() >= count_limit || lp.len_bytes() + add > size_limit {
                if let Some(lp) = cur.take() {
                    nodes.push((QUICKLIST_NODE_PACKED, lp.finish()));
                }
            }
        }
        cur.get_or_insert_with(ListpackBuilder::new).push(it);
    }
    if let Some(lp) = cur.take() {
        nodes.push((QUICKLIST_NODE_PACKED, lp.finish()));
    }
    put_len(out, nodes.len() as u64);
    for (container, data) in nodes {
        put_len(out, container);
        put_string(out, &data, c);
    }
}

fn encode_stream(out: &mut Vec<u8>, s: &StreamValue, t: u8, c: bool) {
    // Split entries into nodes like Redis does with its default node limits.
    let mut nodes: Vec<(StreamId, Vec<u8>)> = Vec::new();
    let mut i = 0;
    let entries = &s.entries;
    while let Some((master_id, master_fields)) = entries.get(i) {
        let mut lp = ListpackBuilder::new();
        let end = (i + STREAM_NODE_MAX_ENTRIES).min(entries.len());
        // Count entries of this node first (byte limit checked on the fly).
        let mut body = ListpackBuilder::new();
        let mut n = 0usize;
        for (id, fields) in entries.get(i..end).unwrap_or(&[]) {
            if n > 0 && body.len_bytes() >= STREAM_NODE_MAX_BYTES {
                break;
            }
            let same = fields.len() == master_fields.len() && fields.iter().zip(master_fields).all(|(a, b)| a.0 == b.0);
            let flags = if same { STREAM_ITEM_FLAG_SAMEFIELDS } else { 0 };
            body.push_int(flags);
            body.push_int(id.ms.wrapping_sub(master_id.ms) as i64);
            body.push_int(id.seq.wrapping_sub(master_id.seq) as i64);
            if same {
                for (_, v) in fields {
                    body.push(v);
                }
                body.push_int(fields.len() as i64 + 3);
            } else {
                body.push_int(fields.len() as i64);
                for (f, v) in fields {
                    body.push(f);
                    body.push(v);
                }
                body.push_int(2 * fields.len() as i64 + 4);
            }
            n += 1;
        }
        lp.push_int(n as i64);
        lp.push_int(0);
        lp.push_int(master_fields.len() as i64);
        for (f, _) in master_fields {
            lp.push(f);
        }
        lp.push_int(0);
        let mut bytes = lp.finish();
        // Append the body entries (strip the body's header and terminator).
        bytes.pop();
        let body_items = body.count();
        let body = body.finish();
        let total_count = 4 + master_fields.len() + body_items;
        bytes.extend_from_slice(body.get(6..body.len().saturating_sub(1)).unwrap_or(&[]));
        bytes.push(0xFF);
        let total = bytes.len() as u32;
        if let Some(h) = bytes.get_mut(0..4) {
            h.copy_from_slice(&total.to_le_bytes());
        }
        let cnt = u16::try_from(total_count).unwrap_or(u16::MAX);
        if let Some(h) = bytes.get_mut(4..6) {
            h.copy_from_slice(&cnt.to_le_bytes());
        }
        nodes.push((*master_id, bytes));
        i += n.max(1);
    }
    put_len(out, nodes.len() as u64);
    for (id, lp) in &nodes {
        put_string(out, &id.to_be_bytes(), c);
        put_string(out, lp, c);
    }
    let last_entry = entries.last().map(|e| e.0);
    let last_id = match last_entry {
        Some(l) if l > s.last_id => l,
        _ => s.last_id,
    };
    let first_id = entries.first().map(|e| e.0).unwrap_or(s.first_id);
    put_len(out, entries.len() as u64);
    put_len(out, last_id.ms);
    put_len(out, last_id.seq);
    put_len(out, first_id.ms);
    put_len(out, first_id.seq);
    put_len(out, s.max_deleted_id.ms);
    put_len(out, s.max_deleted_id.seq);
    put_len(out, s.entries_added.max(entries.len() as u64));
    put_len(out, s.groups.len() as u64);
    for g in &s.groups {
        put_string(out, &g.name, c);
        put_len(out, g.last_id.ms);
        put_len(out, g.last_id.seq);
        put_len(out, g.entries_read.unwrap_or(STREAM_INVALID_ENTRIES_READ));
        put_len(out, g.pel.len() as u64);
        for p in &g.pel {
            out.extend_from_slice(&p.id.to_be_bytes());
            out.extend_from_slice(&p.delivery_time_ms.to_le_bytes());
            put_len(out, p.delivery_count);
        }
        put_len(out, g.consumers.len() as u64);
        for cons in &g.consumers {
            put_string(out, &cons.name, c);
            out.extend_from_slice(&cons.seen_time_ms.to_le_bytes());
            if t >= TYPE_STREAM_LISTPACKS_3 {
                out.extend_from_slice(&cons.active_time_ms.unwrap_or(cons.seen_time_ms).to_le_bytes());
            }
            put_len(out, cons.pending.len() as u64);
            for id in &cons.pending {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// Writes an RDB file. Call the methods in file order, then [`RdbWriter::finish`].
pub struct RdbWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    opts: WriteOptions,
}

const FLUSH_AT: usize = 256 * 1024;

impl<W: Write> RdbWriter<W> {
    /// Writes the header (`REDIS0011`, `REDIS0010` or `VALKEY080`).
    pub fn new(out: W, opts: WriteOptions) -> Result<Self, WriteError> {
        check_version(opts.version)?;
        let mut w = RdbWriter { out, buf: Vec::with_capacity(FLUSH_AT + 1024), digest: CRC64.digest(), opts };
        if opts.version == VALKEY_VERSION_80 {
            w.buf.extend_from_slice(MAGIC_VALKEY);
            w.buf.extend_from_slice(format!("{:03}", opts.version).as_bytes());
        } else {
            w.buf.extend_from_slice(MAGIC_REDIS);
            w.buf.extend_from_slice(format!("{:04}", opts.version).as_bytes());
        }
        Ok(w)
    }

    pub fn options(&self) -> &WriteOptions {
        &self.opts
    }

    fn maybe_flush(&mut self) -> Result<(), WriteError> {
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<(), WriteError> {
        self.digest.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> Result<(), WriteError> {
        self.buf.push(OPCODE_AUX);
        put_string(&mut self.buf, key, false);
        put_string(&mut self.buf, value, false);
        self.maybe_flush()
    }

    pub fn select_db(&mut self, db: u64) -> Result<(), WriteError> {
        self.buf.push(OPCODE_SELECTDB);
        put_len(&mut self.buf, db);
        self.maybe_flush()
    }

    pub fn resize_db(&mut self, db_size: u64, expires_size: u64) -> Result<(), WriteError> {
        self.buf.push(OPCODE_RESIZEDB);
        put_len(&mut self.buf, db_size);
        put_len(&mut self.buf, expires_size);
        self.maybe_flush()
    }

    /// A function library (`FUNCTION2` opcode), e.g. `#!lua name=lib ...`.
    pub fn function(&mut self, code: &[u8]) -> Result<(), WriteError> {
        self.buf.push(OPCODE_FUNCTION2);
        put_string(&mut self.buf, code, self.opts.compress);
        self.maybe_flush()
    }

    pub fn key(&mut self, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), WriteError> {
        self.key_with_meta(key, expire_ms, None, None, value)
    }

    /// A key with optional LRU idle seconds or LFU counter (Redis writes at most one of them).
    pub fn key_with_meta(&mut self, key: &[u8], expire_ms: Option<i64>, lru_idle: Option<u64>, lfu_freq: Option<u8>, value: &RdbValue) -> Result<(), WriteError> {
        let (t, body) = encode_value(value, &self.opts)?;
        put_key_head(&mut self.buf, t, key, KeyHead { expire_ms, lru_idle, lfu_freq }, self.opts.compress);
        if body.len() >= FLUSH_AT {
            self.flush_buf()?;
            self.digest.update(&body);
            self.out.write_all(&body)?;
            Ok(())
        } else {
            self.buf.extend_from_slice(&body);
            self.maybe_flush()
        }
    }

    /// Appends records encoded elsewhere with [`encode_key`] / [`encode_select_db`] (covered by
    /// the checksum like everything else). The caller is responsible for them being whole records.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        if bytes.len() >= FLUSH_AT {
            self.flush_buf()?;
            self.digest.update(bytes);
            self.out.write_all(bytes)?;
            Ok(())
        } else {
            self.buf.extend_from_slice(bytes);
            self.maybe_flush()
        }
    }

    /// Writes EOF and the checksum (or 8 zero bytes), flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.buf.push(OPCODE_EOF);
        self.flush_buf()?;
        let crc = if self.opts.checksum { self.digest.clone().finalize() } else { 0 };
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What precedes a key's type byte in its record: expiry, LRU idle seconds, LFU counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyHead {
    pub expire_ms: Option<i64>,
    pub lru_idle: Option<u64>,
    pub lfu_freq: Option<u8>,
}

/// Appends a key record's head (EXPIRETIME_MS, IDLE, FREQ opcodes, type, key) to `out`.
fn put_key_head(out: &mut Vec<u8>, t: u8, key: &[u8], head: KeyHead, compress: bool) {
    if let Some(e) = head.expire_ms {
        out.push(OPCODE_EXPIRETIME_MS);
        out.extend_from_slice(&e.to_le_bytes());
    }
    if let Some(idle) = head.lru_idle {
        out.push(OPCODE_IDLE);
        put_len(out, idle);
    }
    if let Some(f) = head.lfu_freq {
        out.push(OPCODE_FREQ);
        out.push(f);
    }
    out.push(t);
    put_string(out, key, compress);
}

/// Appends one key record (head, key, value) to `out`, byte for byte what
/// [`RdbWriter::key_with_meta`] writes, for [`RdbWriter::raw`] to append later (records
/// serialized by another thread than the file's writer).
pub fn encode_key(out: &mut Vec<u8>, key: &[u8], head: KeyHead, value: &RdbValue, opts: &WriteOptions) -> Result<(), WriteError> {
    let (t, body) = encode_value(value, opts)?;
    put_key_head(out, t, key, head, opts.compress);
    out.extend_from_slice(&body);
    Ok(())
}

/// Appends a SELECTDB record to `out` (see [`encode_key`]).
pub fn encode_select_db(out: &mut Vec<u8>, db: u64) {
    out.push(OPCODE_SELECTDB);
    put_len(out, db);
}

#[cfg(test)]
mod encode_key_tests {
    use super::*;

    #[test]
    fn raw_records_equal_the_writers_own() {
        let opts = WriteOptions::default();
        let vals = [
            (b"k1".to_vec(), None, RdbValue::String(b"12345".to_vec())),
            (b"a-long-key-that-compresses-aaaaaaaaaaaaaaaaaaaaaaaa".to_vec(), Some(1_700_000_000_000), RdbValue::String(vec![b'x'; 300])),
            (b"s".to_vec(), None, RdbValue::Set(vec![b"1".to_vec(), b"2".to_vec()])),
        ];
        let heads = |i: usize, e: Option<i64>| KeyHead { expire_ms: e, lru_idle: (i == 1).then_some(1234), lfu_freq: (i == 2).then_some(7) };
        let mut direct = RdbWriter::new(Vec::new(), opts).expect("header");
        direct.select_db(3).expect("select");
        for (i, (k, e, v)) in vals.iter().enumerate() {
            let h = heads(i, *e);
            direct.key_with_meta(k, h.expire_ms, h.lru_idle, h.lfu_freq, v).expect("key");
        }
        let direct = direct.finish().expect("finish");
        let mut chunk = Vec::new();
        encode_select_db(&mut chunk, 3);
        for (i, (k, e, v)) in vals.iter().enumerate() {
            encode_key(&mut chunk, k, heads(i, *e), v, &opts).expect("encode");
        }
        let mut via_raw = RdbWriter::new(Vec::new(), opts).expect("header");
        via_raw.raw(&chunk).expect("raw");
        assert_eq!(via_raw.finish().expect("finish"), direct);
    }
}
