//! The Telegram control bot as a service, through the real binary against a fake Telegram Bot API
//! on 127.0.0.1: `hantu start bot` runs it detached (PID file 0600, a second instance refused),
//! it answers the allowlisted chat and refuses strangers, its commands reach the store, `stop`
//! ends it cleanly, and `start all` includes it only when it has a token and an allowlist.

#[allow(dead_code, reason = "the fake servers are shared with the unit tests; not every helper is used here")]
#[path = "../src/service/notify/tests/fake.rs"]
mod fake;

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hantu_core::control::{ControlState, control_state};
use hantu_core::store::SqliteStore;
use serde_json::Value;

const TOKEN: &str = "424242:BOT-service-token-never-logged";

struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hantu.toml"), config).unwrap();
        let port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
        let env = vec![
            ("HANTU_SERVICE_DIR".to_owned(), dir.path().join("svc").display().to_string()),
            ("HANTU_SANDBOX_PORT".to_owned(), port()),
            ("HANTU_SANDBOX_WS_PORT".to_owned(), port()),
            ("HANTU_SERVICE_GRACE_SECS".to_owned(), "5".to_owned()),
        ];
        Self { dir, env }
    }

    fn svc(&self) -> PathBuf {
        self.dir.path().join("svc")
    }

    async fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(self.dir.path()).args(args).env_remove("RUST_LOG");
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
            cmd.env_remove(k);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.envs(extra.iter().copied());
        tokio::task::spawn_blocking(move || cmd.output().expect("the hantu binary runs")).await.unwrap()
    }

    async fn status(&self, svc: &str) -> Value {
        let o = self.run(&["status", svc, "--json"], &[]).await;
        serde_json::from_slice::<Value>(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))["services"][0]
            .clone()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(self.dir.path()).args(["stop", "--timeout", "5"]);
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let _ = cmd.output();
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(40), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn config(api_url: &str) -> String {
    format!(
        "[schedule]\ndefault_plan = false\n[notify]\nlang = \"en\"\n[notify.telegram]\nchat_id = \"42\"\napi_url = \"{api_url}\"\n[notify.bot]\nallowed_chat_ids = [42]\npoll_timeout_secs = 1\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_runs_as_a_service_answers_its_chat_and_stops() {
    let tg = fake::Telegram::start(TOKEN).await;
    let mut h = Home::new("[schedule]\ndefault_plan = false\n");
    let token = [("HANTU_TELEGRAM_TOKEN", TOKEN)];

    // Not configured, it does not start, and says what is missing.
    let o = h.run(&["start", "bot"], &token).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("notify.bot.allowed_chat_ids"), "{}", text(&o));
    std::fs::write(h.dir.path().join("hantu.toml"), config(&tg.url)).unwrap();
    // The configuration names the missing token.
    let o = h.run(&["start", "bot"], &[]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("HANTU_TELEGRAM_TOKEN"), "{}", text(&o));
    h.env.push(("HANTU_TELEGRAM_TOKEN".into(), TOKEN.into()));

    let o = h.run(&["start", "bot"], &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let st = h.status("bot").await;
    assert_eq!(st["running"], true, "{st}");
    assert_eq!(st["healthy"], true, "{st}");
    let pid = st["pid"].as_u64().unwrap();
    assert_eq!(std::fs::metadata(h.svc().join("bot.pid")).unwrap().permissions().mode() & 0o777, 0o600);
    let again = h.run(&["start", "bot"], &[]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains(&format!("already running (pid {pid})")), "{}", text(&again));

    // The allowed chat is answered; a stranger is refused and changes nothing; /pause reaches the store.
    tg.say(42, "/status");
    wait_for("the reply to /status", || !tg.texts_to(42).is_empty()).await;
    tg.say(7, "/pause");
    wait_for("the refusal", || !tg.texts_to(7).is_empty()).await;
    let db = h.dir.path().join("hantu.db");
    let state = || control_state(&SqliteStore::open(&db).unwrap()).unwrap();
    assert_eq!(state(), ControlState::Running, "a stranger paused the trader");
    tg.say(42, "/pause");
    wait_for("the pause", || state() == ControlState::Paused).await;

    let o = h.run(&["stop", "bot"], &[]).await;
    assert!(o.status.success() && text(&o).contains("cleanly"), "{}", text(&o));
    let st = h.status("bot").await;
    assert_eq!(st["running"], false);
    assert!(!h.svc().join("bot.pid").exists());
    let mut seen = String::new();
    for e in std::fs::read_dir(h.svc().join("logs")).unwrap() {
        seen.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(seen.contains("Telegram bot polling"), "the bot logged to its service log");
    assert!(!seen.contains(TOKEN), "the bot token leaked into a log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_all_includes_the_bot_only_with_a_token_and_an_allowlist() {
    let tg = fake::Telegram::start(TOKEN).await;
    let mut h = Home::new("[schedule]\ndefault_plan = false\n");
    let started = |o: &Output| -> Vec<String> {
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["started"] == true)
            .map(|s| s["service"].as_str().unwrap().to_owned())
            .collect()
    };
    let o = h.run(&["start", "all", "--json"], &[]).await;
    assert!(!started(&o).contains(&"bot".to_owned()), "started without a token: {}", text(&o));
    assert!(text(&o).contains("bot skipped"), "{}", text(&o));
    let o = h.run(&["stop", "--json"], &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(h.dir.path().join("hantu.toml"), config(&tg.url)).unwrap();
    h.env.push(("HANTU_TELEGRAM_TOKEN".into(), TOKEN.into()));
    let o = h.run(&["start", "all", "--json"], &[]).await;
    assert!(started(&o).contains(&"bot".to_owned()), "{}", text(&o));
    assert_eq!(h.status("bot").await["running"], true);
    let o = h.run(&["stop", "--json"], &[]).await;
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let bot = v["services"].as_array().unwrap().iter().find(|s| s["service"] == "bot").unwrap().clone();
    assert_eq!(bot["stopped"], true, "{v}");
}
