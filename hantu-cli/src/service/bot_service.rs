//! The Telegram control bot (`service::notify::bot`) as a service: `hantu start bot` runs it
//! detached under the registry (lock, PID file, heartbeat, logs, shutdown) until `hantu stop bot`.
//! `hantu start all` includes it only when it is configured: a bot token (`HANTU_TELEGRAM_TOKEN`)
//! and at least one allowed chat (`notify.bot.allowed_chat_ids`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hantu_core::notify::Lang;
use hantu_core::store::Store;

use super::notify::bot::BotConfig;
use super::notify::config::TELEGRAM_TOKEN_VAR;
use super::notify::telegram::TelegramApi;
use super::registry::Health;
use super::shutdown::Shutdown;
use super::status::StatusHandle;
use crate::commands::Ctx;

/// Whether the bot can start: a token and someone to answer.
pub fn configured(ctx: &Ctx) -> bool {
    ctx.cfg.secrets.contains_key(TELEGRAM_TOKEN_VAR) && !ctx.cfg.config.notify.bot.allowed_chat_ids.is_empty()
}

/// The bot's API client and settings from the configuration.
///
/// # Errors
/// If the allowlist is empty (the bot would answer nobody) or the token is missing.
pub fn setup(ctx: &Ctx) -> anyhow::Result<(TelegramApi, BotConfig)> {
    let n = &ctx.cfg.config.notify;
    if n.bot.allowed_chat_ids.is_empty() {
        anyhow::bail!("notify.bot.allowed_chat_ids is empty: the bot would answer nobody; add your chat id");
    }
    ctx.cfg.secret(TELEGRAM_TOKEN_VAR)?;
    let http = super::notify::http_client()?;
    let api = super::notify::telegram_api(&ctx.cfg, &http).context("the Telegram token")?;
    let cfg = BotConfig {
        allowed: n.bot.allowed_chat_ids.clone(),
        poll_timeout: Duration::from_secs(n.bot.poll_timeout_secs.clamp(1, 50)),
        lang: Lang::parse(&n.lang).unwrap_or_default(),
    };
    Ok((api, cfg))
}

/// The bot service.
///
/// # Errors
/// As [`setup`], or if Telegram refuses the token or the store fails.
pub async fn serve(ctx: &Ctx, shutdown: &Shutdown, status: &StatusHandle) -> anyhow::Result<()> {
    let (api, cfg) = setup(ctx)?;
    let store: Arc<dyn Store> = Arc::new(crate::commands::open_store(ctx)?);
    status.detail("allowed_chats", serde_json::json!(cfg.allowed.len()));
    status.set_health(Health::Ok);
    status.write();
    super::notify::bot::run(api, store, cfg, shutdown.token.clone().cancelled_owned()).await
}
