//! Pub/sub across clients in RESP2 and RESP3, pattern and shard subscriptions, PUBSUB
//! introspection, and keyspace notifications end to end.
mod common;
use common::*;

fn b(s: &str) -> V {
    V::bulk(s)
}

fn arr(items: Vec<V>) -> V {
    V::Array(items)
}

fn confirm(kind: &str, ch: &str, n: i64) -> V {
    arr(vec![b(kind), b(ch), V::Int(n)])
}

fn push(items: Vec<V>) -> V {
    V::Push(items)
}

fn hello3(c: &mut Client) {
    match c.cmd(&["HELLO", "3"]) {
        V::Map(_) => {}
        other => panic!("HELLO 3 failed: {other:?}"),
    }
}

#[test]
fn subscribe_publish_resp2() {
    let s = TestServer::start(&[]);
    let mut sub = s.client();
    let mut publ = s.client();
    sub.send(&[b"SUBSCRIBE", b"a", b"b", b"a"]);
    assert_eq!(sub.read(), confirm("subscribe", "a", 1));
    assert_eq!(sub.read(), confirm("subscribe", "b", 2));
    assert_eq!(sub.read(), confirm("subscribe", "a", 2));
    assert_eq!(publ.cmd(&["PUBLISH", "a", "hello"]), V::Int(1));
    assert_eq!(sub.read(), arr(vec![b("message"), b("a"), b("hello")]));
    assert_eq!(publ.cmd(&["PUBLISH", "zzz", "hello"]), V::Int(0));

    // Restricted command set while subscribed in RESP2.
    assert_eq!(
        sub.cmd(&["GET", "k"]),
        V::err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(sub.cmd(&["PING"]), arr(vec![b("pong"), b("")]));
    assert_eq!(sub.cmd(&["PING", "x"]), arr(vec![b("pong"), b("x")]));

    sub.send(&[b"UNSUBSCRIBE", b"a", b"nope"]);
    assert_eq!(sub.read(), confirm("unsubscribe", "a", 1));
    assert_eq!(sub.read(), confirm("unsubscribe", "nope", 1));
    assert_eq!(sub.cmd(&["UNSUBSCRIBE"]), confirm("unsubscribe", "b", 0));
    // Nothing left: one reply with a nil channel.
    assert_eq!(sub.cmd(&["UNSUBSCRIBE"]), arr(vec![b("unsubscribe"), V::Nil, V::Int(0)]));
    assert_eq!(sub.cmd(&["PUNSUBSCRIBE"]), arr(vec![b("punsubscribe"), V::Nil, V::Int(0)]));
    assert_eq!(sub.cmd(&["SUNSUBSCRIBE"]), arr(vec![b("sunsubscribe"), V::Nil, V::Int(0)]));
    // Back to normal.
    assert_eq!(sub.cmd(&["GET", "k"]), V::Nil);
    assert_eq!(sub.cmd(&["PING"]), V::Simple("PONG".into()));
}

#[test]
fn pattern_subscriptions() {
    let s = TestServer::start(&[]);
    let mut sub = s.client();
    let mut publ = s.client();
    sub.send(&[b"PSUBSCRIBE", b"news.*", b"h?llo"]);
    assert_eq!(sub.read(), confirm("psubscribe", "news.*", 1));
    assert_eq!(sub.read(), confirm("psubscribe", "h?llo", 2));
    assert_eq!(sub.cmd(&["SUBSCRIBE", "news.art"]), confirm("subscribe", "news.art", 3));
    // A channel matching both a subscription and a pattern is delivered twice.
    assert_eq!(publ.cmd(&["PUBLISH", "news.art", "m"]), V::Int(2));
    let mut got = vec![sub.read(), sub.read()];
    got.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(
        got,
        vec![arr(vec![b("message"), b("news.art"), b("m")]), arr(vec![b("pmessage"), b("news.*"), b("news.art"), b("m")])]
    );
    assert_eq!(publ.cmd(&["PUBLISH", "hallo", "x"]), V::Int(1));
    assert_eq!(sub.read(), arr(vec![b("pmessage"), b("h?llo"), b("hallo"), b("x")]));
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), V::Int(2));
    assert_eq!(sub.cmd(&["PUNSUBSCRIBE", "h?llo"]), confirm("punsubscribe", "h?llo", 2));
    assert_eq!(publ.cmd(&["PUBLISH", "hallo", "x"]), V::Int(0));
    assert_eq!(publ.cmd(&["PUBSUB", "NUMPAT"]), V::Int(1));
}

