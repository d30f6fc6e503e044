//! Decoding of lengths, strings and values (everything after a type byte).
//! Shared by the file reader and RESTORE payload parsing.

use std::collections::HashSet;
use std::io::Read;

use super::consts::*;
use super::encodings::{int_to_vec, intset, listpack, ziplist, zipmap, Item};
use super::error::{EncodingError, RdbError};
use super::input::Input;
use super::lzf;
use super::value::*;

/// Initial capacity for a collection whose element count comes from the file.
pub(crate) fn cap(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).min(4096)
}

impl<R: Read> Input<R> {
    /// Reads a length; returns `(value, true)` for a special string encoding.
    pub fn len_or_enc(&mut self) -> Result<(u64, bool), RdbError> {
        let b = self.u8()?;
        match b >> 6 {
            LEN_6BIT => Ok((u64::from(b & 0x3F), false)),
            LEN_14BIT => Ok(((u64::from(b & 0x3F) << 8) | u64::from(self.u8()?), false)),
            LEN_ENCVAL => Ok((u64::from(b & 0x3F), true)),
            _ => match b {
                LEN_32BIT => Ok((u64::from(u32::from_be_bytes(self.array()?)), false)),
                LEN_64BIT => Ok((u64::from_be_bytes(self.array()?), false)),
                _ => Err(self.corrupt(format!("unknown length encoding byte {b:#04x}"))),
            },
        }
    }

    pub fn len(&mut self) -> Result<u64, RdbError> {
        let at = self.offset();
        match self.len_or_enc()? {
            (v, false) => Ok(v),
            (_, true) => Err(self.corrupt_at(at, "expected a length, found an encoded string")),
        }
    }

    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        let at = self.offset();
        let (v, enc) = self.len_or_enc()?;
        if !enc {
            return self.vec(v);
        }
        match v as u8 {
            ENC_INT8 => Ok(int_to_vec(i64::from(self.u8()? as i8))),
            ENC_INT16 => Ok(int_to_vec(i64::from(i16::from_le_bytes(self.array()?)))),
            ENC_INT32 => Ok(int_to_vec(i64::from(i32::from_le_bytes(self.array()?)))),
            ENC_LZF => {
                if self.rdb_type.is_some() {
                    self.stats.lzf_strings += 1;
                }
                let clen = self.len()?;
                let len = self.len()?;
                if len > clen.saturating_mul(lzf::MAX_EXPANSION as u64) {
                    return Err(self.corrupt_at(at, format!("LZF string claims {len} bytes from {clen} compressed bytes")));
                }
                let len = usize::try_from(len).map_err(|_| self.corrupt_at(at, "LZF length too big"))?;
                // Decompressed straight from the read buffer: no copy of the compressed bytes.
                self.with_bytes(clen, |data| lzf::decompress(data, len))?.map_err(|e| self.corrupt_at(at, e.0))
            }
            other => Err(self.corrupt_at(at, format!("unknown string encoding {other}"))),
        }
    }

    /// Steps over a string (any encoding) without decoding or keeping it.
    pub fn skip_string(&mut self) -> Result<(), RdbError> {
        let at = self.offset();
        let (v, enc) = self.len_or_enc()?;
        if !enc {
            return self.skip(v);
        }
        match v as u8 {
            ENC_INT8 => self.skip(1),
            ENC_INT16 => self.skip(2),
            ENC_INT32 => self.skip(4),
            ENC_LZF => {
                let clen = self.len()?;
                let _len = self.len()?;
                self.skip(clen)
            }
            other => Err(self.corrupt_at(at, format!("unknown string encoding {other}"))),
        }
    }

    fn enc_err(&self, at: u64, what: &str, e: EncodingError) -> RdbError {
        self.corrupt_at(at, format!("{what} integrity check failed: {e}"))
    }

    /// Reads a string holding an encoded blob, returning it with its start offset.
    fn blob(&mut self) -> Result<(u64, Vec<u8>), RdbError> {
        let at = self.offset();
        Ok((at, self.string()?))
    }

    fn old_double(&mut self) -> Result<f64, RdbError> {
        let at = self.offset();
        match self.u8()? {
            ZSET_SCORE_NAN => Ok(f64::NAN),
            ZSET_SCORE_POS_INF => Ok(f64::INFINITY),
            ZSET_SCORE_NEG_INF => Ok(f64::NEG_INFINITY),
            n => {
                let b = self.vec(u64::from(n))?;
                parse_double(&b).ok_or_else(|| self.corrupt_at(at, format!("invalid score {:?}", String::from_utf8_lossy(&b))))
            }
        }
    }

    fn ms_time(&mut self) -> Result<u64, RdbError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn stream_id(&mut self) -> Result<StreamId, RdbError> {
        let ms = self.len()?;
        let seq = self.len()?;
        Ok(StreamId { ms, seq })
    }
}

