//! Property tests for the batch kernels that used to run the streaming form bar by bar (MOM,
//! ROC, VAR, STDDEV, WMA, LINEARREG, WILLR, MIDPRICE, AROON): each must still agree with its
//! streaming type bit for bit, NaN inputs included.

use proptest::prelude::*;

use super::testing::{assert_same, bars, closes};
use super::*;

/// Puts NaN at a few positions (given as fractions of the length), or none.
fn with_nans(mut x: Vec<f64>, at: &[f64]) -> Vec<f64> {
    let n = x.len();
    for f in at {
        let i = ((n as f64) * f) as usize;
        if i < n {
            x[i] = f64::NAN;
        }
    }
    x
}

fn stream1(x: &[f64], mut next: impl FnMut(f64) -> f64) -> Vec<f64> {
    x.iter().map(|&v| next(v)).collect()
}

proptest! {
    #[test]
    fn prop_close_kernels_match_streaming(x in closes(), p in 2usize..30, nans in prop::collection::vec(0.0f64..1.0, 0..3)) {
        prop_assume!(p <= x.len());
        let x = with_nans(x, &nans);
        let mut s = Mom::new(p).unwrap();
        assert_same(&mom(&x, p).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = Roc::new(p).unwrap();
        assert_same(&roc(&x, p).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = Var::new(p).unwrap();
        assert_same(&var(&x, p).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = StdDev::new(p, 1.5).unwrap();
        assert_same(&stddev(&x, p, 1.5).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = Wma::new(p).unwrap();
        assert_same(&wma(&x, p).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = LinearReg::new(p).unwrap();
        assert_same(&linearreg(&x, p).unwrap(), &stream1(&x, |v| s.next(v)));
    }

    #[test]
    fn prop_period_one_kernels_match_streaming(x in closes()) {
        let mut s = Mom::new(1).unwrap();
        assert_same(&mom(&x, 1).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = Var::new(1).unwrap();
        assert_same(&var(&x, 1).unwrap(), &stream1(&x, |v| s.next(v)));
        let mut s = Wma::new(1).unwrap();
        assert_same(&wma(&x, 1).unwrap(), &stream1(&x, |v| s.next(v)));
    }

    #[test]
    fn prop_window_extremes_match_streaming(
        (h, l, c, _v) in bars(),
        p in 1usize..30,
        nan_h in prop::collection::vec(0.0f64..1.0, 0..3),
        nan_l in prop::collection::vec(0.0f64..1.0, 0..2),
    ) {
        prop_assume!(p <= h.len());
        let (h, l) = (with_nans(h, &nan_h), with_nans(l, &nan_l));
        let mut s = WillR::new(p).unwrap();
        let want: Vec<f64> = (0..h.len()).map(|i| s.next(h[i], l[i], c[i])).collect();
        assert_same(&willr(&h, &l, &c, p).unwrap(), &want);
        let mut s = MidPrice::new(p).unwrap();
        let want: Vec<f64> = (0..h.len()).map(|i| s.next(h[i], l[i])).collect();
        assert_same(&midprice(&h, &l, p).unwrap(), &want);
        if p >= 2 {
            let mut s = AroonStream::new(p).unwrap();
            let (down, up): (Vec<f64>, Vec<f64>) = (0..h.len()).map(|i| { let v = s.next(h[i], l[i]); (v.down, v.up) }).unzip();
            let got = aroon(&h, &l, p).unwrap();
            assert_same(&got.down, &down);
            assert_same(&got.up, &up);
        }
    }

    #[test]
    fn prop_window_extremes_on_one_way_series(n in 2usize..200, p in 2usize..20, up in any::<bool>()) {
        // A series that only rises (or only falls) makes every window rescan: the slow path.
        prop_assume!(p <= n);
        let c: Vec<f64> = (0..n).map(|i| if up { 1000.0 + i as f64 } else { 1000.0 - i as f64 }).collect();
        let (h, l): (Vec<f64>, Vec<f64>) = c.iter().map(|v| (v + 1.0, v - 1.0)).unzip();
        let mut s = WillR::new(p).unwrap();
        let want: Vec<f64> = (0..n).map(|i| s.next(h[i], l[i], c[i])).collect();
        assert_same(&willr(&h, &l, &c, p).unwrap(), &want);
        let mut s = AroonStream::new(p).unwrap();
        let want: Vec<f64> = (0..n).map(|i| s.next(h[i], l[i]).up).collect();
        assert_same(&aroon(&h, &l, p).unwrap().up, &want);
    }
}

#[test]
fn kernels_refuse_bad_bars_like_streaming_did() {
    let (h, l, c) = ([10.0, 9.0, 12.0], [8.0, 9.5, 11.0], [9.0, 9.2, 11.5]);
    assert!(matches!(willr(&h, &l, &c, 2), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(midprice(&h, &l, 2), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(aroon(&h, &l, 2), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(sar(&h, &l, 0.02, 0.2), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(ad(&h, &l, &c, &[1.0; 3]), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(ultosc(&h, &l, &c, 1, 1, 2), Err(IndicatorError::HighBelowLow { index: 1, .. })));
    assert!(matches!(mom(&c, 4), Err(IndicatorError::PeriodTooLong { .. })));
    assert!(matches!(var(&c, 0), Err(IndicatorError::PeriodTooSmall { .. })));
    assert!(matches!(wma_into(&c, 2, &mut [0.0; 2]), Err(IndicatorError::OutputLength { .. })));
}
