//! `vk-import SOURCE [--to DIR | --to-server HOST:PORT] [options]`
//!
//! Moves a dataset into VaultKey (or any Redis-compatible server). SOURCE is an RDB file
//! (versions 1–11, Valkey 80), a Redis 7 `appendonlydir/` or manifest, a data directory, or an old
//! single-file AOF.
//!
//! - `--to DIR` writes `DIR/dump.rdb` (RDB 11), which `vk-server --dir DIR` loads on start.
//!   Keys are streamed to the file as they are decoded (constant memory); only when
//!   `--rename-db` reorders databases are they parked in one temporary file per target
//!   database. An existing file is never overwritten without `--overwrite` (a backup copy is
//!   kept then).
//! - `--to-server HOST:PORT` loads over RESP with pipelined `RESTORE ... ABSTTL` (large write
//!   batches, a reader thread per connection, a window bounded by bytes in flight), falling
//!   back to an RDB 10 payload and then to plain commands when the target refuses the payload
//!   version. Refused keys are counted by reason and the first 100 are named in the report.
//!
//! An AOF is folded into a dataset by the real command engine: a private `vk-server` child
//! loads it on a loopback port and saves an RDB, which is then imported like any RDB file.
//! Exit codes: 0 success, 1 finished with skipped keys, 2 failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use serde::Serialize;
use vk_storage::rdb::{self, RdbError, RdbEvent, RdbReader, RdbValue, RdbWriter, WriteOptions};
use vk_tools::resp::{self, Client, Reply};
use vk_tools::server::ChildServer;
use vk_tools::{detect_source, glob_match, human_bytes, show_key, Source};

#[derive(Parser)]
#[command(name = "vk-import", about = "Import a Redis/Valkey RDB file or AOF into VaultKey")]
struct Args {
    /// RDB file, appendonlydir/, manifest, data directory or single-file AOF.
    source: PathBuf,
    /// Write a data directory that `vk-server --dir DIR` starts on (default: ./data).
    #[arg(long, conflicts_with = "to_server")]
    to: Option<PathBuf>,
    /// Load into a running server over RESP.
    #[arg(long, value_name = "HOST:PORT")]
    to_server: Option<String>,
    /// Password for --to-server (AUTH).
    #[arg(long)]
    password: Option<String>,
    /// Only these source databases (repeatable).
    #[arg(long = "db", value_name = "N")]
    dbs: Vec<u64>,
    /// Only keys matching this glob pattern.
    #[arg(long = "match", value_name = "PATTERN")]
    pattern: Option<String>,
    /// Map source database A to target database B (repeatable), e.g. --rename-db 0:3.
    #[arg(long = "rename-db", value_name = "A:B")]
    rename_db: Vec<String>,
    /// Connections to the target server (keys are spread over them in batches). One is
    /// fastest into VaultKey (commands serialize on its keyspace lock); a few more can help
    /// with other servers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    connections: u16,
    /// Replace keys that already exist on the target server (default: keep them, count as skipped).
    #[arg(long)]
    replace: bool,
    /// Overwrite an existing DIR/dump.rdb (a backup copy is kept).
    #[arg(long)]
    overwrite: bool,
    /// Read and report only; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// What to do with module values (keys of a Redis module's type): fail (default) or skip
    /// (stepped over, named and counted in the summary; exit code 1).
    #[arg(long, default_value = "fail", value_parser = ["fail", "abort", "skip"])]
    on_module: String,
    /// Summary format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    report: String,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// (testing) Park every target database in a temporary file and write them at the end, as
    /// when --rename-db reorders databases, instead of streaming.
    #[arg(long, hide = true)]
    spill_by_db: bool,
}

#[derive(Serialize, Default)]
struct Summary {
    source: String,
    source_kind: String,
    target: String,
    dry_run: bool,
    ok: bool,
    error: Option<String>,
    keys_imported: u64,
    /// target db → type → count
    keys_by_db_and_type: BTreeMap<u64, BTreeMap<String, u64>>,
    expired_dropped: u64,
    filtered_out: u64,
    /// reason → count
    skipped: BTreeMap<String, u64>,
    /// Keys left out by `--on-module skip`: module type name → count.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    skipped_module_keys: BTreeMap<String, u64>,
    functions: u64,
    bytes_read: u64,
    seconds: f64,
    keys_per_sec: f64,
    mb_per_sec: f64,
    /// How keys were sent to a server: "restore-v11", "restore-v10" or "commands".
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer: Option<String>,
    /// Keys the target refused, named (the first 100; `skipped` has every count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped_keys: Vec<SkippedKey>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let start = Instant::now();
    let mut sum = Summary { source: args.source.display().to_string(), dry_run: args.dry_run, ..Default::default() };
    let result = run(&args, &mut sum);
    sum.seconds = start.elapsed().as_secs_f64();
    if sum.seconds > 0.0 {
        sum.keys_per_sec = sum.keys_imported as f64 / sum.seconds;
        sum.mb_per_sec = sum.bytes_read as f64 / sum.seconds / 1e6;
    }
    match result {
        Ok(()) => sum.ok = true,
        Err(e) => sum.error = Some(e),
    }
    print_summary(&args, &sum);
    if !sum.ok {
        ExitCode::from(2)
    } else if sum.skipped.values().sum::<u64>() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::from(0)
    }
}

