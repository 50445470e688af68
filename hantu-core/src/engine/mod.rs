//! The engine: one event loop for backtest, paper and live.
//!
//! ```text
//! bar ─► mark portfolio ─► Strategy::on_bar ─► commands ─► journal ─► RiskManager ─► outbox (to a broker)
//! fill ─► order + portfolio ─► Strategy::on_fill / on_order_update ─► commands ─► ...
//! ```
//! The engine is synchronous and owns no broker: a runner feeds it events and carries its
//! outbox to a broker — [`crate::backtest`] does it bar by bar with the simulated venue,
//! [`run_live`](crate::engine::LiveRunner) with an async [`crate::broker::Broker`].
//! In steady state (no orders) processing a bar allocates nothing.

mod instruments;
mod live;

pub use instruments::{CodeHasher, CodeMap, InstrumentInfo, Instruments};
pub use live::{Hook, HookPoint, LiveEvent, LiveRunner};

use std::sync::Arc;

use crate::domain::{
    Bar, ClientOrderId, Fill, Instrument, Money, Order, OrderKind, OrderStatus, Portfolio, Side, Tick, Timestamp,
};
use crate::krx::{FeeModel, KrxCalendar, SETTLEMENT_DAYS};
use crate::risk::{Approved, InstrumentRisk, RiskLimits, RiskManager, RiskView, TradingState};
use crate::store::Store;
use crate::strategy::{Command, Context, Strategy};

/// Engine settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Starting cash.
    pub cash: Money,
    /// Fees used to reserve cash for buys (the venue charges its own).
    pub fees: FeeModel,
    /// Risk limits.
    pub limits: RiskLimits,
    /// Prefix of client order ids (`<prefix>-<n>`); make it unique per run when sharing a store.
    pub id_prefix: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            cash: Money::from_won(100_000_000),
            fees: FeeModel::default(),
            limits: RiskLimits::unlimited(),
            id_prefix: "o".into(),
        }
    }
}

/// A message from the engine to a broker.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// Place this approved order.
    Place(Approved),
    /// Cancel this order.
    Cancel(ClientOrderId),
}

/// One point of the equity curve (end of a trading day).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EquityPoint {
    /// When (the day's last event).
    pub ts: Timestamp,
    /// Cash plus positions.
    pub equity: Money,
    /// Market value of positions (won).
    pub market_value: i64,
}

impl EquityPoint {
    /// Cash: equity less the positions' value.
    #[must_use]
    pub fn cash(&self) -> Money {
        self.equity - Money::from_won(self.market_value)
    }
}

/// Callbacks of a strategy may submit orders, which may be refused and reported back, which may
/// submit more: this bounds that chain per event.
const MAX_COMMAND_ROUNDS: usize = 64;

/// The engine's state and event handlers.
pub struct Engine {
    portfolio: Portfolio,
    risk: RiskManager,
    fees: FeeModel,
    instruments: Instruments,
    open: Vec<Order>,
    reserved: Vec<Money>,
    finished: Vec<Order>,
    fills: Vec<Fill>,
    commands: Vec<Command>,
    outbox: Vec<Outgoing>,
    equity: Vec<EquityPoint>,
    seq: u64,
    prefix: String,
    now: Timestamp,
    store: Option<Arc<dyn Store>>,
    check_loss: bool,
    /// KST day number of the next settlement (`i64::MAX` when none), so a day end costs one
    /// comparison instead of a calendar conversion.
    settle_due: i64,
    settle_cache: (i64, chrono::NaiveDate),
    commission_paid: Money,
    tax_paid: Money,
}

