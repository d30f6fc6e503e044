//! Commands: the table, the execution context handed to every command, and dispatch.
//!
//! Every command is a plain function `fn(&mut Ctx, &[Bytes]) -> Reply` registered with its
//! arity, flags and key positions. Commands run one at a time under the server lock (see
//! `server.rs`), so each takes effect atomically and in one total order — the order in which
//! [`Ctx`] hands their effects to the command log.
//!
//! One file per command family. A command that changes the dataset must:
//! - call [`Ctx::modified`] for each key it changed (WATCH, blocked clients, dirty counter),
//! - call [`Ctx::notify`] with the keyspace event Redis fires,
//! - and, when the command as received is not deterministic on replay, describe what to log
//!   instead with [`Ctx::propagate_as`] (e.g. EXPIRE → PEXPIREAT).

pub mod aof_cmds;
pub mod bitmaps;
pub mod client;
pub mod connection;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod pubsub;
pub mod scripting;
pub mod server_cmds;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use bytes::Bytes;
use std::sync::LazyLock;

use crate::client::Client;
use crate::db::{Db, Entry, Sds, NO_EXPIRE};
use crate::resp::Reply;
use crate::server::Server;
use crate::types::Value;
use crate::util::eq_ic;

/// A command implementation.
pub type Handler = fn(&mut Ctx, &[Bytes]) -> Reply;

/// Command flags (the names COMMAND INFO prints are in [`FLAG_NAMES`]).
pub mod flags {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const ADMIN: u64 = 1 << 3;
    pub const PUBSUB: u64 = 1 << 4;
    pub const NOSCRIPT: u64 = 1 << 5;
    pub const BLOCKING: u64 = 1 << 6;
    pub const LOADING: u64 = 1 << 7;
    pub const STALE: u64 = 1 << 8;
    pub const SKIP_MONITOR: u64 = 1 << 9;
    pub const SKIP_SLOWLOG: u64 = 1 << 10;
    pub const FAST: u64 = 1 << 11;
    pub const NO_AUTH: u64 = 1 << 12;
    pub const MAY_REPLICATE: u64 = 1 << 13;
    pub const NO_MULTI: u64 = 1 << 14;
    pub const MOVABLE_KEYS: u64 = 1 << 15;
    pub const ALLOW_BUSY: u64 = 1 << 16;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 17;
    pub const PROTECTED: u64 = 1 << 18;
    pub const NO_ASYNC_LOADING: u64 = 1 << 19;
}

