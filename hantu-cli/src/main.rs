//! The `hantu` command: a thin shell over the hantu crates (parsing, configuration, output).

mod cli;
mod commands;
mod config;
mod logging;
mod output;
mod service;
mod store;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use crate::commands::{Ctx, ExitStatus};
use crate::config::ConfigError;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let loaded = match config::load(cli.global.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            if cli.global.json {
                // The same list for machines, on stdout where `--json` results go.
                let report = serde_json::json!({ "valid": false, "problems": e.0 });
                if let Ok(text) = serde_json::to_string_pretty(&report) {
                    // A closed pipe must not hide the exit code.
                    let _ = writeln!(std::io::stdout().lock(), "{text}");
                }
            }
            eprintln!("error: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let logs = match cli.command.service_run() {
        // A service logs JSON lines to its own daily file (and to stderr in the foreground).
        Some((svc, detached)) => service::logs::init(&cli.global, &loaded, svc, detached).map(Some),
        None => logging::init(&cli.global, &loaded.config),
    };
    let _guard = match logs {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: logging: {e:#}");
            return ExitCode::from(2);
        }
    };
    let ctx = Ctx::new(&cli.global, loaded);
    match commands::run(cli.command, &ctx) {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Failure) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let usage = e.downcast_ref::<ConfigError>().is_some();
            eprintln!("error: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
