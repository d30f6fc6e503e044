//! Sets: `intset` (sorted integers), `listpack` (insertion order) while small, then a hash
//! table; conversions are one-way, as in Redis 7.2.

use hashbrown::HashSet;

use crate::db::Sds;

#[derive(Clone, Debug)]
pub enum Set {
    Intset(Vec<i64>),
    Listpack(Vec<Sds>),
    Table(HashSet<Sds>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

impl Set {
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Listpack(v) => v.len(),
            Set::Table(m) => m.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Listpack(_) => "listpack",
            Set::Table(_) => "hashtable",
        }
    }
    /// Every member as bytes (intset members as their decimal form), in the set's order.
    pub fn members(&self) -> Vec<Sds> {
        match self {
            Set::Intset(v) => v.iter().map(|i| i.to_string().into_bytes().into_boxed_slice()).collect(),
            Set::Listpack(v) => v.clone(),
            Set::Table(m) => m.iter().cloned().collect(),
        }
    }

    pub fn approx_size(&self) -> usize {
        match self {
            Set::Intset(v) => v.len() * 8,
            Set::Listpack(v) => v.iter().map(|m| m.len() + 16).sum(),
            Set::Table(m) => m.iter().map(|m| m.len() + 32).sum(),
        }
    }
}