/// Parses a score string the way `strtod` would for the values Redis writes.
pub(crate) fn parse_double(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?.trim();
    match s {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn item_f64(it: &Item<'_>) -> Option<f64> {
    match it {
        Item::Int(v) => Some(*v as f64),
        Item::Str(s) => parse_double(s),
    }
}

fn item_i64(it: &Item<'_>) -> Option<i64> {
    match it {
        Item::Int(v) => Some(*v),
        Item::Str(s) => super::encodings::canonical_i64(s),
    }
}

/// Checks that no element is repeated (Redis refuses duplicates in sets, hashes and zsets).
/// (Sorting references is much cheaper than hashing every element.)
fn check_unique<'a, I: IntoIterator<Item = &'a [u8]>>(it: I, n: usize) -> Result<(), String> {
    let mut v: Vec<&[u8]> = Vec::with_capacity(n);
    v.extend(it);
    v.sort_unstable();
    match v.windows(2).find(|w| w.first() == w.get(1)) {
        Some(w) => Err(format!("duplicate element {:?}", String::from_utf8_lossy(w.first().copied().unwrap_or_default()))),
        None => Ok(()),
    }
}

/// Decodes the value of type `t` that follows in `inp`.
pub(crate) fn read_value<R: Read>(inp: &mut Input<R>, t: u8, valkey: bool) -> Result<RdbValue, RdbError> {
    let start = inp.offset();
    let value = match t {
        TYPE_STRING => RdbValue::String(inp.string()?),
        TYPE_LIST | TYPE_SET => {
            let n = inp.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                v.push(inp.string()?);
            }
            if t == TYPE_LIST {
                RdbValue::List(v)
            } else {
                check_unique(v.iter().map(Vec::as_slice), v.len()).map_err(|e| inp.corrupt_at(start, format!("set: {e}")))?;
                RdbValue::Set(v)
            }
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = inp.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let m = inp.string()?;
                let at = inp.offset();
                let s = if t == TYPE_ZSET { inp.old_double()? } else { f64::from_le_bytes(inp.array()?) };
                if s.is_nan() {
                    return Err(inp.corrupt_at(at, "zset score is NaN"));
                }
                v.push((m, s));
            }
            check_unique(v.iter().map(|(m, _)| m.as_slice()), v.len()).map_err(|e| inp.corrupt_at(start, format!("zset: {e}")))?;
            RdbValue::SortedSet(v)
        }
        TYPE_HASH => {
            let n = inp.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let f = inp.string()?;
                let val = inp.string()?;
                v.push((f, val));
            }
            check_unique(v.iter().map(|(f, _)| f.as_slice()), v.len()).map_err(|e| inp.corrupt_at(start, format!("hash: {e}")))?;
            RdbValue::Hash(v)
        }
        TYPE_HASH_2 if valkey => {
            let n = inp.len()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let f = inp.string()?;
                let val = inp.string()?;
                let exp = i64::from_le_bytes(inp.array()?);
                v.push((f, val, (exp >= 0).then_some(exp)));
            }
            check_unique(v.iter().map(|(f, _, _)| f.as_slice()), v.len()).map_err(|e| inp.corrupt_at(start, format!("hash: {e}")))?;
            RdbValue::HashWithTtl(v)
        }
        TYPE_HASH_ZIPMAP => {
            let (at, b) = inp.blob()?;
            let pairs = zipmap::parse(&b).map_err(|e| inp.enc_err(at, "Zipmap", e))?;
            check_unique(pairs.iter().map(|(f, _)| f.as_slice()), pairs.len()).map_err(|e| inp.corrupt_at(at, format!("Zipmap integrity check failed: {e}")))?;
            RdbValue::Hash(pairs)
        }
        TYPE_LIST_ZIPLIST => {
            let (at, b) = inp.blob()?;
            let items = ziplist::parse(&b).map_err(|e| inp.enc_err(at, "List ziplist", e))?;
            RdbValue::List(items.iter().map(Item::to_vec).collect())
        }
        TYPE_SET_INTSET => {
            let (at, b) = inp.blob()?;
            let ints = intset::parse(&b).map_err(|e| inp.enc_err(at, "Intset", e))?;
            RdbValue::Set(ints.iter().map(|i| super::encodings::int_to_vec(*i)).collect())
        }
        TYPE_SET_LISTPACK => {
            let (at, b) = inp.blob()?;
            let items = listpack::parse(&b).map_err(|e| inp.enc_err(at, "Set listpack", e))?;
            if items.is_empty() {
                return Err(inp.corrupt_at(at, "Set listpack integrity check failed: empty listpack"));
            }
            let v: Vec<Vec<u8>> = items.iter().map(Item::to_vec).collect();
            check_unique(v.iter().map(Vec::as_slice), v.len()).map_err(|e| inp.corrupt_at(at, format!("Set listpack integrity check failed: {e}")))?;
            RdbValue::Set(v)
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let (at, b) = inp.blob()?;
            let what = if t == TYPE_ZSET_ZIPLIST { "Zset ziplist" } else { "Zset listpack" };
            let items = if t == TYPE_ZSET_ZIPLIST { ziplist::parse(&b) } else { listpack::parse(&b) }.map_err(|e| inp.enc_err(at, what, e))?;
            if items.len() % 2 != 0 {
                return Err(inp.corrupt_at(at, format!("{what} integrity check failed: odd number of elements")));
            }
            let mut v = Vec::with_capacity(items.len() / 2);
            for pair in items.chunks_exact(2) {
                if let [m, s] = pair {
                    let score = item_f64(s).filter(|x| !x.is_nan()).ok_or_else(|| inp.corrupt_at(at, format!("{what}: invalid score")))?;
                    v.push((m.to_vec(), score));
                }
            }
            check_unique(v.iter().map(|(m, _)| m.as_slice()), v.len()).map_err(|e| inp.corrupt_at(at, format!("{what} integrity check failed: {e}")))?;
            RdbValue::SortedSet(v)
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let (at, b) = inp.blob()?;
            let what = if t == TYPE_HASH_ZIPLIST { "Hash ziplist" } else { "Hash listpack" };
            let items = if t == TYPE_HASH_ZIPLIST { ziplist::parse(&b) } else { listpack::parse(&b) }.map_err(|e| inp.enc_err(at, what, e))?;
            if items.len() % 2 != 0 {
                return Err(inp.corrupt_at(at, format!("{what} integrity check failed: odd number of elements")));
            }
            let v: Vec<(Vec<u8>, Vec<u8>)> = items
                .chunks_exact(2)
                .filter_map(|p| match p {
                    [f, x] => Some((f.to_vec(), x.to_vec())),
                    _ => None,
                })
                .collect();
            check_unique(v.iter().map(|(f, _)| f.as_slice()), v.len()).map_err(|e| inp.corrupt_at(at, format!("{what} integrity check failed: {e}")))?;
            RdbValue::Hash(v)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let n = inp.len()?;
            let mut v = Vec::new();
            for _ in 0..n {
                let container = if t == TYPE_LIST_QUICKLIST_2 { inp.len()? } else { QUICKLIST_NODE_PACKED };
                let (at, b) = inp.blob()?;
                match container {
                    QUICKLIST_NODE_PLAIN => {
                        inp.stats.quicklist_plain_nodes += 1;
                        v.push(b)
                    }
                    QUICKLIST_NODE_PACKED => {
                        inp.stats.quicklist_packed_nodes += 1;
                        let items = if t == TYPE_LIST_QUICKLIST { ziplist::parse(&b) } else { listpack::parse(&b) }
                            .map_err(|e| inp.enc_err(at, "Quicklist node", e))?;
                        v.extend(items.iter().map(Item::to_vec));
                    }
                    other => return Err(inp.corrupt_at(at, format!("quicklist node has unknown container {other}"))),
                }
            }
            RdbValue::List(v)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => RdbValue::Stream(Box::new(read_stream(inp, t)?)),
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => {
            let id = inp.len()?;
            let (name, encver) = module_name(id);
            return Err(RdbError::Module { offset: start, key: inp.key.clone(), rdb_type: Some(t), module_name: name, module_id: id, encver });
        }
        _ => unreachable_type(inp, t, start)?,
    };
    Ok(value)
}

