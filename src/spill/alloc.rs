//! A counting wrapper around the system allocator: gives INFO `used_memory` and the spill tier
//! an exact figure of the bytes allocated (one relaxed atomic add/sub per allocation).
//! Installed by `src/main.rs` with `#[global_allocator]`; without it [`allocated`] is `None`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

pub struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            ALLOCATED.fetch_add(l.size(), Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            ALLOCATED.fetch_add(l.size(), Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        ALLOCATED.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, l, new_size);
        if !q.is_null() {
            if new_size >= l.size() {
                ALLOCATED.fetch_add(new_size - l.size(), Relaxed);
            } else {
                ALLOCATED.fetch_sub(l.size() - new_size, Relaxed);
            }
        }
        q
    }
}

/// Bytes currently allocated, when the counting allocator is installed.
pub fn allocated() -> Option<u64> {
    match ALLOCATED.load(Relaxed) {
        0 => None,
        n => Some(n as u64),
    }
}
