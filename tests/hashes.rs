//! Hash commands over the wire: replies, errors, RESP3 shapes, encodings.
mod common;
use common::*;

fn b(s: &str) -> V {
    V::bulk(s)
}

#[test]
fn hash_basics_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["HSET", "h", "z", "1", "a", "2", "m", "3"]), V::Int(3));
    assert_eq!(c.cmd(&["HSET", "h", "a", "9", "n", "4"]), V::Int(1));
    assert_eq!(c.cmd(&["HGETALL", "h"]), V::bulks(&["z", "1", "a", "9", "m", "3", "n", "4"]));
    assert_eq!(c.cmd(&["HKEYS", "h"]), V::bulks(&["z", "a", "m", "n"]));
    assert_eq!(c.cmd(&["HVALS", "h"]), V::bulks(&["1", "9", "3", "4"]));
    assert_eq!(c.cmd(&["HMGET", "h", "a", "x"]), V::Array(vec![b("9"), V::Nil]));
    assert_eq!(c.cmd(&["HMSET", "h", "x", "1"]), V::ok());
    assert_eq!(c.cmd(&["HSETNX", "h", "x", "2"]), V::Int(0));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "m"]), V::Int(1));
    assert_eq!(c.cmd(&["HEXISTS", "h", "nope"]), V::Int(0));
    assert_eq!(c.cmd(&["HLEN", "h"]), V::Int(5));
    assert_eq!(c.cmd(&["HDEL", "h", "a", "a", "zz"]), V::Int(1));
    assert_eq!(c.cmd(&["HSET", "h", "a"]), V::err("ERR wrong number of arguments for 'hset' command"));
    assert_eq!(c.cmd(&["HMSET", "h", "a"]), V::err("ERR wrong number of arguments for 'hmset' command"));
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["HGET", "str", "a"]), V::err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_eq!(c.cmd(&["HINCRBY", "h", "z", "x"]), V::err("ERR value is not an integer or out of range"));
    c.cmd(&["HSET", "h", "s", "abc"]);
    assert_eq!(c.cmd(&["HINCRBY", "h", "s", "1"]), V::err("ERR hash value is not an integer"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "s", "1"]), V::err("ERR hash value is not a float"));
    c.cmd(&["HSET", "h", "big", "9223372036854775807"]);
    assert_eq!(c.cmd(&["HINCRBY", "h", "big", "1"]), V::err("ERR increment or decrement would overflow"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "10.5"]), b("10.5"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.1"]), b("10.6"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "0.1"]), b("0.1"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "0.2"]), b("0.3"));
    assert_eq!(c.cmd(&["HDEL", "missing", "a"]), V::Int(0));
    assert_eq!(c.cmd(&["HGETALL", "missing"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["HRANDFIELD", "missing"]), V::Nil);
    assert_eq!(c.cmd(&["HRANDFIELD", "missing", "2"]), V::Array(vec![]));
    assert_eq!(c.cmd(&["HSCAN", "missing", "0"]), V::Array(vec![b("0"), V::Array(vec![])]));
    assert_eq!(c.cmd(&["HSCAN", "h", "x"]), V::err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["HRANDFIELD", "h", "1", "x"]), V::err("ERR syntax error"));
}

#[test]
fn resp3_shapes() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["HSET", "h", "f", "v", "g", "w"]);
    assert_eq!(c.cmd(&["HGETALL", "h"]), V::Map(vec![(b("f"), b("v")), (b("g"), b("w"))]));
    assert_eq!(c.cmd(&["HGETALL", "nope"]), V::Map(vec![]));
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "5", "WITHVALUES"]),
        V::Array(vec![V::Array(vec![b("f"), b("v")]), V::Array(vec![b("g"), b("w")])])
    );
    c.cmd(&["HSET", "one", "f", "v"]);
    assert_eq!(c.cmd(&["HRANDFIELD", "one", "-2", "WITHVALUES"]), V::Array(vec![V::Array(vec![b("f"), b("v")]); 2]));
    assert_eq!(c.cmd(&["HGET", "h", "nope"]), V::Nil);
}

#[test]
fn encodings_follow_the_thresholds() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "5"]);
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "h"]), b("listpack"));
    c.cmd(&["HSET", "h", "d", "4"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "h"]), b("hashtable"));
    c.cmd(&["HDEL", "h", "a", "b", "c"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "h"]), b("hashtable"));
    c.cmd(&["HSET", "v", "a", "123456"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "v"]), b("hashtable"));
    c.cmd(&["HSET", "i", "a", "1"]);
    c.cmd(&["HINCRBY", "i", "a", "1000000"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "i"]), b("hashtable"));
    c.cmd(&["HSET", "dup", "a", "1", "a", "1", "a", "1", "a", "1"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "dup"]), b("hashtable"));
    // a hashtable scans in several steps and returns every field once
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..500 {
        args.push(format!("f{i}"));
        args.push(format!("{i}"));
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd(&a), V::Int(500));
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut calls = 0;
    loop {
        let r = c.cmd(&["HSCAN", "big", &cursor, "COUNT", "50"]);
        let items = r.array();
        cursor = items[0].text();
        for pair in items[1].array().chunks(2) {
            assert_eq!(pair[0].text(), format!("f{}", pair[1].text()));
            assert!(seen.insert(pair[0].text()));
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
    assert!(calls > 5);
}
