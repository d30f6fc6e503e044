//! VaultKey: a Redis/Valkey-compatible key-value server where durability comes first.
//!
//! Where things are:
//! - [`resp`]: the wire protocol (request parsing, RESP2/RESP3 reply encoding).
//! - [`net`]: accept loop and connection tasks.
//! - [`server`]: the shared server state, command execution (`execute`/`call`), MULTI/EXEC,
//!   blocked clients, the hand-off of effects to the command log.
//! - [`cmd`]: the command table and one module per command family.
//! - [`db`]: a database's keyspace, segmented for fork-free copy-on-write snapshots.
//! - [`types`]: value types with Redis's encodings.
//! - [`client`], [`pubsub`], [`config`], [`expire`], [`util`].
//!
//! File formats live in the `vk-storage` crate; loaders and checkers in `vk-recovery`.

pub mod aof;
pub mod client;
pub mod cmd;
pub mod config;
pub mod db;
pub mod expire;
pub mod latency;
pub mod net;
pub mod persist;
pub mod pubsub;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod server_info;
pub mod spill;
pub mod types;
pub mod util;

use std::sync::Arc;

/// Starts a server with `config` on the current tokio runtime; resolves when it shuts down.
pub async fn run(config: config::Config) -> std::io::Result<()> {
    let listeners = match net::bind_at_startup(&config.bind, config.port) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("{e}");
            return Err(e);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&config.dir) {
        tracing::error!("cannot create data directory {}: {e}", config.dir.display());
        return Err(e);
    }
    let mut srv = server::Server::new(config);
    server_info::note_startup_memory();
    load_dataset(&mut srv)?;
    let shared = server::Shared::new(srv);
    if shared.srv.lock().config.appendonly {
        // The writer reports to `shared.durable`: it starts once `Shared` exists.
        let mut srv = shared.srv.lock();
        if let Err(e) = aof::open_at_startup(&mut srv) {
            tracing::error!("{e}");
            return Err(std::io::Error::other(e));
        }
    }
    tokio::spawn(expire::active_expire_loop(shared.clone()));
    net::serve(&shared, listeners);
    shared_wait_shutdown(shared).await;
    Ok(())
}

/// Loads the dataset at startup: the AOF when `appendonly yes`, otherwise the RDB file.
/// As Redis 7 (`loadDataFromDisk`), with `appendonly yes` the RDB file is not read even when
/// there is no AOF yet: the AOF's first base is then made from the empty dataset.
fn load_dataset(srv: &mut server::Server) -> std::io::Result<()> {
    if srv.config.appendonly {
        return match aof::load_at_startup(srv) {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!("{e}");
                Err(std::io::Error::other(e))
            }
        };
    }
    let path = persist::rdb_path(srv);
    match persist::load_rdb_file(srv, &path) {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!("{e}");
            Err(std::io::Error::other(e))
        }
    }
}

/// Work done before the process exits: a final save when asked (SHUTDOWN, or SIGTERM with save
/// points configured).
pub fn prepare_shutdown(srv: &mut server::Server, save: bool) -> Result<(), String> {
    tracing::info!("User requested shutdown...");
    aof::flush_for_shutdown(srv)?;
    if save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        persist::save_sync(srv).map_err(|e| format!("Error trying to save the DB, can't exit: {e}"))?;
    }
    Ok(())
}

async fn shared_wait_shutdown(shared: Arc<server::Shared>) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {},
        _ = shared.shutdown.notified() => {},
    }
    if !shared.shutting_down.swap(true, std::sync::atomic::Ordering::SeqCst) {
        // A signal, not SHUTDOWN: save if save points are configured (as Redis does on SIGTERM).
        let mut srv = shared.srv.lock();
        let save = !srv.config.save.is_empty();
        if let Err(e) = prepare_shutdown(&mut srv, save) {
            tracing::error!("{e}");
        }
    }
    tracing::info!("VaultKey is now ready to exit, bye bye...");
}
