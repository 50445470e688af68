//! Technical indicators, TA-Lib-exact, in two faces.
//!
//! # Batch
//! Free functions named after the indicator in snake case (`sma`, `rsi`, `macd`...). Each takes
//! slices and returns a `Vec` (or a small struct of `Vec`s) of the **same length as the input**,
//! with `f64::NAN` in the warm-up positions, exactly like Python TA-Lib. Next to it:
//! - `<name>_lookback(params) -> usize`: how many leading outputs are NaN (TA-Lib's
//!   `TA_<NAME>_Lookback` with the unstable period at its default of 0);
//! - `<name>_into(inputs…, out)`: the same computation into caller-provided slices. The
//!   kernels with speed targets (SMA, EMA, RSI, MACD, BBANDS, ATR, NATR, TRANGE, ADX, OBV) and
//!   the batch kernels of MOM, ROC, VAR, STDDEV, WMA, LINEARREG, AROON, DEMA, TEMA and TRIX
//!   allocate nothing;
//!   STOCH/STOCHF, WILLR and MIDPRICE allocate one O(period) scratch for the window extremes;
//!   the others run their streaming type over the input and allocate its O(period) state once.
//!   Nothing allocates per bar. MACDEXT, MACDFIX and BBANDS/STOCH with a moving-average type
//!   other than SMA are batch-only (see [`MaType`]).
//!
//! # Streaming
//! A type per indicator in UpperCamelCase (`Sma`, `Rsi`, `MacdStream`...) with `new(params)`,
//! `next(inputs) -> output` (NaN during the warm-up) and `reset()`. Updates are O(1) (CCI's
//! mean absolute deviation is O(period), as in TA-Lib: it has no running form). Where the
//! output type name is taken by the batch result (`Macd`, `Stoch`, `Aroon`), the streaming type
//! ends in `Stream`.
//!
//! The batch functions run on the calling thread; [`split::pieces`] runs any of them on two
//! cores for a long series (the Python bindings do, from 65,536 bars).
//!
//! The kernels whose speed is the width of their vector loops (ATR, NATR, TRANGE, AD, WILLR,
//! MIDPRICE) are also compiled for AVX2 and AVX and pick the widest the CPU has when called
//! (`multiversion`); the default build targets plain x86-64 (SSE2), two values per instruction.
//! Rust never fuses a multiply and an add on its own, so every version gives the same bits.
//!
//! Streaming reproduces batch bit for bit, except for EMA, RSI, MACD, ATR and NATR, whose batch
//! kernels evaluate the recurrence four bars at a time for speed (see `recurrence.rs`) and agree
//! with streaming to 1e-12 relative. A property test per indicator checks this on random data.
//!
//! # Agreement with TA-Lib
//! After the lookback, outputs equal TA-Lib 0.8's to 1e-9 relative (`|a - b| <= 1e-9 *
//! max(|a|, |b|, 1)`); `tests/indicators_talib.rs` checks every indicator against TA-Lib's own
//! output on a reference series. The arithmetic is sometimes rearranged for speed (a multiply by
//! a precomputed reciprocal instead of a divide, one add of `x - old` instead of two), which
//! changes the last bits but never more than that. TA-Lib's quirks are kept and named in each
//! indicator's docs (SMA-seeded EMAs, Wilder smoothing seeded by a plain sum, MACD aligning both
//! EMA seeds on the slow one, TA-Lib's `1e-8` "is zero" tests...).
//!
//! # Errors and NaN
//! A period below its minimum, a period longer than the input, inputs of different lengths,
//! an output slice of the wrong length, or `high < low` give an [`IndicatorError`]; on an error
//! the contents of an `_into` output are unspecified. Streaming types only check their
//! parameters (per-bar checks would cost every caller).
//!
//! NaN inputs are not skipped, as in TA-Lib: a NaN enters the arithmetic and every output it
//! reaches is NaN. For running sums and recursive smoothers (SMA, EMA, RSI, ATR, BBANDS...) that
//! is every later output, so clean or forward-fill the data first. The window extremes (raw
//! %K of STOCHF, WILLR, MIDPRICE, AROON) are NaN exactly while a NaN is inside their window.
//! Where TA-Lib's comparisons pass over a NaN, so do ours: a NaN previous close in the true
//! range, a NaN close in OBV (counted as unchanged).

mod ad;
mod adosc;
mod adx;
mod aroon;
mod atr;
mod bbands;
mod cascade;
mod cci;
mod cmo;
mod dema;
mod dmi;
mod ema;
mod jma;
mod kama;
mod linearreg;
mod ma_type;
mod macd;
mod mfi;
mod midprice;
mod mom;
mod natr;
mod obv;
mod recurrence;
mod roc;
mod rsi;
mod sar;
mod sma;
pub mod split;
mod stddev;
mod stoch;
mod stochf;
mod stochrsi;
mod tema;
mod trange;
mod trend;
mod trix;
mod ultosc;
mod util;
mod var;
mod vwap;
mod willr;
mod window;
mod wma;

