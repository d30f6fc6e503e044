//! Lists the keys of an RDB file with their offsets and types (debug aid).
use vk_storage::rdb::*;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: rdb_keys FILE")?;
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut r = RdbReader::new(f)?;
    let mut n = 0;
    loop {
        match r.next_event() {
            Ok(Some(RdbEvent::Key(k))) => {
                n += 1;
                println!("{n} @{} db{} type {} ({}) {}", k.offset, k.db, k.rdb_type, consts::type_name(k.rdb_type), String::from_utf8_lossy(&k.key));
            }
            Ok(Some(ev)) => println!("@{} {:?}", r.offset(), ev),
            Ok(None) => break,
            Err(e) => {
                println!("error: {e}");
                break;
            }
        }
    }
    Ok(())
}
