//! The file layer under every log write and fsync.
//!
//! Everything the log writer ([`crate::aof::writer`]) does to a file goes through the
//! [`LogFile`] trait, so tests can plug in [`FaultyFile`]: a fake disk that keeps the bytes
//! that were *written* (in the page cache) apart from the bytes that are *durable* (fsynced),
//! fails a chosen write or fsync, and simulates a crash (the idea comes from redb's test
//! backends).
//!
//! Also here: [`atomic_write`] (temp file, fsync, rename, fsync of the directory) and
//! [`fsync_dir`], used for the AOF manifest.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Linux `ENOSPC`: no space left on device.
pub const ENOSPC: i32 = 28;
/// Linux `EIO`: input/output error.
pub const EIO: i32 = 5;

/// An append-only file as the log writer sees it.
///
/// Contract: `write_all` appends at the end of the file. When it fails, [`LogFile::len`]
/// must report how many bytes really reached the file (a short write leaves a prefix of
/// `buf` behind), so the caller can truncate back to a command boundary.
pub trait LogFile: Send {
    /// Appends all of `buf`, or fails; on failure a prefix of `buf` may have been written.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// `fdatasync`: makes every byte written so far durable.
    fn sync_data(&mut self) -> io::Result<()>;
    /// Current length of the file in bytes (what has been written, durable or not).
    fn len(&self) -> u64;
    /// True when the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Cuts the file to `len` bytes (used to remove a partial write).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// A handle that can fsync this file from another thread while this one keeps writing
    /// (the log writer's fsyncs run on its background thread, as Redis's everysec fsync on
    /// its bio thread, while appenders keep writing). `None` when the file cannot provide
    /// one: the writer then fsyncs while holding the file.
    fn sync_handle(&self) -> Option<Arc<dyn SyncHandle>> {
        None
    }
}

/// Something that can fsync a [`LogFile`] from another thread.
pub trait SyncHandle: Send + Sync {
    /// `fdatasync` of the file this handle was made from.
    fn sync_data(&self) -> io::Result<()>;
}

/// The real [`LogFile`]: a `std::fs::File` opened for appending.
#[derive(Debug)]
pub struct StdLogFile {
    file: File,
    len: u64,
    path: PathBuf,
}

impl StdLogFile {
    /// Opens (creating if missing) `path` for appending; the new data goes after the
    /// existing bytes. Does not fsync the directory: a caller that creates a file must
    /// call [`fsync_dir`] before relying on the file's existence.
    pub fn open_append(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(StdLogFile { file, len, path: path.to_path_buf() })
    }

    /// Creates `path`, truncating an existing file (`O_WRONLY|O_TRUNC|O_CREAT`, like Redis
    /// when it opens a new incr file).
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).write(true).truncate(true).open(path)?;
        Ok(StdLogFile { file, len: 0, path: path.to_path_buf() })
    }

    /// The path this file was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl LogFile for StdLogFile {
    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        // Our own loop rather than `Write::write_all`, so `len` counts a short write's prefix.
        while !buf.is_empty() {
            match self.file.write(buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => {
                    self.len += n as u64;
                    buf = buf.get(n..).unwrap_or(&[]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.len = len;
        Ok(())
    }

    fn sync_handle(&self) -> Option<Arc<dyn SyncHandle>> {
        // A dup'ed descriptor refers to the same open file: fsync on it syncs our writes.
        self.file.try_clone().ok().map(|f| Arc::new(StdSyncHandle(f)) as Arc<dyn SyncHandle>)
    }
}

struct StdSyncHandle(File);

impl SyncHandle for StdSyncHandle {
    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }
}

/// Fsyncs a directory, making creations, renames and deletions of its entries durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `dir/name` with `bytes` atomically: write `dir/temp-<name>`, fsync it, rename it
/// over `dir/name`, fsync `dir`. After a crash the file holds either the old or the new
/// content, never a mix. Returns the path of the written file.
pub fn atomic_write(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    let temp = dir.join(format!("temp-{name}"));
    {
        let mut f = OpenOptions::new().create(true).write(true).truncate(true).open(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&temp, &target)?;
    fsync_dir(dir)?;
    Ok(target)
}

/// Which error a [`FaultyFile`] returns for an injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ENOSPC`.
    NoSpace,
    /// `EIO`.
    Io,
}

impl Fault {
    fn to_error(self) -> io::Error {
        match self {
            Fault::NoSpace => io::Error::from_raw_os_error(ENOSPC),
            Fault::Io => io::Error::from_raw_os_error(EIO),
        }
    }
}

/// What survives a simulated crash of a [`FaultyFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// Power failure: only the durable (fsynced) bytes survive.
    DropUnsynced,
    /// Power failure where the first `n` unsynced bytes happened to reach the disk too: a
    /// torn write.
    KeepTornPrefix(usize),
    /// Process crash: the kernel still has every written byte.
    ProcessOnly,
}

