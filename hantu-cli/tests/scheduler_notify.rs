//! The scheduler tells people about its day through the real binary, against a fake Telegram Bot
//! API on 127.0.0.1: a failed step (warning), a step skipped for missing inputs (info), the
//! learning step's degradation alert read back from the store, and the after-close daily report;
//! each once, even when the step runs again by hand.

#[allow(dead_code, reason = "the fake servers are shared with the unit tests; not every helper is used here")]
#[path = "../src/service/notify/tests/fake.rs"]
mod fake;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hantu_core::domain::Timestamp;
use hantu_core::store::{EventKind, EventRecord, SqliteStore, Store as _};
use serde_json::Value;

const TOKEN: &str = "123456:SCHED-fake-bot-token-never-logged";

fn hantu(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    cmd.env("HANTU_SERVICE_DIR", dir.join("svc"))
        .env("HANTU_SERVICE_GRACE_SECS", "5")
        .env("HANTU_TELEGRAM_TOKEN", TOKEN);
    cmd.output().expect("the hantu binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Stops the scheduler even when the test fails.
struct Stop<'a>(&'a Path);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        let _ = hantu(self.0, &["stop", "--timeout", "5"]);
    }
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(40), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn jobs_config(api_url: &str) -> String {
    format!(
        r#"
[schedule]
default_plan = false

[[schedule.jobs]]
name = "boom"
cron = "5 8 * * *"
exec = ["sh", "-c", "echo broken input >&2; exit 3"]

[[schedule.jobs]]
name = "trade"
cron = "10 8 * * *"
run = ["select"]
needs = "picks"

[[schedule.jobs]]
name = "report"
cron = "20 8 * * *"
run = ["schedule", "report", "--notify"]

[notify]
lang = "en"
backoff_ms = 10

[notify.telegram]
chat_id = "42"
api_url = "{api_url}"
"#
    )
}

fn count(texts: &[String], needle: &str) -> usize {
    texts.iter().filter(|t| t.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_and_skipped_steps_learning_alerts_and_the_daily_report_are_each_told_once() {
    let tg = fake::Telegram::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("hantu.toml"), jobs_config(&tg.url)).unwrap();
    // What `hantu learn update` leaves when a weights version degrades: an alert event, dated at
    // the close of the day it learned up to (the day before the scheduler's clock starts).
    let alert = "weights learn-20250724 degraded: hit rate 31.0% over the last 40 outcomes against a baseline of 55.0%";
    {
        let store = SqliteStore::open(d.join("hantu.db")).unwrap();
        store
            .record_event(&EventRecord {
                ts: Timestamp::from_millis(1_753_338_600_000), // 2025-07-24 15:30 KST
                kind: EventKind::Alert,
                source: "learn".into(),
                message: alert.into(),
                detail: serde_json::json!({ "version": "learn-20250724" }),
            })
            .unwrap();
    }

    // Friday 2025-07-25, 08:00 KST, ten simulated minutes per real second.
    let o = hantu(d, &["start", "scheduler", "--clock-start", "2025-07-25T08:00:00", "--clock-speed", "600"]);
    assert!(o.status.success(), "{}", text(&o));
    let _stop = Stop(d);
    let texts = || tg.texts_to(42);
    wait_for("the four messages", || {
        let t = texts();
        count(&t, "Job failed: boom") >= 1
            && count(&t, "Job skipped: trade") >= 1
            && count(&t, "Alert (learn)") >= 1
            && count(&t, "Daily report") >= 1
    })
    .await;
    let t = texts();
    let failed = t.iter().find(|x| x.contains("Job failed: boom")).unwrap();
    assert!(failed.contains("broken input"), "the failure says why: {failed}");
    let skipped = t.iter().find(|x| x.contains("Job skipped: trade")).unwrap();
    assert!(skipped.contains("no picks"), "{skipped}");
    assert!(t.iter().any(|x| x.contains("Alert (learn)") && x.contains("hit rate 31.0%")), "{t:?}");

    // The report step again, by hand: the day's report is not sent twice; nor is the alert,
    // though every run forwards the learning alerts it finds.
    let o = hantu(d, &["schedule", "run", "report"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = hantu(d, &["stop", "scheduler"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = texts();
    assert_eq!(count(&t, "Daily report"), 1, "{t:?}");
    assert_eq!(count(&t, "Alert (learn)"), 1, "{t:?}");
    assert_eq!(count(&t, "Job failed: boom"), 1, "{t:?}");
    assert_eq!(count(&t, "Job skipped: trade"), 1, "{t:?}");

    // Every delivery is in the notification history, sent; the run history still has the runs.
    let o = hantu(d, &["notify", "history", "--days", "5000", "--json"]);
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let mut kinds: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["alert", "daily_report", "job_failed", "job_skipped"], "{rows}");
    assert!(rows.as_array().unwrap().iter().all(|r| r["status"] == "sent"), "{rows}");
    let o = hantu(d, &["schedule", "history", "--json"]);
    let runs: Value = serde_json::from_slice(&o.stdout).unwrap();
    let outcome = |job: &str| {
        runs["runs"].as_array().unwrap().iter().find(|r| r["run"]["job"] == job).map(|r| r["run"]["outcome"].clone())
    };
    assert_eq!(outcome("boom"), Some("failed".into()));
    assert_eq!(outcome("trade"), Some("skipped".into()));
    assert_eq!(outcome("report"), Some("succeeded".into()));

    // The bot token never reaches a log.
    let mut seen = String::new();
    for e in std::fs::read_dir(d.join("svc").join("logs")).unwrap() {
        seen.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(!seen.contains(TOKEN), "the bot token leaked into a log");
}
