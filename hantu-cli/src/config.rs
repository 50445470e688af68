//! One configuration: `hantu.toml` (from `--config`, `HANTU_CONFIG`, or the working directory),
//! overridden by `HANTU_*` environment variables and a `.env` file. Secrets (KIS app key and
//! secret, account, Telegram token) come only from the environment or `.env`.
//!
//! Precedence, highest first: process environment, `.env`, `hantu.toml`, defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hantu_core::risk::RiskLimits;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod deserialize;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Built-in default.
    Default,
    /// The configuration file.
    File(PathBuf),
    /// A process environment variable.
    Env(String),
    /// A `.env` file entry.
    DotEnv(PathBuf, String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Env(v) => write!(f, "environment variable {v}"),
            Source::DotEnv(p, v) => write!(f, "{v} in {}", p.display()),
        }
    }
}

/// A configuration error: which key, from where, and what is wrong (one line; `--json` prints
/// it as `{"key", "source", "message"}`).
#[derive(Debug, thiserror::Error, Serialize)]
#[error("{key} ({source_desc}): {message}")]
pub struct ConfigError {
    /// Dotted key or variable name.
    pub key: String,
    /// Where the bad value came from.
    #[serde(rename = "source")]
    pub source_desc: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found while loading the configuration, each naming its key, so a person
/// fixing a file sees them all at once instead of one per run.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                write!(f, "{} problems:", all.len())?;
                for e in all {
                    write!(f, "\n  - {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self(vec![e])
    }
}

/// The type of a key, for parsing environment values and for `config check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Str,
    /// Whole number.
    Int,
    /// Number.
    Float,
    /// Exact decimal (written as a string in TOML or a number).
    Decimal,
    /// true / false.
    Bool,
}

