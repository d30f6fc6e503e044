//! Configuration: redis.conf syntax and directive names, CONFIG GET/SET.
//!
//! Typed fields are what the server reads on its hot paths; the directive table maps names to
//! them for files, `--name value` overrides and CONFIG GET/SET.

use std::path::{Path, PathBuf};

use crate::types::Thresholds;

/// The embedded default configuration used when `vk-server` starts without a file.
pub const DEFAULT_CONFIG: &str = include_str!("../conf/default.conf");

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
    pub protected_mode: bool,
    pub hz: u32,
    pub notify_keyspace_events: String,
    pub thresholds: Thresholds,
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
    /// Path of the file the configuration was read from (CONFIG REWRITE target).
    pub config_file: Option<PathBuf>,
    /// Every directive as set (name → value as CONFIG GET shows it) for directives that are
    /// accepted but have no effect here.
    pub other: std::collections::BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into(), "-::1".into()],
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
            protected_mode: true,
            hz: 10,
            notify_keyspace_events: String::new(),
            thresholds: Thresholds::default(),
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
            save: vec![(3600, 1), (300, 100), (60, 10000)],
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
            config_file: None,
            other: Default::default(),
        }
    }
}

/// A configuration error at startup, naming where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Bad directive or wrong number of arguments at line {line} of {file}: '{text}': {reason}")]
    Directive { file: String, line: usize, text: String, reason: String },
    #[error("cannot read config file {file}: {source}")]
    Io { file: String, source: std::io::Error },
}

