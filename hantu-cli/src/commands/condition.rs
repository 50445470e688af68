//! `hantu condition`: KIS condition search (psearch) — the conditions a user saved in HTS, and
//! alerts on the stocks that enter one (seed 003's condition-search loop, over KIS's own screens).
//!
//! Each run's matches are kept in the store (`settings`, key `condition.<seq>`), so the next run —
//! in a `--watch` loop, a later command or after a restart — compares with the last one seen.
//! The first run of a condition only sets that baseline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use hantu_core::domain::StockCode;
use hantu_core::notify::{EntryLine, Message, Notification, Notifier};
use hantu_core::store::Store;
use hantu_kis::KisClient;
use hantu_kis::rest::{ConditionMatch, ConditionTitle, PsearchResult, PsearchTitle};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::service::notify::{self as notify, delivery};

/// KIS condition search.
#[derive(Debug, Subcommand)]
pub enum ConditionCommand {
    /// The conditions saved to the KIS server under the HTS id
    List(ConnArgs),
    /// Run a saved condition (by seq or name); tell which stocks entered since the last run
    Run(RunArgs),
}

/// Where KIS is.
#[derive(Debug, Args)]
pub struct ConnArgs {
    /// Use the local KIS server (the sandbox service when it runs) instead of KIS
    #[arg(long)]
    pub sandbox: bool,
    /// HTS id the conditions are saved under [default: HANTU_KIS_HTS_ID]
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
}

/// Options of `hantu condition run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The condition: its seq (from `hantu condition list`) or its name
    pub condition: String,
    /// Where KIS is.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Run again every --every until interrupted (Ctrl-C), alerting on each run's new entries (with
    /// --json, a line per run)
    #[arg(long)]
    pub watch: bool,
    /// Interval between watch runs (e.g. 30s, 5m)
    #[arg(long, default_value = "30s", value_parser = super::screen::parse_interval, value_name = "DURATION")]
    pub every: Duration,
    /// Stop watching after this many runs
    #[arg(long, value_name = "N", requires = "watch")]
    pub count: Option<u64>,
    /// Also tell which stocks left
    #[arg(long)]
    pub exits: bool,
    /// Do not send the alert to the configured notification channels
    #[arg(long)]
    pub no_notify: bool,
}

/// The matches of the last run of a condition, as kept in the store.
#[derive(Debug, Default, Serialize, Deserialize)]
struct LastRun {
    day: Option<NaiveDate>,
    codes: Vec<StockCode>,
}

/// What one run found.
#[derive(Debug, Serialize)]
struct RunOutcome {
    condition: String,
    seq: String,
    matches: Vec<Match>,
    /// `None` on the first run (nothing to compare with).
    entered: Option<Vec<StockCode>>,
    exited: Option<Vec<StockCode>>,
}

#[derive(Debug, Serialize)]
struct Match {
    code: StockCode,
    name: String,
    price: i64,
    volume: u64,
}

/// Runs `hantu condition …`.
pub fn run(cmd: &ConditionCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    // Several workers: the notification channels deliver while a run waits on KIS.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        match cmd {
            ConditionCommand::List(c) => list(c, ctx).await,
            ConditionCommand::Run(a) => watch(a, ctx).await,
        }
    })
}

async fn connect(c: &ConnArgs, ctx: &Ctx) -> anyhow::Result<(super::kis::Kis, String)> {
    let kis = super::kis::connect(ctx, c.sandbox).await?;
    let user = match (&c.user, kis.server()) {
        (Some(u), _) => u.clone(),
        (None, Some(server)) => server.hts_id(),
        (None, None) => ctx.cfg.secret("HANTU_KIS_HTS_ID")?.expose().to_owned(),
    };
    Ok((kis, user))
}

async fn titles(client: &KisClient, user: &str) -> anyhow::Result<Vec<ConditionTitle>> {
    Ok(client.call(&PsearchTitle { user_id: user.to_owned() }).await.context("psearch-title")?.0)
}

async fn list(c: &ConnArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let (kis, user) = connect(c, ctx).await?;
    let titles = titles(kis.broker.client(), &user).await;
    kis.record_calls(&super::open_store(ctx)?)?;
    let titles = titles?;
    if ctx.out.json {
        let rows: Vec<_> = titles.iter().map(|t| json!({ "seq": t.seq, "group": t.group, "name": t.name })).collect();
        ctx.out.print_json(&json!({ "conditions": rows }))?;
    } else if titles.is_empty() {
        ctx.out.line("no saved conditions: save them to the server in HTS (screen 0110, 사용자조건 서버저장)")?;
    } else {
        ctx.out.print_table(
            &["seq", "group", "name"],
            titles.iter().map(|t| vec![t.seq.clone(), t.group.clone(), t.name.clone()]).collect(),
        )?;
    }
    kis.close().await;
    Ok(ExitStatus::Success)
}

