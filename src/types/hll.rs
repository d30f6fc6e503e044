//! HyperLogLog in Redis's exact string representation (`hyperloglog.c` layout): a 16-byte
//! header ("HYLL", encoding byte, 3 unused bytes, 8-byte little-endian cached cardinality whose
//! top bit marks the cache invalid) followed by either 16384 6-bit registers (dense) or a run
//! length encoding of them (sparse: ZERO / XZERO / VAL opcodes). Sparse updates are performed
//! as Redis does them, so the bytes (and therefore the promotion to dense) match Redis.

pub const HLL_P: u32 = 14;
pub const HLL_Q: u32 = 64 - HLL_P;
pub const REGISTERS: usize = 1 << HLL_P;
const P_MASK: u64 = (REGISTERS - 1) as u64;
pub const HDR_SIZE: usize = 16;
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * 6).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;
const MAX_ENCODING: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;

/// A corrupt (sparse) HLL representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

pub const INVALID_ERR: &str = "INVALIDOBJ Corrupted HLL object detected";
pub const WRONGTYPE_ERR: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/// MurmurHash64A as Redis uses it (little-endian reads).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let len = key.len();
    let mut h: u64 = seed ^ (len as u64).wrapping_mul(M);
    let nblocks = len / 8;
    for i in 0..nblocks {
        let mut k = u64::from_le_bytes(key[i * 8..i * 8 + 8].try_into().unwrap());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = &key[nblocks * 8..];
    let rem = len & 7;
    if rem > 0 {
        for i in (0..rem).rev() {
            h ^= (tail[i] as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Register index and run length of leading zeros + 1 for an element (`hllPatLen`).
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let mut hash = murmur64a(ele, 0xadc83b19);
    let index = (hash & P_MASK) as usize;
    hash >>= HLL_P;
    hash |= 1u64 << HLL_Q;
    let count = hash.trailing_zeros() + 1;
    (index, count as u8)
}

/// A new empty HLL (sparse, one XZERO opcode covering all registers).
pub fn new_sparse() -> Vec<u8> {
    let mut v = vec![0u8; HDR_SIZE + 2];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = SPARSE;
    xzero_set(&mut v[HDR_SIZE..], REGISTERS);
    v
}

/// Whether a string is a valid HLL as far as `isHLLObjectOrReply` checks.
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR_SIZE && &s[..4] == b"HYLL" && s[4] <= MAX_ENCODING && !(s[4] == DENSE && s.len() != DENSE_SIZE)
}

pub fn cache_valid(s: &[u8]) -> bool {
    s[15] & 0x80 == 0
}
pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}
pub fn cached_card(s: &[u8]) -> u64 {
    u64::from_le_bytes(s[8..16].try_into().unwrap())
}
pub fn set_cached_card(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

// Sparse opcodes.
fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
fn xzero_len(p: &[u8]) -> usize {
    ((((p[0] & 0x3f) as usize) << 8) | p[1] as usize) + 1
}
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}
fn xzero_set(p: &mut [u8], len: usize) {
    let l = len - 1;
    p[0] = ((l >> 8) as u8) | 0x40;
    p[1] = (l & 0xff) as u8;
}
fn zero_byte(len: usize) -> u8 {
    (len - 1) as u8
}
fn val_byte(val: u8, len: usize) -> u8 {
    (((val - 1) << 2) | (len as u8 - 1)) | 0x80
}

// Dense registers.
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = regs[byte] as u32;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}
pub fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = val as u32;
    regs[byte] &= !((63u32 << fb) as u8);
    regs[byte] |= (v << fb) as u8;
    if byte + 1 < regs.len() {
        let fb8 = 8 - fb;
        regs[byte + 1] &= !((63u32 >> fb8) as u8);
        regs[byte + 1] |= (v >> fb8) as u8;
    }
}

/// Walks sparse opcodes calling `f(first_register, run_len, value)`; false if malformed
/// (the runs do not cover exactly 16384 registers).
fn sparse_walk(sp: &[u8], mut f: impl FnMut(usize, usize, u8)) -> bool {
    let mut p = 0;
    let mut idx = 0usize;
    while p < sp.len() {
        let b = sp[p];
        if is_zero(b) {
            let r = zero_len(b);
            f(idx, r, 0);
            idx += r;
            p += 1;
        } else if is_xzero(b) {
            if p + 1 >= sp.len() {
                return false;
            }
            let r = xzero_len(&sp[p..]);
            f(idx, r, 0);
            idx += r;
            p += 2;
        } else {
            let r = val_len(b);
            if idx + r > REGISTERS {
                return false;
            }
            f(idx, r, val_value(b));
            idx += r;
            p += 1;
        }
        if idx > REGISTERS {
            return false;
        }
    }
    idx == REGISTERS
}

