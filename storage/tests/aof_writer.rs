//! The log writer against a fake disk: crash safety of acknowledged LSNs, poisoning, group
//! commit, every-second fsync.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vk_storage::aof::command::{encode_command, CommandReader, Entry};
use vk_storage::aof::writer::{
    FailedOp, FsyncPolicy, LogWriter, WriterConfig, WriterError, WriterEvent, WriterStatus,
};
use vk_storage::io::{Crash, Fault, FaultyFile, ENOSPC};

fn cmd(i: usize) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(&mut out, &[b"SET".to_vec(), format!("key:{i}").into_bytes(), vec![b'v'; i % 50]]);
    out
}

fn start(file: &FaultyFile, config: WriterConfig) -> LogWriter {
    LogWriter::start(Box::new(file.clone()), config).expect("spawn writer")
}

/// `config` with a listener that records every event the writer publishes, and the record.
fn recording(mut config: WriterConfig) -> (WriterConfig, Arc<Mutex<Vec<WriterEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev2 = Arc::clone(&events);
    config.on_event = Some(Arc::new(move |e: &WriterEvent| ev2.lock().expect("events").push(e.clone())));
    (config, events)
}

/// Every command in `bytes`, which must parse cleanly.
fn parse_all(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
    CommandReader::new(bytes)
        .map(|e| match e.expect("clean parse") {
            Entry::Command(c) => c.args,
            Entry::Annotation(_) => panic!("no annotations written"),
        })
        .collect()
}

#[test]
fn acknowledged_lsns_survive_a_power_failure() {
    let file = FaultyFile::new();
    file.set_sync_delay(Duration::from_micros(200));
    let w = Arc::new(start(&file, WriterConfig::new(FsyncPolicy::Always)));
    let acked = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for t in 0..4 {
        let w = Arc::clone(&w);
        let acked = Arc::clone(&acked);
        threads.push(std::thread::spawn(move || {
            for i in 0..50 {
                let lsn = w.append_and_wait(&cmd(t * 1000 + i)).expect("append");
                acked.fetch_max(lsn, Ordering::SeqCst);
            }
        }));
    }
    // Crash in the middle of the traffic, then again at the end.
    std::thread::sleep(Duration::from_millis(5));
    let acked_before = acked.load(Ordering::SeqCst);
    let image = file.crash(Crash::DropUnsynced);
    assert!(image.len() as u64 >= acked_before, "acknowledged data lost: {} < {}", image.len(), acked_before);
    // What survived is whole commands (the writer only fsyncs after whole batches).
    let _ = parse_all(&image);
    for t in threads {
        t.join().expect("appender");
    }
    let image = file.crash(Crash::DropUnsynced);
    assert_eq!(image.len() as u64, acked.load(Ordering::SeqCst));
    assert_eq!(parse_all(&image).len(), 200);
}

#[test]
fn torn_tail_after_crash_is_a_truncated_prefix() {
    let file = FaultyFile::new();
    let w = start(&file, WriterConfig::new(FsyncPolicy::No));
    for i in 0..10 {
        w.append(&cmd(i)).expect("append");
    }
    let lsn = w.append(&cmd(10)).expect("append");
    w.wait_written(lsn).expect("written");
    // Nothing fsynced; a torn write kept 25 bytes.
    let image = file.crash(Crash::KeepTornPrefix(25));
    assert_eq!(image.len(), 25);
    let mut r = CommandReader::new(&image[..]);
    let mut n = 0;
    loop {
        match r.next_entry() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("25 bytes cannot end on a boundary here"),
            Err(e) => {
                assert!(matches!(e, vk_storage::aof::command::FrameError::Truncated { .. }), "{e:?}");
                break;
            }
        }
    }
    assert_eq!(n, 0);
    assert_eq!(w.flush().expect("flush"), lsn);
    assert_eq!(file.durable().len() as u64, lsn);
}

