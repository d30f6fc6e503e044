//! Geo commands: sorted sets whose scores are Redis's 52-bit geohashes (see `types::geohash`).

use bytes::Bytes;

use super::{err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::db::Sds;
use crate::resp::Reply;
use crate::types::geohash::{self as gh, Search, Shape};
use crate::types::{Value, ZSet};

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("geo");
    t.add(c("geoadd", -5, WRITE | DENYOOM, geoadd).keys(1, 1, 1).acl("@write @geo @slow").doc("3.2.0", "Adds one or more members to a geospatial index. The key is created if it doesn't exist."));
    t.add(c("geodist", -4, READONLY, geodist).keys(1, 1, 1).acl("@read @geo @slow").doc("3.2.0", "Returns the distance between two members of a geospatial index."));
    t.add(c("geohash", -2, READONLY, geohash).keys(1, 1, 1).acl("@read @geo @slow").doc("3.2.0", "Returns members from a geospatial index as geohash strings."));
    t.add(c("geopos", -2, READONLY, geopos).keys(1, 1, 1).acl("@read @geo @slow").doc("3.2.0", "Returns the longitude and latitude of members from a geospatial index."));
    t.add(c("georadius", -6, WRITE | DENYOOM, georadius).keys(1, 1, 1).keys_fn(keys_radius6).acl("@write @geo @slow").doc("3.2.0", "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result."));
    t.add(c("georadius_ro", -6, READONLY, georadius_ro).keys(1, 1, 1).acl("@read @geo @slow").doc("3.2.10", "Returns members from a geospatial index that are within a distance from a coordinate."));
    t.add(c("georadiusbymember", -5, WRITE | DENYOOM, georadiusbymember).keys(1, 1, 1).keys_fn(keys_radius5).acl("@write @geo @slow").doc("3.2.0", "Queries a geospatial index for members within a distance from a member, optionally stores the result."));
    t.add(c("georadiusbymember_ro", -5, READONLY, georadiusbymember_ro).keys(1, 1, 1).acl("@read @geo @slow").doc("3.2.10", "Returns members from a geospatial index that are within a distance from a member."));
    t.add(c("geosearch", -7, READONLY, geosearch).keys(1, 1, 1).acl("@read @geo @slow").doc("6.2.0", "Queries a geospatial index for members inside an area of a box or a circle."));
    t.add(c("geosearchstore", -8, WRITE | DENYOOM, geosearchstore).keys(1, 2, 1).acl("@write @geo @slow").doc("6.2.0", "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result."));
}

fn keys_store_from(argv: &[Bytes], start: usize) -> Vec<usize> {
    let mut v = vec![1];
    let mut i = start;
    while i < argv.len() {
        if (is(&argv[i], "store") || is(&argv[i], "storedist")) && i + 1 < argv.len() {
            v.push(i + 1);
            i += 1;
        }
        i += 1;
    }
    v
}
fn keys_radius6(argv: &[Bytes]) -> Vec<usize> {
    keys_store_from(argv, 6)
}
fn keys_radius5(argv: &[Bytes]) -> Vec<usize> {
    keys_store_from(argv, 5)
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

fn read_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ZSet>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(err::wrongtype()),
    }
}

fn err_msg(m: &str) -> Reply {
    Reply::Error(format!("ERR {m}"))
}

fn double_arg(b: &[u8], msg: Option<&str>) -> Result<f64, Reply> {
    crate::util::parse_f64(b).filter(|v| !v.is_nan()).ok_or_else(|| match msg {
        Some(m) => err_msg(m),
        None => err::not_float(),
    })
}

/// `extractLongLatOrReply`.
fn lon_lat(argv: &[Bytes]) -> Result<(f64, f64), Reply> {
    let lon = double_arg(&argv[0], None)?;
    let lat = double_arg(&argv[1], None)?;
    if !(gh::LONG_MIN..=gh::LONG_MAX).contains(&lon) || !(gh::LAT_MIN..=gh::LAT_MAX).contains(&lat) {
        return Err(err_msg(&format!("invalid longitude,latitude pair {},{}", fmt_f(lon), fmt_f(lat))));
    }
    Ok((lon, lat))
}

/// printf("%f").
fn fmt_f(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{v:.6}")
}

fn unit(b: &[u8]) -> Result<f64, Reply> {
    if is(b, "m") {
        Ok(1.0)
    } else if is(b, "km") {
        Ok(1000.0)
    } else if is(b, "ft") {
        Ok(0.3048)
    } else if is(b, "mi") {
        Ok(1609.34)
    } else {
        Err(err_msg("unsupported unit provided. please use M, KM, FT, MI"))
    }
}

