//! Building values from complete contents (RDB loading, RESTORE), choosing the encoding Redis
//! 7.2 would give a value of that content under the current thresholds.

use super::hash::Hash;
use super::set::Set;
use super::zset::{OrdF64, ZSet};
use super::Thresholds;
use crate::db::Sds;

/// Bytes a listpack entry of `len` bytes takes (encoding header + data + backlen), roughly as
/// Redis computes it; integers are counted as small.
pub fn listpack_entry_size(e: &[u8]) -> usize {
    if e.len() <= 20 && crate::util::parse_i64(e).is_some() {
        return 1 + 8 + 1;
    }
    let hdr = if e.len() < 64 {
        1
    } else if e.len() < 4096 {
        2
    } else {
        5
    };
    let total = hdr + e.len();
    total + if total < 128 { 1 } else if total < 16384 { 2 } else { 3 }
}

/// Whether a list of these elements fits one listpack under `list-max-listpack-size`.
pub fn list_fits_listpack<'a>(items: impl Iterator<Item = &'a [u8]>, count: usize, fill: i64) -> bool {
    if fill >= 0 {
        let fill = fill.max(1) as usize;
        if count > fill {
            return false;
        }
        // Positive fills are still bound by the 8 KiB safety limit.
        let bytes: usize = 7 + items.map(listpack_entry_size).sum::<usize>();
        return bytes <= 8192;
    }
    let limit = 4096usize << ((-fill).clamp(1, 5) - 1);
    let mut bytes = 7;
    for e in items {
        bytes += listpack_entry_size(e);
        if bytes > limit {
            return false;
        }
    }
    true
}

impl Hash {
    pub fn from_pairs(pairs: Vec<(Sds, Sds)>, t: &Thresholds) -> Hash {
        let small = pairs.len() <= t.hash_max_listpack_entries
            && pairs.iter().all(|(f, v)| f.len() <= t.hash_max_listpack_value && v.len() <= t.hash_max_listpack_value);
        if small {
            Hash::Listpack(pairs)
        } else {
            Hash::Table(pairs.into_iter().collect())
        }
    }
}

impl Set {
    pub fn from_members(members: Vec<Sds>, t: &Thresholds) -> Set {
        if members.len() <= t.set_max_intset_entries {
            let ints: Option<Vec<i64>> = members.iter().map(|m| crate::util::parse_i64(m)).collect();
            if let Some(mut v) = ints {
                v.sort_unstable();
                v.dedup();
                return Set::Intset(v);
            }
        }
        if members.len() <= t.set_max_listpack_entries && members.iter().all(|m| m.len() <= t.set_max_listpack_value) {
            return Set::Listpack(members);
        }
        Set::Table(members.into_iter().collect())
    }
}

impl ZSet {
    /// A sorted set of these (member, score) pairs, in any order, with the encoding Redis
    /// would give it.
    pub fn from_pairs(mut pairs: Vec<(Sds, f64)>, t: &Thresholds) -> ZSet {
        pairs.sort_by(|a, b| OrdF64(a.1).cmp(&OrdF64(b.1)).then_with(|| a.0.cmp(&b.0)));
        ZSet::from_sorted(pairs, t)
    }
}
