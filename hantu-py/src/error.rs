//! The Python exception hierarchy and the mapping from the Rust error enums.
//!
//! ```text
//! HantuError
//! ├── ValidationError      a value or parameter was refused (bad code, period 0, NaN price...)
//! ├── ConfigError          a configuration key is missing or invalid (names the key)
//! ├── DataError            a data file or frame is unreadable or malformed (names file and line)
//! ├── BrokerError          the broker failed or refused
//! │   └── RateLimitError   too many requests; back off and retry
//! ├── StoreError           the database failed
//! └── EngineError          the engine refused a state change
//! ```

use hantu_core::broker::BrokerError as CoreBrokerError;
use hantu_core::domain::ValidationError as CoreValidationError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{PyErr, create_exception};

create_exception!(hantu, HantuError, PyException, "Base class of every error hantu raises.");
create_exception!(
    hantu,
    ValidationError,
    HantuError,
    "A value or parameter was refused (bad stock code, non-positive period, NaN price...)."
);
create_exception!(
    hantu,
    ConfigError,
    HantuError,
    "A configuration key is missing or invalid; the message names the key."
);
create_exception!(hantu, DataError, HantuError, "Data could not be read or is malformed; the message names where.");
create_exception!(hantu, BrokerError, HantuError, "The broker failed or refused a request.");
create_exception!(hantu, RateLimitError, BrokerError, "The broker is rate limiting requests; back off and retry.");
create_exception!(hantu, StoreError, HantuError, "The database failed.");
create_exception!(hantu, EngineError, HantuError, "The engine refused a state change.");

/// Converts a core error into the Python exception of the matching class, keeping the message.
pub(crate) fn core_err(e: hantu_core::Error) -> PyErr {
    use hantu_core::Error as E;
    let msg = e.to_string();
    match e {
        E::Validation(_) | E::Indicator(_) => ValidationError::new_err(msg),
        E::Data { .. } | E::Io { .. } => DataError::new_err(msg),
        E::Config { .. } => ConfigError::new_err(msg),
        E::Store(_) => StoreError::new_err(msg),
        E::Broker(b) => broker_err(&b),
        _ => EngineError::new_err(msg),
    }
}

/// A validation error as a Python `ValidationError`.
pub(crate) fn validation_err(e: &CoreValidationError) -> PyErr {
    ValidationError::new_err(e.to_string())
}

/// A broker error as `RateLimitError` or `BrokerError`.
pub(crate) fn broker_err(e: &CoreBrokerError) -> PyErr {
    match e {
        CoreBrokerError::RateLimited(_) => RateLimitError::new_err(e.to_string()),
        _ => BrokerError::new_err(e.to_string()),
    }
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("HantuError", py.get_type::<HantuError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("BrokerError", py.get_type::<BrokerError>())?;
    m.add("RateLimitError", py.get_type::<RateLimitError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("EngineError", py.get_type::<EngineError>())?;
    Ok(())
}
