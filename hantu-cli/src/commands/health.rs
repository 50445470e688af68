//! `hantu health`: the store, each service, KIS (REST token and account, WebSocket approval and
//! connect) and each configured notification channel, each with a status and latency.

use std::time::Instant;

use super::{Ctx, ExitStatus};
pub use crate::service::health::Check;
use clap::Args;
use hantu_core::broker::Broker;
use hantu_core::store::Store as _;

/// Check the store and the broker connection.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Check against a local KIS server instead of KIS
    #[arg(long)]
    pub sandbox: bool,
    /// Skip the KIS checks (REST and WebSocket)
    #[arg(long)]
    pub no_kis: bool,
}

/// A service is unhealthy when it runs but is not well (stale heartbeat, degraded, failing) or died
/// without stopping; one never started, or stopped cleanly, is fine.
pub fn service_check(reg: &crate::service::registry::Registry, svc: crate::service::Service) -> Check {
    let t = Instant::now();
    let name = format!("service {}", svc.name());
    let d = match super::service::describe(reg, svc) {
        Ok(d) => d,
        Err(e) => return Check { name, ok: false, latency_ms: 0.0, detail: format!("{e:#}") },
    };
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    let error = d["last_error"].as_str().map(|e| format!("; last error: {e}")).unwrap_or_default();
    if d["running"] == true {
        let age = d["heartbeat_age_s"]
            .as_f64()
            .map_or_else(|| "no heartbeat yet".to_owned(), |a| format!("heartbeat {a:.1}s ago"));
        Check {
            name,
            ok: d["healthy"] == true,
            latency_ms,
            detail: format!("running, pid {}, {}, {age}{error}", d["pid"], d["health"].as_str().unwrap_or("?")),
        }
    } else {
        let died = !d["cleaned_stale_pid"].is_null() || d["health"] == "failed";
        Check {
            name,
            ok: !died,
            latency_ms,
            detail: if died { format!("not running: it died or failed{error}") } else { "not running".to_owned() },
        }
    }
}

fn timed<T>(name: &'static str, f: impl FnOnce() -> anyhow::Result<T>, detail: impl FnOnce(&T) -> String) -> Check {
    let t = Instant::now();
    let r = f();
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    match r {
        Ok(v) => Check { name: name.into(), ok: true, latency_ms, detail: detail(&v) },
        Err(e) => Check { name: name.into(), ok: false, latency_ms, detail: format!("{e:#}") },
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
    let reg = crate::service::registry(&ctx.cfg.config);
    for svc in crate::service::Service::ALL {
        checks.push(service_check(&reg, *svc));
    }
    if !args.no_kis {
        let rt = super::kis::runtime()?;
        let t = Instant::now();
        let kis = rt.block_on(super::kis::connect(ctx, args.sandbox));
        match kis {
            Err(e) => checks.push(Check {
                name: "kis".into(),
                ok: false,
                latency_ms: t.elapsed().as_secs_f64() * 1e3,
                detail: format!("{e:#}"),
            }),
            Ok(kis) => {
                let t = Instant::now();
                let token = rt.block_on(kis.broker.client().tokens().token());
                checks.push(Check {
                    name: "kis token".into(),
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
                    name: "kis account".into(),
                    ok: bal.is_ok(),
                    latency_ms: t.elapsed().as_secs_f64() * 1e3,
                    detail: match &bal {
                        Ok(b) => format!("reachable; buying power {} won", b.buying_power),
                        Err(e) => e.to_string(),
                    },
                });
                checks.extend(rt.block_on(crate::service::health::kis_ws(&ws_target(&kis))));
                rt.block_on(kis.close());
            }
        }
    }
    if !crate::service::notify::configured(&ctx.cfg).is_empty() {
        let rt = super::kis::runtime()?;
        match crate::service::notify::channels(&ctx.cfg, &[]) {
            Ok(chans) => checks.extend(rt.block_on(crate::service::health::notifiers(&chans))),
            Err(e) => {
                checks.push(Check { name: "notify".into(), ok: false, latency_ms: 0.0, detail: format!("{e:#}") })
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
                        c.name.clone(),
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

/// Where this connection's WebSocket is: the configured or local server's URL, else the environment's.
pub fn ws_target(kis: &super::kis::Kis) -> crate::service::health::WsTarget {
    let client = kis.broker.client();
    let ws_url = kis
        .ws_url()
        .or_else(|| kis.server().map(hantu_kis::mock::MockServer::ws_url))
        .unwrap_or_else(|| kis.env.ws_url().to_owned());
    crate::service::health::WsTarget {
        http: client.http().clone(),
        rest_url: client.config().rest_url.clone(),
        credential: client.config().credential.clone(),
        ws_url,
    }
}
