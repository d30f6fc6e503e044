//! Micro-benchmarks of the hot paths: request parsing, reply encoding, keyspace operations and
//! taking a snapshot. `cargo bench --bench core`.

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use vaultkey::db::{Db, Entry};
use vaultkey::resp::{self, Limits, Parsed, Reply};
use vaultkey::types::Value;

fn parse(c: &mut Criterion) {
    let mut input = Vec::new();
    for i in 0..32 {
        input.extend_from_slice(format!("*3\r\n$3\r\nSET\r\n$8\r\nkey:{i:04}\r\n$5\r\nvalue\r\n").as_bytes());
    }
    let limits = Limits { max_bulk_len: 512 << 20, authenticated: true };
    c.bench_function("parse 32 pipelined SETs", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(&input[..]);
            let mut n = 0;
            while let Ok(Parsed::Command(cmd)) = resp::parse_request(&mut buf, limits) {
                n += cmd.len();
            }
            black_box(n)
        })
    });
}

fn encode(c: &mut Criterion) {
    let reply = Reply::Array((0..100).map(|i| Reply::bulk_str(&format!("element-{i}"))).collect());
    c.bench_function("encode 100-element array", |b| {
        let mut out = BytesMut::with_capacity(4096);
        b.iter(|| {
            out.clear();
            resp::encode(black_box(&reply), 2, &mut out);
        })
    });
}

fn keyspace(c: &mut Criterion) {
    let mut db = Db::new();
    for i in 0..100_000 {
        db.insert(Entry::new(format!("key:{i}").into_bytes(), Value::from_bytes(b"value")));
    }
    c.bench_function("get hit in 100k keys", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % 100_000;
            black_box(db.get(format!("key:{i}").as_bytes()).is_some())
        })
    });
    c.bench_function("snapshot of 100k keys", |b| b.iter(|| black_box(db.snapshot().keys)));
    c.bench_function("insert after snapshot (copy-on-write)", |b| {
        let mut i = 0u64;
        b.iter(|| {
            let snap = db.snapshot();
            i = (i + 7919) % 100_000;
            db.insert(Entry::new(format!("key:{i}").into_bytes(), Value::from_bytes(b"new")));
            black_box(snap.keys)
        })
    });
}

criterion_group!(benches, parse, encode, keyspace);
criterion_main!(benches);
