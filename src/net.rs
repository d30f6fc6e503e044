//! Networking: the accept loop and one task per connection.
//!
//! A connection reads whatever the socket has, executes every complete request in the buffer
//! under one acquisition of the server lock (pipelining costs one lock, not one per command),
//! encodes the replies, waits — outside the lock — until the log covering its writes is durable
//! when `appendfsync always` asks for that, and writes the replies out.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::client::{Client, ClientShared, ReplyMode};
use crate::resp::{self, Limits, Parsed, Reply};
use crate::server::{execute, Action, Shared};

/// Accepts connections on `listener` until shutdown.
pub async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, addr)) => {
                    let shared = shared.clone();
                    let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    tokio::spawn(async move {
                        handle(shared, stream, addr.to_string(), laddr).await;
                    });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = shared.shutdown.notified() => return,
        }
    }
}

/// Commands whose execution may take long enough to matter for the runtime's other tasks.
fn may_run_long(name: &[u8]) -> bool {
    const LONG: &[&str] = &[
        "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "save", "debug", "keys", "flushall", "flushdb",
        "function", "script", "shutdown", "sort", "sort_ro", "sunionstore", "sinterstore", "sdiffstore", "zunionstore",
        "zinterstore", "zdiffstore", "bgrewriteaof", "bgsave",
    ];
    name.len() <= 12 && LONG.iter().any(|l| l.as_bytes().eq_ignore_ascii_case(name))
}

enum Step {
    /// All complete requests were executed; read more.
    Continue,
    Blocked { rx: tokio::sync::oneshot::Receiver<Reply>, deadline_ms: i64, timeout_reply: Reply },
    /// CLIENT PAUSE: the command in `Conn::pending` waits for the pause to end.
    Paused,
    Close,
}

struct Conn {
    shared: Arc<Shared>,
    client: Client,
    inbuf: BytesMut,
    out: BytesMut,
    /// Out-of-band messages (pub/sub, MONITOR) for this connection.
    push_rx: mpsc::UnboundedReceiver<Reply>,
    /// A command postponed by CLIENT PAUSE; it runs before anything else is parsed.
    pending: Option<Vec<bytes::Bytes>>,
    /// Replies in `out` that depend on the log: (start, end, lsn, needs fsync). They go out
    /// once the log reached `lsn`, or are replaced by an error if the writes were lost.
    waits: Vec<(usize, usize, u64, bool)>,
    /// `proto-max-bulk-len` and `client-query-buffer-limit`, refreshed whenever the lock is
    /// taken, so that parsing and reading never need the lock (a busy script holds it).
    max_bulk: usize,
    qbuf_limit: usize,
}

impl Conn {
    fn limits(&self, max_bulk: usize) -> Limits {
        Limits { max_bulk_len: max_bulk, authenticated: self.client.authenticated }
    }

    /// Queues a command's reply, honouring CLIENT REPLY: `Off` drops every reply, `Skip` drops
    /// this one reply, `SkipNext` (just set by CLIENT REPLY SKIP, whose own reply is dropped too)
    /// makes the next command's reply skipped.
    fn emit(&mut self, reply: &Reply) {
        let mode = self.client.reply_mode;
        let suppress = matches!(mode, ReplyMode::Off | ReplyMode::Skip | ReplyMode::SkipNext);
        self.client.reply_mode = match mode {
            ReplyMode::Skip => ReplyMode::On,
            ReplyMode::SkipNext => ReplyMode::Skip,
            m => m,
        };
        // Pub/sub confirmations are pushes: Redis delivers them even with CLIENT REPLY OFF/SKIP.
        if !suppress || crate::cmd::pubsub::is_confirmation(reply) {
            resp::encode(reply, self.client.resp, &mut self.out);
        }
    }

    /// Moves pending pub/sub messages into the output.
    fn drain_pushes(&mut self) {
        while let Ok(m) = self.push_rx.try_recv() {
            resp::encode(&m, self.client.resp, &mut self.out);
        }
    }

