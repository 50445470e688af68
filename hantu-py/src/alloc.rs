//! The extension's allocator: the system allocator, asking Linux for transparent huge pages on
//! large blocks, as numpy does for its arrays.
//!
//! A backtest over a million bars allocates tens of megabytes at once (the bars, the engine's
//! journals, the report). Fresh memory is paid for on first touch, one page fault per 4 KiB page
//! unless the block is backed by 2 MiB pages; on a virtual machine each fault is dear, and
//! measured through Python the faults cost more than the work (about 10× on a 56 MB block).
//! Blocks of 4 MiB and up are therefore marked `MADV_HUGEPAGE` (the threshold numpy uses); the
//! kernel uses huge pages for them when transparent huge pages are enabled in `madvise` or
//! `always` mode, and ignores the advice otherwise. Small blocks go to the system allocator
//! untouched.
#![allow(unsafe_code, reason = "a global allocator is an unsafe trait; every call forwards to System")]

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised to use huge pages.
const HUGE_BLOCK: usize = 4 << 20;

/// [`System`], plus `madvise(MADV_HUGEPAGE)` on large blocks.
pub(crate) struct HugePageAlloc;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the advice
// only changes how the kernel backs pages of a block this allocator just returned, never its
// contents or its lifetime.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (the caller upholds `GlobalAlloc::alloc`'s contract).
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `dealloc`; the caller upholds `realloc`'s contract on `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise(p, new_size);
        p
    }
}

/// Advises huge pages for the whole pages inside `[p, p + len)` when the block is large.
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn advise(p: *mut u8, len: usize) {
    const PAGE: usize = 4096;
    if p.is_null() || len < HUGE_BLOCK {
        return;
    }
    let start = (p as usize).next_multiple_of(PAGE);
    let end = (p as usize + len) & !(PAGE - 1);
    if end > start {
        // SAFETY: the range lies inside a block we own; MADV_HUGEPAGE only changes how the
        // kernel backs it. A failure (THP disabled) leaves the block as it was, so it is ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

/// Elsewhere there is nothing to advise.
#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn advise(_p: *mut u8, _len: usize) {}
