//! The server state shared by all connections, and the execution entry point.
//!
//! # Execution model
//! All state lives in one [`Server`] behind a `parking_lot::Mutex` ([`Shared::srv`]). A
//! connection task parses requests and encodes replies on whichever tokio worker runs it (both
//! cores work on socket I/O and protocol work), and takes the lock only to execute. Execution
//! never awaits while holding the lock — a std-style mutex is the right tool, and the order in
//! which commands take the lock is the one total order in which they take effect and in which
//! their effects reach the command log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hashbrown::HashMap;
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::client::{Client, ClientShared};
use crate::cmd::{self, BlockRequest, CommandSpec, Ctx, COMMANDS};
use crate::config::Config;
use crate::db::{Db, Sds};
use crate::pubsub::PubSub;
use crate::resp::Reply;
use crate::util::now_ms;

/// Counters reported by INFO stats / commandstats / errorstats.
#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub pubsub_messages: u64,
    /// Per command or subcommand: calls, usec, rejected, failed.
    pub commands: CommandStats,
    /// Error prefix ("ERR", "WRONGTYPE") → count.
    pub errors: HashMap<String, u64>,
}

/// Per-command statistics, indexed by [`CommandSpec::id`] (no hashing on every command).
#[derive(Default, Debug, Clone)]
pub struct CommandStats {
    slots: Vec<Option<(&'static str, CommandStat)>>,
}

impl CommandStats {
    /// The statistics of `spec`, created on first use.
    pub fn of(&mut self, spec: &CommandSpec) -> &mut CommandStat {
        if self.slots.len() <= spec.id {
            self.slots.resize_with(spec.id + 1, || None);
        }
        &mut self.slots[spec.id].get_or_insert_with(|| (spec.full_name, CommandStat::default())).1
    }

    /// The statistics of a command by full name ("get", "config|get"), if it has any.
    pub fn get(&self, name: &str) -> Option<&CommandStat> {
        self.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }

    /// Every command with statistics, by full name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &CommandStat)> {
        self.slots.iter().flatten().map(|(n, s)| (*n, s))
    }
}

#[derive(Default, Debug, Clone)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Latency histogram (LATENCY HISTOGRAM, INFO latencystats) while `latency-tracking` is on.
    pub hist: crate::latency::Hist,
}

/// A client blocked on keys (BLPOP, BZPOPMIN, XREAD BLOCK, ...).
pub struct Waiter {
    pub client_id: u64,
    pub db: usize,
    pub resp: u8,
    pub keys: Vec<Sds>,
    pub argv: Vec<Bytes>,
    pub deadline_ms: i64,
    pub tx: oneshot::Sender<Reply>,
    pub shared: Arc<ClientShared>,
}

/// One SLOWLOG entry.
#[derive(Clone, Debug)]
pub struct SlowlogEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub argv: Vec<Bytes>,
    pub addr: String,
    pub name: String,
}

pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub stats: Stats,
    pub pubsub: PubSub,
    /// Registered connections, by id.
    pub clients: HashMap<u64, Arc<ClientShared>>,
    /// Watched keys: (db, key) → watching clients' dirty flags.
    pub watches: HashMap<(usize, Sds), Vec<(u64, Arc<AtomicBool>)>>,
    /// Blocked clients by key, in arrival order.
    pub blocked_on: HashMap<(usize, Sds), VecDeque<u64>>,
    pub waiters: HashMap<u64, Waiter>,
    /// Keys that received data while clients wait on them.
    pub ready_keys: VecDeque<(usize, Sds)>,
    /// Commands to log, accumulated during one top-level execution unit.
    pub pending_log: Vec<(usize, Vec<Bytes>)>,
    /// Nesting depth of execution units (EXEC, scripts) being run.
    pub exec_depth: u32,
    /// True while loading the dataset (nothing expires, nothing is logged).
    pub loading: bool,
    /// Changes since the last successful save.
    pub dirty: u64,
    pub lastsave: i64,
    pub start: Instant,
    pub start_ms: i64,
    pub run_id: String,
    pub next_client_id: Arc<AtomicU64>,
    pub rng: rand::rngs::SmallRng,
    pub touch_on_read: bool,
    pub active_expire_enabled: bool,
    pub monitors: Vec<Arc<ClientShared>>,
    pub slowlog: VecDeque<SlowlogEntry>,
    pub slowlog_next_id: u64,
    /// CLIENT PAUSE: until (ms) and whether only writes are paused.
    pub pause_until: i64,
    pub pause_writes_only: bool,
    pub tcp_port: u16,
    pub executable: String,
    pub config_file: String,
    /// Log sink for the AOF / replication stream; `None` while nothing consumes the log.
    pub log_sink: Option<Box<dyn LogSink>>,
    /// Latest log position handed to the sink.
    pub last_lsn: u64,
    /// RDB persistence state (INFO persistence, save points).
    pub rdb: crate::persist::RdbState,
    /// A handle on the shared state, for background jobs started by commands (BGSAVE).
    pub shared: std::sync::Weak<Shared>,
    /// Source code of the loaded function libraries (saved in RDB files and AOF rewrites).
    pub function_libraries: Vec<Bytes>,
    /// AOF state: writer, manifest, rewrite bookkeeping (see `crate::aof`).
    pub aof: crate::aof::AofState,
    /// Set by a command (WAITAOF) that wants its reply held until this log position is
    /// fsynced; taken by `execute` into [`Outcome::wait_fsync`].
    pub wait_fsync_request: u64,
    /// The spill tier (cold values on disk), see `crate::spill`.
    pub spill: crate::spill::SpillState,
    /// Client-side caching (CLIENT TRACKING), see `crate::cmd::client`.
    pub tracking: crate::cmd::client::Tracking,
}