    /// Executes every complete request in the input buffer.
    fn process(&mut self) -> Step {
        let shared = self.shared.clone();
        let mut guard: Option<parking_lot::MutexGuard<crate::server::Server>> = None;
        loop {
            if let Some(g) = &guard {
                self.max_bulk = g.config.proto_max_bulk_len;
                self.qbuf_limit = g.config.client_query_buffer_limit;
            }
            let max_bulk = self.max_bulk;
            let limits = self.limits(max_bulk);
            let parsed = match self.pending.take() {
                Some(argv) => Ok(Parsed::Command(argv)),
                None => resp::parse_request(&mut self.inbuf, limits),
            };
            match parsed {
                Ok(Parsed::Incomplete) => return Step::Continue,
                Ok(Parsed::Command(argv)) => {
                    if argv.is_empty() {
                        continue;
                    }
                    if guard.is_none() {
                        guard = shared.srv.try_lock();
                    }
                    if guard.is_none() {
                        // Someone holds the lock for long (a busy script, SAVE): wait off the
                        // runtime's worker (block_in_place hands its work to another thread, so
                        // I/O of other connections goes on), answering BUSY / running SCRIPT
                        // KILL without the lock once a script is past busy-reply-threshold.
                        let fast = tokio::task::block_in_place(|| loop {
                            if let Some(r) = crate::scripting::fast_path(&argv) {
                                break Err(r);
                            }
                            if let Some(g) = shared.srv.try_lock_for(std::time::Duration::from_millis(20)) {
                                break Ok(g);
                            }
                        });
                        match fast {
                            Ok(g) => guard = Some(g),
                            Err(r) => {
                                let r = crate::scripting::refused_in_multi(&mut self.client, &argv, r);
                                self.emit(&r);
                                continue;
                            }
                        }
                    }
                    let srv = guard.get_or_insert_with(|| shared.srv.lock());
                    if crate::server::pause_blocks(srv, &self.client, &argv) {
                        self.pending = Some(argv);
                        self.client.shared.postponed.store(true, Ordering::Relaxed);
                        return Step::Paused;
                    }
                    self.client.shared.tot_cmds.fetch_add(1, Ordering::Relaxed);
                    // Commands that may run for long (scripts, SAVE, DEBUG SLEEP, KEYS...) run
                    // off the runtime's worker so the other connections' I/O is not starved.
                    let outcome = if may_run_long(&argv[0]) {
                        tokio::task::block_in_place(|| execute(srv, &mut self.client, argv))
                    } else {
                        execute(srv, &mut self.client, argv)
                    };
                    let start = self.out.len();
                    if let Some(r) = &outcome.reply {
                        self.emit(r);
                    }
                    if outcome.wait_lsn > 0 {
                        self.waits.push((start, self.out.len(), outcome.wait_lsn, false));
                    }
                    if outcome.wait_fsync > 0 {
                        self.waits.push((start, self.out.len(), outcome.wait_fsync, true));
                    }
                    // Messages a command published to its own client follow its reply (as in
                    // Redis 7.2, which defers pushes to the client being served).
                    self.drain_pushes();
                    match outcome.action {
                        Action::None => {}
                        Action::Close => return Step::Close,
                        Action::Block { rx, deadline_ms, timeout_reply } => {
                            return Step::Blocked { rx, deadline_ms, timeout_reply }
                        }
                    }
                }
                Err(e) => {
                    let srv = guard.get_or_insert_with(|| shared.srv.lock());
                    srv.stats.total_error_replies += 1;
                    *srv.stats.errors.entry("ERR".into()).or_default() += 1;
                    tracing::debug!("protocol error from {}: {}", self.client.shared.addr, e.0);
                    resp::encode(&Reply::Error(format!("ERR {}", e.0)), self.client.resp, &mut self.out);
                    return Step::Close;
                }
            }
        }
    }

    /// Writes pending replies, first waiting for the durability they depend on.
    async fn flush(&mut self, stream: &mut TcpStream) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        if !self.waits.is_empty() {
            self.wait_log().await;
        }
        let n = self.out.len();
        stream.write_all(&self.out).await?;
        self.client.shared.tot_net_out.fetch_add(n as u64, Ordering::Relaxed);
        self.out.clear();
        Ok(())
    }
}

