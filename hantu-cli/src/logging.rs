//! Tracing setup: human format on a terminal, JSON on request, to stderr and optionally a
//! daily-rotated file under the data directory.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::GlobalArgs;
use crate::config::{Config, LogFormat};

/// Directory of the log files.
pub fn log_dir(cfg: &Config) -> std::path::PathBuf {
    cfg.data.dir.join("logs")
}

/// Installs the subscriber. The returned guard flushes the file writer on drop.
pub fn init(args: &GlobalArgs, cfg: &Config) -> anyhow::Result<Option<WorkerGuard>> {
    let level = match (args.quiet, args.verbose) {
        (true, _) => "error".to_owned(),
        (false, 0) => std::env::var("RUST_LOG").unwrap_or_else(|_| cfg.log.level.clone()),
        (false, 1) => "info".to_owned(),
        (false, 2) => "debug".to_owned(),
        (false, _) => "trace".to_owned(),
    };
    let filter = EnvFilter::try_new(&level)?;
    let format = args.log_format.unwrap_or(cfg.log.format);
    let ansi = std::io::stderr().is_terminal();
    let stderr_layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
        LogFormat::Human => tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(std::io::stderr).boxed(),
    };
    let (file_layer, guard) = if cfg.log.file {
        let dir = log_dir(cfg);
        std::fs::create_dir_all(&dir)?;
        let appender = tracing_appender::rolling::daily(&dir, "hantu.log");
        let (writer, guard) = tracing_appender::non_blocking(appender);
        (Some(tracing_subscriber::fmt::layer().json().with_ansi(false).with_writer(writer).boxed()), Some(guard))
    } else {
        (None, None)
    };
    tracing_subscriber::registry().with(filter).with(stderr_layer).with(file_layer).try_init()?;
    Ok(guard)
}

use tracing_subscriber::Layer as _;