/// Where propagated commands go (the AOF writer, later the replication backlog).
pub trait LogSink: Send {
    /// Appends commands (already in order, already wrapped in MULTI/EXEC when needed);
    /// `db` is the database each applies to. Returns the log position a reply must wait for
    /// ([`Durable::lsn`]: fsynced under `appendfsync always`, written to the file otherwise),
    /// 0 when replies need not wait, or [`LSN_FAILED`] when the append was refused (the
    /// log is poisoned: the reply must become an error).
    fn append(&mut self, cmds: &[(usize, Vec<Bytes>)]) -> u64;
}

/// The state shared by every task.
pub struct Shared {
    pub srv: Mutex<Server>,
    pub shutdown: tokio::sync::Notify,
    pub shutting_down: AtomicBool,
    /// Durable position of the command log; connections wait on it under `appendfsync always`.
    pub durable: tokio::sync::watch::Sender<Durable>,
}

/// A log position that never becomes durable: the append was refused.
pub const LSN_FAILED: u64 = u64::MAX;

/// How far the command log is durable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Durable {
    /// Acknowledgement point: replies waiting on a position at or below it may go out
    /// (fsynced under `appendfsync always`, written to the file under `everysec`/`no`).
    pub lsn: u64,
    /// Writing or syncing the log failed: waiters must not wait forever.
    pub failed: bool,
    /// Everything below this position is fsynced (WAITAOF).
    pub fsynced: u64,
    /// Positions in `(lost_from, lost_below]` were (or may have been) lost by a failed write
    /// or fsync: replies waiting on them get an error. `lost_below` is `u64::MAX` while the
    /// log is poisoned, and the start of the rebuilt log once it is made whole again.
    pub lost_from: u64,
    pub lost_below: u64,
}

impl Durable {
    /// Whether a reply waiting on `lsn` (acknowledgement point, or fsync when `fsync`) can be
    /// decided now: `Some(true)` send it, `Some(false)` it failed, `None` keep waiting.
    pub fn verdict(&self, lsn: u64, fsync: bool) -> Option<bool> {
        if lsn == LSN_FAILED || (lsn > self.lost_from && lsn <= self.lost_below) {
            return if self.failed || lsn == LSN_FAILED || self.lost_below != u64::MAX { Some(false) } else { None };
        }
        let reached = if fsync { self.fsynced } else { self.lsn };
        if reached >= lsn {
            Some(true)
        } else if self.failed {
            Some(false)
        } else {
            None
        }
    }
}

impl Shared {
    pub fn new(srv: Server) -> Arc<Shared> {
        let (durable, _) = tokio::sync::watch::channel(Durable::default());
        let shared = Arc::new(Shared {
            srv: Mutex::new(srv),
            shutdown: tokio::sync::Notify::new(),
            shutting_down: AtomicBool::new(false),
            durable,
        });
        shared.srv.lock().shared = Arc::downgrade(&shared);
        shared
    }
}

impl Server {
    pub fn new(config: Config) -> Server {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::from_entropy();
        let run_id: String = (0..40).map(|_| format!("{:x}", rng.gen_range(0..16))).collect();
        let dbs = (0..config.databases).map(|_| Db::new()).collect();
        let now = now_ms();
        Server {
            tcp_port: config.port,
            config,
            dbs,
            stats: Stats::default(),
            pubsub: PubSub::default(),
            clients: HashMap::new(),
            watches: HashMap::new(),
            blocked_on: HashMap::new(),
            waiters: HashMap::new(),
            ready_keys: VecDeque::new(),
            pending_log: Vec::new(),
            exec_depth: 0,
            loading: false,
            dirty: 0,
            lastsave: now / 1000,
            start: Instant::now(),
            start_ms: now,
            run_id,
            next_client_id: Arc::new(AtomicU64::new(1)),
            rng,
            touch_on_read: true,
            active_expire_enabled: true,
            monitors: Vec::new(),
            slowlog: VecDeque::new(),
            slowlog_next_id: 0,
            pause_until: 0,
            pause_writes_only: false,
            executable: std::env::args().next().unwrap_or_default(),
            config_file: String::new(),
            log_sink: None,
            last_lsn: 0,
            rdb: crate::persist::RdbState { last_bgsave_ok: true, ..Default::default() },
            shared: std::sync::Weak::new(),
            function_libraries: Vec::new(),
            aof: crate::aof::AofState::default(),
            wait_fsync_request: 0,
            spill: Default::default(),
            tracking: Default::default(),
        }
    }

