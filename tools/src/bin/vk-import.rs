//! `vk-import SOURCE [--to DIR | --to-server HOST:PORT] [options]`
//!
//! Moves a dataset into VaultKey (or any Redis-compatible server). SOURCE is an RDB file
//! (versions 1–11, Valkey 80), a Redis 7 `appendonlydir/` or manifest, a data directory, or an old
//! single-file AOF.
//!
//! - `--to DIR` writes `DIR/dump.rdb` (RDB 11), which `vk-server --dir DIR` loads on start.
//!   An existing file is never overwritten without `--overwrite` (a backup copy is kept then).
//! - `--to-server HOST:PORT` loads over RESP with pipelined `RESTORE ... ABSTTL`, falling back to
//!   an RDB 10 payload and then to plain commands when the target refuses the payload version.
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
        Box::new(ServerSink::connect(addr, args.password.as_deref(), args.replace)?)
    } else {
        let dir = args.to.clone().unwrap_or_else(|| PathBuf::from("data"));
        sum.target = dir.display().to_string();
        Box::new(DirSink::create(&dir, args.overwrite)?)
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
                sink.key(db, &k.key, k.expire_ms, &k.value)?;
                sum.keys_imported += 1;
                *sum.keys_by_db_and_type.entry(db).or_default().entry(k.value.type_name().to_string()).or_default() += 1;
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
    fn key(&mut self, db: u64, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), String>;
    fn function(&mut self, code: &[u8]) -> Result<(), String>;
    /// Completes the import; returns keys that turned out skipped (reason, count).
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String>;
    fn transfer(&self) -> Option<String> {
        None
    }
}

struct DrySink;
impl Sink for DrySink {
    fn key(&mut self, _: u64, _: &[u8], _: Option<i64>, _: &RdbValue) -> Result<(), String> {
        Ok(())
    }
    fn function(&mut self, _: &[u8]) -> Result<(), String> {
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        Ok(vec![])
    }
}

/// Writes DIR/dump.rdb (RDB 11) through a temp file, fsync and rename. Databases are written in
/// order, so keys are buffered per database until the end when the source interleaves them
/// (renames can merge databases).
struct DirSink {
    dir: PathBuf,
    dbs: BTreeMap<u64, Vec<(Vec<u8>, Option<i64>, RdbValue)>>,
    functions: Vec<Vec<u8>>,
}

impl DirSink {
    fn create(dir: &Path, overwrite: bool) -> Result<DirSink, String> {
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
        Ok(DirSink { dir: dir.to_path_buf(), dbs: BTreeMap::new(), functions: Vec::new() })
    }
}

impl Sink for DirSink {
    fn key(&mut self, db: u64, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), String> {
        self.dbs.entry(db).or_default().push((key.to_vec(), expire_ms, value.clone()));
        Ok(())
    }
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        self.functions.push(code.to_vec());
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        let tmp = self.dir.join(format!("temp-import-{}.rdb", std::process::id()));
        let f = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let opts = WriteOptions { version: 11, ..Default::default() };
        let mut w = RdbWriter::new(std::io::BufWriter::with_capacity(1 << 20, f), opts).map_err(|e| e.to_string())?;
        let werr = |e: rdb::WriteError| e.to_string();
        w.aux(b"redis-ver", b"7.2.4").map_err(werr)?;
        w.aux(b"redis-bits", b"64").map_err(werr)?;
        w.aux(b"aof-base", b"0").map_err(werr)?;
        for code in &self.functions {
            w.function(code).map_err(werr)?;
        }
        for (db, keys) in std::mem::take(&mut self.dbs) {
            w.select_db(db).map_err(werr)?;
            let expires = keys.iter().filter(|k| k.1.is_some()).count() as u64;
            w.resize_db(keys.len() as u64, expires).map_err(werr)?;
            for (k, exp, v) in keys {
                w.key(&k, exp, &v).map_err(werr)?;
            }
        }
        let bw = w.finish().map_err(werr)?;
        let f = bw.into_inner().map_err(|e| e.error().to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        drop(f);
        std::fs::rename(&tmp, self.dir.join("dump.rdb")).map_err(|e| e.to_string())?;
        std::fs::File::open(&self.dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())?;
        Ok(vec![])
    }
}

/// Pipelined RESTORE into a server. Replies are read in windows so neither side stalls.
struct ServerSink {
    c: Client,
    replace: bool,
    cur_db: Option<u64>,
    /// In-flight keys: (db, key, expire, value) for a retry in another form.
    inflight: Vec<(u64, Vec<u8>, Option<i64>, RdbValue)>,
    /// 11, then 10, then 0 = plain commands.
    mode: u16,
    skipped: BTreeMap<String, u64>,
    buf: Vec<u8>,
}

