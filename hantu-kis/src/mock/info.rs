//! Reference endpoints of the local server: product info, listing info, holidays, condition search.

use chrono::Datelike;
use hantu_core::domain::Market;
use hantu_core::krx::KrxCalendar;
use serde_json::{Map, Value};

use super::server::Req;
use super::state::State;
use super::wire::{QUOTE_OK, Reply, envelope, set, template};
use crate::parse::parse_date;

fn listing_or_refuse<'a>(s: &'a State, req: &Req) -> Result<&'a super::market::MockListing, Reply> {
    req.code("PDNO")
        .or_else(|| req.get("PDNO").trim().get(6..).and_then(|c| hantu_core::domain::StockCode::new_checked(c).ok()))
        .and_then(|c| s.config.market.get(c))
        .ok_or_else(|| Reply::refuse(axum::http::StatusCode::OK, "7", "KIOK0560", "조회할 자료가 없습니다."))
}

pub(super) fn search_info(s: &mut State, req: &Req) -> Reply {
    let l = match listing_or_refuse(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let code = l.instrument.code.to_string();
    let mut o = template("search-info", "output");
    set(
        &mut o,
        &[
            ("pdno", format!("00000A{code}")),
            ("prdt_name", l.instrument.name.clone()),
            ("prdt_name120", l.instrument.name.clone()),
            ("prdt_abrv_name", l.instrument.name.clone()),
            ("prdt_eng_name", format!("STOCK{code}")),
            ("prdt_eng_name120", format!("STOCK{code}")),
            ("prdt_eng_abrv_name", format!("STOCK{code}")),
            ("std_pdno", format!("KR7{code}003")),
            ("shtn_pdno", code),
        ],
    );
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, ("KIOK0530", "조회되었습니다"), true))
}

pub(super) fn search_stock_info(s: &mut State, req: &Req) -> Reply {
    let today = s.now().kst_date();
    let l = match listing_or_refuse(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let code = l.instrument.code.to_string();
    let first = l.bars.first().map(|b| b.ts.kst_date().format("%Y%m%d").to_string()).unwrap_or_default();
    let kospi = l.instrument.market == Market::Kospi;
    let mut o = template("search-stock-info", "output");
    set(
        &mut o,
        &[
            ("pdno", format!("00000A{code}")),
            ("mket_id_cd", if kospi { "STK" } else { "KSQ" }.into()),
            ("lstg_stqt", l.listed_shares.to_string()),
            ("prdt_name", l.instrument.name.clone()),
            ("prdt_name120", l.instrument.name.clone()),
            ("prdt_abrv_name", l.instrument.name.clone()),
            ("std_pdno", format!("KR7{code}003")),
            ("scts_mket_lstg_dt", if kospi { first.clone() } else { String::new() }),
            ("kosdaq_mket_lstg_dt", if kospi { String::new() } else { first }),
            ("kospi200_item_yn", "N".into()),
            ("tr_stop_yn", "N".into()),
            ("admn_item_yn", "N".into()),
            ("thdt_clpr", "0".into()),
            ("bfdy_clpr", l.base(today).to_string()),
        ],
    );
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, ("KIOK0420", "정상적으로 조회되었습니다"), true))
}

/// Calendar days per chk-holiday page (UNCONFIRMED at KIS; the sample shows 9).
const HOLIDAY_PAGE: usize = 20;

