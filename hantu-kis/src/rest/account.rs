//! Account endpoints (§5.11–5.14).

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Price, Side, StockCode};
use rust_decimal::Decimal;

use super::{FromKis, HttpMethod, KisRequest, PAGING_100, Paged, PagingKeys};
use crate::auth::AccountNo;
use crate::env::Environment;
use crate::parse::{Obj, ParseError, fmt_date};

fn account_params(a: &AccountNo) -> Vec<(&'static str, String)> {
    vec![("CANO", a.cano().to_owned()), ("ACNT_PRDT_CD", a.product().to_owned())]
}

/// Which orders [`InquireDailyCcld`] returns (`CCLD_DVSN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillFilter {
    /// `00` all.
    All,
    /// `01` filled.
    Filled,
    /// `02` unfilled.
    Unfilled,
}

/// `inquire-daily-ccld` (`TTTC0081R`/`VTTC0081R`; legacy `TTTC8001R`): orders and fills of a
/// date range within 3 months. Real pages hold 100 rows, paper 15.
#[derive(Clone, Debug)]
pub struct InquireDailyCcld {
    /// The account.
    pub account: AccountNo,
    /// First date.
    pub from: NaiveDate,
    /// Last date.
    pub to: NaiveDate,
    /// Fill filter.
    pub filter: FillFilter,
    /// Only this stock.
    pub code: Option<StockCode>,
    /// Only this order number.
    pub order_no: Option<String>,
    /// Use the legacy tr_id.
    pub legacy: bool,
}

/// One order row of [`InquireDailyCcld`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyOrder {
    /// `ord_dt`.
    pub date: NaiveDate,
    /// `ord_tmd`.
    pub time: NaiveTime,
    /// `ord_gno_brno`.
    pub branch: String,
    /// `odno`.
    pub order_no: String,
    /// `orgn_odno` (for revise/cancel rows).
    pub orig_order_no: Option<String>,
    /// `sll_buy_dvsn_cd`.
    pub side: Side,
    /// `pdno`.
    pub code: StockCode,
    /// `ord_dvsn_cd`.
    pub division: String,
    /// `ord_qty`.
    pub qty: u64,
    /// `ord_unpr` (None = market / cancel).
    pub price: Option<Price>,
    /// `tot_ccld_qty`.
    pub filled_qty: u64,
    /// `avg_prvs` average fill price (None when nothing filled).
    pub avg_price: Option<Price>,
    /// `tot_ccld_amt`.
    pub filled_amount: i64,
    /// `cncl_yn`: this row is a cancel order.
    pub is_cancel: bool,
    /// `cnc_cfrm_qty` cancel-confirmed shares.
    pub cancelled_qty: u64,
    /// `rmn_qty` remaining shares.
    pub remaining_qty: u64,
    /// `rjct_qty` rejected shares.
    pub rejected_qty: u64,
}

/// Reply of [`InquireDailyCcld`].
#[derive(Clone, Debug, PartialEq)]
pub struct DailyOrders {
    /// `output1`.
    pub orders: Vec<DailyOrder>,
    /// `output2.tot_ccld_amt` (of the last page).
    pub total_filled_amount: i64,
    /// `output2.prsm_tlex_smtl` estimated costs and taxes.
    pub estimated_costs: i64,
}

impl FromKis for DailyOrders {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let orders = body.rows("output1", |r| {
            Ok(DailyOrder {
                date: r.date("ord_dt")?,
                time: r.time("ord_tmd")?,
                branch: r.str("ord_gno_brno")?.to_owned(),
                order_no: r.str("odno")?.to_owned(),
                orig_order_no: r.str_opt("orgn_odno")?.map(str::to_owned),
                side: r.side("sll_buy_dvsn_cd")?,
                code: r.code("pdno")?,
                division: r.str("ord_dvsn_cd")?.to_owned(),
                qty: r.uint("ord_qty")?,
                price: r.price_opt("ord_unpr")?,
                filled_qty: r.uint("tot_ccld_qty")?,
                avg_price: avg_price(r, "avg_prvs")?,
                filled_amount: r.int("tot_ccld_amt")?,
                is_cancel: r.yn_or_blank("cncl_yn")?,
                cancelled_qty: if r.has("cnc_cfrm_qty") { r.uint("cnc_cfrm_qty")? } else { r.uint("cncl_cfrm_qty")? },
                remaining_qty: r.uint("rmn_qty")?,
                rejected_qty: r.uint("rjct_qty")?,
            })
        })?;
        let o2 = body.obj("output2")?;
        Ok(Self { orders, total_filled_amount: o2.int("tot_ccld_amt")?, estimated_costs: o2.int("prsm_tlex_smtl")? })
    }
}