/// One documented key.
pub struct KeySpec {
    /// Dotted TOML path.
    pub key: &'static str,
    /// Type.
    pub kind: Kind,
    /// Default, as shown to a person.
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

impl KeySpec {
    /// The environment variable overriding this key (`data.db` → `HANTU_DATA_DB`).
    pub fn env(&self) -> String {
        format!("HANTU_{}", self.key.replace('.', "_").to_ascii_uppercase())
    }
}

/// Every configuration key.
pub const KEYS: &[KeySpec] = &[
    KeySpec { key: "data.db", kind: Kind::Str, default: "hantu.db", doc: "SQLite database file" },
    KeySpec { key: "data.dir", kind: Kind::Str, default: ".hantu", doc: "data directory (logs, token cache)" },
    KeySpec {
        key: "data.url",
        kind: Kind::Str,
        default: "(none: SQLite at data.db)",
        doc: "PostgreSQL store, postgres://user@host:port/db (password from HANTU_PG_PASSWORD)",
    },
    KeySpec {
        key: "log.level",
        kind: Kind::Str,
        default: "info",
        doc: "log level or tracing filter (e.g. info,hantu_kis=debug)",
    },
    KeySpec { key: "log.format", kind: Kind::Str, default: "human", doc: "human | json" },
    KeySpec {
        key: "log.file",
        kind: Kind::Bool,
        default: "false",
        doc: "also write a daily-rotated log file under data.dir/logs",
    },
    KeySpec { key: "backtest.cash", kind: Kind::Int, default: "100000000", doc: "starting cash in won" },
    KeySpec {
        key: "backtest.commission_rate",
        kind: Kind::Decimal,
        default: "0.00015",
        doc: "commission per side (0.015%)",
    },
    KeySpec { key: "backtest.tax", kind: Kind::Bool, default: "true", doc: "charge the sell-side transaction tax" },
    KeySpec {
        key: "backtest.participation",
        kind: Kind::Float,
        default: "0.1",
        doc: "max fraction of a bar's volume that fills",
    },
    KeySpec { key: "backtest.slippage_ticks", kind: Kind::Int, default: "0", doc: "adverse ticks on market orders" },
    KeySpec { key: "risk.max_position_weight", kind: Kind::Decimal, default: "0.20", doc: "largest position / equity" },
    KeySpec { key: "risk.max_open_positions", kind: Kind::Int, default: "10", doc: "most stocks held at once" },
    KeySpec {
        key: "risk.max_order_notional",
        kind: Kind::Decimal,
        default: "(none)",
        doc: "largest order value in won",
    },
    KeySpec {
        key: "risk.daily_loss_limit",
        kind: Kind::Decimal,
        default: "0.03",
        doc: "daily loss / start equity that halts trading",
    },
    KeySpec { key: "risk.max_sector_weight", kind: Kind::Decimal, default: "0.40", doc: "largest sector / equity" },
    KeySpec { key: "kis.env", kind: Kind::Str, default: "paper", doc: "paper | real" },
    KeySpec {
        key: "kis.rest_url",
        kind: Kind::Str,
        default: "(KIS host of kis.env)",
        doc: "override the REST base URL",
    },
    KeySpec { key: "kis.ws_url", kind: Kind::Str, default: "(KIS host of kis.env)", doc: "override the WebSocket URL" },
    KeySpec { key: "screen.config", kind: Kind::Str, default: "(built-in)", doc: "TOML file with the screen rules" },
    KeySpec {
        key: "select.config",
        kind: Kind::Str,
        default: "(built-in)",
        doc: "TOML file with the selection factors",
    },
    KeySpec { key: "notify.lang", kind: Kind::Str, default: "ko", doc: "language of notifications: ko | en" },
    KeySpec { key: "notify.queue", kind: Kind::Int, default: "256", doc: "notifications waiting per channel" },
    KeySpec { key: "notify.max_attempts", kind: Kind::Int, default: "4", doc: "attempts before a notification fails" },
    KeySpec { key: "notify.backoff_ms", kind: Kind::Int, default: "1000", doc: "first retry delay (doubles)" },
    KeySpec {
        key: "service.dir",
        kind: Kind::Str,
        default: "~/.hantu/services",
        doc: "service registry: PID files, locks, state, service logs",
    },
    KeySpec {
        key: "service.grace_secs",
        kind: Kind::Int,
        default: "10",
        doc: "seconds a stopping service's tasks get",
    },
    KeySpec { key: "service.log_retention", kind: Kind::Int, default: "14", doc: "daily log files kept per service" },
    KeySpec { key: "sandbox.port", kind: Kind::Int, default: "18443", doc: "port of the sandbox service (127.0.0.1)" },
    KeySpec { key: "sandbox.ws_port", kind: Kind::Int, default: "18444", doc: "WebSocket port of the sandbox service" },
    KeySpec { key: "sandbox.cash", kind: Kind::Int, default: "10000000", doc: "the sandbox account's first deposit" },
    KeySpec {
        key: "sandbox.clock",
        kind: Kind::Str,
        default: "session",
        doc: "session (10:00 KST of a trading day when the sandbox starts, then wall-clock speed) | live",
    },
    KeySpec {
        key: "sandbox.trades_per_sec",
        kind: Kind::Float,
        default: "2",
        doc: "trades printed per stock per second (0: a still market)",
    },
    KeySpec { key: "schedule.default_plan", kind: Kind::Bool, default: "true", doc: "include the default day plan" },
    KeySpec {
        key: "notify.telegram.chat_id",
        kind: Kind::Str,
        default: "(channel off)",
        doc: "Telegram chat for notifications (turns the channel on)",
    },
    KeySpec { key: "api.addr", kind: Kind::Str, default: "127.0.0.1", doc: "address the HTTP API binds to" },
    KeySpec { key: "api.port", kind: Kind::Int, default: "8787", doc: "port of the HTTP API (0: any free port)" },
    KeySpec {
        key: "api.rate_per_minute",
        kind: Kind::Int,
        default: "600",
        doc: "requests per minute each API key may make",
    },
    KeySpec { key: "api.burst", kind: Kind::Int, default: "60", doc: "requests an API key may make at once" },
    KeySpec { key: "notify.telegram.min_level", kind: Kind::Str, default: "info", doc: "info | warning | critical" },
    KeySpec { key: "notify.telegram.rate_per_minute", kind: Kind::Int, default: "20", doc: "Telegram messages/min" },
    KeySpec { key: "notify.telegram.parse_mode", kind: Kind::Str, default: "html", doc: "html | markdown_v2 | plain" },
    KeySpec {
        key: "notify.telegram.api_url",
        kind: Kind::Str,
        default: "https://api.telegram.org",
        doc: "Bot API base URL",
    },
    KeySpec { key: "notify.slack.min_level", kind: Kind::Str, default: "info", doc: "Slack: least level sent" },
    KeySpec { key: "notify.slack.rate_per_minute", kind: Kind::Int, default: "20", doc: "Slack messages/min" },
    KeySpec { key: "notify.email.smtp_host", kind: Kind::Str, default: "(channel off)", doc: "SMTP server" },
    KeySpec { key: "notify.email.smtp_port", kind: Kind::Int, default: "587", doc: "SMTP port" },
    KeySpec { key: "notify.email.tls", kind: Kind::Str, default: "starttls", doc: "starttls | tls | none" },
    KeySpec { key: "notify.email.username", kind: Kind::Str, default: "(no login)", doc: "SMTP login" },
    KeySpec { key: "notify.email.from", kind: Kind::Str, default: "(none)", doc: "sender address" },
    KeySpec { key: "notify.email.to", kind: Kind::Str, default: "(none)", doc: "recipients, comma-separated" },
    KeySpec { key: "notify.email.min_level", kind: Kind::Str, default: "warning", doc: "email: least level sent" },
    KeySpec { key: "notify.email.rate_per_minute", kind: Kind::Int, default: "6", doc: "emails/min" },
    KeySpec { key: "notify.console.min_level", kind: Kind::Str, default: "info", doc: "console: least level shown" },
    KeySpec {
        key: "notify.bot.allowed_chat_ids",
        kind: Kind::Str,
        default: "(nobody)",
        doc: "chats the Telegram bot obeys, comma-separated",
    },
    KeySpec { key: "notify.bot.poll_timeout_secs", kind: Kind::Int, default: "30", doc: "bot long-poll timeout" },
];

/// Secret variables: only ever read from the environment or `.env`.
pub const SECRETS: &[(&str, &str)] = &[
    ("HANTU_KIS_APP_KEY", "KIS app key"),
    ("HANTU_KIS_APP_SECRET", "KIS app secret"),
    ("HANTU_KIS_ACCOUNT", "KIS account: 8-digit CANO, a dash, 2-digit product code (NNNNNNNN-NN)"),
    ("HANTU_KIS_HTS_ID", "KIS HTS id (condition search, order and fill notices)"),
    ("HANTU_TELEGRAM_TOKEN", "Telegram bot token"),
    ("HANTU_PG_PASSWORD", "PostgreSQL password for data.url"),
    (
        "HANTU_API_KEYS",
        "HTTP API keys: comma-separated name:role:key, role read or control (e.g. ops:control:<32 chars>)",
    ),
    ("HANTU_SLACK_WEBHOOK_URL", "Slack incoming-webhook URL"),
    ("HANTU_SMTP_PASSWORD", "SMTP password for notify.email"),
];

/// A secret value; prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value (tests; the loader builds its own).
    #[cfg(test)]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for handing to the client that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The typed configuration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Storage.
    pub data: DataSection,
    /// Logging.
    pub log: LogSection,
    /// Backtest realism.
    pub backtest: BacktestSection,
    /// Risk limits.
    pub risk: RiskLimits,
    /// KIS connection.
    pub kis: KisSection,
    /// Screen rules file.
    pub screen: FileRef,
    /// Selection rules file.
    pub select: FileRef,
    /// Notifications.
    pub notify: NotifySection,
    /// Services: registry directory, shutdown grace, log retention.
    pub service: ServiceSection,
    /// The sandbox service.
    pub sandbox: SandboxSection,
    /// The scheduler's jobs.
    pub schedule: crate::service::jobs::ScheduleSection,
    /// HTTP API.
    pub api: ApiSection,
}

