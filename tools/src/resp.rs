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
    out.push(b'*');
    put_usize(out, args.len());
    for a in args {
        out.push(b'$');
        put_usize(out, a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// `n\r\n` in decimal, without a temporary `String`.
fn put_usize(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// The reading half of a [`Client`] (see [`Client::split`]), for a thread that reads replies
/// while another one keeps writing commands.
pub struct ReplyReader {
    reader: BufReader<TcpStream>,
}

impl ReplyReader {
    pub fn read(&mut self) -> std::io::Result<Reply> {
        read_reply(&mut self.reader)
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

    /// Splits the connection into its reading half and its (buffered) writing half. Unflushed
    /// bytes are flushed first.
    pub fn split(mut self) -> std::io::Result<(ReplyReader, std::io::BufWriter<TcpStream>)> {
        self.writer.flush()?;
        Ok((ReplyReader { reader: self.reader }, self.writer))
    }

    pub fn read(&mut self) -> std::io::Result<Reply> {
        read_reply(&mut self.reader)
    }
}

fn line(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut l = String::new();
    if reader.read_line(&mut l)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by the server"));
    }
    l.truncate(l.trim_end_matches(['\r', '\n']).len());
    Ok(l)
}

fn read_reply(reader: &mut BufReader<TcpStream>) -> std::io::Result<Reply> {
    let l = line(reader)?;
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
                reader.read_exact(&mut b)?;
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
                    v.push(read_reply(reader)?);
                }
                Reply::Array(Some(v))
            }
        }
        _ => return Err(bad()),
    })
}
