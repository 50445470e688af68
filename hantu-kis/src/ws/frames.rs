//! Data frames: `<enc>|<TR_ID>|<count>|<fields joined by ^>` (§7.5), and the typed records of
//! H0STCNT0 (trades), H0STASP0 (10-level book) and H0STCNI0/9 (order and fill notices).

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Price, Side, StockCode};
use rust_decimal::Decimal;

use crate::parse::{ParseError, parse_date, parse_dec, parse_int, parse_time};

/// Fields per H0STCNT0 record.
pub const TRADE_FIELDS: usize = 46;
/// Fields per H0STCNI0/9 notice (older examples show 23; trailing ones are optional).
pub const NOTICE_FIELDS: usize = 26;
/// Fields per H0STASP0 record used here (the frame may carry more).
const BOOK_FIELDS: usize = 54;

/// A data frame, borrowing the text it came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFrame<'a> {
    /// `1`: payload is Base64 of AES-256-CBC ciphertext (order notices).
    pub encrypted: bool,
    /// Real-time TR.
    pub tr_id: &'a str,
    /// Number of records.
    pub count: usize,
    /// The payload (plain `^`-joined fields, or Base64 when encrypted).
    pub payload: &'a str,
}

fn bad(field: &str, value: &str, reason: &'static str) -> ParseError {
    ParseError { field: field.to_owned(), value: value.chars().take(64).collect(), reason }
}

impl<'a> DataFrame<'a> {
    /// Splits a frame.
    ///
    /// # Errors
    /// If the header is malformed.
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let mut parts = text.splitn(4, '|');
        let (Some(enc), Some(tr_id), Some(count), Some(payload)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("<frame>", text, "expected enc|tr_id|count|payload"));
        };
        let encrypted = match enc {
            "0" => false,
            "1" => true,
            _ => return Err(bad("<frame>.encrypted", enc, "expected 0 or 1")),
        };
        let count = parse_int(count)
            .and_then(|c| usize::try_from(c).ok())
            .filter(|c| *c > 0)
            .ok_or_else(|| bad("<frame>.count", count, "expected a positive record count"))?;
        Ok(Self { encrypted, tr_id, count, payload })
    }

    /// The plain records, `min_fields` or more fields each (records are simply concatenated,
    /// so the width is the field count divided by the record count).
    ///
    /// # Errors
    /// If encrypted, or the fields do not divide into `count` records of at least `min_fields`.
    pub fn records(&self, min_fields: usize) -> Result<Vec<Vec<&'a str>>, ParseError> {
        if self.encrypted {
            return Err(bad("<frame>.payload", self.tr_id, "encrypted: decrypt first"));
        }
        let fields: Vec<&str> = self.payload.split('^').collect();
        let width = fields.len() / self.count;
        if fields.len() % self.count != 0 || width < min_fields {
            return Err(bad(
                "<frame>.payload",
                &format!("{} fields for {} records", fields.len(), self.count),
                "fields do not divide into records of the TR's width",
            ));
        }
        Ok(fields.chunks(width).map(<[&str]>::to_vec).collect())
    }
}

struct Row<'r, 'a> {
    fields: &'r [&'a str],
    names: &'static [&'static str],
}

