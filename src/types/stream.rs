//! Streams: entries ordered by ID, consumer groups with their pending entries lists (PELs).
//!
//! # Layout
//! Redis keeps a stream as a radix tree of listpacks ("nodes"): each node holds up to
//! `stream-node-max-entries` (100) entries or `stream-node-max-bytes` (4096) bytes, starts with a
//! "master entry" (the field names of the node's first entry) and stores entries whose field
//! names equal the master's without their names. Deleting an entry only flags it; a node goes away
//! when its last live entry is deleted. Approximate trimming (`MAXLEN ~`) removes whole nodes, so
//! its result depends on where node boundaries fall.
//!
//! We keep the same node structure (a `BTreeMap` from the node's master ID to the node) and the
//! same node-splitting rule, with an exact account of the listpack size a node would have in
//! Redis, so `XADD ... MAXLEN ~ n`, `XTRIM ~` and `XINFO STREAM`'s `radix-tree-keys` /
//! `radix-tree-nodes` answer as Redis does. Per entry we keep one heap allocation: the values (and
//! field names when they differ from the master entry) packed length-prefixed in one buffer; a
//! deleted entry keeps only its ID and flags, as a tombstone.
//!
//! Consumer groups keep their PEL as a `BTreeMap<StreamId, Nack>` and each consumer the set of IDs
//! it owns; consumer names are shared (`Arc<[u8]>`) between a consumer and its NACKs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use vk_storage::rdb::{PendingEntry, StreamConsumer, StreamGroup, StreamValue};
pub use vk_storage::rdb::StreamId;

use crate::db::Sds;

/// The largest ID (`UINT64_MAX-UINT64_MAX`).
pub const ID_MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };
/// The smallest ID (`0-0`).
pub const ID_MIN: StreamId = StreamId { ms: 0, seq: 0 };

/// `stream-node-max-bytes` default.
pub const NODE_MAX_BYTES: usize = 4096;
/// `stream-node-max-entries` default.
pub const NODE_MAX_ENTRIES: usize = 100;

/// The next ID after `id`, or None when `id` is the largest.
pub fn id_incr(id: StreamId) -> Option<StreamId> {
    if id.seq == u64::MAX {
        if id.ms == u64::MAX {
            None
        } else {
            Some(StreamId { ms: id.ms + 1, seq: 0 })
        }
    } else {
        Some(StreamId { ms: id.ms, seq: id.seq + 1 })
    }
}

/// The ID before `id`, or None when `id` is 0-0.
pub fn id_decr(id: StreamId) -> Option<StreamId> {
    if id.seq == 0 {
        if id.ms == 0 {
            None
        } else {
            Some(StreamId { ms: id.ms - 1, seq: u64::MAX })
        }
    } else {
        Some(StreamId { ms: id.ms, seq: id.seq - 1 })
    }
}

pub fn id_string(id: StreamId) -> String {
    format!("{}-{}", id.ms, id.seq)
}

// ---------------------------------------------------------------------------------------------
// Listpack size accounting (what `lpBytes` would say for the node Redis builds).

fn lp_backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

fn lp_int_size(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8388608..=8388607).contains(&v) {
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        9
    };
    enc + 1
}

fn lp_str_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(v) = crate::util::parse_i64(s) {
            return lp_int_size(v);
        }
    }
    let l = s.len();
    let enc = if l <= 63 {
        1 + l
    } else if l <= 4095 {
        2 + l
    } else {
        5 + l
    };
    enc + lp_backlen_size(enc)
}

// ---------------------------------------------------------------------------------------------
// Entries and nodes.

fn put_varint(buf: &mut Vec<u8>, mut v: usize) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf.push(b);
            return;
        }
        buf.push(b | 0x80);
    }
}