    /// Redis's LRU clock: seconds, 24 bits.
    pub fn lru_clock(&self) -> u32 {
        ((now_ms() / 1000) & 0xFF_FFFF) as u32
    }

    /// Signals that a key changed: invalidates WATCHes and marks blocked clients' keys ready.
    pub fn signal_modified(&mut self, db: usize, key: &[u8]) {
        if !self.watches.is_empty() {
            if let Some(ws) = self.watches.get(&(db, Sds::from(key))) {
                for (_, flag) in ws {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        }
        if !self.blocked_on.is_empty() && self.blocked_on.contains_key(&(db, Sds::from(key))) {
            self.ready_keys.push_back((db, key.into()));
        }
        if self.tracking.active() {
            crate::cmd::client::tracking_invalidate_key(self, key);
        }
    }


    /// Redis's `touchAllWatchedKeysInDb`: invalidates the WATCHes of keys that exist in
    /// `emptied` (or in `replaced_with`, for SWAPDB). Call it *before* emptying a database
    /// (FLUSHDB/FLUSHALL) or swapping two: a watched key that did not exist is not touched, so
    /// `WATCH missing; FLUSHALL; MULTI; ...; EXEC` still runs, as in Redis.
    pub fn touch_watched_keys_in_db(&mut self, emptied: usize, replaced_with: Option<usize>) {
        for ((d, key), ws) in self.watches.iter() {
            if *d != emptied {
                continue;
            }
            let exists = self.dbs.get(emptied).is_some_and(|db| db.get(key).is_some())
                || replaced_with.is_some_and(|r| self.dbs.get(r).is_some_and(|db| db.get(key).is_some()));
            if exists {
                for (_, flag) in ws {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        }
    }

    /// Removes an expired key and fires the `expired` event.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].remove(key).is_some() {
            self.stats.expired_keys += 1;
            self.notify_keyspace_event(cmd::notify::EXPIRED, "expired", key, db);
            // The server deletes it, not the client whose access found it expired: NOLOOP
            // does not filter the invalidation (Redis signals it with no client).
            let current = std::mem::take(&mut self.tracking.current);
            self.signal_modified(db, key);
            self.tracking.current = current;
        }
    }

    /// Publishes a keyspace notification if `notify-keyspace-events` enables its class.
    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = crate::pubsub::keyspace_event_flags(&self.config.notify_keyspace_events);
        if flags & class == 0 {
            return;
        }
        if flags & crate::pubsub::NOTIFY_KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            self.pubsub.publish(&ch, event.as_bytes());
        }
        if flags & crate::pubsub::NOTIFY_KEYEVENT != 0 {
            let ch = format!("__keyevent@{db}__:{event}");
            self.pubsub.publish(ch.as_bytes(), key);
        }
    }

    /// Hands the commands accumulated by an execution unit to the log, wrapping several in
    /// MULTI/EXEC so they are applied atomically on replay. Returns the log position to wait for
    /// (0 when nothing was logged).
    pub fn flush_log(&mut self) -> u64 {
        if self.pending_log.is_empty() {
            return 0;
        }
        let mut cmds = std::mem::take(&mut self.pending_log);
        let Some(sink) = self.log_sink.as_mut() else {
            return 0;
        };
        if cmds.len() > 1 {
            let db = cmds[0].0;
            cmds.insert(0, (db, vec![Bytes::from_static(b"MULTI")]));
            let last_db = cmds.last().map(|c| c.0).unwrap_or(db);
            cmds.push((last_db, vec![Bytes::from_static(b"EXEC")]));
        }
        self.last_lsn = sink.append(&cmds);
        self.last_lsn
    }

    /// Registers a blocked client.
    pub fn add_waiter(&mut self, w: Waiter) {
        for k in &w.keys {
            self.blocked_on.entry((w.db, k.clone())).or_default().push_back(w.client_id);
        }
        self.waiters.insert(w.client_id, w);
    }

    /// Removes a blocked client from every queue; returns it if it was still blocked.
    pub fn remove_waiter(&mut self, client_id: u64) -> Option<Waiter> {
        let w = self.take_waiter(client_id)?;
        // Still connected: a timeout or CLIENT UNBLOCK ends the command, which counts as its
        // one call (a served command is counted by `call`; a closed connection is not counted).
        if self.clients.contains_key(&client_id) {
            if let Ok((spec, _)) = resolve(&w.argv) {
                self.stats.commands.of(spec).calls += 1;
                self.stats.total_commands_processed += 1;
            }
        }
        Some(w)
    }

