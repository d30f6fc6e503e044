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
