//! # hantu-core
//!
//! The pure core of hantu, a trading engine for Korean equities (KOSPI, KOSDAQ, KONEX):
//! domain types, KRX rules, indicators, screening and selection, risk, the engine, the
//! simulated market, backtests and the store. No network code lives here; I/O sits behind
//! the [`broker::Broker`], [`data::MarketData`], [`store::Store`], [`notify::Notifier`] and
//! [`clock::Clock`] traits.
//!
//! | module | holds |
//! |---|---|
//! | [`domain`] | `StockCode`, `Price`, `Money`, `Qty`, orders, fills, positions, portfolio, bars |
//! | [`krx`] | tick sizes, price limits, sessions, holidays, tax and commission, by date |
//! | [`indicators`] | TA-Lib-exact indicators, batch and streaming |
//! | [`io`] | CSV files of daily bars, instruments and fundamentals |
//! | [`screen`] | phase 1: the universe as of a date → a ranked, explained watchlist |
//! | [`select`] | phase 2: watchlist → daily picks with class, confidence, levels and size |
//! | [`realtime`] | live feed events, the `Feed` port, and the bar builder (ticks to bars on KRX session edges) |
//! | [`control`] | the trader's pause / resume / stop flag, shared by every process through the store |
//! | [`schedule`] | triggers on the KRX calendar (interval, cron in KST), coalesce, misfire grace, job runs |
//! | [`pipeline`] | screen → select → trade, day by day over history, no look-ahead |
//! | [`strategy`] | the `Strategy` trait and its `Context` |
//! | [`broker`], [`data`], [`clock`], [`notify`], [`store`] | the ports to the outside |
//! | [`sim`] | the simulated market, `SimBroker` for backtests, `PaperBroker` for paper trading |
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `sqlite` | yes | the SQLite store |
//! | `testing` | no | `broker::contract`: the contract every `Broker` implementation must meet |

pub mod backtest;
pub mod broker;
pub mod clock;
pub mod control;
pub mod data;
pub mod domain;
pub mod engine;
mod error;
pub mod indicators;
pub mod io;
pub mod krx;
pub mod learn;
pub mod notify;
pub mod pipeline;
pub mod realtime;
pub mod risk;
pub mod schedule;
pub mod screen;
pub mod select;
pub mod sim;
pub mod store;
pub mod strategies;
pub mod strategy;

pub use error::{Error, Result};
