//! Sets: `intset` (sorted integers), `listpack` (insertion order) while small, then a hash
//! table; conversions are one-way, as in Redis 7.2 (`t_set.c`), except where Redis itself builds
//! a new set (SPOP with a large count, SINTERSTORE results).
//!
//! Rules (Redis 7.2):
//! - a new set is an intset if its first member is an integer and the expected size fits
//!   `set-max-intset-entries`, else a listpack if the expected size fits
//!   `set-max-listpack-entries`, else a table ([`Set::create`]);
//! - adding to an existing set many members at once converts it to a table first when their
//!   count exceeds the limit of its encoding ([`Set::maybe_convert`]);
//! - an intset past `set-max-intset-entries` becomes a table; an intset receiving a non-integer
//!   becomes a listpack (sorted integers, then the new member) when small enough, else a table;
//! - a listpack receiving a member when full or a member longer than `set-max-listpack-value`
//!   becomes a table.

use hashbrown::HashSet;

use crate::db::Sds;
use crate::types::Thresholds;
use crate::util::parse_i64;

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

/// Redis caps intsets at 2^30 entries whatever the configuration says.
fn intset_max(th: &Thresholds) -> usize {
    th.set_max_intset_entries.min(1 << 30)
}

/// Number of characters of `v` in decimal, sign included (`sdigits10`).
fn sdigits10(v: i64) -> usize {
    let mut buf = itoa::Buffer::new();
    buf.format(v).len()
}

fn int_bytes(i: i64) -> Sds {
    let mut buf = itoa::Buffer::new();
    buf.format(i).as_bytes().into()
}

impl Set {
    /// Redis's `setTypeCreate`: an empty set suitable for `first` and about `size_hint` members.
    pub fn create(first: &[u8], size_hint: usize, th: &Thresholds) -> Set {
        if parse_i64(first).is_some() && size_hint <= th.set_max_intset_entries {
            Set::Intset(Vec::new())
        } else if size_hint <= th.set_max_listpack_entries {
            Set::Listpack(Vec::new())
        } else {
            Set::Table(HashSet::with_capacity(size_hint.min(1 << 20)))
        }
    }

