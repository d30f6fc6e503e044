//! `vk-check-rdb [--stats] [--json] FILE`
//!
//! Validates an RDB file (structure, every value decodes, CRC-64) and reports like
//! `redis-check-rdb`. With `--stats`: keys per database, type and encoding, expiries, the 20
//! biggest keys by serialized size, and totals — as text or JSON.
//! Exit codes: 0 clean, 2 damaged (or unreadable).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde::Serialize;
use vk_storage::rdb::{consts, Checksum, RdbError, RdbEvent, RdbReader};
use vk_tools::{human_bytes, show_key};

#[derive(Parser)]
#[command(name = "vk-check-rdb", about = "Check an RDB file (Redis 1-11, Valkey 80) and show statistics")]
struct Args {
    /// Show keys per db/type/encoding, expiries, the biggest keys and totals.
    #[arg(long)]
    stats: bool,
    /// Print the report (and stats) as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// How many of the biggest keys to list.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Module values (keys of a Redis module's type): fail (default, as redis-check-rdb without
    /// the module) or skip (step over them thanks to their self-description and count them).
    #[arg(long, default_value = "fail", value_parser = ["fail", "abort", "skip"])]
    on_module: String,
    file: PathBuf,
}

#[derive(Serialize, Default)]
struct DbStats {
    keys: u64,
    expires: u64,
    by_type: BTreeMap<String, u64>,
    by_encoding: BTreeMap<String, u64>,
    bytes: u64,
}

#[derive(Serialize)]
struct BigKey {
    db: u64,
    key: String,
    r#type: String,
    encoding: String,
    serialized_bytes: u64,
}

#[derive(Serialize, Default)]
struct Report {
    file: String,
    ok: bool,
    rdb_version: u16,
    aux: BTreeMap<String, String>,
    keys: u64,
    expires: u64,
    already_expired: u64,
    empty_keys: u64,
    functions: u64,
    /// Module values stepped over with `--on-module skip`: module type name → count.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    module_values: BTreeMap<String, u64>,
    checksum: String,
    error: Option<ErrorInfo>,
    size_bytes: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dbs: BTreeMap<u64, DbStats>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    biggest: Vec<BigKey>,
}

