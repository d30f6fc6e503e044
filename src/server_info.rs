//! INFO: the sections and field names of Redis 7.2.

use std::fmt::Write;

use crate::server::Server;

/// The Redis version we report (clients gate features on it).
pub const REDIS_VERSION: &str = "7.2.4";

/// Sections in output order; `true` = part of the default set.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
    ("spill", false),
];

/// Which sections a list of INFO arguments selects (Redis's `genInfoSectionDict`).
pub fn selected_sections(args: &[String]) -> Vec<&'static str> {
    let mut want: Vec<&'static str> = Vec::new();
    let add = |name: &'static str, want: &mut Vec<&'static str>| {
        if !want.contains(&name) {
            want.push(name);
        }
    };
    if args.is_empty() {
        for (n, d) in SECTIONS {
            if *d {
                add(n, &mut want);
            }
        }
        return want;
    }
    for a in args {
        let a = a.to_ascii_lowercase();
        match a.as_str() {
            "all" | "everything" => {
                // `spill` is VaultKey's own section: only given when asked by name, so
                // INFO all/everything lists exactly Redis's sections.
                for (n, _) in SECTIONS.iter().filter(|(n, _)| *n != "spill") {
                    add(n, &mut want);
                }
            }
            "default" => {
                for (n, d) in SECTIONS {
                    if *d {
                        add(n, &mut want);
                    }
                }
            }
            "module_list" => add("modules", &mut want),
            other => {
                if let Some((n, _)) = SECTIONS.iter().find(|(n, _)| *n == other) {
                    add(n, &mut want);
                }
            }
        }
    }
    want
}

/// Memory figures shared by INFO memory and MEMORY STATS.
pub struct MemoryNumbers {
    pub used: u64,
    pub peak: u64,
    pub startup: u64,
    pub dataset: u64,
    pub overhead: u64,
    pub clients: u64,
    pub rss: u64,
    pub keys: u64,
}

/// Resident set size of this process, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|x| x.parse::<u64>().ok()))
        .map(|p| p * page)
        .unwrap_or(0)
}

fn total_system_memory() -> u64 {
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if pages > 0 && page > 0 {
        pages as u64 * page as u64
    } else {
        0
    }
}

/// Baseline of a fresh server (what Redis calls `used_memory_startup`).
const STARTUP_BYTES: u64 = 900 * 1024;

static PEAK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static STARTUP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
use std::sync::atomic::Ordering::Relaxed;

pub fn memory_numbers(srv: &mut Server) -> MemoryNumbers {
    let (dataset_estimate, keys) = crate::cmd::server_cmds::dataset_bytes(srv);
    let clients = srv.clients.len() as u64 * 20 * 1024;
    // The counting allocator's exact figure when installed (the server binary), else an estimate.
    let counted = crate::spill::alloc::allocated();
    let startup = match (counted, STARTUP.load(Relaxed)) {
        (Some(_), s) if s > 0 => s,
        _ => STARTUP_BYTES,
    };
    // Redis's overhead: the startup baseline, clients, and the keyspace's own tables.
    let overhead = startup + clients + keys * 24;
    let used = counted.unwrap_or(overhead + dataset_estimate);
    let peak = note_peak(used);
    // As Redis: the dataset is what is left of used memory once the overhead is taken out.
    let dataset = used.saturating_sub(overhead);
    MemoryNumbers { used, peak, startup, dataset, overhead, clients, rss: rss_bytes(), keys }
}

/// Records `used` in the all-time peak (`used_memory_peak`); returns the peak.
pub fn note_peak(used: u64) -> u64 {
    // A plain load first: after every command the peak is rarely exceeded, and a
    // read-modify-write each time would cost more than the command's bookkeeping.
    let peak = PEAK.load(Relaxed);
    if used <= peak {
        return peak;
    }
    PEAK.fetch_max(used, Relaxed).max(used)
}

