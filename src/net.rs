//! Networking: the accept loop and one task per connection.
//!
//! A connection reads whatever the socket has, executes every complete request in the buffer
//! under one acquisition of the server lock (pipelining costs one lock, not one per command),
//! encodes the replies, writes the command log through (outside the lock, one `write` for what
//! every connection queued) or waits until it is durable when `appendfsync always` asks for
//! that, and writes the replies out.

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

/// The listening sockets being served: address and the accept loop's task. CONFIG SET port /
/// bind replace them while the server runs; connections already accepted are not affected.
static LISTENERS: parking_lot::Mutex<Vec<(std::net::SocketAddr, tokio::task::AbortHandle, std::os::fd::RawFd)>> =
    parking_lot::Mutex::new(Vec::new());

/// The socket addresses of `bind` (Redis's syntax: `*` every IPv4 address, `::*` every IPv6
/// address, a leading `-` marks an address that may be unavailable; empty = `* -::*`) on
/// `port`, each with whether it is optional.
pub fn bind_targets(bind: &[String], port: u16) -> Vec<(String, bool)> {
    let default = ["*".to_string(), "-::*".to_string()];
    let list: &[String] = if bind.is_empty() { &default } else { bind };
    list.iter()
        .map(|addr| {
            let (optional, host) = match addr.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, addr.as_str()),
            };
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let sockaddr = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
            (sockaddr, optional)
        })
        .collect()
}

/// Binds one listening socket (non-blocking, ready for tokio), as Redis does: `SO_REUSEADDR`,
/// IPv6 sockets IPv6-only so `* -::*` can bind both families on one port.
fn bind_one(sockaddr: &str) -> std::io::Result<std::net::TcpListener> {
    use std::net::ToSocketAddrs;
    let addr = sockaddr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let sock = if addr.is_ipv6() { tokio::net::TcpSocket::new_v6()? } else { tokio::net::TcpSocket::new_v4()? };
    sock.set_reuseaddr(true)?;
    if addr.is_ipv6() {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&sock);
        let on: libc::c_int = 1;
        // SAFETY: setsockopt on a socket we own with a valid int option.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                &on as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    sock.bind(addr)?;
    let l = sock.listen(511)?;
    let std = l.into_std()?;
    std.set_nonblocking(true)?;
    Ok(std)
}

/// Binds every address of `bind` on `port`. Addresses already served by `keep` are not bound
/// again (they are reused). Fails (closing what it bound) when a non-optional address cannot
/// be bound.
fn bind_new(bind: &[String], port: u16, keep: &[std::net::SocketAddr]) -> Result<Vec<std::net::TcpListener>, String> {
    use std::net::ToSocketAddrs;
    let mut out = Vec::new();
    for (sockaddr, optional) in bind_targets(bind, port) {
        let resolved = sockaddr.to_socket_addrs().ok().and_then(|mut a| a.next());
        if resolved.is_some_and(|a| keep.contains(&a)) {
            continue;
        }
        match bind_one(&sockaddr) {
            Ok(l) => {
                tracing::info!("listening on {sockaddr}");
                out.push(l);
            }
            Err(e) if optional => tracing::debug!("optional bind {sockaddr} failed: {e}"),
            Err(e) => {
                tracing::warn!("Could not create server TCP listening socket {sockaddr}: {e}");
                return Err(format!("{sockaddr}: {e}"));
            }
        }
    }
    Ok(out)
}

/// Binds the listening sockets at startup (before the server exists).
pub fn bind_at_startup(bind: &[String], port: u16) -> std::io::Result<Vec<std::net::TcpListener>> {
    if port == 0 {
        return Ok(Vec::new());
    }
    bind_new(bind, port, &[]).map_err(|e| std::io::Error::other(format!("Failed listening on port {port} (tcp), aborting. ({e})")))
}

