//! Bars from numpy columns, as `hantu/_frames.py` extracts them from a DataFrame or a dict of
//! arrays: one pass over borrowed arrays, no Python object per row.
//!
//! Prices and volumes come as `float64` or `int64` (whatever the frame holds, so pandas never
//! converts a column first); codes as `int32` indexes into a short list of code texts (pandas
//! categories or `factorize`); dates as `int64` nanoseconds of naive KST wall-clock time.

use hantu_core::domain::{Bar, KST_OFFSET_SECS, Price, StockCode, Timestamp};
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::error::DataError;
use crate::frames::PyBarData;
use crate::gil::detached;

const NS_PER_MS: i64 = 1_000_000;
const MS_PER_DAY: i64 = 86_400_000;
const KST_MS: i64 = KST_OFFSET_SECS * 1000;
const CLOSE_MS: i64 = (15 * 60 + 30) * 60_000;

/// What the dates of a frame stamp: the caller says, or the clock time decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Freq {
    /// A date at exactly midnight is a daily bar, any other time an intraday bar (the guess
    /// made when the caller does not say; it misreads intraday bars stamped at 00:00).
    Auto,
    /// Every row is a daily bar of its date, whatever its clock time.
    Daily,
    /// Every row is an intraday bar ending at its time, midnight included.
    Intraday,
}

impl Freq {
    /// Parses the `freq` argument of the Python API.
    pub(crate) fn parse(s: Option<&str>) -> PyResult<Self> {
        match s.map(str::to_ascii_lowercase).as_deref() {
            None | Some("auto") => Ok(Self::Auto),
            Some("daily" | "day" | "d" | "1d") => Ok(Self::Daily),
            Some("minute" | "intraday" | "min" | "1m" | "1min" | "t") => Ok(Self::Intraday),
            Some(other) => Err(DataError::new_err(format!(
                "freq: {other:?} is not one of \"daily\", \"minute\" (intraday) or \"auto\""
            ))),
        }
    }

    /// Naive KST nanoseconds as a core timestamp.
    #[inline]
    pub(crate) fn ts(self, ns: i64) -> Timestamp {
        let local = ns.div_euclid(NS_PER_MS);
        let close_of_day = || local.div_euclid(MS_PER_DAY) * MS_PER_DAY + CLOSE_MS - KST_MS;
        Timestamp::from_millis(match self {
            Self::Intraday => local - KST_MS,
            Self::Daily => close_of_day(),
            Self::Auto if local.rem_euclid(MS_PER_DAY) == 0 => close_of_day(),
            Self::Auto => local - KST_MS,
        })
    }

    /// A core timestamp as naive KST nanoseconds: daily bars (stamped at the 15:30 close in the
    /// core) cross as midnight of their date unless the data is intraday.
    #[inline]
    pub(crate) fn ns(self, ts: Timestamp) -> i64 {
        let local = ts.millis() + KST_MS;
        let day = local.div_euclid(MS_PER_DAY);
        if self != Self::Intraday && local - day * MS_PER_DAY == CLOSE_MS {
            day * MS_PER_DAY * NS_PER_MS
        } else {
            local * NS_PER_MS
        }
    }
}