fn unreachable_type<R: Read>(inp: &Input<R>, t: u8, at: u64) -> Result<RdbValue, RdbError> {
    Err(inp.corrupt_at(at, format!("value type {t} is not valid here")))
}

/// Decodes a module type id into its 9-character name and encoding version.
pub fn module_name(id: u64) -> (String, u64) {
    let mut name = String::with_capacity(MODULE_NAME_LEN);
    for i in 0..MODULE_NAME_LEN {
        let shift = 64 - 6 * (i as u32 + 1);
        let idx = ((id >> shift) & 63) as usize;
        name.push(char::from(*MODULE_ID_CHARSET.get(idx).unwrap_or(&b'?')));
    }
    (name, id & ((1 << MODULE_ID_VERSION_BITS) - 1))
}

fn read_stream<R: Read>(inp: &mut Input<R>, t: u8) -> Result<StreamValue, RdbError> {
    let nodes = inp.len()?;
    let mut s = StreamValue::default();
    let mut prev: Option<StreamId> = None;
    for _ in 0..nodes {
        let at = inp.offset();
        let key = inp.string()?;
        let master: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| inp.corrupt_at(at, format!("stream node key is {} bytes, expected 16", key.len())))?;
        let master = StreamId::from_be_bytes(master);
        let (at, b) = inp.blob()?;
        let items = listpack::parse(&b).map_err(|e| inp.enc_err(at, "Stream listpack", e))?;
        if items.is_empty() {
            return Err(inp.corrupt_at(at, "empty listpack inside stream"));
        }
        parse_stream_node(&items, master, &mut s.entries, &mut prev).map_err(|e| inp.corrupt_at(at, format!("stream node integrity check failed: {e}")))?;
    }
    s.length = inp.len()?;
    s.last_id = inp.stream_id()?;
    if t >= TYPE_STREAM_LISTPACKS_2 {
        s.first_id = inp.stream_id()?;
        s.max_deleted_id = inp.stream_id()?;
        s.entries_added = inp.len()?;
    } else {
        // What Redis 7 does when loading an RDB 9 stream.
        s.entries_added = s.length;
        s.max_deleted_id = StreamId::ZERO;
        s.first_id = s.entries.first().map(|e| e.0).unwrap_or(StreamId::new(u64::MAX, u64::MAX));
    }
    let ngroups = inp.len()?;
    let mut groups = Vec::with_capacity(cap(ngroups));
    for _ in 0..ngroups {
        let name = inp.string()?;
        let last_id = inp.stream_id()?;
        let entries_read = if t >= TYPE_STREAM_LISTPACKS_2 {
            let v = inp.len()?;
            (v != STREAM_INVALID_ENTRIES_READ).then_some(v)
        } else {
            estimate_entries_read(&s, last_id)
        };
        let npel = inp.len()?;
        let mut pel = Vec::with_capacity(cap(npel));
        let mut pel_ids = HashSet::with_capacity(cap(npel));
        for _ in 0..npel {
            let at = inp.offset();
            let id = StreamId::from_be_bytes(inp.array()?);
            let delivery_time_ms = inp.ms_time()?;
            let delivery_count = inp.len()?;
            if !pel_ids.insert(id) {
                return Err(inp.corrupt_at(at, format!("duplicated global PEL entry {id} in group")));
            }
            pel.push(PendingEntry { id, delivery_time_ms, delivery_count });
            inp.stats.stream_pel_entries += 1;
        }
        let ncons = inp.len()?;
        let mut consumers = Vec::with_capacity(cap(ncons));
        let mut owned = HashSet::with_capacity(pel_ids.len());
        for _ in 0..ncons {
            let cname = inp.string()?;
            let seen_time_ms = inp.ms_time()?;
            let active_time_ms = if t >= TYPE_STREAM_LISTPACKS_3 { Some(inp.ms_time()?) } else { None };
            let np = inp.len()?;
            let mut pending = Vec::with_capacity(cap(np));
            for _ in 0..np {
                let at = inp.offset();
                let id = StreamId::from_be_bytes(inp.array()?);
                if !pel_ids.contains(&id) {
                    return Err(inp.corrupt_at(at, format!("consumer PEL entry {id} not found in the group's PEL")));
                }
                if !owned.insert(id) {
                    return Err(inp.corrupt_at(at, format!("PEL entry {id} owned by two consumers")));
                }
                pending.push(id);
            }
            consumers.push(StreamConsumer { name: cname, seen_time_ms, active_time_ms, pending });
        }
        groups.push(StreamGroup { name, last_id, entries_read, pel, consumers });
    }
    s.groups = groups;
    Ok(s)
}