impl Config {
    /// Builds the configuration from the embedded defaults, an optional file, and
    /// `--name value` overrides (redis-server's command line syntax).
    pub fn load(file: Option<&Path>, overrides: &[(String, Vec<String>)]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        cfg.apply_text(DEFAULT_CONFIG, "<embedded default config>")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Io { file: path.display().to_string(), source: e })?;
            cfg.apply_text(&text, &path.display().to_string())?;
            cfg.config_file = Some(path.to_path_buf());
        }
        for (i, (name, args)) in overrides.iter().enumerate() {
            let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            cfg.set_directive(name, &args, true).map_err(|reason| ConfigError::Directive {
                file: "<command line>".into(),
                line: i + 1,
                text: format!("{name} {}", args.join(" ")),
                reason,
            })?;
        }
        Ok(cfg)
    }

    /// Applies redis.conf-syntax text.
    pub fn apply_text(&mut self, text: &str, file: &str) -> Result<(), ConfigError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| ConfigError::Directive {
                file: file.into(),
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
            self.set_directive(&name.to_ascii_lowercase(), &rest, true).map_err(err)?;
        }
        Ok(())
    }

    /// Sets one directive from a file or command line (`startup`) or CONFIG SET.
    /// The error string is the reason, as Redis words it where it has wording.
    pub fn set_directive(&mut self, name: &str, args: &[&str], _startup: bool) -> Result<(), String> {
        let one = || -> Result<&str, String> {
            if args.len() == 1 {
                Ok(args[0])
            } else {
                Err("wrong number of arguments".into())
            }
        };
        let yesno = |v: &str| -> Result<bool, String> {
            match v.to_ascii_lowercase().as_str() {
                "yes" => Ok(true),
                "no" => Ok(false),
                _ => Err("argument must be 'yes' or 'no'".into()),
            }
        };
        let int = |v: &str| -> Result<i64, String> { parse_memory(v).ok_or_else(|| "argument couldn't be parsed into an integer".to_string()) };
        match name {
            "bind" => self.bind = args.iter().map(|s| s.to_string()).collect(),
            "port" => {
                let p = int(one()?)?;
                if !(0..=65535).contains(&p) {
                    return Err("argument must be between 0 and 65535 inclusive".into());
                }
                self.port = p as u16
            }
            "dir" => self.dir = PathBuf::from(one()?),
            "requirepass" => {
                let v = one()?;
                self.requirepass = if v.is_empty() { None } else { Some(v.as_bytes().to_vec()) }
            }
            "databases" => self.databases = int(one()?)?.max(1) as usize,
            "maxclients" => self.maxclients = int(one()?)?.max(1) as usize,
            "timeout" => self.timeout = int(one()?)?.max(0) as u64,
            "loglevel" => self.loglevel = one()?.to_string(),
            "logfile" => self.logfile = one()?.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len = int(one()?)?.max(1) as usize,
            "client-query-buffer-limit" => self.client_query_buffer_limit = int(one()?)?.max(1) as usize,
            "enable-debug-command" => self.enable_debug_command = one()?.to_string(),
            "protected-mode" => self.protected_mode = yesno(one()?)?,
            "hz" => self.hz = int(one()?)?.clamp(1, 500) as u32,
            "notify-keyspace-events" => self.notify_keyspace_events = one()?.to_string(),
            "hash-max-listpack-entries" | "hash-max-ziplist-entries" => {
                self.thresholds.hash_max_listpack_entries = int(one()?)? as usize
            }
            "hash-max-listpack-value" | "hash-max-ziplist-value" => {
                self.thresholds.hash_max_listpack_value = int(one()?)? as usize
            }
            "set-max-intset-entries" => self.thresholds.set_max_intset_entries = int(one()?)? as usize,
            "set-max-listpack-entries" => self.thresholds.set_max_listpack_entries = int(one()?)? as usize,
            "set-max-listpack-value" => self.thresholds.set_max_listpack_value = int(one()?)? as usize,
            "zset-max-listpack-entries" | "zset-max-ziplist-entries" => {
                self.thresholds.zset_max_listpack_entries = int(one()?)? as usize
            }
            "zset-max-listpack-value" | "zset-max-ziplist-value" => {
                self.thresholds.zset_max_listpack_value = int(one()?)? as usize
            }
            "list-max-listpack-size" | "list-max-ziplist-size" => self.thresholds.list_max_listpack_size = int(one()?)?,
            "list-compress-depth" => self.thresholds.list_compress_depth = int(one()?)?,
            "maxmemory" => self.maxmemory = int(one()?)?.max(0) as u64,
            "maxmemory-policy" => self.maxmemory_policy = one()?.to_string(),
            "dbfilename" => self.dbfilename = one()?.to_string(),
            "save" => {
                if args.len() == 1 && args[0].is_empty() {
                    self.save.clear();
                } else {
                    if args.len() % 2 != 0 {
                        return Err("Invalid save parameters".into());
                    }
                    self.save.clear();
                    for pair in args.chunks(2) {
                        self.save.push((int(pair[0])? as u64, int(pair[1])? as u64));
                    }
                }
            }
            "appendonly" => self.appendonly = yesno(one()?)?,
            "rdb-version" => {
                let v = int(one()?)?;
                if v != 10 && v != 11 {
                    return Err("argument must be 10 or 11".into());
                }
                self.rdb_version = v as u32
            }
            "rdbcompression" => self.rdbcompression = yesno(one()?)?,
            "rdbchecksum" => self.rdbchecksum = yesno(one()?)?,
            "stop-writes-on-bgsave-error" => self.stop_writes_on_bgsave_error = yesno(one()?)?,
            "appendfsync" => {
                let v = one()?.to_ascii_lowercase();
                if !matches!(v.as_str(), "always" | "everysec" | "no") {
                    return Err("argument(s) must be one of the following: always, everysec, no".into());
                }
                self.appendfsync = v
            }
            // AOF directives (issue 6). Typed fields for the server; the value is also kept in
            // `other` so CONFIG GET shows it.
            "appendfilename" | "appenddirname" => {
                let v = one()?;
                if !_startup {
                    return Err("can't set immutable config".into());
                }
                if v.is_empty() || v.contains('/') || v.contains('\\') || v == "." || v == ".." {
                    return Err(if name == "appendfilename" {
                        "appendfilename can't be a path, just a filename".into()
                    } else {
                        "appenddirname can't be a path, just a dirname".into()
                    });
                }
                if name == "appendfilename" {
                    self.appendfilename = v.to_string()
                } else {
                    self.appenddirname = v.to_string()
                }
                self.other.insert(name.to_string(), v.to_string());
            }
            "no-appendfsync-on-rewrite" | "aof-load-truncated" | "aof-use-rdb-preamble" | "aof-timestamp-enabled"
            | "aof-rewrite-incremental-fsync" => {
                let b = yesno(one()?)?;
                match name {
                    "no-appendfsync-on-rewrite" => self.no_appendfsync_on_rewrite = b,
                    "aof-load-truncated" => self.aof_load_truncated = b,
                    "aof-use-rdb-preamble" => self.aof_use_rdb_preamble = b,
                    "aof-timestamp-enabled" => self.aof_timestamp_enabled = b,
                    _ => self.aof_rewrite_incremental_fsync = b,
                }
                self.other.insert(name.to_string(), if b { "yes" } else { "no" }.to_string());
            }
            "auto-aof-rewrite-percentage" => {
                let v = int(one()?)?;
                if !(0..=i32::MAX as i64).contains(&v) {
                    return Err(format!("argument must be between 0 and {} inclusive", i32::MAX));
                }
                self.auto_aof_rewrite_percentage = v as u64;
                self.other.insert(name.to_string(), v.to_string());
            }
            "auto-aof-rewrite-min-size" => {
                let v = int(one()?)?;
                if v < 0 {
                    return Err(format!("argument must be between 0 and {} inclusive", i64::MAX));
                }
                self.auto_aof_rewrite_min_size = v as u64;
                self.other.insert(name.to_string(), v.to_string());
            }
            _ => {
                self.other.insert(name.to_string(), args.join(" "));
            }
        }
        Ok(())
    }

    /// Encoding thresholds, read by the commands that create or grow collections.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }
}

