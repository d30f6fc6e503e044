//! The log writer.
//!
//! Format-agnostic: it appends opaque, already-encoded byte strings (whole AOF commands, or
//! whatever a later user such as replication hands it) to a file, and reports progress as
//! LSNs: an LSN is a byte offset in the logical stream of everything ever appended, so it
//! keeps growing across file rotations.
//!
//! ```text
//!  appenders ──append(bytes)──▶ [ in-memory buffer ]   (small mutex, never blocks on I/O)
//!                                      │ taken whole by whoever writes first:
//!                                      ▼
//!   write_through(lsn) (the thread about to reply)  or  the background thread
//!        write(batch) under the file mutex ─▶ publish `written`
//!                                      │
//!   background thread: fsync per policy (outside the file mutex) ─▶ publish `durable`
//! ```
//!
//! Writing needs no thread hand-off: the thread that needs its bytes written (a connection
//! about to reply) takes the whole buffer and writes it itself, in one `write`, covering every
//! append queued before it (group write). Only fsyncs run on the background thread, through a
//! second descriptor of the file ([`SyncHandle`]), so writes go on while an fsync runs.
//!
//! - [`FsyncPolicy::Always`]: group commit. The background thread writes what is queued,
//!   fsyncs once, publishes `durable_lsn`: one fsync covers every append written before it.
//!   While an fsync runs the next batch accumulates. To keep clients in one "train", the next
//!   fsync waits (at most half an fsync's duration, capped by
//!   [`WriterConfig::group_commit_max_delay`]) until as many appends are pending as the last
//!   fsync covered plus those that were waiting behind it.
//! - [`FsyncPolicy::EverySec`]: at most one fsync per interval (1 s), on the background
//!   thread, while appenders go on writing. When an fsync has been running for more than 2 s
//!   and more data is written, the write counts as an `aof_delayed_fsync` (Redis's statistic)
//!   instead of blocking anybody.
//! - [`FsyncPolicy::No`]: writes only; fsync on rotation, [`LogWriter::flush`] and shutdown.
//!
//! Appends that nobody writes through (e.g. expired keys deleted by the cron) are written by
//! the background thread within [`LEFTOVER_TICK`].
//!
//! A failed write or fsync **poisons** the writer (as in fjall): after an fsync error the
//! kernel may have dropped the dirty pages, so retrying the fsync proves nothing. A partial
//! write is first cut back to the last batch boundary (always a command boundary, since
//! appends are whole commands), as Redis does. A poisoned writer refuses appends, fails the
//! waiters of LSNs that are not durable, and reports [`WriterStatus::Poisoned`]: the server
//! refuses writes (MISCONF-style) until it rebuilds the log with a rewrite into fresh files
//! and a fresh `LogWriter`.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::io::{LogFile, SyncHandle};

/// A position in the logical log stream: the number of bytes appended before it.
pub type Lsn = u64;

/// Appends that no caller writes through are written by the background thread after at most
/// about this long.
pub const LEFTOVER_TICK: Duration = Duration::from_millis(10);

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
    /// Always: the longest an fsync waits for more appends to join it (see the module doc);
    /// the wait is also at most half of the average fsync time. Zero disables the wait.
    pub group_commit_max_delay: Duration,
    /// Called after each published change, outside the state lock, in publication order.
    /// Keep it short; e.g. send to a `tokio::sync::watch`. It must not call back into the
    /// writer.
    pub on_event: Option<EventCallback>,
}

