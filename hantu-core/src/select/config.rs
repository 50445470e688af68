//! Selection configuration: factors and their weights, filters, classes, price levels and sizing.
//!
//! ```toml
//! name = "daily-picks"
//! weights_version = "2026-11-01"
//! max_picks = 10
//!
//! [weights]
//! technical = 0.25
//! momentum = 0.30
//! volume = 0.15
//! value = 0.15
//! risk = 0.15
//!
//! [filters]
//! max_per_sector = 2
//! min_price = 1000
//! min_avg_traded_value = 1e9
//! exclude = ["005930"]
//!
//! [factors]
//! momentum = [ { value = "return(20)" }, { value = "return(60)", weight = 0.5 } ]
//! ```
//! Factors not listed under `[factors]` keep their default terms ([`FactorTerms::default`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::StockCode;
use crate::screen::{Criterion, Prefer, ScoreTerm};

/// The five factors of a pick's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Trend state: price against moving averages, their alignment, trend strength.
    Technical,
    /// Past returns and closeness to highs.
    Momentum,
    /// Volume surge and liquidity.
    Volume,
    /// Valuation and profitability from fundamentals.
    Value,
    /// Low volatility and low leverage score well.
    Risk,
}

impl Factor {
    /// All factors, in report order.
    pub const ALL: [Factor; 5] = [Factor::Technical, Factor::Momentum, Factor::Volume, Factor::Value, Factor::Risk];

    /// Lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Factor::Technical => "technical",
            Factor::Momentum => "momentum",
            Factor::Volume => "volume",
            Factor::Value => "value",
            Factor::Risk => "risk",
        }
    }
}

/// Weight of each factor in the total score (non-negative, not all zero).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs, reason = "one field per factor, see Factor")]
pub struct FactorWeights {
    pub technical: f64,
    pub momentum: f64,
    pub volume: f64,
    pub value: f64,
    pub risk: f64,
}

impl Default for FactorWeights {
    fn default() -> Self {
        Self { technical: 0.25, momentum: 0.30, volume: 0.15, value: 0.15, risk: 0.15 }
    }
}

impl FactorWeights {
    /// The weight of `f`.
    #[must_use]
    pub fn get(&self, f: Factor) -> f64 {
        match f {
            Factor::Technical => self.technical,
            Factor::Momentum => self.momentum,
            Factor::Volume => self.volume,
            Factor::Value => self.value,
            Factor::Risk => self.risk,
        }
    }
}

/// The criteria of each factor; a factor's score is the weighted mean of their percentiles
/// among the candidates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs, reason = "one field per factor, see Factor")]
pub struct FactorTerms {
    pub technical: Vec<ScoreTerm>,
    pub momentum: Vec<ScoreTerm>,
    pub volume: Vec<ScoreTerm>,
    pub value: Vec<ScoreTerm>,
    pub risk: Vec<ScoreTerm>,
}

fn term(value: &str, prefer: Prefer) -> ScoreTerm {
    ScoreTerm { value: value.into(), weight: 1.0, prefer }
}

impl Default for FactorTerms {
    /// technical: `price_vs_ma(20)`, `ma_aligned(5,20,60)`, `adx(14)`; momentum: `return(20)`,
    /// `return(60)`, `high_distance(250)`; volume: `volume_surge(20)`, `avg_traded_value(20)`;
    /// value: `earnings_yield`, `book_yield`, `roe`; risk: low `atr_pct(14)`, low `debt_ratio`.
    fn default() -> Self {
        use Prefer::{High, Low};
        Self {
            technical: vec![term("price_vs_ma(20)", High), term("ma_aligned(5,20,60)", High), term("adx(14)", High)],
            momentum: vec![term("return(20)", High), term("return(60)", High), term("high_distance(250)", High)],
            volume: vec![term("volume_surge(20)", High), term("avg_traded_value(20)", High)],
            value: vec![term("earnings_yield", High), term("book_yield", High), term("roe", High)],
            risk: vec![term("atr_pct(14)", Low), term("debt_ratio", Low)],
        }
    }
}

