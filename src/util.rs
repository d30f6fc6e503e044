//! Small helpers shared by commands: number parsing and formatting exactly as Redis does it,
//! glob-style pattern matching, time.

#[cfg(not(unix))]
use std::time::{SystemTime, UNIX_EPOCH};

/// Current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// Current Unix time in microseconds. (Read on every command: straight from
/// `clock_gettime`, without `SystemTime`'s checked conversions, which cost as much as the read.)
#[cfg(unix)]
pub fn now_us() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as i64 * 1_000_000 + ts.tv_nsec as i64 / 1000
}

#[cfg(not(unix))]
pub fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Parses a 64-bit signed integer exactly like Redis's `string2ll`: optional '-', digits, no
/// leading zeros (except "0" itself), no '+', no spaces, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a u64 the strict way (`string2ull`).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || s[0] == b'-' || s[0] == b'+' {
        return None;
    }
    if s.len() > 1 && s[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Parses a double like Redis's `string2d`/`getDoubleFromObject`: no leading/trailing spaces,
/// no NaN; accepts "inf", "+inf", "-inf", "infinity" in any case.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let t = std::str::from_utf8(s).ok()?;
    // The usual case, a plain decimal (digits, sign, point, exponent), has no infinity or NaN
    // spelling to look for: parse it without the lower-cased copy.
    if s.iter().all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')) {
        return t.parse::<f64>().ok().filter(|v| !v.is_nan());
    }
    let lower = t.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            // Rust accepts things strtod doesn't ("1_0" no, but "nan", "inf" handled above).
            if lower.contains("nan") || lower.contains("inf") {
                return None;
            }
            // strtod accepts hex floats; Redis does too, but they are vanishingly rare.
            t.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Shortest round-trip digits of a finite, non-zero double: (digits, exponent k) such that
/// value = digits * 10^k.
fn shortest_digits(d: f64) -> (String, i32) {
    let s = format!("{:e}", d.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() { "0".to_string() } else { digits };
    let n = digits.len() as i32;
    (digits, exp - (n - 1))
}

/// Formats a double the way Redis 7.2 replies with it (`d2string`: integers up to 2^62 plainly,
/// otherwise the shortest round-trip digits laid out like `fpconv_dtoa`).
pub fn fmt_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if d.fract() == 0.0 && d >= -LIMIT && d <= LIMIT {
        return (d as i64).to_string();
    }
    let sign = if d < 0.0 { "-" } else { "" };
    let (digits, k) = shortest_digits(d);
    let n = digits.len() as i32;
    let exp = (k + n - 1).abs();
    if k >= 0 && exp < n + 7 {
        return format!("{sign}{digits}{}", "0".repeat(k as usize));
    }
    if k < 0 && (k > -7 || exp < 4) {
        let offset = n + k;
        if offset <= 0 {
            return format!("{sign}0.{}{digits}", "0".repeat((-offset) as usize));
        }
        let (a, b) = digits.split_at(offset as usize);
        return format!("{sign}{a}.{b}");
    }
    let e = k + n - 1;
    let mut out = String::from(sign);
    out.push_str(&digits[..1]);
    if n > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if e < 0 { '-' } else { '+' });
    out.push_str(&e.abs().to_string());
    out
}

/// Formats a double in Redis's "human friendly" long-double style used by INCRBYFLOAT and
/// HINCRBYFLOAT: fixed notation, no exponent, trailing zeros removed.
pub fn fmt_double_human(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sign = if d < 0.0 { "-" } else { "" };
    let (digits, k) = shortest_digits(d);
    let n = digits.len() as i32;
    if k >= 0 {
        format!("{sign}{digits}{}", "0".repeat(k as usize))
    } else {
        let offset = n + k;
        if offset <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-offset) as usize))
        } else {
            let (a, b) = digits.split_at(offset as usize);
            format!("{sign}{a}.{b}")
        }
    }
}

/// Glob-style matching as Redis's `stringmatchlen`: `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob_inner(pattern, s, nocase, 0, &mut skip_longer)
}

