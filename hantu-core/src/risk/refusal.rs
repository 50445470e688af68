//! Why an order was refused.

use std::fmt;

use rust_decimal::Decimal;

use crate::domain::{Money, Order};

/// The rule an order broke.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// Trading is halted.
    Halted,
    /// Trading is reducing-only and this order adds exposure.
    ReducingOnly,
    /// Limit price off the tick grid.
    OffTick {
        /// Price.
        price: i64,
        /// Tick in force.
        tick: i64,
    },
    /// Limit price outside the day's limits.
    OutsideLimits {
        /// Price.
        price: i64,
        /// Lower limit.
        lower: i64,
        /// Upper limit.
        upper: i64,
    },
    /// Selling more than is held (less shares already being sold).
    InsufficientHoldings {
        /// Shares asked.
        requested: u64,
        /// Shares available.
        available: u64,
    },
    /// Not enough buying power.
    InsufficientBuyingPower {
        /// Cash the order needs, with commission.
        needed: Money,
        /// Buying power.
        available: Money,
    },
    /// Order value above the limit.
    MaxOrderNotional {
        /// Order value.
        notional: Money,
        /// Limit.
        max: Money,
    },
    /// Position would exceed its weight limit.
    MaxPositionWeight {
        /// Weight after the order.
        weight: Decimal,
        /// Limit.
        max: Decimal,
    },
    /// Too many positions.
    MaxOpenPositions {
        /// Limit.
        max: usize,
    },
    /// Sector would exceed its budget.
    SectorBudget {
        /// Sector.
        sector: String,
        /// Weight after the order.
        weight: Decimal,
        /// Limit.
        max: Decimal,
    },
    /// No price to value a market order or check limits against.
    NoReferencePrice,
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |d: &Decimal| (d * Decimal::ONE_HUNDRED).round_dp(1);
        match self {
            Self::Halted => write!(f, "trading is halted"),
            Self::ReducingOnly => write!(f, "trading is reducing-only: only sells of held shares are allowed"),
            Self::OffTick { price, tick } => write!(f, "price {price} is off the tick grid (tick {tick} won)"),
            Self::OutsideLimits { price, lower, upper } => {
                write!(f, "price {price} is outside today's limits {lower}..={upper}")
            }
            Self::InsufficientHoldings { requested, available } => {
                write!(f, "sell of {requested} shares exceeds the {available} available")
            }
            Self::InsufficientBuyingPower { needed, available } => {
                write!(f, "needs {needed} won but buying power is {available} won")
            }
            Self::MaxOrderNotional { notional, max } => {
                write!(f, "order value {notional} won exceeds the {max} won limit")
            }
            Self::MaxPositionWeight { weight, max } => {
                write!(f, "position would be {}% of equity, limit {}%", pct(weight), pct(max))
            }
            Self::MaxOpenPositions { max } => write!(f, "already at the limit of {max} open positions"),
            Self::SectorBudget { sector, weight, max } => {
                write!(f, "sector {sector} would be {}% of equity, limit {}%", pct(weight), pct(max))
            }
            Self::NoReferencePrice => write!(f, "no reference price for this stock yet"),
        }
    }
}

/// A refused order and the reason.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("order {} refused: {reason}", order.client_id)]
pub struct Refusal {
    /// The order (boxed: refusals travel through `Result`s).
    pub order: Box<Order>,
    /// Why.
    pub reason: RefusalReason,
}
