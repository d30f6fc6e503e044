//! The append-only file in the server: loading at startup, the log sink, rewrites without
//! fork, failure handling, INFO fields.
//!
//! # Acknowledgement
//! Command execution appends encoded effects to the log writer's in-memory buffer
//! ([`sink::AofSink`]) and never waits on the disk. The connection holds the replies of
//! commands that wrote until the writer reports their LSN: fsynced under `appendfsync always`
//! (one fsync covers every write queued before it: group commit), written to the file under
//! `everysec`/`no` (so a crash of the process loses nothing acknowledged, as in Redis where
//! the write happens before the reply) — there the connection writes the queue through itself
//! (`LogWriter::write_through`), no thread hand-off. With `no-appendfsync-on-rewrite yes`,
//! `always` acknowledges on write while a rewrite or BGSAVE runs ([`apply_fsync_suspension`]).
//! Replies of commands that did not write never wait. The writer reports through
//! `WriterConfig::on_event` into `Shared::durable`.
//!
//! # Failures
//! A failed write or fsync poisons the writer: replies waiting on positions that were not
//! made durable become errors, further writes are refused with `MISCONF Errors writing to
//! the AOF file: <strerror>`, reads go on. Every second the cron tries to rebuild the AOF
//! from memory: a rewrite into a fresh base and a fresh incr file with a fresh writer;
//! when it completes, writes are accepted again.
//!
//! # Rewrite (no fork)
//! See `docs/aof-format.md` §6. Under the server lock: create the next incr file, persist a
//! manifest naming it, rotate the writer to it (the old incr is fsynced at the boundary),
//! capture a copy-on-write snapshot. A background thread writes the base (RDB preamble or
//! RESP commands), fsyncs it; then, under the lock, the base is renamed in, the manifest is
//! switched atomically and history files are deleted. When the writer cannot be rotated
//! (AOF being switched on, or rebuilt after a failure) the new log goes to
//! `temp-<prefix>.incr` and is renamed to the new incr file at the switch.

pub mod load;
pub mod rewrite;
pub mod sink;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use vk_recovery::aof::AofSet;
use vk_storage::aof::manifest::{AofFileType, AofNames, BaseFormat, Manifest};
use vk_storage::aof::writer::{FsyncPolicy, LogWriter, WriterConfig, WriterEvent, WriterStatus};
use vk_storage::io::{atomic_write, fsync_dir, StdLogFile};

use crate::persist::{self, Snapshot};
use crate::server::{Server, Shared};
use crate::util::now_ms;

/// How a running rewrite treats the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteMode {
    /// The writer was rotated to a new incr file named in the manifest.
    Rotate,
    /// A fresh writer appends to `temp-<prefix>.incr` (AOF being switched on or rebuilt).
    Fresh,
    /// AOF is off: only a base is written (BGREWRITEAOF with `appendonly no`).
    BaseOnly,
}

/// A rewrite in progress.
#[derive(Debug)]
pub struct RewriteJob {
    pub id: u64,
    pub mode: RewriteMode,
    pub started: Instant,
    pub format: BaseFormat,
    /// LSN where the incr file that follows the new base starts.
    pub incr_start_lsn: u64,
    pub temp_incr: Option<PathBuf>,
}

/// AOF state of the server.
pub struct AofState {
    /// `aof_state == AOF_ON`: a writer appends to the incr file named last in the manifest.
    pub on: bool,
    pub writer: Option<Arc<LogWriter>>,
    /// Set by the current writer's event callback when it is poisoned.
    pub poisoned: Arc<AtomicBool>,
    /// Whether a written (not yet fsynced) position acknowledges a write: `everysec`/`no`,
    /// and `always` while fsyncs are suspended (`no-appendfsync-on-rewrite`).
    pub ack_on_write: Arc<AtomicBool>,
    pub policy: FsyncPolicy,
    /// The manifest as it is on disk.
    pub manifest: Manifest,
    /// The strerror text while writes are refused (a poisoned writer, until rebuilt).
    pub write_error: Option<String>,
    /// Highest LSN ever handed out: a new writer starts there (LSNs never go back).
    pub lsn_high: u64,
    /// `aof_current_size` = `size_fixed + (appended - size_base_lsn)`.
    pub size_fixed: u64,
    pub size_base_lsn: u64,
    /// `aof_base_size`: the size right after the last rewrite or load.
    pub base_size: u64,
    pub rewrite: Option<RewriteJob>,
    pub next_job_id: u64,
    pub rewrite_scheduled: bool,
    pub last_bgrewrite_ok: bool,
    pub last_rewrite_time_sec: i64,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    pub last_cow_size: u64,
    /// Last time (ms) a rewrite was started (failed rewrites are retried after 1 s).
    pub last_try_ms: i64,
    /// `aof-timestamp-enabled`, shared with the sink.
    pub timestamps: Arc<AtomicBool>,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            on: false,
            writer: None,
            poisoned: Arc::new(AtomicBool::new(false)),
            ack_on_write: Arc::new(AtomicBool::new(true)),
            policy: FsyncPolicy::EverySec,
            manifest: Manifest::default(),
            write_error: None,
            lsn_high: 0,
            size_fixed: 0,
            size_base_lsn: 0,
            base_size: 0,
            rewrite: None,
            next_job_id: 1,
            rewrite_scheduled: false,
            last_bgrewrite_ok: true,
            last_rewrite_time_sec: -1,
            rewrites: 0,
            consecutive_failures: 0,
            last_cow_size: 0,
            last_try_ms: 0,
            timestamps: Arc::new(AtomicBool::new(false)),
        }
    }
}

fn names(srv: &Server) -> AofNames {
    AofNames::new(srv.config.appendfilename.clone())
}

/// `<dir>/<appenddirname>`.
pub fn aof_dir(srv: &Server) -> PathBuf {
    srv.config.dir.join(&srv.config.appenddirname)
}

fn config_policy(srv: &Server) -> FsyncPolicy {
    match srv.config.appendfsync.to_ascii_lowercase().as_str() {
        "always" => FsyncPolicy::Always,
        "no" => FsyncPolicy::No,
        _ => FsyncPolicy::EverySec,
    }
}

