//! Python bindings for hantu: the `hantu._hantu` extension module behind `import hantu`.
//!
//! The bindings wrap the Rust core and add no trading logic of their own; `python/hantu`
//! turns the columns they return into pandas objects.
//!
//! | module | holds |
//! |---|---|
//! | `error` | the `HantuError` hierarchy and the mapping from core errors |
//! | `gil` | the helper that releases the GIL around long calls |
//! | `alloc` | the allocator: the system one, with huge pages for large blocks |
//! | `frames` | bars and reports as columns for pandas |
//! | `columns` | bars from numpy columns, and what their dates stamp (`freq`) |
//! | `data` | CSV folders |
//! | `backtest` | backtests with built-in or Python strategies, batches in parallel |
//! | `batch_columns` | per-stock batches read straight from bar columns |
//! | `batch_stats` | a batch's statistics as columns |
//! | `indicators` | every indicator on numpy arrays, and the streaming types |
//! | `buffers` | the indicators' output blocks, used again once Python drops an output |
//! | `sim` | the simulated KRX market |
//! | `screen` | screening and selection |
//! | `kis` | a blocking KIS client and the local KIS server |
//! | `learn` | phase 4 over a store: the update, outcomes, accuracy, weights versions |
//! | `store` | the SQLite store, read as DataFrames |
//! | `trade` | the trader over recorded prints, on paper |
//! | `trade_live` | the trader in the sandbox, on paper or live, with Python strategies |
//! | `trade_market` | the market side of a trader session: local server or KIS, the fast clock |
//! | `trade_strategy` | the strategy a trader session runs (built-in, picks, Python) |
//! | `pystrategy` | the adapter that lets a Python object implement the core `Strategy` |

use pyo3::prelude::*;

mod alloc;
mod backtest;
mod batch_columns;
mod batch_stats;
mod buffers;
mod columns;
mod data;
mod error;
mod frames;
mod gil;
mod indicators;
mod kis;
mod learn;
mod pipeline;
mod pystrategy;
mod screen;
mod sim;
mod store;
mod stream;
mod trade;
mod trade_live;
mod trade_market;
mod trade_strategy;

/// Large blocks (bars, journals, reports of million-bar runs) get huge pages; see `alloc`.
#[global_allocator]
static ALLOC: alloc::HugePageAlloc = alloc::HugePageAlloc;

/// The extension module.
#[pymodule]
fn _hantu(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    error::register(m)?;
    m.add_class::<frames::PyBarData>()?;
    m.add_class::<pystrategy::PyBar>()?;
    m.add_class::<pystrategy::PyTick>()?;
    m.add_class::<pystrategy::PyContext>()?;
    m.add_class::<pystrategy::PyFill>()?;
    m.add_class::<pystrategy::PyOrder>()?;
    m.add_class::<backtest::PyReport>()?;
    m.add_class::<store::PyStore>()?;
    m.add_function(wrap_pyfunction!(columns::py_bars_from_columns, m)?)?;
    m.add_function(wrap_pyfunction!(columns::py_factorize_text, m)?)?;
    m.add_function(wrap_pyfunction!(data::py_read_csv_dir, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::py_run_python, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::py_run_builtin, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::py_run_builtin_batch, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::py_run_builtin_columns, m)?)?;
    m.add_function(wrap_pyfunction!(batch_columns::py_run_builtin_per_code_columns, m)?)?;
    m.add_function(wrap_pyfunction!(batch_stats::py_stats_columns, m)?)?;
    m.add_function(wrap_pyfunction!(sim::py_sim_market, m)?)?;
    m.add_function(wrap_pyfunction!(screen::py_screen_run, m)?)?;
    m.add_function(wrap_pyfunction!(screen::py_select_run, m)?)?;
    m.add_function(wrap_pyfunction!(trade::py_trade_replay, m)?)?;
    m.add_function(wrap_pyfunction!(trade_live::py_trade_live, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_update, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_outcomes, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_traded, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_weights, m)?)?;
    m.add_function(wrap_pyfunction!(learn::py_learn_rollback, m)?)?;
    m.add_submodule(&indicators::module(m.py())?)?;
    m.add_submodule(&kis::module(m.py())?)?;
    Ok(())
}
