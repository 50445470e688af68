//! The scheduler's jobs: the `[[schedule.jobs]]` of the configuration on top of the default day
//! plan, each a `hantu` command (or any program) run as a child process, so a failing step
//! cannot take the scheduler or the other steps down, and shutdown can stop it cleanly.
//!
//! The default day plan (KST, KRX trading days unless noted):
//!
//! | job | when | runs | needs |
//! |---|---|---|---|
//! | `refresh` | 07:30 | `hantu data refresh` (`--sandbox` without KIS credentials) | — |
//! | `screen` | 08:00 | `hantu screen` | daily bars in the store |
//! | `select` | 08:20 | `hantu select` | a watchlist |
//! | `trader` | 08:50 | `hantu start trader` (the trader service, for the session) | today's picks |
//! | `learn` | 15:40 | `hantu learn update` (outcomes, accuracy, weights, regime) | daily bars in the store |
//! | `report` | 15:45 | `hantu schedule report --notify` (the day's runs, picks, fills, events; the daily report to every channel) | — |
//! | `weekend-refresh` | Saturday 10:00 | `hantu data refresh` | — |
//!
//! A job whose inputs are missing is recorded as skipped with the reason ("no watchlist in the
//! store: run screen first"), not run. A failed or skipped step is also told through the configured
//! notifiers, and so are the learning step's degradation alerts (see [`super::job_alerts`]).

use std::time::Duration;

use chrono::NaiveDate;
use hantu_core::schedule::{JobSpec, Trigger, When, parse_duration_ms, parse_window};
use hantu_core::store::Store;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Loaded};

/// What a job needs before it can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Needs {
    /// Daily bars in the store.
    Bars,
    /// A watchlist in the store.
    Watchlist,
    /// Picks for today in the store.
    Picks,
}

/// One `[[schedule.jobs]]` entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Unique name (a default job of the same name is replaced).
    pub name: String,
    /// Five-field cron expression in KST (`30 8 * * mon-fri`); or `every`.
    pub cron: Option<String>,
    /// Interval (`10m`), aligned to KST midnight; or `cron`.
    pub every: Option<String>,
    /// Only on KRX trading days.
    #[serde(default = "yes")]
    pub trading_days: bool,
    /// Only inside `HH:MM-HH:MM` (KST) or `market` (the regular session).
    pub window: Option<String>,
    /// `hantu` arguments to run (`["screen"]`); or `exec`.
    #[serde(default)]
    pub run: Vec<String>,
    /// A program and its arguments to run instead of a `hantu` command.
    #[serde(default)]
    pub exec: Vec<String>,
    /// Run once for several missed fire times.
    #[serde(default = "yes")]
    pub coalesce: bool,
    /// Most runs at once.
    #[serde(default = "one")]
    pub max_instances: u32,
    /// How late a run may start (`10m`).
    #[serde(default = "ten_minutes")]
    pub grace: String,
    /// Random delay bound (`30s`).
    #[serde(default = "zero")]
    pub jitter: String,
    /// Longest a run may take before it is stopped (`1h`).
    pub timeout: Option<String>,
    /// What must be in the store first.
    pub needs: Option<Needs>,
    /// Set false to switch a default job off.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn ten_minutes() -> String {
    "10m".into()
}
fn zero() -> String {
    "0s".into()
}

/// The `[schedule]` section.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSection {
    /// Include the default day plan.
    pub default_plan: bool,
    /// Jobs (added to, or replacing, the default plan's).
    pub jobs: Vec<JobConfig>,
}

impl Default for ScheduleSection {
    fn default() -> Self {
        Self { default_plan: true, jobs: Vec::new() }
    }
}

/// What a job runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "args", rename_all = "snake_case")]
pub enum Action {
    /// `hantu` with these arguments (and the scheduler's `--config` and `--db`).
    Hantu(Vec<String>),
    /// A program and its arguments.
    Exec(Vec<String>),
}