/// The C library's text for an errno (`strerror`), as Redis prints it.
pub fn strerror(errno: Option<i32>, fallback: &str) -> String {
    match errno {
        Some(e) => {
            let s = std::io::Error::from_raw_os_error(e).to_string();
            match s.rfind(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
        None => fallback.to_string(),
    }
}

/// Why writes must be refused now (the strerror text), if they must.
pub fn write_error(srv: &Server) -> Option<String> {
    if let Some(e) = &srv.aof.write_error {
        return Some(e.clone());
    }
    if srv.aof.on && srv.aof.poisoned.load(Ordering::Relaxed) {
        if let Some(w) = &srv.aof.writer {
            if let WriterStatus::Poisoned(p) = w.status() {
                return Some(strerror(p.errno, &p.message));
            }
        }
        return Some("Input/output error".into());
    }
    None
}

fn appended(srv: &Server) -> u64 {
    srv.aof.writer.as_ref().map_or(srv.aof.lsn_high, |w| w.stats().appended_lsn).max(srv.aof.lsn_high)
}

/// `aof_current_size`.
pub fn current_size(srv: &Server) -> u64 {
    srv.aof.size_fixed + appended(srv).saturating_sub(srv.aof.size_base_lsn)
}

fn durable_callback(shared: Weak<Shared>, poisoned: Arc<AtomicBool>, ack_on_write: Arc<AtomicBool>) -> vk_storage::aof::writer::EventCallback {
    Arc::new(move |ev: &WriterEvent| {
        if let WriterEvent::Poisoned(p) = ev {
            poisoned.store(true, Ordering::SeqCst);
            tracing::warn!("Error writing to the AOF file: {} (the AOF will be rebuilt from memory)", p.message);
        }
        let Some(sh) = shared.upgrade() else { return };
        // Only a real change wakes the connections waiting on the watch.
        sh.durable.send_if_modified(|d| match ev {
            WriterEvent::Written(l) => {
                if ack_on_write.load(Ordering::SeqCst) && *l > d.lsn {
                    d.lsn = *l;
                    true
                } else {
                    false
                }
            }
            WriterEvent::Durable(l) => {
                let changed = *l > d.fsynced || *l > d.lsn;
                d.fsynced = d.fsynced.max(*l);
                d.lsn = d.lsn.max(*l);
                changed
            }
            WriterEvent::Poisoned(p) => {
                d.failed = true;
                d.lost_from = p.durable_lsn;
                d.lost_below = u64::MAX;
                true
            }
        });
    })
}

/// Starts a writer on `file` at `lsn_high` and installs the sink. The previous writer must
/// have been taken out already.
fn install_writer(srv: &mut Server, file: StdLogFile) -> Result<(), String> {
    install_log_file(srv, Box::new(file))
}

/// As `install_writer`, on any [`LogFile`](vk_storage::io::LogFile) (tests plug in a
/// `FaultyFile` here).
pub fn install_log_file(srv: &mut Server, file: Box<dyn vk_storage::io::LogFile>) -> Result<(), String> {
    let policy = config_policy(srv);
    let poisoned = Arc::new(AtomicBool::new(false));
    let suspend = fsync_should_be_suspended(srv, policy);
    let ack_on_write = Arc::new(AtomicBool::new(policy != FsyncPolicy::Always || suspend));
    let mut cfg = WriterConfig::new(policy);
    cfg.start_lsn = srv.aof.lsn_high;
    cfg.on_event = Some(durable_callback(srv.shared.clone(), poisoned.clone(), ack_on_write.clone()));
    let file = crate::latency::TimedLogFile::wrap(file, policy == FsyncPolicy::Always);
    let w = Arc::new(LogWriter::start(file, cfg).map_err(|e| format!("can't start the AOF writer: {e}"))?);
    w.set_fsync_suspended(suspend);
    srv.aof.poisoned = poisoned;
    srv.aof.ack_on_write = ack_on_write;
    srv.aof.policy = policy;
    srv.log_sink = Some(Box::new(sink::AofSink::new(w.clone(), srv.aof.timestamps.clone())));
    srv.aof.writer = Some(w);
    Ok(())
}

/// `no-appendfsync-on-rewrite yes`: no fsync of the incr file while a rewrite or a background
/// save is in progress (Redis: while a child process exists), under `always` and `everysec`.
fn fsync_should_be_suspended(srv: &Server, policy: FsyncPolicy) -> bool {
    srv.config.no_appendfsync_on_rewrite
        && policy != FsyncPolicy::No
        && (srv.aof.rewrite.is_some() || srv.rdb.bgsave_in_progress)
}

/// Follows `no-appendfsync-on-rewrite` (called when a rewrite starts or ends, and by the cron,
/// which notices background saves). While suspended, `always` acknowledges a write once it is
/// written, as Redis does; the first fsync after resuming covers everything.
pub fn apply_fsync_suspension(srv: &mut Server) {
    let Some(w) = srv.aof.writer.clone() else { return };
    let suspend = fsync_should_be_suspended(srv, w.policy());
    if suspend == w.fsync_suspended() {
        return;
    }
    if suspend {
        // Acknowledge on write first, then suspend: the writer re-reports what is written,
        // releasing the replies that were waiting for an fsync.
        srv.aof.ack_on_write.store(true, Ordering::SeqCst);
        w.set_fsync_suspended(true);
        tracing::info!("no-appendfsync-on-rewrite: AOF fsync suspended while a background rewrite/save runs");
    } else {
        srv.aof.ack_on_write.store(w.policy() != FsyncPolicy::Always, Ordering::SeqCst);
        w.set_fsync_suspended(false);
        tracing::info!("AOF fsync resumed");
    }
}

/// The current log writer, for a connection that writes its log bytes through itself before
/// replying (no hand-off to another thread).
pub fn writer_handle(srv: &Server) -> Option<Arc<LogWriter>> {
    srv.aof.writer.clone()
}

/// Takes the writer out (flushing it when healthy) and records how far LSNs went.
fn remove_writer(srv: &mut Server) {
    srv.log_sink = None;
    if let Some(w) = srv.aof.writer.take() {
        let _ = w.flush();
        srv.aof.lsn_high = srv.aof.lsn_high.max(w.stats().appended_lsn);
        // Drop joins the writer thread (its shutdown flushes what is queued, if healthy).
        drop(w);
    }
}

fn persist_manifest(dir: &Path, names: &AofNames, m: &Manifest) -> Result<(), String> {
    atomic_write(dir, &names.manifest(), &m.to_bytes())
        .map(|_| ())
        .map_err(|e| format!("Can't persist the AOF manifest {}: {e}", dir.join(names.manifest()).display()))
}

/// Deletes the manifest's history files and persists it (`aofDelHistoryFiles`).
fn delete_history(dir: &Path, names: &AofNames, m: &mut Manifest) -> Result<(), String> {
    let history = m.take_history();
    if history.is_empty() {
        return Ok(());
    }
    for h in &history {
        match std::fs::remove_file(dir.join(&h.name)) {
            Ok(()) => tracing::info!("Removing the history file {} in the background", h.name),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("Failed to remove the history file {}: {e}", h.name),
        }
    }
    persist_manifest(dir, names, m)
}

fn files_size(dir: &Path, m: &Manifest) -> u64 {
    m.load_order().map(|i| std::fs::metadata(dir.join(&i.name)).map(|md| md.len()).unwrap_or(0)).sum()
}

/// Startup with `appendonly yes`: upgrades a Redis 6 single file, loads the AOF in manifest
/// order. With no AOF at all nothing is loaded (Redis 7 does not fall back to the RDB file).
/// Returns whether an AOF was loaded.
pub fn load_at_startup(srv: &mut Server) -> Result<bool, String> {
    let names = names(srv);
    let data_dir = srv.config.dir.clone();
    match vk_recovery::aof::upgrade::upgrade_single_file(&data_dir, &names, &srv.config.appenddirname) {
        Ok(vk_recovery::aof::upgrade::Upgrade::Upgraded { manifest, .. }) => {
            tracing::info!("Successfully migrated an old-style AOF into the AOF directory ({})", manifest.display())
        }
        Ok(_) => {}
        Err(e) => return Err(format!("Can't upgrade the old-style AOF {}: {e}", data_dir.join(&names.prefix).display())),
    }
    let dir = aof_dir(srv);
    let manifest_path = dir.join(names.manifest());
    if !manifest_path.is_file() {
        return Ok(false);
    }
    let set = AofSet::open_manifest(&manifest_path).map_err(|e| format!("Fatal error loading the AOF: {e}"))?;
    if let vk_recovery::aof::AofLayout::MultiPart { manifest, .. } = &set.layout {
        srv.aof.manifest = manifest.clone();
    }
    if set.files.iter().all(|f| f.size == 0) {
        return Ok(false);
    }
    let start = Instant::now();
    let (report, commands, failed) = load::load_set(srv, &set).map_err(|e| format!("Fatal error loading the AOF: {e}"))?;
    if let Some(t) = &report.truncated {
        tracing::warn!(
            "!!! Warning: short read while loading the AOF file {}!!! ({}). AOF loaded anyway because aof-load-truncated is enabled: truncated to offset {} (last valid command offset), {} bytes removed{}",
            t.file.display(),
            t.reason,
            t.at,
            t.cut_bytes,
            if t.reverted_multi { "; an incomplete MULTI block was reverted" } else { "" }
        );
    }
    if failed > 0 {
        tracing::warn!("{failed} commands of the AOF failed while loading (loading went on)");
    }
    tracing::info!("DB loaded from append only file: {:.3} seconds ({commands} commands)", start.elapsed().as_secs_f64());
    Ok(true)
}

/// Writes a snapshot as a base file at `path` (fsynced). Returns its size.
fn write_base(snap: Snapshot, path: &Path, rdb: bool, incremental_fsync: bool) -> Result<u64, String> {
    struct AutoSync {
        f: File,
        since: usize,
        on: bool,
    }
    impl Write for AutoSync {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.f.write(buf)?;
            self.since += n;
            // `aof-rewrite-incremental-fsync`: fsync every 4 MB (REDIS_AUTOSYNC_BYTES) so the
            // final fsync does not stall on a mountain of dirty pages.
            if self.on && self.since >= 4 * 1024 * 1024 {
                self.f.sync_data()?;
                self.since = 0;
            }
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.f.flush()
        }
    }
    let f = File::create(path).map_err(|e| format!("Opening the temp file for AOF rewrite {}: {e}", path.display()))?;
    let w = BufWriter::with_capacity(1 << 20, AutoSync { f, since: 0, on: incremental_fsync });
    let w = if rdb {
        persist::write_rdb(snap, w).map_err(|e| format!("Write error writing the AOF base: {e}"))?
    } else {
        rewrite::write_resp(snap, w).map_err(|e| format!("Write error writing the AOF base: {e}"))?
    };
    let a = w.into_inner().map_err(|e| format!("Write error writing the AOF base: {}", e.error()))?;
    a.f.sync_all().map_err(|e| format!("fsync error writing the AOF base: {e}"))?;
    Ok(a.f.metadata().map(|m| m.len()).unwrap_or(0))
}

fn base_format(srv: &Server) -> BaseFormat {
    if srv.config.aof_use_rdb_preamble {
        BaseFormat::Rdb
    } else {
        BaseFormat::Resp
    }
}

/// After loading, with `appendonly yes` (`aofOpenIfNeededOnServerStart`): creates the AOF
/// directory, a base from the dataset when the AOF is empty, opens the last incr file (a new
/// one if none), persists the manifest, deletes history files, starts the writer.
/// Call with `srv.shared` set.
pub fn open_at_startup(srv: &mut Server) -> Result<(), String> {
    let names = names(srv);
    let dir = aof_dir(srv);
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
        fsync_dir(&srv.config.dir).map_err(|e| format!("Can't fsync the data directory: {e}"))?;
    }
    let mut m = srv.aof.manifest.clone();
    if m.base.is_none() && m.incr.is_empty() {
        let fmt = base_format(srv);
        let name = m.set_new_base(&names, fmt);
        let snap = persist::capture(srv, true);
        let tmp = dir.join(format!("temp-rewriteaof-{}.aof", std::process::id()));
        write_base(snap, &tmp, fmt == BaseFormat::Rdb, srv.config.aof_rewrite_incremental_fsync)?;
        std::fs::rename(&tmp, dir.join(&name)).map_err(|e| format!("Can't rename the AOF base {}: {e}", tmp.display()))?;
        tracing::info!("Creating AOF base file {name} on server start");
    }
    if m.incr.is_empty() {
        let name = m.add_new_incr(&names, None).name.clone();
        tracing::info!("Creating AOF incr file {name} on server start");
    }
    let last = m.last_incr().map(|i| i.name.clone()).unwrap_or_default();
    let file = StdLogFile::open_append(&dir.join(&last)).map_err(|e| format!("Can't open the append-only file {last}: {e}"))?;
    persist_manifest(&dir, &names, &m)?;
    delete_history(&dir, &names, &mut m)?;
    srv.aof.manifest = m;
    srv.aof.size_fixed = files_size(&dir, &srv.aof.manifest);
    srv.aof.size_base_lsn = srv.aof.lsn_high;
    srv.aof.base_size = srv.aof.size_fixed;
    install_writer(srv, file)?;
    srv.aof.on = true;
    srv.aof.timestamps.store(srv.config.aof_timestamp_enabled, Ordering::Relaxed);
    Ok(())
}