impl WriterConfig {
    /// Defaults for a policy: LSN 0, 1 s interval, 2 s delayed-fsync threshold, 2 ms
    /// group-commit wait at most, no callback.
    pub fn new(policy: FsyncPolicy) -> Self {
        WriterConfig {
            policy,
            start_lsn: 0,
            everysec_interval: Duration::from_secs(1),
            delayed_fsync_after: Duration::from_secs(2),
            group_commit_max_delay: Duration::from_millis(2),
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
            .field("group_commit_max_delay", &self.group_commit_max_delay)
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
    /// Number of `append` calls (for the server: execution units).
    pub appends: u64,
    /// Number of write calls.
    pub writes: u64,
    /// Appends written (so `appends_written / writes` is the average write batch).
    pub appends_written: u64,
    /// Number of fsync calls (failed ones included).
    pub fsyncs: u64,
    /// fsyncs that made at least one append durable.
    pub fsyncs_with_data: u64,
    /// Appends made durable by those fsyncs (so `appends_synced / fsyncs_with_data` is the
    /// average group-commit batch).
    pub appends_synced: u64,
    /// Total time spent in fsync calls, in microseconds.
    pub fsync_micros: u64,
    /// Longest fsync, in microseconds.
    pub fsync_max_micros: u64,
    /// The largest age, at the moment an fsync made them durable, of written bytes: how long
    /// written (under `everysec`/`no`: acknowledged) data stayed exposed to a power failure.
    /// Measured from the write (an acknowledgement comes after it), in microseconds.
    pub max_unsynced_age_micros: u64,
    /// True once poisoned.
    pub poisoned: bool,
}

impl WriterStats {
    /// Average number of appends made durable by one fsync (0 when none).
    pub fn avg_fsync_batch(&self) -> f64 {
        if self.fsyncs_with_data == 0 {
            0.0
        } else {
            self.appends_synced as f64 / self.fsyncs_with_data as f64
        }
    }

    /// Average number of appends per write call (0 when none).
    pub fn avg_write_batch(&self) -> f64 {
        if self.writes == 0 {
            0.0
        } else {
            self.appends_written as f64 / self.writes as f64
        }
    }

    /// Average fsync duration in microseconds (0 when none).
    pub fn avg_fsync_micros(&self) -> u64 {
        self.fsync_micros.checked_div(self.fsyncs).unwrap_or(0)
    }
}

struct State {
    buf: Vec<u8>,
    /// Appends in `buf`.
    buf_appends: u64,
    appended: Lsn,
    appends: u64,
    written: Lsn,
    written_appends: u64,
    durable: Lsn,
    durable_appends: u64,
    /// Appends covered by the fsyncs started so far.
    captured_appends: u64,
    /// When the oldest written byte not yet covered by a started fsync was written.
    oldest_unsynced_write: Option<Instant>,
    syncs_in_flight: u32,
    sync_in_flight_since: Option<Instant>,
    last_sync_start: Option<Instant>,
    last_sync_end: Option<Instant>,
    /// Exponential average of the fsync time, in microseconds.
    fsync_avg_us: f64,
    /// Always: how many pending appends the next fsync waits for (see the module doc).
    batch_target: u64,
    /// The background thread sleeps and wants a notify once `appends >= bg_wake_at`.
    bg_waiting: bool,
    bg_wake_at: u64,
    fsync_suspended: bool,
    /// When the background thread first saw the buffer non-empty (leftover writes).
    leftover_since: Option<Instant>,
    /// Threads waiting on `progress` (notify only when someone listens).
    waiters: usize,
    shutdown: bool,
    exited: bool,
    poison: Option<PoisonInfo>,
    stats: WriterStats,
}

/// What the file mutex protects: the file, and a second descriptor to fsync it with.
struct Io {
    file: Box<dyn LogFile>,
    sync: Option<Arc<dyn SyncHandle>>,
    /// The previous batch's buffer, reused.
    spare: Vec<u8>,
}

struct Shared {
    state: Mutex<State>,
    /// Lock order: `io` before `state`, never the other way round.
    io: Mutex<Io>,
    /// Wakes the background thread.
    work: Condvar,
    /// Wakes waiters (written/durable/exit).
    progress: Condvar,
    /// Mirror of `State::fsync_suspended`, readable without the lock.
    suspended: AtomicBool,
    config: WriterConfig,
}

/// An fsync that was started: what it covers.
struct Capture {
    target: Lsn,
    appends: u64,
    oldest: Option<Instant>,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn lock_io(&self) -> MutexGuard<'_, Io> {
        self.io.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn emit(&self, ev: WriterEvent) {
        if let Some(cb) = &self.config.on_event {
            cb(&ev);
        }
    }
    /// Wakes the threads waiting on `progress`, if any (consumes the guard).
    fn wake_waiters(&self, st: MutexGuard<'_, State>) {
        let any = st.waiters > 0;
        drop(st);
        if any {
            self.progress.notify_all();
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
        st.buf_appends = 0;
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

    /// Writes everything queued (call with the file mutex held). Err when poisoned.
    fn write_pending(&self, io: &mut Io) -> Result<(), ()> {
        let (batch, start, n) = {
            let mut st = self.lock();
            if st.poison.is_some() {
                return Err(());
            }
            if st.buf.is_empty() {
                // Empty appends are "written" at once.
                let n = std::mem::take(&mut st.buf_appends);
                st.written_appends += n;
                st.stats.appends_written += n;
                return Ok(());
            }
            if self.config.policy == FsyncPolicy::EverySec
                && st.sync_in_flight_since.is_some_and(|t| t.elapsed() > self.config.delayed_fsync_after)
            {
                st.stats.delayed_fsync += 1;
            }
            let spare = std::mem::take(&mut io.spare);
            let batch = std::mem::replace(&mut st.buf, spare);
            let n = std::mem::take(&mut st.buf_appends);
            (batch, st.written, n)
        };
        let before = io.file.len();
        if let Err(e) = io.file.write_all(&batch) {
            // Cut a partial write back to the batch start, a command boundary.
            let truncated_to = if io.file.len() > before && io.file.truncate(before).is_ok() {
                Some(before)
            } else {
                None
            };
            let st = self.lock();
            self.poison(st, FailedOp::Write, &e, truncated_to);
            return Err(());
        }
        let end = start + batch.len() as u64;
        {
            let mut st = self.lock();
            st.written = end;
            st.written_appends += n;
            st.stats.written_lsn = end;
            st.stats.file_size = io.file.len();
            st.stats.writes += 1;
            st.stats.appends_written += n;
            if st.oldest_unsynced_write.is_none() {
                st.oldest_unsynced_write = Some(Instant::now());
            }
            self.emit(WriterEvent::Written(end));
            self.wake_waiters(st);
        }
        let mut batch = batch;
        if batch.capacity() <= 1 << 20 {
            batch.clear();
            io.spare = batch;
        }
        Ok(())
    }

    /// Marks the start of an fsync covering everything written so far.
    fn capture(&self, st: &mut State) -> Capture {
        let now = Instant::now();
        st.captured_appends = st.captured_appends.max(st.written_appends);
        st.syncs_in_flight += 1;
        if st.sync_in_flight_since.is_none() {
            st.sync_in_flight_since = Some(now);
        }
        st.last_sync_start = Some(now);
        Capture { target: st.written, appends: st.written_appends, oldest: st.oldest_unsynced_write.take(), started: now }
    }

    /// Publishes the result of an fsync started with [`Shared::capture`]; false when it
    /// failed (the writer is then poisoned).
    fn finish(&self, cap: Capture, res: std::io::Result<()>) -> bool {
        let now = Instant::now();
        let mut st = self.lock();
        st.syncs_in_flight = st.syncs_in_flight.saturating_sub(1);
        if st.syncs_in_flight == 0 {
            st.sync_in_flight_since = None;
        }
        let took = now.saturating_duration_since(cap.started).as_micros() as u64;
        st.stats.fsyncs += 1;
        st.stats.fsync_micros += took;
        st.stats.fsync_max_micros = st.stats.fsync_max_micros.max(took);
        st.fsync_avg_us = if st.stats.fsyncs == 1 { took as f64 } else { st.fsync_avg_us * 0.8 + took as f64 * 0.2 };
        st.last_sync_end = Some(now);
        match res {
            Ok(()) => {
                if cap.target > st.durable && st.poison.is_none() {
                    let batch = cap.appends.saturating_sub(st.durable_appends);
                    // The appends this fsync covered plus those that waited behind it: about
                    // how many are in flight, so about how many the next fsync should wait for.
                    st.batch_target = st.appends.saturating_sub(st.durable_appends).clamp(1, 1 << 20);
                    st.durable = cap.target;
                    st.durable_appends = cap.appends;
                    st.stats.durable_lsn = cap.target;
                    if batch > 0 {
                        st.stats.fsyncs_with_data += 1;
                        st.stats.appends_synced += batch;
                    }
                    if let Some(o) = cap.oldest {
                        let age = now.saturating_duration_since(o).as_micros() as u64;
                        st.stats.max_unsynced_age_micros = st.stats.max_unsynced_age_micros.max(age);
                    }
                    self.emit(WriterEvent::Durable(cap.target));
                    self.wake_waiters(st);
                }
                true
            }
            Err(e) => {
                self.poison(st, FailedOp::Fsync, &e, None);
                false
            }
        }
    }

    /// Writes what is queued and fsyncs everything written, outside the file mutex when the
    /// file gives a sync handle (`inline` forces the fsync under it). Returns the target
    /// made durable, or `None` when poisoned.
    fn sync_now(&self, mut io: MutexGuard<'_, Io>, inline: bool) -> Option<Lsn> {
        self.write_pending(&mut io).ok()?;
        let cap = {
            let mut st = self.lock();
            if st.poison.is_some() {
                return None;
            }
            if st.written <= st.durable {
                // Nothing new in the file (e.g. empty appends): they count as covered, so the
                // background thread does not keep coming back for them.
                st.captured_appends = st.captured_appends.max(st.written_appends);
                return Some(st.durable);
            }
            self.capture(&mut st)
        };
        let target = cap.target;
        let res = match (&io.sync, inline) {
            (Some(h), false) => {
                let h = Arc::clone(h);
                drop(io);
                h.sync_data()
            }
            _ => io.file.sync_data(),
        };
        self.finish(cap, res).then_some(target)
    }
}

/// Handle to the log writer. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct LogWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LogWriter {
    /// Starts the writer (and its background thread) on `file`, appending after its end.
    pub fn start(file: Box<dyn LogFile>, config: WriterConfig) -> std::io::Result<LogWriter> {
        let start = config.start_lsn;
        let file_size = file.len();
        let state = State {
            buf: Vec::new(),
            buf_appends: 0,
            appended: start,
            appends: 0,
            written: start,
            written_appends: 0,
            durable: start,
            durable_appends: 0,
            captured_appends: 0,
            oldest_unsynced_write: None,
            syncs_in_flight: 0,
            sync_in_flight_since: None,
            last_sync_start: None,
            last_sync_end: None,
            fsync_avg_us: 0.0,
            batch_target: 1,
            bg_waiting: false,
            bg_wake_at: u64::MAX,
            fsync_suspended: false,
            leftover_since: None,
            waiters: 0,
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
        let sync = file.sync_handle();
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            io: Mutex::new(Io { file, sync, spare: Vec::new() }),
            work: Condvar::new(),
            progress: Condvar::new(),
            suspended: AtomicBool::new(false),
            config,
        });
        let s2 = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name("vk-aof-writer".into()).spawn(move || bg_main(&s2))?;
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
        st.buf_appends += 1;
        st.appends += 1;
        st.appended += bytes.len() as u64;
        st.stats.appended_lsn = st.appended;
        st.stats.appends = st.appends;
        let lsn = st.appended;
        let wake = st.bg_waiting && st.appends >= st.bg_wake_at;
        if wake {
            st.bg_waiting = false;
        }
        drop(st);
        if wake {
            self.shared.work.notify_one();
        }
        Ok(lsn)
    }

    /// Appends, then waits for what the policy promises before a reply: durability under
    /// `Always` (unless fsyncs are suspended), being written to the file (safe from a process
    /// crash) otherwise.
    pub fn append_and_wait(&self, bytes: &[u8]) -> Result<Lsn, WriterError> {
        let lsn = self.append(bytes)?;
        self.write_through(lsn)?;
        if self.shared.config.policy == FsyncPolicy::Always && !self.shared.lock().fsync_suspended {
            self.wait_durable(lsn)?;
        }
        Ok(lsn)
    }

    /// Makes sure everything appended up to `lsn` is written to the file (survives a process
    /// crash): if it is not yet, this thread writes the whole queue itself (one `write`), or
    /// waits for the thread that is writing it. Blocks for at most about one `write` call.
    pub fn write_through(&self, lsn: Lsn) -> Result<(), WriterError> {
        {
            let st = self.shared.lock();
            if st.written >= lsn {
                return Ok(());
            }
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
        }
        let mut io = self.shared.lock_io();
        let _ = self.shared.write_pending(&mut io);
        drop(io);
        let st = self.shared.lock();
        if st.written >= lsn {
            Ok(())
        } else if let Some(p) = &st.poison {
            Err(WriterError::Poisoned(p.clone()))
        } else {
            Err(WriterError::Closed)
        }
    }

    fn wait_for(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<bool, WriterError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.shared.lock();
        loop {
            if st.durable >= lsn {
                return Ok(true);
            }
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
            if st.exited {
                return Err(WriterError::Closed);
            }
            st.waiters += 1;
            st = match deadline {
                None => self.shared.progress.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        st.waiters -= 1;
                        return Ok(false);
                    }
                    self.shared.progress.wait_timeout(st, d - now).unwrap_or_else(|p| p.into_inner()).0
                }
            };
            st.waiters -= 1;
        }
    }

