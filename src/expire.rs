//! The active expire cycle: keeps expired keys from piling up without stalling clients.
//!
//! Every `1000/hz` ms it takes the server lock for a bounded slice of time and walks segments
//! from where it left off, deleting expired keys (logged as DEL, as Redis does).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::db::SEGMENTS;
use crate::server::{Server, Shared};
use crate::util::now_ms;

/// Longest the cycle holds the lock per run.
const SLICE: Duration = Duration::from_millis(2);

pub async fn active_expire_loop(shared: Arc<Shared>) {
    let mut hz = 10;
    loop {
        tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
        if shared.shutting_down.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        // Never block a runtime thread on the lock: when something long holds it (a busy
        // script, SAVE, DEBUG SLEEP) skip this tick, so connections keep being served.
        let Some(mut srv) = shared.srv.try_lock_for(Duration::from_millis(1)) else { continue };
        hz = srv.config.hz.max(1);
        let lsn = {
            crate::persist::save_points_cron(&mut srv);
            crate::aof::cron(&mut srv);
            let lsn = run_cycle(&mut srv);
            crate::spill::cron(&mut srv);
            clients_cron(&srv);
            lsn
        };
        drop(srv);
        let _ = lsn;
    }
}

/// Asks connections idle for more than 2 s to free their query buffer (Redis's
/// clientsCronResizeQueryBuffer; the buffer belongs to the connection's task, so it is woken
/// to do it).
fn clients_cron(srv: &Server) {
    let now = crate::util::now_ms();
    for cs in srv.clients.values() {
        let idle = now - cs.last_interaction_ms.load(std::sync::atomic::Ordering::Relaxed) > 2000;
        if idle && cs.qbuf_free.load(std::sync::atomic::Ordering::Relaxed) > 0 && cs.qbuf.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            cs.kill_notify.notify_one();
        }
    }
}

/// One bounded pass; returns the log position of the DELs it logged.
pub fn run_cycle(srv: &mut Server) -> u64 {
    if !srv.active_expire_enabled || srv.loading {
        return 0;
    }
    // CLIENT PAUSE (WRITE or ALL) pauses expiry too (keys read as missing, see Ctx::peek).
    if srv.pause_until != 0 && now_ms() < srv.pause_until {
        return 0;
    }
    let start = Instant::now();
    let now = now_ms();
    let mut expired = Vec::new();
    let mut lsn = 0;
    for db in 0..srv.dbs.len() {
        if srv.dbs[db].expires_count() == 0 {
            continue;
        }
        let mut looked = 0;
        while looked < SEGMENTS && start.elapsed() < SLICE {
            let idx = srv.dbs[db].expire_cursor;
            srv.dbs[db].expire_cursor = (idx + 1) % SEGMENTS;
            expired.clear();
            srv.dbs[db].expired_in_segment(idx, now, &mut expired);
            for key in &expired {
                srv.delete_expired(db, key);
                srv.pending_log.push((db, vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)]));
                // Each expiry is its own log entry, never wrapped with others in MULTI/EXEC.
                lsn = lsn.max(srv.flush_log());
            }
            looked += 1;
        }
    }
    if !srv.ready_keys.is_empty() {
        srv.handle_ready_keys();
    }
    crate::latency::sample_since("expire-cycle", start);
    if srv.tracking.active() {
        crate::cmd::client::tracking_broadcast(srv);
    }
    lsn
}
