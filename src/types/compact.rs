//! Compact building blocks of the keyspace entry (see `crate::db::Entry`):
//!
//! - [`CompactStr`]: an immutable byte string stored inline (no allocation) up to
//!   [`INLINE_CAP`] bytes, and behind an `Arc<[u8]>` beyond, so cloning is always cheap. Used for
//!   keys and for string values (`Value::Str`): a small key with a small value costs no heap
//!   allocation at all, only its table slot.
//! - [`Shared`]: an `Arc` with copy-on-write mutable access, used for every value that can be
//!   big (collections, grown strings). Cloning an entry (when a snapshot shares its segment)
//!   only bumps reference counts; mutable access clones the value first if a snapshot still
//!   holds it.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Longest string stored inline in a [`CompactStr`] (the type stays 24 bytes).
pub const INLINE_CAP: usize = 22;

/// An immutable byte string, inline when short; see the module documentation.
#[derive(Clone)]
pub enum CompactStr {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Arc<[u8]>),
}

impl CompactStr {
    pub fn new(b: &[u8]) -> CompactStr {
        if b.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..b.len()].copy_from_slice(b);
            CompactStr::Inline { len: b.len() as u8, buf }
        } else {
            CompactStr::Heap(Arc::from(b))
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            CompactStr::Inline { len, buf } => &buf[..*len as usize],
            CompactStr::Heap(a) => a,
        }
    }

    /// Whether the bytes live inside the value itself (no allocation).
    pub fn is_inline(&self) -> bool {
        matches!(self, CompactStr::Inline { .. })
    }

    /// Bytes allocated on the heap for this string (0 when inline).
    pub fn heap_size(&self) -> usize {
        match self {
            CompactStr::Inline { .. } => 0,
            CompactStr::Heap(a) => a.len() + 2 * std::mem::size_of::<usize>(),
        }
    }

    pub fn to_sds(&self) -> crate::db::Sds {
        self.as_bytes().into()
    }
}

impl Default for CompactStr {
    fn default() -> Self {
        CompactStr::Inline { len: 0, buf: [0; INLINE_CAP] }
    }
}

impl Deref for CompactStr {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for CompactStr {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for CompactStr {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for CompactStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CompactStr {}

impl PartialEq<[u8]> for CompactStr {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialOrd for CompactStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CompactStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for CompactStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Same as `[u8]`, so that `Borrow<[u8]>` lookups agree.
        self.as_bytes().hash(state)
    }
}

impl std::fmt::Debug for CompactStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for CompactStr {
    fn from(b: &[u8]) -> Self {
        CompactStr::new(b)
    }
}

impl<const N: usize> From<&[u8; N]> for CompactStr {
    fn from(b: &[u8; N]) -> Self {
        CompactStr::new(b)
    }
}

impl From<&str> for CompactStr {
    fn from(s: &str) -> Self {
        CompactStr::new(s.as_bytes())
    }
}

impl From<Vec<u8>> for CompactStr {
    fn from(v: Vec<u8>) -> Self {
        CompactStr::new(&v)
    }
}

impl From<Box<[u8]>> for CompactStr {
    fn from(v: Box<[u8]>) -> Self {
        CompactStr::new(&v)
    }
}

impl From<&Box<[u8]>> for CompactStr {
    fn from(v: &Box<[u8]>) -> Self {
        CompactStr::new(v)
    }
}

impl From<&bytes::Bytes> for CompactStr {
    fn from(v: &bytes::Bytes) -> Self {
        CompactStr::new(v)
    }
}

/// A shared value with copy-on-write mutable access (`Arc::make_mut`); see the module
/// documentation.
#[derive(Debug, Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(v: T) -> Shared<T> {
        Shared(Arc::new(v))
    }

    /// Whether both handles share one allocation (the same key read twice).
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    pub fn as_ptr(&self) -> *const T {
        Arc::as_ptr(&self.0)
    }

    /// How many handles (keyspace, snapshots, readers) share the value.
    pub fn strong_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    /// Clones the value first if a snapshot (or a reader) still shares it.
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(v: T) -> Self {
        Shared::new(v)
    }
}

impl<T> From<Box<T>> for Shared<T> {
    fn from(v: Box<T>) -> Self {
        Shared(Arc::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<CompactStr>(), 24);
        assert_eq!(std::mem::size_of::<crate::types::Value>(), 24);
    }

    #[test]
    fn inline_and_heap() {
        for n in [0, 1, INLINE_CAP - 1, INLINE_CAP, INLINE_CAP + 1, 100] {
            let b: Vec<u8> = (0..n as u8).collect();
            let s = CompactStr::new(&b);
            assert_eq!(s.as_bytes(), &b[..]);
            assert_eq!(s.is_inline(), n <= INLINE_CAP);
            assert_eq!(s.clone(), s);
        }
    }

    #[test]
    fn shared_copy_on_write() {
        let mut a = Shared::new(vec![1u8]);
        let b = a.clone();
        assert!(Shared::ptr_eq(&a, &b));
        a.push(2);
        assert_eq!((&a[..], &b[..]), (&[1u8, 2][..], &[1u8][..]));
        assert!(!Shared::ptr_eq(&a, &b));
    }
}
