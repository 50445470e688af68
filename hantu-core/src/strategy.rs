//! The `Strategy` trait and the context it trades through.
//!
//! A strategy is synchronous and object-safe. It reads state through a [`Context`] and asks
//! for orders through it; the engine decides what happens (risk, broker, journal). The same
//! strategy object runs in backtests, paper and live trading. Strategies own their
//! indicator state (streaming indicators from [`crate::indicators`] update in O(1) per bar).

use crate::domain::{
    Bar, ClientOrderId, Fill, Money, Order, OrderKind, OrderRequest, Portfolio, Position, Price, Qty, Side, StockCode,
    Tick, TimeInForce, Timestamp, ValidationError,
};

/// What a strategy asks the engine to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Place a new order.
    Submit {
        /// Id the engine assigned.
        client_id: ClientOrderId,
        /// The order.
        request: OrderRequest,
    },
    /// Cancel a working order.
    Cancel(ClientOrderId),
}

/// The strategy's view of the engine during a callback.
pub struct Context<'a> {
    pub(crate) now: Timestamp,
    pub(crate) portfolio: &'a Portfolio,
    pub(crate) open_orders: &'a [Order],
    pub(crate) commands: &'a mut Vec<Command>,
    pub(crate) next_seq: &'a mut u64,
    pub(crate) id_prefix: &'a str,
}

impl<'a> Context<'a> {
    /// A context over the given state, collecting commands into `commands`. Engines build
    /// these; tests and other runners may too.
    pub fn new(
        now: Timestamp,
        portfolio: &'a Portfolio,
        open_orders: &'a [Order],
        commands: &'a mut Vec<Command>,
        next_seq: &'a mut u64,
        id_prefix: &'a str,
    ) -> Self {
        Self { now, portfolio, open_orders, commands, next_seq, id_prefix }
    }

    /// The engine's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The portfolio.
    #[must_use]
    pub fn portfolio(&self) -> &Portfolio {
        self.portfolio
    }

    /// All cash.
    #[must_use]
    pub fn cash(&self) -> Money {
        self.portfolio.cash()
    }

    /// Cash not reserved by open buy orders.
    #[must_use]
    pub fn buying_power(&self) -> Money {
        self.portfolio.buying_power()
    }

    /// Cash plus positions at their last prices.
    #[must_use]
    pub fn equity(&self) -> Money {
        self.portfolio.equity()
    }

    /// The position in `code`, if any shares are held.
    #[must_use]
    pub fn position(&self, code: StockCode) -> Option<&Position> {
        self.portfolio.position(code)
    }

    /// Shares held in `code`.
    #[must_use]
    pub fn qty(&self, code: StockCode) -> u64 {
        self.portfolio.qty(code)
    }

    /// Orders still working.
    #[must_use]
    pub fn open_orders(&self) -> &[Order] {
        self.open_orders
    }

    /// Whether any order for `code` is working or was asked for in this callback.
    #[must_use]
    pub fn has_open_order(&self, code: StockCode) -> bool {
        self.open_orders.iter().any(|o| o.request.code == code)
            || self.commands.iter().any(|c| matches!(c, Command::Submit { request, .. } if request.code == code))
    }

    /// Asks for an order; returns the id it will carry. Risk checks happen after the callback;
    /// a refusal comes back through [`Strategy::on_order_update`] with the reason.
    pub fn submit(&mut self, request: OrderRequest) -> ClientOrderId {
        *self.next_seq += 1;
        let client_id = ClientOrderId::from_seq(self.id_prefix, *self.next_seq);
        self.commands.push(Command::Submit { client_id: client_id.clone(), request });
        client_id
    }

    /// A day market order.
    ///
    /// # Errors
    /// If `qty` is zero.
    pub fn market(&mut self, code: StockCode, side: Side, qty: u64) -> Result<ClientOrderId, ValidationError> {
        Ok(self.submit(OrderRequest::market(code, side, Qty::from_shares(qty))?))
    }

    /// A day limit order.
    ///
    /// # Errors
    /// If `qty` is zero.
    pub fn limit(
        &mut self,
        code: StockCode,
        side: Side,
        qty: u64,
        price: Price,
    ) -> Result<ClientOrderId, ValidationError> {
        Ok(self.submit(OrderRequest::new_checked(
            code,
            side,
            Qty::from_shares(qty),
            OrderKind::Limit(price),
            TimeInForce::Day,
        )?))
    }

    /// Asks to cancel a working order.
    pub fn cancel(&mut self, client_id: &ClientOrderId) {
        self.commands.push(Command::Cancel(client_id.clone()));
    }
}

/// A trading strategy. Only [`Strategy::on_bar`] is required; other hooks default to no-ops.
///
/// ```
/// use hantu_core::domain::{Bar, Side};
/// use hantu_core::strategy::{Context, Strategy};
///
/// /// Buys once and holds.
/// struct BuyAndHold { bought: bool }
///
/// impl Strategy for BuyAndHold {
///     fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
///         if !self.bought {
///             let qty = (ctx.buying_power().to_won() as f64 * 0.99 / bar.close.as_f64()) as u64;
///             if qty > 0 {
///                 let _ = ctx.market(bar.code, Side::Buy, qty);
///                 self.bought = true;
///             }
///         }
///     }
/// }
/// ```
pub trait Strategy {
    /// A short name for reports.
    fn name(&self) -> &str {
        "strategy"
    }

    /// Called once before the first event.
    fn on_start(&mut self, _ctx: &mut Context<'_>) {}

    /// Called for every bar, after fills for that bar were booked.
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar);

    /// Called for every trade print (live and tick replays).
    fn on_tick(&mut self, _ctx: &mut Context<'_>, _tick: &Tick) {}

    /// Called for each fill of this strategy's orders.
    fn on_fill(&mut self, _ctx: &mut Context<'_>, _fill: &Fill) {}

    /// Called when one of this strategy's orders changes state (accepted, rejected with reason,
    /// cancelled, expired).
    fn on_order_update(&mut self, _ctx: &mut Context<'_>, _order: &Order) {}

    /// Called after the last bar of each trading day.
    fn on_day_end(&mut self, _ctx: &mut Context<'_>) {}

    /// Called once after the last event.
    fn on_stop(&mut self, _ctx: &mut Context<'_>) {}
}

/// A boxed strategy is a strategy (so `by_name` results and `Box<dyn Strategy>` plug in anywhere).
impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn on_start(&mut self, ctx: &mut Context<'_>) {
        (**self).on_start(ctx);
    }
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        (**self).on_bar(ctx, bar);
    }
    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        (**self).on_tick(ctx, tick);
    }
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        (**self).on_fill(ctx, fill);
    }
    fn on_order_update(&mut self, ctx: &mut Context<'_>, order: &Order) {
        (**self).on_order_update(ctx, order);
    }
    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        (**self).on_day_end(ctx);
    }
    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        (**self).on_stop(ctx);
    }
}