#[cfg(test)]
mod kernels_vs_stream;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod writes_every_output;

pub use ad::{Ad, ad, ad_into, ad_lookback};
pub use adosc::{Adosc, adosc, adosc_into, adosc_lookback};
pub use adx::{Adx, adx, adx_into, adx_lookback};
pub use aroon::{Aroon, AroonStream, AroonValue, aroon, aroon_into, aroon_lookback};
pub use atr::{Atr, atr, atr_into, atr_lookback};
pub use bbands::{Bands, BandsValue, Bbands, bbands, bbands_into, bbands_lookback};
pub use cci::{Cci, cci, cci_into, cci_lookback};
pub use cmo::{Cmo, cmo, cmo_into, cmo_lookback};
pub use dema::{Dema, dema, dema_into, dema_lookback};
pub use dmi::{MinusDi, PlusDi, minus_di, minus_di_into, minus_di_lookback, plus_di, plus_di_into, plus_di_lookback};
pub use ema::{Ema, ema, ema_into, ema_lookback};
pub use jma::{Jma, jma, jma_into, jma_lookback};
pub use kama::{Kama, kama, kama_into, kama_lookback};
pub use linearreg::{LinearReg, linearreg, linearreg_into, linearreg_lookback};
pub use ma_type::{
    MaType, bbands_ma, bbands_ma_into, ma_lookback, macdext, macdext_into, macdext_lookback, macdfix, macdfix_into,
    macdfix_lookback, stoch_ma, stoch_ma_into, stoch_ma_lookback,
};
pub use macd::{Macd, MacdStream, MacdValue, macd, macd_into, macd_lookback};
pub use mfi::{Mfi, mfi, mfi_into, mfi_lookback};
pub use midprice::{MidPrice, midprice, midprice_into, midprice_lookback};
pub use mom::{Mom, mom, mom_into, mom_lookback};
pub use natr::{Natr, natr, natr_into, natr_lookback};
pub use obv::{Obv, obv, obv_into, obv_lookback};
pub use roc::{Roc, roc, roc_into, roc_lookback};
pub use rsi::{Rsi, rsi, rsi_into, rsi_lookback};
pub use sar::{Sar, sar, sar_into, sar_lookback};
pub use sma::{Sma, sma, sma_into, sma_lookback};
pub use stddev::{StdDev, stddev, stddev_into, stddev_lookback};
pub use stoch::{Stoch, StochStream, StochValue, stoch, stoch_into, stoch_lookback};
pub use stochf::{StochF, stochf, stochf_into, stochf_lookback};
pub use stochrsi::{StochRsi, stochrsi, stochrsi_into, stochrsi_lookback};
pub use tema::{Tema, tema, tema_into, tema_lookback};
pub use trange::{TRange, trange, trange_into, trange_lookback};
pub use trend::{Trend, TrendClassifier, TrendParams, trend, trend_into, trend_lookback};
pub use trix::{Trix, trix, trix_into, trix_lookback};
pub use ultosc::{UltOsc, ultosc, ultosc_into, ultosc_lookback};
pub use var::{Var, var, var_into, var_lookback};
pub use vwap::{Vwap, vwap, vwap_into, vwap_lookback};
pub use willr::{WillR, willr, willr_into, willr_lookback};
pub use wma::{Wma, wma, wma_into, wma_lookback};

/// Why an indicator refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorError {
    /// A parameter is out of range.
    #[error("invalid parameter {param}: {reason}")]
    Param {
        /// Name.
        param: &'static str,
        /// Why.
        reason: String,
    },
    /// A period is below the indicator's minimum (0, or 1 where a window of one is meaningless).
    #[error("period {param} = {value} is below the minimum {min}")]
    PeriodTooSmall {
        /// Parameter name, e.g. `period` or `slow`.
        param: &'static str,
        /// The value given.
        value: usize,
        /// The smallest value accepted.
        min: usize,
    },
    /// A period is longer than the input series.
    #[error("period {param} = {period} is longer than the input ({len} bars)")]
    PeriodTooLong {
        /// Parameter name.
        param: &'static str,
        /// The value given.
        period: usize,
        /// Number of bars in the input.
        len: usize,
    },
    /// Two inputs that must be aligned bar for bar have different lengths.
    #[error("input {input} has {got} bars, expected {expected} (the length of {reference})")]
    LengthMismatch {
        /// The input with the wrong length.
        input: &'static str,
        /// The input it was compared with.
        reference: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An output slice given to an `_into` function has the wrong length.
    #[error("output {output} has {got} slots, expected {expected} (one per input bar)")]
    OutputLength {
        /// Output name.
        output: &'static str,
        /// Expected length (the input length).
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A bar's high is below its low.
    #[error("bar {index}: high {high} is below low {low}")]
    HighBelowLow {
        /// 0-based bar index.
        index: usize,
        /// The bar's high.
        high: f64,
        /// The bar's low.
        low: f64,
    },
}