/// Serves `listeners` (each gets an accept loop) and records them.
pub fn serve(shared: &Arc<Shared>, listeners: Vec<std::net::TcpListener>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
    let mut reg = LISTENERS.lock();
    for l in listeners {
        let Ok(addr) = l.local_addr() else { continue };
        let fd = std::os::fd::AsRawFd::as_raw_fd(&l);
        let shared = shared.clone();
        let task = rt.spawn(async move {
            match TcpListener::from_std(l) {
                Ok(l) => accept_loop(shared, l).await,
                Err(e) => tracing::warn!("cannot serve {addr}: {e}"),
            }
        });
        reg.push((addr, task.abort_handle(), fd));
    }
}

/// CONFIG SET port / bind: listens on the new addresses, then closes the listeners that are
/// no longer wanted; accepted connections stay. When a new address cannot be bound the old
/// listeners are kept and an error is returned. Port 0 closes every listener.
pub fn rebind(shared: &Arc<Shared>, bind: &[String], port: u16) -> Result<(), String> {
    use std::net::ToSocketAddrs;
    let wanted: Vec<std::net::SocketAddr> = if port == 0 {
        Vec::new()
    } else {
        bind_targets(bind, port).iter().filter_map(|(a, _)| a.to_socket_addrs().ok().and_then(|mut x| x.next())).collect()
    };
    let current: Vec<std::net::SocketAddr> = LISTENERS.lock().iter().map(|(a, _, _)| *a).collect();
    let keep: Vec<std::net::SocketAddr> = current.iter().filter(|a| wanted.contains(a)).copied().collect();
    let fresh = if port == 0 {
        Vec::new()
    } else {
        match bind_new(bind, port, &keep) {
            Ok(f) => f,
            Err(first) => {
                // An address overlapping one of ours on the same port (a wildcard and a specific
                // address): close ours first, as Redis does, and restore them if that fails too.
                let overlapping: Vec<std::net::SocketAddr> =
                    current.iter().filter(|a| a.port() == port && !keep.contains(a)).copied().collect();
                if overlapping.is_empty() {
                    return Err(first);
                }
                close_where(|a| overlapping.contains(a));
                match bind_new(bind, port, &keep) {
                    Ok(f) => f,
                    Err(e) => {
                        let restored: Vec<std::net::TcpListener> =
                            overlapping.iter().filter_map(|a| bind_one(&a.to_string()).ok()).collect();
                        serve(shared, restored);
                        return Err(e);
                    }
                }
            }
        }
    };
    close_where(|a| !wanted.contains(a));
    serve(shared, fresh);
    Ok(())
}

/// Stops listening on the addresses `f` selects, at once: the socket is shut down here (its
/// address can be bound again immediately), its accept loop ends and drops it.
fn close_where(f: impl Fn(&std::net::SocketAddr) -> bool) {
    LISTENERS.lock().retain(|(a, task, fd)| {
        if f(a) {
            // The accept loop still owns the descriptor (it only drops it once aborted), so
            // the fd is ours to shut down; abort after, never before.
            // SAFETY: shutdown(2) on a descriptor that is open.
            unsafe {
                libc::shutdown(*fd, libc::SHUT_RDWR);
            }
            task.abort();
            tracing::info!("closed the listener on {a}");
            false
        } else {
            true
        }
    });
}

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
                // The listener was shut down (CONFIG SET port/bind).
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return,
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
    /// Requests parsed from `inbuf` in one batch (`resp::parse_batch`) and not run yet: they
    /// run, in order, before anything else is parsed.
    batch: std::collections::VecDeque<Vec<bytes::Bytes>>,
    /// Scratch space of `resp::parse_batch`.
    spans: Vec<(usize, usize)>,
    /// Replies in `out` that depend on the log: (start, end, lsn, needs fsync). They go out
    /// once the log reached `lsn`, or are replaced by an error if the writes were lost.
    waits: Vec<(usize, usize, u64, bool)>,
    /// The log writer the waited-for positions were appended to: before replying, the
    /// connection writes its log bytes through itself (`LogWriter::write_through`) instead
    /// of handing them to another thread.
    log: Option<Arc<vk_storage::aof::writer::LogWriter>>,
    /// `proto-max-bulk-len` and `client-query-buffer-limit`, refreshed whenever the lock is
    /// taken, so that parsing and reading never need the lock (a busy script holds it).
    max_bulk: usize,
    qbuf_limit: usize,
    /// Largest `inbuf` length seen since `qb_checked_ms` (Redis's `querybuf_peak`).
    qb_peak: usize,
    qb_checked_ms: i64,
    /// The buffer was freed while idle: it is allocated again when something arrives.
    qb_freed: bool,
}

