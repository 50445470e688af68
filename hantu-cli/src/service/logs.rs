//! The services' logs. Each service writes JSON lines to `logs/NAME.YYYY-MM-DD.log` in the service
//! directory, a new file each day (UTC), keeping `service.log_retention` files; in the foreground
//! it also writes human lines to stderr. `hantu logs` reads these files (and the commands'
//! `hantu.log*`), merges them by time and filters by service, level and age.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use super::Service;
use crate::cli::GlobalArgs;
use crate::config::Loaded;

/// Installs the subscriber of a service process: JSON lines to its daily file, and human lines to
/// stderr when in the foreground. The guard flushes the file on drop.
///
/// # Errors
/// If the log directory or file cannot be created, or the filter does not parse.
pub fn init(args: &GlobalArgs, cfg: &Loaded, svc: Service, detached: bool) -> anyhow::Result<WorkerGuard> {
    // Services log at info unless the configuration or the command line says otherwise.
    let configured = cfg.sources.contains_key("log.level");
    let level = match (args.quiet, args.verbose) {
        (true, _) => "error".to_owned(),
        (false, 0) => std::env::var("RUST_LOG")
            .unwrap_or_else(|_| if configured { cfg.config.log.level.clone() } else { "info".to_owned() }),
        (false, 1) => "info".to_owned(),
        (false, 2) => "debug".to_owned(),
        (false, _) => "trace".to_owned(),
    };
    let reg = super::registry(&cfg.config);
    reg.ensure()?;
    let dir = reg.log_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(svc.name())
        .filename_suffix("log")
        .max_log_files(cfg.config.service.log_retention.max(1))
        .build(&dir)
        .with_context(|| format!("opening the log of {} in {}", svc.name(), dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let file = tracing_subscriber::fmt::layer().json().with_ansi(false).with_writer(writer).boxed();
    let stderr = (!detached).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed());
    tracing_subscriber::registry().with(EnvFilter::try_new(&level)?).with(file).with(stderr).try_init()?;
    Ok(guard)
}

/// A log file and the service (or `hantu` for commands) that wrote it.
#[derive(Clone, Debug)]
pub struct LogFile {
    /// Who wrote it.
    pub source: String,
    /// Where.
    pub path: PathBuf,
}

/// The log files of `service` (every service when `None`), plus the commands' `hantu.log*` in
/// `command_dir` when no service is named, oldest first per source.
pub fn files(service_logs: &Path, command_dir: &Path, service: Option<Service>) -> Vec<LogFile> {
    let mut out = Vec::new();
    let list = |dir: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        v.sort();
        v
    };
    for path in list(service_logs) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((svc, rest)) = name.split_once('.') else { continue };
        if !rest.ends_with(".log") || Service::parse(svc).is_none() {
            continue;
        }
        if service.is_none_or(|s| s.name() == svc) {
            out.push(LogFile { source: svc.to_owned(), path });
        }
    }
    if service.is_none() {
        for path in list(command_dir) {
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hantu.log")) {
                out.push(LogFile { source: "hantu".to_owned(), path });
            }
        }
    }
    out
}

/// One parsed log line.
#[derive(Clone, Debug)]
pub struct Line {
    /// RFC 3339 time in UTC (sorts as text).
    pub ts: String,
    /// Level (`INFO`, …).
    pub level: String,
    /// Who wrote it.
    pub source: String,
    /// The JSON object, with `source` added.
    pub json: serde_json::Value,
}

/// Level rank, higher is more severe.
pub fn level_rank(level: &str) -> u8 {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => 0,
        "DEBUG" => 1,
        "INFO" => 2,
        "WARN" | "WARNING" => 3,
        "ERROR" => 4,
        _ => 2,
    }
}

/// Parses one JSON line of `source` (non-JSON lines are kept as messages at INFO).
pub fn parse(source: &str, text: &str) -> Option<Line> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut json: serde_json::Value = serde_json::from_str(text)
        .unwrap_or_else(|_| serde_json::json!({ "timestamp": "", "level": "INFO", "fields": { "message": text } }));
    let ts = json["timestamp"].as_str().unwrap_or_default().to_owned();
    let level = json["level"].as_str().unwrap_or("INFO").to_owned();
    if let Some(m) = json.as_object_mut() {
        m.insert("source".into(), source.into());
    }
    Some(Line { ts, level, source: source.to_owned(), json })
}

/// A line for people: `time LEVEL source message key=value…`.
pub fn human(line: &Line) -> String {
    let fields = line.json["fields"].as_object();
    let message = fields.and_then(|f| f.get("message")).and_then(|m| m.as_str()).unwrap_or_default();
    let mut s = format!("{} {:5} {:9} {message}", line.ts, line.level, line.source);
    if let Some(f) = fields {
        for (k, v) in f.iter().filter(|(k, _)| *k != "message") {
            match v.as_str() {
                Some(t) => s.push_str(&format!(" {k}={t}")),
                None => s.push_str(&format!(" {k}={v}")),
            }
        }
    }
    s
}
