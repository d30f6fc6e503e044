//! The log-writer thread.
//!
//! Format-agnostic: it appends opaque, already-encoded byte strings (whole AOF commands, or
//! whatever a later user such as replication hands it) to a file, and reports progress as
//! LSNs: an LSN is a byte offset in the logical stream of everything ever appended, so it
//! keeps growing across file rotations.
//!
//! ```text
//!  appenders ──append(bytes)──▶ [ in-memory buffer ]  (small mutex, never blocks on I/O)
//!                                      │ swapped out whole by the writer thread
//!                                      ▼
//!                     writer thread: write(batch) ─▶ fsync per policy ─▶ publish LSNs
//! ```
//!
//! - [`FsyncPolicy::Always`]: group commit. The writer takes everything queued, writes it,
//!   fsyncs once, then publishes `durable_lsn` and wakes waiters: one fsync covers every
//!   append queued before it.
//! - [`FsyncPolicy::EverySec`]: writes as data arrives; at most one fsync per interval
//!   (1 s), run on a background syncer thread so writing goes on meanwhile. When an fsync
//!   has been running for more than 2 s and more data must be written, the writer counts an
//!   `aof_delayed_fsync` (Redis's statistic) instead of blocking appenders.
//! - [`FsyncPolicy::No`]: writes only; fsync on rotation, [`LogWriter::flush`] and shutdown.
//!
//! A failed write or fsync **poisons** the writer (as in fjall): after an fsync error the
//! kernel may have dropped the dirty pages, so retrying the fsync proves nothing. A partial
//! write is first cut back to the last batch boundary (always a command boundary, since
//! appends are whole commands), as Redis does. A poisoned writer refuses appends, fails the
//! waiters of LSNs that are not durable, and reports [`WriterStatus::Poisoned`]: the server
//! refuses writes (MISCONF-style) until it rebuilds the log with a rewrite into fresh files
//! and a fresh `LogWriter`.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::io::{LogFile, SyncHandle};

/// A position in the logical log stream: the number of bytes appended before it.
pub type Lsn = u64;

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// fsync before acknowledging (group commit).
    Always,
    /// fsync about once per second, in the background.
    EverySec,
    /// Never fsync on the write path (the OS flushes when it likes).
    No,
}

/// Something the writer reports through [`WriterConfig::on_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterEvent {
    /// Everything below this LSN is in the file (in the page cache).
    Written(Lsn),
    /// Everything below this LSN is durable.
    Durable(Lsn),
    /// The writer is poisoned.
    Poisoned(PoisonInfo),
}

/// Callback type for [`WriterConfig::on_event`].
pub type EventCallback = Arc<dyn Fn(&WriterEvent) + Send + Sync>;

/// Writer settings.
#[derive(Clone)]
pub struct WriterConfig {
    /// `appendfsync`.
    pub policy: FsyncPolicy,
    /// LSN of the first byte appended (e.g. the size of what is already in the log).
    pub start_lsn: Lsn,
    /// EverySec: minimum time between two fsyncs (1 s).
    pub everysec_interval: Duration,
    /// EverySec: an fsync running longer than this makes the next write count as delayed (2 s).
    pub delayed_fsync_after: Duration,
    /// Called from the writer (or syncer) thread after each published change, outside any
    /// lock. Keep it short; e.g. send to a `tokio::sync::watch`.
    pub on_event: Option<EventCallback>,
}

impl WriterConfig {
    /// Defaults for a policy: LSN 0, 1 s interval, 2 s delayed-fsync threshold, no callback.
    pub fn new(policy: FsyncPolicy) -> Self {
        WriterConfig {
            policy,
            start_lsn: 0,
            everysec_interval: Duration::from_secs(1),
            delayed_fsync_after: Duration::from_secs(2),
            on_event: None,
        }
    }
}

impl std::fmt::Debug for WriterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterConfig")
            .field("policy", &self.policy)
            .field("start_lsn", &self.start_lsn)
            .field("everysec_interval", &self.everysec_interval)
            .field("delayed_fsync_after", &self.delayed_fsync_after)
            .field("on_event", &self.on_event.is_some())
            .finish()
    }
}

/// Which operation poisoned the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedOp {
    /// `write` (possibly short).
    Write,
    /// `fsync`.
    Fsync,
}

