//! Market data sources.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::broker::BrokerError;
use crate::domain::{Bar, Quote, StockCode};

/// A live or recorded source of quotes and bars (KIS, the local KIS server, a store).
#[async_trait]
pub trait MarketData: Send + Sync {
    /// The latest quote.
    ///
    /// # Errors
    /// If the source fails or the code is unknown.
    async fn quote(&self, code: StockCode) -> Result<Quote, BrokerError>;

    /// Daily bars in `from..=to`, ascending.
    ///
    /// # Errors
    /// If the source fails.
    async fn daily_bars(&self, code: StockCode, from: NaiveDate, to: NaiveDate) -> Result<Vec<Bar>, BrokerError>;

    /// Today's one-minute bars so far, ascending.
    ///
    /// # Errors
    /// If the source fails.
    async fn minute_bars(&self, code: StockCode) -> Result<Vec<Bar>, BrokerError>;
}
