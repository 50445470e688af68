//! The server side of the real-time wire: building the frames the parsers in this module read.
//!
//! The local KIS server speaks through these, and client tests use them to feed hand-made
//! frames to a connection. Every builder round-trips through its parser (tested below), so the
//! two sides cannot drift apart.

use hantu_core::domain::{Price, Side};
use serde_json::{Value, json};

use super::crypto::FrameCipher;
use super::frames::{BookFrame, NoticeKind, OrderNotice, TradeTick};
use super::messages::Control;

/// KIS's OPSP message codes of WebSocket control replies (§7.6).
pub mod opsp {
    /// `SUBSCRIBE SUCCESS`.
    pub const SUBSCRIBED: &str = "OPSP0000";
    /// `UNSUBSCRIBE SUCCESS`.
    pub const UNSUBSCRIBED: &str = "OPSP0001";
    /// `ALREADY IN SUBSCRIBE` (harmless after a reconnect).
    pub const ALREADY_SUBSCRIBED: &str = "OPSP0002";
    /// `UNSUBSCRIBE ERROR (not found!)`.
    pub const NOT_SUBSCRIBED: &str = "OPSP0003";
    /// `MAX SUBSCRIBE OVER`: the 42nd registration of a session.
    pub const MAX_SUBSCRIBE: &str = "OPSP0008";
    /// `invalid approval : NOT FOUND`: unknown approval key.
    pub const INVALID_APPROVAL: &str = "OPSP0011";
    /// `SUBSCRIBE ERROR : invalid tr_id`.
    pub const INVALID_TR_ID: &str = "OPSP8991";
    /// `SUBSCRIBE ERROR : invalid tr_key`.
    pub const INVALID_TR_KEY: &str = "OPSP8992";
    /// `ALREADY IN USE appkey`: a second session with the same app key.
    pub const APPKEY_IN_USE: &str = "OPSP8996";
    /// `JSON PARSING ERROR : invalid json format`.
    pub const INVALID_JSON: &str = "OPSP9999";
    /// Registrations allowed per session, all TRs together.
    pub const MAX_REGISTRATIONS: usize = 41;
}

impl Control {
    /// A reply without AES parameters (errors, unsubscribe acks).
    #[must_use]
    pub fn reply(tr_id: &str, tr_key: &str, rt_cd: &str, msg_cd: &str, msg: &str) -> Self {
        Self {
            tr_id: tr_id.to_owned(),
            tr_key: tr_key.to_owned(),
            encrypted: false,
            rt_cd: rt_cd.to_owned(),
            msg_cd: msg_cd.to_owned(),
            msg: msg.to_owned(),
            iv: None,
            key: None,
        }
    }

    /// The JSON text KIS sends for this reply (§7.3).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut body = json!({"rt_cd": self.rt_cd, "msg_cd": self.msg_cd, "msg1": self.msg});
        if let (Some(iv), Some(key), Some(obj)) = (&self.iv, &self.key, body.as_object_mut()) {
            obj.insert("output".into(), json!({"iv": iv, "key": key}));
        }
        json!({
            "header": {"tr_id": self.tr_id, "tr_key": self.tr_key, "encrypt": if self.encrypted { "Y" } else { "N" }},
            "body": body,
        })
        .to_string()
    }
}

/// The keep-alive frame `{"header":{"tr_id":"PINGPONG","datetime":"YYYYMMDDHHMMSS"}}` (§7.4).
#[must_use]
pub fn pingpong_text(datetime: &str) -> String {
    json!({"header": {"tr_id": "PINGPONG", "datetime": datetime}}).to_string()
}

/// A data frame `<enc>|<tr_id>|<count>|<records joined by ^>` (§7.5); `records` are already
/// `^`-joined each. Encrypted frames carry one record, the Base64 text from
/// [`FrameCipher::encrypt`].
#[must_use]
pub fn data_frame_text(encrypted: bool, tr_id: &str, records: &[String]) -> String {
    format!("{}|{tr_id}|{:03}|{}", if encrypted { '1' } else { '0' }, records.len(), records.join("^"))
}

