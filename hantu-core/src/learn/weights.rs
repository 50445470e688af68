//! Bounded updates of the selection's factor weights from recent factor ICs, and the choice of the
//! version in force on a day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ic::FactorIc;
use crate::select::{Factor, FactorWeights};
use crate::store::{WeightsStatus, WeightsVersionRecord};

/// The limits an update stays within.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeightLimits {
    /// Smallest weight of any factor (after normalising to a sum of 1).
    pub min: f64,
    /// Largest weight of any factor.
    pub max: f64,
    /// Largest change of one weight in one update.
    pub max_change: f64,
    /// Samples a factor's IC needs before it moves that factor's weight.
    pub min_samples: usize,
    /// How far an IC of 1 would move a weight before the limits (the step is `rate × IC`).
    pub rate: f64,
}

impl Default for WeightLimits {
    fn default() -> Self {
        Self { min: 0.05, max: 0.5, max_change: 0.05, min_samples: 60, rate: 0.25 }
    }
}

impl WeightLimits {
    /// Checks the limits, listing every problem with its key (`learn.weights.<key>`).
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming each bad key.
    pub fn validate(&self) -> crate::Result<()> {
        let mut problems = Vec::new();
        let five = Factor::ALL.len() as f64;
        if !(0.0..=1.0 / five).contains(&self.min) {
            problems.push(format!("learn.weights.min: {} must be within 0..=0.2 (five factors must fit)", self.min));
        }
        if !(1.0 / five..=1.0).contains(&self.max) || self.max < self.min {
            problems.push(format!("learn.weights.max: {} must be within 0.2..=1 and at least min", self.max));
        }
        if !(self.max_change > 0.0 && self.max_change <= 1.0) {
            problems.push(format!("learn.weights.max_change: {} must be within (0, 1]", self.max_change));
        }
        if !(self.rate.is_finite() && self.rate >= 0.0) {
            problems.push(format!("learn.weights.rate: {} must be a non-negative number", self.rate));
        }
        if problems.is_empty() { Ok(()) } else { Err(crate::Error::config("learn.weights", problems.join("; "))) }
    }
}

/// One factor's part in an update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightChange {
    /// Factor.
    pub factor: String,
    /// Weight before (normalised).
    pub old: f64,
    /// Weight after.
    pub new: f64,
    /// The IC that moved it (NaN: unknown).
    pub ic: f64,
    /// Samples behind the IC.
    pub samples: usize,
}

/// The result of [`update_weights`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsUpdate {
    /// The new weights (the old, normalised, when nothing moved).
    pub weights: FactorWeights,
    /// Per factor.
    pub changes: Vec<WeightChange>,
    /// Why nothing changed, when nothing did.
    pub skipped: Option<String>,
}

/// Moves each factor's weight by `rate × IC` toward the factors that ranked returns well, then projects
/// onto the limits: every weight within `min..=max`, within `max_change` of its old value, summing to 1.
/// Factors with fewer than `min_samples` samples only absorb the normalisation.
#[must_use]
pub fn update_weights(current: &FactorWeights, ics: &[FactorIc], limits: &WeightLimits) -> WeightsUpdate {
    let total: f64 = Factor::ALL.iter().map(|f| current.get(*f)).sum();
    let old: Vec<f64> = Factor::ALL.iter().map(|f| current.get(*f) / total).collect();
    let ic_of = |f: Factor| ics.iter().find(|i| i.factor == f.as_str());
    let informed: Vec<Option<&FactorIc>> =
        Factor::ALL.iter().map(|f| ic_of(*f).filter(|i| i.samples >= limits.min_samples && i.ic.is_finite())).collect();
    let unchanged = |reason: String| WeightsUpdate {
        weights: from_vec(&old),
        changes: changes(&old, &old, ics),
        skipped: Some(reason),
    };
    if !total.is_finite() || total <= 0.0 {
        return unchanged("the current weights do not sum to a positive number".into());
    }
    if informed.iter().all(Option::is_none) {
        let most = ics.iter().map(|i| i.samples).max().unwrap_or(0);
        return unchanged(format!("no factor has {} samples yet (most: {most})", limits.min_samples));
    }
    let raw: Vec<f64> = old
        .iter()
        .zip(&informed)
        .map(|(w, ic)| w + ic.map_or(0.0, |i| (limits.rate * i.ic).clamp(-limits.max_change, limits.max_change)))
        .collect();
    let bounds: Vec<(f64, f64)> = old
        .iter()
        .map(|w| {
            let (lo, hi) = ((w - limits.max_change).max(limits.min), (w + limits.max_change).min(limits.max));
            if lo <= hi {
                (lo, hi)
            } else if *w > limits.max {
                (hi, hi)
            } else {
                (lo, lo)
            }
        })
        .collect();
    let Some(new) = project(&raw, &bounds) else {
        return unchanged("the limits leave no weights that sum to 1 within one step".into());
    };
    WeightsUpdate { weights: from_vec(&new), changes: changes(&old, &new, ics), skipped: None }
}

