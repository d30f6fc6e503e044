//! One logical database: a keyspace split into a fixed number of segments.
//!
//! # Why segments
//! Snapshots (BGSAVE, AOF rewrite, later a replica's full sync) must see a point-in-time image
//! without fork. A snapshot clones the vector of `Arc<Segment>` (a few KiB, whatever the dataset
//! size). A writer that then changes a key calls [`Arc::make_mut`] on that key's segment. If the
//! snapshot still holds the segment, its [`SegmentHook`] runs first and normally serializes the
//! segment into the snapshot and releases it, so nothing is copied (`crate::persist::tracker`);
//! otherwise the segment's table is copied (short keys and short string values are stored
//! inline in the entry and copied with it; long strings and every other value are behind an
//! `Arc`, so only pointers are copied), and a shared value is cloned only when it is mutated in
//! place while still shared ([`crate::types::Shared`]). The snapshot writer drops each segment
//! as soon as it has serialized it, so the extra memory is bounded by what is written during
//! the snapshot.
//!
//! # Memory per key
//! An [`Entry`] is 64 bytes stored directly in the segment's hash table: the key and a string
//! value of up to [`crate::types::compact::INLINE_CAP`] bytes each live inside it, so a small
//! key with a small string value costs no heap allocation at all.
//!
//! The same structure gives SCAN a stable cursor: the cursor is a segment index, and a segment's
//! keys are returned together, so a key present for the whole iteration is always returned.

use std::sync::Arc;

use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::types::{CompactStr, Value};

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

/// A key's slot: its value, absolute expiry and access metadata (64 bytes, see the module
/// documentation).
#[derive(Clone, Debug)]
pub struct Entry {
    /// Inline up to 22 bytes.
    pub key: CompactStr,
    /// Short strings inline, everything else shared: cloning an entry never copies a big value.
    pub value: Value,
    /// Absolute expiry in Unix ms, or [`NO_EXPIRE`].
    pub expire_at: i64,
    /// Access metadata, as Redis's `robj.lru`: under an LFU `maxmemory-policy`, 16 bits of
    /// minutes and an 8-bit logarithmic counter ([`lfu`]); otherwise the [`lru_clock`] of the
    /// last access (all 32 bits, 10 ms resolution). Switching policy converts nothing.
    pub lru: u32,
}

impl Entry {
    pub fn new(key: impl Into<CompactStr>, value: Value) -> Entry {
        Entry { key: key.into(), value, expire_at: NO_EXPIRE, lru: 0 }
    }
    pub fn expire(&self) -> Option<i64> {
        (self.expire_at != NO_EXPIRE).then_some(self.expire_at)
    }
    /// Records an access (Redis's `lookupKey` without `LOOKUP_NOTOUCH`): `updateLFU` under an
    /// LFU policy, else the current LRU clock. `rand` is uniform in [0, 1).
    #[inline]
    pub fn touch(&mut self, a: &Access, rand: impl FnOnce() -> f64) {
        self.lru = if a.lfu { lfu::touched(self.lru, a, rand) } else { lru_clock(a.now_ms) };
    }
    /// The access metadata of a newly created value (Redis's `createObject`).
    #[inline]
    pub fn init_access(&mut self, a: &Access) {
        self.lru = a.initial_lru();
    }
    /// Milliseconds since the last access (meaningful under LRU policies).
    pub fn idle_ms(&self, now_ms: i64) -> u64 {
        lru_idle_ms(lru_clock(now_ms), self.lru)
    }
    /// The value for in-place mutation. A shared value (collection, grown string) is cloned
    /// when it is actually mutated while a snapshot still shares it ([`crate::types::Shared`]).
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }
}

/// Resolution of [`lru_clock`] in ms (Redis's `LRU_CLOCK_RESOLUTION` is 1000): fine enough
/// that sampled eviction tells recently used keys apart, while 32 bits wrap only after 497
/// days (Redis's 24-bit second clock wraps after 194).
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 10;

/// The LRU clock at `now_ms` (Unix ms), in [`LRU_CLOCK_RESOLUTION_MS`] ticks, wrapping at 2^32.
#[inline]
pub fn lru_clock(now_ms: i64) -> u32 {
    (now_ms / LRU_CLOCK_RESOLUTION_MS) as u32
}

/// Redis's `estimateObjectIdleTime`: ms between an entry's LRU stamp and `clock`, assuming
/// the clock wrapped at most once.
#[inline]
pub fn lru_idle_ms(clock: u32, lru: u32) -> u64 {
    clock.wrapping_sub(lru) as u64 * LRU_CLOCK_RESOLUTION_MS as u64
}

