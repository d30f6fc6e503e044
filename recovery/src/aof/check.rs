//! `vk-check-aof`: check, fix, truncate to a timestamp.
//!
//! [`check`] runs the loader's own scan (so the checker and the server can never disagree)
//! without applying anything and without cutting, validating RDB parts through an
//! [`RdbHook`]. The verdict is [`Verdict::Clean`], [`Verdict::Repaired`] or
//! [`Verdict::Damaged`], mapped to exit codes 0 / 1 / 2 by [`Verdict::exit_code`].
//! (`redis-check-aof` itself exits 1 on damage and 0 after a successful `--fix`.)
//!
//! [`plan_fix`] describes exactly what a fix would cut; [`apply_fix`] keeps a backup copy,
//! then truncates. Only the RESP part of the **last** file of the set can be cut (the last
//! incr file, or a Redis 6 single file): damage in a base file, in an RDB part, or in a file
//! followed by others is reported and left alone, since cutting there would drop the data of
//! every later file. Like `redis-check-aof --fix`, cutting the last file at garbage also drops
//! the intact commands after the garbage; the plan says so.
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use vk_storage::aof::command::{Annotation, Command};
use vk_storage::io::fsync_dir;

use super::loader::{scan, truncate_file, AofVisitor, FileProgress, LoadReport, TailMode};
use super::rdb_hook::RdbHook;
use super::{AofError, AofFile, AofSet, BoxError, FileRole};

/// What kind of damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageKind {
    /// No AOF at the path.
    NotFound,
    /// The manifest is invalid.
    Manifest,
    /// A file named in the manifest is missing.
    MissingFile,
    /// The RDB part (base or preamble) is damaged.
    Rdb,
    /// The file ends inside a command.
    Truncated,
    /// The file ends inside a MULTI block.
    TornMulti,
    /// Malformed bytes.
    Format,
    /// An I/O error.
    Io,
}

/// Where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Kind.
    pub kind: DamageKind,
    /// The damaged file (or the manifest, or the path given).
    pub file: PathBuf,
    /// Everything before this offset is intact (`ok_up_to`); where a fix would cut.
    pub offset: Option<u64>,
    /// Where the problem was detected (the hex offset `redis-check-aof` prints).
    pub error_offset: Option<u64>,
    /// Line within the file.
    pub line: Option<u64>,
    /// Line counted across the files of the set, as `redis-check-aof` prints `ok_up_to_line`.
    pub redis_line: Option<u64>,
    /// Size of the damaged file.
    pub size: Option<u64>,
    /// What is wrong (`redis-check-aof`'s words when it has them).
    pub reason: String,
    /// True when [`apply_fix`] may cut it.
    pub fixable: bool,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every file is intact.
    Clean,
    /// A fix was applied and the set now checks clean.
    Repaired(FixReport),
    /// Damage found (and not repaired).
    Damaged(Damage),
}

impl Verdict {
    /// Exit code for the tool: 0 clean, 1 repaired, 2 damaged.
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Clean => 0,
            Verdict::Repaired(_) => 1,
            Verdict::Damaged(_) => 2,
        }
    }
}

/// A check's full result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The path checked.
    pub target: PathBuf,
    /// Files of the set (empty when it could not be opened).
    pub set_files: Vec<AofFile>,
    /// Per-file progress, up to the damage.
    pub files: Vec<FileProgress>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Exactly what a fix will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPlan {
    /// The file to cut.
    pub file: PathBuf,
    /// Its size now.
    pub from_size: u64,
    /// Its size after the fix.
    pub to_size: u64,
    /// Bytes removed.
    pub cut_bytes: u64,
    /// Where the original is copied first.
    pub backup: PathBuf,
    /// Human-readable description (what `--fix` prints before asking).
    pub description: String,
}

/// A fix that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixReport {
    /// The plan carried out.
    pub plan: FixPlan,
}

