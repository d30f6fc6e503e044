//! Conversions between the server's values and the storage crate's owned RDB values.

use vk_storage::rdb::RdbValue;

use crate::db::Sds;
use crate::types::{hash::Hash, list::List, set::Set, zset::ZSet, Stream, Thresholds, Value};

fn sds(v: Vec<u8>) -> Sds {
    v.into_boxed_slice()
}

/// The value in RDB form (a copy; the snapshot writer serializes it at once).
pub fn to_rdb(v: &Value) -> RdbValue {
    match v {
        Value::Str(s) => RdbValue::String(s.to_vec()),
        Value::RawStr(s) => RdbValue::String(s.to_vec()),
        Value::List(l) => RdbValue::List(l.items.iter().map(|e| e.to_vec()).collect()),
        Value::Hash(h) => RdbValue::Hash(h.iter().map(|(f, x)| (f.to_vec(), x.to_vec())).collect()),
        Value::Set(s) => RdbValue::Set(s.members().into_iter().map(|m| m.into_vec()).collect()),
        Value::ZSet(z) => RdbValue::SortedSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
        Value::Stream(s) => RdbValue::Stream(Box::new(s.to_rdb())),
        // Callers that can fail use `try_to_rdb`; this keeps the value's type at least.
        Value::Spilled(r) => crate::spill::read_rdb(r).unwrap_or_else(|e| {
            tracing::error!("{e}");
            RdbValue::String(Vec::new())
        }),
    }
}

/// [`to_rdb`] that reports an unreadable spilled value (snapshots and AOF rewrites must fail
/// rather than write a wrong value).
pub fn try_to_rdb(v: &Value) -> Result<RdbValue, String> {
    match v {
        Value::Spilled(r) => crate::spill::read_rdb(r),
        v => Ok(to_rdb(v)),
    }
}

/// Builds a server value from an RDB value with the encodings Redis 7.2 would choose under
/// the current thresholds.
pub fn from_rdb(v: RdbValue, t: &Thresholds) -> Value {
    match v {
        RdbValue::String(s) => Value::Str(s.into()),
        RdbValue::List(items) => Value::List(crate::types::Shared::new(List::from_items(items.into_iter().map(sds), t.list_max_listpack_size))),
        RdbValue::Hash(pairs) => Value::Hash(crate::types::Shared::new(Hash::from_pairs(pairs.into_iter().map(|(f, v)| (sds(f), sds(v))).collect(), t))),
        // Per-field expiries (Valkey 9) are not supported: the fields are kept without them
        // (docs/unsupported.md).
        RdbValue::HashWithTtl(triples) => {
            let now = crate::util::now_ms();
            let pairs = triples
                .into_iter()
                .filter(|(_, _, exp)| exp.map(|e| e > now).unwrap_or(true))
                .map(|(f, v, _)| (sds(f), sds(v)))
                .collect();
            Value::Hash(crate::types::Shared::new(Hash::from_pairs(pairs, t)))
        }
        RdbValue::Set(members) => Value::Set(crate::types::Shared::new(Set::from_members(members.into_iter().map(sds).collect(), t))),
        RdbValue::SortedSet(pairs) => Value::ZSet(crate::types::Shared::new(ZSet::from_pairs(pairs.into_iter().map(|(m, s)| (sds(m), s)).collect(), t))),
        RdbValue::Stream(s) => Value::Stream(crate::types::Shared::new(Stream::from_rdb(*s))),
    }
}

/// The storage crate's thresholds from ours.
pub fn storage_thresholds(t: &Thresholds) -> vk_storage::rdb::Thresholds {
    vk_storage::rdb::Thresholds {
        hash_max_listpack_entries: t.hash_max_listpack_entries,
        hash_max_listpack_value: t.hash_max_listpack_value,
        set_max_intset_entries: t.set_max_intset_entries,
        set_max_listpack_entries: t.set_max_listpack_entries,
        set_max_listpack_value: t.set_max_listpack_value,
        zset_max_listpack_entries: t.zset_max_listpack_entries,
        zset_max_listpack_value: t.zset_max_listpack_value,
        list_max_listpack_size: t.list_max_listpack_size.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
    }
}