/// The LRU stamp of a key idle for `idle_secs` at `clock` (RESTORE IDLETIME, RDB `IDLE`),
/// clamped to what the clock can represent.
pub fn lru_from_idle_secs(clock: u32, idle_secs: u64) -> u32 {
    let ticks = idle_secs.saturating_mul(1000 / LRU_CLOCK_RESOLUTION_MS as u64).min(u32::MAX as u64 - 1);
    clock.wrapping_sub(ticks as u32)
}

/// What an access needs to update `Entry::lru`: the policy kind, the time and the LFU knobs.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub lfu: bool,
    pub now_ms: i64,
    pub log_factor: i64,
    pub decay_time: i64,
}

impl Access {
    pub fn new(config: &crate::config::Config, now_ms: i64) -> Access {
        Access {
            lfu: lfu::is_lfu_policy(&config.maxmemory_policy),
            now_ms,
            log_factor: config.lfu_log_factor,
            decay_time: config.lfu_decay_time,
        }
    }
    /// `Entry::lru` of a newly created value (Redis's `createObject`).
    #[inline]
    pub fn initial_lru(&self) -> u32 {
        if self.lfu {
            lfu::initial(self.now_ms)
        } else {
            lru_clock(self.now_ms)
        }
    }
}

impl Access {
    /// `Entry::lru` of a value loaded with the RDB `IDLE`/`FREQ` fields (Redis's
    /// objectSetLRUOrLFU): FREQ counts under an LFU policy, IDLE under the others.
    pub fn loaded_lru(&self, idle_secs: Option<u64>, freq: Option<u8>) -> u32 {
        match (self.lfu, freq, idle_secs) {
            (true, Some(f), _) => lfu::pack(self.now_ms, f),
            (false, _, Some(i)) => lru_from_idle_secs(lru_clock(self.now_ms), i),
            _ => self.initial_lru(),
        }
    }
}

/// Which access metadata a snapshot saves per key (Redis's rdbSaveKeyValuePair: `IDLE` only
/// under an LRU policy, `FREQ` only under an LFU policy).
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyMeta {
    pub save_lru: bool,
    pub save_lfu: bool,
    pub decay_time: i64,
}

impl KeyMeta {
    pub fn of(config: &crate::config::Config) -> KeyMeta {
        let p = &config.maxmemory_policy;
        KeyMeta { save_lru: p.ends_with("-lru"), save_lfu: lfu::is_lfu_policy(p), decay_time: config.lfu_decay_time }
    }
    /// (idle seconds, LFU counter) to write for `e`.
    pub fn rdb_fields(&self, e: &Entry, now_ms: i64) -> (Option<u64>, Option<u8>) {
        (self.save_lru.then(|| e.idle_ms(now_ms) / 1000), self.save_lfu.then(|| lfu::decayed(e.lru, now_ms, self.decay_time)))
    }
}

/// Redis's LFU (evict.c): `Entry::lru` holds 16 bits of "last decrement time" in minutes and an
/// 8-bit logarithmic access counter.
pub mod lfu {
    use super::Access;

    /// Counter of a new key (Redis's `LFU_INIT_VAL`), so it is not evicted before it is used.
    pub const INIT_VAL: u8 = 5;

    pub fn is_lfu_policy(policy: &str) -> bool {
        policy.ends_with("lfu")
    }

    /// Minutes, 16 bits (`LFUGetTimeInMinutes`).
    #[inline]
    pub fn minutes(now_ms: i64) -> u32 {
        ((now_ms / 60_000) & 0xffff) as u32
    }

    /// Minutes since `ldt`, with one wrap of the 16-bit clock (`LFUTimeElapsed`).
    #[inline]
    pub fn elapsed(ldt: u32, now_ms: i64) -> u32 {
        let now = minutes(now_ms);
        if now >= ldt {
            now - ldt
        } else {
            65535 - ldt + now
        }
    }

    /// The counter after decay: one per `decay_time` minutes elapsed (`LFUDecrAndReturn`).
    #[inline]
    pub fn decayed(lru: u32, now_ms: i64, decay_time: i64) -> u8 {
        let ldt = (lru >> 8) & 0xffff;
        let counter = (lru & 0xff) as u8;
        let periods = if decay_time > 0 { elapsed(ldt, now_ms) as i64 / decay_time } else { 0 };
        if periods == 0 {
            counter
        } else if periods > counter as i64 {
            0
        } else {
            counter - periods as u8
        }
    }