/// Why a fix or a timestamp cut was not done.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    /// Nothing to fix.
    #[error("the AOF is not damaged")]
    NotDamaged,
    /// The damage is not in a place that can be cut safely.
    #[error("refusing to fix {}: {reason}", file.display())]
    NotFixable {
        /// The damaged file.
        file: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The timestamp lies in a file that is not the last.
    #[error("Failed to truncate AOF {} to timestamp {ts} to offset {offset} because it is not the last file. If you insist, delete every later file listed in the manifest and its manifest line, then run vk-check-aof again", file.display())]
    NotLastFile {
        /// The file.
        file: PathBuf,
        /// The timestamp.
        ts: i64,
        /// Where the cut would be.
        offset: u64,
    },
    /// The first annotation after the timestamp is at the very start of the file.
    #[error("AOF {} has nothing before timestamp {ts}, aborting", file.display())]
    NothingBefore {
        /// The file.
        file: PathBuf,
        /// The timestamp.
        ts: i64,
    },
    /// Damage found before the timestamp.
    #[error("the AOF is damaged before the timestamp: {}", .0.reason)]
    Damaged(Box<Damage>),
    /// An I/O error.
    #[error("I/O error on {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

struct CheckVisitor<'a> {
    rdb: &'a mut dyn RdbHook,
    cut_after_ts: Option<i64>,
    ts_cut: Option<(PathBuf, u64)>,
}

impl AofVisitor for CheckVisitor<'_> {
    fn rdb(&mut self, file: &AofFile, reader: &mut dyn BufRead) -> Result<(), BoxError> {
        self.rdb.read_rdb(&file.path, reader)
    }
    fn command(&mut self, _file: &AofFile, _cmd: Command) -> Result<(), BoxError> {
        Ok(())
    }
    fn transaction(&mut self, _file: &AofFile, _cmds: Vec<Command>) -> Result<(), BoxError> {
        Ok(())
    }
    fn annotation(&mut self, file: &AofFile, note: &Annotation) -> Result<(), BoxError> {
        if let (Some(limit), None) = (self.cut_after_ts, &self.ts_cut) {
            if note.timestamp().is_some_and(|t| t > limit) {
                self.ts_cut = Some((file.path.clone(), note.offset));
            }
        }
        Ok(())
    }
}

fn damage_from(err: &AofError, set: Option<&AofSet>, files: &[FileProgress]) -> Damage {
    let info = |path: &Path| set.and_then(|s| s.files.iter().find(|f| f.path == path));
    let prior_lines = |path: &Path| -> u64 {
        let Some(s) = set else { return 0 };
        let idx = s.files.iter().position(|f| f.path == path).unwrap_or(0);
        files.iter().take(idx).map(|p| p.lines).sum()
    };
    let mut d = Damage {
        kind: DamageKind::Io,
        file: PathBuf::new(),
        offset: None,
        error_offset: None,
        line: None,
        redis_line: None,
        size: None,
        reason: err.to_string(),
        fixable: false,
    };
    // Where a framing error is: the file, the command's offset, the error's offset, the line
    // within the file and counted as redis-check-aof does (across the files before it).
    let locate = |d: &mut Damage, file: &PathBuf, offset: u64, error_offset: u64, line: u64, reason: &String| {
        d.file = file.clone();
        d.offset = Some(offset);
        d.error_offset = Some(error_offset);
        d.line = Some(line);
        d.redis_line = Some(prior_lines(file) + line);
        d.reason = reason.clone();
        d.size = info(file).map(|f| f.size);
    };
    match err {
        AofError::NotFound { path, .. } => {
            d.kind = DamageKind::NotFound;
            d.file = path.clone();
        }
        AofError::Manifest { path, error } => {
            d.kind = DamageKind::Manifest;
            d.file = path.clone();
            d.reason = error.to_string();
        }
        AofError::MissingFile { path, source, .. } => {
            d.kind = DamageKind::MissingFile;
            d.file = path.clone();
            d.reason = format!("Cannot open file {}: {source}", path.display());
        }
        AofError::Io { file, .. } => d.file = file.clone(),
        AofError::Rdb { file, offset, source } => {
            d.kind = DamageKind::Rdb;
            d.file = file.clone();
            d.error_offset = Some(*offset);
            d.offset = Some(0);
            d.size = info(file).map(|f| f.size);
            d.reason = format!("{source}; RDB preamble of AOF file is not sane");
        }
        AofError::Corrupt { file, offset, error_offset, line, reason, .. } => {
            d.kind = DamageKind::Format;
            locate(&mut d, file, *offset, *error_offset, *line, reason);
            d.fixable = info(file).is_some_and(|f| f.is_last && f.role != FileRole::Base);
        }
        AofError::Truncated { file, offset, error_offset, line, reason, torn_multi, last_file, .. } => {
            d.kind = if *torn_multi { DamageKind::TornMulti } else { DamageKind::Truncated };
            locate(&mut d, file, *offset, *error_offset, *line, reason);
            d.fixable = *last_file && info(file).is_some_and(|f| f.role != FileRole::Base);
        }
        AofError::Visitor { file, offset, .. } => {
            d.file = file.clone();
            d.offset = Some(*offset);
        }
    }
    d
}

