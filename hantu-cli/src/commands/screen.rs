//! `hantu screen`: Phase 1 over the store (or `--sim`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use hantu_core::domain::StockCode;
use hantu_core::notify::{Message, Notification, Notifier};
use hantu_core::screen::ScreenResult;
use hantu_core::store::Store;
use serde_json::json;

use super::rules::{UniverseArgs, screener, universe};
use super::{Ctx, ExitStatus};
use crate::service::notify::{self as notify, delivery};

/// Screen the market into a ranked watchlist.
///
/// Reads the store (fill it with `hantu data import DIR` or `hantu demo`) or, with --sim, the
/// simulated market. Runs over the store are saved and compared with the previous run.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Screen rules (TOML) [default: screen.config, else the built-in screen]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: all cores]
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    /// Explain why one stock is in or out instead of listing the watchlist
    #[arg(long, value_name = "CODE")]
    pub why: Option<String>,
    /// Rows to print
    #[arg(long, default_value_t = 30)]
    pub top: usize,
    /// Where the stocks come from.
    #[command(flatten)]
    pub universe: UniverseArgs,
    /// Do not send the new-entry alert to the configured notification channels
    #[arg(long)]
    pub no_notify: bool,
    /// Also tell which stocks left the list
    #[arg(long)]
    pub exits: bool,
    /// Screen again every --every until interrupted (Ctrl-C), alerting on each run's new entries
    #[arg(long, conflicts_with_all = ["why", "sim"])]
    pub watch: bool,
    /// Interval between watch runs (e.g. 30s, 5m)
    #[arg(long, default_value = "30s", value_parser = parse_interval, value_name = "DURATION")]
    pub every: std::time::Duration,
    /// Stop watching after this many runs
    #[arg(long, value_name = "N", requires = "watch")]
    pub count: Option<u64>,
}

/// Parses `30s`, `5m`, `1h` or plain seconds.
pub(crate) fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a duration like 30s, 5m or 1h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?}: the unit must be s, m or h")),
    };
    if secs == 0 {
        return Err("the interval must be at least 1s".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// Runs `f` on a pool of `n` threads (or the global pool).
pub fn with_threads<T: Send>(n: Option<usize>, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    match n {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build().context("thread pool")?;
            Ok(pool.install(f))
        }
    }
}

/// Runs `hantu screen`.
pub fn run(a: &ScreenArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let alerts = !a.no_notify && !a.universe.sim && a.why.is_none() && !notify::configured(&ctx.cfg).is_empty();
    if !a.watch && !alerts {
        return run_once(a, ctx, None).map(|_| ExitStatus::Success);
    }
    // A runtime with one worker: the channels deliver on it while the screen computes here.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let delivery = if alerts { notify::start(&ctx.cfg, Arc::new(super::open_store(ctx)?))? } else { None };
        let notifier = delivery.as_ref().map(|d| Arc::clone(&d.notifier) as Arc<dyn Notifier>);
        let mut runs = 0_u64;
        let result = loop {
            if let Err(e) = tokio::task::block_in_place(|| run_once(a, ctx, notifier.as_deref())) {
                if !a.watch {
                    break Err(e);
                }
                // A watch outlives one bad run (the store busy, data mid-import): say so and go on.
                tracing::error!(error = %format!("{e:#}"), "Screen run failed");
                eprintln!("screen run failed: {e:#}");
            }
            runs += 1;
            if !a.watch || a.count.is_some_and(|c| runs >= c) {
                break Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(a.every) => {}
                _ = tokio::signal::ctrl_c() => break Ok(()),
            }
        };
        if let Some(d) = delivery {
            if !d.close(std::time::Duration::from_secs(30)).await {
                eprintln!("some notifications were still being delivered at exit (see `hantu notify history`)");
            }
        }
        result.map(|()| ExitStatus::Success)
    })
}

/// One screen run: compute, compare with the previous stored run, save, alert, print.
fn run_once(a: &ScreenArgs, ctx: &Ctx, notifier: Option<&dyn Notifier>) -> anyhow::Result<()> {
    let screener = screener(ctx, a.config.as_deref())?;
    let (universe, as_of) = universe(ctx, &a.universe, screener.config().history)?;
    let started = std::time::Instant::now();
    let result = with_threads(a.parallel, || screener.run(&universe, as_of))??;
    let elapsed = started.elapsed();
    if let Some(code) = &a.why {
        let code: StockCode = code.parse().context("--why")?;
        let why = result.why(code);
        if ctx.out.json {
            ctx.out.print_json(&why)?;
        } else {
            ctx.out.line(why.to_string())?;
        }
        return Ok(());
    }
    let mut diff = None;
    if !a.universe.sim {
        let store = super::open_store(ctx)?;
        if let Some(prev) = store.latest_watchlist()? {
            diff = Some(result.diff_stored(&prev));
        }
        result.save(&screener, &store)?;
    }
    if let (Some(n), Some(d)) = (notifier, &diff) {
        if let Some(m) = Message::screen_entries(&result, d, a.exits) {
            n.notify(&Notification::new(delivery::now(), m));
        }
    }
    print(ctx, &result, a.top, elapsed, diff.as_ref())
}

/// Prints a watchlist.
pub fn print(
    ctx: &Ctx,
    r: &ScreenResult,
    top: usize,
    elapsed: std::time::Duration,
    diff: Option<&hantu_core::screen::WatchlistDiff>,
) -> anyhow::Result<()> {
    let cols: Vec<String> = r.columns().iter().map(ToString::to_string).collect();
    if ctx.out.json {
        return ctx.out.print_json(&json!({
            "screen": r.screen,
            "as_of": r.as_of,
            "universe": r.universe_size,
            "evaluated": r.evaluated,
            "admitted": r.entries.len(),
            "seconds": elapsed.as_secs_f64(),
            "new_entries": diff.map(|d| &d.entered),
            "exits": diff.map(|d| &d.exited),
            "entries": r.entries.iter().map(|e| json!({
                "rank": e.rank, "code": e.code, "name": e.name, "market": e.market, "sector": e.sector, "score": e.score,
                "criteria": cols.iter().zip(&e.values).map(|(c, v)| (c.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        }));
    }
    ctx.out.heading(&format!(
        "Screen {} as of {}: {} of {} stocks admitted ({} evaluated) in {:.0?}",
        r.screen,
        r.as_of,
        r.entries.len(),
        r.universe_size,
        r.evaluated,
        elapsed
    ))?;
    if let Some(d) = diff {
        let shown: Vec<String> = d.entered.iter().take(10).map(ToString::to_string).collect();
        let more = if d.entered.len() > shown.len() { " …" } else { "" };
        let list = if shown.is_empty() { String::new() } else { format!(": {}{more}", shown.join(" ")) };
        ctx.out.line(format!("since the last run: {} new{list}; {} left", d.entered.len(), d.exited.len()))?;
    }
    let shown: Vec<usize> = (0..cols.len()).take(5).collect();
    let mut headers = vec!["rank", "code", "name", "market", "sector", "score"];
    headers.extend(shown.iter().map(|&i| cols[i].as_str()));
    let rows = r
        .entries
        .iter()
        .take(top)
        .map(|e| {
            let mut row = vec![
                e.rank.to_string(),
                e.code.to_string(),
                e.name.clone(),
                e.market.to_string(),
                e.sector.clone().unwrap_or_default(),
                e.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
            ];
            row.extend(shown.iter().map(|&i| e.values[i].map(|v| format!("{v:.2}")).unwrap_or_else(|| "?".into())));
            row
        })
        .collect();
    ctx.out.print_table(&headers, rows)
}
