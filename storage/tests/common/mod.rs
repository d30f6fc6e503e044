//! Test helpers: fixture discovery, reading whole files, and the converter
//! from our values to the JSON shape of `expected.jsonl`.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use vk_storage::rdb::*;

/// `<workspace root>/../shared/fixtures`; panics when missing (never skip silently).
pub fn fixtures_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    assert!(
        p.join("README.md").is_file(),
        "fixture directory {} is missing: these tests need the shared fixtures checked out beside the repository",
        p.display()
    );
    p
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file of the fixture tree.
pub fn all_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    walk(&fixtures_dir(), &mut v);
    v
}

/// Good RDB files (case dir, file) that must decode and match `expected.jsonl` when the case is a plain RDB case.
pub fn rdb_files() -> Vec<PathBuf> {
    all_files()
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            let is_rdb = s.ends_with(".rdb") || (s.contains("aof-preamble") && s.ends_with("appendonly.aof")) || s.ends_with("rdb-preamble.aof");
            is_rdb && !s.contains("damaged-") && !s.contains("corrupt_ziplist")
        })
        .collect()
}

pub struct ReadAll {
    pub keys: Vec<KeyEntry>,
    pub functions: Vec<Vec<u8>>,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub checksum: Checksum,
    pub version: u16,
    pub trailing: usize,
}

pub fn read_all_bytes(bytes: &[u8]) -> Result<ReadAll, RdbError> {
    let mut r = RdbReader::new(bytes)?;
    let version = r.version();
    let mut out = ReadAll { keys: vec![], functions: vec![], aux: vec![], checksum: Checksum::Absent, version, trailing: 0 };
    while let Some(ev) = r.next_event()? {
        match ev {
            RdbEvent::Key(k) => out.keys.push(k),
            RdbEvent::Function(f) => out.functions.push(f),
            RdbEvent::Aux { key, value } => out.aux.push((key, value)),
            RdbEvent::Eof { checksum } => out.checksum = checksum,
            _ => {}
        }
    }
    let (rest, inner) = r.into_inner();
    out.trailing = rest.len() + inner.len();
    Ok(out)
}

pub fn read_all(path: &Path) -> Result<ReadAll, RdbError> {
    let f = std::fs::File::open(path).unwrap();
    let mut r = RdbReader::new(std::io::BufReader::new(f))?;
    let version = r.version();
    let mut out = ReadAll { keys: vec![], functions: vec![], aux: vec![], checksum: Checksum::Absent, version, trailing: 0 };
    while let Some(ev) = r.next_event()? {
        match ev {
            RdbEvent::Key(k) => out.keys.push(k),
            RdbEvent::Function(f) => out.functions.push(f),
            RdbEvent::Aux { key, value } => out.aux.push((key, value)),
            RdbEvent::Eof { checksum } => out.checksum = checksum,
            _ => {}
        }
    }
    Ok(out)
}

pub fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

pub fn b64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

pub fn enc(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::String(s.to_string()),
        Err(_) => json!({ "b64": b64(b) }),
    }
}

pub fn enc_field(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => format!("b64:{}", b64(b)),
    }
}

fn id(i: StreamId) -> Value {
    Value::String(i.to_string())
}

/// Our value in the JSON shape of `expected.jsonl` (scores as JSON numbers or "inf"/"-inf" strings;
/// compare with [`same_record`]).
pub fn value_json(v: &RdbValue) -> Value {
    match v {
        RdbValue::String(s) => enc(s),
        RdbValue::List(l) => Value::Array(l.iter().map(|x| enc(x)).collect()),
        RdbValue::Set(s) => {
            let mut s = s.clone();
            s.sort();
            Value::Array(s.iter().map(|x| enc(x)).collect())
        }
        RdbValue::SortedSet(z) => {
            let mut z = z.clone();
            z.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Value::Array(z.iter().map(|(m, s)| json!([enc(m), score_str(*s)])).collect())
        }
        RdbValue::Hash(h) => {
            let mut m = Map::new();
            for (f, v) in h {
                m.insert(enc_field(f), enc(v));
            }
            Value::Object(m)
        }
        RdbValue::HashWithTtl(h) => {
            let mut m = Map::new();
            for (f, v, _) in h {
                m.insert(enc_field(f), enc(v));
            }
            Value::Object(m)
        }
        RdbValue::Stream(s) => {
            let entries: Vec<Value> = s
                .entries
                .iter()
                .map(|(i, fv)| json!([id(*i), fv.iter().flat_map(|(f, v)| [enc(f), enc(v)]).collect::<Vec<_>>()]))
                .collect();
            let mut groups: Vec<Value> = s
                .groups
                .iter()
                .map(|g| {
                    let owner = |pid: &StreamId| g.consumers.iter().find(|c| c.pending.contains(pid)).map(|c| enc(&c.name)).unwrap_or(Value::Null);
                    let mut pel = g.pel.clone();
                    pel.sort_by_key(|p| p.id);
                    let mut consumers: Vec<Value> = g.consumers.iter().map(|c| json!({"name": enc(&c.name), "pending_count": c.pending.len()})).collect();
                    consumers.sort_by_key(|c| c["name"].to_string());
                    json!({
                        "name": enc(&g.name),
                        "last_delivered_id": id(g.last_id),
                        "entries_read": g.entries_read,
                        "pending": pel.iter().map(|p| json!([id(p.id), owner(&p.id), p.delivery_count])).collect::<Vec<_>>(),
                        "consumers": consumers,
                    })
                })
                .collect();
            groups.sort_by_key(|g| g["name"].to_string());
            json!({
                "entries": entries,
                "last_id": id(s.last_id),
                "entries_added": s.entries_added,
                "max_deleted_entry_id": id(s.max_deleted_id),
                "groups": groups,
            })
        }
    }
}

