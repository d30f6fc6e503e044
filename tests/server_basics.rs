//! Protocol-level tests of the real binary.
mod common;
use common::*;

#[test]
fn ping_set_get_and_errors() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["PING"]), V::Simple("PONG".into()));
    assert_eq!(c.cmd(&["SET", "k", "v"]), V::ok());
    assert_eq!(c.cmd(&["GET", "k"]), V::bulk("v"));
    assert_eq!(c.cmd(&["GET"]), V::err("ERR wrong number of arguments for 'get' command"));
    assert_eq!(
        c.cmd(&["FOO", "a"]),
        V::err("ERR unknown command 'FOO', with args beginning with: 'a' ")
    );
}

#[test]
fn inline_and_pipelined_requests() {
    let s = TestServer::start(&[]);
    let mut c = s.client();
    c.send_raw(b"SET a 1\r\nINCR a\r\n");
    assert_eq!(c.read(), V::ok());
    assert_eq!(c.read(), V::Int(2));
    let mut batch = Vec::new();
    for i in 0..5000 {
        batch.extend_from_slice(format!("*3\r\n$3\r\nSET\r\n$4\r\nk{:03}\r\n$1\r\nv\r\n", i % 1000).as_bytes());
    }
    c.send_raw(&batch);
    for _ in 0..5000 {
        assert_eq!(c.read(), V::ok());
    }
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(1001));
}

#[test]
fn protocol_error_closes_only_that_client() {
    let s = TestServer::start(&[]);
    let mut bad = s.client();
    let mut good = s.client();
    bad.send_raw(b"*1\r\n$999999999999\r\n");
    assert_eq!(bad.read(), V::err("ERR Protocol error: invalid bulk length"));
    assert!(bad.is_closed());
    assert_eq!(good.cmd(&["PING"]), V::Simple("PONG".into()));
}