/// Starts a rewrite (BGREWRITEAOF, automatic rewrite, switching AOF on, rebuilding after a
/// failure).
pub fn start_rewrite(srv: &mut Server) -> Result<(), String> {
    if srv.aof.rewrite.is_some() {
        return Err("ERR Background append only file rewriting already in progress".into());
    }
    let Some(shared) = srv.shared.upgrade() else { return Err("ERR server is shutting down".into()) };
    srv.aof.last_try_ms = now_ms();
    let names = names(srv);
    let dir = aof_dir(srv);
    let fail = |srv: &mut Server, e: String| -> Result<(), String> {
        srv.aof.last_bgrewrite_ok = false;
        srv.aof.consecutive_failures += 1;
        tracing::warn!("Can't rewrite the append only file: {e}");
        Err(format!("ERR Can't rewrite append only file in background: {e}"))
    };
    if !dir.is_dir() {
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| fsync_dir(&srv.config.dir)) {
            return fail(srv, format!("can't create the AOF directory {}: {e}", dir.display()));
        }
    }
    let want_on = srv.config.appendonly;
    let healthy = srv.aof.on
        && srv.aof.write_error.is_none()
        && !srv.aof.poisoned.load(Ordering::SeqCst)
        && srv.aof.writer.is_some();
    let mode = if healthy {
        RewriteMode::Rotate
    } else if want_on {
        RewriteMode::Fresh
    } else {
        RewriteMode::BaseOnly
    };
    let mut temp_incr = None;
    let incr_start_lsn;
    match mode {
        RewriteMode::Rotate => {
            let mut m2 = srv.aof.manifest.clone();
            let name = m2.add_new_incr(&names, None).name.clone();
            let file = match StdLogFile::create(&dir.join(&name)) {
                Ok(f) => f,
                Err(e) => return fail(srv, format!("can't open the new incr file {name}: {e}")),
            };
            // The manifest names the new (empty) incr file before any byte goes to it.
            if let Err(e) = persist_manifest(&dir, &names, &m2) {
                let _ = std::fs::remove_file(dir.join(&name));
                return fail(srv, e);
            }
            srv.aof.manifest = m2;
            let Some(w) = srv.aof.writer.clone() else { return fail(srv, "no writer".into()) };
            match w.rotate(Box::new(file)) {
                Ok(boundary) => {
                    incr_start_lsn = boundary;
                    // The new file starts without a selected database.
                    srv.log_sink = Some(Box::new(sink::AofSink::new(w, srv.aof.timestamps.clone())));
                }
                Err(e) => return fail(srv, format!("can't switch to the new incr file: {e}")),
            }
        }
        RewriteMode::Fresh => {
            let path = dir.join(names.temp_incr());
            let file = match StdLogFile::create(&path) {
                Ok(f) => f,
                Err(e) => return fail(srv, format!("can't open {}: {e}", path.display())),
            };
            remove_writer(srv);
            incr_start_lsn = srv.aof.lsn_high;
            if let Err(e) = install_writer(srv, file) {
                return fail(srv, e);
            }
            temp_incr = Some(path);
        }
        RewriteMode::BaseOnly => incr_start_lsn = srv.aof.lsn_high,
    }
    let snap = persist::capture(srv, true);
    let id = srv.aof.next_job_id;
    srv.aof.next_job_id += 1;
    let format = base_format(srv);
    srv.aof.rewrite = Some(RewriteJob { id, mode, started: Instant::now(), format, incr_start_lsn, temp_incr });
    apply_fsync_suspension(srv);
    srv.aof.rewrite_scheduled = false;
    let tmp = dir.join(format!("temp-rewriteaof-bg-{}-{id}.aof", std::process::id()));
    let incremental = srv.config.aof_rewrite_incremental_fsync;
    tracing::info!("Background append only file rewriting started");
    let spawned = std::thread::Builder::new().name("vk-aof-rewrite".into()).spawn(move || {
        let res = write_base(snap, &tmp, format == BaseFormat::Rdb, incremental);
        let mut srv = shared.srv.lock();
        finish_rewrite(&mut srv, id, res, &tmp);
    });
    if let Err(e) = spawned {
        srv.aof.rewrite = None;
        return fail(srv, format!("can't start the rewrite thread: {e}"));
    }
    Ok(())
}

