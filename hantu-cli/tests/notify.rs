//! `hantu notify test|history` and `hantu config check` on `[notify]`, through the built binary,
//! against fake Telegram/Slack/SMTP servers on 127.0.0.1.

#[allow(dead_code, reason = "the fake servers are shared with the unit tests; not every helper is used here")]
#[path = "../src/service/notify/tests/fake.rs"]
mod fake;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

const TOKEN: &str = "987654:BBH-another-secret-token";

async fn hantu(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("the hantu binary runs")).await.unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_reaches_every_channel_and_reports_each() {
    let tg = fake::Telegram::start(TOKEN).await;
    let slack = fake::Slack::start().await;
    let smtp = fake::Smtp::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        format!(
            r#"
[notify]
lang = "en"
backoff_ms = 10
[notify.telegram]
chat_id = "42"
api_url = "{}"
[notify.slack]
[notify.email]
smtp_host = "127.0.0.1"
smtp_port = {}
tls = "none"
from = "hantu@example.com"
to = "ops@example.com"
[notify.console]
"#,
            tg.url, smtp.port
        ),
    )
    .unwrap();
    let env = [("HANTU_TELEGRAM_TOKEN", TOKEN), ("HANTU_SLACK_WEBHOOK_URL", slack.url.as_str())];
    let o = hantu(dir.path(), &["notify", "test", "--json"], &env).await;
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let names: Vec<&str> = v["channels"].as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap()).collect();
    assert_eq!(names, ["telegram", "slack", "email", "console"]);
    assert_eq!(tg.sent().len(), 1);
    assert!(tg.sent()[0]["text"].as_str().unwrap().starts_with("<b>hantu test message</b>"));
    assert_eq!(slack.posted().len(), 1);
    assert_eq!(smtp.mails().len(), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("[INFO] hantu test message"));
    assert!(!text(&o).contains(TOKEN) && !text(&o).contains(&slack.url));

    // One channel only; then a refusal makes the command fail with exit 1 and says why.
    tg.script(vec![(400, json!({"ok": false, "description": "Bad Request: chat not found"}))]);
    let o = hantu(dir.path(), &["notify", "test", "--channel", "telegram"], &env).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("chat not found"), "{}", text(&o));
    assert_eq!(slack.posted().len(), 1);

    // The history has all five deliveries.
    let o = hantu(dir.path(), &["notify", "history", "--json"], &env).await;
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows.iter().filter(|r| r["status"] == "failed").count(), 1);

    let o = hantu(dir.path(), &["notify", "test", "--channel", "pager"], &env).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--channel pager: not configured"), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_lists_every_notify_problem_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        "[notify]\nlang = \"de\"\n[notify.slack]\nrate_per_minute = 0\n[notify.email]\nsmtp_host = \"\"\nfrom = \"x\"\nto = \"a@b.kr\"\n",
    )
    .unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    for key in [
        "notify.lang",
        "notify.slack.rate_per_minute",
        "HANTU_SLACK_WEBHOOK_URL",
        "notify.email.smtp_host",
        "notify.email.from",
    ] {
        assert!(t.contains(key), "{key} not named: {t}");
    }
    // A secret in the file is refused, naming the key.
    std::fs::write(dir.path().join("hantu.toml"), "[notify.slack]\nwebhook_url = \"https://hooks.slack.com/x\"\n")
        .unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("notify.slack.webhook_url") && !text(&o).contains("hooks.slack.com/x"), "{}", text(&o));
    // A valid configuration shows the keys and which secrets are set, never their values.
    std::fs::write(dir.path().join("hantu.toml"), "[notify.telegram]\nchat_id = \"42\"\n").unwrap();
    let o = hantu(dir.path(), &["config", "check", "--json"], &[("HANTU_TELEGRAM_TOKEN", TOKEN)]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(TOKEN));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let key = v["keys"].as_array().unwrap().iter().find(|k| k["key"] == "notify.telegram.chat_id").unwrap();
    assert_eq!(key["value"], "42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_run_alerts_its_new_entries_once_and_a_watch_keeps_alerting() {
    let tg = fake::Telegram::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let o =
        hantu(dir.path(), &["demo", "--stocks", "300", "--days", "260", "--backtest-days", "30", "--json"], &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(
        dir.path().join("hantu.toml"),
        format!("[notify]\nbackoff_ms = 10\n[notify.telegram]\nchat_id = \"42\"\napi_url = \"{}\"\n", tg.url),
    )
    .unwrap();
    let env = [("HANTU_TELEGRAM_TOKEN", TOKEN)];
    // The demo screened its last day; an earlier day's list differs from it.
    let o = hantu(dir.path(), &["screen", "--date", "2025-01-16", "--json", "--top", "3"], &env).await;
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let entered: Vec<String> =
        v["new_entries"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert!(!entered.is_empty(), "the test needs a day with new entries");
    let sent = tg.texts_to(42);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with(&format!("<b>신규 편입 {}종목:", entered.len())), "{}", sent[0]);
    assert!(entered.iter().all(|c| sent[0].contains(c.as_str())), "{}", sent[0]);

    // The same entries again (the same day against the same latest list) are not resent.
    let o = hantu(dir.path(), &["screen", "--date", "2025-01-16", "--json"], &env).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(tg.texts_to(42).len(), 1);
    let o = hantu(dir.path(), &["screen", "--date", "2025-01-10", "--no-notify", "--json"], &env).await;
    assert!(o.status.success());
    assert_eq!(tg.texts_to(42).len(), 1);

    // A watch alerts on its runs (here with the stocks that left, too), and stops after --count runs.
    let o = hantu(
        dir.path(),
        &["screen", "--date", "2025-01-21", "--watch", "--every", "1s", "--count", "2", "--exits", "--top", "1"],
        &env,
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let sent = tg.texts_to(42);
    assert_eq!(sent.len(), 2, "one new alert for two identical runs: {sent:?}");
    assert!(sent[1].contains("편출: "), "{}", sent[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hantu_bot_obeys_its_owner_and_stops_on_sigterm() {
    use hantu_core::control::{ControlState, control_state};
    let tg = fake::Telegram::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        format!(
            "[notify]\nlang = \"en\"\n[notify.telegram]\nchat_id = \"42\"\napi_url = \"{}\"\n[notify.bot]\nallowed_chat_ids = [42]\npoll_timeout_secs = 1\n",
            tg.url
        ),
    )
    .unwrap();
    // Without an allowlist the bot refuses to start.
    let o = hantu(dir.path(), &["bot"], &[("HANTU_TELEGRAM_TOKEN", TOKEN), ("HANTU_NOTIFY_BOT_ALLOWED_CHAT_IDS", "")])
        .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("notify.bot.allowed_chat_ids is empty"), "{}", text(&o));

    tg.say(7, "/pause");
    tg.say(42, "/pause");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hantu"))
        .current_dir(dir.path())
        .arg("bot")
        .env("HANTU_TELEGRAM_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if tg.texts_to(42).len() == 1 && tg.texts_to(7).len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tg.texts_to(7), vec!["Sorry, this bot only answers its owners."]);
    assert!(tg.texts_to(42)[0].starts_with("Paused"), "{:?}", tg.texts_to(42));
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        (status, err)
    })
    .await
    .unwrap();
    assert!(out.0.success(), "{}", out.1);
    assert!(!out.1.contains(TOKEN));
    let store = hantu_core::store::SqliteStore::open(dir.path().join("hantu.db")).unwrap();
    assert_eq!(control_state(&store).unwrap(), ControlState::Paused);
}

/// `hantu health` checks each channel without sending anything (Telegram `getMe`, Slack's refusal
/// of an empty payload, SMTP EHLO/NOOP) and the KIS WebSocket (approval key, connect) of the local
/// server; a revoked token or webhook fails it with exit 1. The API's `/health` shows the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_every_channel_and_the_kis_websocket_without_sending_anything() {
    let tg = fake::Telegram::start(TOKEN).await;
    let slack = fake::Slack::start().await;
    let smtp = fake::Smtp::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        format!(
            "[notify.telegram]\nchat_id = \"42\"\napi_url = \"{}\"\n[notify.slack]\n[notify.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\nfrom = \"hantu@example.com\"\nto = \"ops@example.com\"\n",
            tg.url, smtp.port
        ),
    )
    .unwrap();
    let svc = dir.path().join("svc").display().to_string();
    let env = [
        ("HANTU_TELEGRAM_TOKEN", TOKEN),
        ("HANTU_SLACK_WEBHOOK_URL", slack.url.as_str()),
        ("HANTU_SERVICE_DIR", svc.as_str()),
    ];
    let o = hantu(dir.path(), &["health", "--sandbox", "--json"], &env).await;
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let check = |v: &Value, name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {v}"))
    };
    for name in ["kis ws approval", "kis websocket", "notify telegram", "notify slack", "notify email"] {
        let c = check(&v, name);
        assert_eq!(c["ok"], true, "{c}");
        assert!(c["latency_ms"].as_f64().unwrap() >= 0.0);
    }
    assert!(check(&v, "notify telegram")["detail"].as_str().unwrap().contains("hantu_test_bot"));
    assert!(check(&v, "kis websocket")["detail"].as_str().unwrap().contains("ws://127.0.0.1:"));
    assert!(
        tg.sent().is_empty() && slack.posted().is_empty() && smtp.mails().is_empty(),
        "a health check sent something"
    );
    assert!(!text(&o).contains(TOKEN) && !text(&o).contains(&slack.url), "a secret leaked");

    // A revoked bot token and a webhook that is gone: unhealthy, exit 1, each saying why.
    let gone = slack.url.replace("/hook", "/revoked");
    let env = [
        ("HANTU_TELEGRAM_TOKEN", "111:revoked-token"),
        ("HANTU_SLACK_WEBHOOK_URL", gone.as_str()),
        ("HANTU_SERVICE_DIR", svc.as_str()),
    ];
    let o = hantu(dir.path(), &["health", "--no-kis", "--json"], &env).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let t = check(&v, "notify telegram");
    assert!(t["ok"] == false && t["detail"].as_str().unwrap().contains("401"), "{t}");
    let s = check(&v, "notify slack");
    assert!(s["ok"] == false && s["detail"].as_str().unwrap().contains("404"), "{s}");
    assert_eq!(check(&v, "notify email")["ok"], true);
    assert!(!text(&o).contains("revoked-token") && !text(&o).contains("/revoked"), "a secret leaked: {}", text(&o));

    // The API's /health has the same channel checks.
    let keys = "ops:read:health-test-key-0123456789";
    let env = [
        ("HANTU_TELEGRAM_TOKEN", TOKEN),
        ("HANTU_SLACK_WEBHOOK_URL", slack.url.as_str()),
        ("HANTU_SERVICE_DIR", svc.as_str()),
        ("HANTU_API_KEYS", keys),
    ];
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir.path()).args(["api", "serve", "--port", "0", "--json"]).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = serde_json::from_str::<Value>(&line).unwrap()["listening"].as_str().unwrap().to_owned();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let h: Value = http.get(format!("{url}/health")).send().await.unwrap().json().await.unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let deps = h["dependencies"].as_array().unwrap();
    for name in ["notify telegram", "notify slack", "notify email", "service scheduler"] {
        let d = deps.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("{name}: {h}"));
        assert_eq!(d["ok"], true, "{d}");
    }
    assert!(tg.sent().is_empty() && slack.posted().is_empty(), "/health sent something");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kis_condition_search_alerts_the_stocks_that_enter_it() {
    use hantu_core::clock::SimClock;
    use hantu_core::domain::Timestamp;
    use hantu_kis::Environment;
    use hantu_kis::mock::{MockConfig, MockMarket, MockServer};

    let tg = fake::Telegram::start(TOKEN).await;
    let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
    let clock = std::sync::Arc::new(SimClock::new(Timestamp::kst(day, 10, 0)));
    let server = MockServer::start(MockConfig::new(Environment::Real, MockMarket::fixture(day)).with_clock(clock))
        .await
        .expect("local KIS server");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        format!("[notify]\nbackoff_ms = 10\n[notify.telegram]\nchat_id = \"42\"\napi_url = \"{}\"\n", tg.url),
    )
    .unwrap();
    let (key, secret) = server.app();
    let (url, account, data) = (server.base_url(), server.account(), dir.path().to_str().unwrap().to_owned());
    let env = [
        ("HANTU_TELEGRAM_TOKEN", TOKEN),
        ("HANTU_KIS_ENV", "real"),
        ("HANTU_KIS_REST_URL", url.as_str()),
        ("HANTU_KIS_APP_KEY", key.as_str()),
        ("HANTU_KIS_APP_SECRET", secret.as_str()),
        ("HANTU_KIS_ACCOUNT", account.as_str()),
        ("HANTU_KIS_HTS_ID", "trader01"),
        ("HANTU_DATA_DIR", data.as_str()),
    ];
    let run = |extra: &'static [&'static str]| {
        let mut args = vec!["condition", "run", "상승률상위", "--exits", "--json"];
        args.extend_from_slice(extra);
        let dir = dir.path().to_owned();
        async move {
            let o = hantu(&dir, &args, &env).await;
            assert!(o.status.success(), "{}", text(&o));
            // A watch prints a JSON line per run; the last one is what the test reads.
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            let last = out.lines().last().map_or("", str::trim).to_owned();
            let doc = if extra.is_empty() { out.as_str() } else { last.as_str() };
            serde_json::from_str::<Value>(doc).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
        }
    };

    let o = hantu(dir.path(), &["condition", "list", "--json"], &env).await;
    assert!(o.status.success(), "{}", text(&o));
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list["conditions"].as_array().unwrap().iter().any(|c| c["name"] == "상승률상위"), "{list}");

    // Nobody is up 1% yet: no matches (KIS's MCA05918) is an empty list, and the first run sets the baseline.
    let codes: Vec<_> = MockMarket::fixture(day).codes().collect();
    let first = run(&[]).await;
    assert_eq!(first["matches"].as_array().unwrap().len(), 0, "{first}");
    assert!(first["entered"].is_null());
    assert!(tg.texts_to(42).is_empty());

    // Two stocks rise 5%: they enter, and the alert names them.
    for code in &codes[..2] {
        let p = server.price(*code).unwrap();
        server.set_price(*code, p + p / 20 / 100 * 100);
    }
    let second = run(&[]).await;
    let entered: Vec<&str> = second["entered"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(entered.len(), 2, "{second}");
    let sent = tg.texts_to(42);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("상승률상위") && entered.iter().all(|c| sent[0].contains(c)), "{}", sent[0]);

    // One falls back: a watch of two runs tells it left, and alerts once (the same set is not resent).
    let p = server.price(codes[0]).unwrap();
    server.set_price(codes[0], p - p / 10 / 100 * 100);
    let watched = run(&["--watch", "--every", "1s", "--count", "2"]).await;
    assert_eq!(watched["entered"].as_array().unwrap().len(), 0, "the second run of the watch sees no change");
    let sent = tg.texts_to(42);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].contains("편출: ") && sent[1].contains(codes[0].as_str()), "{}", sent[1]);

    let bad = hantu(dir.path(), &["condition", "run", "nope"], &env).await;
    assert!(!bad.status.success());
    assert!(text(&bad).contains("상승률상위"), "lists the saved conditions: {}", text(&bad));
}
