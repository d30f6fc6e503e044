//! Streams: entries by ID, consumer groups with their pending entries lists.
//!
//! Placeholder until the streams work (issue 3) lands: the value is kept in the storage crate's
//! owned form, so RDB files holding streams load, save and DUMP exactly. The streams work
//! replaces the internals and keeps `from_rdb`/`to_rdb`.

use vk_storage::rdb::StreamValue;

#[derive(Clone, Debug, Default)]
pub struct Stream {
    pub data: StreamValue,
}

impl Stream {
    pub fn from_rdb(v: StreamValue) -> Stream {
        Stream { data: v }
    }
    pub fn to_rdb(&self) -> StreamValue {
        self.data.clone()
    }
    pub fn approx_size(&self) -> usize {
        self.data.entries.iter().map(|(_, f)| f.iter().map(|(a, b)| a.len() + b.len() + 16).sum::<usize>() + 32).sum::<usize>() + 64
    }
}
