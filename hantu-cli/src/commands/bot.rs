//! `hantu bot`: the Telegram control bot in the foreground until Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use hantu_core::notify::Lang;
use hantu_core::store::Store;

use super::{Ctx, ExitStatus};
use crate::service::notify::config::TELEGRAM_TOKEN_VAR;
use crate::service::notify::{self as notify, bot};

/// Run the Telegram control bot in the foreground.
///
/// It answers only the chats in notify.bot.allowed_chat_ids (token: HANTU_TELEGRAM_TOKEN) and
/// commands the trader through the store, whether the trader runs here or elsewhere.
#[derive(Debug, Args)]
pub struct BotArgs {}

/// Runs `hantu bot`.
pub fn run(_a: &BotArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let n = &ctx.cfg.config.notify;
    if n.bot.allowed_chat_ids.is_empty() {
        anyhow::bail!("notify.bot.allowed_chat_ids is empty: the bot would answer nobody; add your chat id");
    }
    ctx.cfg.secret(TELEGRAM_TOKEN_VAR)?;
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let rt = super::kis::runtime()?;
    rt.block_on(async {
        let http = notify::http_client()?;
        let api = notify::telegram_api(&ctx.cfg, &http).context("the Telegram token")?;
        let cfg = bot::BotConfig {
            allowed: n.bot.allowed_chat_ids.clone(),
            poll_timeout: Duration::from_secs(n.bot.poll_timeout_secs.clamp(1, 50)),
            lang: Lang::parse(&n.lang).unwrap_or_default(),
        };
        bot::run(api, store, cfg, shutdown_signal()).await
    })?;
    Ok(ExitStatus::Success)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