#[derive(Serialize)]
struct ErrorInfo {
    offset: Option<u64>,
    message: String,
    key: Option<String>,
    rdb_type: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out: Vec<String> = Vec::new();
    let mut report = Report { file: args.file.display().to_string(), ..Default::default() };
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out.push(format!("[offset 0] Checking RDB file {name}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    report.size_bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let result = (|| -> Result<(), RdbError> {
        let f = std::fs::File::open(&args.file)?;
        let mut r = RdbReader::new(f)?;
        r.skip_module_values(args.on_module == "skip");
        report.rdb_version = r.version();
        let mut biggest: Vec<BigKey> = Vec::new();
        loop {
            let before = r.offset();
            let Some(ev) = r.next_event()? else { break };
            match ev {
                RdbEvent::Aux { key, value } => {
                    let (k, v) = (String::from_utf8_lossy(&key).into_owned(), String::from_utf8_lossy(&value).into_owned());
                    out.push(format!("[offset {}] AUX FIELD {k} = '{v}'", r.offset()));
                    report.aux.insert(k, v);
                }
                RdbEvent::SelectDb(db) => out.push(format!("[offset {}] Selecting DB ID {db}", r.offset())),
                RdbEvent::ResizeDb { .. } | RdbEvent::SlotInfo { .. } | RdbEvent::ModuleAux { .. } => {}
                RdbEvent::Function(_) => report.functions += 1,
                RdbEvent::ModuleValue { db, key, module_name, expire_ms, .. } => {
                    report.keys += 1;
                    if let Some(e) = expire_ms {
                        report.expires += 1;
                        if e < now {
                            report.already_expired += 1;
                        }
                    }
                    out.push(format!("[offset {}] Skipped module value of type '{module_name}' at key '{}'", r.offset(), show_key(&key)));
                    if args.stats {
                        let size = r.offset() - before;
                        let d = report.dbs.entry(db).or_default();
                        d.keys += 1;
                        d.expires += expire_ms.is_some() as u64;
                        d.bytes += size;
                        *d.by_type.entry(format!("module:{module_name}")).or_default() += 1;
                        *d.by_encoding.entry(consts::type_name(consts::TYPE_MODULE_2).to_string()).or_default() += 1;
                    }
                    *report.module_values.entry(module_name).or_default() += 1;
                }
                RdbEvent::Key(k) => {
                    if k.empty {
                        report.empty_keys += 1;
                        return Err(RdbError::Corrupt {
                            offset: k.offset,
                            key: Some(vk_storage::rdb::KeyName(k.key.clone())),
                            rdb_type: Some(k.rdb_type),
                            reason: EMPTY_KEY.into(),
                        });
                    }
                    report.keys += 1;
                    if let Some(e) = k.expire_ms {
                        report.expires += 1;
                        if e < now {
                            report.already_expired += 1;
                        }
                    }
                    if args.stats {
                        let size = r.offset() - before;
                        let d = report.dbs.entry(k.db).or_default();
                        d.keys += 1;
                        d.expires += k.expire_ms.is_some() as u64;
                        d.bytes += size;
                        *d.by_type.entry(k.value.type_name().to_string()).or_default() += 1;
                        *d.by_encoding.entry(consts::type_name(k.rdb_type).to_string()).or_default() += 1;
                        biggest.push(BigKey {
                            db: k.db,
                            key: show_key(&k.key),
                            r#type: k.value.type_name().into(),
                            encoding: consts::type_name(k.rdb_type).into(),
                            serialized_bytes: size,
                        });
                        if biggest.len() > args.top * 4 + 64 {
                            biggest.sort_by(|a, b| b.serialized_bytes.cmp(&a.serialized_bytes));
                            biggest.truncate(args.top);
                        }
                    }
                }
                RdbEvent::Eof { checksum } => {
                    report.checksum = match checksum {
                        Checksum::Absent => "absent (RDB < 5)".into(),
                        Checksum::NotComputed => "not computed (rdbchecksum no)".into(),
                        Checksum::Verified(c) => format!("{c:016x} (OK)"),
                        Checksum::Unverified(c) => format!("{c:016x} (not verified)"),
                    };
                    if matches!(checksum, Checksum::Verified(_)) {
                        out.push(format!("[offset {}] Checksum OK", r.offset()));
                    }
                    break;
                }
            }
        }
        biggest.sort_by(|a, b| b.serialized_bytes.cmp(&a.serialized_bytes));
        biggest.truncate(args.top);
        report.biggest = biggest;
        Ok(())
    })();
    match &result {
        Ok(()) => {
            report.ok = true;
            out.push(format!("[offset {}] \\o/ RDB looks OK! \\o/", report.size_bytes));
        }
        Err(e) => {
            out.push("--- RDB ERROR DETECTED ---".into());
            // Like redis-check-rdb, a key whose value failed to read was already counted.
            if e.key().is_some() {
                report.keys += 1;
            }
            let off = match e {
                RdbError::ChecksumMismatch { .. } => Some(report.size_bytes),
                other => other.offset(),
            };
            let off = off.map(|o| o.to_string()).unwrap_or_else(|| "?".into());
            let (msg, doing) = match e {
                RdbError::Corrupt { reason, .. } if reason == EMPTY_KEY => (reason.clone(), "read-object-value"),
                RdbError::UnexpectedEof { .. } => ("Unexpected EOF reading RDB file".to_string(), "read-object-value"),
                RdbError::ChecksumMismatch { .. } => ("RDB CRC error".to_string(), "check-sum"),
                other => (other.to_string(), "read-object-value"),
            };
            out.push(format!("[offset {off}] {msg}"));
            out.push(format!("[additional info] While doing: {doing}"));
            let key = e.key().map(show_key);
            if let Some(k) = &key {
                out.push(format!("[additional info] Reading key '{k}'"));
            }
            let t = rdb_type_of(e);
            if let Some(t) = t {
                out.push(format!("[additional info] Reading type {t} ({})", consts::type_name(t)));
            }
            report.error = Some(ErrorInfo { offset: off.parse().ok(), message: msg, key, rdb_type: t.map(|t| consts::type_name(t).to_string()) });
        }
    }
    out.push(format!("[info] {} keys read", report.keys));
    out.push(format!("[info] {} expires", report.expires));
    out.push(format!("[info] {} already expired", report.already_expired));
    for (name, n) in &report.module_values {
        out.push(format!("[info] {n} module values of type '{name}' skipped"));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        for l in &out {
            println!("{l}");
        }
        if args.stats && report.ok {
            print_stats(&report);
        }
    }
    if report.ok {
        ExitCode::from(0)
    } else {
        ExitCode::from(2)
    }
}

/// redis-check-rdb's wording for an empty collection, with what it really is.
const EMPTY_KEY: &str = "Unexpected EOF reading RDB file (an empty collection: Redis skips such keys when loading)";

fn rdb_type_of(e: &RdbError) -> Option<u8> {
    match e {
        RdbError::UnexpectedEof { rdb_type, .. } | RdbError::Corrupt { rdb_type, .. } | RdbError::Module { rdb_type, .. } => *rdb_type,
        RdbError::UnknownType { type_byte, .. } => Some(*type_byte),
        _ => None,
    }
}

fn print_stats(r: &Report) {
    println!();
    println!("== Statistics ({}, RDB version {})", human_bytes(r.size_bytes), r.rdb_version);
    for (db, d) in &r.dbs {
        println!("db{db}: keys={} expires={} serialized={}", d.keys, d.expires, human_bytes(d.bytes));
        for (t, n) in &d.by_type {
            println!("    type {t:<10} {n}");
        }
        for (e, n) in &d.by_encoding {
            println!("    encoding {e:<20} {n}");
        }
    }
    println!("functions: {}", r.functions);
    println!("== {} biggest keys by serialized size", r.biggest.len());
    for b in &r.biggest {
        println!("{:>12}  db{} {} ({}, {})", human_bytes(b.serialized_bytes), b.db, b.key, b.r#type, b.encoding);
    }
}
