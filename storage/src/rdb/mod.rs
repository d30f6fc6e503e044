//! RDB file codec: a streaming reader, a writer, and DUMP/RESTORE payloads.
//!
//! Reads RDB 1..=11 (`REDIS0001`..`REDIS0011`) and Valkey 9's `VALKEY080`;
//! writes RDB 10 (Redis 7.0), 11 (Redis 7.2 / Valkey 7.2-8) and 80 (Valkey 9).
//! See `docs/rdb-format.md` for the format as we read and write it.
//!
//! ```no_run
//! use vk_storage::rdb::{RdbReader, RdbEvent};
//! let f = std::io::BufReader::new(std::fs::File::open("dump.rdb").unwrap());
//! let mut r = RdbReader::new(f).unwrap();
//! while let Some(ev) = r.next_event().unwrap() {
//!     if let RdbEvent::Key(k) = ev { println!("{:?}", k.key); }
//! }
//! ```
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

pub mod consts;
mod decode;
pub mod encodings;
pub mod error;
mod input;
pub mod lzf;
pub mod payload;
pub mod reader;
pub mod value;
pub mod writer;

pub use decode::module_name;
pub use error::{EncodingError, KeyName, PayloadError, RdbError, WriteError};
pub use payload::{dump_function_payload, dump_payload, parse_function_payload, parse_payload, payload_version_accepted};
pub use input::ReadStats;
pub use reader::{Checksum, KeyEntry, Magic, ModuleItem, RdbEvent, RdbReader, ReadOptions};
pub use value::{PendingEntry, RdbValue, StreamConsumer, StreamEntry, StreamGroup, StreamId, StreamValue};
pub use writer::{encode_key, encode_select_db, encode_value, KeyHead, RdbWriter, Thresholds, WriteOptions};

/// CRC-64/Jones as used by Redis (`crc64` in `crc64.c`), slice-by-16 tables.
pub static CRC64: crc::Crc<u64, crc::Table<16>> = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

/// CRC-64 of a byte slice.
pub fn crc64(bytes: &[u8]) -> u64 {
    CRC64.checksum(bytes)
}
