//! Set commands over the wire: replies, errors, RESP3 shapes, encodings.
mod common;
use common::*;

fn b(s: &str) -> V {
    V::bulk(s)
}

#[test]
fn set_basics_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SADD", "i", "3", "1", "2", "1"]), V::Int(3));
    assert_eq!(c.cmd(&["SMEMBERS", "i"]), V::bulks(&["1", "2", "3"]));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), b("intset"));
    assert_eq!(c.cmd(&["SADD", "i", "x"]), V::Int(1));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), b("listpack"));
    assert_eq!(c.cmd(&["SMEMBERS", "i"]), V::bulks(&["1", "2", "3", "x"]));
    assert_eq!(c.cmd(&["SADD", "l", "c", "a", "b"]), V::Int(3));
    assert_eq!(c.cmd(&["SMEMBERS", "l"]), V::bulks(&["c", "a", "b"]));
    assert_eq!(c.cmd(&["SMISMEMBER", "l", "a", "z"]), V::Array(vec![V::Int(1), V::Int(0)]));
    assert_eq!(c.cmd(&["SINTER", "l", "i"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["SUNION", "l", "i"]), V::bulks(&["c", "a", "b", "1", "2", "3", "x"]));
    assert_eq!(c.cmd(&["SDIFF", "i", "l"]), V::bulks(&["1", "2", "3", "x"]));
    assert_eq!(c.cmd(&["SINTERCARD", "2", "i", "i", "LIMIT", "2"]), V::Int(2));
    assert_eq!(c.cmd(&["SINTERCARD", "0", "i"]), V::err("ERR numkeys should be greater than 0"));
    assert_eq!(c.cmd(&["SINTERCARD", "3", "i"]), V::err("ERR Number of keys can't be greater than number of args"));
    assert_eq!(c.cmd(&["SINTERCARD", "1", "i", "LIMIT", "-1"]), V::err("ERR LIMIT can't be negative"));
    assert_eq!(c.cmd(&["SPOP", "i", "-1"]), V::err("ERR value is out of range, must be positive"));
    assert_eq!(c.cmd(&["SPOP", "i", "1", "2"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["SRANDMEMBER", "l", "10"]), V::bulks(&["c", "a", "b"]));
    assert_eq!(c.cmd(&["SMOVE", "l", "i", "c"]), V::Int(1));
    assert_eq!(c.cmd(&["SMOVE", "l", "i", "c"]), V::Int(0));
    assert_eq!(c.cmd(&["SPOP", "l", "10"]), V::bulks(&["a", "b"]));
    assert_eq!(c.cmd(&["EXISTS", "l"]), V::Int(0));
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["SINTER", "missing", "str"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_eq!(c.cmd(&["SMOVE", "i", "str", "1"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_eq!(c.cmd(&["SSCAN", "i", "0", "MATCH", "[12]"]), V::Array(vec![b("0"), V::bulks(&["1", "2"])]));
}

#[test]
fn store_variants_and_resp3() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SADD", "a", "1", "2", "3"]);
    c.cmd(&["SADD", "b", "2", "3", "x"]);
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "b"]), V::Int(2));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), b("intset"));
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "b", "b"]), V::Int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), b("listpack"));
    assert_eq!(c.cmd(&["SUNIONSTORE", "d", "a", "b"]), V::Int(4));
    assert_eq!(c.cmd(&["SDIFFSTORE", "d", "a", "b"]), V::Int(1));
    assert_eq!(c.cmd(&["SMEMBERS", "d"]), V::bulks(&["1"]));
    assert_eq!(c.cmd(&["SDIFFSTORE", "d", "a", "a"]), V::Int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), V::Int(0));
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["SMEMBERS", "a"]), V::Set(vec![b("1"), b("2"), b("3")]));
    assert_eq!(c.cmd(&["SMEMBERS", "missing"]), V::Set(vec![]));
    assert_eq!(c.cmd(&["SPOP", "missing", "2"]), V::Set(vec![]));
    assert_eq!(c.cmd(&["SRANDMEMBER", "a", "5"]), V::bulks(&["1", "2", "3"]));
    assert_eq!(c.cmd(&["SUNION", "a"]), V::Set(vec![b("1"), b("2"), b("3")]));
    assert_eq!(c.cmd(&["SPOP", "a", "3"]), V::Set(vec![b("1"), b("2"), b("3")]));
}

#[test]
fn encodings_follow_the_thresholds() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "set-max-listpack-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "set-max-listpack-value", "4"]);
    c.cmd(&["SADD", "i", "1", "2", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), b("intset"));
    c.cmd(&["SADD", "i", "4"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), b("hashtable"));
    c.cmd(&["SADD", "j", "1"]);
    c.cmd(&["SADD", "j", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "j"]), b("listpack"));
    c.cmd(&["SADD", "j", "abcde"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "j"]), b("hashtable"));
    c.cmd(&["SADD", "k", "a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), b("hashtable"));
    c.cmd(&["SREM", "k", "a", "b", "c"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), b("hashtable"));
    // SPOP of most of a hashtable rebuilds it from the few remaining members
    c.cmd(&["SADD", "p", "a", "b", "c", "d", "e", "f", "g"]);
    c.cmd(&["SPOP", "p", "6"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "p"]), b("listpack"));
}
