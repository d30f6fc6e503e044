//! Lists: a deque of elements plus a model of the layout Redis 7.2 would give them, so that
//! OBJECT ENCODING answers exactly as Redis does.
//!
//! A Redis 7.2 list is a single `listpack` while it fits `list-max-listpack-size`, and becomes a
//! `quicklist` (a chain of listpack nodes) once a write would make it outgrow that limit. It goes
//! back to a listpack only when the quicklist has a single packed node holding at most half the
//! limit (`listTypeTryConvertQuicklist` with `shrinking`). Whether a quicklist has one node or
//! several depends on how it was built (pushes fill head/tail nodes, LINSERT splits and merges
//! nodes, deletions drop empty nodes), so this module keeps the node boundaries and each node's
//! listpack byte size, computed with listpack's real entry encoding sizes.
//!
//! Mutate lists only through the methods here: they keep `bytes`, the encoding flag and the node
//! model consistent with `items`.

use std::collections::VecDeque;

use crate::db::Sds;

/// Elements this large live in their own "plain" quicklist node (Redis's `packed_threshold`).
pub const PACKED_THRESHOLD: usize = 1 << 30;
/// `SIZE_SAFETY_LIMIT`: a count-limited node may not grow past this many bytes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// `SIZE_ESTIMATE_OVERHEAD`: estimated per-entry overhead when checking room in a node.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Bytes of an empty listpack (6-byte header + end marker).
const LP_EMPTY: usize = 7;
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Size in bytes of one listpack entry holding `v` (encoding + data + back-length), as
/// `lpInsertString` would store it (integers in their compact integer encodings).
pub fn lp_entry_size(v: &[u8]) -> usize {
    let enc = match crate::util::parse_i64(v) {
        Some(i) if (0..=127).contains(&i) => 1,
        Some(i) if (-4096..=4095).contains(&i) => 2,
        Some(i) if (-32768..=32767).contains(&i) => 3,
        Some(i) if (-8_388_608..=8_388_607).contains(&i) => 4,
        Some(i) if (i32::MIN as i64..=i32::MAX as i64).contains(&i) => 5,
        Some(_) => 9,
        None => {
            let l = v.len();
            if l < 64 {
                1 + l
            } else if l < 4096 {
                2 + l
            } else {
                5 + l
            }
        }
    };
    let backlen = if enc <= 127 {
        1
    } else if enc < 16383 {
        2
    } else if enc < 2_097_151 {
        3
    } else if enc < 268_435_455 {
        4
    } else {
        5
    };
    enc + backlen
}

/// `quicklistNodeLimit`: (size limit, count limit) for a fill factor.
fn node_limit(fill: i64) -> (usize, usize) {
    if fill >= 0 {
        (usize::MAX, if fill == 0 { 1 } else { fill.min(u32::MAX as i64) as usize })
    } else {
        let offset = ((-(fill as i128)) - 1).min(OPTIMIZATION_LEVEL.len() as i128 - 1) as usize;
        (OPTIMIZATION_LEVEL[offset], usize::MAX)
    }
}

/// `quicklistNodeExceedsLimit`.
fn exceeds_limit(fill: i64, new_sz: usize, new_count: usize) -> bool {
    let (sz_limit, count_limit) = node_limit(fill);
    if sz_limit != usize::MAX {
        new_sz > sz_limit
    } else {
        new_sz > SIZE_SAFETY_LIMIT || new_count > count_limit
    }
}

/// The fill factor a quicklist keeps (`quicklistSetFill` clamps it).
fn clamp_fill(fill: i64) -> i64 {
    fill.clamp(-5, (1 << 15) - 1)
}

/// One quicklist node: how many elements it holds and its listpack size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub count: usize,
    pub sz: usize,
    /// A "plain" node holding one element of at least [`PACKED_THRESHOLD`] bytes.
    pub plain: bool,
}

#[derive(Clone, Debug)]
pub struct List {
    pub items: VecDeque<Sds>,
    /// True while the list would be a quicklist in Redis.
    pub quicklist: bool,
    /// Sum of element lengths.
    pub bytes: usize,
    /// Listpack size in bytes (`lpBytes`) while listpack-encoded.
    lp_bytes: usize,
    /// Quicklist nodes (head first) while quicklist-encoded.
    nodes: VecDeque<Node>,
    /// The quicklist's fill factor, fixed when it was created (as in Redis).
    fill: i64,
}

