//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. Values are plain
//! strings in Redis's exact HLL representation (see `types::hll`).

use bytes::Bytes;

use super::{err, flags::*, is, notify, CommandSpec, CommandTable, Ctx};
use crate::resp::Reply;
use crate::types::hll;
use crate::types::Value;

pub fn register(t: &mut CommandTable) {
    let c = |name, arity, f, h| CommandSpec::new(name, arity, f, h).group("hyperloglog");
    t.add(c("pfadd", -2, WRITE | DENYOOM | FAST, pfadd).keys(1, 1, 1).acl("@write @hyperloglog @fast").doc("2.8.9", "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist."));
    t.add(c("pfcount", -2, READONLY | MAY_REPLICATE, pfcount).keys(1, -1, 1).acl("@read @hyperloglog @slow").doc("2.8.9", "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s)."));
    t.add(c("pfmerge", -2, WRITE | DENYOOM, pfmerge).keys(1, -1, 1).acl("@write @hyperloglog @slow").doc("2.8.9", "Merges one or more HyperLogLog values into a single key."));
    t.add(c("pfdebug", 3, WRITE | DENYOOM | ADMIN, pfdebug).keys(2, 2, 1).acl("@write @hyperloglog @admin @slow @dangerous").doc("2.8.9", "Internal commands for debugging HyperLogLog values."));
    t.add(c("pfselftest", 1, ADMIN, pfselftest).acl("@hyperloglog @admin @slow @dangerous").doc("2.8.9", "An internal command for testing HyperLogLog values."));
}

fn invalid_obj() -> Reply {
    Reply::Error(hll::INVALID_ERR.into())
}

/// `isHLLObjectOrReply` on an existing value.
fn check_hll(v: &Value) -> Result<(), Reply> {
    match v.as_str() {
        None => Err(err::wrongtype()),
        Some(s) if hll::is_valid(s) => Ok(()),
        Some(_) => Err(Reply::Error(hll::WRONGTYPE_ERR.into())),
    }
}

/// Type-checks a key for a write: Ok(true) if an HLL is there, Ok(false) if missing.
fn check_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    match ctx.lookup_write(key) {
        None => Ok(false),
        Some(e) => check_hll(&e.value).map(|_| true),
    }
}

fn hll_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut Vec<u8> {
    super::strings::raw_string_mut(ctx, key).expect("checked string")
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return e,
        }
    };
}

/// PFADD key [element ...]
fn pfadd(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let max_bytes = ctx.srv.config.hll_sparse_max_bytes;
    let mut updated = 0u64;
    if !tri!(check_write(ctx, key)) {
        ctx.add_key(key, Value::RawStr(hll::new_sparse().into()));
        // add_key counted the change; PFADD counts one for the whole command.
        updated += 1;
    }
    let h = hll_mut(ctx, key);
    let mut corrupt = false;
    for ele in &argv[2..] {
        match hll::add(h, ele, max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(hll::Corrupt) => {
                corrupt = true;
                break;
            }
        }
    }
    if corrupt {
        return invalid_obj();
    }
    if updated > 0 {
        hll::invalidate_cache(h);
        ctx.modified(key);
        ctx.notify(notify::STRING, "pfadd", key);
    }
    Reply::Int(if updated > 0 { 1 } else { 0 })
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    if argv.len() > 2 {
        let mut max = vec![0u8; hll::REGISTERS];
        for key in &argv[1..] {
            let Some(v) = ctx.lookup_read(key) else { continue };
            tri!(check_hll(v));
            let s = v.as_str().unwrap_or_default();
            if hll::merge(&mut max, s).is_err() {
                return invalid_obj();
            }
        }
        return Reply::Int(hll::count_raw(&max) as i64);
    }
    let key = &argv[1];
    if !tri!(check_write(ctx, key)) {
        return Reply::Int(0);
    }
    let h = hll_mut(ctx, key);
    if hll::cache_valid(h) {
        return Reply::Int(hll::cached_card(h) as i64);
    }
    let Ok(card) = hll::count(h) else { return invalid_obj() };
    hll::set_cached_card(h, card);
    ctx.modified(key);
    Reply::Int(card as i64)
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let mut max = vec![0u8; hll::REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        let Some(v) = ctx.lookup_read(key) else { continue };
        tri!(check_hll(v));
        let s = v.as_str().unwrap_or_default();
        if s[4] == hll::DENSE {
            use_dense = true;
        }
        if hll::merge(&mut max, s).is_err() {
            return invalid_obj();
        }
    }
    let dst = &argv[1];
    let max_bytes = ctx.srv.config.hll_sparse_max_bytes;
    if !ctx.exists(dst) {
        ctx.add_key(dst, Value::RawStr(hll::new_sparse().into()));
    }
    let h = hll_mut(ctx, dst);
    if use_dense && hll::to_dense(h).is_err() {
        return invalid_obj();
    }
    for (i, &m) in max.iter().enumerate() {
        if m > 0 {
            let _ = hll::set_register(h, i, m, max_bytes);
        }
    }
    hll::invalidate_cache(h);
    ctx.modified(dst);
    ctx.notify(notify::STRING, "pfadd", dst);
    Reply::ok()
}

