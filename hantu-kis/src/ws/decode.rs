//! Data frames to core events: a fast path for trades (the bulk of the traffic: only the fields a
//! [`Trade`] needs are read, by position, with no allocation per record) and conversions of the
//! full book and notice records.

use chrono::{Datelike, NaiveDate, NaiveTime};
use hantu_core::domain::{KST_OFFSET_SECS, Price, StockCode, Tick, Timestamp};
use hantu_core::realtime::{Book, BookLevel, ExecutionNotice, NoticeKind, Trade};

use super::frames::{self, BookFrame, DataFrame, OrderNotice, TRADE_FIELDS};
use crate::parse::ParseError;

const MS_PER_DAY: i64 = 86_400_000;

fn bad(field: &str, value: &str, reason: &'static str) -> ParseError {
    ParseError { field: field.to_owned(), value: value.chars().take(64).collect(), reason }
}

/// Reads H0STCNT0 records into [`Trade`]s, remembering the last business date it decoded so a
/// stream of frames of one day costs no calendar arithmetic.
#[derive(Clone, Debug, Default)]
pub struct TradeDecoder {
    date_key: u32,
    day_start_ms: i64,
}

fn digits(s: &str, field: &str, reason: &'static str) -> Result<u64, ParseError> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(field, s, reason));
    }
    Ok(s.bytes().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')))
}

impl TradeDecoder {
    /// A decoder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The business date of the last record decoded, if any.
    #[must_use]
    pub fn date(&self) -> Option<NaiveDate> {
        (self.date_key != 0).then(|| {
            let k = self.date_key;
            NaiveDate::from_ymd_opt((k / 10_000) as i32, (k / 100) % 100, k % 100)
        })?
    }

    fn day_start(&mut self, s: &str) -> Result<i64, ParseError> {
        let key = u32::try_from(digits(s, "BSOP_DATE", "expected YYYYMMDD")?).unwrap_or(0);
        if key != self.date_key {
            let date = (s.len() == 8)
                .then(|| NaiveDate::from_ymd_opt((key / 10_000) as i32, (key / 100) % 100, key % 100))
                .flatten()
                .ok_or_else(|| bad("BSOP_DATE", s, "expected YYYYMMDD"))?;
            let days = i64::from(date.num_days_from_ce()) - 719_163;
            self.day_start_ms = days * MS_PER_DAY - KST_OFFSET_SECS * 1000;
            self.date_key = key;
        }
        Ok(self.day_start_ms)
    }

    fn record(&mut self, f: &[&str]) -> Result<Trade, ParseError> {
        let code = StockCode::new_checked(f[0]).map_err(|_| bad("MKSC_SHRN_ISCD", f[0], "expected a stock code"))?;
        let hhmmss = f[1];
        let t = digits(hhmmss, "STCK_CNTG_HOUR", "expected HHMMSS")?;
        let (h, m, s) = (t / 10_000, (t / 100) % 100, t % 100);
        if hhmmss.len() != 6 || h > 23 || m > 59 || s > 59 {
            return Err(bad("STCK_CNTG_HOUR", hhmmss, "expected HHMMSS"));
        }
        let price = digits(f[2], "STCK_PRPR", "expected a price")
            .ok()
            .and_then(|p| Price::new_checked(p as i64).ok())
            .ok_or_else(|| bad("STCK_PRPR", f[2], "expected a price"))?;
        let qty = digits(f[12], "CNTG_VOL", "expected a non-negative number")?;
        let cum_volume = digits(f[13], "ACML_VOL", "expected a non-negative number")?;
        let day = self.day_start(f[33])?;
        let ts = Timestamp::from_millis(day + ((h * 3600 + m * 60 + s) * 1000) as i64);
        Ok(Trade { tick: Tick { code, ts, price, qty }, cum_volume })
    }

