//! Every batch indicator refuses bad input with a typed error: a zero period, a period longer
//! than the input, inputs of different lengths, a bar with `high < low`.

use hantu_core::indicators::{self as ind, IndicatorError};

const N: usize = 40;

fn series() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let c: Vec<f64> = (0..N).map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0).collect();
    let h = c.iter().map(|x| x + 1.0).collect();
    let l = c.iter().map(|x| x - 1.0).collect();
    (h, l, c, vec![1_000.0; N])
}

fn is_small(r: Result<impl Sized, IndicatorError>) -> bool {
    matches!(r, Err(IndicatorError::PeriodTooSmall { .. }))
}

fn is_long(r: Result<impl Sized, IndicatorError>) -> bool {
    matches!(r, Err(IndicatorError::PeriodTooLong { .. }))
}

fn is_mismatch(r: Result<impl Sized, IndicatorError>) -> bool {
    matches!(r, Err(IndicatorError::LengthMismatch { .. }))
}

fn is_high_below_low(r: Result<impl Sized, IndicatorError>) -> bool {
    matches!(r, Err(IndicatorError::HighBelowLow { index: 7, .. }))
}

#[test]
fn zero_periods_are_refused() {
    let (h, l, c, v) = series();
    assert!(is_small(ind::sma(&c, 0)));
    assert!(is_small(ind::ema(&c, 0)));
    assert!(is_small(ind::wma(&c, 0)));
    assert!(is_small(ind::dema(&c, 0)));
    assert!(is_small(ind::tema(&c, 0)));
    assert!(is_small(ind::kama(&c, 0)));
    assert!(is_small(ind::rsi(&c, 0)));
    assert!(is_small(ind::macd(&c, 0, 26, 9)));
    assert!(is_small(ind::bbands(&c, 0, 2.0, 2.0)));
    assert!(is_small(ind::atr(&h, &l, &c, 0)));
    assert!(is_small(ind::natr(&h, &l, &c, 0)));
    assert!(is_small(ind::stoch(&h, &l, &c, 5, 0, 3)));
    assert!(is_small(ind::stochf(&h, &l, &c, 0, 3)));
    assert!(is_small(ind::stochrsi(&c, 14, 0, 3)));
    assert!(is_small(ind::adx(&h, &l, &c, 0)));
    assert!(is_small(ind::plus_di(&h, &l, &c, 0)));
    assert!(is_small(ind::minus_di(&h, &l, &c, 0)));
    assert!(is_small(ind::cci(&h, &l, &c, 0)));
    assert!(is_small(ind::mfi(&h, &l, &c, &v, 0)));
    assert!(is_small(ind::willr(&h, &l, &c, 0)));
    assert!(is_small(ind::roc(&c, 0)));
    assert!(is_small(ind::mom(&c, 0)));
    assert!(is_small(ind::aroon(&h, &l, 0)));
    assert!(is_small(ind::cmo(&c, 0)));
    assert!(is_small(ind::trix(&c, 0)));
    assert!(is_small(ind::ultosc(&h, &l, &c, 7, 0, 28)));
    assert!(is_small(ind::adosc(&h, &l, &c, &v, 0, 10)));
    assert!(is_small(ind::stddev(&c, 0, 1.0)));
    assert!(is_small(ind::var(&c, 0)));
    assert!(is_small(ind::linearreg(&c, 0)));
    assert!(is_small(ind::midprice(&h, &l, 0)));
    assert!(is_small(ind::vwap(&h, &l, &c, &v, 0)));
    assert!(is_small(ind::jma(&c, 0, 0.0, 2.0)));
    let p = ind::TrendParams { fast: 0, ..ind::TrendParams::default() };
    assert!(is_small(ind::trend(&c, &p)));
}

