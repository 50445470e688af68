//! Bars from numpy columns, as `hantu/_frames.py` extracts them from a DataFrame or a dict of
//! arrays: one pass over borrowed arrays, no Python object per row.
//!
//! Prices and volumes come as `float64` or `int64` (whatever the frame holds, so pandas never
//! converts a column first); codes as `int32` indexes into a short list of code texts (pandas
//! categories or `factorize`); dates as `int64` nanoseconds of naive KST wall-clock time.

use std::collections::HashMap;
use std::ops::Range;

use hantu_core::domain::{Bar, KST_OFFSET_SECS, Price, StockCode, Timestamp};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::DataError;
use crate::frames::PyBarData;
use crate::gil::detached;

const NS_PER_MS: i64 = 1_000_000;
const MS_PER_DAY: i64 = 86_400_000;
const KST_MS: i64 = KST_OFFSET_SECS * 1000;
const CLOSE_MS: i64 = (15 * 60 + 30) * 60_000;
/// pandas' missing date (NaT) as int64 nanoseconds.
const NAT: i64 = i64::MIN;
/// 2^52: added to a float below it, leaves the integer part in the mantissa's low bits.
const MAGIC: f64 = 4_503_599_627_370_496.0;
const MAX_WON_F64: f64 = Price::MAX_WON as f64;

/// Rows read column by column at a time by [`Columns::push_rows`]: a chunk of each column
/// stays in cache between the passes.
pub(crate) const CHUNK: usize = 2048;

