//! Typed REST endpoints.
//!
//! Each KIS endpoint is one type implementing [`KisRequest`]: its path, method, tr_id per
//! environment (`None` where the environment lacks the endpoint), parameters and the typed
//! [`FromKis`] response. [`crate::KisClient`] sends them. Raw calls are named after the
//! endpoint (`InquirePrice`), domain calls live in [`crate::broker`].

mod account;
pub mod client;
mod info;
mod orders;
mod quotations;

pub use account::*;
pub use info::*;
pub use orders::*;
pub use quotations::*;

use crate::env::Environment;
use crate::parse::{Obj, ParseError};

/// HTTP method of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    /// Parameters in the query string.
    Get,
    /// Parameters as a JSON body of upper-case keys and string values.
    Post,
}

/// Whether a request may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// Safe to repeat.
    Read,
    /// Changes state at the broker: never retried after it may have been received.
    Order,
}

/// Names of the paging keys of an endpoint (§3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagingKeys {
    /// Request parameter carrying the fk cursor.
    pub req_fk: &'static str,
    /// Request parameter carrying the nk cursor.
    pub req_nk: &'static str,
    /// Reply field carrying the fk cursor.
    pub resp_fk: &'static str,
    /// Reply field carrying the nk cursor.
    pub resp_nk: &'static str,
}

/// The usual 100-wide paging keys.
pub const PAGING_100: PagingKeys = PagingKeys {
    req_fk: "CTX_AREA_FK100",
    req_nk: "CTX_AREA_NK100",
    resp_fk: "ctx_area_fk100",
    resp_nk: "ctx_area_nk100",
};

/// chk-holiday's paging keys (no width suffix).
pub const PAGING_PLAIN: PagingKeys =
    PagingKeys { req_fk: "CTX_AREA_FK", req_nk: "CTX_AREA_NK", resp_fk: "ctx_area_fk", resp_nk: "ctx_area_nk" };

/// A typed reply body.
pub trait FromKis: Sized {
    /// Parses the reply (envelope already checked).
    ///
    /// # Errors
    /// [`ParseError`] naming the bad field.
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError>;
}

/// A reply whose pages can be concatenated.
pub trait Paged: FromKis {
    /// Appends the rows of the next page (summary fields are taken from the last page).
    fn append(&mut self, next: Self);
}

/// One KIS endpoint call.
pub trait KisRequest: Send + Sync {
    /// Typed reply.
    type Response: FromKis + Send;
    /// Endpoint name for logs and errors.
    const NAME: &'static str;
    /// URL path.
    const PATH: &'static str;
    /// Method.
    const METHOD: HttpMethod;
    /// Read or order.
    const KIND: RequestKind = RequestKind::Read;
    /// Paging keys, for tr_cont-paginated endpoints.
    const PAGING: Option<PagingKeys> = None;

    /// tr_id on `env`, or `None` if the endpoint does not exist there.
    fn tr_id(&self, env: Environment) -> Option<&'static str>;

    /// Parameters (without paging keys), upper-case names, string values.
    fn params(&self) -> Vec<(&'static str, String)>;
}

/// Where the next page starts: the reply's ctx strings, passed back verbatim.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// fk cursor.
    pub fk: String,
    /// nk cursor.
    pub nk: String,
}

/// One page of a reply.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The rows.
    pub data: T,
    /// Cursor for the next page, when the server said more rows remain (`tr_cont` `F`/`M`).
    pub next: Option<Cursor>,
}

/// The `rt_cd`/`msg_cd`/`msg1` envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `"0"` on success.
    pub rt_cd: String,
    /// Message code.
    pub msg_cd: String,
    /// Message, trimmed of its padding.
    pub msg: String,
}

impl Envelope {
    /// Reads the envelope of a reply body.
    ///
    /// # Errors
    /// If `rt_cd` is missing.
    pub fn parse(o: Obj<'_>) -> Result<Self, ParseError> {
        Ok(Self {
            rt_cd: o.str("rt_cd")?.to_owned(),
            msg_cd: o.str_opt("msg_cd")?.unwrap_or_default().to_owned(),
            msg: o.str_opt("msg1")?.unwrap_or_default().to_owned(),
        })
    }
}

/// Order-side code used by request bodies and inquiry filters.
#[must_use]
pub const fn side_code(side: hantu_core::domain::Side) -> &'static str {
    match side {
        hantu_core::domain::Side::Sell => "01",
        hantu_core::domain::Side::Buy => "02",
    }
}
