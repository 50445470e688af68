//! `hantu schedule list | next | run JOB | history | report`: the scheduler's jobs and their runs.

use std::sync::Arc;

use anyhow::bail;
use clap::{Args, Subcommand};
use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::Timestamp;
use hantu_core::notify::{Notification, Notifier};
use hantu_core::schedule::{JobOutcome, Trigger, Window};
use hantu_core::store::Store as _;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::service::jobs::{self, Job};

/// How long a command waits for its notifications to be delivered before it exits.
const NOTIFY_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// The scheduler's jobs and their runs.
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Every job: trigger, filters, what it runs, its next fire time
    List,
    /// The next fire times of every job (or one), in order
    Next(NextArgs),
    /// Run a job now, as the scheduler would (recorded; refused if it is already running)
    Run(RunArgs),
    /// Past runs, newest first
    History(HistoryArgs),
    /// The day's report from the store: job runs, picks, fills and events of a KST date
    Report(ReportArgs),
}

/// `schedule next`.
#[derive(Debug, Args)]
pub struct NextArgs {
    /// Only this job
    pub job: Option<String>,
    /// From this KST time instead of now (`YYYY-MM-DDTHH:MM:SS`)
    #[arg(long, value_name = "KST")]
    pub at: Option<chrono::NaiveDateTime>,
    /// How many fire times
    #[arg(short = 'n', long, default_value_t = 10)]
    pub count: usize,
}

/// `schedule run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job
    pub job: String,
}

/// `schedule history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this job
    pub job: Option<String>,
    /// How many runs
    #[arg(short = 'n', long, default_value_t = 20)]
    pub count: usize,
}

/// `schedule report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The KST date [default: today]
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// Also send the day's report to every configured notification channel (once per day)
    #[arg(long)]
    pub notify: bool,
}

fn trigger_text(j: &Job) -> String {
    let mut s = match &j.spec.when.trigger {
        Trigger::Cron(c) => format!("cron {c}"),
        Trigger::Interval { every_ms } => format!("every {}s", every_ms / 1000),
    };
    if j.spec.when.trading_days_only {
        s.push_str(", trading days");
    }
    match j.spec.when.window {
        Some(Window::Market) => s.push_str(", market hours"),
        Some(Window::Hours(a, b)) => s.push_str(&format!(", {}-{}", a.format("%H:%M"), b.format("%H:%M"))),
        None => {}
    }
    s
}