/// Room a connection keeps to read into (Redis's PROTO_IOBUF_LEN).
const IOBUF_LEN: usize = 16 * 1024;
/// A query buffer larger than this is trimmed when far above its recent peak
/// (Redis's PROTO_RESIZE_THRESHOLD).
const RESIZE_THRESHOLD: usize = 32 * 1024;

impl Conn {
    /// Looks after the query buffer between batches, as Redis's clientsCronResizeQueryBuffer:
    /// an empty buffer much bigger than its recent peak (one large request long ago) is
    /// trimmed, checked at most every 100 ms; at least [`IOBUF_LEN`] is kept to read into;
    /// the sizes are reported for CLIENT LIST.
    fn tend_inbuf(&mut self, now_ms: i64) {
        let len = self.inbuf.len();
        self.qb_peak = self.qb_peak.max(len);
        if now_ms - self.qb_checked_ms >= 100 {
            let cap = self.inbuf.capacity();
            if len == 0 && cap > RESIZE_THRESHOLD && cap / 2 > self.qb_peak {
                self.inbuf = BytesMut::with_capacity(IOBUF_LEN);
            }
            self.qb_peak = len;
            self.qb_checked_ms = now_ms;
        }
        // (A buffer freed while idle stays freed until something arrives.)
        if self.inbuf.capacity() < IOBUF_LEN && !self.qb_freed {
            self.inbuf.reserve(IOBUF_LEN - len);
        }
        self.report_inbuf();
    }

    /// Frees the query buffer of a connection idle for a while (asked by the server cron,
    /// `clients_cron`): reading allocates it again.
    fn free_idle_inbuf(&mut self) {
        if self.inbuf.is_empty() {
            self.inbuf = BytesMut::new();
            self.qb_freed = true;
            self.qb_peak = 0;
            self.report_inbuf();
        }
    }

    fn report_inbuf(&self) {
        let cs = &self.client.shared;
        cs.qbuf.store(self.inbuf.len(), Ordering::Relaxed);
        cs.qbuf_free.store(self.inbuf.capacity() - self.inbuf.len(), Ordering::Relaxed);
    }

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

    /// Whether anything can have been pushed to this client: only subscribers, monitors and
    /// (while any client tracks keys) tracking clients are sent messages.
    fn may_have_pushes(&self, srv: &crate::server::Server) -> bool {
        self.client.subscription_count() > 0 || self.client.is_monitor || srv.tracking.active()
    }

    /// Moves pending pub/sub messages into the output.
    fn drain_pushes(&mut self) {
        while let Ok(m) = self.push_rx.try_recv() {
            resp::encode(&m, self.client.resp, &mut self.out);
        }
    }

    /// Executes every complete request in the input buffer.
    fn process(&mut self) -> Step {
        crate::server::clock_chain::set_active(true);
        let step = self.process_all();
        crate::server::clock_chain::set_active(false);
        step
    }

