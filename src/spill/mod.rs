//! The spill tier: with `maxmemory` set and `spill-enabled yes`, cold values move to
//! append-only segment files (`vk_storage::spill`) while their key, type and expiry stay in
//! memory (`Value::Spilled`). Any command naming the key loads the value back first
//! ([`prepare_keys`]); TYPE, EXISTS, DEL, TTL, SCAN and expiry answer without reading the disk.
//!
//! Durability: segments are a *cache*. Every value in them is also in the AOF/RDB (spilling is
//! not a write: nothing is logged), snapshots and AOF rewrites read spilled values through
//! [`read_rdb`], and the segment directory is emptied at startup. See `docs/durability.md`.
//!
//! Segment lifetime: every [`SpillRef`] holds an `Arc` on its [`SegFile`]; the file is deleted
//! when the last reference goes (the state's list, live keys, and snapshots still being written
//! all hold one), so a BGSAVE never loses a segment under its feet.
//!
//! Memory: `used_memory` comes from the counting allocator ([`alloc`]). Over `maxmemory` the
//! server spills the coldest values (by LRU, or by LFU counter under an LFU policy), chosen
//! through an eviction pool as Redis's evict.c does, one at a time: before each command and
//! from the cron. With spill off, the disk cap (`spill-max-disk`, on live bytes) reached, or
//! nothing left to spill, the `maxmemory-policy` applies exactly as in Redis, spilled keys
//! being candidates like the others. See `docs/spill-format.md`.

pub mod alloc;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;
use vk_storage::rdb::RdbValue;
use vk_storage::spill as fmt;

use crate::cmd::CommandSpec;
use crate::db::{Sds, NO_EXPIRE, SEGMENTS};
use crate::resp::Reply;
use crate::server::Server;
use crate::types::{Thresholds, Value};

/// A segment is closed and a new one started past this size.
pub const SEGMENT_SIZE: u64 = 64 << 20;
/// A closed segment whose live bytes fall under this fraction is compacted.
const COMPACT_RATIO: f64 = 0.5;
/// Redis's error for a refused write.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// One segment file.
#[derive(Debug)]
pub struct SegFile {
    pub id: u32,
    pub path: PathBuf,
    file: File,
    /// Bytes of frames still referenced.
    pub live_bytes: AtomicU64,
    pub live_frames: AtomicU64,
    /// Bytes written (header included).
    pub written: AtomicU64,
}

impl Drop for SegFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where a spilled value is, and what TYPE / OBJECT ENCODING answer for it.
#[derive(Debug)]
pub struct SpillRef {
    pub seg: Arc<SegFile>,
    pub offset: u64,
    pub frame_len: u32,
    pub type_name: &'static str,
    pub encoding: &'static str,
    /// The value's in-memory size when it was spilled.
    pub size: u64,
}

impl Drop for SpillRef {
    fn drop(&mut self) {
        self.seg.live_bytes.fetch_sub(self.frame_len as u64, Relaxed);
        self.seg.live_frames.fetch_sub(1, Relaxed);
    }
}

/// The spill tier's state (a field of `Server`).
#[derive(Default)]
pub struct SpillState {
    dir: Option<PathBuf>,
    active: Option<(Arc<SegFile>, File)>,
    segments: Vec<Arc<SegFile>>,
    next_id: u32,
    /// Set once anything was spilled: commands skip the per-key check until then.
    pub any: bool,
    pub spills: u64,
    pub loads: u64,
    pub spilled_bytes: u64,
    pub loaded_bytes: u64,
    pub mem_hits: u64,
    pub disk_hits: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub compacted_frames: u64,
    pub last_error: String,
    /// Spilled keys deleted by eviction (the disk cap reached).
    pub evicted_spilled: u64,
    compact_cursor: (usize, usize),
    rate: RateWindow,
    spill_pool: EvictionPool,
    evict_pool: EvictionPool,
    /// Size past which the active segment is closed (see `segment_limit`).
    segment_limit: u64,
}

#[derive(Default)]
struct RateWindow {
    at: Option<Instant>,
    spills: u64,
    loads: u64,
    spill_rate: f64,
    load_rate: f64,
}

fn resolve_dir(srv: &Server) -> PathBuf {
    let d = &srv.config.spill_dir;
    if d.is_absolute() {
        d.clone()
    } else {
        srv.config.dir.join(d)
    }
}