/// Runs a schedule command.
///
/// # Errors
/// If the configuration's jobs are invalid or the store cannot be read.
pub fn run(c: &ScheduleCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let all = jobs::load(&ctx.cfg)?;
    let now = LiveClock.now();
    match c {
        ScheduleCommand::List => {
            let rows: Vec<_> = all
                .iter()
                .map(|j| {
                    json!({
                        "job": j.spec.name,
                        "trigger": trigger_text(j),
                        "runs": j.action.display(),
                        "needs": j.needs,
                        "coalesce": j.spec.coalesce,
                        "max_instances": j.spec.max_instances,
                        "misfire_grace_s": j.spec.misfire_grace_ms / 1000,
                        "jitter_s": j.spec.jitter_ms / 1000,
                        "next": j.spec.when.next_after(now).map(|t| t.to_string()),
                    })
                })
                .collect();
            if ctx.out.json {
                ctx.out.print_json(&json!({ "jobs": rows }))?;
            } else {
                ctx.out.print_table(
                    &["job", "when (KST)", "runs", "next"],
                    rows.iter()
                        .map(|r| {
                            ["job", "trigger", "runs", "next"]
                                .iter()
                                .map(|k| r[*k].as_str().unwrap_or("-").to_owned())
                                .collect()
                        })
                        .collect(),
                )?;
            }
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Next(a) => {
            let from = a.at.map_or(now, Timestamp::from_kst);
            let mut fires = Vec::new();
            for j in all.iter().filter(|j| a.job.as_ref().is_none_or(|n| *n == j.spec.name)) {
                let mut t = from;
                for _ in 0..a.count {
                    let Some(n) = j.spec.when.next_after(t) else { break };
                    fires.push((n, j.spec.name.clone()));
                    t = n;
                }
            }
            if let Some(n) = &a.job {
                if !all.iter().any(|j| j.spec.name == *n) {
                    bail!("no job named {n:?} (see hantu schedule list)");
                }
            }
            fires.sort();
            fires.truncate(a.count);
            if ctx.out.json {
                let v: Vec<_> = fires.iter().map(|(t, j)| json!({ "job": j, "at": t.to_string() })).collect();
                ctx.out.print_json(&json!({ "from": from.to_string(), "next": v }))?;
            } else {
                ctx.out.print_table(
                    &["at (KST)", "job"],
                    fires.iter().map(|(t, j)| vec![t.to_string(), j.clone()]).collect(),
                )?;
            }
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Run(a) => {
            let Some(job) = all.iter().find(|j| j.spec.name == a.job) else {
                bail!("no job named {:?} (see hantu schedule list)", a.job);
            };
            let clock: Arc<dyn Clock> = Arc::new(LiveClock);
            let mut runner = crate::service::job_runner::runner(ctx, clock)?;
            let rt = super::kis::runtime()?;
            let (id, r) = rt.block_on(async {
                let delivery = crate::service::notify::start(&ctx.cfg, Arc::clone(&runner.store))?;
                runner.notifier = delivery.as_ref().map(|d| Arc::clone(&d.notifier) as Arc<dyn Notifier>);
                let ran = runner.run_job(job, now, tokio_util::sync::CancellationToken::new()).await;
                runner.notifier = None;
                if let Some(d) = delivery {
                    d.close(NOTIFY_GRACE).await;
                }
                ran
            })?;
            if ctx.out.json {
                ctx.out.print_json(&json!({ "id": id, "run": r }))?;
            } else {
                println!(
                    "{} {}{}",
                    r.job,
                    r.outcome.as_str(),
                    r.error.as_ref().map_or_else(String::new, |e| format!(": {e}"))
                );
            }
            Ok(if r.outcome == JobOutcome::Succeeded { ExitStatus::Success } else { ExitStatus::Failure })
        }
        ScheduleCommand::History(a) => {
            let store = super::open_store(ctx)?;
            let runs = store.job_runs(a.job.as_deref(), a.count)?;
            if ctx.out.json {
                let v: Vec<_> = runs.iter().map(|(id, r)| json!({ "id": id, "run": r })).collect();
                ctx.out.print_json(&json!({ "runs": v }))?;
            } else {
                let t = |x: Option<Timestamp>| x.map_or_else(|| "-".to_owned(), |t| t.to_string());
                ctx.out.print_table(
                    &["id", "job", "scheduled", "started", "ended", "outcome", "error"],
                    runs.iter()
                        .map(|(id, r)| {
                            vec![
                                id.to_string(),
                                r.job.clone(),
                                r.scheduled.to_string(),
                                t(r.started),
                                t(r.finished),
                                r.outcome.as_str().to_owned(),
                                r.error.clone().unwrap_or_default(),
                            ]
                        })
                        .collect(),
                )?;
            }
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Report(a) => report(a, ctx, now),
    }
}

fn report(a: &ReportArgs, ctx: &Ctx, now: Timestamp) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    let date = a.date.unwrap_or_else(|| now.kst_date());
    let day_start = Timestamp::kst(date, 0, 0);
    let day_end = Timestamp::kst(date + chrono::Duration::days(1), 0, 0);
    let runs: Vec<_> = store
        .job_runs(None, 10_000)?
        .into_iter()
        .filter(|(_, r)| r.scheduled >= day_start && r.scheduled < day_end)
        .collect();
    let picks = store.selections_on(date)?;
    let fills: Vec<_> = store.fills_since(day_start)?.into_iter().filter(|f| f.ts < day_end).collect();
    let events: Vec<_> = store.events_since(day_start)?.into_iter().filter(|e| e.ts < day_end).collect();
    let failed = runs.iter().filter(|(_, r)| r.outcome == JobOutcome::Failed).count();
    let v = json!({
        "date": date.to_string(),
        "jobs": runs.iter().map(|(_, r)| json!({ "job": r.job, "scheduled": r.scheduled.to_string(), "outcome": r.outcome, "error": r.error })).collect::<Vec<_>>(),
        "failed_jobs": failed,
        "picks": picks.iter().map(|p| json!({ "code": p.code.to_string(), "class": p.class, "score": p.score })).collect::<Vec<_>>(),
        "fills": fills.len(),
        "bought": fills.iter().filter(|f| f.side == hantu_core::domain::Side::Buy).map(|f| f.qty.get()).sum::<u64>(),
        "sold": fills.iter().filter(|f| f.side == hantu_core::domain::Side::Sell).map(|f| f.qty.get()).sum::<u64>(),
        "events": events.len(),
        "errors": events.iter().filter(|e| e.kind == hantu_core::store::EventKind::Error).map(|e| e.message.clone()).collect::<Vec<_>>(),
    });
    let sent = if a.notify { Some(send_report(ctx, store, date, now)?) } else { None };
    if ctx.out.json {
        let mut v = v;
        if let Some(ok) = sent {
            v["notified"] = json!(ok);
        }
        ctx.out.print_json(&v)?;
    } else {
        println!("report for {date} (KST)");
        println!("  jobs: {} run, {failed} failed", runs.len());
        for (_, r) in &runs {
            println!(
                "    {} {} {}{}",
                r.scheduled,
                r.job,
                r.outcome.as_str(),
                r.error.as_ref().map_or_else(String::new, |e| format!(": {e}"))
            );
        }
        println!("  picks: {}", picks.iter().map(|p| p.code.to_string()).collect::<Vec<_>>().join(", "));
        println!("  fills: {} (bought {} shares, sold {})", fills.len(), v["bought"], v["sold"]);
        println!("  events: {} ({} errors)", events.len(), v["errors"].as_array().map_or(0, Vec::len));
    }
    Ok(ExitStatus::Success)
}

/// Sends the day's report to every configured channel (deduplicated by day, so a second run of the
/// step sends nothing new). Returns whether the channels' queues drained in time.
fn send_report(
    ctx: &Ctx,
    store: crate::store::AnyStore,
    date: chrono::NaiveDate,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let store: Arc<dyn hantu_core::store::Store> = Arc::new(store);
    // A past day is reported as of its end (from its fills; the trader's live status is today's).
    let at = if date == now.kst_date() { now } else { Timestamp::kst(date, 23, 59) };
    let (msg, _live) = crate::service::notify::daily::daily_report(&*store, at)?;
    let rt = super::kis::runtime()?;
    rt.block_on(async {
        let Some(delivery) = crate::service::notify::start(&ctx.cfg, Arc::clone(&store))? else {
            eprintln!("warning: no notification channel is configured ([notify]); the report was not sent");
            return Ok(false);
        };
        delivery.notifier.notify(&Notification::new(at, msg));
        Ok(delivery.close(NOTIFY_GRACE).await)
    })
}
