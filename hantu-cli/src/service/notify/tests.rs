//! Delivery against local fake servers on 127.0.0.1: a fake Telegram Bot API, a fake Slack
//! webhook and a fake SMTP server, all speaking just enough of their protocol.

pub mod fake;

use std::sync::Arc;
use std::time::Duration;

use hantu_core::domain::{ClientOrderId, Price, Qty, Side, Timestamp};
use hantu_core::notify::text::ParseMode;
use hantu_core::notify::{DeliveryStatus, Lang, Level, Message, Notification, Notifier as _};
use hantu_core::store::{SqliteStore, Store};
use serde_json::json;

use super::config::{EmailSection, SmtpTls};
use super::delivery::{Channel, Delivery, Options};
use super::email::Email;
use super::slack::Slack;
use super::telegram::{Telegram, TelegramApi};
use crate::config::Secret;

pub const TOKEN: &str = "123456:AAH-super-secret-bot-token_xyz";

fn opts() -> Options {
    Options { lang: Lang::Ko, queue: 16, max_attempts: 3, backoff: Duration::from_millis(20) }
}

fn fill(qty: u64) -> Notification {
    Notification::new(
        Timestamp::from_millis(1_764_900_000_000),
        Message::Fill {
            client_id: ClientOrderId::from_seq("T", 1),
            code: "005930".parse().unwrap(),
            name: Some("삼성전자".into()),
            side: Side::Buy,
            qty: Qty::from_shares(qty),
            price: Price::new(71_500),
            pnl: None,
        },
    )
}

fn telegram_channel(base: &str, min_level: Level) -> Channel {
    let api = TelegramApi::new(reqwest::Client::new(), base, Secret::new(TOKEN));
    Channel { transport: Arc::new(Telegram::new(api, "42".into(), ParseMode::Html)), min_level, rate_per_minute: 600 }
}

#[tokio::test]
async fn telegram_delivers_escaped_html_and_records_it_sent() {
    let tg = fake::Telegram::start(TOKEN).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info)], opts(), Arc::clone(&store));
    d.notifier.notify_text("A <b> & c");
    d.notifier.notify(&fill(10));
    assert!(d.close(Duration::from_secs(20)).await);
    let sent = tg.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["chat_id"], "42");
    assert_eq!(sent[0]["parse_mode"], "HTML");
    assert_eq!(sent[0]["text"], "<b>A &lt;b&gt; &amp; c</b>\nbody");
    assert!(sent[1]["text"].as_str().unwrap().starts_with("<b>체결: 삼성전자(005930) 매수 10주 @ 71,500원</b>"));
    let rows = store.notifications_since(Timestamp::from_millis(0)).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.status == DeliveryStatus::Sent && r.attempts == 1 && r.channel == "telegram"));
}

#[tokio::test]
async fn a_429_waits_the_servers_retry_after_and_a_5xx_backs_off_then_both_deliver() {
    let tg = fake::Telegram::start(TOKEN).await;
    tg.script(vec![
        (429, json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}})),
        (502, json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})),
    ]);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info)], opts(), Arc::clone(&store));
    d.notifier.notify(&fill(1));
    assert!(d.close(Duration::from_secs(20)).await);
    assert_eq!(tg.sent().len(), 1);
    assert_eq!(tg.calls(), 3);
    let times = tg.call_times();
    // The server asked for a second; the backoff alone (20 ms) would not have waited that long.
    assert!(times[1].duration_since(times[0]) >= Duration::from_millis(1_000), "retry_after not honoured");
    let row = &store.notifications_since(Timestamp::from_millis(0)).unwrap()[0];
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Sent, 3));
}