/// Completes a rewrite whose base was written (or failed) to `tmp`.
fn finish_rewrite(srv: &mut Server, id: u64, res: Result<u64, String>, tmp: &Path) {
    let Some(job) = srv.aof.rewrite.take_if(|j| j.id == id) else {
        // Cancelled (AOF switched off meanwhile).
        let _ = std::fs::remove_file(tmp);
        return;
    };
    apply_fsync_suspension(srv);
    let secs = job.started.elapsed().as_secs() as i64;
    srv.aof.last_rewrite_time_sec = secs;
    srv.aof.last_cow_size = srv.dbs.iter().map(|d| d.cow_bytes() as u64).sum();
    let result = res.and_then(|base_size| switch_manifest(srv, &job, tmp).map(|_| base_size));
    match result {
        Ok(base_size) => {
            srv.aof.last_bgrewrite_ok = true;
            srv.aof.rewrites += 1;
            srv.aof.consecutive_failures = 0;
            srv.aof.size_fixed = base_size;
            srv.aof.size_base_lsn = job.incr_start_lsn;
            if job.mode != RewriteMode::BaseOnly {
                srv.aof.on = true;
                let recovered = srv.aof.write_error.take().is_some();
                if recovered {
                    tracing::info!("AOF rebuilt from memory after a write error: writes are accepted again");
                }
                if let Some(sh) = srv.shared.upgrade() {
                    let start = job.incr_start_lsn;
                    sh.durable.send_modify(|d| {
                        if d.failed {
                            d.failed = false;
                            d.lost_below = start;
                        }
                    });
                }
            }
            srv.aof.base_size = current_size(srv);
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            srv.aof.last_bgrewrite_ok = false;
            srv.aof.consecutive_failures += 1;
            tracing::warn!("Background AOF rewrite failed: {e}");
            if job.mode == RewriteMode::Fresh {
                // The fresh log is not named by any manifest: drop it, retry later.
                remove_writer(srv);
                if let Some(p) = &job.temp_incr {
                    let _ = std::fs::remove_file(p);
                }
                if srv.aof.on && srv.aof.write_error.is_none() {
                    srv.aof.write_error = Some(e.clone());
                }
            }
        }
    }
}

