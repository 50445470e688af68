//! The trader: one engine, one strategy (guarded), one broker, one feed, one store.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::{Either, select};

use super::alerts::Alerts;
use super::bars::MinuteBars;
use super::book::{broker_fill, claim};
use super::feedlog::feed_record;
use super::guard::Guarded;
use super::monitor::ExitReason;
use super::picks::TradePick;
use super::report::{self, DayReport};
use super::restore::{RestoreSummary, restore};
use super::session::{self, DayPhase};
use super::{Sleeper, TraderConfig, Venue};
use crate::broker::{Broker, BrokerPosition};
use crate::clock::Clock;
use crate::control::{self, ControlState, TraderStatus};
use crate::domain::{ClientOrderId, Fill, Money, OrderStatus, Portfolio, Price, Side, StockCode, Timestamp};
use crate::engine::{Engine, Hook, LiveRunner};
use crate::krx::KrxCalendar;
use crate::notify::Notifier;
use crate::realtime::{Channel, Feed, FeedError, FeedEvent, Subscription};
use crate::sim::PaperBroker;
use crate::store::{EventKind, EventRecord, Store};
use crate::strategy::Strategy;

/// The settings key of the trader's run counter (client ids are `t<run>-<n>`).
pub const RUN_SEQ_KEY: &str = "trader.run_seq";

/// Why [`Trader::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunEnd {
    /// The shutdown flag was raised (SIGTERM/SIGINT).
    Shutdown,
    /// The control flag asked to stop (after flattening, if asked).
    Stopped,
    /// The session closed and the day's report was written.
    DayClosed,
    /// The feed ended for good.
    FeedEnded,
}

/// One process trading one day. See the [module docs](super).
pub struct Trader {
    runner: LiveRunner<Guarded>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    paper: Option<Arc<PaperBroker>>,
    cfg: TraderConfig,
    bars: MinuteBars,
    codes: Vec<StockCode>,
    control: ControlState,
    started_at: Timestamp,
    strategy_name: String,
    last_cum: BTreeMap<StockCode, u64>,
    reconcile_due: bool,
    last_reconcile: Timestamp,
    last_status: Timestamp,
    last_control: Timestamp,
    phase: DayPhase,
    day_start: Timestamp,
    start_equity: Money,
    last_error: Option<String>,
    stop_requested: Option<Timestamp>,
    decisions_written: usize,
    restore_summary: RestoreSummary,
    alerts: Alerts,
}

impl Trader {
    /// A trader running `strategy` over `codes` (the codes whose prints it subscribes to; held codes
    /// and picks are added) at `venue`, journaling to `store`, on `clock`.
    ///
    /// # Errors
    /// If the configuration is invalid or the store cannot give a run number.
    pub fn new(
        cfg: TraderConfig,
        strategy: Box<dyn Strategy + Send>,
        venue: Venue,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        codes: &[StockCode],
    ) -> crate::Result<Self> {
        cfg.validate()?;
        let now = clock.now();
        let mut engine_cfg = cfg.engine.clone();
        if engine_cfg.id_prefix == "o" {
            // Unique per run, so client ids never collide across restarts sharing a store: a run number
            // taken from the store before any order is journaled (a crash after taking it only skips it).
            let run = store.setting(RUN_SEQ_KEY)?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
            store.set_setting(RUN_SEQ_KEY, &run.to_string())?;
            engine_cfg.id_prefix = format!("t{run}");
        }
        let engine = Engine::new(engine_cfg)?.with_store(store.clone());
        let (broker, paper): (Arc<dyn Broker>, _) = match venue {
            Venue::Broker(b) => (b, None),
            Venue::Paper(p) => (p.clone(), Some(p)),
        };
        let strategy_name = strategy.name().to_owned();
        let guarded = Guarded::new(strategy, cfg.exits);
        Ok(Self {
            runner: LiveRunner::new(engine, guarded, broker),
            store,
            clock,
            paper,
            cfg,
            bars: MinuteBars::new(),
            codes: codes.to_vec(),
            control: ControlState::Running,
            started_at: now,
            strategy_name,
            last_cum: BTreeMap::new(),
            reconcile_due: false,
            last_reconcile: now,
            last_status: Timestamp::from_millis(i64::MIN / 2),
            last_control: Timestamp::from_millis(i64::MIN / 2),
            phase: session::phase(now),
            day_start: Timestamp::kst(now.kst_date(), 0, 0),
            start_equity: Money::ZERO,
            last_error: None,
            stop_requested: None,
            decisions_written: 0,
            restore_summary: RestoreSummary::default(),
            alerts: Alerts::default(),
        })
    }