#[tokio::test]
async fn a_message_that_finally_fails_is_recorded_with_its_error_and_a_refusal_is_not_retried() {
    let tg = fake::Telegram::start(TOKEN).await;
    tg.script(vec![(500, json!({"ok": false, "description": "boom"})); 5]);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info)], opts(), Arc::clone(&store));
    d.notifier.notify(&fill(1));
    assert!(d.close(Duration::from_secs(20)).await);
    let row = &store.notifications_since(Timestamp::from_millis(0)).unwrap()[0];
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Failed, 3));
    assert!(row.error.as_deref().unwrap().contains("HTTP 500"), "{:?}", row.error);

    let tg = fake::Telegram::start(TOKEN).await;
    tg.script(vec![(400, json!({"ok": false, "description": "Bad Request: chat not found"}))]);
    let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info)], opts(), Arc::clone(&store));
    d.notifier.notify(&fill(2));
    assert!(d.close(Duration::from_secs(20)).await);
    assert_eq!(tg.calls(), 1);
    let row = &store.notifications_since(Timestamp::from_millis(0)).unwrap()[1];
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Failed, 1));
    assert!(row.error.as_deref().unwrap().contains("chat not found"));
}

#[tokio::test]
async fn the_same_fill_is_not_sent_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hantu.db");
    let tg = fake::Telegram::start(TOKEN).await;
    for _ in 0..2 {
        // A new process: a new store handle on the same file, a new delivery.
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info)], opts(), store);
        d.notifier.notify(&fill(10));
        d.notifier.notify(&fill(10));
        assert!(d.close(Duration::from_secs(20)).await);
    }
    assert_eq!(tg.sent().len(), 1);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.notifications_since(Timestamp::from_millis(0)).unwrap().len(), 1);
}

#[tokio::test]
async fn each_channel_has_its_own_minimum_level() {
    let tg = fake::Telegram::start(TOKEN).await;
    let slack = fake::Slack::start().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let slack_ch = Channel {
        transport: Arc::new(Slack::new(reqwest::Client::new(), Secret::new(slack.url.clone()))),
        min_level: Level::Critical,
        rate_per_minute: 600,
    };
    let d = Delivery::start(vec![telegram_channel(&tg.url, Level::Info), slack_ch], opts(), Arc::clone(&store));
    d.notifier.notify(&fill(1));
    let down = Notification::new(
        Timestamp::from_millis(5),
        Message::ServiceDown { service: "trader".into(), error: "no heartbeat <30s>".into() },
    );
    d.notifier.notify(&down);
    assert!(d.close(Duration::from_secs(20)).await);
    assert_eq!(tg.sent().len(), 2);
    let posted = slack.posted();
    assert_eq!(posted.len(), 1);
    let text = posted[0]["text"].as_str().unwrap();
    assert!(text.starts_with(":rotating_light: *⚠️ 서비스 중단: trader*"), "{text}");
    assert!(text.contains("no heartbeat &lt;30s&gt;"), "{text}");
}

#[tokio::test]
async fn slack_retries_a_5xx_and_honours_retry_after() {
    let slack = fake::Slack::start().await;
    slack.fail_first(2);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let ch = Channel {
        transport: Arc::new(Slack::new(reqwest::Client::new(), Secret::new(slack.url.clone()))),
        min_level: Level::Info,
        rate_per_minute: 600,
    };
    let d = Delivery::start(vec![ch], opts(), Arc::clone(&store));
    d.notifier.notify(&fill(3));
    assert!(d.close(Duration::from_secs(20)).await);
    assert_eq!(slack.posted().len(), 1);
    let row = &store.notifications_since(Timestamp::from_millis(0)).unwrap()[0];
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Sent, 3));
}

#[tokio::test]
async fn email_goes_over_smtp_with_every_recipient() {
    let smtp = fake::Smtp::start().await;
    let cfg = EmailSection {
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp.port,
        tls: SmtpTls::None,
        username: None,
        from: "hantu <bot@example.com>".into(),
        to: vec!["a@example.com".into(), "b@example.com".into()],
        min_level: "info".into(),
        rate_per_minute: 60,
    };
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let ch =
        Channel { transport: Arc::new(Email::new(&cfg, None).unwrap()), min_level: Level::Info, rate_per_minute: 60 };
    let d = Delivery::start(vec![ch], Options { lang: Lang::En, ..opts() }, Arc::clone(&store));
    d.notifier.notify(&fill(10));
    assert!(d.close(Duration::from_secs(20)).await);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.from, "<bot@example.com>");
    assert_eq!(m.to, vec!["<a@example.com>", "<b@example.com>"]);
    assert!(m.data.contains("Subject: [hantu] Filled: Bought 10"), "{}", m.data);
    let row = &store.notifications_since(Timestamp::from_millis(0)).unwrap()[0];
    assert_eq!((row.channel.as_str(), row.status), ("email", DeliveryStatus::Sent));
}