    /// [`Server::remove_waiter`] without counting the command (it was served).
    fn take_waiter(&mut self, client_id: u64) -> Option<Waiter> {
        let w = self.waiters.remove(&client_id)?;
        for k in &w.keys {
            let slot = (w.db, k.clone());
            if let Some(q) = self.blocked_on.get_mut(&slot) {
                q.retain(|id| *id != client_id);
                if q.is_empty() {
                    self.blocked_on.remove(&slot);
                }
            }
        }
        Some(w)
    }

    /// Serves clients blocked on keys that received data, in arrival order, by running their
    /// command again on their behalf. Returns the highest log position written.
    pub fn handle_ready_keys(&mut self) -> u64 {
        let mut lsn = 0;
        let mut guard = 0;
        while let Some((db, key)) = self.ready_keys.pop_front() {
            guard += 1;
            if guard > 1_000_000 {
                break;
            }
            let Some(queue) = self.blocked_on.get(&(db, key.clone())) else { continue };
            let ids: Vec<u64> = queue.iter().copied().collect();
            for id in ids {
                let Some(w) = self.waiters.get(&id) else { continue };
                let argv = w.argv.clone();
                let mut client = Client::new(w.shared.clone(), true);
                client.db = w.db;
                client.resp = w.resp;
                let spec = match COMMANDS.get(&argv[0]) {
                    Some(s) => s,
                    None => continue,
                };
                // Invalidations the served command causes for its own client follow its reply.
                let defer = self.tracking.active();
                if defer {
                    crate::cmd::client::tracking_defer_own(self, id);
                }
                let (reply, block) = call(self, &mut client, spec, &argv, false);
                lsn = lsn.max(self.flush_log());
                if block.is_none() {
                    if let Some(w) = self.take_waiter(id) {
                        let _ = w.tx.send(reply);
                    }
                }
                if defer {
                    crate::cmd::client::tracking_release_own(self);
                }
                // When still blocked: nothing for this client; later clients in the queue cannot
                // be served either only if the key is now empty, but keep FIFO fairness simple:
                // try the next waiter (it may wait on a different condition, e.g. XREAD IDs).
            }
        }
        lsn
    }

    /// Number of blocked clients: waiting on keys, or holding a command postponed by CLIENT
    /// PAUSE (Redis counts both in `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        let postponed = if self.pause_until != 0 {
            self.clients.values().filter(|c| c.postponed.load(Ordering::Relaxed)).count()
        } else {
            0
        };
        self.waiters.len() + postponed
    }

    pub fn uptime_secs(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    /// Registers a function library's code (from an RDB file, FUNCTION RESTORE or the AOF).
    /// The scripting engine compiles it; until then the code is kept so it is saved again.
    pub fn load_function_library(&mut self, code: Bytes) -> Result<(), String> {
        crate::scripting::validate_library(&self.function_libraries, &code, false)
            .map_err(|e| e.strip_prefix("ERR ").unwrap_or(&e).to_string())?;
        self.function_libraries.push(code);
        Ok(())
    }

    /// Drops every function library (FUNCTION FLUSH, DEBUG RELOAD).
    pub fn clear_functions(&mut self) {
        self.function_libraries.clear();
    }
}

/// The `name=` of a library's `#!lua name=<name>` shebang line.
pub fn library_name(code: &[u8]) -> Option<String> {
    crate::scripting::library_metadata(code).ok().map(|(_, name)| name)
}

/// What the connection must do after a command.
pub enum Action {
    None,
    /// Wait for a reply from a key becoming ready, or the deadline.
    Block { rx: oneshot::Receiver<Reply>, deadline_ms: i64, timeout_reply: Reply },
    /// Close the connection after sending the reply.
    Close,
}

pub struct Outcome {
    pub reply: Option<Reply>,
    pub action: Action,
    /// Log position that must be durable before the reply may be sent (appendfsync always).
    pub wait_lsn: u64,
    /// Log position that must be fsynced before the reply may be sent (WAITAOF).
    pub wait_fsync: u64,
}

impl Outcome {
    fn reply(r: Reply) -> Outcome {
        Outcome { reply: Some(r), action: Action::None, wait_lsn: 0, wait_fsync: 0 }
    }
}

fn unknown_command(argv: &[Bytes]) -> Reply {
    let mut args = String::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let s = String::from_utf8_lossy(a);
        let room = 128 - args.len();
        let part: String = s.chars().take(room).collect();
        args.push_str(&format!("'{part}' "));
    }
    let name: String = String::from_utf8_lossy(&argv[0]).chars().take(128).collect();
    Reply::Error(format!("ERR unknown command '{name}', with args beginning with: {args}"))
}

/// Resolves a command and its subcommand, checking arity. Returns the spec and its full name.
/// [`COMMANDS`]`.get`, remembering the last name looked up on this thread: pipelined
/// requests mostly repeat one command, and comparing a few bytes is cheaper than lower-casing
/// and hashing the name again.
fn lookup_command(name: &[u8]) -> Option<&'static CommandSpec> {
    const MAX: usize = 16;
    type Last = ([u8; MAX], usize, Option<&'static CommandSpec>);
    thread_local! {
        static LAST: std::cell::Cell<Last> = const { std::cell::Cell::new(([0; MAX], 0, None)) };
    }
    let (bytes, len, spec) = LAST.get();
    if spec.is_some() && len == name.len() && bytes[..len] == *name {
        return spec;
    }
    let spec = COMMANDS.get(name);
    if spec.is_some() && name.len() <= MAX {
        let mut b = [0; MAX];
        b[..name.len()].copy_from_slice(name);
        LAST.set((b, name.len(), spec));
    }
    spec
}

