//! The `hantu` binary, spawned as a user runs it: happy paths on the simulated market and the
//! local KIS server, `--json` parsed, exit codes, bad configuration, secrets never printed.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SECRET_KEY: &str = "PSsecretAppKey0123456789abcdefXYZ";
const SECRET_SECRET: &str = "S3cr3tAppSecretValue+that/must/never/leak==";

/// Runs `hantu` in `dir` with a clean `HANTU_*` environment plus `env`.
fn hantu(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
        cmd.env_remove(k);
    }
    // The service registry defaults to the user's home: keep each test's services (and their logs,
    // which `hantu logs` reads) in its own folder.
    cmd.env("HANTU_SERVICE_DIR", dir.join("services"));
    for (k, v) in env {
        cmd.env(k, v);
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
fn demo_builds_the_store_and_reports_picks_and_a_backtest() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(dir.path(), &["demo", "--stocks", "300", "--days", "260", "--backtest-days", "30", "--json"], &[]);
    let v = json(&o);
    assert_eq!(v["market"]["stocks"], 300);
    assert!(v["picks"].as_array().unwrap().len() <= 10);
    assert!(v["backtest"]["stats"]["final_equity"].is_string() || v["backtest"]["stats"]["final_equity"].is_number());
    assert!(dir.path().join("hantu.db").exists());
    // The store now feeds the other commands.
    let v = json(&hantu(dir.path(), &["screen", "--json", "--top", "5"], &[]));
    assert!(v["universe"].as_u64().unwrap() >= 290);
    let first = v["entries"][0]["code"].as_str().unwrap().to_owned();
    let why = hantu(dir.path(), &["screen", "--why", &first], &[]);
    assert!(why.status.success());
    assert!(text(&why).contains("is in"), "{}", text(&why));
    let v = json(&hantu(dir.path(), &["backtest", "--store", "--codes", &first, "--json"], &[]));
    assert_eq!(v["strategy"], "sma-cross");
}

#[test]
fn backtest_over_the_simulated_market_writes_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(
        dir.path(),
        &[
            "backtest",
            "--strategy",
            "sma-cross",
            "--param",
            "fast=5",
            "--param",
            "slow=20",
            "--sim-stocks",
            "3",
            "--sim-days",
            "200",
            "--each",
            "--out",
            "out",
            "--json",
        ],
        &[],
    );
    let v = json(&o);
    assert_eq!(v["runs"].as_array().unwrap().len(), 3);
    let files: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(files.len(), 9, "equity, trades and report for each of 3 stocks");
    let human = hantu(dir.path(), &["backtest", "--sim-stocks", "2", "--sim-days", "120"], &[]);
    assert!(human.status.success());
    assert!(text(&human).contains("total return"), "{}", text(&human));
}