impl Action {
    /// As a shell would show it.
    pub fn display(&self) -> String {
        match self {
            Action::Hantu(a) => format!("hantu {}", a.join(" ")),
            Action::Exec(a) => a.join(" "),
        }
    }
}

/// A job ready to schedule.
#[derive(Clone, Debug)]
pub struct Job {
    /// Timing.
    pub spec: JobSpec,
    /// What it runs.
    pub action: Action,
    /// Longest run.
    pub timeout: Option<Duration>,
    /// Inputs it needs.
    pub needs: Option<Needs>,
}

fn plan_entry(name: &str, cron: &str, trading_days: bool, run: &[&str], needs: Option<Needs>) -> JobConfig {
    JobConfig {
        name: name.into(),
        cron: Some(cron.into()),
        every: None,
        trading_days,
        window: None,
        run: run.iter().map(|s| (*s).to_owned()).collect(),
        exec: Vec::new(),
        coalesce: true,
        max_instances: 1,
        grace: "30m".into(),
        jitter: "0s".into(),
        timeout: Some("2h".into()),
        needs,
        enabled: true,
    }
}

/// The default day plan; `refresh` uses the local KIS server when no KIS credentials are set.
pub fn default_plan(has_kis: bool) -> Vec<JobConfig> {
    let refresh: &[&str] = if has_kis { &["data", "refresh"] } else { &["data", "refresh", "--sandbox"] };
    vec![
        plan_entry("refresh", "30 7 * * *", true, refresh, None),
        plan_entry("screen", "0 8 * * *", true, &["screen"], Some(Needs::Bars)),
        plan_entry("select", "20 8 * * *", true, &["select"], Some(Needs::Watchlist)),
        plan_entry("trader", "50 8 * * *", true, &["start", "trader"], Some(Needs::Picks)),
        plan_entry("learn", "40 15 * * *", true, &["learn", "update"], Some(Needs::Bars)),
        plan_entry("report", "45 15 * * *", true, &["schedule", "report", "--notify"], None),
        plan_entry("weekend-refresh", "0 10 * * sat", false, refresh, None),
    ]
}

/// The configured jobs (default plan, then the configuration's, replacing by name).
///
/// # Errors
/// Every bad job entry at once, each naming its key (`schedule.jobs[1].cron`).
pub fn load(cfg: &Loaded) -> Result<Vec<Job>, ConfigError> {
    let sched = &cfg.config.schedule;
    let has_kis = cfg.secrets.contains_key("HANTU_KIS_APP_KEY");
    let mut entries: Vec<(Option<usize>, JobConfig)> =
        if sched.default_plan { default_plan(has_kis).into_iter().map(|j| (None, j)).collect() } else { Vec::new() };
    for (i, j) in sched.jobs.iter().enumerate() {
        entries.retain(|(_, e)| e.name != j.name);
        entries.push((Some(i), j.clone()));
    }
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (idx, j) in entries.into_iter().filter(|(_, j)| j.enabled) {
        let key = |field: &str| match idx {
            Some(i) => format!("schedule.jobs[{i}].{field}"),
            None => format!("schedule (default job {}).{field}", j.name),
        };
        match build(&j) {
            Ok(job) => {
                if !names.insert(job.spec.name.clone()) {
                    problems.push(format!("{}: job name {:?} is used twice", key("name"), j.name));
                }
                jobs.push(job);
            }
            Err(errs) => problems.extend(errs.into_iter().map(|(f, m)| format!("{}: {m}", key(f)))),
        }
    }
    if problems.is_empty() {
        Ok(jobs)
    } else {
        let source = cfg.file.as_ref().map_or_else(|| "default".to_owned(), |f| f.display().to_string());
        Err(ConfigError { key: "schedule.jobs".into(), source_desc: source, message: problems.join("; ") })
    }
}