/// `extractDistanceOrReply`: (radius, conversion).
fn distance_arg(argv: &[Bytes]) -> Result<(f64, f64), Reply> {
    let d = double_arg(&argv[0], Some("need numeric radius"))?;
    if d < 0.0 {
        return Err(err_msg("radius cannot be negative"));
    }
    Ok((d, unit(&argv[1])?))
}

/// `extractBoxOrReply`: (width, height, conversion).
fn box_arg(argv: &[Bytes]) -> Result<(f64, f64, f64), Reply> {
    let w = double_arg(&argv[0], Some("need numeric width"))?;
    let h = double_arg(&argv[1], Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(err_msg("height or width cannot be negative"));
    }
    Ok((w, h, unit(&argv[2])?))
}

/// A coordinate as Redis's `addReplyHumanLongDouble`: RESP3 double, RESP2 "%.17Lf" trimmed.
fn coord_reply(ctx: &Ctx, v: f64) -> Reply {
    if ctx.client.resp >= 3 {
        return Reply::Double(v);
    }
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    Reply::Bulk(Bytes::from(s))
}

/// A distance as `addReplyDoubleDistance` (4 fixed decimals, `llrint` rounding).
fn dist_reply(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(fmt_dist(d)))
}

fn fmt_dist(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let v = (d * 10000.0).round_ties_even();
    if !v.is_finite() || v.abs() >= 9.2e18 {
        return format!("{d:.4}");
    }
    let v = v as i64;
    let neg = v < 0;
    let a = v.unsigned_abs();
    format!("{}{}.{:04}", if neg { "-" } else { "" }, a / 10000, a % 10000)
}

// ---------------------------------------------------------------------------------------------

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]
fn geoadd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut i = 2;
    while i < argv.len() {
        if is(&argv[i], "nx") {
            nx = true;
        } else if is(&argv[i], "xx") {
            xx = true;
        } else if is(&argv[i], "ch") {
            ch = true;
        } else {
            break;
        }
        i += 1;
    }
    let rest = argv.len() - i;
    if !rest.is_multiple_of(3) || (nx && xx) || rest == 0 {
        return err::syntax();
    }
    let mut items: Vec<(u64, &Bytes)> = Vec::with_capacity(rest / 3);
    for t in argv[i..].chunks(3) {
        let (lon, lat) = tri!(lon_lat(&t[..2]));
        items.push((gh::score_of(lon, lat), &t[2]));
    }
    let key = &argv[1];
    let th = ctx.thresholds();
    let exists = match ctx.peek(key).map(|e| &e.value) {
        None => false,
        Some(Value::ZSet(_)) => true,
        Some(_) => return err::wrongtype(),
    };
    if !exists {
        if xx {
            return Reply::Int(0);
        }
        ctx.add_key(key, Value::ZSet(crate::types::Shared::new(ZSet::with_hint(items.len(), items[0].1.len(), &th))));
        ctx.fx.dirty -= 1; // counted below per change, as ZADD does
    }
    let z = match ctx.lookup_write(key).map(|e| e.value_mut()) {
        Some(Value::ZSet(z)) => z,
        _ => return err::wrongtype(),
    };
    if exists {
        z.maybe_convert(items.len(), 0, &th);
    }
    let (mut added, mut updated) = (0i64, 0i64);
    for (score, m) in &items {
        let score = *score as f64;
        match z.score(m) {
            Some(cur) => {
                if nx {
                    continue;
                }
                if cur != score {
                    z.set(m, score, &th);
                    updated += 1;
                }
            }
            None => {
                if xx {
                    continue;
                }
                z.set(m, score, &th);
                added += 1;
            }
        }
    }
    if added + updated > 0 {
        ctx.modified(key);
        ctx.fx.dirty += (added + updated - 1) as u64;
        ctx.notify(notify::ZSET, "zadd", key);
        // Logged as the ZADD it turns into (as Redis rewrites the command vector).
        let mut zargv: Vec<Bytes> = vec![Bytes::from_static(b"zadd")];
        zargv.extend(argv[1..i].iter().cloned());
        for (score, m) in &items {
            zargv.push(Bytes::from(score.to_string()));
            zargv.push((*m).clone());
        }
        ctx.propagate_as(vec![zargv]);
    }
    Reply::Int(if ch { added + updated } else { added })
}

/// GEODIST key member1 member2 [unit]
fn geodist(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut to_m = 1.0;
    if argv.len() == 5 {
        to_m = tri!(unit(&argv[4]));
    } else if argv.len() > 5 {
        return err::syntax();
    }
    let Some(z) = tri!(read_zset(ctx, &argv[1])) else { return Reply::Nil };
    let (Some(s1), Some(s2)) = (z.score(&argv[2]), z.score(&argv[3])) else { return Reply::Nil };
    let a = gh::decode_score(s1);
    let b = gh::decode_score(s2);
    dist_reply(gh::distance(a.0, a.1, b.0, b.1) / to_m)
}