#[test]
fn screen_and_select_on_the_simulated_market() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&hantu(
        dir.path(),
        &["screen", "--sim", "--stocks", "200", "--days", "300", "--parallel", "1", "--json"],
        &[],
    ));
    assert_eq!(v["universe"], 200);
    let v = json(&hantu(dir.path(), &["select", "--sim", "--stocks", "200", "--days", "300", "--json"], &[]));
    assert!(v["selection"]["picks"].is_array());
    let o = hantu(dir.path(), &["select", "--sim", "--stocks", "200", "--days", "300", "--analyze"], &[]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn data_import_reports_rejected_rows_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let daily = dir.path().join("daily");
    std::fs::create_dir(&daily).unwrap();
    std::fs::write(
        daily.join("005930.csv"),
        "date,open,high,low,close,volume\n2025-03-04,100,110,90,105,1000\n2025-03-05,105,112,100,110,2000\n",
    )
    .unwrap();
    std::fs::write(
        daily.join("000660.csv"),
        "date,open,high,low,close,volume\n2025-03-04,100,110,90,105,1000\n2025-03-05,1,x,1,1,1\n",
    )
    .unwrap();
    let o = hantu(dir.path(), &["data", "import", "daily", "--json"], &[]);
    assert_eq!(o.status.code(), Some(1), "a rejected row is a failed check: {}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rows_written"], 3);
    assert_eq!(v["rows_rejected"], 1);
    assert!(v["problems"][0]["rejected"][0]["line"].as_u64() == Some(3), "{v}");
    let o = hantu(dir.path(), &["data", "export", "out"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let back = std::fs::read_to_string(dir.path().join("out/005930.csv")).unwrap();
    assert!(back.contains("2025-03-05,105,112,100,110,2000"), "{back}");
}

#[test]
fn trade_against_the_local_kis_server() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&hantu(dir.path(), &["trade", "--sandbox", "balance", "--json"], &[]));
    assert!(v["cash"].is_string() || v["cash"].is_number());
    let v = json(&hantu(dir.path(), &["trade", "--sandbox", "quote", "005930", "--json"], &[]));
    assert_eq!(v["code"], "005930");
    let v = json(&hantu(dir.path(), &["trade", "--sandbox", "buy", "005930", "3", "--json"], &[]));
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["order_no"].as_str().unwrap().len(), 10);
    // Refused by risk: off the tick grid. Exit 1, the reason named, the refusal journaled.
    let o = hantu(dir.path(), &["trade", "--sandbox", "buy", "005930", "1", "--price", "66050"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("tick"), "{}", text(&o));
    let o = hantu(dir.path(), &["trade", "--sandbox", "sell", "005930", "0"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("quantity"), "{}", text(&o));
}

#[test]
fn bad_configuration_names_the_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hantu.toml"), "[backtest]\ncash = 1000\ncomission_rate = 0.1\n").unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("comission_rate") && t.contains("hantu.toml"), "{t}");

    std::fs::write(dir.path().join("hantu.toml"), "[backtest]\ncash = \"lots\"\n").unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("backtest.cash"), "{}", text(&o));

    std::fs::write(dir.path().join("hantu.toml"), "[risk]\nmax_position_weight = 1.5\n").unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("risk.max_position_weight"), "{}", text(&o));

    std::fs::write(dir.path().join("hantu.toml"), "[kis]\napp_secret = \"x\"\n").unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("only from the environment"), "{}", text(&o));

    std::fs::remove_file(dir.path().join("hantu.toml")).unwrap();
    let o = hantu(dir.path(), &["config", "check"], &[("HANTU_BACKTEST_PARTICIPATION", "two")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("HANTU_BACKTEST_PARTICIPATION"), "{}", text(&o));
    let o = hantu(dir.path(), &["config", "check"], &[("HANTU_NO_SUCH_THING", "1")]);
    assert_eq!(o.status.code(), Some(2));

    // A missing secret where one is needed: configuration error, exit 2.
    let o = hantu(dir.path(), &["trade", "balance"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("HANTU_KIS_APP_KEY"), "{}", text(&o));

    // Usage errors are exit 2 too.
    assert_eq!(hantu(dir.path(), &["backtest", "--no-such-flag"], &[]).status.code(), Some(2));
    assert_eq!(hantu(dir.path(), &["backtest", "--param", "fast"], &[]).status.code(), Some(2));
}

#[test]
fn config_check_lists_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        "[backtest]\ncash = \"lots\"\ncomission_rate = 0.1\nparticipation = 3.0\n[kis]\nenv = \"live\"\napp_secret = \"x\"",
    )
    .unwrap();
    let o = hantu(
        dir.path(),
        &["config", "check"],
        &[("HANTU_NO_SUCH_THING", "1"), ("HANTU_RISK_MAX_OPEN_POSITIONS", "many")],
    );
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    for key in [
        "backtest.cash",
        "comission_rate",
        "backtest.participation",
        "kis.env",
        "kis.app_secret",
        "HANTU_NO_SUCH_THING",
        "risk.max_open_positions",
    ] {
        assert!(t.contains(key), "{key} missing from: {t}");
    }
    assert!(t.contains("7 problems"), "{t}");
    assert!(!t.contains("\"x\""), "a secret's value leaked: {t}");
}