async fn watch(a: &RunArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let store: Arc<dyn Store> = Arc::new(super::open_store(ctx)?);
    let (kis, user) = connect(&a.conn, ctx).await?;
    let client = kis.broker.client();
    let titles = titles(client, &user).await?;
    let title = titles.iter().find(|t| t.seq == a.condition || t.name == a.condition).cloned().with_context(|| {
        let known: Vec<String> = titles.iter().map(|t| format!("{} ({})", t.seq, t.name)).collect();
        format!("no saved condition {:?}; the saved ones: {}", a.condition, known.join(", "))
    })?;
    let alerts = !a.no_notify && !notify::configured(&ctx.cfg).is_empty();
    let delivery = if alerts { notify::start(&ctx.cfg, Arc::clone(&store))? } else { None };
    let notifier = delivery.as_ref().map(|d| Arc::clone(&d.notifier) as Arc<dyn Notifier>);
    let mut runs = 0_u64;
    let result = loop {
        let once = run_once(a, ctx, client, &user, &title, store.as_ref(), notifier.as_deref()).await;
        kis.record_calls(store.as_ref())?;
        if let Err(e) = once {
            if !a.watch {
                break Err(e);
            }
            // A watch outlives one bad run (KIS busy, a dropped connection): say so and go on.
            tracing::error!(error = %format!("{e:#}"), "Condition search failed");
            eprintln!("condition search failed: {e:#}");
        }
        runs += 1;
        if !a.watch || a.count.is_some_and(|c| runs >= c) {
            break Ok(ExitStatus::Success);
        }
        tokio::select! {
            () = tokio::time::sleep(a.every) => {}
            _ = tokio::signal::ctrl_c() => break Ok(ExitStatus::Success),
        }
    };
    if let Some(d) = delivery {
        if !d.close(Duration::from_secs(30)).await {
            eprintln!("some notifications were still being delivered at exit (see `hantu notify history`)");
        }
    }
    kis.close().await;
    result
}

async fn run_once(
    a: &RunArgs,
    ctx: &Ctx,
    client: &KisClient,
    user: &str,
    title: &ConditionTitle,
    store: &dyn Store,
    notifier: Option<&dyn Notifier>,
) -> anyhow::Result<()> {
    let req = PsearchResult { user_id: user.to_owned(), seq: title.seq.clone() };
    let matches: Vec<ConditionMatch> = match client.call(&req).await {
        Ok(m) => m.0,
        // KIS answers "no matches" with this error rather than an empty list.
        Err(e) if e.msg_cd() == Some("MCA05918") => Vec::new(),
        Err(e) => return Err(e).context("psearch-result"),
    };
    let key = format!("condition.{}", title.seq);
    let last: Option<LastRun> = store.setting(&key)?.map(|s| serde_json::from_str(&s)).transpose().ok().flatten();
    let now = delivery::now();
    let codes: Vec<StockCode> = matches.iter().map(|m| m.code).collect();
    let (entered, exited) = match &last {
        Some(l) => (
            Some(codes.iter().copied().filter(|c| !l.codes.contains(c)).collect::<Vec<_>>()),
            Some(l.codes.iter().copied().filter(|c| !codes.contains(c)).collect::<Vec<_>>()),
        ),
        None => (None, None),
    };
    store.set_setting(&key, &serde_json::to_string(&LastRun { day: Some(now.kst_date()), codes: codes.clone() })?)?;
    if let (Some(n), Some(entered), Some(exited)) = (notifier, &entered, &exited) {
        let gone = if a.exits { exited.clone() } else { Vec::new() };
        if !entered.is_empty() || !gone.is_empty() {
            let lines = entered
                .iter()
                .map(|code| {
                    let pos = matches.iter().position(|m| m.code == *code);
                    EntryLine {
                        code: *code,
                        name: pos.map(|i| matches[i].name.clone()).filter(|n| !n.is_empty()),
                        rank: pos.and_then(|i| u32::try_from(i + 1).ok()),
                        score: None,
                    }
                })
                .collect();
            let m = Message::ScreenEntries {
                screen: format!("KIS 조건검색 {}", title.name),
                as_of: now.kst_date(),
                entered: lines,
                exited: gone,
            };
            n.notify(&Notification::new(now, m));
        }
    }
    let out = RunOutcome {
        condition: title.name.clone(),
        seq: title.seq.clone(),
        matches: matches
            .iter()
            .map(|m| Match { code: m.code, name: m.name.clone(), price: m.price.won(), volume: m.volume })
            .collect(),
        entered,
        exited,
    };
    print(ctx, &out, a.exits, a.watch)
}

fn print(ctx: &Ctx, out: &RunOutcome, exits: bool, watch: bool) -> anyhow::Result<()> {
    if ctx.out.json && watch {
        // A watch prints one JSON document a line (JSON Lines), a line per run.
        println!("{}", serde_json::to_string(out)?);
        return Ok(());
    }
    if ctx.out.json {
        return ctx.out.print_json(&out);
    }
    ctx.out.heading(&format!("{} (seq {}): {} stocks", out.condition, out.seq, out.matches.len()))?;
    let new = |c: &StockCode| out.entered.as_ref().is_some_and(|e| e.contains(c));
    ctx.out.print_table(
        &["", "code", "name", "price", "volume"],
        out.matches
            .iter()
            .map(|m| {
                vec![
                    if new(&m.code) { "new".into() } else { String::new() },
                    m.code.to_string(),
                    m.name.clone(),
                    m.price.to_string(),
                    m.volume.to_string(),
                ]
            })
            .collect(),
    )?;
    match (&out.entered, &out.exited) {
        (Some(e), Some(x)) => {
            let list = |v: &[StockCode]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let mut line = format!("since the last run: {} new ({})", e.len(), list(e));
            if exits {
                line.push_str(&format!("; {} left ({})", x.len(), list(x)));
            }
            ctx.out.line(line)
        }
        _ => ctx.out.line("first run of this condition: the next run tells which stocks entered"),
    }
}
