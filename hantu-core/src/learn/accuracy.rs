//! How good the predictions were: hit rate and mean return by class and by weights version,
//! calibration of confidence, and a degradation check against each version's baseline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{FirstHit, OutcomeRecord, PredictionRecord};

/// Hit rate and returns of a group of outcomes (entered picks only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Outcomes in the group that were entered.
    pub count: usize,
    /// Picks in the group never entered (left out of every other number).
    pub not_entered: usize,
    /// Share of entered outcomes that were hits (NaN when empty).
    pub hit_rate: f64,
    /// Mean return (NaN when empty).
    pub mean_return: f64,
    /// Mean best excursion.
    pub mean_favourable: f64,
    /// Mean worst excursion.
    pub mean_adverse: f64,
    /// Share of entered picks whose target came first.
    pub target_first: f64,
    /// Share of entered picks whose stop came first.
    pub stop_first: f64,
}

impl GroupStats {
    /// Statistics of `outcomes`.
    #[must_use]
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a OutcomeRecord>) -> Self {
        let mut s = GroupStats::default();
        let (mut hits, mut ret, mut fav, mut adv, mut tgt, mut stp) = (0usize, 0.0, 0.0, 0.0, 0usize, 0usize);
        for o in outcomes {
            if o.first_hit == FirstHit::NotEntered {
                s.not_entered += 1;
                continue;
            }
            s.count += 1;
            hits += usize::from(o.hit);
            ret += o.actual_return;
            fav += o.max_favourable;
            adv += o.max_drawdown;
            tgt += usize::from(o.first_hit == FirstHit::Target);
            stp += usize::from(o.first_hit == FirstHit::Stop);
        }
        let n = s.count as f64;
        s.hit_rate = hits as f64 / n;
        s.mean_return = ret / n;
        s.mean_favourable = fav / n;
        s.mean_adverse = adv / n;
        s.target_first = tgt as f64 / n;
        s.stop_first = stp as f64 / n;
        s
    }
}

/// One confidence bucket: what was predicted against what was observed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBucket {
    /// Lower edge of the bucket (inclusive).
    pub from: f64,
    /// Upper edge (exclusive, but 1.0 is in the last bucket).
    pub to: f64,
    /// Entered outcomes in the bucket.
    pub count: usize,
    /// Mean stated confidence (NaN when empty).
    pub mean_confidence: f64,
    /// Observed hit rate (NaN when empty).
    pub hit_rate: f64,
}

/// Calibration of confidence in `buckets` equal-width buckets over `0..=1`. A well-calibrated
/// predictor's hit rate in each bucket is close to its mean confidence.
#[must_use]
pub fn calibration(rows: &[(PredictionRecord, OutcomeRecord)], buckets: usize) -> Vec<CalibrationBucket> {
    let buckets = buckets.max(1);
    let mut acc = vec![(0usize, 0.0f64, 0usize); buckets];
    for (p, o) in rows {
        if o.first_hit == FirstHit::NotEntered || !p.confidence.is_finite() {
            continue;
        }
        let i = ((p.confidence.clamp(0.0, 1.0) * buckets as f64) as usize).min(buckets - 1);
        acc[i].0 += 1;
        acc[i].1 += p.confidence;
        acc[i].2 += usize::from(o.hit);
    }
    acc.into_iter()
        .enumerate()
        .map(|(i, (n, conf, hits))| CalibrationBucket {
            from: i as f64 / buckets as f64,
            to: (i + 1) as f64 / buckets as f64,
            count: n,
            mean_confidence: conf / n as f64,
            hit_rate: hits as f64 / n as f64,
        })
        .collect()
}

/// Expected calibration error: the count-weighted mean gap between confidence and hit rate.
#[must_use]
pub fn calibration_error(buckets: &[CalibrationBucket]) -> f64 {
    let total: usize = buckets.iter().map(|b| b.count).sum();
    buckets
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| b.count as f64 / total as f64 * (b.mean_confidence - b.hit_rate).abs())
        .sum()
}

/// The accuracy report of a set of outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// Every outcome together.
    pub overall: GroupStats,
    /// By predicted class.
    pub by_class: BTreeMap<String, GroupStats>,
    /// By horizon (sessions).
    pub by_horizon: BTreeMap<u32, GroupStats>,
    /// By weights version.
    pub by_version: BTreeMap<String, GroupStats>,
    /// Confidence calibration (10 buckets).
    pub calibration: Vec<CalibrationBucket>,
    /// Expected calibration error of `calibration`.
    pub calibration_error: f64,
}

/// Builds the accuracy report of `rows` (prediction and outcome pairs).
#[must_use]
pub fn accuracy(rows: &[(PredictionRecord, OutcomeRecord)]) -> AccuracyReport {
    fn grouped<K: Ord>(
        rows: &[(PredictionRecord, OutcomeRecord)],
        key: impl Fn(&PredictionRecord) -> K,
    ) -> BTreeMap<K, GroupStats> {
        let mut groups: BTreeMap<K, Vec<&OutcomeRecord>> = BTreeMap::new();
        for (p, o) in rows {
            groups.entry(key(p)).or_default().push(o);
        }
        groups.into_iter().map(|(k, v)| (k, GroupStats::of(v))).collect()
    }
    let calibration = calibration(rows, 10);
    AccuracyReport {
        overall: GroupStats::of(rows.iter().map(|(_, o)| o)),
        by_class: grouped(rows, |p| p.class.clone()),
        by_horizon: grouped(rows, |p| p.horizon_days),
        by_version: grouped(rows, |p| p.weights_version.clone()),
        calibration_error: calibration_error(&calibration),
        calibration,
    }
}