/// Removes segment files left by an earlier run (they are a cache; see the module docs).
fn clean_dir(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name();
            let n = name.to_string_lossy();
            if n.starts_with("seg-") && n.ends_with(".vks") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl SpillState {
    /// Opens the spill directory (emptying it) the first time it is needed.
    fn ensure_dir(&mut self, srv_dir: PathBuf) -> std::io::Result<()> {
        if self.dir.as_ref() != Some(&srv_dir) {
            std::fs::create_dir_all(&srv_dir)?;
            clean_dir(&srv_dir);
            self.dir = Some(srv_dir);
            self.active = None;
        }
        Ok(())
    }

    fn open_segment(&mut self) -> std::io::Result<()> {
        let dir = self.dir.clone().unwrap_or_default();
        self.next_id += 1;
        let id = self.next_id;
        let path = dir.join(format!("seg-{id:06}.vks"));
        let mut w = OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
        w.write_all(&fmt::file_header(id))?;
        let file = File::open(&path)?;
        let seg = Arc::new(SegFile {
            id,
            path,
            file,
            live_bytes: AtomicU64::new(0),
            live_frames: AtomicU64::new(0),
            written: AtomicU64::new(fmt::FILE_HEADER_LEN as u64),
        });
        self.segments.push(seg.clone());
        self.active = Some((seg, w));
        Ok(())
    }

    /// Appends a frame of `raw`; returns (segment, offset, frame length).
    fn append(&mut self, raw: &[u8]) -> std::io::Result<(Arc<SegFile>, u64, u32)> {
        let limit = if self.segment_limit == 0 { SEGMENT_SIZE } else { self.segment_limit };
        let full = self.active.as_ref().map(|(s, _)| s.written.load(Relaxed) >= limit).unwrap_or(true);
        if full {
            self.open_segment()?;
        }
        let frame = fmt::encode_frame(raw);
        let (seg, w) = self.active.as_mut().ok_or_else(|| std::io::Error::other("no active segment"))?;
        let offset = seg.written.load(Relaxed);
        if let Err(e) = w.write_all(&frame) {
            // A partial frame is dead space; start a fresh segment next time.
            self.active = None;
            return Err(e);
        }
        seg.written.fetch_add(frame.len() as u64, Relaxed);
        seg.live_bytes.fetch_add(frame.len() as u64, Relaxed);
        seg.live_frames.fetch_add(1, Relaxed);
        Ok((seg.clone(), offset, frame.len() as u32))
    }

    /// Bytes the segment files take.
    pub fn disk_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.written.load(Relaxed)).sum()
    }
    pub fn live_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.live_bytes.load(Relaxed)).sum()
    }
    pub fn live_frames(&self) -> u64 {
        self.segments.iter().map(|s| s.live_frames.load(Relaxed)).sum()
    }
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
}

/// The RDB value of a spilled value, read from its segment (snapshots, AOF rewrite: the value
/// stays on disk). Segments are immutable once written, so any thread may read them.
pub fn read_rdb(r: &SpillRef) -> Result<RdbValue, String> {
    let raw = fmt::read_frame_at(&r.seg.file, r.offset, r.frame_len).map_err(|e| describe(r, &e.to_string()))?;
    vk_storage::rdb::parse_payload(&raw).map_err(|e| describe(r, &format!("bad value payload ({e})")))
}

fn describe(r: &SpillRef, what: &str) -> String {
    format!("spilled value unreadable: {what} in spill segment {} at offset {}", r.seg.path.display(), r.offset)
}

/// The in-memory value of a spilled value, with the encoding it had.
pub fn read_value(r: &SpillRef, t: &Thresholds) -> Result<Value, String> {
    let v = crate::persist::convert::from_rdb(read_rdb(r)?, t);
    Ok(match v {
        Value::Str(s) if r.encoding == "raw" && s.len() <= crate::types::EMBSTR_MAX => Value::RawStr(s.to_vec().into()),
        v => v,
    })
}

/// A value as a snapshot sees it: spilled values read from disk.
pub fn materialize(v: &Value) -> Result<std::borrow::Cow<'_, Value>, String> {
    match v {
        Value::Spilled(r) => read_value(r, &Thresholds::default()).map(std::borrow::Cow::Owned),
        v => Ok(std::borrow::Cow::Borrowed(v)),
    }
}

/// Commands that never need a spilled value in memory.
fn needs_no_value(spec: &CommandSpec, argv: &[Bytes]) -> bool {
    match spec.name {
        "type" | "exists" | "del" | "unlink" | "ttl" | "pttl" | "expiretime" | "pexpiretime" | "expire" | "pexpire"
        | "expireat" | "pexpireat" | "persist" | "touch" | "rename" | "renamenx" | "move" | "copy" | "object" | "memory"
        | "usage" | "encoding" | "freq" | "idletime" | "refcount" | "mset" | "msetnx" | "setex" | "psetex" => true,
        "set" => !argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")),
        _ => false,
    }
}

/// Loads the spilled values of a command's keys back into memory before it runs. Returns an
/// error reply when a value cannot be read (corrupt or missing segment).
pub fn prepare_keys(srv: &mut Server, db: usize, spec: &CommandSpec, argv: &[Bytes]) -> Option<Reply> {
    if !srv.spill.any || needs_no_value(spec, argv) {
        return None;
    }
    for i in spec.key_indexes(argv) {
        let Some(key) = argv.get(i) else { continue };
        if let Err(e) = load_key(srv, db, key) {
            return Some(Reply::Error(format!("ERR {e}")));
        }
    }
    None
}

