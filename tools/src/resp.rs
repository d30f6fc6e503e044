//! A minimal blocking RESP2 client for the tools (pipelined writes, replies read in order).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

pub struct Client {
    reader: BufReader<TcpStream>,
    writer: std::io::BufWriter<TcpStream>,
}

/// Encodes a command as a RESP multibulk.
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Client {
    pub fn connect(addr: &str) -> std::io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(300)))?;
        Ok(Client { reader: BufReader::new(s.try_clone()?), writer: std::io::BufWriter::with_capacity(1 << 20, s) })
    }

    /// Queues raw encoded bytes (call `flush` before reading).
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    pub fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        encode(args, &mut buf);
        self.writer.write_all(&buf)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        self.send(args)?;
        self.flush()?;
        self.read()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut l = String::new();
        if self.reader.read_line(&mut l)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by the server"));
        }
        l.truncate(l.trim_end_matches(['\r', '\n']).len());
        Ok(l)
    }

    pub fn read(&mut self) -> std::io::Result<Reply> {
        let l = self.line()?;
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad reply line {l:?}"));
        let (tag, rest) = l.split_at(1.min(l.len()));
        let num = || rest.parse::<i64>().map_err(|_| bad());
        Ok(match tag {
            "+" => Reply::Simple(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(num()?),
            "$" => {
                let n = num()?;
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut b = vec![0u8; n as usize + 2];
                    self.reader.read_exact(&mut b)?;
                    b.truncate(n as usize);
                    Reply::Bulk(Some(b))
                }
            }
            "*" => {
                let n = num()?;
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let mut v = Vec::new();
                    for _ in 0..n {
                        v.push(self.read()?);
                    }
                    Reply::Array(Some(v))
                }
            }
            _ => return Err(bad()),
        })
    }
}