/// `[service]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSection {
    /// Registry directory [default: ~/.hantu/services].
    pub dir: Option<PathBuf>,
    /// Seconds a stopping service's tasks get before they are cancelled.
    pub grace_secs: u64,
    /// Daily log files kept per service.
    pub log_retention: usize,
    /// Arguments after `hantu trade start` for the trader service [default: today's picks on paper,
    /// or sma-cross over the sandbox's stocks].
    pub trader_args: Vec<String>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self { dir: None, grace_secs: 10, log_retention: 14, trader_args: Vec::new() }
    }
}

/// `[sandbox]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSection {
    /// REST port on 127.0.0.1.
    pub port: u16,
    /// WebSocket port on 127.0.0.1.
    pub ws_port: u16,
    /// First deposit (KRW).
    pub cash: i64,
    /// `session` or `live`.
    pub clock: String,
    /// Trades printed per stock per second (0: a still market that moves only with orders).
    pub trades_per_sec: f64,
}

impl Default for SandboxSection {
    fn default() -> Self {
        Self { port: 18443, ws_port: 18444, cash: 10_000_000, clock: "session".into(), trades_per_sec: 2.0 }
    }
}

/// `[api]`: where the HTTP API listens and how fast each key may call it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSection {
    /// Address to bind (loopback by default: exposing it is a deliberate choice).
    pub addr: String,
    /// Port (0 picks a free one).
    pub port: u16,
    /// Requests per minute per key.
    pub rate_per_minute: u32,
    /// Requests a key may make at once before the rate applies.
    pub burst: u32,
}

