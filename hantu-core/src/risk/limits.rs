//! Risk limits and the trading state.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Money;

/// Whether new risk may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingState {
    /// Normal trading.
    Active,
    /// Only orders that shrink exposure (sells of held shares).
    Reducing,
    /// No orders at all.
    Halted,
}

/// Limits the risk manager enforces. `None` turns a limit off. Structural checks (tick grid,
/// price limits, holdings, buying power) are always on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest value of one position as a fraction of equity (e.g. `0.2`).
    pub max_position_weight: Option<Decimal>,
    /// Most stocks held (or being bought) at once.
    pub max_open_positions: Option<usize>,
    /// Largest single order value.
    pub max_order_notional: Option<Money>,
    /// Largest loss in a day, as a fraction of the day's starting equity, before trading halts.
    pub daily_loss_limit: Option<Decimal>,
    /// Largest value of one sector as a fraction of equity.
    pub max_sector_weight: Option<Decimal>,
}

impl Default for RiskLimits {
    /// Moderate limits for a retail account: 20% per stock, 10 stocks, 3% daily loss, 40% per sector.
    fn default() -> Self {
        Self {
            max_position_weight: Some(Decimal::new(20, 2)),
            max_open_positions: Some(10),
            max_order_notional: None,
            daily_loss_limit: Some(Decimal::new(3, 2)),
            max_sector_weight: Some(Decimal::new(40, 2)),
        }
    }
}

impl RiskLimits {
    /// Only the structural checks.
    #[must_use]
    pub fn unlimited() -> Self {
        Self {
            max_position_weight: None,
            max_open_positions: None,
            max_order_notional: None,
            daily_loss_limit: None,
            max_sector_weight: None,
        }
    }

    /// Checks that fractions are in `(0, 1]` and counts positive.
    ///
    /// # Errors
    /// [`crate::Error::Config`] naming the bad key.
    pub fn validate(&self) -> crate::Result<()> {
        let frac = |key: &str, v: Option<Decimal>| -> crate::Result<()> {
            match v {
                Some(x) if x <= Decimal::ZERO || x > Decimal::ONE => {
                    Err(crate::Error::config(format!("risk.{key}"), format!("{x} must be in (0, 1]")))
                }
                _ => Ok(()),
            }
        };
        frac("max_position_weight", self.max_position_weight)?;
        frac("daily_loss_limit", self.daily_loss_limit)?;
        frac("max_sector_weight", self.max_sector_weight)?;
        if self.max_open_positions == Some(0) {
            return Err(crate::Error::config("risk.max_open_positions", "must be at least 1"));
        }
        if self.max_order_notional.is_some_and(|m| !m.get().is_sign_positive() || m.get().is_zero()) {
            return Err(crate::Error::config("risk.max_order_notional", "must be positive"));
        }
        Ok(())
    }
}
