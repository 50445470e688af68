//! The crate's error type.

use std::path::PathBuf;

use crate::domain::ValidationError;

/// Result alias for hantu-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure hantu-core reports. Each variant says what went wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value failed validation (bad code, zero quantity, NaN price, off-tick price...).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A data file or stream could not be read or is malformed.
    #[error("{path}:{line}: {message}")]
    Data {
        /// The file (or source name) that held the bad item.
        path: PathBuf,
        /// 1-based line number, 0 when not line-oriented.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// An I/O error with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A configuration value is missing or invalid.
    #[error("config: {key}: {message}")]
    Config {
        /// Dotted key path, e.g. `risk.max_position_weight`.
        key: String,
        /// What was wrong with it.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The broker failed.
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
    /// An order state transition that the order state machine forbids.
    #[error("illegal order transition {from:?} -> {to:?} for {client_id}")]
    IllegalTransition {
        /// The order.
        client_id: crate::domain::ClientOrderId,
        /// Current state.
        from: crate::domain::OrderStatus,
        /// Requested state.
        to: crate::domain::OrderStatus,
    },
    /// An indicator could not be computed on the given input.
    #[error(transparent)]
    Indicator(#[from] crate::indicators::IndicatorError),
}

impl Error {
    /// A data error for `path` at `line`.
    pub fn data(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Self::Data { path: path.into(), line, message: message.into() }
    }

    /// A configuration error for `key`.
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config { key: key.into(), message: message.into() }
    }
}
