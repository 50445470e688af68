//! `hantu data import | export`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;

use super::{Ctx, ExitStatus};

/// Move market data in and out of the store.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Load a folder of daily-bar CSV files (<code>.csv: date,open,high,low,close,volume) into the
    /// store, with the instrument list and fundamentals if given
    Import(ImportArgs),
    /// Write every stock's daily bars from the store to <DIR>/<code>.csv
    Export(ExportArgs),
    /// Download daily bars from KIS (or, with --sandbox, a local KIS server over a simulated
    /// market) into the store, as fast as the rate limit allows
    Refresh(RefreshArgs),
}

/// `data refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Use a local KIS server over a simulated market instead of KIS
    #[arg(long)]
    pub sandbox: bool,
    /// Local server: stocks in its simulated market
    #[arg(long, default_value_t = 50)]
    pub sim_stocks: usize,
    /// Stock codes, comma-separated [default: every instrument in the store; the whole market with --sandbox]
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub codes: Vec<String>,
    /// First date [default: one year before --to]
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last date [default: the last trading day]
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
}

/// `data import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Folder of <code>.csv daily-bar files
    pub dir: PathBuf,
    /// Instrument list in the KRX stocks.csv layout [default: <DIR>/../stocks.csv if present]
    #[arg(long, value_name = "FILE")]
    pub instruments: Option<PathBuf>,
    /// Fundamentals in the KRX fundamentals.csv layout [default: <DIR>/../fundamentals.csv if present]
    #[arg(long, value_name = "FILE")]
    pub fundamentals: Option<PathBuf>,
}

/// `data export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder to write into (created if missing)
    pub dir: PathBuf,
}