/// `avg_prvs` may carry decimals; it is rounded to whole won (KRX fills are whole won, the
/// average of several fills need not be).
fn avg_price(r: Obj<'_>, key: &str) -> Result<Option<Price>, ParseError> {
    let d = r.dec(key)?;
    if d.is_zero() {
        return Ok(None);
    }
    let won = d.round().try_into().ok().and_then(|v: i64| Price::new_checked(v).ok());
    won.map(Some).ok_or_else(|| ParseError { field: key.into(), value: d.to_string(), reason: "expected a price" })
}

impl Paged for DailyOrders {
    fn append(&mut self, next: Self) {
        self.orders.extend(next.orders);
        self.total_filled_amount = next.total_filled_amount;
        self.estimated_costs = next.estimated_costs;
    }
}

impl KisRequest for InquireDailyCcld {
    type Response = DailyOrders;
    const NAME: &'static str = "inquire-daily-ccld";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/inquire-daily-ccld";
    const METHOD: HttpMethod = HttpMethod::Get;
    const PAGING: Option<PagingKeys> = Some(PAGING_100);
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        Some(match (env, self.legacy) {
            (Environment::Real, false) => "TTTC0081R",
            (Environment::Paper, false) => "VTTC0081R",
            (Environment::Real, true) => "TTTC8001R",
            (Environment::Paper, true) => "VTTC8001R",
        })
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = account_params(&self.account);
        p.extend([
            ("INQR_STRT_DT", fmt_date(self.from)),
            ("INQR_END_DT", fmt_date(self.to)),
            ("SLL_BUY_DVSN_CD", "00".into()),
            ("INQR_DVSN", "01".into()),
            ("PDNO", self.code.map(|c| c.to_string()).unwrap_or_default()),
            (
                "CCLD_DVSN",
                match self.filter {
                    FillFilter::All => "00",
                    FillFilter::Filled => "01",
                    FillFilter::Unfilled => "02",
                }
                .into(),
            ),
            ("ORD_GNO_BRNO", String::new()),
            ("ODNO", self.order_no.clone().unwrap_or_default()),
            ("INQR_DVSN_3", "00".into()),
            ("INQR_DVSN_1", String::new()),
            ("EXCG_ID_DVSN_CD", "KRX".into()),
        ]);
        p
    }
}

/// `inquire-balance` (`TTTC8434R`/`VTTC8434R`): holdings (paged, 50 real / 20 paper) and summary.
#[derive(Clone, Debug)]
pub struct InquireBalance {
    /// The account.
    pub account: AccountNo,
}

/// One holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// `pdno`.
    pub code: StockCode,
    /// `prdt_name`.
    pub name: String,
    /// `hldg_qty`.
    pub qty: u64,
    /// `ord_psbl_qty` sellable now.
    pub sellable: u64,
    /// `pchs_avg_pric` (4 d.p.).
    pub avg_price: Decimal,
    /// `pchs_amt`.
    pub purchase_amount: i64,
    /// `prpr` current price.
    pub last: Option<Price>,
    /// `evlu_amt`.
    pub value: i64,
    /// `evlu_pfls_amt`.
    pub pnl: i64,
}

/// Account summary (`output2[0]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceSummary {
    /// `dnca_tot_amt` deposit.
    pub deposit: i64,
    /// `nxdy_excc_amt` D+1 cash.
    pub d1_cash: i64,
    /// `prvs_rcdl_excc_amt` D+2 cash.
    pub d2_cash: i64,
    /// `thdt_buy_amt`.
    pub bought_today: i64,
    /// `thdt_sll_amt`.
    pub sold_today: i64,
    /// `thdt_tlex_amt` today's costs.
    pub costs_today: i64,
    /// `scts_evlu_amt` securities value.
    pub securities_value: i64,
    /// `tot_evlu_amt` total (securities + D+2 cash).
    pub total_value: i64,
    /// `nass_amt` net assets.
    pub net_assets: i64,
    /// `pchs_amt_smtl_amt`.
    pub purchase_total: i64,
    /// `evlu_pfls_smtl_amt`.
    pub pnl_total: i64,
}

/// Reply of [`InquireBalance`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountBalance {
    /// `output1`.
    pub holdings: Vec<Holding>,
    /// `output2[0]`.
    pub summary: BalanceSummary,
}

impl FromKis for AccountBalance {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let holdings = body.rows("output1", |r| {
            Ok(Holding {
                code: r.code("pdno")?,
                name: r.str("prdt_name")?.to_owned(),
                qty: r.uint("hldg_qty")?,
                sellable: r.uint("ord_psbl_qty")?,
                avg_price: r.dec("pchs_avg_pric")?,
                purchase_amount: r.int("pchs_amt")?,
                last: r.price_opt("prpr")?,
                value: r.int("evlu_amt")?,
                pnl: r.int("evlu_pfls_amt")?,
            })
        })?;
        let rows = body.arr("output2")?;
        let s = rows.first().copied().ok_or_else(|| ParseError {
            field: "output2".into(),
            value: "[]".into(),
            reason: "expected one summary row",
        })?;
        let summary = BalanceSummary {
            deposit: s.int("dnca_tot_amt")?,
            d1_cash: s.int("nxdy_excc_amt")?,
            d2_cash: s.int("prvs_rcdl_excc_amt")?,
            bought_today: s.int("thdt_buy_amt")?,
            sold_today: s.int("thdt_sll_amt")?,
            costs_today: s.int("thdt_tlex_amt")?,
            securities_value: s.int("scts_evlu_amt")?,
            total_value: s.int("tot_evlu_amt")?,
            net_assets: s.int("nass_amt")?,
            purchase_total: s.int("pchs_amt_smtl_amt")?,
            pnl_total: s.int("evlu_pfls_smtl_amt")?,
        };
        Ok(Self { holdings, summary })
    }
}

