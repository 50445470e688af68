//! Computing criteria for one stock from its bars and fundamentals.
//!
//! Each stock's bars are copied once into reused column buffers; every moving average a plan
//! needs is computed once into a reused buffer with the indicators' `_into` functions; each
//! criterion then reads what it needs. Nothing is allocated per stock once the buffers have
//! grown to the longest history. Unknown values are `NaN`.

use super::criterion::{Criterion, Series};
use crate::domain::{Bar, Fundamentals};
use crate::indicators::{Trend, TrendParams, adx_into, atr_into, ema_into, rsi_into, sma_into, trend_into};

/// Which criteria to compute, in column order, and the series they share.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub columns: Vec<Criterion>,
    series: Vec<Series>,
}

impl Plan {
    /// A plan for these distinct criteria.
    pub fn new(columns: Vec<Criterion>) -> Self {
        let mut series = Vec::new();
        for c in &columns {
            c.series(&mut series);
        }
        Self { columns, series }
    }

    /// Column of `c`.
    pub fn column(&self, c: Criterion) -> Option<usize> {
        self.columns.iter().position(|&x| x == c)
    }
}

/// Buffers reused from stock to stock.
#[derive(Default)]
pub(crate) struct Scratch {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
    tmp: Vec<f64>,
    trend: Vec<Trend>,
    series: Vec<Vec<f64>>,
}

impl Scratch {
    fn load(&mut self, bars: &[Bar]) {
        let n = bars.len();
        for c in [&mut self.open, &mut self.high, &mut self.low, &mut self.close, &mut self.volume] {
            c.clear();
            c.resize(n, 0.0);
        }
        let cols =
            self.open.iter_mut().zip(&mut self.high).zip(&mut self.low).zip(&mut self.close).zip(&mut self.volume);
        for (((((o, h), l), c), v), b) in cols.zip(bars) {
            *o = b.open.as_f64();
            *h = b.high.as_f64();
            *l = b.low.as_f64();
            *c = b.close.as_f64();
            *v = b.volume as f64;
        }
    }
}