/// Steps 4-6 of the rewrite protocol (rename the base in, switch the manifest, delete history).
fn switch_manifest(srv: &mut Server, job: &RewriteJob, tmp: &Path) -> Result<(), String> {
    let names = names(srv);
    let dir = aof_dir(srv);
    let mut m = srv.aof.manifest.clone();
    let base_name = m.set_new_base(&names, job.format);
    std::fs::rename(tmp, dir.join(&base_name)).map_err(|e| format!("can't rename the new base into place: {e}"))?;
    match job.mode {
        RewriteMode::Rotate => m.mark_rewritten_incr_as_history(),
        RewriteMode::Fresh => {
            let name = m.add_new_incr(&names, None).name.clone();
            if let Some(p) = &job.temp_incr {
                std::fs::rename(p, dir.join(&name)).map_err(|e| format!("can't rename the temp incr file: {e}"))?;
            }
            m.mark_rewritten_incr_as_history();
        }
        RewriteMode::BaseOnly => {
            for mut i in std::mem::take(&mut m.incr) {
                i.kind = AofFileType::History;
                m.history.push(i);
            }
        }
    }
    fsync_dir(&dir).map_err(|e| format!("can't fsync the AOF directory: {e}"))?;
    persist_manifest(&dir, &names, &m)?;
    srv.aof.manifest = m.clone();
    if let Err(e) = delete_history(&dir, &names, &mut m) {
        tracing::warn!("{e}");
    }
    srv.aof.manifest = m;
    Ok(())
}

/// Switches AOF off (CONFIG SET appendonly no): flushes and stops the writer, cancels a rewrite.
pub fn stop(srv: &mut Server) {
    if let Some(job) = srv.aof.rewrite.take() {
        if let Some(p) = job.temp_incr {
            let _ = std::fs::remove_file(p);
        }
    }
    remove_writer(srv);
    srv.aof.on = false;
    srv.aof.write_error = None;
    if let Some(sh) = srv.shared.upgrade() {
        let end = srv.aof.lsn_high;
        sh.durable.send_modify(|d| {
            if d.failed {
                d.failed = false;
                d.lost_below = end;
            }
        });
    }
}

/// Follows the AOF directives after CONFIG SET: `appendonly` on (a rewrite builds the base
/// first, as Redis does) or off, `appendfsync` (the writer is restarted on the same file),
/// `aof-timestamp-enabled`. Also called by the cron.
pub fn apply_config(srv: &mut Server) -> Result<(), String> {
    srv.aof.timestamps.store(srv.config.aof_timestamp_enabled, Ordering::Relaxed);
    let want = srv.config.appendonly;
    let active = srv.aof.on || srv.aof.rewrite.as_ref().is_some_and(|j| j.mode == RewriteMode::Fresh);
    if !want && active {
        stop(srv);
        tracing::info!("Append only file disabled");
        return Ok(());
    }
    if want && !active && srv.aof.rewrite.is_none() {
        return start_rewrite(srv);
    }
    if want && srv.aof.on && srv.aof.rewrite.is_none() && srv.aof.write_error.is_none() && config_policy(srv) != srv.aof.policy {
        // A new writer with the new policy on the same incr file.
        let last = srv.aof.manifest.last_incr().map(|i| i.name.clone()).unwrap_or_default();
        let path = aof_dir(srv).join(last);
        remove_writer(srv);
        let file = StdLogFile::open_append(&path).map_err(|e| format!("ERR can't reopen the AOF: {e}"))?;
        install_writer(srv, file)?;
    }
    Ok(())
}

/// Periodic AOF work (from the server cron): follow the configuration, notice a poisoned
/// writer, retry the rebuild every second, run scheduled and automatic rewrites.
pub fn cron(srv: &mut Server) {
    if srv.loading {
        return;
    }
    let retry_ok = now_ms() - srv.aof.last_try_ms >= 1000;
    let want = srv.config.appendonly;
    let active = srv.aof.on || srv.aof.rewrite.as_ref().is_some_and(|j| j.mode == RewriteMode::Fresh);
    let policy_changed = want && srv.aof.on && config_policy(srv) != srv.aof.policy;
    if want != active || policy_changed {
        if !want || active || retry_ok {
            let _ = apply_config(srv);
        }
        return;
    }
    srv.aof.timestamps.store(srv.config.aof_timestamp_enabled, Ordering::Relaxed);
    apply_fsync_suspension(srv);
    if srv.aof.rewrite.is_some() {
        return;
    }
    if !srv.aof.on {
        if srv.aof.rewrite_scheduled && retry_ok {
            let _ = start_rewrite(srv);
        }
        return;
    }
    if srv.aof.write_error.is_none() && srv.aof.poisoned.load(Ordering::SeqCst) {
        srv.aof.write_error = write_error(srv);
        // The first rebuild attempt waits a second, as Redis retries its AOF writes.
        srv.aof.last_try_ms = now_ms();
        return;
    }
    if srv.aof.write_error.is_some() {
        if retry_ok {
            let _ = start_rewrite(srv);
        }
        return;
    }
    if srv.aof.rewrite_scheduled && retry_ok {
        let _ = start_rewrite(srv);
        return;
    }
    let pct = srv.config.auto_aof_rewrite_percentage;
    let size = current_size(srv);
    if pct > 0 && size > srv.config.auto_aof_rewrite_min_size && (srv.aof.last_bgrewrite_ok || retry_ok) {
        let base = srv.aof.base_size.max(1);
        let growth = (size * 100 / base).saturating_sub(100);
        if growth >= pct {
            tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
            let _ = start_rewrite(srv);
        }
    }
}