fn score_str(s: f64) -> String {
    if s == f64::INFINITY {
        "inf".into()
    } else if s == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{s:?}")
    }
}

pub fn key_json(k: &KeyEntry) -> Value {
    json!({"db": k.db, "key": enc(&k.key), "type": k.value.type_name(), "value": value_json(&k.value), "expire_at_ms": k.expire_ms})
}

/// Lines like `expected.jsonl` (keys sorted by db then raw key; empty keys skipped like Redis; functions last).
pub fn to_lines(r: &ReadAll) -> Vec<Value> {
    let mut keys: Vec<&KeyEntry> = r.keys.iter().filter(|k| !k.empty).collect();
    keys.sort_by(|a, b| a.db.cmp(&b.db).then_with(|| a.key.cmp(&b.key)));
    let mut out: Vec<Value> = keys.into_iter().map(key_json).collect();
    let mut libs: Vec<Value> = r
        .functions
        .iter()
        .map(|code| {
            let text = String::from_utf8_lossy(code).to_string();
            let name = text.lines().next().and_then(|l| l.split("name=").nth(1)).unwrap_or("").split_whitespace().next().unwrap_or("").to_string();
            json!({"library_name": name, "library_code": text})
        })
        .collect();
    libs.sort_by_key(|l| l["library_name"].to_string());
    out.push(json!({ "functions": libs }));
    out
}

pub fn read_expected(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn parse_score(v: &Value) -> f64 {
    let s = v.as_str().unwrap();
    match s {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap(),
    }
}

/// Normalizes an expected or produced line for comparison: zset scores by value,
/// function entries reduced to name + code, groups/consumers sorted by the same key.
fn normalize(mut v: Value) -> Value {
    if let Some(funcs) = v.get_mut("functions").and_then(Value::as_array_mut) {
        for f in funcs.iter_mut() {
            *f = json!({"library_name": f["library_name"].clone(), "library_code": f["library_code"].clone()});
        }
        return v;
    }
    if v["type"] == "zset" {
        if let Some(arr) = v["value"].as_array_mut() {
            for pair in arr.iter_mut() {
                let s = parse_score(&pair[1]);
                pair[1] = Value::String(format!("{:?}", if s == 0.0 { 0.0 } else { s }));
            }
        }
    }
    if v["type"] == "stream" {
        if let Some(groups) = v["value"]["groups"].as_array_mut() {
            for g in groups.iter_mut() {
                if let Some(c) = g["consumers"].as_array_mut() {
                    c.sort_by_key(|c| c["name"].to_string());
                }
            }
            groups.sort_by_key(|g| g["name"].to_string());
        }
    }
    v
}

/// Compares produced lines with expected ones; returns a description of the first differences.
pub fn diff_lines(got: &[Value], expected: &[Value]) -> Vec<String> {
    let mut errs = Vec::new();
    if got.len() != expected.len() {
        errs.push(format!("{} lines, expected {}", got.len(), expected.len()));
    }
    for (g, e) in got.iter().zip(expected.iter()) {
        let (g, e) = (normalize(g.clone()), normalize(e.clone()));
        if g != e {
            let gs = g.to_string();
            let es = e.to_string();
            let at = gs.bytes().zip(es.bytes()).position(|(a, b)| a != b).unwrap_or(0);
            let from = at.saturating_sub(80);
            errs.push(format!(
                "key {} differs:\n  got      …{}\n  expected …{}",
                e.get("key").map(|k| k.to_string()).unwrap_or_else(|| "functions".into()),
                gs.get(from..(at + 200).min(gs.len())).unwrap_or(""),
                es.get(from..(at + 200).min(es.len())).unwrap_or("")
            ));
        }
        if errs.len() > 5 {
            break;
        }
    }
    errs
}

/// Canonical form for round-trip comparison (order-insensitive where the type is).
pub fn canonical(v: &RdbValue) -> RdbValue {
    match v {
        RdbValue::Set(s) => {
            let mut s = s.clone();
            s.sort();
            RdbValue::Set(s)
        }
        RdbValue::SortedSet(z) => {
            let mut z = z.clone();
            z.sort_by(|a, b| a.0.cmp(&b.0));
            RdbValue::SortedSet(z)
        }
        RdbValue::Hash(h) => {
            let mut h = h.clone();
            h.sort();
            RdbValue::Hash(h)
        }
        RdbValue::HashWithTtl(h) => {
            if h.iter().all(|x| x.2.is_none()) {
                return canonical(&RdbValue::Hash(h.iter().map(|(f, v, _)| (f.clone(), v.clone())).collect()));
            }
            let mut h = h.clone();
            h.sort();
            RdbValue::HashWithTtl(h)
        }
        RdbValue::Stream(s) => {
            let mut s = (**s).clone();
            s.length = s.entries.len() as u64;
            if let Some(f) = s.entries.first() {
                s.first_id = f.0;
            } else {
                s.first_id = StreamId::ZERO;
            }
            for g in &mut s.groups {
                for c in &mut g.consumers {
                    c.active_time_ms = None;
                }
            }
            RdbValue::Stream(Box::new(s))
        }
        other => other.clone(),
    }
}