/// Puts a spilled value back in memory (no-op for other keys).
pub fn load_key(srv: &mut Server, db: usize, key: &[u8]) -> Result<(), String> {
    let Some(e) = srv.dbs.get(db).and_then(|d| d.get(key)) else { return Ok(()) };
    let r = match &e.value {
        Value::Spilled(r) => r.clone(),
        _ => {
            srv.spill.mem_hits += 1;
            return Ok(());
        }
    };
    srv.spill.disk_hits += 1;
    let t = srv.config.thresholds;
    match read_value(&r, &t) {
        Ok(v) => {
            srv.spill.loads += 1;
            srv.spill.loaded_bytes += r.frame_len as u64;
            if let Some(e) = srv.dbs[db].get_mut(key) {
                e.value = v;
            }
            Ok(())
        }
        Err(msg) => {
            srv.spill.read_errors += 1;
            srv.spill.last_error = msg.clone();
            tracing::error!("key '{}': {msg}", String::from_utf8_lossy(key));
            Err(msg)
        }
    }
}

/// `used_memory`: the allocator's count when installed, else the estimate of INFO.
pub fn used_memory(srv: &mut Server) -> u64 {
    match alloc::allocated() {
        Some(n) => n,
        None => crate::server_info::memory_numbers(srv).used,
    }
}

fn over_limit(srv: &mut Server) -> bool {
    srv.config.maxmemory > 0 && used_memory(srv) > srv.config.maxmemory
}

/// Writes one value to disk and replaces it in memory. Returns the bytes freed (approx.).
fn spill_one(srv: &mut Server, db: usize, key: &[u8]) -> Result<u64, String> {
    let Some(e) = srv.dbs[db].get(key) else { return Ok(0) };
    if matches!(&e.value, Value::Spilled(_)) {
        return Ok(0);
    }
    let v = e.value.clone();
    let size = v.approx_size() as u64;
    let raw = vk_storage::rdb::dump_payload(
        &crate::persist::convert::to_rdb(&v),
        11,
        &vk_storage::rdb::WriteOptions { compress: false, ..Default::default() },
    )
    .map_err(|e| e.to_string())?;
    let dir = resolve_dir(srv);
    let st = &mut srv.spill;
    st.ensure_dir(dir).map_err(|e| e.to_string())?;
    let (seg, offset, frame_len) = st.append(&raw).map_err(|e| e.to_string())?;
    let r = SpillRef { seg, offset, frame_len, type_name: v.type_name(), encoding: v.encoding_name(), size };
    st.any = true;
    st.spills += 1;
    st.spilled_bytes += frame_len as u64;
    drop(v);
    if let Some(e) = srv.dbs[db].get_mut(key) {
        e.value = Value::Spilled(Arc::new(r));
    }
    Ok(size)
}

/// Size of an eviction pool (Redis's `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;

/// How candidates are ranked: what "cold" means under the current `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Least recently used first (LRU clock in `Entry::lru`).
    Lru,
    /// Lowest decayed LFU counter first; among equal counters, the least recently used.
    Lfu,
    /// Nearest expiry first (volatile-ttl).
    Ttl,
}

/// One candidate of an [`EvictionPool`].
#[derive(Clone, Debug)]
struct Candidate {
    /// Higher is a better victim (Redis's `idle`).
    score: u64,
    db: usize,
    key: Sds,
    /// `Entry::lru` / `expire_at` when sampled: a key touched since is skipped when picked.
    stamp: (u32, i64),
}

/// Redis's eviction pool (evict.c `evictionPoolEntry`): the best [`EVPOOL_SIZE`] candidates
/// seen over successive sampling rounds, so each victim is the coldest of many more keys than
/// one round's `maxmemory-samples`.
#[derive(Debug, Default)]
pub struct EvictionPool {
    order: Option<Order>,
    /// Ascending by score: the best victim is last.
    list: Vec<Candidate>,
}

