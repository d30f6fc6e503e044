//! Geohash as Redis computes it (`geohash.c`, `geohash_helper.c`): 26-bit-per-axis interleaved
//! 52-bit scores over the WGS84 Web-Mercator limits, neighbours, the search-area estimation
//! and haversine distances on Redis's Earth radius.

pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const STEP_MAX: u8 = 26;
pub const EARTH_RADIUS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    pub lon_min: f64,
    pub lon_max: f64,
    pub lat_min: f64,
    pub lat_max: f64,
}

fn deg_rad(a: f64) -> f64 {
    a * D_R
}
fn rad_deg(a: f64) -> f64 {
    a / D_R
}

fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFF;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FF;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0F;
    x = (x | (x << 2)) & 0x3333333333333333;
    x = (x | (x << 1)) & 0x5555555555555555;
    x
}

fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555555555555555;
    x = (x | (x >> 1)) & 0x3333333333333333;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF;
    x as u32
}

/// Latitude in the even bits, longitude in the odd bits.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// `geohashEncode` with explicit ranges; None outside the WGS84 limits or the ranges.
pub fn encode(lon_range: (f64, f64), lat_range: (f64, f64), lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.0 || lat > lat_range.1 || lon < lon_range.0 || lon > lon_range.1 {
        return None;
    }
    let mut lat_off = (lat - lat_range.0) / (lat_range.1 - lat_range.0);
    let mut lon_off = (lon - lon_range.0) / (lon_range.1 - lon_range.0);
    lat_off *= (1u64 << step) as f64;
    lon_off *= (1u64 << step) as f64;
    Some(Bits { bits: interleave(lat_off as u32, lon_off as u32), step })
}

pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Bits> {
    encode((LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX), lon, lat, step)
}

/// `geohashDecode` over the WGS84 ranges.
pub fn decode(h: Bits) -> Area {
    let lat_scale = LAT_MAX - LAT_MIN;
    let lon_scale = LONG_MAX - LONG_MIN;
    let ilat = squash(h.bits) as f64;
    let ilon = squash(h.bits >> 1) as f64;
    let div = (1u64 << h.step) as f64;
    Area {
        lat_min: LAT_MIN + (ilat / div) * lat_scale,
        lat_max: LAT_MIN + ((ilat + 1.0) / div) * lat_scale,
        lon_min: LONG_MIN + (ilon / div) * lon_scale,
        lon_max: LONG_MIN + ((ilon + 1.0) / div) * lon_scale,
    }
}

/// The center of a cell, clamped to the WGS84 limits (`geohashDecodeAreaToLongLat`).
pub fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon_min + a.lon_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat_min + a.lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// Converts a stored score back to (longitude, latitude) as `decodeGeohash` does.
pub fn decode_score(score: f64) -> (f64, f64) {
    // C's (uint64_t) conversion on x86-64 for negative values wraps like a signed conversion.
    let bits = if score < 0.0 { (score as i64) as u64 } else { score as u64 };
    area_center(&decode(Bits { bits, step: STEP_MAX }))
}

/// The 52-bit score of a coordinate pair (caller validated the range).
pub fn score_of(lon: f64, lat: f64) -> u64 {
    encode_wgs84(lon, lat, STEP_MAX).map(|b| b.bits).unwrap_or(0)
}

