//! HyperLogLog and geo commands against the real binary: exact replies (RESP2 and RESP3),
//! Redis 7.2 error texts, the HLL byte format, and what the AOF logs (GEOADD as ZADD,
//! PFCOUNT's cache update) surviving a restart.
mod common;
use common::*;

fn b(s: &str) -> V {
    V::bulk(s)
}

#[test]
fn hll_basics_and_format() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["PFADD", "h"]), V::Int(1));
    let mut empty = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    empty.extend_from_slice(&[0x7f, 0xff]);
    assert_eq!(c.cmd(&["GET", "h"]), V::Bulk(empty));
    assert_eq!(c.cmd(&["PFADD", "h", "a", "b", "c"]), V::Int(1));
    assert_eq!(c.cmd(&["PFADD", "h", "a"]), V::Int(0));
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), V::Int(3));
    assert_eq!(c.cmd(&["PFCOUNT", "h", "nokey"]), V::Int(3));
    assert_eq!(c.cmd(&["PFCOUNT", "nokey"]), V::Int(0));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "h"]), V::bulk("raw"));
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "h"]), V::Simple("sparse".into()));
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", "h"]), V::Int(1));
    assert_eq!(c.cmd(&["STRLEN", "h"]), V::Int(12304));
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), V::Int(3));
    assert_eq!(c.cmd(&["PFDEBUG", "DECODE", "h"]), V::err("ERR HLL encoding is not sparse"));
    assert_eq!(c.cmd(&["PFDEBUG", "NOPE", "h"]), V::err("ERR Unknown PFDEBUG subcommand 'NOPE'"));
    assert_eq!(c.cmd(&["PFDEBUG", "GETREG", "zz"]), V::err("ERR The specified key does not exist"));
    assert_eq!(c.cmd(&["PFSELFTEST"]), V::ok());
}

#[test]
fn hll_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "s", "hello"]);
    let e = V::err("WRONGTYPE Key is not a valid HyperLogLog string value.");
    assert_eq!(c.cmd(&["PFADD", "s", "a"]), e);
    assert_eq!(c.cmd(&["PFCOUNT", "s"]), e);
    assert_eq!(c.cmd(&["PFMERGE", "d", "s"]), e);
    c.cmd(&["LPUSH", "l", "a"]);
    assert_eq!(c.cmd(&["PFADD", "l", "a"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    c.send(&[b"SET", b"bad", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x80\x80"]);
    assert_eq!(c.read(), V::ok());
    assert_eq!(c.cmd(&["PFCOUNT", "bad"]), V::err("INVALIDOBJ Corrupted HLL object detected"));
    assert_eq!(c.cmd(&["PFADD", "bad", "x"]), V::err("INVALIDOBJ Corrupted HLL object detected"));
}

#[test]
fn hll_promotion_and_merge() {
    let s = TestServer::start(&["--hll-sparse-max-bytes", "200"]);
    let mut c = s.client();
    let mut promoted_at = None;
    for i in 0..300 {
        c.cmd(&["PFADD", "h", &format!("e{i}")]);
        if c.cmd(&["PFDEBUG", "ENCODING", "h"]) == V::Simple("dense".into()) {
            promoted_at = Some(i);
            break;
        }
        assert!(c.cmd(&["STRLEN", "h"]).int() <= 200);
    }
    assert!(promoted_at.is_some());
    c.cmd(&["PFADD", "s", "x", "y", "z"]);
    assert_eq!(c.cmd(&["PFMERGE", "m", "s", "h"]), V::ok());
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "m"]), V::Simple("dense".into()));
    let hm = c.cmd(&["PFCOUNT", "h", "s"]);
    assert_eq!(c.cmd(&["PFCOUNT", "m"]), hm);
    assert_eq!(c.cmd(&["PFMERGE", "m2", "s"]), V::ok());
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", "m2"]), V::Simple("sparse".into()));
    assert_eq!(c.cmd(&["PFCOUNT", "m2"]), V::Int(3));
}

#[test]
fn geo_replies() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"]), V::Int(2));
    assert_eq!(c.cmd(&["ZSCORE", "g", "Palermo"]), b("3479099956230698"));
    assert_eq!(c.cmd(&["GEODIST", "g", "Palermo", "Catania"]), b("166274.1516"));
    assert_eq!(c.cmd(&["GEODIST", "g", "Palermo", "Catania", "km"]), b("166.2742"));
    assert_eq!(c.cmd(&["GEODIST", "g", "Palermo", "x"]), V::Nil);
    assert_eq!(c.cmd(&["GEOHASH", "g", "Palermo", "Catania", "x"]), V::Array(vec![b("sqc8b49rny0"), b("sqdtr74hyu0"), V::Nil]));
    assert_eq!(
        c.cmd(&["GEOPOS", "g", "Palermo", "x"]),
        V::Array(vec![V::Array(vec![b("13.36138933897018433"), b("38.11555639549629859")]), V::NilArray])
    );
    assert_eq!(
        c.cmd(&["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST"]),
        V::Array(vec![V::Array(vec![b("Catania"), b("56.4413")]), V::Array(vec![b("Palermo"), b("190.4424")])])
    );
    assert_eq!(c.cmd(&["GEOADD", "g", "181", "0", "a"]), V::err("ERR invalid longitude,latitude pair 181.000000,0.000000"));
    assert_eq!(c.cmd(&["GEOADD", "g", "NX", "XX", "1", "1", "a"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["GEODIST", "g", "a", "b", "parsec"]), V::err("ERR unsupported unit provided. please use M, KM, FT, MI"));
    assert_eq!(
        c.cmd(&["GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"]),
        V::err("ERR could not decode requested zset member")
    );
    assert_eq!(
        c.cmd(&["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d", "WITHDIST"]),
        V::err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    );
    assert_eq!(c.cmd(&["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "d"]), V::Int(2));
    assert_eq!(c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]).array().len(), 4);
    // RESP3 coordinates are doubles.
    c.cmd(&["HELLO", "3"]);
    match c.cmd(&["GEOPOS", "g", "Palermo"]) {
        V::Array(v) => assert!(matches!(&v[0], V::Array(p) if matches!(p[0], V::Double(_)))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn aof_replays_geo_and_hll() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = s.client();
    c.cmd(&["GEOADD", "g", "13.361389", "38.115556", "Palermo"]);
    c.cmd(&["PFADD", "h", "a", "b", "c"]);
    assert_eq!(c.cmd(&["PFCOUNT", "h"]), V::Int(3));
    c.cmd(&["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"]);
    let before = c.cmd(&["GET", "h"]);
    let dir = s.stop();
    let incr = std::fs::read(dir.path().join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    assert!(text.contains("zadd") && text.contains("3479099956230698"), "{text}");
    assert!(!text.to_lowercase().contains("geoadd"));
    let s = TestServer::start_in(dir, &["--appendonly", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["GET", "h"]), before);
    assert_eq!(c.cmd(&["ZSCORE", "g", "Palermo"]), b("3479099956230698"));
    assert_eq!(c.cmd(&["ZCARD", "d"]), V::Int(1));
}