#[test]
fn resp3_push_messages_and_any_command() {
    let s = TestServer::start(&[]);
    let mut sub = s.client();
    hello3(&mut sub);
    let mut publ = s.client();
    sub.send(&[b"SUBSCRIBE", b"c1", b"c2"]);
    assert_eq!(sub.read(), push(vec![b("subscribe"), b("c1"), V::Int(1)]));
    assert_eq!(sub.read(), push(vec![b("subscribe"), b("c2"), V::Int(2)]));
    // RESP3 clients may run any command while subscribed.
    assert_eq!(sub.cmd(&["SET", "k", "v"]), V::ok());
    assert_eq!(sub.cmd(&["GET", "k"]), b("v"));
    assert_eq!(sub.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(publ.cmd(&["PUBLISH", "c1", "hi"]), V::Int(1));
    assert_eq!(sub.read(), push(vec![b("message"), b("c1"), b("hi")]));
    // Publishing to itself: the reply, then the message.
    assert_eq!(sub.cmd(&["PUBLISH", "c2", "self"]), V::Int(1));
    assert_eq!(sub.read(), push(vec![b("message"), b("c2"), b("self")]));
    assert_eq!(sub.cmd(&["UNSUBSCRIBE", "c1"]), push(vec![b("unsubscribe"), b("c1"), V::Int(1)]));
    assert_eq!(sub.cmd(&["UNSUBSCRIBE"]), push(vec![b("unsubscribe"), b("c2"), V::Int(0)]));
    assert_eq!(sub.cmd(&["UNSUBSCRIBE"]), push(vec![b("unsubscribe"), V::Nil, V::Int(0)]));
}

#[test]
fn shard_channels() {
    let s = TestServer::start(&[]);
    let mut sub = s.client();
    let mut publ = s.client();
    sub.send(&[b"SSUBSCRIBE", b"s1", b"s2"]);
    assert_eq!(sub.read(), confirm("ssubscribe", "s1", 1));
    assert_eq!(sub.read(), confirm("ssubscribe", "s2", 2));
    // Shard and plain subscriptions are counted separately.
    assert_eq!(sub.cmd(&["SUBSCRIBE", "c"]), confirm("subscribe", "c", 1));
    assert_eq!(publ.cmd(&["SPUBLISH", "s1", "m"]), V::Int(1));
    assert_eq!(sub.read(), arr(vec![b("smessage"), b("s1"), b("m")]));
    assert_eq!(publ.cmd(&["PUBLISH", "s1", "m"]), V::Int(0));
    assert_eq!(publ.cmd(&["SPUBLISH", "c", "m"]), V::Int(0));
    assert_eq!(publ.cmd(&["PUBSUB", "SHARDNUMSUB", "s1", "s9"]), arr(vec![b("s1"), V::Int(1), b("s9"), V::Int(0)]));
    let mut chans = publ.cmd(&["PUBSUB", "SHARDCHANNELS"]).array().to_vec();
    chans.sort_by_key(|v| v.text());
    assert_eq!(chans, vec![b("s1"), b("s2")]);
    assert_eq!(publ.cmd(&["PUBSUB", "SHARDCHANNELS", "*2"]), arr(vec![b("s2")]));
    assert_eq!(sub.cmd(&["SUNSUBSCRIBE", "s1"]), confirm("sunsubscribe", "s1", 1));
    assert_eq!(sub.cmd(&["SUNSUBSCRIBE"]), confirm("sunsubscribe", "s2", 0));
    // SSUBSCRIBE is refused inside a transaction.
    assert_eq!(publ.cmd(&["MULTI"]), V::ok());
    assert_eq!(publ.cmd(&["SSUBSCRIBE", "x"]), V::Simple("QUEUED".into()));
    assert_eq!(publ.cmd(&["EXEC"]), arr(vec![V::err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")]));
}

#[test]
fn pubsub_introspection_and_cleanup() {
    let s = TestServer::start(&[]);
    let mut a = s.client();
    let mut c = s.client();
    a.send(&[b"SUBSCRIBE", b"x1", b"x2", b"y"]);
    for _ in 0..3 {
        a.read();
    }
    let mut chans = c.cmd(&["PUBSUB", "CHANNELS"]).array().to_vec();
    chans.sort_by_key(|v| v.text());
    assert_eq!(chans, vec![b("x1"), b("x2"), b("y")]);
    let mut xs = c.cmd(&["PUBSUB", "CHANNELS", "x*"]).array().to_vec();
    xs.sort_by_key(|v| v.text());
    assert_eq!(xs, vec![b("x1"), b("x2")]);
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB", "x1", "zz"]), arr(vec![b("x1"), V::Int(1), b("zz"), V::Int(0)]));
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB"]), arr(vec![]));
    assert_eq!(
        c.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        V::err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    assert_eq!(c.cmd(&["PUBSUB", "FOO"]), V::err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."));
    assert_eq!(c.cmd(&["SUBSCRIBE"]), V::err("ERR wrong number of arguments for 'subscribe' command"));
    // CLIENT LIST shows the subscription counts and the pubsub type.
    let list = c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]).text();
    assert_eq!(list.lines().count(), 1);
    assert!(list.contains(" sub=3 psub=0 ssub=0 ") && list.contains(" flags=P "), "{list}");
    // RESET drops every subscription.
    assert_eq!(a.cmd(&["RESET"]), V::Simple("RESET".into()));
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB", "x1"]), arr(vec![b("x1"), V::Int(0)]));
    // A disconnected subscriber is forgotten.
    let mut gone = s.client();
    assert_eq!(gone.cmd(&["SUBSCRIBE", "bye"]), confirm("subscribe", "bye", 1));
    drop(gone);
    let start = std::time::Instant::now();
    loop {
        if c.cmd(&["PUBSUB", "NUMSUB", "bye"]) == arr(vec![b("bye"), V::Int(0)]) {
            break;
        }
        assert!(start.elapsed().as_secs() < 5, "disconnected subscriber still registered");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(c.cmd(&["PUBLISH", "bye", "m"]), V::Int(0));
}

#[test]
fn keyspace_notifications() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut sub = s.client();
    assert_eq!(c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]), V::ok());
    assert_eq!(sub.cmd(&["PSUBSCRIBE", "__key*@0__:*"]), confirm("psubscribe", "__key*@0__:*", 1));
    let space = |key: &str, event: &str| {
        arr(vec![b("pmessage"), b("__key*@0__:*"), b(&format!("__keyspace@0__:{key}")), b(event)])
    };
    let event = |key: &str, event: &str| {
        arr(vec![b("pmessage"), b("__key*@0__:*"), b(&format!("__keyevent@0__:{event}")), b(key)])
    };
    assert_eq!(c.cmd(&["SET", "k", "1"]), V::ok());
    assert_eq!(sub.read(), space("k", "set"));
    assert_eq!(sub.read(), event("k", "set"));
    assert_eq!(c.cmd(&["INCR", "k"]), V::Int(2));
    assert_eq!(sub.read(), space("k", "incrby"));
    assert_eq!(sub.read(), event("k", "incrby"));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100"]), V::Int(1));
    assert_eq!(sub.read(), space("k", "expire"));
    assert_eq!(sub.read(), event("k", "expire"));
    assert_eq!(c.cmd(&["DEL", "k"]), V::Int(1));
    assert_eq!(sub.read(), space("k", "del"));
    assert_eq!(sub.read(), event("k", "del"));
    assert_eq!(c.cmd(&["SET", "t", "v", "PX", "20"]), V::ok());
    assert_eq!(sub.read(), space("t", "set"));
    assert_eq!(sub.read(), event("t", "set"));
    assert_eq!(sub.read(), space("t", "expire"));
    assert_eq!(sub.read(), event("t", "expire"));
    // Expired (by the active cycle or on access): the `expired` event.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(c.cmd(&["GET", "t"]), V::Nil);
    assert_eq!(sub.read(), space("t", "expired"));
    assert_eq!(sub.read(), event("t", "expired"));

    // Only some classes: keyevent for generic commands; string commands are silent.
    assert_eq!(c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Eg"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), V::ok());
    assert_eq!(c.cmd(&["DEL", "a"]), V::Int(1));
    assert_eq!(sub.read(), event("a", "del"));
    // Keyspace only, strings only.
    assert_eq!(c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "K$"]), V::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), V::ok());
    assert_eq!(c.cmd(&["DEL", "a"]), V::Int(1));
    assert_eq!(c.cmd(&["SET", "b", "1"]), V::ok());
    assert_eq!(sub.read(), space("a", "set"));
    assert_eq!(sub.read(), space("b", "set"));
    // A RESP3 subscriber gets pushes for its own writes, after the reply.
    let mut own = s.client();
    hello3(&mut own);
    assert_eq!(own.cmd(&["SUBSCRIBE", "__keyspace@0__:mine"]), push(vec![b("subscribe"), b("__keyspace@0__:mine"), V::Int(1)]));
    assert_eq!(own.cmd(&["SET", "mine", "1"]), V::ok());
    assert_eq!(own.read(), push(vec![b("message"), b("__keyspace@0__:mine"), b("set")]));
    assert_eq!(sub.read(), space("mine", "set"));
}

