//! The simulated KRX market: a deterministic, seeded universe that needs no real data, and a
//! broker that trades against bars.
//!
//! [`SimMarket::generate`] draws a universe (default 2,875 stocks over 500 trading days) with
//! KOSPI, KOSDAQ and a few KONEX listings, 22 KRX industry sectors, daily bars on the real KRX
//! trading calendar, and fundamentals. Prices follow a market factor with calm and turbulent
//! regimes, sector factors, GARCH idiosyncratic noise, jumps, and three styles (random walk,
//! trending, mean-reverting); every price is on the tick grid of its day and inside the ±30%
//! (KONEX ±15%) limits from the previous close. [`SimMarket::minute_bars`] expands any
//! stock-day into one-minute bars that aggregate back to the daily bar.
//!
//! Determinism: the random numbers come from xoshiro256** keyed by `(seed, purpose, stock,
//! day)`, and the few transcendental functions are computed from basic IEEE operations, so the
//! same [`SimConfig`] gives the same bytes on any machine and any number of threads.

mod broker;
mod config;
mod daily;
mod factors;
mod fundamentals;
mod market;
mod math;
mod minute;
mod names;
mod paper;
mod rng;
mod sectors;
mod universe;
mod ziggurat;

pub use broker::{SimBroker, SimBrokerConfig, SimEvent};
pub use config::SimConfig;
pub use market::SimMarket;
pub use paper::PaperBroker;