pub const FLAG_NAMES: &[(u64, &str)] = &[
    (flags::WRITE, "write"),
    (flags::READONLY, "readonly"),
    (flags::DENYOOM, "denyoom"),
    (flags::ADMIN, "admin"),
    (flags::PUBSUB, "pubsub"),
    (flags::NOSCRIPT, "noscript"),
    (flags::BLOCKING, "blocking"),
    (flags::LOADING, "loading"),
    (flags::STALE, "stale"),
    (flags::SKIP_MONITOR, "skip_monitor"),
    (flags::SKIP_SLOWLOG, "skip_slowlog"),
    (flags::FAST, "fast"),
    (flags::NO_AUTH, "no_auth"),
    (flags::MAY_REPLICATE, "may_replicate"),
    (flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (flags::PROTECTED, "protected"),
    (flags::NO_ASYNC_LOADING, "no_async_loading"),
    (flags::NO_MULTI, "no_multi"),
    (flags::MOVABLE_KEYS, "movablekeys"),
    (flags::ALLOW_BUSY, "allow_busy"),
];

/// One command (or subcommand) and its metadata.
#[derive(Clone)]
pub struct CommandSpec {
    /// Lower-case name; for subcommands the subcommand alone (e.g. "get" under "config").
    pub name: &'static str,
    /// The name commandstats, CLIENT LIST and errors use: `name`, or `parent|name` for a
    /// subcommand (e.g. "config|get"), set when the table is built.
    pub full_name: &'static str,
    /// Index of this command or subcommand in per-command tables (commandstats), set when
    /// the table is built.
    pub id: usize,
    /// Redis arity: positive = exact argument count (incl. name), negative = at least -arity.
    pub arity: i32,
    pub flags: u64,
    /// ACL categories as COMMAND INFO shows them, e.g. "@read @string @fast".
    pub acl: &'static str,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// For commands whose keys cannot be described by first/last/step.
    pub keys_fn: Option<fn(&[Bytes]) -> Vec<usize>>,
    /// Documentation group (COMMAND DOCS): "string", "list", "generic", "server"...
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: Vec<CommandSpec>,
}

impl CommandSpec {
    pub fn new(name: &'static str, arity: i32, flags: u64, handler: Handler) -> CommandSpec {
        CommandSpec {
            name,
            full_name: name,
            id: 0,
            arity,
            flags,
            acl: "",
            first_key: 0,
            last_key: 0,
            step: 0,
            keys_fn: None,
            group: "generic",
            since: "1.0.0",
            summary: "",
            handler,
            subcommands: Vec::new(),
        }
    }
    /// Key positions: first, last (negative counts from the end), step.
    pub fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.first_key = first;
        self.last_key = last;
        self.step = step;
        self
    }
    pub fn keys_fn(mut self, f: fn(&[Bytes]) -> Vec<usize>) -> Self {
        self.keys_fn = Some(f);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }
    pub fn acl(mut self, acl: &'static str) -> Self {
        self.acl = acl;
        self
    }
    pub fn group(mut self, group: &'static str) -> Self {
        self.group = group;
        self
    }
    pub fn doc(mut self, since: &'static str, summary: &'static str) -> Self {
        self.since = since;
        self.summary = summary;
        self
    }
    pub fn sub(mut self, subs: Vec<CommandSpec>) -> Self {
        self.subcommands = subs;
        self
    }
    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// Indexes of the key arguments in `argv`.
    pub fn key_indexes(&self, argv: &[Bytes]) -> Vec<usize> {
        if let Some(f) = self.keys_fn {
            return f(argv);
        }
        if self.first_key <= 0 {
            return Vec::new();
        }
        let n = argv.len() as i32;
        let last = if self.last_key < 0 { n + self.last_key } else { self.last_key };
        let step = self.step.max(1);
        let mut out = Vec::new();
        let mut i = self.first_key;
        while i <= last && i < n {
            out.push(i as usize);
            i += step;
        }
        out
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc as i32 == a) || (a < 0 && argc as i32 >= -a)
    }
}

/// The command table: name → spec.
pub struct CommandTable {
    pub map: hashbrown::HashMap<&'static str, CommandSpec>,
    /// Full names by [`CommandSpec::id`].
    names: Vec<&'static str>,
}

impl CommandTable {
    pub fn add(&mut self, mut spec: CommandSpec) {
        spec.id = self.names.len();
        self.names.push(spec.full_name);
        for sub in &mut spec.subcommands {
            // Built once per subcommand for the life of the process.
            sub.full_name = Box::leak(format!("{}|{}", spec.name, sub.name).into_boxed_str());
            sub.id = self.names.len();
            self.names.push(sub.full_name);
        }
        self.map.insert(spec.name, spec);
    }

    /// The full name of the command or subcommand with this [`CommandSpec::id`].
    pub fn full_name(&self, id: usize) -> Option<&'static str> {
        self.names.get(id).copied()
    }
    /// Looks a command up by its (any-case) name.
    pub fn get(&self, name: &[u8]) -> Option<&CommandSpec> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        let lower = std::str::from_utf8(&buf[..name.len()]).ok()?;
        self.map.get(lower)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Every command VaultKey knows.
