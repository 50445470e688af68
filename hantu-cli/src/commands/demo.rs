//! `hantu demo`: the main job on the embedded default — a simulated KRX market in a SQLite file,
//! screen → select → backtest of trading the picks, and a summary a person can read.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use hantu_core::pipeline::{PipelineConfig, run_pipeline};
use hantu_core::screen::Universe;
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_core::store::Store as _;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::output::{pct, won};

/// Run the whole day on a simulated market.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Stocks in the simulated market
    #[arg(long, default_value_t = 2_875)]
    pub stocks: usize,
    /// Trading days of history
    #[arg(long, default_value_t = 500)]
    pub days: usize,
    /// Trading days the screen → select → trade backtest covers (the most recent ones)
    #[arg(long, default_value_t = 120)]
    pub backtest_days: usize,
    /// Seed of the simulated market (same seed, same market)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Runs the demo.
pub fn run(args: &DemoArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let out = &ctx.out;
    let t = Instant::now();
    let market = SimMarket::generate(&SimConfig {
        stocks: args.stocks,
        days: args.days,
        seed: args.seed,
        ..SimConfig::default()
    })?;
    let bars_total: usize = market.bars.iter().map(Vec::len).sum();
    let t_gen = t.elapsed();

    let t = Instant::now();
    let store = super::open_store(ctx)?;
    store.upsert_instruments(&market.instruments)?;
    store.upsert_fundamentals(&market.fundamentals)?;
    let pb = out.progress(market.bars.len() as u64, "storing bars");
    for chunk in market.bars.chunks(200) {
        let flat: Vec<_> = chunk.iter().flatten().copied().collect();
        store.upsert_daily_bars(&flat).context("writing bars")?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    let t_store = t.elapsed();

    let t = Instant::now();
    let universe = Universe::from_sim(&market)?;
    let screener = super::rules::screener(ctx, None)?;
    let selector = super::rules::selector(ctx, None)?;
    let today = *market.dates().last().context("empty market")?;
    let watchlist = screener.run(&universe, today)?;
    let cash = ctx.cfg.config.backtest.cash;
    let selection = selector.select(&universe, &watchlist, &[], hantu_core::domain::Money::from_won(cash))?;
    let run_id = watchlist.save(&screener, &store)?;
    selection.save(&selector, &store, Some(run_id))?;
    let t_pick = t.elapsed();

    let t = Instant::now();
    let dates = market.dates();
    let from = dates[dates.len().saturating_sub(args.backtest_days.max(2))];
    let cfg = PipelineConfig {
        from: Some(from),
        backtest: super::backtest::config_from(ctx, None),
        ..PipelineConfig::default()
    };
    let pb = out.progress(0, "backtesting");
    pb.set_message("backtesting the pipeline");
    pb.tick();
    let run = run_pipeline(&universe, &screener, &selector, &cfg)?;
    pb.finish_and_clear();
    hantu_core::store::save_backtest_report(&store, &run.report)?;
    let t_bt = t.elapsed();

    let s = &run.report.stats;
    if out.json {
        out.print_json(&json!({
            "market": { "stocks": market.instruments.len(), "days": dates.len(), "bars": bars_total, "seed": args.seed },
            "db": ctx.db.display().to_string(),
            "as_of": today,
            "watchlist": watchlist.entries.len(),
            "picks": selection.picks,
            "backtest": { "from": from, "days": run.selections.len() + 1, "stats": s, "trades": run.report.trades.len() },
            "timings_ms": {
                "generate": t_gen.as_millis(), "store": t_store.as_millis(),
                "screen_select": t_pick.as_millis(), "pipeline": t_bt.as_millis(),
            },
        }))?;
        return Ok(ExitStatus::Success);
    }
    out.heading("hantu demo — a trader's day on a simulated KRX market")?;
    out.line(format!(
        "1. market   {} stocks × {} trading days ({} bars, seed {}), generated in {:.2?}, stored in {} in {:.2?}",
        market.instruments.len(),
        dates.len(),
        bars_total,
        args.seed,
        t_gen,
        ctx.db.display(),
        t_store
    ))?;
    out.line(format!(
        "2. screen   {}: {} of {} stocks on the watchlist as of {}",
        watchlist.screen,
        watchlist.entries.len(),
        watchlist.universe_size,
        today
    ))?;
    out.line(format!(
        "3. select   {} picks for the next session (screen + select in {:.0?})",
        selection.picks.len(),
        t_pick
    ))?;
    super::select::print(ctx, &selection, false)?;
    out.line(format!(
        "4. trade    screen → select → trade, day by day over {} sessions from {from} (no look-ahead), in {:.2?}",
        run.selections.len() + 1,
        t_bt
    ))?;
    out.print_table(
        &["return", "annual", "sharpe", "max dd", "trades", "win rate", "final equity", "costs"],
        vec![vec![
            pct(s.total_return),
            pct(s.annual_return),
            format!("{:.2}", s.sharpe),
            pct(s.max_drawdown),
            s.trades.to_string(),
            pct(s.win_rate),
            won(s.final_equity.to_won()),
            won((s.commission + s.tax).to_won()),
        ]],
    )?;
    out.line(format!(
        "Everything is in {}: try `hantu screen --why {}`, `hantu select --analyze`, `hantu backtest --store --codes {}`.",
        ctx.db.display(),
        selection.picks.first().map_or_else(|| market.instruments[0].code.to_string(), |p| p.code.to_string()),
        selection.picks.first().map_or_else(|| market.instruments[0].code.to_string(), |p| p.code.to_string()),
    ))?;
    Ok(ExitStatus::Success)
}
