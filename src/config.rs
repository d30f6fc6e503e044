//! Configuration: redis.conf syntax and directive names, CONFIG GET/SET/REWRITE.
//!
//! [`PARAMS`] lists every parameter of Redis 7.2 (name, alias, type, default, bounds, flags) plus
//! VaultKey's own. Typed fields of [`Config`] are what the server reads on its hot paths; the
//! parameters without a typed field keep their value (as CONFIG GET shows it) in
//! [`Config::other`]. Every parameter is accepted from files, `--name value` overrides and
//! CONFIG SET with Redis's validation and error texts; those that have no effect here are
//! logged once as such.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use crate::types::Thresholds;

/// The embedded default configuration used when `vk-server` starts without a file.
pub const DEFAULT_CONFIG: &str = include_str!("../conf/default.conf");

/// Parameter flags.
pub mod pflags {
    /// Cannot be changed with CONFIG SET.
    pub const IMMUTABLE: u32 = 1 << 0;
    /// Changeable only when `enable-protected-configs` allows it.
    pub const PROTECTED: u32 = 1 << 1;
    /// Not matched by CONFIG GET patterns (only by its exact name).
    pub const HIDDEN: u32 = 1 << 2;
    /// Its value is redacted from logs.
    pub const SENSITIVE: u32 = 1 << 3;
    /// Takes several arguments (CONFIG SET splits the value on spaces).
    pub const MULTI_ARG: u32 = 1 << 4;
    /// Cannot be changed while loading.
    pub const DENY_LOADING: u32 = 1 << 5;
    /// Has an effect in VaultKey (otherwise accepted and logged as having none).
    pub const EFFECT: u32 = 1 << 6;
}
use pflags::*;

/// How a numeric parameter is written and parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    /// A plain integer.
    Int,
    /// Bytes with optional units (`1kb`, `5mb`, `1gb`, `1k` = 1000...).
    Memory,
    /// A memory value or a percentage (`10%`, stored negative).
    MemoryPercent,
    /// An octal number.
    Octal,
}

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool(bool),
    /// Allowed names with their values (several names may share a value: the first is shown),
    /// and the default value.
    Enum(&'static [(&'static str, u8)], u8),
    /// Bounds and default; `unsigned` selects Redis's unsigned bound check.
    Num { min: i128, max: i128, default: i128, fmt: NumFmt, unsigned: bool },
    /// Default (`None` = unset; CONFIG GET shows "").
    Str(Option<&'static str>),
    /// Parsed by dedicated code; the default as CONFIG GET shows it.
    Special(&'static str),
}

/// One configuration parameter.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub flags: u32,
}

impl Param {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    /// The default value as CONFIG GET shows it.
    pub fn default_string(&self) -> String {
        match self.kind {
            Kind::Bool(b) => yn(b).into(),
            Kind::Enum(vals, d) => enum_name(vals, d).into(),
            Kind::Num { default, fmt, .. } => fmt_num(default, fmt),
            Kind::Str(d) => d.unwrap_or("").into(),
            Kind::Special(d) => d.into(),
        }
    }
}