#[derive(Debug, Default)]
struct Disk {
    /// Bytes written so far (the page cache's view of the file).
    written: Vec<u8>,
    /// Bytes on stable storage. After a failed fsync the range that was not synced is lost
    /// (zeros), as on Linux where the kernel marks the pages clean after reporting EIO.
    durable: Vec<u8>,
    /// `written[..synced_upto]` has been covered by a sync (successful or lost).
    synced_upto: usize,
    writes: u64,
    syncs: u64,
    fail_write: Option<(u64, Fault, usize)>,
    fail_sync: Option<(u64, Fault)>,
    sync_delay: Duration,
}

/// A fake [`LogFile`] for tests: keeps written and durable bytes apart, fails chosen
/// operations, simulates crashes. Clones share the same fake disk, so a test keeps a clone
/// to inspect the file after handing another clone to the writer.
#[derive(Debug, Clone, Default)]
pub struct FaultyFile {
    disk: Arc<Mutex<Disk>>,
}

impl FaultyFile {
    /// An empty fake file.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fake file whose existing content is already durable.
    pub fn with_content(bytes: &[u8]) -> Self {
        let f = Self::new();
        {
            let mut d = f.lock();
            d.written = bytes.to_vec();
            d.durable = bytes.to_vec();
            d.synced_upto = bytes.len();
        }
        f
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        // A panic in another test thread must not hide this file's state.
        self.disk.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `n`-th `write_all` from now (0 = the next one) fails with `fault` after writing
    /// its first `keep` bytes (a short write when `keep > 0`).
    pub fn fail_write(&self, n: u64, fault: Fault, keep: usize) {
        let mut d = self.lock();
        let at = d.writes + n;
        d.fail_write = Some((at, fault, keep));
    }

    /// The `n`-th `sync_data` from now (0 = the next one) fails with `fault`.
    pub fn fail_sync(&self, n: u64, fault: Fault) {
        let mut d = self.lock();
        let at = d.syncs + n;
        d.fail_sync = Some((at, fault));
    }

    /// Every `sync_data` sleeps this long first (a slow disk).
    pub fn set_sync_delay(&self, delay: Duration) {
        self.lock().sync_delay = delay;
    }

    /// Everything written so far, durable or not.
    pub fn written(&self) -> Vec<u8> {
        self.lock().written.clone()
    }

    /// What is on stable storage.
    pub fn durable(&self) -> Vec<u8> {
        self.lock().durable.clone()
    }

    /// Number of `write_all` calls so far.
    pub fn write_count(&self) -> u64 {
        self.lock().writes
    }

    /// Number of `sync_data` calls so far (failed ones included).
    pub fn sync_count(&self) -> u64 {
        self.lock().syncs
    }

    /// The file's content as it would be found after a crash of the given kind.
    pub fn crash(&self, kind: Crash) -> Vec<u8> {
        let d = self.lock();
        match kind {
            Crash::DropUnsynced => d.durable.clone(),
            Crash::ProcessOnly => d.written.clone(),
            Crash::KeepTornPrefix(n) => {
                let mut out = d.durable.clone();
                let from = d.durable.len().min(d.written.len());
                let to = from.saturating_add(n).min(d.written.len());
                out.extend_from_slice(d.written.get(from..to).unwrap_or(&[]));
                out
            }
        }
    }

    fn do_sync(&self) -> io::Result<()> {
        let delay = self.lock().sync_delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut d = self.lock();
        let n = d.syncs;
        d.syncs += 1;
        let upto = d.written.len();
        if let Some((at, fault)) = d.fail_sync {
            if at == n {
                d.fail_sync = None;
                // The pages not yet on disk are dropped: they will never become durable,
                // even if a later fsync succeeds.
                d.synced_upto = upto;
                let lost = upto.saturating_sub(d.durable.len());
                let new_len = d.durable.len() + lost;
                d.durable.resize(new_len, 0);
                return Err(fault.to_error());
            }
        }
        let from = d.synced_upto.min(upto);
        let tail: Vec<u8> = d.written.get(from..upto).unwrap_or(&[]).to_vec();
        d.durable.truncate(from);
        d.durable.extend_from_slice(&tail);
        d.synced_upto = upto;
        Ok(())
    }
}

impl LogFile for FaultyFile {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut d = self.lock();
        let n = d.writes;
        d.writes += 1;
        if let Some((at, fault, keep)) = d.fail_write {
            if at == n {
                d.fail_write = None;
                let keep = keep.min(buf.len());
                d.written.extend_from_slice(buf.get(..keep).unwrap_or(&[]));
                return Err(fault.to_error());
            }
        }
        d.written.extend_from_slice(buf);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.do_sync()
    }