/// Samples the allocator into the peak (after every command, as Redis does in `call()`).
pub fn sample_peak() {
    if let Some(used) = crate::spill::alloc::allocated() {
        note_peak(used);
    }
}

/// Records the memory allocated once the server is initialized, before the dataset loads
/// (`used_memory_startup`).
pub fn note_startup_memory() {
    // Tables built on first use belong to the baseline too.
    let _ = crate::cmd::COMMANDS.get(b"ping");
    let _ = crate::scripting::ENGINE.lock().scripts.len();
    if let Some(used) = crate::spill::alloc::allocated() {
        STARTUP.store(used, Relaxed);
    }
}

/// Redis's `bytesToHuman`.
pub fn human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / (1024.0 * 1024.0 * 1024.0))
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1024f64.powi(4))
    } else {
        format!("{:.2}P", d / 1024f64.powi(5))
    }
}

fn rusage(who: i32) -> (f64, f64) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

fn os_name() -> String {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return std::env::consts::OS.into();
    }
    let f = |b: &[libc::c_char]| {
        let bytes: Vec<u8> = b.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
}

/// A 40-hex replication ID derived from the run ID.
pub fn master_replid(srv: &Server) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(b"replid:");
    h.update(srv.run_id.as_bytes());
    h.digest().to_string()
}

