//! Replaying an AOF: the files in manifest order, through a visitor.
//!
//! Rules (those of Redis 7.2's `loadAppendOnlyFiles`, checked against the `damaged-aof-*`
//! fixtures):
//! - A file starting with `REDIS` (or `VALKEY`) begins with an RDB image, handed to
//!   [`AofVisitor::rdb`]; RESP commands may follow it (Redis 6 preamble), and are read too.
//! - Commands between `MULTI` and `EXEC` are delivered together to
//!   [`AofVisitor::transaction`], so a transaction is applied whole or not at all.
//! - The **last** file may end inside a command or inside a MULTI block (a crash while
//!   appending). With `load_truncated` (Redis's default `aof-load-truncated yes`) the file is
//!   cut at the end of the last complete command outside a transaction, and loading succeeds;
//!   otherwise it is an error. A torn tail in any other file is an error.
//! - Malformed bytes anywhere, a damaged RDB part, or a file missing from the manifest are
//!   errors naming the file, offset and reason.
//! - Empty files are skipped.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use vk_storage::aof::command::{Annotation, Command, CommandReader, Entry, FrameError};

use super::{is_rdb_magic, AofError, AofFile, AofSet, BoxError};

/// Receives what the loader reads.
pub trait AofVisitor {
    /// The RDB image at the start of `file`. Read exactly the image from `reader`
    /// (e.g. `vk_storage::rdb::RdbReader::new(reader)` once it exists).
    fn rdb(&mut self, file: &AofFile, reader: &mut dyn BufRead) -> Result<(), BoxError>;
    /// One command outside a transaction.
    fn command(&mut self, file: &AofFile, cmd: Command) -> Result<(), BoxError>;
    /// A complete `MULTI` … `EXEC` block: the commands in between (MULTI and EXEC left out).
    fn transaction(&mut self, file: &AofFile, cmds: Vec<Command>) -> Result<(), BoxError>;
    /// An annotation line (`#TS:<unix seconds>`); ignored by default.
    fn annotation(&mut self, _file: &AofFile, _note: &Annotation) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Loader settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// `aof-load-truncated`: cut a torn tail of the last file instead of failing.
    pub load_truncated: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { load_truncated: true }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileProgress {
    /// File name.
    pub name: String,
    /// Size before loading.
    pub size: u64,
    /// End of the RDB image, when the file starts with one.
    pub rdb_end: Option<u64>,
    /// End of the last complete entry outside a transaction.
    pub ok_up_to: u64,
    /// RESP lines read (as `redis-check-aof` counts them; see `CommandReader`).
    pub lines: u64,
    /// Commands delivered (transaction bodies included, MULTI/EXEC excluded).
    pub commands: u64,
    /// Complete transactions delivered.
    pub transactions: u64,
    /// Annotations seen.
    pub annotations: u64,
}

/// A tail cut by the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file that was cut.
    pub file: std::path::PathBuf,
    /// Its new size.
    pub at: u64,
    /// Bytes removed.
    pub cut_bytes: u64,
    /// Why (`Expected to read 9 bytes, got 2 bytes`, `Reached EOF before reading EXEC for MULTI`).
    pub reason: String,
    /// True when an incomplete MULTI block was reverted.
    pub reverted_multi: bool,
}

/// Summary of a successful load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Per file, in load order.
    pub files: Vec<FileProgress>,
    /// The torn tail that was cut, if any (always in the last file).
    pub truncated: Option<Truncation>,
}

/// How a scan treats a torn tail of the last file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailMode {
    /// Cut it (load with `aof-load-truncated yes`).
    Cut,
    /// Report it as an error without touching anything.
    Report,
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count += amt as u64;
        self.inner.consume(amt);
    }
}

/// Loads every file of `set` through `visitor`. See the module doc for the rules.
pub fn load(set: &AofSet, opts: &LoadOptions, visitor: &mut dyn AofVisitor) -> Result<LoadReport, AofError> {
    let mode = if opts.load_truncated { TailMode::Cut } else { TailMode::Report };
    let mut report = LoadReport::default();
    scan(set, mode, visitor, &mut report)?;
    Ok(report)
}

/// The loop shared by [`load`] and the checker; `report` is filled as it goes, so a caller
/// still sees the progress when an error is returned.
pub(crate) fn scan(
    set: &AofSet,
    mode: TailMode,
    visitor: &mut dyn AofVisitor,
    report: &mut LoadReport,
) -> Result<(), AofError> {
    for file in &set.files {
        report.files.push(FileProgress { name: file.name.clone(), size: file.size, ..FileProgress::default() });
        let idx = report.files.len() - 1;
        let progress = report.files.get_mut(idx).ok_or_else(|| AofError::Io {
            file: file.path.clone(),
            source: io::Error::other("progress slot"),
        })?;
        if let Some(t) = scan_file(set, file, mode, visitor, progress)? {
            report.truncated = Some(t);
        }
    }
    Ok(())
}

