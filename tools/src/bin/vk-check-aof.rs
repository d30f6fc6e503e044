//! `vk-check-aof [--fix | --truncate-to-timestamp <T>] [--yes] <manifest | appendonlydir | file.aof>`
//!
//! Checks an AOF (multi-part or Redis 6 single file) and optionally repairs the torn tail of its
//! last file, keeping a backup. Exit codes: 0 clean, 1 repaired, 2 damaged (or refused).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vk_recovery::aof::check::{check, check_and_fix, truncate_to_timestamp, TimestampCut, Verdict};
use vk_recovery::aof::rdb_hook::ChecksumScan;

#[derive(Parser)]
#[command(name = "vk-check-aof", about = "Check and repair a VaultKey / Redis AOF")]
struct Args {
    /// Truncate the damaged tail of the last file (asks first, keeps `<file>.bak`).
    #[arg(long, conflicts_with = "truncate_to_timestamp")]
    fix: bool,
    /// Truncate the last file at the first `#TS:` annotation later than this Unix time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    truncate_to_timestamp: Option<i64>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// A manifest, an appendonlydir/, a data directory, or a single AOF file.
    path: PathBuf,
}

fn confirm(question: &str) -> bool {
    print!("{question}\nContinue? [y/N]: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim_start().to_ascii_lowercase().starts_with('y')
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut hook = ChecksumScan;
    if let Some(ts) = args.truncate_to_timestamp {
        return match truncate_to_timestamp(&args.path, ts, &mut hook) {
            Ok(TimestampCut::Nothing) => {
                println!("Truncate nothing in AOF {} to timestamp {ts}", args.path.display());
                ExitCode::from(0)
            }
            Ok(TimestampCut::Cut(r)) => {
                println!("{}", r.plan.description);
                println!("Successfully truncated AOF {} to timestamp {ts}", r.plan.file.display());
                ExitCode::from(1)
            }
            Err(e) => {
                println!("{e}");
                ExitCode::from(2)
            }
        };
    }
    let report = if args.fix {
        check_and_fix(&args.path, &mut hook, &mut |plan| args.yes || confirm(&plan.description))
    } else {
        check(&args.path, &mut hook)
    };
    for f in &report.files {
        println!(
            "AOF analyzed: filename={}, size={}, ok_up_to={}, lines={}, commands={}",
            f.name, f.size, f.ok_up_to, f.lines, f.commands
        );
    }
    match &report.verdict {
        Verdict::Clean => println!("All AOF files and manifest are valid"),
        Verdict::Repaired(r) => {
            println!("Successfully truncated AOF {} (backup: {})", r.plan.file.display(), r.plan.backup.display());
            println!("All AOF files and manifest are valid");
        }
        Verdict::Damaged(d) => {
            if let Some(e) = d.error_offset {
                println!("0x{e:>16x}: {}", d.reason);
            } else {
                println!("{}", d.reason);
            }
            let mut at = String::new();
            if let Some(o) = d.offset {
                at = format!(" (ok_up_to={o}");
                if let Some(l) = d.redis_line {
                    at.push_str(&format!(", ok_up_to_line={l}"));
                }
                at.push(')');
            }
            let advice = match (d.fixable, args.fix) {
                (true, false) => ". Use the --fix option to try fixing it.",
                (true, true) => ".",
                (false, _) => ". This damage cannot be repaired by truncation.",
            };
            println!("AOF {} is not valid{at}{advice}", d.file.display());
        }
    }
    ExitCode::from(u8::try_from(report.verdict.exit_code()).unwrap_or(2))
}
