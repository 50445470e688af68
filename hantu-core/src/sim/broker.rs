//! `SimBroker`: the simulated execution venue of backtests and paper trading.
//!
//! Fill rules (each pinned by a test):
//! - An order never fills in the bar during which it was submitted: a market order fills at
//!   the open of the next bar of its stock, moved against the order by `slippage_ticks` ticks
//!   (but never outside that bar's range).
//! - A limit order fills when a later bar trades through it: a buy when `low <= limit`, at
//!   `min(open, limit)`; a sell when `high >= limit`, at `max(open, limit)`.
//! - At most `participation` (default 10%) of a bar's volume fills, shared by all orders on that
//!   stock in submission order: liquidity is consumed once per bar. The rest stays working.
//! - Day orders expire at the close of the first session they could trade in; IOC orders cancel
//!   what the first bar cannot fill; FOK orders fill entirely in one bar or are cancelled.
//! - Limit prices outside the daily limits are rejected on submission.
//! - Buys are capped at what the account's cash can pay (with commission); sells at holdings.
//! - Commission and tax follow [`FeeModel`] on the fill's trade date.

use std::collections::BTreeMap;

use crate::domain::{
    ClientOrderId, Fill, InstrumentKind, Market, Money, Order, OrderKind, OrderStatus, Price, Qty, Side, StockCode,
    TimeInForce, Timestamp,
};
use crate::krx::{FeeModel, TickTable, price_limits};
use crate::risk::Approved;

/// Realism settings of the simulated venue.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimBrokerConfig {
    /// Commission and tax.
    pub fees: FeeModel,
    /// Largest fraction of a bar's volume that can fill, across all orders (`0 < x <= 1`).
    pub participation: f64,
    /// Ticks of adverse slippage on market orders.
    pub slippage_ticks: u32,
}

impl Default for SimBrokerConfig {
    fn default() -> Self {
        Self { fees: FeeModel::default(), participation: 0.10, slippage_ticks: 0 }
    }
}

/// What happened to an order at the simulated venue.
#[derive(Clone, Debug, PartialEq)]
pub enum SimEvent {
    /// A (partial) fill.
    Fill(Fill),
    /// The order ended without (fully) filling.
    Done {
        /// The order.
        client_id: ClientOrderId,
        /// `Cancelled`, `Expired` or `Rejected`.
        status: OrderStatus,
        /// Why.
        reason: String,
    },
}

#[derive(Clone, Debug)]
struct Working {
    client_id: ClientOrderId,
    broker_id: String,
    code: StockCode,
    side: Side,
    kind: OrderKind,
    tif: TimeInForce,
    remaining: u64,
    submitted: Timestamp,
    /// KST day number of the first session this order could trade in.
    active_day: Option<i64>,
    market: Market,
    instrument_kind: InstrumentKind,
}

/// The simulated venue. Synchronous: the backtest drives it bar by bar.
#[derive(Clone, Debug)]
pub struct SimBroker {
    cfg: SimBrokerConfig,
    working: Vec<Working>,
    cash: Money,
    holdings: BTreeMap<StockCode, u64>,
    seq: u64,
}

