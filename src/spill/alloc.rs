//! A counting wrapper around the system allocator: gives INFO `used_memory` and the spill tier
//! the number of bytes allocated. Installed by `src/main.rs` with `#[global_allocator]`;
//! without it [`allocated`] is `None`.
//!
//! Each thread sums its allocations and frees in a thread-local counter and adds the sum to
//! the shared total once it reaches [`BATCH`] bytes either way (and when the thread ends), so
//! a command's handful of small allocations costs no atomic operation. The total is therefore
//! exact to within `BATCH` bytes per running thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Bytes allocated by every thread, minus what each thread has not folded in yet.
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// How far a thread's own count may drift before it is added to [`ALLOCATED`].
const BATCH: isize = 32 * 1024;

/// A thread's not-yet-shared difference; folded into the total when the thread exits.
struct Local(Cell<isize>);

impl Drop for Local {
    fn drop(&mut self) {
        fold(self.0.replace(0));
    }
}

thread_local! {
    static LOCAL: Local = const { Local(Cell::new(0)) };
}

/// Adds a (possibly negative) difference to the shared total (wrapping: the total itself
/// never goes below zero, only a partial sum does).
fn fold(delta: isize) {
    if delta != 0 {
        ALLOCATED.fetch_add(delta as usize, Relaxed);
    }
}

fn account(delta: isize) {
    // While a thread's locals are being destroyed, count straight into the total.
    let batched = LOCAL.try_with(|l| {
        let v = l.0.get() + delta;
        if v >= BATCH || v <= -BATCH {
            l.0.set(0);
            fold(v);
        } else {
            l.0.set(v);
        }
    });
    if batched.is_err() {
        fold(delta);
    }
}

pub struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            account(l.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            account(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        account(-(l.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, l, new_size);
        if !q.is_null() {
            account(new_size as isize - l.size() as isize);
        }
        q
    }
}

/// Bytes currently allocated, when the counting allocator is installed.
pub fn allocated() -> Option<u64> {
    match ALLOCATED.load(Relaxed) {
        0 => None,
        // A transiently negative sum (frees folded before the matching allocations) reads as
        // the smallest positive figure rather than as a huge one.
        n if (n as isize) < 0 => Some(1),
        n => Some(n as u64),
    }
}