impl EvictionPool {
    fn insert(&mut self, c: Candidate) {
        if let Some(i) = self.list.iter().position(|x| x.db == c.db && x.key == c.key) {
            self.list.remove(i);
        }
        if self.list.len() >= EVPOOL_SIZE && c.score <= self.list[0].score {
            return;
        }
        // Equal scores go left of the ones already there, as in Redis.
        let pos = self.list.partition_point(|x| x.score < c.score);
        self.list.insert(pos, c);
        if self.list.len() > EVPOOL_SIZE {
            self.list.remove(0);
        }
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn clear(&mut self) {
        self.list.clear();
    }
}

/// The ranking for the current policy (spilling follows it too; non-LRU/LFU policies spill by
/// LRU).
pub fn order_of(policy: &str, for_spill: bool) -> Order {
    if crate::db::lfu::is_lfu_policy(policy) {
        Order::Lfu
    } else if policy == "volatile-ttl" && !for_spill {
        Order::Ttl
    } else {
        Order::Lru
    }
}

/// How good a victim `e` is under `order` at `now` (higher = colder).
pub fn score(order: Order, e: &crate::db::Entry, now_ms: i64, decay_time: i64) -> u64 {
    match order {
        // Oldest last access first, as an absolute time so candidates sampled at different
        // moments compare correctly.
        Order::Lru => (1u64 << 62) - now_ms.max(0) as u64 + crate::db::lru_idle_ms(crate::db::lru_clock(now_ms), e.lru),
        Order::Lfu => {
            let c = crate::db::lfu::decayed(e.lru, now_ms, decay_time) as u64;
            ((255 - c) << 8) | crate::db::lfu::idle_byte(e.lru, now_ms) as u64
        }
        Order::Ttl => u64::MAX - (e.expire_at as u64),
    }
}

/// Which keys a pool may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    /// In-memory values of at least `spill-min-value-size` (spill victims).
    Spill { min: u64 },
    /// Eviction candidates: every key, or only those with an expiry.
    Evict { volatile: bool },
}

fn eligible(p: Pool, e: &crate::db::Entry) -> bool {
    match p {
        Pool::Spill { min } => !matches!(&e.value, Value::Spilled(_)) && e.value.approx_size() as u64 >= min,
        Pool::Evict { volatile } => !volatile || e.expire_at != NO_EXPIRE,
    }
}

/// Samples about `maxmemory-samples` eligible keys from a random place (walking consecutive
/// segments, across databases, so the few in-memory keys left when most are spilled are still
/// found) and offers them to the pool (Redis's `evictionPoolPopulate`).
fn populate(srv: &mut Server, p: Pool, order: Order) {
    let dbs: Vec<usize> = (0..srv.dbs.len()).filter(|&d| !srv.dbs[d].is_empty()).collect();
    if dbs.is_empty() {
        return;
    }
    let now = crate::util::now_ms();
    let decay = srv.config.lfu_decay_time;
    let want = srv.config.maxmemory_samples.max(1) as usize;
    let first_db = srv.rng.gen_range(0..dbs.len());
    let start = srv.rng.gen_range(0..SEGMENTS);
    let pool = match p {
        Pool::Spill { .. } => &mut srv.spill.spill_pool,
        Pool::Evict { .. } => &mut srv.spill.evict_pool,
    };
    if pool.order != Some(order) {
        pool.clear();
        pool.order = Some(order);
    }
    let (mut found, mut visited) = (0, 0);
    'outer: for j in 0..dbs.len() {
        let db = dbs[(first_db + j) % dbs.len()];
        for step in 0..SEGMENTS {
            let idx = (start + step) % SEGMENTS;
            for e in srv.dbs[db].segment(idx).iter() {
                visited += 1;
                if !eligible(p, e) {
                    continue;
                }
                found += 1;
                pool.insert(Candidate { score: score(order, e, now, decay), db, key: e.key.to_sds(), stamp: (e.lru, e.expire_at) });
            }
            if found >= want || visited >= 20_000 {
                break 'outer;
            }
        }
    }
}

/// The best victim: pops the pool, skipping keys deleted, no longer eligible or accessed since
/// they were sampled; refills the pool when it runs dry (bounded).
fn best_victim(srv: &mut Server, p: Pool, order: Order) -> Option<(usize, Sds)> {
    for _ in 0..8 {
        populate(srv, p, order);
        let pool = match p {
            Pool::Spill { .. } => &srv.spill.spill_pool,
            Pool::Evict { .. } => &srv.spill.evict_pool,
        };
        if pool.is_empty() {
            // Nothing eligible was found: do not walk the keyspace again.
            return None;
        }
        loop {
            let pool = match p {
                Pool::Spill { .. } => &mut srv.spill.spill_pool,
                Pool::Evict { .. } => &mut srv.spill.evict_pool,
            };
            let Some(c) = pool.list.pop() else { break };
            let Some(e) = srv.dbs.get(c.db).and_then(|d| d.get(&c.key)) else { continue };
            if eligible(p, e) && (e.lru, e.expire_at) == c.stamp {
                return Some((c.db, c.key));
            }
        }
    }
    None
}

/// A random eligible key (allkeys-random / volatile-random).
fn random_victim(srv: &mut Server, volatile: bool) -> Option<(usize, Sds)> {
    let dbs: Vec<usize> = (0..srv.dbs.len()).filter(|&d| !srv.dbs[d].is_empty()).collect();
    if dbs.is_empty() {
        return None;
    }
    let first_db = srv.rng.gen_range(0..dbs.len());
    let start = srv.rng.gen_range(0..SEGMENTS);
    for j in 0..dbs.len() {
        let db = dbs[(first_db + j) % dbs.len()];
        for step in 0..SEGMENTS {
            let seg = srv.dbs[db].segment((start + step) % SEGMENTS);
            let n = seg.iter().filter(|e| !volatile || e.expire_at != NO_EXPIRE).count();
            if n > 0 {
                let pick = srv.rng.gen_range(0..n);
                let seg = srv.dbs[db].segment((start + step) % SEGMENTS);
                return seg.iter().filter(|e| !volatile || e.expire_at != NO_EXPIRE).nth(pick).map(|e| (db, e.key.to_sds()));
            }
        }
    }
    None
}

