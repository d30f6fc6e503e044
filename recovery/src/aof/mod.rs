//! Loading, checking and repairing AOFs.
//!
//! - [`AofSet::open`] finds the files: an `appendonlydir/`, a manifest path, or a Redis 6
//!   single `appendonly.aof` (with or without an RDB preamble).
//! - [`loader::load`] replays them in manifest order through an [`loader::AofVisitor`]: the
//!   RDB part of a file (base `.rdb`, or a Redis 6 preamble) is handed over as a reader for
//!   the RDB decoder; commands come with their file and offset; MULTI/EXEC blocks come whole.
//!   A torn tail of the last file is cut when `load_truncated` is on, as Redis does.
//! - [`check`]: the logic of `vk-check-aof`: verdicts clean / repaired / damaged, `--fix`
//!   with a backup, `--truncate-to-timestamp`.
//! - [`upgrade`]: moves a Redis 6 single file into `appendonlydir/` with a manifest.
//! - [`rdb_hook`]: where RDB bytes are validated; [`rdb_hook::ChecksumScan`] stands in until
//!   the RDB decoder (`vk_storage::rdb`) is plugged in.

pub mod check;
pub mod loader;
pub mod rdb_hook;
pub mod upgrade;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use vk_storage::aof::manifest::{AofNames, Manifest, ManifestError, ManifestLoadError};

/// Boxed error from a visitor or an RDB hook.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The role of a file in the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// The manifest's base file.
    Base,
    /// An incr file of the manifest.
    Incr,
    /// A Redis 6 single-file AOF.
    OldStyle,
}

/// One file to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    /// Name as in the manifest (or the file name of a single file).
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Role.
    pub role: FileRole,
    /// True for the last file in load order, or a file followed only by empty files: the only
    /// ones whose tail may be cut.
    pub is_last: bool,
    /// Size when the set was opened.
    pub size: u64,
}

/// How the AOF is laid out on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AofLayout {
    /// Redis 7 `appendonlydir/` with a manifest.
    MultiPart {
        /// The directory holding the files.
        dir: PathBuf,
        /// The manifest file.
        manifest_path: PathBuf,
        /// Its content.
        manifest: Manifest,
    },
    /// A single file (Redis 6 and older).
    SingleFile {
        /// The file.
        path: PathBuf,
    },
}

/// The files of an AOF, in load order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofSet {
    /// The layout.
    pub layout: AofLayout,
    /// Files to load, in order (base first). Empty when the manifest names none.
    pub files: Vec<AofFile>,
}

/// Errors opening or loading an AOF. Every variant names the file; damage also names the
/// offset and line and suggests `vk-check-aof --fix`.
#[derive(Debug, thiserror::Error)]
pub enum AofError {
    /// Nothing that looks like an AOF at this path.
    #[error("no AOF found at {path}: {reason}")]
    NotFound {
        /// The path given.
        path: PathBuf,
        /// What was looked for.
        reason: String,
    },
    /// The manifest could not be read or parsed.
    #[error("Invalid AOF manifest {path}: {error}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        #[source]
        error: ManifestError,
    },
    /// A file named in the manifest cannot be found.
    #[error("Unable to obtain the AOF file {name} length. stat: {source}")]
    MissingFile {
        /// Name in the manifest.
        name: String,
        /// Full path.
        path: PathBuf,
        /// The stat error.
        #[source]
        source: io::Error,
    },
    /// An I/O error.
    #[error("I/O error on {file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The RDB part (base or preamble) is unreadable.
    #[error("Error reading the RDB part of the AOF file {file} at offset {offset}: {source}. The RDB base cannot be repaired by truncation; restore it from a backup")]
    Rdb {
        /// The file.
        file: PathBuf,
        /// How far the RDB reader got.
        offset: u64,
        /// The decoder's error.
        #[source]
        source: BoxError,
    },
    /// Malformed bytes (not a clean truncation).
    #[error("Bad file format reading the append only file {} at offset {offset} (line {line}): {reason}. Make a backup of your AOF file, then use vk-check-aof --fix {}", file.display(), check_target.display())]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// Start of the damaged entry: everything before is intact.
        offset: u64,
        /// Where the damage was detected.
        error_offset: u64,
        /// Line (counted as `redis-check-aof` does).
        line: u64,
        /// What is wrong.
        reason: String,
        /// What to give `vk-check-aof`.
        check_target: PathBuf,
    },
    /// The file ends inside a command or a MULTI block, and cutting it was not allowed
    /// (`load_truncated` off, or not the last file).
    #[error("Unexpected end of file reading the append only file {} at offset {offset} (line {line}): {reason}{}. Make a backup of your AOF file, then use vk-check-aof --fix {}", file.display(), if *.last_file { "" } else { " (the truncated file is not the last file)" }, check_target.display())]
    Truncated {
        /// The file.
        file: PathBuf,
        /// Where a cut would go (end of the last complete command outside a transaction).
        offset: u64,
        /// Where the short read began.
        error_offset: u64,
        /// Line at the point of detection.
        line: u64,
        /// What is wrong.
        reason: String,
        /// True when an incomplete MULTI block was reverted.
        torn_multi: bool,
        /// True when this is the last file.
        last_file: bool,
        /// What to give `vk-check-aof`.
        check_target: PathBuf,
    },
    /// The visitor refused a command.
    #[error("error applying the command at offset {offset} of {file}: {source}")]
    Visitor {
        /// The file.
        file: PathBuf,
        /// The command's offset.
        offset: u64,
        /// The visitor's error.
        #[source]
        source: BoxError,
    },
}

