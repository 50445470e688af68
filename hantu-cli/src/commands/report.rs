//! `hantu report`: how the predictions and the strategies did.

use chrono::NaiveDate;
use clap::Subcommand;
use hantu_core::learn::accuracy;
use hantu_core::learn::accuracy::GroupStats;
use hantu_core::learn::traded;
use hantu_core::store::Store;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::output::pct;

/// Reports over the store.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Hit rate and returns of the picks by class, horizon and weights version, and the calibration
    /// of their confidence (run `hantu learn update` first)
    Accuracy {
        /// Only outcomes measured on or after this day
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<NaiveDate>,
    },
    /// Picks that were traded, linked to their round trips: predicted, measured and realised returns
    Traded {
        /// Only picks of this day or later
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<NaiveDate>,
    },
    /// Every strategy's stored runs (backtest, paper, live) and their latest statistics
    Strategies,
}

/// Runs `hantu report …`.
pub fn run(cmd: &ReportCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    match cmd {
        ReportCommand::Accuracy { since } => accuracy_report(ctx, &store, since.unwrap_or(NaiveDate::MIN)),
        ReportCommand::Traded { since } => traded_report(ctx, &store, since.unwrap_or(NaiveDate::MIN)),
        ReportCommand::Strategies => strategies(ctx, &store),
    }
}

fn group_row(name: String, g: &GroupStats) -> Vec<String> {
    let f = |x: f64| if x.is_nan() { "-".to_owned() } else { pct(x) };
    vec![
        name,
        g.count.to_string(),
        g.not_entered.to_string(),
        f(g.hit_rate),
        f(g.mean_return),
        f(g.mean_favourable),
        f(g.mean_adverse),
        f(g.target_first),
        f(g.stop_first),
    ]
}

const GROUP_HEADERS: [&str; 9] =
    ["", "picks", "not entered", "hit rate", "mean return", "mean MFE", "mean MAE", "target 1st", "stop 1st"];

fn accuracy_report(ctx: &Ctx, store: &dyn Store, since: NaiveDate) -> anyhow::Result<ExitStatus> {
    let rows = store.outcomes_since(since)?;
    let report = accuracy(&rows);
    if ctx.out.json {
        ctx.out.print_json(&json!({ "accuracy": report }))?;
        return Ok(ExitStatus::Success);
    }
    if rows.is_empty() {
        ctx.out.line("no measured predictions yet: store picks (`hantu select`) and run `hantu learn update` after their horizon")?;
        return Ok(ExitStatus::Success);
    }
    let mut table = vec![group_row("all".into(), &report.overall)];
    table.extend(report.by_class.iter().map(|(k, g)| group_row(format!("class {k}"), g)));
    table.extend(report.by_horizon.iter().map(|(k, g)| group_row(format!("{k} sessions"), g)));
    table.extend(report.by_version.iter().map(|(k, g)| group_row(format!("weights {k}"), g)));
    ctx.out.heading("Accuracy of the picks")?;
    ctx.out.print_table(&GROUP_HEADERS, table)?;
    ctx.out.heading(&format!(
        "Calibration of confidence (expected calibration error {})",
        pct(report.calibration_error)
    ))?;
    ctx.out.print_table(
        &["confidence", "picks", "mean confidence", "hit rate"],
        report
            .calibration
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| {
                vec![
                    format!("{:.0}–{:.0}%", b.from * 100.0, b.to * 100.0),
                    b.count.to_string(),
                    pct(b.mean_confidence),
                    pct(b.hit_rate),
                ]
            })
            .collect(),
    )?;
    Ok(ExitStatus::Success)
}

fn traded_report(ctx: &Ctx, store: &dyn Store, since: NaiveDate) -> anyhow::Result<ExitStatus> {
    let traded = traded::traded_since(store, since)?;
    let summary = traded::summarize(&traded);
    if ctx.out.json {
        ctx.out.print_json(&json!({ "summary": summary, "picks": traded }))?;
        return Ok(ExitStatus::Success);
    }
    if traded.is_empty() {
        ctx.out.line("no traded picks: `hantu trade start --picks` trades the day's picks")?;
        return Ok(ExitStatus::Success);
    }
    let f = |x: Option<f64>| x.filter(|x| x.is_finite()).map_or_else(|| "-".to_owned(), pct);
    ctx.out.heading("Traded picks: predicted, measured and realised")?;
    ctx.out.print_table(
        &["day", "code", "class", "confidence", "trips", "predicted", "measured", "realised", "P&L"],
        traded
            .iter()
            .map(|t| {
                vec![
                    t.date.to_string(),
                    t.code.to_string(),
                    t.class.clone(),
                    pct(t.confidence),
                    format!("{}{}", t.trips.len(), if t.open { " (open)" } else { "" }),
                    f(t.predicted_return),
                    f(t.measured_return),
                    f(Some(t.realised_return)),
                    t.pnl.to_string(),
                ]
            })
            .collect(),
    )?;
    ctx.out.line(format!(
        "{} closed of {} picks: hit rate {}, mean realised {} against measured {} (shortfall {}) and predicted {}; P&L {}",
        summary.closed,
        summary.picks,
        f(Some(summary.realised_hit_rate)),
        f(Some(summary.mean_realised)),
        f(Some(summary.mean_measured)),
        f(Some(summary.mean_shortfall)),
        f(Some(summary.mean_predicted)),
        summary.pnl,
    ))?;
    Ok(ExitStatus::Success)
}

fn strategies(ctx: &Ctx, store: &dyn Store) -> anyhow::Result<ExitStatus> {
    let runs = store.runs()?;
    let mut by_strategy: std::collections::BTreeMap<&str, Vec<&hantu_core::store::RunRecord>> = Default::default();
    for (_, r) in &runs {
        by_strategy.entry(r.strategy.as_str()).or_default().push(r);
    }
    if ctx.out.json {
        let out: Vec<_> =
            by_strategy.iter().map(|(s, rs)| json!({ "strategy": s, "runs": rs.len(), "latest": rs.last() })).collect();
        ctx.out.print_json(&json!({ "strategies": out }))?;
        return Ok(ExitStatus::Success);
    }
    if runs.is_empty() {
        ctx.out.line("no stored runs: `hantu demo` or `hantu backtest --store` saves them")?;
        return Ok(ExitStatus::Success);
    }
    let stat = |r: &hantu_core::store::RunRecord, k: &str| {
        r.stats.get(k).and_then(serde_json::Value::as_f64).map_or_else(|| "-".to_owned(), pct)
    };
    let num = |r: &hantu_core::store::RunRecord, k: &str| {
        r.stats.get(k).and_then(serde_json::Value::as_f64).map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
    };
    ctx.out.print_table(
        &["strategy", "runs", "latest kind", "total return", "annual", "sharpe", "max drawdown", "win rate"],
        by_strategy
            .iter()
            .filter_map(|(s, rs)| {
                let last = rs.last()?;
                Some(vec![
                    (*s).to_owned(),
                    rs.len().to_string(),
                    last.kind.clone(),
                    stat(last, "total_return"),
                    stat(last, "annual_return"),
                    num(last, "sharpe"),
                    stat(last, "max_drawdown"),
                    stat(last, "win_rate"),
                ])
            })
            .collect(),
    )?;
    Ok(ExitStatus::Success)
}
