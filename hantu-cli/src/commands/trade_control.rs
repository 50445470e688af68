//! `hantu trade stop [--flatten] | pause | resume | status`: doors to the trader's control flag and
//! published status in the store (the HTTP API and the Telegram bot are the other doors).

use hantu_core::clock::{Clock, LiveClock};
use hantu_core::control::{self, ControlRecord, ControlState};
use hantu_core::domain::Price;

use super::{Ctx, ExitStatus};
use crate::output::won;

/// A status older than this means the trader is not running.
const STALE_MS: i64 = 5_000;

/// Whether the trader that published `s` still runs: its process exists (where `/proc` tells), else
/// its heartbeat is fresh. (A trader on a shifted clock writes shifted heartbeats; the process check
/// covers it.)
fn is_running(s: &control::TraderStatus) -> bool {
    let proc = std::path::Path::new("/proc");
    if proc.is_dir() {
        return proc.join(s.pid.to_string()).exists();
    }
    let age = LiveClock.now().millis() - s.heartbeat.millis();
    (0..STALE_MS).contains(&age)
}

fn set(ctx: &Ctx, state: ControlState) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    let rec = ControlRecord { state, by: "cli".into(), at: LiveClock.now(), reason: None };
    control::set_control(&store, &rec)?;
    let running = control::trader_status(&store)?.as_ref().is_some_and(is_running);
    if ctx.out.json {
        ctx.out.print_json(&serde_json::json!({ "state": state.as_str(), "trader_running": running }))?;
    } else {
        ctx.out.line(format!(
            "trader control set to {}{}",
            state.as_str(),
            if running {
                "; the running trader acts on it within a second"
            } else {
                "; no trader is running now (it applies at the next start)"
            }
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// `hantu trade stop [--flatten]`.
pub fn stop(flatten: bool, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    set(ctx, ControlState::Stop { flatten })
}

/// `hantu trade pause`.
pub fn pause(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    set(ctx, ControlState::Paused)
}

/// `hantu trade resume`.
pub fn resume(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    set(ctx, ControlState::Running)
}

/// `hantu trade status [--json]`.
pub fn status(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let store = super::open_store(ctx)?;
    let flag = control::control_state(&store)?;
    let status = control::trader_status(&store)?;
    let running = status.as_ref().is_some_and(is_running);
    if ctx.out.json {
        ctx.out.print_json(&serde_json::json!({ "flag": flag.as_str(), "running": running, "status": status }))?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.line(format!("control flag: {}", flag.as_str()))?;
    let Some(s) = status else {
        ctx.out.line("no trader has run on this store")?;
        return Ok(ExitStatus::Success);
    };
    ctx.out.line(format!(
        "trader: {} ({} {}, pid {}), acting on {}, last heartbeat {}",
        if running { "running" } else { "not running" },
        s.mode,
        s.strategy,
        s.pid,
        s.state.as_str(),
        s.heartbeat
    ))?;
    ctx.out.line(format!("cash {} · equity {} · P&L today {}", s.cash, s.equity, s.pnl_today))?;
    if !s.positions.is_empty() {
        ctx.out.print_table(
            &["code", "shares", "avg cost", "last", "unrealized"],
            s.positions
                .iter()
                .map(|p| {
                    vec![
                        p.code.to_string(),
                        p.qty.to_string(),
                        p.avg_cost().map(|m| m.to_string()).unwrap_or_default(),
                        won(p.last_price.won()),
                        p.unrealized_pnl().to_string(),
                    ]
                })
                .collect(),
        )?;
    }
    if !s.working_orders.is_empty() {
        ctx.out.print_table(
            &["client id", "order no", "code", "side", "qty", "filled", "price", "status"],
            s.working_orders
                .iter()
                .map(|o| {
                    vec![
                        o.client_id.to_string(),
                        o.broker_id.clone().unwrap_or_default(),
                        o.request.code.to_string(),
                        o.request.side.to_string(),
                        o.request.qty.to_string(),
                        o.filled_qty.to_string(),
                        o.request.kind.limit_price().map_or_else(|| "market".into(), |p: Price| won(p.won())),
                        o.status.as_str().into(),
                    ]
                })
                .collect(),
        )?;
    }
    if let Some(e) = &s.last_error {
        ctx.out.line(format!("last error: {e}"))?;
    }
    Ok(ExitStatus::Success)
}