impl Default for List {
    fn default() -> Self {
        List { items: VecDeque::new(), quicklist: false, bytes: 0, lp_bytes: LP_EMPTY, nodes: VecDeque::new(), fill: -2 }
    }
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// Builds a list from elements (head first) the way Redis builds a new list and then picks
    /// its encoding (`LIST_CONV_AUTO`): a listpack if it fits `fill`, else a quicklist filled
    /// by appending. For loaders and commands that create whole lists (SORT STORE, RDB).
    pub fn from_items(items: impl IntoIterator<Item = Sds>, fill: i64) -> List {
        let mut l = List::new();
        for it in items {
            l.bytes += it.len();
            l.lp_bytes += lp_entry_size(&it);
            l.items.push_back(it);
        }
        if l.items.iter().any(|v| v.len() >= PACKED_THRESHOLD) || exceeds_limit(fill, l.lp_bytes, l.items.len()) {
            let items = std::mem::take(&mut l.items);
            let mut q = List::new();
            q.convert_to_quicklist(fill);
            for it in items {
                q.push_back_raw(it);
            }
            return q;
        }
        l
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
    /// Quicklist node layout (empty while listpack-encoded).
    pub fn nodes(&self) -> &VecDeque<Node> {
        &self.nodes
    }
    /// Listpack byte size while listpack-encoded.
    pub fn listpack_bytes(&self) -> usize {
        self.lp_bytes
    }

    /// Element at a Redis index (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<&Sds> {
        let i = self.norm_index(index)?;
        self.items.get(i)
    }

    fn norm_index(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (i >= 0 && i < len).then_some(i as usize)
    }

    // ----- encoding conversions (listTypeTryConversion*) -----

    fn convert_to_quicklist(&mut self, fill: i64) {
        self.quicklist = true;
        self.fill = clamp_fill(fill);
        self.nodes.clear();
        if !self.items.is_empty() {
            self.nodes.push_back(Node { count: self.items.len(), sz: self.lp_bytes, plain: false });
        }
    }

    /// Before adding elements of the given sizes (LIST_CONV_GROWING): converts a listpack that
    /// would outgrow `fill` into a quicklist. Only raw lengths of the new elements are counted,
    /// on top of the listpack's real size, exactly as Redis does.
    pub fn try_convert_growing(&mut self, fill: i64, adds: &[&[u8]]) {
        if self.quicklist {
            return;
        }
        let add_bytes: usize = adds.iter().map(|a| a.len()).sum();
        if exceeds_limit(fill, self.lp_bytes.saturating_add(add_bytes), self.items.len() + adds.len()) {
            self.convert_to_quicklist(fill);
        }
    }

    /// After removing elements (LIST_CONV_SHRINKING): converts a quicklist back to a listpack
    /// if it is a single packed node within half of `fill`'s limits.
    pub fn try_convert_shrinking(&mut self, fill: i64) {
        self.try_convert_quicklist(fill, true)
    }

    /// LIST_CONV_AUTO on a quicklist (full limits).
    pub fn try_convert_auto(&mut self, fill: i64) {
        if self.quicklist {
            self.try_convert_quicklist(fill, false)
        } else {
            self.try_convert_growing(fill, &[])
        }
    }

    fn try_convert_quicklist(&mut self, fill: i64, shrinking: bool) {
        if !self.quicklist || self.nodes.len() != 1 || self.nodes[0].plain {
            return;
        }
        let (mut sz_limit, mut count_limit) = node_limit(fill);
        if shrinking {
            sz_limit /= 2;
            count_limit /= 2;
        }
        let head = self.nodes[0];
        if head.sz > sz_limit || head.count > count_limit {
            return;
        }
        self.quicklist = false;
        self.lp_bytes = head.sz;
        self.nodes.clear();
    }

    // ----- pushes and pops -----

    /// LPUSH/RPUSH of several elements: the growing check once for all, then each push.
    pub fn push_many(&mut self, fill: i64, values: &[&[u8]], head: bool) {
        self.try_convert_growing(fill, values);
        for v in values {
            if head {
                self.push_front_raw(Sds::from(*v));
            } else {
                self.push_back_raw(Sds::from(*v));
            }
        }
    }