/// Why the writer is poisoned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonInfo {
    /// The failed operation.
    pub op: FailedOp,
    /// `errno`, when the error had one.
    pub errno: Option<i32>,
    /// The error text.
    pub message: String,
    /// Durable LSN when it happened: nothing above it can be trusted to be on disk.
    pub durable_lsn: Lsn,
    /// After a partial write: the file length we cut back to (`None` if nothing was cut or
    /// the cut failed).
    pub truncated_to: Option<u64>,
}

/// Errors of the writer API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriterError {
    /// A write or fsync failed; the log must be rebuilt.
    #[error("AOF writer poisoned by a failed {:?} (errno {:?}): {}", .0.op, .0.errno, .0.message)]
    Poisoned(PoisonInfo),
    /// The writer was shut down.
    #[error("AOF writer is shut down")]
    Closed,
}

/// Health of the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterStatus {
    /// Appends are accepted.
    Healthy,
    /// Refuse writes until the log is rebuilt.
    Poisoned(PoisonInfo),
}

/// Counters and positions (`INFO persistence` material).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// End of everything appended.
    pub appended_lsn: Lsn,
    /// End of what reached the file.
    pub written_lsn: Lsn,
    /// End of what is durable.
    pub durable_lsn: Lsn,
    /// LSN of the first byte of the current file.
    pub file_start_lsn: Lsn,
    /// Size of the current file.
    pub file_size: u64,
    /// `aof_last_write_status`: false after a failed write.
    pub last_write_ok: bool,
    /// `aof_last_write_errno`.
    pub last_write_errno: Option<i32>,
    /// Text of the last fsync error.
    pub last_fsync_error: Option<String>,
    /// `aof_delayed_fsync`.
    pub delayed_fsync: u64,
    /// Number of write calls.
    pub writes: u64,
    /// Number of fsync calls.
    pub fsyncs: u64,
    /// True once poisoned.
    pub poisoned: bool,
}

struct Rotation {
    file: Box<dyn LogFile>,
    boundary: Lsn,
    old_tail: Vec<u8>,
}

struct State {
    buf: Vec<u8>,
    appended: Lsn,
    written: Lsn,
    durable: Lsn,
    /// EverySec: highest LSN handed to the syncer.
    sync_scheduled: Lsn,
    sync_in_flight_since: Option<Instant>,
    last_sync_start: Option<Instant>,
    flush_to: Lsn,
    rotation: Option<Rotation>,
    rotation_busy: bool,
    rotation_result: Option<Result<Lsn, WriterError>>,
    shutdown: bool,
    exited: bool,
    poison: Option<PoisonInfo>,
    stats: WriterStats,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread.
    work: Condvar,
    /// Wakes waiters (written/durable/rotation/exit).
    progress: Condvar,
    config: WriterConfig,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn emit(&self, ev: WriterEvent) {
        if let Some(cb) = &self.config.on_event {
            cb(&ev);
        }
    }
    /// Records a poison (first one wins) and wakes everyone.
    fn poison(&self, mut st: MutexGuard<'_, State>, op: FailedOp, err: &std::io::Error, truncated_to: Option<u64>) {
        let info = PoisonInfo {
            op,
            errno: err.raw_os_error(),
            message: err.to_string(),
            durable_lsn: st.durable,
            truncated_to,
        };
        match op {
            FailedOp::Write => {
                st.stats.last_write_ok = false;
                st.stats.last_write_errno = err.raw_os_error();
            }
            FailedOp::Fsync => st.stats.last_fsync_error = Some(err.to_string()),
        }
        st.stats.poisoned = true;
        // What was queued will never be written: drop it.
        st.buf = Vec::new();
        let first = st.poison.is_none();
        if first {
            st.poison = Some(info.clone());
        }
        drop(st);
        // The event goes out before waiters wake, so whoever sees the error also finds it
        // reported.
        if first {
            self.emit(WriterEvent::Poisoned(info));
        }
        self.progress.notify_all();
        self.work.notify_all();
    }
}