/// Work space of [`Columns::push_rows`]: one chunk of each price column in won and of volumes.
pub(crate) struct Scratch {
    won: [Vec<i64>; 4],
    shares: Vec<u64>,
    ts: Vec<Timestamp>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            won: std::array::from_fn(|_| vec![0; CHUNK]),
            shares: vec![0; CHUNK],
            ts: vec![Timestamp::from_millis(0); CHUNK],
        }
    }
}

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

    /// [`Freq::ts`] of each of `ns`, into `out` (as long): one loop per kind of data, so the
    /// choice is made once.
    fn fill_ts(self, ns: &[i64], out: &mut [Timestamp]) {
        let pairs = out.iter_mut().zip(ns);
        match self {
            Self::Intraday => pairs.for_each(|(t, &ns)| *t = Self::Intraday.ts(ns)),
            Self::Daily => pairs.for_each(|(t, &ns)| *t = Self::Daily.ts(ns)),
            Self::Auto => pairs.for_each(|(t, &ns)| *t = Self::Auto.ts(ns)),
        }
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

/// Whether `low <= open, close <= high` on every row (what `Bar::validate` checks), without a
/// call or a branch per row.
fn in_order(open: &[i64], high: &[i64], low: &[i64], close: &[i64]) -> bool {
    let mut bad = false;
    for (((&o, &h), &l), &c) in open.iter().zip(high).zip(low).zip(close) {
        bad |= !((l <= o) & (o <= h) & (l <= c) & (c <= h));
    }
    !bad
}

/// `x` as an integer, and whether it was one, for `0 <= x < 2^52` (the caller checks the range):
/// adding 2^52 puts the integer part in the low bits of the mantissa, and `x` was whole exactly
/// when taking 2^52 off again gives it back. Additions and compares that vectorise, where a
/// float-to-integer conversion and its checks did not.
#[inline(always)]
fn whole(x: f64) -> (u64, bool) {
    let y = x + MAGIC;
    (y.to_bits().wrapping_sub(MAGIC.to_bits()), y - MAGIC == x)
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

    /// Row `i` as a price when it is whole won already and in range: the common case, in a
    /// few instructions (`None` sends the row down the full path, which rounds and names errors).
    #[inline(always)]
    fn whole_price(self, i: usize) -> Option<Price> {
        let won = match self {
            Self::F64(v) => {
                let x = v[i];
                let w = x as i64;
                if w as f64 != x {
                    return None;
                }
                w
            }
            Self::I64(v) => v[i],
        };
        if (1..=Price::MAX_WON).contains(&won) { Price::new_checked(won).ok() } else { None }
    }

    /// Row `i` as a share count when it plainly is one (`None`: the full path decides).
    #[inline(always)]
    fn plain_volume(self, i: usize) -> Option<u64> {
        match self {
            Self::F64(v) => {
                let x = v[i];
                (0.0..1.8e19).contains(&x).then_some(x as u64)
            }
            Self::I64(v) => u64::try_from(v[i]).ok(),
        }
    }

    /// Rows `from..from + out.len()` in whole won, written to `out`, column at a time: `false`
    /// if any of them is not a whole number of won in range (the row path then says which).
    fn whole_won(self, from: usize, out: &mut [i64]) -> bool {
        let mut bad = false;
        match self {
            Self::F64(v) => {
                for (w, &x) in out.iter_mut().zip(&v[from..]) {
                    let (n, exact) = whole(x);
                    *w = n as i64;
                    bad |= !(exact & (1.0..=MAX_WON_F64).contains(&x));
                }
            }
            Self::I64(v) => {
                for (w, &x) in out.iter_mut().zip(&v[from..]) {
                    *w = x;
                    bad |= !(1..=Price::MAX_WON).contains(&x);
                }
            }
        }
        !bad
    }

    /// Rows `from..from + out.len()` as share counts, as [`Num::whole_won`] reads prices: `false`
    /// if any is not a whole, non-negative count below 2^52.
    fn whole_shares(self, from: usize, out: &mut [u64]) -> bool {
        let mut bad = false;
        match self {
            Self::F64(v) => {
                for (n, &x) in out.iter_mut().zip(&v[from..]) {
                    let exact;
                    (*n, exact) = whole(x);
                    bad |= !(exact & (0.0..MAGIC).contains(&x));
                }
            }
            Self::I64(v) => {
                for (n, &x) in out.iter_mut().zip(&v[from..]) {
                    *n = x as u64;
                    bad |= x < 0;
                }
            }
        }
        !bad
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

/// Bar columns as numpy holds them, borrowed for one call: the arguments shared by
/// [`py_bars_from_columns`] and the backtests that read columns directly (which take them as
/// a dict with these keys).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct ColumnArgs<'py> {
    date: PyReadonlyArray1<'py, i64>,
    code_index: PyReadonlyArray1<'py, i32>,
    codes: Vec<String>,
    open: NumColumn<'py>,
    high: NumColumn<'py>,
    low: NumColumn<'py>,
    close: NumColumn<'py>,
    volume: NumColumn<'py>,
}

impl ColumnArgs<'_> {
    /// The code texts, as given.
    pub(crate) fn codes(&self) -> &[String] {
        &self.codes
    }
}

/// Borrowed bar columns of equal length, with the codes parsed: each row reads as a checked
/// [`Bar`] without building an array of them.
pub(crate) struct Columns<'a> {
    freq: Freq,
    codes: &'a [StockCode],
    date: &'a [i64],
    code_index: &'a [i32],
    prices: [Num<'a>; 4],
    volume: Num<'a>,
}

/// Parses the code texts (a bad one raises `DataError` naming it).
pub(crate) fn parse_codes(codes: &[String]) -> PyResult<Vec<StockCode>> {
    codes
        .iter()
        .map(|c| StockCode::new_checked(c).map_err(|e| DataError::new_err(format!("column code: {e}"))))
        .collect()
}

impl<'a> Columns<'a> {
    /// Borrows `args` (codes parsed by [`parse_codes`]); columns of different lengths are refused.
    pub(crate) fn borrow(args: &'a ColumnArgs<'_>, codes: &'a [StockCode], freq: Freq) -> PyResult<Self> {
        let (date, code_index) = (args.date.as_slice()?, args.code_index.as_slice()?);
        let prices =
            [Num::borrow(&args.open)?, Num::borrow(&args.high)?, Num::borrow(&args.low)?, Num::borrow(&args.close)?];
        let volume = Num::borrow(&args.volume)?;
        let n = date.len();
        if code_index.len() != n || volume.len() != n || prices.iter().any(|c| c.len() != n) {
            return Err(DataError::new_err("bar columns have different lengths"));
        }
        Ok(Self { freq, codes, date, code_index, prices, volume })
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.date.len()
    }

    /// Row `i` as a checked bar (`DataError` naming the row otherwise).
    #[inline(always)]
    pub(crate) fn bar(&self, i: usize) -> PyResult<Bar> {
        match self.plain_bar(i) {
            Some(bar) => Ok(bar),
            None => self.full_bar(i),
        }
    }

    /// Appends rows `range` (at most [`CHUNK`] of them) to `buf` as checked bars, or raises
    /// `DataError` naming the first bad row (the bars before it are appended).
    pub(crate) fn push_rows(&self, range: Range<usize>, scratch: &mut Scratch, buf: &mut Vec<Bar>) -> PyResult<()> {
        if !self.push_plain_rows(range.clone(), scratch, buf) {
            for i in range {
                buf.push(self.bar(i)?);
            }
        }
        Ok(())
    }

    /// [`Columns::push_rows`] when every row of `range` is plain (whole won, in range and in
    /// order, as [`Columns::plain_bar`] takes a row); `false`, with nothing appended, when one
    /// is not. Each column is read in a loop of its own (most of them vectorise), then the
    /// bars are put together from the chunk's values in cache.
    fn push_plain_rows(&self, range: Range<usize>, scratch: &mut Scratch, buf: &mut Vec<Bar>) -> bool {
        let (from, n) = (range.start, range.len());
        if n > CHUNK {
            return false;
        }
        let Scratch { won: [open, high, low, close], shares, ts } = scratch;
        let (open, high, low, close) = (&mut open[..n], &mut high[..n], &mut low[..n], &mut close[..n]);
        let (shares, ts) = (&mut shares[..n], &mut ts[..n]);
        let [o, h, l, c] = self.prices;
        let code_index = &self.code_index[range.clone()];
        let dates = &self.date[range.clone()];
        let count = self.codes.len() as u32;
        let plain = o.whole_won(from, open)
            & h.whole_won(from, high)
            & l.whole_won(from, low)
            & c.whole_won(from, close)
            & self.volume.whole_shares(from, shares)
            // A negative index reads as a large one.
            & !code_index.iter().fold(false, |bad, &k| bad | (k as u32 >= count))
            & !dates.iter().fold(false, |nat, &ns| nat | (ns == NAT))
            && in_order(open, high, low, close);
        if !plain {
            return false;
        }
        self.freq.fill_ts(dates, ts);
        let (open, high, low, close) = (&*open, &*high, &*low, &*close);
        // In range (checked above): `saturating` only spares building an error.
        buf.extend((0..n).map(|j| Bar {
            code: self.codes[code_index[j] as usize],
            ts: ts[j],
            open: Price::saturating(open[j]),
            high: Price::saturating(high[j]),
            low: Price::saturating(low[j]),
            close: Price::saturating(close[j]),
            volume: shares[j],
        }));
        true
    }

    /// Row `i` as a bar when its prices are whole won and every check passes: the per-row path,
    /// with no rounding, no error text and nothing to call (a million rows go through here for
    /// one backtest). `None` sends the row down [`Columns::full_bar`].
    #[inline(always)]
    fn plain_bar(&self, i: usize) -> Option<Bar> {
        let code = *self.codes.get(usize::try_from(self.code_index[i]).ok()?)?;
        self.plain_bar_of(i, code)
    }

    /// Appends row `i` of stock `code` to `buf` when [`Columns::plain_bar`] takes it, and returns
    /// its time: for a caller that grouped the rows by code, so the code column is not read again.
    #[inline(always)]
    pub(crate) fn push_plain_of(&self, i: usize, code: StockCode, buf: &mut Vec<Bar>) -> Option<Timestamp> {
        let bar = self.plain_bar_of(i, code)?;
        let ts = bar.ts;
        buf.push(bar);
        Some(ts)
    }

    /// Row `i` of stock `code` as [`Columns::plain_bar`] reads it.
    #[inline(always)]
    fn plain_bar_of(&self, i: usize, code: StockCode) -> Option<Bar> {
        let [open, high, low, close] = self.prices;
        let (open, high, low, close) =
            (open.whole_price(i)?, high.whole_price(i)?, low.whole_price(i)?, close.whole_price(i)?);
        // What `Bar::validate` checks, without the call.
        if !(low <= high && low <= open && open <= high && low <= close && close <= high) {
            return None;
        }
        let volume = self.volume.plain_volume(i)?;
        let ns = self.date[i];
        if ns == NAT {
            return None;
        }
        Some(Bar { code, ts: self.freq.ts(ns), open, high, low, close, volume })
    }

    /// Row `i` the long way: rounds fractional prices, and names what is wrong.
    #[cold]
    #[inline(never)]
    pub(crate) fn full_bar(&self, i: usize) -> PyResult<Bar> {
        self.checked_bar(i)
    }

    /// Row `i` checked field by field, naming what is wrong.
    fn checked_bar(&self, i: usize) -> PyResult<Bar> {
        let row_err = |what: String| DataError::new_err(format!("row {i}: {what}"));
        let price =
            |name: &str, c: Num<'_>| c.price(i).map_err(|v| row_err(format!("{name} {v} is not a positive price")));
        let [open, high, low, close] = self.prices;
        let code = usize::try_from(self.code_index[i])
            .ok()
            .and_then(|c| self.codes.get(c))
            .ok_or_else(|| row_err("missing code".into()))?;
        if self.date[i] == NAT {
            return Err(row_err("missing date".into()));
        }
        let bar = Bar {
            code: *code,
            ts: self.freq.ts(self.date[i]),
            open: price("open", open)?,
            high: price("high", high)?,
            low: price("low", low)?,
            close: price("close", close)?,
            volume: self.volume.volume(i).map_err(|v| row_err(format!("volume {v} is not a non-negative number")))?,
        };
        bar.validate().map_err(|e| row_err(e.to_string()))?;
        Ok(bar)
    }

    /// Each code's rank among the codes (codes compare as stock codes, not as their positions
    /// in the list of texts): rows are in the engine's order when `(time, rank)` increases.
    pub(crate) fn code_ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.codes.len()).collect();
        order.sort_by_key(|&k| self.codes[k]);
        let mut rank = vec![0; self.codes.len()];
        for (r, &k) in order.iter().enumerate() {
            rank[k] = r as u32;
        }
        rank
    }

    /// The code index of row `i`, when it names one of the codes.
    #[inline(always)]
    pub(crate) fn code_of(&self, i: usize) -> Option<usize> {
        usize::try_from(self.code_index[i]).ok().filter(|&k| k < self.codes.len())
    }

    /// The parsed codes, as indexed by the rows.
    pub(crate) fn codes(&self) -> &'a [StockCode] {
        self.codes
    }

    /// The code index of row `i` (a valid one: the row read as a bar).
    #[inline(always)]
    pub(crate) fn code_at(&self, i: usize) -> usize {
        self.code_index[i] as usize
    }

    /// About how many days the rows span, from the first and last dates (at most one per row):
    /// a capacity hint, nothing depends on it being exact.
    pub(crate) fn days_hint(&self) -> usize {
        match (self.date.first(), self.date.last()) {
            (Some(&a), Some(&b)) => {
                let span = (b.saturating_sub(a) / (MS_PER_DAY * NS_PER_MS)).unsigned_abs() as usize;
                span.saturating_add(1).min(self.len())
            }
            _ => 0,
        }
    }
}

