//! The trader service: `hantu trade start …` run under the registry (lock, PID file, heartbeat,
//! logs, shutdown) by [`super::supervise`].
//!
//! Without KIS credentials it trades on paper against the sandbox service: the child gets the
//! sandbox's URL and credentials as its KIS settings, and a clock starting at 10:00 KST of the
//! sandbox's market day, so it trades a session at any wall-clock time. Its arguments are
//! `service.trader_args` when set; otherwise today's picks (`--paper --picks`) when there are any,
//! else — against the sandbox only — `sma-cross` over the sandbox's stocks.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use hantu_core::clock::{Clock as _, LiveClock};
use hantu_core::control::trader_status;
use hantu_core::store::Store;

use super::registry::Health;
use super::shutdown::Shutdown;
use super::status::{STALE_AFTER, StatusHandle};
use crate::commands::Ctx;

/// The codes of the sandbox's market, traded when there are no picks.
const SANDBOX_CODES: &str = "005930,000660,035720";

/// Arguments after `hantu`, and environment variables added, of a child command.
pub type Launch = (Vec<String>, Vec<(String, String)>);

/// The `hantu trade start` arguments and the environment of the trader child.
///
/// # Errors
/// If there are no credentials and no running sandbox, or nothing to trade.
pub fn command(ctx: &Ctx, store: &dyn Store) -> anyhow::Result<Launch> {
    let has_kis = ctx.cfg.secrets.contains_key("HANTU_KIS_APP_KEY");
    let mut env = Vec::new();
    let mut args: Vec<String> = vec!["trade".into(), "start".into()];
    let sandbox = if has_kis {
        None
    } else {
        let Some(c) = super::sandbox::running(ctx) else {
            bail!(
                "no KIS credentials (HANTU_KIS_APP_KEY…) and the sandbox service is not running: \
                 start it first (hantu start sandbox) or set the credentials"
            );
        };
        env.extend([
            ("HANTU_KIS_REST_URL".to_owned(), c.url.clone()),
            ("HANTU_KIS_WS_URL".to_owned(), c.ws_url.clone().unwrap_or_default()),
            ("HANTU_KIS_ENV".to_owned(), c.env.clone()),
            ("HANTU_KIS_APP_KEY".to_owned(), c.app_key.clone()),
            ("HANTU_KIS_APP_SECRET".to_owned(), c.app_secret.clone()),
            ("HANTU_KIS_ACCOUNT".to_owned(), c.account.clone()),
        ]);
        Some(c)
    };
    let configured = &ctx.cfg.config.service.trader_args;
    if !configured.is_empty() {
        args.extend(configured.iter().cloned());
    } else {
        let today = sandbox
            .as_ref()
            .and_then(|c| c.market_day.as_deref())
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| LiveClock.now().kst_date());
        let picks = store.selections_on(today)?;
        if !picks.is_empty() {
            args.extend(["--paper".into(), "--picks".into()]);
        } else if sandbox.is_some() {
            args.extend(["--paper", "--strategy", "sma-cross", "--codes", SANDBOX_CODES].map(String::from));
        } else {
            bail!("no picks for {today}: nothing to trade (run hantu select first, or set service.trader_args)");
        }
        if let Some(at) = sandbox.as_ref().and_then(super::sandbox::Connection::start_at) {
            args.extend(["--start-at".into(), at]);
        }
    }
    Ok((args, env))
}

/// Publishes what the running trader says about itself (the store's trader status) in the
/// service's state, and marks the service degraded when that heartbeat goes stale.
async fn watch(store: Arc<dyn Store>, status: StatusHandle, token: tokio_util::sync::CancellationToken) {
    let mut seen = false;
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        let Ok(Some(t)) = trader_status(&*store) else { continue };
        let age_ms = LiveClock.now().millis() - t.heartbeat.millis();
        seen |= age_ms < STALE_AFTER.as_millis() as i64;
        status.detail(
            "trader",
            serde_json::json!({
                "state": t.state.as_str(), "mode": t.mode, "strategy": t.strategy,
                "equity": t.equity.to_string(), "pnl_today": t.pnl_today.to_string(),
                "positions": t.positions.len(), "working_orders": t.working_orders.len(),
                "heartbeat_age_s": age_ms as f64 / 1000.0,
            }),
        );
        if let Some(e) = &t.last_error {
            status.error(e.clone());
        }
        match status.health() {
            Health::Ok if seen && age_ms > STALE_AFTER.as_millis() as i64 => status.set_health(Health::Degraded),
            Health::Degraded if age_ms <= STALE_AFTER.as_millis() as i64 => status.set_health(Health::Ok),
            _ => {}
        }
    }
}

/// The trader service.
///
/// # Errors
/// As [`command`], or if the trader fails.
pub async fn serve(ctx: &Ctx, shutdown: &Shutdown, status: &StatusHandle) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(crate::commands::open_store(ctx)?);
    let (args, env) = command(ctx, &*store)?;
    shutdown.tracker.spawn(watch(store, status.clone(), shutdown.token.clone()));
    super::supervise::serve_child(ctx, shutdown, status, &args, &env).await
}