    /// One push with the growing check (LMOVE's destination).
    pub fn push(&mut self, fill: i64, value: Sds, head: bool) {
        self.try_convert_growing(fill, &[&value]);
        if head {
            self.push_front_raw(value)
        } else {
            self.push_back_raw(value)
        }
    }

    fn allow_insert(&self, node: Option<&Node>, sz: usize) -> bool {
        match node {
            None => false,
            Some(n) => {
                if n.plain || sz >= PACKED_THRESHOLD {
                    return false;
                }
                !exceeds_limit(self.fill, n.sz + sz + SIZE_ESTIMATE_OVERHEAD, n.count + 1)
            }
        }
    }

    fn allow_merge(&self, a: Option<usize>, b: Option<usize>) -> bool {
        let (Some(a), Some(b)) = (a, b) else { return false };
        let (Some(a), Some(b)) = (self.nodes.get(a), self.nodes.get(b)) else { return false };
        if a.plain || b.plain {
            return false;
        }
        !exceeds_limit(self.fill, (a.sz + b.sz).saturating_sub(7), a.count + b.count)
    }

    /// Pushes at the head without any conversion check.
    pub fn push_front_raw(&mut self, v: Sds) {
        let es = lp_entry_size(&v);
        self.bytes += v.len();
        if !self.quicklist {
            self.lp_bytes += es;
        } else if v.len() >= PACKED_THRESHOLD {
            self.nodes.push_front(Node { count: 1, sz: v.len(), plain: true });
        } else if self.allow_insert(self.nodes.front(), v.len()) {
            let n = self.nodes.front_mut().expect("head node");
            n.count += 1;
            n.sz += es;
        } else {
            self.nodes.push_front(Node { count: 1, sz: LP_EMPTY + es, plain: false });
        }
        self.items.push_front(v);
    }

    /// Pushes at the tail without any conversion check.
    pub fn push_back_raw(&mut self, v: Sds) {
        let es = lp_entry_size(&v);
        self.bytes += v.len();
        if !self.quicklist {
            self.lp_bytes += es;
        } else if v.len() >= PACKED_THRESHOLD {
            self.nodes.push_back(Node { count: 1, sz: v.len(), plain: true });
        } else if self.allow_insert(self.nodes.back(), v.len()) {
            let n = self.nodes.back_mut().expect("tail node");
            n.count += 1;
            n.sz += es;
        } else {
            self.nodes.push_back(Node { count: 1, sz: LP_EMPTY + es, plain: false });
        }
        self.items.push_back(v);
    }

    /// Removes one element from node `ni` (its element `v`), dropping the node if it empties.
    fn node_remove_one(&mut self, ni: usize, v: &[u8]) {
        let n = &mut self.nodes[ni];
        n.count -= 1;
        if n.plain || n.count == 0 {
            self.nodes.remove(ni);
        } else {
            n.sz = n.sz.saturating_sub(lp_entry_size(v));
        }
    }

    fn account_removed(&mut self, v: &[u8]) {
        self.bytes = self.bytes.saturating_sub(v.len());
        if !self.quicklist {
            self.lp_bytes = self.lp_bytes.saturating_sub(lp_entry_size(v));
        }
    }

    /// Pops from the head (no conversion check: callers run [`List::try_convert_shrinking`]).
    pub fn pop_front(&mut self) -> Option<Sds> {
        let v = self.items.pop_front()?;
        self.account_removed(&v);
        if self.quicklist {
            self.node_remove_one(0, &v);
        }
        Some(v)
    }

    /// Pops from the tail (no conversion check).
    pub fn pop_back(&mut self) -> Option<Sds> {
        let v = self.items.pop_back()?;
        self.account_removed(&v);
        if self.quicklist {
            let last = self.nodes.len() - 1;
            self.node_remove_one(last, &v);
        }
        Some(v)
    }

    pub fn pop(&mut self, head: bool) -> Option<Sds> {
        if head {
            self.pop_front()
        } else {
            self.pop_back()
        }
    }

