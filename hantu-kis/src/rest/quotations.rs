//! Quotation endpoints (§5.1–5.7, 5.15): same tr_id on real and paper unless noted.

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Price, StockCode};
use rust_decimal::Decimal;

use super::{FromKis, HttpMethod, KisRequest};
use crate::env::Environment;
use crate::parse::{Obj, ParseError, fmt_date};

const MARKET_J: &str = "J";

fn code_params(code: StockCode) -> Vec<(&'static str, String)> {
    vec![("FID_COND_MRKT_DIV_CODE", MARKET_J.into()), ("FID_INPUT_ISCD", code.to_string())]
}

/// `inquire-price` (FHKST01010100): current price and day summary of one stock.
#[derive(Clone, Copy, Debug)]
pub struct InquirePrice {
    /// The stock.
    pub code: StockCode,
}

/// Reply of [`InquirePrice`] (`output`, the fields hantu uses).
#[derive(Clone, Debug, PartialEq)]
pub struct PriceQuote {
    /// `stck_shrn_iscd`.
    pub code: Option<StockCode>,
    /// `stck_prpr` current price.
    pub last: Price,
    /// `prdy_vrss` change vs previous close (signed won).
    pub change: i64,
    /// `prdy_ctrt` change %.
    pub change_pct: Decimal,
    /// `stck_oprc` open (None before the first trade).
    pub open: Option<Price>,
    /// `stck_hgpr` high.
    pub high: Option<Price>,
    /// `stck_lwpr` low.
    pub low: Option<Price>,
    /// `stck_mxpr` upper limit.
    pub upper_limit: Price,
    /// `stck_llam` lower limit.
    pub lower_limit: Price,
    /// `stck_sdpr` base price (normally the previous close).
    pub base: Price,
    /// `acml_vol` volume today.
    pub volume: u64,
    /// `acml_tr_pbmn` traded value today (KRW).
    pub traded_value: i64,
    /// `aspr_unit` tick size.
    pub tick: i64,
    /// `lstn_stcn` listed shares.
    pub listed_shares: u64,
    /// `hts_avls` market cap (100 million KRW).
    pub market_cap_eok: i64,
    /// `per`.
    pub per: Decimal,
    /// `pbr`.
    pub pbr: Decimal,
    /// `temp_stop_yn` trading halted.
    pub halted: bool,
}

impl FromKis for PriceQuote {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o = body.obj("output")?;
        Ok(Self {
            code: o.str_opt("stck_shrn_iscd")?.map(StockCode::new_checked).transpose().ok().flatten(),
            last: o.price("stck_prpr")?,
            change: o.int("prdy_vrss")?,
            change_pct: o.dec("prdy_ctrt")?,
            open: o.price_opt("stck_oprc")?,
            high: o.price_opt("stck_hgpr")?,
            low: o.price_opt("stck_lwpr")?,
            upper_limit: o.price("stck_mxpr")?,
            lower_limit: o.price("stck_llam")?,
            base: o.price("stck_sdpr")?,
            volume: o.uint("acml_vol")?,
            traded_value: o.int("acml_tr_pbmn")?,
            tick: o.int("aspr_unit")?,
            listed_shares: o.uint("lstn_stcn")?,
            market_cap_eok: o.int("hts_avls")?,
            per: o.dec("per")?,
            pbr: o.dec("pbr")?,
            halted: o.yn("temp_stop_yn")?,
        })
    }
}

impl KisRequest for InquirePrice {
    type Response = PriceQuote;
    const NAME: &'static str = "inquire-price";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-price";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST01010100")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        code_params(self.code)
    }
}

/// `inquire-ccnl` (FHKST01010300): the latest ~30 executions.
#[derive(Clone, Copy, Debug)]
pub struct InquireCcnl {
    /// The stock.
    pub code: StockCode,
}

/// One execution of [`InquireCcnl`].
#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    /// `stck_cntg_hour`.
    pub time: NaiveTime,
    /// `stck_prpr`.
    pub price: Price,
    /// `cntg_vol`.
    pub qty: u64,
    /// `tday_rltv` execution strength.
    pub strength: Decimal,
}

/// Reply of [`InquireCcnl`].
#[derive(Clone, Debug, PartialEq)]
pub struct Executions(pub Vec<Execution>);

impl FromKis for Executions {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output", |r| {
            Ok(Execution {
                time: r.time("stck_cntg_hour")?,
                price: r.price("stck_prpr")?,
                qty: r.uint("cntg_vol")?,
                strength: r.dec("tday_rltv")?,
            })
        })
        .map(Self)
    }
}