const fn b(name: &'static str, alias: Option<&'static str>, flags: u32, d: bool) -> Param {
    Param { name, alias, kind: Kind::Bool(d), flags }
}
const fn s(name: &'static str, alias: Option<&'static str>, flags: u32, d: Option<&'static str>) -> Param {
    Param { name, alias, kind: Kind::Str(d), flags }
}
const fn e(name: &'static str, alias: Option<&'static str>, flags: u32, vals: &'static [(&'static str, u8)], d: u8) -> Param {
    Param { name, alias, kind: Kind::Enum(vals, d), flags }
}
const fn n(name: &'static str, alias: Option<&'static str>, flags: u32, min: i128, max: i128, d: i128, fmt: NumFmt) -> Param {
    Param { name, alias, kind: Kind::Num { min, max, default: d, fmt, unsigned: false }, flags }
}
const fn u(name: &'static str, alias: Option<&'static str>, flags: u32, min: i128, max: i128, d: i128, fmt: NumFmt) -> Param {
    Param { name, alias, kind: Kind::Num { min, max, default: d, fmt, unsigned: true }, flags }
}
const fn sp(name: &'static str, alias: Option<&'static str>, flags: u32, d: &'static str) -> Param {
    Param { name, alias, kind: Kind::Special(d), flags }
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

const MAXMEMORY_POLICY: &[(&str, u8)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: &[(&str, u8)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const LOGLEVEL: &[(&str, u8)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3), ("nothing", 4)];
const SUPERVISED: &[(&str, u8)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const AOF_FSYNC: &[(&str, u8)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const REPL_DISKLESS_LOAD: &[(&str, u8)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u8)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, u8)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u8)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, u8)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const PROTECTED_ACTION: &[(&str, u8)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPE: &[(&str, u8)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, u8)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

use NumFmt::{Int as I, Memory as M, MemoryPercent as MP, Octal as O};
const X: u32 = EFFECT;

/// Every configuration parameter: Redis 7.2's, then VaultKey's own.
pub static PARAMS: &[Param] = &[
    // Booleans.
    b("rdbchecksum", None, IMMUTABLE | X, true),
    b("daemonize", None, IMMUTABLE, false),
    b("io-threads-do-reads", None, IMMUTABLE, false),
    b("always-show-logo", None, IMMUTABLE, false),
    b("protected-mode", None, X, true),
    b("rdbcompression", None, X, true),
    b("rdb-del-sync-files", None, 0, false),
    b("activerehashing", None, 0, true),
    b("stop-writes-on-bgsave-error", None, X, true),
    b("set-proc-title", None, IMMUTABLE, true),
    b("dynamic-hz", None, 0, true),
    b("lazyfree-lazy-eviction", None, 0, false),
    b("lazyfree-lazy-expire", None, 0, false),
    b("lazyfree-lazy-server-del", None, 0, false),
    b("lazyfree-lazy-user-del", None, 0, false),
    b("lazyfree-lazy-user-flush", None, 0, false),
    b("repl-disable-tcp-nodelay", None, 0, false),
    b("repl-diskless-sync", None, 0, true),
    b("aof-rewrite-incremental-fsync", None, X, true),
    b("no-appendfsync-on-rewrite", None, X, false),
    b("cluster-require-full-coverage", None, 0, true),
    b("rdb-save-incremental-fsync", None, 0, true),
    b("aof-load-truncated", None, X, true),
    b("aof-use-rdb-preamble", None, X, true),
    b("aof-timestamp-enabled", None, X, false),
    b("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, false),
    b("replica-lazy-flush", Some("slave-lazy-flush"), 0, false),
    b("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, true),
    b("replica-read-only", Some("slave-read-only"), 0, true),
    b("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, true),
    b("jemalloc-bg-thread", None, 0, true),
    b("activedefrag", None, 0, false),
    b("syslog-enabled", None, IMMUTABLE, false),
    b("cluster-enabled", None, IMMUTABLE, false),
    b("appendonly", None, DENY_LOADING | X, false),
    b("cluster-allow-reads-when-down", None, 0, false),
    b("cluster-allow-pubsubshard-when-down", None, 0, true),
    b("crash-log-enabled", None, 0, true),
    b("crash-memcheck-enabled", None, 0, true),
    b("use-exit-on-panic", None, HIDDEN, false),
    b("disable-thp", None, IMMUTABLE, true),
    b("cluster-allow-replica-migration", None, 0, true),
    b("replica-announced", None, 0, true),
    b("latency-tracking", None, X, true),
    b("aof-disable-auto-gc", None, 0, false),
    b("replica-ignore-disk-write-errors", None, 0, false),
    // Strings.
    s("aclfile", None, IMMUTABLE, Some("")),
    s("unixsocket", None, IMMUTABLE, None),
    s("pidfile", None, IMMUTABLE, None),
    s("replica-announce-ip", Some("slave-announce-ip"), 0, None),
    s("masteruser", None, SENSITIVE, None),
    s("cluster-announce-ip", None, 0, None),
    s("cluster-config-file", None, IMMUTABLE, Some("nodes.conf")),
    s("cluster-announce-hostname", None, 0, None),
    s("cluster-announce-human-nodename", None, 0, None),
    s("syslog-ident", None, IMMUTABLE, Some("redis")),
    s("dbfilename", None, PROTECTED | X, Some("dump.rdb")),
    s("appendfilename", None, IMMUTABLE | X, Some("appendonly.aof")),
    s("appenddirname", None, IMMUTABLE | X, Some("appendonlydir")),
    s("server_cpulist", None, IMMUTABLE, None),
    s("bio_cpulist", None, IMMUTABLE, None),
    s("aof_rewrite_cpulist", None, IMMUTABLE, None),
    s("bgsave_cpulist", None, IMMUTABLE, None),
    s("ignore-warnings", None, 0, Some("")),
    s("proc-title-template", None, 0, Some("{title} {listen-addr} {server-mode}")),
    s("bind-source-addr", None, 0, None),
    s("logfile", None, IMMUTABLE | X, Some("")),
    s("locale-collate", None, 0, Some("")),
    s("masterauth", None, SENSITIVE, None),
    s("requirepass", None, SENSITIVE | X, None),
    // Enums.
    e("supervised", None, IMMUTABLE, SUPERVISED, 3),
    e("syslog-facility", None, IMMUTABLE, SYSLOG_FACILITY, 1),
    e("repl-diskless-load", None, DENY_LOADING, REPL_DISKLESS_LOAD, 0),
    e("loglevel", None, X, LOGLEVEL, 2),
    e("maxmemory-policy", None, X, MAXMEMORY_POLICY, 7),
    e("appendfsync", None, X, AOF_FSYNC, 0),
    e("oom-score-adj", None, 0, OOM_SCORE_ADJ, 0),
    e("acl-pubsub-default", None, 0, ACL_PUBSUB_DEFAULT, 0),
    e("sanitize-dump-payload", None, 0, SANITIZE_DUMP, 0),
    e("enable-protected-configs", None, IMMUTABLE | X, PROTECTED_ACTION, 0),
    e("enable-debug-command", None, IMMUTABLE | X, PROTECTED_ACTION, 0),
    e("enable-module-command", None, IMMUTABLE, PROTECTED_ACTION, 0),
    e("cluster-preferred-endpoint-type", None, 0, ENDPOINT_TYPE, 0),
    e("propagation-error-behavior", None, 0, PROPAGATION_ERROR, 0),
    // Integers.
    n("databases", None, IMMUTABLE | X, 1, INT_MAX, 16, I),
    n("port", None, X, 0, 65535, 6379, I),
    n("io-threads", None, IMMUTABLE | X, 1, 128, 1, I),
    n("auto-aof-rewrite-percentage", None, X, 0, INT_MAX, 100, I),
    n("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, 0, INT_MAX, 10, I),
    n("list-max-listpack-size", Some("list-max-ziplist-size"), X, INT_MIN, INT_MAX, -2, I),
    n("tcp-keepalive", None, 0, 0, INT_MAX, 300, I),
    n("cluster-migration-barrier", None, 0, 0, INT_MAX, 1, I),
    n("active-defrag-cycle-min", None, 0, 1, 99, 1, I),
    n("active-defrag-cycle-max", None, 0, 1, 99, 25, I),
    n("active-defrag-threshold-lower", None, 0, 0, 1000, 10, I),
    n("active-defrag-threshold-upper", None, 0, 0, 1000, 100, I),
    n("lfu-log-factor", None, X, 0, INT_MAX, 10, I),
    n("lfu-decay-time", None, X, 0, INT_MAX, 1, I),
    n("replica-priority", Some("slave-priority"), 0, 0, INT_MAX, 100, I),
    n("repl-diskless-sync-delay", None, 0, 0, INT_MAX, 5, I),
    n("maxmemory-samples", None, X, 1, INT_MAX, 5, I),
    n("maxmemory-eviction-tenacity", None, 0, 0, 100, 10, I),
    n("timeout", None, X, 0, INT_MAX, 0, I),
    n("replica-announce-port", Some("slave-announce-port"), 0, 0, 65535, 0, I),
    n("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, 511, I),
    n("cluster-port", None, IMMUTABLE, 0, 65535, 0, I),
    n("cluster-announce-bus-port", None, 0, 0, 65535, 0, I),
    n("cluster-announce-port", None, 0, 0, 65535, 0, I),
    n("cluster-announce-tls-port", None, 0, 0, 65535, 0, I),
    n("repl-timeout", None, 0, 1, INT_MAX, 60, I),
    n("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, 1, INT_MAX, 10, I),
    n("list-compress-depth", None, X, 0, INT_MAX, 0, I),
    n("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, 0, I),
    n("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, 0, I),
    n("active-expire-effort", None, X, 1, 10, 1, I),
    n("hz", None, X, 0, INT_MAX, 10, I),
    n("min-replicas-to-write", Some("min-slaves-to-write"), 0, 0, INT_MAX, 0, I),
    n("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, 0, INT_MAX, 10, I),
    n("watchdog-period", None, HIDDEN, 0, INT_MAX, 0, I),
    n("shutdown-timeout", None, 0, 0, INT_MAX, 10, I),
    n("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, 0, I),
    n("max-new-connections-per-cycle", None, 0, 1, 1000, 10, I),
    n("max-new-tls-connections-per-cycle", None, 0, 1, 1000, 1, I),
    u("maxclients", None, X, 1, UINT_MAX, 10000, I),
    u("unixsocketperm", None, IMMUTABLE, 0, 0o777, 0, O),
    u("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, 0, I),
    n("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, 1000, I),
    n("slowlog-max-len", None, X, 0, LONG_MAX, 128, I),
    n("acllog-max-len", None, 0, 0, LONG_MAX, 128, I),
    n("busy-reply-threshold", Some("lua-time-limit"), X, 0, LONG_MAX, 5000, I),
    n("cluster-node-timeout", None, 0, 0, LONG_MAX, 15000, I),
    n("slowlog-log-slower-than", None, X, -1, LONG_MAX, 10000, I),
    n("latency-monitor-threshold", None, X, 0, LONG_MAX, 0, I),
    n("proto-max-bulk-len", None, X, 1024 * 1024, LONG_MAX, 512 * 1024 * 1024, M),
    n("stream-node-max-entries", None, X, 0, LONG_MAX, 100, I),
    n("repl-backlog-size", None, 0, 1, LONG_MAX, 1024 * 1024, M),
    u("maxmemory", None, X, 0, ULLONG_MAX, 0, M),
    u("cluster-link-sendbuf-limit", None, 0, 0, ULLONG_MAX, 0, M),
    u("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), X, 0, LONG_MAX, 512, I),
    u("set-max-intset-entries", None, X, 0, LONG_MAX, 512, I),
    u("set-max-listpack-entries", None, X, 0, LONG_MAX, 128, I),
    u("set-max-listpack-value", None, X, 0, LONG_MAX, 64, M),
    u("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), X, 0, LONG_MAX, 128, I),
    u("active-defrag-ignore-bytes", None, 0, 1, LONG_MAX, 100 << 20, M),
    u("hash-max-listpack-value", Some("hash-max-ziplist-value"), X, 0, LONG_MAX, 64, M),
    u("stream-node-max-bytes", None, X, 0, LONG_MAX, 4096, M),
    u("zset-max-listpack-value", Some("zset-max-ziplist-value"), X, 0, LONG_MAX, 64, M),
    u("hll-sparse-max-bytes", None, X, 0, LONG_MAX, 3000, M),
    u("tracking-table-max-keys", None, X, 0, LONG_MAX, 1_000_000, I),
    u("client-query-buffer-limit", None, X, 1024 * 1024, LONG_MAX, 1024 * 1024 * 1024, M),
    n("maxmemory-clients", None, 0, -100, LONG_MAX, 0, MP),
    n("repl-backlog-ttl", None, 0, 0, LONG_MAX, 3600, I),
    n("auto-aof-rewrite-min-size", None, X, 0, LONG_MAX, 64 * 1024 * 1024, M),
    n("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, 2 * 1024 * 1024, I),
    // TLS (accepted; VaultKey does not speak TLS).
    n("tls-port", None, 0, 0, 65535, 0, I),
    n("tls-session-cache-size", None, 0, 0, INT_MAX, 20 * 1024, I),
    n("tls-session-cache-timeout", None, 0, 0, INT_MAX, 300, I),
    b("tls-cluster", None, 0, false),
    b("tls-replication", None, 0, false),
    e("tls-auth-clients", None, 0, TLS_AUTH_CLIENTS, 1),
    b("tls-prefer-server-ciphers", None, 0, false),
    b("tls-session-caching", None, 0, true),
    s("tls-cert-file", None, 0, None),
    s("tls-key-file", None, 0, None),
    s("tls-key-file-pass", None, SENSITIVE, None),
    s("tls-client-cert-file", None, 0, None),
    s("tls-client-key-file", None, 0, None),
    s("tls-client-key-file-pass", None, SENSITIVE, None),
    s("tls-dh-params-file", None, 0, None),
    s("tls-ca-cert-file", None, 0, None),
    s("tls-ca-cert-dir", None, 0, None),
    s("tls-protocols", None, 0, None),
    s("tls-ciphers", None, 0, None),
    s("tls-ciphersuites", None, 0, None),
    // Special.
    sp("dir", None, PROTECTED | DENY_LOADING | X, ""),
    sp("save", None, MULTI_ARG | X, "3600 1 300 100 60 10000"),
    sp(
        "client-output-buffer-limit",
        None,
        MULTI_ARG,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    sp("oom-score-adj-values", None, MULTI_ARG, "0 200 800"),
    sp("notify-keyspace-events", None, X, ""),
    sp("bind", None, MULTI_ARG | X, "* -::*"),
    sp("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, ""),
    sp("latency-tracking-info-percentiles", None, MULTI_ARG, "50 99 99.9"),
    sp("shutdown-on-sigint", None, MULTI_ARG, "default"),
    sp("shutdown-on-sigterm", None, MULTI_ARG, "default"),
    // VaultKey's own.
    n("rdb-version", None, X, 10, 11, 11, I),
    b("spill-enabled", None, X, false),
    s("spill-dir", None, X, Some("spill")),
    u("spill-max-disk", None, X, 0, LONG_MAX, 0, M),
    u("spill-min-value-size", None, X, 0, LONG_MAX, 64 * 1024, M),
];

/// Finds a parameter by name or alias (any case). Returns it and whether `name` is the alias.
pub fn lookup(name: &str) -> Option<(&'static Param, bool)> {
    static INDEX: LazyLock<hashbrown::HashMap<&'static str, (usize, bool)>> = LazyLock::new(|| {
        let mut m = hashbrown::HashMap::new();
        for (i, p) in PARAMS.iter().enumerate() {
            m.insert(p.name, (i, false));
            if let Some(a) = p.alias {
                m.insert(a, (i, true));
            }
        }
        m
    });
    let lower = name.to_ascii_lowercase();
    INDEX.get(lower.as_str()).map(|&(i, alias)| (&PARAMS[i], alias))
}

fn yn(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

fn enum_name(vals: &[(&'static str, u8)], v: u8) -> &'static str {
    vals.iter().find(|(_, x)| *x == v).map(|(n, _)| *n).unwrap_or("unknown")
}

fn fmt_num(v: i128, fmt: NumFmt) -> String {
    match fmt {
        NumFmt::MemoryPercent if v < 0 => format!("{}%", -v),
        NumFmt::Octal => format!("{v:o}"),
        _ => v.to_string(),
    }
}

/// Redis's `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
pub fn memtoull(v: &str) -> Option<u64> {
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(digits_end);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if num.is_empty() {
        return None;
    }
    num.parse::<u64>().ok()?.checked_mul(mul)
}

/// Parses a number with an optional memory unit (`1k`, `5mb`, `1gb`), as redis.conf allows.
pub fn parse_memory(v: &str) -> Option<i64> {
    if let Some(n) = memtoull(v) {
        return i64::try_from(n).ok();
    }
    crate::util::parse_i64(v.as_bytes())
}

/// Parses and bound-checks a numeric parameter value, with Redis's error texts.
fn parse_num(p: &Param, v: &str) -> Result<i128, String> {
    let Kind::Num { min, max, fmt, unsigned, .. } = p.kind else { unreachable!() };
    let mut val: Option<i128> = None;
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        val = memtoull(v).map(|x| x as i128);
    }
    if val.is_none() && fmt == NumFmt::MemoryPercent && v.len() > 1 && v.ends_with('%') {
        if let Some(x) = crate::util::parse_i64(v[..v.len() - 1].as_bytes()) {
            if x >= 0 {
                val = Some(-(x as i128));
            }
        }
    }
    if val.is_none() && fmt == NumFmt::Octal {
        val = i64::from_str_radix(v, 8).ok().filter(|_| !v.is_empty() && !v.starts_with('+')).map(|x| x as i128);
    }
    if val.is_none() && fmt == NumFmt::Int {
        val = crate::util::parse_i64(v.as_bytes()).map(|x| x as i128);
    }
    let Some(mut ll) = val else {
        return Err(match fmt {
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Int => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if unsigned {
        // Redis compares the value as an unsigned long long.
        if ll < 0 {
            ll += 1i128 << 64;
        }
        if ll > max || ll < min {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            });
        }
    } else if fmt == NumFmt::MemoryPercent && ll < 0 {
        if ll < min {
            return Err(format!("percentage argument must be less or equal to {}", -min));
        }
    } else if ll > max || ll < min {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(ll)
}

/// Directives Redis 7.2 still accepts in files and ignores.
const DEPRECATED: &[&str] = &["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];

/// Names already logged as having no effect (logged once per name).
static WARNED: LazyLock<Mutex<std::collections::HashSet<String>>> = LazyLock::new(Default::default);

fn note_ineffective(name: &str) -> bool {
    WARNED.lock().map(|mut w| w.insert(name.to_string())).unwrap_or(false)
}

/// Changes the log filter of the running process (installed by `main`): `loglevel` is live.
pub static LOGLEVEL_HOOK: std::sync::OnceLock<Box<dyn Fn(&str) + Send + Sync>> = std::sync::OnceLock::new();

/// The tracing filter directive for a Redis `loglevel`.
pub fn tracing_level(loglevel: &str) -> &'static str {
    match loglevel {
        "debug" => "debug",
        "verbose" | "notice" => "info",
        "warning" => "warn",
        "nothing" => "off",
        _ => "info",
    }
}

/// Applies `loglevel` to the running process's log filter, when one is installed.
pub fn apply_loglevel(loglevel: &str) {
    if let Some(hook) = LOGLEVEL_HOOK.get() {
        hook(tracing_level(loglevel));
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub dir: PathBuf,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub maxclients: usize,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub loglevel: String,
    pub logfile: String,
    pub proto_max_bulk_len: usize,
    pub client_query_buffer_limit: usize,
    /// `enable-debug-command`: "no", "yes" or "local".
    pub enable_debug_command: String,
    /// `enable-protected-configs`: "no", "yes" or "local".
    pub enable_protected_configs: String,
    pub protected_mode: bool,
    pub hz: u32,
    pub notify_keyspace_events: String,
    pub thresholds: Thresholds,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: i64,
    pub hll_sparse_max_bytes: u64,
    pub active_expire_effort: u32,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: u32,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    pub busy_reply_threshold: u64,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    // Persistence (issues 5 and 6).
    pub dbfilename: String,
    pub save: Vec<(u64, u64)>,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub rdb_version: u32,
    pub stop_writes_on_bgsave_error: bool,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: String,
    pub no_appendfsync_on_rewrite: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_rewrite_incremental_fsync: bool,
    // Spilling large values to disk (later issues).
    pub spill_enabled: bool,
    pub spill_dir: PathBuf,
    pub spill_max_disk: u64,
    pub spill_min_value_size: u64,
    /// `rename-command` directives from files (old name, new name; empty = removed).
    pub renamed_commands: Vec<(String, String)>,
    /// `user` directives from files (the arguments after `user`).
    pub users: Vec<Vec<String>>,
    /// Directives set from files or the command line that have no effect here.
    pub ineffective: Vec<String>,
    /// Path of the file the configuration was read from (CONFIG REWRITE target).
    pub config_file: Option<PathBuf>,
    /// Values (as CONFIG GET shows them) of the parameters without a typed field, by name.
    pub other: BTreeMap<String, String>,
    /// While reading files: whether a `save` line was seen (the first one replaces the defaults).
    pub(crate) save_loaded: bool,
    pub(crate) reading_file: bool,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            bind: Vec::new(),
            port: 6379,
            dir: PathBuf::from("."),
            requirepass: None,
            databases: 16,
            maxclients: 10000,
            timeout: 0,
            loglevel: "notice".into(),
            logfile: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            enable_debug_command: "no".into(),
            enable_protected_configs: "no".into(),
            protected_mode: true,
            hz: 10,
            notify_keyspace_events: String::new(),
            thresholds: Thresholds::default(),
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            hll_sparse_max_bytes: 3000,
            active_expire_effort: 1,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            busy_reply_threshold: 5000,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            dbfilename: "dump.rdb".into(),
            save: Vec::new(),
            rdbcompression: true,
            rdbchecksum: true,
            rdb_version: 11,
            stop_writes_on_bgsave_error: true,
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: "everysec".into(),
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_rewrite_incremental_fsync: true,
            spill_enabled: false,
            spill_dir: PathBuf::from("spill"),
            spill_max_disk: 0,
            spill_min_value_size: 64 * 1024,
            renamed_commands: Vec::new(),
            users: Vec::new(),
            ineffective: Vec::new(),
            config_file: None,
            other: BTreeMap::new(),
            save_loaded: false,
            reading_file: false,
        };
        // Every parameter starts at Redis's default.
        for p in PARAMS {
            if p.name == "dir" {
                continue;
            }
            let v = p.default_string();
            if !c.set_typed(p.name, &v) {
                c.other.insert(p.name.to_string(), v);
            }
        }
        c
    }
}

/// A configuration error at startup, naming where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Reading the configuration file {file}, at line {line}\n>>> '{text}'\n{reason}")]
    Directive { file: String, line: usize, text: String, reason: String },
    #[error("Fatal error, can't open config file '{file}': {source}")]
    Io { file: String, source: std::io::Error },
}

impl Config {
    /// Builds the configuration from the embedded defaults, an optional file, and
    /// `--name value` overrides (redis-server's command line syntax).
    pub fn load(file: Option<&Path>, overrides: &[(String, Vec<String>)]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        cfg.apply_text(DEFAULT_CONFIG, "<embedded default config>")?;
        cfg.ineffective.clear();
        cfg.save_loaded = false;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Io { file: path.display().to_string(), source: e })?;
            cfg.apply_file_text(&text, path, 0)?;
            let abs = if path.is_absolute() {
                path.to_path_buf()
            } else {
                std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
            };
            cfg.config_file = Some(abs);
        }
        cfg.reading_file = true;
        for (i, (name, args)) in overrides.iter().enumerate() {
            let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            let text = format!("{name} {}", args.join(" "));
            cfg.apply_line(name, &args, Path::new("."), 0).map_err(|reason| ConfigError::Directive {
                file: "<command line>".into(),
                line: i + 1,
                text,
                reason,
            })?;
        }
        cfg.reading_file = false;
        cfg.log_ineffective_to_stderr();
        crate::latency::sync_config(&cfg);
        Ok(cfg)
    }

    /// Applies redis.conf-syntax text.
    pub fn apply_text(&mut self, text: &str, file: &str) -> Result<(), ConfigError> {
        self.apply_file_text(text, Path::new(file), 0)
    }

    fn apply_file_text(&mut self, text: &str, file: &Path, depth: usize) -> Result<(), ConfigError> {
        let was_reading = self.reading_file;
        self.reading_file = true;
        let res = self.apply_file_text_inner(text, file, depth);
        self.reading_file = was_reading;
        res
    }

    fn apply_file_text_inner(&mut self, text: &str, file: &Path, depth: usize) -> Result<(), ConfigError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| ConfigError::Directive {
                file: file.display().to_string(),
                line: i + 1,
                text: line.into(),
                reason,
            };
            let Some(args) = crate::resp::split_args(line.as_bytes()) else {
                return Err(err("Unbalanced quotes in configuration line".into()));
            };
            let args: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let Some((name, rest)) = args.split_first() else { continue };
            let rest: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
            let name = name.to_ascii_lowercase();
            if name == "include" && rest.len() == 1 {
                if depth > 16 {
                    return Err(err("Too many nested include directives".into()));
                }
                let base = file.parent().unwrap_or(Path::new("."));
                self.include(rest[0], base, depth + 1).map_err(|e| match e {
                    ConfigError::Io { file, source } => err(format!("Fatal error, can't open config file '{file}': {source}")),
                    other => other,
                })?;
                continue;
            }
            self.apply_line(&name, &rest, file, depth).map_err(err)?;
        }
        Ok(())
    }

    /// `include path` (a `*`, `?` or `[` in the file name includes every matching file, in
    /// name order; no match is not an error).
    fn include(&mut self, pattern: &str, _base: &Path, depth: usize) -> Result<(), ConfigError> {
        let path = PathBuf::from(pattern);
        let files: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            let pat = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| crate::util::glob_match(pat.as_bytes(), e.file_name().to_string_lossy().as_bytes(), false))
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        } else {
            vec![path]
        };
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| ConfigError::Io { file: f.display().to_string(), source: e })?;
            self.apply_file_text(&text, &f, depth)?;
        }
        Ok(())
    }

    /// One directive from a file or the command line (not `include`).
    fn apply_line(&mut self, name: &str, args: &[&str], _file: &Path, _depth: usize) -> Result<(), String> {
        if lookup(name).is_some() {
            return self.set_directive(name, args, true);
        }
        if DEPRECATED.contains(&name) && args.len() == 1 {
            return Ok(());
        }
        match name {
            "rename-command" if args.len() == 2 => {
                // Redis refuses unknown commands here; VaultKey accepts them so a redis.conf
                // renaming a command it does not implement still loads.
                self.renamed_commands.push((args[0].to_ascii_lowercase(), args[1].to_string()));
                self.mark_ineffective("rename-command");
                Ok(())
            }
            "user" if !args.is_empty() => {
                self.users.push(args.iter().map(|s| s.to_string()).collect());
                Ok(())
            }
            "loadmodule" if !args.is_empty() => {
                self.mark_ineffective("loadmodule");
                Ok(())
            }
            "sentinel" => {
                if args.is_empty() {
                    Ok(())
                } else {
                    Err("sentinel directive while not in sentinel mode".into())
                }
            }
            _ if name.contains('.') => {
                if args.len() != 1 {
                    Err("Module config specified without value".into())
                } else {
                    Err("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting".into())
                }
            }
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    fn mark_ineffective(&mut self, name: &str) {
        if !self.ineffective.iter().any(|n| n == name) {
            self.ineffective.push(name.to_string());
        }
    }

    /// Logs (once per name) the directives that were set but have no effect here.
    pub fn log_ineffective(&self) {
        for name in &self.ineffective {
            if note_ineffective(name) {
                tracing::warn!("configuration directive '{name}' is accepted for Redis compatibility but has no effect in VaultKey");
            }
        }
    }

    fn log_ineffective_to_stderr(&self) {
        for name in &self.ineffective {
            if note_ineffective(name) {
                eprintln!("# configuration directive '{name}' is accepted for Redis compatibility but has no effect in VaultKey");
            }
        }
    }

    /// Sets one directive from a file or command line (`startup`) or CONFIG SET.
    /// The error string is the reason, as Redis words it.
    pub fn set_directive(&mut self, name: &str, args: &[&str], startup: bool) -> Result<(), String> {
        let Some((p, _)) = lookup(name) else {
            return Err("Bad directive or wrong number of arguments".into());
        };
        if !p.has(MULTI_ARG) && args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        // A multi-argument directive given as one argument (`--save "3600 1"`) is split, as
        // Redis does for its MULTI_ARG configs (an empty argument stays: `save ""`).
        let split: Vec<&str>;
        let args = if p.has(MULTI_ARG) && args.len() == 1 && args[0].contains(' ') {
            split = args[0].split_whitespace().collect();
            &split[..]
        } else {
            args
        };
        if !startup && p.has(IMMUTABLE) {
            return Err("can't set immutable config".into());
        }
        let canonical = self.canonicalize(p, args)?;
        self.store(p, &canonical);
        if !p.has(EFFECT) && (startup || self.reading_file) {
            self.mark_ineffective(p.name);
        } else if !p.has(EFFECT) && note_ineffective(p.name) {
            tracing::warn!("configuration parameter '{}' is accepted for Redis compatibility but has no effect in VaultKey", p.name);
        }
        Ok(())
    }

    /// Validates `args` for `p` and returns the value as CONFIG GET will show it.
    fn canonicalize(&self, p: &Param, args: &[&str]) -> Result<String, String> {
        match p.kind {
            Kind::Bool(_) => {
                let v = args[0];
                let b = if v.eq_ignore_ascii_case("yes") {
                    true
                } else if v.eq_ignore_ascii_case("no") {
                    false
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                };
                if p.name == "activedefrag" && b {
                    return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into());
                }
                Ok(yn(b).into())
            }
            Kind::Enum(vals, _) => {
                let v = args[0];
                match vals.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)) {
                    Some((_, x)) => Ok(enum_name(vals, *x).into()),
                    None => {
                        let names: Vec<&str> = vals.iter().map(|(n, _)| *n).collect();
                        Err(format!("argument(s) must be one of the following: {}", names.join(", ")))
                    }
                }
            }
            Kind::Num { fmt, .. } => {
                let mut v = parse_num(p, args[0])?;
                if p.name == "hz" {
                    v = v.clamp(1, 500);
                }
                Ok(fmt_num(v, fmt))
            }
            Kind::Str(_) => {
                let v = args[0];
                match p.name {
                    "dbfilename" if v.contains('/') => return Err("dbfilename can't be a path, just a filename".into()),
                    "appendfilename" if v.is_empty() => return Err("appendfilename can't be empty".into()),
                    "appendfilename" if v.contains('/') => return Err("appendfilename can't be a path, just a filename".into()),
                    "appenddirname" if v.is_empty() => return Err("appenddirname can't be empty".into()),
                    "appenddirname" if v.contains('/') => return Err("appenddirname can't be a path, just a dirname".into()),
                    "proc-title-template" if !valid_proc_title(v) => {
                        return Err("template format is invalid or contains unknown variables".into())
                    }
                    "cluster-announce-hostname" | "cluster-announce-human-nodename" => {
                        if v.len() >= 256 {
                            return Err("Hostnames must be less than 256 characters".into());
                        }
                        if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                            return Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into());
                        }
                    }
                    _ => {}
                }
                Ok(v.to_string())
            }
            Kind::Special(_) => self.canonicalize_special(p.name, args),
        }
    }

    fn canonicalize_special(&self, name: &str, args: &[&str]) -> Result<String, String> {
        match name {
            "dir" => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                if !self.reading_file {
                    let path = Path::new(args[0]);
                    if !path.is_dir() {
                        return Err("No such file or directory".into());
                    }
                }
                Ok(args[0].to_string())
            }
            "save" => {
                let args: &[&str] = if args.len() == 1 && args[0].is_empty() { &[] } else { args };
                if args.is_empty() {
                    // `save ""` always disables snapshots (even after earlier save lines).
                    return Ok(String::new());
                }
                if args.len() % 2 != 0 {
                    return Err("Invalid save parameters".into());
                }
                let mut vals = Vec::new();
                for (j, a) in args.iter().enumerate() {
                    let v = strtoll_full(a).ok_or("Invalid save parameters")?;
                    if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                        return Err("Invalid save parameters".into());
                    }
                    vals.push(v);
                }
                let mut pairs: Vec<(u64, u64)> = Vec::new();
                if self.reading_file && self.save_loaded {
                    pairs = self.save.clone();
                }
                for c in vals.chunks(2) {
                    pairs.push((c[0] as u64, c[1] as u64));
                }
                Ok(fmt_save(&pairs))
            }
            "client-output-buffer-limit" => {
                if args.len() % 4 != 0 {
                    return Err("Wrong number of arguments in buffer limit configuration.".into());
                }
                let cur = self.other.get("client-output-buffer-limit").cloned().unwrap_or_default();
                let mut classes: Vec<(String, u64, u64, i64)> = Vec::new();
                let parts: Vec<&str> = cur.split(' ').collect();
                for c in parts.chunks(4) {
                    if c.len() == 4 {
                        classes.push((c[0].into(), c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0), c[3].parse().unwrap_or(0)));
                    }
                }
                let mut updates = Vec::new();
                for c in args.chunks(4) {
                    let class = match c[0].to_ascii_lowercase().as_str() {
                        "normal" => "normal",
                        "slave" | "replica" => "slave",
                        "pubsub" => "pubsub",
                        _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
                    };
                    let hard = memtoull(c[1]);
                    let soft = memtoull(c[2]);
                    let secs = strtoll_full(c[3]);
                    match (hard, soft, secs) {
                        (Some(h), Some(s), Some(t)) if t >= 0 => updates.push((class, h, s, t)),
                        _ => {
                            return Err(
                                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()
                            )
                        }
                    }
                }
                for (class, h, s, t) in updates {
                    if let Some(e) = classes.iter_mut().find(|e| e.0 == class) {
                        *e = (class.into(), h, s, t);
                    }
                }
                Ok(classes.iter().map(|(c, h, s, t)| format!("{c} {h} {s} {t}")).collect::<Vec<_>>().join(" "))
            }
            "oom-score-adj-values" => {
                if args.len() != 3 {
                    return Err("wrong number of arguments".into());
                }
                let mut out = Vec::new();
                for a in args {
                    match strtoll_full(a) {
                        Some(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
                        _ => return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into()),
                    }
                }
                Ok(out.join(" "))
            }
            "notify-keyspace-events" => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                if !args[0].chars().all(|c| "Ag$lshzxeKEtmdn".contains(c)) {
                    return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into());
                }
                Ok(crate::pubsub::keyspace_event_string(crate::pubsub::keyspace_event_flags(args[0])))
            }
            "bind" => {
                if args.len() > 16 {
                    return Err("Too many bind addresses specified.".into());
                }
                let args: &[&str] = if args.len() == 1 && args[0].is_empty() { &[] } else { args };
                Ok(args.join(" "))
            }
            "replicaof" => {
                if args.len() != 2 {
                    return Err("wrong number of arguments".into());
                }
                if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                    return Ok(String::new());
                }
                match strtoll_full(args[1]) {
                    Some(p) if (0..=65535).contains(&p) => Ok(format!("{} {p}", args[0])),
                    _ => Err("Invalid master port".into()),
                }
            }
            "latency-tracking-info-percentiles" => {
                let args: &[&str] = if args.len() == 1 && args[0].is_empty() { &[] } else { args };
                let mut out = Vec::new();
                for a in args {
                    let Some(v) = crate::util::parse_f64(a.as_bytes()) else {
                        return Err("Invalid latency-tracking-info-percentiles parameters".into());
                    };
                    if !(0.0..=100.0).contains(&v) {
                        return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                    }
                    let mut s = format!("{v:.6}");
                    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
                        s.pop();
                    }
                    out.push(s);
                }
                Ok(out.join(" "))
            }
            "shutdown-on-sigint" | "shutdown-on-sigterm" => {
                const NAMES: [(&str, u8); 5] = [("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];
                let mut flags = 0u8;
                if args.is_empty() {
                    return Err("argument(s) must be one of the following: default, save, nosave, now, force".into());
                }
                for a in args {
                    match NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(a)) {
                        Some((_, f)) => flags |= f,
                        None => {
                            return Err("argument(s) must be one of the following: default, save, nosave, now, force".into())
                        }
                    }
                }
                if flags & 3 == 3 {
                    return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
                }
                if flags == 0 {
                    return Ok("default".into());
                }
                Ok(NAMES[1..].iter().filter(|(_, f)| flags & f != 0).map(|(n, _)| *n).collect::<Vec<_>>().join(" "))
            }
            _ => Ok(args.join(" ")),
        }
    }

    /// Stores a validated value.
    fn store(&mut self, p: &Param, canonical: &str) {
        if p.name == "save" && self.reading_file {
            self.save_loaded = true;
        }
        if !self.set_typed(p.name, canonical) {
            self.other.insert(p.name.to_string(), canonical.to_string());
        }
    }

    /// Sets the typed field of parameter `name` from its canonical value; false if the
    /// parameter has no typed field.
    fn set_typed(&mut self, name: &str, v: &str) -> bool {
        let i = || v.parse::<i64>().unwrap_or(0);
        let us = || v.parse::<u64>().unwrap_or(0);
        let yes = v == "yes";
        let t = &mut self.thresholds;
        match name {
            "bind" => self.bind = if v.is_empty() { Vec::new() } else { v.split(' ').map(String::from).collect() },
            "port" => self.port = i() as u16,
            "dir" => self.dir = PathBuf::from(v),
            "requirepass" => self.requirepass = if v.is_empty() { None } else { Some(v.as_bytes().to_vec()) },
            "databases" => self.databases = i().max(1) as usize,
            "maxclients" => self.maxclients = us() as usize,
            "timeout" => self.timeout = us(),
            "loglevel" => self.loglevel = v.into(),
            "logfile" => self.logfile = v.into(),
            "proto-max-bulk-len" => self.proto_max_bulk_len = us() as usize,
            "client-query-buffer-limit" => self.client_query_buffer_limit = us() as usize,
            "enable-debug-command" => self.enable_debug_command = v.into(),
            "enable-protected-configs" => self.enable_protected_configs = v.into(),
            "protected-mode" => self.protected_mode = yes,
            "hz" => self.hz = i().clamp(1, 500) as u32,
            "notify-keyspace-events" => self.notify_keyspace_events = v.into(),
            "hash-max-listpack-entries" => t.hash_max_listpack_entries = us() as usize,
            "hash-max-listpack-value" => t.hash_max_listpack_value = us() as usize,
            "set-max-intset-entries" => t.set_max_intset_entries = us() as usize,
            "set-max-listpack-entries" => t.set_max_listpack_entries = us() as usize,
            "set-max-listpack-value" => t.set_max_listpack_value = us() as usize,
            "zset-max-listpack-entries" => t.zset_max_listpack_entries = us() as usize,
            "zset-max-listpack-value" => t.zset_max_listpack_value = us() as usize,
            "list-max-listpack-size" => t.list_max_listpack_size = i(),
            "list-compress-depth" => t.list_compress_depth = i(),
            "stream-node-max-bytes" => self.stream_node_max_bytes = us(),
            "stream-node-max-entries" => self.stream_node_max_entries = i(),
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes = us(),
            "active-expire-effort" => self.active_expire_effort = i() as u32,
            "maxmemory" => self.maxmemory = us(),
            "maxmemory-policy" => self.maxmemory_policy = v.into(),
            "maxmemory-samples" => self.maxmemory_samples = i() as u32,
            "lfu-log-factor" => self.lfu_log_factor = i(),
            "lfu-decay-time" => self.lfu_decay_time = i(),
            "busy-reply-threshold" => self.busy_reply_threshold = us(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than = i(),
            "slowlog-max-len" => self.slowlog_max_len = us(),
            "latency-monitor-threshold" => self.latency_monitor_threshold = us(),
            "dbfilename" => self.dbfilename = v.into(),
            "save" => {
                let nums: Vec<u64> = v.split(' ').filter_map(|x| x.parse().ok()).collect();
                self.save = nums.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0], c[1])).collect();
            }
            "rdbcompression" => self.rdbcompression = yes,
            "rdbchecksum" => self.rdbchecksum = yes,
            "rdb-version" => self.rdb_version = i() as u32,
            "stop-writes-on-bgsave-error" => self.stop_writes_on_bgsave_error = yes,
            "appendonly" => self.appendonly = yes,
            "appendfilename" => self.appendfilename = v.into(),
            "appenddirname" => self.appenddirname = v.into(),
            "appendfsync" => self.appendfsync = v.into(),
            "no-appendfsync-on-rewrite" => self.no_appendfsync_on_rewrite = yes,
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage = us(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size = us(),
            "aof-load-truncated" => self.aof_load_truncated = yes,
            "aof-use-rdb-preamble" => self.aof_use_rdb_preamble = yes,
            "aof-timestamp-enabled" => self.aof_timestamp_enabled = yes,
            "aof-rewrite-incremental-fsync" => self.aof_rewrite_incremental_fsync = yes,
            "spill-enabled" => self.spill_enabled = yes,
            "spill-dir" => self.spill_dir = PathBuf::from(v),
            "spill-max-disk" => self.spill_max_disk = us(),
            "spill-min-value-size" => self.spill_min_value_size = us(),
            _ => return false,
        }
        true
    }

    /// The value of a typed parameter as CONFIG GET shows it.
    fn get_typed(&self, name: &str) -> Option<String> {
        let t = &self.thresholds;
        Some(match name {
            "bind" => self.bind.join(" "),
            "port" => self.port.to_string(),
            "dir" => self.dir_absolute().display().to_string(),
            "requirepass" => self.requirepass.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
            "databases" => self.databases.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "timeout" => self.timeout.to_string(),
            "loglevel" => self.loglevel.clone(),
            "logfile" => self.logfile.clone(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "enable-debug-command" => self.enable_debug_command.clone(),
            "enable-protected-configs" => self.enable_protected_configs.clone(),
            "protected-mode" => yn(self.protected_mode).into(),
            "hz" => self.hz.to_string(),
            "notify-keyspace-events" => {
                crate::pubsub::keyspace_event_string(crate::pubsub::keyspace_event_flags(&self.notify_keyspace_events))
            }
            "hash-max-listpack-entries" => t.hash_max_listpack_entries.to_string(),
            "hash-max-listpack-value" => t.hash_max_listpack_value.to_string(),
            "set-max-intset-entries" => t.set_max_intset_entries.to_string(),
            "set-max-listpack-entries" => t.set_max_listpack_entries.to_string(),
            "set-max-listpack-value" => t.set_max_listpack_value.to_string(),
            "zset-max-listpack-entries" => t.zset_max_listpack_entries.to_string(),
            "zset-max-listpack-value" => t.zset_max_listpack_value.to_string(),
            "list-max-listpack-size" => t.list_max_listpack_size.to_string(),
            "list-compress-depth" => t.list_compress_depth.to_string(),
            "stream-node-max-bytes" => self.stream_node_max_bytes.to_string(),
            "stream-node-max-entries" => self.stream_node_max_entries.to_string(),
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes.to_string(),
            "active-expire-effort" => self.active_expire_effort.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.clone(),
            "maxmemory-samples" => self.maxmemory_samples.to_string(),
            "lfu-log-factor" => self.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.lfu_decay_time.to_string(),
            "busy-reply-threshold" => self.busy_reply_threshold.to_string(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "latency-monitor-threshold" => self.latency_monitor_threshold.to_string(),
            "dbfilename" => self.dbfilename.clone(),
            "save" => fmt_save(&self.save),
            "rdbcompression" => yn(self.rdbcompression).into(),
            "rdbchecksum" => yn(self.rdbchecksum).into(),
            "rdb-version" => self.rdb_version.to_string(),
            "stop-writes-on-bgsave-error" => yn(self.stop_writes_on_bgsave_error).into(),
            "appendonly" => yn(self.appendonly).into(),
            "appendfilename" => self.appendfilename.clone(),
            "appenddirname" => self.appenddirname.clone(),
            "appendfsync" => self.appendfsync.clone(),
            "no-appendfsync-on-rewrite" => yn(self.no_appendfsync_on_rewrite).into(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "aof-load-truncated" => yn(self.aof_load_truncated).into(),
            "aof-use-rdb-preamble" => yn(self.aof_use_rdb_preamble).into(),
            "aof-timestamp-enabled" => yn(self.aof_timestamp_enabled).into(),
            "aof-rewrite-incremental-fsync" => yn(self.aof_rewrite_incremental_fsync).into(),
            "spill-enabled" => yn(self.spill_enabled).into(),
            "spill-dir" => self.spill_dir.display().to_string(),
            "spill-max-disk" => self.spill_max_disk.to_string(),
            "spill-min-value-size" => self.spill_min_value_size.to_string(),
            _ => return None,
        })
    }

    /// The data directory as an absolute path (what CONFIG GET dir shows).
    pub fn dir_absolute(&self) -> PathBuf {
        if let Ok(p) = std::fs::canonicalize(&self.dir) {
            return p;
        }
        if self.dir.is_absolute() {
            return self.dir.clone();
        }
        std::env::current_dir().map(|c| c.join(&self.dir)).unwrap_or_else(|_| self.dir.clone())
    }

    /// The value of any parameter (by name or alias) as CONFIG GET shows it.
    pub fn get(&self, name: &str) -> Option<String> {
        let (p, _) = lookup(name)?;
        Some(self.value_of(p))
    }

    fn value_of(&self, p: &Param) -> String {
        self.get_typed(p.name)
            .or_else(|| self.other.get(p.name).cloned())
            .unwrap_or_else(|| p.default_string())
    }

    /// Encoding thresholds, read by the commands that create or grow collections.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// CONFIG GET: (name, value) pairs for the given patterns, each parameter once. A pattern
    /// without glob characters matches its exact name (or alias, any case, hidden ones too) and
    /// is answered under the spelling asked; patterns match every visible name and alias.
    pub fn config_get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen: std::collections::HashSet<String> = Default::default();
        for pat in patterns {
            let is_glob = pat.iter().any(|c| matches!(c, b'*' | b'?' | b'['));
            if !is_glob {
                let name = String::from_utf8_lossy(pat).into_owned();
                let lname = name.to_ascii_lowercase();
                if seen.contains(&lname) {
                    continue;
                }
                if let Some((p, _)) = lookup(&name) {
                    seen.insert(lname);
                    out.push((name, self.value_of(p)));
                }
                continue;
            }
            for p in PARAMS {
                if p.has(HIDDEN) {
                    continue;
                }
                for nm in std::iter::once(p.name).chain(p.alias) {
                    if seen.contains(nm) {
                        continue;
                    }
                    if crate::util::glob_match(pat, nm.as_bytes(), true) {
                        seen.insert(nm.to_string());
                        out.push((nm.to_string(), self.value_of(p)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with one or more (name, value) pairs: all or nothing, with Redis's error
    /// texts (the whole `ERR ...` line). `allow_protected` says whether the calling client may
    /// change protected parameters (`enable-protected-configs`). Returns the primary names of
    /// the parameters set.
    pub fn config_set(&mut self, pairs: &[(&[u8], &[u8])], allow_protected: bool, loading: bool) -> Result<Vec<&'static str>, String> {
        let mut invalid_arg_name: Option<String> = None;
        let mut errstr: Option<String> = None;
        let mut err_arg_name = String::new();
        let mut invalid = false;
        let mut deny_loading = false;
        let mut chosen: Vec<(&'static Param, bool, String)> = Vec::new();
        for (name, value) in pairs {
            let name_s = String::from_utf8_lossy(name).into_owned();
            let Some((p, alias)) = lookup(&name_s) else {
                if !invalid {
                    invalid_arg_name = Some(name_s);
                    invalid = true;
                }
                continue;
            };
            if invalid {
                continue;
            }
            if p.has(IMMUTABLE) || (p.has(PROTECTED) && !allow_protected) {
                errstr = Some(if p.has(IMMUTABLE) { "can't set immutable config" } else { "can't set protected config" }.into());
                err_arg_name = name_s;
                invalid = true;
                continue;
            }
            if loading && p.has(DENY_LOADING) {
                deny_loading = true;
                invalid = true;
                continue;
            }
            if chosen.iter().any(|(q, a, _)| std::ptr::eq(*q, p) && *a == alias) {
                errstr = Some("duplicate parameter".into());
                err_arg_name = name_s;
                invalid = true;
                continue;
            }
            chosen.push((p, alias, String::from_utf8_lossy(value).into_owned()));
        }
        if invalid {
            if deny_loading {
                return Err("LOADING Redis is loading the dataset in memory".into());
            }
            if let Some(n) = invalid_arg_name {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{n}'"));
            }
            return Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{err_arg_name}') - {}",
                errstr.unwrap_or_default()
            ));
        }
        let mut next = self.clone();
        next.reading_file = false;
        let mut names = Vec::new();
        for (p, alias, value) in &chosen {
            let args: Vec<&str> = if p.has(MULTI_ARG) {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(' ').collect()
                }
            } else {
                vec![value.as_str()]
            };
            let shown = if *alias { p.alias.unwrap_or(p.name) } else { p.name };
            let res = if p.has(MULTI_ARG) || !args.is_empty() {
                next.canonicalize(p, &args)
            } else {
                Err("wrong number of arguments".into())
            };
            match res {
                Ok(c) => next.store(p, &c),
                Err(reason) => {
                    return Err(format!("ERR CONFIG SET failed (possibly related to argument '{shown}') - {reason}"));
                }
            }
            if !p.has(EFFECT) && note_ineffective(p.name) {
                tracing::warn!("configuration parameter '{}' is accepted for Redis compatibility but has no effect in VaultKey", p.name);
            }
            names.push(p.name);
        }
        *self = next;
        crate::latency::sync_config(self);
        Ok(names)
    }

    /// Every (name, value) pair CONFIG GET * shows (visible parameters and their aliases).
    pub fn all(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for p in PARAMS {
            if p.has(HIDDEN) {
                continue;
            }
            let val = self.value_of(p);
            if let Some(a) = p.alias {
                v.push((a.to_string(), val.clone()));
            }
            v.push((p.name.to_string(), val));
        }
        v
    }

    /// CONFIG REWRITE: rewrites the file the server was started with, as Redis does: lines of
    /// parameters are replaced in place, values differing from the defaults are appended
    /// after a `# Generated by CONFIG REWRITE` line, comments, `include`, `rename-command`,
    /// `user` and unknown lines are kept.
    pub fn rewrite(&self) -> Result<(), String> {
        let Some(path) = self.config_file.clone() else {
            return Err("ERR The server is running without a config file".into());
        };
        let content = self.rewrite_content(&path).map_err(|e| format!("ERR Rewriting config file: {e}"))?;
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(content.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("ERR Rewriting config file: {e}")
        })
    }

    /// The new content of the config file at `path` (see [`Config::rewrite`]).
    pub fn rewrite_content(&self, path: &Path) -> std::io::Result<String> {
        const SIGNATURE: &str = "# Generated by CONFIG REWRITE";
        let old = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let mut lines: Vec<String> = Vec::new();
        let mut option_lines: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut needs_signature = true;
        if !old.is_empty() {
            for raw in old.split('\n') {
                let line = raw.trim_matches(['\r', '\n', '\t', ' ']).to_string();
                if line.is_empty() || line.starts_with('#') {
                    if line == SIGNATURE {
                        needs_signature = false;
                    }
                    lines.push(line);
                    continue;
                }
                let args = crate::resp::split_args(line.as_bytes());
                let Some(first) = args.as_ref().and_then(|a| a.first()) else {
                    lines.push(format!("# ??? {line}"));
                    continue;
                };
                let mut name = String::from_utf8_lossy(first).to_ascii_lowercase();
                match lookup(&name) {
                    Some((p, _)) => name = p.name.to_string(),
                    None => {
                        // include, rename-command, user, loadmodule... are kept as they are.
                        lines.push(line);
                        continue;
                    }
                }
                option_lines.entry(name).or_default().push(lines.len());
                lines.push(line);
            }
            // A file ends with a newline: drop the empty last piece.
            if old.ends_with('\n') && lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
        }
        let baseline = {
            let mut b = Config::default();
            let _ = b.apply_text(DEFAULT_CONFIG, "<embedded default config>");
            b
        };
        let mut rewrite_line = |lines: &mut Vec<String>, name: &str, line: String, force: bool| {
            if line.is_empty() {
                // Unset: every line of this option is blanked.
                if let Some(l) = option_lines.get_mut(name) {
                    for idx in l.drain(..) {
                        lines[idx] = String::new();
                    }
                }
                return;
            }
            if let Some(l) = option_lines.get_mut(name) {
                if !l.is_empty() {
                    let idx = l.remove(0);
                    lines[idx] = line;
                    return;
                }
            }
            if !force {
                return;
            }
            if needs_signature {
                lines.push(SIGNATURE.into());
                needs_signature = false;
            }
            lines.push(line);
        };
        for p in PARAMS {
            let value = self.value_of(p);
            let default = baseline.value_of(p);
            let force = value != default;
            match (p.name, p.kind) {
                ("save", _) => {
                    if self.save.is_empty() {
                        rewrite_line(&mut lines, "save", "save \"\"".into(), true);
                    } else {
                        for (s, c) in &self.save {
                            rewrite_line(&mut lines, "save", format!("save {s} {c}"), true);
                        }
                    }
                }
                ("dir", _) => rewrite_line(&mut lines, "dir", format!("dir {}", repr(&value)), force),
                ("bind", _) => {
                    let v = if value.is_empty() { "\"\"".to_string() } else { value.clone() };
                    rewrite_line(&mut lines, "bind", format!("bind {v}"), force);
                }
                ("replicaof", _) => {
                    let line = if value.is_empty() { String::new() } else { format!("replicaof {value}") };
                    rewrite_line(&mut lines, "replicaof", line, true);
                }
                ("client-output-buffer-limit", _) => {
                    let cur: Vec<&str> = value.split(' ').collect();
                    let def: Vec<&str> = default.split(' ').collect();
                    for (i, c) in cur.chunks(4).enumerate() {
                        if c.len() < 4 {
                            continue;
                        }
                        let class = if c[0] == "slave" { "replica" } else { c[0] };
                        let h = fmt_memory_units(c[1].parse().unwrap_or(0));
                        let s = fmt_memory_units(c[2].parse().unwrap_or(0));
                        let f = def.chunks(4).nth(i).map(|d| d != c).unwrap_or(true);
                        rewrite_line(&mut lines, p.name, format!("{} {class} {h} {s} {}", p.name, c[3]), f);
                    }
                }
                ("notify-keyspace-events", _) => {
                    rewrite_line(&mut lines, p.name, format!("{} {}", p.name, repr(&value)), !value.is_empty())
                }
                ("latency-tracking-info-percentiles", _) => {
                    let v = if value.is_empty() { "\"\"".to_string() } else { value.clone() };
                    rewrite_line(&mut lines, p.name, format!("{} {v}", p.name), true)
                }
                (_, Kind::Special(_)) => rewrite_line(&mut lines, p.name, format!("{} {value}", p.name), force),
                (_, Kind::Str(d)) => {
                    if d.is_none() && value.is_empty() {
                        // Unset strings must not appear in the file at all.
                        rewrite_line(&mut lines, p.name, String::new(), false);
                    } else {
                        rewrite_line(&mut lines, p.name, format!("{} {}", p.name, repr(&value)), force)
                    }
                }
                (_, Kind::Num { fmt, .. }) => {
                    let shown = match fmt {
                        NumFmt::Memory => fmt_memory_units(value.parse().unwrap_or(0)),
                        NumFmt::MemoryPercent if !value.ends_with('%') => fmt_memory_units(value.parse().unwrap_or(0)),
                        _ => value.clone(),
                    };
                    rewrite_line(&mut lines, p.name, format!("{} {shown}", p.name), force)
                }
                _ => rewrite_line(&mut lines, p.name, format!("{} {value}", p.name), force),
            }
        }
        // Lines of rewritten options that were not reused are blanked.
        for (_, idxs) in option_lines {
            for idx in idxs {
                lines[idx] = String::new();
            }
        }
        let mut out = String::new();
        let mut was_empty = false;
        for l in lines {
            if l.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            out.push_str(&l);
            out.push('\n');
        }
        Ok(out)
    }
}

fn fmt_save(pairs: &[(u64, u64)]) -> String {
    pairs.iter().map(|(a, b)| format!("{a} {b}")).collect::<Vec<_>>().join(" ")
}

/// `strtoll` that must consume the whole string (base 10).
fn strtoll_full(s: &str) -> Option<i64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    if t.is_empty() || t.starts_with(['+']) {
        return None;
    }
    t.parse::<i64>().ok()
}

/// Bytes in the largest exact unit (`1gb`, `64mb`, `3kb`), as CONFIG REWRITE writes them.
pub fn fmt_memory_units(bytes: u64) -> String {
    const GB: u64 = 1024 * 1024 * 1024;
    const MB: u64 = 1024 * 1024;
    const KB: u64 = 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// A double-quoted, escaped string as Redis's `sdscatrepr` writes it.
pub fn repr(s: &str) -> String {
    let mut out = String::from("\"");
    for &c in s.as_bytes() {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

fn valid_proc_title(t: &str) -> bool {
    const VARS: &[&str] = &["title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file"];
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else { return false };
        if !VARS.contains(&&after[..j]) {
            return false;
        }
        rest = &after[j + 1..];
    }
    !rest.contains('}') && !t.trim().is_empty() && t.contains("{title}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_get_value_is_accepted_back() {
        let mut c = Config::default();
        for (name, value) in c.clone().all() {
            let (p, _) = lookup(&name).unwrap();
            if p.has(IMMUTABLE) || p.has(PROTECTED) {
                continue;
            }
            c.config_set(&[(name.as_bytes(), value.as_bytes())], false, false)
                .unwrap_or_else(|e| panic!("{name} = {value:?}: {e}"));
            assert_eq!(c.get(&name).unwrap(), value, "{name}");
        }
    }

    #[test]
    fn memory_units_and_bounds() {
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("2GB"), Some(2 << 30));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1.5"), None);
        let mut c = Config::default();
        assert!(c.config_set(&[(b"maxmemory", b"10mb")], false, false).is_ok());
        assert_eq!(c.maxmemory, 10 << 20);
        assert_eq!(
            c.config_set(&[(b"port", b"70000")], false, false).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            c.config_set(&[(b"maxmemory-clients", b"200%")], false, false).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"
        );
    }

    #[test]
    fn set_is_atomic_and_checks_duplicates() {
        let mut c = Config::default();
        let e = c.config_set(&[(b"maxmemory", b"5"), (b"hz", b"abc")], false, false).unwrap_err();
        assert!(e.contains("'hz'"), "{e}");
        assert_eq!(c.maxmemory, 0);
        let e = c.config_set(&[(b"maxmemory", b"5"), (b"MAXMEMORY", b"6")], false, false).unwrap_err();
        assert!(e.ends_with("duplicate parameter"), "{e}");
        let e = c.config_set(&[(b"maxmemory", b"5"), (b"nope", b"6")], false, false).unwrap_err();
        assert_eq!(e, "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
        c.config_set(&[(b"hash-max-ziplist-entries", b"7")], false, false).unwrap();
        assert_eq!(c.thresholds.hash_max_listpack_entries, 7);
        c.config_set(&[(b"appendfsync", b"ALWAYS")], false, false).unwrap();
        assert_eq!(c.get("appendfsync").unwrap(), "always");
    }

    #[test]
    fn file_errors_name_line() {
        let mut c = Config::default();
        let e = c.apply_text("port 7000\n\nfoo bar\n", "x.conf").unwrap_err().to_string();
        assert!(e.contains("x.conf") && e.contains("line 3") && e.contains("Bad directive"), "{e}");
        c.apply_text("save 10 1\nsave 20 2\n", "y.conf").unwrap();
        assert_eq!(c.save, vec![(10, 1), (20, 2)]);
        c.apply_text("save \"\"\n", "y.conf").unwrap();
        assert!(c.save.is_empty());
    }
}