    fn process_all(&mut self) -> Step {
        let shared = self.shared.clone();
        let mut guard: Option<parking_lot::MutexGuard<crate::server::Server>> = None;
        loop {
            if let Some(g) = &guard {
                self.max_bulk = g.config.proto_max_bulk_len;
                self.qbuf_limit = g.config.client_query_buffer_limit;
            }
            let max_bulk = self.max_bulk;
            let limits = self.limits(max_bulk);
            if self.pending.is_none() && self.batch.is_empty() && limits.authenticated {
                resp::parse_batch(&mut self.inbuf, limits, 64, &mut self.spans, &mut self.batch);
            }
            let parsed = match self.pending.take().or_else(|| self.batch.pop_front()) {
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
                    // Messages sent to this client before its command runs (tracking
                    // invalidations, pub/sub) precede the command's reply, as in Redis.
                    if self.may_have_pushes(srv) {
                        self.drain_pushes();
                    }
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
                        if self.log.is_none() {
                            self.log = crate::aof::writer_handle(srv);
                        }
                    }
                    if outcome.wait_fsync > 0 {
                        self.waits.push((start, self.out.len(), outcome.wait_fsync, true));
                    }
                    // Messages a command published to its own client follow its reply (as in
                    // Redis 7.2, which defers pushes to the client being served).
                    if self.may_have_pushes(srv) {
                        self.drain_pushes();
                    }
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
            self.write_log_through();
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
    /// Writes the log up to the positions the pending replies wait for, on this thread (one
    /// `write` for everything queued, other connections' bytes too): no hand-off to another
    /// thread. Under `everysec`/`no` that is all a reply waits for. Under `always` the
    /// writer thread writes the whole batch right before its fsync, so nothing is done here.
    /// The verdict still comes from `Shared::durable`.
    fn write_log_through(&mut self) {
        let Some(w) = self.log.take() else { return };
        if !w.acks_on_write() {
            return;
        }
        let Some(lsn) = self.waits.iter().map(|w| w.2).filter(|&l| l != crate::server::LSN_FAILED).max() else {
            return;
        };
        if w.written_lsn() >= lsn {
            return;
        }
        // (`handle` already let the other ready connections run and append before this.)
        let _ = w.write_through(lsn);
    }

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
    let mut conn = Conn { shared: shared.clone(), client, inbuf: BytesMut::with_capacity(16 * 1024), out: BytesMut::with_capacity(16 * 1024), push_rx, pending: None, batch: Default::default(), spans: Vec::new(), waits: Vec::new(), log: None, max_bulk, qbuf_limit, qb_peak: 0, qb_checked_ms: 0, qb_freed: false };
    let cs = conn.client.shared.clone();

    'outer: loop {
        // Killed (CLIENT KILL) while waiting: run nothing more.
        if cs.killed.load(Ordering::SeqCst) {
            break;
        }
        let step = conn.process();
        match step {
            Step::Continue => {
                // Let the other connections ready on this worker read and execute first, and
                // write every reply after that, as Redis writes its clients' replies once per
                // event-loop iteration: a client process woken by one reply then finds the
                // others waiting, instead of being woken once per reply (measured: -P 32
                // throughput +30 % and less CPU per command, docs/benchmarks.md). One `write`
                // of the log then also covers everything those connections appended.
                if !conn.out.is_empty() {
                    tokio::task::yield_now().await;
                }
            }
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
                        _ = cs.kill_notify.notified() => {
                            if cs.killed.load(Ordering::SeqCst) {
                                break 'outer;
                            }
                            conn.free_idle_inbuf();
                        }
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
                        // The reply first: messages the served command caused for this client
                        // are sent after it (tracking_release_own) and must follow it.
                        biased;
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
                            conn.qb_freed = false;
                        }
                        _ = cs.kill_notify.notified() => {
                            if cs.killed.load(Ordering::SeqCst) {
                                break 'outer;
                            }
                            conn.free_idle_inbuf();
                        }
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
                    let (lsn, log) = {
                        let srv = conn.shared.srv.lock();
                        (srv.last_lsn, crate::aof::writer_handle(&srv))
                    };
                    if lsn > 0 {
                        conn.waits.push((start, conn.out.len(), lsn, false));
                        conn.log = log;
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
        conn.tend_inbuf(cs.last_interaction_ms.load(Ordering::Relaxed));
        // No timer at all unless `timeout` applies: registering one per read costs more than
        // parsing a small command.
        let idle = (idle_timeout > 0 && conn.client.subscription_count() == 0 && !conn.client.is_monitor)
            .then(|| Duration::from_secs(idle_timeout));
        let idle_expired = async move {
            match idle {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            r = stream.read_buf(&mut conn.inbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    conn.qb_freed = false;
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
            // CLIENT KILL, or the cron asking an idle connection to free its query buffer.
            _ = cs.kill_notify.notified() => {
                if cs.killed.load(Ordering::SeqCst) {
                    break;
                }
                conn.free_idle_inbuf();
            }
            _ = idle_expired => break,
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