    /// Blocks until `lsn` is durable; fails if the writer is poisoned first. Under `EverySec`
    /// this can take up to the interval; under `No`, until [`LogWriter::flush`].
    pub fn wait_durable(&self, lsn: Lsn) -> Result<(), WriterError> {
        self.wait_for(lsn, None).map(|_| ())
    }

    /// As [`LogWriter::wait_durable`] with a timeout: `Ok(false)` when it expired.
    pub fn wait_durable_timeout(&self, lsn: Lsn, timeout: Duration) -> Result<bool, WriterError> {
        self.wait_for(lsn, Some(timeout))
    }

    /// Blocks until `lsn` has been written to the file (survives a process crash); writes it
    /// itself when needed ([`LogWriter::write_through`]).
    pub fn wait_written(&self, lsn: Lsn) -> Result<(), WriterError> {
        self.write_through(lsn)
    }

    /// Writes and fsyncs everything appended so far, whatever the policy (and even while
    /// fsyncs are suspended); returns the durable LSN.
    pub fn flush(&self) -> Result<Lsn, WriterError> {
        let io = self.shared.lock_io();
        {
            let st = self.shared.lock();
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
            if st.exited {
                return if st.durable >= st.appended { Ok(st.durable) } else { Err(WriterError::Closed) };
            }
        }
        match self.shared.sync_now(io, false) {
            Some(lsn) => Ok(lsn),
            None => Err(self.poison_error()),
        }
    }