    /// Logarithmic increment (`LFULogIncr`): the higher the counter, the less likely it grows;
    /// `r` is uniform in [0, 1).
    #[inline]
    pub fn log_incr(counter: u8, log_factor: i64, r: f64) -> u8 {
        if counter == 255 {
            return 255;
        }
        let base = (counter as f64 - INIT_VAL as f64).max(0.0);
        let p = 1.0 / (base * log_factor as f64 + 1.0);
        if r < p {
            counter + 1
        } else {
            counter
        }
    }

    /// Packs Redis's 24 bits (minutes, counter). The 8 bits above them, unused by Redis, hold
    /// the second of the access (mod 256): eviction uses it to prefer, among keys with the same
    /// counter, the least recently used ([`idle_byte`]).
    #[inline]
    pub fn pack(now_ms: i64, counter: u8) -> u32 {
        ((((now_ms / 1000) & 0xff) as u32) << 24) | (minutes(now_ms) << 8) | counter as u32
    }

    /// Seconds (mod 256) since the access stamped in the top byte by [`pack`].
    #[inline]
    pub fn idle_byte(lru: u32, now_ms: i64) -> u8 {
        (((now_ms / 1000) & 0xff) as u8).wrapping_sub((lru >> 24) as u8)
    }

    /// A new object's LFU data.
    pub fn initial(now_ms: i64) -> u32 {
        pack(now_ms, INIT_VAL)
    }

