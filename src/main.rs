//! `vk-server [config-file] [--directive value ...]`, like redis-server.

use std::path::PathBuf;

/// Counts allocated bytes: INFO used_memory and the spill tier's memory target.
#[global_allocator]
static ALLOC: vaultkey::spill::alloc::Counting = vaultkey::spill::alloc::Counting;

fn usage() -> ! {
    eprintln!("Usage: vk-server [/path/to/vaultkey.conf] [--directive value ...]");
    eprintln!("       vk-server --version");
    eprintln!("Examples: vk-server; vk-server conf/vaultkey.conf --port 7000 --dir /var/lib/vaultkey");
    std::process::exit(1);
}

fn main() {
    // Execution is serialized by the server lock, so many malloc arenas only add fragmentation
    // (RSS) without adding parallelism: keep two, as the runtime's threads mostly do I/O.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut file: Option<PathBuf> = None;
    let mut overrides: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-v" || a == "--version" {
            println!("VaultKey server v={} (Redis 7.2 compatible)", env!("CARGO_PKG_VERSION"));
            return;
        }
        if a == "-h" || a == "--help" {
            usage();
        }
        if let Some(name) = a.strip_prefix("--") {
            let mut vals = Vec::new();
            i += 1;
            while i < args.len() && !args[i].starts_with("--") {
                vals.push(args[i].clone());
                i += 1;
            }
            overrides.push((name.to_ascii_lowercase(), vals));
            continue;
        }
        if i == 0 && file.is_none() {
            file = Some(PathBuf::from(a));
        } else {
            usage();
        }
        i += 1;
    }
    let config = match vaultkey::config::Config::load(file.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("\n*** FATAL CONFIG FILE ERROR (VaultKey {}) ***\n{e}", env!("CARGO_PKG_VERSION"));
            std::process::exit(1);
        }
    };
    use tracing_subscriber::prelude::*;
    let level = vaultkey::config::tracing_level(&config.loglevel);
    // RUST_LOG, when set, wins at startup; CONFIG SET loglevel replaces the filter at once.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let (filter, reload) = tracing_subscriber::reload::Layer::new(filter);
    let _ = vaultkey::config::LOGLEVEL_HOOK.set(Box::new(move |level: &str| {
        let _ = reload.reload(tracing_subscriber::EnvFilter::new(level));
    }));
    if config.logfile.is_empty() {
        tracing_subscriber::registry().with(filter).with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)).init();
    } else {
        match std::fs::OpenOptions::new().create(true).append(true).open(&config.logfile) {
            Ok(f) => tracing_subscriber::registry()
                .with(filter)
                .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(std::sync::Mutex::new(f)))
                .init(),
            Err(e) => {
                eprintln!("Can't open the log file {}: {e}", config.logfile);
                std::process::exit(1);
            }
        }
    }
    // `io-threads`: the runtime's worker threads (connections' reading, parsing, execution under
    // the server lock, reply encoding and writing). One by default, as in Redis: on a machine
    // whose other cores run the clients, a second worker costs more in lock hand-offs than it
    // gains (docs/benchmarks.md). Commands that may run long (scripts, SAVE, KEYS...) move off
    // the worker (`block_in_place`), so they never stop the other connections' I/O.
    let workers = config.get("io-threads").and_then(|v| v.parse().ok()).unwrap_or(1usize).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .thread_name("vk-io")
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(vaultkey::run(config)) {
        eprintln!("vk-server: {e}");
        std::process::exit(1);
    }
}