pub static COMMANDS: LazyLock<CommandTable> = LazyLock::new(|| {
    let mut t = CommandTable { map: hashbrown::HashMap::new(), names: Vec::new() };
    connection::register(&mut t);
    server_cmds::register(&mut t);
    client::register(&mut t);
    transactions::register(&mut t);
    pubsub::register(&mut t);
    keys::register(&mut t);
    sort::register(&mut t);
    strings::register(&mut t);
    bitmaps::register(&mut t);
    lists::register(&mut t);
    hashes::register(&mut t);
    sets::register(&mut t);
    zsets::register(&mut t);
    hyperloglog::register(&mut t);
    geo::register(&mut t);
    streams::register(&mut t);
    scripting::register(&mut t);
    persistence::register(&mut t);
    aof_cmds::register(&mut t);
    t
});

/// Keyspace event classes (`notify-keyspace-events` letters).
pub mod notify {
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const MODULE: u32 = 1 << 12; // d
    pub const NEW: u32 = 1 << 13; // n
}

/// A request to block the calling client until one of `keys` is ready or `timeout_ms` passes.
#[derive(Clone, Debug)]
pub struct BlockRequest {
    pub keys: Vec<Sds>,
    /// Absolute deadline in Unix ms; 0 = forever.
    pub deadline_ms: i64,
    /// The command to re-run when a key is ready (defaults to the original argv; XREAD with `$`
    /// replaces `$` by the ID it resolved to at block time).
    pub argv: Option<Vec<Bytes>>,
    /// What a timeout replies (usually a null array).
    pub timeout_reply: Reply,
}

/// What a command asks the log to record.
#[derive(Default)]
pub struct Effects {
    /// Number of changes made (feeds `rdb_changes_since_last_save` and propagation).
    pub dirty: u64,
    /// Replacement commands to log instead of the one received (`propagate_as`).
    pub replaced: Option<Vec<Vec<Bytes>>>,
    /// Commands logged before the command itself (e.g. DELs of keys found expired).
    pub before: Vec<(usize, Vec<Bytes>)>,
    pub block: Option<BlockRequest>,
    /// Under an LFU policy, the key last looked up for writing (or created) by this command:
    /// later lookups and `set_key` keep its counter (Redis's lookupKeyWrite + dbReplaceValue).
    pub lfu_touched: Option<(usize, Box<[u8]>)>,
}

/// Everything a command can touch while it runs.
pub struct Ctx<'a> {
    pub srv: &'a mut Server,
    pub client: &'a mut Client,
    /// The command's time (ms): fixed for the whole command, and for a whole script.
    pub now: i64,
    pub fx: Effects,
    /// The command's own argv (for default propagation).
    pub argv: &'a [Bytes],
    /// True when running a blocked client's command on its behalf, or inside MULTI/scripts:
    /// blocking commands must not block then.
    pub no_block: bool,
}

/// Common error replies, with Redis's exact texts.
pub mod err {
    use crate::resp::Reply;
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    pub const NOT_INT: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const SYNTAX: &str = "ERR syntax error";
    pub const NO_KEY: &str = "ERR no such key";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const DB_RANGE: &str = "ERR DB index is out of range";
    pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    pub const TIMEOUT_NEG: &str = "ERR timeout is negative";
    pub fn wrongtype() -> Reply {
        Reply::Error(WRONGTYPE.into())
    }
    pub fn not_int() -> Reply {
        Reply::Error(NOT_INT.into())
    }
    pub fn not_float() -> Reply {
        Reply::Error(NOT_FLOAT.into())
    }
    pub fn syntax() -> Reply {
        Reply::Error(SYNTAX.into())
    }
    pub fn no_key() -> Reply {
        Reply::Error(NO_KEY.into())
    }
    pub fn wrong_args(name: &str) -> Reply {
        Reply::Error(format!("ERR wrong number of arguments for '{name}' command"))
    }
}

/// Parses an integer argument or returns the standard error reply.
pub fn arg_i64(b: &[u8]) -> Result<i64, Reply> {
    crate::util::parse_i64(b).ok_or_else(err::not_int)
}

