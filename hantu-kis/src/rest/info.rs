//! Reference endpoints (§5.16–5.18): stock info, holiday check, condition search. All real only.

use chrono::NaiveDate;
use hantu_core::domain::{Price, StockCode};

use super::{FromKis, HttpMethod, KisRequest, PAGING_PLAIN, Paged, PagingKeys};
use crate::env::Environment;
use crate::parse::{Obj, ParseError, fmt_date};

/// `search-info` (`CTPF1604R`): product names and codes.
#[derive(Clone, Copy, Debug)]
pub struct SearchInfo {
    /// The stock.
    pub code: StockCode,
}

/// Reply of [`SearchInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductInfo {
    /// `shtn_pdno` short code.
    pub code: StockCode,
    /// `std_pdno` ISIN.
    pub isin: String,
    /// `prdt_abrv_name`.
    pub name: String,
    /// `prdt_eng_abrv_name`.
    pub name_en: String,
    /// `prdt_type_cd`.
    pub product_type: String,
}

impl FromKis for ProductInfo {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o = body.obj("output")?;
        Ok(Self {
            code: o.code("shtn_pdno")?,
            isin: o.str("std_pdno")?.to_owned(),
            name: o.str("prdt_abrv_name")?.to_owned(),
            name_en: o.str("prdt_eng_abrv_name")?.to_owned(),
            product_type: o.str("prdt_type_cd")?.to_owned(),
        })
    }
}

impl KisRequest for SearchInfo {
    type Response = ProductInfo;
    const NAME: &'static str = "search-info";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/search-info";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("CTPF1604R", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("PDNO", self.code.to_string()), ("PRDT_TYPE_CD", "300".into())]
    }
}

/// `search-stock-info` (`CTPF1002R`): listing details.
#[derive(Clone, Copy, Debug)]
pub struct SearchStockInfo {
    /// The stock.
    pub code: StockCode,
}

/// Reply of [`SearchStockInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockInfo {
    /// `prdt_abrv_name`.
    pub name: String,
    /// `std_pdno` ISIN.
    pub isin: String,
    /// `mket_id_cd` (e.g. `STK` KOSPI, `KSQ` KOSDAQ).
    pub market_id: String,
    /// `scty_grp_id_cd` (`ST` stock, `EF` ETF...).
    pub group: String,
    /// `lstg_stqt` listed shares.
    pub listed_shares: u64,
    /// `scts_mket_lstg_dt` or `kosdaq_mket_lstg_dt`.
    pub listed_on: Option<NaiveDate>,
    /// `tr_stop_yn` halted.
    pub halted: bool,
    /// `admn_item_yn` managed issue.
    pub managed: bool,
    /// `thdt_clpr` today's close (None before the close).
    pub close: Option<Price>,
    /// `bfdy_clpr` previous close.
    pub prev_close: Option<Price>,
}

impl FromKis for StockInfo {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o = body.obj("output")?;
        let listed_on = match o.date_opt("scts_mket_lstg_dt")? {
            Some(d) => Some(d),
            None => o.date_opt("kosdaq_mket_lstg_dt")?,
        };
        Ok(Self {
            name: o.str("prdt_abrv_name")?.to_owned(),
            isin: o.str("std_pdno")?.to_owned(),
            market_id: o.str("mket_id_cd")?.to_owned(),
            group: o.str("scty_grp_id_cd")?.to_owned(),
            listed_shares: o.uint("lstg_stqt")?,
            listed_on,
            halted: o.yn("tr_stop_yn")?,
            managed: o.yn("admn_item_yn")?,
            close: o.price_opt("thdt_clpr")?,
            prev_close: o.price_opt("bfdy_clpr")?,
        })
    }
}

impl KisRequest for SearchStockInfo {
    type Response = StockInfo;
    const NAME: &'static str = "search-stock-info";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/search-stock-info";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("CTPF1002R", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("PRDT_TYPE_CD", "300".into()), ("PDNO", self.code.to_string())]
    }
}

