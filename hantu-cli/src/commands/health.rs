//! `hantu health`: store, KIS reachability and token state, each with a status and latency.

use std::time::Instant;

use clap::Args;
use hantu_core::broker::Broker;
use hantu_core::store::Store as _;
use serde::Serialize;

use super::{Ctx, ExitStatus};

/// Check the store and the broker connection.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Check against a local KIS server instead of KIS
    #[arg(long)]
    pub sandbox: bool,
    /// Skip the KIS check (store only)
    #[arg(long)]
    pub no_kis: bool,
}

#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    latency_ms: f64,
    detail: String,
}

fn timed<T>(name: &'static str, f: impl FnOnce() -> anyhow::Result<T>, detail: impl FnOnce(&T) -> String) -> Check {
    let t = Instant::now();
    let r = f();
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    match r {
        Ok(v) => Check { name, ok: true, latency_ms, detail: detail(&v) },
        Err(e) => Check { name, ok: false, latency_ms, detail: format!("{e:#}") },
    }
}

/// Runs the checks; exit 1 when any fails.
pub fn run(args: &HealthArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let mut checks = vec![timed(
        "store",
        || {
            let s = super::open_store(ctx)?;
            let n = s.instruments()?.len();
            let stop = s.setting(hantu_core::store::EMERGENCY_STOP_KEY)?;
            Ok((n, stop))
        },
        |(n, stop)| {
            format!(
                "{} — {n} instruments, emergency stop {}",
                crate::store::describe(ctx),
                if stop.as_deref() == Some("1") { "SET" } else { "off" }
            )
        },
    )];
    if !args.no_kis {
        let rt = super::kis::runtime()?;
        let t = Instant::now();
        let kis = rt.block_on(super::kis::connect(ctx, args.sandbox));
        match kis {
            Err(e) => checks.push(Check {
                name: "kis",
                ok: false,
                latency_ms: t.elapsed().as_secs_f64() * 1e3,
                detail: format!("{e:#}"),
            }),
            Ok(kis) => {
                let t = Instant::now();
                let token = rt.block_on(kis.broker.client().tokens().token());
                checks.push(Check {
                    name: "kis token",
                    ok: token.is_ok(),
                    latency_ms: t.elapsed().as_secs_f64() * 1e3,
                    detail: match &token {
                        Ok(_) => {
                            format!("{:?}{} token valid", kis.env, if kis.sandbox { " (local server)" } else { "" })
                        }
                        Err(e) => e.to_string(),
                    },
                });
                let t = Instant::now();
                let bal = rt.block_on(kis.broker.balance());
                checks.push(Check {
                    name: "kis account",
                    ok: bal.is_ok(),
                    latency_ms: t.elapsed().as_secs_f64() * 1e3,
                    detail: match &bal {
                        Ok(b) => format!("reachable; buying power {} won", b.buying_power),
                        Err(e) => e.to_string(),
                    },
                });
                rt.block_on(kis.close());
            }
        }
    }
    let ok = checks.iter().all(|c| c.ok);
    if ctx.out.json {
        ctx.out.print_json(&serde_json::json!({ "ok": ok, "checks": checks }))?;
    } else {
        ctx.out.print_table(
            &["check", "status", "latency", "detail"],
            checks
                .iter()
                .map(|c| {
                    vec![
                        c.name.into(),
                        if c.ok { "ok".into() } else { "FAIL".into() },
                        format!("{:.1} ms", c.latency_ms),
                        c.detail.clone(),
                    ]
                })
                .collect(),
        )?;
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}
