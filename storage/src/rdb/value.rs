//! The owned value model shared by the reader, the writer, DUMP/RESTORE and the tools.

/// A stream entry ID `ms-seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };

    pub fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The 16-byte big-endian form used as radix-tree keys and in PELs.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        let (hi, lo) = b.split_at_mut(8);
        hi.copy_from_slice(&self.ms.to_be_bytes());
        lo.copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_be_bytes(b: [u8; 16]) -> Self {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        let (hi, lo) = b.split_at(8);
        ms.copy_from_slice(hi);
        seq.copy_from_slice(lo);
        StreamId { ms: u64::from_be_bytes(ms), seq: u64::from_be_bytes(seq) }
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// A pending (delivered, not acknowledged) entry of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    pub id: StreamId,
    pub delivery_time_ms: u64,
    pub delivery_count: u64,
}

/// A consumer of a group; `pending` lists the IDs of the group PEL it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumer {
    pub name: Vec<u8>,
    pub seen_time_ms: u64,
    /// Only stored by RDB 11+ (`STREAM_LISTPACKS_3`); `None` when the file has no such field.
    pub active_time_ms: Option<u64>,
    pub pending: Vec<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// `None` = `SCG_INVALID_ENTRIES_READ` (the server does not know).
    pub entries_read: Option<u64>,
    pub pel: Vec<PendingEntry>,
    pub consumers: Vec<StreamConsumer>,
}

/// One stream entry: ID and field/value pairs.
pub type StreamEntry = (StreamId, Vec<(Vec<u8>, Vec<u8>)>);

/// A stream with its metadata and consumer groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamValue {
    /// In ID order, deleted entries omitted.
    pub entries: Vec<StreamEntry>,
    /// Number of live entries (as stored in the file; equals `entries.len()` in a sane file).
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: Vec<StreamGroup>,
}

/// A value as stored in an RDB file, decoded to plain owned data.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    String(Vec<u8>),
    /// Head first.
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    /// Any order on write; the reader returns file order.
    SortedSet(Vec<(Vec<u8>, f64)>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Stream(Box<StreamValue>),
    /// Valkey 9 hash with per-field expiry (type 22): field, value, absolute expiry in ms.
    HashWithTtl(Vec<(Vec<u8>, Vec<u8>, Option<i64>)>),
}

impl RdbValue {
    /// What `TYPE` answers for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbValue::String(_) => "string",
            RdbValue::List(_) => "list",
            RdbValue::Set(_) => "set",
            RdbValue::SortedSet(_) => "zset",
            RdbValue::Hash(_) | RdbValue::HashWithTtl(_) => "hash",
            RdbValue::Stream(_) => "stream",
        }
    }

    /// True for a collection without elements: Redis skips such keys when loading
    /// (and `redis-check-rdb` reports them). Strings and streams are never "empty".
    pub fn is_empty_collection(&self) -> bool {
        match self {
            RdbValue::String(_) | RdbValue::Stream(_) => false,
            RdbValue::List(v) | RdbValue::Set(v) => v.is_empty(),
            RdbValue::SortedSet(v) => v.is_empty(),
            RdbValue::Hash(v) => v.is_empty(),
            RdbValue::HashWithTtl(v) => v.is_empty(),
        }
    }
}
