//! Shared code of the VaultKey command-line tools.