/// The 11-character base32 GEOHASH string of a stored score.
pub fn hash_string(score: f64) -> String {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode((-180.0, 180.0), (-90.0, 90.0), lon, lat, 26).map(|b| b.bits).unwrap_or(0);
    let mut s = String::with_capacity(11);
    for i in 0..11 {
        let idx = if i == 10 { 0 } else { ((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize };
        s.push(ALPHABET[idx] as char);
    }
    s
}

fn move_x(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = h.bits & 0xaaaaaaaaaaaaaaaa;
    let y = h.bits & 0x5555555555555555;
    let zz = 0x5555555555555555u64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaaaaaaaaaaaaaau64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn move_y(h: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let x = h.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = h.bits & 0x5555555555555555;
    let zz = 0xaaaaaaaaaaaaaaaau64 >> (64 - h.step as u32 * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555555555555555u64 >> (64 - h.step as u32 * 2);
    h.bits = x | y;
}

fn moved(h: Bits, dx: i8, dy: i8) -> Bits {
    let mut n = h;
    move_x(&mut n, dx);
    move_y(&mut n, dy);
    n
}

/// A search shape; distances in meters after multiplying by `conversion`.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Radius(f64),
    Box(f64, f64),
}

#[derive(Clone, Copy, Debug)]
pub struct Search {
    pub lon: f64,
    pub lat: f64,
    pub shape: Shape,
    /// Meters per unit.
    pub conversion: f64,
}

fn estimate_steps(mut range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

fn bounding_box(s: &Search) -> [f64; 4] {
    let (height, width) = match s.shape {
        Shape::Radius(r) => (s.conversion * r, s.conversion * r),
        Shape::Box(w, h) => (s.conversion * h / 2.0, s.conversion * w / 2.0),
    };
    let lat_delta = rad_deg(height / EARTH_RADIUS);
    let long_delta_top = rad_deg(width / EARTH_RADIUS / deg_rad(s.lat + lat_delta).cos());
    let long_delta_bottom = rad_deg(width / EARTH_RADIUS / deg_rad(s.lat - lat_delta).cos());
    let south = s.lat < 0.0;
    [
        if south { s.lon - long_delta_bottom } else { s.lon - long_delta_top },
        s.lat - lat_delta,
        if south { s.lon + long_delta_bottom } else { s.lon + long_delta_top },
        s.lat + lat_delta,
    ]
}

/// The cells to scan, in Redis's order (center, N, S, E, W, NE, NW, SE, SW); zeroed cells
/// are excluded (`geohashCalculateAreasByShapeWGS84`).
pub fn search_cells(s: &Search) -> [Bits; 9] {
    let b = bounding_box(s);
    let (min_lon, min_lat, max_lon, max_lat) = (b[0], b[1], b[2], b[3]);
    let radius_m = match s.shape {
        Shape::Radius(r) => r,
        Shape::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * s.conversion;
    let mut steps = estimate_steps(radius_m, s.lat);
    let mut hash = encode_wgs84(s.lon, s.lat, steps).unwrap_or_default();
    let mut nb = neighbors(hash);
    let mut area = decode(hash);
    let mut decrease = false;
    {
        let north = decode(nb[1]);
        let south = decode(nb[2]);
        let east = decode(nb[3]);
        let west = decode(nb[4]);
        if north.lat_max < max_lat || south.lat_min > min_lat || east.lon_max < max_lon || west.lon_min > min_lon {
            decrease = true;
        }
    }
    if steps > 1 && decrease {
        steps -= 1;
        hash = encode_wgs84(s.lon, s.lat, steps).unwrap_or_default();
        nb = neighbors(hash);
        area = decode(hash);
    }
    // Indexes: 0 center, 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW.
    if steps >= 2 {
        let z = Bits::default();
        if area.lat_min < min_lat {
            nb[2] = z;
            nb[8] = z;
            nb[7] = z;
        }
        if area.lat_max > max_lat {
            nb[1] = z;
            nb[5] = z;
            nb[6] = z;
        }
        if area.lon_min < min_lon {
            nb[4] = z;
            nb[8] = z;
            nb[6] = z;
        }
        if area.lon_max > max_lon {
            nb[3] = z;
            nb[7] = z;
            nb[5] = z;
        }
    }
    nb
}

fn neighbors(h: Bits) -> [Bits; 9] {
    [
        h,
        moved(h, 0, 1),   // north
        moved(h, 0, -1),  // south
        moved(h, 1, 0),   // east
        moved(h, -1, 0),  // west
        moved(h, 1, 1),   // north east
        moved(h, -1, 1),  // north west
        moved(h, 1, -1),  // south east
        moved(h, -1, -1), // south west
    ]
}

/// Score range `[min, max)` of a cell.
pub fn cell_range(h: Bits) -> (u64, u64) {
    let shift = 52 - h.step as u32 * 2;
    (h.bits << shift, (h.bits + 1) << shift)
}

pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine distance in meters (`geohashGetDistance`).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

/// Distance (meters) from the search center to a point if the point is within the shape.
pub fn within(s: &Search, lon: f64, lat: f64) -> Option<f64> {
    match s.shape {
        Shape::Radius(r) => {
            let d = distance(s.lon, s.lat, lon, lat);
            (d <= r * s.conversion).then_some(d)
        }
        Shape::Box(w, h) => {
            let (wm, hm) = (w * s.conversion, h * s.conversion);
            if lat_distance(lat, s.lat) > hm / 2.0 {
                return None;
            }
            if distance(lon, lat, s.lon, lat) > wm / 2.0 {
                return None;
            }
            Some(distance(s.lon, s.lat, lon, lat))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let s = score_of(13.361389, 38.115556);
        assert_eq!(s, 3479099956230698);
        let (lon, lat) = decode_score(s as f64);
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
        assert_eq!(hash_string(s as f64), "sqc8b49rny0");
    }

    #[test]
    fn dist() {
        let a = decode_score(score_of(13.361389, 38.115556) as f64);
        let b = decode_score(score_of(15.087269, 37.502669) as f64);
        let d = distance(a.0, a.1, b.0, b.1);
        assert!((d - 166274.1516).abs() < 0.01, "{d}");
    }
}