    /// Pops up to `n` elements from one end, in pop order (LPOP/RPOP with count, LMPOP).
    pub fn pop_many(&mut self, n: usize, head: bool) -> Vec<Sds> {
        let n = n.min(self.items.len());
        if n == 0 {
            return Vec::new();
        }
        let start = if head { 0 } else { self.items.len() - n };
        let mut out = self.del_range(start, n);
        if !head {
            out.reverse();
        }
        out
    }

    // ----- positional operations -----

    /// Node index and offset within it of element `i` (quicklist only).
    fn locate(&self, i: usize) -> (usize, usize) {
        let mut acc = 0;
        for (ni, n) in self.nodes.iter().enumerate() {
            if i < acc + n.count {
                return (ni, i - acc);
            }
            acc += n.count;
        }
        (self.nodes.len().saturating_sub(1), 0)
    }

    /// Global index of the first element of node `ni`.
    fn node_start(&self, ni: usize) -> usize {
        self.nodes.iter().take(ni).map(|n| n.count).sum()
    }

    fn sum_entry_sizes(&self, from: usize, to: usize) -> usize {
        self.items.range(from..to).map(|v| lp_entry_size(v)).sum()
    }

    /// Deletes `count` elements starting at index `start` (already clamped to the list),
    /// returning them head first (`listTypeDelRange`).
    pub fn del_range(&mut self, start: usize, count: usize) -> Vec<Sds> {
        let len = self.items.len();
        if start >= len || count == 0 {
            return Vec::new();
        }
        let end = (start + count).min(len);
        if self.quicklist {
            // Walk the nodes overlapping [start, end).
            let mut ni = 0;
            let mut acc = 0;
            while ni < self.nodes.len() && acc < end {
                let n = self.nodes[ni];
                let (ns, ne) = (acc, acc + n.count);
                let (ds, de) = (start.max(ns), end.min(ne));
                acc = ne;
                if ds >= de {
                    ni += 1;
                    continue;
                }
                if n.plain || (ds == ns && de == ne) {
                    self.nodes.remove(ni);
                } else {
                    let removed_sz = self.sum_entry_sizes(ds, de);
                    let node = &mut self.nodes[ni];
                    node.count -= de - ds;
                    node.sz = node.sz.saturating_sub(removed_sz);
                    ni += 1;
                }
            }
        }
        let out: Vec<Sds> = self.items.drain(start..end).collect();
        for v in &out {
            self.account_removed(v);
        }
        out
    }

    /// LTRIM: removes `ltrim` elements from the head and `rtrim` from the tail.
    pub fn trim(&mut self, ltrim: usize, rtrim: usize) {
        self.del_range(0, ltrim);
        let len = self.items.len();
        let r = rtrim.min(len);
        self.del_range(len - r, r);
    }

    /// LSET: replaces the element at `index`. Returns false if out of range. The caller runs
    /// the growing check before and the shrinking check after, as Redis does.
    pub fn set(&mut self, index: i64, value: Sds) -> bool {
        let Some(i) = self.norm_index(index) else { return false };
        let old_len = self.items[i].len();
        if !self.quicklist {
            self.lp_bytes = self.lp_bytes.saturating_sub(lp_entry_size(&self.items[i])) + lp_entry_size(&value);
            self.bytes = self.bytes.saturating_sub(old_len) + value.len();
            self.items[i] = value;
            return true;
        }
        let (ni, _) = self.locate(i);
        let node = self.nodes[ni];
        if !node.plain && value.len() < PACKED_THRESHOLD {
            let n = &mut self.nodes[ni];
            n.sz = n.sz.saturating_sub(lp_entry_size(&self.items[i])) + lp_entry_size(&value);
            self.bytes = self.bytes.saturating_sub(old_len) + value.len();
            self.items[i] = value;
        } else if node.plain && value.len() >= PACKED_THRESHOLD {
            self.nodes[ni].sz = value.len();
            self.bytes = self.bytes.saturating_sub(old_len) + value.len();
            self.items[i] = value;
        } else {
            // Insert after, then delete the old element (quicklistReplaceEntry).
            self.insert_at(i, value, true);
            let old = self.items[i].clone();
            let (ni, _) = self.locate(i);
            self.node_remove_one(ni, &old);
            self.items.remove(i);
            self.bytes = self.bytes.saturating_sub(old.len());
        }
        true
    }

