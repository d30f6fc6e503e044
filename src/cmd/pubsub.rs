//! Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//!
//! A (un)subscribe command answers with one confirmation per channel, as Redis does: several
//! replies for one command. They are encoded here, in the client's protocol (RESP3 push or RESP2
//! array), and handed back as one pre-encoded [`Reply::Raw`].

use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};

use super::{flags::*, CommandSpec, CommandTable, Ctx};
use crate::pubsub::Kind;
use crate::resp::Reply;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("pubsub").doc("2.0.0", "");
    t.add(c("subscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, subscribe).acl("@pubsub @slow"));
    t.add(c("psubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, psubscribe).acl("@pubsub @slow"));
    t.add(c("unsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, unsubscribe).acl("@pubsub @slow"));
    t.add(c("punsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, punsubscribe).acl("@pubsub @slow"));
    t.add(c("publish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, publish).acl("@pubsub @fast"));
    t.add(
        c("ssubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, ssubscribe)
            .acl("@pubsub @slow")
            .keys(1, -1, 1)
            .doc("7.0.0", ""),
    );
    t.add(
        c("sunsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, sunsubscribe)
            .acl("@pubsub @slow")
            .keys(1, -1, 1)
            .doc("7.0.0", ""),
    );
    t.add(
        c("spublish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, spublish)
            .acl("@pubsub @fast")
            .keys(1, 1, 1)
            .doc("7.0.0", ""),
    );
    let s = |name, arity, h| CommandSpec::new(name, arity, PUBSUB | LOADING | STALE, h).acl("@pubsub @slow").group("pubsub");
    t.add(c("pubsub", -2, 0, super::server_cmds::container).acl("@slow").sub(vec![
        s("channels", -2, pubsub_channels),
        s("numpat", 2, pubsub_numpat),
        s("numsub", -2, pubsub_numsub),
        s("shardchannels", -2, pubsub_shardchannels),
        s("shardnumsub", -2, pubsub_shardnumsub),
        CommandSpec::new("help", 2, LOADING | STALE, pubsub_help).acl("@slow").group("pubsub"),
    ]));
}

/// Keeps the counters other clients see in CLIENT LIST in step with the client's sets.
fn sync_counts(ctx: &mut Ctx) {
    let c = &ctx.client;
    c.shared.sub_count.store(c.subscriptions.len(), Ordering::Relaxed);
    c.shared.psub_count.store(c.patterns.len(), Ordering::Relaxed);
    c.shared.ssub_count.store(c.shard_subscriptions.len(), Ordering::Relaxed);
}

/// The count a confirmation carries: channels + patterns, or shard channels for S* commands.
fn count_for(ctx: &Ctx, kind: Kind) -> i64 {
    match kind {
        Kind::Shard => ctx.client.shard_subscriptions.len() as i64,
        _ => (ctx.client.subscriptions.len() + ctx.client.patterns.len()) as i64,
    }
}

fn confirm(out: &mut BytesMut, resp: u8, what: &str, name: Option<&Bytes>, count: i64) {
    let r = Reply::Push(vec![
        Reply::bulk_str(what),
        match name {
            Some(n) => Reply::Bulk(n.clone()),
            None => Reply::Nil,
        },
        Reply::Int(count),
    ]);
    crate::resp::encode(&r, resp, out);
}

/// Whether `reply` holds (P|S)(UN)SUBSCRIBE confirmations, which Redis sends as pushes, past
/// CLIENT REPLY OFF/SKIP.
pub fn is_confirmation(reply: &Reply) -> bool {
    let Reply::Raw(b) = reply else { return false };
    let rest = match b.first() {
        Some(b'>') | Some(b'*') if b.len() > 4 && &b[1..4] == b"3\r\n" => &b[4..],
        _ => return false,
    };
    const KINDS: [&[u8]; 6] = [
        b"$9\r\nsubscribe\r\n",
        b"$10\r\npsubscribe\r\n",
        b"$10\r\nssubscribe\r\n",
        b"$11\r\nunsubscribe\r\n",
        b"$12\r\npunsubscribe\r\n",
        b"$12\r\nsunsubscribe\r\n",
    ];
    KINDS.iter().any(|k| rest.starts_with(k))
}

fn client_set<'a>(ctx: &'a mut Ctx, kind: Kind) -> &'a mut hashbrown::HashSet<Bytes> {
    match kind {
        Kind::Channel => &mut ctx.client.subscriptions,
        Kind::Pattern => &mut ctx.client.patterns,
        Kind::Shard => &mut ctx.client.shard_subscriptions,
    }
}

fn do_subscribe(ctx: &mut Ctx, argv: &[Bytes], kind: Kind, what: &str) -> Reply {
    let mut out = BytesMut::new();
    let resp = ctx.client.resp;
    for name in &argv[1..] {
        // A copy: the argument is a slice of the connection's read buffer, which a long-lived
        // subscription would otherwise keep allocated whole.
        let name = &Bytes::copy_from_slice(name);
        if client_set(ctx, kind).insert(name.clone()) {
            let shared = ctx.client.shared.clone();
            ctx.srv.pubsub.subscribe(kind, name, &shared);
        }
        sync_counts(ctx);
        let n = count_for(ctx, kind);
        confirm(&mut out, resp, what, Some(name), n);
    }
    Reply::Raw(out.freeze())
}

fn do_unsubscribe(ctx: &mut Ctx, argv: &[Bytes], kind: Kind, what: &str) -> Reply {
    let mut out = BytesMut::new();
    let resp = ctx.client.resp;
    let id = ctx.client.id;
    let names: Vec<Bytes> = if argv.len() > 1 { argv[1..].to_vec() } else { client_set(ctx, kind).iter().cloned().collect() };
    if names.is_empty() {
        let n = count_for(ctx, kind);
        confirm(&mut out, resp, what, None, n);
        return Reply::Raw(out.freeze());
    }
    for name in &names {
        if client_set(ctx, kind).remove(name) {
            ctx.srv.pubsub.unsubscribe(kind, name, id);
        }
        sync_counts(ctx);
        let n = count_for(ctx, kind);
        confirm(&mut out, resp, what, Some(name), n);
    }
    Reply::Raw(out.freeze())
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if ctx.client.in_script {
        return Reply::Error("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
    do_subscribe(ctx, argv, Kind::Channel, "subscribe")
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if ctx.client.in_script {
        return Reply::Error("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
    do_subscribe(ctx, argv, Kind::Pattern, "psubscribe")
}

/// SSUBSCRIBE shardchannel [shardchannel ...] (single shard: all channels are local).
fn ssubscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    // Redis refuses SSUBSCRIBE from clients that may not block: inside MULTI/EXEC and scripts.
    if ctx.no_block || ctx.client.in_script {
        return Reply::Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
    do_subscribe(ctx, argv, Kind::Shard, "ssubscribe")
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, argv, Kind::Channel, "unsubscribe")
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, argv, Kind::Pattern, "punsubscribe")
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, argv, Kind::Shard, "sunsubscribe")
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let n = ctx.srv.pubsub.publish(&argv[1], &argv[2]);
    ctx.srv.stats.pubsub_messages += 1;
    Reply::Int(n as i64)
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let n = ctx.srv.pubsub.spublish(&argv[1], &argv[2]);
    ctx.srv.stats.pubsub_messages += 1;
    Reply::Int(n as i64)
}

fn subcommand_syntax_error(argv: &[Bytes]) -> Reply {
    let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    ))
}

fn channels_of(ctx: &mut Ctx, argv: &[Bytes], kind: Kind) -> Reply {
    if argv.len() > 3 {
        return subcommand_syntax_error(argv);
    }
    let pat = argv.get(2).map(|p| &p[..]);
    let list = ctx.srv.pubsub.active(kind, pat);
    Reply::Array(list.into_iter().map(Reply::Bulk).collect())
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    channels_of(ctx, argv, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    channels_of(ctx, argv, Kind::Shard)
}

fn numsub_of(ctx: &mut Ctx, argv: &[Bytes], kind: Kind) -> Reply {
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for ch in &argv[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(ctx.srv.pubsub.count(kind, ch) as i64));
    }
    Reply::Array(out)
}

/// PUBSUB NUMSUB [channel ...]
fn pubsub_numsub(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    numsub_of(ctx, argv, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    numsub_of(ctx, argv, Kind::Shard)
}

/// PUBSUB NUMPAT: number of distinct patterns subscribed to.
fn pubsub_numpat(ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.pubsub.patterns.values().filter(|s| !s.is_empty()).count() as i64)
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Print this help.",
];

/// PUBSUB HELP
fn pubsub_help(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    Reply::Array(PUBSUB_HELP.iter().map(|l| Reply::Simple((*l).into())).collect())
}
