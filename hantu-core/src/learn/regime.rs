//! The market's regime on a day, from the whole universe's bars up to that day, and what selection
//! does differently in each.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::screen::Universe;
use crate::select::SelectConfig;
use crate::store::RegimeRecord;

/// A market regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Broad advance: most stocks above their average, the average stock up.
    Bull,
    /// Broad decline.
    Bear,
    /// Neither.
    Sideways,
    /// Volatility above the threshold, whatever the direction.
    HighVolatility,
}

impl Regime {
    /// Snake-case name, as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Regime::Bull => "bull",
            Regime::Bear => "bear",
            Regime::Sideways => "sideways",
            Regime::HighVolatility => "high_volatility",
        }
    }

    /// Parses [`Regime::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Regime::Bull, Regime::Bear, Regime::Sideways, Regime::HighVolatility].into_iter().find(|r| r.as_str() == s)
    }
}

/// What decides the regime, and what each regime changes in selection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegimeConfig {
    /// Sessions of the moving average and the return window.
    pub window: usize,
    /// Share of stocks above their average for a bull market.
    pub bull_breadth: f64,
    /// Share below which the market is bearish.
    pub bear_breadth: f64,
    /// Median annualised volatility above which the regime is high volatility.
    pub high_volatility: f64,
    /// Multiplier on `max_picks` in a bear market.
    pub bear_picks: f64,
    /// Multiplier on position risk and weight in a bear market.
    pub bear_size: Decimal,
    /// Multiplier on `max_picks` in a high-volatility market.
    pub volatile_picks: f64,
    /// Multiplier on position risk and weight in a high-volatility market.
    pub volatile_size: Decimal,
}

impl Default for RegimeConfig {
    fn default() -> Self {
        Self {
            window: 20,
            bull_breadth: 0.6,
            bear_breadth: 0.4,
            high_volatility: 0.6,
            bear_picks: 0.5,
            bear_size: Decimal::new(5, 1),
            volatile_picks: 0.5,
            volatile_size: Decimal::new(5, 1),
        }
    }
}

/// The inputs and the verdict of one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegimeReading {
    /// The day.
    pub date: NaiveDate,
    /// The verdict.
    pub regime: Regime,
    /// Share of stocks closing above their `window`-session average.
    pub breadth: f64,
    /// Mean `window`-session return across stocks (an equal-weight index).
    pub index_return: f64,
    /// Median annualised volatility of daily returns across stocks.
    pub volatility: f64,
    /// Stocks with enough history to count.
    pub stocks: usize,
}

impl RegimeReading {
    /// As a store record; the score is the breadth.
    #[must_use]
    pub fn to_record(&self) -> RegimeRecord {
        RegimeRecord {
            date: self.date,
            regime: self.regime.as_str().to_owned(),
            score: self.breadth,
            detail: serde_json::json!({
                "breadth": self.breadth,
                "index_return": self.index_return,
                "volatility": self.volatility,
                "stocks": self.stocks,
            }),
        }
    }
}

/// Reads the regime as of `date` from bars dated on or before it. `None` when no stock has
/// `window + 1` sessions of history.
#[must_use]
pub fn read_regime(universe: &Universe, date: NaiveDate, cfg: &RegimeConfig) -> Option<RegimeReading> {
    let w = cfg.window.max(2);
    let (mut above, mut rets, mut vols) = (0usize, Vec::new(), Vec::new());
    for i in 0..universe.len() {
        let bars = universe.bars_as_of(i, date);
        if bars.len() <= w || bars.last().is_none_or(|b| b.ts.kst_date() != date) {
            continue;
        }
        let recent = &bars[bars.len() - w - 1..];
        let closes: Vec<f64> = recent.iter().map(|b| b.close.won() as f64).collect();
        let last = closes[w];
        let mean = closes[1..].iter().sum::<f64>() / w as f64;
        above += usize::from(last > mean);
        rets.push(last / closes[0] - 1.0);
        let daily: Vec<f64> = closes.windows(2).map(|p| (p[1] / p[0]).ln()).collect();
        let m = daily.iter().sum::<f64>() / daily.len() as f64;
        let var = daily.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (daily.len() - 1) as f64;
        vols.push(var.sqrt() * 252f64.sqrt());
    }
    let n = rets.len();
    if n == 0 {
        return None;
    }
    vols.sort_by(f64::total_cmp);
    let volatility = if n % 2 == 1 { vols[n / 2] } else { (vols[n / 2 - 1] + vols[n / 2]) / 2.0 };
    let breadth = above as f64 / n as f64;
    let index_return = rets.iter().sum::<f64>() / n as f64;
    let regime = if volatility > cfg.high_volatility {
        Regime::HighVolatility
    } else if breadth >= cfg.bull_breadth && index_return > 0.0 {
        Regime::Bull
    } else if breadth <= cfg.bear_breadth && index_return < 0.0 {
        Regime::Bear
    } else {
        Regime::Sideways
    };
    Some(RegimeReading { date, regime, breadth, index_return, volatility, stocks: n })
}

