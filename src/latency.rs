//! The latency monitor (Redis's `latency.c`): per-event time series of latency spikes above
//! `latency-monitor-threshold`, and the per-command latency histograms of LATENCY HISTOGRAM
//! and INFO latencystats.
//!
//! The event series live in a process-wide table so that threads outside the server lock (the
//! AOF writer) can report into it; one process runs one server.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const TS_LEN: usize = 160;

static THRESHOLD_MS: AtomicU64 = AtomicU64::new(0);
static TRACKING: AtomicBool = AtomicBool::new(true);
static EVENTS: Mutex<Vec<(String, Series)>> = Mutex::new(Vec::new());

/// One event's time series: a ring of (unix seconds, latency ms) samples.
#[derive(Clone)]
pub struct Series {
    pub samples: Vec<(i64, u64)>,
    pub idx: usize,
    pub max: u64,
}

impl Series {
    fn new() -> Series {
        Series { samples: vec![(0, 0); TS_LEN], idx: 0, max: 0 }
    }

    /// Samples in time order (oldest first), skipping empty slots.
    pub fn ordered(&self) -> Vec<(i64, u64)> {
        (0..TS_LEN).map(|j| self.samples[(self.idx + j) % TS_LEN]).filter(|s| s.0 != 0).collect()
    }