impl SimBroker {
    /// A venue for an account holding `cash`.
    #[must_use]
    pub fn new(cfg: SimBrokerConfig, cash: Money) -> Self {
        Self { cfg, working: Vec::new(), cash, holdings: BTreeMap::new(), seq: 0 }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &SimBrokerConfig {
        &self.cfg
    }

    /// Cash as the venue sees it.
    #[must_use]
    pub fn cash(&self) -> Money {
        self.cash
    }

    /// Shares held as the venue sees them.
    #[must_use]
    pub fn holding(&self, code: StockCode) -> u64 {
        self.holdings.get(&code).copied().unwrap_or(0)
    }

    /// Orders still working, as `(client id, broker id, remaining shares)`.
    pub fn working(&self) -> impl Iterator<Item = (&ClientOrderId, &str, u64)> {
        self.working.iter().map(|w| (&w.client_id, w.broker_id.as_str(), w.remaining))
    }

    /// Accepts an order, or rejects it with a reason. `reference` is the base price of the
    /// session the order will trade in (the previous close).
    ///
    /// # Errors
    /// The rejection reason: a limit price outside the daily limits or off the grid.
    pub fn submit(
        &mut self,
        order: &Approved,
        market: Market,
        kind: InstrumentKind,
        reference: Option<Price>,
        now: Timestamp,
    ) -> Result<String, String> {
        let o: &Order = order.order();
        let req = o.request;
        if let (OrderKind::Limit(p), Some(base)) = (req.kind, reference) {
            let date = now.kst_date();
            let (lower, upper) = price_limits(base.won(), date, market, kind);
            if p.won() < lower || p.won() > upper {
                return Err(format!("price {p} is outside the daily limits {lower}..={upper}"));
            }
            let table = TickTable::for_date(date, market, kind);
            if !table.is_on_tick(p.won()) {
                return Err(format!("price {p} is off the tick grid"));
            }
        }
        self.seq += 1;
        let broker_id = format!("{:010}", self.seq);
        self.working.push(Working {
            client_id: o.client_id.clone(),
            broker_id: broker_id.clone(),
            code: req.code,
            side: req.side,
            kind: req.kind,
            tif: req.tif,
            remaining: o.remaining().get(),
            submitted: now,
            active_day: None,
            market,
            instrument_kind: kind,
        });
        Ok(broker_id)
    }

    /// Cancels a working order; returns the `Done` event, or `None` if it is not working.
    pub fn cancel(&mut self, client_id: &ClientOrderId, reason: &str) -> Option<SimEvent> {
        let i = self.working.iter().position(|w| &w.client_id == client_id)?;
        let w = self.working.remove(i);
        Some(SimEvent::Done { client_id: w.client_id, status: OrderStatus::Cancelled, reason: reason.to_owned() })
    }

    /// Matches working orders of `bar.code` against `bar`, appending events to `out`.
    #[inline]
    pub fn on_bar(&mut self, bar: &crate::domain::Bar, out: &mut Vec<SimEvent>) {
        if self.working.is_empty() {
            return;
        }
        self.match_bar(bar, out);
    }

    fn match_bar(&mut self, bar: &crate::domain::Bar, out: &mut Vec<SimEvent>) {
        let day = bar.ts.kst_day_number();
        let mut liquidity = (bar.volume as f64 * self.cfg.participation).floor() as u64;
        let mut i = 0;
        while i < self.working.len() {
            let w = &mut self.working[i];
            if w.code != bar.code || w.submitted >= bar.ts {
                i += 1;
                continue;
            }
            if w.active_day.is_some_and(|d| d < day) && w.tif == TimeInForce::Day {
                let w = self.working.remove(i);
                out.push(SimEvent::Done {
                    client_id: w.client_id,
                    status: OrderStatus::Expired,
                    reason: "day order expired at the close".into(),
                });
                continue;
            }
            w.active_day.get_or_insert(day);
            let price = match (w.kind, w.side) {
                (OrderKind::Market, side) => {
                    Some(slipped_open(bar, side, self.cfg.slippage_ticks, w.market, w.instrument_kind))
                }
                (OrderKind::Limit(l), side) => limit_fill_in_bar(l, side, bar),
            };
            let mut qty = match price {
                Some(_) => w.remaining.min(liquidity),
                None => 0,
            };
            let mut cap_reason = None;
            if let Some(p) = price {
                match w.side {
                    Side::Buy => {
                        let affordable = affordable_qty(self.cash, p, &self.cfg.fees);
                        if affordable < qty {
                            qty = affordable;
                            cap_reason = Some("insufficient cash at fill");
                        }
                    }
                    Side::Sell => {
                        let held = self.holdings.get(&w.code).copied().unwrap_or(0);
                        if held < qty {
                            qty = held;
                            cap_reason = Some("insufficient holdings at fill");
                        }
                    }
                }
            }
            if w.tif == TimeInForce::Fok && qty < w.remaining {
                let w = self.working.remove(i);
                out.push(SimEvent::Done {
                    client_id: w.client_id,
                    status: OrderStatus::Cancelled,
                    reason: format!("fill-or-kill: only {qty} of {} shares could fill", w.remaining),
                });
                continue;
            }
            if let (Some(p), true) = (price, qty > 0) {
                liquidity -= qty;
                w.remaining -= qty;
                let notional = p.notional(Qty::from_shares(qty));
                let date = bar.ts.kst_date();
                let fill = Fill {
                    client_id: w.client_id.clone(),
                    code: w.code,
                    side: w.side,
                    qty: Qty::from_shares(qty),
                    price: p,
                    commission: self.cfg.fees.commission(notional),
                    tax: self.cfg.fees.tax(w.side, notional, date, w.market, w.instrument_kind),
                    ts: bar.ts,
                };
                self.cash += fill.cash_flow();
                let h = self.holdings.entry(w.code).or_insert(0);
                match w.side {
                    Side::Buy => *h += qty,
                    Side::Sell => *h -= qty,
                }
                out.push(SimEvent::Fill(fill));
            }
            let w = &self.working[i];
            let done_reason = if w.remaining == 0 {
                None
            } else if let Some(r) = cap_reason {
                Some(r.to_owned())
            } else if w.tif == TimeInForce::Ioc {
                Some(format!("immediate-or-cancel: {} shares unfilled", w.remaining))
            } else {
                i += 1;
                continue;
            };
            let w = self.working.remove(i);
            if let Some(reason) = done_reason {
                out.push(SimEvent::Done { client_id: w.client_id, status: OrderStatus::Cancelled, reason });
            }
        }
    }

    /// Ends the trading day `day` (KST day number): day orders that could trade today expire.
    pub fn end_of_day(&mut self, day: i64, out: &mut Vec<SimEvent>) {
        if self.working.is_empty() {
            return;
        }
        self.working.retain(|w| {
            let expire = w.tif == TimeInForce::Day && w.active_day.is_some_and(|d| d <= day);
            if expire {
                out.push(SimEvent::Done {
                    client_id: w.client_id.clone(),
                    status: OrderStatus::Expired,
                    reason: "day order expired at the close".into(),
                });
            }
            !expire
        });
    }
}

fn slipped_open(bar: &crate::domain::Bar, side: Side, ticks: u32, market: Market, kind: InstrumentKind) -> Price {
    if ticks == 0 {
        return bar.open;
    }
    let table = TickTable::for_date(bar.ts.kst_date(), market, kind);
    let n = i64::from(ticks) * side.sign();
    let p = table.offset(bar.open.won(), n).clamp(bar.low.won(), bar.high.won());
    Price::new_checked(p).unwrap_or(bar.open)
}

/// The price at which a limit order at `limit` fills in `bar`, if the bar trades through it:
/// a buy when `low <= limit`, at `min(open, limit)`; a sell when `high >= limit`, at
/// `max(open, limit)`.
pub(crate) fn limit_fill_in_bar(limit: Price, side: Side, bar: &crate::domain::Bar) -> Option<Price> {
    match side {
        Side::Buy => (bar.low <= limit).then(|| bar.open.min(limit)),
        Side::Sell => (bar.high >= limit).then(|| bar.open.max(limit)),
    }
}

/// Most shares `cash` buys at `price` with commission.
fn affordable_qty(cash: Money, price: Price, fees: &FeeModel) -> u64 {
    let won = cash.to_won();
    if won <= 0 {
        return 0;
    }
    let mut q = (won / price.won()) as u64;
    while q > 0 {
        let n = price.notional(Qty::from_shares(q));
        if Money::from_won(n) + fees.commission(n) <= cash {
            break;
        }
        q -= 1;
    }
    q
}

#[cfg(test)]
mod tests;
