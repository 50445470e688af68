//! Criteria: the named per-stock values that rules test and scores rank.
//!
//! A criterion is written as a name with optional arguments, e.g. `close`, `return(20)`,
//! `avg_traded_value(20)`, `ma_aligned(5,20,60)`, `bars_since_cross_up(sma(5),sma(20))`.
//! [`Criterion::parse`] reads that form and [`fmt::Display`] writes it back, so a config and
//! an explanation name a value the same way.
//!
//! | criterion | value | unknown when |
//! |---|---|---|
//! | `close` | last close, won | never |
//! | `avg_traded_value(n)` | mean of `close × volume` over the last `n` bars, won | fewer than `n` bars |
//! | `return(n)` | close over the close `n` bars earlier, % change | `n + 1` bars missing |
//! | `rsi(n)` | RSI | not enough bars |
//! | `high_distance(n)` | close vs. the highest high of the last `n` bars, % (≤ 0) | fewer than `n` bars |
//! | `atr_pct(n)` | ATR as % of the close | not enough bars |
//! | `volume_surge(n)` | last volume over the mean volume of the `n` bars before it | fewer than `n + 1` bars or no volume |
//! | `new_high(n)` / `new_low(n)` | 1 when the last high (low) beats the previous `n` bars, else 0 | fewer than `n + 1` bars |
//! | `gap` | open vs. the previous close, % | one bar only |
//! | `sma(n)`, `ema(n)` | moving average, won | not enough bars |
//! | `price_vs_ma(n)` | close vs. `sma(n)`, % | not enough bars |
//! | `ma_aligned(a,b,c)` | 1 when `sma(a) > sma(b) > sma(c)`, else 0 | not enough bars |
//! | `adx(n)` | ADX trend strength | not enough bars |
//! | `trend` / `trend(f,s)` | the indicators' trend classifier over `sma(f)`/`sma(s)` (default 20/60, slope over 5 bars): 1 up, -1 down, 0 sideways | warm-up |
//! | `bars_since_cross_up(x,y)` / `bars_since_cross_down(x,y)` | bars since `x` last crossed above (below) `y`, 0 = on the last bar | no cross in the data |
//! | `market_cap` | won | no fundamentals |
//! | `per`, `pbr`, `roe`, `debt_ratio` | as reported (ROE and debt ratio in %) | not reported |
//! | `earnings_yield`, `book_yield` | `100 / per`, `100 / pbr` (a loss gives a negative yield) | not reported or zero |

use std::fmt;

use serde::{Deserialize, Serialize};

/// A price series that crosses can compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Series {
    /// Closing prices.
    Close,
    /// Simple moving average of closes.
    Sma(u16),
    /// Exponential moving average of closes.
    Ema(u16),
}

impl fmt::Display for Series {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Series::Close => f.write_str("close"),
            Series::Sma(n) => write!(f, "sma({n})"),
            Series::Ema(n) => write!(f, "ema({n})"),
        }
    }
}

/// A per-stock value computed from bars (up to the as-of date) and fundamentals.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Criterion {
    /// Last close.
    Close,
    /// Mean traded value over `n` bars.
    AvgTradedValue(u16),
    /// `n`-bar return, percent.
    Return(u16),
    /// RSI over `n` bars.
    Rsi(u16),
    /// Distance of the close from the `n`-bar high, percent (≤ 0).
    HighDistance(u16),
    /// ATR over `n` bars as a percentage of the close.
    AtrPct(u16),
    /// Last volume over the mean of the previous `n` volumes.
    VolumeSurge(u16),
    /// 1 when the last high is above every high of the previous `n` bars.
    NewHigh(u16),
    /// 1 when the last low is below every low of the previous `n` bars.
    NewLow(u16),
    /// Opening gap against the previous close, percent.
    Gap,
    /// A moving average or the close itself.
    Level(Series),
    /// Close against `sma(n)`, percent.
    PriceVsMa(u16),
    /// 1 when `sma(a) > sma(b) > sma(c)`.
    MaAligned(u16, u16, u16),
    /// ADX over `n` bars.
    Adx(u16),
    /// [`crate::indicators::trend`] with these fast and slow periods: 1 up, -1 down, 0 sideways.
    Trend(u16, u16),
    /// Bars since the first series last crossed above (`up`) or below the second.
    BarsSinceCross {
        /// The series that crosses.
        fast: Series,
        /// The series crossed.
        slow: Series,
        /// Crossing above (true) or below.
        up: bool,
    },
    /// Market capitalisation, won.
    MarketCap,
    /// Price / earnings.
    Per,
    /// Price / book.
    Pbr,
    /// Return on equity, percent.
    Roe,
    /// Liabilities / equity, percent.
    DebtRatio,
    /// `100 / per`.
    EarningsYield,
    /// `100 / pbr`.
    BookYield,
}