impl Paged for AccountBalance {
    fn append(&mut self, next: Self) {
        self.holdings.extend(next.holdings);
        self.summary = next.summary;
    }
}

impl KisRequest for InquireBalance {
    type Response = AccountBalance;
    const NAME: &'static str = "inquire-balance";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/inquire-balance";
    const METHOD: HttpMethod = HttpMethod::Get;
    const PAGING: Option<PagingKeys> = Some(PAGING_100);
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("TTTC8434R", Some("VTTC8434R"))
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = account_params(&self.account);
        p.extend([
            ("AFHR_FLPR_YN", "N".into()),
            ("OFL_YN", String::new()),
            ("INQR_DVSN", "02".into()),
            ("UNPR_DVSN", "01".into()),
            ("FUND_STTL_ICLD_YN", "N".into()),
            ("FNCG_AMT_AUTO_RDPT_YN", "N".into()),
            ("PRCS_DVSN", "00".into()),
        ]);
        p
    }
}

/// `inquire-psbl-order` (`TTTC8908R`/`VTTC8908R`): buyable cash and quantity.
#[derive(Clone, Debug)]
pub struct InquirePsblOrder {
    /// The account.
    pub account: AccountNo,
    /// Stock (None = amounts only).
    pub code: Option<StockCode>,
    /// Limit price (None = market, sized at the upper limit).
    pub price: Option<Price>,
}

/// Reply of [`InquirePsblOrder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuyingPower {
    /// `ord_psbl_cash`.
    pub cash: i64,
    /// `nrcvb_buy_amt` buyable without margin.
    pub buyable_amount: i64,
    /// `nrcvb_buy_qty`.
    pub buyable_qty: u64,
    /// `psbl_qty_calc_unpr` price used for the quantity.
    pub calc_price: Option<Price>,
}

impl FromKis for BuyingPower {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o = body.obj("output")?;
        Ok(Self {
            cash: o.int("ord_psbl_cash")?,
            buyable_amount: o.int("nrcvb_buy_amt")?,
            buyable_qty: o.uint("nrcvb_buy_qty")?,
            calc_price: o.price_opt("psbl_qty_calc_unpr")?,
        })
    }
}

impl KisRequest for InquirePsblOrder {
    type Response = BuyingPower;
    const NAME: &'static str = "inquire-psbl-order";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/inquire-psbl-order";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("TTTC8908R", Some("VTTC8908R"))
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = account_params(&self.account);
        p.extend([
            ("PDNO", self.code.map(|c| c.to_string()).unwrap_or_default()),
            ("ORD_UNPR", self.price.map(|p| p.to_string()).unwrap_or_default()),
            ("ORD_DVSN", if self.price.is_some() { "00" } else { "01" }.into()),
            ("CMA_EVLU_AMT_ICLD_YN", "N".into()),
            ("OVRS_ICLD_YN", "N".into()),
        ]);
        p
    }
}

/// `inquire-psbl-sell` (`TTTC8408R`, real only): sellable quantity of one stock.
#[derive(Clone, Debug)]
pub struct InquirePsblSell {
    /// The account.
    pub account: AccountNo,
    /// The stock.
    pub code: StockCode,
}

/// Reply of [`InquirePsblSell`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sellable {
    /// `pdno`.
    pub code: StockCode,
    /// `cblc_qty` held.
    pub held: u64,
    /// `ord_psbl_qty`.
    pub sellable: u64,
    /// `pchs_avg_pric`.
    pub avg_price: Decimal,
}

impl FromKis for Sellable {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        // The field table calls the block output1, the example and clients use output.
        let o = if body.has("output") { body.obj("output")? } else { body.obj("output1")? };
        Ok(Self {
            code: o.code("pdno")?,
            held: o.uint("cblc_qty")?,
            sellable: o.uint("ord_psbl_qty")?,
            avg_price: o.dec("pchs_avg_pric")?,
        })
    }
}

impl KisRequest for InquirePsblSell {
    type Response = Sellable;
    const NAME: &'static str = "inquire-psbl-sell";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/inquire-psbl-sell";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("TTTC8408R", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = account_params(&self.account);
        p.push(("PDNO", self.code.to_string()));
        p
    }
}