/// Deletes one key by `maxmemory-policy` (Redis eviction); spilled keys are candidates like
/// the others (deleting one frees its disk space). False when nothing can be evicted.
fn evict_one(srv: &mut Server) -> bool {
    let policy = srv.config.maxmemory_policy.clone();
    let volatile = policy.starts_with("volatile-");
    let pick = match policy.as_str() {
        "noeviction" => None,
        "allkeys-random" | "volatile-random" => random_victim(srv, volatile),
        _ => best_victim(srv, Pool::Evict { volatile }, order_of(&policy, false)),
    };
    let Some((db, key)) = pick else { return false };
    let start = Instant::now();
    if matches!(srv.dbs[db].get(&key).map(|e| &e.value), Some(Value::Spilled(_))) {
        srv.spill.evicted_spilled += 1;
    }
    srv.dbs[db].remove(&key);
    crate::latency::sample_since("eviction-del", start);
    srv.stats.evicted_keys += 1;
    srv.signal_modified(db, &key);
    srv.notify_keyspace_event(crate::cmd::notify::EVICTED, "evicted", &key, db);
    if !srv.loading {
        srv.pending_log.push((db, vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(&key)]));
    }
    true
}

/// True when `spill-max-disk` leaves no room. The cap applies to the live spilled data, so
/// deleting (or evicting) a spilled key makes room at once; the dead space it leaves is
/// reclaimed by compaction (see `docs/spill-format.md`).
fn disk_full(srv: &Server) -> bool {
    srv.config.spill_max_disk > 0 && srv.spill.live_bytes() >= srv.config.spill_max_disk
}

/// Segment size: [`SEGMENT_SIZE`], or smaller under a small `spill-max-disk` so compaction
/// (which works on closed segments) keeps the files near the cap.
fn segment_limit(max_disk: u64) -> u64 {
    if max_disk == 0 {
        SEGMENT_SIZE
    } else {
        (max_disk / 8).clamp(256 << 10, SEGMENT_SIZE)
    }
}

/// Brings used memory under `maxmemory` within `budget`: spills cold values when the tier is
/// on and the disk has room, evicts by policy otherwise (spilled keys included). Returns false
/// when nothing more can be freed while over the limit (then DENYOOM commands are refused).
pub fn free_memory(srv: &mut Server, budget: Duration) -> bool {
    if srv.config.maxmemory == 0 || srv.loading {
        return true;
    }
    let start = Instant::now();
    let mut spill_ok = srv.config.spill_enabled;
    let min = srv.config.spill_min_value_size.max(1);
    let order = order_of(&srv.config.maxmemory_policy, true);
    srv.spill.segment_limit = segment_limit(srv.config.spill_max_disk);
    let mut done = 0;
    let mut evicted = false;
    loop {
        if !over_limit(srv) {
            if evicted {
                crate::latency::sample_since("eviction-cycle", start);
            }
            return true;
        }
        // Time-bounded, but always make some progress (a loaded machine must not starve it).
        // Out of time while still making progress counts as success, as Redis's
        // `performEvictions` returning EVICT_RUNNING lets the command run.
        if start.elapsed() > budget && done >= 4 {
            if evicted {
                crate::latency::sample_since("eviction-cycle", start);
            }
            return true;
        }
        done += 1;
        if spill_ok && !disk_full(srv) {
            match best_victim(srv, Pool::Spill { min }, order) {
                Some((db, key)) => match spill_one(srv, db, &key) {
                    Ok(_) => continue,
                    Err(e) => {
                        srv.spill.write_errors += 1;
                        srv.spill.last_error = e.clone();
                        tracing::warn!("spill write failed: {e}");
                        spill_ok = false;
                    }
                },
                None => spill_ok = false,
            }
            continue;
        }
        if !evict_one(srv) {
            crate::latency::sample_since("eviction-cycle", start);
            return false;
        }
        evicted = true;
    }
}

/// While loading the dataset (RDB or AOF): spill a few values when over `maxmemory`, so a
/// dataset larger than memory loads without holding it all (nothing is evicted while loading,
/// as in Redis).
pub fn while_loading(srv: &mut Server) {
    if !srv.config.spill_enabled || srv.config.maxmemory == 0 || !over_limit(srv) || disk_full(srv) {
        return;
    }
    let min = srv.config.spill_min_value_size.max(1);
    let order = order_of(&srv.config.maxmemory_policy, true);
    srv.spill.segment_limit = segment_limit(srv.config.spill_max_disk);
    for _ in 0..8 {
        let Some((db, key)) = best_victim(srv, Pool::Spill { min }, order) else { return };
        if let Err(e) = spill_one(srv, db, &key) {
            srv.spill.write_errors += 1;
            srv.spill.last_error = e;
            return;
        }
        if !over_limit(srv) || disk_full(srv) {
            return;
        }
    }
}

