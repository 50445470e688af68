//! The price monitor (phase 5): exit rules for every holding, evaluated on each trade print.
//!
//! Rules come from the pick that opened the position (its stop and target) or from the trader's
//! defaults (percentages of the entry price). The monitor only decides; the trader turns a decision
//! into one market sell through the risk manager, and never sends a second sell while one works.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{Price, StockCode, Timestamp};

/// Exit levels of one holding. Every field is optional; a rule without a level never fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExitRule {
    /// Sell when a trade prints at or below this price.
    pub stop: Option<Price>,
    /// Sell when a trade prints at or above this price.
    pub target: Option<Price>,
    /// Sell when the price falls this fraction (0.03 = 3%) below the highest print since entry.
    pub trailing_pct: Option<f64>,
    /// Sell at or after this time.
    pub time_stop: Option<Timestamp>,
}

/// Default exits for holdings without a pick's levels, as fractions of the entry price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExitDefaults {
    /// Stop-loss below the entry price (0.05 = 5%).
    pub stop_pct: Option<f64>,
    /// Take-profit above the entry price.
    pub target_pct: Option<f64>,
    /// Trailing stop below the high-water mark.
    pub trailing_pct: Option<f64>,
    /// Minutes after the entry after which the holding is sold.
    pub max_hold_minutes: Option<u32>,
}

impl ExitDefaults {
    /// Checks the fractions are in (0, 1).
    ///
    /// # Errors
    /// Every bad key at once, each named (`exits.stop_pct`, …).
    pub fn validate(&self) -> crate::Result<()> {
        let mut bad = Vec::new();
        for (key, v) in [
            ("exits.stop_pct", self.stop_pct),
            ("exits.target_pct", self.target_pct),
            ("exits.trailing_pct", self.trailing_pct),
        ] {
            if let Some(v) = v {
                if !(v > 0.0 && v < 1.0) {
                    bad.push(format!("{key}: {v} must be in (0, 1)"));
                }
            }
        }
        if self.max_hold_minutes == Some(0) {
            bad.push("exits.max_hold_minutes: must be at least 1".to_owned());
        }
        if bad.is_empty() { Ok(()) } else { Err(crate::Error::config("exits", bad.join("; "))) }
    }

    /// The rule for a holding entered at `entry` at time `at`.
    #[must_use]
    pub fn rule_for(&self, entry: Price, at: Timestamp) -> ExitRule {
        let px = |f: f64| Price::new_checked(f.round() as i64).ok();
        ExitRule {
            stop: self.stop_pct.and_then(|p| px(entry.as_f64() * (1.0 - p))),
            target: self.target_pct.and_then(|p| px(entry.as_f64() * (1.0 + p))),
            trailing_pct: self.trailing_pct,
            time_stop: self.max_hold_minutes.map(|m| Timestamp::from_millis(at.millis() + i64::from(m) * 60_000)),
        }
    }
}

/// Which rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The stop-loss.
    StopLoss,
    /// The take-profit.
    TakeProfit,
    /// The trailing stop.
    Trailing,
    /// The time stop.
    TimeStop,
    /// An operator's force exit or a flatten.
    Forced,
}

impl ExitReason {
    /// The snake-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::Trailing => "trailing",
            ExitReason::TimeStop => "time_stop",
            ExitReason::Forced => "forced",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Watch {
    rule: ExitRule,
    high: Price,
}

/// Exit rules of the holdings being watched, with each holding's high-water mark.
#[derive(Clone, Debug, Default)]
pub struct PriceMonitor {
    watches: BTreeMap<StockCode, Watch>,
}

impl PriceMonitor {
    /// An empty monitor.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Watches `code` with `rule`, starting the high-water mark at `price` (replaces an earlier rule;
    /// keeps a higher mark).
    pub fn watch(&mut self, code: StockCode, rule: ExitRule, price: Price) {
        let high = self.watches.get(&code).map_or(price, |w| w.high.max(price));
        self.watches.insert(code, Watch { rule, high });
    }

