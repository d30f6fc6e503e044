//! Streaming RDB file reader.

use std::io::Read;

use super::consts::*;
use super::decode::{module_name, read_value};
use super::error::{KeyName, RdbError};
use super::input::{Input, ReadStats};
use super::value::RdbValue;

/// Options of [`RdbReader`].
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Verify the CRC-64 at the end (a stored zero always means "not computed").
    pub verify_checksum: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { verify_checksum: true }
    }
}

/// Which header the file had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    Redis,
    Valkey,
}

/// What the trailer of the file said about the checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// RDB < 5: no checksum in the format.
    Absent,
    /// Stored as 0: the writer had `rdbchecksum no`.
    NotComputed,
    /// Present and verified.
    Verified(u64),
    /// Present, not verified (verification turned off).
    Unverified(u64),
}

/// A key and its value with the metadata that preceded it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyEntry {
    pub db: u64,
    pub key: Vec<u8>,
    pub value: RdbValue,
    /// Absolute expiry in Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (`IDLE` opcode).
    pub lru_idle: Option<u64>,
    /// LFU counter (`FREQ` opcode).
    pub lfu_freq: Option<u8>,
    /// The on-disk value type byte (`consts::TYPE_*`), i.e. the encoding it had.
    pub rdb_type: u8,
    /// An empty collection: Redis skips such keys on load, `redis-check-rdb` reports them.
    pub empty: bool,
    /// Offset of the key's type byte in the file.
    pub offset: u64,
}

/// One item of module auxiliary data (self-described with `RDB_MODULE_OPCODE_*`).
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleItem {
    SInt(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    String(Vec<u8>),
}

/// Something read from an RDB file.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbEvent {
    Aux { key: Vec<u8>, value: Vec<u8> },
    SelectDb(u64),
    ResizeDb { db_size: u64, expires_size: u64 },
    Key(KeyEntry),
    /// A function library's source (`FUNCTION2`).
    Function(Vec<u8>),
    /// A key whose value is module data (`RDB_TYPE_MODULE_2`), stepped over thanks to its
    /// self-description. Only returned after [`RdbReader::skip_module_values`]; otherwise such
    /// a value is an [`RdbError::Module`].
    ModuleValue {
        db: u64,
        key: Vec<u8>,
        module_id: u64,
        /// The module type's 9-character name (decoded from the id as Redis does).
        module_name: String,
        encver: u64,
        expire_ms: Option<i64>,
        /// Offset of the key's type byte.
        offset: u64,
        /// Self-described items the value held (their contents are not kept).
        items: u64,
    },
    /// Module auxiliary data (`MODULE_AUX`), skipped safely thanks to its self-description.
    ModuleAux { module_id: u64, module_name: String, encver: u64, when: u64, items: Vec<ModuleItem> },
    /// Redis 7.4-style `SLOT_INFO` opcode (slot sizes hint).
    SlotInfo { slot_id: u64, slot_size: u64, expires_slot_size: u64 },
    Eof { checksum: Checksum },
}

/// Streaming reader of an RDB file: yields [`RdbEvent`]s, tracks the offset and
/// computes the CRC-64 on the fly. Memory use is bounded by the largest value.
pub struct RdbReader<R> {
    input: Input<R>,
    version: u16,
    magic: Magic,
    db: u64,
    done: bool,
    failed: bool,
    opts: ReadOptions,
    skip_module_values: bool,
}