/// Runs a data command.
pub fn run(cmd: &DataCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match cmd {
        DataCommand::Import(a) => import(a, ctx),
        DataCommand::Refresh(a) => refresh(a, ctx),
        DataCommand::Export(a) => {
            let store = super::open_store(ctx)?;
            std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
            let files = store.export_csv_dir(&a.dir)?;
            if ctx.out.json {
                ctx.out.print_json(&json!({ "dir": a.dir.display().to_string(), "files": files }))?;
            } else {
                ctx.out.line(format!("wrote {files} files to {}", a.dir.display()))?;
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn beside(dir: &std::path::Path, name: &str) -> Option<PathBuf> {
    let p = dir.parent()?.join(name);
    p.is_file().then_some(p)
}

fn import(a: &ImportArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    if !a.dir.is_dir() {
        anyhow::bail!("{} is not a folder", a.dir.display());
    }
    let store = super::open_store(ctx)?;
    let mut instruments = None;
    if let Some(path) = a.instruments.clone().or_else(|| beside(&a.dir, "stocks.csv")) {
        let r = store.import_instruments(&path).with_context(|| format!("importing {}", path.display()))?;
        instruments =
            Some(json!({ "file": path.display().to_string(), "accepted": r.accepted, "rejected": r.rejected.len() }));
    }
    let mut fundamentals = None;
    if let Some(path) = a.fundamentals.clone().or_else(|| beside(&a.dir, "fundamentals.csv")) {
        let n = store.import_fundamentals(&path).with_context(|| format!("importing {}", path.display()))?;
        fundamentals = Some(json!({ "file": path.display().to_string(), "rows": n }));
    }
    let started = std::time::Instant::now();
    let pb = ctx.out.progress(0, "importing");
    let report = store.import_csv_dir(&a.dir, |p| {
        pb.set_length(p.files_total as u64);
        pb.set_position(p.files_done as u64);
    })?;
    pb.finish_and_clear();
    let elapsed = started.elapsed();
    let rejected = report.rejected();
    if ctx.out.json {
        ctx.out.print_json(&json!({
            "dir": a.dir.display().to_string(),
            "files": report.files.len(),
            "rows_written": report.rows_written,
            "rows_rejected": rejected,
            "files_refused": report.files_refused(),
            "seconds": elapsed.as_secs_f64(),
            "instruments": instruments,
            "fundamentals": fundamentals,
            "problems": report.files.iter().filter(|f| !f.is_clean()).map(|f| json!({
                "file": f.path.display().to_string(),
                "accepted": f.accepted,
                "error": f.file_error,
                "rejected": f.rejected.iter().map(|r| json!({"line": r.line, "field": r.field, "message": r.message})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        ctx.out.line(format!(
            "imported {} rows from {} files in {:.1?} ({:.0} rows/s); {} rows rejected, {} files refused",
            report.rows_written,
            report.files.len(),
            elapsed,
            report.rows_written as f64 / elapsed.as_secs_f64().max(1e-9),
            rejected,
            report.files_refused()
        ))?;
        for f in report.files.iter().filter(|f| !f.is_clean()).take(20) {
            let first = f.rejected.first().map(|r| format!("line {}: {}", r.line, r.message));
            ctx.out.line(format!("  {}: {}", f.path.display(), f.file_error.clone().or(first).unwrap_or_default()))?;
        }
    }
    Ok(if report.files_refused() > 0 || rejected > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

fn refresh(a: &RefreshArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    use hantu_core::clock::Clock as _;
    use hantu_core::store::Store as _;
    let store = super::open_store(ctx)?;
    let mut codes: Vec<hantu_core::domain::StockCode> =
        a.codes.iter().map(|c| c.trim().parse()).collect::<Result<_, _>>().context("--codes")?;
    let rt = super::kis::runtime()?;
    let mut sim_range = None;
    let kis = if a.sandbox {
        let market = hantu_core::sim::SimMarket::generate(&hantu_core::sim::SimConfig {
            stocks: a.sim_stocks,
            days: 300,
            ..hantu_core::sim::SimConfig::default()
        })?;
        if codes.is_empty() {
            codes = market.instruments.iter().map(|i| i.code).collect();
        }
        store.upsert_instruments(&market.instruments)?;
        sim_range = market.dates().first().copied().zip(market.dates().last().copied());
        let mock = hantu_kis::mock::MockMarket::from_sim(&market);
        let day = mock.next_day().context("simulated market has no next day")?;
        rt.block_on(super::kis::connect_local(ctx, mock, day))?
    } else {
        rt.block_on(super::kis::connect(ctx, false))?
    };
    if codes.is_empty() {
        codes = store.instruments()?.iter().map(|i| i.code).collect();
    }
    if codes.is_empty() {
        anyhow::bail!("no codes: pass --codes, or import an instrument list first (`hantu data import`)");
    }
    let today = hantu_core::clock::LiveClock.now().kst_date();
    let to = a.to.or(sim_range.map(|r| r.1)).unwrap_or(today);
    let from = a.from.or(sim_range.map(|r| r.0)).unwrap_or_else(|| to - chrono::Duration::days(365));
    let broker = kis.broker.clone();
    let pb = ctx.out.progress(codes.len() as u64, "refreshing");
    let report = rt.block_on(hantu_kis::refresh::refresh_into_store(broker, &store, &codes, from, to, |p| {
        pb.set_position(p.done as u64);
    }));
    pb.finish_and_clear();
    let requests = kis.requests();
    kis.record_calls(&store)?;
    rt.block_on(kis.close());
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    if ctx.out.json {
        ctx.out.print_json(&json!({
            "codes": report.codes,
            "bars": report.bars,
            "failed": report.failed.iter().map(|(c, e)| json!({"code": c, "error": e.to_string()})).collect::<Vec<_>>(),
            "seconds": secs,
            "codes_per_sec": report.codes_per_sec(),
            "requests": requests,
            "requests_per_sec": requests as f64 / secs,
        }))?;
    } else {
        ctx.out.line(format!(
            "refreshed {} codes ({} bars) in {:.1}s: {} requests, {:.1} requests/s ({:.1} codes/s); {} failed",
            report.codes,
            report.bars,
            secs,
            requests,
            requests as f64 / secs,
            report.codes_per_sec(),
            report.failed.len()
        ))?;
        for (c, e) in report.failed.iter().take(10) {
            ctx.out.line(format!("  {c}: {e}"))?;
        }
    }
    Ok(if report.failed.is_empty() { ExitStatus::Success } else { ExitStatus::Failure })
}