fn get_varint(buf: &[u8], pos: &mut usize) -> usize {
    let mut v = 0usize;
    let mut shift = 0;
    while *pos < buf.len() {
        let b = buf[*pos];
        *pos += 1;
        v |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

fn get_str<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let n = get_varint(buf, pos);
    let end = (*pos + n).min(buf.len());
    let s = &buf[*pos..end];
    *pos = end;
    s
}

/// An entry of a node, as iterators hand it out: its ID and its position in the node.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef {
    pub id: StreamId,
    i: usize,
}

const F_DELETED: u8 = 1;
const F_SAME: u8 = 2;

/// One node (Redis: one listpack). Entries are kept column-wise, their data packed in one
/// buffer: `[numfields] (field value)*`, or only the values when the entry has the node's master
/// field names. A deleted entry keeps its ID and bytes (a tombstone, as in a listpack) until the
/// whole node goes away.
#[derive(Clone, Debug)]
pub struct Node {
    pub master_fields: Vec<Sds>,
    ids: Vec<StreamId>,
    flags: Vec<u8>,
    /// Start of each entry's data in `buf` (its end is the next start, or `buf.len()`).
    offsets: Vec<usize>,
    buf: Vec<u8>,
    pub live: usize,
    pub deleted: usize,
    /// Listpack bytes except the header, end byte and the live/deleted counters.
    body_bytes: usize,
}

impl Node {
    fn lp_bytes(&self) -> usize {
        6 + 1 + lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64) + self.body_bytes
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn is_deleted(&self, i: usize) -> bool {
        self.flags[i] & F_DELETED != 0
    }

    fn entry(&self, i: usize) -> EntryRef {
        EntryRef { id: self.ids[i], i }
    }

    fn find(&self, id: StreamId) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    fn mark_deleted(&mut self, i: usize) {
        self.flags[i] |= F_DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// The field/value pairs of an entry of this node.
    pub fn fields(&self, e: EntryRef) -> Vec<(&[u8], &[u8])> {
        let start = self.offsets[e.i];
        let end = self.offsets.get(e.i + 1).copied().unwrap_or(self.buf.len());
        let d = &self.buf[start..end];
        let mut pos = 0;
        if self.flags[e.i] & F_SAME != 0 {
            self.master_fields.iter().map(|f| (&f[..], get_str(d, &mut pos))).collect()
        } else {
            let n = get_varint(d, &mut pos);
            let mut out = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let f = get_str(d, &mut pos);
                let v = get_str(d, &mut pos);
                out.push((f, v));
            }
            out
        }
    }
}