fn run(args: &Args, sum: &mut Summary) -> Result<(), String> {
    let renames = parse_renames(&args.rename_db)?;
    let source = detect_source(&args.source)?;
    let (rdb_path, _tmp) = match &source {
        Source::Rdb(p) => {
            sum.source_kind = "rdb".into();
            (p.clone(), None)
        }
        Source::AofManifest(p) | Source::AofFile(p) => {
            sum.source_kind = if matches!(source, Source::AofManifest(_)) { "aof-multipart".into() } else { "aof-single-file".into() };
            let (path, tmp) = fold_aof(&source, p)?;
            (path, Some(tmp))
        }
    };
    let total = std::fs::metadata(&rdb_path).map(|m| m.len()).unwrap_or(0);
    let bar = progress(args.quiet || args.report == "json", total);
    let mut sink: Box<dyn Sink> = if args.dry_run {
        sum.target = "(dry run)".into();
        Box::new(DrySink)
    } else if let Some(addr) = &args.to_server {
        sum.target = addr.clone();
        Box::new(ServerSink::connect(addr, args.password.as_deref(), args.replace, args.connections as usize)?)
    } else {
        let dir = args.to.clone().unwrap_or_else(|| PathBuf::from("data"));
        sum.target = dir.display().to_string();
        let spill_all = args.spill_by_db || renames_reorder(&renames, &args.dbs);
        Box::new(DirSink::create(&dir, args.overwrite, spill_all)?)
    };
    let f = std::fs::File::open(&rdb_path).map_err(|e| format!("cannot open {}: {e}", rdb_path.display()))?;
    let mut r = RdbReader::new(f).map_err(|e| e.to_string())?;
    r.skip_module_values(args.on_module == "skip");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let mut n = 0u64;
    loop {
        let ev = match r.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(RdbError::Module { module_name, key, rdb_type, offset, .. }) => {
                let what = format!("module value of type '{module_name}' at key '{}' (offset {offset})", key.map(|k| show_key(&k.0)).unwrap_or_default());
                if args.on_module == "skip" {
                    // Only the pre-release format (type 6) gets here: it has no self-description.
                    let t = rdb_type.unwrap_or_default();
                    return Err(format!("{what} is in the pre-release module format (RDB type {t}), which cannot be stepped over; nothing after it was imported"));
                }
                return Err(format!("{what}: VaultKey has no modules (use --on-module skip to leave such keys out, or a server with that module)"));
            }
            Err(e) => return Err(format!("reading {}: {e}", rdb_path.display())),
        };
        match ev {
            RdbEvent::Function(code) => {
                sum.functions += 1;
                sink.function(&code)?;
            }
            RdbEvent::ResizeDb { db_size, expires_size } => {
                // The source's size hint is passed on when it is still true (or close: expired
                // keys dropped) for the target: readers pre-size their tables with it.
                let db = r.current_db();
                if args.pattern.is_none() && (args.dbs.is_empty() || args.dbs.contains(&db)) {
                    sink.size_hint(renames.get(&db).copied().unwrap_or(db), db_size, expires_size);
                }
            }
            RdbEvent::ModuleValue { db, key, module_name, expire_ms, .. } => {
                n += 1;
                if (!args.dbs.is_empty() && !args.dbs.contains(&db)) || args.pattern.as_ref().is_some_and(|p| !glob_match(p.as_bytes(), &key)) {
                    sum.filtered_out += 1;
                    continue;
                }
                if expire_ms.map(|e| e <= now).unwrap_or(false) {
                    sum.expired_dropped += 1;
                    continue;
                }
                *sum.skipped.entry(format!("module value of type '{module_name}'")).or_default() += 1;
                *sum.skipped_module_keys.entry(module_name).or_default() += 1;
            }
            RdbEvent::ModuleAux { module_name, .. } => {
                *sum.skipped.entry(format!("module aux data of '{module_name}'")).or_default() += 1;
            }
            RdbEvent::Key(k) => {
                n += 1;
                if k.empty {
                    *sum.skipped.entry("empty collection".into()).or_default() += 1;
                    continue;
                }
                if !args.dbs.is_empty() && !args.dbs.contains(&k.db) {
                    sum.filtered_out += 1;
                    continue;
                }
                if let Some(p) = &args.pattern {
                    if !glob_match(p.as_bytes(), &k.key) {
                        sum.filtered_out += 1;
                        continue;
                    }
                }
                if k.expire_ms.map(|e| e <= now).unwrap_or(false) {
                    sum.expired_dropped += 1;
                    continue;
                }
                let db = renames.get(&k.db).copied().unwrap_or(k.db);
                *sum.keys_by_db_and_type.entry(db).or_default().entry(k.value.type_name().to_string()).or_default() += 1;
                sink.key(db, k.key, k.expire_ms, k.value)?;
                sum.keys_imported += 1;
                if n % 1024 == 0 {
                    if let Some(b) = &bar {
                        b.set_position(r.offset());
                        b.set_message(format!("{} keys", sum.keys_imported));
                    }
                }
            }
            _ => {}
        }
    }
    sum.bytes_read = r.offset();
    let late = sink.finish()?;
    for (reason, count) in late {
        *sum.skipped.entry(reason).or_default() += count;
        sum.keys_imported = sum.keys_imported.saturating_sub(count);
    }
    sum.transfer = sink.transfer();
    sum.skipped_keys = sink.skipped_keys();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(())
}

