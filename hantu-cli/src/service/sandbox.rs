//! The sandbox service: the local KIS server, REST and WebSocket, on fixed ports (`sandbox.port`,
//! `sandbox.ws_port`, 127.0.0.1 only)
//! with fixed credentials, its account, orders, prices and tokens saved to
//! `sandbox-state.json` and restored at the next start: an accepted order is saved before its
//! reply is sent (so it survives a `kill -9`), the rest (fills as prices move) within 250 ms.
//!
//! Credentials: `HANTU_KIS_APP_KEY`, `HANTU_KIS_APP_SECRET` and `HANTU_KIS_ACCOUNT` when set (so a
//! client configured for KIS talks to it unchanged), else the local server's test key and account.
//! They are written, with the URL, to `sandbox.json` (mode 0600) in the service directory, which is
//! how `hantu … --sandbox` finds a running sandbox; they are never logged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hantu_core::clock::{Clock, LiveClock};
use hantu_core::domain::Timestamp;
use hantu_core::krx::KrxCalendar;
use hantu_kis::Environment;
use hantu_kis::mock::{MockConfig, MockMarket, MockServer, MockSnapshot, ShiftedClock};
use serde::{Deserialize, Serialize};

use super::registry::{Health, Registry, write_atomic};
use super::shutdown::Shutdown;
use super::status::StatusHandle;
use crate::commands::Ctx;

/// How often the state is checked for changes and saved.
const SAVE_EVERY: Duration = Duration::from_millis(250);

/// How a client reaches the running sandbox (`sandbox.json`, mode 0600: it holds the app secret).
#[derive(Clone, Serialize, Deserialize)]
pub struct Connection {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// `ws://127.0.0.1:<ws_port>`.
    #[serde(default)]
    pub ws_url: Option<String>,
    /// `paper` or `real`.
    pub env: String,
    /// App key.
    pub app_key: String,
    /// App secret.
    pub app_secret: String,
    /// Account `NNNNNNNN-NN`.
    pub account: String,
    /// The sandbox's process.
    pub pid: u32,
    /// The trading day its market is set on (`YYYY-MM-DD`).
    #[serde(default)]
    pub market_day: Option<String>,
    /// Its clock minus the wall clock, in milliseconds: a trader on the sandbox reads the same time.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
}

