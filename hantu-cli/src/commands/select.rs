//! `hantu select`: Phase 2 — today's picks from the watchlist.

use std::path::PathBuf;

use clap::Args;
use hantu_core::select::Selection;
use serde_json::json;

use super::rules::{UniverseArgs, screener, selector, universe};
use super::{Ctx, ExitStatus};
use crate::output::won;

/// Select today's picks: screen, then score, filter, classify and size.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Selection rules (TOML) [default: select.config, else the built-in selection]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Screen rules (TOML) [default: screen.config, else the built-in screen]
    #[arg(long, value_name = "FILE")]
    pub screen_config: Option<PathBuf>,
    /// Show each pick's factor contributions
    #[arg(long)]
    pub analyze: bool,
    /// Equity to size the picks with, in won [default: backtest.cash]
    #[arg(long)]
    pub equity: Option<i64>,
    /// Where the stocks come from.
    #[command(flatten)]
    pub universe: UniverseArgs,
}

/// Runs `hantu select`.
pub fn run(a: &SelectArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let screener = screener(ctx, a.screen_config.as_deref())?;
    let mut selector = selector(ctx, a.config.as_deref())?;
    let (universe, as_of) = universe(ctx, &a.universe, screener.config().history)?;
    if !a.universe.sim {
        // Learned weights (`hantu learn`) and the day's regime apply from the day they were made.
        let store = super::open_store(ctx)?;
        let regime = hantu_core::learn::RegimeConfig::default();
        let cfg = hantu_core::learn::config_in_force(&store, selector.config(), as_of, Some(&regime))?;
        if &cfg != selector.config() {
            selector = hantu_core::select::Selector::new(cfg)?;
        }
    }
    let watchlist = screener.run(&universe, as_of)?;
    let equity = hantu_core::domain::Money::from_won(a.equity.unwrap_or(ctx.cfg.config.backtest.cash));
    let selection = selector.select(&universe, &watchlist, &[], equity)?;
    if !a.universe.sim {
        let store = super::open_store(ctx)?;
        let run_id = watchlist.save(&screener, &store)?;
        selection.save(&selector, &store, Some(run_id))?;
    }
    print(ctx, &selection, a.analyze)?;
    Ok(ExitStatus::Success)
}

/// Prints picks (and with `analyze`, their factor contributions).
pub fn print(ctx: &Ctx, s: &Selection, analyze: bool) -> anyhow::Result<()> {
    if ctx.out.json {
        return ctx.out.print_json(&json!({ "selection": s }));
    }
    ctx.out.heading(&format!("Picks for the session after {} ({} picks)", s.as_of, s.picks.len()))?;
    ctx.out.print_table(
        &["#", "code", "name", "sector", "class", "conf.", "score", "close", "entry zone", "stop", "target", "shares"],
        s.picks
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    (i + 1).to_string(),
                    p.code.to_string(),
                    p.name.clone(),
                    p.sector.clone().unwrap_or_default(),
                    p.class.as_str().into(),
                    format!("{:.0}%", p.confidence * 100.0),
                    format!("{:.1}", p.score),
                    won(p.close.won()),
                    format!("{}–{}", won(p.entry_low.won()), won(p.entry_high.won())),
                    won(p.stop.won()),
                    won(p.target.won()),
                    p.qty.to_string(),
                ]
            })
            .collect(),
    )?;
    if analyze {
        for p in &s.picks {
            ctx.out.line(format!("{} {}:", p.code, p.name))?;
            for f in &p.factors {
                ctx.out.line(format!(
                    "  {:<10} score {:>6}  contributes {:>6.2}",
                    f.factor.as_str(),
                    f.score.map_or_else(|| "?".into(), |x| format!("{x:.1}")),
                    f.contribution
                ))?;
            }
        }
    }
    Ok(())
}