impl<'a> Row<'_, 'a> {
    fn get(&self, i: usize) -> Result<&'a str, ParseError> {
        self.fields.get(i).copied().ok_or_else(|| bad(self.names.get(i).copied().unwrap_or("?"), "", "missing field"))
    }
    fn name(&self, i: usize) -> &'static str {
        self.names.get(i).copied().unwrap_or("?")
    }
    fn int(&self, i: usize) -> Result<i64, ParseError> {
        let s = self.get(i)?;
        parse_int(s).ok_or_else(|| bad(self.name(i), s, "expected a whole number"))
    }
    fn uint(&self, i: usize) -> Result<u64, ParseError> {
        let s = self.get(i)?;
        parse_int(s)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| bad(self.name(i), s, "expected a non-negative number"))
    }
    fn price(&self, i: usize) -> Result<Price, ParseError> {
        let s = self.get(i)?;
        parse_int(s).and_then(|v| Price::new_checked(v).ok()).ok_or_else(|| bad(self.name(i), s, "expected a price"))
    }
    fn price_opt(&self, i: usize) -> Result<Option<Price>, ParseError> {
        match self.get(i)? {
            "" | "0" => Ok(None),
            _ => self.price(i).map(Some),
        }
    }
    fn dec(&self, i: usize) -> Result<Decimal, ParseError> {
        let s = self.get(i)?;
        parse_dec(s).ok_or_else(|| bad(self.name(i), s, "expected a decimal"))
    }
    fn time(&self, i: usize) -> Result<NaiveTime, ParseError> {
        let s = self.get(i)?;
        parse_time(s).ok_or_else(|| bad(self.name(i), s, "expected HHMMSS"))
    }
    fn date(&self, i: usize) -> Result<NaiveDate, ParseError> {
        let s = self.get(i)?;
        parse_date(s).ok_or_else(|| bad(self.name(i), s, "expected YYYYMMDD"))
    }
    fn code(&self, i: usize) -> Result<StockCode, ParseError> {
        let s = self.get(i)?;
        StockCode::new_checked(s).map_err(|_| bad(self.name(i), s, "expected a stock code"))
    }
}

const TRADE_NAMES: [&str; TRADE_FIELDS] = [
    "MKSC_SHRN_ISCD",
    "STCK_CNTG_HOUR",
    "STCK_PRPR",
    "PRDY_VRSS_SIGN",
    "PRDY_VRSS",
    "PRDY_CTRT",
    "WGHN_AVRG_STCK_PRC",
    "STCK_OPRC",
    "STCK_HGPR",
    "STCK_LWPR",
    "ASKP1",
    "BIDP1",
    "CNTG_VOL",
    "ACML_VOL",
    "ACML_TR_PBMN",
    "SELN_CNTG_CSNU",
    "SHNU_CNTG_CSNU",
    "NTBY_CNTG_CSNU",
    "CTTR",
    "SELN_CNTG_SMTN",
    "SHNU_CNTG_SMTN",
    "CCLD_DVSN",
    "SHNU_RATE",
    "PRDY_VOL_VRSS_ACML_VOL_RATE",
    "OPRC_HOUR",
    "OPRC_VRSS_PRPR_SIGN",
    "OPRC_VRSS_PRPR",
    "HGPR_HOUR",
    "HGPR_VRSS_PRPR_SIGN",
    "HGPR_VRSS_PRPR",
    "LWPR_HOUR",
    "LWPR_VRSS_PRPR_SIGN",
    "LWPR_VRSS_PRPR",
    "BSOP_DATE",
    "NEW_MKOP_CLS_CODE",
    "TRHT_YN",
    "ASKP_RSQN1",
    "BIDP_RSQN1",
    "TOTAL_ASKP_RSQN",
    "TOTAL_BIDP_RSQN",
    "VOL_TNRT",
    "PRDY_SMNS_HOUR_ACML_VOL",
    "PRDY_SMNS_HOUR_ACML_VOL_RATE",
    "HOUR_CLS_CODE",
    "MRKT_TRTM_CLS_CODE",
    "VI_STND_PRC",
];

/// One H0STCNT0 trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeTick {
    /// Stock.
    pub code: StockCode,
    /// Business date.
    pub date: NaiveDate,
    /// Trade time (KST).
    pub time: NaiveTime,
    /// Trade price.
    pub price: Price,
    /// Change vs previous close.
    pub change: i64,
    /// Change %.
    pub change_pct: Decimal,
    /// Day open/high/low.
    pub open: Price,
    /// High.
    pub high: Price,
    /// Low.
    pub low: Price,
    /// Best ask and bid.
    pub ask: Option<Price>,
    /// Best bid.
    pub bid: Option<Price>,
    /// This trade's shares.
    pub qty: u64,
    /// Cumulative shares today.
    pub volume: u64,
    /// Cumulative value today (KRW).
    pub value: i64,
    /// Trading halted.
    pub halted: bool,
}

