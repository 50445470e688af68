//! Orders at the local server: validation (account, tick grid, price band, session, cash,
//! holdings), the book of working orders, and matching against the mock market's price.

use hantu_core::domain::{Side, StockCode};
use hantu_core::krx::{FeeModel, KrxCalendar, Session};
use serde_json::{Map, Value, json};

use super::server::Req;
use super::state::{MockOrder, State};
use super::wire::Reply;
use crate::parse::parse_int;

/// Branch (`KRX_FWDG_ORD_ORGNO`) of the real server's replies.
pub const REAL_BRANCH: &str = "91252";
/// Branch of paper replies (observed `00950`).
pub const PAPER_BRANCH: &str = "00950";

/// Message code the references leave unconfirmed; the local server sends it like the samples do.
pub const UNCONFIRMED: &str = "UNCONFIRMED";

pub(super) fn branch(s: &State) -> &'static str {
    if s.is_paper() { PAPER_BRANCH } else { REAL_BRANCH }
}

pub(super) fn check_account(s: &State, req: &Req) -> Option<Reply> {
    (req.get("CANO") != s.config.cano || req.get("ACNT_PRDT_CD") != s.config.product)
        .then(|| Reply::reject("OPSQ2000", "ERROR : INPUT INVALID_CHECK_ACNO"))
}

fn fees(s: &State) -> FeeModel {
    FeeModel { commission_rate: s.config.commission_rate, tax: true }
}

/// Cash not yet committed to working buy orders (their remaining shares at their price, or
/// the upper limit for market orders, plus commission).
pub(super) fn orderable_cash(s: &State) -> i64 {
    let today = s.now().kst_date();
    let fee = fees(s);
    let reserved: i64 = s
        .orders
        .iter()
        .filter(|o| o.side == Side::Buy && o.remaining() > 0)
        .map(|o| {
            let px = o.price.unwrap_or_else(|| s.config.market.get(o.code).map_or(0, |l| l.limits(today).1));
            let amount = px * o.remaining() as i64;
            amount + fee.commission(amount).to_won()
        })
        .sum();
    s.cash - reserved
}

/// Shares of `code` not committed to working sell orders.
pub(super) fn sellable(s: &State, code: StockCode) -> u64 {
    let held = s.holdings.get(&code).map_or(0, |h| h.qty);
    let reserved: u64 =
        s.orders.iter().filter(|o| o.side == Side::Sell && o.code == code).map(MockOrder::remaining).sum();
    held.saturating_sub(reserved)
}

fn session_refusal(s: &State) -> Option<Reply> {
    let now = s.now();
    let session = KrxCalendar::session_at(now);
    let trading_day = KrxCalendar::is_trading_day(now.kst_date());
    if s.is_paper() {
        match session {
            Session::Regular | Session::ClosingAuction => None,
            _ if trading_day
                && now.kst_datetime().time() < chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default() =>
            {
                Some(Reply::reject(UNCONFIRMED, "모의투자 장시작전 입니다."))
            }
            _ => Some(Reply::reject("40580000", "모의투자 장종료 입니다.")),
        }
    } else {
        match session {
            Session::OpeningAuction | Session::Regular | Session::ClosingAuction => None,
            _ if !trading_day => Some(Reply::reject("APBK0919", "장운영일자가 주문일과 상이합니다")),
            _ => Some(Reply::reject("APBK0918", "장운영시간이 아닙니다.(주문불가)")),
        }
    }
}

fn ack(s: &mut State, msg: (&str, &str), odno: &str) -> Reply {
    let time = s.now().kst_datetime().format("%H%M%S").to_string();
    Reply::ok(json!({
        "rt_cd": "0",
        "msg_cd": msg.0,
        "msg1": msg.1,
        "output": {"KRX_FWDG_ORD_ORGNO": branch(s), "ODNO": odno, "ORD_TMD": time},
    }))
}

fn new_odno(s: &mut State) -> String {
    let n = s.next_odno;
    s.next_odno += 1;
    format!("{n:010}")
}

fn quantity(req: &Req, key: &str) -> Option<u64> {
    parse_int(req.get(key)).and_then(|q| u64::try_from(q).ok()).filter(|q| *q > 0)
}

