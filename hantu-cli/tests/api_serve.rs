//! `hantu api serve`, spawned as a user runs it: it refuses to start without keys (naming the
//! variable, never echoing a secret), prints where it listens, serves, and ends cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const KEYS: &str = "ops:control:serve-test-key-0123456789";

fn hantu(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn without_keys_or_with_bad_keys_it_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(dir.path(), &["api", "serve", "--port", "0"], &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("HANTU_API_KEYS"));
    let o = hantu(dir.path(), &["api", "serve", "--port", "0"], &[("HANTU_API_KEYS", "ops:root:tooshortsecret")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("HANTU_API_KEYS") && err.contains("read or control"), "{err}");
    assert!(!err.contains("tooshortsecret"), "a secret was printed: {err}");
    let o = hantu(dir.path(), &["api", "serve"], &[("HANTU_API_KEYS", KEYS), ("HANTU_API_ADDR", "localhost")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("api.addr"));
}

#[tokio::test]
async fn serves_on_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = hantu(dir.path(), &["api", "serve", "--port", "0", "--json"], &[("HANTU_API_KEYS", KEYS)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let url = v["listening"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let status =
        http.get(format!("{url}/status")).header("X-API-Key", "serve-test-key-0123456789").send().await.unwrap();
    assert_eq!(status.status(), 200);
    let page = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(page.text().await.unwrap().contains("/assets/app.js"));
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the API did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
}

const JOBS: &str = r#"
[schedule]
default_plan = false

[[schedule.jobs]]
name = "quick"
every = "1h"
exec = ["true"]

[[schedule.jobs]]
name = "slow"
every = "1h"
exec = ["sleep", "30"]
"#;

/// `POST /jobs/{name}/run` over real HTTP against `hantu api serve`: it runs the job as `hantu
/// schedule run` does (recorded, one running instance across processes), answers 202 with the run
/// id, 409 while it runs, 404 for an unknown job, 403 to a read key; a SIGTERM stops the job in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_through_the_api_once_at_a_time_and_shows_in_jobs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hantu.toml"), JOBS).unwrap();
    let svc = dir.path().join("svc").display().to_string();
    let keys = format!("{KEYS},dash:read:read-only-key-0123456789");
    let env =
        [("HANTU_API_KEYS", keys.as_str()), ("HANTU_SERVICE_DIR", svc.as_str()), ("HANTU_SERVICE_GRACE_SECS", "3")];
    let mut child = hantu(dir.path(), &["api", "serve", "--port", "0", "--json"], &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let url = v["listening"].as_str().unwrap().to_owned();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |path: &str, key: &str| http.post(format!("{url}{path}")).header("X-API-Key", key).send();
    let control = "serve-test-key-0123456789";

    assert_eq!(post("/jobs/quick/run", "read-only-key-0123456789").await.unwrap().status(), 403);
    let r = post("/jobs/nope/run", control).await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("quick"), "names the configured jobs: {body}");

    let r = post("/jobs/quick/run", control).await.unwrap();
    assert_eq!(r.status(), 202);
    let started: serde_json::Value = r.json().await.unwrap();
    let quick_id = started["id"].as_i64().unwrap();
    assert_eq!(started["outcome"], "running");
    let run_of = |jobs: &serde_json::Value, id: i64| {
        jobs["jobs"].as_array().unwrap().iter().find(|j| j["id"] == id).cloned().unwrap_or_default()
    };
    let jobs_now = || async {
        let r = http.get(format!("{url}/jobs")).header("X-API-Key", control).send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while run_of(&jobs_now().await, quick_id)["outcome"] != "succeeded" {
        assert!(std::time::Instant::now() < deadline, "the quick job never finished: {}", jobs_now().await);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The slow one runs; a second request, or the CLI in another process, is refused meanwhile.
    let r = post("/jobs/slow/run", control).await.unwrap();
    assert_eq!(r.status(), 202);
    let slow_id = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post("/jobs/slow/run", control).await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "already_running");
    let cli = hantu(dir.path(), &["schedule", "run", "slow"], &env).output().unwrap();
    assert_eq!(cli.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cli.stdout).contains("already running"), "{cli:?}");
    let jobs = jobs_now().await;
    assert_eq!(run_of(&jobs, slow_id)["outcome"], "running", "{jobs}");
    assert_eq!(jobs["jobs"].as_array().unwrap().iter().filter(|j| j["outcome"] == "refused").count(), 2, "{jobs}");

    // SIGTERM: the job in flight is stopped and recorded so before the API exits.
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the API did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
    let h = hantu(dir.path(), &["schedule", "history", "slow", "--json"], &env).output().unwrap();
    let h: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    let slow = h["runs"].as_array().unwrap().iter().find(|r| r["id"] == slow_id).unwrap().clone();
    assert_eq!(slow["run"]["outcome"], "cancelled", "{slow}");
}
