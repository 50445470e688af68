//! Batches of built-in backtests, one per stock, read straight from bar columns: each stock's
//! rows are found once (a counting pass over the code column) and each run reads its bars a
//! chunk at a time, so neither the merged array of bars nor one array per stock is built.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use hantu_core::backtest::Backtest;
use hantu_core::domain::{Bar, Instrument, StockCode, Timestamp};
use hantu_core::strategies::{self, Params};
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::backtest::{InstrumentRows, PyReport, parse_config, parse_instruments};
use crate::columns::{ColumnArgs, Columns, Freq, parse_codes};
use crate::error::core_err;
use crate::gil::detached;

/// Bars converted at a time by each run: the chunk stays in cache.
const CHUNK: usize = 2048;

/// One run of a batch as Python receives it: the stock's code, the parameter set's index, the report.
type BatchRun = (Option<String>, usize, PyReport);

/// The rows of each code: `rows[starts[k]..starts[k + 1]]` are code `k`'s rows, in time order.
struct Groups {
    starts: Vec<usize>,
    rows: Vec<u32>,
}

/// Groups the rows by code (a stable counting sort). `None` when a row names no code or there
/// are too many rows to index with `u32`: the caller then takes the checked path.
fn group(cols: &Columns<'_>) -> Option<Groups> {
    let n = cols.len();
    u32::try_from(n).ok()?;
    let k = cols.codes().len();
    let mut starts = vec![0_usize; k + 1];
    for i in 0..n {
        starts[cols.code_of(i)? + 1] += 1;
    }
    for c in 0..k {
        starts[c + 1] += starts[c];
    }
    let mut next = starts.clone();
    let mut rows = vec![0_u32; n];
    for i in 0..n {
        let c = cols.code_of(i)?;
        rows[next[c]] = i as u32;
        next[c] += 1;
    }
    // Frames usually hold each stock's rows in time order already; others are put in order
    // here (a stable sort: rows of one time stay as they came, and the run declines them).
    for c in 0..k {
        let own = &mut rows[starts[c]..starts[c + 1]];
        if !own.is_sorted_by_key(|&i| cols.ts_at(i as usize)) {
            own.sort_by_key(|&i| cols.ts_at(i as usize));
        }
    }
    Some(Groups { starts, rows })
}

/// Runs a built-in strategy on each stock alone (with only its own instrument), once per
/// parameter set, all in parallel without the GIL, reading the bars straight from the columns.
/// Returns `(code, params index, report)` in job order (stocks in code order, then parameter
/// sets), exactly as `run_builtin_batch(..., per_code=True)` on the converted bars would.
///
/// Returns `None` when the columns hold anything that path treats specially (a malformed row,
/// two rows of one stock at one time, two code texts for one stock): the caller
/// then converts the bars and takes that path, which raises the error naming the row.
#[pyfunction]
#[pyo3(name = "run_builtin_per_code_columns", signature = (columns, freq, config, name, params, instruments = None))]
pub(crate) fn py_run_builtin_per_code_columns(
    py: Python<'_>,
    columns: ColumnArgs<'_>,
    freq: Option<&str>,
    config: &str,
    name: &str,
    params: Vec<Params>,
    instruments: Option<InstrumentRows>,
) -> PyResult<Option<Vec<BatchRun>>> {
    let freq = Freq::parse(freq)?;
    let cfg = parse_config(config)?;
    let instruments = parse_instruments(instruments)?;
    // Check every parameter set up front, so a typo fails before any work.
    for p in &params {
        strategies::by_name(name, p).map_err(core_err)?;
    }
    let codes = parse_codes(columns.codes())?;
    let cols = Columns::borrow(&columns, &codes, freq)?;
    let reports = detached(py, || {
        let groups = group(&cols)?;
        // Stocks with rows, in code order; two texts of one stock would merge in the other path.
        let mut present: Vec<usize> = (0..codes.len()).filter(|&k| groups.starts[k + 1] > groups.starts[k]).collect();
        present.sort_by_key(|&k| codes[k]);
        if present.windows(2).any(|w| codes[w[0]] == codes[w[1]]) {
            return None;
        }
        let by_code: HashMap<StockCode, &Instrument> = instruments.iter().map(|i| (i.code, i)).collect();
        let jobs: Vec<(usize, usize)> = present.iter().flat_map(|&k| (0..params.len()).map(move |i| (k, i))).collect();
        let odd = AtomicBool::new(false);
        let reports: Vec<_> = jobs
            .par_iter()
            .map(|&(k, i)| {
                if odd.load(Ordering::Relaxed) {
                    return None;
                }
                let rows = &groups.rows[groups.starts[k]..groups.starts[k + 1]];
                let own = by_code.get(&codes[k]).map_or(&[][..], |i| std::slice::from_ref(*i));
                let report = run_one(&cols, rows, &Backtest::new(cfg.clone()).with_instruments(own), name, &params[i]);
                if report.is_none() {
                    odd.store(true, Ordering::Relaxed);
                }
                report
            })
            .collect();
        if odd.load(Ordering::Relaxed) {
            return None;
        }
        let labelled: Vec<_> = jobs
            .iter()
            .zip(reports)
            .map(|(&(k, i), r)| r.map(|r| (codes[k].to_string(), i, r)))
            .collect::<Option<Vec<_>>>()?;
        Some(labelled)
    });
    let Some(reports) = reports else { return Ok(None) };
    reports
        .into_iter()
        .map(|(code, i, r)| r.map(|r| (Some(code), i, PyReport(r, freq))).map_err(core_err))
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

/// One run over one stock's `rows`. `None` when a row is malformed or out of time order (the
/// checked path names it); otherwise the engine's result.
fn run_one(
    cols: &Columns<'_>,
    rows: &[u32],
    bt: &Backtest,
    name: &str,
    params: &Params,
) -> Option<hantu_core::Result<hantu_core::backtest::BacktestReport>> {
    let mut strategy = match strategies::by_name(name, params) {
        Ok(s) => s,
        Err(e) => return Some(Err(e)),
    };
    let mut odd = false;
    let mut prev = Timestamp::from_millis(i64::MIN);
    let mut next = 0;
    let fill = |buf: &mut Vec<Bar>| {
        let end = (next + CHUNK).min(rows.len());
        while next < end {
            let i = rows[next] as usize;
            let ts = match cols.push_plain(i, buf) {
                Some(ts) => ts,
                None => match cols.full_bar(i) {
                    Ok(bar) => {
                        buf.push(bar);
                        bar.ts
                    }
                    Err(_) => {
                        odd = true;
                        next = rows.len();
                        return;
                    }
                },
            };
            if next > 0 && ts <= prev {
                buf.pop();
                odd = true;
                next = rows.len();
                return;
            }
            prev = ts;
            next += 1;
        }
    };
    let report = bt.run_chunked(fill, rows.len().min(cols.days_hint().max(1)), &mut *strategy);
    if odd { None } else { Some(report) }
}
