//! Pre-trade risk. Only orders the [`RiskManager`] approves reach a broker: [`Approved`] can
//! only be made here, and [`crate::broker::Broker::place`] takes nothing else.
//!
//! Checks, in order: trading state (Active / Reducing / Halted), tick grid and daily price
//! limits, holdings for sells, buying power for buys, max order notional, max position weight,
//! max open positions, per-sector budget. The daily loss limit moves the state to Halted for the
//! rest of the day. Every refusal carries a reason a person can read.

mod limits;
mod refusal;

pub use limits::{RiskLimits, TradingState};
pub use refusal::{Refusal, RefusalReason};

use rust_decimal::Decimal;

use crate::domain::{InstrumentKind, Market, Money, Order, OrderKind, Portfolio, Price, Side, StockCode, Timestamp};
use crate::krx::{FeeModel, TickTable, price_limits};

/// An order the risk manager approved; only these reach a broker.
#[derive(Clone, Debug, PartialEq)]
pub struct Approved(Order);

impl Approved {
    /// The approved order.
    #[must_use]
    pub fn order(&self) -> &Order {
        &self.0
    }

    /// Unwraps the order.
    #[must_use]
    pub fn into_order(self) -> Order {
        self.0
    }

    /// Approves without checks, for unit tests of brokers.
    #[cfg(test)]
    pub(crate) fn unchecked(order: Order) -> Self {
        Self(order)
    }
}

/// What the risk manager knows about the stock of an order.
#[derive(Clone, Copy, Debug)]
pub struct InstrumentRisk<'a> {
    /// Market (for tick and limit tables).
    pub market: Market,
    /// Kind (ETF ticks differ).
    pub kind: InstrumentKind,
    /// Sector, for sector budgets.
    pub sector: Option<&'a str>,
    /// Base price of the session the order will trade in (normally the previous close);
    /// `None` when unknown (then price-limit checks are impossible and market buys are refused).
    pub reference: Option<Price>,
}

/// The state an order is checked against.
pub struct RiskView<'a> {
    /// When.
    pub now: Timestamp,
    /// The account.
    pub portfolio: &'a Portfolio,
    /// Orders already working (their shares and cash count against the limits).
    pub open_orders: &'a [Order],
    /// The order's stock.
    pub instrument: InstrumentRisk<'a>,
    /// Sector of any held stock (for sector budgets).
    pub sector_of: &'a dyn Fn(StockCode) -> Option<&'a str>,
    /// Fees (for the cash an order needs).
    pub fees: &'a FeeModel,
}

/// Checks orders against limits and the account, and tracks the trading state.
#[derive(Clone, Debug)]
pub struct RiskManager {
    limits: RiskLimits,
    state: TradingState,
    /// Set when the daily loss limit halted trading; cleared on the next day.
    loss_halt_day: Option<i64>,
    day: i64,
    day_start_equity: Money,
}

impl RiskManager {
    /// A manager with these limits, trading Active.
    #[must_use]
    pub fn new(limits: RiskLimits) -> Self {
        Self { limits, state: TradingState::Active, loss_halt_day: None, day: i64::MIN, day_start_equity: Money::ZERO }
    }

    /// The limits.
    #[must_use]
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// The trading state.
    #[must_use]
    pub fn state(&self) -> TradingState {
        self.state
    }

    /// Sets the trading state (operator command, emergency stop).
    pub fn set_state(&mut self, state: TradingState) {
        self.state = state;
        if state == TradingState::Active {
            self.loss_halt_day = None;
        }
    }

    /// Feeds the account equity; starts a new day's loss budget when the day changes, and halts
    /// trading when the day's loss exceeds the limit. Returns true when this call halted trading.
    pub fn on_equity(&mut self, now: Timestamp, equity: Money) -> bool {
        let day = now.kst_day_number();
        if day != self.day {
            self.day = day;
            self.day_start_equity = equity;
            if self.loss_halt_day.is_some_and(|d| d < day) {
                self.loss_halt_day = None;
                self.state = TradingState::Active;
            }
        }
        let Some(limit) = self.limits.daily_loss_limit else { return false };
        if self.state == TradingState::Halted || self.day_start_equity.get() <= Decimal::ZERO {
            return false;
        }
        let floor = self.day_start_equity.get() * (Decimal::ONE - limit);
        if equity.get() < floor {
            self.state = TradingState::Halted;
            self.loss_halt_day = Some(day);
            tracing::warn!(equity = %equity, start = %self.day_start_equity, "Daily loss limit reached, trading halted");
            return true;
        }
        false
    }

