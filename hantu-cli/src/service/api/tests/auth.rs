//! Keys, roles, rate limits, request ids, malformed input, control through the store, and a fuzz run.

use hantu_core::control::{ControlState, control_state, read_control};
use hantu_core::store::emergency_stop;

use super::{CONTROL_KEY, READ_KEY, TestApi, assert_error};

#[tokio::test]
async fn keys_are_required_and_roles_enforced() {
    let api = TestApi::start().await;
    let body = assert_error(api.get("/status", None).await, 401, "unauthorized").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("missing"));
    assert_error(api.get("/status", Some("not-a-key-0123456789abcdef")).await, 401, "unauthorized").await;
    assert_error(api.get("/status", Some(&CONTROL_KEY[..CONTROL_KEY.len() - 1])).await, 401, "unauthorized").await;
    assert_error(api.post("/trader/pause", None, "{}").await, 401, "unauthorized").await;
    let body = assert_error(api.post("/trader/pause", Some(READ_KEY), "{}").await, 403, "forbidden").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("grafana"));
    assert_eq!(control_state(api.store.as_ref()).unwrap(), ControlState::Running, "a refused request changes nothing");
    assert_eq!(api.get("/status", Some(CONTROL_KEY)).await.status(), 200, "a control key reads too");
    assert_error(api.get("/metrics", None).await, 401, "unauthorized").await;
    api.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let api = TestApi::start().await;
    let r = api
        .http
        .get(api.url("/status"))
        .header("X-API-Key", READ_KEY)
        .header("X-Request-Id", "trace-42.a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42.a");
    let r = api.http.get(api.url("/status")).header("X-Request-Id", "trace-43").send().await.unwrap();
    assert_eq!(assert_error(r, 401, "unauthorized").await["request_id"], "trace-43");
    let a = api.get("/health", None).await.headers()["x-request-id"].to_str().unwrap().to_owned();
    let b = api.get("/health", None).await.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(a, b);
    let r = api.http.get(api.url("/health")).header("X-Request-Id", "bad id with spaces").send().await.unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces", "an unsafe id is replaced, not echoed");
    api.stop().await;
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not() {
    let api = TestApi::start_with(60, 3).await;
    for _ in 0..3 {
        assert_eq!(api.get("/status", Some(READ_KEY)).await.status(), 200);
    }
    let r = api.get("/status", Some(READ_KEY)).await;
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_error(r, 429, "rate_limited").await;
    assert_eq!(api.get("/status", Some(CONTROL_KEY)).await.status(), 200);
    assert_eq!(api.get("/health", None).await.status(), 200, "health is not limited");
    let text = api.get("/metrics", Some(CONTROL_KEY)).await.text().await.unwrap();
    assert!(text.contains(r#"hantu_api_rate_limited_total{key="grafana"} 1"#), "{text}");
    api.stop().await;
}

#[tokio::test]
async fn malformed_bodies_and_parameters_name_the_field() {
    let api = TestApi::start().await;
    let b = assert_error(api.post("/trader/stop", Some(CONTROL_KEY), "{").await, 400, "malformed_body").await;
    assert!(b["error"].get("field").is_none());
    let b = assert_error(api.post("/trader/stop", Some(CONTROL_KEY), "{}").await, 422, "invalid_field").await;
    assert_eq!(b["error"]["field"], "flatten");
    let b =
        assert_error(api.post("/trader/stop", Some(CONTROL_KEY), r#"{"flatten":"yes"}"#).await, 422, "invalid_field")
            .await;
    assert_eq!(b["error"]["field"], "flatten");
    let b =
        assert_error(api.post("/trader/pause", Some(CONTROL_KEY), r#"{"resaon":"typo"}"#).await, 422, "invalid_field")
            .await;
    assert_eq!(b["error"]["field"], "resaon");
    let long = format!(r#"{{"reason":"{}"}}"#, "x".repeat(501));
    let b = assert_error(api.post("/trader/pause", Some(CONTROL_KEY), &long).await, 422, "invalid_field").await;
    assert_eq!(b["error"]["field"], "reason");
    let b = assert_error(
        api.post("/trader/force-exit", Some(CONTROL_KEY), r#"{"codes":["005930","bad"]}"#).await,
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(b["error"]["field"], "codes[1]");
    let b = assert_error(api.get("/fills?limit=abc", Some(READ_KEY)).await, 400, "invalid_parameter").await;
    assert_eq!(b["error"]["field"], "limit");
    let b = assert_error(api.get("/fills?limit=5000", Some(READ_KEY)).await, 400, "invalid_parameter").await;
    assert_eq!(b["error"]["field"], "limit");
    let b = assert_error(api.get("/picks?date=yesterday", Some(READ_KEY)).await, 400, "invalid_parameter").await;
    assert_eq!(b["error"]["field"], "date");
    let b = assert_error(api.get("/screen/why/abc", Some(READ_KEY)).await, 400, "invalid_parameter").await;
    assert_eq!(b["error"]["field"], "code");
    let big = format!(r#"{{"reason":"{}"}}"#, "x".repeat(70_000));
    assert_eq!(api.post("/trader/pause", Some(CONTROL_KEY), &big).await.status(), 413);
    assert_eq!(control_state(api.store.as_ref()).unwrap(), ControlState::Running, "nothing bad was applied");
    api.stop().await;
}

#[tokio::test]
async fn pause_resume_and_stop_reach_the_trader_flag_in_the_store() {
    let api = TestApi::start().await;
    let r = api.post("/trader/pause", Some(CONTROL_KEY), r#"{"reason":"lunch"}"#).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["state"], "paused");
    assert_eq!(body["by"], "api:ops");
    let rec = read_control(api.store.as_ref()).unwrap().unwrap();
    assert_eq!(rec.state, ControlState::Paused);
    assert_eq!(rec.by, "api:ops");
    assert_eq!(rec.reason.as_deref(), Some("lunch"));
    assert_eq!(api.json("/status").await["control"]["state"], "paused");

    assert_eq!(api.post("/trader/resume", Some(CONTROL_KEY), "").await.status(), 200);
    assert_eq!(control_state(api.store.as_ref()).unwrap(), ControlState::Running);

    assert_eq!(api.post("/trader/stop", Some(CONTROL_KEY), r#"{"flatten":true}"#).await.status(), 200);
    assert_eq!(control_state(api.store.as_ref()).unwrap(), ControlState::Stop { flatten: true });
    assert!(emergency_stop(api.store.as_ref()).unwrap());
    assert_eq!(api.json("/status").await["emergency_stop"], true);

    assert_eq!(api.post("/trader/force-exit", Some(CONTROL_KEY), r#"{"codes":["005930"]}"#).await.status(), 200);
    let req = hantu_core::control::take_force_exit(api.store.as_ref()).unwrap().unwrap();
    assert_eq!(req.by, "api:ops");
    assert_eq!(req.codes.unwrap()[0].as_str(), "005930");

    let b = assert_error(api.post("/jobs/screen/run", Some(CONTROL_KEY), "{}").await, 501, "not_implemented").await;
    assert!(b["error"]["message"].as_str().unwrap().contains("scheduler"));
    let logs = api.json("/logs?kind=alert").await;
    assert!(
        logs["events"].as_array().unwrap().iter().any(|e| e["message"].as_str().unwrap().contains("paused by api:ops"))
    );
    api.stop().await;
}

/// A small deterministic generator (no dependency, reproducible from the seed printed on failure).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

#[tokio::test]
async fn many_random_requests_never_get_a_5xx() {
    let api = TestApi::start().await;
    let seed = 0x5eed_u64;
    let mut rng = Lcg(seed);
    let paths = [
        "/health",
        "/status",
        "/positions",
        "/orders",
        "/fills",
        "/picks",
        "/watchlist",
        "/screen/why/",
        "/backtests",
        "/equity",
        "/jobs",
        "/logs",
        "/metrics",
        "/openapi.json",
        "/",
        "/assets/",
        "/trader/pause",
        "/trader/resume",
        "/trader/stop",
        "/trader/force-exit",
        "/jobs/x/run",
        "/nope",
        "//",
        "/%ff",
        "/status/..",
    ];
    let params = [
        "",
        "?limit=1",
        "?limit=0",
        "?limit=-1",
        "?limit=99999999999999999999",
        "?since=abc",
        "?since=-5",
        "?since=9223372036854775807",
        "?date=2024-13-45",
        "?run=-1",
        "?kind=alert",
        "?kind=zzz",
        "?status=open",
        "?x=1",
        "?limit=%00",
        "?date=",
    ];
    let suffixes = ["", "005930", "ZZZZZZ", "%2e%2e", "app.js", "style.css", "../../etc/passwd", "a%00b"];
    let bodies = [
        "",
        "{}",
        "{",
        "null",
        "[]",
        "\"x\"",
        "{\"flatten\":true}",
        "{\"flatten\":1}",
        "{\"reason\":null}",
        "{\"reason\":\"\\u0000\"}",
        "{\"codes\":[]}",
        "{\"codes\":[\"005930\"]}",
        "{\"codes\":\"005930\"}",
        "\u{0}\u{1}",
        "{\"flatten\":false,\"reason\":\"ok\",\"extra\":1}",
    ];
    let keys = [Some(READ_KEY), Some(CONTROL_KEY), None, Some("wrong-key-0123456789abc"), Some("")];
    let methods = [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE];
    for i in 0..400 {
        let path = rng.pick(&paths);
        let path = if path.ends_with('/') && path.len() > 1 {
            format!("{path}{}", rng.pick(&suffixes))
        } else {
            path.to_owned()
        };
        let url = format!("{}{}", api.url(&path), rng.pick(&params));
        let method = methods[(rng.next() as usize) % methods.len()].clone();
        let mut req = api.http.request(method.clone(), &url).body(rng.pick(&bodies).to_owned());
        if let Some(k) = keys[(rng.next() as usize) % keys.len()] {
            req = req.header("X-API-Key", k);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("request {i} (seed {seed}) {method} {url}: {e}"));
        assert!(
            !r.status().is_server_error() || r.status() == 501,
            "request {i} (seed {seed}): {method} {url} -> {}",
            r.status()
        );
        assert!(r.headers().contains_key("x-request-id"));
    }
    assert_eq!(api.get("/health", None).await.status(), 200, "still serving");
    api.stop().await;
}
