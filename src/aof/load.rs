//! Replaying an AOF into the server: the recovery crate's loader drives, this visitor applies
//! each command through the real command table with a loader client.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use bytes::Bytes;
use vk_recovery::aof::loader::{self, AofVisitor, LoadOptions, LoadReport};
use vk_recovery::aof::{AofFile, AofSet, BoxError};
use vk_storage::aof::command::Command;

use crate::client::Client;
use crate::server::{self, Server};

/// Applies what the loader reads.
pub struct ServerVisitor<'a> {
    pub srv: &'a mut Server,
    pub client: Client,
    /// Commands that failed (logged, loading goes on as in Redis).
    pub failed: u64,
    pub commands: u64,
    /// Bytes of the files before the current one (for loading progress).
    done_bytes: u64,
    cur_file: String,
}

impl<'a> ServerVisitor<'a> {
    pub fn new(srv: &'a mut Server) -> ServerVisitor<'a> {
        let mut client = Client::detached(0);
        client.is_loader = true;
        ServerVisitor { srv, client, failed: 0, commands: 0, done_bytes: 0, cur_file: String::new() }
    }

    fn progress(&mut self, file: &AofFile, offset: u64) {
        if self.cur_file != file.name {
            if !self.cur_file.is_empty() {
                self.done_bytes = self.srv.rdb.loading_loaded_bytes;
            }
            self.cur_file = file.name.clone();
        }
        self.srv.rdb.loading_loaded_bytes = self.done_bytes + offset;
    }

    fn apply(&mut self, file: &AofFile, cmd: &Command) -> Result<(), BoxError> {
        let argv: Vec<Bytes> = cmd.args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let (spec, _) = match server::resolve(&argv) {
            Ok(x) => x,
            Err(_) if crate::cmd::COMMANDS.get(&argv[0]).is_none() => {
                // Redis exits on an unknown command in the AOF.
                return Err(format!(
                    "Unknown command '{}' reading the append only file {}",
                    String::from_utf8_lossy(&argv[0]),
                    file.name
                )
                .into());
            }
            Err(e) => {
                self.failed += 1;
                tracing::warn!("Error applying the command at offset {} of {}: {:?}", cmd.offset, file.name, e);
                return Ok(());
            }
        };
        let (reply, _) = server::call(self.srv, &mut self.client, spec, &argv, true);
        self.srv.pending_log.clear();
        self.commands += 1;
        if let crate::resp::Reply::Error(e) = &reply {
            self.failed += 1;
            tracing::warn!(
                "The command '{}' at offset {} of the AOF file {} failed: {e}",
                String::from_utf8_lossy(&argv[0]),
                cmd.offset,
                file.name
            );
        }
        Ok(())
    }
}

impl AofVisitor for ServerVisitor<'_> {
    fn rdb(&mut self, file: &AofFile, reader: &mut dyn BufRead) -> Result<(), BoxError> {
        // Decode from our own handle on the file (in parallel with inserting, as RDB loading
        // does), then skip exactly the image in the loader's reader so that the commands of a
        // Redis 6 preamble file are read after it.
        let f = File::open(&file.path)?;
        let stats = crate::persist::load_rdb(self.srv, BufReader::with_capacity(1 << 20, f), file.size, true)?;
        let skipped = std::io::copy(&mut reader.take(stats.image_len), &mut std::io::sink())?;
        if skipped != stats.image_len {
            return Err(format!("short RDB image: {skipped} of {} bytes", stats.image_len).into());
        }
        self.progress(file, stats.image_len);
        Ok(())
    }

    fn command(&mut self, file: &AofFile, cmd: Command) -> Result<(), BoxError> {
        self.progress(file, cmd.end);
        self.apply(file, &cmd)
    }

    fn transaction(&mut self, file: &AofFile, cmds: Vec<Command>) -> Result<(), BoxError> {
        // Applied as one unit: nothing else runs while we hold the server.
        for c in &cmds {
            self.apply(file, c)?;
        }
        if let Some(c) = cmds.last() {
            self.progress(file, c.end);
        }
        Ok(())
    }
}

/// Loads `set` into `srv` (databases expected empty). `srv.loading` is set meanwhile: nothing
/// expires, nothing is logged.
pub fn load_set(srv: &mut Server, set: &AofSet) -> Result<(LoadReport, u64, u64), String> {
    let opts = LoadOptions { load_truncated: srv.config.aof_load_truncated };
    let was_loading = srv.loading;
    srv.loading = true;
    srv.rdb.loading_start = crate::util::now_ms() / 1000;
    srv.rdb.loading_total_bytes = set.files.iter().map(|f| f.size).sum();
    srv.rdb.loading_loaded_bytes = 0;
    let db_before = 0;
    let mut v = ServerVisitor::new(srv);
    v.client.select(db_before);
    let r = loader::load(set, &opts, &mut v);
    let (commands, failed) = (v.commands, v.failed);
    srv.loading = was_loading;
    srv.pending_log.clear();
    let report = r.map_err(|e| e.to_string())?;
    Ok((report, commands, failed))
}
