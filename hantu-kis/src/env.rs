//! Real and paper environments: one switch selecting hosts, tr_id variants, limits and which
//! endpoints exist (../shared/kis/KIS_API.md §1).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Real-account REST host.
pub const REAL_REST_URL: &str = "https://openapi.koreainvestment.com:9443";
/// Paper-trading (VTS) REST host.
pub const PAPER_REST_URL: &str = "https://openapivts.koreainvestment.com:29443";
/// Real-account WebSocket host.
pub const REAL_WS_URL: &str = "ws://ops.koreainvestment.com:21000";
/// Paper-trading WebSocket host.
pub const PAPER_WS_URL: &str = "ws://ops.koreainvestment.com:31000";

/// Documented REST quota of a real account, requests per second per app key.
pub const REAL_REQUESTS_PER_SEC: u32 = 20;
/// Documented REST quota of a paper account, requests per second per app key.
pub const PAPER_REQUESTS_PER_SEC: u32 = 2;
/// Fraction of the documented quota the client uses, leaving room for clock jitter.
pub const RATE_SAFETY_MARGIN: f64 = 0.97;

/// A KIS environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Real account (실전).
    Real,
    /// Paper trading (모의투자, VTS).
    Paper,
}

impl Environment {
    /// Default REST base URL.
    #[must_use]
    pub const fn rest_url(self) -> &'static str {
        match self {
            Environment::Real => REAL_REST_URL,
            Environment::Paper => PAPER_REST_URL,
        }
    }

    /// Default WebSocket URL.
    #[must_use]
    pub const fn ws_url(self) -> &'static str {
        match self {
            Environment::Real => REAL_WS_URL,
            Environment::Paper => PAPER_WS_URL,
        }
    }

    /// Documented requests per second per app key.
    #[must_use]
    pub const fn requests_per_sec(self) -> u32 {
        match self {
            Environment::Real => REAL_REQUESTS_PER_SEC,
            Environment::Paper => PAPER_REQUESTS_PER_SEC,
        }
    }

    /// The rate the client paces itself at: the quota times [`RATE_SAFETY_MARGIN`].
    #[must_use]
    pub fn client_rate(self) -> f64 {
        f64::from(self.requests_per_sec()) * RATE_SAFETY_MARGIN
    }

    /// Lower-case name (`real`, `paper`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Real => "real",
            Environment::Paper => "paper",
        }
    }

    /// Selects the tr_id for this environment: `real` as is, or `paper` (None = not offered on paper).
    #[must_use]
    pub const fn tr_id(self, real: &'static str, paper: Option<&'static str>) -> Option<&'static str> {
        match self {
            Environment::Real => Some(real),
            Environment::Paper => paper,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Environment {
    type Err = crate::KisError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "real" | "live" => Ok(Environment::Real),
            "paper" | "vts" | "demo" => Ok(Environment::Paper),
            other => Err(crate::KisError::Config(format!("unknown environment {other:?} (expected real or paper)"))),
        }
    }
}
