//! `hantu learn`: Phase 4 — measure picks against what happened and adapt the selection's weights.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use hantu_core::learn::{LearnConfig, update, version_in_force};
use hantu_core::store::Store;
use serde_json::json;

use super::rules::{as_config_error, selector};
use super::{Ctx, ExitStatus};
use crate::output::pct;

/// Learning from the picks' outcomes.
#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// The post-close step: predictions from stored picks, outcomes of those whose horizon has passed,
    /// factor ICs, a new weights version when due, the day's regime, degradation alerts
    Update(UpdateArgs),
    /// Every weights version, with the one in force today marked
    Weights,
    /// Put VERSION back in force: every approved version made after it is rolled back (kept, not deleted)
    Rollback {
        /// The version to return to
        #[arg(value_name = "VERSION")]
        name: String,
    },
}

/// Arguments of `hantu learn update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Learn up to this day's close [default: the store's last trading day]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Learning settings (TOML of `hantu_core::learn::LearnConfig`) [default: built-in]
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Selection rules whose weights are the starting point [default: select.config, else built-in]
    #[arg(long, value_name = "FILE")]
    pub select_config: Option<PathBuf>,
}

/// Runs `hantu learn …`.
pub fn run(cmd: &LearnCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    match cmd {
        LearnCommand::Update(a) => run_update(a, ctx, &store),
        LearnCommand::Weights => weights(ctx, &store),
        LearnCommand::Rollback { name } => rollback(ctx, &store, name),
    }
}

/// Reads learning settings from `path`, or the defaults.
pub fn learn_config(path: Option<&Path>) -> anyhow::Result<LearnConfig> {
    let Some(path) = path else { return Ok(LearnConfig::default()) };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
    LearnConfig::from_toml_str(&text).map_err(|e| as_config_error(&name, e))
}

fn last_trading_day(store: &dyn Store) -> anyhow::Result<NaiveDate> {
    let mut last = None;
    for i in store.instruments()? {
        let far = NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or(NaiveDate::MAX);
        let start = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN);
        if let Some(b) = store.daily_bars(i.code, start, far)?.last() {
            last = last.max(Some(b.ts.kst_date()));
        }
    }
    last.context("the store has no daily bars; run `hantu demo` or `hantu data import DIR` first")
}

fn run_update(a: &UpdateArgs, ctx: &Ctx, store: &dyn Store) -> anyhow::Result<ExitStatus> {
    let cfg = learn_config(a.rules.as_deref())?;
    let base = selector(ctx, a.select_config.as_deref())?.config().weights.clone();
    let as_of = match a.as_of {
        Some(d) => d,
        None => last_trading_day(store)?,
    };
    let report = update(store, as_of, &base, &cfg)?;
    if ctx.out.json {
        ctx.out.print_json(&json!({ "update": report }))?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.heading(&format!("Learning as of {as_of}"))?;
    ctx.out.line(format!(
        "{} predictions from stored picks, {} outcomes measured, {} waiting for their horizon",
        report.predictions, report.outcomes, report.open
    ))?;
    if let Some(r) = &report.regime {
        ctx.out.line(format!(
            "regime {}: breadth {}, 20-session index {}, volatility {} over {} stocks",
            r.regime.as_str(),
            pct(r.breadth),
            pct(r.index_return),
            pct(r.volatility),
            r.stocks
        ))?;
    }
    match (&report.weights, &report.new_version) {
        (Some(step), Some(v)) => {
            ctx.out.line(format!("new weights version {v}:"))?;
            ctx.out.print_table(
                &["factor", "IC", "samples", "old", "new"],
                step.changes
                    .iter()
                    .map(|c| {
                        vec![
                            c.factor.clone(),
                            if c.ic.is_nan() { "?".into() } else { format!("{:+.3}", c.ic) },
                            c.samples.to_string(),
                            format!("{:.3}", c.old),
                            format!("{:.3}", c.new),
                        ]
                    })
                    .collect(),
            )?;
        }
        (Some(step), None) => {
            ctx.out.line(format!("weights unchanged: {}", step.skipped.as_deref().unwrap_or("no change")))?;
        }
        _ => ctx.out.line("weights: no update due yet")?,
    }
    for d in &report.degraded {
        ctx.out.line(format!(
            "ALERT weights {} degraded: hit rate {} recently against {} at its start",
            d.version,
            pct(d.recent_hit_rate),
            pct(d.baseline_hit_rate)
        ))?;
    }
    Ok(ExitStatus::Success)
}

fn weights(ctx: &Ctx, store: &dyn Store) -> anyhow::Result<ExitStatus> {
    let versions = store.weights_versions()?;
    let today = chrono::Utc::now().date_naive();
    let in_force = version_in_force(&versions, today).map(|v| v.version.clone());
    if ctx.out.json {
        ctx.out.print_json(&json!({ "versions": versions, "in_force": in_force }))?;
        return Ok(ExitStatus::Success);
    }
    if versions.is_empty() {
        ctx.out.line("no learned weights yet: selection uses its configured weights")?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.print_table(
        &["version", "from", "parent", "status", "weights"],
        versions
            .iter()
            .map(|v| {
                let mark = if in_force.as_deref() == Some(v.version.as_str()) { " (in force)" } else { "" };
                vec![
                    v.version.clone(),
                    v.effective_from.to_string(),
                    v.parent.clone().unwrap_or_default(),
                    format!("{}{mark}", v.status.as_str()),
                    v.weights.iter().map(|(f, w)| format!("{f} {w:.3}")).collect::<Vec<_>>().join(", "),
                ]
            })
            .collect(),
    )?;
    Ok(ExitStatus::Success)
}

fn rollback(ctx: &Ctx, store: &dyn Store, version: &str) -> anyhow::Result<ExitStatus> {
    let withdrawn = hantu_core::learn::rollback(store, version)?;
    if ctx.out.json {
        ctx.out.print_json(&json!({ "in_force": version, "rolled_back": withdrawn }))?;
    } else {
        let list = if withdrawn.is_empty() { "none".to_owned() } else { withdrawn.join(", ") };
        ctx.out.line(format!("{version} is in force again; rolled back: {list}"))?;
    }
    Ok(ExitStatus::Success)
}
