//! Pub/sub registry: channel and pattern subscriptions, message fan-out, and the parsing of
//! `notify-keyspace-events`.

use std::sync::Arc;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::client::ClientShared;
use crate::resp::Reply;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;

/// Parses the `notify-keyspace-events` flags string into class bits (`A` = "g$lshzxetd").
pub fn keyspace_event_flags(s: &str) -> u32 {
    use crate::cmd::notify::*;
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => NOTIFY_KEYSPACE,
            'E' => NOTIFY_KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => 0,
        };
    }
    f
}

/// Formats class bits back into the canonical flags string (CONFIG GET).
pub fn keyspace_event_string(flags: u32) -> String {
    use crate::cmd::notify::*;
    let mut s = String::new();
    let all = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
    if flags & all == all {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        s.push('K');
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        s.push('E');
    }
    if flags & KEY_MISS != 0 {
        s.push('m');
    }
    if flags & NEW != 0 {
        s.push('n');
    }
    s
}

#[derive(Default)]
pub struct PubSub {
    /// Channel → subscribers (client id → client).
    pub channels: HashMap<Bytes, HashMap<u64, Arc<ClientShared>>>,
    /// Pattern → subscribers.
    pub patterns: HashMap<Bytes, HashMap<u64, Arc<ClientShared>>>,
    /// Shard channels (SSUBSCRIBE) → subscribers.
    pub shard_channels: HashMap<Bytes, HashMap<u64, Arc<ClientShared>>>,
}

impl PubSub {
    /// Delivers a message to channel and pattern subscribers; returns how many received it.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let mut n = 0;
        if let Some(subs) = self.channels.get(channel) {
            for c in subs.values() {
                let msg = Reply::Push(vec![
                    Reply::bulk_str("message"),
                    Reply::bulk_slice(channel),
                    Reply::bulk_slice(message),
                ]);
                if c.push.send(msg).is_ok() {
                    n += 1;
                }
            }
        }
        if !self.patterns.is_empty() {
            for (pat, subs) in &self.patterns {
                if crate::util::glob_match(pat, channel, false) {
                    for c in subs.values() {
                        let msg = Reply::Push(vec![
                            Reply::bulk_str("pmessage"),
                            Reply::Bulk(pat.clone()),
                            Reply::bulk_slice(channel),
                            Reply::bulk_slice(message),
                        ]);
                        if c.push.send(msg).is_ok() {
                            n += 1;
                        }
                    }
                }
            }
        }
        n
    }

    /// Removes every subscription of a disconnected client.
    pub fn remove_client(&mut self, id: u64) {
        for map in [&mut self.channels, &mut self.patterns, &mut self.shard_channels] {
            map.retain(|_, subs| {
                subs.remove(&id);
                !subs.is_empty()
            });
        }
    }
}
