//! One logical database: a keyspace split into a fixed number of segments.
//!
//! # Why segments
//! Snapshots (BGSAVE, AOF rewrite, later a replica's full sync) must see a point-in-time image
//! without fork. A snapshot clones the vector of `Arc<Segment>` (a few KiB, whatever the dataset
//! size). A writer that then changes a key calls [`Arc::make_mut`] on that key's segment: if the
//! snapshot still holds the segment, the segment's table is copied first (keys are cloned, values
//! are `Arc`s, so only pointers are copied), and the value itself is cloned only when it is
//! mutated in place while still shared. The snapshot writer drops each segment as soon as it has
//! serialized it, so the extra memory is bounded by what is written during the snapshot.
//!
//! The same structure gives SCAN a stable cursor: the cursor is a segment index, and a segment's
//! keys are returned together, so a key present for the whole iteration is always returned.

use std::sync::Arc;

use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::types::Value;

/// Keys and other byte strings stored in the keyspace.
pub type Sds = Box<[u8]>;

/// Number of segments per database (a power of two).
pub const SEGMENTS: usize = 1024;
/// The segment index is taken from hash bits 40..50: hashbrown uses the low bits for the bucket
/// and the top 7 bits as the control tag, so taking the segment from either would give every key
/// of a segment the same tag (a lookup then compares the key with every entry of each probed
/// group) or crowd them into the same buckets.
const SEG_SHIFT: u32 = 40;

/// "No expiry" in [`Entry::expire_at`].
pub const NO_EXPIRE: i64 = i64::MIN;

/// A key's slot: its value, absolute expiry and access metadata.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Sds,
    pub value: Arc<Value>,
    /// Absolute expiry in Unix ms, or [`NO_EXPIRE`].
    pub expire_at: i64,
    /// LRU clock (seconds, 24 bits) or LFU data (16 bits minutes, 8 bits counter), as in Redis.
    pub lru: u32,
}

impl Entry {
    pub fn new(key: Sds, value: Value) -> Entry {
        Entry { key, value: Arc::new(value), expire_at: NO_EXPIRE, lru: 0 }
    }
    pub fn expire(&self) -> Option<i64> {
        (self.expire_at != NO_EXPIRE).then_some(self.expire_at)
    }
    /// The value for in-place mutation; clones it first if a snapshot still shares it.
    pub fn value_mut(&mut self) -> &mut Value {
        Arc::make_mut(&mut self.value)
    }
}

/// A shard of the keyspace.
#[derive(Clone, Default)]
pub struct Segment {
    table: HashTable<Entry>,
    /// How many entries have an expiry: lets the active expire cycle skip segments.
    expires: usize,
}

impl Segment {
    pub fn len(&self) -> usize {
        self.table.len()
    }
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter()
    }
    pub fn expires(&self) -> usize {
        self.expires
    }
}

/// A point-in-time view of one database, cheap to take; see the module documentation.
#[derive(Clone)]
pub struct DbSnapshot {
    pub segments: Vec<Arc<Segment>>,
    pub keys: usize,
    pub expires: usize,
}

pub struct Db {
    segs: Vec<Arc<Segment>>,
    keys: usize,
    expires: usize,
    /// Bytes copied by copy-on-write since the last snapshot was taken (`rdb_last_cow_size`).
    cow_bytes: usize,
    hasher: hashbrown::DefaultHashBuilder,
    /// Cursor of the active expire cycle (segment index).
    pub expire_cursor: usize,
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Db {
    pub fn new() -> Db {
        Db {
            segs: (0..SEGMENTS).map(|_| Arc::new(Segment::default())).collect(),
            keys: 0,
            expires: 0,
            cow_bytes: 0,
            hasher: hashbrown::DefaultHashBuilder::default(),
            expire_cursor: 0,
        }
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    fn seg_of(hash: u64) -> usize {
        ((hash >> SEG_SHIFT) as usize) & (SEGMENTS - 1)
    }

    /// A segment for writing: copied first if a snapshot still shares it.
    #[inline]
    fn seg_mut<'a>(segs: &'a mut [Arc<Segment>], idx: usize, cow_bytes: &mut usize) -> &'a mut Segment {
        let seg = &mut segs[idx];
        if Arc::strong_count(seg) > 1 {
            *cow_bytes += seg.table.len() * std::mem::size_of::<Entry>() + seg.table.iter().map(|e| e.key.len()).sum::<usize>();
        }
        Arc::make_mut(seg)
    }

