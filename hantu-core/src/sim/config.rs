//! The simulated market's configuration.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Error;

/// How to build a [`SimMarket`](super::SimMarket). Every field has a default, so a TOML table
/// only needs the fields it changes.
///
/// ```
/// use hantu_core::sim::SimConfig;
/// let cfg: SimConfig = toml::from_str("stocks = 100\ndays = 60\nseed = 7")?;
/// assert_eq!(cfg.stocks, 100);
/// cfg.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Number of listed stocks (default 2,875, about the size of KOSPI + KOSDAQ + KONEX).
    pub stocks: usize,
    /// First calendar date; bars start on the first KRX trading day on or after it.
    pub start: NaiveDate,
    /// Number of trading days (default 500, about two years).
    pub days: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Share of stocks listed on KOSPI (default 0.33).
    pub kospi_share: f64,
    /// Share of stocks listed on KONEX (default 0.01); the rest are KOSDAQ.
    pub konex_share: f64,
    /// Share of stocks with persistent trends (default 0.2).
    pub trend_share: f64,
    /// Share of stocks that revert to a slowly moving mean (default 0.2); the rest walk randomly.
    pub mean_revert_share: f64,
    /// Annualised volatility of the market factor in its calm regime (default 0.15).
    pub market_vol: f64,
    /// Daily probability of a news jump per stock (default 0.003).
    pub jump_prob: f64,
}

impl SimConfig {
    /// Stable name, for config files and logs.
    pub const NAME: &'static str = "sim";
    /// Most stocks a configuration may ask for (the six-digit code space it draws from).
    pub const MAX_STOCKS: usize = 99_999;
    /// Most trading days a configuration may ask for (about 80 years).
    pub const MAX_DAYS: usize = 20_000;

    /// A configuration for `stocks` stocks over `days` trading days, other fields default.
    #[must_use]
    pub fn new(stocks: usize, days: usize, seed: u64) -> Self {
        Self { stocks, days, seed, ..Self::default() }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field: zero or too many stocks or days, a start
    /// outside 1990–2100, shares outside `0..=1` (or summing above 1), a non-positive or
    /// absurd volatility, or a jump probability above 0.1.
    pub fn validate(&self) -> Result<(), Error> {
        let key = |k: &str| format!("{}.{k}", Self::NAME);
        if self.stocks == 0 || self.stocks > Self::MAX_STOCKS {
            return Err(Error::config(key("stocks"), format!("must be 1..={}, got {}", Self::MAX_STOCKS, self.stocks)));
        }
        if self.days == 0 || self.days > Self::MAX_DAYS {
            return Err(Error::config(key("days"), format!("must be 1..={}, got {}", Self::MAX_DAYS, self.days)));
        }
        if !(1990..=2100).contains(&self.start.year()) {
            return Err(Error::config(key("start"), format!("must be in 1990..=2100, got {}", self.start)));
        }
        for (name, v) in [
            ("kospi_share", self.kospi_share),
            ("konex_share", self.konex_share),
            ("trend_share", self.trend_share),
            ("mean_revert_share", self.mean_revert_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::config(key(name), format!("must be in 0..=1, got {v}")));
            }
        }
        if self.kospi_share + self.konex_share > 1.0 {
            return Err(Error::config(key("konex_share"), "kospi_share + konex_share must not exceed 1"));
        }
        if self.trend_share + self.mean_revert_share > 1.0 {
            return Err(Error::config(key("mean_revert_share"), "trend_share + mean_revert_share must not exceed 1"));
        }
        if !(self.market_vol > 0.0 && self.market_vol <= 2.0) {
            return Err(Error::config(key("market_vol"), format!("must be in (0, 2], got {}", self.market_vol)));
        }
        if !(0.0..=0.1).contains(&self.jump_prob) {
            return Err(Error::config(key("jump_prob"), format!("must be in 0..=0.1, got {}", self.jump_prob)));
        }
        Ok(())
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            stocks: 2_875,
            start: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap_or_default(),
            days: 500,
            seed: 20_240_102,
            kospi_share: 0.33,
            konex_share: 0.01,
            trend_share: 0.2,
            mean_revert_share: 0.2,
            market_vol: 0.15,
            jump_prob: 0.003,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(cfg: &SimConfig) -> String {
        match cfg.validate() {
            Err(Error::Config { key, .. }) => key,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn default_is_valid_and_round_trips() {
        let cfg = SimConfig::default();
        cfg.validate().unwrap();
        let text = toml::to_string(&cfg).unwrap();
        assert_eq!(toml::from_str::<SimConfig>(&text).unwrap(), cfg);
        assert_eq!(serde_json::from_str::<SimConfig>("{}").unwrap(), cfg);
    }

    #[test]
    fn bad_fields_are_named() {
        let d = SimConfig::default;
        assert_eq!(key_of(&SimConfig { stocks: 0, ..d() }), "sim.stocks");
        assert_eq!(key_of(&SimConfig { stocks: 100_000, ..d() }), "sim.stocks");
        assert_eq!(key_of(&SimConfig { days: 0, ..d() }), "sim.days");
        assert_eq!(key_of(&SimConfig { start: NaiveDate::from_ymd_opt(1980, 1, 2).unwrap(), ..d() }), "sim.start");
        assert_eq!(key_of(&SimConfig { kospi_share: f64::NAN, ..d() }), "sim.kospi_share");
        assert_eq!(key_of(&SimConfig { konex_share: -0.1, ..d() }), "sim.konex_share");
        assert_eq!(key_of(&SimConfig { kospi_share: 0.8, konex_share: 0.3, ..d() }), "sim.konex_share");
        assert_eq!(key_of(&SimConfig { trend_share: 0.7, mean_revert_share: 0.4, ..d() }), "sim.mean_revert_share");
        assert_eq!(key_of(&SimConfig { market_vol: 0.0, ..d() }), "sim.market_vol");
        assert_eq!(key_of(&SimConfig { market_vol: f64::INFINITY, ..d() }), "sim.market_vol");
        assert_eq!(key_of(&SimConfig { jump_prob: 0.5, ..d() }), "sim.jump_prob");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<SimConfig>("stock = 5").is_err());
    }
}
