//! Sorted sets: a sorted vector while small (`listpack`), then a score-ordered index plus a
//! member→score map (`skiplist`); converted back only by commands that rebuild the value.

use crate::db::Sds;

#[derive(Clone, Debug)]
pub enum ZSet {
    /// (member, score) sorted by (score, member).
    Listpack(Vec<(Sds, f64)>),
    Skiplist(Box<SortedSet>),
}

/// The large-set representation. Kept behind this type so its internals can change without
/// touching the commands.
#[derive(Clone, Debug, Default)]
pub struct SortedSet {
    pub dict: hashbrown::HashMap<Sds, f64>,
    pub order: std::collections::BTreeSet<(OrdF64, Sds)>,
}

/// An f64 with a total order (scores are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrdF64(pub f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(std::cmp::Ordering::Equal)
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Vec::new())
    }
}

impl ZSet {
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist(s) => s.dict.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }
    /// (member, score) pairs in ascending (score, member) order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Listpack(v) => Box::new(v.iter().map(|(m, s)| (&m[..], *s))),
            ZSet::Skiplist(s) => Box::new(s.order.iter().map(|(s, m)| (&m[..], s.0))),
        }
    }

    pub fn approx_size(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.iter().map(|(m, _)| m.len() + 24).sum(),
            ZSet::Skiplist(s) => s.dict.keys().map(|m| 2 * m.len() + 64).sum(),
        }
    }
}
