//! Screen the whole market into a watchlist, pick today's candidates from it, store both,
//! explain a result, and backtest the screen → select → trade pipeline over history.
//!
//! The screen and the selection are the TOML files in `examples/config/`; edit them and rerun.
//! Without an argument the market is simulated (2,875 stocks × 500 days) and the runs are kept
//! in memory; with the path of a SQLite store (e.g. one filled by `hantu data import`), the
//! universe is read from it and the runs are written to it.
//!
//! Run with: `cargo run --release -p hantu-examples --example screen_then_select [-- store.db]`

use std::time::Instant;

use hantu_core::domain::Money;
use hantu_core::pipeline::{PipelineConfig, run_pipeline};
use hantu_core::screen::{ScreenConfig, Screener, Universe};
use hantu_core::select::{SelectConfig, Selector};
use hantu_core::sim::{SimConfig, SimMarket};
use hantu_core::store::{MemoryStore, SqliteStore, Store};

const SCREEN: &str = include_str!("../config/screen.toml");
const SELECT: &str = include_str!("../config/select.toml");

fn main() -> anyhow::Result<()> {
    let (universe, store): (Universe, Box<dyn Store>) = match std::env::args().nth(1) {
        Some(path) => {
            let store = SqliteStore::open(&path)?;
            let universe = Universe::from_store(&store, "1990-01-01".parse()?, "2100-12-31".parse()?)?;
            (universe, Box::new(store))
        }
        None => {
            let market = SimMarket::generate(&SimConfig { stocks: 2_875, days: 500, ..SimConfig::default() })?;
            (Universe::from_sim(&market)?, Box::new(MemoryStore::new()))
        }
    };
    let store = store.as_ref();
    let screener = Screener::new(ScreenConfig::from_toml_str(SCREEN)?)?;
    let selector = Selector::new(SelectConfig::from_toml_str(SELECT)?)?;
    let dates = universe.trading_days();
    anyhow::ensure!(dates.len() >= 130, "need at least 130 trading days of bars, have {}", dates.len());

    // Yesterday's run, stored, so today's can report what entered and left the watchlist.
    let yesterday = screener.run(&universe, dates[dates.len() - 2])?;
    yesterday.save(&screener, store)?;

    let today = *dates.last().ok_or_else(|| anyhow::anyhow!("no trading days"))?;
    let started = Instant::now();
    let watchlist = screener.run(&universe, today)?;
    let selection = selector.select(&universe, &watchlist, &[], Money::from_won(100_000_000))?;
    let elapsed = started.elapsed();
    println!(
        "{}: screened {} stocks ({} traded), {} on the watchlist, {} picks in {:.1} ms",
        today,
        watchlist.universe_size,
        watchlist.evaluated,
        watchlist.entries.len(),
        selection.picks.len(),
        elapsed.as_secs_f64() * 1e3
    );

    if let Some(previous) = store.latest_watchlist()? {
        let diff = watchlist.diff_stored(&previous);
        println!("new on the watchlist: {} (left: {})", diff.entered.len(), diff.exited.len());
    }
    let run_id = watchlist.save(&screener, store)?;
    selection.save(&selector, store, Some(run_id))?;

    println!("\nrank code   class       conf  score  entry zone        stop     target    qty");
    for p in &selection.picks {
        println!(
            "{:>4} {} {:<10} {:>4.0}% {:>6.1}  {:>7}..{:<7} {:>8} {:>8} {:>6}",
            p.rank,
            p.code,
            p.class.as_str(),
            p.confidence * 100.0,
            p.score,
            p.entry_low,
            p.entry_high,
            p.stop,
            p.target,
            p.qty
        );
    }
    if let Some(best) = selection.picks.first() {
        println!("\n{}", selection.why(best.code));
        println!("{}", watchlist.why(best.code));
    }
    // And one that did not make it.
    if let Some(out) = universe.instruments().iter().map(|i| i.code).find(|c| watchlist.entry(*c).is_none()) {
        println!("{}", watchlist.why(out));
    }

    // The same screen and selection, day by day over the last 120 sessions, traded.
    let cfg = PipelineConfig { from: Some(dates[dates.len() - 120]), ..PipelineConfig::default() };
    let run = run_pipeline(&universe, &screener, &selector, &cfg)?;
    println!(
        "pipeline: {} daily selections, {} fills, {} round trips\n{}",
        run.selections.len(),
        run.report.fills.len(),
        run.report.trades.len(),
        run.report.stats
    );
    Ok(())
}