    /// Approves `order` or says why not.
    ///
    /// # Errors
    /// A [`Refusal`] naming the rule that failed.
    pub fn check(&self, order: Order, view: &RiskView<'_>) -> Result<Approved, Refusal> {
        match self.reason(&order, view) {
            None => Ok(Approved(order)),
            Some(reason) => Err(Refusal { order: Box::new(order), reason }),
        }
    }

    fn reason(&self, order: &Order, v: &RiskView<'_>) -> Option<RefusalReason> {
        let req = &order.request;
        let pf = v.portfolio;
        let held = pf.qty(req.code);
        let pending_sells: u64 = v
            .open_orders
            .iter()
            .filter(|o| o.request.code == req.code && o.request.side == Side::Sell)
            .map(|o| o.remaining().get())
            .sum();
        match self.state {
            TradingState::Halted => return Some(RefusalReason::Halted),
            TradingState::Reducing if req.side == Side::Buy => return Some(RefusalReason::ReducingOnly),
            _ => {}
        }
        let date = v.now.kst_date();
        let table = TickTable::for_date(date, v.instrument.market, v.instrument.kind);
        if let OrderKind::Limit(p) = req.kind {
            if !table.is_on_tick(p.won()) {
                return Some(RefusalReason::OffTick { price: p.won(), tick: table.tick(p.won()) });
            }
            if let Some(base) = v.instrument.reference {
                let (lower, upper) = price_limits(base.won(), date, v.instrument.market, v.instrument.kind);
                if p.won() < lower || p.won() > upper {
                    return Some(RefusalReason::OutsideLimits { price: p.won(), lower, upper });
                }
            }
        }
        if req.side == Side::Sell {
            let available = held.saturating_sub(pending_sells);
            if req.qty.get() > available {
                return Some(RefusalReason::InsufficientHoldings { requested: req.qty.get(), available });
            }
            // Sells only shrink exposure; the remaining limits are about adding risk.
            return None;
        }
        let Some(price) = req.kind.limit_price().or(v.instrument.reference) else {
            return Some(RefusalReason::NoReferencePrice);
        };
        let notional = price.notional(req.qty);
        let needed = Money::from_won(notional) + v.fees.commission(notional);
        if needed > pf.buying_power() {
            return Some(RefusalReason::InsufficientBuyingPower { needed, available: pf.buying_power() });
        }
        if let Some(max) = self.limits.max_order_notional {
            if Money::from_won(notional) > max {
                return Some(RefusalReason::MaxOrderNotional { notional: Money::from_won(notional), max });
            }
        }
        let equity = pf.equity().get();
        let pending_buys = |code: Option<StockCode>| -> i64 {
            v.open_orders
                .iter()
                .filter(|o| o.request.side == Side::Buy && code.is_none_or(|c| o.request.code == c))
                .map(|o| {
                    o.request.kind.limit_price().or(v.instrument.reference).map_or(0, |p| p.notional(o.remaining()))
                })
                .sum()
        };
        if let Some(max) = self.limits.max_position_weight {
            let current = pf.position(req.code).map_or(0, |p| p.market_value());
            let after = Decimal::from(current + pending_buys(Some(req.code)) + notional);
            if equity > Decimal::ZERO && after > equity * max {
                return Some(RefusalReason::MaxPositionWeight { weight: after / equity, max });
            }
        }
        if let Some(max) = self.limits.max_open_positions {
            let is_new =
                held == 0 && !v.open_orders.iter().any(|o| o.request.code == req.code && o.request.side == Side::Buy);
            if is_new {
                let mut codes: Vec<StockCode> = pf.positions().map(|p| p.code).collect();
                codes.extend(v.open_orders.iter().filter(|o| o.request.side == Side::Buy).map(|o| o.request.code));
                codes.sort_unstable();
                codes.dedup();
                if codes.len() >= max {
                    return Some(RefusalReason::MaxOpenPositions { max });
                }
            }
        }
        if let (Some(max), Some(sector)) = (self.limits.max_sector_weight, v.instrument.sector) {
            let in_sector: i64 = pf
                .positions()
                .filter(|p| (v.sector_of)(p.code) == Some(sector))
                .map(crate::domain::Position::market_value)
                .sum();
            let after = Decimal::from(in_sector + notional);
            if equity > Decimal::ZERO && after > equity * max {
                return Some(RefusalReason::SectorBudget { sector: sector.to_owned(), weight: after / equity, max });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