/// Finds λ with Σ clamp(rawᵢ + λ, loᵢ, hiᵢ) = 1 by bisection (the sum is monotone in λ).
fn project(raw: &[f64], bounds: &[(f64, f64)]) -> Option<Vec<f64>> {
    let at = |l: f64| raw.iter().zip(bounds).map(|(r, (lo, hi))| (r + l).clamp(*lo, *hi)).collect::<Vec<f64>>();
    let sum = |l: f64| at(l).iter().sum::<f64>();
    let (mut a, mut b) = (-2.0, 2.0);
    if sum(a) > 1.0 + 1e-12 || sum(b) < 1.0 - 1e-12 {
        return None;
    }
    for _ in 0..200 {
        let m = (a + b) / 2.0;
        if sum(m) < 1.0 { a = m } else { b = m }
    }
    let mut w = at((a + b) / 2.0);
    // Remove the last rounding error so the weights sum to 1 exactly enough for reports.
    let s: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= s);
    Some(w)
}

fn from_vec(w: &[f64]) -> FactorWeights {
    FactorWeights { technical: w[0], momentum: w[1], volume: w[2], value: w[3], risk: w[4] }
}

fn changes(old: &[f64], new: &[f64], ics: &[FactorIc]) -> Vec<WeightChange> {
    Factor::ALL
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ic = ics.iter().find(|c| c.factor == f.as_str());
            WeightChange {
                factor: f.as_str().to_owned(),
                old: old[i],
                new: new[i],
                ic: ic.map_or(f64::NAN, |c| c.ic),
                samples: ic.map_or(0, |c| c.samples),
            }
        })
        .collect()
}

/// The weights of a stored version, in [`Factor::ALL`] order; factors it lacks keep `fallback`'s.
#[must_use]
pub fn weights_of(version: &WeightsVersionRecord, fallback: &FactorWeights) -> FactorWeights {
    let get = |f: Factor| version.weights.iter().find(|(n, _)| n == f.as_str()).map_or(fallback.get(f), |(_, w)| *w);
    FactorWeights {
        technical: get(Factor::Technical),
        momentum: get(Factor::Momentum),
        volume: get(Factor::Volume),
        value: get(Factor::Value),
        risk: get(Factor::Risk),
    }
}

/// The weights as stored named values.
#[must_use]
pub fn named_weights(w: &FactorWeights) -> Vec<(String, f64)> {
    Factor::ALL.iter().map(|f| (f.as_str().to_owned(), w.get(*f))).collect()
}

/// The version in force for a selection as of `as_of`: the newest approved version effective on or
/// before it. A version never applies to days before it was made.
#[must_use]
pub fn version_in_force(versions: &[WeightsVersionRecord], as_of: NaiveDate) -> Option<&WeightsVersionRecord> {
    versions
        .iter()
        .filter(|v| v.status == WeightsStatus::Approved && v.effective_from <= as_of)
        .max_by(|a, b| (a.effective_from, &a.version).cmp(&(b.effective_from, &b.version)))
}

