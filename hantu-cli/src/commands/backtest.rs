//! `hantu backtest`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::Args;
use hantu_core::backtest::{Backtest, BacktestConfig, BacktestReport, BatchJob, merge_series, run_batch};
use hantu_core::domain::{Bar, Instrument, StockCode};
use hantu_core::strategies::{self, Params};
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::config::ConfigError;
use crate::output::{pct, won};

/// Backtest a built-in strategy.
///
/// Examples:
///   hantu backtest --strategy sma-cross --param fast=10 --param slow=30
///   hantu backtest --csv ../shared/data/krx/daily --codes 005930,000660 --from 2022-01-01
///   hantu backtest --store --each --out results/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BacktestArgs {
    /// Strategy: sma-cross, rsi-reversion or grid
    #[arg(long, default_value = "sma-cross")]
    pub strategy: String,
    /// Strategy parameter (repeatable), e.g. --param fast=10 --param slow=30
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Read daily bars from a CSV folder (one <code>.csv per stock: date,open,high,low,close,volume)
    #[arg(long, value_name = "DIR", conflicts_with = "store")]
    pub csv: Option<PathBuf>,
    /// Read daily bars from the store (--db)
    #[arg(long)]
    pub store: bool,
    /// Stock codes to trade, comma-separated [default: every stock of the source]
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub codes: Vec<String>,
    /// First date (YYYY-MM-DD)
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last date (YYYY-MM-DD)
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Run each stock as its own backtest, in parallel, instead of one portfolio
    #[arg(long)]
    pub each: bool,
    /// Simulated market: number of stocks
    #[arg(long, default_value_t = 20)]
    pub sim_stocks: usize,
    /// Simulated market: trading days
    #[arg(long, default_value_t = 500)]
    pub sim_days: usize,
    /// Simulated market: seed
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Starting cash in won [default: backtest.cash]
    #[arg(long)]
    pub cash: Option<i64>,
    /// Write equity.csv and trades.csv (and report.json) into this folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Parses `KEY=VALUE` parameters.
pub fn parse_params(raw: &[String]) -> Result<Params, ConfigError> {
    raw.iter()
        .map(|p| {
            let (k, v) = p.split_once('=').ok_or_else(|| ConfigError {
                key: "--param".into(),
                source_desc: "command line".into(),
                message: format!("{p:?} is not KEY=VALUE"),
            })?;
            let v: f64 = v.trim().parse().map_err(|_| ConfigError {
                key: format!("--param {k}"),
                source_desc: "command line".into(),
                message: format!("{v:?} is not a number"),
            })?;
            Ok((k.trim().to_owned(), v))
        })
        .collect()
}

/// The backtest settings from the configuration.
pub fn config_from(ctx: &Ctx, cash: Option<i64>) -> BacktestConfig {
    let b = &ctx.cfg.config.backtest;
    let fees = hantu_core::krx::FeeModel { commission_rate: b.commission_rate, tax: b.tax };
    let mut cfg = BacktestConfig::default().with_cash(cash.unwrap_or(b.cash)).with_fees(fees);
    cfg.broker.participation = b.participation;
    cfg.broker.slippage_ticks = b.slippage_ticks;
    cfg
}

