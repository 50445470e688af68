//! `hantu bot`: the Telegram control bot in the foreground until Ctrl-C or SIGTERM (`hantu start
//! bot` runs it as a service).

use std::sync::Arc;

use clap::Args;
use hantu_core::store::Store;

use super::{Ctx, ExitStatus};
use crate::service::notify::bot;

/// Run the Telegram control bot in the foreground.
///
/// It answers only the chats in notify.bot.allowed_chat_ids (token: HANTU_TELEGRAM_TOKEN) and
/// commands the trader through the store, whether the trader runs here or elsewhere.
#[derive(Debug, Args)]
pub struct BotArgs {}

/// Runs `hantu bot`.
pub fn run(_a: &BotArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let (api, cfg) = crate::service::bot_service::setup(ctx)?;
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let rt = super::kis::runtime()?;
    rt.block_on(bot::run(api, store, cfg, shutdown_signal()))?;
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