/// Renders INFO for the requested sections ("default", "all", "everything" or names).
pub fn render(srv: &mut Server, sections: &[String]) -> String {
    if srv.tracking.active() {
        crate::cmd::client::tracking_purge(srv);
    }
    let want = selected_sections(sections);
    let mut out = String::new();
    for (name, _) in SECTIONS {
        if !want.contains(name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match *name {
            "server" => server_section(srv, &mut out),
            "clients" => clients_section(srv, &mut out),
            "memory" => memory_section(srv, &mut out),
            "persistence" => persistence_section(srv, &mut out),
            "stats" => stats_section(srv, &mut out),
            "replication" => replication_section(srv, &mut out),
            "cpu" => cpu_section(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => commandstats_section(srv, &mut out),
            "errorstats" => errorstats_section(srv, &mut out),
            "latencystats" => latencystats_section(srv, &mut out),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "keyspace" => keyspace_section(srv, &mut out),
            "spill" => crate::spill::info_section(srv, &mut out),
            _ => {}
        }
    }
    out
}

macro_rules! field {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

fn server_section(srv: &Server, out: &mut String) {
    let now_us = crate::util::now_us();
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| srv.executable.clone());
    let config_file = srv
        .config
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| srv.config_file.clone());
    out.push_str("# Server\r\n");
    field!(out, "redis_version:{REDIS_VERSION}");
    field!(out, "redis_git_sha1:00000000");
    field!(out, "redis_git_dirty:0");
    field!(out, "redis_build_id:0");
    field!(out, "redis_mode:standalone");
    field!(out, "os:{}", os_name());
    field!(out, "arch_bits:{}", usize::BITS);
    field!(out, "monotonic_clock:POSIX clock_gettime");
    field!(out, "multiplexing_api:epoll");
    field!(out, "atomicvar_api:c11-builtin");
    field!(out, "gcc_version:0.0.0");
    field!(out, "process_id:{}", std::process::id());
    field!(out, "process_supervised:no");
    field!(out, "run_id:{}", srv.run_id);
    field!(out, "tcp_port:{}", srv.tcp_port);
    field!(out, "server_time_usec:{now_us}");
    field!(out, "uptime_in_seconds:{}", srv.uptime_secs());
    field!(out, "uptime_in_days:{}", srv.uptime_secs() / 86400);
    field!(out, "hz:{}", srv.config.hz);
    field!(out, "configured_hz:{}", srv.config.hz);
    field!(out, "lru_clock:{}", srv.lru_clock());
    field!(out, "executable:{exe}");
    field!(out, "config_file:{config_file}");
    field!(out, "io_threads_active:0");
    let mut listener = String::from("listener0:name=tcp");
    for b in &srv.config.bind {
        let _ = write!(listener, ",bind={b}");
    }
    let _ = write!(listener, ",port={}", srv.tcp_port);
    field!(out, "{listener}");
    field!(out, "vaultkey_version:{}", env!("CARGO_PKG_VERSION"));
}

fn clients_section(srv: &Server, out: &mut String) {
    let watching: std::collections::HashSet<u64> =
        srv.watches.values().flat_map(|w| w.iter().map(|(id, _)| *id)).collect();
    let in_timeout = srv.waiters.values().filter(|w| w.deadline_ms != 0).count();
    out.push_str("# Clients\r\n");
    field!(out, "connected_clients:{}", srv.clients.len());
    field!(out, "cluster_connections:0");
    field!(out, "maxclients:{}", srv.config.maxclients);
    field!(out, "client_recent_max_input_buffer:0");
    field!(out, "client_recent_max_output_buffer:0");
    field!(out, "blocked_clients:{}", srv.blocked_clients());
    field!(out, "tracking_clients:{}", srv.tracking.clients.keys().filter(|id| srv.clients.contains_key(*id)).count());
    field!(out, "clients_in_timeout_table:{in_timeout}");
    field!(out, "total_watched_keys:{}", srv.watches.len());
    field!(out, "total_blocking_keys:{}", srv.blocked_on.len());
    field!(out, "total_blocking_keys_on_nokey:0");
    field!(out, "watching_clients:{}", watching.len());
}

fn memory_section(srv: &mut Server, out: &mut String) {
    let m = memory_numbers(srv);
    let sys = total_system_memory();
    let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let c = &srv.config;
    out.push_str("# Memory\r\n");
    field!(out, "used_memory:{}", m.used);
    field!(out, "used_memory_human:{}", human(m.used));
    field!(out, "used_memory_rss:{}", m.rss);
    field!(out, "used_memory_rss_human:{}", human(m.rss));
    field!(out, "used_memory_peak:{}", m.peak);
    field!(out, "used_memory_peak_human:{}", human(m.peak));
    field!(out, "used_memory_peak_perc:{:.2}%", pct(m.used, m.peak));
    field!(out, "used_memory_overhead:{}", m.overhead);
    field!(out, "used_memory_startup:{}", m.startup);
    field!(out, "used_memory_dataset:{}", m.dataset);
    field!(out, "used_memory_dataset_perc:{:.2}%", pct(m.dataset, m.used.saturating_sub(m.startup)));
    field!(out, "allocator_allocated:{}", m.used);
    field!(out, "allocator_active:{}", m.used);
    field!(out, "allocator_resident:{}", m.rss);
    field!(out, "total_system_memory:{sys}");
    field!(out, "total_system_memory_human:{}", human(sys));
    let (lua, scripts, script_bytes, functions) = {
        let eng = crate::scripting::ENGINE.lock();
        let functions = if eng.built_from.len() == srv.function_libraries.len() { eng.functions.len() } else { 0 };
        let script_bytes: usize = eng.script_bodies.values().map(|b| b.len() + 96).sum();
        (eng.lua.used_memory() as u64, eng.scripts.len(), script_bytes as u64, functions)
    };
    let libraries = srv.function_libraries.len();
    let functions_bytes: u64 = 184 + srv.function_libraries.iter().map(|l| l.len() as u64 + 96).sum::<u64>();
    field!(out, "used_memory_lua:{lua}");
    field!(out, "used_memory_vm_eval:{lua}");
    field!(out, "used_memory_lua_human:{}", human(lua));
    field!(out, "used_memory_scripts_eval:{script_bytes}");
    field!(out, "number_of_cached_scripts:{scripts}");
    field!(out, "number_of_functions:{functions}");
    field!(out, "number_of_libraries:{libraries}");
    field!(out, "used_memory_vm_functions:32768");
    field!(out, "used_memory_vm_total:{}", lua + 32768);
    field!(out, "used_memory_vm_total_human:{}", human(lua + 32768));
    field!(out, "used_memory_functions:{functions_bytes}");
    field!(out, "used_memory_scripts:{}", script_bytes + functions_bytes);
    field!(out, "used_memory_scripts_human:{}", human(script_bytes + functions_bytes));
    field!(out, "maxmemory:{}", c.maxmemory);
    field!(out, "maxmemory_human:{}", human(c.maxmemory));
    field!(out, "maxmemory_policy:{}", c.maxmemory_policy);
    field!(out, "allocator_frag_ratio:1.00");
    field!(out, "allocator_frag_bytes:0");
    field!(out, "allocator_rss_ratio:{:.2}", ratio(m.rss, m.used));
    field!(out, "allocator_rss_bytes:{}", m.rss as i64 - m.used as i64);
    field!(out, "rss_overhead_ratio:1.00");
    field!(out, "rss_overhead_bytes:0");
    field!(out, "mem_fragmentation_ratio:{:.2}", ratio(m.rss, m.used));
    field!(out, "mem_fragmentation_bytes:{}", m.rss as i64 - m.used as i64);
    field!(out, "mem_not_counted_for_evict:0");
    field!(out, "mem_replication_backlog:0");
    field!(out, "mem_total_replication_buffers:0");
    field!(out, "mem_clients_slaves:0");
    field!(out, "mem_clients_normal:{}", m.clients);
    field!(out, "mem_cluster_links:0");
    field!(out, "mem_aof_buffer:0");
    field!(out, "mem_allocator:libc");
    field!(out, "active_defrag_running:0");
    field!(out, "lazyfree_pending_objects:0");
    field!(out, "lazyfreed_objects:0");
}

fn persistence_section(srv: &Server, out: &mut String) {
    out.push_str("# Persistence\r\n");
    let aof = crate::aof::info_fields(srv);
    let mut aof_iter = aof.iter().peekable();
    // loading fields come first, as in Redis.
    while let Some((k, v)) = aof_iter.peek() {
        if k.starts_with("loading") || k == "async_loading" {
            field!(out, "{k}:{v}");
            aof_iter.next();
        } else {
            break;
        }
    }
    let r = &srv.rdb;
    let cow: u64 = srv.dbs.iter().map(|d| d.cow_bytes() as u64).sum();
    let current_cow = if r.bgsave_in_progress { cow } else { 0 };
    field!(out, "current_cow_peak:{current_cow}");
    field!(out, "current_cow_size:{current_cow}");
    field!(out, "current_cow_size_age:0");
    field!(out, "current_fork_perc:0.00");
    field!(out, "current_save_keys_processed:0");
    field!(out, "current_save_keys_total:0");
    field!(out, "rdb_changes_since_last_save:{}", srv.dirty);
    field!(out, "rdb_bgsave_in_progress:{}", r.bgsave_in_progress as u8);
    field!(out, "rdb_last_save_time:{}", srv.lastsave);
    field!(out, "rdb_last_bgsave_status:{}", if r.last_bgsave_ok { "ok" } else { "err" });
    field!(out, "rdb_last_bgsave_time_sec:{}", if r.saves > 0 || !r.last_bgsave_ok { r.last_bgsave_time_sec } else { -1 });
    field!(out, "rdb_current_bgsave_time_sec:{}", r.bgsave_started.map_or(-1, |s| s.elapsed().as_secs() as i64));
    field!(out, "rdb_saves:{}", r.saves);
    field!(out, "rdb_last_cow_size:{}", r.last_cow_size);
    field!(out, "rdb_last_load_keys_expired:{}", r.last_load_keys_expired);
    field!(out, "rdb_last_load_keys_loaded:{}", r.last_load_keys_loaded);
    for (k, v) in aof_iter {
        field!(out, "{k}:{v}");
    }
}

fn stats_section(srv: &Server, out: &mut String) {
    let s = &srv.stats;
    out.push_str("# Stats\r\n");
    field!(out, "total_connections_received:{}", s.total_connections_received);
    field!(out, "total_commands_processed:{}", s.total_commands_processed);
    field!(out, "instantaneous_ops_per_sec:0");
    field!(out, "total_net_input_bytes:{}", s.total_net_input_bytes);
    field!(out, "total_net_output_bytes:{}", s.total_net_output_bytes);
    field!(out, "total_net_repl_input_bytes:0");
    field!(out, "total_net_repl_output_bytes:0");
    field!(out, "instantaneous_input_kbps:0.00");
    field!(out, "instantaneous_output_kbps:0.00");
    field!(out, "instantaneous_input_repl_kbps:0.00");
    field!(out, "instantaneous_output_repl_kbps:0.00");
    field!(out, "rejected_connections:{}", s.rejected_connections);
    field!(out, "sync_full:0");
    field!(out, "sync_partial_ok:0");
    field!(out, "sync_partial_err:0");
    field!(out, "expired_keys:{}", s.expired_keys);
    field!(out, "expired_stale_perc:{:.2}", s.expired_stale_perc);
    field!(out, "expired_time_cap_reached_count:0");
    field!(out, "expire_cycle_cpu_milliseconds:0");
    field!(out, "evicted_keys:{}", s.evicted_keys);
    field!(out, "evicted_clients:0");
    field!(out, "total_eviction_exceeded_time:0");
    field!(out, "current_eviction_exceeded_time:0");
    field!(out, "keyspace_hits:{}", s.keyspace_hits);
    field!(out, "keyspace_misses:{}", s.keyspace_misses);
    field!(out, "pubsub_channels:{}", srv.pubsub.channels.len());
    field!(out, "pubsub_patterns:{}", srv.pubsub.patterns.len());
    field!(out, "pubsubshard_channels:{}", srv.pubsub.shard_channels.len());
    field!(out, "latest_fork_usec:0");
    field!(out, "total_forks:0");
    field!(out, "migrate_cached_sockets:0");
    field!(out, "slave_expires_tracked_keys:0");
    field!(out, "active_defrag_hits:0");
    field!(out, "active_defrag_misses:0");
    field!(out, "active_defrag_key_hits:0");
    field!(out, "active_defrag_key_misses:0");
    field!(out, "total_active_defrag_time:0");
    field!(out, "current_active_defrag_time:0");
    field!(out, "tracking_total_keys:{}", srv.tracking.table.len());
    field!(out, "tracking_total_items:{}", srv.tracking.table.values().map(|s| s.len()).sum::<usize>());
    field!(out, "tracking_total_prefixes:{}", srv.tracking.prefixes.len());
    field!(out, "unexpected_error_replies:{}", s.unexpected_error_replies);
    field!(out, "total_error_replies:{}", s.total_error_replies);
    field!(out, "dump_payload_sanitizations:0");
    field!(out, "total_reads_processed:{}", s.total_commands_processed);
    field!(out, "total_writes_processed:{}", s.total_commands_processed);
    field!(out, "io_threaded_reads_processed:0");
    field!(out, "io_threaded_writes_processed:0");
    field!(out, "reply_buffer_shrinks:0");
    field!(out, "reply_buffer_expands:0");
    field!(out, "eventloop_cycles:{}", s.total_commands_processed);
    field!(out, "eventloop_duration_sum:0");
    field!(out, "eventloop_duration_cmd_sum:{}", s.commands.iter().map(|(_, c)| c.usec).sum::<u64>());
    field!(out, "instantaneous_eventloop_cycles_per_sec:0");
    field!(out, "instantaneous_eventloop_duration_usec:0");
    field!(out, "acl_access_denied_auth:0");
    field!(out, "acl_access_denied_cmd:0");
    field!(out, "acl_access_denied_key:0");
    field!(out, "acl_access_denied_channel:0");
}

fn replication_section(srv: &Server, out: &mut String) {
    out.push_str("# Replication\r\n");
    field!(out, "role:master");
    field!(out, "connected_slaves:0");
    field!(out, "master_failover_state:no-failover");
    field!(out, "master_replid:{}", master_replid(srv));
    field!(out, "master_replid2:0000000000000000000000000000000000000000");
    field!(out, "master_repl_offset:{}", srv.last_lsn);
    field!(out, "second_repl_offset:-1");
    field!(out, "repl_backlog_active:0");
    let backlog = srv.config.other.get("repl-backlog-size").cloned().unwrap_or_else(|| "1048576".into());
    field!(out, "repl_backlog_size:{backlog}");
    field!(out, "repl_backlog_first_byte_offset:0");
    field!(out, "repl_backlog_histlen:0");
}

fn cpu_section(out: &mut String) {
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
    let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
    out.push_str("# CPU\r\n");
    field!(out, "used_cpu_sys:{sys:.6}");
    field!(out, "used_cpu_user:{user:.6}");
    field!(out, "used_cpu_sys_children:{csys:.6}");
    field!(out, "used_cpu_user_children:{cuser:.6}");
    field!(out, "used_cpu_sys_main_thread:{tsys:.6}");
    field!(out, "used_cpu_user_main_thread:{tuser:.6}");
}

fn sorted_stats(srv: &Server) -> Vec<(&'static str, &crate::server::CommandStat)> {
    let mut v: Vec<_> = srv.stats.commands.iter().filter(|(_, c)| c.calls + c.rejected_calls + c.failed_calls > 0).collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

fn commandstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for (name, c) in sorted_stats(srv) {
        let per = if c.calls == 0 { 0.0 } else { c.usec as f64 / c.calls as f64 };
        field!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={per:.2},rejected_calls={},failed_calls={}",
            c.calls,
            c.usec,
            c.rejected_calls,
            c.failed_calls
        );
    }
}