fn bad_qty(s: &State) -> Reply {
    Reply::reject(
        UNCONFIRMED,
        if s.is_paper() {
            "모의투자 주문수량을 확인 하여 주십시요."
        } else {
            "주문수량을 확인 하여 주십시요."
        },
    )
}

/// Validates a limit price for `code` today.
fn check_price(s: &State, code: StockCode, price: &str) -> Result<i64, Reply> {
    let today = s.now().kst_date();
    let l = s.config.market.get(code).ok_or_else(|| Reply::reject("APBK0656", "해당종목정보가 없습니다."))?;
    let Some(px) = parse_int(price).filter(|p| *p > 0) else {
        return Err(Reply::reject(UNCONFIRMED, "주문단가를 확인 하여 주십시요."));
    };
    if !l.ticks(today).is_on_tick(px) {
        return Err(if s.is_paper() {
            Reply::reject("40030000", "모의투자 주문처리가 안되었습니다(호가단위 오류)")
        } else {
            Reply::reject(UNCONFIRMED, "주식주문호가단위 오류입니다.")
        });
    }
    let (lo, hi) = l.limits(today);
    if px < lo || px > hi {
        return Err(Reply::reject(UNCONFIRMED, "주문가격이 상하한가를 벗어났습니다."));
    }
    Ok(px)
}

pub(super) fn order_cash(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    for key in ["PDNO", "ORD_DVSN", "ORD_QTY", "ORD_UNPR"] {
        if !req.has(key) {
            return Reply::reject("OPSQ2001", &format!("ERROR : INPUT_FIELD_NAME {key}"));
        }
    }
    if !matches!(req.get("EXCG_ID_DVSN_CD"), "" | "KRX") {
        return Reply::reject(UNCONFIRMED, "거래소ID구분코드를 확인하세요.");
    }
    let side = if req.tr_id.ends_with("0012U") || req.tr_id.ends_with("0802U") { Side::Buy } else { Side::Sell };
    let division = req.get("ORD_DVSN").to_owned();
    let allowed: &[&str] = if s.is_paper() { &["00", "01"] } else { &["00", "01", "11", "12", "13", "14"] };
    if !allowed.contains(&division.as_str()) {
        return Reply::reject(UNCONFIRMED, "주문구분을 확인하세요.");
    }
    let Some(code) = req.code("PDNO").filter(|c| s.config.market.get(*c).is_some()) else {
        return Reply::reject("APBK0656", "해당종목정보가 없습니다.");
    };
    let Some(qty) = quantity(req, "ORD_QTY") else { return bad_qty(s) };
    if let Some(r) = session_refusal(s) {
        return r;
    }
    let market_order = matches!(division.as_str(), "01" | "13" | "14");
    let price = if market_order {
        None
    } else {
        match check_price(s, code, req.get("ORD_UNPR")) {
            Ok(p) => Some(p),
            Err(r) => return r,
        }
    };
    let today = s.now().kst_date();
    match side {
        Side::Buy => {
            let px = price.unwrap_or_else(|| s.config.market.get(code).map_or(0, |l| l.limits(today).1));
            let amount = px * qty as i64;
            let need = amount + fees(s).commission(amount).to_won();
            if need > orderable_cash(s) {
                return if s.is_paper() {
                    Reply::reject(UNCONFIRMED, "모의투자 주문가능금액을 초과 했습니다")
                } else {
                    Reply::refuse(axum::http::StatusCode::OK, "7", "APBK0952", "주문가능금액을 초과 했습니다")
                };
            }
        }
        Side::Sell => {
            if qty > sellable(s, code) {
                return Reply::reject(UNCONFIRMED, "주문가능수량을 초과 했습니다");
            }
        }
    }
    let odno = new_odno(s);
    let now = s.now().kst_datetime();
    s.orders.push(MockOrder {
        odno: odno.clone(),
        orig_odno: None,
        date: now.date(),
        time: now.time(),
        code,
        side,
        division: division.clone(),
        qty,
        price,
        filled_qty: 0,
        filled_amount: 0,
        cancelled_qty: 0,
        is_amend: false,
        is_cancel: false,
    });
    if let Some(o) = s.orders.last().cloned() {
        super::realtime::notice_ack(s, &o);
    }
    match_orders(s);
    if matches!(division.as_str(), "11" | "12" | "13" | "14") {
        if let Some(o) = s.orders.iter_mut().find(|o| o.odno == odno) {
            o.cancelled_qty += o.remaining();
        }
    }
    tracing::debug!(%code, ?side, qty, ?price, odno, "Local KIS server accepted an order");
    let msg = match (s.is_paper(), side) {
        (false, _) => ("APBK0013", "주문 전송 완료 되었습니다."),
        (true, Side::Buy) => ("40600000", "모의투자 매수주문이 완료 되었습니다."),
        (true, Side::Sell) => ("40600000", "모의투자 매도주문이 완료 되었습니다."),
    };
    ack(s, msg, &odno)
}