/// `chk-holiday` (`CTCA0903R`): one row per calendar day from `from`. Call about once a day.
#[derive(Clone, Copy, Debug)]
pub struct ChkHoliday {
    /// First day.
    pub from: NaiveDate,
}

/// One day of [`ChkHoliday`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketDay {
    /// `bass_dt`.
    pub date: NaiveDate,
    /// `bzdy_yn` business day.
    pub business_day: bool,
    /// `tr_day_yn` trading day.
    pub trading_day: bool,
    /// `opnd_yn` market open: whether orders can be placed.
    pub open: bool,
    /// `sttl_day_yn` settlement day.
    pub settlement_day: bool,
}

/// Reply of [`ChkHoliday`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketDays(pub Vec<MarketDay>);

impl FromKis for MarketDays {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output", |r| {
            Ok(MarketDay {
                date: r.date("bass_dt")?,
                business_day: r.yn("bzdy_yn")?,
                trading_day: r.yn("tr_day_yn")?,
                open: r.yn("opnd_yn")?,
                settlement_day: r.yn("sttl_day_yn")?,
            })
        })
        .map(Self)
    }
}

impl Paged for MarketDays {
    fn append(&mut self, next: Self) {
        self.0.extend(next.0);
    }
}

impl KisRequest for ChkHoliday {
    type Response = MarketDays;
    const NAME: &'static str = "chk-holiday";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/chk-holiday";
    const METHOD: HttpMethod = HttpMethod::Get;
    const PAGING: Option<PagingKeys> = Some(PAGING_PLAIN);
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("CTCA0903R", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("BASS_DT", fmt_date(self.from))]
    }
}

/// `psearch-title` (`HHKST03900300`): saved condition searches of an HTS user.
#[derive(Clone, Debug)]
pub struct PsearchTitle {
    /// HTS user id.
    pub user_id: String,
}

/// One saved condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionTitle {
    /// `seq` (0-based).
    pub seq: String,
    /// `grp_nm`.
    pub group: String,
    /// `condition_nm`.
    pub name: String,
}

/// Reply of [`PsearchTitle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionTitles(pub Vec<ConditionTitle>);

impl FromKis for ConditionTitles {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output2", |r| {
            Ok(ConditionTitle {
                seq: r.str("seq")?.to_owned(),
                group: r.str("grp_nm")?.to_owned(),
                name: r.str("condition_nm")?.to_owned(),
            })
        })
        .map(Self)
    }
}

impl KisRequest for PsearchTitle {
    type Response = ConditionTitles;
    const NAME: &'static str = "psearch-title";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/psearch-title";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("HHKST03900300", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("user_id", self.user_id.clone())]
    }
}

/// `psearch-result` (`HHKST03900400`): stocks matching a saved condition (max 100). Zero
/// matches arrive as an error `MCA05918`.
#[derive(Clone, Debug)]
pub struct PsearchResult {
    /// HTS user id.
    pub user_id: String,
    /// `seq` from [`PsearchTitle`].
    pub seq: String,
}

/// One match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionMatch {
    /// `code`.
    pub code: StockCode,
    /// `name`.
    pub name: String,
    /// `price`.
    pub price: Price,
    /// `acml_vol`.
    pub volume: u64,
}

/// Reply of [`PsearchResult`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionMatches(pub Vec<ConditionMatch>);

impl FromKis for ConditionMatches {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output2", |r| {
            Ok(ConditionMatch {
                code: r.code("code")?,
                name: r.str("name")?.to_owned(),
                price: r.price("price")?,
                volume: r.uint("acml_vol")?,
            })
        })
        .map(Self)
    }
}

impl KisRequest for PsearchResult {
    type Response = ConditionMatches;
    const NAME: &'static str = "psearch-result";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/psearch-result";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("HHKST03900400", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("user_id", self.user_id.clone()), ("seq", self.seq.clone())]
    }
}