impl FactorTerms {
    /// The terms of `f`.
    #[must_use]
    pub fn get(&self, f: Factor) -> &[ScoreTerm] {
        match f {
            Factor::Technical => &self.technical,
            Factor::Momentum => &self.momentum,
            Factor::Volume => &self.volume,
            Factor::Value => &self.value,
            Factor::Risk => &self.risk,
        }
    }
}

/// Filters applied to the watchlist before ranking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectFilters {
    /// At most this many picks per sector (stocks without a sector are not limited).
    pub max_per_sector: Option<usize>,
    /// Lowest last close, won.
    pub min_price: Option<i64>,
    /// Highest last close, won.
    pub max_price: Option<i64>,
    /// Lowest mean traded value over `liquidity_days`, won.
    pub min_avg_traded_value: Option<f64>,
    /// Days of the liquidity average.
    pub liquidity_days: u16,
    /// Codes never picked.
    pub exclude: Vec<StockCode>,
    /// Skip stocks already held.
    pub skip_held: bool,
}

impl Default for SelectFilters {
    fn default() -> Self {
        Self {
            max_per_sector: None,
            min_price: None,
            max_price: None,
            min_avg_traded_value: None,
            liquidity_days: 20,
            exclude: Vec::new(),
            skip_held: true,
        }
    }
}

/// Score thresholds of the predicted classes (0..=100, `buy <= strong_buy`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassThresholds {
    /// From this score up: strong buy.
    pub strong_buy: f64,
    /// From this score up: buy; below: hold.
    pub buy: f64,
}

impl Default for ClassThresholds {
    fn default() -> Self {
        Self { strong_buy: 75.0, buy: 60.0 }
    }
}

/// Entry zone, stop and target as multiples of the ATR around the last close.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelConfig {
    /// ATR period.
    pub atr_period: u16,
    /// The zone spans `close - entry_atr × ATR ..= close`.
    pub entry_atr: f64,
    /// Stop at `close - stop_atr × ATR` (rounded down to the grid).
    pub stop_atr: f64,
    /// Target at `close + target_atr × ATR` (rounded up to the grid).
    pub target_atr: f64,
}

impl Default for LevelConfig {
    fn default() -> Self {
        Self { atr_period: 14, entry_atr: 0.5, stop_atr: 2.0, target_atr: 3.0 }
    }
}

/// Position sizing: risk a fixed fraction of equity between entry and stop, capped by weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SizingConfig {
    /// Fraction of equity lost if the stop is hit, e.g. `0.01`.
    pub risk_per_trade: Decimal,
    /// Largest position as a fraction of equity, e.g. `0.2`.
    pub max_position_weight: Decimal,
}

impl Default for SizingConfig {
    fn default() -> Self {
        Self { risk_per_trade: Decimal::new(1, 2), max_position_weight: Decimal::new(2, 1) }
    }
}

/// Everything that decides a selection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectConfig {
    /// Name, recorded with every selection.
    pub name: String,
    /// Version of the weights, recorded with every pick (phase 4 compares versions).
    #[serde(default = "default_weights_version")]
    pub weights_version: String,
    /// Most picks per day.
    #[serde(default = "default_max_picks")]
    pub max_picks: usize,
    /// Bars of history used per stock.
    #[serde(default = "default_history")]
    pub history: usize,
    /// Factor weights.
    #[serde(default)]
    pub weights: FactorWeights,
    /// Factor criteria.
    #[serde(default)]
    pub factors: FactorTerms,
    /// Filters.
    #[serde(default)]
    pub filters: SelectFilters,
    /// Class thresholds.
    #[serde(default)]
    pub classes: ClassThresholds,
    /// Price levels.
    #[serde(default)]
    pub levels: LevelConfig,
    /// Sizing.
    #[serde(default)]
    pub sizing: SizingConfig,
}

fn default_weights_version() -> String {
    "1".into()
}

fn default_max_picks() -> usize {
    10
}

fn default_history() -> usize {
    500
}