    /// `updateLFU`: decay, then increment, then stamp the time.
    #[inline]
    pub fn touched(lru: u32, a: &Access, rand: impl FnOnce() -> f64) -> u32 {
        let c = decayed(lru, a.now_ms, a.decay_time);
        // The increment is certain up to INIT_VAL (and with a log factor of 0): no random draw.
        let r = if c <= INIT_VAL || a.log_factor == 0 || c == 255 { 0.0 } else { rand() };
        pack(a.now_ms, log_incr(c, a.log_factor, r))
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
        ((hash >> SEG_SHIFT) as usize) & (SEGMENTS - 1)
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

    /// The segment of `key` (hash `h`) for writing, or `None` if the key is absent. While a
    /// snapshot shares the segment, absence is checked first, so that a miss copies nothing;
    /// otherwise the caller's own probe is the only one.
    fn seg_with_key<'a>(segs: &'a mut [Arc<Segment>], cow: &mut CowState, h: u64, key: &[u8]) -> Option<&'a mut Segment> {
        let idx = Self::seg_of(h);
        if Arc::strong_count(&segs[idx]) > 1 {
            segs[idx].table.find(h, |e| &*e.key == key)?;
        }
        Some(Self::seg_mut(segs, idx, cow))
    }

    /// Mutable access to a key's entry (copy-on-write of its segment if a snapshot holds it).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let h = self.hash(key);
        Self::seg_with_key(&mut self.segs, &mut self.cow_bytes, h, key)?.table.find_mut(h, |e| &*e.key == key)
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
        let seg = Self::seg_with_key(&mut self.segs, &mut self.cow_bytes, h, key)?;
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
        let Some(seg) = Self::seg_with_key(&mut self.segs, &mut self.cow_bytes, h, key) else { return false };
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
                out.push(e.key.to_sds());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;
    use rand::{Rng, SeedableRng};

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
    fn snapshot_keeps_shared_values_and_long_strings() {
        use crate::types::{Set, Shared};
        let mut db = Db::new();
        let long_key = "k".repeat(40);
        let long_val = vec![b'v'; 100];
        db.insert(Entry::new(long_key.as_bytes(), Value::from_bytes(&long_val)));
        db.insert(Entry::new(k("set"), Value::Set(Shared::new(Set::Intset(vec![1, 2])))));
        db.insert(Entry::new(k("raw"), Value::RawStr(b"ab".to_vec().into())));
        let snap = db.snapshot();
        match db.get_mut(b"set").unwrap().value_mut() {
            Value::Set(s) => **s = Set::Intset(vec![7]),
            _ => unreachable!(),
        }
        match db.get_mut(b"raw").unwrap().value_mut() {
            Value::RawStr(v) => v.push(b'c'),
            _ => unreachable!(),
        }
        db.insert(Entry::new(long_key.as_bytes(), Value::from_bytes(b"short")));
        let old = |key: &[u8]| snap.segments.iter().flat_map(|s| s.iter()).find(|e| &*e.key == key).unwrap().value.clone();
        assert!(matches!(old(b"set"), Value::Set(s) if matches!(&*s, Set::Intset(v) if v == &vec![1, 2])));
        assert_eq!(old(b"raw").as_str(), Some(&b"ab"[..]));
        assert_eq!(old(long_key.as_bytes()).as_str(), Some(&long_val[..]));
        assert_eq!(db.get(b"raw").unwrap().value.as_str(), Some(&b"abc"[..]));
        assert_eq!(db.get(long_key.as_bytes()).unwrap().value.as_str(), Some(&b"short"[..]));
        assert!(db.get(long_key.as_bytes()).unwrap().key.len() == 40);
    }

    #[test]
    fn small_entries_need_no_allocation() {
        assert_eq!(std::mem::size_of::<Entry>(), 64);
        let e = Entry::new(&b"key:000000123456"[..], Value::from_bytes(&[b'x'; 16]));
        assert!(e.key.is_inline());
        assert!(matches!(&e.value, Value::Str(s) if s.is_inline()));
    }

    #[test]
    fn lfu_counter_math() {
        use super::lfu::*;
        let t0 = 1_700_000_000_000i64;
        let a = Access { lfu: true, now_ms: t0, log_factor: 0, decay_time: 1 };
        // New keys start at LFU_INIT_VAL; with log factor 0 every access counts.
        let mut e = Entry::new(k("a"), Value::from_bytes(b"1"));
        e.init_access(&a);
        assert_eq!(decayed(e.lru, t0, 1), 5);
        for _ in 0..10 {
            e.touch(&a, || unreachable!());
        }
        assert_eq!(decayed(e.lru, t0, 1), 15);
        // Saturates at 255.
        for _ in 0..300 {
            e.touch(&a, || 0.0);
        }
        assert_eq!(decayed(e.lru, t0, 1), 255);
        // Decay: one per lfu-decay-time minutes; 0 disables it.
        assert_eq!(decayed(e.lru, t0 + 3 * 60_000, 1), 252);
        assert_eq!(decayed(e.lru, t0 + 10 * 60_000, 5), 253);
        assert_eq!(decayed(e.lru, t0 + 1000 * 60_000, 1), 0);
        assert_eq!(decayed(e.lru, t0 + 1000 * 60_000, 0), 255);
        // The 16-bit minute clock wraps.
        let wrap_t = ((t0 / 60_000) | 0xffff) * 60_000; // minutes == 0xffff
        let l = pack(wrap_t, 20);
        assert_eq!(decayed(l, wrap_t + 2 * 60_000, 1), 19); // 65535 - 65535 + 1
        // Log increment probabilities: p = 1 / ((c - 5) * factor + 1).
        assert_eq!(log_incr(4, 10, 0.99), 5);
        assert_eq!(log_incr(5, 10, 0.99), 6);
        assert_eq!(log_incr(6, 10, 0.0905), 7); // p = 1/11
        assert_eq!(log_incr(6, 10, 0.0910), 6);
        assert_eq!(log_incr(255, 0, 0.0), 255);
        // With the default factor 10, a million hits give a counter near Redis's table (~255
        // only past 1M; 100 hits ~ 10-12).
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut c = INIT_VAL;
        for _ in 0..100 {
            c = log_incr(c, 10, rng.gen::<f64>());
        }
        assert!((8..=16).contains(&c), "{c}");
    }

    #[test]
    fn lru_clock_idle_and_wrap() {
        let t0 = 1_700_000_000_000i64;
        let mut e = Entry::new(k("a"), Value::from_bytes(b"1"));
        let a = Access { lfu: false, now_ms: t0, log_factor: 10, decay_time: 1 };
        e.init_access(&a);
        assert_eq!(e.idle_ms(t0 + 1234), 1230);
        // Finer than a second: two accesses 20 ms apart are ordered.
        let mut f = e.clone();
        f.touch(&Access { now_ms: t0 + 20, ..a }, || 0.0);
        assert!(f.idle_ms(t0 + 100) < e.idle_ms(t0 + 100));
        // Wrapping clock: a stamp just before the wrap is still a few ticks old after it.
        assert_eq!(lru_idle_ms(3, u32::MAX - 1), 50);
        let clock = lru_clock(t0);
        assert_eq!(lru_idle_ms(clock, lru_from_idle_secs(clock, 1000)) / 1000, 1000);
        assert_eq!(lru_idle_ms(5, lru_from_idle_secs(5, 100)), 100_000);
        assert!(lru_idle_ms(clock, lru_from_idle_secs(clock, u64::MAX)) / 1000 > 400 * 86_400);
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