    /// Uses each pick's stop and target for its holding, and subscribes to its code.
    #[must_use]
    pub fn with_picks(mut self, picks: &[TradePick]) -> Self {
        for p in picks {
            self.runner.strategy.pick_rules.insert(p.code, p.rule());
            if !self.codes.contains(&p.code) {
                self.codes.push(p.code);
            }
        }
        self
    }

    /// Sets the previous closes (from quotes), the base of price limits and market-buy reservations.
    pub fn set_prev_closes(&mut self, closes: &[(StockCode, Price)]) {
        let now = self.clock.now();
        for (code, price) in closes {
            self.runner.engine.set_prev_close(*code, *price, now);
        }
    }

    /// Tells people what happens (fills, stops and targets, refused orders, the emergency stop acted
    /// on, the day's report, a failure) through `notifier`, which must queue and return at once.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.alerts = Alerts::new(Some(notifier));
        self
    }

    /// Calls `hook` between journal write and broker call, and between broker reply and journal
    /// update (crash tests pause the process there).
    #[must_use]
    pub fn with_hook(mut self, hook: Hook) -> Self {
        self.runner = self.runner.with_hook(hook);
        self
    }

    /// The engine (portfolio, working orders, fills of this process).
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.runner.engine
    }

    /// The codes subscribed to.
    #[must_use]
    pub fn codes(&self) -> &[StockCode] {
        &self.codes
    }

    /// The control state being acted on.
    #[must_use]
    pub fn control(&self) -> ControlState {
        self.control
    }

    /// What the start-up reconcile did.
    #[must_use]
    pub fn restore_summary(&self) -> &RestoreSummary {
        &self.restore_summary
    }

    /// Orders held back by the session gate or a pause so far.
    #[must_use]
    pub fn gated(&self) -> u64 {
        self.runner.strategy.gated
    }

    /// Starts: reconciles the journal with the broker (nothing is re-sent), adopts the broker's cash
    /// and holdings, watches the holdings, reads the control flag, and calls the strategy's `on_start`.
    ///
    /// # Errors
    /// If the broker or the store fails.
    pub async fn start(&mut self) -> crate::Result<()> {
        let now = self.clock.now();
        let broker = self.runner.broker().clone();
        let orders = broker.orders_today().await?;
        let summary =
            restore(self.store.as_ref(), &orders, self.runner.engine.fees(), self.runner.engine.instruments(), now)?;
        tracing::info!(
            open = summary.open_in_journal,
            adopted = summary.adopted_numbers,
            fills = summary.fills_booked,
            never_sent = summary.never_sent,
            expired = summary.expired,
            working = summary.working.len(),
            "Journal reconciled with the broker"
        );
        for o in &summary.working {
            self.runner.engine.adopt_open_order(o.clone())?;
        }
        self.adopt_broker_account().await?;
        self.runner.engine.advance(now);
        let held: Vec<(StockCode, Price)> = self
            .runner
            .engine
            .portfolio()
            .positions()
            .map(|p| {
                (p.code, p.avg_cost().and_then(|m| Price::new_checked(m.to_won().max(1)).ok()).unwrap_or(p.last_price))
            })
            .collect();
        for (code, entry) in held {
            self.runner.strategy.watch(code, entry, now);
            if !self.codes.contains(&code) {
                self.codes.push(code);
            }
        }
        self.start_equity = self.day_start_equity(now)?;
        self.record(
            EventKind::Alert,
            format!("trader started ({}, {})", self.cfg.mode, self.strategy_name),
            serde_json::to_value(&summary).unwrap_or_default(),
            now,
        );
        self.restore_summary = summary;
        let retold = self.alerts.retell_fills(self.store.as_ref(), Timestamp::kst(now.kst_date(), 0, 0))?;
        if retold > 0 {
            tracing::info!(fills = retold, "Announcing fills no channel has had yet");
        }
        self.poll_control(now).await?;
        self.runner.strategy.session = KrxCalendar::session_at(now);
        self.runner.engine.start(&mut self.runner.strategy, now)?;
        self.after_engine().await?;
        self.publish_status(now)?;
        Ok(())
    }

    /// Subscribes `feed` to the trades of every code and, with a broker venue, to the account's order
    /// and fill notices. Notices are doorbells: when the feed cannot give them (no HTS id, refused),
    /// that is recorded and the trader learns fills by its periodic reconcile.
    ///
    /// # Errors
    /// If the feed refuses a trade subscription (over budget: the lowest priorities are refused), is
    /// closed, or the source refuses the session (`OPSP8996`: the app key is in use elsewhere; the
    /// caller may retry).
    pub async fn subscribe(&self, feed: &mut dyn Feed) -> Result<(), FeedError> {
        if self.paper.is_none() {
            match feed.subscribe(Subscription { channel: Channel::Notices, code: None, priority: 255 }).await {
                Ok(()) => {}
                Err(FeedError::Closed) => return Err(FeedError::Closed),
                Err(e @ FeedError::Refused { .. }) if is_session_refusal(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "No order notices; fills are learnt by reconciling");
                    self.record(
                        EventKind::Alert,
                        format!("order notices unavailable ({e}); fills are learnt by reconciling"),
                        serde_json::Value::Null,
                        self.clock.now(),
                    );
                }
            }
        }
        for code in &self.codes {
            let held = self.runner.engine.portfolio().qty(*code) > 0;
            feed.subscribe(Subscription {
                channel: Channel::Trades,
                code: Some(*code),
                priority: if held { 200 } else { 100 },
            })
            .await?;
        }
        Ok(())
    }

    /// Handles one feed event.
    ///
    /// # Errors
    /// If the engine, the store or the broker fails.
    pub async fn on_event(&mut self, event: FeedEvent) -> crate::Result<()> {
        match event {
            FeedEvent::Trade(t) => {
                let last = self.last_cum.get(&t.tick.code).copied().unwrap_or(0);
                if t.cum_volume != 0 && t.cum_volume <= last {
                    return Ok(()); // a duplicate print
                }
                self.last_cum.insert(t.tick.code, t.cum_volume);
                let tick = t.tick;
                if self.runner.engine.instruments().reference(tick.code, tick.ts).is_none() {
                    // Without a quote's previous close, the first print stands in as the day's base.
                    self.runner.engine.set_prev_close(tick.code, tick.price, tick.ts);
                }
                self.runner.strategy.session = KrxCalendar::session_at(tick.ts);
                if let Some(paper) = &self.paper {
                    match paper.set_price(tick.code, tick.price, tick.ts) {
                        Ok(fills) if !fills.is_empty() => self.reconcile_due = true,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(code = %tick.code, error = %e, "Paper venue refused a price"),
                    }
                    self.settle_paper().await?;
                }
                if let Some(bar) = self.bars.push(&tick) {
                    self.runner.engine.on_bar(&mut self.runner.strategy, &bar)?;
                }
                self.runner.engine.on_tick(&mut self.runner.strategy, &tick)?;
                self.after_engine().await?;
                self.settle_paper().await?;
            }
            FeedEvent::Notice(n) => {
                // A doorbell: the shares come from the broker's cumulative count, booked once.
                tracing::debug!(order_no = %n.broker_order_no, kind = ?n.kind, "Notice");
                self.reconcile_due = true;
            }
            FeedEvent::Malformed { field, reason } => {
                tracing::warn!(%field, %reason, "Malformed feed frame skipped");
            }
            other => {
                let now = self.clock.now();
                if let Some(rec) = feed_record(&other, now) {
                    tracing::info!(message = %rec.message, "Feed event");
                    if let Err(e) = self.store.record_event(&rec) {
                        tracing::warn!(error = %e, "Could not record a feed event");
                    }
                }
                // After a reconnect or a gap, orders may have moved unseen: reconcile now.
                if matches!(other, FeedEvent::Gap(_) | FeedEvent::Connected { attempt: 1.. }) {
                    self.reconcile(self.cfg.unknown_grace).await?;
                }
            }
        }
        Ok(())
    }

    /// Periodic work (called at least every `cfg.poll`): the control flag and force exits, the session
    /// and the close, minute bars and time stops, due reconciles, the published status.
    ///
    /// # Errors
    /// If the engine, the store or the broker fails.
    pub async fn housekeeping(&mut self) -> crate::Result<()> {
        let now = self.clock.now();
        self.runner.strategy.session = KrxCalendar::session_at(now);
        for bar in self.bars.flush_until(now) {
            self.runner.engine.on_bar(&mut self.runner.strategy, &bar)?;
        }
        // Bars carry their own (earlier) time; orders decided from here on carry now.
        self.runner.engine.advance(now);
        if now.millis() - self.last_control.millis() >= ms(self.cfg.control_every) {
            self.poll_control(now).await?;
        }
        let due = self.runner.strategy.monitor.due(now);
        if !due.is_empty() {
            let guard = &mut self.runner.strategy;
            let mut fire = Vec::new();
            self.runner.engine.act(&mut NoStrategy, |ctx| {
                for code in due {
                    if guard.exit(ctx, code, ExitReason::TimeStop).is_some() {
                        fire.push(code);
                    }
                }
            })?;
        }
        let phase = session::phase(now);
        if phase != self.phase {
            let was = self.phase;
            self.phase = phase;
            if was == DayPhase::Open && phase == DayPhase::AfterClose {
                self.close_day(now).await?;
            }
        }
        let working = !self.runner.engine.open_orders().is_empty();
        let since = now.millis() - self.last_reconcile.millis();
        if (self.reconcile_due && since >= ms(self.cfg.notice_debounce))
            || (working && since >= ms(self.cfg.reconcile_every))
        {
            self.reconcile(self.cfg.unknown_grace).await?;
        }
        self.after_engine().await?;
        if now.millis() - self.last_status.millis() >= 1_000 {
            self.publish_status(now)?;
        }
        Ok(())
    }

    /// Runs until shutdown, a stop request, the close (when configured) or the end of the feed. Call
    /// [`Trader::start`] and [`Trader::subscribe`] first. `feed.next_event` must be cancel-safe (a
    /// timer tick may drop a pending call).
    ///
    /// # Errors
    /// If the engine, the store or the broker fails.
    pub async fn run(
        &mut self,
        feed: &mut dyn Feed,
        sleeper: &dyn Sleeper,
        shutdown: &AtomicBool,
    ) -> crate::Result<RunEnd> {
        let end = loop {
            if shutdown.load(Ordering::SeqCst) {
                break RunEnd::Shutdown;
            }
            if let Some(at) = self.stop_requested {
                // Give the exits of a flatten a bounded time to fill before leaving.
                let waited = self.clock.now().millis() - at.millis();
                if self.runner.engine.open_orders().is_empty() || waited >= ms(self.cfg.stop_wait) {
                    break RunEnd::Stopped;
                }
            }
            if self.cfg.stop_after_close
                && self.phase == DayPhase::AfterClose
                && self.runner.engine.open_orders().is_empty()
            {
                break RunEnd::DayClosed;
            }
            let next = {
                let event = feed.next_event();
                let tick = sleeper.sleep(self.cfg.poll);
                match select(event, tick).await {
                    Either::Left((ev, _)) => Some(ev),
                    Either::Right(((), _)) => None,
                }
            };
            match next {
                Some(Some(ev)) => {
                    if let Err(e) = self.on_event(ev).await {
                        self.note_error(&e);
                        return Err(e);
                    }
                    let now = self.clock.now();
                    if now.millis() - self.last_control.millis() >= ms(self.cfg.control_every) {
                        self.housekeeping().await?;
                    }
                }
                Some(None) => break RunEnd::FeedEnded,
                None => self.housekeeping().await?,
            }
        };
        self.finish(end).await?;
        Ok(end)
    }

    /// Ends the session: no new orders; a last reconcile; positions, status and report persisted.
    ///
    /// # Errors
    /// If the store fails. A failing broker is logged, not fatal: the next start reconciles.
    pub async fn finish(&mut self, end: RunEnd) -> crate::Result<()> {
        let now = self.clock.now();
        self.runner.strategy.entries_allowed = false;
        if let Err(e) = self.reconcile(self.cfg.unknown_grace).await {
            tracing::warn!(error = %e, "Final reconcile failed; the next start reconciles");
        }
        let positions: Vec<_> = self.runner.engine.portfolio().positions().cloned().collect();
        self.store.save_positions(now, &positions)?;
        self.record(EventKind::Alert, format!("trader stopped ({end:?})"), serde_json::Value::Null, now);
        self.publish_status(now)?;
        Ok(())
    }

    /// The day's report so far, from the store.
    ///
    /// # Errors
    /// If a read fails.
    pub fn report(&self) -> crate::Result<DayReport> {
        Ok(report::build(
            self.store.as_ref(),
            self.day_start,
            self.start_equity,
            self.runner.engine.portfolio().equity(),
        )?)
    }

    /// Brings working orders in line with the broker: adopts order numbers of lost replies, books the
    /// shares filled beyond what is booked, takes final states, and ends as never sent the submissions
    /// older than `grace` the broker does not know. Never sends anything again.
    ///
    /// # Errors
    /// If the broker query or the engine fails.
    pub async fn reconcile(&mut self, grace: Duration) -> crate::Result<()> {
        // Nothing may wait in the outbox: an unsent order must not be mistaken for a lost one.
        self.runner.flush().await?;
        let now = self.clock.now();
        self.reconcile_due = false;
        self.last_reconcile = now;
        if self.runner.engine.open_orders().is_empty() {
            return Ok(());
        }
        let broker_orders = self.runner.broker().orders_today().await?;
        let engine = &self.runner.engine;
        let mut claimed: Vec<String> = engine
            .open_orders()
            .iter()
            .chain(engine.finished_orders())
            .filter_map(|o| o.broker_id.clone())
            .chain(self.restore_summary.known_numbers.iter().cloned())
            .collect();
        let open = self.runner.engine.open_orders().to_vec();
        for order in open {
            let id = order.client_id.clone();
            let Some(bo) = claim(&order, &broker_orders, &mut claimed) else {
                if order.status == OrderStatus::PendingNew && now.millis() - order.created.millis() >= ms(grace) {
                    self.runner.engine.on_order_status(
                        &mut self.runner.strategy,
                        &id,
                        OrderStatus::Rejected,
                        None,
                        Some("the broker does not know it: never sent".into()),
                        now,
                    )?;
                }
                continue;
            };
            if order.status == OrderStatus::PendingNew {
                self.runner.engine.on_order_status(
                    &mut self.runner.strategy,
                    &id,
                    OrderStatus::Accepted,
                    Some(bo.broker_id.clone()),
                    None,
                    now,
                )?;
            }
            if let Some(fill) =
                broker_fill(&order, bo, self.runner.engine.fees(), self.runner.engine.instruments(), now)?
            {
                self.book(fill)?;
            }
            if !bo.status.is_open()
                && bo.status != OrderStatus::Filled
                && self.runner.engine.open_orders().iter().any(|o| o.client_id == id)
            {
                self.runner.engine.on_order_status(
                    &mut self.runner.strategy,
                    &id,
                    bo.status,
                    None,
                    Some(format!("{} at the broker", bo.status.as_str())),
                    now,
                )?;
            }
        }
        self.after_engine().await
    }

    fn book(&mut self, fill: Fill) -> crate::Result<()> {
        let held = self.runner.engine.portfolio().qty(fill.code);
        if fill.side == Side::Sell && held < fill.qty.get() {
            // The books disagree with the broker (shares sold elsewhere): adopt the broker's account at
            // the next status; booking the order's fill must not fail the session.
            tracing::warn!(code = %fill.code, "Sell fill exceeds the shares booked; adopting the broker's holdings");
            self.reconcile_due = true;
            let detail = format!("a sale of {} shares was filled with {held} booked", fill.qty);
            self.alerts.discrepancy(fill.code, &detail, fill.ts);
        }
        // The sale's realized P&L: what the portfolio's realized total moved by (a position sold out
        // may leave the portfolio, so its own counter cannot be read afterwards).
        let before = self.runner.engine.portfolio().realized_pnl();
        let (side, announce) = (fill.side, fill.clone());
        self.runner.engine.on_fill(&mut self.runner.strategy, fill)?;
        let pnl = (side == Side::Sell).then(|| self.runner.engine.portfolio().realized_pnl() - before);
        self.alerts.fill(&announce, pnl);
        Ok(())
    }

    /// Sends what the engine decided and writes the decision records. An order that went out makes
    /// a reconcile due (market orders often fill before any notice arrives).
    async fn after_engine(&mut self) -> crate::Result<()> {
        if self.runner.engine.has_outgoing() {
            self.reconcile_due = true;
        }
        self.runner.flush().await?;
        let engine = &self.runner.engine;
        let guard = &self.runner.strategy;
        let now = self.clock.now();
        self.alerts.exits(&guard.exits, engine.portfolio(), |c| guard.last.get(&c).copied(), engine.open_orders(), now);
        self.alerts.rejections(engine.finished_orders());
        let decisions = &self.runner.strategy.decisions;
        for (id, price, ts) in &decisions[self.decisions_written..] {
            report::record_decision(self.store.as_ref(), id, *price, *ts)?;
        }
        self.decisions_written = decisions.len();
        Ok(())
    }

    /// With the paper venue (in process, no notices), books its fills at once.
    async fn settle_paper(&mut self) -> crate::Result<()> {
        if self.paper.is_none() {
            return Ok(());
        }
        for _ in 0..8 {
            if !self.reconcile_due {
                break;
            }
            self.reconcile(Duration::ZERO).await?;
        }
        Ok(())
    }

    async fn poll_control(&mut self, now: Timestamp) -> crate::Result<()> {
        self.last_control = now;
        let rec = control::read_control(self.store.as_ref())?;
        let state = rec.as_ref().map_or(ControlState::Running, |r| r.state);
        if state != self.control {
            tracing::info!(from = self.control.as_str(), to = state.as_str(), "Acting on the control flag");
            self.record(EventKind::Alert, format!("trader acting on {}", state.as_str()), serde_json::Value::Null, now);
            if let Some(rec) = &rec {
                self.alerts.control(rec);
            }
            self.control = state;
            self.runner.strategy.entries_allowed = state.allows_entries();
            if let ControlState::Stop { flatten } = state {
                if flatten {
                    self.flatten(now).await?;
                }
                self.stop_requested = Some(now);
            }
        }
        if let Some(req) = control::take_force_exit(self.store.as_ref())? {
            let codes: Vec<StockCode> =
                req.codes.unwrap_or_else(|| self.runner.engine.portfolio().positions().map(|p| p.code).collect());
            self.record(
                EventKind::Alert,
                format!("force exit of {} codes by {}", codes.len(), req.by),
                serde_json::Value::Null,
                now,
            );
            self.exit_codes(&codes)?;
            self.after_engine().await?;
        }
        Ok(())
    }

    /// Cancels every working order, then sells every holding at market.
    async fn flatten(&mut self, now: Timestamp) -> crate::Result<()> {
        let ids: Vec<ClientOrderId> = self.runner.engine.open_orders().iter().map(|o| o.client_id.clone()).collect();
        self.runner.engine.act(&mut NoStrategy, |ctx| {
            for id in &ids {
                ctx.cancel(id);
            }
        })?;
        self.runner.flush().await?;
        self.reconcile(Duration::ZERO).await?;
        let codes: Vec<StockCode> = self.runner.engine.portfolio().positions().map(|p| p.code).collect();
        self.record(
            EventKind::Alert,
            format!("flatten: {} orders cancelled, {} holdings sold", ids.len(), codes.len()),
            serde_json::Value::Null,
            now,
        );
        self.exit_codes(&codes)?;
        self.after_engine().await?;
        self.reconcile(Duration::ZERO).await
    }

    fn exit_codes(&mut self, codes: &[StockCode]) -> crate::Result<()> {
        let guard = &mut self.runner.strategy;
        self.runner.engine.act(&mut NoStrategy, |ctx| {
            for code in codes {
                guard.exit(ctx, *code, ExitReason::Forced);
            }
        })
    }

    /// At the close: cancel the day orders still working, reconcile, end the day, write the report.
    async fn close_day(&mut self, now: Timestamp) -> crate::Result<()> {
        let ids: Vec<ClientOrderId> = self.runner.engine.open_orders().iter().map(|o| o.client_id.clone()).collect();
        if !ids.is_empty() {
            self.runner.engine.act(&mut NoStrategy, |ctx| ids.iter().for_each(|id| ctx.cancel(id)))?;
            self.runner.flush().await?;
        }
        self.reconcile(Duration::ZERO).await?;
        self.runner.engine.end_of_day(&mut self.runner.strategy, now)?;
        self.after_engine().await?;
        let rep = self.report()?;
        report::persist(self.store.as_ref(), &rep, now)?;
        self.alerts.report(&rep, self.runner.engine.portfolio(), now);
        tracing::info!(report = %rep.summary(), "Day closed");
        Ok(())
    }

    /// Replaces the engine's account with the broker's cash and holdings.
    async fn adopt_broker_account(&mut self) -> crate::Result<()> {
        let broker = self.runner.broker().clone();
        let bal = broker.balance().await?;
        let held = broker.positions().await?;
        let pf = portfolio_from(bal.cash, &held)?;
        self.runner.engine.replace_portfolio(pf);
        Ok(())
    }

    /// The equity at the day's first start (kept in the store so restarts report the whole day).
    fn day_start_equity(&self, now: Timestamp) -> crate::Result<Money> {
        let key = format!("trader.start_equity.{}", now.kst_date());
        if let Some(v) = self.store.setting(&key)? {
            if let Ok(m) = v.parse::<rust_decimal::Decimal>() {
                return Ok(Money::new(m));
            }
        }
        let eq = self.runner.engine.portfolio().equity();
        self.store.set_setting(&key, &eq.get().to_string())?;
        Ok(eq)
    }

    fn publish_status(&mut self, now: Timestamp) -> crate::Result<()> {
        self.last_status = now;
        let pf = self.runner.engine.portfolio();
        let status = TraderStatus {
            mode: self.cfg.mode.clone(),
            strategy: self.strategy_name.clone(),
            state: self.control,
            pid: std::process::id(),
            started_at: self.started_at,
            heartbeat: now,
            cash: pf.cash(),
            equity: pf.equity(),
            pnl_today: pf.equity() - self.start_equity,
            positions: pf.positions().cloned().collect(),
            working_orders: self.runner.engine.open_orders().to_vec(),
            last_error: self.last_error.clone(),
        };
        Ok(control::publish_status(self.store.as_ref(), &status)?)
    }

    fn note_error(&mut self, e: &crate::Error) {
        self.last_error = Some(e.to_string());
        let now = self.clock.now();
        self.record(EventKind::Error, format!("trader error: {e}"), serde_json::Value::Null, now);
        self.alerts.failed(&e.to_string(), now);
    }

    /// Records an event; a failing write is logged (the event is for people, not for correctness).
    fn record(&self, kind: EventKind, message: String, detail: serde_json::Value, ts: Timestamp) {
        tracing::info!(%message, "Trader event");
        let ev = EventRecord { ts, kind, source: "trader".to_owned(), message, detail };
        if let Err(e) = self.store.record_event(&ev) {
            tracing::warn!(error = %e, "Could not record a trader event");
        }
    }
}