impl KisRequest for InquireCcnl {
    type Response = Executions;
    const NAME: &'static str = "inquire-ccnl";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-ccnl";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST01010300")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        code_params(self.code)
    }
}

/// Bar period of the chart endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartPeriod {
    /// `D`.
    Day,
    /// `W`.
    Week,
    /// `M`.
    Month,
    /// `Y`.
    Year,
}

impl ChartPeriod {
    /// Wire code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            ChartPeriod::Day => "D",
            ChartPeriod::Week => "W",
            ChartPeriod::Month => "M",
            ChartPeriod::Year => "Y",
        }
    }
}

/// `inquire-daily-itemchartprice` (FHKST03010100): up to 100 bars in `from..=to`, newest first.
/// Page backwards by moving `to` before the oldest bar returned.
#[derive(Clone, Copy, Debug)]
pub struct InquireDailyItemChartPrice {
    /// The stock.
    pub code: StockCode,
    /// First date.
    pub from: NaiveDate,
    /// Last date.
    pub to: NaiveDate,
    /// Bar period.
    pub period: ChartPeriod,
    /// Adjusted prices (`FID_ORG_ADJ_PRC` `0`).
    pub adjusted: bool,
}

/// One daily (or weekly...) bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyBar {
    /// `stck_bsop_date`.
    pub date: NaiveDate,
    /// `stck_oprc`.
    pub open: Price,
    /// `stck_hgpr`.
    pub high: Price,
    /// `stck_lwpr`.
    pub low: Price,
    /// `stck_clpr`.
    pub close: Price,
    /// `acml_vol`.
    pub volume: u64,
    /// `acml_tr_pbmn` (KRW).
    pub traded_value: i64,
}

fn daily_bar(r: Obj<'_>) -> Result<DailyBar, ParseError> {
    Ok(DailyBar {
        date: r.date("stck_bsop_date")?,
        open: r.price("stck_oprc")?,
        high: r.price("stck_hgpr")?,
        low: r.price("stck_lwpr")?,
        close: r.price("stck_clpr")?,
        volume: r.uint("acml_vol")?,
        traded_value: r.int("acml_tr_pbmn")?,
    })
}

/// Reply of [`InquireDailyItemChartPrice`].
#[derive(Clone, Debug, PartialEq)]
pub struct DailyChart {
    /// `output1.hts_kor_isnm` name.
    pub name: String,
    /// `output1.stck_prdy_clpr` previous close.
    pub prev_close: Option<Price>,
    /// `output2` bars, newest first as sent. KIS sends an empty row (`{}`-like, blank date)
    /// when no bars exist; such rows are skipped.
    pub bars: Vec<DailyBar>,
}

impl FromKis for DailyChart {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o1 = body.obj("output1")?;
        let mut bars = Vec::new();
        for r in body.arr("output2")? {
            if r.str_opt("stck_bsop_date")?.is_none() {
                continue;
            }
            bars.push(daily_bar(r)?);
        }
        Ok(Self {
            name: o1.str_opt("hts_kor_isnm")?.unwrap_or_default().to_owned(),
            prev_close: o1.price_opt("stck_prdy_clpr")?,
            bars,
        })
    }
}

impl KisRequest for InquireDailyItemChartPrice {
    type Response = DailyChart;
    const NAME: &'static str = "inquire-daily-itemchartprice";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST03010100")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = code_params(self.code);
        p.push(("FID_INPUT_DATE_1", fmt_date(self.from)));
        p.push(("FID_INPUT_DATE_2", fmt_date(self.to)));
        p.push(("FID_PERIOD_DIV_CODE", self.period.code().into()));
        p.push(("FID_ORG_ADJ_PRC", if self.adjusted { "0" } else { "1" }.into()));
        p
    }
}

/// `inquire-daily-price` (FHKST01010400): the last 30 days/weeks/months.
#[derive(Clone, Copy, Debug)]
pub struct InquireDailyPrice {
    /// The stock.
    pub code: StockCode,
    /// Period (day, week or month).
    pub period: ChartPeriod,
}

/// Reply of [`InquireDailyPrice`], newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyPrices(pub Vec<DailyBar>);

impl FromKis for DailyPrices {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output", |r| {
            Ok(DailyBar {
                date: r.date("stck_bsop_date")?,
                open: r.price("stck_oprc")?,
                high: r.price("stck_hgpr")?,
                low: r.price("stck_lwpr")?,
                close: r.price("stck_clpr")?,
                volume: r.uint("acml_vol")?,
                traded_value: 0,
            })
        })
        .map(Self)
    }
}

