//! VaultKey server crate (being assembled).
pub mod util;
