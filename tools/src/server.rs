//! Running the real `vk-server` as a child process for work that needs the command engine.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::resp::{Client, Reply};

/// Finds the `vk-server` binary: `$VK_SERVER`, next to this executable, or on `PATH`.
pub fn find_vk_server() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("VK_SERVER") {
        return Ok(PathBuf::from(p));
    }
    if let Ok(me) = std::env::current_exe() {
        if let Some(dir) = me.parent() {
            for cand in [dir.join("vk-server"), dir.join("../vk-server")] {
                if cand.is_file() {
                    return Ok(cand);
                }
            }
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&paths) {
            let c = d.join("vk-server");
            if c.is_file() {
                return Ok(c);
            }
        }
    }
    Err("vk-server not found (set VK_SERVER, or install it next to this tool)".into())
}

/// A private vk-server on a free loopback port.
pub struct ChildServer {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// Whether the server on `c` is process `pid` and ready (INFO answers, so not loading). The
/// port was free when picked, but another process may have bound it before the child did:
/// the tools must never write into somebody else's server.
pub fn answers_as(c: &mut Client, pid: u32) -> bool {
    match c.call(&[b"INFO", b"server"]) {
        Ok(Reply::Bulk(Some(info))) => String::from_utf8_lossy(&info).lines().any(|l| l.strip_prefix("process_id:") == Some(&pid.to_string())),
        _ => false,
    }
}

impl ChildServer {
    /// Starts `vk-server --dir DIR --port <free> --bind 127.0.0.1 --save ""` plus `args`.
    pub fn start(dir: &Path, args: &[&str]) -> Result<ChildServer, String> {
        let bin = find_vk_server()?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let log = std::fs::File::create(dir.join("vk-tool-server.log")).map_err(|e| e.to_string())?;
        let child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut s = ChildServer { child, port, dir: dir.to_path_buf() };
        let start = Instant::now();
        loop {
            if let Ok(mut c) = Client::connect(&s.addr()) {
                if answers_as(&mut c, s.child.id()) {
                    return Ok(s);
                }
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("vk-tool-server.log")).unwrap_or_default();
                return Err(format!("vk-server exited ({status}) while loading:\n{log}"));
            }
            if start.elapsed() > Duration::from_secs(3600) {
                let _ = s.child.kill();
                return Err("vk-server did not become ready".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn client(&self) -> Result<Client, String> {
        Client::connect(&self.addr()).map_err(|e| e.to_string())
    }

    /// SHUTDOWN NOSAVE and wait for the process.
    pub fn stop(mut self) {
        if let Ok(mut c) = self.client() {
            let _ = c.call(&[b"SHUTDOWN", b"NOSAVE"]);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