/// `skip_longer` is set when a `*` consumed the whole rest of the string without a match: then no
/// outer `*` can match by consuming more either, which keeps patterns like `a*a*a*...b` linear
/// instead of exponential (as Redis's `stringmatchlen_impl`).
fn glob_inner(mut p: &[u8], mut s: &[u8], nocase: bool, depth: u32, skip_longer: &mut bool) -> bool {
    #[cfg(test)]
    tests::GLOB_CALLS.set(tests::GLOB_CALLS.get() + 1);
    // Redis caps recursion to avoid stack exhaustion on hostile patterns.
    if depth > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| if nocase { a.eq_ignore_ascii_case(&b) } else { a == b };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..s.len() {
                    if glob_inner(&p[1..], &s[i..], nocase, depth + 1, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = !p.is_empty() && p[0] == b'^';
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if eq(p[0], s[0]) {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut start, mut end) = (p[0], p[2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let c = if nocase { s[0].to_ascii_lowercase() } else { s[0] };
                        let (a, b) = if nocase {
                            (start.to_ascii_lowercase(), end.to_ascii_lowercase())
                        } else {
                            (start, end)
                        };
                        if c >= a && c <= b {
                            matched = true;
                        }
                        p = &p[2..];
                    } else if eq(p[0], s[0]) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // Unterminated class: Redis treats the end of pattern as the end.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if !eq(p[0], s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if !eq(c, s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while !p.is_empty() && p[0] == b'*' {
                p = &p[1..];
            }
            break;
        }
    }
    if s.is_empty() {
        while !p.is_empty() && p[0] == b'*' {
            p = &p[1..];
        }
    }
    p.is_empty() && s.is_empty()
}

/// Case-insensitive ASCII comparison of an argument with a keyword.
#[inline]
pub fn eq_ic(a: &[u8], keyword: &str) -> bool {
    a.eq_ignore_ascii_case(keyword.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_as_strtod_whole_string() {
        for (s, v) in [("1.5", 1.5), ("-2", -2.0), ("+3", 3.0), ("1e3", 1000.0), ("2.5E-1", 0.25), (".5", 0.5), ("5.", 5.0)] {
            assert_eq!(parse_f64(s.as_bytes()), Some(v), "{s}");
        }
        assert_eq!(parse_f64(b"1e999"), Some(f64::INFINITY));
        for s in ["inf", "+INF", "Infinity"] {
            assert_eq!(parse_f64(s.as_bytes()), Some(f64::INFINITY), "{s}");
        }
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        for s in ["", " 1", "1 ", "1e", "e5", "-", ".", "nan", "NaN", "1x", "0x10", "infx", "1_0"] {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"123"), Some(123));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b"007"[..], b"+5", b"-0", b" 1", b"1e3", b"", b"-"] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn doubles_like_redis() {
        assert_eq!(fmt_double(3.0), "3");
        assert_eq!(fmt_double(-0.0), "-0");
        assert_eq!(fmt_double(1.5), "1.5");
        assert_eq!(fmt_double(1e-7), "1e-7");
        assert_eq!(fmt_double(1e300), "1e+300");
        assert_eq!(fmt_double(4611686018427387904.0), "4611686018427387904");
        assert_eq!(fmt_double(9223372036854775808.0), "9223372036854776000");
        assert_eq!(fmt_double(f64::INFINITY), "inf");
        assert_eq!(fmt_double(5e-324), "5e-324");
        assert_eq!(fmt_double(0.1), "0.1");
        assert_eq!(fmt_double(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(fmt_double_human(10.6), "10.6");
        assert_eq!(fmt_double_human(5000.0), "5000");
        assert_eq!(fmt_double_human(0.0001), "0.0001");
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h*llo", b"heeeello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"*", b"", false));
        assert!(glob_match(b"a\\*", b"a*", false));
        assert!(!glob_match(b"a\\*", b"ab", false));
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(!glob_match(b"*a", b"b", false));
        assert!(glob_match(b"*a*b*c", b"xxaxxbxxc", false));
        assert!(!glob_match(b"*a*b*c", b"xxaxxbxxd", false));
    }

    thread_local! {
        /// Calls of `glob_inner` on this thread: the work a match did, counted instead of timed.
        pub(super) static GLOB_CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// `glob_match` and the number of recursive steps it took.
    fn glob_counted(p: &[u8], s: &[u8]) -> (bool, u64) {
        GLOB_CALLS.set(0);
        let m = glob_match(p, s, false);
        (m, GLOB_CALLS.get())
    }

    #[test]
    fn glob_nested_stars_do_not_explode() {
        // Redis's keyspace.tcl "Regression for pattern matching long nested loops". Without the
        // early exit these take exponentially many steps (C(40, 20) for the first); with it, at
        // most one per star per position of the string.
        let bound = |stars: usize, len: usize| ((stars + 1) * (len + 1)) as u64;
        let (m, calls) = glob_counted(b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", &[b'a'; 40]);
        assert!(!m && calls <= bound(20, 40), "{calls} steps");
        let (m, calls) = glob_counted(&b"*a".repeat(50), &[b'b'; 200]);
        assert!(!m && calls <= bound(50, 200), "{calls} steps");
        let (m, calls) = glob_counted(b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", &[b'a'; 40]);
        assert!(m && calls <= bound(20, 40), "{calls} steps");
    }
}
