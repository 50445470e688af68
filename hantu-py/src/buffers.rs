//! Output arrays of the batch indicators, backed by blocks that are used again once Python
//! drops the array.
//!
//! A fresh 1M-bar output is 8 MB of memory the process has never touched. The kernel hands it
//! out zero-filled on first touch, page by page (huge pages or not), and measured through
//! Python that costs more than most indicators' arithmetic: writing 8 MB into fresh memory took
//! 1.8 ms here, into memory already touched 0.5 ms. glibc gives blocks this large back to the
//! kernel on `free`, so every call paid again, numpy's arrays included.
//!
//! Here a dropped output's block goes back to a small pool, and the next output of about its size
//! takes it, already backed. The pool is bounded ([`POOL_BYTES`]): beyond it the oldest blocks
//! are freed. Outputs the caller keeps are never reused (a block returns only when the array and
//! every view of it are gone), so keeping results costs what it did before, and a loop that
//! computes, uses and drops indicators stops paying for fresh pages.
//!
//! Pooled blocks are mappings of their own (`mmap`), not heap blocks. A long-lived block in
//! glibc's heap would pin the heap's top, so the memory freed below it would never go back to
//! the kernel: the host process's own allocations (numpy's, other libraries') would change
//! behaviour because hantu was imported. Measured, one pooled heap block made a TA-Lib call in
//! the same process 2.5× faster and its memory stayed with the process; a mapping leaves the
//! heap as it was.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use numpy::PyArray1;
use numpy::ndarray::ArrayView1;
use pyo3::prelude::*;

use block::Block;

/// Blocks kept for reuse, at most this many bytes in all (a few 1M-bar outputs).
const POOL_BYTES: usize = 64 << 20;

/// Smaller blocks come from the heap and are not pooled: glibc serves them from memory it keeps
/// (its threshold for mapping a block of its own starts at 128 KiB), so they come back already
/// backed.
const MIN_POOLED_BYTES: usize = 128 << 10;

/// Free blocks, oldest first, and their total size in bytes.
struct Pool {
    free: VecDeque<Block>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { free: VecDeque::new(), bytes: 0 });

fn pool() -> MutexGuard<'static, Pool> {
    // No code holding the lock can panic halfway through an update, so a poisoned lock is
    // taken over rather than propagated.
    POOL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An output of `n` floats: a pooled block of `n` to `2n` (so a short series does not pin a long
/// one's block), or a new one. Its contents are whatever was there before: every batch kernel
/// writes each element of its outputs (`hantu-core`'s `writes_every_output` test checks this
/// kernel by kernel).
pub(crate) fn take(n: usize) -> Buffer {
    let bytes = n.saturating_mul(8);
    if bytes < MIN_POOLED_BYTES {
        return Buffer { block: Block::heap(n), len: n };
    }
    {
        let mut p = pool();
        // The newest fitting block: the likeliest still to be in cache.
        if let Some(i) = p.free.iter().rposition(|b| (n..=n.saturating_mul(2)).contains(&b.capacity())) {
            if let Some(block) = p.free.remove(i) {
                p.bytes -= block.bytes();
                return Buffer { block, len: n };
            }
        }
    }
    Buffer { block: Block::mapped(n), len: n }
}

/// The first `len` floats of a block; dropped, the block goes back to the pool (if it is a
/// mapping and there is room).
pub(crate) struct Buffer {
    block: Block,
    len: usize,
}

impl std::ops::Deref for Buffer {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.block.as_slice()[..self.len]
    }
}

impl std::ops::DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.block.as_mut_slice()[..self.len]
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let block = std::mem::replace(&mut self.block, Block::heap(0));
        let bytes = block.bytes();
        if !block.is_mapped() || bytes > POOL_BYTES {
            return;
        }
        let mut p = pool();
        while p.bytes + bytes > POOL_BYTES {
            match p.free.pop_front() {
                Some(old) => p.bytes -= old.bytes(),
                None => break,
            }
        }
        p.bytes += bytes;
        p.free.push_back(block);
    }
}

/// The Python object that owns an output's block: numpy's array holds it as its base, so the
/// block lives exactly as long as the array and its views.
#[pyclass(frozen, module = "hantu.indicators")]
struct OutputBlock(Buffer);