/// A numeric column as numpy holds it.
#[derive(FromPyObject)]
pub(crate) enum NumColumn<'py> {
    /// `float64`: prices are rounded to whole won.
    F64(PyReadonlyArray1<'py, f64>),
    /// `int64`: whole won or shares already.
    I64(PyReadonlyArray1<'py, i64>),
}

/// A borrowed numeric column.
#[derive(Clone, Copy)]
enum Num<'a> {
    F64(&'a [f64]),
    I64(&'a [i64]),
}

impl<'a> Num<'a> {
    fn borrow(c: &'a NumColumn<'_>) -> PyResult<Self> {
        Ok(match c {
            NumColumn::F64(a) => Self::F64(a.as_slice()?),
            NumColumn::I64(a) => Self::I64(a.as_slice()?),
        })
    }

    fn len(self) -> usize {
        match self {
            Self::F64(v) => v.len(),
            Self::I64(v) => v.len(),
        }
    }

    /// Row `i` as a price in whole won (the raw value as the error).
    #[inline(always)]
    fn price(self, i: usize) -> Result<Price, f64> {
        match self {
            Self::F64(v) => {
                let x = v[i];
                // Prices are usually whole already; `round` is a library call, the check is not.
                let whole = if (x as i64) as f64 == x { x } else { x.round() };
                Price::from_f64(whole).map_err(|_| x)
            }
            Self::I64(v) => Price::new_checked(v[i]).map_err(|_| v[i] as f64),
        }
    }

    /// Row `i` as a share count (the raw value as the error).
    #[inline(always)]
    fn volume(self, i: usize) -> Result<u64, f64> {
        match self {
            Self::F64(v) if v[i].is_finite() && v[i] >= 0.0 => Ok(v[i] as u64),
            Self::F64(v) => Err(v[i]),
            Self::I64(v) => u64::try_from(v[i]).map_err(|_| v[i] as f64),
        }
    }
}

/// Builds bars from columns. Prices are rounded to whole won; each row is validated and a bad
/// one is reported by its position. `freq` says whether the dates stamp daily or intraday bars
/// (`None`: midnight means daily).
#[pyfunction]
#[pyo3(name = "bars_from_columns", signature = (date, code_index, codes, open, high, low, close, volume, freq = None))]
#[allow(clippy::too_many_arguments, reason = "one argument per column")]
pub(crate) fn py_bars_from_columns(
    py: Python<'_>,
    date: PyReadonlyArray1<'_, i64>,
    code_index: PyReadonlyArray1<'_, i32>,
    codes: Vec<String>,
    open: NumColumn<'_>,
    high: NumColumn<'_>,
    low: NumColumn<'_>,
    close: NumColumn<'_>,
    volume: NumColumn<'_>,
    freq: Option<&str>,
) -> PyResult<PyBarData> {
    let freq = Freq::parse(freq)?;
    let parsed: Vec<StockCode> = codes
        .iter()
        .map(|c| StockCode::new_checked(c).map_err(|e| DataError::new_err(format!("column code: {e}"))))
        .collect::<PyResult<_>>()?;
    let (date, code_index) = (date.as_slice()?, code_index.as_slice()?);
    let cols = [Num::borrow(&open)?, Num::borrow(&high)?, Num::borrow(&low)?, Num::borrow(&close)?];
    let volume = Num::borrow(&volume)?;
    let n = date.len();
    if code_index.len() != n || volume.len() != n || cols.iter().any(|c| c.len() != n) {
        return Err(DataError::new_err("bar columns have different lengths"));
    }
    detached(py, || {
        let bars = build(freq, &parsed, date, code_index, cols, volume)?;
        // Codes that no row uses (unused categories) are not stocks of this data.
        let mut used = vec![false; parsed.len()];
        if parsed.len() == 1 {
            used[0] = !bars.is_empty();
        } else {
            for &k in code_index {
                if let Some(u) = usize::try_from(k).ok().and_then(|k| used.get_mut(k)) {
                    *u = true;
                }
            }
        }
        let present: Vec<StockCode> = parsed.iter().zip(&used).filter(|(_, u)| **u).map(|(c, _)| *c).collect();
        PyBarData::from_rows(bars, &present, freq)
    })
}

/// The rows as checked bars, ordered by (time, code).
fn build(
    freq: Freq,
    codes: &[StockCode],
    date: &[i64],
    code_index: &[i32],
    [open, high, low, close]: [Num<'_>; 4],
    volume: Num<'_>,
) -> PyResult<Vec<Bar>> {
    let mut rows: Vec<Bar> = Vec::with_capacity(date.len());
    for i in 0..date.len() {
        let row_err = |what: String| DataError::new_err(format!("row {i}: {what}"));
        let price =
            |name: &str, c: Num<'_>| c.price(i).map_err(|v| row_err(format!("{name} {v} is not a positive price")));
        let code = usize::try_from(code_index[i])
            .ok()
            .and_then(|c| codes.get(c))
            .ok_or_else(|| row_err("missing code".into()))?;
        let bar = Bar {
            code: *code,
            ts: freq.ts(date[i]),
            open: price("open", open)?,
            high: price("high", high)?,
            low: price("low", low)?,
            close: price("close", close)?,
            volume: volume.volume(i).map_err(|v| row_err(format!("volume {v} is not a non-negative number")))?,
        };
        bar.validate().map_err(|e| row_err(e.to_string()))?;
        rows.push(bar);
    }
    // Long frames usually come ordered by (date, code) already; then no sort is needed.
    if !rows.is_sorted_by_key(|b| (b.ts, b.code)) {
        rows.sort_unstable_by_key(|b| (b.ts, b.code));
    }
    Ok(rows)
}