impl SelectConfig {
    /// A config with defaults and this name.
    #[must_use]
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            weights_version: default_weights_version(),
            max_picks: default_max_picks(),
            history: default_history(),
            weights: FactorWeights::default(),
            factors: FactorTerms::default(),
            filters: SelectFilters::default(),
            classes: ClassThresholds::default(),
            levels: LevelConfig::default(),
            sizing: SizingConfig::default(),
        }
    }

    /// Reads and validates a TOML selection config.
    ///
    /// # Errors
    /// [`crate::Error::Config`]: key `toml` for syntax and shape errors, otherwise the key of
    /// the bad value as from [`SelectConfig::validate`].
    pub fn from_toml_str(text: &str) -> crate::Result<Self> {
        let cfg: Self = toml::from_str(text).map_err(|e| crate::Error::config("toml", e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The config as TOML.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if a value cannot be written.
    pub fn to_toml_string(&self) -> crate::Result<String> {
        toml::to_string(self).map_err(|e| crate::Error::config("toml", e.to_string()))
    }

    /// Checks every key.
    ///
    /// # Errors
    /// [`crate::Error::Config`] with a dotted key such as `weights.value` or `factors.risk[1].value`.
    pub fn validate(&self) -> crate::Result<()> {
        self.factor_columns().map(|_| ())
    }

    /// The criteria of every factor term, checked, as `(factor, criterion, weight, prefer)`.
    pub(crate) fn factor_columns(&self) -> crate::Result<Vec<(Factor, Criterion, f64, Prefer)>> {
        let err = |k: &str, m: &str| Err(crate::Error::config(k, m));
        if self.name.trim().is_empty() {
            return err("name", "must not be empty");
        }
        if self.weights_version.trim().is_empty() {
            return err("weights_version", "must not be empty");
        }
        if self.max_picks == 0 {
            return err("max_picks", "must be at least 1");
        }
        if self.history < 2 {
            return err("history", "must be at least 2 bars");
        }
        let mut total = 0.0;
        for f in Factor::ALL {
            let w = self.weights.get(f);
            if !(w.is_finite() && w >= 0.0) {
                return err(&format!("weights.{}", f.as_str()), "must be a non-negative number");
            }
            total += w;
        }
        if total <= 0.0 {
            return err("weights", "at least one factor needs a positive weight");
        }
        let mut out = Vec::new();
        for f in Factor::ALL {
            let terms = self.factors.get(f);
            if terms.is_empty() && self.weights.get(f) > 0.0 {
                return err(&format!("factors.{}", f.as_str()), "a weighted factor needs at least one term");
            }
            for (k, t) in terms.iter().enumerate() {
                let key = format!("factors.{}[{k}]", f.as_str());
                let c = Criterion::parse(&t.value).map_err(|m| crate::Error::config(format!("{key}.value"), m))?;
                if !(t.weight.is_finite() && t.weight > 0.0) {
                    return err(&format!("{key}.weight"), "must be a positive number");
                }
                out.push((f, c, t.weight, t.prefer));
            }
        }
        let mut needed: Vec<Criterion> = out.iter().map(|t| t.1).collect();
        needed.push(Criterion::AtrPct(self.levels.atr_period));
        needed.push(Criterion::AvgTradedValue(self.filters.liquidity_days));
        crate::screen::check_history(self.history, &needed, "history")?;
        let fl = &self.filters;
        if fl.max_per_sector == Some(0) {
            return err("filters.max_per_sector", "must be at least 1 when set");
        }
        if fl.min_price.is_some_and(|p| p <= 0) {
            return err("filters.min_price", "must be positive");
        }
        if let (Some(lo), Some(hi)) = (fl.min_price, fl.max_price) {
            if lo > hi {
                return err("filters.min_price", "is above filters.max_price");
            }
        }
        if fl.min_avg_traded_value.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
            return err("filters.min_avg_traded_value", "must be a non-negative number");
        }
        if fl.liquidity_days == 0 {
            return err("filters.liquidity_days", "must be at least 1");
        }
        let c = &self.classes;
        if !(0.0..=100.0).contains(&c.buy) || !(0.0..=100.0).contains(&c.strong_buy) {
            return err("classes", "thresholds are scores within 0..=100");
        }
        if c.buy > c.strong_buy {
            return err("classes.buy", "must not be above classes.strong_buy");
        }
        let l = &self.levels;
        if l.atr_period == 0 {
            return err("levels.atr_period", "must be at least 1");
        }
        for (k, v) in [("entry_atr", l.entry_atr), ("stop_atr", l.stop_atr), ("target_atr", l.target_atr)] {
            if !(v.is_finite() && v >= 0.0) {
                return err(&format!("levels.{k}"), "must be a non-negative number");
            }
        }
        if l.stop_atr <= l.entry_atr {
            return err("levels.stop_atr", "must be above levels.entry_atr so the stop is below the zone");
        }
        if l.target_atr <= 0.0 {
            return err("levels.target_atr", "must be positive");
        }
        let s = &self.sizing;
        for (k, v) in [("risk_per_trade", s.risk_per_trade), ("max_position_weight", s.max_position_weight)] {
            if v <= Decimal::ZERO || v > Decimal::ONE {
                return err(&format!("sizing.{k}"), "must be in (0, 1]");
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(toml: &str) -> String {
        match SelectConfig::from_toml_str(toml).unwrap_err() {
            crate::Error::Config { key, .. } => key,
            e => panic!("{e}"),
        }
    }

    #[test]
    fn module_example_parses_keeps_default_terms_and_round_trips() {
        let text = r#"
name = "daily-picks"
weights_version = "2026-11-01"
max_picks = 10
[weights]
technical = 0.25
momentum = 0.30
volume = 0.15
value = 0.15
risk = 0.15
[filters]
max_per_sector = 2
min_price = 1000
min_avg_traded_value = 1e9
exclude = ["005930"]
[factors]
momentum = [ { value = "return(20)" }, { value = "return(60)", weight = 0.5 } ]
"#;
        let cfg = SelectConfig::from_toml_str(text).unwrap();
        assert_eq!(cfg.factors.momentum.len(), 2);
        assert_eq!(cfg.factors.risk, FactorTerms::default().risk);
        assert_eq!(cfg.filters.exclude, vec![StockCode::new("005930")]);
        assert_eq!(SelectConfig::from_toml_str(&cfg.to_toml_string().unwrap()).unwrap(), cfg);
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(key("name = \"s\"\n[weights]\nvalue = -1"), "weights.value");
        assert_eq!(
            key("name = \"s\"\n[weights]\ntechnical = 0\nmomentum = 0\nvolume = 0\nvalue = 0\nrisk = 0"),
            "weights"
        );
        assert_eq!(
            key("name = \"s\"\n[factors]\nrisk = [ { value = \"atr_pct(14)\" }, { value = \"beta\" } ]"),
            "factors.risk[1].value"
        );
        assert_eq!(key("name = \"s\"\n[factors]\nvalue = []"), "factors.value");
        assert_eq!(key("name = \"s\"\n[filters]\nmin_price = 5000\nmax_price = 1000"), "filters.min_price");
        assert_eq!(key("name = \"s\"\n[classes]\nbuy = 80\nstrong_buy = 70"), "classes.buy");
        assert_eq!(key("name = \"s\"\n[levels]\nstop_atr = 0.2"), "levels.stop_atr");
        assert_eq!(key("name = \"s\"\n[sizing]\nrisk_per_trade = 2"), "sizing.risk_per_trade");
        assert_eq!(key("name = \"s\"\nmax_picks = 0"), "max_picks");
        assert_eq!(key("name = \"s\"\nhistory = 60"), "history");
        assert_eq!(key("name = \"s\"\n[filters]\nexclude = [\"bad\"]"), "toml");
        let cfg =
            SelectConfig::from_toml_str("name = \"s\"\n[sizing]\nrisk_per_trade = 0.02\nmax_position_weight = \"0.1\"")
                .unwrap();
        assert_eq!(cfg.sizing.risk_per_trade, Decimal::new(2, 2));
        assert_eq!(cfg.sizing.max_position_weight, Decimal::new(1, 1));
        // A factor with weight 0 may have no terms.
        assert!(SelectConfig::from_toml_str("name = \"s\"\n[weights]\nvalue = 0\n[factors]\nvalue = []").is_ok());
    }
}
