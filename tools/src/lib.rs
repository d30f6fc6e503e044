//! Shared code of the VaultKey command-line tools: a small RESP client, locating and driving a
//! `vk-server` process for work that needs the command engine (replaying an AOF), source
//! detection, and human-readable sizes.
//!
//! The tools depend on `vk-storage` and `vk-recovery` only, never on the server crate; where
//! they need to execute commands (folding an AOF into a dataset) they run the real `vk-server`
//! binary as a child process on a private loopback port, so there is exactly one command engine.

pub mod resp;
pub mod server;

use std::path::{Path, PathBuf};

/// What a path given to a tool holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An RDB file (`REDIS0xxx` or `VALKEY0xx`).
    Rdb(PathBuf),
    /// A Redis 7 multi-part AOF: the manifest's path.
    AofManifest(PathBuf),
    /// A single-file AOF (Redis 6 and earlier), with or without RDB preamble.
    AofFile(PathBuf),
}

/// Detects what `path` is: an RDB file, a manifest, an `appendonlydir/`, a data directory
/// holding one of those, or a single AOF file.
pub fn detect_source(path: &Path) -> Result<Source, String> {
    if path.is_dir() {
        let manifests: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read directory {}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().map(|x| x == "manifest").unwrap_or(false))
            .collect();
        if let Some(m) = manifests.into_iter().next() {
            return Ok(Source::AofManifest(m));
        }
        for sub in ["appendonlydir"] {
            if path.join(sub).is_dir() {
                return detect_source(&path.join(sub));
            }
        }
        for f in ["dump.rdb", "appendonly.aof"] {
            if path.join(f).is_file() {
                return detect_source(&path.join(f));
            }
        }
        return Err(format!("{}: no RDB file, AOF manifest or appendonly.aof found", path.display()));
    }
    let mut head = [0u8; 9];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        f.read(&mut head).map_err(|e| format!("cannot read {}: {e}", path.display()))?
    };
    if path.extension().map(|x| x == "manifest").unwrap_or(false) {
        return Ok(Source::AofManifest(path.to_path_buf()));
    }
    let head = &head[..n];
    let is_aof_name = path.extension().map(|x| x == "aof").unwrap_or(false);
    if (head.starts_with(b"REDIS") || head.starts_with(b"VALKEY")) && !is_aof_name {
        return Ok(Source::Rdb(path.to_path_buf()));
    }
    Ok(Source::AofFile(path.to_path_buf()))
}

/// `1.5 MB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Shows a key for humans: printable ASCII as is, other bytes escaped like redis-cli does.
pub fn show_key(k: &[u8]) -> String {
    let mut s = String::new();
    for &c in k {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// Glob matching as Redis's `stringmatchlen` (used by `--match`).
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&p[1..], s) || (!s.is_empty() && glob_match(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob_match(&p[1..], &s[1..]),
        (Some(b'['), Some(&c)) => {
            let Some(end) = p.iter().skip(1).position(|&x| x == b']').map(|i| i + 1) else { return false };
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some(b'^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    let (a, b) = (class[i].min(class[i + 2]), class[i].max(class[i + 2]));
                    hit |= c >= a && c <= b;
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob_match(&p[end + 1..], &s[1..])
        }
        (Some(b'\\'), Some(&c)) if p.len() >= 2 => p[1] == c && glob_match(&p[2..], &s[1..]),
        (Some(&a), Some(&b)) => a == b && glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"user:*", b"user:1"));
        assert!(!glob_match(b"user:*", b"usr:1"));
        assert!(glob_match(b"k[0-9]", b"k5"));
        assert!(glob_match(b"k[^0-9]", b"kx"));
        assert!(glob_match(b"*", b""));
    }
}
