//! The Telegram control bot: long-polls `getUpdates`, answers only the allowlisted chats, and does
//! what they ask through the store (`hantu_core::control`), so it commands a trader in this process
//! or another one alike. Every command, allowed or not, is audited as an event in the store;
//! strangers and unknown commands get a polite refusal and nothing else. Commands that sell
//! (`/forceexit`, `/stop flatten`) wait for `/confirm`.
//!
//! The last update handled is kept in the store (settings [`OFFSET_KEY`]), so a restarted bot never
//! runs a command twice.

pub mod commands;
pub mod profit;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hantu_core::domain::Timestamp;
use hantu_core::notify::Lang;
use hantu_core::notify::text::ParseMode;
use hantu_core::store::{EventKind, EventRecord, Store};
use serde_json::json;

use self::commands::{Command, Env};
use super::delivery::now;
use super::telegram::{Incoming, TelegramApi};
use super::transport::SendError;

/// The settings key holding the next update id to fetch.
pub const OFFSET_KEY: &str = "telegram.bot.offset";

/// The event source of the bot's audit records.
pub const AUDIT_SOURCE: &str = "telegram.bot";

/// How long a request waits for `/confirm`.
const CONFIRM_WINDOW_MS: i64 = 60_000;

/// The bot's settings.
#[derive(Clone, Debug)]
pub struct BotConfig {
    /// Chats it obeys.
    pub allowed: Vec<i64>,
    /// Long-poll timeout.
    pub poll_timeout: Duration,
    /// Reply language.
    pub lang: Lang,
}

/// Runs the bot until `shutdown` completes.
///
/// # Errors
/// If Telegram refuses the token (or another permanent error), or the store fails.
pub async fn run(
    api: TelegramApi,
    store: Arc<dyn Store>,
    cfg: BotConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    tokio::pin!(shutdown);
    let mut offset: i64 = store.setting(OFFSET_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut pending: HashMap<i64, (Command, Timestamp)> = HashMap::new();
    let mut backoff = Duration::from_secs(1);
    tracing::info!(allowed = cfg.allowed.len(), "Telegram bot polling");
    loop {
        let updates = tokio::select! {
            () = &mut shutdown => break,
            u = api.get_updates(offset, cfg.poll_timeout) => u,
        };
        let updates = match updates {
            Ok(u) => {
                backoff = Duration::from_secs(1);
                u
            }
            Err(SendError::Permanent(e)) => anyhow::bail!("Telegram refused the bot: {e}"),
            Err(SendError::Retry { after, message }) => {
                let wait = after.unwrap_or(backoff);
                tracing::warn!(error = %message, wait_s = wait.as_secs(), "Telegram getUpdates failed; retrying");
                backoff = (backoff * 2).min(Duration::from_secs(60));
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        for u in updates {
            offset = offset.max(u.update_id + 1);
            // Recorded before acting: a crash mid-command loses that command, never repeats it.
            store.set_setting(OFFSET_KEY, &offset.to_string())?;
            if u.chat_id == 0 || u.text.is_empty() {
                continue;
            }
            let reply = handle(&u, store.as_ref(), &cfg, &mut pending)?;
            if let Err(e) =
                api.send_message(&u.chat_id.to_string(), &ParseMode::Html.escape(&reply), ParseMode::Html).await
            {
                tracing::warn!(chat = u.chat_id, error = %e, "Bot reply not delivered");
            }
        }
    }
    tracing::info!("Telegram bot stopped");
    Ok(())
}

/// Handles one message: allowlist, confirmation, the command, the audit. Returns the reply.
///
/// # Errors
/// If the store fails.
pub fn handle(
    u: &Incoming,
    store: &dyn Store,
    cfg: &BotConfig,
    pending: &mut HashMap<i64, (Command, Timestamp)>,
) -> anyhow::Result<String> {
    let at = now();
    let allowed = cfg.allowed.contains(&u.chat_id);
    let cmd = commands::parse(&u.text);
    let (reply, outcome) = if !allowed {
        (commands::stranger(cfg.lang), "refused: chat not allowed".to_owned())
    } else {
        let env = Env { store, now: at, lang: cfg.lang, by: format!("telegram:{}", u.chat_id) };
        match cmd {
            Command::Confirm => match pending.remove(&u.chat_id) {
                Some((c, asked)) if at.millis() - asked.millis() <= CONFIRM_WINDOW_MS => {
                    (commands::execute(&c, &env)?, format!("confirmed {}", c.name()))
                }
                Some(_) => {
                    (commands::execute(&Command::Unknown("the request expired".into()), &env)?, "expired".into())
                }
                None => (commands::execute(&Command::Confirm, &env)?, "nothing to confirm".into()),
            },
            Command::Cancel if pending.remove(&u.chat_id).is_some() => (
                if cfg.lang == Lang::Ko { "취소했습니다.".to_owned() } else { "Dropped.".to_owned() },
                "cancelled".into(),
            ),
            c if c.needs_confirmation() => {
                let prompt = commands::confirmation_prompt(&c, cfg.lang);
                pending.insert(u.chat_id, (c, at));
                (prompt, "awaiting confirmation".into())
            }
            Command::Unknown(why) => (commands::unknown(cfg.lang, &why), format!("refused: {why}")),
            c => (commands::execute(&c, &env)?, "done".into()),
        }
    };
    let name = if allowed { cmd_name(&u.text) } else { "(stranger)".to_owned() };
    store.record_event(&EventRecord {
        ts: at,
        kind: if allowed { EventKind::Notification } else { EventKind::Alert },
        source: AUDIT_SOURCE.to_owned(),
        message: format!("chat {} {}: {outcome}", u.chat_id, name),
        detail: json!({
            "chat_id": u.chat_id,
            "from": u.from,
            "text": u.text.chars().take(200).collect::<String>(),
            "allowed": allowed,
            "outcome": outcome,
        }),
    })?;
    Ok(reply)
}

fn cmd_name(text: &str) -> String {
    text.split_whitespace().next().unwrap_or_default().chars().take(40).collect()
}