/// Parses a float argument or returns the standard error reply.
pub fn arg_f64(b: &[u8]) -> Result<f64, Reply> {
    crate::util::parse_f64(b).ok_or_else(err::not_float)
}

/// Parses a blocking timeout in seconds (may be fractional) into an absolute deadline in ms
/// (0 = forever), with Redis's errors.
pub fn arg_timeout(b: &[u8], now: i64) -> Result<i64, Reply> {
    let secs = crate::util::parse_f64(b).ok_or_else(|| Reply::Error(err::TIMEOUT_NOT_FLOAT.into()))?;
    if secs < 0.0 {
        return Err(Reply::Error(err::TIMEOUT_NEG.into()));
    }
    let ms = (secs * 1000.0).ceil();
    let out_of_range = || Reply::Error("ERR timeout is out of range".into());
    if !ms.is_finite() || ms >= i64::MAX as f64 {
        return Err(out_of_range());
    }
    if ms == 0.0 {
        return Ok(0);
    }
    (ms as i64).checked_add(now).ok_or_else(out_of_range)
}

impl<'a> Ctx<'a> {
    /// Loads a spilled value back into memory (keys not declared in the command's key specs,
    /// e.g. SORT BY/GET patterns; declared keys were loaded by `spill::prepare_keys`).
    fn unspill(&mut self, key: &[u8]) {
        let db = self.client.db;
        if self.srv.spill.any && matches!(self.srv.dbs[db].get(key).map(|e| &e.value), Some(Value::Spilled(_))) {
            let _ = crate::spill::load_key(self.srv, db, key);
        }
    }