/// A pending entry: delivered to `consumer`, not yet acknowledged.
#[derive(Clone, Debug)]
pub struct Nack {
    pub consumer: Arc<[u8]>,
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    pub seen_time: i64,
    /// -1 when it never read or claimed anything.
    pub active_time: i64,
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub last_id: StreamId,
    /// -1 = unknown (`SCG_INVALID_ENTRIES_READ`).
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Sds, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// Creates a consumer; returns false if it already exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(name.into(), Consumer { name: Arc::from(name), seen_time: now, active_time: -1, pel: BTreeSet::new() });
        true
    }

    /// Deletes a consumer and its pending entries; returns how many it had, or None if missing.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Removes a PEL entry (from the group and its owner); returns whether it existed.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer[..]) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Gives the PEL entry `id` to `consumer` (creating it if `create`), setting its time and
    /// count. The consumer must exist.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: i64, count: u64) {
        let cname: Arc<[u8]> = match self.consumers.get(consumer) {
            Some(c) => c.name.clone(),
            None => return,
        };
        if let Some(n) = self.pel.get_mut(&id) {
            if n.consumer[..] != *consumer {
                let old = std::mem::replace(&mut n.consumer, cname);
                if let Some(c) = self.consumers.get_mut(&old[..]) {
                    c.pel.remove(&id);
                }
            }
            n.delivery_time = time;
            n.delivery_count = count;
        } else {
            self.pel.insert(id, Nack { consumer: cname, delivery_time: time, delivery_count: count });
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// How to trim (XADD/XTRIM options).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    /// First live entry's ID at the last time it was computed (0-0 when empty).
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Sds, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Appends an entry with an ID the caller checked is greater than `last_id`.
    pub fn append(&mut self, id: StreamId, fields: &[(&[u8], &[u8])]) {
        self.append_limited(id, fields, NODE_MAX_BYTES, NODE_MAX_ENTRIES);
    }

    /// `append` with the node limits `stream-node-max-bytes` (0 = the 1 GiB listpack cap) and
    /// `stream-node-max-entries` (0 = no entry limit) as configured.
    pub fn append_limited(&mut self, id: StreamId, fields: &[(&[u8], &[u8])], max_bytes: usize, max_entries: usize) {
        const LISTPACK_MAX: usize = 1 << 30;
        let max_bytes = if max_bytes == 0 || max_bytes > LISTPACK_MAX { LISTPACK_MAX } else { max_bytes };
        let totelelen: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let mut use_tail = false;
        if let Some((_, tail)) = self.nodes.iter().next_back() {
            let full_bytes = tail.lp_bytes() + totelelen >= max_bytes;
            let full_entries = max_entries != 0 && tail.live + tail.deleted >= max_entries;
            use_tail = !full_bytes && !full_entries;
        }
        if !use_tail {
            // The tail node is full: give back its spare capacity (as Redis's lpShrinkToFit).
            if let Some((_, tail)) = self.nodes.iter_mut().next_back() {
                tail.ids.shrink_to_fit();
                tail.flags.shrink_to_fit();
                tail.offsets.shrink_to_fit();
                tail.buf.shrink_to_fit();
            }
            let mut body = lp_int_size(fields.len() as i64);
            for (f, _) in fields {
                body += lp_str_size(f);
            }
            body += lp_int_size(0);
            let node = Node {
                master_fields: fields.iter().map(|(f, _)| Sds::from(*f)).collect(),
                ids: Vec::new(),
                flags: Vec::new(),
                offsets: Vec::new(),
                buf: Vec::new(),
                live: 0,
                deleted: 0,
                body_bytes: body,
            };
            self.nodes.insert(id, node);
        }
        let (master_id, node) = self.nodes.iter_mut().next_back().expect("tail node");
        let same = node.master_fields.len() == fields.len()
            && node.master_fields.iter().zip(fields).all(|(m, (f, _))| &m[..] == *f);
        let mut bytes = lp_int_size(if same { 2 } else { 0 });
        bytes += lp_int_size(id.ms.wrapping_sub(master_id.ms) as i64);
        bytes += lp_int_size(id.seq.wrapping_sub(master_id.seq) as i64);
        node.offsets.push(node.buf.len());
        let data = &mut node.buf;
        if !same {
            bytes += lp_int_size(fields.len() as i64);
            put_varint(data, fields.len());
        }
        for (f, v) in fields {
            if !same {
                bytes += lp_str_size(f);
                put_varint(data, f.len());
                data.extend_from_slice(f);
            }
            bytes += lp_str_size(v);
            put_varint(data, v.len());
            data.extend_from_slice(v);
        }
        let lp_count = fields.len() as i64 + 3 + if same { 0 } else { fields.len() as i64 + 1 };
        bytes += lp_int_size(lp_count);
        node.body_bytes += bytes;
        node.live += 1;
        node.ids.push(id);
        node.flags.push(if same { F_SAME } else { 0 });
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Live entries with `start <= id <= end`, in ID order.
    pub fn iter_fwd(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = (&Node, EntryRef)> + '_ {
        let from = self.nodes.range(..=start).next_back().map(|(k, _)| *k).unwrap_or(ID_MIN);
        self.nodes
            .range(from..)
            .flat_map(move |(_, n)| {
                let first = n.ids.partition_point(|id| *id < start);
                (first..n.len()).map(move |i| (n, i))
            })
            .filter(|(n, i)| !n.is_deleted(*i))
            .map(|(n, i)| (n, n.entry(i)))
            .take_while(move |(_, e)| e.id <= end)
    }

    /// Live entries with `start <= id <= end`, in reverse ID order.
    pub fn iter_rev(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = (&Node, EntryRef)> + '_ {
        self.nodes
            .range(..=end)
            .rev()
            .flat_map(move |(_, n)| {
                let upto = n.ids.partition_point(|id| *id <= end);
                (0..upto).rev().map(move |i| (n, i))
            })
            .filter(|(n, i)| !n.is_deleted(*i))
            .map(|(n, i)| (n, n.entry(i)))
            .take_while(move |(_, e)| e.id >= start)
    }

    /// The fields of the live entry `id`, if there is one.
    pub fn get(&self, id: StreamId) -> Option<Vec<(&[u8], &[u8])>> {
        let (_, n) = self.nodes.range(..=id).next_back()?;
        let i = n.find(id)?;
        if n.is_deleted(i) {
            return None;
        }
        Some(n.fields(n.entry(i)))
    }

    pub fn exists(&self, id: StreamId) -> bool {
        match self.nodes.range(..=id).next_back() {
            Some((_, n)) => match n.find(id) {
                Some(i) => !n.is_deleted(i),
                None => false,
            },
            None => false,
        }
    }

    /// Flags entry `id` as deleted (XDEL); returns whether a live entry was deleted. Does not
    /// update `first_id`/`max_deleted_id` (the caller does, as XDEL does).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, n)) = self.nodes.range_mut(..=id).next_back() else { return false };
        let Some(i) = n.find(id) else { return false };
        if n.is_deleted(i) {
            return false;
        }
        n.mark_deleted(i);
        if n.live == 0 {
            self.nodes.remove(&key);
        }
        self.length -= 1;
        true
    }

    /// The last live entry's ID.
    pub fn last_valid_id(&self) -> Option<StreamId> {
        self.iter_rev(ID_MIN, ID_MAX).next().map(|(_, e)| e.id)
    }

    /// The first live entry's ID.
    pub fn first_valid_id(&self) -> Option<StreamId> {
        self.iter_fwd(ID_MIN, ID_MAX).next().map(|(_, e)| e.id)
    }

    /// Recomputes `first_id` from the entries (0-0 when empty).
    pub fn update_first_id(&mut self) {
        self.first_id = if self.length == 0 { ID_MIN } else { self.first_valid_id().unwrap_or(ID_MIN) };
    }

    /// The first entry ID in the first node, tombstones included (`streamGetEdgeID(s,1,0)`);
    /// the largest ID when the stream has no node.
    pub fn first_id_with_tombstones(&self) -> StreamId {
        self.nodes.iter().next().and_then(|(_, n)| n.ids.first()).copied().unwrap_or(ID_MAX)
    }

    /// Trims like `streamTrim`: returns how many entries were removed. `limit` 0 = unlimited.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted: u64 = 0;
        loop {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let Some((&key, node)) = self.nodes.iter_mut().next() else { break };
            let entries = node.live as u64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.ids.last().map(|id| *id < min).unwrap_or(true),
            };
            if remove_node {
                self.nodes.remove(&key);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut from_node = 0u64;
            for i in 0..node.len() {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => node.ids[i] >= min,
                };
                if stop {
                    break;
                }
                if !node.is_deleted(i) {
                    node.mark_deleted(i);
                    from_node += 1;
                    self.length -= 1;
                }
            }
            deleted += from_node;
            // A node can be left without live entries only if nothing remains at all after it;
            // Redis keeps such a node (its counters say 0 live) until something removes it.
            break;
        }
        if self.length == 0 {
            self.first_id = ID_MIN;
        } else if deleted > 0 {
            self.update_first_id();
        }
        deleted
    }

    /// Whether the range `start..` holds a tombstone (`streamRangeHasTombstones` with no end).
    pub fn range_has_tombstones(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id == ID_MIN {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of `id`, or -1.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return -1;
        }
        if self.max_deleted_id == ID_MIN || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        -1
    }

    /// The lag XINFO reports for a group, or None when it cannot be known.
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != -1 && !self.range_has_tombstones(g.last_id) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let er = self.estimate_distance(g.last_id);
        if er != -1 {
            Some(self.entries_added as i64 - er)
        } else {
            None
        }
    }

    /// Advances a group over a delivered entry `id` (updates last_id and entries_read as Redis).
    pub fn group_deliver(&self, g: &mut Group, id: StreamId) -> bool {
        if id <= g.last_id {
            return false;
        }
        if g.entries_read != -1 && !self.range_has_tombstones(id) {
            g.entries_read += 1;
        } else if self.entries_added != 0 {
            g.entries_read = self.estimate_distance(id);
        }
        g.last_id = id;
        true
    }

    /// Number of radix-tree keys (nodes) Redis would have.
    pub fn rax_keys(&self) -> usize {
        self.nodes.len()
    }

    /// Number of radix-tree nodes a Redis rax holding the node keys would have.
    pub fn rax_nodes(&self) -> usize {
        if self.nodes.is_empty() {
            return 1;
        }
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        rax_subtree(&keys, 0)
    }

    /// Number of nodes (listpacks).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn from_rdb(v: StreamValue) -> Stream {
        let mut s = Stream::new();
        for (id, fields) in &v.entries {
            let f: Vec<(&[u8], &[u8])> = fields.iter().map(|(a, b)| (&a[..], &b[..])).collect();
            s.append(*id, &f);
        }
        s.length = s.nodes.values().map(|n| n.live as u64).sum();
        s.last_id = v.last_id;
        s.first_id = v.first_id;
        s.max_deleted_id = v.max_deleted_id;
        s.entries_added = v.entries_added;
        for g in v.groups {
            let mut grp = Group::new(g.last_id, g.entries_read.map(|e| e as i64).unwrap_or(-1));
            let mut times: BTreeMap<StreamId, (u64, u64)> = BTreeMap::new();
            for p in &g.pel {
                times.insert(p.id, (p.delivery_time_ms, p.delivery_count));
            }
            for c in &g.consumers {
                let seen = c.seen_time_ms as i64;
                let active = match c.active_time_ms {
                    Some(a) => a as i64,
                    None => seen,
                };
                let name: Arc<[u8]> = Arc::from(&c.name[..]);
                let mut pel = BTreeSet::new();
                for id in &c.pending {
                    if let Some(&(t, n)) = times.get(id) {
                        pel.insert(*id);
                        grp.pel.insert(*id, Nack { consumer: name.clone(), delivery_time: t as i64, delivery_count: n });
                    }
                }
                grp.consumers.insert(c.name.clone().into_boxed_slice(), Consumer { name, seen_time: seen, active_time: active, pel });
            }
            s.groups.insert(g.name.into_boxed_slice(), grp);
        }
        s
    }

    pub fn to_rdb(&self) -> StreamValue {
        let entries = self
            .iter_fwd(ID_MIN, ID_MAX)
            .map(|(n, e)| (e.id, n.fields(e).into_iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()))
            .collect();
        let groups = self
            .groups
            .iter()
            .map(|(name, g)| StreamGroup {
                name: name.to_vec(),
                last_id: g.last_id,
                entries_read: if g.entries_read < 0 { None } else { Some(g.entries_read as u64) },
                pel: g
                    .pel
                    .iter()
                    .map(|(id, n)| PendingEntry { id: *id, delivery_time_ms: n.delivery_time as u64, delivery_count: n.delivery_count })
                    .collect(),
                consumers: g
                    .consumers
                    .iter()
                    .map(|(cn, c)| StreamConsumer {
                        name: cn.to_vec(),
                        seen_time_ms: c.seen_time as u64,
                        active_time_ms: Some(c.active_time as u64),
                        pending: c.pel.iter().copied().collect(),
                    })
                    .collect(),
            })
            .collect();
        StreamValue {
            entries,
            length: self.length,
            last_id: self.last_id,
            first_id: self.first_id,
            max_deleted_id: self.max_deleted_id,
            entries_added: self.entries_added,
            groups,
        }
    }

    pub fn approx_size(&self) -> usize {
        let mut n = 64;
        for node in self.nodes.values() {
            n += 64 + node.master_fields.iter().map(|f| f.len() + 16).sum::<usize>();
            n += node.buf.capacity() + node.ids.capacity() * 16 + node.offsets.capacity() * 8 + node.flags.capacity();
        }
        for (name, g) in &self.groups {
            n += 64 + name.len() + g.pel.len() * 64;
            n += g.consumers.iter().map(|(k, c)| 64 + k.len() + c.pel.len() * 40).sum::<usize>();
        }
        n
    }
}

