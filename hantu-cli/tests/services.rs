//! Services through the real binary: start, status, restart, stop; a second instance refused;
//! SIGKILL then start (the stale PID file cleaned); SIGTERM with a job in flight; PID file modes;
//! log retention; the scheduler running jobs at injected times. Each test has its own registry
//! directory and stops what it started, even when it fails.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const SECRET_KEY: &str = "PSserviceAppKey0123456789abcdefXYZ";
const SECRET_SECRET: &str = "S3rv1ceSecretValue+that/must/never/leak==";

/// A temporary home for one test: a working directory with its own registry, stopped on drop.
struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hantu.toml"), config).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let ws_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let env = vec![
            ("HANTU_SANDBOX_WS_PORT".to_owned(), ws_port.to_string()),
            ("HANTU_SERVICE_DIR".to_owned(), dir.path().join("svc").display().to_string()),
            ("HANTU_SANDBOX_PORT".to_owned(), port.to_string()),
            ("HANTU_SERVICE_GRACE_SECS".to_owned(), "5".to_owned()),
        ];
        Self { dir, env }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn svc(&self) -> PathBuf {
        self.path().join("svc")
    }

    fn with(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(self.path()).args(args).env_remove("RUST_LOG");
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HANTU_")) {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().expect("the hantu binary runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let o = self.run(args);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&o)))
    }

    fn status(&self, svc: &str) -> Value {
        self.json(&["status", svc, "--json"])["services"][0].clone()
    }

    fn wait_for(&self, what: &str, mut f: impl FnMut(&Self) -> bool) {
        let t = Instant::now();
        while !f(self) {
            assert!(t.elapsed() < Duration::from_secs(40), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn history(&self) -> Vec<Value> {
        self.json(&["schedule", "history", "-n", "200", "--json"])["runs"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.run(&["stop", "--timeout", "5"]);
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, sig).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn sandbox_starts_refuses_a_second_instance_keeps_orders_across_restart_and_stops() {
    let h = Home::new("").with("HANTU_KIS_APP_KEY", SECRET_KEY).with("HANTU_KIS_APP_SECRET", SECRET_SECRET);
    let o = h.run(&["start", "sandbox"]);
    assert!(o.status.success(), "{}", text(&o));
    let st = h.status("sandbox");
    assert_eq!(st["running"], true, "{st}");
    assert_eq!(st["health"], "ok");
    let pid = st["pid"].as_u64().unwrap();
    assert!(st["heartbeat_age_s"].as_f64().unwrap() < 10.0);
    assert_eq!(mode(&h.svc().join("sandbox.pid")), 0o600);
    assert_eq!(mode(&h.svc().join("sandbox.json")), 0o600, "it holds the app secret");
    assert_eq!(mode(&h.svc()), 0o700);

    // A second instance is refused, detached or in the foreground, and names the holder.
    let again = h.run(&["start", "sandbox"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains(&format!("already running (pid {pid})")), "{}", text(&again));
    let fg = h.run(&["start", "sandbox", "--foreground"]);
    assert!(!fg.status.success());
    assert!(text(&fg).contains(&format!("pid {pid}")), "{}", text(&fg));

    // An order against the running sandbox survives a restart.
    let o = h.run(&["trade", "--sandbox", "buy", "005930", "3", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = h.run(&["restart", "sandbox"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("stopped sandbox"), "{}", text(&o));
    let st = h.status("sandbox");
    assert_ne!(st["pid"].as_u64().unwrap(), pid);
    assert_eq!(st["detail"]["restored_orders"], 1, "{st}");
    let ws = st["detail"]["ws_url"].as_str().unwrap().to_owned();
    assert!(ws.starts_with("ws://127.0.0.1:"), "{st}");
    // The WebSocket side listens on its configured port, the same after the restart.
    let ws_port: u16 = ws.rsplit(':').next().unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", ws_port)).is_ok());
    let pos = h.json(&["trade", "--sandbox", "positions", "--json"]);
    assert!(pos.to_string().contains("005930"), "{pos}");

    let o = h.run(&["stop", "sandbox"]);
    assert!(o.status.success() && text(&o).contains("cleanly"), "{}", text(&o));
    let st = h.status("sandbox");
    assert_eq!(st["running"], false);
    assert_eq!(st["health"], "stopped");
    assert!(!h.svc().join("sandbox.pid").exists());
    assert_eq!(h.run(&["status", "sandbox"]).status.code(), Some(1));

    // Secrets never reach a log, the status or the service's output.
    let mut seen = text(&h.run(&["status", "--json"]));
    for e in std::fs::read_dir(h.svc().join("logs")).unwrap() {
        seen.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    seen.push_str(&std::fs::read_to_string(h.svc().join("sandbox.state.json")).unwrap());
    assert!(seen.contains("Sandbox listening"), "the log was written");
    assert!(!seen.contains(SECRET_KEY) && !seen.contains(SECRET_SECRET), "a secret leaked");
}

/// Kills the sandbox with SIGKILL and waits until it is gone.
fn kill_sandbox(h: &Home) {
    let pid = h.status("sandbox")["pid"].as_u64().unwrap();
    signal(pid as u32, rustix::process::Signal::KILL);
    h.wait_for("the sandbox to die", |h| h.status("sandbox")["running"] == false);
}

#[test]
fn an_order_the_sandbox_accepted_survives_a_kill_9_right_after_the_reply() {
    let h = Home::new("");
    assert!(h.run(&["start", "sandbox"]).status.success());
    // A market order (filled at once) and, after a restart, a limit order left working: each is
    // killed with the sandbox the moment its reply arrives, before any periodic save could run.
    let o = h.run(&["trade", "--sandbox", "buy", "005930", "7", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    kill_sandbox(&h);
    assert!(h.run(&["start", "sandbox"]).status.success());
    let pos = h.json(&["trade", "--sandbox", "positions", "--json"]);
    let held = pos.as_array().unwrap().iter().find(|p| p["code"] == "005930").cloned().unwrap_or_default();
    assert_eq!(held["qty"], 7, "{pos}");

    let quote = h.json(&["trade", "--sandbox", "quote", "000660", "--json"]);
    let last = quote["last"].as_i64().unwrap_or_else(|| panic!("{quote}"));
    // Well below the market (on the tick grid, within the day's limits): it stays working and
    // holds buying power.
    let limit = last * 8 / 10 / 1000 * 1000;
    let power = |h: &Home| {
        let b = h.json(&["trade", "--sandbox", "balance", "--json"]);
        b["buying_power"].as_str().unwrap_or_else(|| panic!("{b}")).parse::<f64>().unwrap()
    };
    let before = power(&h);
    let o = h.run(&["trade", "--sandbox", "buy", "000660", "3", "--price", &limit.to_string(), "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let order_no = serde_json::from_slice::<Value>(&o.stdout).unwrap()["order_no"].as_str().unwrap().to_owned();
    kill_sandbox(&h);
    let saved = std::fs::read_to_string(h.svc().join("sandbox-state.json")).unwrap();
    assert!(saved.contains(&order_no), "the accepted order is not in the saved state");
    assert!(h.run(&["start", "sandbox"]).status.success());
    let after = power(&h);
    assert!(
        after <= before - (3 * limit) as f64,
        "the working order no longer holds buying power: {before} -> {after}"
    );
    let pos = h.json(&["trade", "--sandbox", "positions", "--json"]);
    assert!(pos.to_string().contains("005930"), "{pos}");
}

#[test]
fn kill_9_leaves_a_stale_pid_file_that_status_health_and_start_clean() {
    let h = Home::new("[schedule]\ndefault_plan = false\n");
    assert!(h.run(&["start", "scheduler"]).status.success());
    let pid = h.status("scheduler")["pid"].as_u64().unwrap();
    let restarted = h.run(&["restart", "scheduler"]);
    assert!(restarted.status.success(), "{}", text(&restarted));
    let pid2 = h.status("scheduler")["pid"].as_u64().unwrap();
    assert_ne!(pid, pid2);

    signal(pid2 as u32, rustix::process::Signal::KILL);
    h.wait_for("the process to die", |_| {
        !Path::new(&format!("/proc/{pid2}")).exists() || {
            let s = std::fs::read_to_string(format!("/proc/{pid2}/stat")).unwrap_or_default();
            s.contains(") Z")
        }
    });
    assert!(h.svc().join("scheduler.pid").exists(), "SIGKILL leaves the PID file");
    // Health sees a service that died.
    let health = h.run(&["health", "--no-kis", "--json"]);
    assert_eq!(health.status.code(), Some(1), "{}", text(&health));
    let v: Value = serde_json::from_slice(&health.stdout).unwrap();
    let check = v["checks"].as_array().unwrap().iter().find(|c| c["name"] == "service scheduler").unwrap().clone();
    assert_eq!(check["ok"], false, "{check}");
    assert!(!h.svc().join("scheduler.pid").exists(), "the stale PID file was cleaned");

    let o = h.run(&["start", "scheduler"]);
    assert!(o.status.success(), "{}", text(&o));
    let st = h.status("scheduler");
    assert_eq!(st["running"], true);
    assert_eq!(h.run(&["health", "--no-kis"]).status.code(), Some(0));
}

#[test]
fn a_pid_reused_by_another_program_is_stale() {
    let h = Home::new("[schedule]\ndefault_plan = false\n");
    std::fs::create_dir_all(h.svc()).unwrap();
    // Our own PID (this test process), with a start time that is not ours: another program's PID file.
    let ghost = serde_json::json!({
        "service": "scheduler", "pid": std::process::id(), "proc_start": 1,
        "started_at": 0, "version": "0.0.0"
    });
    std::fs::write(h.svc().join("scheduler.pid"), ghost.to_string()).unwrap();
    let st = h.status("scheduler");
    assert_eq!(st["running"], false);
    assert_eq!(st["cleaned_stale_pid"]["reason"], "PID reused by another program", "{st}");
    assert!(!h.svc().join("scheduler.pid").exists());
}

const JOBS: &str = r#"
[schedule]
default_plan = false

[[schedule.jobs]]
name = "tick"
every = "10m"
exec = ["true"]

[[schedule.jobs]]
name = "pick"
cron = "15 8 * * *"
run = ["select"]
needs = "watchlist"

[[schedule.jobs]]
name = "slow"
cron = "5 8 * * *"
exec = ["sleep", "60"]
"#;

fn runs_of<'a>(runs: &'a [Value], job: &str) -> Vec<&'a Value> {
    let mut v: Vec<&Value> = runs.iter().filter(|r| r["run"]["job"] == job).collect();
    v.reverse();
    v
}

#[test]
fn the_scheduler_runs_jobs_at_injected_times_and_sigterm_ends_the_job_in_flight() {
    let h = Home::new(JOBS);
    // Friday 2025-07-25, 08:00 KST, ten simulated minutes per real second.
    let o = h.run(&["start", "scheduler", "--clock-start", "2025-07-25T08:00:00", "--clock-speed", "600"]);
    assert!(o.status.success(), "{}", text(&o));
    h.wait_for("two ticks and the pick", |h| {
        let r = h.history();
        runs_of(&r, "tick").iter().filter(|x| x["run"]["outcome"] == "succeeded").count() >= 2
            && !runs_of(&r, "pick").is_empty()
    });
    let r = h.history();
    let ticks = runs_of(&r, "tick");
    // KST times, strictly in order, on the ten-minute grid.
    assert_eq!(ticks[0]["run"]["scheduled"], serde_json::json!(1_753_398_600_000_i64), "08:10 KST");
    assert_eq!(ticks[1]["run"]["scheduled"], serde_json::json!(1_753_399_200_000_i64), "08:20 KST");
    let pick = runs_of(&r, "pick")[0]["run"].clone();
    assert_eq!(pick["outcome"], "skipped");
    assert!(pick["error"].as_str().unwrap().contains("no watchlist"), "{pick}");
    // The slow job is running, and its next fire time is far away.
    let slow = runs_of(&r, "slow")[0]["run"].clone();
    assert_eq!(slow["outcome"], "running", "{slow}");

    let o = h.run(&["stop", "scheduler"]);
    assert!(o.status.success(), "{}", text(&o));
    let r = h.history();
    assert!(r.iter().all(|x| x["run"]["outcome"] != "running"), "a run was left running: {r:?}");
    let slow = runs_of(&r, "slow")[0]["run"].clone();
    assert_eq!(slow["outcome"], "cancelled", "{slow}");
    assert!(slow["finished"].is_number());
    let st = h.status("scheduler");
    assert_eq!(st["health"], "stopped", "{st}");
}

#[test]
fn a_trading_day_job_sleeps_through_the_chuseok_holidays() {
    let h = Home::new(
        "[schedule]\ndefault_plan = false\n\n[[schedule.jobs]]\nname = \"open\"\ncron = \"0 9 * * *\"\ngrace = \"2d\"\nexec = [\"true\"]\n",
    );
    let next = h.json(&["schedule", "next", "open", "-n", "1", "--at", "2025-10-02T10:00:00", "--json"]);
    assert_eq!(next["next"][0]["at"], "2025-10-10T09:00:00+09:00");
    // Thursday before the holidays, 10:00; about 83 simulated hours per real second.
    let o = h.run(&["start", "scheduler", "--clock-start", "2025-10-02T10:00:00", "--clock-speed", "300000"]);
    assert!(o.status.success(), "{}", text(&o));
    h.wait_for("the first run", |h| !h.history().is_empty());
    let r = h.history();
    assert_eq!(r.last().unwrap()["run"]["scheduled"], serde_json::json!(1_760_054_400_000_i64), "2025-10-10 09:00 KST");
}

#[test]
fn a_manual_run_is_recorded_and_refused_while_the_job_runs() {
    let h = Home::new(JOBS);
    let o = h.run(&["schedule", "run", "tick"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("tick succeeded"));
    let o = h.run(&["schedule", "run", "pick"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("skipped: no watchlist"), "{}", text(&o));
    assert_eq!(h.run(&["schedule", "run", "nope"]).status.code(), Some(1));
    let r = h.history();
    assert_eq!(r.len(), 2);
    let report = h.json(&["schedule", "report", "--json"]);
    assert_eq!(report["jobs"].as_array().unwrap().len(), 2, "{report}");
}

#[test]
fn bad_jobs_are_all_named_at_once() {
    let h = Home::new(
        "[[schedule.jobs]]\nname = \"a\"\ncron = \"61 * * * *\"\nexec = [\"true\"]\n\n[[schedule.jobs]]\nname = \"b\"\nevery = \"soon\"\nrun = [\"screen\"]\n",
    );
    let o = h.run(&["schedule", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("schedule.jobs[0].cron") && t.contains("schedule.jobs[1].every"), "{t}");
}

#[test]
fn service_logs_rotate_daily_keep_the_configured_number_and_merge() {
    let h = Home::new("").with("HANTU_SERVICE_LOG_RETENTION", "3");
    let logs = h.svc().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for d in 1..=5 {
        let line = format!(
            "{{\"timestamp\":\"2020-01-0{d}T00:00:00.000000Z\",\"level\":\"INFO\",\"fields\":{{\"message\":\"old day {d}\"}},\"target\":\"t\"}}\n"
        );
        std::fs::write(logs.join(format!("sandbox.2020-01-0{d}.log")), line).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(h.run(&["start", "sandbox"]).status.success());
    let files: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sandbox.") && n.ends_with(".log"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let today = chrono::Utc::now().format("sandbox.%Y-%m-%d.log").to_string();
    assert!(files.contains(&today), "{files:?}");
    assert!(files.contains(&"sandbox.2020-01-05.log".to_owned()), "the newest old file is kept: {files:?}");
    h.wait_for("the log line", |h| text(&h.run(&["logs", "sandbox"])).contains("Sandbox listening"));
    let all = text(&h.run(&["logs", "sandbox", "-n", "100"]));
    assert!(all.contains("old day 5") && all.contains("Sandbox listening"), "{all}");
    assert!(all.find("old day 5").unwrap() < all.find("Sandbox listening").unwrap(), "merged by time");
    let recent = text(&h.run(&["logs", "--since", "1h", "-n", "100"]));
    assert!(!recent.contains("old day") && recent.contains("Sandbox listening"), "{recent}");
    let warn = text(&h.run(&["logs", "sandbox", "--level", "warn", "-n", "100"]));
    assert!(!warn.contains("Sandbox listening"), "{warn}");
    let o = h.run(&["logs", "sandbox", "-n", "3", "--json"]);
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["source"], "sandbox");
    }
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let rest = stat.rfind(')').map(|i| &stat[i + 1..]).unwrap_or_default();
            rest.split_whitespace().nth(1).and_then(|pp| pp.parse::<u32>().ok()) == Some(pid)
        })
        .collect()
}

/// Waits for a child, at most `secs`.
fn wait_child(c: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = c.try_wait().unwrap() {
            return s;
        }
        if t.elapsed() > Duration::from_secs(secs) {
            let _ = c.kill();
            panic!("the service did not exit within {secs}s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn in_the_foreground_one_signal_stops_within_the_grace_and_a_second_forces() {
    use rustix::process::Signal;
    // A job that ignores SIGTERM, due one second after the start.
    let h = Home::new(
        "[schedule]\ndefault_plan = false\n\n[[schedule.jobs]]\nname = \"stubborn\"\nevery = \"10m\"\nexec = [\"sh\", \"-c\", \"trap '' TERM; sleep 30\"]\n",
    )
    .with("HANTU_SERVICE_GRACE_SECS", "2");
    let spawn = |h: &Home| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hantu"));
        cmd.current_dir(h.path())
            .args(["start", "scheduler", "--foreground", "--clock-start", "2025-07-25T08:09:59"])
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in &h.env {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    };
    let running = |h: &Home| h.history().iter().any(|r| r["run"]["outcome"] == "running");

    // One SIGTERM: the job is asked, then killed after its share of the grace, recorded, and the
    // service exits cleanly.
    let mut child = spawn(&h);
    h.wait_for("the job to start", running);
    signal(child.id(), Signal::TERM);
    let status = wait_child(&mut child, 20);
    assert!(status.success(), "{status}");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("Service started"), "human output on stderr in the foreground: {err}");
    let run = h.history()[0]["run"].clone();
    assert_eq!(run["outcome"], "cancelled", "{run}");
    assert!(run["error"].as_str().unwrap().contains("after SIGTERM"), "{run}");
    assert_eq!(h.status("scheduler")["health"], "stopped");

    // Two signals: the second does not wait.
    let mut child = spawn(&h);
    h.wait_for("the job to start again", running);
    let pid = child.id();
    h.wait_for("the job's process", |_| !children(pid).is_empty());
    let jobs = children(pid);
    signal(child.id(), Signal::TERM);
    std::thread::sleep(Duration::from_millis(200));
    signal(child.id(), Signal::TERM);
    let status = wait_child(&mut child, 10);
    assert_eq!(status.code(), Some(143), "{status}");
    // The job's processes went with it.
    assert!(!jobs.is_empty());
    for pid in jobs {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(stat.is_empty() || stat.contains(") Z"), "job process {pid} outlived a forced exit: {stat}");
    }
    let st = h.status("scheduler");
    assert_eq!(st["running"], false);
    assert_eq!(st["health"], "failed", "{st}");
    assert!(st["last_error"].as_str().unwrap().contains("second signal"), "{st}");
    assert!(!h.svc().join("scheduler.pid").exists());
}

#[test]
fn start_all_on_a_fresh_machine_brings_up_every_service_healthy_with_no_credentials() {
    let h = Home::new("");
    let o = h.run(&["start", "all", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    let st = h.json(&["status", "--json"]);
    // Every service but the API and the bot, which need keys (HANTU_API_KEYS, a bot token) and are
    // skipped without them.
    for s in st["services"].as_array().unwrap().iter().filter(|s| s["service"] != "api" && s["service"] != "bot") {
        assert_eq!(s["running"], true, "{s}");
        assert_eq!(s["healthy"], true, "{s}");
    }
    // The trader trades on paper against the sandbox, and publishes its status through the store.
    h.wait_for("the trader's status", |h| h.status("trader")["detail"]["trader"]["state"] == "running");
    let trader = h.status("trader");
    assert_eq!(trader["detail"]["trader"]["mode"], "paper", "{trader}");
    let child = trader["detail"]["child_pid"].as_u64().unwrap();
    // The sandbox's market trades through the day (sandbox.trades_per_sec), so the trader has
    // prices to act on: the last price moves.
    let last = |h: &Home| h.json(&["trade", "--sandbox", "quote", "005930", "--json"])["last"].as_i64();
    let first = last(&h);
    assert!(first.is_some());
    h.wait_for("the sandbox's price to move", |h| last(h) != first);
    // `start all` again skips what runs (not an error); a named start is refused.
    assert!(h.run(&["start"]).status.success());
    assert_eq!(h.run(&["start", "scheduler"]).status.code(), Some(1));
    let health = h.run(&["health", "--sandbox", "--json"]);
    assert!(health.status.success(), "{}", text(&health));
    // The sandbox is killed right after accepting an order: it was saved before the reply. (A
    // stock the trader does not trade, so its own orders cannot make the risk check refuse this.)
    let o = h.run(&["trade", "--sandbox", "buy", "247540", "1"]);
    assert!(o.status.success(), "{}", text(&o));
    let pid = h.status("sandbox")["pid"].as_u64().unwrap();
    signal(pid as u32, rustix::process::Signal::KILL);
    h.wait_for("the sandbox to die", |h| h.status("sandbox")["running"] == false);
    assert!(h.run(&["start", "sandbox"]).status.success());
    let pos = h.json(&["trade", "--sandbox", "positions", "--json"]);
    assert!(pos.to_string().contains("247540"), "{pos}");
    let o = h.run(&["stop", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let stopped: Vec<&Value> = v["services"].as_array().unwrap().iter().filter(|s| s["stopped"] == true).collect();
    assert!(
        stopped.len() >= 2
            && v["services"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["stopped"] == true || s["service"] == "api" || s["service"] == "bot"),
        "{v}"
    );
    let gone = |pid: u64| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.is_empty() || stat.contains(") Z")
    };
    assert!(gone(child), "the trader's child process was stopped with its service");
}

#[test]
fn the_trader_without_credentials_needs_the_sandbox_and_says_so() {
    let h = Home::new("");
    let o = h.run(&["start", "trader"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("sandbox service is not running"), "{}", text(&o));
    assert_eq!(h.status("trader")["running"], false);
}

#[test]
fn the_api_runs_as_a_service_when_it_has_keys() {
    use std::io::{Read as _, Write as _};
    let key = "k3y-for-the-service-test-0123456789";
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let h = Home::new("[schedule]\ndefault_plan = false\n").with("HANTU_API_PORT", &port.to_string());
    // Without keys, `start all` skips it and a named start fails saying why.
    let o = h.run(&["start", "api"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("HANTU_API_KEYS"), "{}", text(&o));
    let h = h.with("HANTU_API_KEYS", &format!("ops:read:{key}"));
    let o = h.run(&["start", "api"]);
    assert!(o.status.success(), "{}", text(&o));
    let st = h.status("api");
    assert_eq!(st["healthy"], true, "{st}");
    assert_eq!(st["detail"]["url"], format!("http://127.0.0.1:{port}"));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let o = h.run(&["stop", "api"]);
    assert!(o.status.success() && text(&o).contains("cleanly"), "{}", text(&o));
    let mut seen = String::new();
    for e in std::fs::read_dir(h.svc().join("logs")).unwrap() {
        seen.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(!seen.contains(key), "the API key leaked into a log");
}