#[test]
fn config_check_lists_unknown_keys_with_type_range_and_environment_problems_in_one_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hantu.toml"),
        "[bogus]\nx = 1\n[backtest]\ncash = \"x\"\npartcipation = 0.5\n[risk]\nmax_position_weight = 7\n[kis]\nfoo = 1\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), format!("HANTU_API_PORT=70000\nHANTU_KIS_APP_SECRET={SECRET_SECRET}\n"))
        .unwrap();
    let env = [("HANTU_BACKTEST_SLIPPAGE_TICKS", "abc"), ("HANTU_KIS_APP_KEY", SECRET_KEY)];
    // Sorted by key; each with where the bad value came from.
    let expected = [
        ("api.port", "HANTU_API_PORT in .env"),
        ("backtest.cash", "hantu.toml"),
        ("backtest.partcipation", "hantu.toml"),
        ("backtest.slippage_ticks", "environment variable HANTU_BACKTEST_SLIPPAGE_TICKS"),
        ("bogus", "hantu.toml"),
        ("kis.foo", "hantu.toml"),
        ("risk.max_position_weight", "hantu.toml"),
    ];

    let o = hantu(dir.path(), &["config", "check"], &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut lines = report.lines();
    assert_eq!(lines.next(), Some("error: configuration: 7 problems:"), "{report}");
    // One clean line per problem, naming the key itself (not `bogus.bogus` or a trailing `in ...`).
    let problems: Vec<_> = lines.collect();
    assert_eq!(problems.len(), expected.len(), "{report}");
    for (line, (key, source)) in problems.iter().zip(expected) {
        assert!(line.starts_with(&format!("  - {key} (")), "{key} expected at: {line}\n{report}");
        assert!(line.contains(source), "{key} should come from {source}: {line}");
    }
    assert!(report.contains("unknown section"), "{report}");
    assert!(report.contains("did you mean `participation`?"), "{report}");
    for s in [SECRET_KEY, SECRET_SECRET] {
        assert!(!text(&o).contains(s), "a secret leaked: {}", text(&o));
    }

    // Every command reads the configuration through the same loader: the same report.
    let other = hantu(dir.path(), &["backtest", "--sim-stocks", "1", "--sim-days", "60"], &env);
    assert_eq!(other.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&other.stderr), report);

    // `--json` carries the same list.
    let o = hantu(dir.path(), &["config", "check", "--json"], &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&o)));
    assert_eq!(v["valid"], false);
    let got: Vec<_> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["key"].as_str().unwrap().to_owned(), p["source"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(got.len(), expected.len(), "{v}");
    for ((key, source), (want_key, want_source)) in got.iter().zip(expected) {
        assert_eq!(key, want_key, "{v}");
        assert!(source.ends_with(want_source), "{v}");
    }
}

#[test]
fn config_check_lists_keys_with_sources_and_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hantu.toml"), "[backtest]\ncash = 5000000\n").unwrap();
    std::fs::write(dir.path().join(".env"), format!("HANTU_KIS_APP_SECRET={SECRET_SECRET}\n")).unwrap();
    let env = [("HANTU_KIS_APP_KEY", SECRET_KEY), ("HANTU_KIS_ACCOUNT", "73331234-01"), ("HANTU_LOG_LEVEL", "debug")];
    let o = hantu(dir.path(), &["config", "check", "--json"], &env);
    let v = json(&o);
    let keys = v["keys"].as_array().unwrap();
    let cash = keys.iter().find(|k| k["key"] == "backtest.cash").unwrap();
    assert_eq!(cash["value"], "5000000");
    assert!(cash["source"].as_str().unwrap().contains("hantu.toml"));
    let level = keys.iter().find(|k| k["key"] == "log.level").unwrap();
    assert!(level["source"].as_str().unwrap().contains("HANTU_LOG_LEVEL"));
    let secret = v["secrets"].as_array().unwrap().iter().find(|s| s["env"] == "HANTU_KIS_APP_SECRET").unwrap();
    assert!(secret["state"].as_str().unwrap().contains(".env"));
    for args in [
        &["config", "check"][..],
        &["config", "check", "--json"],
        &["-vv", "health", "--no-kis"],
        &["-vv", "trade", "balance"],
    ] {
        let o = hantu(dir.path(), args, &env);
        let t = text(&o);
        for s in [SECRET_KEY, SECRET_SECRET, "73331234"] {
            assert!(!t.contains(s), "{args:?} printed a secret: {t}");
        }
    }
}

