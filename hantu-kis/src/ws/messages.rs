//! JSON control messages: the subscribe request we send and what the server answers.

use serde_json::{Value, json};

use crate::auth::Secret;
use crate::json::Json;
use crate::parse::{Obj, ParseError};

/// A (un)subscribe request (§7.2). The approval key prints redacted.
#[derive(Clone, Debug)]
pub struct SubscribeRequest {
    /// Approval key from `/oauth2/Approval`.
    pub approval_key: Secret,
    /// `P` individual.
    pub custtype: String,
    /// Subscribe (`tr_type` `1`) or unsubscribe (`2`).
    pub subscribe: bool,
    /// Real-time TR, e.g. `H0STCNT0`.
    pub tr_id: String,
    /// Stock code, or the HTS id for order notices.
    pub tr_key: String,
}

impl SubscribeRequest {
    /// The text frame to send.
    #[must_use]
    pub fn to_text(&self) -> String {
        json!({
            "header": {
                "approval_key": self.approval_key.expose(),
                "custtype": self.custtype,
                "tr_type": if self.subscribe { "1" } else { "2" },
                "content-type": "utf-8",
            },
            "body": {"input": {"tr_id": self.tr_id, "tr_key": self.tr_key}},
        })
        .to_string()
    }

    /// Parses a request (what a server reads).
    ///
    /// # Errors
    /// [`ParseError`] naming the missing or bad field.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let v: Value = serde_json::from_str(text).map_err(|_| ParseError::body(text, "not JSON"))?;
        let root = Obj::root(&v)?;
        let h = root.obj("header")?;
        let input = root.obj("body")?.obj("input")?;
        let subscribe = match h.str("tr_type")? {
            "1" => true,
            "2" => false,
            other => {
                return Err(ParseError {
                    field: "header.tr_type".into(),
                    value: other.into(),
                    reason: "expected 1 or 2",
                });
            }
        };
        Ok(Self {
            approval_key: Secret::new(h.str("approval_key")?),
            custtype: h.str("custtype")?.to_owned(),
            subscribe,
            tr_id: input.str("tr_id")?.to_owned(),
            tr_key: input.str("tr_key")?.to_owned(),
        })
    }
}

/// A JSON control reply (§7.3, §7.6): ack, error, with the AES key/iv of the session.
#[derive(Clone, PartialEq, Eq)]
pub struct Control {
    /// `header.tr_id`.
    pub tr_id: String,
    /// `header.tr_key`.
    pub tr_key: String,
    /// `header.encrypt` = `Y`: data frames of this TR are encrypted.
    pub encrypted: bool,
    /// `body.rt_cd` (`0` success; `1`/`9` errors).
    pub rt_cd: String,
    /// `body.msg_cd` (`OPSP0000` subscribed, `OPSP0001` unsubscribed, `OPSP0002`...).
    pub msg_cd: String,
    /// `body.msg1`.
    pub msg: String,
    /// `body.output.iv` (16 chars), when sent.
    pub iv: Option<String>,
    /// `body.output.key` (32 chars), when sent.
    pub key: Option<String>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("tr_id", &self.tr_id)
            .field("tr_key", &self.tr_key)
            .field("encrypted", &self.encrypted)
            .field("rt_cd", &self.rt_cd)
            .field("msg_cd", &self.msg_cd)
            .field("msg", &self.msg)
            .field("cipher", &self.key.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Control {
    /// Whether the server accepted the request (`rt_cd` `0`, or the harmless `OPSP0002`
    /// "already subscribed" after a reconnect).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.rt_cd == "0" || self.msg_cd == "OPSP0002"
    }
}

/// Anything the server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage<'a> {
    /// Keep-alive; echo `raw` back unchanged.
    PingPong {
        /// The frame as received.
        raw: &'a str,
        /// `header.datetime` (`YYYYMMDDHHMMSS`).
        datetime: String,
    },
    /// A control reply.
    Control(Control),
    /// A data frame.
    Data(super::DataFrame<'a>),
}

impl<'a> ServerMessage<'a> {
    /// Classifies and parses a text frame.
    ///
    /// # Errors
    /// [`ParseError`] naming the bad part.
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        if matches!(text.as_bytes().first(), Some(b'0' | b'1')) {
            return super::DataFrame::parse(text).map(ServerMessage::Data);
        }
        let j = Json::parse(text.as_bytes()).map_err(|_| ParseError::body(text, "neither JSON nor a data frame"))?;
        let root = Obj::root_json(&j)?;
        let h = root.obj("header")?;
        let tr_id = h.str("tr_id")?;
        if tr_id == "PINGPONG" {
            return Ok(ServerMessage::PingPong {
                raw: text,
                datetime: h.str_opt("datetime")?.unwrap_or_default().to_owned(),
            });
        }
        let body = root.obj("body")?;
        let (iv, key) = if body.has("output") {
            let o = body.obj("output")?;
            (o.str_opt("iv")?.map(str::to_owned), o.str_opt("key")?.map(str::to_owned))
        } else {
            (None, None)
        };
        Ok(ServerMessage::Control(Control {
            tr_id: tr_id.to_owned(),
            tr_key: h.str_opt("tr_key")?.unwrap_or_default().to_owned(),
            encrypted: h.str_opt("encrypt")? == Some("Y"),
            rt_cd: body.str("rt_cd")?.to_owned(),
            msg_cd: body.str("msg_cd")?.to_owned(),
            msg: body.str("msg1")?.to_owned(),
            iv,
            key,
        }))
    }
}
