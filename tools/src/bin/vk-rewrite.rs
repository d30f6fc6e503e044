//! `vk-rewrite` — offline rewriting of data files.
//!
//! - `vk-rewrite rdb IN OUT [--rdb-version 10|11] [--no-compress]`: converts an RDB file between
//!   versions (RDB 10 is what Redis 7.0 loads, 11 what Redis 7.2 and Valkey 7.2–8 load). Streams
//!   the file; never touches IN; OUT is written through a temp file and renamed.
//! - `vk-rewrite aof DATADIR [--preamble yes|no]`: compacts the AOF in DATADIR (its
//!   `appendonlydir/`, or an old `appendonly.aof`, which is upgraded) into a fresh base with an
//!   empty incr file, by running the real engine (`vk-server` as a private child on a loopback
//!   port) and BGREWRITEAOF, exactly as the server does online.
//!
//! Exit codes: 0 success, 2 failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use vk_storage::rdb::{RdbEvent, RdbReader, RdbWriter, WriteOptions};
use vk_tools::resp::Reply;
use vk_tools::server::ChildServer;

#[derive(Parser)]
#[command(name = "vk-rewrite", about = "Rewrite RDB files between versions, compact AOF directories")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Convert an RDB file to RDB 10 or 11.
    Rdb {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, default_value_t = 11, value_parser = clap::value_parser!(u16).range(10..=11))]
        rdb_version: u16,
        /// Do not LZF-compress strings.
        #[arg(long)]
        no_compress: bool,
    },
    /// Compact the AOF of a data directory into a fresh base and an empty incr file.
    Aof {
        datadir: PathBuf,
        /// Write the base as an RDB preamble (yes) or as commands (no).
        #[arg(long, default_value = "yes", value_parser = ["yes", "no"])]
        preamble: String,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let r = match args.cmd {
        Cmd::Rdb { input, output, rdb_version, no_compress } => convert_rdb(&input, &output, rdb_version, !no_compress),
        Cmd::Aof { datadir, preamble } => compact_aof(&datadir, &preamble),
    };
    match r {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::from(0)
        }
        Err(e) => {
            eprintln!("vk-rewrite: {e}");
            ExitCode::from(2)
        }
    }
}

fn convert_rdb(input: &Path, output: &Path, version: u16, compress: bool) -> Result<String, String> {
    let f = std::fs::File::open(input).map_err(|e| format!("cannot open {}: {e}", input.display()))?;
    let mut r = RdbReader::new(f).map_err(|e| e.to_string())?;
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".vk-rewrite-{}.tmp", std::process::id()));
    let result = (|| -> Result<u64, String> {
        let out = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let opts = WriteOptions { version, compress, checksum: true, ..Default::default() };
        let mut w = RdbWriter::new(std::io::BufWriter::with_capacity(1 << 20, out), opts).map_err(|e| e.to_string())?;
        let mut keys = 0u64;
        let mut db_started: Option<u64> = None;
        while let Some(ev) = r.next_event().map_err(|e| format!("reading {}: {e}", input.display()))? {
            let werr = |e: vk_storage::rdb::WriteError| e.to_string();
            match ev {
                RdbEvent::Aux { key, value } => w.aux(&key, &value).map_err(werr)?,
                RdbEvent::Function(code) => w.function(&code).map_err(werr)?,
                RdbEvent::SelectDb(db) => {
                    w.select_db(db).map_err(werr)?;
                    db_started = Some(db);
                }
                RdbEvent::ResizeDb { db_size, expires_size } => w.resize_db(db_size, expires_size).map_err(werr)?,
                RdbEvent::Key(k) => {
                    if k.empty {
                        continue;
                    }
                    if db_started != Some(k.db) {
                        w.select_db(k.db).map_err(werr)?;
                        db_started = Some(k.db);
                    }
                    w.key_with_meta(&k.key, k.expire_ms, k.lru_idle, k.lfu_freq, &k.value)
                        .map_err(|e| format!("key '{}': {e}", vk_tools::show_key(&k.key)))?;
                    keys += 1;
                }
                RdbEvent::ModuleAux { module_name, .. } => {
                    return Err(format!("module aux data of '{module_name}' cannot be rewritten"));
                }
                RdbEvent::SlotInfo { .. } => {}
                RdbEvent::ModuleValue { module_name, .. } => {
                    return Err(format!("module value of type '{module_name}' cannot be rewritten"));
                }
                RdbEvent::Eof { .. } => break,
            }
        }
        let bw = w.finish().map_err(|e| e.to_string())?;
        let f = bw.into_inner().map_err(|e| e.error().to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        Ok(keys)
    })();
    match result {
        Ok(keys) => {
            std::fs::rename(&tmp, output).map_err(|e| format!("cannot rename to {}: {e}", output.display()))?;
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            Ok(format!("wrote {} (RDB {version}, {keys} keys)", output.display()))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn compact_aof(datadir: &Path, preamble: &str) -> Result<String, String> {
    if !datadir.join("appendonlydir").is_dir() && !datadir.join("appendonly.aof").is_file() {
        return Err(format!("{}: no appendonlydir/ or appendonly.aof to compact", datadir.display()));
    }
    let s = ChildServer::start(datadir, &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble])?;
    let mut c = s.client()?;
    let before = info_field(&mut c, "aof_rewrites").unwrap_or(0);
    match c.call(&[b"BGREWRITEAOF"]).map_err(|e| e.to_string())? {
        Reply::Error(e) => return Err(format!("BGREWRITEAOF failed: {e}")),
        _ => {}
    }
    let start = Instant::now();
    loop {
        let done = info_field(&mut c, "aof_rewrite_in_progress") == Some(0) && info_field(&mut c, "aof_rewrites").unwrap_or(0) > before;
        if done {
            break;
        }
        if info_field(&mut c, "aof_last_bgrewrite_status_err") == Some(1) {
            return Err("the rewrite failed (see the server log in the data directory)".into());
        }
        if start.elapsed() > Duration::from_secs(24 * 3600) {
            return Err("the rewrite did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s.stop();
    let _ = std::fs::remove_file(datadir.join("vk-tool-server.log"));
    Ok(format!("compacted {} (base as {})", datadir.join("appendonlydir").display(), if preamble == "yes" { "RDB preamble" } else { "commands" }))
}

/// An integer field of INFO persistence (`aof_last_bgrewrite_status_err` is 1 when the status is err).
fn info_field(c: &mut vk_tools::resp::Client, name: &str) -> Option<i64> {
    let Ok(Reply::Bulk(Some(text))) = c.call(&[b"INFO", b"persistence"]) else { return None };
    let text = String::from_utf8_lossy(&text).into_owned();
    if name == "aof_last_bgrewrite_status_err" {
        return Some(text.contains("aof_last_bgrewrite_status:err") as i64);
    }
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).and_then(|v| v.trim().parse().ok())
}