/// Puts `version` back in force: it is approved again and every approved version made after it is
/// rolled back (kept for the record, never deleted). Returns the versions rolled back.
///
/// # Errors
/// [`crate::Error::Config`] (key `version`) naming the known versions when `version` is unknown;
/// [`crate::Error::Store`] when a read or write fails.
pub fn rollback(store: &dyn crate::store::Store, version: &str) -> crate::Result<Vec<String>> {
    let versions = store.weights_versions()?;
    let Some(target) = versions.iter().find(|v| v.version == version) else {
        let known: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
        let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
        return Err(crate::Error::config("version", format!("no weights version {version:?}; known: {known}")));
    };
    store.save_weights_version(&WeightsVersionRecord { status: WeightsStatus::Approved, ..target.clone() })?;
    let mut withdrawn = Vec::new();
    for v in versions.iter().filter(|v| {
        v.status == WeightsStatus::Approved && (v.effective_from, &v.version) > (target.effective_from, &target.version)
    }) {
        store.save_weights_version(&WeightsVersionRecord { status: WeightsStatus::RolledBack, ..v.clone() })?;
        withdrawn.push(v.version.clone());
    }
    Ok(withdrawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ic(f: &str, ic: f64, samples: usize) -> FactorIc {
        FactorIc { factor: f.into(), ic, samples }
    }

    fn sum(w: &FactorWeights) -> f64 {
        Factor::ALL.iter().map(|f| w.get(*f)).sum()
    }

    #[test]
    fn too_few_samples_change_nothing_and_say_why() {
        let u = update_weights(&FactorWeights::default(), &[ic("momentum", 0.5, 10)], &WeightLimits::default());
        assert_eq!(u.weights, FactorWeights::default());
        assert!(u.skipped.unwrap().contains("60 samples"));
    }

    #[test]
    fn a_good_factor_gains_at_most_max_change_and_the_rest_stay_in_bounds() {
        let limits = WeightLimits::default();
        let ics = [ic("momentum", 0.8, 100), ic("risk", -0.4, 100)];
        let u = update_weights(&FactorWeights::default(), &ics, &limits);
        assert!(u.skipped.is_none());
        let w = &u.weights;
        assert!((sum(w) - 1.0).abs() < 1e-9);
        // momentum 0.30 + min(0.25 * 0.8, 0.05) = 0.35 before normalisation, then within one step.
        assert!(w.momentum > 0.30 && w.momentum <= 0.35 + 1e-9);
        assert!(w.risk < 0.15 && w.risk >= 0.10 - 1e-9);
        for f in Factor::ALL {
            let (old, new) = (FactorWeights::default().get(f), w.get(f));
            assert!((new - old).abs() <= limits.max_change + 1e-9, "{f:?} moved {old} -> {new}");
            assert!((limits.min - 1e-9..=limits.max + 1e-9).contains(&new));
        }
    }

    #[test]
    fn the_maximum_weight_holds_however_strong_the_signal() {
        let limits = WeightLimits { max: 0.32, max_change: 0.5, rate: 10.0, ..WeightLimits::default() };
        let u = update_weights(&FactorWeights::default(), &[ic("momentum", 1.0, 100)], &limits);
        assert!((u.weights.momentum - 0.32).abs() < 1e-9);
        assert!((sum(&u.weights) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn limits_are_validated_naming_every_bad_key() {
        let bad = WeightLimits { min: 0.5, max: 0.1, max_change: 0.0, rate: f64::NAN, min_samples: 1 };
        let msg = bad.validate().unwrap_err().to_string();
        for key in ["learn.weights.min", "learn.weights.max", "learn.weights.max_change", "learn.weights.rate"] {
            assert!(msg.contains(key), "{msg}");
        }
        assert!(WeightLimits::default().validate().is_ok());
    }

    #[test]
    fn rollback_withdraws_later_versions_and_keeps_them() {
        use crate::store::Store as _;
        let store = crate::store::MemoryStore::new();
        let d = |day| NaiveDate::from_ymd_opt(2024, 7, day).unwrap();
        for (name, day, parent) in [("a", 1, None), ("b", 5, Some("a")), ("c", 9, Some("b"))] {
            store
                .save_weights_version(&WeightsVersionRecord {
                    version: name.into(),
                    effective_from: d(day),
                    parent: parent.map(Into::into),
                    weights: named_weights(&FactorWeights::default()),
                    inputs: serde_json::json!({}),
                    status: WeightsStatus::Approved,
                })
                .unwrap();
        }
        assert_eq!(rollback(&store, "a").unwrap(), ["b", "c"]);
        let all = store.weights_versions().unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(version_in_force(&all, d(20)).unwrap().version, "a");
        let err = rollback(&store, "zz").unwrap_err().to_string();
        assert!(err.contains("known: a, b, c"), "{err}");
    }

    #[test]
    fn the_version_in_force_is_the_newest_approved_one_already_effective() {
        let d = |day| NaiveDate::from_ymd_opt(2024, 7, day).unwrap();
        let v = |name: &str, day, status| WeightsVersionRecord {
            version: name.into(),
            effective_from: d(day),
            parent: None,
            weights: named_weights(&FactorWeights::default()),
            inputs: serde_json::json!({}),
            status,
        };
        let versions = [
            v("a", 1, WeightsStatus::Approved),
            v("b", 10, WeightsStatus::Approved),
            v("c", 5, WeightsStatus::RolledBack),
        ];
        assert_eq!(version_in_force(&versions, d(9)).unwrap().version, "a");
        assert_eq!(version_in_force(&versions, d(10)).unwrap().version, "b");
        assert!(version_in_force(&versions, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()).is_none());
    }
}
