//! Streams: entries by ID, consumer groups with their pending entries lists.
//! Filled in by the streams work (issue 3); the value is already part of the keyspace so RDB
//! files holding streams load.

#[derive(Clone, Debug, Default)]
pub struct Stream {
    pub length: u64,
}

impl Stream {
    pub fn approx_size(&self) -> usize {
        64
    }
}
