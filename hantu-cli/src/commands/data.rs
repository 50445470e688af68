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
