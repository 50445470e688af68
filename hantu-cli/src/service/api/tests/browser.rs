//! The dashboard in a real headless Chromium (the distribution's `chromium` package), driven over the
//! DevTools protocol: the page loads against the API over the demo store, its tables fill, a click
//! on Pause (answering the control-key prompt) reaches the trader's flag in the store, and a
//! screenshot is saved under the target directory (`target/artifacts/dashboard.png`).
//!
//! Skipped, with a message, when Chromium is not installed; `scripts/test.sh` installs it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use hantu_core::control::{ControlState, control_state};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{CONTROL_KEY, READ_KEY, TestApi};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn chromium() -> Option<PathBuf> {
    std::env::var_os("HANTU_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists())
}

/// The target directory (the test binary lives in `<target>/debug/deps/`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).map_or_else(std::env::temp_dir, PathBuf::from)
}

/// The Chromium process, ended (by its handle) when the test ends, pass or fail.
struct Browser(std::process::Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Cdp {
    ws: Ws,
    next: u64,
    session: Option<String>,
}

impl Cdp {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .unwrap()
                .unwrap();
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    async fn eval(&mut self, expr: &str) -> Value {
        let r = self
            .call("Runtime.evaluate", json!({ "expression": expr, "returnByValue": true, "awaitPromise": true }))
            .await;
        r["result"]["value"].clone()
    }
}

const COUNTS: &str = r#"(() => {
  const rows = (id) => [...document.querySelectorAll('#' + id + ' tr')].filter(r => !r.querySelector('.empty')).length;
  return {
    positions: rows('positions'), orders: rows('orders'), picks: rows('picks'),
    alerts: document.querySelectorAll('#alerts li').length,
    health: document.querySelectorAll('#health li').length,
    equity: document.querySelectorAll('#equity path').length,
    state: document.getElementById('state').textContent,
    message: document.getElementById('message').textContent,
  };
})()"#;

#[tokio::test]
async fn the_dashboard_fills_its_tables_and_pauses_the_trader_in_a_real_browser() {
    let Some(chrome) = chromium() else {
        println!("SKIPPED: Chromium not found (apt-get install -y chromium; scripts/test.sh does it)");
        return;
    };
    let api = TestApi::start().await;
    let profile = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(&chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1280,1100",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let browser = Browser(child);
    // Chromium writes its DevTools port and browser path into the profile once it listens.
    let port_file = profile.path().join("DevToolsActivePort");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let ws_url = loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                break format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "Chromium did not start its DevTools endpoint");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let mut cdp = Cdp { ws, next: 0, session: None };
    let target = cdp.call("Target.createTarget", json!({ "url": "about:blank" })).await;
    let attached = cdp.call("Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true })).await;
    cdp.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
    cdp.call("Page.enable", json!({})).await;
    cdp.call("Runtime.enable", json!({})).await;
    let url = format!("{}#key={READ_KEY}", api.url("/"));
    cdp.call("Page.navigate", json!({ "url": url })).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let counts = loop {
        let c = cdp.eval(COUNTS).await;
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        if n("positions") >= 1
            && n("orders") >= 1
            && n("picks") >= 1
            && n("alerts") >= 1
            && n("health") >= 2
            && n("equity") >= 2
        {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "the dashboard did not fill: {c}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(counts["state"], "running", "{counts}");
    assert_eq!(cdp.eval("location.hash").await, "", "the key is taken out of the address bar");
    let key_used = cdp.eval("document.getElementById('key').value").await;
    assert_eq!(key_used, READ_KEY);

    // Pause asks for the control key; the test answers the prompt, as a person would.
    cdp.eval(&format!("window.prompt = () => '{CONTROL_KEY}'; document.getElementById('pause').click(); true")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while control_state(api.store.as_ref()).unwrap() != ControlState::Paused {
        assert!(tokio::time::Instant::now() < deadline, "the pause click never reached the store");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rec = hantu_core::control::read_control(api.store.as_ref()).unwrap().unwrap();
    assert_eq!(rec.by, "api:ops");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let c = cdp.eval(COUNTS).await;
        if c["state"] == "paused" && c["message"].as_str().is_some_and(|m| m.contains("paused")) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the page did not show the pause: {c}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A read-only key cannot pause: the page says so and the flag stays.
    cdp.eval(&format!("window.prompt = () => '{READ_KEY}'; document.getElementById('resume').click(); true")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let m = cdp.eval("document.getElementById('message').textContent").await;
        if m.as_str().is_some_and(|m| m.contains("forbidden")) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no refusal shown: {m}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(control_state(api.store.as_ref()).unwrap(), ControlState::Paused);

    let shot = cdp.call("Page.captureScreenshot", json!({ "format": "png" })).await;
    let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let dir = target_dir().join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dashboard.png");
    std::fs::write(&path, &png).unwrap();
    println!("dashboard screenshot: {}", path.display());

    drop(cdp);
    drop(browser);
    api.stop().await;
}
