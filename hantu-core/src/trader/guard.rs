//! The strategy the engine runs in a trading session: the user's strategy (the same object a
//! backtest runs) wrapped with the trader's rules.
//!
//! After each of the strategy's callbacks the guard looks at the orders it asked for and drops those
//! the session does not allow or, while paused, new entries (buys). Then the price monitor may add
//! one exit per holding: a market sell of the shares not already being sold, only when no sell of
//! that code is working or was asked for in the same callback (one working order per code and side,
//! so two rules firing on one print never sell twice).

use std::collections::BTreeMap;

use super::monitor::{ExitDefaults, ExitReason, ExitRule, PriceMonitor};
use super::session;
use crate::domain::{Bar, ClientOrderId, Fill, Order, Price, Side, StockCode, Tick, Timestamp};
use crate::krx::Session;
use crate::strategy::{Command, Context, Strategy};

/// Why the guard dropped an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gated {
    /// The session does not take this order type.
    Session(Session),
    /// Paused: no new entries.
    Paused,
}

/// The wrapped strategy with the session gate, the control flag and the price monitor.
pub struct Guarded {
    inner: Box<dyn Strategy + Send>,
    pub(super) monitor: PriceMonitor,
    pub(super) defaults: ExitDefaults,
    /// Exit levels of picks, applied when their buys fill.
    pub(super) pick_rules: BTreeMap<StockCode, ExitRule>,
    pub(super) entries_allowed: bool,
    pub(super) session: Session,
    pub(super) last: BTreeMap<StockCode, Price>,
    /// Price seen when each order was decided, for slippage.
    pub(super) decisions: Vec<(ClientOrderId, Option<Price>, Timestamp)>,
    /// Exits the monitor sent, with their reason.
    pub(super) exits: Vec<(ClientOrderId, ExitReason)>,
    /// Orders dropped by the gate.
    pub(super) gated: u64,
    pub(super) last_gated: Option<Gated>,
}

impl Guarded {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Strategy + Send>, defaults: ExitDefaults) -> Self {
        Self {
            inner,
            monitor: PriceMonitor::new(),
            defaults,
            pick_rules: BTreeMap::new(),
            entries_allowed: true,
            session: Session::Closed,
            last: BTreeMap::new(),
            decisions: Vec::new(),
            exits: Vec::new(),
            gated: 0,
            last_gated: None,
        }
    }

    /// The price monitor.
    #[must_use]
    pub fn monitor(&self) -> &PriceMonitor {
        &self.monitor
    }

    /// Watches a holding with its pick's levels, else the defaults around `entry`.
    pub(super) fn watch(&mut self, code: StockCode, entry: Price, at: Timestamp) {
        let rule = self.pick_rules.get(&code).copied().unwrap_or_else(|| self.defaults.rule_for(entry, at));
        if rule != ExitRule::default() {
            self.monitor.watch(code, rule, self.last.get(&code).copied().unwrap_or(entry));
        }
    }

    /// Drops the orders asked for since `from` that may not go out, and notes the decision price of
    /// the others.
    fn filter(&mut self, ctx: &mut Context<'_>, from: usize) {
        let mut i = from;
        while i < ctx.commands.len() {
            let Command::Submit { client_id, request } = &ctx.commands[i] else {
                i += 1;
                continue;
            };
            let why = if !session::allows(self.session, request) {
                Some(Gated::Session(self.session))
            } else if request.side == Side::Buy && !self.entries_allowed {
                Some(Gated::Paused)
            } else {
                None
            };
            if let Some(why) = why {
                tracing::debug!(%client_id, code = %request.code, ?why, "Order held back by the trader's gate");
                self.gated += 1;
                self.last_gated = Some(why);
                ctx.commands.remove(i);
            } else {
                self.decisions.push((client_id.clone(), self.last.get(&request.code).copied(), ctx.now()));
                i += 1;
            }
        }
    }

    /// Sends an exit for `code` if it is held, exits are allowed now, and no sell of it works.
    pub(super) fn exit(&mut self, ctx: &mut Context<'_>, code: StockCode, reason: ExitReason) -> Option<ClientOrderId> {
        let forced = reason == ExitReason::Forced;
        if !forced && !session::exits_allowed(self.session) {
            return None;
        }
        let held = ctx.qty(code);
        let selling = ctx.open_orders().iter().any(|o| o.request.code == code && o.request.side == Side::Sell)
            || ctx.commands.iter().any(
                |c| matches!(c, Command::Submit { request, .. } if request.code == code && request.side == Side::Sell),
            );
        if held == 0 || selling {
            return None;
        }
        let id = ctx.market(code, Side::Sell, held).ok()?;
        tracing::info!(%code, shares = held, reason = reason.as_str(), client_id = %id, "Exit");
        self.decisions.push((id.clone(), self.last.get(&code).copied(), ctx.now()));
        self.exits.push((id.clone(), reason));
        Some(id)
    }

    fn check_exit(&mut self, ctx: &mut Context<'_>, code: StockCode, price: Price) {
        if let Some(reason) = self.monitor.on_price(code, price, ctx.now()) {
            self.exit(ctx, code, reason);
        }
    }
}

impl Strategy for Guarded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn on_start(&mut self, ctx: &mut Context<'_>) {
        let from = ctx.commands.len();
        self.inner.on_start(ctx);
        self.filter(ctx, from);
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        self.last.insert(bar.code, bar.close);
        let from = ctx.commands.len();
        self.inner.on_bar(ctx, bar);
        self.filter(ctx, from);
    }

    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        self.last.insert(tick.code, tick.price);
        let from = ctx.commands.len();
        self.inner.on_tick(ctx, tick);
        self.filter(ctx, from);
        self.check_exit(ctx, tick.code, tick.price);
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        match fill.side {
            Side::Buy if !self.monitor.is_watching(fill.code) => self.watch(fill.code, fill.price, fill.ts),
            Side::Sell if ctx.qty(fill.code) == 0 => self.monitor.unwatch(fill.code),
            _ => {}
        }
        let from = ctx.commands.len();
        self.inner.on_fill(ctx, fill);
        self.filter(ctx, from);
    }

    fn on_order_update(&mut self, ctx: &mut Context<'_>, order: &Order) {
        let from = ctx.commands.len();
        self.inner.on_order_update(ctx, order);
        self.filter(ctx, from);
    }

    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        let from = ctx.commands.len();
        self.inner.on_day_end(ctx);
        self.filter(ctx, from);
    }

    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        let from = ctx.commands.len();
        self.inner.on_stop(ctx);
        self.filter(ctx, from);
    }
}