    fn last(&self) -> (i64, u64) {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

/// Follows the configuration (`latency-monitor-threshold`, `latency-tracking`).
pub fn sync_config(c: &crate::config::Config) {
    THRESHOLD_MS.store(c.latency_monitor_threshold, Ordering::Relaxed);
    TRACKING.store(c.other.get("latency-tracking").map(|v| v != "no").unwrap_or(true), Ordering::Relaxed);
}

pub fn threshold() -> u64 {
    THRESHOLD_MS.load(Ordering::Relaxed)
}

pub fn tracking() -> bool {
    TRACKING.load(Ordering::Relaxed)
}

/// Redis's `latencyAddSampleIfNeeded`: records `ms` for `event` when the monitor is on and
/// the latency reaches the threshold.
pub fn add_sample_if_needed(event: &str, ms: u64) {
    let t = threshold();
    if t != 0 && ms >= t {
        add_sample(event, ms);
    }
}

/// As [`add_sample_if_needed`], timing from `start`.
pub fn sample_since(event: &str, start: Instant) {
    if threshold() != 0 {
        add_sample_if_needed(event, start.elapsed().as_millis() as u64);
    }
}

/// Redis's `latencyAddSample`: one sample per second per event (the highest one wins).
pub fn add_sample(event: &str, ms: u64) {
    let now = crate::util::now_ms() / 1000;
    let mut events = EVENTS.lock();
    let pos = match events.iter().position(|(e, _)| e == event) {
        Some(p) => p,
        None => {
            events.push((event.to_string(), Series::new()));
            events.len() - 1
        }
    };
    let ts = &mut events[pos].1;
    ts.max = ts.max.max(ms);
    let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
    if ts.samples[prev].0 == now {
        if ms > ts.samples[prev].1 {
            ts.samples[prev].1 = ms;
        }
        return;
    }
    ts.samples[ts.idx] = (now, ms);
    ts.idx = (ts.idx + 1) % TS_LEN;
}

/// LATENCY RESET: drops the named event (case-insensitively), or every event; returns how many.
pub fn reset(event: Option<&[u8]>) -> usize {
    let mut events = EVENTS.lock();
    let before = events.len();
    match event {
        None => events.clear(),
        Some(name) => events.retain(|(e, _)| !e.as_bytes().eq_ignore_ascii_case(name)),
    }
    before - events.len()
}

/// A copy of every event's series, in creation order.
pub fn snapshot() -> Vec<(String, Series)> {
    EVENTS.lock().clone()
}

/// The series of `event` (exact name), if any.
pub fn series(event: &[u8]) -> Option<(String, Series)> {
    EVENTS.lock().iter().find(|(e, _)| e.as_bytes() == event).cloned()
}

/// LATENCY LATEST rows: (event, time of last sample, its latency, all-time max).
pub fn latest() -> Vec<(String, i64, u64, u64)> {
    EVENTS.lock().iter().map(|(e, s)| (e.clone(), s.last().0, s.last().1, s.max)).collect()
}

/// After a command ran for `usec`: its histogram (when `latency-tracking` is on), the
/// "command" / "fast-command" event and the memory peak, as Redis's `call()`.
pub fn command_done(stat: &mut crate::server::CommandStat, fast: bool, usec: u64) {
    crate::server_info::sample_peak();
    if tracking() {
        hist_record(&mut stat.hist, usec);
    }
    add_sample_if_needed(if fast { "fast-command" } else { "command" }, usec / 1000);
}

// ---------------------------------------------------------------------------------------------
// Per-command histograms
// ---------------------------------------------------------------------------------------------

/// A command's latency histogram: the layout of Redis's HDR histogram (values in ns from 1 to
/// 1e9, 2 significant figures: 256 sub-buckets, the upper 128 of each power of two kept),
/// so LATENCY HISTOGRAM and INFO latencystats report the very values Redis reports. The
/// counters are allocated on the first sample.
#[derive(Clone, Debug, Default)]
pub struct Hist {
    counts: Option<Box<[u64]>>,
    total: u64,
}

/// Counters of a histogram: 23 buckets of 128 plus the first bucket's lower half.
const HIST_LEN: usize = 3072;
const HIST_MAX_NS: u64 = 1_000_000_000;

fn hist_index(v: u64) -> usize {
    let bucket = (63 - (v | 255).leading_zeros()) as usize - 7;
    let sub = (v >> bucket) as usize;
    ((bucket + 1) << 7) + sub - 128
}

/// Highest value equivalent to counter `i` (Redis's `highest_equivalent_value`).
fn hist_highest(i: usize) -> u64 {
    let (bucket, sub) = if i < 256 { (0, i) } else { ((i >> 7) - 1, (i & 127) + 128) };
    ((sub as u64) << bucket) + (1u64 << bucket) - 1
}

/// Records one call of `usec` microseconds.
pub fn hist_record(h: &mut Hist, usec: u64) {
    // Redis clamps to [1 ns, 1 s] before recording.
    let ns = usec.saturating_mul(1000).clamp(1, HIST_MAX_NS);
    let counts = h.counts.get_or_insert_with(|| vec![0u64; HIST_LEN].into_boxed_slice());
    counts[hist_index(ns)] += 1;
    h.total += 1;
}

pub fn hist_total(h: &Hist) -> u64 {
    h.total
}

/// The cumulative distribution LATENCY HISTOGRAM replies: (usec, cumulative count) at each
/// power of two from 1024 ns, where the count grows (Redis's log iteration, base 2).
pub fn hist_cdf(h: &Hist) -> Vec<(u64, u64)> {
    let Some(counts) = &h.counts else { return Vec::new() };
    let mut out = Vec::new();
    let mut cum = 0u64;
    let mut prev = 0u64;
    let mut i = 0usize;
    let mut level = 1024u64;
    while cum < h.total {
        let last = hist_index(level).min(HIST_LEN - 1);
        let reached = level <= HIST_MAX_NS;
        let upto = if reached { last } else { HIST_LEN - 1 };
        while i <= upto {
            cum += counts[i];
            i += 1;
        }
        if cum > prev {
            out.push((hist_highest(upto) / 1000, cum));
        }
        prev = cum;
        if !reached {
            break;
        }
        level *= 2;
    }
    out
}

/// The value at percentile `p` (0..=100) in usec, as INFO latencystats reports it.
pub fn hist_percentile(h: &Hist, p: f64) -> f64 {
    let Some(counts) = &h.counts else { return 0.0 };
    let want = ((p.min(100.0) / 100.0) * h.total as f64 + 0.5) as u64;
    let want = want.max(1);
    let mut cum = 0;
    for (i, n) in counts.iter().enumerate() {
        cum += n;
        if cum >= want {
            return hist_highest(i) as f64 / 1000.0;
        }
    }
    0.0
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

struct Stats {
    samples: u64,
    avg: u64,
    mad: u64,
    period: i64,
}

fn analyze(ts: &Series) -> Stats {
    let s = ts.ordered();
    let mut st = Stats { samples: s.len() as u64, avg: 0, mad: 0, period: 0 };
    if s.is_empty() {
        return st;
    }
    let sum: u64 = s.iter().map(|x| x.1).sum();
    st.avg = sum / st.samples;
    let oldest = s.iter().map(|x| x.0).min().unwrap_or(0);
    st.period = (crate::util::now_ms() / 1000 - oldest).max(0);
    if st.period == 0 {
        st.period = 1;
    }
    let dev: u64 = s.iter().map(|x| (st.avg as i64 - x.1 as i64).unsigned_abs()).sum();
    st.mad = dev / st.samples;
    st
}

/// Facts about the server the doctor's advice depends on.
pub struct DoctorContext {
    pub slowlog_log_slower_than: i64,
    pub appendfsync_always: bool,
    pub hz: u32,
}

/// LATENCY DOCTOR: a plain-text report in Redis's words.
pub fn doctor(cx: &DoctorContext) -> String {
    let events = snapshot();
    let thr = threshold();
    if events.is_empty() && thr == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let mut r = String::new();
    #[derive(Default)]
    struct Advice {
        slowlog_enabled: bool,
        slowlog_tuning: bool,
        slowlog_inspect: bool,
        scheduler: bool,
        local_disk: bool,
        ssd: bool,
        data_writeback: bool,
        disk_contention: bool,
        relax_fsync: bool,
        write_load_info: bool,
        hz: bool,
        large_objects: bool,
        mass_eviction: bool,
    }
    let mut a = Advice::default();
    let mut advices = 0;
    for (n, (event, ts)) in events.iter().enumerate() {
        if n == 0 {
            r.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let ls = analyze(ts);
        r.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            n + 1,
            event,
            ls.samples,
            ls.avg,
            ls.mad,
            ls.period as f64 / ls.samples.max(1) as f64,
            ts.max
        ));
        match event.to_ascii_lowercase().as_str() {
            "command" => {
                if cx.slowlog_log_slower_than < 0 {
                    a.slowlog_enabled = true;
                    advices += 1;
                } else if (cx.slowlog_log_slower_than / 1000) as u64 > thr {
                    a.slowlog_tuning = true;
                    advices += 1;
                }
                a.slowlog_inspect = true;
                a.large_objects = true;
                advices += 2;
            }
            "fast-command" => {
                a.scheduler = true;
                advices += 1;
            }
            "aof-write-pending-fsync" => {
                a.local_disk = true;
                a.disk_contention = true;
                a.ssd = true;
                a.data_writeback = true;
                advices += 4;
            }
            "aof-write-alone" => {
                a.local_disk = true;
                a.data_writeback = true;
                a.ssd = true;
                advices += 3;
            }
            "aof-fsync-always" => {
                a.relax_fsync = true;
                advices += 1;
            }
            "aof-fstat" | "rdb-unlink-temp-file" => {
                a.disk_contention = true;
                a.local_disk = true;
                advices += 2;
            }
            "aof-rewrite-diff-write" | "aof-rename" => {
                a.write_load_info = true;
                a.data_writeback = true;
                a.ssd = true;
                a.local_disk = true;
                advices += 4;
            }
            "expire-cycle" => {
                a.hz = true;
                a.large_objects = true;
                advices += 2;
            }
            "eviction-del" => {
                a.large_objects = true;
                advices += 1;
            }
            "eviction-cycle" => {
                a.mass_eviction = true;
                advices += 1;
            }
            _ => {}
        }
        r.push('\n');
    }
    if events.is_empty() && advices == 0 {
        r.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return r;
    }
    if advices == 0 {
        r.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return r;
    }
    r.push_str("\nI have a few advices for you:\n\n");
    if a.slowlog_enabled {
        r.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", thr * 1000));
    }
    if a.slowlog_tuning {
        r.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", thr * 1000));
    }
    if a.slowlog_inspect {
        r.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if a.scheduler {
        r.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if a.local_disk {
        r.push_str("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n");
    }
    if a.ssd {
        r.push_str("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n");
    }
    if a.data_writeback {
        r.push_str("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n");
    }
    if a.disk_contention {
        r.push_str("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n");
    }
    if a.relax_fsync && cx.appendfsync_always {
        r.push_str("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n");
    }
    if a.write_load_info {
        r.push_str("- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n");
    }
    if a.hz && cx.hz < 100 {
        r.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if a.large_objects {
        r.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if a.mass_eviction {
        r.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
    }
    r
}

/// LATENCY GRAPH: the ASCII sparkline of an event's samples.
pub fn graph(event: &str, ts: &Series) -> String {
    let now = crate::util::now_ms() / 1000;
    let samples = ts.ordered();
    let mut seq: Vec<(f64, String)> = Vec::new();
    let (mut min, mut max) = (0u64, 0u64);
    for (i, (t, lat)) in samples.iter().enumerate() {
        if i == 0 {
            min = *lat;
            max = *lat;
        } else {
            max = max.max(*lat);
            min = min.min(*lat);
        }
        let elapsed = now - t;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 86400 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / 86400)
        };
        seq.push((*lat as f64, label));
    }
    let mut g = format!("{event} - high {max} ms, low {min} ms (all time high {} ms)\n", ts.max);
    g.push_str(&"-".repeat(80));
    g.push('\n');
    sparkline(&mut g, &seq, 80, 4);
    g
}

/// Redis's sparkline renderer (filled, linear scale, labels below, a blank line between the
/// graph and the labels).
fn sparkline(out: &mut String, seq: &[(f64, String)], columns: usize, rows: usize) {
    const FILL: &[u8] = b"_o#";
    let (mut smin, mut smax) = (0.0f64, 0.0f64);
    for (i, (v, _)) in seq.iter().enumerate() {
        if i == 0 {
            smin = *v;
            smax = *v;
        } else if *v < smin {
            smin = *v;
        } else if *v > smax {
            smax = *v;
        }
    }
    let labels = seq.iter().any(|(_, l)| !l.is_empty());
    let mut start = 0;
    while start < seq.len() {
        let len = (seq.len() - start).min(columns);
        if start != 0 {
            out.push('\n');
        }
        let mut relmax = smax - smin;
        if relmax == 0.0 {
            relmax = 1.0;
        }
        let steps = (FILL.len() * rows) as i64;
        let mut row = 0usize;
        loop {
            let mut more = false;
            let mut chars = vec![b' '; len];
            for j in 0..len {
                let (v, label) = &seq[start + j];
                let relval = v - smin;
                let mut step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
                step = step.clamp(0, steps - 1);
                if row < rows {
                    let charidx = step - ((rows - row - 1) * FILL.len()) as i64;
                    more = true;
                    if charidx >= 0 && (charidx as usize) < FILL.len() {
                        chars[j] = FILL[charidx as usize];
                    } else if charidx >= FILL.len() as i64 {
                        chars[j] = b'|';
                    }
                } else {
                    if labels && row - rows < 1 {
                        more = true;
                        break;
                    }
                    let label_char = row - rows - 1;
                    if label.len() > label_char {
                        more = true;
                        chars[j] = label.as_bytes()[label_char];
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&chars));
            out.push('\n');
        }
        start += columns;
    }
}

// ---------------------------------------------------------------------------------------------
// The AOF log file, timed
// ---------------------------------------------------------------------------------------------

/// Wraps the AOF's log file so its writes and fsyncs report latency events ("aof-write",
/// "aof-write-alone", and "aof-fsync-always" under `appendfsync always`) from the writer
/// thread, as Redis's `flushAppendOnlyFile` does.
pub struct TimedLogFile {
    inner: Box<dyn vk_storage::io::LogFile>,
    fsync_always: bool,
}

impl TimedLogFile {
    pub fn wrap(inner: Box<dyn vk_storage::io::LogFile>, fsync_always: bool) -> Box<dyn vk_storage::io::LogFile> {
        Box::new(TimedLogFile { inner, fsync_always })
    }
}

impl vk_storage::io::LogFile for TimedLogFile {
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let start = Instant::now();
        let r = self.inner.write_all(buf);
        if threshold() != 0 {
            let ms = start.elapsed().as_millis() as u64;
            // No child process ever writes beside us, and the fsync runs on its own handle.
            add_sample_if_needed("aof-write-alone", ms);
            add_sample_if_needed("aof-write", ms);
        }
        r
    }
    fn sync_data(&mut self) -> std::io::Result<()> {
        let start = Instant::now();
        let r = self.inner.sync_data();
        if self.fsync_always {
            sample_since("aof-fsync-always", start);
        }
        r
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.inner.truncate(len)
    }
    fn sync_handle(&self) -> Option<std::sync::Arc<dyn vk_storage::io::SyncHandle>> {
        let inner = self.inner.sync_handle()?;
        Some(if self.fsync_always { std::sync::Arc::new(TimedSyncHandle(inner)) } else { inner })
    }
}

/// The writer's fsync handle, timed for the "aof-fsync-always" event.
struct TimedSyncHandle(std::sync::Arc<dyn vk_storage::io::SyncHandle>);

impl vk_storage::io::SyncHandle for TimedSyncHandle {
    fn sync_data(&self) -> std::io::Result<()> {
        let start = Instant::now();
        let r = self.0.sync_data();
        sample_since("aof-fsync-always", start);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_match_redis_labels() {
        let mut h = Hist::default();
        for us in [0, 1, 2, 3, 5, 30, 33, 100, 600_000, 2_000_000] {
            hist_record(&mut h, us);
        }
        // Labels and values as Redis 7.2 / Valkey report them (checked against valkey-server).
        assert_eq!(hist_cdf(&h), vec![(1, 2), (2, 3), (4, 4), (8, 5), (33, 7), (132, 8), (1073741, 10)]);
        assert_eq!(hist_total(&h), 10);
        assert_eq!(hist_percentile(&h, 100.0), 1002438.655);
        let mut one = Hist::default();
        hist_record(&mut one, 1200);
        assert_eq!(hist_percentile(&one, 50.0), 1204.223);
        assert_eq!(hist_cdf(&one), vec![(2113, 1)]);
        let mut d = Hist::default();
        hist_record(&mut d, 304_000);
        assert_eq!(hist_percentile(&d, 99.9), 304087.039);
        assert_eq!(hist_cdf(&d), vec![(541065, 1)]);
    }

    #[test]
    fn samples_are_one_per_second_keeping_the_highest() {
        add_sample("t-ev", 5);
        add_sample("t-ev", 9);
        add_sample("t-ev", 3);
        let (_, s) = series(b"t-ev").unwrap();
        assert_eq!(s.ordered().len(), 1);
        assert_eq!(s.ordered()[0].1, 9);
        assert_eq!(s.max, 9);
        assert_eq!(reset(Some(b"T-EV")), 1);
        assert!(series(b"t-ev").is_none());
    }

    #[test]
    fn aof_file_reports_slow_fsyncs_under_always() {
        struct Slow(u64);
        impl vk_storage::io::LogFile for Slow {
            fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
                self.0 += buf.len() as u64;
                Ok(())
            }
            fn sync_data(&mut self) -> std::io::Result<()> {
                std::thread::sleep(std::time::Duration::from_millis(30));
                Ok(())
            }
            fn len(&self) -> u64 {
                self.0
            }
            fn truncate(&mut self, len: u64) -> std::io::Result<()> {
                self.0 = len;
                Ok(())
            }
        }
        THRESHOLD_MS.store(10, Ordering::Relaxed);
        let mut f = TimedLogFile::wrap(Box::new(Slow(0)), true);
        f.write_all(b"abc").unwrap();
        f.sync_data().unwrap();
        assert_eq!(f.len(), 3);
        let (_, s) = series(b"aof-fsync-always").expect("event recorded");
        assert!(s.max >= 30);
        // Under everysec the writer's own fsyncs are not reported.
        reset(Some(b"aof-fsync-always"));
        let mut g = TimedLogFile::wrap(Box::new(Slow(0)), false);
        g.sync_data().unwrap();
        assert!(series(b"aof-fsync-always").is_none());
        THRESHOLD_MS.store(0, Ordering::Relaxed);
    }

    #[test]
    fn sparkline_shape() {
        let mut s = Series::new();
        s.samples[0] = (crate::util::now_ms() / 1000, 10);
        s.idx = 1;
        s.max = 10;
        let g = graph("command", &s);
        assert!(g.starts_with("command - high 10 ms, low 10 ms (all time high 10 ms)\n"));
        assert_eq!(g.lines().nth(1).unwrap(), "-".repeat(80));
        // 4 rows (the lowest value on the bottom one), a blank margin line, then the label "0s" vertically.
        let rest: Vec<&str> = g.lines().skip(2).collect();
        assert_eq!(rest, vec![" ", " ", " ", "_", " ", "0", "s"]);
    }
}