fn run_scan(path: &Path, rdb: &mut dyn RdbHook, cut_after_ts: Option<i64>) -> (CheckReport, Option<(PathBuf, u64)>) {
    let set = match AofSet::open(path) {
        Ok(s) => s,
        Err(e) => {
            let verdict = Verdict::Damaged(damage_from(&e, None, &[]));
            return (CheckReport { target: path.to_path_buf(), set_files: Vec::new(), files: Vec::new(), verdict }, None);
        }
    };
    let mut visitor = CheckVisitor { rdb, cut_after_ts, ts_cut: None };
    let mut progress = LoadReport::default();
    let res = scan(&set, TailMode::Report, &mut visitor, &mut progress);
    let verdict = match res {
        Ok(()) => Verdict::Clean,
        Err(e) => Verdict::Damaged(damage_from(&e, Some(&set), &progress.files)),
    };
    let report = CheckReport { target: path.to_path_buf(), set_files: set.files, files: progress.files, verdict };
    (report, visitor.ts_cut)
}

/// Checks the AOF at `path` (a manifest, an `appendonlydir/`, or a single file): the manifest,
/// every file's presence, RDB parts through `rdb`, and the framing of every command. Changes
/// nothing.
pub fn check(path: &Path, rdb: &mut dyn RdbHook) -> CheckReport {
    run_scan(path, rdb, None).0
}

fn backup_path(file: &Path) -> PathBuf {
    let base = file.as_os_str().to_owned();
    let mut n = 0u32;
    loop {
        let mut p = base.clone();
        p.push(if n == 0 { ".bak".to_string() } else { format!(".bak.{n}") });
        let p = PathBuf::from(p);
        if !p.exists() {
            return p;
        }
        n += 1;
    }
}

/// What a fix of `report`'s damage would do, or why it must not be done.
pub fn plan_fix(report: &CheckReport) -> Result<FixPlan, FixError> {
    let d = match &report.verdict {
        Verdict::Damaged(d) => d,
        _ => return Err(FixError::NotDamaged),
    };
    let not_fixable = |reason: &str| FixError::NotFixable { file: d.file.clone(), reason: reason.to_string() };
    if !d.fixable {
        let role = report.set_files.iter().find(|f| f.path == d.file).map(|f| (f.role, f.is_last));
        return Err(not_fixable(match (d.kind, role) {
            (DamageKind::Rdb, _) => "the damage is in an RDB part; truncation cannot repair it (restore from a backup)",
            (_, Some((FileRole::Base, _))) => "the damage is in the base file; cutting it would drop every later file",
            (_, Some((_, false))) => "the damage is not in the last file; cutting it would drop every later file",
            _ => "this damage cannot be repaired by truncation",
        }));
    }
    let (Some(to_size), Some(from_size)) = (d.offset, d.size) else {
        return Err(not_fixable("unknown position"));
    };
    let cut_bytes = from_size.saturating_sub(to_size);
    let name = d.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let backup = backup_path(&d.file);
    let mut description = format!(
        "This will shrink the AOF {name} from {from_size} bytes, with {cut_bytes} bytes, to {to_size} bytes \
         (cause: {}). A copy of the original is kept as {}.",
        d.reason,
        backup.display()
    );
    match d.kind {
        DamageKind::TornMulti => description.push_str(" The cut removes an incomplete MULTI block."),
        DamageKind::Format => description.push_str(&format!(
            " The damage starts at offset {to_size}: every byte after it is removed, including any intact \
             commands that follow the damaged region."
        )),
        _ => {}
    }
    Ok(FixPlan { file: d.file.clone(), from_size, to_size, cut_bytes, backup, description })
}

