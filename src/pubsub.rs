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

/// The three kinds of subscriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
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

    /// Delivers a message to shard channel subscribers (SPUBLISH); returns how many received it.
    pub fn spublish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let mut n = 0;
        if let Some(subs) = self.shard_channels.get(channel) {
            for c in subs.values() {
                let msg = Reply::Push(vec![
                    Reply::bulk_str("smessage"),
                    Reply::bulk_slice(channel),
                    Reply::bulk_slice(message),
                ]);
                if c.push.send(msg).is_ok() {
                    n += 1;
                }
            }
        }
        n
    }

    fn map_mut(&mut self, kind: Kind) -> &mut HashMap<Bytes, HashMap<u64, Arc<ClientShared>>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// The registry of one kind of subscription.
    pub fn map(&self, kind: Kind) -> &HashMap<Bytes, HashMap<u64, Arc<ClientShared>>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard_channels,
        }
    }

    /// Registers a subscription; returns false if the client already had it.
    pub fn subscribe(&mut self, kind: Kind, name: &Bytes, client: &Arc<ClientShared>) -> bool {
        let subs = self.map_mut(kind).entry(name.clone()).or_default();
        subs.insert(client.id, client.clone()).is_none()
    }

    /// Removes a subscription; returns whether it existed.
    pub fn unsubscribe(&mut self, kind: Kind, name: &[u8], id: u64) -> bool {
        let map = self.map_mut(kind);
        let Some(subs) = map.get_mut(name) else { return false };
        let had = subs.remove(&id).is_some();
        if subs.is_empty() {
            map.remove(name);
        }
        had
    }

    /// Active channels (at least one subscriber) of `kind` matching `pattern` (all when `None`).
    pub fn active(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.map(kind)
            .iter()
            .filter(|(_, subs)| !subs.is_empty())
            .filter(|(name, _)| pattern.map_or(true, |p| crate::util::glob_match(p, name, false)))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Number of subscribers of one channel.
    pub fn count(&self, kind: Kind, name: &[u8]) -> usize {
        self.map(kind).get(name).map_or(0, |s| s.len())
    }

    /// Removes every subscription of a disconnected (or RESET) client.
    pub fn remove_client(&mut self, id: u64) {
        for map in [&mut self.channels, &mut self.patterns, &mut self.shard_channels] {
            map.retain(|_, subs| {
                if let Some(cs) = subs.remove(&id) {
                    cs.ssub_count.store(0, std::sync::atomic::Ordering::Relaxed);
                }
                !subs.is_empty()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn client(id: u64) -> (Arc<ClientShared>, mpsc::UnboundedReceiver<Reply>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Arc::new(ClientShared::new(id, String::new(), String::new(), -1, tx)), rx)
    }

    #[test]
    fn subscribe_publish_unsubscribe() {
        let mut ps = PubSub::default();
        let (a, mut arx) = client(1);
        let (b, mut brx) = client(2);
        let ch = Bytes::from_static(b"news");
        assert!(ps.subscribe(Kind::Channel, &ch, &a));
        assert!(!ps.subscribe(Kind::Channel, &ch, &a));
        assert!(ps.subscribe(Kind::Pattern, &Bytes::from_static(b"n*"), &b));
        assert!(ps.subscribe(Kind::Shard, &Bytes::from_static(b"s"), &b));
        assert_eq!(ps.publish(b"news", b"m"), 2);
        assert!(matches!(arx.try_recv(), Ok(Reply::Push(v)) if v.len() == 3));
        assert!(matches!(brx.try_recv(), Ok(Reply::Push(v)) if v.len() == 4));
        assert_eq!(ps.publish(b"s", b"m"), 0);
        assert_eq!(ps.spublish(b"s", b"m"), 1);
        assert!(matches!(brx.try_recv(), Ok(Reply::Push(v)) if v[0] == Reply::bulk_str("smessage")));
        assert_eq!(ps.count(Kind::Channel, b"news"), 1);
        assert_eq!(ps.active(Kind::Channel, None), vec![ch.clone()]);
        assert_eq!(ps.active(Kind::Channel, Some(b"x*")), Vec::<Bytes>::new());
        assert!(ps.unsubscribe(Kind::Channel, b"news", 1));
        assert!(!ps.unsubscribe(Kind::Channel, b"news", 1));
        assert!(ps.channels.is_empty(), "empty channels are dropped");
        b.ssub_count.store(1, std::sync::atomic::Ordering::Relaxed);
        ps.remove_client(2);
        assert!(ps.patterns.is_empty() && ps.shard_channels.is_empty());
        assert_eq!(b.ssub_count.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn event_flags_round_trip() {
        use crate::cmd::notify::*;
        let f = keyspace_event_flags("KEA");
        assert!(f & NOTIFY_KEYSPACE != 0 && f & NOTIFY_KEYEVENT != 0 && f & STRING != 0 && f & EXPIRED != 0);
        assert_eq!(f & KEY_MISS, 0);
        assert_eq!(keyspace_event_string(f), "AKE");
        assert_eq!(keyspace_event_string(keyspace_event_flags("Eg$")), "g$E");
        assert_eq!(keyspace_event_flags(""), 0);
    }
}
