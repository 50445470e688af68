//! Quotation endpoints of the local server, computed from the mock market.

use chrono::{NaiveDate, NaiveTime, Timelike};
use serde_json::{Map, Value};

use super::market::MockListing;
use super::server::Req;
use super::state::State;
use super::wire::{QUOTE_OK, Reply, envelope, set, template};
use crate::parse::{parse_date, parse_time};

fn sign(change: i64, last: i64, limits: (i64, i64)) -> &'static str {
    if last >= limits.1 {
        "1"
    } else if last <= limits.0 {
        "4"
    } else if change > 0 {
        "2"
    } else if change < 0 {
        "5"
    } else {
        "3"
    }
}

fn pct(change: i64, base: i64) -> String {
    if base == 0 { "0.00".into() } else { format!("{:.2}", change as f64 * 100.0 / base as f64) }
}

fn no_listing() -> Reply {
    // KIS answers an unknown code with rt_cd 0 and zero-filled output (python-kis checks stck_prpr == "0").
    let mut o = template("inquire-price", "output");
    for v in o.values_mut() {
        *v = Value::String("0".into());
    }
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

fn listing<'a>(s: &'a State, req: &Req) -> Result<&'a MockListing, Reply> {
    if !matches!(req.get("FID_COND_MRKT_DIV_CODE"), "J" | "UN" | "NX") {
        return Err(Reply::reject("OPSQ2001", "ERROR : INPUT INVALID_CHECK_MRKT_DIV_CODE"));
    }
    req.code("FID_INPUT_ISCD").and_then(|c| s.config.market.get(c)).ok_or_else(no_listing)
}