fn parse_renames(specs: &[String]) -> Result<BTreeMap<u64, u64>, String> {
    let mut m = BTreeMap::new();
    for s in specs {
        let (a, b) = s.split_once(':').ok_or_else(|| format!("--rename-db expects A:B, got '{s}'"))?;
        let a: u64 = a.parse().map_err(|_| format!("--rename-db: bad database '{a}'"))?;
        let b: u64 = b.parse().map_err(|_| format!("--rename-db: bad database '{b}'"))?;
        m.insert(a, b);
    }
    Ok(m)
}

fn progress(hidden: bool, total: u64) -> Option<indicatif::ProgressBar> {
    if hidden {
        return None;
    }
    let b = indicatif::ProgressBar::new(total);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

/// Folds an AOF into an RDB file with a private vk-server (the one command engine).
fn fold_aof(source: &Source, path: &Path) -> Result<(PathBuf, tempfile_dir::TempDir), String> {
    let tmp = tempfile_dir::TempDir::new()?;
    let data = tmp.path().to_path_buf();
    match source {
        Source::AofManifest(m) => {
            let from = m.parent().ok_or("manifest without a directory")?;
            let to = data.join("appendonlydir");
            std::fs::create_dir_all(&to).map_err(|e| e.to_string())?;
            for e in std::fs::read_dir(from).map_err(|e| e.to_string())?.flatten() {
                if e.path().is_file() {
                    std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
                }
            }
            let name = m.file_name().and_then(|n| n.to_str()).unwrap_or("appendonly.aof.manifest");
            let prefix = name.strip_suffix(".manifest").unwrap_or("appendonly.aof").to_string();
            let s = ChildServer::start(&data, &["--appendonly", "yes", "--appendfilename", &prefix])?;
            save_and_stop(s)?;
        }
        _ => {
            std::fs::copy(path, data.join("appendonly.aof")).map_err(|e| e.to_string())?;
            let s = ChildServer::start(&data, &["--appendonly", "yes"])?;
            save_and_stop(s)?;
        }
    }
    Ok((data.join("dump.rdb"), tmp))
}

fn save_and_stop(s: ChildServer) -> Result<(), String> {
    let mut c = s.client()?;
    match c.call(&[b"SAVE"]).map_err(|e| e.to_string())? {
        Reply::Error(e) => return Err(format!("folding the AOF failed: {e}")),
        _ => {}
    }
    s.stop();
    Ok(())
}

/// A temporary directory removed on drop (kept tiny to avoid a dependency for one use).
mod tempfile_dir {
    use std::path::{Path, PathBuf};
    pub struct TempDir(PathBuf);
    impl TempDir {
        pub fn new() -> Result<TempDir, String> {
            let p = std::env::temp_dir().join(format!("vk-import-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)));
            std::fs::create_dir_all(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
            Ok(TempDir(p))
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

trait Sink {
    fn key(&mut self, db: u64, key: Vec<u8>, expire_ms: Option<i64>, value: RdbValue) -> Result<(), String>;
    fn function(&mut self, code: &[u8]) -> Result<(), String>;
    /// The source's RESIZEDB hint for a target database, before its keys.
    fn size_hint(&mut self, _db: u64, _keys: u64, _expires: u64) {}
    /// Completes the import; returns keys that turned out skipped (reason, count).
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String>;
    fn transfer(&self) -> Option<String> {
        None
    }
    /// Keys the target refused, named (at most `MAX_NAMED_SKIPS`).
    fn skipped_keys(&mut self) -> Vec<SkippedKey> {
        Vec::new()
    }
}

struct DrySink;
impl Sink for DrySink {
    fn key(&mut self, _: u64, _: Vec<u8>, _: Option<i64>, _: RdbValue) -> Result<(), String> {
        Ok(())
    }
    fn function(&mut self, _: &[u8]) -> Result<(), String> {
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        Ok(vec![])
    }
}

/// Writes DIR/dump.rdb (RDB 11) through a temp file, fsync and rename.
///
/// Keys are streamed: each one is written to the output as soon as it is decoded, so memory
/// stays constant however big the dataset. An RDB file holds each database once, in ascending
/// order, so this works as long as target databases arrive in ascending order — the case for
/// every file Redis or Valkey write, unless `--rename-db` reorders databases. When the plan
/// (`spill_all`) says the order will not be monotonic, or a key unexpectedly arrives for a
/// database whose section is already closed, its keys go to a temporary RDB file per target
/// database (`DIR/temp-import-PID-db-N.rdb`), copied into the output in ascending order at the
/// end. Nothing is held in memory but the key being copied.
struct DirSink {
    dir: PathBuf,
    tmp: PathBuf,
    out: Option<RdbWriter<std::fs::File>>,
    /// The database whose section is open in `out`.
    cur: Option<u64>,
    spill_all: bool,
    spills: BTreeMap<u64, Spill>,
    done: bool,
    /// The last RESIZEDB hint of the source: (target db, keys, expires).
    hint: Option<(u64, u64, u64)>,
}

/// Keys of one target database parked in a temporary RDB file.
struct Spill {
    path: PathBuf,
    w: Option<RdbWriter<std::fs::File>>,
    keys: u64,
    expires: u64,
}

/// At most this many target databases are spilled at once (one open file each).
const MAX_SPILLED_DBS: usize = 256;

fn werr(e: rdb::WriteError) -> String {
    e.to_string()
}

impl DirSink {
    fn create(dir: &Path, overwrite: bool, spill_all: bool) -> Result<DirSink, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let target = dir.join("dump.rdb");
        if target.exists() {
            if !overwrite {
                return Err(format!("{} exists; use --overwrite to replace it (a backup copy is kept)", target.display()));
            }
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let backup = dir.join(format!("dump.rdb.{secs}.bak"));
            std::fs::copy(&target, &backup).map_err(|e| format!("cannot back up {}: {e}", target.display()))?;
            eprintln!("kept a backup of the existing file as {}", backup.display());
        }
        let tmp = dir.join(format!("temp-import-{}.rdb", std::process::id()));
        let f = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut sink = DirSink { dir: dir.to_path_buf(), tmp, out: None, cur: None, spill_all, spills: BTreeMap::new(), done: false, hint: None };
        let mut w = RdbWriter::new(f, WriteOptions { version: 11, ..Default::default() }).map_err(werr)?;
        w.aux(b"redis-ver", b"7.2.4").map_err(werr)?;
        w.aux(b"redis-bits", b"64").map_err(werr)?;
        w.aux(b"aof-base", b"0").map_err(werr)?;
        sink.out = Some(w);
        Ok(sink)
    }

    fn out(&mut self) -> Result<&mut RdbWriter<std::fs::File>, String> {
        self.out.as_mut().ok_or_else(|| "output already finished".to_string())
    }

    fn spill(&mut self, db: u64, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), String> {
        if !self.spills.contains_key(&db) {
            if self.spills.len() >= MAX_SPILLED_DBS {
                return Err(format!("more than {MAX_SPILLED_DBS} target databases out of order; import them in several runs with --db"));
            }
            let path = self.dir.join(format!("temp-import-{}-db-{db}.rdb", std::process::id()));
            let f = std::fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            let w = RdbWriter::new(f, WriteOptions { version: 11, compress: false, ..Default::default() }).map_err(werr)?;
            self.spills.insert(db, Spill { path, w: Some(w), keys: 0, expires: 0 });
        }
        let s = self.spills.get_mut(&db).ok_or("spill file lost")?;
        s.w.as_mut().ok_or("spill file already closed")?.key(key, expire_ms, value).map_err(werr)?;
        s.keys += 1;
        s.expires += u64::from(expire_ms.is_some());
        Ok(())
    }
}

impl Sink for DirSink {
    fn key(&mut self, db: u64, key: Vec<u8>, expire_ms: Option<i64>, value: RdbValue) -> Result<(), String> {
        if self.spill_all || self.spills.contains_key(&db) {
            return self.spill(db, &key, expire_ms, &value);
        }
        match self.cur {
            Some(c) if c == db => {}
            Some(c) if db < c => return self.spill(db, &key, expire_ms, &value),
            _ => {
                let hint = self.hint.take().filter(|h| h.0 == db);
                let w = self.out()?;
                w.select_db(db).map_err(werr)?;
                if let Some((_, keys, expires)) = hint {
                    w.resize_db(keys, expires).map_err(werr)?;
                }
                self.cur = Some(db);
            }
        }
        self.out()?.key(&key, expire_ms, &value).map_err(werr)
    }
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        self.out()?.function(code).map_err(werr)
    }
    fn size_hint(&mut self, db: u64, keys: u64, expires: u64) {
        self.hint = Some((db, keys, expires));
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        let mut w = self.out.take().ok_or("output already finished")?;
        // Parked databases, in ascending order, each section with its exact sizes.
        for (db, s) in &mut self.spills {
            let sw = s.w.take().ok_or("spill file already closed")?;
            sw.finish().map_err(werr)?;
            w.select_db(*db).map_err(werr)?;
            w.resize_db(s.keys, s.expires).map_err(werr)?;
            let mut r = RdbReader::open(&s.path).map_err(|e| format!("reading back {}: {e}", s.path.display()))?;
            while let Some(ev) = r.next_event().map_err(|e| format!("reading back {}: {e}", s.path.display()))? {
                if let RdbEvent::Key(k) = ev {
                    w.key(&k.key, k.expire_ms, &k.value).map_err(werr)?;
                }
            }
            let _ = std::fs::remove_file(&s.path);
        }
        let f = w.finish().map_err(werr)?;
        f.sync_all().map_err(|e| e.to_string())?;
        drop(f);
        std::fs::rename(&self.tmp, self.dir.join("dump.rdb")).map_err(|e| e.to_string())?;
        std::fs::File::open(&self.dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())?;
        self.done = true;
        Ok(vec![])
    }
}

impl Drop for DirSink {
    /// A failed import leaves no temporary files behind (and never touches dump.rdb).
    fn drop(&mut self) {
        for s in self.spills.values() {
            let _ = std::fs::remove_file(&s.path);
        }
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Whether `--rename-db` (restricted to the `--db` filter, if any) can make the target
/// databases non-monotonic while source databases ascend: then the output cannot be streamed.
fn renames_reorder(renames: &BTreeMap<u64, u64>, only: &[u64]) -> bool {
    let target = |db: u64| renames.get(&db).copied().unwrap_or(db);
    let sources: Vec<u64> = if only.is_empty() {
        // Unmapped databases map to themselves, so checking every source up to the largest
        // mapped source or target (and one past it) covers every pair that can invert.
        let top = renames.iter().map(|(a, b)| (*a).max(*b)).max().unwrap_or(0);
        (0..=top.saturating_add(1).min(1 << 16)).chain(renames.keys().copied()).collect::<std::collections::BTreeSet<u64>>().into_iter().collect()
    } else {
        only.iter().copied().collect::<std::collections::BTreeSet<u64>>().into_iter().collect()
    };
    sources.windows(2).any(|w| target(w[1]) < target(w[0]))
}

/// What the reply reader thread needs to know about each command it will get a reply for.
enum Pending {
    /// SELECT, MULTI, a queued command, FUNCTION LOAD: errors are counted (except EXECABORT).
    Other { what: &'static str },
    /// The reply that decides a key's fate (RESTORE, or EXEC in commands mode).
    Key { item: Box<Inflight>, mode: u16 },
}

/// A key whose reply has not been read yet, kept for a retry in another transfer form.
struct Inflight {
    db: u64,
    key: Vec<u8>,
    expire_ms: Option<i64>,
    value: RdbValue,
    /// Value bytes sent (the encoded payload or commands).
    bytes: u64,
    /// The form it was last sent in (11, 10 or 0 = commands).
    sent_mode: u16,
}

/// A key the target refused, for the report.
#[derive(Serialize, Clone)]
struct SkippedKey {
    db: u64,
    key: String,
    reason: String,
}

/// At most this many skipped keys are named in the report (the counts are always complete).
const MAX_NAMED_SKIPS: usize = 100;

/// What the reader thread shares with the writer.
#[derive(Default)]
struct ReaderState {
    /// Replies read for keys (RESTORE/EXEC replies), whatever the outcome.
    done_keys: std::sync::atomic::AtomicU64,
    /// Value bytes of keys in flight (sent, reply not read yet).
    inflight_bytes: std::sync::atomic::AtomicU64,
}

struct ReaderResult {
    skipped: BTreeMap<String, u64>,
    named: Vec<SkippedKey>,
    error: Option<String>,
}

/// Pipelined RESTORE into a server over `--connections` connections. One thread (the caller)
/// encodes keys and writes them in large batches, moving to the next connection after each
/// batch; one reader thread per connection reads the replies as they come and decides each
/// key's fate, so no connection idles waiting for a window to drain (and a server that parses
/// on several cores, as vk-server does, gets to use them). Keys the target refuses because of
/// the payload version come back to the writer, which switches the whole transfer to the next
/// form (RDB 11 → RDB 10 payloads → plain commands) and sends them again.
struct ServerSink {
    conns: Vec<Conn>,
    /// The connection batches currently go to.
    cur: usize,
    replace: bool,
    /// 11, then 10, then 0 = plain commands.
    mode: u16,
    retries: std::sync::mpsc::Receiver<Inflight>,
    state: std::sync::Arc<ReaderState>,
    /// Keys sent (each gives one entry in `state.done_keys` once its reply is read).
    sent_keys: u64,
    named: Vec<SkippedKey>,
}

/// One connection: its writing half, the commands encoded but not written yet, and the
/// channel announcing replies to its reader thread.
struct Conn {
    out: std::io::BufWriter<std::net::TcpStream>,
    buf: Vec<u8>,
    cur_db: Option<u64>,
    pending: Option<std::sync::mpsc::SyncSender<Pending>>,
    reader: Option<std::thread::JoinHandle<ReaderResult>>,
}

impl Conn {
    fn write_out(&mut self) -> Result<(), String> {
        use std::io::Write;
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf).map_err(|e| format!("writing to the server: {e}"))?;
            self.buf.clear();
        }
        self.out.flush().map_err(|e| format!("writing to the server: {e}"))
    }

    /// The reader thread ended early: its error.
    fn reader_failure(&mut self) -> String {
        match self.reader.take().map(|h| h.join()) {
            Some(Ok(r)) => r.error.unwrap_or_else(|| "the reply reader stopped".into()),
            Some(Err(_)) => "the reply reader panicked".into(),
            None => "the reply reader stopped".into(),
        }
    }

    /// Announces a reply to the reader. When the window is full the queued bytes are written
    /// first (the reader could otherwise wait for a reply to a command still in our buffer).
    fn expect(&mut self, p: Pending) -> Result<(), String> {
        use std::sync::mpsc::TrySendError;
        let tx = self.pending.as_ref().ok_or("connection already finished")?;
        match tx.try_send(p) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(p)) => {
                self.write_out()?;
                let tx = self.pending.as_ref().ok_or("connection already finished")?;
                if tx.send(p).is_err() {
                    return Err(self.reader_failure());
                }
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(self.reader_failure()),
        }
    }
}

/// Replies the writer may be ahead of a reader by (commands, not bytes).
const MAX_INFLIGHT_COMMANDS: usize = 64 * 1024;
/// Value bytes that may be in flight (kept for retries) before the writer waits; the window
/// in keys adapts to the value sizes (64 Ki small keys per connection, or a few big ones).
/// `VK_IMPORT_MAX_INFLIGHT_BYTES` overrides it (tests).
fn max_inflight_bytes() -> u64 {
    static V: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *V.get_or_init(|| std::env::var("VK_IMPORT_MAX_INFLIGHT_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(64 << 20))
}
/// Encoded commands are written once this many bytes are queued.
const WRITE_BATCH: usize = 256 * 1024;

/// Reads the replies of one connection (see [`Pending`]).
fn read_replies(mut replies: resp::ReplyReader, prx: std::sync::mpsc::Receiver<Pending>, rtx: std::sync::mpsc::Sender<Inflight>, st: std::sync::Arc<ReaderState>) -> ReaderResult {
    use std::sync::atomic::Ordering;
    let mut res = ReaderResult { skipped: BTreeMap::new(), named: Vec::new(), error: None };
    let skip = |res: &mut ReaderResult, reason: String, item: Option<&Inflight>| {
        if let Some(it) = item {
            if res.named.len() < MAX_NAMED_SKIPS {
                res.named.push(SkippedKey { db: it.db, key: show_key(&it.key), reason: reason.clone() });
            }
        }
        *res.skipped.entry(reason).or_default() += 1;
    };
    while let Ok(p) = prx.recv() {
        let r = match replies.read() {
            Ok(r) => r,
            Err(e) => {
                res.error = Some(format!("reading replies: {e}"));
                break;
            }
        };
        match p {
            Pending::Other { what } => {
                if let Reply::Error(e) = r {
                    if !e.starts_with("EXECABORT") {
                        skip(&mut res, format!("{what}: {e}"), None);
                    }
                }
            }
            Pending::Key { mut item, mode } => {
                item.sent_mode = mode;
                st.inflight_bytes.fetch_sub(item.bytes, Ordering::AcqRel);
                match r {
                    Reply::Error(e) if e.starts_with("BUSYKEY") => skip(&mut res, "key exists on target (use --replace)".into(), Some(&item)),
                    Reply::Error(e) if mode != 0 && (e.contains("payload version or checksum") || e.contains("Bad data format")) => {
                        // Sent back before `done_keys` counts it, so the writer never
                        // finishes with a retry still on its way.
                        let _ = rtx.send(*item);
                    }
                    Reply::Error(e) => skip(&mut res, format!("server error: {e}"), Some(&item)),
                    Reply::Array(Some(items)) => {
                        if let Some(Reply::Error(e)) = items.iter().find(|r| r.is_error()) {
                            skip(&mut res, format!("server error: {e}"), Some(&item));
                        }
                    }
                    _ => {}
                }
                st.done_keys.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
    res
}

impl ServerSink {
    fn connect(addr: &str, password: Option<&str>, replace: bool, connections: usize) -> Result<ServerSink, String> {
        let (rtx, rrx) = std::sync::mpsc::channel::<Inflight>();
        let state = std::sync::Arc::new(ReaderState::default());
        let mut conns = Vec::new();
        for _ in 0..connections.max(1) {
            let mut c = Client::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
            if let Some(p) = password {
                if let Reply::Error(e) = c.call(&[b"AUTH", p.as_bytes()]).map_err(|e| e.to_string())? {
                    return Err(format!("AUTH failed: {e}"));
                }
            }
            let (replies, out) = c.split().map_err(|e| e.to_string())?;
            let (ptx, prx) = std::sync::mpsc::sync_channel::<Pending>(MAX_INFLIGHT_COMMANDS);
            let (rtx, st) = (rtx.clone(), state.clone());
            let reader = std::thread::Builder::new()
                .name("vk-import-replies".into())
                .spawn(move || read_replies(replies, prx, rtx, st))
                .map_err(|e| format!("cannot start a reply reader: {e}"))?;
            conns.push(Conn { out, buf: Vec::with_capacity(WRITE_BATCH + 4096), cur_db: None, pending: Some(ptx), reader: Some(reader) });
        }
        Ok(ServerSink { conns, cur: 0, replace, mode: 11, retries: rrx, state, sent_keys: 0, named: Vec::new() })
    }

    fn write_all(&mut self) -> Result<(), String> {
        for c in &mut self.conns {
            c.write_out()?;
        }
        Ok(())
    }

    fn queue(&mut self, mut item: Inflight) -> Result<(), String> {
        let conn = &mut self.conns[self.cur];
        if conn.cur_db != Some(item.db) {
            resp::encode(&[b"SELECT", item.db.to_string().as_bytes()], &mut conn.buf);
            conn.cur_db = Some(item.db);
            conn.expect(Pending::Other { what: "server error" })?;
        }
        if self.mode == 0 {
            let cmds = commands_for(&item.key, item.expire_ms, &item.value, self.replace);
            // Commands are wrapped in MULTI/EXEC (on one connection) so each key appears whole.
            resp::encode(&[b"MULTI"], &mut conn.buf);
            conn.expect(Pending::Other { what: "server error" })?;
            for c in &cmds {
                let refs: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
                resp::encode(&refs, &mut conn.buf);
                conn.expect(Pending::Other { what: "server error" })?;
            }
            resp::encode(&[b"EXEC"], &mut conn.buf);
            item.bytes = cmds.iter().flatten().map(|a| a.len() as u64).sum();
        } else {
            let payload = rdb::dump_payload(&item.value, self.mode, &WriteOptions::default()).map_err(|e| e.to_string())?;
            let ttl = item.expire_ms.unwrap_or(0).to_string();
            let mut args: Vec<&[u8]> = vec![b"RESTORE", &item.key, ttl.as_bytes(), &payload, b"ABSTTL"];
            if self.replace {
                args.push(b"REPLACE");
            }
            resp::encode(&args, &mut conn.buf);
            item.bytes = payload.len() as u64 + item.key.len() as u64;
        }
        self.state.inflight_bytes.fetch_add(item.bytes, std::sync::atomic::Ordering::AcqRel);
        self.sent_keys += 1;
        let mode = self.mode;
        conn.expect(Pending::Key { item: Box::new(item), mode })?;
        if conn.buf.len() >= WRITE_BATCH {
            conn.write_out()?;
            self.cur = (self.cur + 1) % self.conns.len();
        }
        Ok(())
    }

    /// Sends refused keys again in the next form: a key refused in one form moves the whole
    /// transfer to the next (RDB 11 → RDB 10 payloads → commands); keys refused in a form the
    /// transfer has already left are simply sent again in the current one.
    fn retry(&mut self, item: Inflight) -> Result<(), String> {
        let next = if item.sent_mode == 11 { 10 } else { 0 };
        self.mode = self.mode.min(next);
        self.queue(item)
    }

    fn take_retries(&mut self) -> Result<(), String> {
        while let Ok(item) = self.retries.try_recv() {
            self.retry(item)?;
        }
        Ok(())
    }

    /// Waits (writing what is queued) until the readers have at most the byte budget in
    /// flight, or (with `all`) until every key's reply is in.
    fn wait(&mut self, all: bool) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        loop {
            self.take_retries()?;
            let caught_up = if all {
                self.state.done_keys.load(Ordering::Acquire) == self.sent_keys
            } else {
                self.state.inflight_bytes.load(Ordering::Acquire) <= max_inflight_bytes()
            };
            if caught_up {
                // A retry may have been sent back just before the count moved.
                if let Ok(item) = self.retries.try_recv() {
                    self.retry(item)?;
                    continue;
                }
                return Ok(());
            }
            self.write_all()?;
            for c in &mut self.conns {
                if c.reader.as_ref().map(|h| h.is_finished()).unwrap_or(true) {
                    return Err(c.reader_failure());
                }
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

impl Sink for ServerSink {
    fn key(&mut self, db: u64, key: Vec<u8>, expire_ms: Option<i64>, value: RdbValue) -> Result<(), String> {
        self.take_retries()?;
        self.queue(Inflight { db, key, expire_ms, value, bytes: 0, sent_mode: self.mode })?;
        if self.state.inflight_bytes.load(std::sync::atomic::Ordering::Acquire) > max_inflight_bytes() {
            self.wait(false)?;
        }
        Ok(())
    }
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"LOAD"];
        if self.replace {
            args.push(b"REPLACE");
        }
        args.push(code);
        let conn = &mut self.conns[self.cur];
        resp::encode(&args, &mut conn.buf);
        conn.expect(Pending::Other { what: "function library" })
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        self.wait(true)?;
        self.write_all()?;
        let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
        let mut error = None;
        for c in &mut self.conns {
            // Closing the channel ends the reader once it has read every announced reply.
            c.pending = None;
            match c.reader.take().map(|h| h.join()) {
                Some(Ok(r)) => {
                    for (why, n) in r.skipped {
                        *skipped.entry(why).or_default() += n;
                    }
                    self.named.extend(r.named);
                    error = error.or(r.error);
                }
                _ => error = error.or(Some("a reply reader panicked".into())),
            }
        }
        if let Some(e) = error {
            return Err(e);
        }
        self.named.truncate(MAX_NAMED_SKIPS);
        Ok(skipped.into_iter().collect())
    }
    fn transfer(&self) -> Option<String> {
        Some(match self.mode {
            11 => "restore-v11".into(),
            10 => "restore-v10".into(),
            _ => "commands".into(),
        })
    }
    fn skipped_keys(&mut self) -> Vec<SkippedKey> {
        std::mem::take(&mut self.named)
    }
}

/// The value as plain write commands (for targets that refuse every payload version).
fn commands_for(key: &[u8], expire_ms: Option<i64>, value: &RdbValue, replace: bool) -> Vec<Vec<Vec<u8>>> {
    let k = key.to_vec();
    let mut out: Vec<Vec<Vec<u8>>> = Vec::new();
    if replace {
        out.push(vec![b"DEL".to_vec(), k.clone()]);
    }
    let chunked = |cmd: &[u8], items: Vec<Vec<u8>>, per: usize, out: &mut Vec<Vec<Vec<u8>>>| {
        for chunk in items.chunks(per.max(1)) {
            let mut c = vec![cmd.to_vec(), k.clone()];
            c.extend(chunk.iter().cloned());
            out.push(c);
        }
    };
    match value {
        RdbValue::String(s) => out.push(vec![b"SET".to_vec(), k.clone(), s.clone()]),
        RdbValue::List(items) => chunked(b"RPUSH", items.clone(), 64, &mut out),
        RdbValue::Set(items) => chunked(b"SADD", items.clone(), 64, &mut out),
        RdbValue::SortedSet(pairs) => {
            let flat: Vec<Vec<u8>> = pairs.iter().flat_map(|(m, s)| [format_score(*s).into_bytes(), m.clone()]).collect();
            chunked(b"ZADD", flat, 128, &mut out)
        }
        RdbValue::Hash(pairs) => {
            let flat: Vec<Vec<u8>> = pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect();
            chunked(b"HSET", flat, 128, &mut out)
        }
        RdbValue::HashWithTtl(triples) => {
            let flat: Vec<Vec<u8>> = triples.iter().flat_map(|(f, v, _)| [f.clone(), v.clone()]).collect();
            chunked(b"HSET", flat, 128, &mut out)
        }
        RdbValue::Stream(s) => {
            for (id, fields) in &s.entries {
                let mut c = vec![b"XADD".to_vec(), k.clone(), id.to_string().into_bytes()];
                for (f, v) in fields {
                    c.push(f.clone());
                    c.push(v.clone());
                }
                out.push(c);
            }
            if s.entries.is_empty() {
                // XADD + XDEL creates an empty stream, then XSETID restores its metadata.
                out.push(vec![b"XADD".to_vec(), k.clone(), b"MAXLEN".to_vec(), b"0".to_vec(), s.last_id.to_string().into_bytes(), b"x".to_vec(), b"y".to_vec()]);
            }
            out.push(vec![
                b"XSETID".to_vec(),
                k.clone(),
                s.last_id.to_string().into_bytes(),
                b"ENTRIESADDED".to_vec(),
                s.entries_added.to_string().into_bytes(),
                b"MAXDELETEDID".to_vec(),
                s.max_deleted_id.to_string().into_bytes(),
            ]);
            for g in &s.groups {
                let mut c = vec![b"XGROUP".to_vec(), b"CREATE".to_vec(), k.clone(), g.name.clone(), g.last_id.to_string().into_bytes()];
                if let Some(n) = g.entries_read {
                    c.push(b"ENTRIESREAD".to_vec());
                    c.push(n.to_string().into_bytes());
                }
                out.push(c);
                for cons in &g.consumers {
                    out.push(vec![b"XGROUP".to_vec(), b"CREATECONSUMER".to_vec(), k.clone(), g.name.clone(), cons.name.clone()]);
                    for id in &cons.pending {
                        if let Some(pe) = g.pel.iter().find(|p| p.id == *id) {
                            out.push(vec![
                                b"XCLAIM".to_vec(),
                                k.clone(),
                                g.name.clone(),
                                cons.name.clone(),
                                b"0".to_vec(),
                                id.to_string().into_bytes(),
                                b"TIME".to_vec(),
                                pe.delivery_time_ms.to_string().into_bytes(),
                                b"RETRYCOUNT".to_vec(),
                                pe.delivery_count.to_string().into_bytes(),
                                b"FORCE".to_vec(),
                                b"JUSTID".to_vec(),
                            ]);
                        }
                    }
                }
            }
        }
    }
    if let Some(e) = expire_ms {
        out.push(vec![b"PEXPIREAT".to_vec(), k, e.to_string().into_bytes()]);
    }
    out
}

/// A score that reads back as the same double.
fn format_score(s: f64) -> String {
    if s.is_infinite() {
        if s > 0.0 { "+inf".into() } else { "-inf".into() }
    } else {
        format!("{s:?}")
    }
}

fn print_summary(args: &Args, s: &Summary) {
    if args.report == "json" {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    let verb = if s.dry_run { "would import" } else { "imported" };
    println!("vk-import: {} ({}) -> {}", s.source, s.source_kind, s.target);
    println!("  {verb} {} keys in {:.2}s ({:.0} keys/s, {:.1} MB/s, {} read)", s.keys_imported, s.seconds, s.keys_per_sec, s.mb_per_sec, human_bytes(s.bytes_read));
    for (db, types) in &s.keys_by_db_and_type {
        let parts: Vec<String> = types.iter().map(|(t, n)| format!("{t}={n}")).collect();
        println!("  db{db}: {}", parts.join(" "));
    }
    if s.functions > 0 {
        println!("  function libraries: {}", s.functions);
    }
    println!("  expired keys dropped: {}", s.expired_dropped);
    if s.filtered_out > 0 {
        println!("  keys left out by --db/--match: {}", s.filtered_out);
    }
    if let Some(t) = &s.transfer {
        println!("  transfer: {t}");
    }
    for (why, n) in &s.skipped {
        println!("  skipped {n}: {why}");
    }
    for k in s.skipped_keys.iter().take(20) {
        println!("    db{} {}: {}", k.db, k.key, k.reason);
    }
    if s.skipped_keys.len() > 20 {
        println!("    ... (--report json names up to {MAX_NAMED_SKIPS})");
    }
    if let Some(e) = &s.error {
        println!("  FAILED: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(u64, u64)]) -> BTreeMap<u64, u64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn which_renames_reorder_databases() {
        assert!(!renames_reorder(&m(&[]), &[]));
        assert!(!renames_reorder(&m(&[(2, 3)]), &[]));
        assert!(!renames_reorder(&m(&[(0, 1), (1, 1)]), &[]));
        assert!(renames_reorder(&m(&[(0, 7)]), &[]));
        assert!(renames_reorder(&m(&[(5, 1)]), &[]));
        assert!(renames_reorder(&m(&[(70_000, 1)]), &[]));
        assert!(renames_reorder(&m(&[(3, 0)]), &[]));
        // Only the selected source databases matter.
        assert!(!renames_reorder(&m(&[(0, 7)]), &[0, 9]));
        assert!(renames_reorder(&m(&[(0, 7)]), &[0, 3]));
        assert!(!renames_reorder(&m(&[(0, 7)]), &[0]));
    }
}