    /// Stops watching `code` (sold out).
    pub fn unwatch(&mut self, code: StockCode) {
        self.watches.remove(&code);
    }

    /// Whether `code` is watched.
    #[must_use]
    pub fn is_watching(&self, code: StockCode) -> bool {
        self.watches.contains_key(&code)
    }

    /// The rule of `code`, if watched.
    #[must_use]
    pub fn rule(&self, code: StockCode) -> Option<ExitRule> {
        self.watches.get(&code).map(|w| w.rule)
    }

    /// Feeds a trade print; returns the rule that fires, if any. When several fire on one print the
    /// first of stop-loss, trailing, take-profit, time stop is named (they all mean the same sell).
    pub fn on_price(&mut self, code: StockCode, price: Price, now: Timestamp) -> Option<ExitReason> {
        let w = self.watches.get_mut(&code)?;
        w.high = w.high.max(price);
        let r = w.rule;
        if r.stop.is_some_and(|s| price <= s) {
            return Some(ExitReason::StopLoss);
        }
        if r.trailing_pct.is_some_and(|p| price.as_f64() <= w.high.as_f64() * (1.0 - p)) {
            return Some(ExitReason::Trailing);
        }
        if r.target.is_some_and(|t| price >= t) {
            return Some(ExitReason::TakeProfit);
        }
        if r.time_stop.is_some_and(|t| now >= t) {
            return Some(ExitReason::TimeStop);
        }
        None
    }

    /// Codes whose time stop has passed at `now` (checked on timer ticks, when no print arrives).
    #[must_use]
    pub fn due(&self, now: Timestamp) -> Vec<StockCode> {
        self.watches.iter().filter(|(_, w)| w.rule.time_stop.is_some_and(|t| now >= t)).map(|(c, _)| *c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> StockCode {
        StockCode::new("005930")
    }

    #[test]
    fn stop_target_trailing_and_time() {
        let mut m = PriceMonitor::new();
        let t0 = Timestamp::from_millis(0);
        let rule = ExitRule {
            stop: Some(Price::new(9_500)),
            target: Some(Price::new(11_000)),
            trailing_pct: Some(0.05),
            time_stop: Some(Timestamp::from_millis(60_000)),
        };
        m.watch(c(), rule, Price::new(10_000));
        assert_eq!(m.on_price(c(), Price::new(10_000), t0), None);
        assert_eq!(m.on_price(c(), Price::new(9_500), t0), Some(ExitReason::StopLoss));
        assert_eq!(m.on_price(c(), Price::new(11_000), t0), Some(ExitReason::TakeProfit));
        // High-water mark is now 11,000: 5% below is 10,450.
        assert_eq!(m.on_price(c(), Price::new(10_450), t0), Some(ExitReason::Trailing));
        assert_eq!(m.on_price(c(), Price::new(10_500), t0), None);
        assert_eq!(m.on_price(c(), Price::new(10_500), Timestamp::from_millis(60_000)), Some(ExitReason::TimeStop));
        assert_eq!(m.due(Timestamp::from_millis(60_000)), vec![c()]);
        m.unwatch(c());
        assert_eq!(m.on_price(c(), Price::new(1), t0), None);
    }

    #[test]
    fn defaults_make_levels_and_are_validated() {
        let d = ExitDefaults {
            stop_pct: Some(0.05),
            target_pct: Some(0.1),
            trailing_pct: None,
            max_hold_minutes: Some(30),
        };
        d.validate().unwrap();
        let r = d.rule_for(Price::new(10_000), Timestamp::from_millis(0));
        assert_eq!(r.stop, Some(Price::new(9_500)));
        assert_eq!(r.target, Some(Price::new(11_000)));
        assert_eq!(r.time_stop, Some(Timestamp::from_millis(1_800_000)));
        let bad = ExitDefaults { stop_pct: Some(1.5), trailing_pct: Some(0.0), max_hold_minutes: Some(0), ..d };
        let msg = bad.validate().unwrap_err().to_string();
        assert!(
            msg.contains("exits.stop_pct") && msg.contains("exits.trailing_pct") && msg.contains("max_hold_minutes")
        );
    }
}