impl Engine {
    /// A new engine.
    ///
    /// # Errors
    /// If the risk limits are invalid or the cash is negative.
    pub fn new(cfg: EngineConfig) -> crate::Result<Self> {
        cfg.limits.validate()?;
        if cfg.cash.is_negative() {
            return Err(crate::Error::config("cash", "must not be negative"));
        }
        // Room for the prefix, '-' and any u64 sequence number.
        if cfg.id_prefix.len() + 21 > crate::domain::ClientOrderId::MAX_LEN {
            return Err(crate::Error::config("id_prefix", "must be at most 19 characters"));
        }
        crate::domain::ClientOrderId::new_checked(&format!("{}-1", cfg.id_prefix))
            .map_err(|e| crate::Error::config("id_prefix", e.to_string()))?;
        Ok(Self {
            portfolio: Portfolio::new(cfg.cash),
            check_loss: cfg.limits.daily_loss_limit.is_some(),
            risk: RiskManager::new(cfg.limits),
            fees: cfg.fees,
            instruments: Instruments::new(),
            open: Vec::new(),
            reserved: Vec::new(),
            finished: Vec::new(),
            fills: Vec::new(),
            commands: Vec::new(),
            outbox: Vec::new(),
            equity: Vec::new(),
            seq: 0,
            prefix: cfg.id_prefix,
            now: Timestamp::default(),
            store: None,
            settle_due: i64::MAX,
            settle_cache: (i64::MIN, chrono::NaiveDate::MIN),
            commission_paid: Money::ZERO,
            tax_paid: Money::ZERO,
        })
    }

    /// Journals every order to `store` before it leaves the engine, and records each change.
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Registers instruments (market, kind, sector) so tick tables, limits, tax and sector
    /// budgets are right. Unknown stocks are treated as KOSPI stocks without a sector.
    pub fn add_instruments(&mut self, list: &[Instrument]) {
        for i in list {
            self.instruments.insert(i);
        }
    }

    /// Sets the previous close of `code` (the base of today's price limits and the reference of
    /// market buys) for the day of `now`.
    pub fn set_prev_close(&mut self, code: crate::domain::StockCode, prev_close: crate::domain::Price, now: Timestamp) {
        self.instruments.set_prev_close(code, prev_close, now);
    }

    /// Takes the run's records out of the engine: (finished then open orders, fills, equity curve).
    #[must_use]
    pub fn into_records(self) -> (Vec<Order>, Vec<Fill>, Vec<EquityPoint>) {
        let mut orders = self.finished;
        orders.extend(self.open);
        (orders, self.fills, self.equity)
    }

    /// Reserves room for `days` points of the equity curve (avoids regrowing it in long runs).
    pub fn reserve_days(&mut self, days: usize) {
        self.equity.reserve(days);
    }

    /// Continues the order numbering after `seq` (after a restart, from the journal).
    pub fn set_order_seq(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// Replaces the portfolio (a restart adopts the broker's cash and holdings). Working orders keep
    /// their reservations, which are taken from the new portfolio.
    pub fn replace_portfolio(&mut self, portfolio: Portfolio) {
        self.portfolio = portfolio;
        let held: Money = self.reserved.iter().copied().sum();
        self.portfolio.reserve(held);
    }

    /// Adopts a working order from the journal after a restart: it is tracked (and its cash reserved)
    /// as if this engine had placed it, and it is not sent again.
    ///
    /// # Errors
    /// If the order is not open or its client id is already tracked.
    pub fn adopt_open_order(&mut self, order: Order) -> crate::Result<()> {
        if !order.status.is_open() || self.open.iter().any(|o| o.client_id == order.client_id) {
            return Err(crate::Error::from(crate::domain::ValidationError::Order(format!(
                "cannot adopt order {} ({})",
                order.client_id,
                order.status.as_str()
            ))));
        }
        self.now = self.now.max(order.updated);
        let reservation = self.reservation(&order);
        self.portfolio.reserve(reservation);
        self.open.push(order);
        self.reserved.push(reservation);
        Ok(())
    }

    /// Sets the engine's clock forward to `now` (a timer tick without a market event).
    pub fn advance(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    /// The portfolio.
    #[must_use]
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// Orders still working.
    #[must_use]
    pub fn open_orders(&self) -> &[Order] {
        &self.open
    }

    /// Orders that ended, in the order they ended.
    #[must_use]
    pub fn finished_orders(&self) -> &[Order] {
        &self.finished
    }

    /// All fills, in order.
    #[must_use]
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }

    /// The equity curve, one point per trading day.
    #[must_use]
    pub fn equity_curve(&self) -> &[EquityPoint] {
        &self.equity
    }

    /// Commission and tax paid so far.
    #[must_use]
    pub fn costs_paid(&self) -> (Money, Money) {
        (self.commission_paid, self.tax_paid)
    }

    /// The fee model used for reservations and reconciled fills.
    #[must_use]
    pub fn fees(&self) -> &FeeModel {
        &self.fees
    }

    /// The engine's clock (time of the last event).
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The instrument table.
    #[must_use]
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// The trading state.
    #[must_use]
    pub fn trading_state(&self) -> TradingState {
        self.risk.state()
    }

    /// Sets the trading state (operator command or emergency stop).
    pub fn set_trading_state(&mut self, state: TradingState) {
        self.risk.set_state(state);
    }

    /// Takes the messages for the broker produced since the last call.
    pub fn drain_outbox(&mut self) -> std::vec::Drain<'_, Outgoing> {
        self.outbox.drain(..)
    }