#[test]
fn health_checks_the_store_and_the_local_server() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&hantu(dir.path(), &["health", "--sandbox", "--json"], &[]));
    assert_eq!(v["ok"], true);
    let names: Vec<_> =
        v["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names.first().map(String::as_str), Some("store"));
    assert!(
        names.iter().any(|n| n == "service sandbox") && names.iter().any(|n| n == "service scheduler"),
        "{names:?}"
    );
    let kis = ["kis token", "kis account", "kis ws approval", "kis websocket"].map(String::from);
    assert!(names.ends_with(&kis), "{names:?}");
}

#[test]
fn logs_reads_the_log_file_written_by_earlier_commands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hantu.toml"), "[log]\nfile = true\nlevel = \"info\"\n").unwrap();
    let o = hantu(dir.path(), &["backtest", "--sim-stocks", "1", "--sim-days", "60"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = hantu(dir.path(), &["logs", "-n", "5"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let missing = tempfile::tempdir().unwrap();
    assert_eq!(hantu(missing.path(), &["logs"], &[]).status.code(), Some(1));
}

#[test]
fn data_refresh_downloads_from_the_local_server_at_the_rate_limit_and_logs_calls() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(
        dir.path(),
        &["data", "refresh", "--sandbox", "--sim-stocks", "8", "--json"],
        &[("HANTU_KIS_ENV", "real")],
    );
    let v = json(&o);
    assert_eq!(v["codes"], 8);
    assert_eq!(v["failed"].as_array().unwrap().len(), 0);
    assert!(v["bars"].as_u64().unwrap() >= 8 * 250, "{v}");
    // Never faster than the real-account limit of 20 requests a second.
    assert!(v["requests_per_sec"].as_f64().unwrap() <= 20.5, "{v}");
    let v = json(&hantu(dir.path(), &["backtest", "--store", "--json"], &[]));
    assert_eq!(v["runs"][0]["bars"].as_u64().unwrap(), 8 * 300);
}

#[test]
fn watch_streams_json_lines_from_the_local_server() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(
        dir.path(),
        &["watch", "005930", "000660", "--book", "--sandbox", "--json", "--max-trades", "6", "--duration", "30"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let events: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert_eq!(events[0]["type"], "connected", "{events:?}");
    let trades: Vec<&Value> = events.iter().filter(|e| e["type"] == "trade").collect();
    assert_eq!(trades.len(), 6, "{events:?}");
    assert!(trades.iter().all(|t| t["cum_volume"].as_u64().unwrap() > 0 && t["tick"]["price"].as_i64().unwrap() > 0));
    let table = hantu(dir.path(), &["watch", "035720", "--sandbox", "--max-trades", "2", "--duration", "30"], &[]);
    assert!(table.status.success(), "{}", text(&table));
    assert!(text(&table).contains("035720") && text(&table).contains("reconnects 0"), "{}", text(&table));
    let bad = hantu(dir.path(), &["watch", "12", "abc", "--sandbox"], &[]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("not stock codes: 12, abc"), "{}", text(&bad));
}

#[test]
fn a_python_strategy_file_points_to_the_python_package() {
    let dir = tempfile::tempdir().unwrap();
    let o = hantu(dir.path(), &["trade", "start", "--paper", "--strategy", "mine.py:Mine", "--codes", "005930"], &[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("python -m hantu trade start --strategy mine.py:Mine"), "{}", text(&o));
}