/// Each row's index into the distinct texts, and the texts.
type Factorized<'py> = (Bound<'py, PyArray1<i32>>, Vec<String>);

/// Factorizes a column of code texts held as Python strings (an object column, or pandas'
/// python-backed strings): each row's index into the distinct texts, in order of first
/// appearance, as `pandas.factorize` gives them. `None` when a row is not a `str` (a missing
/// code, a number): pandas then decides.
///
/// Rows of one code are usually the same string object, so a row is one pointer compare; a new
/// object's text is compared with the last one's, and only a new text is looked up (pandas
/// hashes every row's text: 40 ms for a million rows, 10 here when every row is its own object).
#[pyfunction]
#[pyo3(name = "factorize_text")]
pub(crate) fn py_factorize_text<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, Py<PyAny>>,
) -> PyResult<Option<Factorized<'py>>> {
    let rows = values.as_slice()?;
    let mut index: Vec<i32> = Vec::with_capacity(rows.len());
    let mut texts: Vec<String> = Vec::new();
    let mut seen: HashMap<String, i32> = HashMap::new();
    // The last row's object and index, and its text.
    let mut last = (std::ptr::null_mut(), 0);
    let mut last_text = String::new();
    for row in rows {
        if row.as_ptr() != last.0 {
            let Ok(text) = row.bind(py).downcast::<PyString>() else { return Ok(None) };
            let Ok(text) = text.to_str() else { return Ok(None) };
            if texts.is_empty() || text != last_text {
                last.1 = match seen.get(text) {
                    Some(&k) => k,
                    None => {
                        let Ok(k) = i32::try_from(texts.len()) else { return Ok(None) };
                        seen.insert(text.to_owned(), k);
                        texts.push(text.to_owned());
                        k
                    }
                };
                last_text.clear();
                last_text.push_str(text);
            }
            last.0 = row.as_ptr();
        }
        index.push(last.1);
    }
    Ok(Some((index.into_pyarray(py), texts)))
}

