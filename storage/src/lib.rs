//! VaultKey's file formats, usable without the server.
//!
//! This crate never depends on the server crate: the tools in `tools/` use it alone.

pub mod aof;
pub mod io;
