//! Errors of the RDB codec. Every error that comes from the file says where
//! (byte offset) and, when a key was being read, which key and value type.

use std::fmt;

/// A key name for error messages: printed as text when it is UTF-8, escaped otherwise.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyName(pub Vec<u8>);

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.escape_ascii())
    }
}

impl fmt::Debug for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Formats the optional "while reading key ..." suffix of messages.
pub struct KeyCtx<'a>(pub &'a Option<KeyName>, pub Option<u8>);

impl fmt::Display for KeyCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = self.0 {
            write!(f, " while reading key {k}")?;
        }
        if let Some(t) = self.1 {
            write!(f, " (type {t}, {})", super::consts::type_name(t))?;
        }
        Ok(())
    }
}

/// Why a module value could not be stepped over either.
struct ModuleHint(Option<u8>);

impl fmt::Display for ModuleHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(super::consts::TYPE_MODULE_PRE_GA) => write!(f, " (pre-release module format: not self-described, so it cannot be skipped either)"),
            _ => Ok(()),
        }
    }
}

/// Everything that can go wrong while reading an RDB file or value.
#[derive(Debug, thiserror::Error)]
pub enum RdbError {
    #[error("I/O error reading RDB: {0}")]
    Io(#[from] std::io::Error),

    #[error("not an RDB file: bad magic {found:?} at offset 0 (expected \"REDIS\" + 4 digits or \"VALKEY\" + 3 digits)")]
    BadMagic { found: String },

    #[error("unsupported RDB version {version} at offset {offset} (we read REDIS0001..REDIS0011 and VALKEY080)")]
    UnsupportedVersion { version: u32, offset: u64 },

    #[error("unexpected end of file at offset {offset}{}", KeyCtx(key, *rdb_type))]
    UnexpectedEof { offset: u64, key: Option<KeyName>, rdb_type: Option<u8> },

    #[error("corrupt RDB at offset {offset}{}: {reason}", KeyCtx(key, *rdb_type))]
    Corrupt { offset: u64, key: Option<KeyName>, rdb_type: Option<u8>, reason: String },

    #[error("unknown value type {type_byte} at offset {offset} in an RDB {version} file{}", KeyCtx(key, None))]
    UnknownType { type_byte: u8, offset: u64, version: u16, key: Option<KeyName> },

    #[error("unknown or unsupported opcode {opcode} at offset {offset} in an RDB {version} file")]
    UnknownOpcode { opcode: u8, offset: u64, version: u16 },

    #[error("module data at offset {offset}{}: module type '{module_name}' (id {module_id:#018x}, encoding version {encver}) is not supported{}", KeyCtx(key, *rdb_type), ModuleHint(*rdb_type))]
    Module { offset: u64, key: Option<KeyName>, rdb_type: Option<u8>, module_name: String, module_id: u64, encver: u64 },

    /// Same wording as Redis's log line: `expected` is the CRC-64 computed over the
    /// content, `got` the one stored in the file.
    #[error("wrong RDB checksum: expected {expected:016x} (computed over the content) but got {got:016x} (stored in the file); the file is damaged")]
    ChecksumMismatch { expected: u64, got: u64 },
}

impl RdbError {
    /// The key being read when the error happened, if any.
    pub fn key(&self) -> Option<&[u8]> {
        match self {
            RdbError::UnexpectedEof { key, .. }
            | RdbError::Corrupt { key, .. }
            | RdbError::UnknownType { key, .. }
            | RdbError::Module { key, .. } => key.as_ref().map(|k| k.0.as_slice()),
            _ => None,
        }
    }

    /// Byte offset in the file where the error was found, when known.
    pub fn offset(&self) -> Option<u64> {
        match self {
            RdbError::UnsupportedVersion { offset, .. }
            | RdbError::UnexpectedEof { offset, .. }
            | RdbError::Corrupt { offset, .. }
            | RdbError::UnknownType { offset, .. }
            | RdbError::UnknownOpcode { offset, .. }
            | RdbError::Module { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

/// A structural problem found inside an encoded blob (listpack, ziplist, intset, zipmap, LZF).
/// The reader turns it into [`RdbError::Corrupt`] with the file position and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncodingError(pub String);

impl EncodingError {
    pub fn new(msg: impl Into<String>) -> Self {
        EncodingError(msg.into())
    }
}

/// Errors of `RESTORE` payload parsing. Display texts are what Redis replies.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Footer version newer than we accept, or the CRC-64 does not match.
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The payload passed the footer checks but its value does not parse.
    #[error("ERR Bad data format")]
    BadData(#[source] RdbError),
}

/// Errors of the writer.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("I/O error writing RDB: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write RDB version {0}: we write 10, 11 and 80")]
    UnsupportedVersion(u16),
    #[error("value cannot be written in RDB version {version}: {reason}")]
    Unsupported { version: u16, reason: String },
}