    /// LINSERT: inserts `value` before/after the first element equal to `pivot`. Returns false
    /// if the pivot is not found. The caller runs the growing check first.
    pub fn insert(&mut self, pivot: &[u8], value: Sds, after: bool) -> bool {
        let Some(i) = self.items.iter().position(|v| &v[..] == pivot) else { return false };
        self.insert_at(i, value, after);
        true
    }

    /// Inserts next to element `i` following quicklist's `_quicklistInsert`.
    fn insert_at(&mut self, i: usize, value: Sds, after: bool) {
        let pos = if after { i + 1 } else { i };
        let es = lp_entry_size(&value);
        let sz = value.len();
        self.bytes += sz;
        if !self.quicklist {
            self.lp_bytes += es;
            self.items.insert(pos, value);
            return;
        }
        let (ni, off) = self.locate(i);
        let node = self.nodes[ni];
        let full = !self.allow_insert(Some(&node), sz);
        let at_tail = after && off + 1 == node.count;
        let at_head = !after && off == 0;
        let avail_next = at_tail && self.allow_insert(self.nodes.get(ni + 1), sz);
        let avail_prev = at_head && ni > 0 && self.allow_insert(self.nodes.get(ni - 1), sz);
        let new_packed = Node { count: 1, sz: LP_EMPTY + es, plain: false };
        if sz >= PACKED_THRESHOLD {
            let plain = Node { count: 1, sz, plain: true };
            if node.plain || at_tail || at_head {
                self.nodes.insert(if after { ni + 1 } else { ni }, plain);
            } else {
                let rest = self.split_node(ni, off, after);
                if after {
                    self.nodes.insert(ni + 1, plain);
                    self.nodes.insert(ni + 2, rest);
                } else {
                    self.nodes.insert(ni, plain);
                    self.nodes.insert(ni, rest);
                }
            }
            self.items.insert(pos, value);
            return;
        }
        if !full {
            let n = &mut self.nodes[ni];
            n.count += 1;
            n.sz += es;
        } else if at_tail && avail_next {
            let n = &mut self.nodes[ni + 1];
            n.count += 1;
            n.sz += es;
        } else if at_head && avail_prev {
            let n = &mut self.nodes[ni - 1];
            n.count += 1;
            n.sz += es;
        } else if at_tail || at_head {
            self.nodes.insert(if after { ni + 1 } else { ni }, new_packed);
        } else {
            let mut rest = self.split_node(ni, off, after);
            rest.count += 1;
            rest.sz += es;
            let center = if after {
                self.nodes.insert(ni + 1, rest);
                ni
            } else {
                self.nodes.insert(ni, rest);
                ni + 1
            };
            self.items.insert(pos, value);
            self.merge_nodes(center);
            return;
        }
        self.items.insert(pos, value);
    }

    /// `_quicklistSplitNode`: node `ni` keeps [0, off] (after) or [off, end) (before); returns
    /// the other part, to be inserted after (resp. before) it by the caller.
    fn split_node(&mut self, ni: usize, off: usize, after: bool) -> Node {
        let start = self.node_start(ni);
        let n = self.nodes[ni];
        let (keep_from, keep_to, rest_from, rest_to) = if after {
            (start, start + off + 1, start + off + 1, start + n.count)
        } else {
            (start + off, start + n.count, start, start + off)
        };
        let keep = Node { count: keep_to - keep_from, sz: LP_EMPTY + self.sum_entry_sizes(keep_from, keep_to), plain: false };
        let rest = Node { count: rest_to - rest_from, sz: LP_EMPTY + self.sum_entry_sizes(rest_from, rest_to), plain: false };
        self.nodes[ni] = keep;
        rest
    }

    fn merge(&mut self, a: usize) {
        let b = self.nodes.remove(a + 1).expect("merge pair");
        let n = &mut self.nodes[a];
        n.count += b.count;
        n.sz = n.sz + b.sz - 7;
    }