/// Before exiting (SHUTDOWN, SIGTERM): write and fsync everything appended.
pub fn flush_for_shutdown(srv: &mut Server) -> Result<(), String> {
    if let Some(w) = &srv.aof.writer {
        w.flush().map_err(|e| format!("Error writing the AOF before exiting: {e}"))?;
        tracing::info!("Calling fsync() on the AOF file.");
    }
    Ok(())
}

/// DEBUG LOADAOF: flush the AOF, empty the dataset, load the AOF again.
pub fn debug_loadaof(srv: &mut Server) -> Result<(), String> {
    if srv.aof.on {
        if let Some(w) = &srv.aof.writer {
            let _ = w.flush();
        }
    }
    for db in srv.dbs.iter_mut() {
        db.clear();
    }
    srv.clear_functions();
    let names = names(srv);
    let dir = aof_dir(srv);
    let manifest_path = dir.join(names.manifest());
    if manifest_path.is_file() {
        let set = AofSet::open_manifest(&manifest_path).map_err(|e| format!("ERR {e}"))?;
        load::load_set(srv, &set).map_err(|e| format!("ERR {e}"))?;
    }
    srv.dirty = 0;
    tracing::info!("Append Only File loaded by DEBUG LOADAOF");
    Ok(())
}

/// WAITAOF support: the position the caller's writes reach (the last appended LSN), and
/// whether it is already fsynced. Asks the writer to fsync now when it is not.
pub fn fsync_target(srv: &Server) -> (u64, bool) {
    let target = srv.last_lsn.min(appended(srv));
    let fsynced = srv.shared.upgrade().map(|sh| sh.durable.borrow().fsynced).unwrap_or(0);
    if target <= fsynced {
        return (target, true);
    }
    if let Some(w) = srv.aof.writer.clone() {
        // `flush` blocks until durable: run it off the lock, in a short-lived thread.
        let _ = std::thread::Builder::new().name("vk-aof-flush".into()).spawn(move || {
            let _ = w.flush();
        });
    }
    (target, false)
}

