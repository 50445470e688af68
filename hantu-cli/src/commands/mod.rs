//! One module per subcommand; each has a `run(args, ctx)`.

pub mod api;
pub mod backtest;
pub mod bot;
pub mod condition;
pub mod config;
pub mod data;
pub mod db;
pub mod demo;
pub mod health;
pub mod kis;
pub mod learn;
pub mod logs;
pub mod notify;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod screen;
pub mod select;
pub mod service;
pub mod trade;
pub mod trade_control;
pub mod trade_start;
pub mod watch;

use std::path::PathBuf;

use crate::cli::{Command, GlobalArgs};
use crate::config::Loaded;
use crate::output::Output;

/// How a command ended, when it did not fail with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit code 0.
    Success,
    /// Exit code 1: a check failed or a request was rejected.
    Failure,
}

/// What every command gets.
pub struct Ctx {
    /// The configuration.
    pub cfg: Loaded,
    /// Output settings.
    pub out: Output,
    /// The database path (`--db`, else `data.db`).
    pub db: PathBuf,
    /// Whether `--db` was given (it wins over `data.url`).
    pub db_from_flag: bool,
}

impl Ctx {
    /// Builds the context.
    pub fn new(g: &GlobalArgs, cfg: Loaded) -> Self {
        let db = g.db.clone().unwrap_or_else(|| cfg.config.data.db.clone());
        Self { out: Output::new(g.json), db, db_from_flag: g.db.is_some(), cfg }
    }
}

/// Dispatches a command.
pub fn run(cmd: Command, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match cmd {
        Command::Demo(a) => demo::run(&a, ctx),
        Command::Backtest(a) => backtest::run(&a, ctx),
        Command::Screen(a) => screen::run(&a, ctx),
        Command::Select(a) => select::run(&a, ctx),
        Command::Config(c) => config::run(&c, ctx),
        Command::Data(c) => data::run(&c, ctx),
        Command::Logs(a) => logs::run(&a, ctx),
        Command::Trade(a) => trade::run(&a, ctx),
        Command::Health(a) => health::run(&a, ctx),
        Command::Start(a) => service::start(&a, ctx),
        Command::Stop(a) => service::stop(&a, ctx),
        Command::Restart(a) => service::restart(&a, ctx),
        Command::Status(a) => service::status(&a, ctx),
        Command::Schedule(c) => schedule::run(&c, ctx),
        Command::Watch(a) => watch::run(&a, ctx),
        Command::Learn(c) => learn::run(&c, ctx),
        Command::Report(c) => report::run(&c, ctx),
        Command::Api(c) => api::run(&c, ctx),
        Command::Notify(c) => notify::run(&c, ctx),
        Command::Bot(a) => bot::run(&a, ctx),
        Command::Condition(c) => condition::run(&c, ctx),
        Command::Db(c) => db::run(&c, ctx),
    }
}

/// Opens the store every command uses: `--db`, else `data.url` (PostgreSQL), else the SQLite
/// file `data.db` (created when missing).
pub fn open_store(ctx: &Ctx) -> anyhow::Result<crate::store::AnyStore> {
    crate::store::open(ctx)
}

/// Instruments and daily bars of `codes` (all instruments when empty) from the store.
pub fn store_series(
    ctx: &Ctx,
    codes: &[hantu_core::domain::StockCode],
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<(Vec<hantu_core::domain::Instrument>, Vec<Vec<hantu_core::domain::Bar>>)> {
    use hantu_core::store::Store as _;
    let store = open_store(ctx)?;
    let instruments = store.instruments()?;
    let wanted: Vec<_> = if codes.is_empty() { instruments.iter().map(|i| i.code).collect() } else { codes.to_vec() };
    let from = from.unwrap_or(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default());
    let to = to.unwrap_or(chrono::NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default());
    let mut series = Vec::with_capacity(wanted.len());
    for code in wanted {
        let bars = store.daily_bars(code, from, to)?;
        if !bars.is_empty() {
            series.push(bars);
        }
    }
    Ok((instruments, series))
}
