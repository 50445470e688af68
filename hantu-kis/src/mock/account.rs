//! Account queries of the local server: balance, daily orders and fills, revisable orders,
//! buyable amount, sellable quantity. Paginated with `tr_cont` and fixed-width ctx strings.

use hantu_core::domain::Side;
use hantu_core::krx::FeeModel;
use serde_json::{Map, Value};

use super::server::Req;
use super::state::State;
use super::trading::{self, check_account};
use super::wire::{ACCOUNT_LAST, ACCOUNT_OK, PAPER_OK, Reply, envelope, offset_of, pad_to, page, set, template};
use crate::parse::{parse_date, parse_int};

fn ok_msg(s: &State) -> (&'static str, &'static str) {
    if s.is_paper() { PAPER_OK } else { ACCOUNT_OK }
}

/// Reads the paging cursor of a request: offset of the next row, or a refusal.
fn cursor(req: &Req) -> Result<usize, Reply> {
    offset_of(req.get("CTX_AREA_NK100"))
        .ok_or_else(|| Reply::reject("OPSQ2002", "ERROR : INPUT INVALID_CHECK_FIELD_LENGTH"))
}

fn paged(
    s: &State,
    req: &Req,
    rows: Vec<Value>,
    size: usize,
    block: &str,
    fk: String,
    extra: Vec<(&str, Value)>,
) -> Reply {
    let offset = match cursor(req) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (range, letter, nk) = page(rows.len(), offset, size, 100);
    let mut body = Map::new();
    body.insert("ctx_area_fk100".into(), Value::String(pad_to(&fk, 100)));
    body.insert("ctx_area_nk100".into(), Value::String(nk));
    body.insert(block.into(), Value::Array(rows[range].to_vec()));
    for (k, v) in extra {
        body.insert(k.into(), v);
    }
    let msg = if !s.is_paper() && letter == "D" && offset > 0 { ACCOUNT_LAST } else { ok_msg(s) };
    Reply::ok(envelope(body, msg, true)).with_tr_cont(letter)
}

