//! String and bitmap commands through the real binary: replies, errors, RESP3 shapes and hostile
//! inputs (huge offsets must be refused, never allocated).
mod common;
use common::*;

fn int(i: i64) -> V {
    V::Int(i)
}

#[test]
fn set_options_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "10", "PX", "10"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["SET", "k", "v", "NX", "XX"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["SET", "k", "v", "KEEPTTL", "PX", "10"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "x"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "0"]), V::err("ERR invalid expire time in 'set' command"));
    assert_eq!(c.cmd(&["SETEX", "k", "-1", "v"]), V::err("ERR invalid expire time in 'setex' command"));
    assert_eq!(c.cmd(&["PSETEX", "k", "0", "v"]), V::err("ERR invalid expire time in 'psetex' command"));
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "100", "EX", "200"]), V::ok());
    assert_eq!(c.cmd(&["TTL", "k"]), int(200));
    assert_eq!(c.cmd(&["SET", "k", "w", "KEEPTTL", "GET"]), V::bulk("v"));
    assert_eq!(c.cmd(&["TTL", "k"]), int(200));
    assert_eq!(c.cmd(&["SET", "k", "x", "NX", "GET"]), V::bulk("w"));
    assert_eq!(c.cmd(&["GET", "k"]), V::bulk("w"));
    assert_eq!(c.cmd(&["SET", "n", "x", "XX"]), V::Nil);
    assert_eq!(c.cmd(&["SETNX", "k", "y"]), int(0));
    assert_eq!(c.cmd(&["SETNX", "k2", "y"]), int(1));
    assert_eq!(c.cmd(&["MSET", "a", "1", "b"]), V::err("ERR wrong number of arguments for 'mset' command"));
    assert_eq!(c.cmd(&["MSETNX", "a", "1", "k", "2"]), int(0));
    assert_eq!(c.cmd(&["MGET", "a", "k"]), V::Array(vec![V::Nil, V::bulk("w")]));
}

#[test]
fn getex_and_counters() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["GETEX", "k", "PX", "50000"]), V::bulk("v"));
    assert_eq!(c.cmd(&["TTL", "k"]), int(50));
    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST"]), V::bulk("v"));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST", "EX", "1"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["GETEX", "k", "EX", "0"]), V::err("ERR invalid expire time in 'getex' command"));
    assert_eq!(c.cmd(&["GETEX", "nokey", "EX", "0"]), V::Nil);
    assert_eq!(c.cmd(&["GETDEL", "k"]), V::bulk("v"));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(c.cmd(&["INCRBY", "n", "5"]), int(5));
    assert_eq!(c.cmd(&["DECRBY", "n", "-9223372036854775808"]), V::err("ERR decrement would overflow"));
    c.cmd(&["SET", "n", "9223372036854775807"]);
    assert_eq!(c.cmd(&["INCR", "n"]), V::err("ERR increment or decrement would overflow"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "10.5"]), V::bulk("10.5"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "-0.25"]), V::bulk("10.25"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "inf"]), V::err("ERR increment would produce NaN or Infinity"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "x"]), V::err("ERR value is not a valid float"));
    c.cmd(&["SET", "s", "abc"]);
    assert_eq!(c.cmd(&["INCR", "s"]), V::err("ERR value is not an integer or out of range"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "s", "1"]), V::err("ERR value is not a valid float"));
}

#[test]
fn append_ranges_encodings() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["APPEND", "k", "12"]), int(2));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), V::bulk("int"));
    assert_eq!(c.cmd(&["APPEND", "k", "3"]), int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), V::bulk("raw"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "0", "-1"]), V::bulk("123"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "-1", "-2"]), V::bulk(""));
    assert_eq!(c.cmd(&["SUBSTR", "k", "1", "100"]), V::bulk("23"));
    assert_eq!(c.cmd(&["SETRANGE", "z", "3", "ab"]), int(5));
    assert_eq!(c.cmd(&["GET", "z"]), V::Bulk(b"\0\0\0ab".to_vec()));
    assert_eq!(c.cmd(&["SETRANGE", "z", "-1", "ab"]), V::err("ERR offset is out of range"));
    assert_eq!(
        c.cmd(&["SETRANGE", "z", "536870912", "a"]),
        V::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(c.cmd(&["SETRANGE", "z", "9223372036854775807", "a"]), V::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    assert_eq!(c.cmd(&["STRLEN", "z"]), int(5));
    c.cmd(&["SET", "e", &"x".repeat(44)]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "e"]), V::bulk("embstr"));
    c.cmd(&["SET", "e", &"x".repeat(45)]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "e"]), V::bulk("raw"));
}

