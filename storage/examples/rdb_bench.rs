//! Rough throughput check: writes a synthetic RDB of mixed values, then reads it back.
//! `cargo run --example rdb_bench -- [MB]` (use an optimized profile for meaningful numbers).
use std::time::Instant;
use vk_storage::rdb::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(64);
    let path = std::env::temp_dir().join("vk-rdb-bench.rdb");
    let t = Instant::now();
    let f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut w = RdbWriter::new(f, WriteOptions::default())?;
    w.select_db(0)?;
    let mut i = 0u64;
    let mut approx = 0usize;
    while approx < mb << 20 {
        let key = format!("key:{i}").into_bytes();
        let v = match i % 10 {
            0..=5 => RdbValue::String(format!("value-{i}-{}", "x".repeat((i % 50) as usize)).into_bytes()),
            6 => RdbValue::Hash((0..20).map(|j| (format!("f{j}").into_bytes(), format!("{}", i * j).into_bytes())).collect()),
            7 => RdbValue::List((0..200).map(|j| format!("elem-{j}").into_bytes()).collect()),
            8 => RdbValue::Set((0..300).map(|j| format!("{}", j * 7).into_bytes()).collect()),
            _ => RdbValue::SortedSet((0..200).map(|j| (format!("m{j}").into_bytes(), j as f64 * 1.5)).collect()),
        };
        approx += 40 + match &v {
            RdbValue::String(s) => s.len(),
            _ => 1500,
        };
        w.key(&key, None, &v)?;
        i += 1;
    }
    w.finish()?;
    let size = std::fs::metadata(&path)?.len();
    println!("wrote {i} keys, {} MB in {:?}", size >> 20, t.elapsed());
    for _ in 0..3 {
        let t = Instant::now();
        let mut r = RdbReader::new(std::fs::File::open(&path)?)?;
        let mut n = 0u64;
        while let Some(ev) = r.next_event()? {
            if let RdbEvent::Key(_) = ev {
                n += 1;
            }
        }
        let el = t.elapsed();
        println!("read {n} keys in {el:?}: {:.0} MB/s", size as f64 / 1048576.0 / el.as_secs_f64());
    }
    std::fs::remove_file(&path)?;
    Ok(())
}