    fn len(&self) -> u64 {
        self.lock().written.len() as u64
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let mut d = self.lock();
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        d.written.truncate(len);
        // Truncation is metadata: we treat it as immediately durable, and a later sync
        // cannot resurrect the cut bytes.
        d.durable.truncate(len);
        d.synced_upto = d.synced_upto.min(len);
        Ok(())
    }

    fn sync_handle(&self) -> Option<Arc<dyn SyncHandle>> {
        Some(Arc::new(self.clone()))
    }
}

impl SyncHandle for FaultyFile {
    fn sync_data(&self) -> io::Result<()> {
        self.do_sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_file_keeps_written_and_durable_apart() -> io::Result<()> {
        let mut f = FaultyFile::new();
        f.write_all(b"abc")?;
        f.sync_data()?;
        f.write_all(b"def")?;
        assert_eq!(f.written(), b"abcdef");
        assert_eq!(f.durable(), b"abc");
        assert_eq!(f.crash(Crash::DropUnsynced), b"abc");
        assert_eq!(f.crash(Crash::KeepTornPrefix(2)), b"abcde");
        assert_eq!(f.crash(Crash::ProcessOnly), b"abcdef");
        Ok(())
    }

    #[test]
    fn short_write_reports_prefix_length() {
        let mut f = FaultyFile::new();
        f.fail_write(0, Fault::NoSpace, 2);
        let err = f.write_all(b"hello").err().map(|e| e.raw_os_error());
        assert_eq!(err, Some(Some(ENOSPC)));
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn failed_fsync_loses_pages_for_good() -> io::Result<()> {
        let mut f = FaultyFile::new();
        f.write_all(b"abc")?;
        f.fail_sync(0, Fault::Io);
        assert!(f.sync_data().is_err());
        // Retrying the fsync "succeeds" but the data is gone: why the writer poisons itself.
        f.sync_data()?;
        assert_eq!(f.durable(), b"\0\0\0");
        Ok(())
    }

    #[test]
    fn atomic_write_replaces_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        atomic_write(dir.path(), "m", b"one")?;
        atomic_write(dir.path(), "m", b"two")?;
        assert_eq!(std::fs::read(dir.path().join("m"))?, b"two");
        assert!(!dir.path().join("temp-m").exists());
        Ok(())
    }

    #[test]
    fn std_log_file_appends_and_truncates() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("f");
        let mut f = StdLogFile::create(&p)?;
        f.write_all(b"hello")?;
        f.sync_data()?;
        f.truncate(2)?;
        drop(f);
        let mut f = StdLogFile::open_append(&p)?;
        assert_eq!(f.len(), 2);
        f.write_all(b"y")?;
        if let Some(h) = f.sync_handle() {
            h.sync_data()?;
        }
        assert_eq!(std::fs::read(&p)?, b"hey");
        Ok(())
    }
}
