//! Phase 4, learning: every pick is a prediction, every outcome is recorded, and selection adapts
//! within bounds.
//!
//! - [`outcome`]: what happened to a pick over a horizon (entry rule, return, excursions, which level
//!   came first), from the sessions of the horizon only;
//! - [`accuracy`]: hit rate and returns by class, horizon and weights version, calibration of
//!   confidence, and versions degrading against their baseline;
//! - [`ic`]: each factor's information coefficient (rank correlation with forward returns);
//! - [`weights`]: bounded weight updates from the ICs, versioned, never applied before they were made;
//! - [`regime`]: the market's regime from the universe's breadth, average return and volatility, and
//!   how selection shrinks in a bad one;
//! - [`traded`]: picks that were traded, linked to their round trips (predicted against realised);
//! - [`update()`]: the post-close step that does all of it over a [`crate::store::Store`].
//!
//! ```
//! use hantu_core::learn::{LearnConfig, update};
//! use hantu_core::select::FactorWeights;
//! use hantu_core::store::MemoryStore;
//!
//! let store = MemoryStore::new();
//! let day = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
//! let report = update(&store, day, &FactorWeights::default(), &LearnConfig::default())?;
//! assert_eq!(report.outcomes, 0); // nothing to learn from yet
//! # Ok::<(), hantu_core::Error>(())
//! ```

pub mod accuracy;
pub mod ic;
pub mod outcome;
pub mod regime;
pub mod traded;
pub mod update;
pub mod walk;
pub mod weights;

use serde::{Deserialize, Serialize};

pub use accuracy::{AccuracyReport, CalibrationBucket, Degradation, GroupStats, accuracy};
pub use outcome::{EntryRule, Levels, Measured, measure};
pub use regime::{Regime, RegimeConfig, RegimeReading, adjust_for_regime, config_in_force, read_regime};
pub use traded::{TradedPick, TradedSummary, traded_since};
pub use update::{UpdateReport, update};
pub use walk::{WalkForwardConfig, WalkForwardRun, walk_forward};
pub use weights::{WeightLimits, WeightsUpdate, rollback, update_weights, version_in_force};

/// Everything the learning step is told (`[learn]` in `hantu.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnConfig {
    /// Horizons in sessions; each pick is one prediction per horizon.
    pub horizons: Vec<u32>,
    /// How picks are entered.
    pub entry: EntryRule,
    /// Source name of the predictions made from picks.
    pub source: String,
    /// The horizon whose outcomes feed the factor ICs.
    pub ic_horizon: u32,
    /// Sessions of stored picks each update turns into predictions (older picks are left alone).
    pub lookback_sessions: usize,
    /// Sessions of picks the ICs look back over.
    pub ic_window: usize,
    /// Whether to make new weights versions (off: measure only).
    pub adapt: bool,
    /// Sessions between two weights versions.
    pub every_sessions: u32,
    /// Limits of each update.
    pub weights: WeightLimits,
    /// Whether to read and store the day's regime.
    pub regime_enabled: bool,
    /// Regime thresholds and effects.
    pub regime: RegimeConfig,
    /// Outcomes that make a version's baseline (its first ones within the last year).
    pub baseline: usize,
    /// Latest outcomes compared with the baseline.
    pub window: usize,
    /// Drop in hit rate (0.1 = 10 points) that raises a degradation alert.
    pub degrade_threshold: f64,
}

impl Default for LearnConfig {
    fn default() -> Self {
        Self {
            horizons: vec![1, 5, 20],
            entry: EntryRule::Open,
            source: "select".into(),
            ic_horizon: 5,
            lookback_sessions: 250,
            ic_window: 60,
            adapt: true,
            every_sessions: 20,
            weights: WeightLimits::default(),
            regime_enabled: true,
            regime: RegimeConfig::default(),
            baseline: 50,
            window: 50,
            degrade_threshold: 0.1,
        }
    }
}

impl LearnConfig {
    /// Reads and validates learning settings from TOML.
    ///
    /// # Errors
    /// [`crate::Error::Config`]: key `toml` for syntax and shape errors, else each bad key.
    pub fn from_toml_str(text: &str) -> crate::Result<Self> {
        let cfg: Self = toml::from_str(text).map_err(|e| crate::Error::config("toml", e.message().to_owned()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every setting, listing every problem with its key.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming each bad key (`learn.<key>`).
    pub fn validate(&self) -> crate::Result<()> {
        let mut problems = Vec::new();
        if self.horizons.is_empty() || self.horizons.iter().any(|h| *h == 0 || *h > 250) {
            problems.push(format!("learn.horizons: {:?} must be 1 to 250 sessions each, at least one", self.horizons));
        }
        if !self.horizons.contains(&self.ic_horizon) {
            problems.push(format!("learn.ic_horizon: {} must be one of learn.horizons", self.ic_horizon));
        }
        if self.lookback_sessions == 0 {
            problems.push("learn.lookback_sessions: must be at least 1".to_owned());
        }
        if self.ic_window == 0 {
            problems.push("learn.ic_window: must be at least 1".to_owned());
        }
        if self.source.trim().is_empty() {
            problems.push("learn.source: must not be empty".to_owned());
        }
        if !(self.degrade_threshold.is_finite() && (0.0..=1.0).contains(&self.degrade_threshold)) {
            problems.push(format!("learn.degrade_threshold: {} must be within 0..=1", self.degrade_threshold));
        }
        if let Err(e) = self.weights.validate() {
            problems.push(e.to_string());
        }
        if problems.is_empty() { Ok(()) } else { Err(crate::Error::config("learn", problems.join("; "))) }
    }
}