/// True when `bytes` start like an RDB image (`REDIS` or Valkey 9's `VALKEY`).
pub fn is_rdb_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(b"REDIS") || bytes.starts_with(b"VALKEY")
}

/// Reads the first bytes of a file.
fn head(path: &Path, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    std::fs::File::open(path)?.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// `redis-check-aof`'s test: a file is a manifest when a non-comment line starts with `file`.
pub fn looks_like_manifest(path: &Path) -> io::Result<bool> {
    let bytes = head(path, 64 * 1024)?;
    if is_rdb_magic(&bytes) {
        return Ok(false);
    }
    Ok(bytes.split(|&b| b == b'\n').any(|l| !l.starts_with(b"#") && l.starts_with(b"file")))
}

impl AofSet {
    /// Opens the AOF at `path`: a directory (`appendonlydir/`, or a data directory holding
    /// one, or holding a single `appendonly.aof`), a manifest, or a single AOF file. Every file
    /// named in a manifest must exist (as Redis requires before loading).
    pub fn open(path: &Path) -> Result<AofSet, AofError> {
        let io_err = |source| AofError::Io { file: path.to_path_buf(), source };
        if path.is_dir() {
            let names = AofNames::default();
            let manifest = path.join(names.manifest());
            if manifest.is_file() {
                return Self::open_manifest(&manifest);
            }
            let mut found = Vec::new();
            for e in std::fs::read_dir(path).map_err(io_err)? {
                let p = e.map_err(io_err)?.path();
                let is_manifest = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.ends_with(".manifest") && !n.starts_with("temp-")
                });
                if is_manifest && p.is_file() {
                    found.push(p);
                }
            }
            if let [only] = found.as_slice() {
                return Self::open_manifest(only);
            }
            if found.len() > 1 {
                return Err(AofError::NotFound {
                    path: path.to_path_buf(),
                    reason: format!("{} manifests, give one explicitly", found.len()),
                });
            }
            let sub = path.join(vk_storage::aof::manifest::DEFAULT_AOF_DIRNAME);
            if sub.is_dir() {
                return Self::open(&sub);
            }
            let single = path.join(&names.prefix);
            if single.is_file() {
                return Self::open_single(&single);
            }
            return Err(AofError::NotFound {
                path: path.to_path_buf(),
                reason: "no manifest, no appendonlydir/, no appendonly.aof".into(),
            });
        }
        if !path.exists() {
            return Err(AofError::NotFound { path: path.to_path_buf(), reason: "no such file".into() });
        }
        if looks_like_manifest(path).map_err(io_err)? {
            Self::open_manifest(path)
        } else {
            Self::open_single(path)
        }
    }

    /// Opens a multi-part AOF from its manifest.
    pub fn open_manifest(manifest_path: &Path) -> Result<AofSet, AofError> {
        let manifest = Manifest::load(manifest_path).map_err(|e| match e {
            ManifestLoadError::Io(source) => AofError::Io { file: manifest_path.to_path_buf(), source },
            ManifestLoadError::Invalid(error) => AofError::Manifest { path: manifest_path.to_path_buf(), error },
        })?;
        let dir = manifest_path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let infos: Vec<_> = manifest.load_order().cloned().collect();
        let total = infos.len();
        let mut files = Vec::with_capacity(total);
        for (i, info) in infos.into_iter().enumerate() {
            let path = dir.join(&info.name);
            let size = std::fs::metadata(&path)
                .map_err(|source| AofError::MissingFile { name: info.name.clone(), path: path.clone(), source })?
                .len();
            let role = match info.kind {
                vk_storage::aof::manifest::AofFileType::Base => FileRole::Base,
                _ => FileRole::Incr,
            };
            files.push(AofFile { name: info.name, path, role, is_last: i + 1 == total, size });
        }
        // A file followed only by empty files is "last" too: cutting its tail drops nothing
        // else. This happens after a crash during a rewrite, between the manifest naming the
        // new (still empty) incr file and the switch of the writer to it.
        for f in files.iter_mut().rev() {
            f.is_last = true;
            if f.size > 0 {
                break;
            }
        }
        Ok(AofSet {
            layout: AofLayout::MultiPart { dir, manifest_path: manifest_path.to_path_buf(), manifest },
            files,
        })
    }

    /// Opens a Redis 6 single-file AOF.
    pub fn open_single(path: &Path) -> Result<AofSet, AofError> {
        let size = std::fs::metadata(path).map_err(|source| AofError::Io { file: path.to_path_buf(), source })?.len();
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(AofSet {
            layout: AofLayout::SingleFile { path: path.to_path_buf() },
            files: vec![AofFile { name, path: path.to_path_buf(), role: FileRole::OldStyle, is_last: true, size }],
        })
    }

    /// What to pass to `vk-check-aof` for this set (the manifest, or the single file).
    pub fn check_target(&self) -> &Path {
        match &self.layout {
            AofLayout::MultiPart { manifest_path, .. } => manifest_path,
            AofLayout::SingleFile { path } => path,
        }
    }
}