#[test]
fn lcs_resp2_and_resp3() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.cmd(&["MSET", "a", "ohmytext", "b", "mynewtext"]);
    assert_eq!(c.cmd(&["LCS", "a", "b"]), V::bulk("mytext"));
    assert_eq!(c.cmd(&["LCS", "a", "b", "LEN"]), int(6));
    let range = |a: i64, b: i64| V::Array(vec![int(a), int(b)]);
    let idx = c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]);
    assert_eq!(
        idx,
        V::Array(vec![
            V::bulk("matches"),
            V::Array(vec![V::Array(vec![range(4, 7), range(5, 8), int(4)])]),
            V::bulk("len"),
            int(6),
        ])
    );
    c.cmd(&["HELLO", "3"]);
    match c.cmd(&["LCS", "a", "b", "IDX"]) {
        V::Map(m) => {
            assert_eq!(m[0].0, V::bulk("matches"));
            assert_eq!(m[1], (V::bulk("len"), int(6)));
        }
        other => panic!("expected a map, got {other:?}"),
    }
    assert_eq!(c.cmd(&["GET", "nokey"]), V::Nil);
    assert_eq!(c.cmd(&["LCS", "a", "b", "IDX", "LEN"]), V::err("ERR If you want both the length and indexes, please just use IDX."));
}

#[test]
fn bitmaps() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["SETBIT", "b", "7", "1"]), int(0));
    assert_eq!(c.cmd(&["SETBIT", "b", "7", "0"]), int(1));
    assert_eq!(c.cmd(&["SETBIT", "b", "4294967296", "1"]), V::err("ERR bit offset is not an integer or out of range"));
    assert_eq!(c.cmd(&["SETBIT", "b", "-1", "1"]), V::err("ERR bit offset is not an integer or out of range"));
    assert_eq!(c.cmd(&["SETBIT", "b", "1", "2"]), V::err("ERR bit is not an integer or out of range"));
    assert_eq!(c.cmd(&["GETBIT", "b", "4294967295"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "b"]), int(1));
    c.cmd(&["SET", "s", "foobar"]);
    assert_eq!(c.cmd(&["BITCOUNT", "s"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1"]), int(6));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "5", "30", "BIT"]), int(17));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0"]), V::err("ERR syntax error"));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "2", "-1", "BYTE"]), int(17));
    assert_eq!(c.cmd(&["BITPOS", "s", "2"]), V::err("ERR The bit argument must be 1 or 0."));
    assert_eq!(c.cmd(&["BITPOS", "nokey", "0"]), int(0));
    assert_eq!(c.cmd(&["BITOP", "NOT", "d", "s", "s"]), V::err("ERR BITOP NOT must be called with a single source key."));
    assert_eq!(c.cmd(&["BITOP", "XOR", "d", "s", "nokey"]), int(6));
    assert_eq!(c.cmd(&["GET", "d"]), V::bulk("foobar"));
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "nokey"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(
        c.cmd(&["BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "200", "OVERFLOW", "FAIL", "INCRBY", "u2", "8", "5", "GET", "u8", "0"]),
        V::Array(vec![int(127), V::Nil, int(127)])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "f", "GET", "u8", "#9223372036854775807"]),
        V::err("ERR bit offset is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["BITFIELD", "f", "SET", "u64", "0", "1"]), V::err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."));
    assert_eq!(c.cmd(&["BITFIELD", "f", "OVERFLOW", "X"]), V::err("ERR Invalid OVERFLOW type specified"));
    assert_eq!(c.cmd(&["BITFIELD_RO", "f", "SET", "u8", "0", "1"]), V::err("ERR BITFIELD_RO only supports the GET subcommand"));
    assert_eq!(c.cmd(&["BITFIELD_RO", "f", "GET", "i8", "0"]), V::Array(vec![int(127)]));
}

/// Redis's bitops.tcl "SETBIT/BITFIELD only increase dirty when the value changed": creating the
/// key counts one change, a write that changes nothing counts none, BITFIELD counts each field.
#[test]
fn setbit_bitfield_dirty_counts() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    let dirty = |c: &mut Client| -> i64 {
        let info = c.cmd(&["INFO", "persistence"]).text();
        info.lines().find_map(|l| l.strip_prefix("rdb_changes_since_last_save:")).unwrap().trim().parse().unwrap()
    };
    let d0 = dirty(&mut c);
    c.cmd(&["SETBIT", "foo", "0", "0"]);
    c.cmd(&["BITFIELD", "foo2", "SET", "i5", "0", "0"]);
    let d1 = dirty(&mut c);
    assert_eq!(d1, d0 + 2);
    c.cmd(&["SETBIT", "foo", "0", "0"]);
    c.cmd(&["BITFIELD", "foo2", "SET", "i5", "0", "0"]);
    assert_eq!(dirty(&mut c), d1);
    c.cmd(&["SETBIT", "foo", "0", "1"]);
    c.cmd(&["SETBIT", "foo", "0", "1"]);
    c.cmd(&["BITFIELD", "foo2", "SET", "i5", "0", "1", "SET", "i5", "5", "1"]);
    assert_eq!(dirty(&mut c), d1 + 3);
}
