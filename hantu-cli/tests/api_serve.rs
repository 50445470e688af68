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