/// PFDEBUG <subcommand> key
fn pfdebug(ctx: &mut Ctx, argv: &[Bytes]) -> Reply {
    let sub = &argv[1];
    let key = &argv[2];
    if !tri!(check_write(ctx, key)) {
        return Reply::Error("ERR The specified key does not exist".into());
    }
    let h = hll_mut(ctx, key);
    if is(sub, "getreg") {
        let mut changed = false;
        if h[4] == hll::SPARSE {
            if hll::to_dense(h).is_err() {
                return invalid_obj();
            }
            changed = true;
        }
        let regs = &h[hll::HDR_SIZE..];
        let out = (0..hll::REGISTERS).map(|i| Reply::Int(hll::dense_get(regs, i) as i64)).collect();
        if changed {
            ctx.fx.dirty += 1;
        }
        Reply::Array(out)
    } else if is(sub, "decode") {
        if h[4] != hll::SPARSE {
            return Reply::Error("ERR HLL encoding is not sparse".into());
        }
        Reply::Bulk(Bytes::from(hll::decode(h)))
    } else if is(sub, "encoding") {
        Reply::Simple(if h[4] == hll::DENSE { "dense" } else { "sparse" }.into())
    } else if is(sub, "todense") {
        let mut conv = false;
        if h[4] == hll::SPARSE {
            if hll::to_dense(h).is_err() {
                return invalid_obj();
            }
            conv = true;
        }
        if conv {
            ctx.fx.dirty += 1;
        }
        Reply::Int(conv as i64)
    } else {
        Reply::Error(format!("ERR Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(sub)))
    }
}

/// PFSELFTEST: checks the register codec and the estimator on a small sample.
fn pfselftest(_ctx: &mut Ctx, _argv: &[Bytes]) -> Reply {
    let mut regs = vec![0u8; hll::DENSE_SIZE - hll::HDR_SIZE];
    for i in 0..hll::REGISTERS {
        hll::dense_set(&mut regs, i, ((i * 7) % 64) as u8);
    }
    for i in 0..hll::REGISTERS {
        if hll::dense_get(&regs, i) != ((i * 7) % 64) as u8 {
            return Reply::Error("ERR TESTFAILED Register error at index".into());
        }
    }
    let mut sparse = hll::new_sparse();
    let mut dense = hll::new_sparse();
    let _ = hll::to_dense(&mut dense);
    for i in 0..20000u32 {
        let e = i.to_le_bytes();
        let _ = hll::add(&mut sparse, &e, u64::MAX);
        let _ = hll::add(&mut dense, &e, 0);
    }
    if hll::count(&sparse) != hll::count(&dense) {
        return Reply::Error("ERR TESTFAILED dense/sparse mismatch".into());
    }
    Reply::ok()
}
