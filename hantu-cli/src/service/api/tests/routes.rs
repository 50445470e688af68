//! Every route answers what the store holds.

use std::time::Duration;

use hantu_core::domain::{ClientOrderId, Fill, Money, Qty, Side, Timestamp};
use hantu_core::store::{ApiCallRecord, EventKind, EventRecord, Store as _};

use super::{READ_KEY, TestApi};

#[tokio::test]
async fn health_needs_no_key_and_reports_dependencies_with_latency() {
    let api = TestApi::start().await;
    let r = api.get("/health", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let h: serde_json::Value = r.json().await.unwrap();
    assert_eq!(h["status"], "ok");
    let deps = h["dependencies"].as_array().unwrap();
    let store = deps.iter().find(|d| d["name"] == "store").unwrap();
    assert_eq!(store["ok"], true);
    assert!(store["latency_ms"].as_f64().unwrap() >= 0.0);
    let trader = deps.iter().find(|d| d["name"] == "trader").unwrap();
    assert_eq!(trader["ok"], true, "{trader}");
    api.stop().await;
}

#[tokio::test]
async fn read_routes_answer_from_the_store() {
    let api = TestApi::start().await;
    let status = api.json("/status").await;
    assert_eq!(status["control"]["state"], "running");
    assert_eq!(status["emergency_stop"], false);
    assert_eq!(status["trader"]["mode"], "sandbox");
    assert_eq!(status["trader"]["alive"], true);

    let pos = api.json("/positions").await;
    assert_eq!(pos["source"], "trader");
    let held = pos["positions"].as_array().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["qty"], 10);
    assert!(held[0]["market_value"].as_i64().unwrap() > 0);

    let orders = api.json("/orders").await;
    let ids: Vec<&str> =
        orders["orders"].as_array().unwrap().iter().map(|o| o["client_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["api-t-3", "api-t-2", "api-t-1"], "newest change first");
    let open = api.json("/orders?status=open").await;
    assert_eq!(open["orders"].as_array().unwrap().len(), 1);
    assert_eq!(open["orders"][0]["status"], "accepted");
    assert_eq!(orders["orders"][0]["reason"], "nothing to sell");

    let fills = api.json("/fills").await;
    assert_eq!(fills["fills"].as_array().unwrap().len(), 1);
    assert_eq!(fills["fills"][0]["qty"], 10);
    assert_eq!(fills["fills"][0]["commission"], "15");

    let picks = api.json("/picks").await;
    assert!(picks["date"].is_string());
    let list = picks["picks"].as_array().unwrap();
    assert!(!list.is_empty(), "the demo selects picks");
    assert!(list[0]["score"].as_f64().is_some() && list[0]["factors"].as_array().is_some_and(|f| !f.is_empty()));
    let date = picks["date"].as_str().unwrap();
    assert_eq!(api.json(&format!("/picks?date={date}")).await["picks"], picks["picks"]);

    let wl = api.json("/watchlist").await;
    let entries = wl["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert_eq!(entries[0]["rank"], 1);
    let first = entries[0]["code"].as_str().unwrap();
    let why = api.json(&format!("/screen/why/{first}")).await;
    assert_eq!(why["on_watchlist"], true);
    assert_eq!(why["entry"]["rank"], 1);
    assert!(why["screen"].is_object());
    let off = api.json("/screen/why/999999").await;
    assert_eq!(off["on_watchlist"], false);
    assert!(off["message"].as_str().unwrap().contains("not on the latest watchlist"));

    let runs = api.json("/backtests").await;
    let run = &runs["runs"][0];
    assert_eq!(run["kind"], "backtest");
    assert!(run["stats"].is_object());
    let eq = api.json("/equity").await;
    assert_eq!(eq["run_id"], run["id"]);
    assert!(eq["points"].as_array().unwrap().len() >= 15);
    assert!(eq["current"].is_string());
    assert_eq!(api.json(&format!("/equity?run={}", run["id"])).await["points"], eq["points"]);

    let jobs = api.json("/jobs").await;
    assert_eq!(jobs["scheduler"], true);
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 0, "no scheduler has run yet");
    let run = hantu_core::schedule::JobRun {
        job: "screen".into(),
        scheduled: hantu_core::domain::Timestamp::from_millis(1_000),
        started: None,
        finished: None,
        outcome: hantu_core::schedule::JobOutcome::Misfired,
        error: Some("late by 11m".into()),
    };
    api.store.record_job_run(&run).unwrap();
    let jobs = api.json("/jobs").await;
    assert_eq!(jobs["jobs"][0]["name"], "screen");
    assert_eq!(jobs["jobs"][0]["outcome"], "misfired");
    assert_eq!(jobs["jobs"][0]["error"], "late by 11m");

    let logs = api.json("/logs").await;
    assert!(logs["events"].as_array().unwrap().iter().any(|e| e["source"] == "monitor"));
    assert_eq!(api.json("/logs?kind=error").await["events"].as_array().unwrap().len(), 0);
    api.stop().await;
}

#[tokio::test]
async fn a_missing_run_or_route_is_a_json_404() {
    let api = TestApi::start().await;
    super::assert_error(api.get("/equity?run=987654", Some(READ_KEY)).await, 404, "not_found").await;
    super::assert_error(api.get("/nowhere", Some(READ_KEY)).await, 404, "not_found").await;
    super::assert_error(
        api.http.delete(api.url("/status")).header("X-API-Key", READ_KEY).send().await.unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    api.stop().await;
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let api = TestApi::start().await;
    let r = api.get("/openapi.json", None).await;
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    for path in [
        "/health",
        "/status",
        "/positions",
        "/orders",
        "/fills",
        "/picks",
        "/watchlist",
        "/screen/why/{code}",
        "/backtests",
        "/equity",
        "/jobs",
        "/logs",
        "/stream",
        "/metrics",
        "/trader/pause",
        "/trader/resume",
        "/trader/stop",
        "/trader/force-exit",
        "/jobs/{name}/run",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-API-Key");
    assert!(doc["components"]["schemas"]["PositionView"].is_object());
    api.stop().await;
}

#[tokio::test]
async fn metrics_are_fed_from_the_store() {
    let api = TestApi::start().await;
    let now = super::now();
    api.store
        .record_api_calls(&[
            ApiCallRecord {
                ts: now,
                endpoint: "/uapi/x".into(),
                tr_id: Some("FHKST01010100".into()),
                latency_us: 12_000,
                status: Some(200),
                outcome: "ok".into(),
            },
            ApiCallRecord {
                ts: now,
                endpoint: "/uapi/x".into(),
                tr_id: Some("FHKST01010100".into()),
                latency_us: 9_000,
                status: Some(500),
                outcome: "rate_limited".into(),
            },
        ])
        .unwrap();
    for (source, detail) in [
        ("ws", serde_json::json!({ "event": "reconnect" })),
        ("ws", serde_json::json!({ "event": "gap" })),
        ("scheduler", serde_json::json!({ "job": "screen", "outcome": "ok" })),
    ] {
        api.store
            .record_event(&EventRecord {
                ts: now,
                kind: EventKind::Notification,
                source: source.into(),
                message: "m".into(),
                detail,
            })
            .unwrap();
    }
    let r = api.get("/metrics", Some(READ_KEY)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for line in [
        r#"hantu_orders_total{outcome="filled",side="buy"} 1"#,
        r#"hantu_orders_total{outcome="rejected",side="sell"} 1"#,
        "hantu_order_latency_seconds_count 3",
        r#"hantu_kis_calls_total{outcome="ok",tr_id="FHKST01010100"} 1"#,
        r#"hantu_kis_rate_limited_total{tr_id="FHKST01010100"} 1"#,
        r#"hantu_kis_call_latency_seconds_count{tr_id="FHKST01010100"} 2"#,
        "hantu_ws_reconnects_total 1",
        "hantu_ws_gaps_total 1",
        r#"hantu_job_runs_total{job="screen",outcome="ok"} 1"#,
        "hantu_equity_won 99999985",
        "hantu_positions 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("hantu_exposure_ratio 0."));
    // A second scrape counts nothing twice.
    let again = api.get("/metrics", Some(READ_KEY)).await.text().await.unwrap();
    assert!(again.lines().any(|l| l == "hantu_ws_reconnects_total 1"), "{again}");
    assert!(again.lines().any(|l| l == r#"hantu_orders_total{outcome="filled",side="buy"} 1"#));
    api.stop().await;
}

#[tokio::test]
async fn the_stream_sends_new_fills_and_alerts() {
    let api = TestApi::start().await;
    let r = api.get("/stream", Some(READ_KEY)).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = r;
    let first = body.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: hello"));
    let order = api.store.order(&ClientOrderId::new_checked("api-t-2").unwrap()).unwrap().unwrap();
    let ts = super::now();
    let mut o = order.clone();
    o.apply_fill(Qty::from_shares(2), order.request.kind.limit_price().unwrap(), ts).unwrap();
    api.store.update_order(&o).unwrap();
    api.store
        .record_fill(&Fill {
            client_id: o.client_id.clone(),
            code: o.request.code,
            side: Side::Buy,
            qty: Qty::from_shares(2),
            price: o.request.kind.limit_price().unwrap(),
            commission: Money::from_won(3),
            tax: Money::ZERO,
            ts,
        })
        .unwrap();
    api.store
        .record_event(&EventRecord {
            ts: Timestamp::from_millis(ts.millis()),
            kind: EventKind::Alert,
            source: "monitor".into(),
            message: "stop hit".into(),
            detail: serde_json::Value::Null,
        })
        .unwrap();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !(seen.contains("event: fill") && seen.contains("event: alert") && seen.contains("event: order")) {
        let chunk = tokio::time::timeout_at(deadline, body.chunk())
            .await
            .unwrap_or_else(|_| panic!("events within 20 s; got {seen}"))
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"qty\":2"), "{seen}");
    assert!(seen.contains("stop hit"));
    assert!(seen.contains("partially_filled"));
    drop(body);
    api.stop().await;
}