    /// Bytes copied by copy-on-write since [`Db::reset_cow_counter`].
    pub fn cow_bytes(&self) -> usize {
        self.cow_bytes
    }

    pub fn reset_cow_counter(&mut self) {
        self.cow_bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.keys
    }
    pub fn is_empty(&self) -> bool {
        self.keys == 0
    }
    /// Number of keys with an expiry.
    pub fn expires_count(&self) -> usize {
        self.expires
    }

    /// Reads a key without any expiry check.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        let h = self.hash(key);
        self.segs[Self::seg_of(h)].table.find(h, |e| &*e.key == key)
    }

    /// Mutable access to a key's entry (copy-on-write of its segment if a snapshot holds it).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let h = self.hash(key);
        let idx = Self::seg_of(h);
        // Only pay for the copy when the key is actually there.
        self.segs[idx].table.find(h, |e| &*e.key == key)?;
        Self::seg_mut(&mut self.segs, idx, &mut self.cow_bytes).table.find_mut(h, |e| &*e.key == key)
    }

    /// Inserts or replaces a key's entry; returns the previous entry.
    pub fn insert(&mut self, entry: Entry) -> Option<Entry> {
        let h = self.hash(&entry.key);
        self.insert_hashed(h, entry)
    }

    /// The hasher of this database's keys (for hashing keys in another thread, e.g. while
    /// loading an RDB file: see [`Db::insert_hashed`]).
    pub fn key_hasher(&self) -> hashbrown::DefaultHashBuilder {
        self.hasher.clone()
    }

    /// Grows every segment's table for `additional` more keys spread over the segments (RDB
    /// RESIZEDB hint), so loading does not rehash each segment repeatedly. (The mean share, no
    /// slack: a segment that gets more grows once, and memory stays what inserting one by one
    /// would give.)
    pub fn reserve(&mut self, additional: usize) {
        let per = additional / SEGMENTS;
        if per == 0 {
            return;
        }
        let hasher = self.hasher.clone();
        for i in 0..SEGMENTS {
            let seg = Self::seg_mut(&mut self.segs, i, &mut self.cow_bytes);
            seg.table.reserve(per, |e| hasher.hash_one(&*e.key));
        }
    }

    /// [`Db::insert`] with the key's hash already computed by [`Db::key_hasher`].
    pub fn insert_hashed(&mut self, h: u64, entry: Entry) -> Option<Entry> {
        debug_assert_eq!(h, self.hash(&entry.key));
        let hasher = self.hasher.clone();
        let seg = Self::seg_mut(&mut self.segs, Self::seg_of(h), &mut self.cow_bytes);
        let has_exp = entry.expire_at != NO_EXPIRE;
        match seg.table.entry(h, |e| e.key == entry.key, |e| hasher.hash_one(&*e.key)) {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                let old = std::mem::replace(o.get_mut(), entry);
                let had_exp = old.expire_at != NO_EXPIRE;
                if had_exp != has_exp {
                    if has_exp {
                        seg.expires += 1;
                        self.expires += 1;
                    } else {
                        seg.expires -= 1;
                        self.expires -= 1;
                    }
                }
                Some(old)
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(entry);
                self.keys += 1;
                if has_exp {
                    seg.expires += 1;
                    self.expires += 1;
                }
                None
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let h = self.hash(key);
        let idx = Self::seg_of(h);
        self.segs[idx].table.find(h, |e| &*e.key == key)?;
        let seg = Self::seg_mut(&mut self.segs, idx, &mut self.cow_bytes);
        let removed = match seg.table.find_entry(h, |e| &*e.key == key) {
            Ok(o) => o.remove().0,
            Err(_) => return None,
        };
        self.keys -= 1;
        if removed.expire_at != NO_EXPIRE {
            seg.expires -= 1;
            self.expires -= 1;
        }
        Some(removed)
    }

    /// Sets or clears (with [`NO_EXPIRE`]) a key's expiry. Returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let h = self.hash(key);
        let idx = Self::seg_of(h);
        if self.segs[idx].table.find(h, |e| &*e.key == key).is_none() {
            return false;
        }
        let seg = Self::seg_mut(&mut self.segs, idx, &mut self.cow_bytes);
        let Some(e) = seg.table.find_mut(h, |e| &*e.key == key) else { return false };
        let had = e.expire_at != NO_EXPIRE;
        let has = at != NO_EXPIRE;
        e.expire_at = at;
        if had != has {
            if has {
                seg.expires += 1;
                self.expires += 1;
            } else {
                seg.expires -= 1;
                self.expires -= 1;
            }
        }
        true
    }

    pub fn clear(&mut self) {
        for s in &mut self.segs {
            *s = Arc::new(Segment::default());
        }
        self.keys = 0;
        self.expires = 0;
    }

    /// Takes the whole content out, leaving the database empty (FLUSHALL ASYNC, SWAPDB).
    pub fn take(&mut self) -> Db {
        std::mem::take(self)
    }

    /// A point-in-time view, see the module documentation.
    pub fn snapshot(&self) -> DbSnapshot {
        DbSnapshot { segments: self.segs.clone(), keys: self.keys, expires: self.expires }
    }

    pub fn segment(&self, idx: usize) -> &Segment {
        &self.segs[idx]
    }

    /// Every entry, in segment order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.segs.iter().flat_map(|s| s.table.iter())
    }

    /// One SCAN step: calls `f` for every key of the segments from `cursor` on until at least
    /// `count` keys were visited (or `max_segments` segments were looked at); returns the next
    /// cursor (0 when done).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&Entry)) -> u64 {
        let mut idx = cursor as usize;
        if idx >= SEGMENTS {
            return 0;
        }
        let mut visited = 0;
        let mut looked = 0;
        while idx < SEGMENTS {
            for e in self.segs[idx].table.iter() {
                f(e);
                visited += 1;
            }
            idx += 1;
            looked += 1;
            if visited >= count || looked >= count.saturating_mul(10).max(100) {
                break;
            }
        }
        if idx >= SEGMENTS {
            0
        } else {
            idx as u64
        }
    }

    /// A random key, or None when empty.
    pub fn random_entry(&self, rng: &mut impl rand::Rng) -> Option<&Entry> {
        if self.keys == 0 {
            return None;
        }
        // Pick a random position among all keys so every key is equally likely.
        let mut n = rng.gen_range(0..self.keys);
        for s in &self.segs {
            if n < s.table.len() {
                return s.table.iter().nth(n);
            }
            n -= s.table.len();
        }
        None
    }

    /// Keys with an expiry in segment `idx` that are expired at `now`.
    pub fn expired_in_segment(&self, idx: usize, now: i64, out: &mut Vec<Sds>) {
        let s = &self.segs[idx];
        if s.expires == 0 {
            return;
        }
        for e in s.table.iter() {
            if e.expire_at != NO_EXPIRE && e.expire_at <= now {
                out.push(e.key.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    fn k(s: &str) -> Sds {
        s.as_bytes().into()
    }

    #[test]
    fn insert_get_remove_and_counts() {
        let mut db = Db::new();
        assert!(db.insert(Entry::new(k("a"), Value::from_bytes(b"1"))).is_none());
        let mut e = Entry::new(k("b"), Value::from_bytes(b"2"));
        e.expire_at = 100;
        db.insert(e);
        assert_eq!(db.len(), 2);
        assert_eq!(db.expires_count(), 1);
        assert!(db.set_expire(b"a", 50));
        assert_eq!(db.expires_count(), 2);
        assert!(db.remove(b"b").is_some());
        assert_eq!((db.len(), db.expires_count()), (1, 1));
        assert!(db.set_expire(b"a", NO_EXPIRE));
        assert_eq!(db.expires_count(), 0);
    }

    #[test]
    fn snapshot_is_point_in_time() {
        let mut db = Db::new();
        for i in 0..5000 {
            db.insert(Entry::new(k(&format!("k{i}")), Value::from_bytes(b"old")));
        }
        let snap = db.snapshot();
        for i in 0..5000 {
            if i % 2 == 0 {
                db.insert(Entry::new(k(&format!("k{i}")), Value::from_bytes(b"new")));
            } else {
                db.remove(format!("k{i}").as_bytes());
            }
        }
        db.insert(Entry::new(k("added"), Value::from_bytes(b"x")));
        let mut n = 0;
        for seg in &snap.segments {
            for e in seg.iter() {
                assert_eq!(e.value.as_str().map(|s| &s[..]), Some(&b"old"[..]));
                n += 1;
            }
        }
        assert_eq!(n, 5000);
        assert_eq!(db.len(), 2501);
    }

    #[test]
    fn scan_visits_every_key_once() {
        let mut db = Db::new();
        for i in 0..3000 {
            db.insert(Entry::new(k(&format!("k{i}")), Value::from_bytes(b"v")));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = db.scan(cursor, 10, |e| assert!(seen.insert(e.key.clone())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 3000);
    }
}