fn build(j: &JobConfig) -> Result<Job, Vec<(&'static str, String)>> {
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    if j.name.trim().is_empty() || j.name.contains(['/', ' ']) {
        errs.push(("name", format!("{:?} must be a non-empty word", j.name)));
    }
    let trigger = match (&j.cron, &j.every) {
        (Some(c), None) => c.parse().map(Trigger::Cron).map_err(|e| ("cron", e.to_string())),
        (None, Some(e)) => match parse_duration_ms(e) {
            Ok(ms) if ms >= 1000 => Ok(Trigger::Interval { every_ms: ms }),
            Ok(_) => Err(("every", format!("{e:?} is shorter than a second"))),
            Err(err) => Err(("every", err.to_string())),
        },
        _ => Err(("cron", "set exactly one of cron and every".to_owned())),
    };
    let window = j.window.as_deref().map(parse_window).transpose().map_err(|e| ("window", e.to_string()));
    let grace = parse_duration_ms(&j.grace).map_err(|e| ("grace", e.to_string()));
    let jitter = parse_duration_ms(&j.jitter).map_err(|e| ("jitter", e.to_string()));
    let timeout = j.timeout.as_deref().map(parse_duration_ms).transpose().map_err(|e| ("timeout", e.to_string()));
    let action = match (j.run.is_empty(), j.exec.is_empty()) {
        (false, true) => Ok(Action::Hantu(j.run.clone())),
        (true, false) => Ok(Action::Exec(j.exec.clone())),
        _ => Err(("run", "set exactly one of run (hantu arguments) and exec (a program)".to_owned())),
    };
    if j.max_instances == 0 {
        errs.push(("max_instances", "must be at least 1".into()));
    }
    let (trigger, window, grace, jitter, timeout, action) = match (trigger, window, grace, jitter, timeout, action) {
        (Ok(t), Ok(w), Ok(g), Ok(ji), Ok(to), Ok(a)) if errs.is_empty() => (t, w, g, ji, to, a),
        (t, w, g, ji, to, a) => {
            errs.extend([t.err(), w.err(), g.err(), ji.err(), to.err(), a.err()].into_iter().flatten());
            return Err(errs);
        }
    };
    let when = When { trigger, trading_days_only: j.trading_days, window };
    let spec = JobSpec {
        name: j.name.clone(),
        when,
        coalesce: j.coalesce,
        max_instances: j.max_instances,
        misfire_grace_ms: grace,
        jitter_ms: jitter,
    };
    Ok(Job {
        spec,
        action,
        timeout: timeout.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
        needs: j.needs,
    })
}

/// Why a job cannot run today, if its inputs are missing.
///
/// # Errors
/// If the store cannot be read.
pub fn missing_inputs(needs: Option<Needs>, store: &dyn Store, today: NaiveDate) -> anyhow::Result<Option<String>> {
    Ok(match needs {
        None => None,
        Some(Needs::Bars) => (store.instruments()?.is_empty())
            .then(|| "no instruments or daily bars in the store: run data refresh or data import first".to_owned()),
        Some(Needs::Watchlist) => {
            store.latest_watchlist()?.is_none().then(|| "no watchlist in the store: run screen first".to_owned())
        }
        Some(Needs::Picks) => store
            .selections_on(today)?
            .is_empty()
            .then(|| format!("no picks for {today}: nothing to trade (run select first)")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str) -> JobConfig {
        plan_entry(name, "0 8 * * *", true, &["screen"], None)
    }

    #[test]
    fn the_default_plan_builds_and_every_bad_field_is_named() {
        for j in default_plan(false) {
            assert!(build(&j).is_ok(), "{}", j.name);
        }
        let bad = JobConfig {
            cron: Some("61 8 * * *".into()),
            grace: "soon".into(),
            window: Some("9-10".into()),
            run: Vec::new(),
            ..job("x")
        };
        let errs = build(&bad).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["cron", "window", "grace", "run"]);
        let both = JobConfig { every: Some("10m".into()), ..job("y") };
        assert_eq!(build(&both).unwrap_err()[0].0, "cron");
    }
}