/// Fills `out` (one slot per plan column) for a stock with `bars` (already cut at the as-of
/// date and to the look-back window) and the fundamentals known then.
pub(crate) fn compute_row(
    plan: &Plan,
    scratch: &mut Scratch,
    bars: &[Bar],
    fundamentals: Option<&Fundamentals>,
    out: &mut [f64],
) {
    scratch.load(bars);
    let n = bars.len();
    if scratch.series.len() < plan.series.len() {
        scratch.series.resize_with(plan.series.len(), Vec::new);
    }
    for (s, buf) in plan.series.iter().zip(scratch.series.iter_mut()) {
        buf.clear();
        buf.resize(n, f64::NAN);
        // A period longer than the history leaves the series unknown (all NaN).
        let _ = match *s {
            Series::Sma(p) => sma_into(&scratch.close, usize::from(p), buf),
            Series::Ema(p) => ema_into(&scratch.close, usize::from(p), buf),
            Series::Close => Ok(()),
        };
    }
    let Scratch { open, high, low, close, volume, tmp, trend, series: bufs } = scratch;
    let (open, high, low, close, volume, bufs) = (&*open, &*high, &*low, &*close, &*volume, &*bufs);
    let series = |s: Series| -> &[f64] {
        match s {
            Series::Close => close,
            _ => plan.series.iter().position(|&x| x == s).map_or(&[][..], |k| &bufs[k]),
        }
    };
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    for (slot, &c) in out.iter_mut().zip(&plan.columns) {
        *slot = match c {
            Criterion::Close => last(close),
            Criterion::AvgTradedValue(k) => window(n, k).map_or(f64::NAN, |from| {
                let sum: f64 = close[from..].iter().zip(&volume[from..]).map(|(c, v)| c * v).sum();
                sum / f64::from(k)
            }),
            Criterion::Return(k) => {
                if n > usize::from(k) {
                    (close[n - 1] / close[n - 1 - usize::from(k)] - 1.0) * 100.0
                } else {
                    f64::NAN
                }
            }
            Criterion::Rsi(p) => last_of(tmp, n, |out| rsi_into(close, usize::from(p), out).is_ok()),
            Criterion::AtrPct(p) => {
                last_of(tmp, n, |out| atr_into(high, low, close, usize::from(p), out).is_ok()) / last(close) * 100.0
            }
            Criterion::Adx(p) => last_of(tmp, n, |out| adx_into(high, low, close, usize::from(p), out).is_ok()),
            Criterion::Trend(f, s) => {
                let params = TrendParams { fast: usize::from(f), slow: usize::from(s), ..TrendParams::default() };
                trend.clear();
                trend.resize(n, Trend::Unknown);
                match trend_into(close, &params, trend).ok().and(trend.last()) {
                    Some(Trend::Up) => 1.0,
                    Some(Trend::Down) => -1.0,
                    Some(Trend::Sideways) => 0.0,
                    Some(Trend::Unknown) | None => f64::NAN,
                }
            }
            Criterion::HighDistance(k) => window(n, k).map_or(f64::NAN, |from| {
                let high = high[from..].iter().copied().fold(f64::MIN, f64::max);
                (close[n - 1] / high - 1.0) * 100.0
            }),
            Criterion::VolumeSurge(k) => {
                if n > usize::from(k) {
                    let prev = &volume[n - 1 - usize::from(k)..n - 1];
                    let mean = prev.iter().sum::<f64>() / f64::from(k);
                    if mean > 0.0 { volume[n - 1] / mean } else { f64::NAN }
                } else {
                    f64::NAN
                }
            }
            Criterion::NewHigh(k) => {
                if n > usize::from(k) {
                    let prev = high[n - 1 - usize::from(k)..n - 1].iter().copied().fold(f64::MIN, f64::max);
                    f64::from(u8::from(high[n - 1] > prev))
                } else {
                    f64::NAN
                }
            }
            Criterion::NewLow(k) => {
                if n > usize::from(k) {
                    let prev = low[n - 1 - usize::from(k)..n - 1].iter().copied().fold(f64::MAX, f64::min);
                    f64::from(u8::from(low[n - 1] < prev))
                } else {
                    f64::NAN
                }
            }
            Criterion::Gap => {
                if n >= 2 {
                    (open[n - 1] / close[n - 2] - 1.0) * 100.0
                } else {
                    f64::NAN
                }
            }
            Criterion::Level(s) => last(series(s)),
            Criterion::PriceVsMa(p) => (last(close) / last(series(Series::Sma(p))) - 1.0) * 100.0,
            Criterion::MaAligned(a, b, c) => {
                let (x, y, z) =
                    (last(series(Series::Sma(a))), last(series(Series::Sma(b))), last(series(Series::Sma(c))));
                if x.is_nan() || y.is_nan() || z.is_nan() { f64::NAN } else { f64::from(u8::from(x > y && y > z)) }
            }
            Criterion::BarsSinceCross { fast, slow, up } => bars_since_cross(series(fast), series(slow), up),
            Criterion::MarketCap => fundamental(fundamentals, |f| f.market_cap.map(|v| v as f64)),
            Criterion::Per => fundamental(fundamentals, |f| f.per),
            Criterion::Pbr => fundamental(fundamentals, |f| f.pbr),
            Criterion::Roe => fundamental(fundamentals, |f| f.roe_pct),
            Criterion::DebtRatio => fundamental(fundamentals, |f| f.debt_ratio_pct),
            Criterion::EarningsYield => fundamental(fundamentals, |f| f.per.filter(|v| *v != 0.0).map(|v| 100.0 / v)),
            Criterion::BookYield => fundamental(fundamentals, |f| f.pbr.filter(|v| *v != 0.0).map(|v| 100.0 / v)),
        };
        if !slot.is_finite() {
            *slot = f64::NAN;
        }
    }
}

/// Start index of the last `k` bars, if there are that many.
fn window(n: usize, k: u16) -> Option<usize> {
    let k = usize::from(k);
    (n >= k && k > 0).then(|| n - k)
}

/// Runs an `_into` indicator into `tmp` and returns its last value (NaN when it refused).
fn last_of(tmp: &mut Vec<f64>, n: usize, run: impl FnOnce(&mut [f64]) -> bool) -> f64 {
    tmp.clear();
    tmp.resize(n, f64::NAN);
    if n > 0 && run(tmp) { tmp[n - 1] } else { f64::NAN }
}

fn fundamental(f: Option<&Fundamentals>, get: impl Fn(&Fundamentals) -> Option<f64>) -> f64 {
    f.and_then(get).unwrap_or(f64::NAN)
}

