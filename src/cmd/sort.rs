//! SORT and SORT_RO: sort the elements of a list, set or sorted set, numerically or
//! lexicographically, optionally by external keys (`BY pattern`, with `->field` for hashes),
//! fetching external keys (`GET pattern`, `GET #`), limiting, and storing the result as a list.

use std::cmp::Ordering;
use std::collections::VecDeque;

use bytes::Bytes;

use super::{arg_i64, err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::Sds;
use crate::resp::Reply;
use crate::types::{List, Value};

pub fn register(t: &mut CommandTable) {
    t.add(
        CommandSpec::new("sort", -2, WRITE | DENYOOM, sort)
            .keys(1, 1, 1)
            .keys_fn(sort_keys)
            .group("generic")
            .acl("@write @set @sortedset @list @slow @dangerous")
            .doc("1.0.0", "Sorts the elements in a list, a set, or a sorted set, optionally storing the result."),
    );
    t.add(
        CommandSpec::new("sort_ro", -2, READONLY, sort)
            .keys(1, 1, 1)
            .group("generic")
            .acl("@read @set @sortedset @list @slow @dangerous")
            .doc("7.0.0", "Returns the sorted elements of a list, a set, or a sorted set."),
    );
}

/// Key positions of SORT: the sorted key and the (last) STORE destination.
fn sort_keys(argv: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        if is(&argv[i], "limit") {
            i += 2;
        } else if is(&argv[i], "get") || is(&argv[i], "by") {
            i += 1;
        } else if is(&argv[i], "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if argv.len() < 2 {
        return Vec::new();
    }
    keys.extend(store);
    keys
}

/// Parses a sort weight the way `strtod` + Redis's checks do: leading spaces allowed, the empty
/// string is 0, trailing garbage, overflow/underflow and NaN are errors.
fn parse_weight(s: &[u8]) -> Option<f64> {
    let mut t = s;
    while let Some((c, rest)) = t.split_first() {
        if c.is_ascii_whitespace() {
            t = rest;
        } else {
            break;
        }
    }
    if s.is_empty() {
        return Some(0.0);
    }
    // strtod also reads hexadecimal integers.
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.len() > 2 && (digits.starts_with(b"0x") || digits.starts_with(b"0X")) {
        let mut v = 0f64;
        for &c in &digits[2..] {
            v = v * 16.0 + (c as char).to_digit(16)? as f64;
        }
        return Some(if neg { -v } else { v });
    }
    let v = crate::util::parse_f64(t)?;
    let text = std::str::from_utf8(t).ok()?.to_ascii_lowercase();
    if v.is_infinite() && !text.contains("inf") {
        return None; // ERANGE overflow
    }
    if v == 0.0 {
        let mant = text.split('e').next().unwrap_or("");
        if mant.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
            return None; // ERANGE underflow
        }
    }
    Some(v)
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; the first `*` is replaced by the
/// element; `key->field` reads a hash field. Only string values (or hash fields) are returned.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], subst: &[u8]) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(Bytes::copy_from_slice(subst));
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after.windows(2).position(|w| w == b"->").filter(|&p| p + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(p) => (&after[..p], Some(&after[p + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let v = ctx.lookup_read(&key)?;
    match field {
        Some(f) => match v {
            Value::Hash(h) => h.get(f).map(Bytes::copy_from_slice),
            _ => None,
        },
        None => v.as_str().map(Bytes::copy_from_slice),
    }
}


/// Builds a list value with the encoding Redis gives a freshly stored list.
pub fn make_list(ctx: &Ctx, items: VecDeque<Sds>) -> List {
    List::from_items(items, ctx.thresholds().list_max_listpack_size)
}

struct Item {
    obj: Bytes,
    score: f64,
    cmp: Option<Bytes>,
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
/// [ALPHA] [STORE destination] / SORT_RO (no STORE)
fn sort(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    match sort_impl(ctx, argv) {
        Ok(r) | Err(r) => r,
    }
}

fn sort_impl(ctx: &mut Ctx, argv: &[Bytes]) -> Result<Reply, Reply> {
    let readonly = is(&argv[0], "sort_ro");
    let (mut desc, mut alpha, mut dontsort) = (false, false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut sortby: Option<&Bytes> = None;
    let mut store: Option<&Bytes> = None;
    let mut gets: Vec<&Bytes> = Vec::new();
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if is(a, "asc") {
            desc = false;
        } else if is(a, "desc") {
            desc = true;
        } else if is(a, "alpha") {
            alpha = true;
        } else if is(a, "limit") && left >= 2 {
            limit_start = arg_i64(&argv[j + 1])?;
            limit_count = arg_i64(&argv[j + 2])?;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            store = Some(&argv[j + 1]);
            j += 1;
        } else if is(a, "by") && left >= 1 {
            sortby = Some(&argv[j + 1]);
            if !argv[j + 1].contains(&b'*') {
                dontsort = true;
            }
            j += 1;
        } else if is(a, "get") && left >= 1 {
            gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }

    // The elements, in the value's own order (sorted sets by ascending score).
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let (kind, elems): (Kind, Vec<Bytes>) = match ctx.lookup_read(&argv[1]) {
        None => (Kind::List, Vec::new()),
        Some(Value::List(l)) => (Kind::List, l.items.iter().map(|e| Bytes::copy_from_slice(e)).collect()),
        Some(Value::Set(s)) => (Kind::Set, s.members().into_iter().map(Bytes::from).collect()),
        Some(Value::ZSet(z)) => (Kind::ZSet, z.iter().map(|(m, _)| Bytes::copy_from_slice(m)).collect()),
        Some(_) => return Err(err::wrongtype()),
    };
    if dontsort && matches!(kind, Kind::Set) && (store.is_some() || ctx.client.in_script) {
        // An unsorted set would give a different order on replay: force ALPHA sorting.
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    let len = elems.len() as i64;
    let start0 = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut start = start0;
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    let mut items: Vec<Item> = elems.into_iter().map(|obj| Item { obj, score: 0.0, cmp: None }).collect();
    if dontsort {
        if desc && !matches!(kind, Kind::Set) {
            items.reverse();
        }
    } else {
        let mut conv_error = false;
        for it in items.iter_mut() {
            let byval = match sortby {
                Some(p) => match lookup_by_pattern(ctx, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.obj.clone(),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = Some(byval);
                }
            } else {
                match parse_weight(&byval) {
                    Some(v) => it.score = v,
                    None => conv_error = true,
                }
            }
        }
        if conv_error {
            return Err(Reply::Error("ERR One or more scores can't be converted into double".into()));
        }
        let by = sortby.is_some();
        let cmp = |a: &Item, b: &Item| -> Ordering {
            let c = if !alpha {
                a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.obj.cmp(&b.obj))
            } else if by {
                match (&a.cmp, &b.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                }
            } else {
                a.obj.cmp(&b.obj)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        items.sort_by(cmp);
    }

    let range: &[Item] = if end >= start && start >= 0 { &items[start as usize..=end as usize] } else { &[] };
    match store {
        None => {
            let mut out = Vec::with_capacity(range.len() * gets.len().max(1));
            for it in range {
                if gets.is_empty() {
                    out.push(Reply::Bulk(it.obj.clone()));
                }
                for g in &gets {
                    out.push(match lookup_by_pattern(ctx, g, &it.obj) {
                        Some(v) => Reply::Bulk(v),
                        None => Reply::Nil,
                    });
                }
            }
            Ok(Reply::Array(out))
        }
        Some(dst) => {
            let mut list: VecDeque<Sds> = VecDeque::new();
            for it in range {
                if gets.is_empty() {
                    list.push_back(it.obj[..].into());
                }
                for g in &gets {
                    let v = lookup_by_pattern(ctx, g, &it.obj).unwrap_or_default();
                    list.push_back(v[..].into());
                }
            }
            let n = list.len() as i64;
            if n > 0 {
                let l = make_list(ctx, list);
                ctx.set_key(dst, Value::List(crate::types::Shared::new(l)), false);
                ctx.notify(notify::LIST, "sortstore", dst);
            } else if ctx.delete(dst) {
                ctx.notify(notify::GENERIC, "del", dst);
            }
            Ok(Reply::Int(n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use crate::config::Config;
    use crate::db::Entry;
    use crate::server::Server;
    use crate::types::{Hash, Set, ZSet};

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }
    fn sds(s: &str) -> Sds {
        s.as_bytes().into()
    }

    struct Fx {
        srv: Server,
        client: Client,
    }

    impl Fx {
        fn new() -> Fx {
            Fx { srv: Server::new(Config::load(None, &[]).unwrap()), client: Client::detached(1) }
        }
        fn put(&mut self, key: &str, v: Value) {
            self.srv.dbs[0].insert(Entry::new(sds(key), v));
        }
        fn run(&mut self, args: &[&str]) -> Reply {
            let argv: Vec<Bytes> = args.iter().map(|a| b(a)).collect();
            let mut ctx = Ctx {
                srv: &mut self.srv,
                client: &mut self.client,
                now: crate::util::now_ms(),
                fx: Default::default(),
                argv: &argv,
                no_block: true,
            };
            sort(&mut ctx, &argv)
        }
    }

    fn list(items: &[&str]) -> Value {
        Value::List(crate::types::Shared::new(List::from_items(items.iter().map(|s| sds(s)), -2)))
    }
    fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| Reply::Bulk(b(s))).collect())
    }

    #[test]
    fn numeric_alpha_desc_limit() {
        let mut f = Fx::new();
        f.put("l", list(&["3", "1", "10", "2"]));
        assert_eq!(f.run(&["SORT", "l"]), bulks(&["1", "2", "3", "10"]));
        assert_eq!(f.run(&["SORT", "l", "DESC"]), bulks(&["10", "3", "2", "1"]));
        assert_eq!(f.run(&["SORT", "l", "ALPHA"]), bulks(&["1", "10", "2", "3"]));
        assert_eq!(f.run(&["SORT", "l", "LIMIT", "1", "2"]), bulks(&["2", "3"]));
        assert_eq!(f.run(&["SORT", "l", "LIMIT", "10", "2"]), bulks(&[]));
        assert_eq!(f.run(&["SORT", "l", "LIMIT", "-5", "-1"]), bulks(&["1", "2", "3", "10"]));
        assert_eq!(f.run(&["SORT", "l", "BY", "nosort"]), bulks(&["3", "1", "10", "2"]));
        assert_eq!(f.run(&["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"]), bulks(&["10", "1"]));
        f.put("bad", list(&["1", "x"]));
        assert_eq!(f.run(&["SORT", "bad"]), Reply::Error("ERR One or more scores can't be converted into double".into()));
        assert_eq!(f.run(&["SORT", "bad", "ALPHA"]), bulks(&["1", "x"]));
        assert_eq!(f.run(&["SORT", "l", "FOO"]), err::syntax());
        assert_eq!(f.run(&["SORT_RO", "l", "STORE", "x"]), err::syntax());
        assert_eq!(f.run(&["SORT", "nokey"]), bulks(&[]));
    }

    #[test]
    fn by_and_get_patterns() {
        let mut f = Fx::new();
        f.put("l", list(&["a", "b", "c"]));
        f.put("w_a", Value::from_bytes(b"3"));
        f.put("w_b", Value::from_bytes(b"1"));
        f.put("w_c", Value::from_bytes(b"2"));
        let mut h = Hash::default();
        if let Hash::Listpack(v) = &mut h {
            v.push((sds("name"), sds("Bee")));
        }
        f.put("h_b", Value::Hash(crate::types::Shared::new(h)));
        assert_eq!(f.run(&["SORT", "l", "BY", "w_*"]), bulks(&["b", "c", "a"]));
        assert_eq!(
            f.run(&["SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->name", "GET", "w_*"]),
            Reply::Array(vec![
                Reply::Bulk(b("b")),
                Reply::Bulk(b("Bee")),
                Reply::Bulk(b("1")),
                Reply::Bulk(b("c")),
                Reply::Nil,
                Reply::Bulk(b("2")),
                Reply::Bulk(b("a")),
                Reply::Nil,
                Reply::Bulk(b("3")),
            ])
        );
        assert_eq!(f.run(&["SORT", "l", "BY", "h_*->name", "ALPHA"]), bulks(&["a", "c", "b"]));
        assert_eq!(f.run(&["SORT", "l", "BY", "w_*", "STORE", "dst"]), Reply::Int(3));
        match f.srv.dbs[0].get(b"dst").map(|e| &e.value) {
            Some(Value::List(l)) => assert_eq!(l.items, VecDeque::from(vec![sds("b"), sds("c"), sds("a")])),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.run(&["SORT", "nokey", "STORE", "dst"]), Reply::Int(0));
        assert!(f.srv.dbs[0].get(b"dst").is_none());
    }

    #[test]
    fn sets_and_zsets() {
        let mut f = Fx::new();
        f.put("s", Value::Set(crate::types::Shared::new(Set::Intset(vec![1, 5, 30]))));
        assert_eq!(f.run(&["SORT", "s", "DESC"]), bulks(&["30", "5", "1"]));
        assert_eq!(f.run(&["SORT", "s", "BY", "nosort", "STORE", "d"]), Reply::Int(3));
        match f.srv.dbs[0].get(b"d").map(|e| &e.value) {
            Some(Value::List(l)) => assert_eq!(l.items, VecDeque::from(vec![sds("1"), sds("30"), sds("5")])),
            other => panic!("{other:?}"),
        }
        f.put("z", Value::ZSet(crate::types::Shared::new(ZSet::Listpack(vec![(sds("x"), 1.0), (sds("a"), 2.0), (sds("m"), 3.0)]))));
        assert_eq!(f.run(&["SORT", "z", "BY", "nosort"]), bulks(&["x", "a", "m"]));
        assert_eq!(f.run(&["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"]), bulks(&["m", "a"]));
        assert_eq!(f.run(&["SORT", "z", "ALPHA"]), bulks(&["a", "m", "x"]));
        f.put("str", Value::from_bytes(b"x"));
        assert_eq!(f.run(&["SORT", "str"]), err::wrongtype());
    }

    #[test]
    fn weights_and_keys() {
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b" 1.5"), Some(1.5));
        assert_eq!(parse_weight(b"1.5 "), None);
        assert_eq!(parse_weight(b"1e400"), None);
        assert_eq!(parse_weight(b"1e-400"), None);
        assert_eq!(parse_weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_weight(b"nan"), None);
        assert_eq!(parse_weight(b"0x10"), Some(16.0));
        assert_eq!(parse_weight(b"-0X1f"), Some(-31.0));
        assert_eq!(parse_weight(b"  "), None);
        let argv: Vec<Bytes> = ["SORT", "k", "LIMIT", "0", "1", "GET", "store", "STORE", "a", "STORE", "b"].iter().map(|s| b(s)).collect();
        assert_eq!(sort_keys(&argv), vec![1, 10]);
    }
}