impl Connection {
    /// The sandbox's time now, as `--start-at` takes it (`YYYY-MM-DDTHH:MM:SS`, KST).
    #[must_use]
    pub fn start_at(&self) -> Option<String> {
        match (self.clock_offset_ms, &self.market_day) {
            (Some(off), _) => Some(
                Timestamp::from_millis(LiveClock.now().millis() + off)
                    .kst_datetime()
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string(),
            ),
            (None, Some(day)) => Some(format!("{day}T10:00")),
            (None, None) => None,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("url", &self.url).field("env", &self.env).finish_non_exhaustive()
    }
}

fn connection_path(reg: &Registry) -> PathBuf {
    reg.dir().join("sandbox.json")
}

/// The saved state file.
pub fn state_path(reg: &Registry) -> PathBuf {
    reg.dir().join("sandbox-state.json")
}

/// The running sandbox's connection, if the sandbox service is running.
pub fn running(ctx: &Ctx) -> Option<Connection> {
    let reg = super::registry(&ctx.cfg.config);
    match reg.inspect(super::Service::Sandbox).ok()? {
        super::registry::Presence::Running { .. } => {
            serde_json::from_slice(&std::fs::read(connection_path(&reg)).ok()?).ok()
        }
        _ => None,
    }
}

/// The trading day the sandbox's market is set on: today if KRX trades today, else the last one.
fn sandbox_day(today: chrono::NaiveDate) -> chrono::NaiveDate {
    if KrxCalendar::is_trading_day(today) { today } else { KrxCalendar::prev_trading_day(today) }
}

/// The sandbox service.
///
/// # Errors
/// If the port cannot be bound or the saved state cannot be read.
pub async fn serve(ctx: &Ctx, shutdown: &Shutdown, status: &StatusHandle) -> anyhow::Result<()> {
    let cfg = &ctx.cfg.config.sandbox;
    let env: Environment = ctx.cfg.config.kis.env.parse().map_err(|e| anyhow::anyhow!("kis.env: {e}"))?;
    let day = sandbox_day(LiveClock.now().kst_date());
    let clock: Arc<dyn Clock> = if cfg.clock == "live" {
        Arc::new(LiveClock)
    } else {
        // A session that opens when the service starts: 10:00 KST of a trading day, running at
        // wall-clock speed, so orders are accepted at any wall-clock time and the market moves.
        Arc::new(ShiftedClock::starting_at(Timestamp::kst(day, 10, 0)))
    };
    let clock_offset_ms = clock.now().millis() - LiveClock.now().millis();
    let mut mc = MockConfig::new(env, MockMarket::fixture(day)).with_clock(clock).with_cash(cfg.cash);
    if cfg.trades_per_sec > 0.0 {
        // Trades printed through the day: prices move, the WebSocket streams them and inquire-ccnl
        // serves them, so a trader on the sandbox has a market to trade.
        mc = mc.with_tape(1, cfg.trades_per_sec);
    }
    if let (Some(k), Some(s)) = (ctx.cfg.secrets.get("HANTU_KIS_APP_KEY"), ctx.cfg.secrets.get("HANTU_KIS_APP_SECRET"))
    {
        mc = mc.with_app(k.0.expose(), s.0.expose());
    }
    if let Some((acct, _)) = ctx.cfg.secrets.get("HANTU_KIS_ACCOUNT") {
        if let Some((cano, product)) = acct.expose().split_once('-') {
            mc.cano = cano.to_owned();
            mc.product = product.to_owned();
        }
    }
    let reg = super::registry(&ctx.cfg.config);
    let state = state_path(&reg);
    let server = MockServer::start_on_ports(mc, cfg.port, cfg.ws_port).await.with_context(|| {
        format!("binding the sandbox to 127.0.0.1:{} and :{} (sandbox.port, sandbox.ws_port)", cfg.port, cfg.ws_port)
    })?;
    let restored = MockSnapshot::load(&state).context("reading the sandbox's saved state")?;
    if let Some(snap) = &restored {
        server.restore(snap);
        tracing::info!(orders = snap.orders(), cash = snap.cash(), "Restored the sandbox's saved state");
    }
    // From now on every accepted order is on disk before its reply (after the restore, so an early
    // order cannot overwrite the saved state); the loop below saves the rest (fills, prices).
    server.persist_to(Some(state.clone()));
    let (key, secret) = server.app();
    let conn = Connection {
        url: server.base_url(),
        ws_url: Some(server.ws_url()),
        env: ctx.cfg.config.kis.env.clone(),
        app_key: key,
        app_secret: secret,
        account: server.account(),
        pid: std::process::id(),
        market_day: Some(day.to_string()),
        clock_offset_ms: Some(clock_offset_ms),
    };
    write_atomic(&connection_path(&reg), &serde_json::to_vec_pretty(&conn)?)?;
    status.detail("url", serde_json::json!(conn.url));
    status.detail("ws_url", serde_json::json!(conn.ws_url));
    status.detail("market_day", serde_json::json!(day.to_string()));
    status.detail("restored_orders", serde_json::json!(restored.as_ref().map_or(0, MockSnapshot::orders)));
    status.set_health(Health::Ok);
    status.write();
    tracing::info!(url = %conn.url, ws_url = %server.ws_url(), "Sandbox listening");
    let mut last = server.snapshot();
    loop {
        tokio::select! {
            () = shutdown.token.cancelled() => break,
            () = tokio::time::sleep(SAVE_EVERY) => {}
        }
        let snap = server.snapshot();
        if snap != last {
            match snap.save(&state) {
                Ok(()) => {
                    if status.health() == Health::Degraded {
                        status.set_health(Health::Ok);
                    }
                    last = snap;
                }
                Err(e) => {
                    status.set_health(Health::Degraded);
                    status.error(format!("saving state: {e}"));
                }
            }
        }
    }
    server.snapshot().save(&state).context("saving the sandbox's state")?;
    server.stop().await;
    let _ = std::fs::remove_file(connection_path(&reg));
    tracing::info!("Sandbox state saved");
    Ok(())
}
