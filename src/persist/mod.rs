//! RDB snapshots without fork, and loading the dataset at startup.
//!
//! # Snapshots
//! [`capture`] takes, under the server lock, a [`Snapshot`]: every database's
//! [`DbSnapshot`](crate::db::DbSnapshot) (cheap: a vector of `Arc`ed segments, see `db.rs`) and
//! the function libraries, and registers a hook in every database it covers. A background
//! thread then serializes it with the storage crate's RDB writer while clients keep reading and
//! writing. A writer about to change a segment the snapshot has not written yet serializes that
//! segment's keys itself into a chunk for the thread and releases it, so the change copies
//! nothing; only when the thread is writing that very segment, when the segment is very large,
//! or when too many chunks wait, is the segment copied instead. The thread skips segments
//! writers wrote, appends their chunks (each run of keys after its SELECTDB) and releases each
//! segment as soon as it has written it. See [`tracker`] for the state machine. The extra memory
//! is bounded by the chunks waiting for the thread plus the rare copies.
//!
//! A file is written to a temporary name in the same directory, fsynced, renamed over
//! `dbfilename`, and the directory fsynced: a crash never leaves a half-written file under the
//! real name.

pub mod convert;
pub mod tracker;

use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use vk_storage::rdb::{RdbEvent, RdbReader, RdbWriter, WriteError, WriteOptions};

use crate::db::{Entry, Sds, NO_EXPIRE};
use tracker::{DbHook, Format, Tracker};
use crate::server::{Server, Shared};
use crate::util::now_ms;

/// State of RDB persistence, for INFO persistence and the save points.
#[derive(Debug, Default)]
pub struct RdbState {
    pub bgsave_in_progress: bool,
    pub bgsave_started: Option<Instant>,
    /// `srv.dirty` when the running save started (subtracted when it succeeds).
    pub dirty_at_start: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_sec: i64,
    /// Unix seconds of the last save attempt (failed saves are retried only after 5 s).
    pub last_bgsave_try: i64,
    pub last_cow_size: u64,
    pub saves: u64,
    pub scheduled: bool,
    pub last_error: Option<String>,
    /// Loading progress (INFO loading_*).
    pub loading_start: i64,
    pub loading_total_bytes: u64,
    pub loading_loaded_bytes: u64,
    pub loading_loaded_keys: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

/// A point-in-time image of the dataset. Dropping it (written or not) releases every segment
/// it still holds and turns the writers' hooks into no-ops.
pub struct Snapshot {
    pub tracker: Arc<Tracker>,
    pub functions: Vec<Bytes>,
    /// Written as the `aof-base` AUX field (1 for an AOF rewrite's base file).
    pub aof_base: bool,
    pub now_ms: i64,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.tracker.close();
    }
}

/// The RDB writer options from the configuration.
pub fn write_options(srv: &Server) -> WriteOptions {
    WriteOptions {
        version: srv.config.rdb_version as u16,
        compress: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        thresholds: convert::storage_thresholds(&srv.config.thresholds),
    }
}

/// Takes a point-in-time image (call under the server lock; cost independent of data size).
/// An AOF base (`aof_base`) is captured in the form `aof-use-rdb-preamble` asks for (RESP
/// commands when `no`), since writers serialize segments in that form; everything else in RDB.
pub fn capture(srv: &mut Server, aof_base: bool) -> Snapshot {
    let format = if aof_base && !srv.config.aof_use_rdb_preamble { Format::Resp } else { Format::Rdb(write_options(srv)) };
    capture_as(srv, format, aof_base)
}

/// [`capture`] in an explicit format.
pub fn capture_as(srv: &mut Server, format: Format, aof_base: bool) -> Snapshot {
    for db in srv.dbs.iter_mut() {
        db.reset_cow_counter();
    }
    let now = now_ms();
    let tracker = Arc::new(Tracker::new(srv.dbs.iter().map(|d| d.snapshot()).collect(), format, now, aof_base, crate::db::KeyMeta::of(&srv.config)));
    for (i, db) in srv.dbs.iter_mut().enumerate() {
        if tracker.covers(i) {
            db.add_snapshot_hook(Arc::new(DbHook { tracker: tracker.clone(), db: i }));
        }
    }
    Snapshot { tracker, functions: srv.function_libraries.clone(), aof_base, now_ms: now }
}

