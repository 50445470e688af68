//! `hantu demo`: the main job on the embedded default — a simulated KRX market in a SQLite file,
//! screen → select → backtest of trading the picks, and a summary a person can read.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use hantu_core::backtest::{Backtest, merge_series};
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_core::store::Store as _;
use hantu_core::strategies::SmaCross;
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
    /// Seed of the simulated market (same seed, same market)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Runs the demo.
pub fn run(args: &DemoArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let out = &ctx.out;
    let t0 = Instant::now();
    let market = SimMarket::generate(&SimConfig {
        stocks: args.stocks,
        days: args.days,
        seed: args.seed,
        ..SimConfig::default()
    })?;
    let bars_total: usize = market.bars.iter().map(Vec::len).sum();
    let t_gen = t0.elapsed();

    let t1 = Instant::now();
    let store = super::open_store(ctx)?;
    store.upsert_instruments(&market.instruments)?;
    store.upsert_fundamentals(&market.fundamentals)?;
    let pb = out.progress(market.bars.len() as u64, "storing");
    for chunk in market.bars.chunks(100) {
        let flat: Vec<_> = chunk.iter().flatten().copied().collect();
        store.upsert_daily_bars(&flat).context("writing bars")?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    let t_store = t1.elapsed();

    // The most liquid stocks over the last 20 days.
    let mut liquid: Vec<(f64, usize)> = market
        .bars
        .iter()
        .enumerate()
        .map(|(i, s)| (s.iter().rev().take(20).map(hantu_core::domain::Bar::traded_value).sum::<f64>(), i))
        .collect();
    liquid.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let picks: Vec<usize> = liquid.iter().take(20).map(|(_, i)| *i).collect();
    let series: Vec<_> = picks.iter().map(|&i| market.bars[i].clone()).collect();
    let t2 = Instant::now();
    let bars = merge_series(&series)?;
    let mut strategy = SmaCross::new(10, 30)?.with_weight(0.1)?;
    let report = Backtest::new(super::backtest::config_from(ctx, None))
        .with_instruments(&market.instruments)
        .run(&bars, &mut strategy)?;
    let t_bt = t2.elapsed();

    let s = &report.stats;
    if out.json {
        out.print_json(&json!({
            "market": { "stocks": market.instruments.len(), "days": market.dates().len(), "bars": bars_total, "seed": args.seed },
            "db": ctx.db.display().to_string(),
            "picks": picks.iter().map(|&i| market.instruments[i].code.to_string()).collect::<Vec<_>>(),
            "stats": s,
            "timings_ms": { "generate": t_gen.as_millis(), "store": t_store.as_millis(), "backtest": t_bt.as_millis() },
        }))?;
        return Ok(ExitStatus::Success);
    }
    out.heading("hantu demo — simulated KRX market")?;
    out.line(format!(
        "market   {} stocks × {} trading days ({} bars, seed {}) generated in {:.2?}, stored in {} in {:.2?}",
        market.instruments.len(),
        market.dates().len(),
        bars_total,
        args.seed,
        t_gen,
        ctx.db.display(),
        t_store
    ))?;
    out.heading("Backtest")?;
    out.line(format!("{} bars in {:.2?}", report.bars, t_bt))?;
    out.print_table(
        &["return", "annual", "sharpe", "max dd", "trades", "win rate", "final equity"],
        vec![vec![
            pct(s.total_return),
            pct(s.annual_return),
            format!("{:.2}", s.sharpe),
            pct(s.max_drawdown),
            s.trades.to_string(),
            pct(s.win_rate),
            won(s.final_equity.to_won()),
        ]],
    )?;
    Ok(ExitStatus::Success)
}
