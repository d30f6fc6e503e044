//! Integration-test harness: starts the real `vk-server` binary on a free loopback port in a
//! temporary directory and talks RESP to it with a small raw client (so replies, including
//! exact error texts and RESP3 types, can be compared byte for byte).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A decoded RESP2/RESP3 reply.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    NilArray,
    Array(Vec<V>),
    Map(Vec<(V, V)>),
    Set(Vec<V>),
    Double(String),
    Bool(bool),
    Verbatim(String, Vec<u8>),
    BigNumber(String),
    Push(Vec<V>),
}

impl V {
    pub fn bulk(s: &str) -> V {
        V::Bulk(s.as_bytes().to_vec())
    }
    pub fn ok() -> V {
        V::Simple("OK".into())
    }
    pub fn err(s: &str) -> V {
        V::Error(s.into())
    }
    pub fn bulks(items: &[&str]) -> V {
        V::Array(items.iter().map(|s| V::bulk(s)).collect())
    }
    /// The text of a bulk/simple/verbatim reply.
    pub fn text(&self) -> String {
        match self {
            V::Simple(s) | V::Error(s) | V::Double(s) | V::BigNumber(s) => s.clone(),
            V::Bulk(b) | V::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            V::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            V::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }
    pub fn array(&self) -> &[V] {
        match self {
            V::Array(a) | V::Set(a) | V::Push(a) => a,
            other => panic!("expected an array, got {other:?}"),
        }
    }
}

pub fn binary_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vk-server"))
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct TestServer {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts `vk-server --port <free> --dir <tempdir>` plus `args` (e.g. `["--appendonly", "yes"]`).
    pub fn start(args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, args)
    }

    /// Starts a server on an existing directory (restart tests).
    /// The port is picked free but only bound by the child a moment later; when another
    /// process took it in between (tests run in parallel), the child exits with "Address
    /// already in use" and the server is started again on another port.
    pub fn start_in(dir: tempfile::TempDir, args: &[&str]) -> TestServer {
        let port = free_port();
        let child = Self::spawn(dir.path(), port, args);
        let mut s = TestServer { child, port, dir };
        for _ in 0..5 {
            match s.wait_ready() {
                Ok(()) => return s,
                Err(log) if log.contains("Address already in use") => {
                    s.port = free_port();
                    s.child = Self::spawn(s.dir.path(), s.port, args);
                }
                Err(log) => panic!("vk-server exited early; log:\n{log}"),
            }
        }
        panic!("vk-server found no free port; log:\n{}", s.log());
    }

    fn spawn(dir: &Path, port: u16, args: &[&str]) -> Child {
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        Command::new(binary_path())
            .arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start vk-server")
    }

    /// Waits until our child answers on its port. The answer must come from our own process
    /// (INFO's `process_id`): the port was free when picked, but another test's server may have
    /// taken it before ours bound it, and talking to that one would make a restart test check
    /// the wrong dataset.
    fn wait_ready(&mut self) -> Result<(), String> {
        let start = Instant::now();
        let want = format!("process_id:{}\r\n", self.child.id());
        loop {
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = c.write_all(b"INFO server\r\n");
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                c.set_read_timeout(Some(Duration::from_millis(500))).ok();
                while let Ok(n) = c.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.ends_with(b"\r\n\r\n") || buf.first() == Some(&b'-') {
                        break;
                    }
                }
                if String::from_utf8_lossy(&buf).contains(&want) {
                    return Ok(());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("({status})\n{}", self.log()));
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("vk-server did not start; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    /// Kills the process with SIGKILL (crash tests) and returns the data directory.
    pub fn kill9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        dir
    }

    /// Stops with SIGTERM and waits (clean shutdown), returning the data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        unsafe {
            libc_kill(self.child.id() as i32, 15);
        }
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw RESP client.
pub struct Client {
    pub stream: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
        Client {
            stream: BufReader::new(s),
        }
    }

    pub fn send(&mut self, args: &[&[u8]]) {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&buf).unwrap();
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).unwrap();
    }

    /// Sends a command given as whitespace-free string arguments and reads the reply.
    pub fn cmd(&mut self, args: &[&str]) -> V {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send(&a);
        self.read()
    }

    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> V {
        self.send(args);
        self.read()
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        let n = self.stream.read_line(&mut l).expect("read reply line");
        assert!(n > 0, "connection closed by server");
        l.truncate(l.trim_end_matches(['\r', '\n']).len());
        l
    }

    pub fn read(&mut self) -> V {
        let l = self.line();
        let (tag, rest) = l.split_at(1);
        let n = || rest.parse::<i64>().unwrap();
        match tag {
            "+" => V::Simple(rest.into()),
            "-" => V::Error(rest.into()),
            ":" => V::Int(n()),
            "$" => {
                if n() < 0 {
                    return V::Nil;
                }
                V::Bulk(self.exact(n() as usize))
            }
            "*" => {
                if n() < 0 {
                    return V::NilArray;
                }
                V::Array((0..n()).map(|_| self.read()).collect())
            }
            "%" => V::Map((0..n()).map(|_| (self.read(), self.read())).collect()),
            "~" => V::Set((0..n()).map(|_| self.read()).collect()),
            ">" => V::Push((0..n()).map(|_| self.read()).collect()),
            "_" => V::Nil,
            "," => V::Double(rest.into()),
            "#" => V::Bool(rest == "t"),
            "(" => V::BigNumber(rest.into()),
            "=" => {
                let b = self.exact(n() as usize);
                V::Verbatim(String::from_utf8_lossy(&b[..3]).into(), b[4..].to_vec())
            }
            other => panic!("unexpected reply type {other:?} in line {l:?}"),
        }
    }

    fn exact(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n + 2];
        self.stream.read_exact(&mut b).unwrap();
        b.truncate(n);
        b
    }

    /// How long a read waits for the server (180 s by default): a reply that does not come
    /// within it fails the test.
    pub fn set_read_timeout(&mut self, d: Duration) {
        self.stream.get_mut().set_read_timeout(Some(d)).unwrap();
    }

    /// True if the server closed the connection.
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        self.set_read_timeout(Duration::from_secs(5));
        matches!(self.stream.read(&mut b), Ok(0) | Err(_))
    }
}

/// `../shared/fixtures` beside the repository; panics if missing (tests never skip silently).
pub fn fixtures_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    assert!(
        p.is_dir(),
        "fixtures not found at {} (expected ../shared/fixtures beside the repo)",
        p.display()
    );
    p
}