    fn poison_error(&self) -> WriterError {
        self.shared.lock().poison.clone().map_or(WriterError::Closed, WriterError::Poisoned)
    }

    /// Switches to `new_file` at an LSN boundary: everything appended before this call goes
    /// to the current file, which is fsynced; everything after goes to `new_file`. Returns
    /// the LSN where `new_file` starts. Used by a rewrite, after the new incr file was
    /// created (and its directory fsynced) and before the manifest names it.
    pub fn rotate(&self, new_file: Box<dyn LogFile>) -> Result<Lsn, WriterError> {
        let mut io = self.shared.lock_io();
        {
            let st = self.shared.lock();
            if let Some(p) = &st.poison {
                return Err(WriterError::Poisoned(p.clone()));
            }
            if st.shutdown {
                return Err(WriterError::Closed);
            }
        }
        // Holding the file mutex: nobody else writes, so after this everything appended
        // before the call is in the old file, and later appends wait in the buffer.
        if self.shared.write_pending(&mut io).is_err() {
            return Err(self.poison_error());
        }
        let boundary = {
            let mut st = self.shared.lock();
            if st.written > st.durable {
                let cap = self.shared.capture(&mut st);
                drop(st);
                // Inline: no byte may reach the new file before the old one is durable.
                let res = io.file.sync_data();
                if !self.shared.finish(cap, res) {
                    return Err(self.poison_error());
                }
                st = self.shared.lock();
            }
            st.written
        };
        io.sync = new_file.sync_handle();
        io.file = new_file;
        let mut st = self.shared.lock();
        st.stats.file_start_lsn = boundary;
        st.stats.file_size = io.file.len();
        drop(st);
        Ok(boundary)
    }