/// The AOF and loading fields of INFO persistence, as Redis 7.2 names them.
pub fn info_fields(srv: &Server) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut f = |k: &str, val: String| v.push((k.to_string(), val));
    f("loading", (srv.loading as u8).to_string());
    f("async_loading", "0".into());
    if srv.loading {
        let now = now_ms() / 1000;
        let total = srv.rdb.loading_total_bytes;
        let loaded = srv.rdb.loading_loaded_bytes;
        let perc = if total > 0 { loaded as f64 * 100.0 / total as f64 } else { 0.0 };
        let elapsed = (now - srv.rdb.loading_start).max(0);
        let eta = if loaded > 0 && total > loaded { (elapsed as f64 * (total - loaded) as f64 / loaded as f64) as i64 } else { 0 };
        f("loading_start_time", srv.rdb.loading_start.to_string());
        f("loading_total_bytes", total.to_string());
        f("loading_rdb_used_mem", "0".into());
        f("loading_loaded_bytes", loaded.to_string());
        f("loading_loaded_perc", format!("{perc:.2}"));
        f("loading_eta_seconds", eta.to_string());
    }
    let enabled = srv.aof.on || srv.aof.rewrite.as_ref().is_some_and(|j| j.mode == RewriteMode::Fresh);
    let write_err = write_error(srv).is_some();
    f("aof_enabled", (enabled as u8).to_string());
    f("aof_rewrite_in_progress", (srv.aof.rewrite.is_some() as u8).to_string());
    f("aof_rewrite_scheduled", (srv.aof.rewrite_scheduled as u8).to_string());
    f("aof_last_rewrite_time_sec", srv.aof.last_rewrite_time_sec.to_string());
    f(
        "aof_current_rewrite_time_sec",
        srv.aof.rewrite.as_ref().map_or(-1, |j| j.started.elapsed().as_secs() as i64).to_string(),
    );
    f("aof_last_bgrewrite_status", if srv.aof.last_bgrewrite_ok { "ok" } else { "err" }.into());
    f("aof_rewrites", srv.aof.rewrites.to_string());
    f("aof_rewrites_consecutive_failures", srv.aof.consecutive_failures.to_string());
    f("aof_last_write_status", if write_err { "err" } else { "ok" }.into());
    f("aof_last_cow_size", srv.aof.last_cow_size.to_string());
    f("module_fork_in_progress", "0".into());
    f("module_fork_last_cow_size", "0".into());
    if enabled {
        let st = srv.aof.writer.as_ref().map(|w| w.stats()).unwrap_or_default();
        f("aof_current_size", current_size(srv).to_string());
        f("aof_base_size", srv.aof.base_size.to_string());
        f("aof_pending_rewrite", (srv.aof.rewrite_scheduled as u8).to_string());
        f("aof_buffer_length", st.appended_lsn.saturating_sub(st.written_lsn).to_string());
        let pending_fsync = srv.aof.policy == FsyncPolicy::EverySec && st.written_lsn > st.durable_lsn;
        f("aof_pending_bio_fsync", (pending_fsync as u8).to_string());
        f("aof_delayed_fsync", st.delayed_fsync.to_string());
        // Ours (not in Redis): group commit and the measured power-failure exposure, see
        // docs/durability.md.
        f("aof_group_commit_avg_batch", format!("{:.2}", st.avg_fsync_batch()));
        f("aof_write_avg_batch", format!("{:.2}", st.avg_write_batch()));
        f("aof_fsync_avg_usec", st.avg_fsync_micros().to_string());
        f("aof_max_unsynced_age_ms", (st.max_unsynced_age_micros / 1000).to_string());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use bytes::Bytes;

    #[test]
    fn strerror_like_c() {
        assert_eq!(strerror(Some(28), "x"), "No space left on device");
        assert_eq!(strerror(Some(5), "x"), "Input/output error");
        assert_eq!(strerror(None, "x"), "x");
    }

    fn server_in(dir: &Path, extra: &[(&str, &str)]) -> Server {
        let mut cfg = Config::default();
        cfg.dir = dir.to_path_buf();
        cfg.appendonly = true;
        for (k, v) in extra {
            cfg.set_directive(k, &[v], true).unwrap();
        }
        Server::new(cfg)
    }

    fn run(srv: &mut Server, client: &mut crate::client::Client, args: &[&str]) -> crate::server::Outcome {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        crate::server::execute(srv, client, argv)
    }

    fn get(srv: &mut Server, key: &str) -> Option<Vec<u8>> {
        match srv.dbs[0].get(key.as_bytes()).map(|e| crate::persist::convert::to_rdb(&e.value)) {
            Some(vk_storage::rdb::RdbValue::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Writes an AOF of `n` SETs (plus a SELECT) with a real server state and returns the incr
    /// file's bytes and the end offset of each command.
    fn make_aof(dir: &Path, n: usize) -> (PathBuf, Vec<u8>) {
        let srv = server_in(dir, &[("appendfsync", "always")]);
        let shared = Shared::new(srv);
        {
            let mut srv = shared.srv.lock();
            open_at_startup(&mut srv).unwrap();
            let mut c = crate::client::Client::detached(1);
            for i in 0..n {
                run(&mut srv, &mut c, &["SET", &format!("k{i}"), &format!("v{i}")]);
            }
            flush_for_shutdown(&mut srv).unwrap();
            remove_writer(&mut srv);
        }
        let incr = dir.join("appendonlydir").join("appendonly.aof.1.incr.aof");
        let bytes = std::fs::read(&incr).unwrap();
        (incr, bytes)
    }

    /// Every cut position of an incr file: startup either loads a prefix (the torn tail cut,
    /// with aof-load-truncated yes) or refuses (no); never panics; never loses a complete command.
    #[test]
    fn every_truncation_point_of_an_incr_file() {
        let src = tempfile::tempdir().unwrap();
        let (_, bytes) = make_aof(src.path(), 6);
        // Command boundaries: end offsets of complete commands.
        let mut ends = Vec::new();
        let mut r = vk_storage::aof::command::CommandReader::new(&bytes[..]);
        while let Ok(Some(e)) = r.next_entry() {
            ends.push(e.end());
        }
        assert_eq!(ends.len(), 7, "SELECT + 6 SETs");
        for cut in 0..=bytes.len() {
            for truncated_ok in [true, false] {
                let d = tempfile::tempdir().unwrap();
                let aofdir = d.path().join("appendonlydir");
                std::fs::create_dir_all(&aofdir).unwrap();
                for e in std::fs::read_dir(src.path().join("appendonlydir")).unwrap() {
                    let p = e.unwrap().path();
                    std::fs::copy(&p, aofdir.join(p.file_name().unwrap())).unwrap();
                }
                let incr = aofdir.join("appendonly.aof.1.incr.aof");
                std::fs::write(&incr, &bytes[..cut]).unwrap();
                let mut srv = server_in(d.path(), &[("aof-load-truncated", if truncated_ok { "yes" } else { "no" })]);
                let res = load_at_startup(&mut srv);
                let complete = ends.iter().filter(|&&e| e as usize <= cut).count();
                let at_boundary = cut == 0 || ends.contains(&(cut as u64));
                match res {
                    Ok(_) => {
                        assert!(truncated_ok || at_boundary, "cut {cut}: loaded a torn file with aof-load-truncated no");
                        let sets = complete.saturating_sub(1);
                        for i in 0..6 {
                            let v = get(&mut srv, &format!("k{i}"));
                            if i < sets {
                                assert_eq!(v, Some(format!("v{i}").into_bytes()), "cut {cut}: lost k{i}");
                            } else {
                                assert_eq!(v, None, "cut {cut}: k{i} from a torn command");
                            }
                        }
                        let len = std::fs::metadata(&incr).unwrap().len();
                        let expect = if complete == 0 { 0 } else { ends[complete - 1] };
                        assert_eq!(len, expect, "cut {cut}: file cut back to the last complete command");
                    }
                    Err(e) => {
                        assert!(!truncated_ok && !at_boundary, "cut {cut}: refused: {e}");
                        assert!(e.contains("appendonly.aof.1.incr.aof") && e.contains("vk-check-aof"), "{e}");
                    }
                }
            }
        }
    }

    /// A failing disk under the writer: the waiting write gets an error, further writes are
    /// refused with MISCONF, reads go on, INFO says err; the cron rebuilds the AOF from memory
    /// and writes are accepted again, and the rebuilt AOF holds the data.
    #[test]
    fn failed_write_poisons_then_rebuild_from_memory() {
        use vk_storage::io::{Fault, FaultyFile};
        let d = tempfile::tempdir().unwrap();
        let srv = server_in(d.path(), &[("appendfsync", "always")]);
        let shared = Shared::new(srv);
        let mut c = crate::client::Client::detached(1);
        let faulty = FaultyFile::new();
        {
            let mut srv = shared.srv.lock();
            open_at_startup(&mut srv).unwrap();
            let o = run(&mut srv, &mut c, &["SET", "a", "1"]);
            assert!(o.wait_lsn > 0);
            // Swap in a faulty disk that fails the next write with ENOSPC.
            remove_writer(&mut srv);
            faulty.fail_write(0, Fault::NoSpace, 3);
            install_log_file(&mut srv, Box::new(faulty.clone())).unwrap();
        }
        let lsn = {
            let mut srv = shared.srv.lock();
            run(&mut srv, &mut c, &["SET", "b", "2"]).wait_lsn
        };
        // The connection's wait: decided, as failed.
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let d = *shared.durable.borrow();
            if let Some(v) = d.verdict(lsn, false) {
                assert!(!v, "the failed write must not be acknowledged");
                break;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        {
            let mut srv = shared.srv.lock();
            cron(&mut srv);
            let o = run(&mut srv, &mut c, &["SET", "c", "3"]);
            match o.reply {
                Some(crate::resp::Reply::Error(e)) => assert_eq!(e, "MISCONF Errors writing to the AOF file: No space left on device"),
                _ => panic!("write not refused"),
            }
            let o = run(&mut srv, &mut c, &["GET", "a"]);
            assert!(matches!(o.reply, Some(crate::resp::Reply::Bulk(_))));
            let info = info_fields(&srv);
            assert!(info.contains(&("aof_last_write_status".into(), "err".into())));
            // The cron retries a rebuild after a second.
            srv.aof.last_try_ms -= 2000;
            cron(&mut srv);
            assert!(srv.aof.rewrite.is_some(), "rebuild started");
        }
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while shared.srv.lock().aof.rewrite.is_some() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        {
            let mut srv = shared.srv.lock();
            assert!(write_error(&srv).is_none());
            let o = run(&mut srv, &mut c, &["SET", "d", "4"]);
            assert!(matches!(o.reply, Some(crate::resp::Reply::Simple(_))));
            assert!(!shared.durable.borrow().failed);
            flush_for_shutdown(&mut srv).unwrap();
            let info = info_fields(&srv);
            assert!(info.contains(&("aof_last_write_status".into(), "ok".into())));
            remove_writer(&mut srv);
        }
        // The rebuilt AOF: a, b (in memory although its reply failed), d.
        let mut srv2 = server_in(d.path(), &[]);
        assert!(load_at_startup(&mut srv2).unwrap());
        assert_eq!(get(&mut srv2, "a"), Some(b"1".to_vec()));
        assert_eq!(get(&mut srv2, "b"), Some(b"2".to_vec()));
        assert_eq!(get(&mut srv2, "c"), None);
        assert_eq!(get(&mut srv2, "d"), Some(b"4".to_vec()));
        let m = std::fs::read_to_string(d.path().join("appendonlydir/appendonly.aof.manifest")).unwrap();
        assert_eq!(m, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
    }

    /// `no-appendfsync-on-rewrite yes` with `appendfsync always`: while a rewrite runs, a
    /// write is acknowledged once written, without fsync (Redis's behaviour: durability is
    /// that of `appendfsync no` meanwhile); when the rewrite ends fsyncs resume and cover it.
    #[test]
    fn no_appendfsync_on_rewrite_acknowledges_without_fsync_during_a_rewrite() {
        let d = tempfile::tempdir().unwrap();
        let srv = server_in(d.path(), &[("appendfsync", "always"), ("no-appendfsync-on-rewrite", "yes")]);
        let shared = Shared::new(srv);
        let mut c = crate::client::Client::detached(1);
        let wait = |pred: &dyn Fn(&crate::server::Durable) -> bool| {
            let deadline = Instant::now() + std::time::Duration::from_secs(10);
            while !pred(&shared.durable.borrow()) {
                assert!(Instant::now() < deadline, "timed out: {:?}", *shared.durable.borrow());
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        };
        let before = {
            let mut srv = shared.srv.lock();
            open_at_startup(&mut srv).unwrap();
            run(&mut srv, &mut c, &["SET", "a", "1"]).wait_lsn
        };
        // Outside a rewrite: acknowledged only once fsynced.
        wait(&|d| d.verdict(before, false) == Some(true));
        assert!(shared.durable.borrow().fsynced >= before);
        let (lsn, w) = {
            // Holding the server lock keeps the rewrite from finishing (its last step needs it).
            let mut srv = shared.srv.lock();
            start_rewrite(&mut srv).unwrap();
            let w = srv.aof.writer.clone().unwrap();
            assert!(w.fsync_suspended());
            let fsyncs = w.stats().fsyncs;
            let lsn = run(&mut srv, &mut c, &["SET", "b", "2"]).wait_lsn;
            wait(&|d| d.verdict(lsn, false) == Some(true));
            assert!(shared.durable.borrow().fsynced < lsn, "fsynced during the rewrite");
            assert_eq!(w.stats().fsyncs, fsyncs, "no fsync while the rewrite runs");
            assert!(w.written_lsn() >= lsn);
            (lsn, w)
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while shared.srv.lock().aof.rewrite.is_some() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // The rewrite is over: fsyncs resume and cover the write acknowledged meanwhile.
        assert!(!w.fsync_suspended());
        wait(&|d| d.fsynced >= lsn);
        let mut srv = shared.srv.lock();
        // And acknowledgements wait for fsyncs again.
        assert!(!srv.aof.ack_on_write.load(Ordering::SeqCst));
        remove_writer(&mut srv);
    }

    /// Without the option (Redis's default), a rewrite does not change the fsync policy.
    #[test]
    fn fsyncs_go_on_during_a_rewrite_by_default() {
        let d = tempfile::tempdir().unwrap();
        let shared = Shared::new(server_in(d.path(), &[("appendfsync", "always")]));
        let mut srv = shared.srv.lock();
        open_at_startup(&mut srv).unwrap();
        start_rewrite(&mut srv).unwrap();
        assert!(!srv.aof.writer.as_ref().unwrap().fsync_suspended());
        let mut c = crate::client::Client::detached(1);
        let lsn = run(&mut srv, &mut c, &["SET", "b", "2"]).wait_lsn;
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while shared.durable.borrow().fsynced < lsn {
            assert!(Instant::now() < deadline, "not fsynced during the rewrite");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        drop(srv);
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while shared.srv.lock().aof.rewrite.is_some() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        remove_writer(&mut shared.srv.lock());
    }

    #[test]
    fn debug_loadaof_reloads() {
        let d = tempfile::tempdir().unwrap();
        let shared = Shared::new(server_in(d.path(), &[]));
        let mut srv = shared.srv.lock();
        open_at_startup(&mut srv).unwrap();
        let mut c = crate::client::Client::detached(1);
        run(&mut srv, &mut c, &["SET", "x", "1"]);
        run(&mut srv, &mut c, &["INCR", "x"]);
        srv.dbs[0].clear();
        debug_loadaof(&mut srv).unwrap();
        assert_eq!(get(&mut srv, "x"), Some(b"2".to_vec()));
        remove_writer(&mut srv);
    }
}
