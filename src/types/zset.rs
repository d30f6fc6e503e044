//! Sorted sets: a sorted vector while small (`listpack`), then a skiplist with spans plus a
//! member index (`skiplist`), as Redis 7.2 does. Conversions follow Redis: to `skiplist` when an
//! add would exceed `zset-max-listpack-entries`/`-value`; back to `listpack` only when a command
//! rebuilds the whole value (ZUNIONSTORE & co.).
//!
//! Ranks are 0-based everywhere in this API. Every positional operation of the skiplist (rank of
//! a member, element at a rank, first element of a range) is O(log n).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::db::Sds;
use crate::types::Thresholds;

#[derive(Clone, Debug)]
pub enum ZSet {
    /// (member, score) sorted by (score, member).
    Listpack(Vec<(Sds, f64)>),
    Skiplist(Box<SortedSet>),
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

/// (score, member) strictly before (s, m) in sorted-set order.
#[inline]
fn less(a_score: f64, a_ele: &[u8], s: f64, m: &[u8]) -> bool {
    a_score < s || (a_score == s && a_ele < m)
}

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone, Copy, Debug)]
struct Level {
    next: u32,
    span: u32,
}

#[derive(Clone, Debug)]
struct Node {
    ele: Sds,
    score: f64,
    back: u32,
    lv: Vec<Level>,
}

/// The large-set representation: an index-linked skiplist with spans (Redis's `zskiplist`) in
/// an arena, and a hash index from member to node (storing node numbers only, so each member is
/// stored once).
#[derive(Clone)]
pub struct SortedSet {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    level: usize,
    len: usize,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    rng: u64,
    /// Total bytes of the members (for O(1) size estimates).
    member_bytes: usize,
}

impl std::fmt::Debug for SortedSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortedSet").field("len", &self.len).finish()
    }
}

impl Default for SortedSet {
    fn default() -> Self {
        SortedSet::new()
    }
}