/// Converts a sparse HLL to dense in place (header, cache included, is kept). Err if corrupt.
pub fn to_dense(s: &mut Vec<u8>) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        return Ok(());
    }
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR_SIZE].copy_from_slice(&s[..HDR_SIZE]);
    d[4] = DENSE;
    {
        let regs = &mut d[HDR_SIZE..];
        let ok = sparse_walk(&s[HDR_SIZE..], |first, run, val| {
            if val > 0 {
                for i in first..first + run {
                    dense_set(regs, i, val);
                }
            }
        });
        if !ok {
            return Err(Corrupt);
        }
    }
    *s = d;
    Ok(())
}

/// Sets register `index` to `count` if greater (`hllSparseSet`), promoting to dense when
/// needed. Returns Ok(true) if changed, Err if the representation is corrupt.
pub fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let mut p = HDR_SIZE;
    let end = s.len();
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let b = s[p];
        let oplen;
        if is_zero(b) {
            span = zero_len(b);
            oplen = 1;
        } else if is_xzero(b) {
            if p + 1 >= end {
                return Err(Corrupt);
            }
            span = xzero_len(&s[p..]);
            oplen = 2;
        } else {
            span = val_len(b);
            oplen = 1;
        }
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let b = s[p];
    let zero = is_zero(b);
    let xzero = is_xzero(b);
    let val = !zero && !xzero;
    let runlen = if zero {
        zero_len(b)
    } else if xzero {
        xzero_len(&s[p..])
    } else {
        val_len(b)
    };
    let mut end = end;
    let handled = if val {
        let old = val_value(b);
        if old >= count {
            return Ok(false);
        }
        if runlen == 1 {
            s[p] = val_byte(count, 1);
            true
        } else {
            false
        }
    } else if zero && runlen == 1 {
        s[p] = val_byte(count, 1);
        true
    } else {
        false
    };
    if !handled {
        // Step 2: the general case, replace the opcode with up to three.
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        let last = first + runlen - 1;
        let push_zeros = |seq: &mut Vec<u8>, len: usize| {
            if len > ZERO_MAX_LEN {
                let l = len - 1;
                seq.push(((l >> 8) as u8) | 0x40);
                seq.push((l & 0xff) as u8);
            } else {
                seq.push(zero_byte(len));
            }
        };
        if zero || xzero {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        } else {
            let cur = val_value(b);
            if index != first {
                seq.push(val_byte(cur, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(cur, last - index));
            }
        }
        let oldlen = if xzero { 2 } else { 1 };
        let delta = seq.len() as i64 - oldlen as i64;
        if delta > 0 && (s.len() as i64 + delta) as u64 > max_bytes {
            return promote(s, index, count);
        }
        s.splice(p..p + oldlen, seq);
        end = s.len();
    }
    // Step 4: merge adjacent VAL opcodes with the same value (up to 5 opcodes from prev).
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < end {
        if scan == 0 {
            break;
        }
        scan -= 1;
        let b = s[p];
        if is_xzero(b) {
            p += 2;
            continue;
        } else if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < end && !is_zero(s[p + 1]) && !is_xzero(s[p + 1]) {
            let v1 = val_value(b);
            let v2 = val_value(s[p + 1]);
            if v1 == v2 {
                let len = val_len(b) + val_len(s[p + 1]);
                if len <= VAL_MAX_LEN {
                    s[p + 1] = val_byte(v1, len);
                    s.remove(p);
                    end -= 1;
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(s);
    Ok(true)
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    let regs = &mut s[HDR_SIZE..];
    if dense_get(regs, index) < count {
        dense_set(regs, index, count);
    }
    Ok(true)
}

/// `hllAdd`: Ok(true) if a register changed, Err on a corrupt/unknown representation.
pub fn add(s: &mut Vec<u8>, ele: &[u8], max_bytes: u64) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    set_register(s, index, count, max_bytes)
}

/// Raises register `index` to `count` in whatever encoding `s` has.
pub fn set_register(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> Result<bool, Corrupt> {
    match s[4] {
        DENSE => {
            let regs = &mut s[HDR_SIZE..];
            if dense_get(regs, index) < count {
                dense_set(regs, index, count);
                Ok(true)
            } else {
                Ok(false)
            }
        }
        SPARSE => sparse_set(s, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Merges the registers of `s` into `max` (`hllMerge`). Err if a sparse HLL is corrupt.
pub fn merge(max: &mut [u8], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        let regs = &s[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate().take(REGISTERS) {
            let v = dense_get(regs, i);
            if v > *m {
                *m = v;
            }
        }
        Ok(())
    } else {
        let ok = sparse_walk(&s[HDR_SIZE..], |first, run, val| {
            if val > 0 {
                for m in &mut max[first..first + run] {
                    if val > *m {
                        *m = val;
                    }
                }
            }
        });
        if ok {
            Ok(())
        } else {
            Err(Corrupt)
        }
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            break;
        }
    }
    z
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if zp == z {
            break;
        }
    }
    z / 3.0
}

/// The cardinality estimate from a register histogram (Ertl's improved estimator, Redis 7).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = HLL_Q as usize;
    let mut z = m * tau((m - histo[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    let e = (ALPHA_INF * m * m / z).round();
    e as u64
}

/// `hllCount` on a stored HLL; Err if a sparse representation is corrupt.
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    if s[4] == DENSE {
        let regs = &s[HDR_SIZE..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
    } else {
        // Redis counts what it walked and flags a wrong total as invalid.
        let mut total = 0usize;
        let mut p = HDR_SIZE;
        while p < s.len() {
            let b = s[p];
            if is_zero(b) {
                let r = zero_len(b);
                histo[0] += r as u32;
                total += r;
                p += 1;
            } else if is_xzero(b) {
                if p + 1 >= s.len() {
                    return Err(Corrupt);
                }
                let r = xzero_len(&s[p..]);
                histo[0] += r as u32;
                total += r;
                p += 2;
            } else {
                let r = val_len(b);
                histo[val_value(b) as usize] += r as u32;
                total += r;
                p += 1;
            }
        }
        if total != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histo))
}

/// `hllCount` on raw 8-bit registers (multi-key PFCOUNT).
pub fn count_raw(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[(r & 63) as usize] += 1;
    }
    estimate(&histo)
}

/// PFDEBUG DECODE text of a sparse HLL.
pub fn decode(s: &[u8]) -> String {
    let mut out = String::new();
    let mut p = HDR_SIZE;
    while p < s.len() {
        let b = s[p];
        if is_zero(b) {
            out.push_str(&format!("z:{} ", zero_len(b)));
            p += 1;
        } else if is_xzero(b) {
            let r = if p + 1 < s.len() { xzero_len(&s[p..]) } else { ((b & 0x3f) as usize) << 8 | 1 };
            out.push_str(&format!("Z:{} ", r));
            p += 2;
        } else {
            out.push_str(&format!("v:{},{} ", val_value(b), val_len(b)));
            p += 1;
        }
    }
    out.trim_matches(' ').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_small() {
        let mut h = new_sparse();
        assert!(is_valid(&h));
        assert_eq!(count(&h).unwrap(), 0);
        for i in 0..1000 {
            add(&mut h, format!("ele{i}").as_bytes(), 3000).unwrap();
        }
        let c = count(&h).unwrap();
        assert!((c as i64 - 1000).abs() < 30, "{c}");
        let mut d = h.clone();
        to_dense(&mut d).unwrap();
        assert_eq!(count(&d).unwrap(), c);
        let mut max = vec![0u8; REGISTERS];
        merge(&mut max, &h).unwrap();
        assert_eq!(count_raw(&max), c);
    }

    #[test]
    fn promotion() {
        let mut h = new_sparse();
        for i in 0..5000 {
            add(&mut h, format!("{i}").as_bytes(), 3000).unwrap();
        }
        assert_eq!(h[4], DENSE);
        assert_eq!(h.len(), DENSE_SIZE);
        let c = count(&h).unwrap();
        assert!((c as i64 - 5000).abs() < 150, "{c}");
    }

    #[test]
    fn dense_roundtrip() {
        let mut r = vec![0u8; DENSE_SIZE - HDR_SIZE];
        for i in 0..REGISTERS {
            dense_set(&mut r, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&r, i), (i % 64) as u8);
        }
    }
}