/// Carries out `plan`: copies the file to `plan.backup` (fsynced), then truncates the file
/// and fsyncs it. Refuses if the file's size changed since the plan was made.
pub fn apply_fix(plan: &FixPlan) -> Result<FixReport, FixError> {
    let io_err = |file: &Path| {
        let file = file.to_path_buf();
        move |source| FixError::Io { file, source }
    };
    let size = std::fs::metadata(&plan.file).map_err(io_err(&plan.file))?.len();
    if size != plan.from_size {
        return Err(FixError::NotFixable {
            file: plan.file.clone(),
            reason: format!("file size changed since the check ({} -> {size})", plan.from_size),
        });
    }
    {
        let mut src = File::open(&plan.file).map_err(io_err(&plan.file))?;
        let mut dst = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&plan.backup)
            .map_err(io_err(&plan.backup))?;
        io::copy(&mut src, &mut dst).map_err(io_err(&plan.backup))?;
        dst.sync_all().map_err(io_err(&plan.backup))?;
    }
    if let Some(dir) = plan.backup.parent().filter(|d| !d.as_os_str().is_empty()) {
        fsync_dir(dir).map_err(io_err(dir))?;
    }
    truncate_file(&plan.file, plan.to_size).map_err(io_err(&plan.file))?;
    Ok(FixReport { plan: plan.clone() })
}

/// `vk-check-aof --fix`: check; if damaged and fixable, ask `confirm` with the plan, apply it,
/// and check again. The verdict is `Repaired` only when the second check is clean.
pub fn check_and_fix(path: &Path, rdb: &mut dyn RdbHook, confirm: &mut dyn FnMut(&FixPlan) -> bool) -> CheckReport {
    let report = check(path, rdb);
    let Ok(plan) = plan_fix(&report) else { return report };
    if !confirm(&plan) {
        return report;
    }
    let fixed = match apply_fix(&plan) {
        Ok(f) => f,
        Err(e) => {
            let mut report = report;
            if let Verdict::Damaged(d) = &mut report.verdict {
                d.reason = format!("{}; fix failed: {e}", d.reason);
            }
            return report;
        }
    };
    let mut again = check(path, rdb);
    if again.verdict == Verdict::Clean {
        again.verdict = Verdict::Repaired(fixed);
    }
    again
}

/// Result of [`truncate_to_timestamp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampCut {
    /// No `#TS:` annotation later than the timestamp: nothing cut.
    Nothing,
    /// The last file was cut at the first annotation later than the timestamp.
    Cut(FixReport),
}

/// `vk-check-aof --truncate-to-timestamp T`: cuts the last file at the first `#TS:`
/// annotation whose time is greater than `ts` (keeping a backup). Refuses when that
/// annotation is in a file other than the last, or at offset 0 of its file, or when the set
/// is damaged before it.
pub fn truncate_to_timestamp(path: &Path, ts: i64, rdb: &mut dyn RdbHook) -> Result<TimestampCut, FixError> {
    let (report, cut) = run_scan(path, rdb, Some(ts));
    let Some((file, offset)) = cut else {
        return match report.verdict {
            Verdict::Damaged(d) => Err(FixError::Damaged(Box::new(d))),
            _ => Ok(TimestampCut::Nothing),
        };
    };
    if let Verdict::Damaged(d) = &report.verdict {
        // Damage after the cut point of the same file goes away with the cut.
        if d.file != file || d.offset.is_none_or(|o| o < offset) {
            return Err(FixError::Damaged(Box::new(d.clone())));
        }
    }
    // Same order of refusals as redis-check-aof.
    if offset == 0 {
        return Err(FixError::NothingBefore { file, ts });
    }
    let info = report.set_files.iter().find(|f| f.path == file);
    if !info.is_some_and(|f| f.is_last) {
        return Err(FixError::NotLastFile { file, ts, offset });
    }
    let from_size = std::fs::metadata(&file).map_err(|source| FixError::Io { file: file.clone(), source })?.len();
    let backup = backup_path(&file);
    let plan = FixPlan {
        description: format!(
            "This will truncate the AOF {} to timestamp {ts}: from {from_size} bytes to {offset} bytes. \
             A copy of the original is kept as {}.",
            file.display(),
            backup.display()
        ),
        file,
        from_size,
        to_size: offset,
        cut_bytes: from_size - offset,
        backup,
    };
    apply_fix(&plan).map(TimestampCut::Cut)
}
