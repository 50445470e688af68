//! One module per subcommand; each has a `run(args, ctx)`.

pub mod backtest;
pub mod config;
pub mod demo;
pub mod logs;

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
}

impl Ctx {
    /// Builds the context.
    pub fn new(g: &GlobalArgs, cfg: Loaded) -> Self {
        let db = g.db.clone().unwrap_or_else(|| cfg.config.data.db.clone());
        Self { out: Output::new(g.json), db, cfg }
    }
}

/// Dispatches a command.
pub fn run(cmd: Command, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match cmd {
        Command::Demo(a) => demo::run(&a, ctx),
        Command::Backtest(a) => backtest::run(&a, ctx),
        Command::Config(c) => config::run(&c, ctx),
        Command::Logs(a) => logs::run(&a, ctx),
    }
}