fn sign(change: i64) -> &'static str {
    match change.signum() {
        1 => "2",
        -1 => "5",
        _ => "3",
    }
}

fn opt_price(p: Option<Price>) -> String {
    p.map_or_else(|| "0".into(), |p| p.won().to_string())
}

impl TradeTick {
    /// The 46 `^`-joined fields of this trade as H0STCNT0 sends them (§7.7). Fields the type
    /// does not hold are derived (VWAP, signs, differences to open/high/low, the trade's
    /// direction: at or above the best ask is buyer-initiated) or sent as KIS sends idle ones.
    #[must_use]
    pub fn to_record(&self) -> String {
        let base = self.price.won() - self.change;
        let vwap = if self.volume == 0 { 0.0 } else { self.value as f64 / self.volume as f64 };
        let buy = self.ask.is_some_and(|a| self.price >= a);
        let time = self.time.format("%H%M%S").to_string();
        let (p, o, h, l) = (self.price.won(), self.open.won(), self.high.won(), self.low.won());
        let fields: [String; 46] = [
            self.code.to_string(),
            time.clone(),
            p.to_string(),
            sign(self.change).into(),
            self.change.to_string(),
            self.change_pct.round_dp(2).to_string(),
            format!("{vwap:.2}"),
            o.to_string(),
            h.to_string(),
            l.to_string(),
            opt_price(self.ask),
            opt_price(self.bid),
            self.qty.to_string(),
            self.volume.to_string(),
            self.value.to_string(),
            "0".into(),
            "0".into(),
            "0".into(),
            "100.00".into(),
            "0".into(),
            "0".into(),
            if buy { "1" } else { "5" }.into(),
            "50.00".into(),
            "0.00".into(),
            "090000".into(),
            sign(p - o).into(),
            (p - o).to_string(),
            time.clone(),
            sign(p - h).into(),
            (p - h).to_string(),
            time,
            sign(p - l).into(),
            (p - l).to_string(),
            self.date.format("%Y%m%d").to_string(),
            "20".into(),
            if self.halted { "Y" } else { "N" }.into(),
            "0".into(),
            "0".into(),
            "0".into(),
            "0".into(),
            "0.00".into(),
            "0".into(),
            "0.00".into(),
            "0".into(),
            String::new(),
            base.to_string(),
        ];
        fields.join("^")
    }
}

impl BookFrame {
    /// The 59 `^`-joined fields of this book as H0STASP0 sends them (§7.8); missing levels are
    /// sent as price `0` with `0` shares, as KIS does beyond the price limits.
    #[must_use]
    pub fn to_record(&self) -> String {
        let level = |side: &[(Price, u64)], i: usize| side.get(i).map_or((0, 0), |(p, q)| (p.won(), *q));
        let mut f: Vec<String> = Vec::with_capacity(59);
        f.push(self.code.to_string());
        f.push(self.time.format("%H%M%S").to_string());
        f.push("0".into());
        f.extend((0..10).map(|i| level(&self.asks, i).0.to_string()));
        f.extend((0..10).map(|i| level(&self.bids, i).0.to_string()));
        f.extend((0..10).map(|i| level(&self.asks, i).1.to_string()));
        f.extend((0..10).map(|i| level(&self.bids, i).1.to_string()));
        f.push(self.total_ask.to_string());
        f.push(self.total_bid.to_string());
        f.extend(["0", "0", "0", "0", "0", "0", "3", "0.00"].map(String::from));
        f.push(self.volume.to_string());
        f.extend(["0", "0", "0", "0", "0"].map(String::from));
        f.join("^")
    }
}