    pub fn db_index(&self) -> usize {
        self.client.db
    }

    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }

    /// Whether a key's entry is logically expired now. While loading, nothing expires (as in
    /// Redis: the log will contain the DEL).
    fn is_expired(&self, e: &Entry) -> bool {
        e.expire_at != NO_EXPIRE && e.expire_at <= self.now && !self.srv.loading
    }

    /// Deletes `key` if it is logically expired, logging the deletion as DEL and firing the
    /// `expired` event (not while CLIENT PAUSE holds, see [`Ctx::live`]). Returns true if the
    /// key is expired.
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        self.live(key) == Some(false)
    }

    /// One lookup of `key`: `None` if absent, `Some(true)` if present and live, `Some(false)`
    /// if it is logically expired (it is then deleted, unless CLIENT PAUSE holds).
    fn live(&mut self, key: &[u8]) -> Option<bool> {
        let db = self.client.db;
        let expired = self.is_expired(self.srv.dbs[db].get(key)?);
        // While CLIENT PAUSE holds (WRITE or ALL) an expired key reads as missing but is not
        // deleted: Redis pauses expiry with the writes (expireIfNeeded).
        let paused = self.srv.pause_until != 0 && self.now < self.srv.pause_until;
        if expired && !paused {
            self.srv.delete_expired(db, key);
            self.fx.before.push((db, vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)]));
        }
        Some(!expired)
    }

    /// Looks a key up for reading: expires it if needed, updates its access time and the
    /// keyspace hit/miss counters.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        let found = self.live(key) == Some(true);
        if found {
            self.unspill(key);
            self.srv.stats.keyspace_hits += 1;
            if !self.srv.touch_on_read {
                // CLIENT NO-TOUCH: a plain read, no copy-on-write of a snapshot's segment.
                return self.srv.dbs[self.client.db].get(key).map(|e| &e.value);
            }
            self.touch_key(key, false).map(|e| &e.value)
        } else {
            self.srv.stats.keyspace_misses += 1;
            self.notify(notify::KEY_MISS, "keymiss", key);
            None
        }
    }

    /// Looks a key up without touching statistics or access time (TYPE-like internal reads).
    pub fn peek(&mut self, key: &[u8]) -> Option<&Entry> {
        if self.expire_if_needed(key) {
            return None;
        }
        self.srv.dbs[self.client.db].get(key)
    }

    /// Looks a key up for writing (expires it first; copy-on-write if a snapshot shares it).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.live(key) != Some(true) {
            return None;
        }
        self.unspill(key);
        self.touch_key(key, true)
    }

    /// Records an access to `key` in its LRU/LFU metadata (Redis's `lookupKey` touch).
    /// Under LFU, after a write lookup (or a key created) in this command, looking the same key
    /// up again counts no further access: our helpers look a key up twice where Redis looks
    /// it up once (APPEND, INCR, ZADD on a new key...). A read then a write (GETSET, SET GET)
    /// counts two, as in Redis.
    /// CLIENT NO-TOUCH (`touch_on_read` false) leaves reads and writes alone, as Redis 7.2.
    /// Returns the key's entry (for writing: copy-on-write if a snapshot shares its segment,
    /// as for every touch).
    fn touch_key(&mut self, key: &[u8], write: bool) -> Option<&mut Entry> {
        let db = self.client.db;
        if !self.srv.touch_on_read {
            return self.srv.dbs[db].get_mut(key);
        }
        let a = crate::db::Access::new(&self.srv.config, self.now);
        if a.lfu && self.fx.lfu_touched.as_ref().is_some_and(|(d, k)| *d == db && &k[..] == key) {
            return self.srv.dbs[db].get_mut(key);
        }
        if a.lfu && write {
            self.fx.lfu_touched = Some((db, key.into()));
        }
        let srv = &mut *self.srv;
        let e = srv.dbs[db].get_mut(key)?;
        e.touch(&a, || rand::Rng::gen::<f64>(&mut srv.rng));
        Some(e)
    }

    /// True if the key exists (after expiry).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.live(key) == Some(true)
    }

    /// Stores `value` at `key` like Redis's `setKey`: replaces any value, clears the expiry
    /// unless `keep_ttl`, and signals the modification.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let db = self.client.db;
        let present = self.live(key) == Some(true);
        let a = crate::db::Access::new(&self.srv.config, self.now);
        if present {
            // Replace the value in place: the key, and the expiry under KEEPTTL, stay.
            let touch = self.srv.touch_on_read && self.fx.lfu_touched.as_ref().is_none_or(|(d, k)| *d != db || &k[..] != key);
            let srv = &mut *self.srv;
            if let Some(e) = srv.dbs[db].get_mut(key) {
                let old = std::mem::replace(&mut e.value, value);
                if !a.lfu {
                    e.init_access(&a);
                } else if touch {
                    // Redis's setKey: the old value is looked up for writing (an access), and
                    // under LFU the new value inherits its counter.
                    e.touch(&a, || rand::Rng::gen::<f64>(&mut srv.rng));
                }
                let clear_ttl = !keep_ttl && e.expire_at != NO_EXPIRE;
                if clear_ttl {
                    srv.dbs[db].set_expire(key, NO_EXPIRE);
                }
                drop(old);
                if a.lfu {
                    self.fx.lfu_touched = Some((db, key.into()));
                }
                self.modified(key);
                return;
            }
        }
        // No live value: a new entry, without expiry (KEEPTTL keeps nothing of an absent key;
        // a key expired while CLIENT PAUSE holds is replaced whole).
        let mut entry = Entry::new(key, value);
        entry.init_access(&a);
        if a.lfu {
            // A command that creates a key and then looks it up again (ZADD, ...) works on the
            // object it created in Redis: no access counted.
            self.fx.lfu_touched = Some((db, key.into()));
        }
        let created = self.srv.dbs[db].insert(entry).is_none();
        self.modified(key);
        // `new` event (class `n`), fired by Redis's dbAdd before the command's own event.
        if created && !self.srv.config.notify_keyspace_events.is_empty() {
            self.notify(notify::NEW, "new", key);
        }
    }

    /// Adds a new key (the caller knows it does not exist); signals the modification.
    pub fn add_key(&mut self, key: &[u8], value: Value) {
        self.set_key(key, value, false)
    }

    /// Deletes a key; returns whether it existed. Signals the modification.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        let db = self.client.db;
        if self.srv.dbs[db].remove(key).is_some() {
            self.modified(key);
            true
        } else {
            false
        }
    }

    /// Deletes a key if its collection became empty (after LPOP, SREM, ...), firing the `del`
    /// event as Redis does.
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        let empty = match self.srv.dbs[db].get(key).map(|e| &e.value) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.srv.dbs[db].remove(key);
            self.notify(notify::GENERIC, "del", key);
        }
        empty
    }

    /// Sets a key's absolute expiry (ms) or clears it with [`NO_EXPIRE`].
    pub fn set_expire(&mut self, key: &[u8], at: i64) -> bool {
        let db = self.client.db;
        self.srv.dbs[db].set_expire(key, at)
    }

    /// Records that `key` in the current database changed: invalidates WATCHes, wakes clients
    /// blocked on it, counts a change.
    pub fn modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.modified_in(db, key);
    }

    pub fn modified_in(&mut self, db: usize, key: &[u8]) {
        self.fx.dirty += 1;
        self.srv.signal_modified(db, key);
    }

    /// Fires a keyspace notification (`__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>`).
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.srv.notify_keyspace_event(class, event, key, db);
    }

    /// Logs `cmds` instead of the command as received (e.g. SET ... PXAT for SET ... EX).
    pub fn propagate_as(&mut self, cmds: Vec<Vec<Bytes>>) {
        self.fx.replaced = Some(cmds);
    }

    /// Asks to block the client (ignored when blocking is not allowed: the caller must then
    /// reply with the timeout reply itself — use [`Ctx::can_block`]).
    pub fn block(&mut self, req: BlockRequest) {
        self.fx.block = Some(req);
    }

    /// Whether the command may block (false inside MULTI, scripts, or when re-run for a
    /// blocked client).
    pub fn can_block(&self) -> bool {
        !self.no_block
    }

    /// The encoding thresholds in force.
    pub fn thresholds(&self) -> crate::types::Thresholds {
        self.srv.config.thresholds
    }
}