/// `threads` appenders of `each` commands that each wait for their append to be acknowledged
/// (durable under `Always`), checking the durable position covers it.
fn concurrent_appenders(w: &Arc<LogWriter>, threads: usize, each: usize) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let w = Arc::clone(w);
            std::thread::spawn(move || {
                for i in 0..each {
                    let lsn = w.append_and_wait(&cmd(t * 1000 + i)).expect("append");
                    assert!(w.durable_lsn() >= lsn);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("appender");
    }
}

#[test]
fn group_commit_uses_fewer_fsyncs_than_appends() {
    let file = FaultyFile::new();
    file.set_sync_delay(Duration::from_millis(1));
    let w = Arc::new(start(&file, WriterConfig::new(FsyncPolicy::Always)));
    concurrent_appenders(&w, 8, 100);
    let syncs = file.sync_count();
    assert!(syncs < 800, "{syncs} fsyncs for 800 appends: no group commit");
    assert!(syncs > 0);
    assert_eq!(parse_all(&file.durable()).len(), 800);
    let stats = w.stats();
    assert_eq!(stats.durable_lsn, stats.appended_lsn);
    assert_eq!(stats.fsyncs, syncs);
}

#[test]
fn failed_fsync_poisons_and_fails_waiters() {
    let file = FaultyFile::new();
    let (cfg, events) = recording(WriterConfig::new(FsyncPolicy::Always));
    let w = start(&file, cfg);
    let ok = w.append_and_wait(&cmd(1)).expect("first append");
    file.fail_sync(0, Fault::Io);
    let err = w.append_and_wait(&cmd(2)).expect_err("fsync fails");
    match &err {
        WriterError::Poisoned(p) => {
            assert_eq!(p.op, FailedOp::Fsync);
            assert_eq!(p.durable_lsn, ok);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(w.status(), WriterStatus::Poisoned(_)));
    // No retry: appends are refused, even though the next fsync would "succeed".
    assert!(matches!(w.append(&cmd(3)), Err(WriterError::Poisoned(_))));
    assert!(matches!(w.flush(), Err(WriterError::Poisoned(_))));
    // An already durable LSN still reports durable.
    assert!(w.wait_durable(ok).is_ok());
    let stats = w.stats();
    assert!(stats.poisoned && stats.last_fsync_error.is_some());
    assert_eq!(stats.durable_lsn, ok);
    assert!(events.lock().expect("events").iter().any(|e| matches!(e, WriterEvent::Poisoned(_))));
    assert!(events.lock().expect("events").contains(&WriterEvent::Durable(ok)));
    assert!(matches!(w.shutdown(), Err(WriterError::Poisoned(_))));
}

#[test]
fn short_write_is_cut_back_to_a_command_boundary() {
    let file = FaultyFile::new();
    let w = start(&file, WriterConfig::new(FsyncPolicy::Always));
    let ok = w.append_and_wait(&cmd(1)).expect("first append");
    file.fail_write(0, Fault::NoSpace, 7);
    let err = w.append_and_wait(&cmd(2)).expect_err("ENOSPC");
    match err {
        WriterError::Poisoned(p) => {
            assert_eq!(p.op, FailedOp::Write);
            assert_eq!(p.errno, Some(ENOSPC));
            assert_eq!(p.truncated_to, Some(ok));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(file.written().len() as u64, ok);
    let stats = w.stats();
    assert!(!stats.last_write_ok);
    assert_eq!(stats.last_write_errno, Some(ENOSPC));
    assert_eq!(parse_all(&file.crash(Crash::ProcessOnly)).len(), 1);
}

#[test]
fn everysec_fsyncs_in_the_background_about_once_per_interval() {
    let file = FaultyFile::new();
    let mut cfg = WriterConfig::new(FsyncPolicy::EverySec);
    cfg.everysec_interval = Duration::from_millis(100);
    let w = start(&file, cfg);
    let t0 = Instant::now();
    let mut last = 0;
    while t0.elapsed() < Duration::from_millis(550) {
        last = w.append_and_wait(&cmd(1)).expect("append");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Durable without anybody asking for it, within about one interval.
    assert!(w.wait_durable_timeout(last, Duration::from_millis(400)).expect("no poison"));
    let syncs = file.sync_count();
    // ~6 intervals elapsed (plus the last wait): never more than one fsync per interval.
    assert!((2..=9).contains(&syncs), "{syncs} fsyncs");
    assert!(file.write_count() > syncs);
}

#[test]
fn everysec_counts_delayed_fsync_instead_of_blocking_appenders() {
    let file = FaultyFile::new();
    file.set_sync_delay(Duration::from_millis(400));
    let mut cfg = WriterConfig::new(FsyncPolicy::EverySec);
    cfg.everysec_interval = Duration::from_millis(20);
    cfg.delayed_fsync_after = Duration::from_millis(50);
    let w = start(&file, cfg);
    let t0 = Instant::now();
    // Appenders are not held behind the slow fsync: their writes complete while it is still
    // running (the write position gets ahead of the durable one).
    let mut written_ahead_of_fsync = 0;
    while t0.elapsed() < Duration::from_millis(300) {
        let lsn = w.append(&cmd(2)).expect("append");
        w.wait_written(lsn).expect("written");
        if w.durable_lsn() < lsn {
            written_ahead_of_fsync += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(w.stats().delayed_fsync > 0, "{:?}", w.stats());
    assert!(written_ahead_of_fsync > 0, "every append waited for the slow fsync");
    assert!(w.shutdown().is_ok());
    assert_eq!(file.durable(), file.written());
}

#[test]
fn rotate_splits_the_stream_at_an_lsn_boundary() {
    let old = FaultyFile::new();
    let new = FaultyFile::new();
    let mut cfg = WriterConfig::new(FsyncPolicy::No);
    cfg.start_lsn = 1000;
    let w = start(&old, cfg);
    w.append(&cmd(1)).expect("append");
    let before = w.append(&cmd(2)).expect("append");
    let boundary = w.rotate(Box::new(new.clone())).expect("rotate");
    assert_eq!(boundary, before);
    // The old file is complete and durable before the switch.
    assert_eq!(old.durable().len() as u64, before - 1000);
    let after = w.append(&cmd(3)).expect("append");
    assert_eq!(w.shutdown().expect("shutdown"), after);
    assert_eq!(parse_all(&old.durable()).len(), 2);
    assert_eq!(parse_all(&new.durable()), vec![parse_all(&cmd(3)).remove(0)]);
    assert_eq!(w.stats().file_start_lsn, boundary);
    assert!(matches!(w.append(&cmd(4)), Err(WriterError::Closed)));
}

#[test]
fn shutdown_flushes_under_every_policy() {
    for policy in [FsyncPolicy::Always, FsyncPolicy::EverySec, FsyncPolicy::No] {
        let file = FaultyFile::new();
        let w = start(&file, WriterConfig::new(policy));
        for i in 0..20 {
            w.append(&cmd(i)).expect("append");
        }
        let lsn = w.shutdown().expect("shutdown");
        assert_eq!(file.durable().len() as u64, lsn, "{policy:?}");
        assert_eq!(parse_all(&file.durable()).len(), 20);
    }
}

#[test]
fn real_file_roundtrip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("appendonly.aof.1.incr.aof");
    let f = vk_storage::io::StdLogFile::create(&path).expect("create");
    let mut cfg = WriterConfig::new(FsyncPolicy::EverySec);
    cfg.everysec_interval = Duration::from_millis(10);
    let w = LogWriter::start(Box::new(f), cfg).expect("start");
    for i in 0..100 {
        w.append(&cmd(i)).expect("append");
    }
    let lsn = w.flush().expect("flush");
    drop(w);
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(bytes.len() as u64, lsn);
    assert_eq!(parse_all(&bytes).len(), 100);
}

#[test]
fn write_through_writes_on_the_calling_thread() {
    let file = FaultyFile::new();
    let w = start(&file, WriterConfig::new(FsyncPolicy::No));
    let a = w.append(&cmd(1)).expect("append");
    let b = w.append(&cmd(2)).expect("append");
    // One write covers both appends, done by this thread: no waiting for another one.
    w.write_through(a).expect("write");
    assert_eq!(file.written().len() as u64, b);
    let stats = w.stats();
    assert_eq!((stats.writes, stats.appends_written, stats.appends), (1, 2, 2));
    assert!((stats.avg_write_batch() - 2.0).abs() < 1e-9);
    // Already written: nothing more to do.
    w.write_through(b).expect("write");
    assert_eq!(w.stats().writes, 1);
    assert_eq!(file.sync_count(), 0);
}

#[test]
fn leftover_appends_are_written_by_the_background_thread() {
    for policy in [FsyncPolicy::EverySec, FsyncPolicy::No, FsyncPolicy::Always] {
        let file = FaultyFile::new();
        let w = start(&file, WriterConfig::new(policy));
        let lsn = w.append(&cmd(1)).expect("append");
        // Nobody writes it through: the background thread does, within about a tick.
        let t0 = Instant::now();
        while (file.written().len() as u64) < lsn {
            assert!(t0.elapsed() < Duration::from_secs(10), "{policy:?}: never written");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[test]
fn group_commit_stats_count_every_append_once() {
    let file = FaultyFile::new();
    file.set_sync_delay(Duration::from_millis(2));
    let w = Arc::new(start(&file, WriterConfig::new(FsyncPolicy::Always)));
    concurrent_appenders(&w, 16, 30);
    let s = w.stats();
    assert_eq!(s.appends, 480);
    assert_eq!(s.appends_synced, 480, "{s:?}");
    assert!(s.fsyncs_with_data <= s.fsyncs && s.fsyncs_with_data > 0);
    assert!(s.avg_fsync_batch() > 1.0, "no group commit: {s:?}");
    assert!(s.avg_fsync_micros() >= 1000, "{s:?}");
    eprintln!("16 appenders, 2 ms fsync: {} fsyncs, {:.1} appends per fsync", s.fsyncs, s.avg_fsync_batch());
}

/// `no-appendfsync-on-rewrite`: while suspended no fsync happens (even under `always`); data
/// is still written; resuming fsyncs what accumulated.
#[test]
fn suspended_fsyncs_leave_written_data_unsynced_until_resumed() {
    let file = FaultyFile::new();
    let (cfg, events) = recording(WriterConfig::new(FsyncPolicy::Always));
    let w = start(&file, cfg);
    let first = w.append_and_wait(&cmd(1)).expect("append");
    assert_eq!(w.durable_lsn(), first);
    let syncs = file.sync_count();
    w.set_fsync_suspended(true);
    assert!(w.fsync_suspended() && w.acks_on_write());
    // Suspending re-reports the written position (a listener acknowledging on write
    // releases its waiters).
    assert_eq!(events.lock().expect("events").last(), Some(&WriterEvent::Written(first)));
    // Acknowledged once written: append_and_wait does not wait for an fsync.
    let lsn = w.append_and_wait(&cmd(2)).expect("append");
    assert_eq!(file.written().len() as u64, lsn);
    assert!(!w.wait_durable_timeout(lsn, Duration::from_millis(100)).expect("healthy"));
    assert_eq!(file.sync_count(), syncs, "fsync while suspended");
    assert_eq!(file.crash(Crash::DropUnsynced).len() as u64, first, "power failure loses the unsynced write");
    w.set_fsync_suspended(false);
    assert!(!w.acks_on_write());
    w.wait_durable(lsn).expect("fsynced after resuming");
    assert_eq!(file.durable().len() as u64, lsn);
}

/// The `everysec` power-failure window, measured: an appender acknowledges a write every
/// millisecond while fsyncs take 50 ms; at random moments we look at what a power failure
/// would keep (`Crash::DropUnsynced`) and at the oldest acknowledged write it would lose.
/// Both that age and the writer's own measure (`max_unsynced_age_micros`) must stay within
/// one interval plus two fsyncs, with a generous margin for a loaded machine.
#[test]
fn everysec_loss_window_is_bounded_by_interval_plus_fsync() {
    let file = FaultyFile::new();
    let fsync = Duration::from_millis(50);
    file.set_sync_delay(fsync);
    let cfg = WriterConfig::new(FsyncPolicy::EverySec);
    let interval = cfg.everysec_interval;
    let w = Arc::new(start(&file, cfg));
    let acks: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let appender = {
        let (w, acks, stop) = (Arc::clone(&w), Arc::clone(&acks), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let lsn = w.append_and_wait(&cmd(i)).expect("append");
                acks.lock().expect("acks").push((lsn, Instant::now()));
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let t0 = Instant::now();
    let mut max_loss = Duration::ZERO;
    let mut probes = 0;
    while t0.elapsed() < Duration::from_millis(3500) {
        std::thread::sleep(Duration::from_millis(37));
        // Snapshot the acknowledgements first: everything in it was acknowledged before the
        // crash image is taken.
        let acked: Vec<(u64, Instant)> = acks.lock().expect("acks").clone();
        let kept = file.crash(Crash::DropUnsynced).len() as u64;
        let now = Instant::now();
        if let Some(&(_, at)) = acked.iter().find(|(lsn, _)| *lsn > kept) {
            max_loss = max_loss.max(now - at);
        }
        probes += 1;
    }
    stop.store(true, Ordering::SeqCst);
    appender.join().expect("appender");
    let s = w.stats();
    let writer_window = Duration::from_micros(s.max_unsynced_age_micros);
    eprintln!(
        "everysec, {fsync:?} fsync: {probes} simulated power failures, oldest acknowledged write lost: {max_loss:?}; \
         writer's max unsynced age: {writer_window:?}; {} fsyncs, longest {} us",
        s.fsyncs, s.fsync_max_micros
    );
    let bound = interval + 2 * fsync + Duration::from_millis(1500);
    assert!(max_loss <= bound, "loss window {max_loss:?} > {bound:?}");
    assert!(writer_window <= bound, "writer's window {writer_window:?} > {bound:?}");
    assert!(s.max_unsynced_age_micros > 0 && s.fsyncs_with_data > 0, "{s:?}");
    assert!(w.shutdown().is_ok());
}

#[test]
fn empty_appends_do_not_keep_the_writer_busy() {
    let file = FaultyFile::new();
    let w = start(&file, WriterConfig::new(FsyncPolicy::Always));
    let lsn = w.append_and_wait(&cmd(1)).expect("append");
    assert_eq!(w.append_and_wait(b"").expect("empty append"), lsn);
    std::thread::sleep(Duration::from_millis(50));
    // No fsync loop on nothing: at most the one for the command (and one for the empty append).
    assert!(file.sync_count() <= 2, "{} fsyncs", file.sync_count());
    assert_eq!(w.shutdown().expect("shutdown"), lsn);
}
