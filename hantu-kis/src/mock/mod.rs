//! The local KIS server (feature `mock`): an axum server on 127.0.0.1 speaking KIS's wire
//! format over a simulated market.
//!
//! It enforces the token rules (same token within 6 h, `EGW00133` within 60 s of the last
//! issuance, expiry → `EGW00123`), the per-key rate limit (`EGW00201`), tr_ids per
//! environment ("모의투자 TR 이 아닙니다." for real-only TRs on paper), validates orders
//! (account, tick grid, price band, session, cash, holdings), matches working orders against
//! the market price, reports fills through inquire-daily-ccld and inquire-balance, pages with
//! `tr_cont`, and injects faults per test ([`Fault`]). Replies start from the golden samples
//! in `test_data/`, so they carry KIS's full key sets. Its clock is injectable.
//!
//! Choices where the references are silent (documented in ../shared/kis/KIS_API.md as
//! UNCONFIRMED), so tests do not mistake them for facts:
//!
//! | case | what the local server sends |
//! |---|---|
//! | msg_cd of "모의투자 TR 이 아닙니다.", tick-grid, price-band, quantity, nothing-to-cancel and holdings rejections | `UNCONFIRMED` (as the reference samples do), with KIS's message text |
//! | `tr_cont` letters | `F` first page with more, `M` middle, `D` last (also single) page |
//! | ctx cursors | fk: request echo padded to 100; nk: next row offset padded to 100, blank on the last page |
//! | chk-holiday page size | 20 days, two pages |
//! | hashkey algorithm | four FNV-1a lanes (64 hex digits), stable per body |
//! | market orders | fill at the current price; limit orders fill at the current price once it crosses |
//! | settlement | cash and holdings move at the fill (D+2 settlement is not simulated) |
//! | matching | continuous session only (09:00–15:20 KST); auctions collect orders without matching |
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use hantu_kis::Environment;
//! use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
//! let today = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
//! let server = MockServer::start(MockConfig::new(Environment::Paper, MockMarket::fixture(today))).await?;
//! println!("local KIS at {}", server.base_url());
//! # Ok(()) }
//! ```

mod account;
mod clock;
mod info;
mod market;
mod persist;
mod quotes;
mod server;
mod state;
mod trading;
mod wire;

pub use clock::ShiftedClock;
pub use market::{DayStats, MockListing, MockMarket};
pub use persist::{MockSnapshot, SNAPSHOT_VERSION, SnapshotError};
pub use server::MockServer;
pub use state::{Fault, FaultRule, MockConfig, MockStats};
pub use trading::{PAPER_BRANCH, REAL_BRANCH, UNCONFIRMED};
pub use wire::pad80;