    /// `_quicklistMergeNodes` around node `c`.
    fn merge_nodes(&mut self, mut c: usize) {
        let idx = |x: isize, len: usize| (x >= 0 && (x as usize) < len).then_some(x as usize);
        let ci = c as isize;
        let len = self.nodes.len();
        if self.allow_merge(idx(ci - 1, len), idx(ci - 2, len)) {
            self.merge(c - 2);
            c -= 1;
        }
        let ci = c as isize;
        let len = self.nodes.len();
        if self.allow_merge(idx(ci + 1, len), idx(ci + 2, len)) {
            self.merge(c + 1);
        }
        let ci = c as isize;
        let len = self.nodes.len();
        let target = if self.allow_merge(Some(c), idx(ci - 1, len)) {
            self.merge(c - 1);
            c - 1
        } else {
            c
        };
        let len = self.nodes.len();
        if self.allow_merge(Some(target), idx(target as isize + 1, len)) {
            self.merge(target);
        }
    }

    /// LREM: removes up to `count` elements equal to `value` (0 = all; negative = from the
    /// tail). Returns how many were removed. The caller runs the shrinking check.
    pub fn remove(&mut self, value: &[u8], count: i64) -> usize {
        let limit = count.unsigned_abs() as usize;
        let mut idx: Vec<usize> = Vec::new();
        if count >= 0 {
            for (i, v) in self.items.iter().enumerate() {
                if &v[..] == value {
                    idx.push(i);
                    if limit != 0 && idx.len() == limit {
                        break;
                    }
                }
            }
        } else {
            for (i, v) in self.items.iter().enumerate().rev() {
                if &v[..] == value {
                    idx.push(i);
                    if idx.len() == limit {
                        break;
                    }
                }
            }
            idx.reverse();
        }
        if idx.is_empty() {
            return 0;
        }
        let es = lp_entry_size(value);
        if self.quicklist {
            // Count deletions per node in one pass; drop emptied (or plain) nodes.
            let mut k = 0;
            let mut acc = 0;
            let mut ni = 0;
            while ni < self.nodes.len() && k < idx.len() {
                let end = acc + self.nodes[ni].count;
                let mut d = 0;
                while k < idx.len() && idx[k] < end {
                    d += 1;
                    k += 1;
                }
                acc = end;
                let n = &mut self.nodes[ni];
                if d > 0 && (n.plain || d == n.count) {
                    self.nodes.remove(ni);
                } else {
                    n.count -= d;
                    n.sz = n.sz.saturating_sub(d * es);
                    ni += 1;
                }
            }
        } else {
            self.lp_bytes = self.lp_bytes.saturating_sub(idx.len() * es);
        }
        self.bytes = self.bytes.saturating_sub(idx.len() * value.len());
        let mut k = 0;
        let mut i = 0;
        self.items.retain(|_| {
            let del = k < idx.len() && idx[k] == i;
            if del {
                k += 1;
            }
            i += 1;
            !del
        });
        idx.len()
    }

