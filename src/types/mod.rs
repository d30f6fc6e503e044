//! In-memory value types. Each collection keeps the *encoding* Redis 7.2 would use for it
//! (listpack, intset, hashtable, skiplist, quicklist) with the same conversion thresholds and
//! the same one-way conversions, so OBJECT ENCODING answers as Redis does and small collections
//! stay compact (and keep Redis's element order, e.g. HGETALL of a small hash).

pub mod build;
pub mod compact;
pub mod hash;
pub mod hll;
pub mod geohash;
pub mod list;
pub mod set;
pub mod stream;
pub mod zset;

pub use compact::{CompactStr, Shared};
pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

#[derive(Clone, Debug)]
pub enum Value {
    /// A string as SET and friends store it: reported as `int`, `embstr` or `raw` by its content.
    /// Stored inline in the keyspace entry when short (no allocation), shared when long.
    Str(CompactStr),
    /// A string grown in place (APPEND, SETRANGE, SETBIT...): always reported as `raw`.
    RawStr(Shared<Vec<u8>>),
    // Values that can be big are shared (`Arc`) so that copying a keyspace segment for a
    // snapshot only copies pointers; mutable access (`DerefMut`) copies a value still shared.
    List(Shared<List>),
    Hash(Shared<Hash>),
    Set(Shared<Set>),
    ZSet(Shared<ZSet>),
    Stream(Shared<Stream>),
    /// A cold value moved to a spill segment (`crate::spill`): only its location, type and
    /// encoding stay in memory. Commands see it loaded back (`spill::prepare_keys`).
    Spilled(std::sync::Arc<crate::spill::SpillRef>),
}

impl Value {
    pub fn from_bytes(b: &[u8]) -> Value {
        Value::Str(CompactStr::new(b))
    }

    pub fn from_int(i: i64) -> Value {
        let mut buf = itoa::Buffer::new();
        Value::Str(CompactStr::new(buf.format(i).as_bytes()))
    }

    /// Whether both are handles on the same shared value (e.g. one key read twice). Short
    /// strings are stored by value, so two of them are never the same object.
    pub fn same_object(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(CompactStr::Heap(a)), Value::Str(CompactStr::Heap(b))) => std::sync::Arc::ptr_eq(a, b),
            (Value::RawStr(a), Value::RawStr(b)) => Shared::ptr_eq(a, b),
            (Value::List(a), Value::List(b)) => Shared::ptr_eq(a, b),
            (Value::Hash(a), Value::Hash(b)) => Shared::ptr_eq(a, b),
            (Value::Set(a), Value::Set(b)) => Shared::ptr_eq(a, b),
            (Value::ZSet(a), Value::ZSet(b)) => Shared::ptr_eq(a, b),
            (Value::Stream(a), Value::Stream(b)) => Shared::ptr_eq(a, b),
            (Value::Spilled(a), Value::Spilled(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The bytes of a string value.
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            Value::RawStr(v) => Some(v),
            _ => None,
        }
    }

    /// What TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) | Value::RawStr(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
            Value::Spilled(r) => r.type_name,
        }
    }

    /// What OBJECT ENCODING answers.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => {
                if s.len() <= 20 && crate::util::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= EMBSTR_MAX {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::RawStr(_) => "raw",
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
            Value::Spilled(r) => r.encoding,
        }
    }

    /// Approximate heap size in bytes, for memory accounting (MEMORY USAGE, spill decisions).
    pub fn approx_size(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::RawStr(v) => v.capacity(),
            Value::List(l) => l.approx_size(),
            Value::Hash(h) => h.approx_size(),
            Value::Set(s) => s.approx_size(),
            Value::ZSet(z) => z.approx_size(),
            Value::Stream(s) => s.approx_size(),
            Value::Spilled(_) => std::mem::size_of::<crate::spill::SpillRef>(),
        }
    }
}

/// Encoding thresholds from the configuration (CONFIG SET changes them at run time).
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size`: negative = size class (-1 = 4 KiB ... -5 = 64 KiB), positive = entries.
    pub list_max_listpack_size: i64,
    pub list_compress_depth: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
        }
    }
}