/// GEOHASH key [member ...]
fn geohash(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let z = tri!(read_zset(ctx, &argv[1]));
    let out = argv[2..]
        .iter()
        .map(|m| match z.and_then(|z| z.score(m)) {
            Some(s) => Reply::Bulk(Bytes::from(gh::hash_string(s))),
            None => Reply::Nil,
        })
        .collect();
    Reply::Array(out)
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let scores: Vec<Option<f64>> = {
        let z = tri!(read_zset(ctx, &argv[1]));
        argv[2..].iter().map(|m| z.and_then(|z| z.score(m))).collect()
    };
    let out = scores
        .into_iter()
        .map(|s| match s {
            Some(s) => {
                let (lon, lat) = gh::decode_score(s);
                Reply::Array(vec![coord_reply(ctx, lon), coord_reply(ctx, lat)])
            }
            None => Reply::NilArray,
        })
        .collect();
    Reply::Array(out)
}

const RADIUS_COORDS: u32 = 1;
const RADIUS_MEMBER: u32 = 2;
const NOSTORE: u32 = 4;
const SEARCH: u32 = 8;
const SEARCHSTORE: u32 = 16;

fn georadius(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 1, RADIUS_COORDS)
}
fn georadius_ro(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 1, RADIUS_COORDS | NOSTORE)
}
fn georadiusbymember(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 1, RADIUS_MEMBER)
}
fn georadiusbymember_ro(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 1, RADIUS_MEMBER | NOSTORE)
}
fn geosearch(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 1, SEARCH)
}
fn geosearchstore(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    generic(ctx, argv, 2, SEARCH | SEARCHSTORE)
}

