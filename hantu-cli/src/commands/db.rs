//! `hantu db`: copy a store between SQLite and PostgreSQL (resumable, verified), compare two
//! stores, roll a copy back, and back up a SQLite file while it is in use.

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use hantu_core::store::transfer::{self, MigrateOptions, TableReport};
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::store::{AnyStore, open_location};

/// `hantu db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every table from one store into another (empty) one, then verify both
    ///
    /// Tables are copied in dependency order in batches; each batch is committed with its
    /// progress, so an interrupted copy (Ctrl-C, kill, lost connection) leaves whole batches only
    /// and running the same command again resumes it. Stores: `sqlite:PATH` (or a path) and
    /// `postgres://user@host:port/db` (password from HANTU_PG_PASSWORD).
    Migrate(MigrateArgs),
    /// Compare two stores table by table: row counts and order-independent checksums
    Verify(VerifyArgs),
    /// Copy the SQLite store into a new file with SQLite's online backup (safe while in use)
    Backup(BackupArgs),
}

/// `hantu db migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Store to copy from [default: the configured store]
    #[arg(long, value_name = "STORE")]
    pub from: Option<String>,
    /// Store to copy into
    #[arg(long, value_name = "STORE")]
    pub to: String,
    /// Rows per batch (one transaction each)
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Pause after each batch, in milliseconds (to spare a busy server)
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub throttle_ms: u64,
    /// Instead of copying, remove what an earlier copy wrote into --to
    #[arg(long)]
    pub rollback: bool,
}

/// `hantu db verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// First store
    pub a: String,
    /// Second store
    pub b: String,
}

/// `hantu db backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// New file to write
    pub dest: std::path::PathBuf,
}

/// Runs a db command.
pub fn run(cmd: &DbCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match cmd {
        DbCommand::Migrate(a) => migrate(a, ctx),
        DbCommand::Verify(a) => {
            let (x, y) = (open_location(ctx, &a.a)?, open_location(ctx, &a.b)?);
            let started = Instant::now();
            let reports = transfer::verify(x.table_io(), y.table_io(), 10_000)?;
            print_reports(ctx, &x, &y, &reports, started.elapsed(), None)
        }
        DbCommand::Backup(a) => {
            let store = super::open_store(ctx)?;
            let AnyStore::Sqlite(s) = &store else {
                anyhow::bail!(
                    "`hantu db backup` copies a SQLite store; for a PostgreSQL store use pg_dump, or \
                     `hantu db migrate --to sqlite:FILE` for a local copy"
                );
            };
            let started = Instant::now();
            s.backup_to(&a.dest)?;
            if ctx.out.json {
                ctx.out.print_json(&json!({
                    "from": store.label(), "to": a.dest.display().to_string(),
                    "seconds": started.elapsed().as_secs_f64(),
                }))?;
            } else {
                ctx.out.line(format!(
                    "backed up {} to {} in {:.1?}",
                    store.label(),
                    a.dest.display(),
                    started.elapsed()
                ))?;
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn migrate(a: &MigrateArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let to = open_location(ctx, &a.to)?;
    if a.rollback {
        transfer::rollback(to.table_io())?;
        if ctx.out.json {
            ctx.out.print_json(&json!({ "rolled_back": to.label() }))?;
        } else {
            ctx.out.line(format!("removed every row the copy wrote into {}", to.label()))?;
        }
        return Ok(ExitStatus::Success);
    }
    let from = match &a.from {
        Some(loc) => open_location(ctx, loc)?,
        None => super::open_store(ctx)?,
    };
    let options = MigrateOptions { batch: a.batch.max(1), throttle: Duration::from_millis(a.throttle_ms) };
    let started = Instant::now();
    let pb = ctx.out.progress(0, "copying");
    let reports = transfer::migrate(from.table_io(), to.table_io(), &options, |table, rows| {
        pb.set_message(format!("{table}: {rows} rows"));
        pb.tick();
        tracing::debug!(table, rows, "Copied a batch");
    })?;
    pb.finish_and_clear();
    print_reports(ctx, &from, &to, &reports, started.elapsed(), Some("copied"))
}

fn print_reports(
    ctx: &Ctx,
    a: &AnyStore,
    b: &AnyStore,
    reports: &[TableReport],
    elapsed: Duration,
    verb: Option<&str>,
) -> anyhow::Result<ExitStatus> {
    let ok = reports.iter().all(|r| r.ok);
    if ctx.out.json {
        ctx.out.print_json(&json!({
            "from": a.label(), "to": b.label(), "ok": ok,
            "seconds": elapsed.as_secs_f64(), "tables": reports,
        }))?;
    } else {
        ctx.out.print_table(
            &["table", "rows (from)", "rows (to)", "checksum (from)", "checksum (to)", "result"],
            reports
                .iter()
                .map(|r| {
                    vec![
                        r.table.clone(),
                        r.source_rows.to_string(),
                        r.target_rows.to_string(),
                        r.source_checksum.clone(),
                        r.target_checksum.clone(),
                        if r.ok { "ok".into() } else { "DIFFERENT".into() },
                    ]
                })
                .collect(),
        )?;
        let rows: u64 = reports.iter().map(|r| r.target_rows).sum();
        ctx.out.line(format!(
            "{} {} → {}: {rows} rows in {} tables, {:.1?}; {}",
            verb.unwrap_or("compared"),
            a.label(),
            b.label(),
            reports.len(),
            elapsed,
            if ok { "verified: every table matches" } else { "MISMATCH: see the tables marked DIFFERENT" }
        ))?;
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}