    /// Redis's `setTypeMaybeConvert`: before adding `size_hint` members to an existing set.
    pub fn maybe_convert(&mut self, size_hint: usize, th: &Thresholds) {
        let convert = match self {
            Set::Listpack(_) => size_hint > th.set_max_listpack_entries,
            Set::Intset(_) => size_hint > th.set_max_intset_entries,
            Set::Table(_) => false,
        };
        if convert {
            self.convert_to_table();
        }
    }

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
            Set::Intset(v) => v.iter().map(|i| int_bytes(*i)).collect(),
            Set::Listpack(v) => v.clone(),
            Set::Table(m) => m.iter().cloned().collect(),
        }
    }

    /// Calls `f` for every member in the set's order without copying listpack/table members.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            Set::Intset(v) => {
                let mut buf = itoa::Buffer::new();
                for i in v {
                    f(buf.format(*i).as_bytes());
                }
            }
            Set::Listpack(v) => v.iter().for_each(|m| f(m)),
            Set::Table(m) => m.iter().for_each(|m| f(m)),
        }
    }

    /// The member at position `i` in the set's order (O(1) except for a table).
    pub fn nth(&self, i: usize) -> Option<Sds> {
        match self {
            Set::Intset(v) => v.get(i).map(|x| int_bytes(*x)),
            Set::Listpack(v) => v.get(i).cloned(),
            Set::Table(m) => m.iter().nth(i).cloned(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(v) => parse_i64(member).map(|i| v.binary_search(&i).is_ok()).unwrap_or(false),
            Set::Listpack(v) => v.iter().any(|m| &m[..] == member),
            Set::Table(m) => m.contains(member),
        }
    }

    /// Converts to a hash table (no-op for a table).
    pub fn convert_to_table(&mut self) {
        let t: HashSet<Sds> = match self {
            Set::Table(_) => return,
            Set::Intset(v) => v.iter().map(|i| int_bytes(*i)).collect(),
            Set::Listpack(v) => std::mem::take(v).into_iter().collect(),
        };
        *self = Set::Table(t);
    }

    /// Redis's `maybeConvertToIntset`: when every member is known to be an integer, use an
    /// intset if the size allows.
    pub fn maybe_convert_to_intset(&mut self, th: &Thresholds) {
        if matches!(self, Set::Intset(_)) || self.len() > intset_max(th) {
            return;
        }
        let mut v = Vec::with_capacity(self.len());
        let mut ok = true;
        self.for_each(|m| match parse_i64(m) {
            Some(i) => v.push(i),
            None => ok = false,
        });
        if ok {
            v.sort_unstable();
            v.dedup();
            *self = Set::Intset(v);
        }
    }

    /// Adds `member`; returns true if it was not there (Redis's `setTypeAddAux`).
    pub fn add(&mut self, member: &[u8], th: &Thresholds) -> bool {
        match self {
            Set::Table(m) => {
                if m.contains(member) {
                    false
                } else {
                    m.insert(member.into());
                    true
                }
            }
            Set::Listpack(v) => {
                if v.iter().any(|m| &m[..] == member) {
                    return false;
                }
                if v.len() < th.set_max_listpack_entries && member.len() <= th.set_max_listpack_value {
                    v.push(member.into());
                } else {
                    self.convert_to_table();
                    if let Set::Table(m) = self {
                        m.insert(member.into());
                    }
                }
                true
            }
            Set::Intset(v) => {
                if let Some(i) = parse_i64(member) {
                    match v.binary_search(&i) {
                        Ok(_) => false,
                        Err(pos) => {
                            v.insert(pos, i);
                            if v.len() > intset_max(th) {
                                self.convert_to_table();
                            }
                            true
                        }
                    }
                } else {
                    let maxelelen = match (v.first(), v.last()) {
                        (Some(a), Some(b)) => sdigits10(*a).max(sdigits10(*b)),
                        _ => 0,
                    };
                    if v.len() < th.set_max_listpack_entries
                        && member.len() <= th.set_max_listpack_value
                        && maxelelen <= th.set_max_listpack_value
                    {
                        let mut lp: Vec<Sds> = Vec::with_capacity(v.len() + 1);
                        lp.extend(v.iter().map(|i| int_bytes(*i)));
                        lp.push(member.into());
                        *self = Set::Listpack(lp);
                    } else {
                        self.convert_to_table();
                        if let Set::Table(m) = self {
                            m.insert(member.into());
                        }
                    }
                    true
                }
            }
        }
    }

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match parse_i64(member).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Listpack(v) => match v.iter().position(|m| &m[..] == member) {
                Some(pos) => {
                    v.remove(pos);
                    true
                }
                None => false,
            },
            Set::Table(m) => m.remove(member),
        }
    }

    /// Removes the members at the given positions (of [`Set::members`] order) of an intset or
    /// listpack, keeping the order of the rest.
    pub fn remove_positions(&mut self, positions: &[usize]) {
        let mut mark = vec![false; self.len()];
        for &p in positions {
            if p < mark.len() {
                mark[p] = true;
            }
        }
        match self {
            Set::Intset(v) => {
                let mut i = 0;
                v.retain(|_| {
                    let keep = !mark[i];
                    i += 1;
                    keep
                });
            }
            Set::Listpack(v) => {
                let mut i = 0;
                v.retain(|_| {
                    let keep = !mark[i];
                    i += 1;
                    keep
                });
            }
            Set::Table(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn th(intset: usize, entries: usize, value: usize) -> Thresholds {
        Thresholds {
            set_max_intset_entries: intset,
            set_max_listpack_entries: entries,
            set_max_listpack_value: value,
            ..Default::default()
        }
    }

    fn strs(s: &Set) -> Vec<String> {
        s.members().iter().map(|m| String::from_utf8_lossy(m).into_owned()).collect()
    }

    #[test]
    fn intset_sorted_then_listpack_then_table() {
        let t = th(4, 3, 5);
        let mut s = Set::create(b"3", 1, &t);
        for m in ["3", "-1", "2", "3"] {
            s.add(m.as_bytes(), &t);
        }
        assert_eq!(s.encoding_name(), "intset");
        assert_eq!(strs(&s), vec!["-1", "2", "3"]);
        assert!(s.add(b"a", &t));
        assert_eq!(s.encoding_name(), "hashtable"); // 3 entries already: not < 3
        let mut s = Set::create(b"1", 1, &t);
        s.add(b"1", &t);
        s.add(b"b", &t);
        assert_eq!(s.encoding_name(), "listpack");
        s.add(b"a", &t);
        assert_eq!(strs(&s), vec!["1", "b", "a"]);
        s.add(b"c", &t);
        assert_eq!(s.encoding_name(), "hashtable");
    }

    #[test]
    fn intset_overflow_goes_to_table() {
        let t = th(2, 10, 10);
        let mut s = Set::create(b"1", 1, &t);
        s.add(b"1", &t);
        s.add(b"2", &t);
        assert_eq!(s.encoding_name(), "intset");
        s.add(b"3", &t);
        assert_eq!(s.encoding_name(), "hashtable");
    }

    #[test]
    fn long_member_and_long_ints() {
        let t = th(10, 10, 3);
        let mut s = Set::create(b"x", 1, &t);
        s.add(b"abcd", &t);
        assert_eq!(s.encoding_name(), "hashtable");
        let mut s = Set::create(b"1", 1, &t);
        s.add(b"-1000", &t);
        s.add(b"a", &t); // an intset member is 5 chars > 3
        assert_eq!(s.encoding_name(), "hashtable");
    }

    #[test]
    fn remove_and_intset_conversion() {
        let t = th(10, 10, 10);
        let mut s = Set::create(b"a", 1, &t);
        for m in ["5", "a", "1"] {
            s.add(m.as_bytes(), &t);
        }
        assert!(s.remove(b"a"));
        assert!(!s.remove(b"a"));
        s.maybe_convert_to_intset(&t);
        assert_eq!(s.encoding_name(), "intset");
        assert_eq!(strs(&s), vec!["1", "5"]);
        s.remove_positions(&[0]);
        assert_eq!(strs(&s), vec!["5"]);
    }
}
