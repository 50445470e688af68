//! `hantu trade start`: the trader in the foreground, until the close, `hantu trade stop`, or
//! SIGTERM/SIGINT (stop new orders, finish the request in flight, reconcile, persist, exit 0).
//!
//! - `--live`: orders to KIS (`kis.env`, `kis.rest_url`, the secrets), prices from KIS.
//! - `--paper` (default): prices from KIS (or the local server with `--sandbox`), fills simulated
//!   in process by the backtest venue's rules ([`PaperBroker`]).
//! - `--sandbox`: the local KIS server for prices and orders, its market moving tick by tick.
//!
//! Prices arrive by polling REST quotes ([`PollFeed`]) every `--poll-ms`.
//!
//! For crash tests only: with `TRADER_HOOK_PAUSE_MS=N` the process prints
//! `hook before_place <client id>` / `hook after_reply <client id>` on stderr and sleeps N ms at the
//! two dangerous instants (journal written / broker not called, broker replied / journal not updated),
//! so a harness can SIGKILL it exactly there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDateTime;
use clap::Args;
use hantu_core::clock::{Clock, LiveClock};
use hantu_core::control::{self, ControlRecord, ControlState};
use hantu_core::domain::{ClientOrderId, InstrumentKind, Market, Money, Price, StockCode, Timestamp};
use hantu_core::engine::{EngineConfig, Hook, HookPoint};
use hantu_core::krx::{FeeModel, TickTable};
use hantu_core::sim::PaperBroker;
use hantu_core::store::Store;
use hantu_core::strategies;
use hantu_core::strategy::Strategy;
use hantu_core::trader::{ExitDefaults, PickEntries, RunEnd, Sleeper, Trader, TraderConfig, Venue, load_picks};
use hantu_kis::mock::{MockMarket, ShiftedClock};
use hantu_kis::poll::PollFeed;

use super::kis::{Kis, connect_kis, connect_local_clocked, runtime, sandbox_day};
use super::{Ctx, ExitStatus};

/// The environment variable of the crash-test pause hook (milliseconds).
pub const HOOK_PAUSE_ENV: &str = "TRADER_HOOK_PAUSE_MS";

/// Options of `hantu trade start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Send orders to KIS (the configured environment)
    #[arg(long, conflicts_with = "paper")]
    pub live: bool,
    /// Simulate fills in process against live prices (the default)
    #[arg(long)]
    pub paper: bool,
    /// Built-in strategy (sma-cross, rsi-reversion, grid)
    #[arg(long, conflicts_with = "picks")]
    pub strategy: Option<String>,
    /// Strategy parameter (repeatable), e.g. --param fast=10
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Trade today's persisted picks (entry zone, stop, target, size)
    #[arg(long)]
    pub picks: bool,
    /// Codes to watch and trade (comma-separated or repeated)
    #[arg(long, value_delimiter = ',')]
    pub codes: Vec<String>,
    /// Entries per pick per day (re-entering after an exit)
    #[arg(long, default_value_t = 1)]
    pub max_entries: u32,
    /// Default stop-loss below the entry, e.g. 0.05
    #[arg(long)]
    pub stop_pct: Option<f64>,
    /// Default take-profit above the entry, e.g. 0.10
    #[arg(long)]
    pub target_pct: Option<f64>,
    /// Trailing stop below the high since entry, e.g. 0.03
    #[arg(long)]
    pub trailing_pct: Option<f64>,
    /// Sell a holding this many minutes after its entry
    #[arg(long)]
    pub max_hold_minutes: Option<u32>,
    /// Paper cash in won (default: backtest.cash)
    #[arg(long)]
    pub cash: Option<i64>,
    /// Run on a clock starting at this KST time, e.g. 2025-07-25T10:00 (sandbox replays and tests)
    #[arg(long, value_name = "YYYY-MM-DDTHH:MM[:SS]")]
    pub start_at: Option<String>,
    /// Quote poll interval in milliseconds
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    /// Keep running after the close (default: write the report and exit)
    #[arg(long)]
    pub keep_running: bool,
}

struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(d))
    }
}

fn parse_codes(raw: &[String]) -> anyhow::Result<Vec<StockCode>> {
    raw.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<StockCode>().with_context(|| format!("--codes: {s}")))
        .collect()
}

fn clock_for(args: &StartArgs, sandbox: bool) -> anyhow::Result<Arc<dyn Clock>> {
    if let Some(s) = &args.start_at {
        let dt = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
            .with_context(|| format!("--start-at {s}: expected YYYY-MM-DDTHH:MM[:SS]"))?;
        if args.live {
            tracing::warn!("Live trading on a shifted clock: sessions and dates follow --start-at, not the wall clock");
        }
        return Ok(Arc::new(ShiftedClock::starting_at(Timestamp::from_kst(dt))));
    }
    if sandbox {
        let day = sandbox_day(LiveClock.now().kst_date());
        return Ok(Arc::new(ShiftedClock::starting_at(Timestamp::kst(day, 10, 0))));
    }
    Ok(Arc::new(LiveClock))
}

fn hook_from_env() -> Option<Hook> {
    let ms: u64 = std::env::var(HOOK_PAUSE_ENV).ok()?.parse().ok()?;
    Some(Arc::new(move |point: HookPoint, id: &ClientOrderId| {
        let name = match point {
            HookPoint::BeforePlace => "before_place",
            HookPoint::AfterReply => "after_reply",
        };
        eprintln!("hook {name} {id}");
        // A blocking sleep on purpose: the whole process must stand still at this instant.
        std::thread::sleep(Duration::from_millis(ms));
    }))
}

/// Runs `hantu trade start`.
pub fn run(args: &StartArgs, sandbox: bool, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    runtime()?.block_on(start(args, sandbox, ctx))
}