impl Criterion {
    /// Names accepted by [`Criterion::parse`], for error messages.
    pub const NAMES: &'static str = "close, avg_traded_value(n), return(n), rsi(n), high_distance(n), atr_pct(n), \
         volume_surge(n), new_high(n), new_low(n), gap, sma(n), ema(n), price_vs_ma(n), ma_aligned(a,b,c), adx(n), trend, trend(f,s), \
         bars_since_cross_up(x,y), bars_since_cross_down(x,y), market_cap, per, pbr, roe, debt_ratio, \
         earnings_yield, book_yield";

    /// Reads the text form (`return(20)`, `ma_aligned(5,20,60)`...).
    ///
    /// ```
    /// use hantu_core::screen::Criterion;
    /// let c = Criterion::parse("avg_traded_value( 20 )")?;
    /// assert_eq!(c, Criterion::AvgTradedValue(20));
    /// assert_eq!(c.to_string(), "avg_traded_value(20)");
    /// assert!(Criterion::parse("return(0)").is_err());
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    /// A message saying what is wrong (unknown name, wrong arguments, a period of 0).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, args) = split_call(text)?;
        let ints = || -> Result<Vec<u16>, String> { args.iter().map(|a| parse_period(a)).collect() };
        let one = |name: &str| -> Result<u16, String> {
            match ints()?.as_slice() {
                [n] => Ok(*n),
                _ => Err(format!("{name} takes one period, e.g. {name}(20)")),
            }
        };
        let none = |c: Criterion| if args.is_empty() { Ok(c) } else { Err(format!("{name} takes no arguments")) };
        match name {
            "close" => none(Criterion::Close),
            "gap" => none(Criterion::Gap),
            "market_cap" => none(Criterion::MarketCap),
            "per" => none(Criterion::Per),
            "pbr" => none(Criterion::Pbr),
            "roe" => none(Criterion::Roe),
            "debt_ratio" => none(Criterion::DebtRatio),
            "earnings_yield" => none(Criterion::EarningsYield),
            "book_yield" => none(Criterion::BookYield),
            "avg_traded_value" => one(name).map(Criterion::AvgTradedValue),
            "return" => one(name).map(Criterion::Return),
            "rsi" => one(name).map(Criterion::Rsi),
            "high_distance" => one(name).map(Criterion::HighDistance),
            "atr_pct" => one(name).map(Criterion::AtrPct),
            "volume_surge" => one(name).map(Criterion::VolumeSurge),
            "new_high" => one(name).map(Criterion::NewHigh),
            "new_low" => one(name).map(Criterion::NewLow),
            "sma" => one(name).map(|n| Criterion::Level(Series::Sma(n))),
            "ema" => one(name).map(|n| Criterion::Level(Series::Ema(n))),
            "price_vs_ma" => one(name).map(Criterion::PriceVsMa),
            "adx" => one(name).map(Criterion::Adx),
            "trend" => match ints()?.as_slice() {
                [] => Ok(Criterion::Trend(20, 60)),
                [f, s] if f < s => Ok(Criterion::Trend(*f, *s)),
                _ => Err("trend takes no periods or two, fast below slow, e.g. trend(20,60)".into()),
            },
            "ma_aligned" => match ints()?.as_slice() {
                [a, b, c] => Ok(Criterion::MaAligned(*a, *b, *c)),
                _ => Err("ma_aligned takes three periods, e.g. ma_aligned(5,20,60)".into()),
            },
            "bars_since_cross_up" | "bars_since_cross_down" => match args.as_slice() {
                [x, y] => Ok(Criterion::BarsSinceCross {
                    fast: parse_series(x)?,
                    slow: parse_series(y)?,
                    up: name.ends_with("up"),
                }),
                _ => Err(format!("{name} takes two series, e.g. {name}(sma(5),sma(20))")),
            },
            _ => Err(format!("unknown criterion '{name}'; known: {}", Self::NAMES)),
        }
    }

    /// Whether the value comes from fundamentals rather than bars.
    #[must_use]
    pub fn is_fundamental(self) -> bool {
        matches!(
            self,
            Criterion::MarketCap
                | Criterion::Per
                | Criterion::Pbr
                | Criterion::Roe
                | Criterion::DebtRatio
                | Criterion::EarningsYield
                | Criterion::BookYield
        )
    }

    /// Bars of history needed before the value can be known (0 for fundamentals).
    #[must_use]
    pub fn min_bars(self) -> usize {
        let series = |s: Series| match s {
            Series::Close => 1,
            Series::Sma(n) | Series::Ema(n) => usize::from(n),
        };
        match self {
            Criterion::Close => 1,
            Criterion::Gap => 2,
            Criterion::AvgTradedValue(n) | Criterion::HighDistance(n) | Criterion::PriceVsMa(n) => usize::from(n),
            Criterion::Return(n)
            | Criterion::Rsi(n)
            | Criterion::AtrPct(n)
            | Criterion::VolumeSurge(n)
            | Criterion::NewHigh(n)
            | Criterion::NewLow(n) => usize::from(n) + 1,
            Criterion::Level(s) => series(s),
            Criterion::MaAligned(a, b, c) => usize::from(a.max(b).max(c)),
            Criterion::Adx(n) => 2 * usize::from(n),
            Criterion::Trend(_, slow) => usize::from(slow) + crate::indicators::TrendParams::default().slope_bars,
            Criterion::BarsSinceCross { fast, slow, .. } => series(fast).max(series(slow)) + 1,
            Criterion::MarketCap
            | Criterion::Per
            | Criterion::Pbr
            | Criterion::Roe
            | Criterion::DebtRatio
            | Criterion::EarningsYield
            | Criterion::BookYield => 0,
        }
    }

    /// The moving-average series this criterion reads (computed once per stock and shared).
    pub(crate) fn series(self, out: &mut Vec<Series>) {
        let mut add = |s: Series| {
            if s != Series::Close && !out.contains(&s) {
                out.push(s);
            }
        };
        match self {
            Criterion::Level(s) => add(s),
            Criterion::PriceVsMa(n) => add(Series::Sma(n)),
            Criterion::MaAligned(a, b, c) => {
                add(Series::Sma(a));
                add(Series::Sma(b));
                add(Series::Sma(c));
            }
            Criterion::BarsSinceCross { fast, slow, .. } => {
                add(fast);
                add(slow);
            }
            _ => {}
        }
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Criterion::Close => f.write_str("close"),
            Criterion::AvgTradedValue(n) => write!(f, "avg_traded_value({n})"),
            Criterion::Return(n) => write!(f, "return({n})"),
            Criterion::Rsi(n) => write!(f, "rsi({n})"),
            Criterion::HighDistance(n) => write!(f, "high_distance({n})"),
            Criterion::AtrPct(n) => write!(f, "atr_pct({n})"),
            Criterion::VolumeSurge(n) => write!(f, "volume_surge({n})"),
            Criterion::NewHigh(n) => write!(f, "new_high({n})"),
            Criterion::NewLow(n) => write!(f, "new_low({n})"),
            Criterion::Gap => f.write_str("gap"),
            Criterion::Level(s) => write!(f, "{s}"),
            Criterion::PriceVsMa(n) => write!(f, "price_vs_ma({n})"),
            Criterion::MaAligned(a, b, c) => write!(f, "ma_aligned({a},{b},{c})"),
            Criterion::Adx(n) => write!(f, "adx({n})"),
            Criterion::Trend(a, b) => write!(f, "trend({a},{b})"),
            Criterion::BarsSinceCross { fast, slow, up } => {
                write!(f, "bars_since_cross_{}({fast},{slow})", if *up { "up" } else { "down" })
            }
            Criterion::MarketCap => f.write_str("market_cap"),
            Criterion::Per => f.write_str("per"),
            Criterion::Pbr => f.write_str("pbr"),
            Criterion::Roe => f.write_str("roe"),
            Criterion::DebtRatio => f.write_str("debt_ratio"),
            Criterion::EarningsYield => f.write_str("earnings_yield"),
            Criterion::BookYield => f.write_str("book_yield"),
        }
    }
}