pub(super) fn chk_holiday(_s: &mut State, req: &Req) -> Reply {
    let Some(start) = parse_date(req.get("BASS_DT")) else {
        return Reply::reject("OPSQ2002", "ERROR : INPUT INVALID_CHECK_FIELD_LENGTH");
    };
    // Continuation pages start at the date carried in the nk cursor.
    let from = parse_date(req.get("CTX_AREA_NK").trim()).unwrap_or(start);
    let rows: Vec<Value> = from
        .iter_days()
        .take(HOLIDAY_PAGE)
        .map(|d| {
            let trading = KrxCalendar::is_trading_day(d);
            let weekday = d.weekday().num_days_from_sunday() + 1;
            let yn = |b: bool| if b { "Y" } else { "N" }.to_owned();
            let mut r = template("chk-holiday", "output");
            set(
                &mut r,
                &[
                    ("bass_dt", d.format("%Y%m%d").to_string()),
                    ("wday_dvsn_cd", format!("{weekday:02}")),
                    ("bzdy_yn", yn(trading)),
                    ("tr_day_yn", yn(trading)),
                    ("opnd_yn", yn(trading)),
                    ("sttl_day_yn", yn(trading)),
                ],
            );
            Value::Object(r)
        })
        .collect();
    // One further page of 20 days, then the last one (a year of days would be many calls).
    let more = from == start;
    let next = from + chrono::Duration::days(HOLIDAY_PAGE as i64);
    let mut body = Map::new();
    body.insert("ctx_area_fk".into(), Value::String(format!("{:<20}", start.format("%Y%m%d"))));
    body.insert(
        "ctx_area_nk".into(),
        Value::String(if more { format!("{:<20}", next.format("%Y%m%d")) } else { " ".repeat(20) }),
    );
    body.insert("output".into(), Value::Array(rows));
    Reply::ok(envelope(body, ("KIOK0420", "정상적으로 조회되었습니다"), true)).with_tr_cont(if more {
        "F"
    } else {
        "D"
    })
}

/// The saved conditions of every user: `0` the most traded stocks (yesterday's volume, a list
/// that stays put through the day), `1` today's gainers of 1% or more (a list that moves with the
/// market, for new-entry alerts).
const CONDITIONS: [(&str, &str, &str); 2] = [("0", "기본", "거래량상위"), ("1", "기본", "상승률상위")];

pub(super) fn psearch_title(_s: &mut State, req: &Req) -> Reply {
    let user = req.get("USER_ID").to_owned();
    let rows: Vec<Value> = CONDITIONS
        .iter()
        .map(|(seq, grp, name)| {
            let mut r = template("psearch-title", "output2");
            set(
                &mut r,
                &[
                    ("user_id", user.clone()),
                    ("seq", (*seq).into()),
                    ("grp_nm", (*grp).into()),
                    ("condition_nm", (*name).into()),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut body = Map::new();
    body.insert("output2".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn psearch_result(s: &mut State, req: &Req) -> Reply {
    let today = s.now().kst_date();
    let mut ls: Vec<_> = s.config.market.listings().collect();
    match req.get("SEQ") {
        "0" => ls.sort_by_key(|l| std::cmp::Reverse(l.bars.last().map_or(0, |b| b.volume))),
        "1" => {
            // Change in basis points against the base price: integers, so the order is exact.
            let change = |l: &&super::market::MockListing| (l.last - l.base(today)) * 10_000 / l.base(today).max(1);
            ls.retain(|l| change(l) >= 100);
            ls.sort_by_key(|l| (std::cmp::Reverse(change(l)), l.instrument.code));
        }
        _ => ls.clear(),
    }
    if ls.is_empty() {
        // KIS answers "no matches" (and an unknown condition) with this error, not an empty list.
        return Reply::reject("MCA05918", "종목코드 오류입니다.");
    }
    let rows: Vec<Value> = ls
        .iter()
        .take(100)
        .map(|l| {
            let base = l.base(today);
            let (lo, hi) = l.limits(today);
            let mut r = template("psearch-result", "output2");
            let vol = l.bars.last().map_or(0, |b| b.volume);
            set(
                &mut r,
                &[
                    ("code", l.instrument.code.to_string()),
                    ("name", l.instrument.name.clone()),
                    (
                        "daebi",
                        if l.last > base {
                            "2"
                        } else if l.last < base {
                            "5"
                        } else {
                            "3"
                        }
                        .into(),
                    ),
                    ("price", l.last.to_string()),
                    ("chgrate", format!("{:.2}", (l.last - base) as f64 * 100.0 / base.max(1) as f64)),
                    ("acml_vol", vol.to_string()),
                    ("change", (l.last - base).to_string()),
                    ("recprice", base.to_string()),
                    ("uplmtprice", hi.to_string()),
                    ("dnlmtprice", lo.to_string()),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut body = Map::new();
    body.insert("output2".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}
