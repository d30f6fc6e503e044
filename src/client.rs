//! Per-connection state.
//!
//! [`Client`] is owned by its connection task and handed to commands through `Ctx`.
//! [`ClientShared`] is the part other clients can see (CLIENT LIST, CLIENT KILL), registered in
//! the server.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::db::Sds;
use crate::resp::Reply;

/// CLIENT REPLY mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Internal: the command that set SKIP is running; its own reply is sent.
    SkipNext,
}

/// A transaction being queued.
#[derive(Default)]
pub struct MultiState {
    pub queued: Vec<Vec<Bytes>>,
    /// A queuing error happened: EXEC must fail with EXECABORT.
    pub aborted: bool,
}

/// What other clients may see of a connection.
pub struct ClientShared {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created_ms: i64,
    pub last_interaction_ms: AtomicI64,
    pub db: AtomicUsize,
    pub name: Mutex<Option<Bytes>>,
    pub lib_name: Mutex<Option<Bytes>>,
    pub lib_ver: Mutex<Option<Bytes>>,
    /// [`crate::cmd::CommandSpec::id`] of the command last run (CLIENT LIST `cmd=`), `usize::MAX`
    /// before the first: set on every command, so a plain store rather than a lock.
    pub last_cmd: AtomicUsize,
    pub resp: AtomicUsize,
    /// Set by CLIENT KILL / timeouts; the connection task closes as soon as it sees it.
    pub killed: AtomicBool,
    /// Wakes the connection task: after `killed` was set, or when the cron asks an idle
    /// connection to free its query buffer (the task tells them apart by `killed`).
    pub kill_notify: tokio::sync::Notify,
    /// Flags shown in CLIENT LIST (`flags=`), e.g. "N", "b", "x", "P", "S".
    pub flags: Mutex<String>,
    pub sub_count: AtomicUsize,
    pub psub_count: AtomicUsize,
    /// Shard channel subscriptions (SSUBSCRIBE), shown as `ssub=` in CLIENT LIST.
    pub ssub_count: AtomicUsize,
    /// CLIENT NO-TOUCH ON (flag `T` in CLIENT LIST).
    pub no_touch: AtomicBool,
    /// Waiting for CLIENT PAUSE to end with a postponed command (flag `b`).
    pub postponed: AtomicBool,
    pub multi_count: AtomicI64,
    /// Query buffer: bytes not consumed yet, and the rest of its allocation (CLIENT LIST
    /// `qbuf`, `qbuf-free`), as the connection last reported them.
    pub qbuf: AtomicUsize,
    pub qbuf_free: AtomicUsize,
    pub omem: AtomicUsize,
    pub tot_net_in: AtomicU64,
    pub tot_net_out: AtomicU64,
    pub no_evict: AtomicBool,
    pub user: Mutex<String>,
    /// Channel for out-of-band replies: pub/sub messages, MONITOR lines, unblocking.
    pub push: mpsc::UnboundedSender<Reply>,
}

impl ClientShared {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill_notify.notify_one();
    }
}

/// Connection-owned client state.
pub struct Client {
    pub id: u64,
    pub db: usize,
    /// Protocol version: 2 or 3.
    pub resp: u8,
    pub authenticated: bool,
    pub user: String,
    pub multi: Option<MultiState>,
    /// Keys this client WATCHes (db, key).
    pub watched: Vec<(usize, Sds)>,
    /// Set when a watched key changes: EXEC then fails.
    pub watch_dirty: Arc<AtomicBool>,
    pub reply_mode: ReplyMode,
    pub subscriptions: hashbrown::HashSet<Bytes>,
    pub patterns: hashbrown::HashSet<Bytes>,
    pub shard_subscriptions: hashbrown::HashSet<Bytes>,
    pub shared: Arc<ClientShared>,
    /// True for the fake client that replays the AOF (no replies, no blocking, no ACL).
    pub is_loader: bool,
    /// Inside a script: commands may not block; some are refused.
    pub in_script: bool,
    pub is_monitor: bool,
    pub close_after_reply: bool,
    pub no_touch: bool,
}

impl Client {
    pub fn new(shared: Arc<ClientShared>, authenticated: bool) -> Client {
        Client {
            id: shared.id,
            db: 0,
            resp: 2,
            authenticated,
            user: "default".into(),
            multi: None,
            watched: Vec::new(),
            watch_dirty: Arc::new(AtomicBool::new(false)),
            reply_mode: ReplyMode::On,
            subscriptions: Default::default(),
            patterns: Default::default(),
            shard_subscriptions: Default::default(),
            shared,
            is_loader: false,
            in_script: false,
            is_monitor: false,
            close_after_reply: false,
            no_touch: false,
        }
    }

    /// A detached client (AOF loading, scripts' inner calls, tests): replies go nowhere.
    pub fn detached(id: u64) -> Client {
        let (tx, _rx) = mpsc::unbounded_channel();
        Client::new(Arc::new(ClientShared::new(id, String::new(), String::new(), -1, tx)), true)
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.shared.db.store(db, Ordering::Relaxed);
    }

    /// Number of (shard) channel and pattern subscriptions.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len() + self.patterns.len() + self.shard_subscriptions.len()
    }

    /// In RESP2, a client with subscriptions may only run the pub/sub commands.
    pub fn in_subscribed_mode(&self) -> bool {
        self.resp == 2 && self.subscription_count() > 0
    }
}

impl ClientShared {
    pub fn new(id: u64, addr: String, laddr: String, fd: i64, push: mpsc::UnboundedSender<Reply>) -> ClientShared {
        let now = crate::util::now_ms();
        ClientShared {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            last_interaction_ms: AtomicI64::new(now),
            db: AtomicUsize::new(0),
            name: Mutex::new(None),
            lib_name: Mutex::new(None),
            lib_ver: Mutex::new(None),
            last_cmd: AtomicUsize::new(usize::MAX),
            resp: AtomicUsize::new(2),
            killed: AtomicBool::new(false),
            kill_notify: tokio::sync::Notify::new(),
            flags: Mutex::new("N".into()),
            sub_count: AtomicUsize::new(0),
            psub_count: AtomicUsize::new(0),
            ssub_count: AtomicUsize::new(0),
            no_touch: AtomicBool::new(false),
            postponed: AtomicBool::new(false),
            multi_count: AtomicI64::new(-1),
            qbuf: AtomicUsize::new(0),
            qbuf_free: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            tot_net_in: AtomicU64::new(0),
            tot_net_out: AtomicU64::new(0),
            no_evict: AtomicBool::new(false),
            user: Mutex::new("default".into()),
            push,
        }
    }
}