impl KisRequest for InquireDailyPrice {
    type Response = DailyPrices;
    const NAME: &'static str = "inquire-daily-price";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-daily-price";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST01010400")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = code_params(self.code);
        p.push(("FID_PERIOD_DIV_CODE", self.period.code().into()));
        p.push(("FID_ORG_ADJ_PRC", "0".into()));
        p
    }
}

/// One minute bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinuteBar {
    /// `stck_bsop_date`.
    pub date: NaiveDate,
    /// `stck_cntg_hour` (bar time, KST).
    pub time: NaiveTime,
    /// `stck_oprc`.
    pub open: Price,
    /// `stck_hgpr`.
    pub high: Price,
    /// `stck_lwpr`.
    pub low: Price,
    /// `stck_prpr` (bar close).
    pub close: Price,
    /// `cntg_vol`.
    pub volume: u64,
}

/// Reply of the minute-bar endpoints, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteChart {
    /// `output1.stck_prpr` current price.
    pub last: Option<Price>,
    /// `output2`.
    pub bars: Vec<MinuteBar>,
}

impl FromKis for MinuteChart {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o1 = body.obj("output1")?;
        let bars = body.rows("output2", |r| {
            Ok(MinuteBar {
                date: r.date("stck_bsop_date")?,
                time: r.time("stck_cntg_hour")?,
                open: r.price("stck_oprc")?,
                high: r.price("stck_hgpr")?,
                low: r.price("stck_lwpr")?,
                close: r.price("stck_prpr")?,
                volume: r.uint("cntg_vol")?,
            })
        })?;
        Ok(Self { last: o1.price_opt("stck_prpr")?, bars })
    }
}

/// `inquire-time-itemchartprice` (FHKST03010200): today's minute bars at/before `until`, 30 per call.
#[derive(Clone, Copy, Debug)]
pub struct InquireTimeItemChartPrice {
    /// The stock.
    pub code: StockCode,
    /// Latest bar time wanted.
    pub until: NaiveTime,
}

impl KisRequest for InquireTimeItemChartPrice {
    type Response = MinuteChart;
    const NAME: &'static str = "inquire-time-itemchartprice";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST03010200")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("FID_ETC_CLS_CODE", String::new())];
        p.extend(code_params(self.code));
        p.push(("FID_INPUT_HOUR_1", self.until.format("%H%M%S").to_string()));
        p.push(("FID_PW_DATA_INCU_YN", "Y".into()));
        p
    }
}

/// `inquire-time-dailychartprice` (FHKST03010230, real only): minute bars of a past day, 120 per call.
#[derive(Clone, Copy, Debug)]
pub struct InquireTimeDailyChartPrice {
    /// The stock.
    pub code: StockCode,
    /// The day.
    pub date: NaiveDate,
    /// Latest bar time wanted.
    pub until: NaiveTime,
}

impl KisRequest for InquireTimeDailyChartPrice {
    type Response = MinuteChart;
    const NAME: &'static str = "inquire-time-dailychartprice";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-time-dailychartprice";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("FHKST03010230", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = code_params(self.code);
        p.push(("FID_INPUT_HOUR_1", self.until.format("%H%M%S").to_string()));
        p.push(("FID_INPUT_DATE_1", fmt_date(self.date)));
        p.push(("FID_PW_DATA_INCU_YN", "N".into()));
        p.push(("FID_FAKE_TICK_INCU_YN", String::new()));
        p
    }
}

/// `inquire-asking-price-exp-ccn` (FHKST01010200): 10-level book.
#[derive(Clone, Copy, Debug)]
pub struct InquireAskingPrice {
    /// The stock.
    pub code: StockCode,
}

/// One book level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    /// Price.
    pub price: Price,
    /// Resting quantity.
    pub qty: u64,
}

/// Reply of [`InquireAskingPrice`]: levels with a price (best first).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderBook {
    /// `aspr_acpt_hour`.
    pub time: NaiveTime,
    /// `askp1..10` / `askp_rsqn1..10`.
    pub asks: Vec<BookLevel>,
    /// `bidp1..10` / `bidp_rsqn1..10`.
    pub bids: Vec<BookLevel>,
    /// `output2.stck_prpr`.
    pub last: Option<Price>,
}

