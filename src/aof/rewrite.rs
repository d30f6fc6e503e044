//! The RESP form of a base file (`aof-use-rdb-preamble no`): every value of a snapshot as the
//! commands that rebuild it, as Redis's `rewriteAppendOnlyFileRio` emits them.

use std::io::Write;

use vk_storage::aof::command::encode_command;
use vk_storage::rdb::{RdbValue, StreamId, StreamValue};

use crate::persist::tracker::Format;
use crate::persist::Snapshot;

/// Items per variadic command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

fn id(i: StreamId) -> Vec<u8> {
    i.to_string().into_bytes()
}

/// Emits commands for a variadic command: `<cmd> key items...` in chunks.
fn chunked(buf: &mut Vec<u8>, cmd: &[u8], key: &[u8], items: Vec<Vec<u8>>, per_item: usize) {
    let per_cmd = ITEMS_PER_CMD * per_item;
    for chunk in items.chunks(per_cmd.max(1)) {
        let mut args: Vec<&[u8]> = Vec::with_capacity(chunk.len() + 2);
        args.push(cmd);
        args.push(key);
        args.extend(chunk.iter().map(|v| v.as_slice()));
        encode_command(buf, &args);
    }
}

/// The commands that rebuild one stream (Redis's `rewriteStreamObject`).
fn stream_cmds(buf: &mut Vec<u8>, key: &[u8], s: &StreamValue) {
    if !s.entries.is_empty() {
        for (eid, fields) in &s.entries {
            let idb = id(*eid);
            let mut args: Vec<&[u8]> = vec![b"XADD", key, &idb];
            for (f, v) in fields {
                args.push(f);
                args.push(v);
            }
            encode_command(buf, &args);
        }
    } else {
        // An empty stream: create it with an entry trimmed away at once (ID 0-1, as Redis;
        // XSETID below restores the real last ID).
        let idb = id(StreamId::new(0, 1));
        encode_command(buf, &[b"XADD".as_slice(), key, b"MAXLEN", b"0", &idb, b"x", b"y"]);
    }
    let last = id(s.last_id);
    let added = s.entries_added.to_string().into_bytes();
    let maxdel = id(s.max_deleted_id);
    encode_command(buf, &[b"XSETID".as_slice(), key, &last, b"ENTRIESADDED", &added, b"MAXDELETEDID", &maxdel]);
    for g in &s.groups {
        let gid = id(g.last_id);
        let read = g.entries_read.map(|n| n as i64).unwrap_or(-1).to_string().into_bytes();
        encode_command(buf, &[b"XGROUP".as_slice(), b"CREATE", key, &g.name, &gid, b"ENTRIESREAD", &read]);
        for c in &g.consumers {
            if c.pending.is_empty() {
                encode_command(buf, &[b"XGROUP".as_slice(), b"CREATECONSUMER", key, &g.name, &c.name]);
                continue;
            }
            for pid in &c.pending {
                let Some(pe) = g.pel.iter().find(|p| p.id == *pid) else { continue };
                let pidb = id(*pid);
                let time = pe.delivery_time_ms.to_string().into_bytes();
                let count = pe.delivery_count.to_string().into_bytes();
                encode_command(
                    buf,
                    &[
                        b"XCLAIM".as_slice(),
                        key,
                        &g.name,
                        &c.name,
                        b"0",
                        &pidb,
                        b"TIME",
                        &time,
                        b"RETRYCOUNT",
                        &count,
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}

/// The commands that rebuild one value.
pub fn value_cmds(buf: &mut Vec<u8>, key: &[u8], v: &RdbValue) {
    match v {
        RdbValue::String(s) => encode_command(buf, &[b"SET".as_slice(), key, s]),
        RdbValue::List(items) => chunked(buf, b"RPUSH", key, items.clone(), 1),
        RdbValue::Set(items) => chunked(buf, b"SADD", key, items.clone(), 1),
        RdbValue::SortedSet(items) => {
            let flat: Vec<Vec<u8>> = items
                .iter()
                .flat_map(|(m, s)| [crate::util::fmt_double(*s).into_bytes(), m.clone()])
                .collect();
            chunked(buf, b"ZADD", key, flat, 2)
        }
        RdbValue::Hash(items) => {
            let flat: Vec<Vec<u8>> = items.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect();
            chunked(buf, b"HMSET", key, flat, 2)
        }
        RdbValue::HashWithTtl(items) => {
            let flat: Vec<Vec<u8>> = items.iter().flat_map(|(f, v, _)| [f.clone(), v.clone()]).collect();
            chunked(buf, b"HMSET", key, flat, 2)
        }
        RdbValue::Stream(s) => stream_cmds(buf, key, s),
    }
}

/// Writes a snapshot as RESP commands: function libraries (FUNCTION LOAD), then runs of keys,
/// each after the SELECT of its database, with PEXPIREAT for keys with a TTL. Segments are
/// released as they are written; runs serialized by writers during the rewrite (see
/// `persist::tracker`) come in between.
pub fn write_resp<W: Write>(snap: Snapshot, mut w: W) -> std::io::Result<W> {
    if !matches!(snap.tracker.format, Format::Resp) {
        return Err(std::io::Error::other("snapshot captured in RDB form written as RESP"));
    }
    let mut buf = Vec::with_capacity(128 * 1024);
    for f in &snap.functions {
        encode_command(&mut buf, &[b"FUNCTION".as_slice(), b"LOAD", f]);
    }
    w.write_all(&buf)?;
    let mut cur = None;
    let t = snap.tracker.clone();
    t.drive(&mut |db, bytes| {
        if cur != Some(db) {
            let mut sel = Vec::new();
            encode_command(&mut sel, &[b"SELECT".as_slice(), db.to_string().as_bytes()]);
            w.write_all(&sel).map_err(|e| e.to_string())?;
            cur = Some(db);
        }
        w.write_all(bytes).map_err(|e| e.to_string())
    })
    .map_err(std::io::Error::other)?;
    drop(snap);
    Ok(w)
}