/// Handle to the log-writer thread. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct LogWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LogWriter {
    /// Starts the writer thread on `file` (appending after its current end).
    pub fn start(file: Box<dyn LogFile>, config: WriterConfig) -> std::io::Result<LogWriter> {
        let start = config.start_lsn;
        let file_size = file.len();
        let state = State {
            buf: Vec::new(),
            appended: start,
            written: start,
            durable: start,
            sync_scheduled: start,
            sync_in_flight_since: None,
            last_sync_start: None,
            flush_to: start,
            rotation: None,
            rotation_busy: false,
            rotation_result: None,
            shutdown: false,
            exited: false,
            poison: None,
            stats: WriterStats {
                appended_lsn: start,
                written_lsn: start,
                durable_lsn: start,
                file_start_lsn: start,
                file_size,
                last_write_ok: true,
                ..WriterStats::default()
            },
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            work: Condvar::new(),
            progress: Condvar::new(),
            config,
        });
        let s2 = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("vk-aof-writer".into())
            .spawn(move || writer_main(&s2, file))?;
        Ok(LogWriter { shared, thread: Mutex::new(Some(thread)) })
    }

    /// Queues `bytes` (one or more whole commands) and returns the LSN just past them: the
    /// command is durable once `durable_lsn() >= ` that LSN. Never blocks on I/O.
    pub fn append(&self, bytes: &[u8]) -> Result<Lsn, WriterError> {
        let mut st = self.shared.lock();
        if let Some(p) = &st.poison {
            return Err(WriterError::Poisoned(p.clone()));
        }
        if st.shutdown {
            return Err(WriterError::Closed);
        }
        st.buf.extend_from_slice(bytes);
        st.appended += bytes.len() as u64;
        st.stats.appended_lsn = st.appended;
        let lsn = st.appended;
        drop(st);
        self.shared.work.notify_one();
        Ok(lsn)
    }

    /// Appends, then waits for what the policy promises before a reply: durability under
    /// `Always`, being written to the file (safe from a process crash) otherwise.
    pub fn append_and_wait(&self, bytes: &[u8]) -> Result<Lsn, WriterError> {
        let lsn = self.append(bytes)?;
        match self.shared.config.policy {
            FsyncPolicy::Always => self.wait_durable(lsn)?,
            FsyncPolicy::EverySec | FsyncPolicy::No => self.wait_written(lsn)?,
        }
        Ok(lsn)
    }

    fn wait_for(&self, lsn: Lsn, durable: bool, timeout: Option<Duration>) -> Result<bool, WriterError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.shared.lock();
        loop {
            let reached = if durable { st.durable } else { st.written };
            if reached >= lsn {
                return Ok(true);
            }
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
            if st.exited {
                return Err(WriterError::Closed);
            }
            st = match deadline {
                None => self.shared.progress.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Ok(false);
                    }
                    self.shared.progress.wait_timeout(st, d - now).unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }

    /// Blocks until `lsn` is durable; fails if the writer is poisoned first. Under `EverySec`
    /// this can take up to the interval; under `No`, until [`LogWriter::flush`].
    pub fn wait_durable(&self, lsn: Lsn) -> Result<(), WriterError> {
        self.wait_for(lsn, true, None).map(|_| ())
    }

    /// As [`LogWriter::wait_durable`] with a timeout: `Ok(false)` when it expired.
    pub fn wait_durable_timeout(&self, lsn: Lsn, timeout: Duration) -> Result<bool, WriterError> {
        self.wait_for(lsn, true, Some(timeout))
    }

    /// Blocks until `lsn` has been written to the file (survives a process crash).
    pub fn wait_written(&self, lsn: Lsn) -> Result<(), WriterError> {
        self.wait_for(lsn, false, None).map(|_| ())
    }

    /// Writes and fsyncs everything appended so far, whatever the policy; returns the
    /// durable LSN.
    pub fn flush(&self) -> Result<Lsn, WriterError> {
        let target = {
            let mut st = self.shared.lock();
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
            st.flush_to = st.flush_to.max(st.appended);
            st.appended
        };
        self.shared.work.notify_one();
        self.wait_durable(target)?;
        Ok(target)
    }

    /// Switches to `new_file` at an LSN boundary: everything appended before this call goes
    /// to the current file, which is fsynced; everything after goes to `new_file`. Returns
    /// the LSN where `new_file` starts. Used by a rewrite, after the new incr file was
    /// created (and its directory fsynced) and before the manifest names it.
    pub fn rotate(&self, new_file: Box<dyn LogFile>) -> Result<Lsn, WriterError> {
        let mut st = self.shared.lock();
        while st.rotation_busy {
            st = self.shared.progress.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if let Some(p) = &st.poison {
            return Err(WriterError::Poisoned(p.clone()));
        }
        if st.shutdown {
            return Err(WriterError::Closed);
        }
        let boundary = st.appended;
        let old_tail = std::mem::take(&mut st.buf);
        st.rotation = Some(Rotation { file: new_file, boundary, old_tail });
        st.rotation_busy = true;
        st.rotation_result = None;
        self.shared.work.notify_one();
        loop {
            if let Some(r) = st.rotation_result.take() {
                st.rotation_busy = false;
                drop(st);
                self.shared.progress.notify_all();
                return r;
            }
            if st.exited {
                st.rotation_busy = false;
                return Err(st.poison.clone().map_or(WriterError::Closed, WriterError::Poisoned));
            }
            st = self.shared.progress.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The durable LSN.
    pub fn durable_lsn(&self) -> Lsn {
        self.shared.lock().durable
    }

    /// The written LSN.
    pub fn written_lsn(&self) -> Lsn {
        self.shared.lock().written
    }

    /// Healthy or poisoned.
    pub fn status(&self) -> WriterStatus {
        match &self.shared.lock().poison {
            None => WriterStatus::Healthy,
            Some(p) => WriterStatus::Poisoned(p.clone()),
        }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> WriterStats {
        let st = self.shared.lock();
        let mut s = st.stats.clone();
        s.appended_lsn = st.appended;
        s.written_lsn = st.written;
        s.durable_lsn = st.durable;
        s
    }

    /// Writes and fsyncs everything queued, stops the thread. Returns the final durable LSN,
    /// or the poison. Called by `Drop` too (errors ignored there).
    pub fn shutdown(&self) -> Result<Lsn, WriterError> {
        {
            let mut st = self.shared.lock();
            st.shutdown = true;
        }
        self.shared.work.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        let st = self.shared.lock();
        match &st.poison {
            Some(p) => Err(WriterError::Poisoned(p.clone())),
            None => Ok(st.durable),
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

enum Action {
    Rotate(Rotation),
    Write { batch: Vec<u8>, start: Lsn },
    Sync,
    Exit,
}

struct SyncJob {
    handle: Box<dyn SyncHandle>,
    target: Lsn,
}

fn syncer_main(shared: &Shared, jobs: mpsc::Receiver<SyncJob>) {
    while let Ok(job) = jobs.recv() {
        let res = job.handle.sync_data();
        let mut st = shared.lock();
        st.sync_in_flight_since = None;
        st.stats.fsyncs += 1;
        match res {
            Ok(()) => {
                if job.target > st.durable && st.poison.is_none() {
                    st.durable = job.target;
                    st.stats.durable_lsn = job.target;
                    drop(st);
                    shared.emit(WriterEvent::Durable(job.target));
                    shared.progress.notify_all();
                }
            }
            Err(e) => shared.poison(st, FailedOp::Fsync, &e, None),
        }
    }
}

fn writer_main(shared: &Arc<Shared>, mut file: Box<dyn LogFile>) {
    let cfg = shared.config.clone();
    // EverySec runs its fsyncs on a helper thread, like Redis's bio thread.
    let (jobs_tx, syncer) = if cfg.policy == FsyncPolicy::EverySec {
        let (tx, rx) = mpsc::channel::<SyncJob>();
        let s2 = Arc::clone(shared);
        let h = std::thread::Builder::new()
            .name("vk-aof-fsync".into())
            .spawn(move || syncer_main(&s2, rx))
            .ok();
        (h.as_ref().map(|_| tx), h)
    } else {
        (None, None)
    };

    loop {
        let action = {
            let mut st = shared.lock();
            loop {
                if st.poison.is_some() {
                    if let Some(rot) = st.rotation.take() {
                        drop(rot);
                        st.rotation_result = st.poison.clone().map(|p| Err(WriterError::Poisoned(p)));
                        shared.progress.notify_all();
                    }
                    if st.shutdown {
                        break Action::Exit;
                    }
                } else if let Some(rot) = st.rotation.take() {
                    break Action::Rotate(rot);
                } else if !st.buf.is_empty() {
                    let batch = std::mem::take(&mut st.buf);
                    break Action::Write { batch, start: st.written };
                } else if st.written > st.durable
                    && (st.flush_to > st.durable || st.shutdown || cfg.policy == FsyncPolicy::Always)
                {
                    break Action::Sync;
                } else if st.shutdown {
                    break Action::Exit;
                } else if cfg.policy == FsyncPolicy::EverySec
                    && st.written > st.sync_scheduled
                    && st.sync_in_flight_since.is_none()
                    && st.last_sync_start.is_none_or(|t| t.elapsed() >= cfg.everysec_interval)
                {
                    match (&jobs_tx, file.sync_handle()) {
                        (Some(tx), Some(handle)) => {
                            let target = st.written;
                            st.sync_scheduled = target;
                            st.sync_in_flight_since = Some(Instant::now());
                            st.last_sync_start = Some(Instant::now());
                            if tx.send(SyncJob { handle, target }).is_err() {
                                st.sync_in_flight_since = None;
                                break Action::Sync;
                            }
                            continue;
                        }
                        _ => {
                            st.last_sync_start = Some(Instant::now());
                            break Action::Sync;
                        }
                    }
                }
                let timeout = match cfg.policy {
                    FsyncPolicy::EverySec => {
                        let since = st.last_sync_start.map_or(Duration::ZERO, |t| t.elapsed());
                        cfg.everysec_interval.saturating_sub(since).max(Duration::from_millis(1))
                    }
                    _ => Duration::from_secs(3600),
                };
                st = shared.work.wait_timeout(st, timeout).unwrap_or_else(|p| p.into_inner()).0;
            }
        };

        match action {
            Action::Exit => break,
            Action::Write { batch, start } => {
                if cfg.policy == FsyncPolicy::EverySec {
                    let mut st = shared.lock();
                    if st.sync_in_flight_since.is_some_and(|t| t.elapsed() > cfg.delayed_fsync_after) {
                        st.stats.delayed_fsync += 1;
                    }
                }
                if write_batch(shared, file.as_mut(), &batch).is_ok() {
                    let end = start + batch.len() as u64;
                    let mut st = shared.lock();
                    st.written = end;
                    st.stats.written_lsn = end;
                    st.stats.file_size = file.len();
                    st.stats.writes += 1;
                    drop(st);
                    shared.emit(WriterEvent::Written(end));
                    shared.progress.notify_all();
                    if cfg.policy == FsyncPolicy::Always {
                        sync_inline(shared, file.as_mut());
                    }
                }
            }
            Action::Sync => {
                sync_inline(shared, file.as_mut());
            }
            Action::Rotate(rot) => {
                let Rotation { file: new_file, boundary, old_tail } = rot;
                let mut ok = old_tail.is_empty() || write_batch(shared, file.as_mut(), &old_tail).is_ok();
                if ok {
                    ok = sync_inline(shared, file.as_mut());
                }
                let mut st = shared.lock();
                if ok {
                    // The old file is complete and durable up to `boundary`.
                    file = new_file;
                    st.written = boundary;
                    st.durable = boundary;
                    st.sync_scheduled = boundary;
                    st.stats.written_lsn = boundary;
                    st.stats.durable_lsn = boundary;
                    st.stats.file_start_lsn = boundary;
                    st.stats.file_size = file.len();
                    st.rotation_result = Some(Ok(boundary));
                } else {
                    st.rotation_result =
                        Some(Err(st.poison.clone().map_or(WriterError::Closed, WriterError::Poisoned)));
                }
                drop(st);
                shared.progress.notify_all();
            }
        }
    }

    drop(jobs_tx);
    if let Some(h) = syncer {
        let _ = h.join();
    }
    let mut st = shared.lock();
    st.exited = true;
    drop(st);
    shared.progress.notify_all();
}

/// Writes a batch; on failure cuts a partial write back to the batch start and poisons.
fn write_batch(shared: &Shared, file: &mut dyn LogFile, batch: &[u8]) -> Result<(), ()> {
    let before = file.len();
    match file.write_all(batch) {
        Ok(()) => Ok(()),
        Err(e) => {
            let truncated_to = if file.len() > before && file.truncate(before).is_ok() {
                Some(before)
            } else {
                None
            };
            let st = shared.lock();
            shared.poison(st, FailedOp::Write, &e, truncated_to);
            Err(())
        }
    }
}

/// fsyncs inline and publishes the durable LSN; false (and poisoned) on failure.
fn sync_inline(shared: &Shared, file: &mut dyn LogFile) -> bool {
    let target = shared.lock().written;
    let res = file.sync_data();
    let mut st = shared.lock();
    st.stats.fsyncs += 1;
    match res {
        Ok(()) => {
            if target > st.durable {
                st.durable = target;
                st.stats.durable_lsn = target;
                drop(st);
                shared.emit(WriterEvent::Durable(target));
                shared.progress.notify_all();
            }
            true
        }
        Err(e) => {
            shared.poison(st, FailedOp::Fsync, &e, None);
            false
        }
    }
}
