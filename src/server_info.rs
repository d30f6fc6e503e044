//! INFO: the sections and field names of Redis 7.2.

use std::fmt::Write;

use crate::server::Server;

/// The Redis version we report (clients gate features on it).
pub const REDIS_VERSION: &str = "7.2.4";

/// Renders INFO for the requested sections ("default", "all", "everything" or names).
pub fn render(srv: &Server, sections: &[String]) -> String {
    let all = sections.iter().any(|s| s == "all" || s == "everything");
    let default = sections.is_empty() || sections.iter().any(|s| s == "default");
    let want = |name: &str| all || sections.iter().any(|s| s == name) || (default && !matches!(name, "commandstats" | "latencystats"));
    let mut out = String::new();
    if want("server") {
        let _ = write!(
            out,
            "# Server\r\nredis_version:{REDIS_VERSION}\r\nvaultkey_version:{}\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nexecutable:{}\r\nconfig_file:{}\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::process::id(),
            srv.run_id,
            srv.tcp_port,
            srv.uptime_secs(),
            srv.uptime_secs() / 86400,
            srv.config.hz,
            srv.executable,
            srv.config_file,
        );
    }
    if want("clients") {
        let _ = write!(
            out,
            "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:{}\r\n\r\n",
            srv.clients.len(),
            srv.config.maxclients,
            srv.blocked_clients()
        );
    }
    if want("stats") {
        let s = &srv.stats;
        let _ = write!(
            out,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\ntotal_error_replies:{}\r\n\r\n",
            s.total_connections_received,
            s.total_commands_processed,
            s.rejected_connections,
            s.expired_keys,
            s.evicted_keys,
            s.keyspace_hits,
            s.keyspace_misses,
            srv.pubsub.channels.len(),
            srv.pubsub.patterns.len(),
            s.total_error_replies,
        );
    }
    if want("keyspace") {
        out.push_str("# Keyspace\r\n");
        for (i, db) in srv.dbs.iter().enumerate() {
            if !db.is_empty() {
                let _ = write!(out, "db{i}:keys={},expires={},avg_ttl=0\r\n", db.len(), db.expires_count());
            }
        }
        out.push_str("\r\n");
    }
    while out.ends_with("\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

/// Resident set size of this process in bytes (from /proc), 0 if unknown.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Best available figure for `used_memory` (the RSS until an allocator counter exists).
pub fn used_memory_estimate() -> u64 {
    rss_bytes()
}
