//! The command log as the server feeds it: encoding of execution units, and the [`LogSink`]
//! that hands them to the AOF's log writer.
//!
//! Encoding ([`encode_unit`]) is separate from the sink so that replication can reuse it:
//! the bytes of the log are exactly what a replica would receive, and an LSN (the byte offset
//! in the logical stream of everything appended, growing across AOF rewrites) is meant to
//! become the replication offset.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use vk_storage::aof::command::{encode_command, encode_select, encode_timestamp};
use vk_storage::aof::writer::LogWriter;

use crate::server::{LogSink, LSN_FAILED};

/// Encodes one execution unit (`cmds` as `Server::flush_log` hands them: in order, already
/// wrapped in MULTI/EXEC) as AOF bytes, emitting `SELECT` whenever the database changes.
/// `cur_db` is the database the log is positioned on (`None` at the start of a file).
pub fn encode_unit(out: &mut Vec<u8>, cmds: &[(usize, Vec<Bytes>)], cur_db: &mut Option<usize>) {
    for (db, argv) in cmds {
        if *cur_db != Some(*db) {
            encode_select(out, *db as u32);
            *cur_db = Some(*db);
        }
        encode_command(out, argv);
    }
}

/// The AOF sink: encodes and appends to the log writer; never does I/O itself.
pub struct AofSink {
    writer: Arc<LogWriter>,
    cur_db: Option<usize>,
    /// `aof-timestamp-enabled` (shared with the cron, which follows CONFIG SET).
    timestamps: Arc<AtomicBool>,
    last_ts: i64,
    /// Whether replies wait at all (always true: see `crate::aof` on acknowledgement).
    buf: Vec<u8>,
}

impl AofSink {
    /// A sink positioned at the start of a file (the first command gets a SELECT).
    pub fn new(writer: Arc<LogWriter>, timestamps: Arc<AtomicBool>) -> AofSink {
        AofSink { writer, cur_db: None, timestamps, last_ts: 0, buf: Vec::with_capacity(256) }
    }
}

impl LogSink for AofSink {
    fn append(&mut self, cmds: &[(usize, Vec<Bytes>)]) -> u64 {
        self.buf.clear();
        if self.timestamps.load(Ordering::Relaxed) {
            let now = crate::util::now_ms() / 1000;
            if now > self.last_ts {
                encode_timestamp(&mut self.buf, now);
                self.last_ts = now;
            }
        }
        encode_unit(&mut self.buf, cmds, &mut self.cur_db);
        match self.writer.append(&self.buf) {
            Ok(lsn) => lsn,
            Err(_) => LSN_FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn select_only_when_db_changes() {
        let mut out = Vec::new();
        let mut db = None;
        encode_unit(&mut out, &[(0, argv(&["SET", "a", "1"]))], &mut db);
        encode_unit(&mut out, &[(0, argv(&["SET", "b", "2"])), (3, argv(&["DEL", "c"]))], &mut db);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nc\r\n"
        );
        assert_eq!(db, Some(3));
    }
}