struct Point {
    member: Sds,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

#[derive(PartialEq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// `georadiusGeneric`.
fn generic(ctx: &mut Ctx, argv: &[Bytes], src: usize, flags: u32) -> Reply {
    // A snapshot of the source (the keyspace holds values behind Arc, so this is cheap).
    let zval = {
        match ctx.lookup_read(&argv[src]) {
            None => None,
            Some(Value::ZSet(_)) => ctx.srv.dbs[ctx.client.db].get(&argv[src]).map(|e| e.value.clone()),
            Some(_) => return err::wrongtype(),
        }
    };
    let zobj: Option<&ZSet> = match zval.as_ref() {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    };
    let member_xy = |z: &ZSet, m: &[u8]| -> Result<(f64, f64), Reply> {
        z.score(m).map(gh::decode_score).ok_or_else(|| err_msg("could not decode requested zset member"))
    };
    let mut storekey: Option<Bytes> = None;
    let mut center = (0.0, 0.0);
    let mut shape = Shape::Radius(0.0);
    let mut conversion = 1.0;
    let base;
    if flags & RADIUS_COORDS != 0 {
        base = 6;
        center = tri!(lon_lat(&argv[2..4]));
        let (r, c) = tri!(distance_arg(&argv[4..6]));
        shape = Shape::Radius(r);
        conversion = c;
    } else if flags & RADIUS_MEMBER != 0 {
        base = 5;
        if let Some(z) = zobj {
            center = tri!(member_xy(z, &argv[2]));
            let (r, c) = tri!(distance_arg(&argv[3..5]));
            shape = Shape::Radius(r);
            conversion = c;
        }
    } else {
        base = if flags & SEARCHSTORE != 0 { 3 } else { 2 };
        if flags & SEARCHSTORE != 0 {
            storekey = Some(argv[1].clone());
        }
    }
    let search = flags & SEARCH != 0;
    let (mut withdist, mut withhash, mut withcoord) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let mut storedist = false;
    let remaining = argv.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let a = &argv[base + i];
        let at = |k: usize| &argv[base + i + k];
        if is(a, "withdist") {
            withdist = true;
        } else if is(a, "withhash") {
            withhash = true;
        } else if is(a, "withcoord") {
            withcoord = true;
        } else if is(a, "any") {
            any = true;
        } else if is(a, "asc") {
            sort = Sort::Asc;
        } else if is(a, "desc") {
            sort = Sort::Desc;
        } else if is(a, "count") && i + 1 < remaining {
            count = tri!(super::arg_i64(at(1)));
            if count <= 0 {
                return err_msg("COUNT must be > 0");
            }
            i += 1;
        } else if (is(a, "store") || is(a, "storedist")) && i + 1 < remaining && flags & NOSTORE == 0 && !search {
            storekey = Some(at(1).clone());
            storedist = is(a, "storedist");
            i += 1;
        } else if is(a, "storedist") && search && flags & SEARCHSTORE != 0 {
            storedist = true;
        } else if is(a, "frommember") && i + 1 < remaining && search && !fromloc {
            if let Some(z) = zobj {
                center = tri!(member_xy(z, at(1)));
            }
            frommember = true;
            i += 1;
        } else if is(a, "fromlonlat") && i + 2 < remaining && search && !frommember {
            center = tri!(lon_lat(&argv[base + i + 1..base + i + 3]));
            fromloc = true;
            i += 2;
        } else if is(a, "byradius") && i + 2 < remaining && search && !bybox {
            let (r, c) = tri!(distance_arg(&argv[base + i + 1..base + i + 3]));
            shape = Shape::Radius(r);
            conversion = c;
            byradius = true;
            i += 2;
        } else if is(a, "bybox") && i + 3 < remaining && search && !byradius {
            let (w, h, c) = tri!(box_arg(&argv[base + i + 1..base + i + 4]));
            shape = Shape::Box(w, h);
            conversion = c;
            bybox = true;
            i += 3;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    if storekey.is_some() && (withdist || withhash || withcoord) {
        return err_msg(&format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & SEARCHSTORE != 0 { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" }
        ));
    }
    let name = String::from_utf8_lossy(&argv[0]).into_owned();
    if search && !(frommember || fromloc) {
        return err_msg(&format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"));
    }
    if search && !(byradius || bybox) {
        return err_msg(&format!("exactly one of BYRADIUS and BYBOX can be specified for {name}"));
    }
    if any && count == 0 {
        return err_msg("the ANY argument requires COUNT argument");
    }
    let Some(z) = zobj else {
        if let Some(dst) = storekey {
            if ctx.delete(&dst) {
                ctx.notify(notify::GENERIC, "del", &dst);
            }
            return Reply::Int(0);
        }
        return Reply::Array(vec![]);
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let s = Search { lon: center.0, lat: center.1, shape, conversion };
    let limit = if any { count as usize } else { 0 };
    let mut found = collect(z, &s, limit);
    if found.is_empty() && storekey.is_none() {
        return Reply::Array(vec![]);
    }
    match sort {
        Sort::Asc => found.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Sort::Desc => found.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Sort::None => {}
    }
    let returned = if count == 0 { found.len() } else { found.len().min(count as usize) };
    found.truncate(returned);
    for p in &mut found {
        p.dist /= conversion;
    }
    if let Some(dst) = storekey {
        if returned > 0 {
            let mut pairs: Vec<(Sds, f64)> =
                found.into_iter().map(|p| (p.member, if storedist { p.dist } else { p.score })).collect();
            pairs.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
            let th = ctx.thresholds();
            ctx.set_key(&dst, Value::ZSet(crate::types::Shared::new(ZSet::from_sorted(pairs, &th))), false);
            ctx.fx.dirty += returned as u64 - 1;
            ctx.notify(notify::ZSET, if search { "geosearchstore" } else { "georadiusstore" }, &dst);
        } else if ctx.delete(&dst) {
            ctx.notify(notify::GENERIC, "del", &dst);
        }
        return Reply::Int(returned as i64);
    }
    let opts = withdist || withhash || withcoord;
    let out = found
        .into_iter()
        .map(|p| {
            let m = Reply::Bulk(Bytes::copy_from_slice(&p.member));
            if !opts {
                return m;
            }
            let mut v = vec![m];
            if withdist {
                v.push(dist_reply(p.dist));
            }
            if withhash {
                v.push(Reply::Int(p.score as i64));
            }
            if withcoord {
                v.push(Reply::Array(vec![coord_reply(ctx, p.lon), coord_reply(ctx, p.lat)]));
            }
            Reply::Array(v)
        })
        .collect();
    Reply::Array(out)
}

/// `membersOfAllNeighbors`: scans the cells in Redis's order, skipping a cell equal to the
/// last one scanned (never compared with the center, as in Redis).
fn collect(z: &ZSet, s: &Search, limit: usize) -> Vec<Point> {
    let cells = gh::search_cells(s);
    let mut out = Vec::new();
    let mut last = 0usize;
    for (i, c) in cells.iter().enumerate() {
        if c.is_zero() {
            continue;
        }
        if last != 0 && c.bits == cells[last].bits && c.step == cells[last].step {
            continue;
        }
        if !out.is_empty() && limit != 0 && out.len() >= limit {
            break;
        }
        let (min, max) = gh::cell_range(*c);
        let (min, max) = (min as f64, max as f64);
        let start = z.count_while(|_, sc| sc < min);
        z.walk(start, false, |m, sc| {
            if sc >= max {
                return false;
            }
            let (lon, lat) = gh::decode_score(sc);
            if let Some(d) = gh::within(s, lon, lat) {
                out.push(Point { member: m.into(), score: sc, lon, lat, dist: d });
                if limit != 0 && out.len() >= limit {
                    return false;
                }
            }
            true
        });
        last = i;
    }
    out
}
