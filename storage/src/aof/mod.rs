//! The append-only file (AOF): formats and the log writer.
//!
//! - [`manifest`]: the Redis 7 multi-part manifest (`appendonly.aof.manifest`) and the file
//!   naming rules of `appendonlydir/`.
//! - [`command`]: RESP multibulk encoding of what we append, and [`command::CommandReader`],
//!   a streaming reader of AOF commands and `#` annotations with exact offsets.
//! - [`writer`]: the log writer (the caller writes through, a background thread fsyncs):
//!   group commit, `appendfsync` policies, rotation to a new incr file, poisoning after a
//!   failed write or fsync.
//!
//! Loading, checking and repairing whole AOF directories lives in `vk-recovery`.
//! `docs/aof-format.md` describes the format; `docs/durability.md` the guarantees.

pub mod command;
pub mod manifest;
pub mod writer;
