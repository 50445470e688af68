//! Bars, quotes and ticks.

use serde::{Deserialize, Serialize};

use super::{Price, StockCode, Timestamp, ValidationError};

/// The period a bar covers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeframe {
    /// One trading day (stamped at the 15:30 KST close).
    Daily,
    /// `n` minutes (stamped at the end of the minute).
    Minute(u16),
}

/// An OHLCV bar. Prices are whole won; volume is shares.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Bar {
    /// The stock.
    pub code: StockCode,
    /// End of the bar's period.
    pub ts: Timestamp,
    /// First trade.
    pub open: Price,
    /// Highest trade.
    pub high: Price,
    /// Lowest trade.
    pub low: Price,
    /// Last trade.
    pub close: Price,
    /// Shares traded.
    pub volume: u64,
}

impl Bar {
    /// Builds a bar and checks `low <= open, close <= high`.
    ///
    /// # Errors
    /// [`ValidationError::Bar`] when the prices are inconsistent.
    pub fn new_checked(
        code: StockCode,
        ts: Timestamp,
        open: Price,
        high: Price,
        low: Price,
        close: Price,
        volume: u64,
    ) -> Result<Self, ValidationError> {
        let bar = Self { code, ts, open, high, low, close, volume };
        bar.validate()?;
        Ok(bar)
    }

    /// Checks the price relations.
    ///
    /// # Errors
    /// [`ValidationError::Bar`] when `high < low` or open/close fall outside `low..=high`.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let reason = if self.high < self.low {
            "high < low"
        } else if self.open < self.low || self.open > self.high {
            "open outside low..high"
        } else if self.close < self.low || self.close > self.high {
            "close outside low..high"
        } else {
            return Ok(());
        };
        Err(ValidationError::Bar { code: self.code.to_string(), at: self.ts.to_string(), reason: reason.into() })
    }

    /// Traded value `close × volume` in won (an approximation of 거래대금 for daily bars).
    #[must_use]
    pub fn traded_value(&self) -> f64 {
        self.close.as_f64() * self.volume as f64
    }
}

/// Best bid and ask.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Quote {
    /// The stock.
    pub code: StockCode,
    /// When.
    pub ts: Timestamp,
    /// Last trade price.
    pub last: Price,
    /// Best bid, if any.
    pub bid: Option<Price>,
    /// Best ask, if any.
    pub ask: Option<Price>,
    /// Quantity at the best bid.
    pub bid_qty: u64,
    /// Quantity at the best ask.
    pub ask_qty: u64,
    /// Previous close (the reference for the daily limits).
    pub prev_close: Option<Price>,
    /// Cumulative volume today.
    pub volume: u64,
}

/// One trade print.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Tick {
    /// The stock.
    pub code: StockCode,
    /// When.
    pub ts: Timestamp,
    /// Trade price.
    pub price: Price,
    /// Shares.
    pub qty: u64,
}