    /// Checks the model's invariants (tests).
    pub fn check_consistency(&self) -> Result<(), String> {
        let bytes: usize = self.items.iter().map(|v| v.len()).sum();
        if bytes != self.bytes {
            return Err(format!("bytes {} != {}", self.bytes, bytes));
        }
        if !self.quicklist {
            let lp = LP_EMPTY + self.sum_entry_sizes(0, self.items.len());
            if lp != self.lp_bytes {
                return Err(format!("lp_bytes {} != {}", self.lp_bytes, lp));
            }
            return Ok(());
        }
        let mut acc = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.count == 0 {
                return Err(format!("empty node {i}"));
            }
            if !n.plain {
                let sz = LP_EMPTY + self.sum_entry_sizes(acc, acc + n.count);
                if sz != n.sz {
                    return Err(format!("node {i} sz {} != {}", n.sz, sz));
                }
            }
            acc += n.count;
        }
        if acc != self.items.len() {
            return Err(format!("node counts {} != len {}", acc, self.items.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Sds {
        x.as_bytes().into()
    }

    #[test]
    fn entry_sizes() {
        assert_eq!(lp_entry_size(b"0"), 2);
        assert_eq!(lp_entry_size(b"127"), 2);
        assert_eq!(lp_entry_size(b"128"), 3);
        assert_eq!(lp_entry_size(b"-4096"), 3);
        assert_eq!(lp_entry_size(b"4096"), 4);
        assert_eq!(lp_entry_size(b"100000"), 5);
        assert_eq!(lp_entry_size(b"10000000"), 6);
        assert_eq!(lp_entry_size(b"10000000000"), 10);
        assert_eq!(lp_entry_size(b"a"), 3);
        assert_eq!(lp_entry_size(b"01"), 4);
        assert_eq!(lp_entry_size(&[b'x'; 63]), 65);
        assert_eq!(lp_entry_size(&[b'x'; 64]), 67);
        assert_eq!(lp_entry_size(&[b'x'; 125]), 128);
        assert_eq!(lp_entry_size(&[b'x'; 126]), 130);
        assert_eq!(lp_entry_size(&[b'x'; 5000]), 5007);
    }

    #[test]
    fn count_fill_transitions() {
        let mut l = List::new();
        let vals: Vec<Vec<u8>> = (0..5).map(|i| format!("v{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = vals.iter().map(|v| &v[..]).collect();
        l.push_many(4, &refs[..4], false);
        assert_eq!(l.encoding_name(), "listpack");
        l.push_many(4, &refs[4..], false);
        assert_eq!(l.encoding_name(), "quicklist");
        // 5 entries: one node of 4 (converted listpack) + a new node of 1.
        assert_eq!(l.nodes().len(), 2);
        l.check_consistency().unwrap();
        l.pop_back();
        // One node of 4 > 4/2: stays quicklist.
        l.try_convert_shrinking(4);
        assert_eq!(l.encoding_name(), "quicklist");
        l.pop_back();
        l.pop_back();
        l.try_convert_shrinking(4);
        assert_eq!(l.encoding_name(), "listpack");
        l.check_consistency().unwrap();
    }

    #[test]
    fn size_fill_transitions() {
        let mut l = List::new();
        let big = vec![b'x'; 1000];
        for _ in 0..4 {
            l.push_many(-1, &[&big], false);
        }
        assert_eq!(l.encoding_name(), "listpack");
        // 7 + 4*1003 = 4019; adding 1000 raw bytes exceeds 4096.
        l.push_many(-1, &[&big], true);
        assert_eq!(l.encoding_name(), "quicklist");
        l.check_consistency().unwrap();
        while l.len() > 3 {
            l.pop_front();
            l.try_convert_shrinking(-1);
        }
        // One node of 7 + 3*1003 = 3016 bytes > 4096/2.
        assert_eq!(l.encoding_name(), "quicklist");
        l.pop_front();
        l.try_convert_shrinking(-1);
        assert_eq!(l.encoding_name(), "listpack");
        l.check_consistency().unwrap();
    }

    #[test]
    fn insert_split_merge_and_remove_keep_model_consistent() {
        let mut l = List::new();
        let vals: Vec<Vec<u8>> = (0..200).map(|i| format!("element-{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = vals.iter().map(|v| &v[..]).collect();
        l.push_many(8, &refs, false);
        assert!(l.quicklist);
        l.check_consistency().unwrap();
        for i in (0..200).step_by(7) {
            l.try_convert_growing(8, &[b"new"]);
            assert!(l.insert(format!("element-{i}").as_bytes(), s("new"), i % 2 == 0));
            l.check_consistency().unwrap();
        }
        assert_eq!(l.remove(b"new", -3), 3);
        l.check_consistency().unwrap();
        assert_eq!(l.remove(b"new", 0), 26);
        l.check_consistency().unwrap();
        let expect: Vec<Sds> = vals.iter().map(|v| Sds::from(&v[..])).collect();
        assert_eq!(l.items.iter().cloned().collect::<Vec<_>>(), expect);
        l.trim(10, 20);
        l.check_consistency().unwrap();
        assert_eq!(l.len(), 170);
        assert!(l.set(5, s("12345")));
        assert!(l.set(-1, s("x")));
        assert!(!l.set(170, s("x")));
        l.check_consistency().unwrap();
        let popped = l.pop_many(3, false);
        assert_eq!(popped[0], s("x"));
        l.check_consistency().unwrap();
        l.pop_many(1000, true);
        assert!(l.is_empty());
        l.check_consistency().unwrap();
    }

    #[test]
    fn from_items_picks_encoding() {
        let l = List::from_items((0..10).map(|i| s(&i.to_string())), 5);
        assert_eq!(l.encoding_name(), "quicklist");
        assert_eq!(l.nodes().len(), 2);
        l.check_consistency().unwrap();
        let l = List::from_items((0..10).map(|i| s(&i.to_string())), -2);
        assert_eq!(l.encoding_name(), "listpack");
    }
}