/// Nodes of a compressed radix tree holding `keys` (sorted, distinct, 16 bytes), starting with a
/// node at depth `d` whose keys all share `d` bytes.
fn rax_subtree(keys: &[[u8; 16]], d: usize) -> usize {
    if d == 16 {
        return 1;
    }
    let first = &keys[0];
    let last = &keys[keys.len() - 1];
    if first[d] != last[d] {
        return 1 + rax_children(keys, d);
    }
    let mut l = d + 1;
    while l < 16 && first[l] == last[l] {
        l += 1;
    }
    if l == 16 {
        // A compressed node leading to the key's leaf.
        return 2;
    }
    // A compressed node, then a branching node at depth l.
    1 + 1 + rax_children(keys, l)
}

fn rax_children(keys: &[[u8; 16]], d: usize) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][d];
        let mut j = i + 1;
        while j < keys.len() && keys[j][d] == b {
            j += 1;
        }
        total += rax_subtree(&keys[i..j], d + 1);
        i = j;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn append_iterate_delete() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            let v = i.to_string();
            s.append(id(i, 0), &[(b"f", v.as_bytes())]);
        }
        assert_eq!(s.len(), 250);
        assert_eq!(s.rax_keys(), 3);
        let got: Vec<u64> = s.iter_fwd(id(99, 0), id(102, 0)).map(|(_, e)| e.id.ms).collect();
        assert_eq!(got, vec![99, 100, 101, 102]);
        let got: Vec<u64> = s.iter_rev(id(99, 0), id(102, 0)).map(|(_, e)| e.id.ms).collect();
        assert_eq!(got, vec![102, 101, 100, 99]);
        assert!(s.delete(id(100, 0)));
        assert!(!s.delete(id(100, 0)));
        assert_eq!(s.get(id(101, 0)).unwrap(), vec![(&b"f"[..], &b"101"[..])]);
        assert!(s.get(id(100, 0)).is_none());
        assert_eq!(s.len(), 249);
    }

    #[test]
    fn approx_trim_removes_whole_nodes() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            s.append(id(i, 0), &[(b"f", b"v")]);
        }
        assert_eq!(s.trim(Trim::MaxLen(120), true, 10000), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
        assert_eq!(s.len(), 120);
        assert_eq!(s.first_id, id(131, 0));
    }

    #[test]
    fn different_fields_round_trip() {
        let mut s = Stream::new();
        s.append(id(1, 0), &[(b"a", b"1"), (b"b", b"2")]);
        s.append(id(2, 0), &[(b"c", b"3")]);
        s.append(id(3, 0), &[(b"a", b"x"), (b"b", b"y")]);
        let v = s.to_rdb();
        let s2 = Stream::from_rdb(v.clone());
        assert_eq!(s2.to_rdb(), v);
    }

    #[test]
    fn rax_node_counts() {
        let mut s = Stream::new();
        assert_eq!(s.rax_nodes(), 1);
        s.append(id(1, 0), &[(b"f", b"v")]);
        assert_eq!(s.rax_nodes(), 2);
    }
}