pub(super) fn order_rvsecncl(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    for key in
        ["KRX_FWDG_ORD_ORGNO", "ORGN_ODNO", "ORD_DVSN", "RVSE_CNCL_DVSN_CD", "ORD_QTY", "ORD_UNPR", "QTY_ALL_ORD_YN"]
    {
        if !req.has(key) {
            return Reply::reject("OPSQ2001", &format!("ERROR : INPUT_FIELD_NAME {key}"));
        }
    }
    let nothing_left = || Reply::reject(UNCONFIRMED, "정정/취소할 수량이 없습니다.");
    let nothing_left_paper = || Reply::reject(UNCONFIRMED, "모의투자 정정/취소할 수량이 없습니다.");
    let want = parse_int(req.get("ORGN_ODNO"));
    let Some(i) = s.orders.iter().position(|o| !o.is_amend && parse_int(&o.odno) == want) else {
        return if s.is_paper() { nothing_left_paper() } else { nothing_left() };
    };
    if parse_int(req.get("KRX_FWDG_ORD_ORGNO")) != parse_int(branch(s)) {
        return Reply::reject(UNCONFIRMED, "주문조직번호를 확인하세요.");
    }
    if let Some(r) = session_refusal(s) {
        return r;
    }
    let remaining = s.orders[i].remaining();
    if remaining == 0 {
        return if s.is_paper() { nothing_left_paper() } else { nothing_left() };
    }
    let qty = if req.get("QTY_ALL_ORD_YN") == "Y" {
        remaining
    } else {
        match quantity(req, "ORD_QTY") {
            Some(q) if q <= remaining => q,
            _ => return bad_qty(s),
        }
    };
    let cancel = match req.get("RVSE_CNCL_DVSN_CD") {
        "02" => true,
        "01" => false,
        _ => return Reply::reject(UNCONFIRMED, "정정취소구분코드를 확인하세요."),
    };
    let orig = s.orders[i].clone();
    let new_price = if cancel || req.get("ORD_DVSN") == "01" {
        None
    } else {
        match check_price(s, orig.code, req.get("ORD_UNPR")) {
            Ok(p) => Some(p),
            Err(r) => return r,
        }
    };
    s.orders[i].cancelled_qty += qty;
    let odno = new_odno(s);
    let now = s.now().kst_datetime();
    s.orders.push(MockOrder {
        odno: odno.clone(),
        orig_odno: Some(orig.odno.clone()),
        date: now.date(),
        time: now.time(),
        code: orig.code,
        side: orig.side,
        division: if cancel { orig.division.clone() } else { req.get("ORD_DVSN").to_owned() },
        qty,
        price: new_price,
        filled_qty: 0,
        filled_amount: 0,
        cancelled_qty: if cancel { qty } else { 0 },
        is_amend: cancel,
        is_cancel: cancel,
    });
    if let Some(o) = s.orders.last().cloned() {
        super::realtime::notice_ack(s, &o);
    }
    match_orders(s);
    let msg = match (s.is_paper(), cancel) {
        (false, _) => ("APBK0013", "주문 전송 완료 되었습니다."),
        (true, true) => ("40630000", "모의투자 취소주문이 완료 되었습니다."),
        (true, false) => (UNCONFIRMED, "모의투자 정정주문이 완료 되었습니다."),
    };
    ack(s, msg, &odno)
}

