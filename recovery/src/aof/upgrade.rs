//! Upgrading a Redis 6 single-file AOF to the multi-part layout, as Redis 7 does on start.
//!
//! `<data>/appendonly.aof` becomes `<data>/appendonlydir/appendonly.aof`, the base of a new
//! manifest `file appendonly.aof seq 1 type b`. Order of the steps, each crash-safe:
//! 1. create `appendonlydir/` and fsync the data directory;
//! 2. write the manifest atomically (temp file, fsync, rename, fsync `appendonlydir/`);
//! 3. rename the old file into `appendonlydir/`, fsync both directories.
//!
//! A crash between 2 and 3 leaves a manifest naming a base that is not in the directory yet,
//! while the old file is still in place: the next call recognises that state and finishes (the
//! same conditions as Redis's `loadAppendOnlyFiles`).
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io;
use std::path::{Path, PathBuf};

use vk_storage::aof::manifest::{AofFileType, AofInfo, AofNames, Manifest, ManifestLoadError};
use vk_storage::io::{atomic_write, fsync_dir};

/// Result of [`upgrade_single_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upgrade {
    /// No old-style file, or the AOF directory already holds a different AOF (then the old
    /// file is ignored, as Redis ignores it).
    NotNeeded,
    /// The old file was moved.
    Upgraded {
        /// The new manifest.
        manifest: PathBuf,
        /// Where the old file now is.
        base: PathBuf,
    },
}

/// Errors of the upgrade.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// The existing manifest is invalid.
    #[error("existing AOF manifest {}: {source}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ManifestLoadError,
    },
    /// A filesystem step failed.
    #[error("{step} failed: {source}")]
    Io {
        /// Which step.
        step: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Moves `<data_dir>/<names.prefix>` into `<data_dir>/<dir_name>/` as the base of a new
/// manifest, when Redis 7 would (no AOF directory; or a directory without manifest or with an
/// empty one; or a manifest that names only this base, not moved yet).
pub fn upgrade_single_file(data_dir: &Path, names: &AofNames, dir_name: &str) -> Result<Upgrade, UpgradeError> {
    let io = |step: &'static str| move |source| UpgradeError::Io { step, source };
    let old = data_dir.join(&names.prefix);
    if !old.is_file() {
        return Ok(Upgrade::NotNeeded);
    }
    let aof_dir = data_dir.join(dir_name);
    let manifest_path = aof_dir.join(names.manifest());
    let moved = aof_dir.join(&names.prefix);
    let needed = if !aof_dir.is_dir() || !manifest_path.is_file() {
        true
    } else {
        let m = Manifest::load(&manifest_path)
            .map_err(|source| UpgradeError::Manifest { path: manifest_path.clone(), source })?;
        m.is_empty()
            || (m.incr.is_empty() && m.base.as_ref().is_some_and(|b| b.name == names.prefix) && !moved.exists())
    };
    if !needed {
        return Ok(Upgrade::NotNeeded);
    }
    if !aof_dir.is_dir() {
        std::fs::create_dir_all(&aof_dir).map_err(io("create the AOF directory"))?;
        fsync_dir(data_dir).map_err(io("fsync the data directory"))?;
    }
    let m = Manifest {
        base: Some(AofInfo::new(names.prefix.clone(), 1, AofFileType::Base)),
        curr_base_seq: 1,
        ..Manifest::default()
    };
    atomic_write(&aof_dir, &names.manifest(), &m.to_bytes()).map_err(io("write the manifest"))?;
    std::fs::rename(&old, &moved).map_err(io("move the old AOF into the AOF directory"))?;
    fsync_dir(&aof_dir).map_err(io("fsync the AOF directory"))?;
    fsync_dir(data_dir).map_err(io("fsync the data directory"))?;
    Ok(Upgrade::Upgraded { manifest: manifest_path, base: moved })
}