/// A weights version doing worse than its own start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    /// The version.
    pub version: String,
    /// Hit rate of its first `baseline` outcomes.
    pub baseline_hit_rate: f64,
    /// Hit rate of its latest `window` outcomes.
    pub recent_hit_rate: f64,
    /// Outcomes in the recent window.
    pub recent_count: usize,
}

/// Versions whose hit rate over their latest `window` outcomes fell more than `threshold` below the
/// hit rate of their first `baseline` outcomes (the version's baseline). Needs `baseline + window`
/// entered outcomes of a version before judging it. `rows` must be in prediction-date order.
#[must_use]
pub fn degraded_versions(
    rows: &[(PredictionRecord, OutcomeRecord)],
    baseline: usize,
    window: usize,
    threshold: f64,
) -> Vec<Degradation> {
    let mut by_version: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    for (p, o) in rows {
        if o.first_hit != FirstHit::NotEntered {
            by_version.entry(&p.weights_version).or_default().push(o.hit);
        }
    }
    let rate = |hits: &[bool]| hits.iter().filter(|h| **h).count() as f64 / hits.len() as f64;
    by_version
        .into_iter()
        .filter(|(_, hits)| baseline > 0 && window > 0 && hits.len() >= baseline + window)
        .filter_map(|(version, hits)| {
            let (base, recent) = (rate(&hits[..baseline]), rate(&hits[hits.len() - window..]));
            (base - recent > threshold).then(|| Degradation {
                version: version.to_owned(),
                baseline_hit_rate: base,
                recent_hit_rate: recent,
                recent_count: window,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::StockCode;

    fn row(
        class: &str,
        conf: f64,
        ret: f64,
        hit: bool,
        first_hit: FirstHit,
        version: &str,
    ) -> (PredictionRecord, OutcomeRecord) {
        let date = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        let p = PredictionRecord {
            date,
            code: StockCode::new("005930"),
            horizon_days: 5,
            source: "select".into(),
            class: class.into(),
            confidence: conf,
            expected_return: None,
            weights_version: version.into(),
        };
        let o = OutcomeRecord {
            date,
            code: p.code,
            horizon_days: 5,
            source: "select".into(),
            evaluated_on: date,
            actual_return: ret,
            max_drawdown: -0.01,
            hit,
            entry_price: None,
            max_favourable: 0.02,
            first_hit,
            days_held: 5,
        };
        (p, o)
    }

    #[test]
    fn groups_by_class_and_leaves_unentered_picks_out_of_the_rates() {
        let rows = [
            row("buy", 0.6, 0.04, true, FirstHit::Target, "w1"),
            row("buy", 0.6, -0.02, false, FirstHit::Stop, "w1"),
            row("strong_buy", 0.9, 0.01, true, FirstHit::Neither, "w1"),
            row("buy", 0.6, 0.0, false, FirstHit::NotEntered, "w1"),
        ];
        let r = accuracy(&rows);
        let buy = &r.by_class["buy"];
        assert_eq!((buy.count, buy.not_entered), (2, 1));
        assert!((buy.hit_rate - 0.5).abs() < 1e-12);
        assert!((buy.mean_return - 0.01).abs() < 1e-12);
        assert!((buy.target_first - 0.5).abs() < 1e-12 && (buy.stop_first - 0.5).abs() < 1e-12);
        assert_eq!(r.overall.count, 3);
        assert!((r.overall.hit_rate - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn calibration_buckets_compare_confidence_with_hit_rate() {
        let rows = [
            row("buy", 0.65, 0.1, true, FirstHit::Neither, "w"),
            row("buy", 0.61, -0.1, false, FirstHit::Neither, "w"),
            row("buy", 0.95, 0.1, true, FirstHit::Neither, "w"),
            row("buy", 1.0, 0.1, true, FirstHit::Neither, "w"),
        ];
        let b = calibration(&rows, 10);
        assert_eq!(b.len(), 10);
        assert_eq!(b[6].count, 2);
        assert!((b[6].mean_confidence - 0.63).abs() < 1e-12 && (b[6].hit_rate - 0.5).abs() < 1e-12);
        assert_eq!(b[9].count, 2, "confidence 1.0 falls in the last bucket");
        // ECE = 2/4 * |0.63 - 0.5| + 2/4 * |0.975 - 1.0|
        assert!((calibration_error(&b) - (0.5 * 0.13 + 0.5 * 0.025)).abs() < 1e-12);
    }

    #[test]
    fn a_version_is_degraded_when_its_recent_hit_rate_falls_beyond_the_threshold() {
        let mut rows = Vec::new();
        for i in 0..10 {
            rows.push(row("buy", 0.6, 0.0, i % 5 != 0, FirstHit::Neither, "w1")); // baseline 80%
        }
        for i in 0..10 {
            rows.push(row("buy", 0.6, 0.0, i % 5 == 0, FirstHit::Neither, "w1")); // recent 20%
        }
        for _ in 0..20 {
            rows.push(row("buy", 0.6, 0.0, true, FirstHit::Neither, "w2"));
        }
        let d = degraded_versions(&rows, 10, 10, 0.2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].version, "w1");
        assert!((d[0].baseline_hit_rate - 0.8).abs() < 1e-12 && (d[0].recent_hit_rate - 0.2).abs() < 1e-12);
        assert!(degraded_versions(&rows, 15, 10, 0.2).is_empty(), "too few outcomes to judge");
    }
}