/// What a notice carries beyond [`OrderNotice`]: whose it is and how the order was placed.
#[derive(Clone, Copy, Debug)]
pub struct NoticeContext<'a> {
    /// The HTS id (`CUST_ID`, also the subscription's tr_key).
    pub hts_id: &'a str,
    /// The 10-digit account (`ACNT_NO`).
    pub account: &'a str,
    /// The account holder's name (`ACNT_NAME`).
    pub account_name: &'a str,
    /// `ODER_KIND`: the order's `ORD_DVSN` (`00` limit, `01` market, ...).
    pub order_kind: &'a str,
    /// The order's limit price (`ODER_PRC`; None for market orders).
    pub order_price: Option<Price>,
    /// The stock's name (`CNTG_ISNM40`).
    pub stock_name: &'a str,
}

impl OrderNotice {
    /// The 26 `^`-joined fields of this notice before encryption (§7.9), zero-padded like the
    /// official examples.
    #[must_use]
    pub fn to_plaintext(&self, ctx: &NoticeContext<'_>) -> String {
        let (rfus, cntg, acpt) = match self.kind {
            NoticeKind::Accepted => ("0", "1", "1"),
            NoticeKind::Rejected => ("1", "1", "1"),
            NoticeKind::Fill => ("0", "2", "2"),
        };
        let fields: [String; 26] = [
            ctx.hts_id.to_owned(),
            ctx.account.to_owned(),
            self.order_no.clone(),
            self.orig_order_no.clone().unwrap_or_default(),
            if self.side == Side::Sell { "01" } else { "02" }.into(),
            self.action.clone(),
            ctx.order_kind.to_owned(),
            "0".into(),
            self.code.to_string(),
            format!("{:010}", self.qty),
            format!("{:09}", self.price.map_or(0, Price::won)),
            self.time.format("%H%M%S").to_string(),
            rfus.into(),
            cntg.into(),
            acpt.into(),
            self.branch.clone(),
            format!("{:09}", self.order_qty),
            ctx.account_name.to_owned(),
            "0".into(),
            "1".into(),
            "Y".into(),
            String::new(),
            "10".into(),
            String::new(),
            ctx.stock_name.to_owned(),
            format!("{:09}", ctx.order_price.map_or(0, Price::won)),
        ];
        fields.join("^")
    }
}

/// An encrypted notice frame `1|<tr_id>|001|<base64>` for `plaintext`.
#[must_use]
pub fn notice_frame_text(cipher: &FrameCipher, tr_id: &str, plaintext: &str) -> String {
    data_frame_text(true, tr_id, &[cipher.encrypt(plaintext)])
}

