//! Scores: per factor the weighted mean of the candidates' percentiles, in total the weighted
//! mean of the known factors; and the class with its confidence.

use super::{ClassThresholds, Factor, FactorScore, PredictedClass, Selector};
use crate::screen::{CrossStats, Prefer};

impl Selector {
    /// Per kept candidate: (total score, factor scores, known share of the weight).
    pub(super) fn score(&self, values: &[f64], ncols: usize, kept: &[usize]) -> Vec<(f64, Vec<FactorScore>, f64)> {
        let mut cols: Vec<usize> = self.terms.iter().map(|t| t.1).collect();
        cols.sort_unstable();
        cols.dedup();
        let stats: Vec<(usize, CrossStats)> = cols
            .into_iter()
            .map(|c| {
                let column: Vec<f64> = kept.iter().map(|&k| values[k * ncols + c]).collect();
                (c, CrossStats::new(&column))
            })
            .collect();
        let pct = |col: usize, j: usize| stats.iter().find(|s| s.0 == col).map_or(f64::NAN, |s| s.1.pct[j]);
        let total_weight: f64 = Factor::ALL.iter().map(|&f| self.config.weights.get(f)).sum();
        (0..kept.len())
            .map(|j| {
                let mut factor_scores = Vec::with_capacity(Factor::ALL.len());
                let mut known_weight = 0.0;
                for f in Factor::ALL {
                    let (mut sum, mut w) = (0.0, 0.0);
                    for &(_, col, tw, prefer) in self.terms.iter().filter(|t| t.0 == f) {
                        let p = pct(col, j);
                        if !p.is_nan() {
                            sum += tw * if prefer == Prefer::High { p } else { 100.0 - p };
                            w += tw;
                        }
                    }
                    let score = (w > 0.0).then(|| sum / w);
                    if score.is_some() {
                        known_weight += self.config.weights.get(f);
                    }
                    factor_scores.push(FactorScore { factor: f, score, contribution: 0.0 });
                }
                let mut total = 0.0;
                for fs in &mut factor_scores {
                    if let (Some(s), true) = (fs.score, known_weight > 0.0) {
                        fs.contribution = s * self.config.weights.get(fs.factor) / known_weight;
                        total += fs.contribution;
                    }
                }
                let coverage = if total_weight > 0.0 { known_weight / total_weight } else { 0.0 };
                (total, factor_scores, coverage)
            })
            .collect()
    }
}

/// The class of a score and the confidence in it: the known share of the factor weight times
/// `0.5 + 0.5 × margin`, where the margin is how deep inside its class band the score lies.
pub(super) fn classify(score: f64, coverage: f64, t: &ClassThresholds) -> (PredictedClass, f64) {
    let band = |x: f64, lo: f64, hi: f64| if hi > lo { ((x - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 1.0 };
    let (class, margin) = if score >= t.strong_buy {
        (PredictedClass::StrongBuy, band(score, t.strong_buy, 100.0))
    } else if score >= t.buy {
        (PredictedClass::Buy, band(score, t.buy, t.strong_buy))
    } else {
        (PredictedClass::Hold, 1.0 - band(score, 0.0, t.buy))
    };
    (class, (coverage * (0.5 + 0.5 * margin)).clamp(0.0, 1.0))
}
