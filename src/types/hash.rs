//! Hashes: a field/value vector in insertion order while small (`listpack`), a hash table
//! past `hash-max-listpack-entries` / `hash-max-listpack-value` (never converted back).
//!
//! The rules follow Redis 7.2's `t_hash.c`:
//! - before a write that brings new strings, [`Hash::try_conversion`] converts a listpack to a
//!   table when any of them is longer than `hash-max-listpack-value`, or when the number of
//!   field/value pairs written at once exceeds `hash-max-listpack-entries`;
//! - after an insertion, a listpack longer than `hash-max-listpack-entries` is converted;
//! - a listpack keeps insertion order: an updated field keeps its place, a new one goes last,
//!   deletions close the gap.

use hashbrown::HashMap;

use crate::db::Sds;
use crate::types::Thresholds;

#[derive(Clone, Debug)]
pub enum Hash {
    Listpack(Vec<(Sds, Sds)>),
    Table(HashMap<Sds, Sds>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(m) => m.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(v) => v.iter().find(|(f, _)| &f[..] == field).map(|(_, x)| &x[..]),
            Hash::Table(m) => m.get(field).map(|x| &x[..]),
        }
    }

    /// Whether `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// (field, value) pairs in the hash's order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, x)| (&f[..], &x[..]))),
            Hash::Table(m) => Box::new(m.iter().map(|(f, x)| (&f[..], &x[..]))),
        }
    }

    /// The pair at position `i` of [`Hash::iter`] order (O(1) for a listpack).
    pub fn nth(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(v) => v.get(i).map(|(f, x)| (&f[..], &x[..])),
            Hash::Table(m) => m.iter().nth(i).map(|(f, x)| (&f[..], &x[..])),
        }
    }

    /// Converts a listpack to a table (no-op for a table).
    pub fn convert_to_table(&mut self) {
        if let Hash::Listpack(v) = self {
            let mut m = HashMap::with_capacity(v.len());
            for (f, x) in std::mem::take(v) {
                m.insert(f, x);
            }
            *self = Hash::Table(m);
        }
    }

    /// Redis's `hashTypeTryConversion`: called before writing the strings `args` (alternating
    /// fields and values, `pairs` of them): converts a listpack when the pairs alone exceed the
    /// entry limit or any string exceeds the value limit.
    pub fn try_conversion<B: AsRef<[u8]>>(&mut self, args: &[B], th: &Thresholds) {
        if !matches!(self, Hash::Listpack(_)) {
            return;
        }
        if args.len() / 2 > th.hash_max_listpack_entries || args.iter().any(|a| a.as_ref().len() > th.hash_max_listpack_value) {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value`; returns true if the field is new. Converts a listpack that grows
    /// past the entry limit or receiving a string longer than the value limit.
    pub fn set(&mut self, field: &[u8], value: &[u8], th: &Thresholds) -> bool {
        // As Redis's hashTypeSet: a long field or value converts first (only HINCRBY* get
        // here with such strings; other writers called try_conversion already).
        if matches!(self, Hash::Listpack(_)) && (field.len() > th.hash_max_listpack_value || value.len() > th.hash_max_listpack_value) {
            self.convert_to_table();
        }
        match self {
            Hash::Listpack(v) => {
                if let Some(slot) = v.iter_mut().find(|(f, _)| &f[..] == field) {
                    slot.1 = value.into();
                    return false;
                }
                v.push((field.into(), value.into()));
                if v.len() > th.hash_max_listpack_entries {
                    self.convert_to_table();
                }
                true
            }
            Hash::Table(m) => m.insert(field.into(), value.into()).is_none(),
        }
    }

    /// Deletes `field`; returns whether it existed.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(v) => match v.iter().position(|(f, _)| &f[..] == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(m) => m.remove(field).is_some(),
        }
    }

    pub fn approx_size(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.iter().map(|(f, x)| f.len() + x.len() + 32).sum(),
            Hash::Table(m) => m.iter().map(|(f, x)| f.len() + x.len() + 48).sum(),
        }
    }
}

/// A stable 64-bit position of a member in hash-table SCAN order: scanning visits members by
/// increasing position, so members present for the whole scan are returned exactly once even
/// when the table is rehashed between calls. Never 0 (0 is the "done" cursor).
pub fn scan_position(member: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher};
    // SipHash with fixed keys: the same on every run and every process.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x5641_554c_544b_4559, 0x5343_414e_5f43_5552);
    member.hash(&mut h);
    h.finish().max(1)
}

/// One SCAN step over `items` (member, payload) in [`scan_position`] order: returns the items
/// whose position is ≥ `cursor`, at least `count` of them (all those sharing the last position),
/// and the next cursor (0 when done).
pub fn scan_step<T: Copy>(items: impl Iterator<Item = (u64, T)>, cursor: u64, count: usize) -> (u64, Vec<T>) {
    let mut v: Vec<(u64, T)> = items.filter(|(p, _)| *p >= cursor).collect();
    let count = count.max(1);
    if v.len() > count {
        v.select_nth_unstable_by_key(count, |(p, _)| *p);
        let next = v[count].0;
        // Everything strictly below `next` is returned; items at `next` come next time.
        let mut out: Vec<(u64, T)> = v.iter().copied().filter(|(p, _)| *p < next).collect();
        let mut next_cursor = next;
        if out.is_empty() {
            // More than `count` members share one position: return them all at once.
            out = v.iter().copied().filter(|(p, _)| *p == next).collect();
            next_cursor = next.checked_add(1).unwrap_or(0);
        }
        out.sort_by_key(|(p, _)| *p);
        (next_cursor, out.into_iter().map(|(_, t)| t).collect())
    } else {
        v.sort_by_key(|(p, _)| *p);
        (0, v.into_iter().map(|(_, t)| t).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(entries: usize, value: usize) -> Thresholds {
        Thresholds { hash_max_listpack_entries: entries, hash_max_listpack_value: value, ..Default::default() }
    }

    #[test]
    fn listpack_keeps_order_and_converts_on_size() {
        let t = th(3, 10);
        let mut h = Hash::default();
        assert!(h.set(b"a", b"1", &t));
        assert!(h.set(b"b", b"2", &t));
        assert!(!h.set(b"a", b"3", &t));
        let pairs: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(pairs, vec![(b"a".to_vec(), b"3".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
        assert!(h.set(b"c", b"3", &t));
        assert_eq!(h.encoding_name(), "listpack");
        assert!(h.set(b"d", b"4", &t));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 4);
        assert!(h.delete(b"a"));
        assert!(!h.delete(b"a"));
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn try_conversion_on_long_values_and_many_pairs() {
        let t = th(2, 3);
        let mut h = Hash::default();
        h.try_conversion(&[b"f".as_slice(), b"abc"], &t);
        assert_eq!(h.encoding_name(), "listpack");
        h.try_conversion(&[b"f".as_slice(), b"abcd"], &t);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = Hash::default();
        h.try_conversion(&[b"f".as_slice(), b"a", b"f", b"a", b"f", b"a"], &t);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn scan_step_visits_everything_once() {
        let items: Vec<Vec<u8>> = (0..1000).map(|i| format!("m{i}").into_bytes()).collect();
        let mut cursor = 0;
        let mut seen = Vec::new();
        loop {
            let (next, got) = scan_step(items.iter().map(|m| (scan_position(m), m)), cursor, 7);
            seen.extend(got.into_iter().cloned());
            if next == 0 {
                break;
            }
            cursor = next;
        }
        seen.sort();
        let mut want = items.clone();
        want.sort();
        assert_eq!(seen, want);
    }
}