impl Default for ApiSection {
    fn default() -> Self {
        Self { addr: "127.0.0.1".into(), port: 8787, rate_per_minute: 600, burst: 60 }
    }
}

/// `[data]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSection {
    /// Database file.
    pub db: PathBuf,
    /// Data directory.
    pub dir: PathBuf,
    /// A PostgreSQL server to use instead of the SQLite file.
    pub url: Option<DbUrl>,
}

impl Default for DataSection {
    fn default() -> Self {
        Self { db: "hantu.db".into(), dir: ".hantu".into(), url: None }
    }
}

/// A database URL: printed, logged and serialised with its password (if any) as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl(String);

impl DbUrl {
    /// The full URL, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its password.
    pub fn redacted(&self) -> String {
        hantu_core::store::PgUrl::parse(&self.0).map_or_else(|_| "(unparsable URL)".to_owned(), |u| u.to_string())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for DbUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DbUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DbUrl)
    }
}

/// `[log]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// Level or filter.
    pub level: String,
    /// Format.
    pub format: LogFormat,
    /// Write a rotated file too.
    pub file: bool,
}

impl Default for LogSection {
    fn default() -> Self {
        Self { level: "warn".into(), format: LogFormat::Human, file: false }
    }
}

/// Log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object per line.
    Json,
}

/// `[backtest]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BacktestSection {
    /// Starting cash (won).
    pub cash: i64,
    /// Commission rate.
    pub commission_rate: Decimal,
    /// Charge tax.
    pub tax: bool,
    /// Participation cap.
    pub participation: f64,
    /// Slippage ticks.
    pub slippage_ticks: u32,
}

impl Default for BacktestSection {
    fn default() -> Self {
        Self {
            cash: 100_000_000,
            commission_rate: Decimal::new(15, 5),
            tax: true,
            participation: 0.1,
            slippage_ticks: 0,
        }
    }
}

/// `[kis]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KisSection {
    /// `paper` or `real`.
    pub env: String,
    /// REST base URL override.
    pub rest_url: Option<String>,
    /// WebSocket URL override.
    pub ws_url: Option<String>,
}

impl Default for KisSection {
    fn default() -> Self {
        Self { env: "paper".into(), rest_url: None, ws_url: None }
    }
}

/// `[screen]` / `[select]`: a rules file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileRef {
    /// Path of the TOML rules.
    pub config: Option<PathBuf>,
}