/// Returns true if `a` equals `keyword` ignoring ASCII case (re-exported for commands).
pub fn is(a: &[u8], keyword: &str) -> bool {
    eq_ic(a, keyword)
}

/// Parsed `cursor [MATCH pattern] [COUNT count] [TYPE type]` of the SCAN family.
#[derive(Debug, Default)]
pub struct ScanArgs {
    pub cursor: u64,
    pub pattern: Option<Bytes>,
    pub count: usize,
    /// Only for SCAN.
    pub type_name: Option<String>,
    /// HSCAN NOVALUES (Redis 7.4+; accepted for forward compatibility).
    pub novalues: bool,
}

/// Parses SCAN-family arguments: `argv[cursor_idx]` is the cursor, options follow.
pub fn parse_scan_args(argv: &[Bytes], cursor_idx: usize, allow_type: bool) -> Result<ScanArgs, Reply> {
    let cursor = crate::util::parse_u64(&argv[cursor_idx]).ok_or_else(|| Reply::Error("ERR invalid cursor".into()))?;
    let mut a = ScanArgs { cursor, count: 10, ..Default::default() };
    let mut i = cursor_idx + 1;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "count") && more {
            let n = arg_i64(&argv[i + 1])?;
            if n < 1 {
                return Err(err::syntax());
            }
            a.count = n as usize;
            i += 2;
        } else if is(&argv[i], "match") && more {
            let p = argv[i + 1].clone();
            a.pattern = if &p[..] == b"*" { None } else { Some(p) };
            i += 2;
        } else if allow_type && is(&argv[i], "type") && more {
            a.type_name = Some(String::from_utf8_lossy(&argv[i + 1]).to_ascii_lowercase());
            i += 2;
        } else {
            return Err(err::syntax());
        }
    }
    Ok(a)
}