fn errorstats_section(srv: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    let mut v: Vec<_> = srv.stats.errors.iter().collect();
    v.sort();
    for (code, n) in v {
        field!(out, "errorstat_{code}:count={n}");
    }
}

fn latencystats_section(srv: &Server, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    if !crate::latency::tracking() {
        return;
    }
    let percentiles: Vec<f64> = srv
        .config
        .other
        .get("latency-tracking-info-percentiles")
        .map(|p| p.split(' ').filter_map(|x| x.parse::<f64>().ok()).collect())
        .unwrap_or_default();
    for (name, c) in sorted_stats(srv) {
        if crate::latency::hist_total(&c.hist) == 0 {
            continue;
        }
        let parts: Vec<String> = percentiles
            .iter()
            .map(|p| format!("p{}={:.3}", crate::util::fmt_double(*p), crate::latency::hist_percentile(&c.hist, *p)))
            .collect();
        field!(out, "latency_percentiles_usec_{name}:{}", parts.join(","));
    }
}

fn keyspace_section(srv: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if !db.is_empty() {
            field!(out, "db{i}:keys={},expires={},avg_ttl=0", db.len(), db.expires_count());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_selection() {
        let d = selected_sections(&[]);
        assert!(d.contains(&"server") && !d.contains(&"commandstats"));
        let all = selected_sections(&["all".into()]);
        assert!(all.contains(&"commandstats") && all.contains(&"latencystats"));
        let some = selected_sections(&["CPU".into(), "keyspace".into(), "nosuch".into()]);
        assert_eq!(some, vec!["cpu", "keyspace"]);
        let mixed = selected_sections(&["default".into(), "commandstats".into()]);
        assert!(mixed.contains(&"commandstats") && mixed.contains(&"memory"));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1536), "1.50K");
        assert_eq!(human(10 * 1024 * 1024), "10.00M");
    }
}