/// `[notify]`: defined with the notification services.
pub use crate::service::notify::config::NotifySection;

/// A loaded configuration with the origin of every value and the secrets.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Where each key that was set came from.
    pub sources: BTreeMap<String, Source>,
    /// Secrets found.
    pub secrets: BTreeMap<&'static str, (Secret, Source)>,
    /// The configuration file read, if any.
    pub file: Option<PathBuf>,
}

impl Loaded {
    /// A secret, or an error telling where to set it.
    pub fn secret(&self, var: &'static str) -> Result<&Secret, ConfigError> {
        self.secrets.get(var).map(|(s, _)| s).ok_or_else(|| ConfigError {
            key: var.into(),
            source_desc: "environment".into(),
            message: format!(
                "missing secret: set {var} in the environment or in .env ({})",
                SECRETS.iter().find(|(v, _)| *v == var).map_or("", |(_, d)| d)
            ),
        })
    }

    /// The source of `key`.
    pub fn source(&self, key: &str) -> Source {
        self.sources.get(key).cloned().unwrap_or(Source::Default)
    }
}

/// Finds the config file: `--config`, then `HANTU_CONFIG`, then `./hantu.toml` if it exists.
fn locate(explicit: Option<&Path>, env: &BTreeMap<String, (String, Source)>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    if let Some((v, _)) = env.get("HANTU_CONFIG") {
        return Some((PathBuf::from(v), true));
    }
    let local = PathBuf::from("hantu.toml");
    local.exists().then_some((local, false))
}

/// Loads and validates the configuration.
///
/// # Errors
/// Every problem found (unreadable files, secrets in the file, unknown or malformed settings,
/// values out of range), each naming its key and where it came from.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigErrors> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut env: BTreeMap<String, (String, Source)> = BTreeMap::new();
    let dotenv = PathBuf::from(".env");
    if dotenv.exists() {
        let dotenv_err = |e: dotenvy::Error| ConfigError {
            key: ".env".into(),
            source_desc: dotenv.display().to_string(),
            message: e.to_string(),
        };
        match dotenvy::from_path_iter(&dotenv) {
            Ok(iter) => {
                for item in iter {
                    match item {
                        Ok((k, v)) if k.starts_with("HANTU_") => {
                            let src = Source::DotEnv(dotenv.clone(), k.clone());
                            env.insert(k, (v, src));
                        }
                        Ok(_) => {}
                        Err(e) => errors.push(dotenv_err(e)),
                    }
                }
            }
            Err(e) => errors.push(dotenv_err(e)),
        }
    }
    for (k, v) in std::env::vars() {
        if k.starts_with("HANTU_") {
            env.insert(k.clone(), (v, Source::Env(k)));
        }
    }
    let mut table = toml::Table::new();
    let mut sources = BTreeMap::new();
    let located = locate(explicit, &env);
    if let Some((path, required)) = &located {
        match std::fs::read_to_string(path) {
            Ok(text) => match text.parse::<toml::Table>() {
                Ok(t) => {
                    table = t;
                    for (section, secret_keys) in [
                        ("kis", &["app_key", "app_secret", "account"][..]),
                        ("notify", &["telegram_token", "bot_token", "token"][..]),
                        ("notify.telegram", &["token", "bot_token"][..]),
                        ("notify.slack", &["webhook_url", "webhook", "url"][..]),
                        ("notify.email", &["password", "smtp_password"][..]),
                    ] {
                        let mut found = Some(&mut table);
                        for part in section.split('.') {
                            found = found.and_then(|t| t.get_mut(part)).and_then(toml::Value::as_table_mut);
                        }
                        if let Some(t) = found {
                            for k in secret_keys {
                                if t.remove(*k).is_some() {
                                    errors.push(ConfigError {
                                        key: format!("{section}.{k}"),
                                        source_desc: path.display().to_string(),
                                        message: "secrets are read only from the environment or .env, never from the config file"
                                            .into(),
                                    });
                                }
                            }
                        }
                    }
                    collect_sources(&table, "", &Source::File(path.clone()), &mut sources);
                }
                Err(e) => errors.push(ConfigError {
                    key: "(file)".into(),
                    source_desc: path.display().to_string(),
                    message: syntax_error(&text, &e),
                }),
            },
            Err(e) if *required => errors.push(ConfigError {
                key: "--config".into(),
                source_desc: path.display().to_string(),
                message: format!("cannot read the configuration file: {e}"),
            }),
            Err(_) => {}
        }
    }
    let mut secrets = BTreeMap::new();
    for (var, (value, src)) in &env {
        // HANTU_TEST_* belong to the test harness (the PostgreSQL test server's URL), not to hantu.
        if var == "HANTU_CONFIG" || var.starts_with("HANTU_TEST_") {
            continue;
        }
        if let Some((name, _)) = SECRETS.iter().find(|(s, _)| s == var) {
            secrets.insert(*name, (Secret(value.clone()), src.clone()));
            continue;
        }
        let Some(spec) = KEYS.iter().find(|k| &k.env() == var) else {
            errors.push(ConfigError { key: var.clone(), source_desc: src.to_string(), message: unknown_variable(var) });
            continue;
        };
        let Some(parsed) = parse_env(spec.kind, value) else {
            errors.push(ConfigError {
                key: spec.key.into(),
                source_desc: src.to_string(),
                message: format!("{value:?} is not a valid {:?}", spec.kind).to_lowercase(),
            });
            continue;
        };
        insert_path(&mut table, spec.key, parsed);
        sources.insert(spec.key.to_owned(), src.clone());
    }
    let config = deserialize::deserialize_all(table, &sources, located.as_ref().map(|(p, _)| p), &mut errors);
    let loaded = config.map(|config| Loaded { config, sources, secrets, file: located.map(|(p, _)| p) });
    if let Some(l) = &loaded {
        validate(l, &mut errors);
    }
    // By key, so the same mistakes always print in the same order (a stable sort keeps the
    // problems of one key in the order they were found).
    errors.sort_by(|a, b| a.key.cmp(&b.key));
    match loaded {
        Some(l) if errors.is_empty() => Ok(l),
        _ => Err(ConfigErrors(errors)),
    }
}