/// The selection config to use in `regime`: fewer picks and smaller positions in a bear or
/// high-volatility market, as configured; unchanged otherwise.
#[must_use]
pub fn adjust_for_regime(select: &SelectConfig, regime: Regime, cfg: &RegimeConfig) -> SelectConfig {
    let (picks, size) = match regime {
        Regime::Bear => (cfg.bear_picks, cfg.bear_size),
        Regime::HighVolatility => (cfg.volatile_picks, cfg.volatile_size),
        Regime::Bull | Regime::Sideways => return select.clone(),
    };
    let mut out = select.clone();
    out.max_picks = ((select.max_picks as f64 * picks).floor() as usize).max(1);
    out.sizing.risk_per_trade *= size;
    out.sizing.max_position_weight *= size;
    out
}

/// The selection config in force for a selection as of `as_of`: `base` with the weights version in
/// force on that day (see [`super::version_in_force`]) and, when `regime` is given, shrunk for the
/// regime stored for that day.
///
/// # Errors
/// [`crate::Error::Store`] when a read fails.
pub fn config_in_force(
    store: &dyn crate::store::Store,
    base: &SelectConfig,
    as_of: NaiveDate,
    regime: Option<&RegimeConfig>,
) -> crate::Result<SelectConfig> {
    let mut cfg = base.clone();
    let versions = store.weights_versions()?;
    if let Some(v) = super::version_in_force(&versions, as_of) {
        cfg.weights = super::weights::weights_of(v, &base.weights);
        cfg.weights_version.clone_from(&v.version);
    }
    if let Some(rc) = regime {
        let today = store.regime_on(as_of)?.filter(|r| r.date == as_of);
        if let Some(r) = today.and_then(|r| Regime::parse(&r.regime)) {
            cfg = adjust_for_regime(&cfg, r, rc);
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Bar, Instrument, InstrumentKind, Market, Price, StockCode, Timestamp};

    fn universe(paths: &[Vec<i64>]) -> (Universe, Vec<NaiveDate>) {
        let days = crate::krx::KrxCalendar::trading_days(
            NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 9, 30).unwrap(),
        );
        let mut instruments = Vec::new();
        let mut bars = Vec::new();
        for (k, path) in paths.iter().enumerate() {
            let code = StockCode::new(&format!("{:06}", k + 1));
            instruments.push(Instrument {
                code,
                name: format!("s{k}"),
                market: Market::Kospi,
                sector: None,
                lot: 1,
                kind: InstrumentKind::Stock,
            });
            let series = path
                .iter()
                .zip(&days)
                .map(|(c, d)| {
                    let p = Price::new(*c);
                    Bar { code, ts: Timestamp::daily_close(*d), open: p, high: p, low: p, close: p, volume: 1 }
                })
                .collect();
            bars.push((code, series));
        }
        (Universe::new(instruments, bars, Vec::new()).unwrap(), days)
    }

    #[test]
    fn rising_calm_markets_are_bull_and_falling_ones_bear() {
        let up: Vec<i64> = (0..30).map(|i| 10_000 + i * 10).collect();
        let down: Vec<i64> = (0..30).map(|i| 10_000 - i * 10).collect();
        let (u, days) = universe(&[up.clone(), up.clone(), up.clone(), down.clone()]);
        let r = read_regime(&u, days[25], &RegimeConfig::default()).unwrap();
        assert_eq!((r.regime, r.stocks), (Regime::Bull, 4));
        assert!((r.breadth - 0.75).abs() < 1e-12);
        let (u, days) = universe(&[down.clone(), down.clone(), down, up]);
        assert_eq!(read_regime(&u, days[25], &RegimeConfig::default()).unwrap().regime, Regime::Bear);
        assert!(read_regime(&u, days[10], &RegimeConfig::default()).is_none(), "too little history");
    }

    #[test]
    fn wild_swings_are_high_volatility_and_never_read_later_bars() {
        let wild: Vec<i64> = (0..30).map(|i| if i % 2 == 0 { 10_000 } else { 11_000 }).collect();
        let (u, days) = universe(&[wild.clone(), wild]);
        let r = read_regime(&u, days[25], &RegimeConfig::default()).unwrap();
        assert_eq!(r.regime, Regime::HighVolatility);
        let mut cut: Vec<i64> = (0..30).map(|i| if i % 2 == 0 { 10_000 } else { 11_000 }).collect();
        cut.truncate(26);
        let (u2, _) = universe(&[cut.clone(), cut]);
        assert_eq!(read_regime(&u2, days[25], &RegimeConfig::default()), Some(r));
    }

    #[test]
    fn bad_regimes_shrink_the_selection() {
        let cfg = RegimeConfig::default();
        let base = SelectConfig::named("t");
        let bear = adjust_for_regime(&base, Regime::Bear, &cfg);
        assert_eq!(bear.max_picks, 5);
        assert_eq!(bear.sizing.risk_per_trade, Decimal::new(5, 3));
        assert_eq!(adjust_for_regime(&base, Regime::Bull, &cfg), base);
    }
}
