//! `hantu learn` and `hantu report` as a user runs them: picks stored on past days are measured once
//! their horizon has passed, a weights version is made within bounds and used by the next selection,
//! and rollback and bad settings answer clearly.

use std::path::Path;
use std::process::{Command, Output};

use chrono::NaiveDate;
use hantu_core::krx::KrxCalendar;
use serde_json::Value;

fn hantu(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    cmd.output().expect("the hantu binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "failed: {}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

#[test]
fn picks_are_measured_learned_from_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = json(&hantu(d, &["demo", "--stocks", "150", "--days", "320", "--backtest-days", "20", "--json"]));
    // The demo stores picks for the session after its last day: predictions now, outcomes later.
    let future = demo["picks"].as_array().map_or(0, Vec::len);
    std::fs::write(
        d.join("learn.toml"),
        "horizons = [1, 5]\nic_horizon = 5\nevery_sessions = 1\n[weights]\nmin_samples = 5\n",
    )
    .unwrap();
    let first = json(&hantu(d, &["learn", "update", "--rules", "learn.toml", "--json"]));
    let last: NaiveDate = serde_json::from_value(first["update"]["as_of"].clone()).unwrap();

    // Ten days of picks, the latest 21 sessions before the store's last day.
    let mut day = (0..30).fold(last, |x, _| KrxCalendar::prev_trading_day(x));
    let mut picks = 0;
    for _ in 0..10 {
        let s = json(&hantu(d, &["select", "--date", &day.to_string(), "--json"]));
        picks += s["selection"]["picks"].as_array().unwrap().len();
        day = KrxCalendar::next_trading_day(day);
    }
    assert!(picks > 0);

    let u = json(&hantu(d, &["learn", "update", "--rules", "learn.toml", "--json"]))["update"].clone();
    assert_eq!(u["predictions"].as_u64().unwrap() as usize, (picks + future) * 2);
    assert_eq!(u["open"].as_u64().unwrap() as usize, future * 2);
    assert_eq!(u["outcomes"].as_u64().unwrap() as usize, picks * 2, "every horizon has passed");
    let version = u["new_version"].as_str().expect("a weights version is made").to_owned();
    assert_eq!(version, format!("learn-{}", last.format("%Y%m%d")));

    let acc = json(&hantu(d, &["report", "accuracy", "--json"]))["accuracy"].clone();
    let overall = &acc["overall"];
    assert_eq!((overall["count"].as_u64().unwrap() + overall["not_entered"].as_u64().unwrap()) as usize, picks * 2);
    assert_eq!(acc["calibration"].as_array().unwrap().len(), 10);
    assert!(text(&hantu(d, &["report", "accuracy"])).contains("Calibration of confidence"));

    let w = json(&hantu(d, &["learn", "weights", "--json"]));
    let v = &w["versions"][0];
    let sum: f64 = v["weights"].as_array().unwrap().iter().map(|p| p[1].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9);

    // The next selection (as of the last day) uses the learned version; picks of earlier days keep theirs.
    let s = json(&hantu(d, &["select", "--json"]));
    assert_eq!(s["selection"]["weights_version"], version.as_str());

    let back = json(&hantu(d, &["learn", "rollback", &version, "--json"]));
    assert_eq!(back["in_force"], version.as_str());
    assert_eq!(back["rolled_back"].as_array().unwrap().len(), 0, "nothing newer to withdraw");
    let bad = hantu(d, &["learn", "rollback", "no-such-version"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains(&version), "lists the known versions: {}", text(&bad));

    std::fs::write(d.join("bad.toml"), "horizons = [0]\nic_horizon = 7\n[weights]\nmax_change = 0\n").unwrap();
    let bad = hantu(d, &["learn", "update", "--rules", "bad.toml"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    for key in ["learn.horizons", "learn.ic_horizon", "learn.weights.max_change"] {
        assert!(text(&bad).contains(key), "names {key}: {}", text(&bad));
    }
}

#[test]
fn traded_picks_report_predicted_measured_and_realised() {
    use hantu_core::domain::{ClientOrderId, Fill, Money, Order, OrderRequest, Price, Qty, Side, StockCode, Timestamp};
    use hantu_core::store::{SelectionRecord, SqliteStore, Store};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("traded.db");
    let day = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
    let code: StockCode = "005930".parse().unwrap();
    {
        let store = SqliteStore::open(&db).unwrap();
        store
            .save_selections(&[SelectionRecord {
                date: day,
                code,
                class: "buy".into(),
                confidence: 0.8,
                score: 80.0,
                weights_version: "v1".into(),
                screen_run_id: None,
                factors: Vec::new(),
                config: serde_json::json!({ "entry_high": 70_000, "stop": 66_500, "target": 73_500 }),
            }])
            .unwrap();
        for (i, (side, price, h)) in [(Side::Buy, 70_000, 9), (Side::Sell, 71_000, 14)].into_iter().enumerate() {
            let id = ClientOrderId::new_checked(&format!("t-{i}")).unwrap();
            let ts = Timestamp::kst(day, h, 0);
            let qty = Qty::from_shares(10);
            store.journal_order(&Order::new(id.clone(), OrderRequest::market(code, side, qty).unwrap(), ts)).unwrap();
            let fill = Fill {
                client_id: id,
                code,
                side,
                qty,
                price: Price::new(price),
                commission: Money::from_won(100),
                tax: if side == Side::Sell { Money::from_won(1_065) } else { Money::ZERO },
                ts,
            };
            store.record_fill(&fill).unwrap();
        }
    }
    let db = db.to_str().unwrap();
    let out = json(&hantu(dir.path(), &["--db", db, "report", "traded", "--json"]));
    let pick = &out["picks"][0];
    assert_eq!(pick["code"], "005930");
    assert_eq!(pick["trips"].as_array().unwrap().len(), 1);
    // 10 × 1,000 won gained, less 200 won commission and 0.15% tax on 710,000 won.
    let pnl: f64 = pick["pnl"].as_str().map_or_else(|| pick["pnl"].as_f64().unwrap(), |s| s.parse().unwrap());
    assert!((pnl - (10_000.0 - 200.0 - 1_065.0)).abs() < 1e-9, "{pick}");
    assert!((pick["predicted_return"].as_f64().unwrap() - 0.05).abs() < 1e-12);
    assert!(pick["measured_return"].is_null(), "not measured before `hantu learn update`");
    assert_eq!(out["summary"]["closed"], 1);
    assert!(text(&hantu(dir.path(), &["--db", db, "report", "traded"])).contains("Traded picks"));
    let empty = tempfile::tempdir().unwrap();
    assert!(text(&hantu(empty.path(), &["report", "traded"])).contains("no traded picks"));
}