/// Redis's pubsub.tcl "PubSub messages with CLIENT REPLY OFF": (un)subscribe confirmations and
/// messages are pushes, delivered even with CLIENT REPLY OFF, in RESP3 and RESP2.
#[test]
fn confirmations_pass_client_reply_off() {
    let s = TestServer::start(&[]);
    let mut p = s.client();
    for resp3 in [true, false] {
        let mut c = s.client();
        if resp3 {
            c.cmd(&["HELLO", "3"]);
        }
        let arr = |v: Vec<V>| if resp3 { V::Push(v) } else { V::Array(v) };
        c.send(&[b"CLIENT", b"REPLY", b"OFF"]);
        c.send(&[b"SUBSCRIBE", b"channel"]);
        assert_eq!(c.read(), arr(vec![b("subscribe"), b("channel"), V::Int(1)]));
        c.send(&[b"PSUBSCRIBE", b"ch*"]);
        assert_eq!(c.read(), arr(vec![b("psubscribe"), b("ch*"), V::Int(2)]));
        assert_eq!(p.cmd(&["PUBLISH", "channel", "hello"]), V::Int(2));
        assert_eq!(c.read(), arr(vec![b("message"), b("channel"), b("hello")]));
        assert_eq!(c.read(), arr(vec![b("pmessage"), b("ch*"), b("channel"), b("hello")]));
        c.send(&[b"UNSUBSCRIBE", b"channel"]);
        assert_eq!(c.read(), arr(vec![b("unsubscribe"), b("channel"), V::Int(1)]));
        c.send(&[b"PUNSUBSCRIBE", b"ch*"]);
        assert_eq!(c.read(), arr(vec![b("punsubscribe"), b("ch*"), V::Int(0)]));
        // Ordinary replies stay off.
        c.send(&[b"PING"]);
        c.send(&[b"CLIENT", b"REPLY", b"ON"]);
        assert_eq!(c.read(), V::ok());
    }
}

/// Redis's pubsub.tcl "Keyspace notifications: new key test": class `n` fires `new` when a key
/// is created, not when it is overwritten.
#[test]
fn keyspace_new_key_events() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let mut sub = s.client();
    assert_eq!(c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "En"]), V::ok());
    sub.send(&[b"PSUBSCRIBE", b"*"]);
    assert_eq!(sub.read(), V::Array(vec![b("psubscribe"), b("*"), V::Int(1)]));
    c.cmd(&["SET", "foo", "bar"]);
    c.cmd(&["SET", "foo", "baz"]);
    c.cmd(&["SET", "bar", "bar"]);
    assert_eq!(sub.read(), V::Array(vec![b("pmessage"), b("*"), b("__keyevent@0__:new"), b("foo")]));
    assert_eq!(sub.read(), V::Array(vec![b("pmessage"), b("*"), b("__keyevent@0__:new"), b("bar")]));
}
