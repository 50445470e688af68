//! `hantu notify test|history`: try every configured channel; read what was sent.

use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use hantu_core::notify::{DeliveryStatus, Message, Notification, NotificationRecord};
use hantu_core::store::Store;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::service::notify::{self as notify, delivery};

/// Notification commands.
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message to each configured channel and report how each went (exit 1 if any failed)
    Test(TestArgs),
    /// Show the notification history from the store (what was sent, failed or skipped as a duplicate)
    History(HistoryArgs),
}

/// `hantu notify test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Only these channels (telegram, slack, email, console); repeat or comma-separate
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub channel: Vec<String>,
}

/// `hantu notify history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many days back
    #[arg(long, default_value_t = 7)]
    pub days: u32,
}

/// Runs a notify command.
pub fn run(cmd: &NotifyCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match cmd {
        NotifyCommand::Test(a) => test(a, ctx),
        NotifyCommand::History(a) => history(a, ctx),
    }
}

fn test(a: &TestArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let configured = notify::configured(&ctx.cfg);
    if configured.is_empty() {
        anyhow::bail!(
            "no notification channel is configured: add [notify.telegram], [notify.slack], [notify.email] or [notify.console] to hantu.toml"
        );
    }
    if let Some(unknown) = a.channel.iter().find(|c| !configured.contains(&c.as_str())) {
        anyhow::bail!("--channel {unknown}: not configured (configured: {})", configured.join(", "));
    }
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let opts = notify::options(&ctx.cfg);
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "hantu notify test".into());
    let n = Notification::new(delivery::now(), Message::Test { from: host });
    let rt = super::kis::runtime()?;
    let results = rt.block_on(async {
        let channels = notify::channels(&ctx.cfg, &a.channel)?;
        let mut out = Vec::new();
        for ch in channels {
            let name = ch.transport.name().to_owned();
            let rec = NotificationRecord {
                id: 0,
                ts: n.ts,
                channel: name.clone(),
                level: n.level,
                kind: n.kind().as_str().to_owned(),
                dedup_key: None,
                title: n.render(opts.lang).title,
                body: n.render(opts.lang).body,
                status: DeliveryStatus::Pending,
                attempts: 0,
                error: None,
                updated: delivery::now(),
            };
            let id = store.claim_notification(&rec)?;
            let (status, attempts, error) = delivery::deliver(&*ch.transport, &n, opts).await;
            if let Some(id) = id {
                store.finish_notification(id, status, attempts, error.as_deref(), delivery::now())?;
            }
            out.push((name, status, attempts, error));
        }
        anyhow::Ok(out)
    })?;
    let ok = results.iter().all(|(_, s, _, _)| *s == DeliveryStatus::Sent);
    if ctx.out.json {
        ctx.out.print_json(&json!({
            "ok": ok,
            "channels": results.iter().map(|(c, s, n, e)| json!({"channel": c, "status": s.as_str(), "attempts": n, "error": e})).collect::<Vec<_>>(),
        }))?;
    } else {
        ctx.out.print_table(
            &["channel", "result", "attempts", "error"],
            results
                .iter()
                .map(|(c, s, n, e)| vec![c.clone(), s.as_str().into(), n.to_string(), e.clone().unwrap_or_default()])
                .collect(),
        )?;
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}

fn history(a: &HistoryArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    let since = hantu_core::domain::Timestamp::from_millis(
        delivery::now().millis().saturating_sub(i64::from(a.days) * 86_400_000),
    );
    let rows = store.notifications_since(since).context("reading the notification history")?;
    if ctx.out.json {
        ctx.out.print_json(&rows)?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.print_table(
        &["time", "channel", "level", "kind", "status", "attempts", "title", "error"],
        rows.iter()
            .map(|r| {
                vec![
                    r.ts.to_string(),
                    r.channel.clone(),
                    r.level.as_str().into(),
                    r.kind.clone(),
                    r.status.as_str().into(),
                    r.attempts.to_string(),
                    r.title.clone(),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    Ok(ExitStatus::Success)
}
