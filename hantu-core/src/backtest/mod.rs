//! Backtests: the engine and the simulated venue driven over history.
//!
//! ```
//! use hantu_core::backtest::{Backtest, BacktestConfig};
//! use hantu_core::sim::{SimConfig, SimMarket};
//! use hantu_core::strategies::SmaCross;
//!
//! let market = SimMarket::generate(&SimConfig { stocks: 5, days: 250, ..SimConfig::default() })?;
//! let bars = market.bars_for(market.instruments[0].code).unwrap();
//! let mut strategy = SmaCross::new(10, 30)?;
//! let report = Backtest::new(BacktestConfig::default())
//!     .with_instruments(&market.instruments)
//!     .run(bars, &mut strategy)?;
//! println!("{}", report.stats);
//! assert_eq!(report.equity.len(), 250);
//! # Ok::<(), hantu_core::Error>(())
//! ```
//!
//! A run is deterministic: the same bars, config and strategy give a bit-identical report.

mod batch;
mod feed;
mod report;
mod stats;
mod trades;

pub use batch::{BatchJob, run_batch};
pub use feed::{merge_series, validate_order};
pub use report::BacktestReport;
pub use stats::Stats;
pub use trades::{Trade, round_trips};

use crate::domain::{Bar, Instrument, InstrumentKind, Market, OrderStatus};
use crate::engine::{Engine, EngineConfig, Outgoing};
use crate::sim::{SimBroker, SimBrokerConfig, SimEvent};
use crate::strategy::Strategy;

/// Appends the next chunk of bars to an emptied buffer (none at the end).
type Refill<'a> = dyn FnMut(&mut Vec<Bar>) + 'a;

/// Everything that decides a backtest besides data and strategy.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BacktestConfig {
    /// Cash, fees for reservations, risk limits.
    pub engine: EngineConfig,
    /// Venue realism: fees charged, participation, slippage.
    pub broker: SimBrokerConfig,
}

impl BacktestConfig {
    /// Starting cash in won.
    #[must_use]
    pub fn with_cash(mut self, won: i64) -> Self {
        self.engine.cash = crate::domain::Money::from_won(won);
        self
    }

    /// One fee model for reservations and the venue.
    #[must_use]
    pub fn with_fees(mut self, fees: crate::krx::FeeModel) -> Self {
        self.engine.fees = fees;
        self.broker.fees = fees;
        self
    }
}

/// A configured backtest.
#[derive(Clone, Debug, Default)]
pub struct Backtest {
    cfg: BacktestConfig,
    instruments: Vec<Instrument>,
}

impl Backtest {
    /// A backtest with these settings.
    #[must_use]
    pub fn new(cfg: BacktestConfig) -> Self {
        Self { cfg, instruments: Vec::new() }
    }