/// Whether a text frame is a keep-alive (for servers reading echoes).
#[must_use]
pub fn is_pingpong(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.pointer("/header/tr_id").and_then(Value::as_str).map(|t| t == "PINGPONG"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{DataFrame, ServerMessage};
    use chrono::{NaiveDate, NaiveTime};
    use hantu_core::domain::StockCode;
    use rust_decimal::Decimal;

    fn tick(i: u64) -> TradeTick {
        TradeTick {
            code: StockCode::new("005930"),
            date: NaiveDate::from_ymd_opt(2025, 7, 25).unwrap(),
            time: NaiveTime::from_hms_opt(9, 47, 31).unwrap(),
            price: Price::new(65_850 + 50 * i as i64),
            change: -150 + 50 * i as i64,
            change_pct: Decimal::new(-23, 2),
            open: Price::new(65_700),
            high: Price::new(66_000),
            low: Price::new(65_500),
            ask: Some(Price::new(65_900)),
            bid: Some(Price::new(65_800)),
            qty: 37,
            volume: 1_943_202 + i,
            value: 127_737_129_950,
            halted: false,
        }
    }

    #[test]
    fn trade_records_round_trip_in_multi_record_frames() {
        let ticks: Vec<TradeTick> = (0..3).map(tick).collect();
        let recs: Vec<String> = ticks.iter().map(TradeTick::to_record).collect();
        let text = data_frame_text(false, "H0STCNT0", &recs);
        assert!(text.starts_with("0|H0STCNT0|003|005930^094731^65850^"));
        let ServerMessage::Data(frame) = ServerMessage::parse(&text).unwrap() else { panic!("not data") };
        let back = TradeTick::from_frame(&frame).unwrap();
        assert_eq!(back[0], ticks[0]);
        assert_eq!(back.len(), 3);
        assert_eq!(back[2].volume, ticks[2].volume);
    }

    #[test]
    fn book_round_trips() {
        let p = Price::new;
        let book = BookFrame {
            code: StockCode::new("005930"),
            time: NaiveTime::from_hms_opt(9, 47, 31).unwrap(),
            asks: (0..10).map(|i| (p(65_900 + 100 * i), 1_000 + i as u64)).collect(),
            bids: (0..9).map(|i| (p(65_800 - 100 * i), 2_000 + i as u64)).collect(),
            total_ask: 10_045,
            total_bid: 18_036,
            volume: 1_943_202,
        };
        let text = data_frame_text(false, "H0STASP0", &[book.to_record()]);
        let frame = DataFrame::parse(&text).unwrap();
        assert_eq!(frame.records(0).unwrap()[0].len(), 59);
        assert_eq!(BookFrame::from_frame(&frame).unwrap(), vec![book]);
    }

    #[test]
    fn notices_encrypt_and_round_trip() {
        let cipher = FrameCipher::new("abcdefghijklmnopabcdefghijklmnop", "0123456789abcdef").unwrap();
        let n = OrderNotice {
            kind: NoticeKind::Fill,
            order_no: "0000117057".into(),
            orig_order_no: None,
            side: Side::Buy,
            action: "0".into(),
            code: StockCode::new("005930"),
            qty: 4,
            price: Some(Price::new(65_800)),
            time: NaiveTime::from_hms_opt(9, 48, 5).unwrap(),
            branch: "91252".into(),
            order_qty: 10,
        };
        let ctx = NoticeContext {
            hts_id: "myhtsid",
            account: "1234567801",
            account_name: "홍길동",
            order_kind: "00",
            order_price: Some(Price::new(65_800)),
            stock_name: "삼성전자",
        };
        let plain = n.to_plaintext(&ctx);
        assert_eq!(
            plain,
            "myhtsid^1234567801^0000117057^^02^0^00^0^005930^0000000004^000065800^094805^0^2^2^91252^000000010^홍길동^0^1^Y^^10^^삼성전자^000065800"
        );
        let text = notice_frame_text(&cipher, "H0STCNI0", &plain);
        let frame = DataFrame::parse(&text).unwrap();
        assert!(frame.encrypted);
        assert_eq!(OrderNotice::from_plaintext(&cipher.decrypt(frame.payload).unwrap()).unwrap(), n);
    }

    #[test]
    fn control_replies_and_pings_parse() {
        let mut c = Control::reply("H0STCNI0", "myhtsid", "0", opsp::SUBSCRIBED, "SUBSCRIBE SUCCESS");
        c.encrypted = true;
        c.iv = Some("0123456789abcdef".into());
        c.key = Some("abcdefghijklmnopabcdefghijklmnop".into());
        let text = c.to_text();
        assert_eq!(ServerMessage::parse(&text).unwrap(), ServerMessage::Control(c));
        let err = Control::reply("H0STCNT0", "005930", "1", opsp::ALREADY_SUBSCRIBED, "ALREADY IN SUBSCRIBE");
        assert_eq!(ServerMessage::parse(&err.to_text()).unwrap(), ServerMessage::Control(err));
        let ping = pingpong_text("20250725094731");
        assert!(is_pingpong(&ping));
        assert!(matches!(ServerMessage::parse(&ping).unwrap(), ServerMessage::PingPong { .. }));
    }
}
