//! Prints a DUMP payload per key of an RDB file as `db<TAB>hex(key)<TAB>expire_ms<TAB>hex(payload)`,
//! then `F<TAB>hex(function payload)`: `rdb_payloads IN VERSION` (manual RESTORE interop checks).
use vk_storage::rdb::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let inp = args.get(1).ok_or("usage: rdb_payloads IN VERSION")?;
    let version: u16 = args.get(2).map(|v| v.parse()).transpose()?.unwrap_or(11);
    let mut r = RdbReader::new(std::io::BufReader::new(std::fs::File::open(inp)?))?;
    let mut funcs = Vec::new();
    while let Some(ev) = r.next_event()? {
        match ev {
            RdbEvent::Key(k) if !k.empty => {
                let p = dump_payload(&k.value, version, &WriteOptions::default())?;
                println!("{}\t{}\t{}\t{}", k.db, hex(&k.key), k.expire_ms.unwrap_or(0), hex(&p));
            }
            RdbEvent::Function(f) => funcs.push(f),
            _ => {}
        }
    }
    println!("F\t{}", hex(&dump_function_payload(&funcs, version, true)));
    Ok(())
}