const ASK_P: [&str; 10] = ["askp1", "askp2", "askp3", "askp4", "askp5", "askp6", "askp7", "askp8", "askp9", "askp10"];
const ASK_Q: [&str; 10] = [
    "askp_rsqn1",
    "askp_rsqn2",
    "askp_rsqn3",
    "askp_rsqn4",
    "askp_rsqn5",
    "askp_rsqn6",
    "askp_rsqn7",
    "askp_rsqn8",
    "askp_rsqn9",
    "askp_rsqn10",
];
const BID_P: [&str; 10] = ["bidp1", "bidp2", "bidp3", "bidp4", "bidp5", "bidp6", "bidp7", "bidp8", "bidp9", "bidp10"];
const BID_Q: [&str; 10] = [
    "bidp_rsqn1",
    "bidp_rsqn2",
    "bidp_rsqn3",
    "bidp_rsqn4",
    "bidp_rsqn5",
    "bidp_rsqn6",
    "bidp_rsqn7",
    "bidp_rsqn8",
    "bidp_rsqn9",
    "bidp_rsqn10",
];

fn levels(o: Obj<'_>, prices: &[&str; 10], qtys: &[&str; 10]) -> Result<Vec<BookLevel>, ParseError> {
    let mut out = Vec::with_capacity(10);
    for (p, q) in prices.iter().zip(qtys) {
        if let Some(price) = o.price_opt(p)? {
            out.push(BookLevel { price, qty: o.uint(q)? });
        }
    }
    Ok(out)
}

impl FromKis for OrderBook {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        let o1 = body.obj("output1")?;
        let o2 = body.obj("output2")?;
        Ok(Self {
            time: o1.time("aspr_acpt_hour")?,
            asks: levels(o1, &ASK_P, &ASK_Q)?,
            bids: levels(o1, &BID_P, &BID_Q)?,
            last: o2.price_opt("stck_prpr")?,
        })
    }
}

impl KisRequest for InquireAskingPrice {
    type Response = OrderBook;
    const NAME: &'static str = "inquire-asking-price-exp-ccn";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/inquire-asking-price-exp-ccn";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, _env: Environment) -> Option<&'static str> {
        Some("FHKST01010200")
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        code_params(self.code)
    }
}

/// `volume-rank` (FHPST01710000, real only): top stocks by volume.
#[derive(Clone, Copy, Debug, Default)]
pub struct VolumeRank;

/// One row of [`VolumeRank`].
#[derive(Clone, Debug, PartialEq)]
pub struct RankRow {
    /// `data_rank`.
    pub rank: u64,
    /// `mksc_shrn_iscd`.
    pub code: StockCode,
    /// `hts_kor_isnm`.
    pub name: String,
    /// `stck_prpr`.
    pub price: Price,
    /// `acml_vol`.
    pub volume: u64,
    /// `acml_tr_pbmn`.
    pub traded_value: i64,
}

/// Reply of [`VolumeRank`].
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeRanking(pub Vec<RankRow>);

impl FromKis for VolumeRanking {
    fn from_kis(body: Obj<'_>) -> Result<Self, ParseError> {
        body.rows("output", |r| {
            Ok(RankRow {
                rank: r.uint("data_rank")?,
                code: r.code("mksc_shrn_iscd")?,
                name: r.str("hts_kor_isnm")?.to_owned(),
                price: r.price("stck_prpr")?,
                volume: r.uint("acml_vol")?,
                traded_value: r.int("acml_tr_pbmn")?,
            })
        })
        .map(Self)
    }
}

impl KisRequest for VolumeRank {
    type Response = VolumeRanking;
    const NAME: &'static str = "volume-rank";
    const PATH: &'static str = "/uapi/domestic-stock/v1/quotations/volume-rank";
    const METHOD: HttpMethod = HttpMethod::Get;
    fn tr_id(&self, env: Environment) -> Option<&'static str> {
        env.tr_id("FHPST01710000", None)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FID_COND_MRKT_DIV_CODE", MARKET_J.into()),
            ("FID_COND_SCR_DIV_CODE", "20171".into()),
            ("FID_INPUT_ISCD", "0000".into()),
            ("FID_DIV_CLS_CODE", "0".into()),
            ("FID_BLNG_CLS_CODE", "0".into()),
            ("FID_TRGT_CLS_CODE", "111111111".into()),
            ("FID_TRGT_EXLS_CLS_CODE", "0000000000".into()),
            ("FID_INPUT_PRICE_1", String::new()),
            ("FID_INPUT_PRICE_2", String::new()),
            ("FID_VOL_CNT", String::new()),
            ("FID_INPUT_DATE_1", String::new()),
        ]
    }
}