    /// Appends every trade of an H0STCNT0 frame to `out`. Records may be wider than 46 fields (KIS
    /// appends fields); the known ones are read by position.
    ///
    /// # Errors
    /// [`ParseError`] naming the KIS column; nothing is appended then.
    pub fn decode(&mut self, frame: &DataFrame<'_>, out: &mut Vec<Trade>) -> Result<(), ParseError> {
        if frame.encrypted {
            return Err(bad("<frame>.encrypted", "1", "trade frames are plain"));
        }
        let n = frame.payload.bytes().filter(|&b| b == b'^').count() + 1;
        let width = n / frame.count;
        if n % frame.count != 0 || width < TRADE_FIELDS {
            return Err(bad(
                "<frame>.payload",
                &format!("{n} fields for {} records", frame.count),
                "fields do not divide into records of the TR's width",
            ));
        }
        let start = out.len();
        let mut fields: [&str; TRADE_FIELDS] = [""; TRADE_FIELDS];
        let mut it = frame.payload.split('^');
        for _ in 0..frame.count {
            for (i, f) in it.by_ref().take(width).enumerate() {
                if let Some(slot) = fields.get_mut(i) {
                    *slot = f;
                }
            }
            match self.record(&fields) {
                Ok(t) => out.push(t),
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

fn kst_ts(date: NaiveDate, time: NaiveTime) -> Timestamp {
    Timestamp::from_kst(date.and_time(time))
}

/// Every book of an H0STASP0 frame, dated `date` (the frame carries only the time).
///
/// # Errors
/// [`ParseError`] naming the KIS column.
pub fn books(frame: &DataFrame<'_>, date: NaiveDate) -> Result<Vec<Book>, ParseError> {
    let level = |(price, qty): (Price, u64)| BookLevel { price, qty };
    Ok(BookFrame::from_frame(frame)?
        .into_iter()
        .map(|b| Book {
            code: b.code,
            ts: kst_ts(date, b.time),
            asks: b.asks.into_iter().map(level).collect(),
            bids: b.bids.into_iter().map(level).collect(),
            total_ask_qty: b.total_ask,
            total_bid_qty: b.total_bid,
        })
        .collect())
}

/// A decrypted H0STCNI0/H0STCNI9 notice, dated `date`.
///
/// # Errors
/// [`ParseError`] naming the KIS column.
pub fn notice(plaintext: &str, date: NaiveDate) -> Result<ExecutionNotice, ParseError> {
    let n = OrderNotice::from_plaintext(plaintext)?;
    Ok(ExecutionNotice {
        kind: match n.kind {
            frames::NoticeKind::Accepted => NoticeKind::Accepted,
            frames::NoticeKind::Rejected => NoticeKind::Rejected,
            frames::NoticeKind::Fill => NoticeKind::Fill,
        },
        broker_order_no: n.order_no,
        orig_order_no: n.orig_order_no,
        code: n.code,
        side: n.side,
        qty: n.qty,
        price: n.price,
        order_qty: n.order_qty,
        ts: kst_ts(date, n.time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> serde_json::Value {
        let text = match name {
            "trade" => include_str!("../../test_data/ws-H0STCNT0.json"),
            _ => include_str!("../../test_data/ws-H0STASP0.json"),
        };
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn trades_agree_with_the_full_parser_and_split_multi_record_frames() {
        let s = sample("trade");
        let raw = s["raw_frame_2_records"].as_str().unwrap();
        let frame = DataFrame::parse(raw).unwrap();
        let mut out = Vec::new();
        let mut d = TradeDecoder::new();
        d.decode(&frame, &mut out).unwrap();
        let full = frames::TradeTick::from_frame(&frame).unwrap();
        assert_eq!(out.len(), 2);
        for (t, f) in out.iter().zip(&full) {
            assert_eq!(t.tick.code, f.code);
            assert_eq!(t.tick.ts, kst_ts(f.date, f.time));
            assert_eq!((t.tick.price, t.tick.qty, t.cum_volume), (f.price, f.qty, f.volume));
        }
        assert_eq!(d.date(), NaiveDate::from_ymd_opt(2025, 7, 25));
    }

    #[test]
    fn malformed_trades_name_the_field_and_append_nothing() {
        let s = sample("trade");
        let raw = s["raw_frame_2_records"].as_str().unwrap();
        let mut d = TradeDecoder::new();
        let mut out = Vec::new();
        let cases = [
            (raw.replacen("^65900^5^-100", "^65x00^5^-100", 1), "STCK_PRPR"),
            (raw.replacen("^094732^", "^0947^", 1), "STCK_CNTG_HOUR"),
            (raw.replacen("^1943322^", "^-5^", 1), "ACML_VOL"),
            (raw.replacen("^20250725^", "^20251345^", 1), "BSOP_DATE"),
            (raw.replacen("005930^094732", "5930^094732", 1), "MKSC_SHRN_ISCD"),
            (raw.replacen("|002|", "|003|", 1), "<frame>.payload"),
        ];
        for (text, field) in cases {
            let frame = DataFrame::parse(&text).unwrap();
            let err = d.decode(&frame, &mut out).unwrap_err();
            assert_eq!(err.field, field, "{err:?}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn records_wider_than_known_are_read_by_position() {
        let s = sample("trade");
        let raw = s["raw_frame_1_record"].as_str().unwrap();
        let wider = format!("{raw}^2");
        let mut out = Vec::new();
        TradeDecoder::new().decode(&DataFrame::parse(&wider).unwrap(), &mut out).unwrap();
        assert_eq!(out[0].cum_volume, 1_943_202);
    }

    #[test]
    fn books_are_dated_and_levels_kept_best_first() {
        let s = sample("book");
        let raw = s.as_object().unwrap().iter().find(|(k, _)| k.starts_with("raw_frame")).unwrap().1.as_str().unwrap();
        let date = NaiveDate::from_ymd_opt(2025, 7, 25).unwrap();
        let b = &books(&DataFrame::parse(raw).unwrap(), date).unwrap()[0];
        assert_eq!(b.ts.kst_date(), date);
        assert!(b.asks.windows(2).all(|w| w[0].price < w[1].price));
        assert!(b.bids.windows(2).all(|w| w[0].price > w[1].price));
    }
}