/// Redis's `streamEstimateDistanceFromFirstEverEntry`, used for groups of RDB 9 streams.
fn estimate_entries_read(s: &StreamValue, id: StreamId) -> Option<u64> {
    if s.entries_added == 0 {
        return Some(0);
    }
    if s.length == 0 && id <= s.last_id {
        return Some(s.entries_added);
    }
    if id == s.last_id {
        return Some(s.entries_added);
    } else if id > s.last_id {
        return None;
    }
    if s.max_deleted_id == StreamId::ZERO || s.max_deleted_id < s.first_id {
        if id < s.first_id {
            return Some(s.entries_added - s.length);
        } else if id == s.first_id {
            return Some(s.entries_added - s.length + 1);
        }
    }
    None
}

fn parse_stream_node(items: &[Item<'_>], master: StreamId, out: &mut Vec<StreamEntry>, prev: &mut Option<StreamId>) -> Result<(), String> {
    let mut it = items.iter();
    let int = |it: &mut std::slice::Iter<'_, Item<'_>>, what: &str| -> Result<i64, String> {
        it.next().and_then(item_i64).ok_or_else(|| format!("missing or non-integer {what}"))
    };
    let count = int(&mut it, "entry count")?;
    let deleted = int(&mut it, "deleted count")?;
    let nmaster = int(&mut it, "master field count")?;
    let nmaster = usize::try_from(nmaster).map_err(|_| "negative master field count".to_string())?;
    if nmaster > items.len() {
        return Err("master field count larger than the node".into());
    }
    let mut master_fields = Vec::with_capacity(nmaster);
    for _ in 0..nmaster {
        master_fields.push(it.next().ok_or("node ends inside master fields")?.to_vec());
    }
    if int(&mut it, "master terminator")? != 0 {
        return Err("master entry not terminated by 0".into());
    }
    let (mut live, mut dead) = (0i64, 0i64);
    while it.len() > 0 {
        let flags = int(&mut it, "entry flags")?;
        let ms = master.ms.wrapping_add(int(&mut it, "entry ms delta")? as u64);
        let seq = master.seq.wrapping_add(int(&mut it, "entry seq delta")? as u64);
        let id = StreamId { ms, seq };
        let mut fields = Vec::new();
        let expected_lp_count = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
            for f in &master_fields {
                let v = it.next().ok_or("entry ends inside its values")?;
                fields.push((f.clone(), v.to_vec()));
            }
            nmaster as i64 + 3
        } else {
            let nf = usize::try_from(int(&mut it, "entry field count")?).map_err(|_| "negative field count".to_string())?;
            if nf > items.len() {
                return Err("entry field count larger than the node".into());
            }
            for _ in 0..nf {
                let f = it.next().ok_or("entry ends inside its fields")?;
                let v = it.next().ok_or("entry ends inside its values")?;
                fields.push((f.to_vec(), v.to_vec()));
            }
            2 * nf as i64 + 4
        };
        if int(&mut it, "entry lp-count")? != expected_lp_count {
            return Err(format!("entry {id} has a wrong lp-count"));
        }
        if flags & STREAM_ITEM_FLAG_DELETED != 0 {
            dead += 1;
            continue;
        }
        live += 1;
        if prev.is_some_and(|p| p >= id) {
            return Err(format!("entry {id} is not after the previous entry"));
        }
        *prev = Some(id);
        out.push((id, fields));
    }
    if live != count || dead != deleted {
        return Err(format!("node header says {count} live and {deleted} deleted entries, found {live} and {dead}"));
    }
    Ok(())
}
