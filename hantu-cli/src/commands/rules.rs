//! Screen and selection rules (from `--config`, the configuration, or the built-in ones) and the
//! universe they run over (the store, or `--sim`).

use std::path::Path;

use anyhow::Context as _;
use chrono::{Duration, NaiveDate};
use clap::Args;
use hantu_core::screen::{ScreenConfig, Screener, Universe};
use hantu_core::select::{SelectConfig, Selector};
use hantu_core::sim::{SimConfig, SimMarket};

use super::Ctx;
use crate::config::ConfigError;

/// The built-in screen: liquid momentum over KOSPI/KOSDAQ (the sample in examples/config).
pub const BUILTIN_SCREEN: &str = include_str!("../../../examples/config/screen.toml");
/// The built-in selection (the sample in examples/config).
pub const BUILTIN_SELECT: &str = include_str!("../../../examples/config/select.toml");

/// Where the universe comes from.
#[derive(Debug, Args)]
pub struct UniverseArgs {
    /// Use the simulated market instead of the store
    #[arg(long)]
    pub sim: bool,
    /// Simulated market: stocks
    #[arg(long, default_value_t = 2_875)]
    pub stocks: usize,
    /// Simulated market: trading days
    #[arg(long, default_value_t = 500)]
    pub days: usize,
    /// Simulated market: seed
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// As-of date (YYYY-MM-DD) [default: the last trading day with data]
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

fn read_rules(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// A core config error as the CLI's config error (exit code 2), naming the file.
pub fn as_config_error(file: &str, e: hantu_core::Error) -> anyhow::Error {
    match e {
        hantu_core::Error::Config { key, message } => ConfigError { key, source_desc: file.into(), message }.into(),
        other => anyhow::Error::new(other).context(file.to_owned()),
    }
}

/// The screen: `--config`, else `screen.config`, else the built-in one.
pub fn screener(ctx: &Ctx, explicit: Option<&Path>) -> anyhow::Result<Screener> {
    let path = explicit.map(Path::to_path_buf).or_else(|| ctx.cfg.config.screen.config.clone());
    let (text, name) = match &path {
        Some(p) => (read_rules(p)?, p.display().to_string()),
        None => (BUILTIN_SCREEN.to_owned(), "built-in screen".to_owned()),
    };
    let cfg = ScreenConfig::from_toml_str(&text).map_err(|e| as_config_error(&name, e))?;
    Screener::new(cfg).map_err(|e| as_config_error(&name, e))
}

/// The selection: `--config`, else `select.config`, else the built-in one.
pub fn selector(ctx: &Ctx, explicit: Option<&Path>) -> anyhow::Result<Selector> {
    let path = explicit.map(Path::to_path_buf).or_else(|| ctx.cfg.config.select.config.clone());
    let (text, name) = match &path {
        Some(p) => (read_rules(p)?, p.display().to_string()),
        None => (BUILTIN_SELECT.to_owned(), "built-in selection".to_owned()),
    };
    let cfg = SelectConfig::from_toml_str(&text).map_err(|e| as_config_error(&name, e))?;
    Selector::new(cfg).map_err(|e| as_config_error(&name, e))
}

/// The universe and the as-of date.
pub fn universe(ctx: &Ctx, a: &UniverseArgs, history: usize) -> anyhow::Result<(Universe, NaiveDate)> {
    let universe = if a.sim {
        let market =
            SimMarket::generate(&SimConfig { stocks: a.stocks, days: a.days, seed: a.seed, ..SimConfig::default() })?;
        Universe::from_sim(&market)?
    } else {
        let store = super::open_store(ctx)?;
        let to = a.date.unwrap_or_else(|| NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default());
        // Calendar days enough to hold `history` trading days.
        let span = Duration::days((history as i64 * 7 / 5 + 30).max(400));
        let from = a.date.map_or(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(), |d| d - span);
        let u = Universe::from_store(&store, from, to)?;
        if u.is_empty() {
            anyhow::bail!(
                "the store {} has no bars; run `hantu data import DIR` or `hantu demo`, or use --sim",
                ctx.db.display()
            );
        }
        u
    };
    let last = universe.last_date().context("the universe has no trading days")?;
    let as_of = a.date.map_or(last, |d| d.min(last));
    Ok((universe, as_of))
}