impl Conn {
    /// Waits until every log position the pending replies depend on is decided; replaces the
    /// replies whose writes were lost by a MISCONF error (the write may not be persisted).
    async fn wait_log(&mut self) {
        let waits = std::mem::take(&mut self.waits);
        let mut rx = self.shared.durable.subscribe();
        let decided = rx
            .wait_for(|d| waits.iter().all(|&(_, _, lsn, fsync)| d.verdict(lsn, fsync).is_some()))
            .await
            .map(|d| *d);
        let failed: Vec<(usize, usize)> = match decided {
            Ok(d) => waits
                .iter()
                .filter(|&&(_, _, lsn, fsync)| d.verdict(lsn, fsync) == Some(false))
                .map(|&(a, b, _, _)| (a, b))
                .collect(),
            Err(_) => waits.iter().map(|&(a, b, _, _)| (a, b)).collect(),
        };
        if failed.is_empty() {
            return;
        }
        let reason = {
            let mut srv = self.shared.srv.lock();
            let r = crate::aof::write_error(&srv).unwrap_or_else(|| "Input/output error".into());
            let e = Reply::Error(format!("MISCONF Errors writing to the AOF file: {r}"));
            for _ in &failed {
                crate::server::count_error(&mut srv, &e);
            }
            e
        };
        let mut err = BytesMut::new();
        resp::encode(&reason, self.client.resp, &mut err);
        let old = std::mem::take(&mut self.out);
        let mut pos = 0;
        let mut ranges = failed;
        ranges.sort_unstable();
        ranges.dedup();
        for (a, b) in ranges {
            if a < pos || a == b {
                continue;
            }
            self.out.extend_from_slice(&old[pos..a]);
            self.out.extend_from_slice(&err);
            pos = b;
        }
        self.out.extend_from_slice(&old[pos..]);
    }
}