async fn start(args: &StartArgs, sandbox: bool, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let clock = clock_for(args, sandbox)?;
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let now = clock.now();
    let mut codes = parse_codes(&args.codes)?;
    let picks = if args.picks { load_picks(store.as_ref(), now.kst_date())? } else { Vec::new() };
    if args.picks && picks.is_empty() {
        anyhow::bail!("--picks: no picks stored for {} (run `hantu select` first)", now.kst_date());
    }
    let strategy: Box<dyn Strategy + Send> = match (&args.strategy, args.picks) {
        (Some(name), _) => {
            let params = super::backtest::parse_params(&args.params)?;
            strategies::by_name(name, &params)?
        }
        (None, true) => Box::new(PickEntries::new(&picks).with_max_entries(args.max_entries)),
        (None, false) => anyhow::bail!("give --strategy NAME or --picks"),
    };
    if args.strategy.is_some() && codes.is_empty() {
        anyhow::bail!("--strategy needs --codes to watch");
    }
    codes.dedup();

    let kis: Kis = if sandbox {
        let day = now.kst_date();
        connect_local_clocked(ctx, MockMarket::fixture(day), clock.clone()).await?
    } else {
        connect_kis(ctx, Some(clock.clone()))?
    };
    let mode = match (args.live, sandbox) {
        (true, _) => "live",
        (false, true) if !args.paper => "sandbox",
        _ => "paper",
    };
    let fees = FeeModel { commission_rate: ctx.cfg.config.backtest.commission_rate, tax: true };
    let venue = if mode == "paper" {
        let cash = args.cash.unwrap_or(ctx.cfg.config.backtest.cash);
        Venue::Paper(Arc::new(
            PaperBroker::new().with_cash(Money::from_won(cash)).with_clock(clock.clone()).with_fees(fees),
        ))
    } else {
        Venue::Broker(kis.broker.clone())
    };
    let cfg = TraderConfig {
        mode: mode.to_owned(),
        engine: EngineConfig { fees, limits: ctx.cfg.config.risk.clone(), ..EngineConfig::default() },
        exits: ExitDefaults {
            stop_pct: args.stop_pct,
            target_pct: args.target_pct,
            trailing_pct: args.trailing_pct,
            max_hold_minutes: args.max_hold_minutes,
        },
        stop_after_close: !args.keep_running,
        ..TraderConfig::default()
    };

    // A new start is an operator's request to trade: a stop left in the store is cleared (a pause is kept).
    if matches!(control::control_state(store.as_ref())?, ControlState::Stop { .. }) {
        control::set_control(
            store.as_ref(),
            &ControlRecord {
                state: ControlState::Running,
                by: "cli:start".into(),
                at: now,
                reason: Some("trade start".into()),
            },
        )?;
    }

    let mut trader = Trader::new(cfg, strategy, venue, store.clone(), clock.clone(), &codes)?.with_picks(&picks);
    if let Some(h) = hook_from_env() {
        trader = trader.with_hook(h);
    }
    // Previous closes from quotes: the base of today's limits and of market-buy reservations.
    let mut closes = Vec::new();
    for code in trader.codes().to_vec() {
        match hantu_core::data::MarketData::quote(kis.broker.as_ref(), code).await {
            Ok(q) => closes.extend(q.prev_close.map(|p| (code, p))),
            Err(e) => tracing::warn!(%code, error = %e, "No quote for the previous close"),
        }
    }
    trader.set_prev_closes(&closes);
    trader.start().await.context("starting the trader")?;
    let mut feed = PollFeed::new(kis.broker.clone(), Duration::from_millis(args.poll_ms.max(50)));
    trader.subscribe(&mut feed).await?;

    let shutdown = Arc::new(AtomicBool::new(false));
    spawn_signal_watch(shutdown.clone())?;
    ctx.out.line(format!("trader started: {mode}, {} codes, pid {}", trader.codes().len(), std::process::id()))?;

    let walk_codes = trader.codes().to_vec();
    let result = tokio::select! {
        r = trader.run(&mut feed, &TokioSleeper, &shutdown) => r,
        () = price_walk(&kis, walk_codes, clock.as_ref()) => unreachable_walk(),
    };
    let end = match result {
        Ok(end) => end,
        Err(e) => {
            if let Err(rec) = kis.record_calls(store.as_ref()) {
                tracing::warn!(error = %rec, "Could not record the API calls");
            }
            return Err(e).context("trader failed");
        }
    };
    let report = trader.report()?;
    if let Err(e) = kis.record_calls(store.as_ref()) {
        tracing::warn!(error = %e, "Could not record the API calls");
    }
    kis.close().await;
    if ctx.out.json {
        ctx.out.print_json(&serde_json::json!({ "end": end, "report": report }))?;
    } else {
        ctx.out.line(format!("trader ended: {end:?}"))?;
        ctx.out.line(report.summary())?;
    }
    Ok(match end {
        RunEnd::Shutdown | RunEnd::Stopped | RunEnd::DayClosed | RunEnd::FeedEnded => ExitStatus::Success,
    })
}

/// SIGTERM and SIGINT raise the shutdown flag; the trader stops at its next step.
fn spawn_signal_watch(flag: Arc<AtomicBool>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping new orders and shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: stopping new orders and shutting down"),
        }
        flag.store(true, Ordering::SeqCst);
    });
    Ok(())
}

/// The sandbox walk never ends; this only satisfies the type of its `select!` arm.
fn unreachable_walk() -> hantu_core::Result<RunEnd> {
    Ok(RunEnd::FeedEnded)
}

/// Moves the sandbox market one tick up or down per code every half second, so a sandbox session
/// has prices to trade on. Without a local server it waits forever.
async fn price_walk(kis: &Kis, codes: Vec<StockCode>, clock: &dyn Clock) {
    let Some(server) = kis.server() else { return std::future::pending().await };
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let table = TickTable::for_date(clock.now().kst_date(), Market::Kospi, InstrumentKind::Stock);
        for code in &codes {
            let Some(p) = server.price(*code) else { continue };
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let tick = table.tick(p);
            let next = if seed & 1 == 0 { p + tick } else { (p - tick).max(tick) };
            if Price::new_checked(next).is_ok() {
                server.set_price(*code, next);
            }
        }
    }
}