pub(super) fn psbl_rvsecncl(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    let rows: Vec<Value> = s
        .orders
        .iter()
        .filter(|o| o.remaining() > 0)
        .map(|o| {
            let mut r = template("inquire-psbl-rvsecncl", "output");
            let name = s.config.market.get(o.code).map(|l| l.instrument.name.clone()).unwrap_or_default();
            set(
                &mut r,
                &[
                    ("ord_gno_brno", trading::branch(s).into()),
                    ("odno", o.odno.clone()),
                    ("orgn_odno", o.orig_odno.clone().unwrap_or_default()),
                    ("ord_dvsn_name", if o.price.is_none() { "시장가" } else { "지정가" }.into()),
                    ("pdno", o.code.to_string()),
                    ("prdt_name", name),
                    ("ord_qty", o.qty.to_string()),
                    ("ord_unpr", o.price.unwrap_or(0).to_string()),
                    ("ord_tmd", o.time.format("%H%M%S").to_string()),
                    ("tot_ccld_qty", o.filled_qty.to_string()),
                    ("tot_ccld_amt", o.filled_amount.to_string()),
                    ("psbl_qty", o.remaining().to_string()),
                    ("sll_buy_dvsn_cd", if o.side == Side::Sell { "01" } else { "02" }.into()),
                    ("ord_dvsn_cd", o.division.clone()),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let fk = format!("{}^{}^", s.config.cano, s.config.product);
    paged(s, req, rows, 50, "output", fk, Vec::new())
}

pub(super) fn daily_ccld(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    let (Some(from), Some(to)) = (parse_date(req.get("INQR_STRT_DT")), parse_date(req.get("INQR_END_DT"))) else {
        return Reply::reject("OPSQ2002", "ERROR : INPUT INVALID_CHECK_FIELD_LENGTH");
    };
    let side = req.get("SLL_BUY_DVSN_CD");
    let code = req.get("PDNO").trim();
    let odno = parse_int(req.get("ODNO").trim());
    let ccld = req.get("CCLD_DVSN");
    let mut orders: Vec<_> = s
        .orders
        .iter()
        .filter(|o| (from..=to).contains(&o.date))
        .filter(|o| match side {
            "01" => o.side == Side::Sell,
            "02" => o.side == Side::Buy,
            _ => true,
        })
        .filter(|o| code.is_empty() || o.code.as_str() == code)
        .filter(|o| odno.is_none() || parse_int(&o.odno) == odno)
        .filter(|o| match ccld {
            "01" => o.filled_qty > 0,
            "02" => o.remaining() > 0,
            _ => true,
        })
        .collect();
    if req.get("INQR_DVSN") != "01" {
        orders.reverse();
    }
    let rows: Vec<Value> = orders.iter().map(|o| trading::ccld_row(s, o)).collect();
    let (tot_qty, tot_ccld, tot_amt) =
        orders.iter().fold((0u64, 0u64, 0i64), |a, o| (a.0 + o.qty, a.1 + o.filled_qty, a.2 + o.filled_amount));
    let fee = FeeModel { commission_rate: s.config.commission_rate, tax: true };
    let mut o2 = template("inquire-daily-ccld", "output2");
    set(
        &mut o2,
        &[
            ("tot_ord_qty", tot_qty.to_string()),
            ("tot_ccld_qty", tot_ccld.to_string()),
            ("tot_ccld_amt", tot_amt.to_string()),
            ("prsm_tlex_smtl", fee.commission(tot_amt).to_won().to_string()),
            (
                "pchs_avg_pric",
                if tot_ccld == 0 { "0.0000".into() } else { format!("{:.4}", tot_amt as f64 / tot_ccld as f64) },
            ),
        ],
    );
    let size = if s.is_paper() { 15 } else { 100 };
    let fk = format!(
        "{}^{}^{}^{}^ ^{side}^{ccld}^",
        s.config.cano,
        s.config.product,
        req.get("INQR_STRT_DT"),
        req.get("INQR_END_DT")
    );
    paged(s, req, rows, size, "output1", fk, vec![("output2", Value::Object(o2))])
}

pub(super) fn balance(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    let today = s.now().kst_date();
    let mut scts = 0i64;
    let mut pchs_total = 0i64;
    let rows: Vec<Value> = s
        .holdings
        .iter()
        .filter(|(_, h)| h.qty > 0 || h.bought_today > 0 || h.sold_today > 0)
        .map(|(code, h)| {
            let l = s.config.market.get(*code);
            let last = l.map_or(0, |l| l.last);
            let base = l.map_or(last, |l| l.base(today));
            let value = last * h.qty as i64;
            scts += value;
            pchs_total += h.cost;
            let avg = if h.qty == 0 { 0.0 } else { h.cost as f64 / h.qty as f64 };
            let pnl = value - h.cost;
            let mut r = template("inquire-balance", "output1");
            set(
                &mut r,
                &[
                    ("pdno", code.to_string()),
                    ("prdt_name", l.map(|l| l.instrument.name.clone()).unwrap_or_default()),
                    ("thdt_buyqty", h.bought_today.to_string()),
                    ("thdt_sll_qty", h.sold_today.to_string()),
                    ("hldg_qty", h.qty.to_string()),
                    ("ord_psbl_qty", trading::sellable(s, *code).to_string()),
                    ("pchs_avg_pric", format!("{avg:.4}")),
                    ("pchs_amt", h.cost.to_string()),
                    ("prpr", last.to_string()),
                    ("evlu_amt", value.to_string()),
                    ("evlu_pfls_amt", pnl.to_string()),
                    (
                        "evlu_pfls_rt",
                        if h.cost == 0 { "0.00".into() } else { format!("{:.2}", pnl as f64 * 100.0 / h.cost as f64) },
                    ),
                    ("bfdy_cprs_icdc", (last - base).to_string()),
                    (
                        "fltt_rt",
                        if base == 0 {
                            "0.00000000".into()
                        } else {
                            format!("{:.8}", (last - base) as f64 * 100.0 / base as f64)
                        },
                    ),
                ],
            );
            Value::Object(r)
        })
        .collect();
    let mut o2 = template("inquire-balance", "output2");
    set(
        &mut o2,
        &[
            ("dnca_tot_amt", s.cash.to_string()),
            ("nxdy_excc_amt", s.cash.to_string()),
            ("prvs_rcdl_excc_amt", s.cash.to_string()),
            ("thdt_buy_amt", s.bought_today.to_string()),
            ("thdt_sll_amt", s.sold_today.to_string()),
            ("thdt_tlex_amt", s.costs_today.to_string()),
            ("scts_evlu_amt", scts.to_string()),
            ("tot_evlu_amt", (scts + s.cash).to_string()),
            ("nass_amt", (scts + s.cash).to_string()),
            ("pchs_amt_smtl_amt", pchs_total.to_string()),
            ("evlu_amt_smtl_amt", scts.to_string()),
            ("evlu_pfls_smtl_amt", (scts - pchs_total).to_string()),
        ],
    );
    let size = if s.is_paper() { 20 } else { 50 };
    let fk = format!("{}^{}^N^N^02^01^N^", s.config.cano, s.config.product);
    paged(s, req, rows, size, "output1", fk, vec![("output2", Value::Array(vec![Value::Object(o2)]))])
}

pub(super) fn psbl_order(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    let today = s.now().kst_date();
    let cash = trading::orderable_cash(s);
    let listing = req.code("PDNO").and_then(|c| s.config.market.get(c));
    let price = match (req.get("ORD_DVSN"), parse_int(req.get("ORD_UNPR")).filter(|p| *p > 0)) {
        ("01", _) | (_, None) => listing.map(|l| l.limits(today).1),
        (_, Some(p)) => Some(p),
    };
    let rate = s.config.commission_rate;
    let qty = price.filter(|p| *p > 0).map_or(0, |p| {
        let per_share = rust_decimal::Decimal::from(p) * (rust_decimal::Decimal::ONE + rate);
        (rust_decimal::Decimal::from(cash.max(0)) / per_share).floor().try_into().unwrap_or(0i64)
    });
    let amount = price.map_or(cash, |p| p * qty);
    let mut o = template("inquire-psbl-order", "output");
    set(
        &mut o,
        &[
            ("ord_psbl_cash", cash.to_string()),
            ("psbl_qty_calc_unpr", price.unwrap_or(0).to_string()),
            ("nrcvb_buy_amt", amount.to_string()),
            ("nrcvb_buy_qty", qty.to_string()),
            ("max_buy_amt", amount.to_string()),
            ("max_buy_qty", qty.to_string()),
        ],
    );
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, ok_msg(s), true))
}

pub(super) fn psbl_sell(s: &mut State, req: &Req) -> Reply {
    if let Some(r) = check_account(s, req) {
        return r;
    }
    let Some(code) = req.code("PDNO") else {
        return Reply::reject("APBK0656", "해당종목정보가 없습니다.");
    };
    let h = s.holdings.get(&code).cloned().unwrap_or_default();
    let last = s.config.market.get(code).map_or(0, |l| l.last);
    let avg = if h.qty == 0 { 0.0 } else { h.cost as f64 / h.qty as f64 };
    let mut o = template("inquire-psbl-sell", "output");
    set(
        &mut o,
        &[
            ("pdno", code.to_string()),
            ("prdt_name", s.config.market.get(code).map(|l| l.instrument.name.clone()).unwrap_or_default()),
            ("buy_qty", h.bought_today.to_string()),
            ("sll_qty", h.sold_today.to_string()),
            ("cblc_qty", h.qty.to_string()),
            ("ord_psbl_qty", trading::sellable(s, code).to_string()),
            ("pchs_avg_pric", format!("{avg:.4}")),
            ("pchs_amt", h.cost.to_string()),
            ("now_pric", last.to_string()),
            ("evlu_amt", (last * h.qty as i64).to_string()),
            ("evlu_pfls_amt", (last * h.qty as i64 - h.cost).to_string()),
        ],
    );
    let mut body = Map::new();
    body.insert("output".into(), Value::Object(o));
    Reply::ok(envelope(body, ("KIOK0420", "정상적으로 조회되었습니다"), true))
}