/// Builds bars from columns. Prices are rounded to whole won; each row is validated and a bad
/// one is reported by its position. `freq` says whether the dates stamp daily or intraday bars
/// (`None`: midnight means daily).
#[pyfunction]
#[pyo3(name = "bars_from_columns", signature = (date, code_index, codes, open, high, low, close, volume, freq = None))]
#[allow(clippy::too_many_arguments, reason = "one argument per column")]
pub(crate) fn py_bars_from_columns<'py>(
    py: Python<'py>,
    date: PyReadonlyArray1<'py, i64>,
    code_index: PyReadonlyArray1<'py, i32>,
    codes: Vec<String>,
    open: NumColumn<'py>,
    high: NumColumn<'py>,
    low: NumColumn<'py>,
    close: NumColumn<'py>,
    volume: NumColumn<'py>,
    freq: Option<&str>,
) -> PyResult<PyBarData> {
    let args = ColumnArgs { date, code_index, codes, open, high, low, close, volume };
    bardata(py, &args, Freq::parse(freq)?)
}

/// Checked bars from columns, ordered by (time, code).
pub(crate) fn bardata(py: Python<'_>, args: &ColumnArgs<'_>, freq: Freq) -> PyResult<PyBarData> {
    let parsed = parse_codes(&args.codes)?;
    let cols = Columns::borrow(args, &parsed, freq)?;
    detached(py, || {
        let bars = build(&cols)?;
        // Codes that no row uses (unused categories) are not stocks of this data.
        let mut used = vec![false; parsed.len()];
        if parsed.len() == 1 {
            used[0] = !bars.is_empty();
        } else {
            for &k in cols.code_index {
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
fn build(cols: &Columns<'_>) -> PyResult<Vec<Bar>> {
    let mut rows: Vec<Bar> = Vec::with_capacity(cols.len());
    let mut scratch = Scratch::default();
    for from in (0..cols.len()).step_by(CHUNK) {
        cols.push_rows(from..(from + CHUNK).min(cols.len()), &mut scratch, &mut rows)?;
    }
    // Long frames usually come ordered by (date, code) already; then no sort is needed.
    if !rows.is_sorted_by_key(|b| (b.ts, b.code)) {
        rows.sort_unstable_by_key(|b| (b.ts, b.code));
    }
    Ok(rows)
}