/// Finds the command (or subcommand) `argv` names and checks its arity. Returns it with its
/// top-level command (the same spec unless it is a subcommand).
pub fn resolve(argv: &[Bytes]) -> Result<(&'static CommandSpec, &'static CommandSpec), Reply> {
    let Some(spec) = lookup_command(&argv[0]) else {
        return Err(unknown_command(argv));
    };
    if !spec.subcommands.is_empty() && argv.len() >= 2 {
        let subname = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        match spec.subcommands.iter().find(|s| s.name == subname) {
            Some(sub) => {
                if !sub.arity_ok(argv.len()) {
                    return Err(cmd::err::wrong_args(sub.full_name));
                }
                return Ok((sub, spec));
            }
            None => {
                let shown: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
                return Err(Reply::Error(format!(
                    "ERR unknown subcommand '{shown}'. Try {} HELP.",
                    spec.name.to_ascii_uppercase()
                )));
            }
        }
    }
    if !spec.arity_ok(argv.len()) {
        return Err(cmd::err::wrong_args(spec.name));
    }
    Ok((spec, spec))
}

/// Counts an error reply in the stats (total_error_replies and errorstats).
pub fn count_error(srv: &mut Server, reply: &Reply) {
    if let Reply::Error(msg) = reply {
        srv.stats.total_error_replies += 1;
        let code = msg.split(' ').next().unwrap_or("ERR").to_string();
        *srv.stats.errors.entry(code).or_default() += 1;
    }
}

/// The clock of a run of pipelined commands executed back to back under one lock acquisition
/// (`net::Conn::process`): the time read when one command ends is the start of the next, so a
/// command costs one clock read instead of two. Its duration then also counts the parsing of
/// its request (well under a microsecond). Outside such a run every command reads the clock
/// at its start and at its end.
pub mod clock_chain {
    use std::cell::Cell;

    thread_local! {
        /// Whether a run is going on on this thread.
        static ACTIVE: Cell<bool> = const { Cell::new(false) };
        /// When the previous command of the run ended.
        static LAST_END: Cell<Option<i64>> = const { Cell::new(None) };
    }

    /// Starts (`true`) or ends (`false`) a run on this thread.
    pub fn set_active(on: bool) {
        ACTIVE.set(on);
        LAST_END.set(None);
    }

    /// The start of a command: the end of the previous command of the run, or now.
    pub fn start() -> i64 {
        LAST_END.take().unwrap_or_else(crate::util::now_us)
    }

    /// The end of a command (now), remembered as the start of the next one during a run.
    pub fn end() -> i64 {
        let now = crate::util::now_us();
        if ACTIVE.get() {
            LAST_END.set(Some(now));
        }
        now
    }
}

/// Runs one resolved command: the handler, its statistics, and collects its log effects into
/// `srv.pending_log`. Returns the reply and a block request if the command wants to block.
pub fn call(
    srv: &mut Server,
    client: &mut Client,
    spec: &CommandSpec,
    argv: &[Bytes],
    no_block: bool,
) -> (Reply, Option<BlockRequest>) {
    // One clock read gives both the command's time and the start of its duration; within a
    // run of pipelined commands the end of one is the start of the next (`clock_chain`).
    let start_us = clock_chain::start();
    let db = client.db;
    if srv.loading && srv.config.maxmemory > 0 {
        crate::spill::while_loading(srv);
    }
    let loaded = crate::spill::prepare_keys(srv, db, spec, argv);
    let prev_current = std::mem::replace(&mut srv.tracking.current, client.id);
    // Commands run by a script see the time the script started (Redis freezes the clock).
    let now = if client.in_script { crate::scripting::script_time() } else { start_us / 1000 };
    let mut ctx = Ctx { srv, client, now, fx: cmd::Effects::default(), argv, no_block };
    let reply = match loaded {
        Some(e) => e,
        None => (spec.handler)(&mut ctx, argv),
    };
    let fx = std::mem::take(&mut ctx.fx);
    let srv = ctx.srv;
    let client = ctx.client;
    if srv.tracking.active() {
        crate::cmd::client::tracking_after_call(srv, client.id, client.multi.is_some(), spec, argv);
    }
    srv.tracking.current = prev_current;
    // (A wall-clock step backwards reads as 0 µs.)
    let elapsed = (clock_chain::end() - start_us).max(0) as u64;
    // A command that blocks is counted once, when it is served or times out (Redis's
    // updateStatsOnUnblock; a timeout is counted by `remove_waiter`).
    if fx.block.is_none() {
        let stat = srv.stats.commands.of(spec);
        stat.calls += 1;
        stat.usec += elapsed;
        if reply.is_error() {
            stat.failed_calls += 1;
        }
        crate::latency::command_done(stat, spec.has(cmd::flags::FAST), elapsed);
        srv.stats.total_commands_processed += 1;
    }
    srv.dirty += fx.dirty;
    // Nothing consumes the log (no AOF): don't copy every write's arguments for nothing.
    if !srv.loading && srv.log_sink.is_some() {
        srv.pending_log.extend(fx.before);
        if let Some(cmds) = fx.replaced {
            for c in cmds {
                srv.pending_log.push((db, c));
            }
        } else if fx.dirty > 0 && (spec.has(cmd::flags::WRITE) || spec.has(cmd::flags::MAY_REPLICATE)) {
            srv.pending_log.push((db, argv.to_vec()));
        }
    }
    if elapsed as i64 >= srv.config.slowlog_log_slower_than
        && srv.config.slowlog_log_slower_than >= 0
        && !spec.has(cmd::flags::SKIP_SLOWLOG)
    {
        let name = client.shared.name.lock().as_ref().map(|n| String::from_utf8_lossy(n).into_owned());
        let shown = cmd::connection::redact_for_logs(argv);
        add_slowlog(srv, (client.shared.addr.clone(), name.unwrap_or_default()), shown.as_deref().unwrap_or(argv), elapsed);
    }
    (reply, fx.block)
}

