//! `hantu trade start`: the trader in the foreground, until the close, `hantu trade stop`, or
//! SIGTERM/SIGINT (stop new orders, finish the request in flight, reconcile, persist, exit 0).
//!
//! - `--live`: orders to KIS (`kis.env`, `kis.rest_url`, the secrets), prices from KIS.
//! - `--paper` (default): prices from KIS (or the local server with `--sandbox`), fills simulated
//!   in process by the backtest venue's rules ([`PaperBroker`]).
//! - `--sandbox`: the local KIS server for prices and orders, its market moving tick by tick.
//!
//! Prices and the account's order/fill notices arrive over the KIS WebSocket ([`KisFeed`]: the
//! environment's, `kis.ws_url`, or the local server's), which reconnects, re-subscribes and gap-fills
//! over REST on its own; every reconnect and gap is a store event (source `ws`) and triggers a
//! reconcile. Notices need the account's HTS id (`HANTU_KIS_HTS_ID`; the local server's own in the
//! sandbox); without it fills are learnt by the periodic reconcile.
//!
//! One trader per account: `--live` and `--sandbox` take the store's account lock
//! ([`Store::try_lock_account`]) before touching the journal, and refuse to start while another
//! process holds it, naming that trader. Notifications go to the configured channels (`[notify]`).
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
use hantu_core::control;
use hantu_core::domain::{ClientOrderId, InstrumentKind, Market, Money, Price, StockCode, Timestamp};
use hantu_core::engine::{EngineConfig, Hook, HookPoint};
use hantu_core::krx::{FeeModel, TickTable};
use hantu_core::store::Store;
use hantu_core::strategies;
use hantu_core::strategy::Strategy;
use hantu_core::trader::{
    ExitDefaults, PickEntries, RunEnd, Sleeper, Trader, TraderConfig, Venue, clear_stale_stop, load_picks, prev_closes,
};
use hantu_kis::mock::{MockMarket, ShiftedClock};
use hantu_kis::ws::{FeedConfig, KisFeed};

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
    // First, so a SIGTERM during start-up is a graceful stop at the first step, not a kill.
    let shutdown = Arc::new(AtomicBool::new(false));
    spawn_signal_watch(shutdown.clone())?;
    let clock = clock_for(args, sandbox)?;
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let now = clock.now();
    let mut codes = parse_codes(&args.codes)?;
    let picks = if args.picks { load_picks(store.as_ref(), now.kst_date())? } else { Vec::new() };
    if args.picks && picks.is_empty() {
        anyhow::bail!("--picks: no picks stored for {} (run `hantu select` first)", now.kst_date());
    }
    let strategy: Box<dyn Strategy + Send> = match (&args.strategy, args.picks) {
        (Some(name), _) if name.contains(".py") => anyhow::bail!(
            "--strategy {name}: Python strategies run through the hantu Python package: \
             python -m hantu trade start --strategy {name} (see docs/trader.md)"
        ),
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
    // Held until this function returns (or the process dies, when the operating system drops it).
    let _account_lock = match mode {
        "paper" => None,
        _ => match lock_account(ctx, &kis, store.as_ref())? {
            Ok(lock) => Some(lock),
            Err(holder) => {
                let msg = format!(
                    "another trader holds this account on this store: {holder}; stop it first (hantu trade stop)"
                );
                if ctx.out.json {
                    ctx.out.print_json(&serde_json::json!({ "ok": false, "error": msg }))?;
                }
                eprintln!("error: {msg}");
                kis.close().await;
                return Ok(ExitStatus::Failure);
            }
        },
    };
    let fees = FeeModel { commission_rate: ctx.cfg.config.backtest.commission_rate, tax: true };
    let venue = if mode == "paper" {
        let cash = args.cash.unwrap_or(ctx.cfg.config.backtest.cash);
        Venue::paper(Money::from_won(cash), clock.clone(), fees)
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
    clear_stale_stop(store.as_ref(), "cli:start", now)?;

    let mut trader = Trader::new(cfg, strategy, venue, store.clone(), clock.clone(), &codes)?.with_picks(&picks);
    if let Some(h) = hook_from_env() {
        trader = trader.with_hook(h);
    }
    let delivery = crate::service::notify::start(&ctx.cfg, store.clone()).context("starting notifications")?;
    if let Some(d) = &delivery {
        trader = trader.with_notifier(d.notifier.clone());
    }
    // Previous closes from quotes: the base of today's limits and of market-buy reservations.
    let closes = prev_closes(kis.broker.as_ref(), trader.codes()).await;
    trader.set_prev_closes(&closes);
    trader.start().await.context("starting the trader")?;
    let hts_id = match kis.server() {
        Some(server) => Some(server.hts_id()),
        None => ctx.cfg.secrets.get("HANTU_KIS_HTS_ID").map(|(s, _)| s.expose().to_owned()),
    };
    let mut feed = open_feed(&kis, hts_id).await?;
    subscribe(&trader, &mut feed).await?;

    ctx.out.line(format!("trader started: {mode}, {} codes, pid {}", trader.codes().len(), std::process::id()))?;

    let walk_codes = trader.codes().to_vec();
    let result = tokio::select! {
        r = trader.run(&mut feed, &TokioSleeper, &shutdown) => r,
        () = price_walk(&kis, walk_codes, clock.as_ref()) => unreachable_walk(),
    };
    feed.close().await;
    let end = match result {
        Ok(end) => end,
        Err(e) => {
            if let Err(rec) = kis.record_calls(store.as_ref()) {
                tracing::warn!(error = %rec, "Could not record the API calls");
            }
            close_notifications(delivery).await;
            return Err(e).context("trader failed");
        }
    };
    close_notifications(delivery).await;
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

/// Takes the account lock: `Err` names the holder when another process has it.
fn lock_account(
    ctx: &Ctx,
    kis: &Kis,
    store: &dyn Store,
) -> anyhow::Result<Result<hantu_core::store::AccountLock, String>> {
    let account = match kis.server() {
        Some(server) => server.account(),
        None => ctx.cfg.secret("HANTU_KIS_ACCOUNT")?.expose().to_owned(),
    };
    if let Some(lock) = store.try_lock_account(&account).context("taking the account lock")? {
        return Ok(Ok(lock));
    }
    let holder = match control::trader_status(store)? {
        Some(s) if s.pid != std::process::id() && std::path::Path::new(&format!("/proc/{}", s.pid)).exists() => {
            format!("the {} trader pid {} ({}), started {}", s.mode, s.pid, s.strategy, s.started_at)
        }
        Some(s) => format!("another process (the last trader to publish its status was pid {})", s.pid),
        None => "another process".to_owned(),
    };
    Ok(Err(holder))
}

/// Opens the WebSocket (a few tries: a restart may race the server's cleanup of the old socket).
async fn open_feed(kis: &Kis, hts_id: Option<String>) -> anyhow::Result<KisFeed> {
    let client = kis.broker.client().clone();
    let mut config = FeedConfig::for_client(&client);
    if let Some(url) = kis.ws_url() {
        config = config.with_ws_url(url);
    }
    if let Some(h) = hts_id.filter(|h| !h.is_empty()) {
        config = config.with_hts_id(h);
    }
    let mut tries = 0u64;
    loop {
        match KisFeed::connect(client.clone(), config.clone()).await {
            Ok(feed) => return Ok(feed),
            Err(e) if tries < 4 => {
                tracing::warn!(error = %e, "Opening the KIS WebSocket failed; retrying");
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
            }
            Err(e) => return Err(e).context("opening the KIS WebSocket"),
        }
    }
}

/// Subscribes the trader's codes and notices. KIS refuses a second session of one app key
/// (`OPSP8996`) until it notices the first is gone — a restart right after a crash can meet that —
/// so that refusal is retried for a bounded time (the feed reconnects on its own meanwhile).
async fn subscribe(trader: &Trader, feed: &mut KisFeed) -> anyhow::Result<()> {
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match trader.subscribe(feed).await {
            Ok(()) => return Ok(()),
            Err(hantu_core::realtime::FeedError::Refused { code, message })
                if code == "OPSP8996" && tokio::time::Instant::now() < until =>
            {
                tracing::warn!(%code, %message, "The app key's WebSocket session is still in use; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e).context("subscribing to the real-time feed"),
        }
    }
}

/// Lets queued notifications go out before the process ends (bounded).
async fn close_notifications(delivery: Option<crate::service::notify::delivery::Delivery>) {
    if let Some(d) = delivery {
        if !d.close(Duration::from_secs(5)).await {
            tracing::warn!("Some notifications were still queued at exit");
        }
    }
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

/// Prints a trade one tick up or down per code every half second on the local server (sent over its
/// WebSocket), so a sandbox session has prices to trade on. Without a local server it waits forever.
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
                server.print_trade(*code, next, 1 + (seed >> 8) % 100);
            }
        }
    }
}