/// The message for a `HANTU_*` variable that names no setting, with the nearest one that does.
fn unknown_variable(var: &str) -> String {
    let name = var.trim_start_matches("HANTU_");
    let known = KEYS.iter().map(KeySpec::env).chain(SECRETS.iter().map(|(v, _)| (*v).to_owned())).collect::<Vec<_>>();
    let near = deserialize::closest(name, known.iter().map(|v| v.trim_start_matches("HANTU_")));
    let hint = near.map_or_else(String::new, |n| format!(" (did you mean HANTU_{n}?)"));
    format!("unknown setting{hint}; `hantu config check` lists every key and its variable")
}

/// A TOML syntax error on one line, located by line and column. The offending line is not
/// quoted: it may hold a secret written where it does not belong.
fn syntax_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

fn validate(l: &Loaded, errors: &mut Vec<ConfigError>) {
    let c = &l.config;
    let err =
        |key: &str, message: String| ConfigError { key: key.into(), source_desc: l.source(key).to_string(), message };
    if let Err(e) = c.risk.validate() {
        errors.push(match e {
            hantu_core::Error::Config { key, message } => err(&key, message),
            other => err("risk", other.to_string()),
        });
    }
    if c.backtest.cash <= 0 {
        errors.push(err("backtest.cash", "must be positive".into()));
    }
    if !(c.backtest.participation > 0.0 && c.backtest.participation <= 1.0) {
        errors.push(err("backtest.participation", format!("{} must be in (0, 1]", c.backtest.participation)));
    }
    if c.backtest.commission_rate < Decimal::ZERO || c.backtest.commission_rate > Decimal::new(1, 2) {
        errors.push(err("backtest.commission_rate", format!("{} must be in [0, 0.01]", c.backtest.commission_rate)));
    }
    if let Some(url) = &c.data.url {
        if !hantu_core::store::postgres::is_postgres_url(url.expose()) {
            errors.push(err("data.url", format!("{url} must start with postgres:// (data.db names a SQLite file)")));
        } else {
            match hantu_core::store::PgUrl::parse(url.expose()) {
                Err(e) => errors.push(err("data.url", e.to_string())),
                Ok(u) if u.has_password() && matches!(l.source("data.url"), Source::File(_)) => {
                    errors.push(err(
                        "data.url",
                        "the password must not be in the config file; set HANTU_PG_PASSWORD in the environment or .env"
                            .into(),
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    if !matches!(c.sandbox.clock.as_str(), "session" | "live") {
        errors.push(err("sandbox.clock", format!("{:?} must be session or live", c.sandbox.clock)));
    }
    if !(c.sandbox.trades_per_sec.is_finite() && (0.0..=1000.0).contains(&c.sandbox.trades_per_sec)) {
        errors.push(err("sandbox.trades_per_sec", format!("{} must be within 0..=1000", c.sandbox.trades_per_sec)));
    }
    if c.sandbox.cash <= 0 {
        errors.push(err("sandbox.cash", "must be positive".into()));
    }
    if let Err(e) = crate::service::jobs::load(l) {
        errors.push(e);
    }
    errors.extend(crate::service::notify::config::validate(l));
    if !matches!(c.kis.env.as_str(), "paper" | "real") {
        errors.push(err("kis.env", format!("{:?} must be paper or real", c.kis.env)));
    }
    if c.log.level.parse::<tracing_subscriber::EnvFilter>().is_err() {
        errors.push(err("log.level", format!("{:?} is not a level or filter", c.log.level)));
    }
    if c.api.addr.parse::<std::net::IpAddr>().is_err() {
        errors.push(err("api.addr", format!("{:?} is not an IP address", c.api.addr)));
    }
    if c.api.rate_per_minute == 0 {
        errors.push(err("api.rate_per_minute", "must be at least 1".into()));
    }
    if c.api.burst == 0 {
        errors.push(err("api.burst", "must be at least 1".into()));
    }
    if let Some((s, src)) = l.secrets.get("HANTU_API_KEYS") {
        if let Err(e) = crate::service::api::KeyRing::parse(s.expose()) {
            errors.push(ConfigError {
                key: "HANTU_API_KEYS".into(),
                source_desc: src.to_string(),
                message: e.to_string(),
            });
        }
    }
    if let Some((s, src)) = l.secrets.get("HANTU_KIS_ACCOUNT") {
        let v = s.expose();
        let ok = v.len() == 11
            && v.as_bytes()[8] == b'-'
            && v.bytes().enumerate().all(|(i, b)| i == 8 || b.is_ascii_digit());
        if !ok {
            errors.push(ConfigError {
                key: "HANTU_KIS_ACCOUNT".into(),
                source_desc: src.to_string(),
                message: "must be 8 digits, '-', 2 digits (value not shown)".into(),
            });
        }
    }
}

fn collect_sources(t: &toml::Table, prefix: &str, src: &Source, out: &mut BTreeMap<String, Source>) {
    for (k, v) in t {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(inner) => collect_sources(inner, &key, src, out),
            _ => {
                out.insert(key, src.clone());
            }
        }
    }
}

fn parse_env(kind: Kind, v: &str) -> Option<toml::Value> {
    let v = v.trim();
    Some(match kind {
        Kind::Str => toml::Value::String(v.to_owned()),
        Kind::Int => toml::Value::Integer(v.parse().ok()?),
        Kind::Float => toml::Value::Float(v.parse().ok()?),
        Kind::Decimal => {
            v.parse::<Decimal>().ok()?;
            toml::Value::String(v.to_owned())
        }
        Kind::Bool => toml::Value::Boolean(match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => return None,
        }),
    })
}

fn insert_path(t: &mut toml::Table, key: &str, v: toml::Value) {
    let mut parts = key.split('.').peekable();
    let mut cur = t;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_owned(), v);
            return;
        }
        let entry = cur.entry(p.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else { return };
        cur = next;
    }
}
