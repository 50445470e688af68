//! Domain types: validated values that every other module speaks in.
//!
//! Prices are whole won ([`Price`]), money is exact ([`Money`], `rust_decimal`), quantities
//! are share counts ([`Qty`]). Constructors named `new_checked` return a [`ValidationError`];
//! `new` panics and is for values known to be valid.

mod bar;
mod code;
mod fill;
mod fundamentals;
mod instrument;
mod money;
mod order;
mod portfolio;
mod position;
mod price;
mod time;
mod validation;

pub use bar::{Bar, Quote, Tick, Timeframe};
pub use code::{ClientOrderId, StockCode};
pub use fill::Fill;
pub use fundamentals::Fundamentals;
pub use instrument::{Instrument, InstrumentKind, Market};
pub use money::Money;
pub use order::{Order, OrderKind, OrderRequest, OrderStatus, Side, TimeInForce};
pub use portfolio::Portfolio;
pub use position::Position;
pub use price::{Price, Qty};
pub use time::{KST_OFFSET_SECS, Timestamp};
pub use validation::ValidationError;