/// Called before every command: frees memory when over `maxmemory`, and refuses commands that
/// may grow memory (DENYOOM) when that failed — Redis's `performEvictions` + OOM check.
pub fn before_command(srv: &mut Server, spec: &CommandSpec) -> Option<Reply> {
    before_command_flags(srv, spec.flags)
}

/// [`before_command`] for a command whose flags are computed (a script's declared flags, see
/// `scripting::effective_flags`).
pub fn before_command_flags(srv: &mut Server, flags: u64) -> Option<Reply> {
    if srv.config.maxmemory == 0 || srv.loading {
        return None;
    }
    let ok = free_memory(srv, Duration::from_millis(10));
    if !ok && flags & crate::cmd::flags::DENYOOM != 0 {
        return Some(Reply::Error(OOM_ERROR.into()));
    }
    None
}

/// The maxmemory check of a command about to be queued inside MULTI: Redis refuses a DENYOOM
/// command before queuing it (the refusal flags the transaction, so EXEC aborts).
pub fn before_queuing(srv: &mut Server, spec: &CommandSpec, argv: &[Bytes]) -> Option<Reply> {
    if srv.config.maxmemory == 0 || srv.loading {
        return None;
    }
    let flags = crate::scripting::effective_flags(srv, spec, argv);
    before_command_flags(srv, flags)
}

/// The maxmemory check of EXEC (Redis's `processCommand` with the queued commands' flags): when
/// memory cannot be freed and a queued command is DENYOOM, the transaction is discarded and
/// EXEC answers `EXECABORT Transaction discarded because of: OOM ...`.
pub fn before_exec(srv: &mut Server, client: &mut crate::client::Client) -> Option<Reply> {
    if srv.config.maxmemory == 0 || srv.loading {
        return None;
    }
    let Some(m) = client.multi.as_ref() else { return None };
    let denyoom = m.queued.iter().any(|q| {
        crate::server::resolve(q)
            .map(|(spec, _)| crate::scripting::effective_flags(srv, spec, q) & crate::cmd::flags::DENYOOM != 0)
            .unwrap_or(false)
    });
    if !denyoom {
        return None;
    }
    let Some(Reply::Error(e)) = before_command_flags(srv, crate::cmd::flags::DENYOOM) else { return None };
    client.multi = None;
    client.shared.multi_count.store(-1, std::sync::atomic::Ordering::Relaxed);
    crate::server::unwatch_all(srv, client);
    Some(Reply::Error(format!("EXECABORT Transaction discarded because of: {e}")))
}

/// True when memory is over `maxmemory` and cannot be brought under it now (Redis's OOM state,
/// used by scripts without the `allow-oom` flag).
pub fn out_of_memory(srv: &mut Server) -> bool {
    srv.config.maxmemory > 0 && !srv.loading && !free_memory(srv, Duration::from_millis(10))
}

/// The cron hook (every `1000/hz` ms, under the lock): keeps memory under `maxmemory`, drops
/// empty segments, compacts segments with much dead space; each part time-bounded.
pub fn cron(srv: &mut Server) {
    if srv.config.maxmemory > 0 && !srv.loading {
        free_memory(srv, Duration::from_millis(3));
        srv.flush_log();
    }
    if !srv.spill.any {
        return;
    }
    // Segments nobody references any more (closed ones): their file goes with the last Arc.
    let active_id = srv.spill.active.as_ref().map(|(s, _)| s.id);
    srv.spill.segments.retain(|s| Some(s.id) == active_id || s.live_frames.load(Relaxed) > 0);
    compact(srv, Duration::from_millis(2));
    update_rates(&mut srv.spill);
}

fn update_rates(st: &mut SpillState) {
    let now = Instant::now();
    match st.rate.at {
        Some(at) if now.duration_since(at) >= Duration::from_secs(1) => {
            let secs = now.duration_since(at).as_secs_f64();
            st.rate.spill_rate = (st.spills - st.rate.spills) as f64 / secs;
            st.rate.load_rate = (st.loads - st.rate.loads) as f64 / secs;
            st.rate = RateWindow { at: Some(now), spills: st.spills, loads: st.loads, ..st.rate };
        }
        Some(_) => {}
        None => st.rate = RateWindow { at: Some(now), spills: st.spills, loads: st.loads, spill_rate: 0.0, load_rate: 0.0 },
    }
}

