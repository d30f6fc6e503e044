//! Loading, checking and repairing RDB files and AOF directories.
//!
//! Depends on `vk-storage` only; never on the server crate.

pub mod aof;
