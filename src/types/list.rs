//! Lists: a deque of elements, reported as `listpack` while small and `quicklist` once past
//! `list-max-listpack-size` (converted back below half of it, as Redis 7.2 does).

use std::collections::VecDeque;

use crate::db::Sds;

#[derive(Clone, Debug, Default)]
pub struct List {
    pub items: VecDeque<Sds>,
    /// True once the list would be a quicklist in Redis.
    pub quicklist: bool,
    /// Sum of element lengths, to apply size-based thresholds without a scan.
    pub bytes: usize,
}

impl List {
    pub fn new() -> List {
        List::default()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn encoding_name(&self) -> &'static str {
        if self.quicklist {
            "quicklist"
        } else {
            "listpack"
        }
    }
    pub fn approx_size(&self) -> usize {
        self.bytes + self.items.len() * 16
    }
}