impl SortedSet {
    pub fn new() -> SortedSet {
        let head = Node { ele: Sds::default(), score: 0.0, back: NIL, lv: vec![Level { next: NIL, span: 0 }; MAX_LEVEL] };
        SortedSet {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            rng: 0x9E37_79B9_7F4A_7C15,
            member_bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn random_level(&mut self) -> usize {
        let mut lvl = 1;
        loop {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
            if (r >> 32) & 0xFFFF < 0x4000 && lvl < MAX_LEVEL {
                lvl += 1;
            } else {
                break;
            }
        }
        lvl
    }

    #[inline]
    fn n(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn find(&self, m: &[u8]) -> Option<u32> {
        let h = self.hasher.hash_one(m);
        let nodes = &self.nodes;
        self.index.find(h, |&i| &*nodes[i as usize].ele == m).copied()
    }

    /// Score of a member.
    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.find(m).map(|i| self.n(i).score)
    }

    /// Inserts a member known to be absent.
    pub fn insert_new(&mut self, m: &[u8], score: f64) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.n(x).lv[i];
                if l.next != NIL && less(self.n(l.next).score, &self.n(l.next).ele, score, m) {
                    rank[i] += l.span;
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let lvl = self.random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[0].lv[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node { ele: m.into(), score, back: NIL, lv: vec![Level { next: NIL, span: 0 }; lvl] };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = update[i] as usize;
            let ul = self.nodes[u].lv[i];
            self.nodes[idx as usize].lv[i] = Level { next: ul.next, span: ul.span - (rank[0] - rank[i]) };
            self.nodes[u].lv[i] = Level { next: idx, span: (rank[0] - rank[i]) + 1 };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.nodes[u as usize].lv[i].span += 1;
        }
        self.nodes[idx as usize].back = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.nodes[idx as usize].lv[0].next;
        if next != NIL {
            self.nodes[next as usize].back = idx;
        } else {
            self.tail = idx;
        }
        self.len += 1;
        self.member_bytes += m.len();
        let h = self.hasher.hash_one(m);
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.index.insert_unique(h, idx, |&i| hasher.hash_one(&*nodes[i as usize].ele));
    }

    /// Unlinks node `x` given its predecessors at every level; frees its slot and returns it.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> (Sds, f64) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let u = u as usize;
            if self.nodes[u].lv[i].next == x {
                let xl = self.n(x).lv[i];
                self.nodes[u].lv[i].span = self.nodes[u].lv[i].span + xl.span - 1;
                self.nodes[u].lv[i].next = xl.next;
            } else {
                self.nodes[u].lv[i].span -= 1;
            }
        }
        let (next, back) = (self.n(x).lv[0].next, self.n(x).back);
        if next != NIL {
            self.nodes[next as usize].back = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.nodes[0].lv[self.level - 1].next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.member_bytes -= self.nodes[x as usize].ele.len();
        let node = &mut self.nodes[x as usize];
        let ele = std::mem::take(&mut node.ele);
        let score = node.score;
        node.lv = Vec::new();
        // Drop the index entry.
        let h = self.hasher.hash_one(&*ele);
        if let Ok(e) = self.index.find_entry(h, |&i| i == x) {
            e.remove();
        }
        self.free.push(x);
        (ele, score)
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, m: &[u8]) -> Option<f64> {
        let idx = self.find(m)?;
        let score = self.n(idx).score;
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.n(x).lv[i];
                if l.next != NIL && less(self.n(l.next).score, &self.n(l.next).ele, score, m) {
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        debug_assert_eq!(self.n(x).lv[0].next, idx);
        self.unlink(idx, &update);
        if self.free.len() > 64 && self.free.len() > self.len {
            self.compact();
        }
        Some(score)
    }

    /// Rebuilds the arena without holes (after many removals).
    fn compact(&mut self) {
        let items: Vec<(Sds, f64)> = self.drain_all();
        let mut fresh = SortedSet::new();
        fresh.rng = self.rng;
        fresh.hasher = self.hasher;
        for (m, s) in items {
            fresh.append_max(m, s);
        }
        *self = fresh;
    }

    fn drain_all(&mut self) -> Vec<(Sds, f64)> {
        let mut out = Vec::with_capacity(self.len);
        let mut x = self.nodes[0].lv[0].next;
        while x != NIL {
            let next = self.n(x).lv[0].next;
            out.push((std::mem::take(&mut self.nodes[x as usize].ele), self.n(x).score));
            x = next;
        }
        out
    }

    /// Appends an element known to sort after every present element (bulk building).
    pub fn append_max(&mut self, m: Sds, score: f64) {
        // insert_new handles it correctly; the traversal is short along the top levels.
        self.insert_new(&m, score);
    }

    /// Sets a member's score (inserting it if absent). Returns true if it was added.
    pub fn set(&mut self, m: &[u8], score: f64) -> bool {
        match self.find(m) {
            None => {
                self.insert_new(m, score);
                true
            }
            Some(idx) => {
                let cur = self.n(idx);
                if cur.score == score {
                    return false;
                }
                // Update in place when the order does not change.
                let back_ok = cur.back == NIL || less(self.n(cur.back).score, &self.n(cur.back).ele, score, m);
                let next = cur.lv[0].next;
                let next_ok = next == NIL || less(score, m, self.n(next).score, &self.n(next).ele);
                if back_ok && next_ok {
                    self.nodes[idx as usize].score = score;
                } else {
                    self.remove(m);
                    self.insert_new(m, score);
                }
                false
            }
        }
    }

    /// Number of leading elements for which `pred` holds (`pred` must hold for a prefix).
    pub fn count_while(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let mut x = HEAD;
        let mut r = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.n(x).lv[i];
                if l.next != NIL && pred(&self.n(l.next).ele, self.n(l.next).score) {
                    r += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
        }
        r
    }

    /// 0-based rank of a member.
    pub fn rank(&self, m: &[u8]) -> Option<usize> {
        let score = self.score(m)?;
        let c = self.count_while(|e, s| s < score || (s == score && e <= m));
        Some(c - 1)
    }

    /// Node at 0-based rank.
    fn node_at(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.n(x).lv[i];
                if l.next != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Element at 0-based rank.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        let x = self.node_at(rank);
        (x != NIL).then(|| (&*self.n(x).ele, self.n(x).score))
    }

    /// Visits elements from rank `start`, forward or backward, while `f` returns true.
    pub fn walk(&self, start: usize, rev: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        let mut x = self.node_at(start);
        while x != NIL {
            let n = self.n(x);
            if !f(&n.ele, n.score) {
                break;
            }
            x = if rev { n.back } else { n.lv[0].next };
        }
    }

    /// Removes the elements of ranks `lo..hi` (0-based, clamped), returning them in order.
    pub fn remove_range(&mut self, lo: usize, hi: usize) -> Vec<(Sds, f64)> {
        let hi = hi.min(self.len);
        if lo >= hi {
            return Vec::new();
        }
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.n(x).lv[i];
                if l.next != NIL && traversed + l.span as usize <= lo {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let mut out = Vec::with_capacity(hi - lo);
        for _ in lo..hi {
            let victim = self.n(update[0]).lv[0].next;
            if victim == NIL {
                break;
            }
            out.push(self.unlink(victim, &update));
        }
        if self.free.len() > 64 && self.free.len() > self.len {
            self.compact();
        }
        out
    }

    /// Ascending iteration.
    pub fn iter(&self) -> SkipIter<'_> {
        SkipIter { s: self, x: self.nodes[0].lv[0].next }
    }

    /// Every member (hash order is not kept; members come in score order).
    pub fn approx_size(&self) -> usize {
        // Node (~56 bytes), its level array (~1.33 levels), the index slot, the member.
        self.member_bytes + self.len * 88 + self.free.len() * 56
    }

    /// Checks the structure's invariants (tests).
    pub fn check(&self) {
        let mut x = self.nodes[0].lv[0].next;
        let mut prev = NIL;
        let mut count = 0;
        while x != NIL {
            let n = self.n(x);
            assert_eq!(n.back, prev);
            if prev != NIL {
                assert!(less(self.n(prev).score, &self.n(prev).ele, n.score, &n.ele));
            }
            assert_eq!(self.find(&n.ele), Some(x));
            count += 1;
            prev = x;
            x = n.lv[0].next;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(count, self.len);
        assert_eq!(self.index.len(), self.len);
        assert_eq!(self.member_bytes, self.iter().map(|(m, _)| m.len()).sum::<usize>());
        for r in 0..self.len {
            let (m, _) = self.get(r).unwrap();
            assert_eq!(self.rank(m), Some(r));
        }
    }
}

pub struct SkipIter<'a> {
    s: &'a SortedSet,
    x: u32,
}

impl<'a> Iterator for SkipIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        if self.x == NIL {
            return None;
        }
        let n = &self.s.nodes[self.x as usize];
        self.x = n.lv[0].next;
        Some((&n.ele, n.score))
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Vec::new())
    }
}

