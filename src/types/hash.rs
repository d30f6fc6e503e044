//! Hashes: a field/value vector in insertion order while small (`listpack`), a hash table
//! past `hash-max-listpack-entries` / `hash-max-listpack-value` (never converted back).

use hashbrown::HashMap;

use crate::db::Sds;

#[derive(Clone, Debug)]
pub enum Hash {
    Listpack(Vec<(Sds, Sds)>),
    Table(HashMap<Sds, Sds>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(m) => m.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(v) => v.iter().find(|(f, _)| &f[..] == field).map(|(_, x)| &x[..]),
            Hash::Table(m) => m.get(field).map(|x| &x[..]),
        }
    }

    /// (field, value) pairs in the hash's order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, x)| (&f[..], &x[..]))),
            Hash::Table(m) => Box::new(m.iter().map(|(f, x)| (&f[..], &x[..]))),
        }
    }

    pub fn approx_size(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.iter().map(|(f, x)| f.len() + x.len() + 32).sum(),
            Hash::Table(m) => m.iter().map(|(f, x)| f.len() + x.len() + 48).sum(),
        }
    }
}