impl TradeTick {
    /// Parses one record's fields.
    ///
    /// # Errors
    /// [`ParseError`] naming the KIS column.
    pub fn from_fields(fields: &[&str]) -> Result<Self, ParseError> {
        let r = Row { fields, names: &TRADE_NAMES };
        Ok(Self {
            code: r.code(0)?,
            time: r.time(1)?,
            price: r.price(2)?,
            change: r.int(4)?,
            change_pct: r.dec(5)?,
            open: r.price(7)?,
            high: r.price(8)?,
            low: r.price(9)?,
            ask: r.price_opt(10)?,
            bid: r.price_opt(11)?,
            qty: r.uint(12)?,
            volume: r.uint(13)?,
            value: r.int(14)?,
            date: r.date(33)?,
            halted: match r.get(35)? {
                "Y" => true,
                "N" => false,
                other => return Err(bad("TRHT_YN", other, "expected Y or N")),
            },
        })
    }

    /// Every trade of an H0STCNT0 frame.
    ///
    /// # Errors
    /// A frame or field error.
    pub fn from_frame(frame: &DataFrame<'_>) -> Result<Vec<Self>, ParseError> {
        frame.records(TRADE_FIELDS)?.iter().map(|f| Self::from_fields(f)).collect()
    }
}

const BOOK_NAMES: [&str; BOOK_FIELDS] = [
    "MKSC_SHRN_ISCD",
    "BSOP_HOUR",
    "HOUR_CLS_CODE",
    "ASKP1",
    "ASKP2",
    "ASKP3",
    "ASKP4",
    "ASKP5",
    "ASKP6",
    "ASKP7",
    "ASKP8",
    "ASKP9",
    "ASKP10",
    "BIDP1",
    "BIDP2",
    "BIDP3",
    "BIDP4",
    "BIDP5",
    "BIDP6",
    "BIDP7",
    "BIDP8",
    "BIDP9",
    "BIDP10",
    "ASKP_RSQN1",
    "ASKP_RSQN2",
    "ASKP_RSQN3",
    "ASKP_RSQN4",
    "ASKP_RSQN5",
    "ASKP_RSQN6",
    "ASKP_RSQN7",
    "ASKP_RSQN8",
    "ASKP_RSQN9",
    "ASKP_RSQN10",
    "BIDP_RSQN1",
    "BIDP_RSQN2",
    "BIDP_RSQN3",
    "BIDP_RSQN4",
    "BIDP_RSQN5",
    "BIDP_RSQN6",
    "BIDP_RSQN7",
    "BIDP_RSQN8",
    "BIDP_RSQN9",
    "BIDP_RSQN10",
    "TOTAL_ASKP_RSQN",
    "TOTAL_BIDP_RSQN",
    "OVTM_TOTAL_ASKP_RSQN",
    "OVTM_TOTAL_BIDP_RSQN",
    "ANTC_CNPR",
    "ANTC_CNQN",
    "ANTC_VOL",
    "ANTC_CNTG_VRSS",
    "ANTC_CNTG_VRSS_SIGN",
    "ANTC_CNTG_PRDY_CTRT",
    "ACML_VOL",
];

/// One H0STASP0 10-level book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookFrame {
    /// Stock.
    pub code: StockCode,
    /// Book time (KST).
    pub time: NaiveTime,
    /// Asks, best first: (price, shares); empty levels are left out.
    pub asks: Vec<(Price, u64)>,
    /// Bids, best first.
    pub bids: Vec<(Price, u64)>,
    /// Total resting ask shares.
    pub total_ask: u64,
    /// Total resting bid shares.
    pub total_bid: u64,
    /// Cumulative volume.
    pub volume: u64,
}

impl BookFrame {
    /// Parses one record's fields.
    ///
    /// # Errors
    /// [`ParseError`] naming the KIS column.
    pub fn from_fields(fields: &[&str]) -> Result<Self, ParseError> {
        let r = Row { fields, names: &BOOK_NAMES };
        let side = |price0: usize, qty0: usize| -> Result<Vec<(Price, u64)>, ParseError> {
            let mut out = Vec::with_capacity(10);
            for i in 0..10 {
                if let Some(p) = r.price_opt(price0 + i)? {
                    out.push((p, r.uint(qty0 + i)?));
                }
            }
            Ok(out)
        };
        Ok(Self {
            code: r.code(0)?,
            time: r.time(1)?,
            asks: side(3, 23)?,
            bids: side(13, 33)?,
            total_ask: r.uint(43)?,
            total_bid: r.uint(44)?,
            volume: r.uint(53)?,
        })
    }