#[tokio::test]
async fn a_full_queue_drops_without_blocking_and_records_the_drop() {
    let tg = fake::Telegram::start(TOKEN).await;
    tg.script(vec![(500, json!({"ok": false, "description": "slow"})); 3]);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let d = Delivery::start(
        vec![telegram_channel(&tg.url, Level::Info)],
        Options { queue: 1, backoff: Duration::from_millis(200), ..opts() },
        Arc::clone(&store),
    );
    for q in 1..=5 {
        d.notifier.notify(&fill(q));
    }
    assert!(d.close(Duration::from_secs(20)).await);
    let rows = store.notifications_since(Timestamp::from_millis(0)).unwrap();
    assert_eq!(rows.len(), 5, "every notification is in the history");
    let dropped = rows.iter().filter(|r| r.error.as_deref() == Some("queue full")).count();
    assert!(dropped >= 1, "{rows:?}");
    assert!(rows.iter().all(|r| r.status != DeliveryStatus::Pending));
}

#[tokio::test]
async fn secrets_never_reach_logs_errors_or_debug_output() {
    let logs = fake::capture_logs();
    // Nothing listens on this port: every attempt fails with a connection error, whose text would
    // carry the URL (and with it the token) if it were not removed.
    let dead = fake::closed_port().await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let hook = format!("http://127.0.0.1:{dead}/services/T000/B000/very-secret-webhook");
    let slack_ch = Channel {
        transport: Arc::new(Slack::new(reqwest::Client::new(), Secret::new(hook.clone()))),
        min_level: Level::Info,
        rate_per_minute: 600,
    };
    let d = Delivery::start(
        vec![telegram_channel(&format!("http://127.0.0.1:{dead}"), Level::Info), slack_ch],
        Options { max_attempts: 2, ..opts() },
        Arc::clone(&store),
    );
    {
        let _guard = logs.enter();
        d.notifier.notify(&fill(1));
        assert!(d.close(Duration::from_secs(20)).await);
    }
    let rows = store.notifications_since(Timestamp::from_millis(0)).unwrap();
    assert_eq!(rows.len(), 2);
    let text = format!("{}{rows:?}", logs.text());
    assert!(text.contains("Notification failed"), "the failure was logged: {text}");
    assert!(!text.contains(TOKEN) && !text.contains("very-secret-webhook"), "a secret leaked: {text}");
    let api = TelegramApi::new(reqwest::Client::new(), "http://x", Secret::new(TOKEN));
    let debug = format!("{api:?} {:?} {}", Secret::new(TOKEN), Secret::new(TOKEN));
    assert!(!debug.contains(TOKEN), "{debug}");
}

impl super::delivery::Dispatcher {
    fn notify_text(&self, title: &str) {
        self.notify(&Notification::text(Timestamp::from_millis(1), Level::Info, title, "body"));
    }
}

#[test]
fn every_notify_problem_is_listed_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hantu.toml");
    std::fs::write(
        &path,
        r#"
[notify]
lang = "fr"
[notify.telegram]
chat_id = ""
min_level = "loud"
[notify.email]
smtp_host = "mail.example.com"
from = "not an address"
to = []
"#,
    )
    .unwrap();
    let err = crate::config::load(Some(&path)).unwrap_err().to_string();
    for key in [
        "notify.lang",
        "notify.telegram.min_level",
        "HANTU_TELEGRAM_TOKEN",
        "notify.telegram.chat_id",
        "notify.email.from",
        "notify.email.to",
    ] {
        assert!(err.contains(key), "{key} missing from: {err}");
    }
}