pub(super) fn inquire_price(s: &mut State, req: &Req) -> Reply {
    let today = s.now().kst_date();
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = l.base(today);
    let limits = l.limits(today);
    let change = l.last - base;
    let t = l.today;
    let mut o = template("inquire-price", "output");
    let tick = l.ticks(today).tick(l.last);
    let market_cap = l.last as i128 * i128::from(l.listed_shares) / 100_000_000;
    set(
        &mut o,
        &[
            ("stck_shrn_iscd", l.instrument.code.to_string()),
            ("stck_prpr", l.last.to_string()),
            ("prdy_vrss", change.to_string()),
            ("prdy_vrss_sign", sign(change, l.last, limits).into()),
            ("prdy_ctrt", pct(change, base)),
            ("stck_oprc", t.map_or(0, |t| t.open).to_string()),
            ("stck_hgpr", t.map_or(0, |t| t.high).to_string()),
            ("stck_lwpr", t.map_or(0, |t| t.low).to_string()),
            ("stck_mxpr", limits.1.to_string()),
            ("stck_llam", limits.0.to_string()),
            ("stck_sdpr", base.to_string()),
            ("rstc_wdth_prc", (limits.1 - base).to_string()),
            ("aspr_unit", tick.to_string()),
            ("acml_vol", t.map_or(0, |t| t.volume).to_string()),
            ("acml_tr_pbmn", t.map_or(0, |t| t.value).to_string()),
            ("lstn_stcn", l.listed_shares.to_string()),
            ("hts_avls", market_cap.to_string()),
            ("rprs_mrkt_kor_name", l.instrument.market.as_str().to_uppercase()),
            ("temp_stop_yn", "N".into()),
        ],
    );
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn inquire_ccnl(s: &mut State, req: &Req) -> Reply {
    let now = s.now().kst_datetime();
    let today = now.date();
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = l.base(today);
    // With a tape: its latest 30 trades; without: one row per minute of the synthetic path.
    let recent: Vec<(NaiveTime, [i64; 4], u64)> = match s.tapes.get(&l.instrument.code) {
        Some(tape) => tape
            .trades
            .iter()
            .rev()
            .take(30)
            .map(|t| (t.time.with_nanosecond(0).unwrap_or(t.time), [t.price; 4], t.qty))
            .collect(),
        None => l.minutes(today, now.time(), today).into_iter().rev().take(30).collect(),
    };
    let rows: Vec<Value> = recent
        .iter()
        .map(|(t, p, v)| {
            let mut r = template("inquire-ccnl", "output");
            set(
                &mut r,
                &[
                    ("stck_cntg_hour", t.format("%H%M%S").to_string()),
                    ("stck_prpr", p[3].to_string()),
                    ("prdy_vrss", (p[3] - base).to_string()),
                    ("prdy_vrss_sign", sign(p[3] - base, p[3], l.limits(today)).into()),
                    ("cntg_vol", v.to_string()),
                    ("tday_rltv", "100.00".into()),
                    ("prdy_ctrt", pct(p[3] - base, base)),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut body = Map::new();
    body.insert("output".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

fn bar_row(endpoint: &str, block: &str, b: &hantu_core::domain::Bar, prev: Option<i64>) -> Value {
    let mut r = template(endpoint, block);
    let change = prev.map_or(0, |p| b.close.won() - p);
    set(
        &mut r,
        &[
            ("stck_bsop_date", b.ts.kst_date().format("%Y%m%d").to_string()),
            ("stck_oprc", b.open.to_string()),
            ("stck_hgpr", b.high.to_string()),
            ("stck_lwpr", b.low.to_string()),
            ("stck_clpr", b.close.to_string()),
            ("acml_vol", b.volume.to_string()),
            ("acml_tr_pbmn", (b.close.won() as i128 * i128::from(b.volume)).to_string()),
            ("prdy_vrss", change.to_string()),
            (
                "prdy_vrss_sign",
                if change > 0 {
                    "2"
                } else if change < 0 {
                    "5"
                } else {
                    "3"
                }
                .into(),
            ),
            ("prdy_ctrt", pct(change, prev.unwrap_or(b.close.won()))),
            ("mod_yn", "N".into()),
        ],
    );
    Value::Object(r)
}

fn summary(l: &MockListing, today: NaiveDate, endpoint: &str) -> Map<String, Value> {
    let base = l.base(today);
    let limits = l.limits(today);
    let mut o = template(endpoint, "output1");
    let t = l.today;
    set(
        &mut o,
        &[
            ("stck_shrn_iscd", l.instrument.code.to_string()),
            ("hts_kor_isnm", l.instrument.name.clone()),
            ("stck_prpr", l.last.to_string()),
            ("stck_prdy_clpr", base.to_string()),
            ("prdy_vrss", (l.last - base).to_string()),
            ("prdy_vrss_sign", sign(l.last - base, l.last, limits).into()),
            ("prdy_ctrt", pct(l.last - base, base)),
            ("acml_vol", t.map_or(0, |t| t.volume).to_string()),
            ("acml_tr_pbmn", t.map_or(0, |t| t.value).to_string()),
            ("stck_mxpr", limits.1.to_string()),
            ("stck_llam", limits.0.to_string()),
            ("stck_oprc", t.map_or(0, |t| t.open).to_string()),
            ("stck_hgpr", t.map_or(0, |t| t.high).to_string()),
            ("stck_lwpr", t.map_or(0, |t| t.low).to_string()),
            ("lstn_stcn", l.listed_shares.to_string()),
        ],
    );
    o
}

/// Rows per call of inquire-daily-itemchartprice.
const DAILY_CHART_ROWS: usize = 100;

pub(super) fn daily_chart(s: &mut State, req: &Req) -> Reply {
    let today = s.now().kst_date();
    let (Some(from), Some(to)) = (parse_date(req.get("FID_INPUT_DATE_1")), parse_date(req.get("FID_INPUT_DATE_2")))
    else {
        return Reply::reject("OPSQ2002", "ERROR : INPUT INVALID_CHECK_FIELD_LENGTH");
    };
    if !matches!(req.get("FID_PERIOD_DIV_CODE"), "D" | "W" | "M" | "Y") {
        return Reply::reject("OPSQ2001", "ERROR : INPUT_FIELD_NAME FID_PERIOD_DIV_CODE");
    }
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let bars = l.daily(from, to, today);
    let prevs: Vec<Option<i64>> = (0..bars.len())
        .map(|i| {
            if i > 0 {
                Some(bars[i - 1].close.won())
            } else {
                l.bars.iter().rev().find(|b| b.ts < bars[0].ts).map(|b| b.close.won())
            }
        })
        .collect();
    let rows: Vec<Value> = bars
        .iter()
        .zip(prevs)
        .rev()
        .take(DAILY_CHART_ROWS)
        .map(|(b, p)| bar_row("inquire-daily-itemchartprice", "output2", b, p))
        .collect();
    let mut body = Map::new();
    body.insert("output1".into(), Value::Object(summary(l, today, "inquire-daily-itemchartprice")));
    body.insert("output2".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn daily_price(s: &mut State, req: &Req) -> Reply {
    let today = s.now().kst_date();
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let from = today - chrono::Duration::days(60);
    let bars = l.daily(from, today, today);
    let rows: Vec<Value> = bars
        .iter()
        .enumerate()
        .rev()
        .take(30)
        .map(|(i, b)| bar_row("inquire-daily-price", "output", b, i.checked_sub(1).map(|j| bars[j].close.won())))
        .collect();
    let mut body = Map::new();
    body.insert("output".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn minute_chart(s: &mut State, req: &Req) -> Reply {
    let now = s.now().kst_datetime();
    let today = now.date();
    let history = req.name == "inquire-time-dailychartprice";
    let date = if history { parse_date(req.get("FID_INPUT_DATE_1")) } else { Some(today) };
    let (Some(date), Some(until)) = (date, parse_time(req.get("FID_INPUT_HOUR_1"))) else {
        return Reply::reject("OPSQ2002", "ERROR : INPUT INVALID_CHECK_FIELD_LENGTH");
    };
    let until = if date == today { until.min(now.time()) } else { until };
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let rows_per_call = if history { 120 } else { 30 };
    let minutes = match s.tapes.get(&l.instrument.code) {
        Some(tape) if date == today => {
            tape.minutes(NaiveTime::from_hms_milli_opt(until.hour(), until.minute(), 59, 999).unwrap_or(until))
        }
        _ => l.minutes(date, until, today),
    };
    let rows: Vec<Value> = minutes
        .iter()
        .rev()
        .take(rows_per_call)
        .map(|(t, p, v): &(NaiveTime, [i64; 4], u64)| {
            let mut r = template("inquire-time-itemchartprice", "output2");
            set(
                &mut r,
                &[
                    ("stck_bsop_date", date.format("%Y%m%d").to_string()),
                    ("stck_cntg_hour", t.format("%H%M%S").to_string()),
                    ("stck_oprc", p[0].to_string()),
                    ("stck_hgpr", p[1].to_string()),
                    ("stck_lwpr", p[2].to_string()),
                    ("stck_prpr", p[3].to_string()),
                    ("cntg_vol", v.to_string()),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut o1 = summary(l, today, "inquire-time-itemchartprice");
    o1.retain(|k, _| template("inquire-time-itemchartprice", "output1").contains_key(k));
    let mut body = Map::new();
    body.insert("output1".into(), Value::Object(o1));
    body.insert("output2".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn asking_price(s: &mut State, req: &Req) -> Reply {
    let now = s.now().kst_datetime();
    let today = now.date();
    let l = match listing(s, req) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let ticks = l.ticks(today);
    let limits = l.limits(today);
    let mut o1 = template("inquire-asking-price-exp-ccn", "output1");
    let mut fields = vec![("aspr_acpt_hour", now.format("%H%M%S").to_string())];
    let names: Vec<(String, String, String, String)> = (1..=10)
        .map(|i| (format!("askp{i}"), format!("bidp{i}"), format!("askp_rsqn{i}"), format!("bidp_rsqn{i}")))
        .collect();
    let mut tot = (0u64, 0u64);
    // With a tape: the book the WebSocket side sends; without: a still book around the price.
    let tape_book = s.tapes.get(&l.instrument.code).map(super::tape::Tape::book);
    for (i, (ap, bp, aq, bq)) in names.iter().enumerate() {
        let (ask, bid, qa, qb) = if let Some((asks, bids)) = &tape_book {
            let (a, qa) = asks.get(i).copied().unwrap_or((0, 0));
            let (b, qb) = bids.get(i).copied().unwrap_or((0, 0));
            (a, b, qa, qb)
        } else {
            let ask = ticks.offset(l.last, i as i64 + 1);
            let bid = ticks.offset(l.last, -(i as i64));
            let ask = if ask > limits.1 { 0 } else { ask };
            let bid = if bid < limits.0 { 0 } else { bid };
            let q = |side: u64| {
                if side == 0 { 0 } else { 1_000 * (i as u64 + 1) + (l.instrument.code.to_u64() % 97) * side }
            };
            (ask, bid, if ask == 0 { 0 } else { q(1) }, if bid == 0 { 0 } else { q(2) })
        };
        tot = (tot.0 + qa, tot.1 + qb);
        o1.insert(ap.clone(), Value::String(ask.to_string()));
        o1.insert(bp.clone(), Value::String(bid.to_string()));
        o1.insert(aq.clone(), Value::String(qa.to_string()));
        o1.insert(bq.clone(), Value::String(qb.to_string()));
    }
    fields.push(("total_askp_rsqn", tot.0.to_string()));
    fields.push(("total_bidp_rsqn", tot.1.to_string()));
    set(&mut o1, &fields);
    let mut o2 = template("inquire-asking-price-exp-ccn", "output2");
    set(
        &mut o2,
        &[
            ("stck_prpr", l.last.to_string()),
            ("stck_sdpr", l.base(today).to_string()),
            ("stck_shrn_iscd", l.instrument.code.to_string()),
        ],
    );
    let mut body = Map::new();
    body.insert("output1".into(), Value::Object(o1));
    body.insert("output2".into(), Value::Object(o2));
    Reply::ok(envelope(body, QUOTE_OK, false))
}

pub(super) fn volume_rank(s: &mut State, _req: &Req) -> Reply {
    let today = s.now().kst_date();
    let mut ls: Vec<&MockListing> = s.config.market.listings().collect();
    let vol = |l: &MockListing| l.today.map_or_else(|| l.bars.last().map_or(0, |b| b.volume), |t| t.volume);
    ls.sort_by_key(|l| std::cmp::Reverse(vol(l)));
    let rows: Vec<Value> = ls
        .iter()
        .take(30)
        .enumerate()
        .map(|(i, l)| {
            let base = l.base(today);
            let mut r = template("volume-rank", "output");
            set(
                &mut r,
                &[
                    ("hts_kor_isnm", l.instrument.name.clone()),
                    ("mksc_shrn_iscd", l.instrument.code.to_string()),
                    ("data_rank", (i + 1).to_string()),
                    ("stck_prpr", l.last.to_string()),
                    ("prdy_vrss", (l.last - base).to_string()),
                    ("prdy_vrss_sign", sign(l.last - base, l.last, l.limits(today)).into()),
                    ("prdy_ctrt", pct(l.last - base, base)),
                    ("acml_vol", vol(l).to_string()),
                    ("acml_tr_pbmn", (vol(l) as i128 * i128::from(l.last)).to_string()),
                    ("lstn_stcn", l.listed_shares.to_string()),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut body = Map::new();
    body.insert("output".into(), Value::Array(rows));
    Reply::ok(envelope(body, QUOTE_OK, false))
}