    /// Instruments of the stocks traded (market, kind and sector decide ticks, tax and budgets).
    #[must_use]
    pub fn with_instruments(mut self, instruments: &[Instrument]) -> Self {
        self.instruments = instruments.to_vec();
        self
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &BacktestConfig {
        &self.cfg
    }

    /// Runs `strategy` over `bars`, which must be in time order (for several stocks: by time,
    /// then code, as [`merge_series`] produces).
    ///
    /// # Errors
    /// Bars out of order or duplicated (naming the bar), an invalid config, or an engine error.
    pub fn run(&self, bars: &[Bar], strategy: &mut dyn Strategy) -> crate::Result<BacktestReport> {
        let days = validate_order(bars)?;
        self.drive(bars, None, days, strategy)
    }

    /// Runs `strategy` over bars that a source hands over a chunk at a time, so a caller holding
    /// bars in another layout (columns of a data frame) need not build a `[Bar]` of them all:
    /// `fill` appends the next bars to the empty buffer it is given (a few thousand is plenty;
    /// the buffer stays in cache), and appends none at the end. `days` is a hint (the number of
    /// trading days) for reserving the equity curve.
    ///
    /// Each chunk is checked for order as it comes (time never goes back; bars sharing a time
    /// come in strictly increasing code order); a bar out of order stops the run with an error
    /// naming it, after the strategy has seen the bars before it. A source that finds bad data
    /// stops by appending none: the report then covers the bars before, and the caller, which
    /// knows why it stopped, discards it. Use [`Backtest::run`] when a strategy must not start
    /// on data that turns out bad. Given the same bars, both give bit-identical reports, and the
    /// loop over each chunk is the one [`Backtest::run`] runs over its slice.
    ///
    /// # Errors
    /// A bar out of order or duplicated (naming it), an invalid config, or an engine error.
    pub fn run_chunked<F>(&self, mut fill: F, days: usize, strategy: &mut dyn Strategy) -> crate::Result<BacktestReport>
    where
        F: FnMut(&mut Vec<Bar>),
    {
        self.run_chunks(&mut fill, days, strategy)
    }

    /// [`Backtest::run_chunked`] compiled once, here: the run loop is then optimised with the
    /// engine's code in view (a loop instantiated in the caller's crate could not inline it,
    /// and ran half again as long). One dynamic call per chunk costs nothing.
    fn run_chunks(
        &self,
        fill: &mut dyn FnMut(&mut Vec<Bar>),
        days: usize,
        strategy: &mut dyn Strategy,
    ) -> crate::Result<BacktestReport> {
        let (mut last, mut offset, mut error): (Option<Bar>, usize, Option<crate::Error>) = (None, 0, None);
        let mut more = |buf: &mut Vec<Bar>| {
            if error.is_some() {
                return;
            }
            fill(buf);
            if let Err((k, e)) = feed::check_chunk(last.as_ref(), buf, offset) {
                error = Some(e);
                buf.truncate(k);
            }
            offset += buf.len();
            last = buf.last().copied().or(last);
        };
        let report = self.drive(&[], Some(&mut more), days, strategy);
        match error {
            Some(e) => Err(e),
            None => report,
        }
    }

    /// The run loop over bars in order: `bars`, then (when `more` is given) the chunks it
    /// appends to an emptied buffer until it appends none. Each bar is used where it lies.
    fn drive(
        &self,
        bars: &[Bar],
        mut more: Option<&mut Refill<'_>>,
        days: usize,
        strategy: &mut dyn Strategy,
    ) -> crate::Result<BacktestReport> {
        if !(self.cfg.broker.participation > 0.0 && self.cfg.broker.participation <= 1.0) {
            return Err(crate::Error::config("broker.participation", "must be in (0, 1]"));
        }
        let mut engine = Engine::new(self.cfg.engine.clone())?;
        engine.add_instruments(&self.instruments);
        engine.reserve_days(days);
        let mut venue = SimBroker::new(self.cfg.broker, self.cfg.engine.cash);
        let mut events = Vec::new();
        let mut buf: Vec<Bar> = Vec::new();
        let mut chunk = bars;
        if chunk.is_empty() {
            if let Some(m) = more.as_mut() {
                m(&mut buf);
            }
            chunk = &buf;
        }
        let Some(first) = chunk.first().copied() else {
            return Ok(BacktestReport::build(strategy.name(), &self.cfg, engine, 0));
        };
        engine.start(strategy, first.ts)?;
        route(&mut engine, &mut venue, strategy)?;
        let mut day = first.ts.kst_day_number();
        let mut last_ts = first.ts;
        let mut count: u64 = 0;
        loop {
            for bar in chunk {
                let d = bar.ts.kst_day_number();
                if d != day {
                    close_day(&mut engine, &mut venue, strategy, day, last_ts, &mut events)?;
                    day = d;
                }
                last_ts = bar.ts;
                venue.on_bar(bar, &mut events);
                if !events.is_empty() {
                    apply(&mut engine, strategy, &mut events)?;
                }
                engine.on_bar(strategy, bar)?;
                if engine.has_outgoing() {
                    route(&mut engine, &mut venue, strategy)?;
                }
            }
            count += chunk.len() as u64;
            let Some(m) = more.as_mut() else { break };
            buf.clear();
            m(&mut buf);
            chunk = &buf;
            if chunk.is_empty() {
                break;
            }
        }
        close_day(&mut engine, &mut venue, strategy, day, last_ts, &mut events)?;
        engine.stop(strategy)?;
        // Orders submitted at the very end have no bar left to trade in.
        let leftovers: Vec<Outgoing> = engine.drain_outbox().collect();
        for msg in leftovers {
            if let Outgoing::Place(a) = msg {
                let id = a.order().client_id.clone();
                engine.on_order_status(
                    strategy,
                    &id,
                    OrderStatus::Cancelled,
                    None,
                    Some("backtest ended".into()),
                    last_ts,
                )?;
            }
        }
        let open: Vec<_> = engine.open_orders().iter().map(|o| o.client_id.clone()).collect();
        for id in open {
            engine.on_order_status(
                strategy,
                &id,
                OrderStatus::Cancelled,
                None,
                Some("backtest ended".into()),
                last_ts,
            )?;
        }
        Ok(BacktestReport::build(strategy.name(), &self.cfg, engine, count))
    }
}

fn close_day(
    engine: &mut Engine,
    venue: &mut SimBroker,
    strategy: &mut dyn Strategy,
    day: i64,
    ts: crate::domain::Timestamp,
    events: &mut Vec<SimEvent>,
) -> crate::Result<()> {
    venue.end_of_day(day, events);
    if !events.is_empty() {
        apply(engine, strategy, events)?;
    }
    engine.end_of_day(strategy, ts)?;
    if engine.has_outgoing() {
        route(engine, venue, strategy)?;
    }
    Ok(())
}

fn apply(engine: &mut Engine, strategy: &mut dyn Strategy, events: &mut Vec<SimEvent>) -> crate::Result<()> {
    for ev in events.drain(..) {
        match ev {
            SimEvent::Fill(f) => engine.on_fill(strategy, f)?,
            SimEvent::Done { client_id, status, reason } => {
                let ts = engine.now();
                engine.on_order_status(strategy, &client_id, status, None, Some(reason), ts)?;
            }
        }
    }
    Ok(())
}

/// Carries the engine's outbox to the venue until it stays empty (acks may trigger new orders).
fn route(engine: &mut Engine, venue: &mut SimBroker, strategy: &mut dyn Strategy) -> crate::Result<()> {
    while engine.has_outgoing() {
        let out: Vec<Outgoing> = engine.drain_outbox().collect();
        for msg in out {
            let now = engine.now();
            match msg {
                Outgoing::Place(a) => {
                    let code = a.order().request.code;
                    let info = engine.instruments().get(code);
                    let (market, kind) = info.map_or((Market::Kospi, InstrumentKind::Stock), |i| (i.market, i.kind));
                    let reference = engine.instruments().reference(code, now);
                    let id = a.order().client_id.clone();
                    match venue.submit(&a, market, kind, reference, now) {
                        Ok(broker_id) => {
                            engine.on_order_status(strategy, &id, OrderStatus::Accepted, Some(broker_id), None, now)?;
                        }
                        Err(reason) => {
                            engine.on_order_status(strategy, &id, OrderStatus::Rejected, None, Some(reason), now)?;
                        }
                    }
                }
                Outgoing::Cancel(id) => {
                    if let Some(SimEvent::Done { client_id, status, reason }) =
                        venue.cancel(&id, "cancelled by strategy")
                    {
                        engine.on_order_status(strategy, &client_id, status, None, Some(reason), now)?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