/// Bars since `fast` last crossed `slow` (0 = on the last bar); NaN when no cross is visible.
fn bars_since_cross(fast: &[f64], slow: &[f64], up: bool) -> f64 {
    let n = fast.len().min(slow.len());
    for k in (1..n).rev() {
        let (f0, s0, f1, s1) = (fast[k - 1], slow[k - 1], fast[k], slow[k]);
        if f0.is_nan() || s0.is_nan() || f1.is_nan() || s1.is_nan() {
            break;
        }
        let crossed = if up { f1 > s1 && f0 <= s0 } else { f1 < s1 && f0 >= s0 };
        if crossed {
            return (n - 1 - k) as f64;
        }
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{Price, StockCode, Timestamp};

    pub(crate) fn bars(closes: &[i64], volumes: &[u64]) -> Vec<Bar> {
        let d0 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        closes
            .iter()
            .zip(volumes)
            .enumerate()
            .map(|(k, (&c, &v))| {
                let ts = Timestamp::daily_close(d0 + chrono::Days::new(k as u64));
                let p = Price::new(c);
                Bar::new_checked(StockCode::new("000001"), ts, p, p, p, p, v).unwrap()
            })
            .collect()
    }

    fn run(cols: &[&str], bars: &[Bar], f: Option<&Fundamentals>) -> Vec<f64> {
        let plan = Plan::new(cols.iter().map(|c| Criterion::parse(c).unwrap()).collect());
        let mut out = vec![0.0; cols.len()];
        compute_row(&plan, &mut Scratch::default(), bars, f, &mut out);
        out
    }

    #[test]
    fn price_and_volume_criteria_on_a_hand_made_series() {
        let b = bars(&[100, 110, 120, 90, 150], &[10, 10, 10, 10, 40]);
        let v = run(
            &[
                "close",
                "avg_traded_value(2)",
                "return(4)",
                "high_distance(5)",
                "volume_surge(4)",
                "new_high(4)",
                "new_low(4)",
                "gap",
            ],
            &b,
            None,
        );
        assert_eq!(v[0], 150.0);
        assert_eq!(v[1], (90.0 * 10.0 + 150.0 * 40.0) / 2.0);
        assert_eq!(v[2], 50.0);
        assert_eq!(v[3], 0.0);
        assert_eq!(v[4], 4.0);
        assert_eq!(v[5], 1.0);
        assert_eq!(v[6], 0.0);
        // Open equals close in these bars: the gap is 150 / 90 - 1.
        assert!((v[7] - (150.0 / 90.0 - 1.0) * 100.0).abs() < 1e-12);
    }

    #[test]
    fn too_short_a_history_is_unknown_not_zero() {
        let b = bars(&[100, 101], &[1, 1]);
        let v = run(
            &["return(5)", "sma(5)", "rsi(14)", "atr_pct(14)", "avg_traded_value(20)", "ma_aligned(1,2,3)"],
            &b,
            None,
        );
        assert!(v.iter().all(|x| x.is_nan()), "{v:?}");
    }

    #[test]
    fn missing_fundamentals_are_unknown() {
        let b = bars(&[100], &[1]);
        let mut f = Fundamentals::unknown(StockCode::new("000001"), NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        f.per = Some(-4.0);
        f.pbr = Some(0.0);
        let v = run(&["per", "pbr", "roe", "earnings_yield", "book_yield", "market_cap"], &b, Some(&f));
        assert_eq!(v[0], -4.0);
        assert_eq!(v[1], 0.0);
        assert!(v[2].is_nan());
        assert_eq!(v[3], -25.0);
        assert!(v[4].is_nan() && v[5].is_nan());
        let v = run(&["per"], &b, None);
        assert!(v[0].is_nan());
    }

    #[test]
    fn trend_classifier_reads_up_down_and_sideways() {
        let up: Vec<i64> = (0..30).map(|k| 1_000 + k * 10).collect();
        let down: Vec<i64> = up.iter().rev().copied().collect();
        let flat = [1_000; 30];
        for (closes, want) in [(&up[..], 1.0), (&down[..], -1.0), (&flat[..], 0.0)] {
            let v = run(&["trend(5,10)"], &bars(closes, &[1; 30]), None);
            assert_eq!(v[0], want, "{closes:?}");
        }
    }

    #[test]
    fn crosses_count_bars_since_the_last_one() {
        // close crosses above sma(2) at index 3 (close 130 vs mean 115) after being below.
        let b = bars(&[100, 90, 80, 130, 140, 150], &[1; 6]);
        let v = run(&["bars_since_cross_up(close,sma(2))", "bars_since_cross_down(close,sma(2))"], &b, None);
        assert_eq!(v[0], 2.0);
        assert!(v[1].is_nan());
    }
}
