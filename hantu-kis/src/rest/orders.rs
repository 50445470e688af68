//! Order endpoints (§5.8–5.10). Order requests are [`RequestKind::Order`]: never retried after
//! they may have reached KIS.

use chrono::NaiveTime;
use hantu_core::domain::{Price, Side, StockCode};

use super::{FromKis, HttpMethod, KisRequest, PAGING_100, Paged, PagingKeys, RequestKind, side_code};
use crate::auth::AccountNo;
use crate::env::Environment;
use crate::parse::{Obj, ParseError};

/// `ORD_DVSN` codes hantu sends (§5.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDivision {
    /// `00` limit.
    Limit,
    /// `01` market.
    Market,
    /// `11` IOC limit (real only).
    IocLimit,
    /// `12` FOK limit (real only).
    FokLimit,
    /// `13` IOC market (real only).
    IocMarket,
    /// `14` FOK market (real only).
    FokMarket,
}

impl OrderDivision {
    /// Wire code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            OrderDivision::Limit => "00",
            OrderDivision::Market => "01",
            OrderDivision::IocLimit => "11",
            OrderDivision::FokLimit => "12",
            OrderDivision::IocMarket => "13",
            OrderDivision::FokMarket => "14",
        }
    }

    /// Parses a wire code.
    #[must_use]
    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "00" => OrderDivision::Limit,
            "01" => OrderDivision::Market,
            "11" => OrderDivision::IocLimit,
            "12" => OrderDivision::FokLimit,
            "13" => OrderDivision::IocMarket,
            "14" => OrderDivision::FokMarket,
            _ => return None,
        })
    }

    /// Whether the order carries no price.
    #[must_use]
    pub const fn is_market(self) -> bool {
        matches!(self, OrderDivision::Market | OrderDivision::IocMarket | OrderDivision::FokMarket)
    }
}

/// `order-cash`: buy (`TTTC0012U`/`VTTC0012U`) or sell (`TTTC0011U`/`VTTC0011U`);
/// legacy `…0802U`/`…0801U` when `legacy` is set.
#[derive(Clone, Debug)]
pub struct OrderCash {
    /// The account.
    pub account: AccountNo,
    /// Buy or sell.
    pub side: Side,
    /// The stock.
    pub code: StockCode,
    /// Order division.
    pub division: OrderDivision,
    /// Shares.
    pub qty: u64,
    /// Limit price (`None` for market orders: sent as `"0"`).
    pub price: Option<Price>,
    /// Use the legacy tr_ids.
    pub legacy: bool,
}

/// Reply of the order endpoints (`output`, upper-case keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAck {
    /// `KRX_FWDG_ORD_ORGNO` branch (needed to revise or cancel).
    pub branch: String,
    /// `ODNO` order number.
    pub order_no: String,
    /// `ORD_TMD` time (KST).
    pub time: NaiveTime,
}

impl FromKis for OrderAck {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o = body.obj("output")?;
        let order_no = o.str("ODNO")?;
        if order_no.is_empty() || !order_no.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError { field: "output.ODNO".into(), value: order_no.into(), reason: "expected digits" });
        }
        Ok(Self {
            branch: o.str("KRX_FWDG_ORD_ORGNO")?.to_owned(),
            order_no: order_no.to_owned(),
            time: o.time("ORD_TMD")?,
        })
    }
}

impl KisRequest for OrderCash {
    type Response = OrderAck;
    const NAME: &'static str = "order-cash";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/order-cash";
    const METHOD: HttpMethod = HttpMethod::Post;
    const KIND: RequestKind = RequestKind::Order;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        Some(match (env, self.side, self.legacy) {
            (Environment::Real, Side::Buy, false) => "TTTC0012U",
            (Environment::Real, Side::Sell, false) => "TTTC0011U",
            (Environment::Paper, Side::Buy, false) => "VTTC0012U",
            (Environment::Paper, Side::Sell, false) => "VTTC0011U",
            (Environment::Real, Side::Buy, true) => "TTTC0802U",
            (Environment::Real, Side::Sell, true) => "TTTC0801U",
            (Environment::Paper, Side::Buy, true) => "VTTC0802U",
            (Environment::Paper, Side::Sell, true) => "VTTC0801U",
        })
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CANO", self.account.cano().to_owned()),
            ("ACNT_PRDT_CD", self.account.product().to_owned()),
            ("PDNO", self.code.to_string()),
            ("ORD_DVSN", self.division.code().into()),
            ("ORD_QTY", self.qty.to_string()),
            ("ORD_UNPR", self.price.map_or_else(|| "0".into(), |p| p.to_string())),
            ("EXCG_ID_DVSN_CD", "KRX".into()),
        ]
    }
}

/// Revise (`01`) or cancel (`02`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviseCancel {
    /// `01`: new price (and quantity).
    Revise,
    /// `02`.
    Cancel,
}

