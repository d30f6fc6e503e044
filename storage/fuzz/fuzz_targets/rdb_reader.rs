#![no_main]
//! Any bytes fed to the streaming reader: errors are fine, panics and huge allocations are not.
use libfuzzer_sys::fuzz_target;
use vk_storage::rdb::{RdbReader, ReadOptions};

fuzz_target!(|data: &[u8]| {
    // Without checksum verification so mutations reach the value decoders.
    if let Ok(mut r) = RdbReader::with_options(data, ReadOptions { verify_checksum: false }) {
        while let Ok(Some(_)) = r.next_event() {}
    }
});
