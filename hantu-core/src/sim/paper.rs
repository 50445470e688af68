//! `PaperBroker`: a [`Broker`] that trades on paper against the prices the caller feeds it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::broker::limit_fill_in_bar;
use crate::broker::{Balance, Broker, BrokerError, BrokerFill, BrokerOrder, BrokerPosition, PlaceAck};
use crate::clock::{Clock, LiveClock};
use crate::domain::{
    Bar, Fill, InstrumentKind, Market, Money, Order, OrderKind, OrderStatus, Price, Qty, Side, StockCode, TimeInForce,
    Timestamp, ValidationError,
};
use crate::krx::{FeeModel, TickTable, price_limits};
use crate::risk::Approved;

/// The last price fed for a stock.
#[derive(Clone, Copy, Debug)]
struct Mark {
    last: Price,
    ts: Timestamp,
    /// Base price of the session of `ts` (the last price of an earlier day), when known.
    base: Option<Price>,
}

impl Mark {
    /// Base price of the session on `date`, when known.
    fn base_on(&self, date: NaiveDate) -> Option<Price> {
        let day = self.ts.kst_date();
        if day < date {
            Some(self.last)
        } else if day == date {
            self.base
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Holding {
    qty: u64,
    /// Purchase amount of the shares held, in won, without fees (KIS's 매입금액).
    cost: i64,
}

#[derive(Clone, Debug)]
struct PaperOrder {
    order: Order,
    market: Market,
    kind: InstrumentKind,
}

impl PaperOrder {
    fn broker_id(&self) -> &str {
        self.order.broker_id.as_deref().unwrap_or_default()
    }

    fn to_broker_order(&self) -> BrokerOrder {
        let o = &self.order;
        BrokerOrder {
            broker_id: self.broker_id().to_owned(),
            client_id: Some(o.client_id.clone()),
            code: o.request.code,
            side: o.request.side,
            kind: o.request.kind,
            qty: o.request.qty,
            filled_qty: o.filled_qty,
            avg_price: o.avg_fill_price(),
            status: o.status,
            ts: o.created,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    cash: Money,
    holdings: BTreeMap<StockCode, Holding>,
    marks: BTreeMap<StockCode, Mark>,
    instruments: BTreeMap<StockCode, (Market, InstrumentKind)>,
    orders: Vec<PaperOrder>,
    fills: Vec<BrokerFill>,
    seq: u64,
}

impl State {
    fn instrument(&self, code: StockCode) -> (Market, InstrumentKind) {
        self.instruments.get(&code).copied().unwrap_or((Market::Kospi, InstrumentKind::of_code(code)))
    }

    /// Expires the day orders placed before the KST date of `ts`.
    fn roll(&mut self, ts: Timestamp) {
        let date = ts.kst_date();
        for p in &mut self.orders {
            let o = &mut p.order;
            if o.status.is_open()
                && o.request.tif == TimeInForce::Day
                && o.created.kst_date() < date
                && o.transition(OrderStatus::Expired, ts).is_ok()
            {
                o.reason = Some("day order expired at the close".into());
            }
        }
    }

    /// Cash not set aside for working buys.
    fn orderable(&self, fees: &FeeModel) -> Money {
        let reserved: Money = self
            .orders
            .iter()
            .filter(|p| p.order.status.is_open() && p.order.request.side == Side::Buy)
            .filter_map(|p| p.order.request.kind.limit_price().map(|l| buy_need(l.won(), p.order.remaining(), fees)))
            .sum();
        self.cash - reserved
    }

    /// Shares of `code` not set aside for working sells.
    fn sellable(&self, code: StockCode) -> u64 {
        let held = self.holdings.get(&code).map_or(0, |h| h.qty);
        let selling: u64 = self
            .orders
            .iter()
            .filter(|p| p.order.status.is_open() && p.order.request.side == Side::Sell && p.order.request.code == code)
            .map(|p| p.order.remaining().get())
            .sum();
        held.saturating_sub(selling)
    }

    /// Fills the rest of order `i` at `price`, moving cash and holdings.
    fn execute(&mut self, i: usize, price: Price, ts: Timestamp, fees: &FeeModel) -> crate::Result<BrokerFill> {
        let p = &mut self.orders[i];
        let req = p.order.request;
        let qty = p.order.remaining();
        let notional = price.notional(qty);
        let fill = Fill {
            client_id: p.order.client_id.clone(),
            code: req.code,
            side: req.side,
            qty,
            price,
            commission: fees.commission(notional),
            tax: fees.tax(req.side, notional, ts.kst_date(), p.market, p.kind),
            ts,
        };
        let holding = self.holdings.entry(req.code).or_default();
        if req.side == Side::Sell && holding.qty < qty.get() {
            return Err(
                ValidationError::Order(format!("sell of {qty} exceeds {} held in {}", holding.qty, req.code)).into()
            );
        }
        p.order.apply_fill(qty, price, ts)?;
        match req.side {
            Side::Buy => {
                holding.qty += qty.get();
                holding.cost += notional;
            }
            Side::Sell => {
                let released = if holding.qty == qty.get() {
                    holding.cost
                } else {
                    i64::try_from(i128::from(holding.cost) * i128::from(qty.get()) / i128::from(holding.qty))
                        .unwrap_or(holding.cost)
                };
                holding.cost -= released;
                holding.qty -= qty.get();
            }
        }
        self.cash += fill.cash_flow();
        let out = BrokerFill { broker_id: p.broker_id().to_owned(), code: req.code, side: req.side, qty, price, ts };
        tracing::debug!(broker_id = %out.broker_id, code = %req.code, side = %req.side, qty = qty.get(), price = price.won(), "Paper fill");
        self.fills.push(out.clone());
        Ok(out)
    }

    /// Fills the working orders of `code` that `price_for` prices, in placement order.
    fn fill_resting(
        &mut self,
        code: StockCode,
        ts: Timestamp,
        fees: &FeeModel,
        price_for: impl Fn(&Order) -> Option<Price>,
    ) -> crate::Result<Vec<BrokerFill>> {
        let mut fills = Vec::new();
        for i in 0..self.orders.len() {
            let o = &self.orders[i].order;
            if !o.status.is_open() || o.request.code != code {
                continue;
            }
            if let Some(price) = price_for(o) {
                fills.push(self.execute(i, price, ts, fees)?);
            }
        }
        Ok(fills)
    }
}

/// Cash a buy of `qty` at `price_won` needs: its amount plus commission.
fn buy_need(price_won: i64, qty: Qty, fees: &FeeModel) -> Money {
    let amount = price_won.saturating_mul(i64::try_from(qty.get()).unwrap_or(i64::MAX));
    Money::from_won(amount) + fees.commission(amount)
}

/// The price an order fills at when the last price is `last`, if it is marketable.
fn immediate_price(kind: OrderKind, side: Side, last: Price) -> Option<Price> {
    match (kind, side) {
        (OrderKind::Market, _) => Some(last),
        (OrderKind::Limit(l), Side::Buy) => (last <= l).then_some(last),
        (OrderKind::Limit(l), Side::Sell) => (last >= l).then_some(last),
    }
}

/// Checks that `price` is on the tick grid of `date` and inside the limits around `base`.
fn check_price(
    price: Price,
    base: Option<Price>,
    date: NaiveDate,
    market: Market,
    kind: InstrumentKind,
) -> Result<(), ValidationError> {
    let table = TickTable::for_date(date, market, kind);
    if !table.is_on_tick(price.won()) {
        return Err(ValidationError::OffTick { price: price.won(), tick: table.tick(price.won()) });
    }
    if let Some(base) = base {
        let (lower, upper) = price_limits(base.won(), date, market, kind);
        if price.won() < lower || price.won() > upper {
            return Err(ValidationError::OutsideLimits { price: price.won(), lower, upper });
        }
    }
    Ok(())
}

fn reject(reason: String) -> BrokerError {
    BrokerError::Rejected { code: None, reason }
}

/// A failure of the paper broker's own bookkeeping (an order state it should not reach).
fn internal(e: crate::Error) -> BrokerError {
    match e {
        crate::Error::Broker(b) => b,
        other => BrokerError::Unavailable(format!("paper broker bookkeeping: {other}")),
    }
}

/// A paper-trading broker: orders fill against the prices the caller feeds it, with KIS's
/// checks on prices, cash and holdings, and KRX fees by date.
///
/// It stands in for KIS in a live paper session: the caller passes on the market data it
/// receives ([`PaperBroker::set_price`] for trades, [`PaperBroker::on_bar`] for bars), and the
/// engine talks to it through the [`Broker`] trait exactly as it would to `KisBroker`. It is
/// runtime-free: the state sits behind a [`std::sync::Mutex`] and no call awaits anything.
///
/// Rules (each pinned by a test):
/// - A market order fills at once, entirely, at the last price fed; without one it is rejected.
/// - A marketable limit order (a buy at or above the last price, a sell at or below it) fills at
///   once at the last price, the better of the two. Any other limit order rests, and fills
///   entirely when a later price reaches it: at that price from [`PaperBroker::set_price`]; from
///   a bar stamped after the order, by [`SimBroker`](super::SimBroker)'s rule (`min(open, limit)`
///   for a buy when `low <= limit`, `max(open, limit)` for a sell when `high >= limit`).
/// - There is no volume model, hence no partial fills: IOC and FOK orders that cannot fill at
///   once are cancelled.
/// - Prices are checked as KRX checks them: limit prices and fed prices must be on the day's
///   tick grid and inside the daily limits around the base price, which is the last price fed
///   on an earlier day (until a second day is seen only the grid is checked).
/// - Cash and holdings are checked as KIS checks them: a buy needs its amount plus commission
///   within the orderable cash (cash less what working buys set aside; a market buy is valued at
///   the day's upper limit, or at the last price while the base price is unknown), and a sell
///   needs sellable shares (held less what working sells set aside). Other orders are rejected
///   with the reason, and get no order number.
/// - Commission and tax follow [`FeeModel`] on the fill's trade date.
/// - Day orders expire when an order, price or query of a later day arrives.
/// - Order numbers are ten zero-padded digits, like KIS's; `cancel` also takes them unpadded.
/// - Sale proceeds count as cash at once (KIS lets them buy at once too); settlement is not
///   modelled. Average prices are purchase prices without fees, as KIS reports them.
///
/// ```
/// use hantu_core::broker::Broker;
/// use hantu_core::domain::{Money, Price, Qty, StockCode, Timestamp};
/// use hantu_core::sim::PaperBroker;
///
/// let paper = PaperBroker::new()
///     .with_cash(Money::from_won(1_000_000))
///     .with_holding(StockCode::new("005930"), Qty::from_shares(10), Price::new(60_000));
/// let fills = paper.set_price(StockCode::new("005930"), Price::new(66_000), Timestamp::from_millis(0))?;
/// assert!(fills.is_empty());
/// assert_eq!(paper.name(), "paper");
/// assert_eq!(paper.last_price(StockCode::new("005930")), Some(Price::new(66_000)));
/// # Ok::<(), hantu_core::Error>(())
/// ```
pub struct PaperBroker {
    clock: Arc<dyn Clock>,
    fees: FeeModel,
    state: Mutex<State>,
    next_price: bool,
}

impl Default for PaperBroker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PaperBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `try_lock`: formatting must not wait for (or deadlock on) the state.
        let mut d = f.debug_struct("PaperBroker");
        d.field("fees", &self.fees);
        if let Ok(s) = self.state.try_lock() {
            d.field("cash", &s.cash).field("holdings", &s.holdings.len()).field("orders", &s.orders.len());
        }
        d.finish_non_exhaustive()
    }
}

impl PaperBroker {
    /// An account with no cash and no holdings, on the system clock, with the default fees.
    /// Stocks trade as KOSPI stocks unless [`PaperBroker::with_instrument`] says otherwise.
    #[must_use]
    pub fn new() -> Self {
        Self {
            clock: Arc::new(LiveClock),
            fees: FeeModel::default(),
            state: Mutex::new(State::default()),
            next_price: false,
        }
    }

    /// Sets the account's cash.
    #[must_use]
    pub fn with_cash(mut self, cash: Money) -> Self {
        self.state_mut().cash = cash;
        self
    }

    /// Adds `qty` shares of `code` bought at `avg_price` (without fees).
    #[must_use]
    pub fn with_holding(mut self, code: StockCode, qty: Qty, avg_price: Price) -> Self {
        let h = self.state_mut().holdings.entry(code).or_default();
        h.qty += qty.get();
        h.cost += avg_price.notional(qty);
        self
    }

    /// Takes order and query timestamps from `clock` (a [`crate::clock::SimClock`] in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Fills day orders only at a price fed after them (the trader's paper mode: an order never fills
    /// on the print that produced it, as the backtest's venue never fills in the bar that produced
    /// it): a market order fills at the next price fed; a limit order at the next price that reaches
    /// it. IOC and FOK orders keep their at-once rule.
    #[must_use]
    pub fn with_fill_on_next_price(mut self) -> Self {
        self.next_price = true;
        self
    }

    /// Charges these fees.
    #[must_use]
    pub fn with_fees(mut self, fees: FeeModel) -> Self {
        self.fees = fees;
        self
    }

    /// Trades `code` with the tick grid, limits and tax of `market` and `kind`.
    #[must_use]
    pub fn with_instrument(mut self, code: StockCode, market: Market, kind: InstrumentKind) -> Self {
        self.state_mut().instruments.insert(code, (market, kind));
        self
    }

    /// The last price fed for `code`.
    #[must_use]
    pub fn last_price(&self, code: StockCode) -> Option<Price> {
        self.lock().marks.get(&code).map(|m| m.last)
    }

    /// Feeds a trade price of `code` at `ts`; working orders it reaches fill at that price.
    /// Returns the fills it caused.
    ///
    /// # Errors
    /// [`ValidationError::OffTick`] or [`ValidationError::OutsideLimits`] (as [`crate::Error`])
    /// when the price is off the day's tick grid or outside its daily limits; nothing changes.
    pub fn set_price(&self, code: StockCode, price: Price, ts: Timestamp) -> crate::Result<Vec<BrokerFill>> {
        let mut s = self.lock();
        s.roll(ts);
        let date = ts.kst_date();
        let (market, kind) = s.instrument(code);
        let base = s.marks.get(&code).and_then(|m| m.base_on(date));
        check_price(price, base, date, market, kind)?;
        s.marks.insert(code, Mark { last: price, ts, base });
        let next_price = self.next_price;
        s.fill_resting(code, ts, &self.fees, |o| match o.request.kind {
            OrderKind::Limit(_) => immediate_price(o.request.kind, o.request.side, price),
            OrderKind::Market if next_price => Some(price),
            OrderKind::Market => None,
        })
    }

    /// Feeds a bar: working limit orders of its stock placed before `bar.ts` fill when the bar
    /// trades through them, and its close becomes the last price. Returns the fills it caused.
    ///
    /// # Errors
    /// When the bar is inconsistent, or one of its prices is off the day's tick grid or outside
    /// its daily limits; nothing changes.
    pub fn on_bar(&self, bar: &Bar) -> crate::Result<Vec<BrokerFill>> {
        bar.validate()?;
        let mut s = self.lock();
        s.roll(bar.ts);
        let date = bar.ts.kst_date();
        let (market, kind) = s.instrument(bar.code);
        let base = s.marks.get(&bar.code).and_then(|m| m.base_on(date));
        for p in [bar.open, bar.high, bar.low, bar.close] {
            check_price(p, base, date, market, kind)?;
        }
        let fills = s.fill_resting(bar.code, bar.ts, &self.fees, |o| match o.request.kind {
            OrderKind::Limit(l) if o.created < bar.ts => limit_fill_in_bar(l, o.request.side, bar),
            _ => None,
        })?;
        s.marks.insert(bar.code, Mark { last: bar.close, ts: bar.ts, base });
        Ok(fills)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update completes before the lock is released, so a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn state_mut(&mut self) -> &mut State {
        self.state.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, with day orders of earlier days expired.
    fn lock_now(&self) -> (MutexGuard<'_, State>, Timestamp) {
        let now = self.clock.now();
        let mut s = self.lock();
        s.roll(now);
        (s, now)
    }
}

#[async_trait]
impl Broker for PaperBroker {
    fn name(&self) -> &str {
        "paper"
    }

    async fn place(&self, approved: &Approved) -> Result<PlaceAck, BrokerError> {
        let (mut s, now) = self.lock_now();
        let o = approved.order();
        let req = o.request;
        if let Some(p) = s.orders.iter().find(|p| p.order.client_id == o.client_id) {
            return Err(reject(format!("order {} was already placed as {}", o.client_id, p.broker_id())));
        }
        let date = now.kst_date();
        let (market, kind) = s.instrument(req.code);
        let mark = s.marks.get(&req.code).copied();
        let base = mark.and_then(|m| m.base_on(date));
        let last = mark.map(|m| m.last);
        if let OrderKind::Limit(l) = req.kind {
            check_price(l, base, date, market, kind).map_err(|e| reject(e.to_string()))?;
        }
        if req.kind == OrderKind::Market && last.is_none() {
            return Err(reject(format!("no price for {} yet: a market order needs one", req.code)));
        }
        match req.side {
            Side::Buy => {
                let price_won = match (req.kind, base, last) {
                    (OrderKind::Limit(l), _, _) => l.won(),
                    (OrderKind::Market, Some(b), _) => price_limits(b.won(), date, market, kind).1,
                    (OrderKind::Market, None, last) => last.map_or(0, Price::won),
                };
                let need = buy_need(price_won, req.qty, &self.fees);
                let orderable = s.orderable(&self.fees);
                if need > orderable {
                    return Err(reject(format!(
                        "buy of {} {} needs {need} won but {orderable} won is orderable",
                        req.qty, req.code
                    )));
                }
            }
            Side::Sell => {
                let sellable = s.sellable(req.code);
                if req.qty.get() > sellable {
                    return Err(reject(format!(
                        "sell of {} {} exceeds the {sellable} shares sellable",
                        req.qty, req.code
                    )));
                }
            }
        }
        s.seq += 1;
        let broker_id = format!("{:010}", s.seq);
        let mut order = Order::new(o.client_id.clone(), req, now);
        order.broker_id = Some(broker_id.clone());
        order.transition(OrderStatus::Accepted, now).map_err(internal)?;
        s.orders.push(PaperOrder { order, market, kind });
        let i = s.orders.len() - 1;
        tracing::debug!(%broker_id, client_id = %o.client_id, code = %req.code, side = %req.side, qty = req.qty.get(), "Paper order accepted");
        let at_once = if self.next_price && req.tif == TimeInForce::Day { None } else { last };
        match at_once.and_then(|l| immediate_price(req.kind, req.side, l)) {
            Some(price) => {
                s.execute(i, price, now, &self.fees).map_err(internal)?;
            }
            None if req.tif != TimeInForce::Day => {
                let order = &mut s.orders[i].order;
                order.transition(OrderStatus::Cancelled, now).map_err(internal)?;
                order.reason = Some(format!("{:?} order not marketable: cancelled unfilled", req.tif));
            }
            None => {}
        }
        Ok(PlaceAck { broker_id, ts: now })
    }

    async fn cancel(&self, broker_id: &str) -> Result<(), BrokerError> {
        let (mut s, now) = self.lock_now();
        let number = broker_id.trim().parse::<u64>().ok();
        let Some(p) = s
            .orders
            .iter_mut()
            .find(|p| p.broker_id() == broker_id || number.is_some_and(|n| p.broker_id().parse() == Ok(n)))
        else {
            return Err(reject(format!("no order {broker_id}")));
        };
        if !p.order.status.is_open() {
            return Err(reject(format!(
                "order {broker_id} is already {}: nothing left to cancel",
                p.order.status.as_str()
            )));
        }
        p.order.transition(OrderStatus::Cancelled, now).map_err(internal)?;
        p.order.reason = Some("cancelled".into());
        Ok(())
    }

    async fn open_orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        let (s, _) = self.lock_now();
        Ok(s.orders.iter().filter(|p| p.order.status.is_open()).map(PaperOrder::to_broker_order).collect())
    }

    async fn orders_today(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        let (s, now) = self.lock_now();
        let today = now.kst_date();
        Ok(s.orders.iter().filter(|p| p.order.created.kst_date() == today).map(PaperOrder::to_broker_order).collect())
    }

    /// One [`BrokerFill`] per execution (KIS's REST API gives one per order instead).
    async fn fills_since(&self, since: Timestamp) -> Result<Vec<BrokerFill>, BrokerError> {
        let (s, _) = self.lock_now();
        Ok(s.fills.iter().filter(|f| f.ts >= since).cloned().collect())
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        let (s, _) = self.lock_now();
        Ok(s.holdings
            .iter()
            .filter(|(_, h)| h.qty > 0)
            .map(|(code, h)| BrokerPosition {
                code: *code,
                qty: Qty::from_shares(h.qty),
                sellable: Qty::from_shares(s.sellable(*code)),
                avg_price: Money::new(Decimal::from(h.cost) / Decimal::from(h.qty)),
                last_price: s.marks.get(code).map(|m| m.last),
            })
            .collect())
    }

    /// Holdings without a price yet are valued at their purchase price.
    async fn balance(&self) -> Result<Balance, BrokerError> {
        let (s, _) = self.lock_now();
        let value: i64 = s
            .holdings
            .iter()
            .map(|(code, h)| s.marks.get(code).map_or(h.cost, |m| m.last.notional(Qty::from_shares(h.qty))))
            .sum();
        Ok(Balance { cash: s.cash, buying_power: s.orderable(&self.fees), total_equity: s.cash.add_won(value) })
    }
}