impl TryFrom<String> for Criterion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Criterion::parse(&s)
    }
}

impl From<Criterion> for String {
    fn from(c: Criterion) -> String {
        c.to_string()
    }
}

impl std::str::FromStr for Criterion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Criterion::parse(s)
    }
}

/// Splits `name(a, b(c), d)` into the name and its top-level arguments.
fn split_call(text: &str) -> Result<(&str, Vec<&str>), String> {
    let text = text.trim();
    let Some(open) = text.find('(') else {
        if text.is_empty() {
            return Err("empty criterion".into());
        }
        return Ok((text, Vec::new()));
    };
    if !text.ends_with(')') {
        return Err(format!("'{text}': missing closing parenthesis"));
    }
    let name = text[..open].trim();
    let inner = &text[open + 1..text.len() - 1];
    let mut args = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                args.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(format!("'{text}': unbalanced parentheses"));
        }
    }
    if depth != 0 {
        return Err(format!("'{text}': unbalanced parentheses"));
    }
    if !inner.trim().is_empty() {
        args.push(inner[start..].trim());
    }
    Ok((name, args))
}

fn parse_period(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(0) => Err("a period must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a period (a whole number 1..=65535)")),
    }
}

fn parse_series(s: &str) -> Result<Series, String> {
    match Criterion::parse(s)? {
        Criterion::Close => Ok(Series::Close),
        Criterion::Level(series) => Ok(series),
        other => Err(format!("'{other}' is not a series; crosses compare close, sma(n) or ema(n)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_round_trips_through_text() {
        for text in [
            "close",
            "avg_traded_value(20)",
            "return(60)",
            "rsi(14)",
            "high_distance(250)",
            "atr_pct(14)",
            "volume_surge(20)",
            "new_high(20)",
            "new_low(20)",
            "gap",
            "sma(5)",
            "ema(12)",
            "price_vs_ma(20)",
            "ma_aligned(5,20,60)",
            "adx(14)",
            "trend(10,30)",
            "bars_since_cross_up(sma(5),sma(20))",
            "bars_since_cross_down(close,ema(10))",
            "market_cap",
            "per",
            "pbr",
            "roe",
            "debt_ratio",
            "earnings_yield",
            "book_yield",
        ] {
            let c = Criterion::parse(text).unwrap();
            assert_eq!(c.to_string(), text);
        }
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        assert!(Criterion::parse("momentum(5)").unwrap_err().contains("unknown criterion"));
        assert!(Criterion::parse("rsi").unwrap_err().contains("one period"));
        assert!(Criterion::parse("rsi(x)").unwrap_err().contains("not a period"));
        assert!(Criterion::parse("close(3)").unwrap_err().contains("no arguments"));
        assert!(Criterion::parse("sma(5").unwrap_err().contains("parenthesis"));
        assert!(Criterion::parse("bars_since_cross_up(rsi(14),sma(5))").unwrap_err().contains("not a series"));
        assert!(Criterion::parse("ma_aligned(5,20)").unwrap_err().contains("three"));
        assert!(Criterion::parse("trend(60,20)").unwrap_err().contains("fast below slow"));
        assert_eq!(Criterion::parse("trend").unwrap(), Criterion::Trend(20, 60));
    }

    #[test]
    fn series_are_collected_once() {
        let mut s = Vec::new();
        Criterion::MaAligned(5, 20, 60).series(&mut s);
        Criterion::PriceVsMa(20).series(&mut s);
        Criterion::parse("bars_since_cross_up(close,sma(5))").unwrap().series(&mut s);
        assert_eq!(s, vec![Series::Sma(5), Series::Sma(20), Series::Sma(60)]);
    }
}