fn parse_digits(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

impl RdbReader<std::fs::File> {
    /// Opens a file and reads its header (the reader buffers itself: no `BufReader` needed).
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self, RdbError> {
        Self::new(std::fs::File::open(path)?)
    }
}

impl<R: Read> RdbReader<R> {
    /// Reads and checks the header. `r` needs no buffering: the reader pulls 64 KiB chunks.
    pub fn new(r: R) -> Result<Self, RdbError> {
        Self::with_options(r, ReadOptions::default())
    }

    pub fn with_options(r: R, opts: ReadOptions) -> Result<Self, RdbError> {
        let mut input = Input::new(r);
        let mut h = [0u8; HEADER_LEN];
        input.exact(&mut h).map_err(|e| match e {
            RdbError::UnexpectedEof { .. } => RdbError::BadMagic { found: String::from_utf8_lossy(&h).into_owned() },
            e => e,
        })?;
        let bad = || RdbError::BadMagic { found: h.escape_ascii().to_string() };
        let (magic, version) = if let Some(d) = h.strip_prefix(MAGIC_VALKEY.as_slice()) {
            let v = parse_digits(d).ok_or_else(bad)?;
            if v != u32::from(VALKEY_VERSION_80) {
                return Err(RdbError::UnsupportedVersion { version: v, offset: MAGIC_VALKEY.len() as u64 });
            }
            (Magic::Valkey, VALKEY_VERSION_80)
        } else if let Some(d) = h.strip_prefix(MAGIC_REDIS.as_slice()) {
            let v = parse_digits(d).ok_or_else(bad)?;
            if !(u32::from(MIN_VERSION)..=u32::from(MAX_REDIS_VERSION)).contains(&v) {
                return Err(RdbError::UnsupportedVersion { version: v, offset: MAGIC_REDIS.len() as u64 });
            }
            (Magic::Redis, v as u16)
        } else {
            return Err(bad());
        };
        Ok(RdbReader { input, version, magic, db: 0, done: false, failed: false, opts, skip_module_values: false })
    }

    /// Step over module values (`RDB_TYPE_MODULE_2`, self-described) and report each as
    /// [`RdbEvent::ModuleValue`] instead of failing with [`RdbError::Module`]. Values in the
    /// pre-release module format (type 6) carry no self-description and still fail.
    pub fn skip_module_values(&mut self, on: bool) {
        self.skip_module_values = on;
    }

    pub fn version(&self) -> u16 {
        self.version
    }

    pub fn magic(&self) -> Magic {
        self.magic
    }

    /// Offset of the next byte to be read.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// Structural counters so far (LZF strings, quicklist node kinds, PEL entries, empty keys).
    pub fn stats(&self) -> ReadStats {
        self.input.stats
    }

    /// Database of the keys being read.
    pub fn current_db(&self) -> u64 {
        self.db
    }

    /// Bytes buffered but not consumed (data after the EOF trailer) and the inner reader.
    pub fn into_inner(self) -> (Vec<u8>, R) {
        self.input.into_rest()
    }

    /// Next event; `Ok(None)` after [`RdbEvent::Eof`].
    pub fn next_event(&mut self) -> Result<Option<RdbEvent>, RdbError> {
        if self.done || self.failed {
            return Ok(None);
        }
        let r = self.next_inner();
        match &r {
            Err(_) => self.failed = true,
            Ok(Some(RdbEvent::Eof { .. })) => self.done = true,
            _ => {}
        }
        r
    }

    fn next_inner(&mut self) -> Result<Option<RdbEvent>, RdbError> {
        let inp = &mut self.input;
        let mut expire_ms: Option<i64> = None;
        let mut lru_idle = None;
        let mut lfu_freq = None;
        loop {
            inp.key = None;
            inp.rdb_type = None;
            let at = inp.offset();
            let op = inp.u8()?;
            match op {
                OPCODE_EXPIRETIME_MS => expire_ms = Some(i64::from_le_bytes(inp.array()?)),
                OPCODE_EXPIRETIME => expire_ms = Some(i64::from(i32::from_le_bytes(inp.array()?)) * 1000),
                OPCODE_IDLE => lru_idle = Some(inp.len()?),
                OPCODE_FREQ => lfu_freq = Some(inp.u8()?),
                OPCODE_SELECTDB => {
                    self.db = inp.len()?;
                    return Ok(Some(RdbEvent::SelectDb(self.db)));
                }
                OPCODE_RESIZEDB => {
                    let db_size = inp.len()?;
                    let expires_size = inp.len()?;
                    return Ok(Some(RdbEvent::ResizeDb { db_size, expires_size }));
                }
                OPCODE_AUX => {
                    let key = inp.string()?;
                    let value = inp.string()?;
                    return Ok(Some(RdbEvent::Aux { key, value }));
                }
                OPCODE_FUNCTION2 => return Ok(Some(RdbEvent::Function(inp.string()?))),
                OPCODE_SLOT_INFO => {
                    let slot_id = inp.len()?;
                    let slot_size = inp.len()?;
                    let expires_slot_size = inp.len()?;
                    return Ok(Some(RdbEvent::SlotInfo { slot_id, slot_size, expires_slot_size }));
                }
                OPCODE_MODULE_AUX => {
                    let module_id = inp.len()?;
                    let (module_name, encver) = module_name(module_id);
                    let when_op = inp.len()?;
                    if when_op != 2 {
                        return Err(inp.corrupt_at(at, format!("module '{module_name}' aux data: bad 'when' opcode {when_op}")));
                    }
                    let when = inp.len()?;
                    let items = read_module_items(inp, &module_name)?;
                    return Ok(Some(RdbEvent::ModuleAux { module_id, module_name, encver, when, items }));
                }
                OPCODE_EOF => {
                    let checksum = if self.version >= MIN_CHECKSUM_VERSION {
                        let computed = inp.crc_now();
                        let stored = u64::from_le_bytes(inp.array()?);
                        if stored == 0 {
                            Checksum::NotComputed
                        } else if !self.opts.verify_checksum {
                            Checksum::Unverified(stored)
                        } else if stored != computed {
                            return Err(RdbError::ChecksumMismatch { expected: computed, got: stored });
                        } else {
                            Checksum::Verified(stored)
                        }
                    } else {
                        Checksum::Absent
                    };
                    return Ok(Some(RdbEvent::Eof { checksum }));
                }
                OPCODE_FUNCTION_PRE_GA => {
                    // Redis 7.0 GA refuses it too ("Pre-GA function format not supported").
                    return Err(inp.corrupt_at(at, "function library in the pre-GA format of Redis 7.0 RC1/RC2 (opcode 246) is not supported"));
                }
                t if is_value_type(t, self.magic) => {
                    inp.rdb_type = Some(t);
                    let key = inp.string()?;
                    inp.key = Some(KeyName(key));
                    if t == TYPE_MODULE_2 && self.skip_module_values {
                        let module_id = inp.len()?;
                        let (module_name, encver) = module_name(module_id);
                        let items = skip_module_items(inp, &module_name)?;
                        let key = inp.key.take().map(|k| k.0).unwrap_or_default();
                        inp.rdb_type = None;
                        return Ok(Some(RdbEvent::ModuleValue { db: self.db, key, module_id, module_name, encver, expire_ms, offset: at, items }));
                    }
                    let value = read_value(inp, t, self.magic == Magic::Valkey)?;
                    let key = inp.key.take().map(|k| k.0).unwrap_or_default();
                    inp.rdb_type = None;
                    let empty = value.is_empty_collection();
                    inp.stats.empty_keys += u64::from(empty);
                    return Ok(Some(RdbEvent::Key(KeyEntry { db: self.db, key, value, expire_ms, lru_idle, lfu_freq, rdb_type: t, empty, offset: at })));
                }
                t if t >= OPCODE_SLOT_INFO - 2 => {
                    return Err(RdbError::UnknownOpcode { opcode: t, offset: at, version: self.version });
                }
                t => {
                    return Err(RdbError::UnknownType { type_byte: t, offset: at, version: self.version, key: None });
                }
            }
        }
    }
}

fn is_value_type(t: u8, magic: Magic) -> bool {
    match t {
        TYPE_STRING..=TYPE_MODULE_2 | TYPE_HASH_ZIPMAP..=TYPE_STREAM_LISTPACKS_3 => true,
        TYPE_HASH_2 => magic == Magic::Valkey,
        _ => false,
    }
}

fn read_module_items<R: Read>(inp: &mut Input<R>, name: &str) -> Result<Vec<ModuleItem>, RdbError> {
    let mut items = Vec::new();
    loop {
        let at = inp.offset();
        match inp.len()? {
            MODULE_OPCODE_EOF => return Ok(items),
            MODULE_OPCODE_SINT => items.push(ModuleItem::SInt(inp.len()? as i64)),
            MODULE_OPCODE_UINT => items.push(ModuleItem::UInt(inp.len()?)),
            MODULE_OPCODE_FLOAT => items.push(ModuleItem::Float(f32::from_le_bytes(inp.array()?))),
            MODULE_OPCODE_DOUBLE => items.push(ModuleItem::Double(f64::from_le_bytes(inp.array()?))),
            MODULE_OPCODE_STRING => items.push(ModuleItem::String(inp.string()?)),
            op => return Err(inp.corrupt_at(at, format!("module '{name}' data: unknown opcode {op}"))),
        }
    }
}

/// Steps over the self-described items of a module value up to its EOF opcode, without keeping
/// them (a module value can be large); returns how many items there were.
fn skip_module_items<R: Read>(inp: &mut Input<R>, name: &str) -> Result<u64, RdbError> {
    let mut n = 0u64;
    loop {
        let at = inp.offset();
        match inp.len()? {
            MODULE_OPCODE_EOF => return Ok(n),
            MODULE_OPCODE_SINT | MODULE_OPCODE_UINT => {
                inp.len()?;
            }
            MODULE_OPCODE_FLOAT => {
                inp.array::<4>()?;
            }
            MODULE_OPCODE_DOUBLE => {
                inp.array::<8>()?;
            }
            MODULE_OPCODE_STRING => inp.skip_string()?,
            op => return Err(inp.corrupt_at(at, format!("module '{name}' value: unknown opcode {op} (not a self-described module value)"))),
        }
        n += 1;
    }
}

impl<R: Read> Iterator for RdbReader<R> {
    type Item = Result<RdbEvent, RdbError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::rdb::crc64;

    /// A module id as Redis's `moduleTypeEncodeId` makes it: 9 characters of 6 bits, then 10
    /// bits of encoding version.
    fn module_id(name: &[u8; 9], encver: u64) -> u64 {
        let mut v = 0u64;
        for c in name {
            let idx = MODULE_ID_CHARSET.iter().position(|x| x == c).unwrap() as u64;
            v = (v << 6) | idx;
        }
        (v << 10) | encver
    }

    fn len(out: &mut Vec<u8>, n: u64) {
        if n < 64 {
            out.push(n as u8);
        } else {
            out.push(LEN_64BIT);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// db 0: `a` = "1", `m` = a module value of `name` (with an expiry), `z` = "2"; then EOF + CRC.
    fn file_with_module_value(t: u8, name: &[u8; 9]) -> Vec<u8> {
        let mut f = b"REDIS0011".to_vec();
        f.extend_from_slice(&[OPCODE_SELECTDB, 0, OPCODE_RESIZEDB, 3, 1]);
        f.extend_from_slice(&[TYPE_STRING, 1, b'a', 1, b'1']);
        f.push(OPCODE_EXPIRETIME_MS);
        f.extend_from_slice(&4_102_444_800_000i64.to_le_bytes());
        f.extend_from_slice(&[t, 1, b'm']);
        len(&mut f, module_id(name, 3));
        if t == TYPE_MODULE_2 {
            f.extend_from_slice(&[MODULE_OPCODE_SINT as u8, 5]);
            f.extend_from_slice(&[MODULE_OPCODE_UINT as u8, 0x40, 0x10]); // 14-bit length 16
            f.push(MODULE_OPCODE_FLOAT as u8);
            f.extend_from_slice(&1.5f32.to_le_bytes());
            f.push(MODULE_OPCODE_DOUBLE as u8);
            f.extend_from_slice(&2.5f64.to_le_bytes());
            f.extend_from_slice(&[MODULE_OPCODE_STRING as u8, 3, b'a', b'b', b'c']);
            f.extend_from_slice(&[MODULE_OPCODE_STRING as u8, 0xC0, 7]); // int-encoded string
            // An LZF string: "aaaaaaaaaa" (a literal, then a back reference of 9).
            f.extend_from_slice(&[MODULE_OPCODE_STRING as u8, 0xC3, 5, 10, 0, b'a', 0xE0, 0x00, 0x00]);
            f.push(MODULE_OPCODE_EOF as u8);
        } else {
            // Type 6: the module's own format, no self-description.
            f.extend_from_slice(&[1, 2, 3, 4]);
        }
        f.extend_from_slice(&[TYPE_STRING, 1, b'z', 1, b'2']);
        f.push(OPCODE_EOF);
        let crc = crc64(&f);
        f.extend_from_slice(&crc.to_le_bytes());
        f
    }

    fn keys(evs: &[RdbEvent]) -> Vec<Vec<u8>> {
        evs.iter()
            .filter_map(|e| match e {
                RdbEvent::Key(k) => Some(k.key.clone()),
                _ => None,
            })
            .collect()
    }

    /// Hands out one byte per `read`: every multi-byte run straddles a buffer refill.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(o)) => {
                    *o = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn lzf_strings_read_the_same_whatever_the_buffering() {
        use crate::rdb::{RdbWriter, WriteOptions};
        let mut w = RdbWriter::new(Vec::new(), WriteOptions::default()).unwrap();
        w.select_db(0).unwrap();
        let values: Vec<Vec<u8>> = (0..40usize).map(|i| format!("{}-{}", "abc".repeat(i * 997 % 30000 + 7), i).into_bytes()).collect();
        for (i, v) in values.iter().enumerate() {
            w.key(format!("k{i}").as_bytes(), None, &RdbValue::String(v.clone())).unwrap();
        }
        let file = w.finish().unwrap();
        let read = |evs: Vec<RdbEvent>| -> Vec<Vec<u8>> {
            evs.into_iter()
                .filter_map(|e| match e {
                    RdbEvent::Key(KeyEntry { value: RdbValue::String(v), .. }) => Some(v),
                    _ => None,
                })
                .collect()
        };
        let mut r = RdbReader::new(&file[..]).unwrap();
        let buffered: Vec<RdbEvent> = r.by_ref().map(|e| e.unwrap()).collect();
        assert!(r.stats().lzf_strings >= 30, "{:?}", r.stats());
        let trickled: Vec<RdbEvent> = RdbReader::new(Trickle(&file)).unwrap().map(|e| e.unwrap()).collect();
        assert_eq!(read(buffered), values);
        assert_eq!(read(trickled), values);
    }

    #[test]
    fn module_value_skipped_across_refills() {
        let f = file_with_module_value(TYPE_MODULE_2, b"ReJSON-RL");
        let mut r = RdbReader::new(Trickle(&f)).unwrap();
        r.skip_module_values(true);
        let evs: Vec<RdbEvent> = r.map(|e| e.unwrap()).collect();
        assert_eq!(keys(&evs), vec![b"a".to_vec(), b"z".to_vec()]);
        assert!(matches!(evs.last(), Some(RdbEvent::Eof { checksum: Checksum::Verified(_) })));
    }

    #[test]
    fn module_id_decodes_like_redis() {
        let (name, encver) = module_name(module_id(b"ReJSON-RL", 3));
        assert_eq!((name.as_str(), encver), ("ReJSON-RL", 3));
        let (name, encver) = module_name(module_id(b"MBbloom--", 1023));
        assert_eq!((name.as_str(), encver), ("MBbloom--", 1023));
    }

    #[test]
    fn module_value_is_refused_by_default() {
        let f = file_with_module_value(TYPE_MODULE_2, b"ReJSON-RL");
        let mut r = RdbReader::new(&f[..]).unwrap();
        let mut seen = Vec::new();
        let err = loop {
            match r.next_event() {
                Ok(Some(ev)) => seen.push(ev),
                Ok(None) => panic!("read past a module value"),
                Err(e) => break e,
            }
        };
        assert_eq!(keys(&seen), vec![b"a".to_vec()]);
        match &err {
            RdbError::Module { module_name, encver, key, rdb_type, .. } => {
                assert_eq!((module_name.as_str(), *encver, *rdb_type), ("ReJSON-RL", 3, Some(TYPE_MODULE_2)));
                assert_eq!(key.as_ref().unwrap().0, b"m");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("'ReJSON-RL'"), "{err}");
        // After an error the reader stops.
        assert!(r.next_event().unwrap().is_none());
    }

    #[test]
    fn module_value_is_skipped_on_request() {
        let f = file_with_module_value(TYPE_MODULE_2, b"ReJSON-RL");
        let mut r = RdbReader::new(&f[..]).unwrap();
        r.skip_module_values(true);
        let evs: Vec<RdbEvent> = r.by_ref().map(|e| e.unwrap()).collect();
        assert_eq!(keys(&evs), vec![b"a".to_vec(), b"z".to_vec()]);
        let m: Vec<&RdbEvent> = evs.iter().filter(|e| matches!(e, RdbEvent::ModuleValue { .. })).collect();
        match m.as_slice() {
            [RdbEvent::ModuleValue { db, key, module_name, encver, expire_ms, items, module_id: id, .. }] => {
                assert_eq!((*db, key.as_slice(), module_name.as_str(), *encver), (0, &b"m"[..], "ReJSON-RL", 3));
                assert_eq!(*expire_ms, Some(4_102_444_800_000));
                assert_eq!(*items, 7);
                assert_eq!(*id, module_id(b"ReJSON-RL", 3));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(evs.last(), Some(RdbEvent::Eof { checksum: Checksum::Verified(_) })));
        // The key after the module value starts a fresh set of metadata (no expiry carried over).
        let z = evs.iter().find_map(|e| match e {
            RdbEvent::Key(k) if k.key == b"z" => Some(k),
            _ => None,
        });
        assert_eq!(z.unwrap().expire_ms, None);
    }

    #[test]
    fn pre_release_module_value_cannot_be_skipped() {
        let f = file_with_module_value(TYPE_MODULE_PRE_GA, b"ReJSON-RL");
        let mut r = RdbReader::new(&f[..]).unwrap();
        r.skip_module_values(true);
        let err = r.find_map(|e| e.err()).unwrap();
        assert!(matches!(err, RdbError::Module { rdb_type: Some(TYPE_MODULE_PRE_GA), .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("'ReJSON-RL'") && msg.contains("cannot be skipped"), "{msg}");
    }

    #[test]
    fn damaged_module_value_is_an_error_not_a_misread() {
        let good = file_with_module_value(TYPE_MODULE_2, b"ReJSON-RL");
        // Every truncation fails cleanly (EOF or corrupt), never panics or yields the next key.
        for cut in 10..good.len() - 1 {
            let mut r = RdbReader::new(&good[..cut]).unwrap();
            r.skip_module_values(true);
            let res: Result<Vec<RdbEvent>, RdbError> = r.collect();
            assert!(res.is_err(), "cut at {cut} read fine");
        }
        // An unknown opcode inside the value is reported with the module's name.
        let mut bad = good.clone();
        let at = bad.windows(2).position(|w| w == [MODULE_OPCODE_SINT as u8, 5]).unwrap();
        bad[at] = 9;
        let mut r = RdbReader::new(&bad[..]).unwrap();
        r.skip_module_values(true);
        let err = r.find_map(|e| e.err()).unwrap();
        assert!(err.to_string().contains("module 'ReJSON-RL' value: unknown opcode 9"), "{err}");
        assert_eq!(err.key(), Some(&b"m"[..]));
    }
}