/// Series of bars and their instruments from the chosen source.
pub fn load_series(args: &BacktestArgs, ctx: &Ctx) -> anyhow::Result<(Vec<Instrument>, Vec<Vec<Bar>>)> {
    let codes: Vec<StockCode> =
        args.codes.iter().map(|c| c.trim().parse()).collect::<Result<_, _>>().context("--codes")?;
    let (instruments, mut series) = if let Some(dir) = &args.csv {
        let read = hantu_core::io::read_csv_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        if read.rejected() > 0 {
            tracing::warn!(rejected = read.rejected(), accepted = read.accepted(), "Some CSV rows were rejected");
        }
        let series: Vec<Vec<Bar>> = read.series.into_iter().map(|(_, b)| b).collect();
        (Vec::new(), series)
    } else if args.store {
        super::store_series(ctx, &codes, args.from, args.to)?
    } else {
        let market = hantu_core::sim::SimMarket::generate(&hantu_core::sim::SimConfig {
            stocks: args.sim_stocks,
            days: args.sim_days,
            seed: args.seed,
            ..hantu_core::sim::SimConfig::default()
        })?;
        (market.instruments.clone(), market.bars.clone())
    };
    if !codes.is_empty() {
        series.retain(|s| s.first().is_some_and(|b| codes.contains(&b.code)));
        if let Some(missing) = codes.iter().find(|c| !series.iter().any(|s| s.first().is_some_and(|b| b.code == **c))) {
            bail!("no bars for {missing} in the chosen source");
        }
    }
    for s in &mut series {
        s.retain(|b| {
            let d = b.ts.kst_date();
            args.from.is_none_or(|f| d >= f) && args.to.is_none_or(|t| d <= t)
        });
    }
    series.retain(|s| !s.is_empty());
    if series.is_empty() {
        bail!("no bars to backtest (check --codes, --from and --to)");
    }
    Ok((instruments, series))
}

/// Runs `hantu backtest`.
pub fn run(args: &BacktestArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let params = parse_params(&args.params)?;
    strategies::by_name(&args.strategy, &params).map_err(|e| ConfigError {
        key: "--strategy/--param".into(),
        source_desc: "command line".into(),
        message: e.to_string(),
    })?;
    let (instruments, series) = load_series(args, ctx)?;
    let bt = Backtest::new(config_from(ctx, args.cash)).with_instruments(&instruments);
    let reports: Vec<BacktestReport> = if args.each {
        let jobs: Vec<BatchJob<'_, ()>> = series.iter().map(|s| BatchJob { bars: s, params: () }).collect();
        run_batch(&bt, &jobs, |_| strategies::by_name(&args.strategy, &params)).into_iter().collect::<Result<_, _>>()?
    } else {
        let bars = merge_series(&series)?;
        let mut s = strategies::by_name(&args.strategy, &params)?;
        vec![bt.run(&bars, s.as_mut())?]
    };
    if args.store {
        // Runs over the store are kept in it: run, round trips, daily returns and stats.
        let store = super::open_store(ctx)?;
        for r in &reports {
            hantu_core::store::save_backtest_report(&store, r)?;
        }
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, r) in reports.iter().enumerate() {
            let suffix = if args.each { format!("_{}", series[i][0].code) } else { String::new() };
            std::fs::write(dir.join(format!("equity{suffix}.csv")), r.equity_csv())?;
            std::fs::write(dir.join(format!("trades{suffix}.csv")), r.trades_csv())?;
            std::fs::write(dir.join(format!("report{suffix}.json")), serde_json::to_vec_pretty(r)?)?;
        }
    }
    print_reports(ctx, &args.strategy, &series, &reports, args.each)?;
    Ok(ExitStatus::Success)
}

fn print_reports(
    ctx: &Ctx,
    strategy: &str,
    series: &[Vec<Bar>],
    reports: &[BacktestReport],
    each: bool,
) -> anyhow::Result<()> {
    if ctx.out.json {
        let runs: Vec<_> = reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "code": if each { Some(series[i][0].code.to_string()) } else { None },
                    "bars": r.bars,
                    "stats": r.stats,
                    "trades": r.trades,
                })
            })
            .collect();
        return ctx.out.print_json(&json!({ "strategy": strategy, "runs": runs }));
    }
    let headers = ["run", "return", "annual", "sharpe", "max dd", "trades", "win rate", "final equity", "costs"];
    let rows = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let s = &r.stats;
            vec![
                if each { series[i][0].code.to_string() } else { format!("portfolio ({} stocks)", series.len()) },
                pct(s.total_return),
                pct(s.annual_return),
                format!("{:.2}", s.sharpe),
                pct(s.max_drawdown),
                s.trades.to_string(),
                pct(s.win_rate),
                won(s.final_equity.to_won()),
                won((s.commission + s.tax).to_won()),
            ]
        })
        .collect();
    ctx.out.heading(&format!("Backtest: {strategy}"))?;
    ctx.out.print_table(&headers, rows)?;
    if let [r] = reports {
        ctx.out.line(r.stats.to_string())?;
    }
    Ok(())
}
