//! Validation errors for domain values.

/// A domain value rejected at construction. Each variant names the parameter and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A stock code that is not 6 upper-case ASCII alphanumerics.
    #[error("invalid stock code {0:?}: expected 6 upper-case ASCII letters or digits")]
    StockCode(String),
    /// A price that is not a positive whole number of won.
    #[error("invalid {param} {value}: a price must be a positive whole number of won")]
    Price {
        /// Which price (e.g. `limit price`, `open`).
        param: &'static str,
        /// The rejected value, as given.
        value: String,
    },
    /// A quantity that is zero or negative.
    #[error("invalid {param} {value}: a quantity must be a positive whole number of shares")]
    Qty {
        /// Which quantity.
        param: &'static str,
        /// The rejected value.
        value: i64,
    },
    /// A money amount that is not finite or has the wrong sign.
    #[error("invalid {param} {value}")]
    Money {
        /// Which amount.
        param: &'static str,
        /// The rejected value.
        value: String,
    },
    /// A limit price that is not on the KRX tick grid.
    #[error("price {price} is off the tick grid (tick {tick} won at this price)")]
    OffTick {
        /// The price.
        price: i64,
        /// The tick size in force at that price.
        tick: i64,
    },
    /// A price outside the daily limit band.
    #[error("price {price} is outside today's limits {lower}..={upper}")]
    OutsideLimits {
        /// The price.
        price: i64,
        /// Lower limit.
        lower: i64,
        /// Upper limit.
        upper: i64,
    },
    /// An order that is inconsistent (e.g. a limit order without a price).
    #[error("invalid order: {0}")]
    Order(String),
    /// A bar whose fields disagree (high < low, open outside the range...).
    #[error("invalid bar for {code} at {at}: {reason}")]
    Bar {
        /// Stock code.
        code: String,
        /// When.
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// An unknown enum name (market, side, ...).
    #[error("unknown {param} {value:?}")]
    Unknown {
        /// Which kind of value.
        param: &'static str,
        /// The rejected text.
        value: String,
    },
    /// A parameter out of range.
    #[error("invalid {param}: {reason}")]
    Param {
        /// Parameter name.
        param: &'static str,
        /// Why.
        reason: String,
    },
}