/// A strategy that does nothing, for operator actions whose refusals need no strategy callback.
struct NoStrategy;

impl Strategy for NoStrategy {
    fn on_bar(&mut self, _ctx: &mut crate::strategy::Context<'_>, _bar: &crate::domain::Bar) {}
}

/// Whether `e` refuses the whole session rather than one subscription (KIS `OPSP8996`: the app key
/// has a session elsewhere, e.g. a killed process's socket the server has not dropped yet).
fn is_session_refusal(e: &FeedError) -> bool {
    matches!(e, FeedError::Refused { code, .. } if code == "OPSP8996")
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A portfolio holding `cash` and the broker's positions at their average prices.
///
/// # Errors
/// If a position cannot be represented (a zero price).
pub fn portfolio_from(cash: Money, held: &[BrokerPosition]) -> crate::Result<Portfolio> {
    let price_of = |p: &BrokerPosition| Price::new_checked(p.avg_price.to_won().max(1));
    let mut invested = 0_i64;
    for p in held {
        invested += price_of(p)?.notional(p.qty);
    }
    // The synthetic purchases below spend exactly `invested`, leaving the broker's cash.
    let mut pf = Portfolio::new(cash.add_won(invested));
    for p in held {
        if p.qty.is_zero() {
            continue;
        }
        let price = price_of(p)?;
        let fill = Fill {
            client_id: ClientOrderId::new_checked("broker-holding")?,
            code: p.code,
            side: Side::Buy,
            qty: p.qty,
            price,
            commission: Money::ZERO,
            tax: Money::ZERO,
            ts: Timestamp::default(),
        };
        pf.apply_fill(&fill, chrono::NaiveDate::default())?;
        if let Some(last) = p.last_price {
            pf.mark(p.code, last);
        }
    }
    Ok(pf)
}