/// `order-rvsecncl` (`TTTC0013U`/`VTTC0013U`; legacy `…0803U`).
#[derive(Clone, Debug)]
pub struct OrderRvsecncl {
    /// The account.
    pub account: AccountNo,
    /// `KRX_FWDG_ORD_ORGNO` of the original order.
    pub branch: String,
    /// `ORGN_ODNO`.
    pub order_no: String,
    /// Revise or cancel.
    pub action: ReviseCancel,
    /// Order division of the revised order.
    pub division: OrderDivision,
    /// Shares (`None` = all remaining, `QTY_ALL_ORD_YN=Y`).
    pub qty: Option<u64>,
    /// New price (revise only).
    pub price: Option<Price>,
    /// Use the legacy tr_id.
    pub legacy: bool,
}

impl KisRequest for OrderRvsecncl {
    type Response = OrderAck;
    const NAME: &'static str = "order-rvsecncl";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/order-rvsecncl";
    const METHOD: HttpMethod = HttpMethod::Post;
    const KIND: RequestKind = RequestKind::Order;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        Some(match (env, self.legacy) {
            (Environment::Real, false) => "TTTC0013U",
            (Environment::Paper, false) => "VTTC0013U",
            (Environment::Real, true) => "TTTC0803U",
            (Environment::Paper, true) => "VTTC0803U",
        })
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CANO", self.account.cano().to_owned()),
            ("ACNT_PRDT_CD", self.account.product().to_owned()),
            ("KRX_FWDG_ORD_ORGNO", self.branch.clone()),
            ("ORGN_ODNO", self.order_no.clone()),
            ("ORD_DVSN", self.division.code().into()),
            ("RVSE_CNCL_DVSN_CD", if self.action == ReviseCancel::Revise { "01" } else { "02" }.into()),
            ("ORD_QTY", self.qty.unwrap_or(0).to_string()),
            ("ORD_UNPR", self.price.map_or_else(|| "0".into(), |p| p.to_string())),
            ("QTY_ALL_ORD_YN", if self.qty.is_none() { "Y" } else { "N" }.into()),
            ("EXCG_ID_DVSN_CD", "KRX".into()),
        ]
    }
}

/// `inquire-psbl-rvsecncl` (`TTTC0084R`, real only): orders that can still be revised/cancelled.
#[derive(Clone, Debug)]
pub struct InquirePsblRvsecncl {
    /// The account.
    pub account: AccountNo,
}

/// One revisable order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisableOrder {
    /// `ord_gno_brno`.
    pub branch: String,
    /// `odno`.
    pub order_no: String,
    /// `pdno`.
    pub code: StockCode,
    /// `sll_buy_dvsn_cd`.
    pub side: Side,
    /// `ord_dvsn_cd`.
    pub division: String,
    /// `ord_qty`.
    pub qty: u64,
    /// `ord_unpr` (None for market).
    pub price: Option<Price>,
    /// `ord_tmd`.
    pub time: NaiveTime,
    /// `tot_ccld_qty`.
    pub filled_qty: u64,
    /// `tot_ccld_amt`.
    pub filled_amount: i64,
    /// `psbl_qty` (cancellable).
    pub cancellable_qty: u64,
}

/// Reply of [`InquirePsblRvsecncl`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisableOrders(pub Vec<RevisableOrder>);

impl FromKis for RevisableOrders {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output", |r| {
            Ok(RevisableOrder {
                branch: r.str("ord_gno_brno")?.to_owned(),
                order_no: r.str("odno")?.to_owned(),
                code: r.code("pdno")?,
                side: r.side("sll_buy_dvsn_cd")?,
                division: r.str("ord_dvsn_cd")?.to_owned(),
                qty: r.uint("ord_qty")?,
                price: r.price_opt("ord_unpr")?,
                time: r.time("ord_tmd")?,
                filled_qty: r.uint("tot_ccld_qty")?,
                filled_amount: r.int("tot_ccld_amt")?,
                cancellable_qty: r.uint("psbl_qty")?,
            })
        })
        .map(Self)
    }
}

impl Paged for RevisableOrders {
    fn append(&mut self, next: Self) {
        self.0.extend(next.0);
    }
}

impl KisRequest for InquirePsblRvsecncl {
    type Response = RevisableOrders;
    const NAME: &'static str = "inquire-psbl-rvsecncl";
    const PATH: &'static str = "/uapi/domestic-stock/v1/trading/inquire-psbl-rvsecncl";
    const METHOD: HttpMethod = HttpMethod::Get;
    const PAGING: Option<PagingKeys> = Some(PAGING_100);
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("TTTC0084R", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CANO", self.account.cano().to_owned()),
            ("ACNT_PRDT_CD", self.account.product().to_owned()),
            ("INQR_DVSN_1", "0".into()),
            ("INQR_DVSN_2", "0".into()),
        ]
    }
}

/// Side filter code for inquiries (`00` all).
#[must_use]
pub fn side_filter(side: Option<Side>) -> &'static str {
    side.map_or("00", side_code)
}