impl ZSet {
    /// An empty sorted set with the encoding Redis's `zsetTypeCreate(size_hint, value_len_hint)`
    /// would pick.
    pub fn with_hint(size_hint: usize, value_len_hint: usize, th: &Thresholds) -> ZSet {
        if size_hint <= th.zset_max_listpack_entries && value_len_hint <= th.zset_max_listpack_value {
            ZSet::Listpack(Vec::new())
        } else {
            ZSet::Skiplist(Box::default())
        }
    }

    /// Builds a sorted set from pairs already sorted by (score, member) with unique members,
    /// choosing the encoding by size (as a rebuilt value is, e.g. by ZUNIONSTORE).
    pub fn from_sorted(pairs: Vec<(Sds, f64)>, th: &Thresholds) -> ZSet {
        let maxlen = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if pairs.len() <= th.zset_max_listpack_entries && maxlen <= th.zset_max_listpack_value {
            ZSet::Listpack(pairs)
        } else {
            let mut s = SortedSet::new();
            for (m, sc) in pairs {
                s.append_max(m, sc);
            }
            ZSet::Skiplist(Box::new(s))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist(s) => s.len(),
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
            ZSet::Skiplist(s) => Box::new(s.iter()),
        }
    }

    pub fn approx_size(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.iter().map(|(m, _)| m.len() + 24).sum(),
            ZSet::Skiplist(s) => s.approx_size(),
        }
    }

    pub fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.iter().find(|(e, _)| &**e == m).map(|(_, s)| *s),
            ZSet::Skiplist(s) => s.score(m),
        }
    }

    /// 0-based ascending rank of a member.
    pub fn rank(&self, m: &[u8]) -> Option<usize> {
        match self {
            ZSet::Listpack(v) => v.iter().position(|(e, _)| &**e == m),
            ZSet::Skiplist(s) => s.rank(m),
        }
    }

    /// Element at a 0-based ascending rank.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(v) => v.get(rank).map(|(m, s)| (&m[..], *s)),
            ZSet::Skiplist(s) => s.get(rank),
        }
    }

    /// Converts to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(v) = self {
            let mut s = SortedSet::new();
            for (m, sc) in std::mem::take(v) {
                s.append_max(m, sc);
            }
            *self = ZSet::Skiplist(Box::new(s));
        }
    }

    /// Redis's `zsetTypeMaybeConvert`: converts a listpack that is about to receive
    /// `size_hint` elements of up to `value_len_hint` bytes and would not fit.
    pub fn maybe_convert(&mut self, size_hint: usize, value_len_hint: usize, th: &Thresholds) {
        if matches!(self, ZSet::Listpack(_))
            && (size_hint > th.zset_max_listpack_entries || value_len_hint > th.zset_max_listpack_value)
        {
            self.convert_to_skiplist();
        }
    }

    /// Converts a skiplist back to a listpack if it fits (`zsetConvertToListpackIfNeeded`).
    pub fn shrink_if_fits(&mut self, th: &Thresholds) {
        if let ZSet::Skiplist(s) = self {
            let maxlen = s.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if s.len() <= th.zset_max_listpack_entries && maxlen <= th.zset_max_listpack_value {
                let v: Vec<(Sds, f64)> = s.iter().map(|(m, sc)| (Sds::from(m), sc)).collect();
                *self = ZSet::Listpack(v);
            }
        }
    }

    /// Sets a member's score, adding it if absent, converting to skiplist first when the
    /// addition would not fit the listpack (Redis's `zsetAdd`). Returns true if added.
    pub fn set(&mut self, m: &[u8], score: f64, th: &Thresholds) -> bool {
        if let ZSet::Listpack(v) = self {
            if let Some(pos) = v.iter().position(|(e, _)| &**e == m) {
                if v[pos].1 == score {
                    return false;
                }
                let (e, _) = v.remove(pos);
                let at = v.partition_point(|(x, s)| less(*s, x, score, m));
                v.insert(at, (e, score));
                return false;
            }
            if v.len() + 1 > th.zset_max_listpack_entries || m.len() > th.zset_max_listpack_value {
                self.convert_to_skiplist();
            } else {
                let at = v.partition_point(|(x, s)| less(*s, x, score, m));
                v.insert(at, (m.into(), score));
                return true;
            }
        }
        match self {
            ZSet::Skiplist(s) => s.set(m, score),
            ZSet::Listpack(_) => unreachable!(),
        }
    }

    /// Removes a member; returns whether it was present.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            ZSet::Listpack(v) => match v.iter().position(|(e, _)| &**e == m) {
                Some(p) => {
                    v.remove(p);
                    true
                }
                None => false,
            },
            ZSet::Skiplist(s) => s.remove(m).is_some(),
        }
    }

    /// Number of leading elements for which `pred` holds. On a listpack the scan is linear
    /// from the head, like Redis's `zzlFirstInRange`; on a skiplist it is the skiplist descent.
    pub fn count_while(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match self {
            ZSet::Listpack(v) => v.iter().position(|(m, s)| !pred(m, *s)).unwrap_or(v.len()),
            ZSet::Skiplist(s) => s.count_while(pred),
        }
    }

    /// Rank of the last element for which `pred` holds, scanning from the tail on a listpack
    /// (like `zzlLastInRange`), by descent on a skiplist.
    pub fn last_where(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> Option<usize> {
        match self {
            ZSet::Listpack(v) => v.iter().rposition(|(m, s)| pred(m, *s)),
            ZSet::Skiplist(s) => s.count_while(pred).checked_sub(1),
        }
    }

    /// Visits elements from rank `start`, forward or backward, while `f` returns true.
    pub fn walk(&self, start: usize, rev: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            ZSet::Listpack(v) => {
                if start >= v.len() {
                    return;
                }
                if rev {
                    for (m, s) in v[..=start].iter().rev() {
                        if !f(m, *s) {
                            break;
                        }
                    }
                } else {
                    for (m, s) in &v[start..] {
                        if !f(m, *s) {
                            break;
                        }
                    }
                }
            }
            ZSet::Skiplist(s) => s.walk(start, rev, f),
        }
    }

    /// Removes ranks `lo..hi`, returning the removed pairs in ascending order.
    pub fn remove_range(&mut self, lo: usize, hi: usize) -> Vec<(Sds, f64)> {
        match self {
            ZSet::Listpack(v) => {
                let hi = hi.min(v.len());
                if lo >= hi {
                    return Vec::new();
                }
                v.drain(lo..hi).collect()
            }
            ZSet::Skiplist(s) => s.remove_range(lo, hi),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(entries: usize) -> Thresholds {
        Thresholds { zset_max_listpack_entries: entries, ..Default::default() }
    }

    #[test]
    fn skiplist_matches_model() {
        let mut s = SortedSet::new();
        let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
        let mut seed = 12345u64;
        let mut rnd = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for step in 0..5000 {
            let m = format!("m{}", rnd(400)).into_bytes();
            let sc = (rnd(50) as f64) - 25.0;
            match rnd(4) {
                0 => {
                    s.remove(&m);
                    model.retain(|(e, _)| *e != m);
                }
                _ => {
                    s.set(&m, sc);
                    model.retain(|(e, _)| *e != m);
                    model.push((m.clone(), sc));
                }
            }
            if step % 500 == 0 {
                let lo = rnd(50) as usize;
                let removed = s.remove_range(lo, lo + rnd(30) as usize);
                model.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then(a.0.cmp(&b.0)));
                let hi = (lo + removed.len()).min(model.len());
                let expect: Vec<_> = model.drain(lo.min(hi)..hi).collect();
                assert_eq!(removed.iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>(), expect.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>());
                s.check();
            }
        }
        model.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then(a.0.cmp(&b.0)));
        let got: Vec<(Vec<u8>, f64)> = s.iter().map(|(m, sc)| (m.to_vec(), sc)).collect();
        assert_eq!(got, model);
        s.check();
        let mut back = Vec::new();
        s.walk(s.len() - 1, true, |m, _| {
            back.push(m.to_vec());
            true
        });
        back.reverse();
        assert_eq!(back, model.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>());
        assert_eq!(s.count_while(|_, sc| sc < 0.0), model.iter().filter(|(_, sc)| *sc < 0.0).count());
    }

    #[test]
    fn zset_converts_like_redis() {
        let t = th(3);
        let mut z = ZSet::default();
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            assert!(z.set(m.as_bytes(), i as f64, &t));
        }
        assert_eq!(z.encoding_name(), "listpack");
        assert!(!z.set(b"a", 10.0, &t));
        assert_eq!(z.iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>(), vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec()]);
        assert!(z.set(b"d", 0.5, &t));
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(z.rank(b"d"), Some(0));
        assert_eq!(z.rank(b"a"), Some(3));
        z.remove(b"a");
        z.shrink_if_fits(&t);
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(z.len(), 3);
    }
}