/// Moves live frames out of closed segments that are mostly dead space.
fn compact(srv: &mut Server, budget: Duration) {
    let active_id = srv.spill.active.as_ref().map(|(s, _)| s.id);
    // Past `spill-max-disk`, segments with less dead space are compacted too.
    let cap = srv.config.spill_max_disk;
    let ratio = if cap > 0 && srv.spill.disk_bytes() > cap { 0.9 } else { COMPACT_RATIO };
    let victims: Vec<u32> = srv
        .spill
        .segments
        .iter()
        .filter(|s| Some(s.id) != active_id)
        .filter(|s| (s.live_bytes.load(Relaxed) as f64) < s.written.load(Relaxed) as f64 * ratio)
        .map(|s| s.id)
        .collect();
    if victims.is_empty() {
        return;
    }
    let start = Instant::now();
    let (mut db, mut idx) = srv.spill.compact_cursor;
    let mut keys = Vec::new();
    while start.elapsed() < budget {
        if db >= srv.dbs.len() {
            db = 0;
        }
        keys.clear();
        for e in srv.dbs[db].segment(idx).iter() {
            if let Value::Spilled(r) = &e.value {
                if victims.contains(&r.seg.id) {
                    keys.push((e.key.clone(), r.clone()));
                }
            }
        }
        for (key, r) in keys.drain(..) {
            let Ok(raw) = fmt::read_frame_at(&r.seg.file, r.offset, r.frame_len) else { continue };
            let Ok((seg, offset, frame_len)) = srv.spill.append(&raw) else { return };
            let nr = SpillRef { seg, offset, frame_len, type_name: r.type_name, encoding: r.encoding, size: r.size };
            drop(r);
            if let Some(e) = srv.dbs[db].get_mut(&key) {
                e.value = Value::Spilled(Arc::new(nr));
                srv.spill.compacted_frames += 1;
            }
        }
        idx += 1;
        if idx >= SEGMENTS {
            idx = 0;
            db += 1;
        }
    }
    srv.spill.compact_cursor = (db, idx);
}