/// `buffer` as a numpy array without copying; the block returns to the pool when Python frees
/// the array.
#[allow(unsafe_code, reason = "numpy's array over memory owned by a Python object")]
pub(crate) fn into_numpy(py: Python<'_>, buffer: Buffer) -> PyResult<Bound<'_, PyArray1<f64>>> {
    let owner = Bound::new(py, OutputBlock(buffer))?;
    let base = owner.clone();
    let view = ArrayView1::from(&*owner.get().0);
    // SAFETY: the array points into the block owned by `owner`, which becomes the array's base
    // object: Python frees it (and its block) only after the array and every view of it are
    // gone. Nothing in Rust touches the block again until then (`OutputBlock` is frozen and
    // private), and neither a mapping nor a Vec's heap block moves when its owner does.
    Ok(unsafe { PyArray1::borrow_from_array(&view, base.into_any()) })
}

/// Memory for outputs: a heap `Vec`, or (on Linux, for pooled sizes) an anonymous mapping.
mod block {
    /// A block of floats, all initialised.
    pub(super) enum Block {
        Heap(Vec<f64>),
        #[cfg(target_os = "linux")]
        Mapped(mapping::Mapping),
    }

    impl Block {
        /// `n` zeros on the heap.
        pub(super) fn heap(n: usize) -> Self {
            Self::Heap(vec![0.0; n])
        }

        /// `n` zeros in a mapping of their own (on the heap where mappings are not available, or
        /// when the kernel refuses one: the output is needed either way).
        pub(super) fn mapped(n: usize) -> Self {
            #[cfg(target_os = "linux")]
            if let Some(m) = mapping::Mapping::new(n) {
                return Self::Mapped(m);
            }
            Self::heap(n)
        }

        /// Whether the block is a mapping (which the pool keeps).
        pub(super) fn is_mapped(&self) -> bool {
            match self {
                Self::Heap(_) => false,
                #[cfg(target_os = "linux")]
                Self::Mapped(_) => true,
            }
        }

        /// Floats it holds.
        pub(super) fn capacity(&self) -> usize {
            self.as_slice().len()
        }

        /// Bytes it holds.
        pub(super) fn bytes(&self) -> usize {
            self.capacity() * 8
        }

        pub(super) fn as_slice(&self) -> &[f64] {
            match self {
                Self::Heap(v) => v,
                #[cfg(target_os = "linux")]
                Self::Mapped(m) => m.as_slice(),
            }
        }

        pub(super) fn as_mut_slice(&mut self) -> &mut [f64] {
            match self {
                Self::Heap(v) => v,
                #[cfg(target_os = "linux")]
                Self::Mapped(m) => m.as_mut_slice(),
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[allow(unsafe_code, reason = "an anonymous mapping: mmap, munmap and the slice over it")]
    mod mapping {
        use std::ptr::NonNull;

        /// `len` floats in an anonymous private mapping, unmapped on drop.
        pub(in super::super) struct Mapping {
            ptr: NonNull<f64>,
            len: usize,
        }

        // SAFETY: the mapping is owned memory, like a Vec's block; nothing else refers to it.
        unsafe impl Send for Mapping {}
        // SAFETY: shared access only reads (through `&[f64]`).
        unsafe impl Sync for Mapping {}

        impl Mapping {
            /// A new mapping of `len` floats (zeros, as the kernel maps fresh pages), or `None`
            /// if the kernel refuses.
            pub(in super::super) fn new(len: usize) -> Option<Self> {
                let bytes = len.checked_mul(8).filter(|&b| b > 0)?;
                // SAFETY: a fresh anonymous mapping at an address the kernel chooses; no
                // existing memory is affected.
                let p = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        bytes,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                if p == libc::MAP_FAILED {
                    return None;
                }
                crate::alloc::advise(p.cast(), bytes);
                NonNull::new(p.cast::<f64>()).map(|ptr| Self { ptr, len })
            }

            pub(in super::super) fn as_slice(&self) -> &[f64] {
                // SAFETY: `len` floats, mapped readable and writable, page-aligned, zero-filled
                // by the kernel when new (and f64 has no invalid bit patterns), owned by `self`.
                unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
            }

            pub(in super::super) fn as_mut_slice(&mut self) -> &mut [f64] {
                // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
                unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
            }
        }

        impl Drop for Mapping {
            fn drop(&mut self) {
                // SAFETY: the range is exactly the mapping made in `new`, unmapped once; no
                // slice over it outlives `self`. A failure cannot be handled here and would
                // only leak the range.
                unsafe {
                    libc::munmap(self.ptr.as_ptr().cast(), self.len * 8);
                }
            }
        }
    }
}