/// Fills working orders that the current price crosses. Matching runs in the continuous
/// session only; each pass fills at most the fill limit per order (partial fills).
pub(super) fn match_orders(s: &mut State) {
    let now = s.now();
    if KrxCalendar::session_at(now) != Session::Regular {
        return;
    }
    let today = now.kst_date();
    let fee = fees(s);
    for i in 0..s.orders.len() {
        let o = &s.orders[i];
        let remaining = o.remaining();
        if remaining == 0 {
            continue;
        }
        let Some(listing) = s.config.market.get(o.code) else { continue };
        let last = listing.last;
        let crosses = match (o.side, o.price) {
            (_, None) => true,
            (Side::Buy, Some(p)) => p >= last,
            (Side::Sell, Some(p)) => p <= last,
        };
        if !crosses {
            continue;
        }
        let qty = s.fill_limit.map_or(remaining, |l| l.min(remaining));
        let (code, side) = (o.code, o.side);
        if side == Side::Sell && s.holdings.get(&code).map_or(0, |h| h.qty) < qty {
            continue;
        }
        let amount = last * qty as i64;
        let commission = fee.commission(amount).to_won();
        let (market, kind) = (listing.instrument.market, listing.instrument.kind);
        let tax = fee.tax(side, amount, today, market, kind).to_won();
        let o = &mut s.orders[i];
        o.filled_qty += qty;
        o.filled_amount += amount;
        s.costs_today += commission + tax;
        let h = s.holdings.entry(code).or_default();
        match side {
            Side::Buy => {
                s.cash -= amount + commission;
                s.bought_today += amount;
                h.qty += qty;
                h.cost += amount;
                h.bought_today += qty;
            }
            Side::Sell => {
                s.cash += amount - commission - tax;
                s.sold_today += amount;
                let cost_out = if h.qty == 0 { 0 } else { h.cost * qty as i64 / h.qty as i64 };
                h.qty -= qty;
                h.cost -= cost_out;
                h.sold_today += qty;
            }
        }
        // With a tape the market's volume is the tape's; own fills are part of its trades.
        if s.config.tape.is_none() {
            if let Some(l) = s.config.market.get_mut(code) {
                l.trade(last, qty);
            }
        }
        let order = s.orders[i].clone();
        super::realtime::notice_fill(s, &order, qty, last);
    }
}

/// JSON of one order row for inquire-daily-ccld (full key set of the sample).
pub(super) fn ccld_row(s: &State, o: &MockOrder) -> Value {
    let mut r: Map<String, Value> = super::wire::template("inquire-daily-ccld", "output1");
    let name = s.config.market.get(o.code).map(|l| l.instrument.name.clone()).unwrap_or_default();
    let avg = if o.filled_qty == 0 { "0".to_owned() } else { (o.filled_amount / o.filled_qty as i64).to_string() };
    let side_name = match (o.side, o.is_cancel, o.is_amend) {
        (Side::Buy, true, _) => "매수취소",
        (Side::Sell, true, _) => "매도취소",
        (Side::Buy, _, _) => "현금매수",
        (Side::Sell, _, _) => "현금매도",
    };
    super::wire::set(
        &mut r,
        &[
            ("ord_dt", o.date.format("%Y%m%d").to_string()),
            ("ord_gno_brno", branch(s).into()),
            ("odno", o.odno.clone()),
            ("orgn_odno", o.orig_odno.clone().unwrap_or_default()),
            ("ord_dvsn_name", if o.price.is_none() && !o.is_cancel { "시장가" } else { "지정가" }.into()),
            ("sll_buy_dvsn_cd", if o.side == Side::Sell { "01" } else { "02" }.into()),
            ("sll_buy_dvsn_cd_name", side_name.into()),
            ("pdno", o.code.to_string()),
            ("prdt_name", name),
            ("ord_qty", o.qty.to_string()),
            ("ord_unpr", o.price.unwrap_or(0).to_string()),
            ("ord_tmd", o.time.format("%H%M%S").to_string()),
            ("tot_ccld_qty", o.filled_qty.to_string()),
            ("avg_prvs", avg),
            ("cncl_yn", if o.is_cancel { "Y" } else { "" }.into()),
            ("tot_ccld_amt", o.filled_amount.to_string()),
            ("ord_dvsn_cd", o.division.clone()),
            ("cnc_cfrm_qty", o.cancelled_qty.to_string()),
            ("rmn_qty", o.remaining().to_string()),
            ("rjct_qty", "0".into()),
            ("excg_dvsn_cd", "02".into()),
            ("excg_id_dvsn_cd", "KRX".into()),
        ],
    );
    Value::Object(r)
}
