//! Command-line definitions. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::config::LogFormat;

/// hantu — screen, select, backtest and trade Korean equities (KOSPI/KOSDAQ) through KIS.
///
/// Start with `hantu demo`: it builds a simulated KRX market in a SQLite file, screens it,
/// selects the day's picks and backtests trading them, with no account or credentials.
#[derive(Debug, Parser)]
#[command(name = "hantu", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file [default: $HANTU_CONFIG, else ./hantu.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database file [default: data.db from the configuration, hantu.db]
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Print results as JSON instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// Log format on stderr
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// More log output (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (errors only)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole day on a simulated market: screen → select → backtest the picks
    Demo(commands::demo::DemoArgs),
    /// Backtest a built-in strategy over the simulated market, a CSV folder or the store
    Backtest(commands::backtest::BacktestArgs),
    /// Phase 1: screen the market into a ranked watchlist (over the store, or --sim)
    Screen(commands::screen::ScreenArgs),
    /// Phase 2: select today's picks from the watchlist (over the store, or --sim)
    Select(commands::select::SelectArgs),
    /// Import daily bars, instruments and fundamentals into the store, or export them
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Trade through KIS: balance, positions, orders, quote, buy, sell, cancel
    Trade(commands::trade::TradeArgs),
    /// Check the store, KIS reachability and the token, with latencies
    Health(commands::health::HealthArgs),
    /// Check and explain the configuration
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Show and merge the logs of the commands and services (with -f, follow them)
    Logs(commands::logs::LogsArgs),
    /// Start services in the background (or one with --foreground): sandbox, scheduler, trader, api, bot, all
    Start(commands::service::StartArgs),
    /// Stop services and wait for them to exit
    Stop(commands::service::StopArgs),
    /// Stop, then start services
    Restart(commands::service::StartArgs),
    /// Show each service: pid, uptime, heartbeat, health, last error
    Status(commands::service::StatusArgs),
    /// The scheduler's jobs: list, next fire times, run one now, history, the day's report
    #[command(subcommand)]
    Schedule(commands::schedule::ScheduleCommand),
    /// Watch live trades and the best bid/ask of some stocks (KIS WebSocket, or --sandbox)
    Watch(commands::watch::WatchArgs),
    /// Phase 4: measure picks against what happened, adapt the selection's weights, roll them back
    #[command(subcommand)]
    Learn(commands::learn::LearnCommand),
    /// Reports: the picks' accuracy, the strategies' runs
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Copy the store between SQLite and PostgreSQL, verify, roll back, back up
    #[command(subcommand)]
    Db(commands::db::DbCommand),
    /// The HTTP API, Prometheus metrics and the web dashboard
    #[command(subcommand)]
    Api(commands::api::ApiCommand),
    /// Notifications: send a test message to each channel, show the history
    #[command(subcommand)]
    Notify(commands::notify::NotifyCommand),
    /// Run the Telegram control bot in the foreground (/status, /pause, /forceexit …)
    Bot(commands::bot::BotArgs),
    /// KIS condition search: the conditions saved in HTS; run one and alert on the stocks entering it
    #[command(subcommand)]
    Condition(commands::condition::ConditionCommand),
}

impl Command {
    /// The service this command runs in this process, and whether it was started detached.
    pub fn service_run(&self) -> Option<(crate::service::Service, bool)> {
        match self {
            Command::Start(a) if a.foreground => {
                let [svc] = a.service.unwrap_or(crate::service::Target::All).services()[..] else { return None };
                Some((svc, a.detached))
            }
            _ => None,
        }
    }
}