fn werr(e: impl std::fmt::Display) -> WriteError {
    WriteError::Io(std::io::Error::other(e.to_string()))
}

/// Serializes a snapshot as an RDB stream into `w`, releasing segments as it goes.
pub fn write_rdb<W: Write>(snap: Snapshot, w: W) -> Result<W, WriteError> {
    let Format::Rdb(opts) = snap.tracker.format else { return Err(werr("snapshot captured in RESP form written as RDB")) };
    let mut out = RdbWriter::new(w, opts)?;
    out.aux(b"redis-ver", crate::server_info::REDIS_VERSION.as_bytes())?;
    out.aux(b"redis-bits", b"64")?;
    out.aux(b"ctime", (snap.now_ms / 1000).to_string().as_bytes())?;
    out.aux(b"used-mem", crate::server_info::rss_bytes().to_string().as_bytes())?;
    out.aux(b"aof-base", if snap.aof_base { b"1" } else { b"0" })?;
    for f in &snap.functions {
        out.function(f)?;
    }
    let t = snap.tracker.clone();
    // Size hints first, while the loader's tables are empty; keys then come in runs, each
    // after its SELECTDB (writers' chunks interleave with the thread's segments).
    let mut cur = None;
    for db in 0..t.db_count() {
        if t.covers(db) {
            out.select_db(db as u64)?;
            out.resize_db(t.sizes[db].0 as u64, t.sizes[db].1 as u64)?;
            cur = Some(db);
        }
    }
    t.drive(&mut |db, bytes| {
        if cur != Some(db) {
            out.select_db(db as u64).map_err(|e| e.to_string())?;
            cur = Some(db);
        }
        out.raw(bytes).map_err(|e| e.to_string())
    })
    .map_err(werr)?;
    drop(snap);
    out.finish()
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Fsyncs a directory so a rename inside it is durable.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes a snapshot to `dir/filename` atomically (temp file, fsync, rename, fsync dir).
/// Returns the file size.
pub fn save_to_file(snap: Snapshot, dir: &Path, filename: &str) -> Result<u64, String> {
    let tmp = dir.join(format!("temp-{}-{}.rdb", std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| -> Result<u64, String> {
        let f = File::create(&tmp).map_err(|e| format!("Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}", tmp.display(), dir.display()))?;
        let w = write_rdb(snap, BufWriter::with_capacity(1 << 20, f)).map_err(|e| format!("Write error saving DB on disk: {e}"))?;
        let f = w.into_inner().map_err(|e| format!("Write error saving DB on disk: {}", e.error()))?;
        f.sync_all().map_err(|e| format!("fsync error saving DB on disk: {e}"))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        drop(f);
        let target = dir.join(filename);
        std::fs::rename(&tmp, &target).map_err(|e| format!("Error moving temp DB file {} on the final destination {}: {e}", tmp.display(), target.display()))?;
        fsync_dir(dir).map_err(|e| format!("Failed to fsync directory {}: {e}", dir.display()))?;
        Ok(size)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Where `dbfilename` lives.
pub fn rdb_path(srv: &Server) -> PathBuf {
    srv.config.dir.join(&srv.config.dbfilename)
}

/// SAVE: writes the snapshot in the caller's thread (the server lock is held, as Redis blocks).
pub fn save_sync(srv: &mut Server) -> Result<(), String> {
    if srv.rdb.bgsave_in_progress {
        return Err("ERR Background save already in progress".into());
    }
    let dirty = srv.dirty;
    let snap = capture(srv, false);
    let dir = srv.config.dir.clone();
    let name = srv.config.dbfilename.clone();
    let result = save_to_file(snap, &dir, &name);
    finish_save(srv, result.map(|_| ()), dirty, 0, 0);
    srv.rdb.last_error.clone().map_or(Ok(()), |e| Err(e))
}

fn finish_save(srv: &mut Server, result: Result<(), String>, dirty_at_start: u64, secs: i64, cow_bytes: u64) {
    let now = now_ms() / 1000;
    srv.rdb.last_bgsave_try = now;
    match result {
        Ok(()) => {
            srv.dirty = srv.dirty.saturating_sub(dirty_at_start);
            srv.lastsave = now;
            srv.rdb.last_bgsave_ok = true;
            srv.rdb.last_error = None;
            srv.rdb.saves += 1;
            tracing::info!("DB saved on disk");
        }
        Err(e) => {
            tracing::warn!("{e}");
            srv.rdb.last_bgsave_ok = false;
            srv.rdb.last_error = Some(e);
        }
    }
    srv.rdb.last_bgsave_time_sec = secs;
    srv.rdb.last_cow_size = cow_bytes;
}

/// BGSAVE: captures under the lock and writes in a background thread.
pub fn start_bgsave(srv: &mut Server) -> Result<(), String> {
    if srv.rdb.bgsave_in_progress {
        return Err("ERR Background save already in progress".into());
    }
    let Some(shared) = srv.shared.upgrade() else { return Err("ERR server is shutting down".into()) };
    let snap = capture(srv, false);
    let dir = srv.config.dir.clone();
    let name = srv.config.dbfilename.clone();
    srv.rdb.bgsave_in_progress = true;
    srv.rdb.bgsave_started = Some(Instant::now());
    srv.rdb.dirty_at_start = srv.dirty;
    tracing::info!("Background saving started");
    std::thread::Builder::new()
        .name("vk-bgsave".into())
        .spawn(move || {
            let start = Instant::now();
            let tracker = snap.tracker.clone();
            let result = save_to_file(snap, &dir, &name).map(|_| ());
            tracing::info!(
                "Background saving: {} segments were written by writers ({} bytes written or copied by writers, at most {} bytes waiting for the saving thread)",
                tracker.segments_by_writers(),
                tracker.cow_bytes(),
                tracker.peak_queued_bytes()
            );
            let mut srv = shared.srv.lock();
            let dirty = srv.rdb.dirty_at_start;
            srv.rdb.bgsave_in_progress = false;
            srv.rdb.bgsave_started = None;
            finish_save(&mut srv, result, dirty, start.elapsed().as_secs() as i64, tracker.cow_bytes());
            if srv.rdb.scheduled {
                srv.rdb.scheduled = false;
                let _ = start_bgsave(&mut srv);
            }
        })
        .map_err(|e| format!("ERR cannot start background save: {e}"))?;
    Ok(())
}

/// Runs the `save <seconds> <changes>` points (called periodically).
pub fn save_points_cron(srv: &mut Server) {
    if srv.rdb.bgsave_in_progress || srv.loading {
        return;
    }
    let now = now_ms() / 1000;
    let retry_ok = srv.rdb.last_bgsave_ok || now - srv.rdb.last_bgsave_try > 5;
    let due = srv.config.save.iter().any(|&(secs, changes)| srv.dirty >= changes && now - srv.lastsave >= secs as i64);
    if due && retry_ok {
        let _ = start_bgsave(srv);
    }
}

/// Result of loading an RDB file.
#[derive(Debug, Default)]
pub struct LoadStats {
    pub keys: u64,
    pub expired_skipped: u64,
    pub empty_skipped: u64,
    pub functions: u64,
    /// Bytes of the RDB image read (up to its checksum): where an AOF preamble's commands start.
    pub image_len: u64,
}

/// Keys handed from the decoder thread to the inserting thread per message.
const LOAD_BATCH: usize = 512;
/// Batches the channel holds; the decoder builds the final entries itself only while at least
/// [`LOAD_BACKLOG`] of them wait (the inserting thread is the slower one), else it leaves that
/// work to the inserting thread.
const LOAD_CHANNEL: usize = 32;
const LOAD_BACKLOG: usize = 4;

/// Loads an RDB stream into the server (the databases are expected empty).
///
/// Two stages on two threads: a decoder thread reads the file, drops expired and empty keys,
/// and hashes each key with its database's hasher; this thread inserts the entries. Building
/// the final value (the encoding Redis would choose, `Arc`) is done by whichever stage has
/// slack: the decoder does it while a backlog of batches waits for this thread, otherwise this
/// thread does it, so both cores stay busy whatever the mix of strings and collections.
/// Keys travel in batches of [`LOAD_BATCH`]; RESIZEDB hints pre-size the segments.
pub fn load_rdb<R: std::io::Read + Send + 'static>(srv: &mut Server, input: R, total_bytes: u64, aof_preamble: bool) -> Result<LoadStats, String> {
    enum Item {
        /// Entry built by the decoder.
        Ready { db: usize, hash: u64, entry: Entry },
        /// Decoded only: this thread builds the entry.
        Decoded { db: usize, hash: u64, key: vk_storage::rdb::KeyEntry },
        Function(Vec<u8>),
        Resize { db: usize, keys: usize },
        Progress(u64),
    }
    #[derive(Default)]
    struct Skipped {
        expired: u64,
        empty: u64,
    }
    fn build(k: vk_storage::rdb::KeyEntry, t: &crate::types::Thresholds, access: &crate::db::Access) -> Entry {
        let mut entry = Entry::new(Sds::from(k.key), convert::from_rdb(k.value, t));
        entry.expire_at = k.expire_ms.unwrap_or(NO_EXPIRE);
        entry.lru = access.loaded_lru(k.lru_idle, k.lfu_freq);
        entry
    }
    let now = now_ms();
    let t = srv.config.thresholds;
    let access = crate::db::Access::new(&srv.config, now);
    let hashers: Vec<_> = srv.dbs.iter().map(|d| d.key_hasher()).collect();
    let ndbs = srv.dbs.len();
    // A RESIZEDB hint is only a hint: never reserve more than the file could hold.
    let max_hint = usize::try_from(total_bytes / 4).unwrap_or(usize::MAX).min(1 << 28);
    let in_flight = Arc::new(AtomicU64::new(0));
    let waiting = in_flight.clone();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(LOAD_CHANNEL);
    let decoder = std::thread::Builder::new()
        .name("vk-rdb-decode".into())
        .spawn(move || -> Result<Skipped, String> {
            let mut skipped = Skipped::default();
            let mut r = RdbReader::new(input).map_err(|e| e.to_string())?;
            let mut batch = Vec::with_capacity(LOAD_BATCH + 1);
            let mut build_here = false;
            loop {
                let ev = r.next_event().map_err(load_error)?;
                match ev {
                    None | Some(RdbEvent::Eof { .. }) => break,
                    Some(RdbEvent::Key(k)) => {
                        if k.empty {
                            skipped.empty += 1;
                            continue;
                        }
                        if !aof_preamble && k.expire_ms.map(|e| e < now).unwrap_or(false) {
                            skipped.expired += 1;
                            continue;
                        }
                        let db = usize::try_from(k.db).unwrap_or(usize::MAX);
                        let Some(hasher) = hashers.get(db) else {
                            return Err(format!("FATAL: Data file was created with a Redis server configured to handle more than {ndbs} databases. Exiting"));
                        };
                        let hash = hasher.hash_one(k.key.as_slice());
                        batch.push(if build_here { Item::Ready { db, hash, entry: build(k, &t, &access) } } else { Item::Decoded { db, hash, key: k } });
                    }
                    Some(RdbEvent::Function(code)) => batch.push(Item::Function(code)),
                    Some(RdbEvent::ResizeDb { db_size, .. }) => {
                        let db = usize::try_from(r.current_db()).unwrap_or(usize::MAX);
                        let keys = usize::try_from(db_size).unwrap_or(usize::MAX).min(max_hint);
                        if db < ndbs && keys > 0 {
                            batch.push(Item::Resize { db, keys });
                        }
                    }
                    Some(_) => {}
                }
                if batch.len() >= LOAD_BATCH {
                    batch.push(Item::Progress(r.offset()));
                    in_flight.fetch_add(1, Ordering::Relaxed);
                    if tx.send(std::mem::replace(&mut batch, Vec::with_capacity(LOAD_BATCH + 1))).is_err() {
                        return Ok(skipped);
                    }
                    build_here = in_flight.load(Ordering::Relaxed) >= LOAD_BACKLOG as u64;
                }
            }
            batch.push(Item::Progress(r.offset()));
            in_flight.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(batch);
            Ok(skipped)
        })
        .map_err(|e| e.to_string())?;
    let mut stats = LoadStats::default();
    srv.rdb.loading_start = now / 1000;
    srv.rdb.loading_total_bytes = total_bytes;
    for batch in rx {
        waiting.fetch_sub(1, Ordering::Relaxed);
        for item in batch {
            match item {
                Item::Progress(off) => {
                    srv.rdb.loading_loaded_bytes = off;
                    stats.image_len = off;
                    srv.rdb.loading_loaded_keys = stats.keys;
                }
                Item::Function(code) => {
                    stats.functions += 1;
                    srv.load_function_library(Bytes::from(code))?;
                }
                Item::Resize { db, keys } => {
                    if let Some(d) = srv.dbs.get_mut(db) {
                        if d.is_empty() {
                            d.reserve(keys);
                        }
                    }
                }
                Item::Ready { db, hash, entry } => {
                    srv.dbs[db].insert_hashed(hash, entry);
                    stats.keys += 1;
                    crate::spill::while_loading(srv);
                }
                Item::Decoded { db, hash, key } => {
                    srv.dbs[db].insert_hashed(hash, build(key, &t, &access));
                    stats.keys += 1;
                    crate::spill::while_loading(srv);
                }
            }
        }
    }
    srv.rdb.loading_loaded_keys = stats.keys;
    match decoder.join() {
        Ok(r) => {
            let skipped = r?;
            stats.expired_skipped = skipped.expired;
            stats.empty_skipped = skipped.empty;
        }
        Err(_) => return Err("RDB decoder thread panicked".into()),
    }
    srv.rdb.last_load_keys_loaded = stats.keys;
    srv.rdb.last_load_keys_expired = stats.expired_skipped;
    Ok(stats)
}

/// The loader's message for a read error. Module values are refused naming the module, as
/// Redis does when the module is not loaded (VaultKey has no modules).
fn load_error(e: vk_storage::rdb::RdbError) -> String {
    match e {
        vk_storage::rdb::RdbError::Module { module_name, key, offset, .. } => {
            let key = key.map(|k| format!(" (key '{}')", String::from_utf8_lossy(&k.0))).unwrap_or_default();
            format!(
                "The RDB file contains module data I can't load: no matching module type '{module_name}'{key} at offset {offset}. VaultKey has no modules: load this file into a server with that module, or convert it with `vk-import --on-module skip`"
            )
        }
        e => e.to_string(),
    }
}

/// Loads `dir/dbfilename` if it exists.
pub fn load_rdb_file(srv: &mut Server, path: &Path) -> Result<Option<LoadStats>, String> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Fatal error loading the DB {}: {e}. Exiting.", path.display())),
    };
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    srv.loading = true;
    let r = load_rdb(srv, BufReader::with_capacity(1 << 20, f), size, false);
    srv.loading = false;
    let stats = r.map_err(|e| format!("Fatal error loading the DB {}: {e}. Exiting.", path.display()))?;
    tracing::info!(
        "DB loaded from disk: {:.3} seconds ({} keys, {} expired keys skipped)",
        start.elapsed().as_secs_f64(),
        stats.keys,
        stats.expired_skipped
    );
    Ok(Some(stats))
}

/// DEBUG RELOAD: save, flush, load again (synchronously, as Redis does).
pub fn debug_reload(srv: &mut Server) -> Result<(), String> {
    save_sync(srv).map_err(|e| format!("ERR Error trying to save the DB: {e}"))?;
    for db in srv.dbs.iter_mut() {
        db.clear();
    }
    srv.function_libraries.clear();
    srv.clear_functions();
    let path = rdb_path(srv);
    load_rdb_file(srv, &path).map_err(|e| format!("ERR Error trying to load the RDB dump: {e}"))?;
    Ok(())
}

/// Keep the `Arc` type in the public surface for the background thread's handle.
pub type SharedRef = Arc<Shared>;