fn add_slowlog(srv: &mut Server, who: (String, String), argv: &[Bytes], us: u64) {
    let max_args = 32;
    let mut args: Vec<Bytes> = argv.iter().take(max_args).map(|a| {
        if a.len() > 128 {
            let mut v = a[..128].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - 128).as_bytes());
            Bytes::from(v)
        } else {
            // A copy: the argument is a slice of a read buffer the entry would keep allocated.
            Bytes::copy_from_slice(a)
        }
    }).collect();
    if argv.len() > max_args {
        args[max_args - 1] = Bytes::from(format!("... ({} more arguments)", argv.len() - max_args + 1));
    }
    let entry = SlowlogEntry {
        id: srv.slowlog_next_id,
        time: now_ms() / 1000,
        duration_us: us,
        argv: args,
        addr: who.0,
        name: who.1,
    };
    srv.slowlog_next_id += 1;
    srv.slowlog.push_front(entry);
    while srv.slowlog.len() as u64 > srv.config.slowlog_max_len {
        srv.slowlog.pop_back();
    }
}

const SUBSCRIBED_ALLOWED: &[&str] =
    &["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"];

/// Executes one request from a connection: the whole of Redis's `processCommand`.
pub fn execute(srv: &mut Server, client: &mut Client, argv: Vec<Bytes>) -> Outcome {
    let (spec, top) = match resolve(&argv) {
        Ok(x) => x,
        Err(e) => {
            if let Some(m) = client.multi.as_mut() {
                m.aborted = true;
            }
            if let Some(top) = COMMANDS.get(&argv[0]) {
                srv.stats.commands.of(top).rejected_calls += 1;
            }
            count_error(srv, &e);
            return Outcome::reply(e);
        }
    };
    let name = top.name;
    let full = spec.full_name;
    client.shared.last_cmd.store(spec.id, Ordering::Relaxed);

    let reject = |srv: &mut Server, client: &mut Client, e: Reply| {
        if let Some(m) = client.multi.as_mut() {
            m.aborted = true;
        }
        srv.stats.commands.of(spec).rejected_calls += 1;
        count_error(srv, &e);
        Outcome::reply(e)
    };

    if !client.authenticated && !spec.has(cmd::flags::NO_AUTH) {
        return reject(srv, client, Reply::Error("NOAUTH Authentication required.".into()));
    }
    if client.in_subscribed_mode() && !SUBSCRIBED_ALLOWED.contains(&name) {
        return reject(
            srv,
            client,
            Reply::Error(format!(
                "ERR Can't execute '{full}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )),
        );
    }

    // Queue inside MULTI.
    if client.multi.is_some() && !matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset") {
        if spec.has(cmd::flags::NO_MULTI) {
            return reject(srv, client, Reply::Error("ERR Command not allowed inside a transaction".into()));
        }
        if let Some(e) = crate::spill::before_queuing(srv, spec, &argv) {
            return reject(srv, client, e);
        }
        if let Some(m) = client.multi.as_mut() {
            m.queued.push(argv);
            client.shared.multi_count.store(m.queued.len() as i64, Ordering::Relaxed);
        }
        return Outcome::reply(Reply::Simple("QUEUED".into()));
    }

    if spec.has(cmd::flags::WRITE) || spec.has(cmd::flags::MAY_REPLICATE) {
        if let Some(e) = srv.write_refusal(spec) {
            return reject(srv, client, e);
        }
    }
    // maxmemory: spill or evict first; refuse DENYOOM commands when that fails.
    if srv.config.maxmemory > 0 {
        if let Some(e) = crate::spill::before_command(srv, spec) {
            return reject(srv, client, e);
        }
        if name == "exec" {
            if let Some(e) = crate::spill::before_exec(srv, client) {
                return reject(srv, client, e);
            }
        }
    }

    if name == "exec" {
        let start = Instant::now();
        let out = exec_transaction(srv, client);
        // Monitors see EXEC after the commands it ran (Redis feeds it from call(), after the
        // command; also when the transaction was aborted).
        if !srv.monitors.is_empty() {
            feed_monitors(srv, client, &argv);
        }
        if srv.tracking.active() {
            crate::cmd::client::tracking_after_exec(srv, client.id);
            crate::cmd::client::tracking_broadcast(srv);
        }
        let stat = srv.stats.commands.of(spec);
        stat.calls += 1;
        let us = start.elapsed().as_micros() as u64;
        stat.usec += us;
        crate::latency::command_done(stat, false, us);
        return out;
    }

    // CLIENT NO-TOUCH: reads by this client leave access times alone (TOUCH still touches).
    let touch = srv.touch_on_read;
    srv.touch_on_read = touch && (!client.no_touch || name == "touch");
    let (reply, block) = call(srv, client, spec, &argv, false);
    srv.touch_on_read = touch;
    // Monitors see the command once it ran (with the database it left selected), as Redis's
    // call() feeds them.
    if !srv.monitors.is_empty() && monitored(spec) {
        feed_monitors(srv, client, &argv);
    }
    if reply.is_error() {
        count_error(srv, &reply);
    }
    let mut wait_lsn = srv.flush_log();
    if !srv.ready_keys.is_empty() {
        wait_lsn = wait_lsn.max(srv.handle_ready_keys());
    }
    if srv.tracking.active() {
        crate::cmd::client::tracking_broadcast(srv);
    }
    if let Some(b) = block {
        let (tx, rx) = oneshot::channel();
        let deadline_ms = b.deadline_ms;
        let timeout_reply = b.timeout_reply.clone();
        srv.add_waiter(Waiter {
            client_id: client.id,
            db: client.db,
            resp: client.resp,
            keys: b.keys,
            // Copies: the arguments are slices of the read buffer, which a client blocked for
            // long would otherwise keep allocated whole.
            argv: b.argv.unwrap_or(argv).iter().map(|a| Bytes::copy_from_slice(a)).collect(),
            deadline_ms,
            tx,
            shared: client.shared.clone(),
        });
        srv.wait_fsync_request = 0;
        return Outcome { reply: None, action: Action::Block { rx, deadline_ms, timeout_reply }, wait_lsn, wait_fsync: 0 };
    }
    let action = if client.close_after_reply { Action::Close } else { Action::None };
    let wait_fsync = std::mem::take(&mut srv.wait_fsync_request);
    Outcome { reply: Some(reply), action, wait_lsn, wait_fsync }
}

/// Runs a queued transaction (EXEC).
fn exec_transaction(srv: &mut Server, client: &mut Client) -> Outcome {
    let Some(multi) = client.multi.take() else {
        let e = Reply::Error("ERR EXEC without MULTI".into());
        count_error(srv, &e);
        return Outcome::reply(e);
    };
    client.shared.multi_count.store(-1, Ordering::Relaxed);
    // A watched key that expired since WATCH counts as modified (Redis 7 isWatchedKeyExpired;
    // keys already expired at WATCH time were deleted by WATCH itself).
    let now = now_ms();
    let expired = !srv.loading
        && client.watched.iter().any(|(db, key)| {
            srv.dbs.get(*db).and_then(|d| d.get(key)).is_some_and(|e| e.expire_at != crate::db::NO_EXPIRE && e.expire_at <= now)
        });
    let dirty = client.watch_dirty.load(Ordering::SeqCst) || expired;
    unwatch_all(srv, client);
    if multi.aborted {
        let e = Reply::Error("EXECABORT Transaction discarded because of previous errors.".into());
        count_error(srv, &e);
        return Outcome::reply(e);
    }
    if dirty {
        return Outcome::reply(Reply::NilArray);
    }
    srv.exec_depth += 1;
    let mut replies = Vec::with_capacity(multi.queued.len());
    for argv in multi.queued {
        let (spec, _) = match resolve(&argv) {
            Ok(x) => x,
            Err(e) => {
                replies.push(e);
                continue;
            }
        };
        // A write refused for reasons that appeared after queuing (OOM, MISCONF).
        if spec.has(cmd::flags::WRITE) {
            if let Some(e) = srv.write_refusal(spec) {
                count_error(srv, &e);
                replies.push(e);
                continue;
            }
        }
        let touch = srv.touch_on_read;
        srv.touch_on_read = touch && (!client.no_touch || spec.name == "touch");
        let (reply, _) = call(srv, client, spec, &argv, true);
        srv.touch_on_read = touch;
        if !srv.monitors.is_empty() && monitored(spec) {
            feed_monitors(srv, client, &argv);
        }
        if reply.is_error() {
            count_error(srv, &reply);
        }
        replies.push(reply);
    }
    srv.exec_depth -= 1;
    // Log the transaction's effects as one unit: wrap even a single write in MULTI/EXEC when
    // the transaction had it (Redis does the same for EXEC).
    let mut wait = srv.flush_log();
    if !srv.ready_keys.is_empty() {
        wait = wait.max(srv.handle_ready_keys());
    }
    let action = if client.close_after_reply { Action::Close } else { Action::None };
    srv.wait_fsync_request = 0;
    Outcome { reply: Some(Reply::Array(replies)), action, wait_lsn: wait, wait_fsync: 0 }
}

/// Drops all of a client's WATCHes.
pub fn unwatch_all(srv: &mut Server, client: &mut Client) {
    for slot in client.watched.drain(..) {
        if let Some(ws) = srv.watches.get_mut(&slot) {
            ws.retain(|(id, _)| *id != client.id);
            if ws.is_empty() {
                srv.watches.remove(&slot);
            }
        }
    }
    client.watch_dirty.store(false, Ordering::SeqCst);
}

/// Whether MONITOR shows this command: Redis hides administrative commands and SKIP_MONITOR ones
/// (EVAL and FCALL, which feed themselves before their script's commands). Secrets in AUTH,
/// HELLO and CONFIG SET are redacted by `feed_monitors`.
pub fn monitored(spec: &CommandSpec) -> bool {
    !spec.has(cmd::flags::SKIP_MONITOR) && !spec.has(cmd::flags::ADMIN)
}

/// Sends `argv` to the MONITOR clients as run by `client` (`[db lua]` for a script's commands).
pub fn feed_monitors(srv: &mut Server, client: &Client, argv: &[Bytes]) {
    let shown = cmd::connection::redact_for_logs(argv);
    let argv = shown.as_deref().unwrap_or(argv);
    let now = crate::util::now_us();
    let mut line = if client.in_script {
        format!("{}.{:06} [{} lua]", now / 1_000_000, now % 1_000_000, client.db)
    } else {
        format!("{}.{:06} [{} {}]", now / 1_000_000, now % 1_000_000, client.db, client.shared.addr)
    };
    for a in argv {
        line.push(' ');
        line.push('"');
        for &c in a.iter() {
            match c {
                b'\\' => line.push_str("\\\\"),
                b'"' => line.push_str("\\\""),
                b'\n' => line.push_str("\\n"),
                b'\r' => line.push_str("\\r"),
                b'\t' => line.push_str("\\t"),
                7 => line.push_str("\\a"),
                8 => line.push_str("\\b"),
                c if c.is_ascii_graphic() || c == b' ' => line.push(c as char),
                c => line.push_str(&format!("\\x{c:02x}")),
            }
        }
        line.push('"');
    }
    srv.monitors.retain(|m| !m.killed.load(Ordering::Relaxed));
    for m in &srv.monitors {
        let _ = m.push.send(Reply::Simple(line.clone()));
    }
}

/// CLIENT PAUSE: whether `argv` from `client` must wait for the pause to end before it runs.
/// Checked by the connection before executing; the waiting happens outside the lock. Commands
/// that would be rejected anyway (unknown, wrong arity) are not postponed, as in Redis.
pub fn pause_blocks(srv: &mut Server, client: &Client, argv: &[Bytes]) -> bool {
    if srv.pause_until == 0 {
        return false;
    }
    if now_ms() >= srv.pause_until {
        srv.pause_until = 0;
        srv.pause_writes_only = false;
        return false;
    }
    let Ok((spec, _)) = resolve(argv) else { return false };
    if !client.authenticated && !spec.has(cmd::flags::NO_AUTH) {
        return false; // NOAUTH comes first
    }
    if !srv.pause_writes_only {
        return true;
    }
    // Scripts count by their declared flags (a `no-writes` script is not held).
    let may_replicate = |s: &CommandSpec, a: &[Bytes]| {
        crate::scripting::effective_flags(srv, s, a) & (cmd::flags::WRITE | cmd::flags::MAY_REPLICATE) != 0
    };
    if may_replicate(spec, argv) {
        return true;
    }
    if spec.name == "exec" {
        if let Some(m) = &client.multi {
            return m.queued.iter().any(|q| resolve(q).map(|(s, _)| may_replicate(s, q)).unwrap_or(false));
        }
    }
    false
}

impl Server {
    /// Why a write command must be refused now (OOM, MISCONF), if it must.
    pub fn write_refusal(&self, spec: &CommandSpec) -> Option<Reply> {
        let _ = spec;
        if let Some(e) = crate::aof::write_error(self) {
            return Some(Reply::Error(format!("MISCONF Errors writing to the AOF file: {e}")));
        }
        if self.config.stop_writes_on_bgsave_error && !self.config.save.is_empty() && !self.rdb.last_bgsave_ok {
            return Some(Reply::Error("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.".into()));
        }
        None
    }
}