fn scan_file(
    set: &AofSet,
    file: &AofFile,
    mode: TailMode,
    visitor: &mut dyn AofVisitor,
    progress: &mut FileProgress,
) -> Result<Option<Truncation>, AofError> {
    let io_err = |source| AofError::Io { file: file.path.clone(), source };
    let f = File::open(&file.path).map_err(io_err)?;
    let size = f.metadata().map_err(io_err)?.len();
    progress.size = size;
    if size == 0 {
        return Ok(None);
    }
    let mut reader = CountingReader { inner: BufReader::with_capacity(64 * 1024, f), count: 0 };
    let head = reader.fill_buf().map_err(io_err)?;
    if is_rdb_magic(head) {
        visitor.rdb(file, &mut reader).map_err(|source| AofError::Rdb {
            file: file.path.clone(),
            offset: reader.count,
            source,
        })?;
        progress.rdb_end = Some(reader.count);
        progress.ok_up_to = reader.count;
    }
    let start = reader.count;
    let mut cmds = CommandReader::with_position(reader, start, 1);
    // The open transaction: offset of its MULTI, commands so far.
    let mut tx: Option<(u64, Vec<Command>)> = None;
    let check_target = set.check_target().to_path_buf();
    let corrupt = |offset: u64, error_offset: u64, line: u64, reason: String| AofError::Corrupt {
        file: file.path.clone(),
        offset,
        error_offset,
        line,
        reason,
        check_target: check_target.clone(),
    };
    let tail = loop {
        let entry = cmds.next_entry();
        progress.lines = cmds.line() - 1;
        match entry {
            Ok(Some(Entry::Annotation(a))) => {
                progress.annotations += 1;
                visitor.annotation(file, &a).map_err(|source| AofError::Visitor {
                    file: file.path.clone(),
                    offset: a.offset,
                    source,
                })?;
                if tx.is_none() {
                    progress.ok_up_to = a.end;
                }
            }
            Ok(Some(Entry::Command(c))) => {
                let (offset, end, line) = (c.offset, c.end, c.line);
                let visit_err = |source| AofError::Visitor { file: file.path.clone(), offset, source };
                if c.is("multi") {
                    if tx.is_some() {
                        return Err(corrupt(offset, offset, line, format!("Unexpected MULTI in AOF {}", file.name)));
                    }
                    tx = Some((offset, Vec::new()));
                } else if c.is("exec") {
                    let Some((_, body)) = tx.take() else {
                        return Err(corrupt(offset, offset, line, format!("Unexpected EXEC in AOF {}", file.name)));
                    };
                    progress.commands += body.len() as u64;
                    progress.transactions += 1;
                    visitor.transaction(file, body).map_err(visit_err)?;
                    progress.ok_up_to = end;
                } else if let Some((_, body)) = tx.as_mut() {
                    body.push(c);
                } else {
                    progress.commands += 1;
                    visitor.command(file, c).map_err(visit_err)?;
                    progress.ok_up_to = end;
                }
            }
            Ok(None) => match &tx {
                None => return Ok(None),
                Some((multi_at, _)) => {
                    let reason = "Reached EOF before reading EXEC for MULTI".to_string();
                    break (*multi_at, cmds.last_bulk_offset(), cmds.line(), reason, true);
                }
            },
            Err(FrameError::Truncated { offset, error_offset, line, reason }) => {
                let cut = tx.as_ref().map_or(offset, |(m, _)| *m);
                break (cut, error_offset, line, reason, tx.is_some());
            }
            Err(FrameError::Format { offset, error_offset, line, reason }) => {
                return Err(corrupt(offset, error_offset, line, reason));
            }
            Err(FrameError::Io { source, .. }) => return Err(io_err(source)),
        }
    };
    let (cut, error_offset, line, reason, torn_multi) = tail;
    if mode == TailMode::Report || !file.is_last {
        return Err(AofError::Truncated {
            file: file.path.clone(),
            offset: cut,
            error_offset,
            line,
            reason,
            torn_multi,
            last_file: file.is_last,
            check_target,
        });
    }
    drop(cmds);
    truncate_file(&file.path, cut).map_err(io_err)?;
    progress.ok_up_to = cut;
    Ok(Some(Truncation { file: file.path.clone(), at: cut, cut_bytes: size - cut, reason, reverted_multi: torn_multi }))
}

/// Cuts `path` to `len` bytes and makes the new length durable.
pub(crate) fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}
