//! Reads an RDB file and writes it back with our writer: `rdb_rewrite IN OUT [VERSION] [nocompress]`.
//! Used to check by hand that real servers load what we write.
use vk_storage::rdb::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (inp, out) = (args.get(1).ok_or("usage: rdb_rewrite IN OUT [VERSION] [nocompress]")?, args.get(2).ok_or("missing OUT")?);
    let version: u16 = args.get(3).map(|v| v.parse()).transpose()?.unwrap_or(11);
    let compress = args.get(4).map(|s| s != "nocompress").unwrap_or(true);
    let mut r = RdbReader::new(std::io::BufReader::new(std::fs::File::open(inp)?))?;
    let f = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut w = RdbWriter::new(f, WriteOptions { version, compress, ..WriteOptions::default() })?;
    while let Some(ev) = r.next_event()? {
        match ev {
            RdbEvent::Aux { key, value } => w.aux(&key, &value)?,
            RdbEvent::SelectDb(db) => w.select_db(db)?,
            RdbEvent::ResizeDb { db_size, expires_size } => w.resize_db(db_size, expires_size)?,
            RdbEvent::Function(code) => w.function(&code)?,
            RdbEvent::Key(k) => w.key_with_meta(&k.key, k.expire_ms, k.lru_idle, k.lfu_freq, &k.value)?,
            _ => {}
        }
    }
    w.finish()?;
    Ok(())
}