    /// `no-appendfsync-on-rewrite`: while suspended, the background thread does no fsync
    /// under `Always`/`EverySec` (written data stays unsynced until it is resumed, or until
    /// [`LogWriter::flush`]/rotation/shutdown). Resuming fsyncs what accumulated at once.
    /// Emits `Written` again so a listener that acknowledges on written while suspended can
    /// release its waiters.
    pub fn set_fsync_suspended(&self, suspended: bool) {
        let written = {
            let mut st = self.shared.lock();
            if st.fsync_suspended == suspended {
                return;
            }
            st.fsync_suspended = suspended;
            self.shared.suspended.store(suspended, Ordering::Relaxed);
            st.bg_waiting = false;
            st.written
        };
        self.shared.work.notify_one();
        if suspended {
            let _io = self.shared.lock_io();
            self.shared.emit(WriterEvent::Written(written.max(self.written_lsn())));
        }
    }

    /// Whether fsyncs are suspended.
    pub fn fsync_suspended(&self) -> bool {
        self.shared.suspended.load(Ordering::Relaxed)
    }

    /// Whether a reply waits only for its bytes to be written (`EverySec`, `No`, and `Always`
    /// while fsyncs are suspended), so the replying thread should write them through itself.
    pub fn acks_on_write(&self) -> bool {
        self.shared.config.policy != FsyncPolicy::Always || self.fsync_suspended()
    }

    /// The durable LSN.
    pub fn durable_lsn(&self) -> Lsn {
        self.shared.lock().durable
    }

