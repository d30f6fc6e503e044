//! VaultKey's file formats, usable without the server.
//!
//! This crate never depends on the server crate: the tools in `tools/` use it alone.
//! - [`rdb`]: the RDB codec (reader, writer, DUMP payloads).
//! - [`aof`]: the append-only file: manifest, command framing, the log-writer thread.
//! - [`io`]: the file layer every log write and fsync goes through (with a fault-injecting double).
//! - [`spill`]: spill segment files (cold values moved out of memory).

pub mod aof;
pub mod io;
pub mod rdb;
pub mod spill;