#[test]
fn periods_longer_than_the_input_are_refused() {
    let (h, l, c, v) = series();
    let p = N + 1;
    assert!(is_long(ind::sma(&c, p)));
    assert!(is_long(ind::ema(&c, p)));
    assert!(is_long(ind::wma(&c, p)));
    assert!(is_long(ind::dema(&c, p)));
    assert!(is_long(ind::tema(&c, p)));
    assert!(is_long(ind::kama(&c, p)));
    assert!(is_long(ind::rsi(&c, p)));
    assert!(is_long(ind::macd(&c, 12, p, 9)));
    assert!(is_long(ind::bbands(&c, p, 2.0, 2.0)));
    assert!(is_long(ind::atr(&h, &l, &c, p)));
    assert!(is_long(ind::natr(&h, &l, &c, p)));
    assert!(is_long(ind::stoch(&h, &l, &c, p, 3, 3)));
    assert!(is_long(ind::stochf(&h, &l, &c, p, 3)));
    assert!(is_long(ind::stochrsi(&c, p, 5, 3)));
    assert!(is_long(ind::adx(&h, &l, &c, p)));
    assert!(is_long(ind::plus_di(&h, &l, &c, p)));
    assert!(is_long(ind::minus_di(&h, &l, &c, p)));
    assert!(is_long(ind::cci(&h, &l, &c, p)));
    assert!(is_long(ind::mfi(&h, &l, &c, &v, p)));
    assert!(is_long(ind::willr(&h, &l, &c, p)));
    assert!(is_long(ind::roc(&c, p)));
    assert!(is_long(ind::mom(&c, p)));
    assert!(is_long(ind::aroon(&h, &l, p)));
    assert!(is_long(ind::cmo(&c, p)));
    assert!(is_long(ind::trix(&c, p)));
    assert!(is_long(ind::ultosc(&h, &l, &c, 7, 14, p)));
    assert!(is_long(ind::adosc(&h, &l, &c, &v, 3, p)));
    assert!(is_long(ind::stddev(&c, p, 1.0)));
    assert!(is_long(ind::var(&c, p)));
    assert!(is_long(ind::linearreg(&c, p)));
    assert!(is_long(ind::midprice(&h, &l, p)));
    assert!(is_long(ind::vwap(&h, &l, &c, &v, p)));
    let t = ind::TrendParams { fast: 5, slow: p, slope_bars: 1, min_slope: 0.0 };
    assert!(is_long(ind::trend(&c, &t)));
}

#[test]
fn mismatched_lengths_are_refused() {
    let (h, l, c, v) = series();
    let short = &c[..N - 1];
    assert!(is_mismatch(ind::atr(&h, &l, short, 5)));
    assert!(is_mismatch(ind::natr(&h, &l, short, 5)));
    assert!(is_mismatch(ind::trange(&h, &l, short)));
    assert!(is_mismatch(ind::stoch(&h, &l, short, 5, 3, 3)));
    assert!(is_mismatch(ind::stochf(&h, &l, short, 5, 3)));
    assert!(is_mismatch(ind::adx(&h, &l, short, 5)));
    assert!(is_mismatch(ind::plus_di(&h, &l, short, 5)));
    assert!(is_mismatch(ind::minus_di(&h, &l, short, 5)));
    assert!(is_mismatch(ind::cci(&h, &l, short, 5)));
    assert!(is_mismatch(ind::mfi(&h, &l, &c, &v[..N - 1], 5)));
    assert!(is_mismatch(ind::willr(&h, &l, short, 5)));
    assert!(is_mismatch(ind::obv(&c, &v[..N - 1])));
    assert!(is_mismatch(ind::aroon(&h, &l[..N - 1], 5)));
    assert!(is_mismatch(ind::sar(&h, &l[..N - 1], 0.02, 0.2)));
    assert!(is_mismatch(ind::ultosc(&h, &l, short, 2, 3, 4)));
    assert!(is_mismatch(ind::ad(&h, &l, &c, &v[..N - 1])));
    assert!(is_mismatch(ind::adosc(&h, &l, &c, &v[..N - 1], 3, 10)));
    assert!(is_mismatch(ind::midprice(&h, &l[..N - 1], 5)));
    assert!(is_mismatch(ind::vwap(&h, &l, &c, &v[..N - 1], 5)));
}

#[test]
fn high_below_low_is_refused_with_its_index() {
    let (h, mut l, c, v) = series();
    l[7] = h[7] + 1.0;
    assert!(is_high_below_low(ind::atr(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::natr(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::trange(&h, &l, &c)));
    assert!(is_high_below_low(ind::stoch(&h, &l, &c, 5, 3, 3)));
    assert!(is_high_below_low(ind::stochf(&h, &l, &c, 5, 3)));
    assert!(is_high_below_low(ind::adx(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::plus_di(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::minus_di(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::cci(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::mfi(&h, &l, &c, &v, 5)));
    assert!(is_high_below_low(ind::willr(&h, &l, &c, 5)));
    assert!(is_high_below_low(ind::aroon(&h, &l, 5)));
    assert!(is_high_below_low(ind::sar(&h, &l, 0.02, 0.2)));
    assert!(is_high_below_low(ind::ultosc(&h, &l, &c, 2, 3, 4)));
    assert!(is_high_below_low(ind::ad(&h, &l, &c, &v)));
    assert!(is_high_below_low(ind::adosc(&h, &l, &c, &v, 3, 10)));
    assert!(is_high_below_low(ind::midprice(&h, &l, 5)));
    assert!(is_high_below_low(ind::vwap(&h, &l, &c, &v, 5)));
}

#[test]
fn errors_name_what_and_where() {
    let (h, mut l, c, _) = series();
    l[7] = h[7] + 1.0;
    let e = ind::atr(&h, &l, &c, 5).unwrap_err().to_string();
    assert!(e.contains("bar 7"), "{e}");
    let e = ind::macd(&c, 12, 26, 0).unwrap_err().to_string();
    assert!(e.contains("signal"), "{e}");
}