    /// The written LSN.
    pub fn written_lsn(&self) -> Lsn {
        self.shared.lock().written
    }

    /// The policy this writer was started with.
    pub fn policy(&self) -> FsyncPolicy {
        self.shared.config.policy
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
        s.appends = st.appends;
        s
    }

    /// Age of the oldest written byte not yet covered by a started fsync (zero when none):
    /// what a power failure now would lose at most, beyond an fsync in progress.
    pub fn unsynced_age(&self) -> Duration {
        self.shared.lock().oldest_unsynced_write.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Writes and fsyncs everything queued, stops the background thread. Returns the final
    /// durable LSN, or the poison. Called by `Drop` too (errors ignored there).
    pub fn shutdown(&self) -> Result<Lsn, WriterError> {
        {
            let mut st = self.shared.lock();
            st.shutdown = true;
        }
        self.shared.work.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        let first = handle.is_some();
        if let Some(h) = handle {
            let _ = h.join();
        }
        if first {
            let io = self.shared.lock_io();
            let healthy = self.shared.lock().poison.is_none();
            if healthy {
                let _ = self.shared.sync_now(io, true);
            }
            let mut st = self.shared.lock();
            st.exited = true;
            drop(st);
            self.shared.progress.notify_all();
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

/// The background thread: fsyncs per policy, writes leftovers nobody wrote through.
fn bg_main(shared: &Arc<Shared>) {
    let cfg = &shared.config;
    let mut st = shared.lock();
    loop {
        if st.shutdown {
            break;
        }
        let now = Instant::now();
        // Some(timeout) = wake up after that long at the latest; None = only when notified.
        let mut timeout: Option<Duration> = None;
        // Appenders notify once `appends` reaches this (u64::MAX: no need).
        let mut wake_at = u64::MAX;
        if st.poison.is_none() {
            match cfg.policy {
                FsyncPolicy::Always if !st.fsync_suspended => {
                    let pending = st.appends.saturating_sub(st.captured_appends);
                    let delay = Duration::from_micros((st.fsync_avg_us / 2.0) as u64).min(cfg.group_commit_max_delay);
                    let deadline = st.last_sync_end.map(|e| e + delay).filter(|d| *d > now);
                    if pending > 0 && (pending >= st.batch_target || deadline.is_none()) {
                        drop(st);
                        let _ = shared.sync_now(shared.lock_io(), false);
                        st = shared.lock();
                        continue;
                    }
                    match deadline {
                        Some(d) => {
                            timeout = Some(d - now);
                            wake_at = st.captured_appends + st.batch_target;
                        }
                        None => wake_at = st.captured_appends + 1,
                    }
                }
                FsyncPolicy::EverySec if !st.fsync_suspended => {
                    let unsynced = st.appended > st.durable;
                    let next = st.last_sync_start.map(|t| t + cfg.everysec_interval).filter(|t| *t > now);
                    if unsynced && next.is_none() {
                        drop(st);
                        let _ = shared.sync_now(shared.lock_io(), false);
                        st = shared.lock();
                        continue;
                    }
                    match next {
                        Some(t) if unsynced => timeout = Some(t - now),
                        _ => wake_at = st.appends + 1,
                    }
                }
                // `No`, or fsyncs suspended: only leftovers to write.
                _ => wake_at = st.appends + 1,
            }
            if st.buf.is_empty() {
                st.leftover_since = None;
            } else {
                // Appends nobody wrote through: write them after a tick.
                let since = *st.leftover_since.get_or_insert(now);
                let due = since + LEFTOVER_TICK;
                if due <= now {
                    st.leftover_since = None;
                    drop(st);
                    let mut io = shared.lock_io();
                    let _ = shared.write_pending(&mut io);
                    drop(io);
                    st = shared.lock();
                    continue;
                }
                timeout = Some(timeout.map_or(due - now, |t| t.min(due - now)));
                if cfg.policy != FsyncPolicy::Always || st.fsync_suspended {
                    wake_at = u64::MAX;
                }
            }
        }
        st.bg_waiting = wake_at != u64::MAX;
        st.bg_wake_at = wake_at;
        st = match timeout {
            Some(t) => shared.work.wait_timeout(st, t).unwrap_or_else(|p| p.into_inner()).0,
            None => shared.work.wait(st).unwrap_or_else(|p| p.into_inner()),
        };
        st.bg_waiting = false;
    }
}
