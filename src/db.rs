//! One logical database: a keyspace split into a fixed number of segments.
//!
//! # Why segments
//! Snapshots (BGSAVE, AOF rewrite, later a replica's full sync) must see a point-in-time image
//! without fork. A snapshot clones the vector of `Arc<Segment>` (a few KiB, whatever the dataset
//! size). A writer that then changes a key calls [`Arc::make_mut`] on that key's segment. If the
//! snapshot still holds the segment, its [`SegmentHook`] runs first and normally serializes the
//! segment into the snapshot and releases it, so nothing is copied (`crate::persist::tracker`);
//! otherwise the segment's table is copied (keys are cloned, values are `Arc`s, so only pointers
//! are copied), and the value itself is cloned only when it is mutated in place while still
//! shared. The snapshot writer drops each segment as soon as it has serialized it, so the extra
//! memory is bounded by what is written during the snapshot.
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
const SEG_SHIFT: u32 = 64 - SEGMENTS.trailing_zeros();

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

/// A running snapshot's hook into a database (see `crate::persist::tracker`): before a segment
/// the snapshot still shares is changed, the snapshot may serialize it and release it, so the
/// change needs no copy.
pub trait SegmentHook: Send + Sync {
    /// Segment `seg` is about to change. `Some(bytes serialized)` when the snapshot no longer
    /// holds the segment (it wrote it now or before); `None` when it keeps holding it (the
    /// segment is then copied, and [`SegmentHook::copied`] called).
    fn before_write(&self, seg: usize) -> Option<usize>;
    /// The segment was copied while this snapshot held it.
    fn copied(&self, bytes: usize);
    /// The snapshot is complete or abandoned: the hook can be dropped.
    fn finished(&self) -> bool;
}

/// Copy-on-write bookkeeping of a database: the bytes copied or serialized by writers since the
/// last snapshot (`rdb_last_cow_size`) and the hooks of running snapshots.
#[derive(Default)]
struct CowState {
    bytes: usize,
    hooks: Vec<Arc<dyn SegmentHook>>,
}

pub struct Db {
    segs: Vec<Arc<Segment>>,
    keys: usize,
    expires: usize,
    /// Copy-on-write bookkeeping (bytes copied or serialized by writers, snapshot hooks).
    cow_bytes: CowState,
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
            cow_bytes: CowState::default(),
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
        (hash >> SEG_SHIFT) as usize
    }

    /// A segment for writing. If a snapshot still shares it, the snapshot's hooks first get the
    /// chance to serialize and release it; a segment still shared after that is copied.
    #[inline]
    fn seg_mut<'a>(segs: &'a mut [Arc<Segment>], idx: usize, cow: &mut CowState) -> &'a mut Segment {
        let seg = &mut segs[idx];
        if Arc::strong_count(seg) > 1 {
            Self::shared_seg_before_write(seg, idx, cow);
        }
        Arc::make_mut(seg)
    }

    #[cold]
    fn shared_seg_before_write(seg: &Arc<Segment>, idx: usize, cow: &mut CowState) {
        cow.hooks.retain(|h| !h.finished());
        let mut holding: Vec<&Arc<dyn SegmentHook>> = Vec::new();
        for h in &cow.hooks {
            match h.before_write(idx) {
                Some(n) => cow.bytes += n,
                None => holding.push(h),
            }
        }
        if Arc::strong_count(seg) > 1 {
            let n = seg.table.len() * std::mem::size_of::<Entry>() + seg.table.iter().map(|e| e.key.len()).sum::<usize>();
            cow.bytes += n;
            for h in holding {
                h.copied(n);
            }
        }
    }

    /// Bytes copied by copy-on-write or serialized by writers since [`Db::reset_cow_counter`].
    pub fn cow_bytes(&self) -> usize {
        self.cow_bytes.bytes
    }

    pub fn reset_cow_counter(&mut self) {
        self.cow_bytes.bytes = 0;
    }

    /// Registers a running snapshot's hook (see [`SegmentHook`]); finished hooks are dropped.
    /// The hook follows this `Db` value (SWAPDB moves it with the segments it is about).
    pub fn add_snapshot_hook(&mut self, hook: Arc<dyn SegmentHook>) {
        self.cow_bytes.hooks.retain(|h| !h.finished());
        self.cow_bytes.hooks.push(hook);
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
