//! # hantu-kis
//!
//! The Korea Investment & Securities (KIS) Open API adapter for hantu, and a faithful local
//! KIS server to develop and test against. The wire reference is `../shared/kis/KIS_API.md`.
//!
//! | module | holds |
//! |---|---|
//! | [`env`](mod@env) | `Environment::{Real, Paper}`: hosts, tr_id variants, quotas |
//! | [`auth`] | credentials (redacted), access token (memory + 0600 file), approval key |
//! | [`rest`] | [`KisClient`] and one typed request per endpoint |
//! | [`parse`], [`json`] | KIS string numbers to domain types, errors naming the field; borrowed JSON |
//! | [`ratelimit`], [`retry`], [`breaker`] | pacing per app key, read retries, circuit breaker |
//! | [`broker`] | [`KisBroker`]: `hantu_core::broker::Broker` + `hantu_core::data::MarketData` |
//! | [`refresh`] | full-universe daily-bar download at the rate limit |
//! | [`calllog`] | the per-call hook (endpoint, tr_id, latency, outcome) |
//! | [`ws`] | real time: wire formats, and [`ws::KisFeed`] (budgeted subscriptions, reconnect, gap-fill) behind `Feed` |
//! | [`mock`] | the local KIS server (feature `mock`) |
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `mock` | yes | [`mock`]: an axum server on 127.0.0.1 speaking KIS's wire format |
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use hantu_core::data::MarketData;
//! use hantu_kis::auth::{AccountNo, Credential};
//! use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};
//!
//! let config = KisConfig::new(Environment::Paper, Credential::from_env()?)
//!     .with_account(AccountNo::from_env()?)
//!     .with_token_cache("kis-token.json"); // 0600, reused across restarts
//! let broker = KisBroker::new(KisClient::new(config)?)?;
//! let quote = broker.quote("005930".parse()?).await?;
//! println!("{}", quote.last);
//! # Ok(()) }
//! ```

pub mod auth;
pub mod breaker;
pub mod broker;
pub mod calllog;
mod config;
pub mod env;
mod error;
pub mod json;
#[cfg(feature = "mock")]
pub mod mock;
pub mod parse;
pub mod ratelimit;
pub mod refresh;
pub mod rest;
pub mod retry;
pub mod ws;

pub use broker::KisBroker;
pub use config::KisConfig;
pub use env::Environment;
pub use error::{ErrorClass, KisError, Result, TransportKind, codes};
pub use rest::client::KisClient;