/// INFO `spill` section.
pub fn info_section(srv: &mut Server, out: &mut String) {
    use std::fmt::Write as _;
    let (mut mem_keys, mut disk_keys, mut mem_bytes, mut disk_value_bytes) = (0u64, 0u64, 0u64, 0u64);
    for d in &srv.dbs {
        for e in d.iter() {
            match &e.value {
                Value::Spilled(r) => {
                    disk_keys += 1;
                    disk_value_bytes += r.size;
                }
                v => {
                    mem_keys += 1;
                    mem_bytes += v.approx_size() as u64;
                }
            }
        }
    }
    let used = used_memory(srv);
    let st = &srv.spill;
    let disk = st.disk_bytes();
    let live = st.live_bytes();
    let hits = st.mem_hits + st.disk_hits;
    let hit_rate = if hits == 0 { 100.0 } else { st.mem_hits as f64 * 100.0 / hits as f64 };
    let mut f = |s: String| {
        out.push_str(&s);
        out.push_str("\r\n");
    };
    f("# Spill".into());
    f(format!("spill_enabled:{}", srv.config.spill_enabled as u8));
    f(format!("spill_dir:{}", resolve_dir(srv).display()));
    f(format!("used_memory:{used}"));
    f(format!("maxmemory:{}", srv.config.maxmemory));
    f(format!("spill_memory_keys:{mem_keys}"));
    f(format!("spill_memory_value_bytes:{mem_bytes}"));
    f(format!("spill_disk_keys:{disk_keys}"));
    f(format!("spill_disk_value_bytes:{disk_value_bytes}"));
    f(format!("spill_disk_bytes:{disk}"));
    f(format!("spill_disk_live_bytes:{live}"));
    f(format!("spill_disk_garbage_bytes:{}", disk.saturating_sub(live)));
    f(format!("spill_segments:{}", st.segment_count()));
    f(format!("spill_spilled_values:{}", st.spills));
    f(format!("spill_spilled_bytes:{}", st.spilled_bytes));
    f(format!("spill_loaded_values:{}", st.loads));
    f(format!("spill_loaded_bytes:{}", st.loaded_bytes));
    f(format!("spill_spill_rate_per_sec:{:.2}", st.rate.spill_rate));
    f(format!("spill_load_rate_per_sec:{:.2}", st.rate.load_rate));
    f(format!("spill_compacted_values:{}", st.compacted_frames));
    f(format!("spill_evicted_keys:{}", st.evicted_spilled));
    f(format!("spill_memory_hits:{}", st.mem_hits));
    f(format!("spill_disk_hits:{}", st.disk_hits));
    f(format!("spill_memory_hit_rate:{hit_rate:.2}"));
    f(format!("spill_read_errors:{}", st.read_errors));
    f(format!("spill_write_errors:{}", st.write_errors));
    f(format!("spill_last_error:{}", st.last_error.replace(['\r', '\n'], " ")));
    let _ = write!(String::new(), "");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spill(st: &mut SpillState, v: &Value) -> SpillRef {
        let raw = vk_storage::rdb::dump_payload(
            &crate::persist::convert::to_rdb(v),
            11,
            &vk_storage::rdb::WriteOptions { compress: false, ..Default::default() },
        )
        .unwrap();
        let (seg, offset, frame_len) = st.append(&raw).unwrap();
        SpillRef { seg, offset, frame_len, type_name: v.type_name(), encoding: v.encoding_name(), size: v.approx_size() as u64 }
    }

    #[test]
    fn roundtrip_live_counts_and_file_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = SpillState::default();
        st.ensure_dir(dir.path().join("spill")).unwrap();
        let a = Value::from_bytes(&vec![b'q'; 5000]);
        let short_raw = Value::RawStr(b"grown".to_vec().into());
        let ra = spill(&mut st, &a);
        let rb = spill(&mut st, &short_raw);
        assert_eq!(st.live_frames(), 2);
        let t = Thresholds::default();
        assert_eq!(read_value(&ra, &t).unwrap().as_str().unwrap(), &vec![b'q'; 5000][..]);
        let b = read_value(&rb, &t).unwrap();
        assert!(matches!(b, Value::RawStr(_)), "raw encoding kept");
        assert_eq!(b.encoding_name(), "raw");
        let path = ra.seg.path.clone();
        drop(ra);
        assert_eq!(st.live_frames(), 1);
        drop(rb);
        assert_eq!(st.live_frames(), 0);
        // The state still lists the segment: the file stays until it is forgotten.
        assert!(path.exists());
        st.segments.clear();
        st.active = None;
        assert!(!path.exists());
    }

    fn cand(score: u64, key: &str) -> Candidate {
        Candidate { score, db: 0, key: key.as_bytes().into(), stamp: (0, 0) }
    }

    #[test]
    fn eviction_pool_keeps_the_best_sixteen() {
        let mut p = EvictionPool::default();
        for i in 0..100u64 {
            // Scores in a scrambled order.
            let s = (i * 37) % 100;
            p.insert(cand(s, &format!("k{s}")));
        }
        assert_eq!(p.len(), EVPOOL_SIZE);
        let best: Vec<u64> = p.list.iter().rev().map(|c| c.score).collect();
        assert_eq!(best, (84..100).rev().collect::<Vec<_>>());
        // Worse than everything held: not taken. A key already there is updated, not doubled.
        p.insert(cand(10, "low"));
        assert!(p.list.iter().all(|c| &*c.key != b"low"));
        p.insert(cand(200, "k90"));
        assert_eq!(p.len(), EVPOOL_SIZE);
        assert_eq!(p.list.iter().filter(|c| &*c.key == b"k90").count(), 1);
        assert_eq!(p.list.pop().map(|c| c.score), Some(200));
    }

    #[test]
    fn scores_rank_victims() {
        use crate::db::{lfu, lru_clock, Entry};
        let now = 1_700_000_000_000i64;
        let mut old = Entry::new(&b"a"[..], Value::from_bytes(b"1"));
        let mut recent = old.clone();
        old.lru = lru_clock(now - 50);
        recent.lru = lru_clock(now - 20);
        assert!(score(Order::Lru, &old, now, 1) > score(Order::Lru, &recent, now, 1));
        // LFU: a lower counter is colder whatever the recency; equal counters by recency.
        old.lru = lfu::pack(now - 5000, 9);
        recent.lru = lfu::pack(now, 6);
        assert!(score(Order::Lfu, &recent, now, 0) > score(Order::Lfu, &old, now, 0));
        recent.lru = lfu::pack(now, 9);
        assert!(score(Order::Lfu, &old, now, 0) > score(Order::Lfu, &recent, now, 0));
        // TTL: the nearest expiry first.
        old.expire_at = now + 10;
        recent.expire_at = now + 1000;
        assert!(score(Order::Ttl, &old, now, 0) > score(Order::Ttl, &recent, now, 0));
        assert_eq!(order_of("allkeys-lfu", true), Order::Lfu);
        assert_eq!(order_of("volatile-ttl", false), Order::Ttl);
        assert_eq!(order_of("volatile-ttl", true), Order::Lru);
        assert_eq!(order_of("noeviction", true), Order::Lru);
        assert_eq!(segment_limit(0), SEGMENT_SIZE);
        assert_eq!(segment_limit(4 << 20), 512 << 10);
    }

    #[test]
    fn corrupt_frame_is_an_error_naming_segment_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = SpillState::default();
        st.ensure_dir(dir.path().to_path_buf()).unwrap();
        let r = spill(&mut st, &Value::from_bytes(&vec![b'z'; 3000]));
        let mut data = std::fs::read(&r.seg.path).unwrap();
        let last = data.len() - 3;
        data[last] ^= 1;
        std::fs::write(&r.seg.path, &data).unwrap();
        let e = read_value(&r, &Thresholds::default()).unwrap_err();
        assert!(e.contains("payload checksum mismatch") && e.contains("seg-000001.vks") && e.contains("at offset 16"), "{e}");
    }
}
