//! Company fundamentals (valuation and financial ratios) as of a date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::StockCode;

/// Fundamentals of one stock. A missing value is `None` ("unknown"), never zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fundamentals {
    /// The stock.
    pub code: StockCode,
    /// The date the figures refer to.
    pub as_of: NaiveDate,
    /// Price / earnings per share.
    pub per: Option<f64>,
    /// Price / book value per share.
    pub pbr: Option<f64>,
    /// Earnings per share (won).
    pub eps: Option<f64>,
    /// Book value per share (won).
    pub bps: Option<f64>,
    /// Return on equity, percent.
    pub roe_pct: Option<f64>,
    /// Debt ratio (liabilities / equity), percent.
    pub debt_ratio_pct: Option<f64>,
    /// Market capitalisation (won).
    pub market_cap: Option<i64>,
    /// Listed shares.
    pub listed_shares: Option<u64>,
}

impl Fundamentals {
    /// Fundamentals with every figure unknown.
    #[must_use]
    pub fn unknown(code: StockCode, as_of: NaiveDate) -> Self {
        Self {
            code,
            as_of,
            per: None,
            pbr: None,
            eps: None,
            bps: None,
            roe_pct: None,
            debt_ratio_pct: None,
            market_cap: None,
            listed_shares: None,
        }
    }
}