/// Parses a number with an optional memory unit (`1k`, `5mb`, `1gb`), as redis.conf allows.
pub fn parse_memory(v: &str) -> Option<i64> {
    let lower = v.to_ascii_lowercase();
    let (num, mult): (&str, i64) = if let Some(n) = lower.strip_suffix("kb") {
        (n, 1024)
    } else if let Some(n) = lower.strip_suffix("mb") {
        (n, 1024 * 1024)
    } else if let Some(n) = lower.strip_suffix("gb") {
        (n, 1024 * 1024 * 1024)
    } else if let Some(n) = lower.strip_suffix('k') {
        (n, 1000)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1000 * 1000)
    } else if let Some(n) = lower.strip_suffix('g') {
        (n, 1000 * 1000 * 1000)
    } else {
        (lower.as_str(), 1)
    };
    num.parse::<i64>().ok()?.checked_mul(mult)
}

impl Config {
    /// Every (name, value) pair CONFIG GET can show.
    pub fn all(&self) -> Vec<(String, String)> {
        let yn = |b: bool| if b { "yes".to_string() } else { "no".to_string() };
        let mut v = vec![
            ("bind".to_string(), self.bind.join(" ")),
            ("port".into(), self.port.to_string()),
            ("dir".into(), self.dir.display().to_string()),
            ("requirepass".into(), self.requirepass.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default()),
            ("databases".into(), self.databases.to_string()),
            ("maxclients".into(), self.maxclients.to_string()),
            ("timeout".into(), self.timeout.to_string()),
            ("loglevel".into(), self.loglevel.clone()),
            ("logfile".into(), self.logfile.clone()),
            ("proto-max-bulk-len".into(), self.proto_max_bulk_len.to_string()),
            ("client-query-buffer-limit".into(), self.client_query_buffer_limit.to_string()),
            ("enable-debug-command".into(), self.enable_debug_command.clone()),
            ("protected-mode".into(), yn(self.protected_mode)),
            ("hz".into(), self.hz.to_string()),
            ("notify-keyspace-events".into(), crate::pubsub::keyspace_event_string(crate::pubsub::keyspace_event_flags(&self.notify_keyspace_events))),
            ("hash-max-listpack-entries".into(), self.thresholds.hash_max_listpack_entries.to_string()),
            ("hash-max-listpack-value".into(), self.thresholds.hash_max_listpack_value.to_string()),
            ("set-max-intset-entries".into(), self.thresholds.set_max_intset_entries.to_string()),
            ("set-max-listpack-entries".into(), self.thresholds.set_max_listpack_entries.to_string()),
            ("set-max-listpack-value".into(), self.thresholds.set_max_listpack_value.to_string()),
            ("zset-max-listpack-entries".into(), self.thresholds.zset_max_listpack_entries.to_string()),
            ("zset-max-listpack-value".into(), self.thresholds.zset_max_listpack_value.to_string()),
            ("list-max-listpack-size".into(), self.thresholds.list_max_listpack_size.to_string()),
            ("list-compress-depth".into(), self.thresholds.list_compress_depth.to_string()),
            ("maxmemory".into(), self.maxmemory.to_string()),
            ("maxmemory-policy".into(), self.maxmemory_policy.clone()),
            ("dbfilename".into(), self.dbfilename.clone()),
            ("save".into(), self.save.iter().map(|(a, b)| format!("{a} {b}")).collect::<Vec<_>>().join(" ")),
            ("appendonly".into(), yn(self.appendonly)),
            ("appendfsync".into(), self.appendfsync.clone()),
            ("slowlog-log-slower-than".into(), self.slowlog_log_slower_than.to_string()),
            ("slowlog-max-len".into(), self.slowlog_max_len.to_string()),
        ];
        for (k, val) in &self.other {
            v.push((k.clone(), val.clone()));
        }
        v
    }
}