    /// Whether messages wait in the outbox.
    #[must_use]
    pub fn has_outgoing(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Starts a run: calls `on_start`.
    ///
    /// # Errors
    /// If journaling an order the strategy submitted fails.
    pub fn start(&mut self, strategy: &mut dyn Strategy, now: Timestamp) -> crate::Result<()> {
        self.now = now;
        let mut ctx = self.context();
        strategy.on_start(&mut ctx);
        self.process_commands(strategy)
    }

    /// Handles a bar: marks the portfolio, calls `on_bar`, checks and routes orders.
    ///
    /// # Errors
    /// If journaling fails (the order is then not sent).
    #[inline]
    pub fn on_bar(&mut self, strategy: &mut dyn Strategy, bar: &Bar) -> crate::Result<()> {
        self.now = bar.ts;
        self.instruments.observe(bar);
        self.portfolio.mark(bar.code, bar.close);
        if self.check_loss && self.portfolio.market_value() != 0 {
            self.risk.on_equity(bar.ts, self.portfolio.equity());
        }
        let mut ctx = self.context();
        strategy.on_bar(&mut ctx, bar);
        if self.commands.is_empty() { Ok(()) } else { self.process_commands(strategy) }
    }

    /// Handles a trade print: marks the portfolio and calls `on_tick`.
    ///
    /// # Errors
    /// If journaling fails.
    pub fn on_tick(&mut self, strategy: &mut dyn Strategy, tick: &Tick) -> crate::Result<()> {
        self.now = tick.ts;
        self.portfolio.mark(tick.code, tick.price);
        let mut ctx = self.context();
        strategy.on_tick(&mut ctx, tick);
        self.process_commands(strategy)
    }

    /// Books a fill from the broker.
    ///
    /// # Errors
    /// If the fill is for an unknown order, overfills it, or sells more than held.
    pub fn on_fill(&mut self, strategy: &mut dyn Strategy, fill: Fill) -> crate::Result<()> {
        self.now = self.now.max(fill.ts);
        let i = self.open_index(&fill.client_id)?;
        self.open[i].apply_fill(fill.qty, fill.price, fill.ts)?;
        let settles = self.settlement_date(fill.ts);
        self.portfolio.apply_fill(&fill, settles)?;
        self.refresh_settle_due();
        self.commission_paid += fill.commission;
        self.tax_paid += fill.tax;
        let new_reservation = self.reservation(&self.open[i]);
        self.portfolio.release(self.reserved[i] - new_reservation);
        self.reserved[i] = new_reservation;
        if let Some(store) = &self.store {
            store.record_fill(&fill)?;
            store.update_order(&self.open[i])?;
        }
        let done = !self.open[i].status.is_open();
        if done {
            self.close_order(i);
        }
        // The order is lent to the callback where it lives (working or finished): no clone.
        let order = if done { self.finished.last() } else { self.open.get(i) };
        let mut ctx =
            Context::new(self.now, &self.portfolio, &self.open, &mut self.commands, &mut self.seq, &self.prefix);
        strategy.on_fill(&mut ctx, &fill);
        if let Some(order) = order {
            strategy.on_order_update(&mut ctx, order);
        }
        self.fills.push(fill);
        self.process_commands(strategy)
    }

    /// Records a broker's news about an order: accepted (with its order number), cancelled,
    /// expired or rejected (with the broker's reason).
    ///
    /// # Errors
    /// If the order is unknown or the transition is illegal.
    pub fn on_order_status(
        &mut self,
        strategy: &mut dyn Strategy,
        client_id: &ClientOrderId,
        status: OrderStatus,
        broker_id: Option<String>,
        reason: Option<String>,
        ts: Timestamp,
    ) -> crate::Result<()> {
        self.now = self.now.max(ts);
        let i = self.open_index(client_id)?;
        if status != self.open[i].status {
            self.open[i].transition(status, ts)?;
        }
        if broker_id.is_some() {
            self.open[i].broker_id = broker_id;
        }
        if reason.is_some() {
            self.open[i].reason = reason;
        }
        if let Some(store) = &self.store {
            store.update_order(&self.open[i])?;
        }
        if !status.is_open() {
            self.close_order(i);
        }
        let order = if status.is_open() { self.open.get(i) } else { self.finished.last() };
        let mut ctx =
            Context::new(self.now, &self.portfolio, &self.open, &mut self.commands, &mut self.seq, &self.prefix);
        if let Some(order) = order {
            strategy.on_order_update(&mut ctx, order);
        }
        if self.commands.is_empty() { Ok(()) } else { self.process_commands(strategy) }
    }

    /// Ends a trading day: settles sale proceeds due, records equity, calls `on_day_end`.
    ///
    /// # Errors
    /// If journaling an order submitted in `on_day_end` fails.
    pub fn end_of_day(&mut self, strategy: &mut dyn Strategy, ts: Timestamp) -> crate::Result<()> {
        self.now = self.now.max(ts);
        if ts.kst_day_number() >= self.settle_due {
            self.portfolio.settle(ts.kst_date());
            self.refresh_settle_due();
        }
        let equity = self.portfolio.equity();
        if self.check_loss {
            self.risk.on_equity(ts, equity);
        }
        self.equity.push(EquityPoint { ts, equity, market_value: self.portfolio.market_value() });
        let mut ctx = self.context();
        strategy.on_day_end(&mut ctx);
        if self.commands.is_empty() { Ok(()) } else { self.process_commands(strategy) }
    }

    /// Runs an operator's action (flatten, force exit, a timer's exit) with the strategy's context:
    /// orders it submits are journaled, checked by risk and routed like the strategy's own, and
    /// refusals are reported to the strategy.
    ///
    /// # Errors
    /// If journaling fails.
    pub fn act(&mut self, strategy: &mut dyn Strategy, f: impl FnOnce(&mut Context<'_>)) -> crate::Result<()> {
        let mut ctx = self.context();
        f(&mut ctx);
        self.process_commands(strategy)
    }

    /// Ends the run: calls `on_stop`. Orders it submits are still checked and routed.
    ///
    /// # Errors
    /// If journaling fails.
    pub fn stop(&mut self, strategy: &mut dyn Strategy) -> crate::Result<()> {
        let mut ctx = self.context();
        strategy.on_stop(&mut ctx);
        self.process_commands(strategy)
    }

    /// T+2 of the fill's trade date, cached per trading day (fills come in runs on one day).
    fn settlement_date(&mut self, ts: Timestamp) -> chrono::NaiveDate {
        let day = ts.kst_day_number();
        if self.settle_cache.0 != day {
            self.settle_cache = (day, KrxCalendar::add_trading_days(ts.kst_date(), SETTLEMENT_DAYS));
        }
        self.settle_cache.1
    }

    fn refresh_settle_due(&mut self) {
        self.settle_due =
            self.portfolio.next_settlement().map_or(i64::MAX, |d| Timestamp::daily_close(d).kst_day_number());
    }

    fn context(&mut self) -> Context<'_> {
        Context::new(self.now, &self.portfolio, &self.open, &mut self.commands, &mut self.seq, &self.prefix)
    }

    fn open_index(&self, client_id: &ClientOrderId) -> crate::Result<usize> {
        self.open.iter().position(|o| &o.client_id == client_id).ok_or_else(|| {
            crate::Error::from(crate::domain::ValidationError::Order(format!("no working order {client_id}")))
        })
    }

    fn close_order(&mut self, i: usize) {
        let order = self.open.remove(i);
        self.portfolio.release(self.reserved.remove(i));
        self.finished.push(order);
    }

    /// Cash an order needs held back: its remaining shares at the limit (or reference) price,
    /// with commission. Sells hold nothing back.
    fn reservation(&self, o: &Order) -> Money {
        if o.request.side == Side::Sell || !o.status.is_open() {
            return Money::ZERO;
        }
        let price = match o.request.kind {
            OrderKind::Limit(p) => Some(p),
            OrderKind::Market => self.instruments.reference(o.request.code, self.now),
        };
        price.map_or(Money::ZERO, |p| {
            let n = p.notional(o.remaining());
            Money::from_won(n) + self.fees.commission(n)
        })
    }

    fn process_commands(&mut self, strategy: &mut dyn Strategy) -> crate::Result<()> {
        for _ in 0..MAX_COMMAND_ROUNDS {
            if self.commands.is_empty() {
                return Ok(());
            }
            let commands = std::mem::take(&mut self.commands);
            let mut refused = Vec::new();
            for cmd in commands {
                match cmd {
                    Command::Submit { client_id, request } => {
                        if let Some(order) = self.submit(client_id, request)? {
                            refused.push(order);
                        }
                    }
                    Command::Cancel(id) => {
                        if self.open.iter().any(|o| o.client_id == id) {
                            self.outbox.push(Outgoing::Cancel(id));
                        }
                    }
                }
            }
            for order in refused {
                let mut ctx = self.context();
                strategy.on_order_update(&mut ctx, &order);
            }
        }
        tracing::warn!(rounds = MAX_COMMAND_ROUNDS, "Strategy kept submitting orders from order updates; stopped");
        self.commands.clear();
        Ok(())
    }

    /// Journals, checks and routes one order. Returns the order when risk refused it.
    fn submit(
        &mut self,
        client_id: ClientOrderId,
        request: crate::domain::OrderRequest,
    ) -> crate::Result<Option<Order>> {
        let order = Order::new(client_id, request, self.now);
        if let Some(store) = &self.store {
            store.journal_order(&order)?;
        }
        let code = request.code;
        let info = self.instruments.get(code);
        let sector_of = |c| self.instruments.sector(c);
        let view = RiskView {
            now: self.now,
            portfolio: &self.portfolio,
            open_orders: &self.open,
            instrument: InstrumentRisk {
                market: info.map_or(crate::domain::Market::Kospi, |i| i.market),
                kind: info.map_or(crate::domain::InstrumentKind::of_code(code), |i| i.kind),
                sector: info.and_then(|i| i.sector.as_deref()),
                reference: self.instruments.reference(code, self.now),
            },
            sector_of: &sector_of,
            fees: &self.fees,
        };
        match self.risk.check(order, &view) {
            Ok(approved) => {
                let reservation = self.reservation(approved.order());
                self.portfolio.reserve(reservation);
                self.open.push(approved.order().clone());
                self.reserved.push(reservation);
                self.outbox.push(Outgoing::Place(approved));
                Ok(None)
            }
            Err(refusal) => {
                let mut order = *refusal.order;
                order.status = OrderStatus::Rejected;
                order.reason = Some(refusal.reason.to_string());
                tracing::debug!(client_id = %order.client_id, reason = %refusal.reason, "Order refused by risk");
                if let Some(store) = &self.store {
                    store.update_order(&order)?;
                }
                self.finished.push(order.clone());
                Ok(Some(order))
            }
        }
    }
}

#[cfg(test)]
mod tests;
