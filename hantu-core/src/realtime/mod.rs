//! Real time: the events a live feed delivers (KIS WebSocket, the local KIS server, a replay) and the
//! [`Feed`] port that delivers them. Sources live outside the core (`hantu-kis`); what turns events into
//! decisions (bar building, the trader) lives here, so live and backtest read the same bars.

mod bars;
mod event;
mod feed;

pub use bars::{BarBuilder, resample_minutes};
pub use event::{Book, BookLevel, ExecutionNotice, FeedEvent, Gap, NoticeKind, Trade};
pub use feed::{Channel, Feed, FeedError, Subscription};
