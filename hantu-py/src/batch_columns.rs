//! Batches of built-in backtests, one per stock, read straight from bar columns: each stock's
//! rows are found once (a counting pass over the code column), and the stocks are converted a
//! block at a time: a long frame holds a date's rows side by side in code order, so reading
//! neighbouring codes' rows together reads each cache line of the columns once, not once per
//! stock. Each stock's bars go into a buffer reused from block to block (and are sorted there
//! when its rows were not in time order), and each run reads its stock's buffer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use hantu_core::backtest::{Backtest, BacktestConfig, BacktestReport};
use hantu_core::domain::{Bar, Instrument, StockCode};
use hantu_core::strategies::{self, Params};
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::backtest::{InstrumentRows, PyReport, parse_config, parse_instruments};
use crate::columns::{ColumnArgs, Columns, Freq, parse_codes};
use crate::error::core_err;
use crate::gil::detached;

/// Stocks converted together: neighbouring codes' rows of one date share cache lines (16 int64
/// values are two lines), and 16 stocks' bars of a few hundred days stay in cache for their runs.
const BLOCK: usize = 16;

/// One run of a batch as Python receives it: the stock's code, the parameter set's index, the report.
type BatchRun = (Option<String>, usize, PyReport);

/// The rows of each code: `rows[starts[k]..starts[k + 1]]` are code `k`'s rows, in frame order.
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
    // Whether row `i` is code `i % k` throughout (every date holds every code, in code order,
    // as a market frame usually does): then each code's rows are known without a second pass.
    let (mut regular, mut expect) = (true, 0);
    for i in 0..n {
        let c = cols.code_of(i)?;
        starts[c + 1] += 1;
        regular &= c == expect;
        expect = if expect + 1 == k { 0 } else { expect + 1 };
    }
    for c in 0..k {
        starts[c + 1] += starts[c];
    }
    let mut rows = vec![0_u32; n];
    if regular && n > 0 && n % k == 0 {
        let dates = n / k;
        for (c, own) in rows.chunks_exact_mut(dates).enumerate() {
            for (t, r) in own.iter_mut().enumerate() {
                *r = (t * k + c) as u32;
            }
        }
    } else {
        let mut next = starts.clone();
        for i in 0..n {
            let c = cols.code_of(i)?;
            rows[next[c]] = i as u32;
            next[c] += 1;
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
        // Stocks with rows, in code order (the job order); two texts of one stock would merge
        // in the other path.
        let mut present: Vec<usize> = (0..codes.len()).filter(|&k| groups.starts[k + 1] > groups.starts[k]).collect();
        present.sort_by_key(|&k| codes[k]);
        if present.windows(2).any(|w| codes[w[0]] == codes[w[1]]) {
            return None;
        }
        // Each stock's place in the job order; blocks follow the rows' order (code positions).
        let mut place = vec![0_usize; codes.len()];
        for (p, &k) in present.iter().enumerate() {
            place[k] = p;
        }
        present.sort_unstable();
        let by_code: HashMap<StockCode, &Instrument> = instruments.iter().map(|i| (i.code, i)).collect();
        let odd = AtomicBool::new(false);
        let blocks: Vec<Vec<Run>> = present
            .par_chunks(BLOCK)
            .map_init(
                || vec![Vec::new(); BLOCK],
                |bufs, block| {
                    if odd.load(Ordering::Relaxed) {
                        return Vec::new();
                    }
                    run_block(&cols, &groups, block, bufs, &cfg, &by_code, name, &params).unwrap_or_else(|| {
                        odd.store(true, Ordering::Relaxed);
                        Vec::new()
                    })
                },
            )
            .collect();
        if odd.load(Ordering::Relaxed) {
            return None;
        }
        // Into job order: stocks in code order, each stock's parameter sets in order.
        let mut slots: Vec<Option<Run>> = (0..present.len() * params.len()).map(|_| None).collect();
        for run in blocks.into_iter().flatten() {
            let slot = place[run.0] * params.len() + run.1;
            slots[slot] = Some(run);
        }
        slots.into_iter().collect::<Option<Vec<Run>>>()
    });
    let Some(reports) = reports else { return Ok(None) };
    reports
        .into_iter()
        .map(|(k, i, r)| r.map(|r| (Some(codes[k].to_string()), i, PyReport(r, freq))).map_err(core_err))
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

/// One finished run: the stock's code position, the parameter set's index, the engine's result.
type Run = (usize, usize, hantu_core::Result<BacktestReport>);

/// Converts the stocks of `block` (code positions, in the rows' order) into `bufs`, one buffer
/// per stock, reading a date's rows of all of them together, then runs each stock once per
/// parameter set. `None` when a row is malformed or two rows of a stock share a time (the
/// checked path names it).
#[allow(clippy::too_many_arguments, reason = "the batch's shared inputs, borrowed")]
fn run_block(
    cols: &Columns<'_>,
    groups: &Groups,
    block: &[usize],
    bufs: &mut [Vec<Bar>],
    cfg: &BacktestConfig,
    by_code: &HashMap<StockCode, &Instrument>,
    name: &str,
    params: &[Params],
) -> Option<Vec<Run>> {
    let own: Vec<&[u32]> = block.iter().map(|&k| &groups.rows[groups.starts[k]..groups.starts[k + 1]]).collect();
    let bufs = &mut bufs[..block.len()];
    for (buf, rows) in bufs.iter_mut().zip(&own) {
        buf.clear();
        buf.reserve(rows.len());
    }
    let longest = own.iter().map(|r| r.len()).max().unwrap_or(0);
    let codes: Vec<StockCode> = block.iter().map(|&k| cols.codes()[k]).collect();
    let mut unordered = vec![false; block.len()];
    for t in 0..longest {
        for (j, ((buf, rows), &code)) in bufs.iter_mut().zip(&own).zip(&codes).enumerate() {
            let Some(&i) = rows.get(t) else { continue };
            let i = i as usize;
            let ts = match cols.push_plain_of(i, code, buf) {
                Some(ts) => ts,
                None => {
                    let bar = cols.full_bar(i).ok()?;
                    buf.push(bar);
                    bar.ts
                }
            };
            unordered[j] |= t > 0 && ts <= buf[t - 1].ts;
        }
    }
    // Frames usually hold each stock's rows in time order; the few stocks whose rows are not
    // are put in order here (a stable sort: bars of one time stay as they came, and are then
    // declined as duplicates, as the checked path rejects them).
    for (buf, _) in bufs.iter_mut().zip(&unordered).filter(|(_, u)| **u) {
        buf.sort_by_key(|b| b.ts);
        if buf.windows(2).any(|w| w[0].ts == w[1].ts) {
            return None;
        }
    }
    let mut runs = Vec::with_capacity(block.len() * params.len());
    for (&k, buf) in block.iter().zip(bufs.iter()) {
        let code = cols.codes()[k];
        let inst = by_code.get(&code).map_or(&[][..], |i| std::slice::from_ref(*i));
        let bt = Backtest::new(cfg.clone()).with_instruments(inst);
        for (i, p) in params.iter().enumerate() {
            let report = strategies::by_name(name, p).and_then(|mut s| bt.run(buf, &mut *s));
            runs.push((k, i, report));
        }
    }
    Some(runs)
}
