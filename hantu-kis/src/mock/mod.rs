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
//! | WebSocket port | its own listener ([`MockServer::ws_url`]), any path |
//! | `OPSP8996` on a second session | sent on its first request with `tr_id` `(null)`, `rt_cd` `9`, then that connection is closed |
//! | notices with a wrong HTS id | refused with `OPSP8992` (KIS is reported to accept and stay silent) |
//! | unknown real-time tr_id / stock code | `OPSP8991` / `OPSP8992` |
//! | PINGPONG interval | 20 s ([`WsConfig::ping_interval`]); echoes as text or pong frames are both accepted, missing echoes are tolerated |
//! | trade frames | only trades after the registration; up to [`WsConfig::max_batch`] records per frame |
//! | trades with a tape | continuous session only; own fills are part of the tape's volume |
//!
//! ## Real time
//!
//! [`MockConfig::with_tape`] makes the market move: each stock's trades are a deterministic
//! path from a seed at a set rate in server-clock time ([`TapeConfig`]), so a test drives
//! time by moving its [`hantu_core::clock::SimClock`] and gets exactly the trades of that
//! span — over WebSocket (multi-record H0STCNT0 frames, H0STASP0 books), over REST
//! (inquire-ccnl, today's inquire-time-itemchartprice) and from [`MockServer::trades`] /
//! [`MockServer::minute_bars`]. Orders match against the tape; acknowledgements and fills go
//! out as encrypted H0STCNI0/H0STCNI9 notices and are listed by [`MockServer::fills`].
//! [`WsFault`]s break the socket on demand.
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
mod realtime;
mod server;
mod state;
mod tape;
mod trading;
mod wire;
mod ws_session;

pub use clock::ShiftedClock;
pub use market::{DayStats, MockListing, MockMarket};
pub use persist::{MockSnapshot, SNAPSHOT_VERSION, SnapshotError};
pub use realtime::{MockFill, WsFault};
pub use server::{MockDomains, MockServer};
pub use state::{Fault, FaultRule, MockConfig, MockStats, WsConfig};
pub use tape::{MockTrade, TapeConfig};
pub use trading::{PAPER_BRANCH, REAL_BRANCH, UNCONFIRMED};
pub use wire::pad80;