/// Runs one connection to completion.
pub async fn handle(shared: Arc<Shared>, mut stream: TcpStream, addr: String, laddr: String) {
    let _ = stream.set_nodelay(true);
    let (push_tx, push_rx) = mpsc::unbounded_channel::<Reply>();
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd() as i64
    };
    let admitted = {
        let mut srv = match shared.srv.try_lock() {
            Some(g) => g,
            None => tokio::task::block_in_place(|| shared.srv.lock()),
        };
        srv.stats.total_connections_received += 1;
        let id = srv.next_client_id.fetch_add(1, Ordering::Relaxed);
        let cs = Arc::new(ClientShared::new(id, addr, laddr, fd, push_tx));
        if srv.clients.len() >= srv.config.maxclients {
            srv.stats.rejected_connections += 1;
            None
        } else {
            srv.clients.insert(id, cs.clone());
            let authed = srv.config.requirepass.is_none();
            Some((Client::new(cs, authed), srv.config.timeout, srv.config.proto_max_bulk_len, srv.config.client_query_buffer_limit))
        }
    };
    let Some((client, idle_timeout, max_bulk, qbuf_limit)) = admitted else {
        let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
        return;
    };
    let mut conn = Conn { shared: shared.clone(), client, inbuf: BytesMut::with_capacity(16 * 1024), out: BytesMut::with_capacity(16 * 1024), push_rx, pending: None, waits: Vec::new(), max_bulk, qbuf_limit };
    let cs = conn.client.shared.clone();

    'outer: loop {
        // Killed (CLIENT KILL) while waiting: run nothing more.
        if cs.killed.load(Ordering::SeqCst) {
            break;
        }
        let step = conn.process();
        match step {
            Step::Continue => {}
            Step::Close => {
                let _ = conn.flush(&mut stream).await;
                break;
            }
            Step::Paused => {
                if conn.flush(&mut stream).await.is_err() {
                    break;
                }
                // Wait, outside the lock, until the pause no longer applies to the command.
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                        Some(msg) = conn.push_rx.recv() => {
                            resp::encode(&msg, conn.client.resp, &mut conn.out);
                            conn.drain_pushes();
                            if conn.flush(&mut stream).await.is_err() {
                                break 'outer;
                            }
                        }
                        _ = cs.kill_notify.notified() => break 'outer,
                    }
                    let still = match conn.pending.as_ref() {
                        Some(argv) => crate::server::pause_blocks(&mut conn.shared.srv.lock(), &conn.client, argv),
                        None => false,
                    };
                    if !still {
                        break;
                    }
                }
                cs.postponed.store(false, Ordering::Relaxed);
                continue;
            }
            Step::Blocked { mut rx, deadline_ms, timeout_reply } => {
                if conn.flush(&mut stream).await.is_err() {
                    break;
                }
                let reply = loop {
                    let sleep = if deadline_ms > 0 {
                        let left = (deadline_ms - crate::util::now_ms()).max(0) as u64;
                        Duration::from_millis(left)
                    } else {
                        Duration::from_secs(3600 * 24 * 365)
                    };
                    tokio::select! {
                        // A dropped sender means CLIENT UNBLOCK ... TIMEOUT.
                        r = &mut rx => {
                            if cs.killed.load(Ordering::SeqCst) {
                                break 'outer; // CLIENT KILL dropped the wait
                            }
                            break Some(r.unwrap_or_else(|_| timeout_reply.clone()));
                        }
                        _ = tokio::time::sleep(sleep) => {
                            let mut srv = conn.shared.srv.lock();
                            if srv.remove_waiter(conn.client.id).is_some() {
                                break Some(timeout_reply.clone());
                            }
                            drop(srv);
                            // Served or unblocked concurrently: the reply is in the channel, or
                            // the sender was dropped (CLIENT UNBLOCK TIMEOUT).
                            break Some(rx.try_recv().unwrap_or_else(|_| timeout_reply.clone()));
                        }
                        Some(msg) = conn.push_rx.recv() => {
                            resp::encode(&msg, conn.client.resp, &mut conn.out);
                            conn.drain_pushes();
                            if conn.flush(&mut stream).await.is_err() {
                                break 'outer;
                            }
                        }
                        r = stream.read_buf(&mut conn.inbuf) => {
                            if matches!(r, Ok(0) | Err(_)) {
                                break 'outer;
                            }
                        }
                        _ = cs.kill_notify.notified() => break 'outer,
                    }
                };
                if let Some(r) = reply {
                    if r.is_error() {
                        crate::server::count_error(&mut conn.shared.srv.lock(), &r);
                    }
                    let start = conn.out.len();
                    conn.emit(&r);
                    conn.drain_pushes();
                    // A served blocking command may have written (BLMOVE): wait for the log.
                    let lsn = conn.shared.srv.lock().last_lsn;
                    if lsn > 0 {
                        conn.waits.push((start, conn.out.len(), lsn, false));
                    }
                }
                continue;
            }
        }
        if conn.flush(&mut stream).await.is_err() {
            break;
        }
        if cs.killed.load(Ordering::SeqCst) {
            break;
        }
        let idle = if idle_timeout > 0 && conn.client.subscription_count() == 0 && !conn.client.is_monitor {
            Duration::from_secs(idle_timeout)
        } else {
            Duration::from_secs(3600 * 24 * 365)
        };
        tokio::select! {
            r = stream.read_buf(&mut conn.inbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    cs.tot_net_in.fetch_add(n as u64, Ordering::Relaxed);
                    cs.last_interaction_ms.store(crate::util::now_ms(), Ordering::Relaxed);
                    let limit = conn.qbuf_limit;
                    if conn.inbuf.len() > limit {
                        tracing::warn!("closing client {}: query buffer of {} bytes exceeds client-query-buffer-limit", cs.addr, conn.inbuf.len());
                        break;
                    }
                }
            },
            Some(msg) = conn.push_rx.recv() => {
                resp::encode(&msg, conn.client.resp, &mut conn.out);
                conn.drain_pushes();
            }
            _ = cs.kill_notify.notified() => break,
            _ = tokio::time::sleep(idle) => break,
        }
    }

    // Cleanup: unregister everywhere.
    let mut srv = shared.srv.lock();
    srv.clients.remove(&conn.client.id);
    srv.pubsub.remove_client(conn.client.id);
    srv.remove_waiter(conn.client.id);
    crate::server::unwatch_all(&mut srv, &mut conn.client);
    srv.monitors.retain(|m| m.id != conn.client.id);
}
