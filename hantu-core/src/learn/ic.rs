//! Information coefficients: how well each factor's value ranked the forward returns.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One pick's factor values and what it returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorSample {
    /// Session the pick was for.
    pub date: NaiveDate,
    /// Factor values by name (NaN: unknown).
    pub factors: Vec<(String, f64)>,
    /// The realised return over the horizon.
    pub forward_return: f64,
}

/// A factor's IC over a set of samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorIc {
    /// Factor name.
    pub factor: String,
    /// Spearman rank correlation of value with forward return (NaN when undefined).
    pub ic: f64,
    /// Samples where the factor was known.
    pub samples: usize,
}

/// Ranks `xs` from 1, ties sharing their average rank.
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut out = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            out[k] = avg;
        }
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation of `x` and `y` (Pearson on average ranks). NaN with fewer than 3
/// pairs, different lengths, or a constant side.
#[must_use]
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 3 {
        return f64::NAN;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 { f64::NAN } else { sxy / (sxx * syy).sqrt() }
}

/// The IC of each factor in `names` over `samples` (pooled across dates), skipping unknown values.
#[must_use]
pub fn factor_ics(samples: &[FactorSample], names: &[&str]) -> Vec<FactorIc> {
    names
        .iter()
        .map(|name| {
            let (xs, ys): (Vec<f64>, Vec<f64>) = samples
                .iter()
                .filter_map(|s| {
                    let v = s.factors.iter().find(|(n, _)| n == name).map(|(_, v)| *v)?;
                    (v.is_finite() && s.forward_return.is_finite()).then_some((v, s.forward_return))
                })
                .unzip();
            FactorIc { factor: (*name).to_owned(), ic: spearman(&xs, &ys), samples: xs.len() }
        })
        .collect()
}

/// Factor ICs over a rolling window of `window` distinct dates, one row per date that closes a full
/// window. `samples` must be sorted by date.
#[must_use]
pub fn rolling_factor_ics(samples: &[FactorSample], names: &[&str], window: usize) -> Vec<(NaiveDate, Vec<FactorIc>)> {
    let mut dates: Vec<NaiveDate> = samples.iter().map(|s| s.date).collect();
    dates.dedup();
    if window == 0 || dates.len() < window {
        return Vec::new();
    }
    dates
        .windows(window)
        .map(|w| {
            let (lo, hi) =
                (samples.partition_point(|s| s.date < w[0]), samples.partition_point(|s| s.date <= w[window - 1]));
            (w[window - 1], factor_ics(&samples[lo..hi], names))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_hand_computed_values() {
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // ranks x = 1 2 3 4 5, y = 2 1 4 3 5: 1 - 6 * 4 / (5 * 24) = 0.8
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.2, 0.1, 0.4, 0.3, 0.5]) - 0.8).abs() < 1e-12);
        // ties take average ranks: x ranks 1.5 1.5 3, y ranks 1 2 3 → r = 0.866…
        assert!((spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]) - 0.75f64.sqrt()).abs() < 1e-12);
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(spearman(&[1.0, 2.0], &[1.0, 2.0]).is_nan());
    }

    fn sample(day: u32, momentum: f64, risk: f64, ret: f64) -> FactorSample {
        FactorSample {
            date: NaiveDate::from_ymd_opt(2024, 7, day).unwrap(),
            factors: vec![("momentum".into(), momentum), ("risk".into(), risk)],
            forward_return: ret,
        }
    }

    #[test]
    fn factor_ics_skip_unknown_values_and_roll_over_dates() {
        let s = vec![
            sample(1, 1.0, 4.0, 0.01),
            sample(1, 2.0, f64::NAN, 0.02),
            sample(2, 3.0, 2.0, 0.03),
            sample(3, 4.0, 1.0, 0.04),
        ];
        let ics = factor_ics(&s, &["momentum", "risk", "value"]);
        assert!((ics[0].ic - 1.0).abs() < 1e-12 && ics[0].samples == 4);
        assert!((ics[1].ic + 1.0).abs() < 1e-12 && ics[1].samples == 3);
        assert!(ics[2].ic.is_nan() && ics[2].samples == 0);
        let rolled = rolling_factor_ics(&s, &["momentum"], 2);
        assert_eq!(rolled.len(), 2);
        assert_eq!(rolled[0].0, NaiveDate::from_ymd_opt(2024, 7, 2).unwrap());
        assert_eq!(rolled[0].1[0].samples, 3);
        assert_eq!(rolled[1].1[0].samples, 2);
        assert!(rolled[1].1[0].ic.is_nan(), "two samples are too few");
    }
}
