//! The crate's error type and its classification (retryable / rate-limited / auth / fatal).

use std::path::PathBuf;
use std::time::Duration;

use crate::env::Environment;
use crate::parse::ParseError;

/// Result alias for hantu-kis.
pub type Result<T, E = KisError> = std::result::Result<T, E>;

/// How a failed transport attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be made: the request never reached the server.
    Connect,
    /// No (complete) answer within the timeout: the server may have processed the request.
    Timeout,
    /// The connection broke while the answer was being read.
    Body,
    /// Anything else.
    Other,
}

/// What a caller should do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient: a read may be retried after a backoff.
    Retryable,
    /// The per-second quota was exceeded (`EGW00201`, `EGW00215`): back off, then retry reads.
    RateLimited,
    /// The token or credentials were refused.
    Auth,
    /// Retrying will not help (business rejection, malformed reply, unsupported call).
    Fatal,
}

/// Every failure hantu-kis reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KisError {
    /// KIS answered with its envelope and `rt_cd` other than `"0"`.
    #[error("KIS {endpoint} ({tr_id}) refused: [{msg_cd}] {msg} (rt_cd {rt_cd}, HTTP {status})")]
    Api {
        /// Endpoint name, e.g. `order-cash`.
        endpoint: &'static str,
        /// The tr_id sent.
        tr_id: &'static str,
        /// HTTP status.
        status: u16,
        /// KIS `rt_cd`.
        rt_cd: String,
        /// KIS `msg_cd`.
        msg_cd: String,
        /// KIS `msg1`, trimmed.
        msg: String,
    },
    /// The OAuth endpoints refused (`error_code` / `error_description` shape).
    #[error("KIS token endpoint refused: [{code}] {description} (HTTP {status})")]
    Token {
        /// HTTP status.
        status: u16,
        /// `error_code`, e.g. `EGW00133`.
        code: String,
        /// `error_description`.
        description: String,
    },
    /// The HTTP exchange itself failed.
    #[error("transport error calling {endpoint} ({kind:?}): {message}")]
    Transport {
        /// Endpoint name.
        endpoint: &'static str,
        /// How it failed.
        kind: TransportKind,
        /// Description from the HTTP stack (never contains secrets: headers are not printed).
        message: String,
    },
    /// A non-success HTTP status without a KIS envelope (a gateway or proxy failure).
    #[error("HTTP {status} from {endpoint} without a KIS envelope")]
    Http {
        /// Endpoint name.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// A reply could not be parsed; names the field.
    #[error("malformed reply from {endpoint}: {source}")]
    Parse {
        /// Endpoint name.
        endpoint: &'static str,
        /// What was wrong.
        source: ParseError,
    },
    /// The endpoint does not exist on this environment (e.g. real-only TRs on paper).
    #[error("{endpoint} is not offered on the {env} environment")]
    Unsupported {
        /// Endpoint name.
        endpoint: &'static str,
        /// The environment.
        env: Environment,
    },
    /// The circuit breaker is open after repeated failures; no request was sent.
    #[error("KIS circuit open after repeated failures; retry in {retry_in:?}")]
    CircuitOpen {
        /// Time until a probe request is allowed.
        retry_in: Duration,
    },
    /// Configuration is missing or invalid.
    #[error("config: {0}")]
    Config(String),
    /// The token cache file could not be read or written.
    #[error("token cache {path}: {source}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A paginated query did not end within the page limit.
    #[error("{endpoint}: more than {pages} pages; stopping")]
    TooManyPages {
        /// Endpoint name.
        endpoint: &'static str,
        /// The limit.
        pages: usize,
    },
}

/// KIS message codes with a meaning the client acts on.
pub mod codes {
    /// Per-appkey requests per second exceeded.
    pub const RATE_LIMIT: &str = "EGW00201";
    /// Ledger-wide requests per second exceeded.
    pub const LEDGER_RATE_LIMIT: &str = "EGW00215";
    /// Invalid token.
    pub const TOKEN_INVALID: &str = "EGW00121";
    /// Token not found.
    pub const TOKEN_NOT_FOUND: &str = "EGW00122";
    /// Expired token.
    pub const TOKEN_EXPIRED: &str = "EGW00123";
    /// Token issued more than once a minute.
    pub const TOKEN_TOO_SOON: &str = "EGW00133";
    /// Temporary error.
    pub const TEMPORARY: &str = "EGW00001";
    /// Server error.
    pub const SERVER_ERROR: &str = "EGW00002";
    /// Gateway routing error.
    pub const ROUTING: &str = "EGW00300";
    /// Gateway connection timeout ("check the last trade").
    pub const GATEWAY_TIMEOUT: &str = "EGW00301";
    /// Gateway transaction timeout ("check the last trade").
    pub const GATEWAY_TX_TIMEOUT: &str = "EGW00302";
}

impl KisError {
    /// How the caller should treat this error.
    #[must_use]
    pub fn class(&self) -> ErrorClass {
        match self {
            KisError::Api { msg_cd, status, .. } => match msg_cd.as_str() {
                codes::RATE_LIMIT | codes::LEDGER_RATE_LIMIT => ErrorClass::RateLimited,
                codes::TOKEN_INVALID | codes::TOKEN_NOT_FOUND | codes::TOKEN_EXPIRED => ErrorClass::Auth,
                codes::TEMPORARY | codes::SERVER_ERROR | codes::ROUTING => ErrorClass::Retryable,
                c if c.starts_with("EGW001") || c.starts_with("EGW002") => ErrorClass::Auth,
                _ if *status >= 500 && msg_cd.starts_with("EGW003") => ErrorClass::Retryable,
                _ => ErrorClass::Fatal,
            },
            KisError::Token { code, .. } if code == codes::TOKEN_TOO_SOON => ErrorClass::RateLimited,
            KisError::Token { .. } => ErrorClass::Auth,
            KisError::Transport { .. } => ErrorClass::Retryable,
            KisError::Http { status, .. } if *status >= 500 || *status == 429 => ErrorClass::Retryable,
            _ => ErrorClass::Fatal,
        }
    }

    /// The KIS `msg_cd`, if KIS sent one.
    #[must_use]
    pub fn msg_cd(&self) -> Option<&str> {
        match self {
            KisError::Api { msg_cd, .. } => Some(msg_cd),
            KisError::Token { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the server may have acted on the request although no answer was read:
    /// timeouts, broken connections and gateway failures after the request was sent.
    #[must_use]
    pub fn outcome_unknown(&self) -> bool {
        match self {
            KisError::Transport { kind, .. } => *kind != TransportKind::Connect,
            KisError::Http { status, .. } => *status >= 500,
            KisError::Api { msg_cd, .. } => {
                msg_cd == codes::GATEWAY_TIMEOUT || msg_cd == codes::GATEWAY_TX_TIMEOUT || msg_cd == codes::TEMPORARY
            }
            KisError::Parse { .. } => true,
            _ => false,
        }
    }
}
