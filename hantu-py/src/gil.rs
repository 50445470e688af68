//! The one place long computations leave the interpreter.

use pyo3::marker::Ungil;
use pyo3::prelude::*;

/// Runs `f` with the GIL released, so other Python threads run meanwhile. Every call into the
/// core that can take more than a few microseconds goes through here.
pub(crate) fn detached<T, F>(py: Python<'_>, f: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    py.detach(f)
}