const WINDOW: usize = 256;

impl ServerSink {
    fn connect(addr: &str, password: Option<&str>, replace: bool) -> Result<ServerSink, String> {
        let mut c = Client::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        if let Some(p) = password {
            if let Reply::Error(e) = c.call(&[b"AUTH", p.as_bytes()]).map_err(|e| e.to_string())? {
                return Err(format!("AUTH failed: {e}"));
            }
        }
        Ok(ServerSink { c, replace, cur_db: None, inflight: Vec::new(), mode: 11, skipped: BTreeMap::new(), buf: Vec::new() })
    }

    fn queue(&mut self, db: u64, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), String> {
        if self.cur_db != Some(db) {
            resp::encode(&[b"SELECT", db.to_string().as_bytes()], &mut self.buf);
            self.cur_db = Some(db);
            self.inflight.push((u64::MAX, Vec::new(), None, RdbValue::String(Vec::new())));
        }
        if self.mode == 0 {
            let cmds = commands_for(key, expire_ms, value, self.replace);
            // Commands are wrapped in MULTI/EXEC so each key appears whole.
            resp::encode(&[b"MULTI"], &mut self.buf);
            for c in &cmds {
                let refs: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
                resp::encode(&refs, &mut self.buf);
            }
            resp::encode(&[b"EXEC"], &mut self.buf);
            for _ in 0..cmds.len() + 1 {
                self.inflight.push((u64::MAX, Vec::new(), None, RdbValue::String(Vec::new())));
            }
        } else {
            let payload = rdb::dump_payload(value, self.mode, &WriteOptions::default()).map_err(|e| e.to_string())?;
            let ttl = expire_ms.unwrap_or(0).to_string();
            let mut args: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), &payload, b"ABSTTL"];
            if self.replace {
                args.push(b"REPLACE");
            }
            resp::encode(&args, &mut self.buf);
        }
        self.inflight.push((db, key.to_vec(), expire_ms, value.clone()));
        Ok(())
    }

    fn drain(&mut self) -> Result<(), String> {
        self.c.send_raw(&self.buf).map_err(|e| e.to_string())?;
        self.buf.clear();
        self.c.flush().map_err(|e| e.to_string())?;
        let batch = std::mem::take(&mut self.inflight);
        let mut retry = Vec::new();
        for item in batch {
            let r = self.c.read().map_err(|e| e.to_string())?;
            if item.0 == u64::MAX {
                if let Reply::Error(e) = r {
                    if !e.starts_with("EXECABORT") {
                        *self.skipped.entry(format!("server error: {e}")).or_default() += 1;
                    }
                }
                continue;
            }
            match r {
                Reply::Error(e) if e.starts_with("BUSYKEY") => *self.skipped.entry("key exists on target (use --replace)".into()).or_default() += 1,
                Reply::Error(e) if e.contains("payload version or checksum") || e.contains("Bad data format") => retry.push(item),
                Reply::Error(e) => *self.skipped.entry(format!("server error: {e}")).or_default() += 1,
                Reply::Array(Some(items)) => {
                    if let Some(Reply::Error(e)) = items.iter().find(|r| r.is_error()) {
                        *self.skipped.entry(format!("server error: {e}")).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        if !retry.is_empty() {
            self.mode = match self.mode {
                11 => 10,
                _ => 0,
            };
            self.cur_db = None;
            for (db, k, e, v) in retry {
                self.queue(db, &k, e, &v)?;
            }
            return self.drain();
        }
        Ok(())
    }
}

impl Sink for ServerSink {
    fn key(&mut self, db: u64, key: &[u8], expire_ms: Option<i64>, value: &RdbValue) -> Result<(), String> {
        self.queue(db, key, expire_ms, value)?;
        if self.inflight.len() >= WINDOW {
            self.drain()?;
        }
        Ok(())
    }
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"LOAD"];
        if self.replace {
            args.push(b"REPLACE");
        }
        args.push(code);
        match self.c.call(&args).map_err(|e| e.to_string())? {
            Reply::Error(e) => {
                *self.skipped.entry(format!("function library: {e}")).or_default() += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    }
    fn finish(&mut self) -> Result<Vec<(String, u64)>, String> {
        self.drain()?;
        Ok(std::mem::take(&mut self.skipped).into_iter().collect())
    }
    fn transfer(&self) -> Option<String> {
        Some(match self.mode {
            11 => "restore-v11".into(),
            10 => "restore-v10".into(),
            _ => "commands".into(),
        })
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
    if let Some(e) = &s.error {
        println!("  FAILED: {e}");
    }
}