    /// Every book of an H0STASP0 frame.
    ///
    /// # Errors
    /// A frame or field error.
    pub fn from_frame(frame: &DataFrame<'_>) -> Result<Vec<Self>, ParseError> {
        frame.records(BOOK_FIELDS)?.iter().map(|f| Self::from_fields(f)).collect()
    }
}

const NOTICE_NAMES: [&str; NOTICE_FIELDS] = [
    "CUST_ID",
    "ACNT_NO",
    "ODER_NO",
    "OODER_NO",
    "SELN_BYOV_CLS",
    "RCTF_CLS",
    "ODER_KIND",
    "ODER_COND",
    "STCK_SHRN_ISCD",
    "CNTG_QTY",
    "CNTG_UNPR",
    "STCK_CNTG_HOUR",
    "RFUS_YN",
    "CNTG_YN",
    "ACPT_YN",
    "BRNC_NO",
    "ODER_QTY",
    "ACNT_NAME",
    "ORD_COND_PRC",
    "ORD_EXG_GB",
    "POPUP_YN",
    "FILLER",
    "CRDT_CLS",
    "CRDT_LOAN_DATE",
    "CNTG_ISNM40",
    "ODER_PRC",
];

/// What an order notice reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// Order, revise or cancel acknowledged (`CNTG_YN` 1, `RFUS_YN` 0).
    Accepted,
    /// Refused (`RFUS_YN` 1).
    Rejected,
    /// A fill (`CNTG_YN` 2).
    Fill,
}

/// One H0STCNI0/H0STCNI9 notice (decrypted). Account number and name are not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderNotice {
    /// Ack, rejection or fill.
    pub kind: NoticeKind,
    /// Order number.
    pub order_no: String,
    /// Original order number (revise/cancel).
    pub orig_order_no: Option<String>,
    /// Buy or sell.
    pub side: Side,
    /// `RCTF_CLS`: `0` new, `1` revise, `2` cancel.
    pub action: String,
    /// Stock.
    pub code: StockCode,
    /// Fill shares (in acks: the order shares).
    pub qty: u64,
    /// Fill price (in acks: the order price; None for market orders).
    pub price: Option<Price>,
    /// Time (KST).
    pub time: NaiveTime,
    /// Branch.
    pub branch: String,
    /// Order shares.
    pub order_qty: u64,
}

impl OrderNotice {
    /// Parses the decrypted `^`-joined text (26 fields; 23 in older examples).
    ///
    /// # Errors
    /// [`ParseError`] naming the KIS column.
    pub fn from_plaintext(text: &str) -> Result<Self, ParseError> {
        let fields: Vec<&str> = text.split('^').collect();
        if fields.len() < 23 {
            return Err(bad("<notice>", &format!("{} fields", fields.len()), "expected 23 to 26 fields"));
        }
        let r = Row { fields: &fields, names: &NOTICE_NAMES };
        let side = match r.get(4)? {
            "01" => Side::Sell,
            "02" => Side::Buy,
            other => return Err(bad("SELN_BYOV_CLS", other, "expected 01 or 02")),
        };
        let kind = match (r.get(12)?, r.get(13)?) {
            ("1", _) => NoticeKind::Rejected,
            ("0", "1") => NoticeKind::Accepted,
            ("0", "2") => NoticeKind::Fill,
            (rfus, cntg) => return Err(bad("RFUS_YN/CNTG_YN", &format!("{rfus}/{cntg}"), "unknown notice kind")),
        };
        Ok(Self {
            kind,
            order_no: r.get(2)?.to_owned(),
            orig_order_no: Some(r.get(3)?).filter(|s| !s.is_empty()).map(str::to_owned),
            side,
            action: r.get(5)?.to_owned(),
            code: r.code(8)?,
            qty: r.uint(9)?,
            price: r.price_opt(10)?,
            time: r.time(11)?,
            branch: r.get(15)?.to_owned(),
            order_qty: r.uint(16)?,
        })
    }
}
