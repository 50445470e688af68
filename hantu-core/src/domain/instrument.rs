//! Markets and instruments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{StockCode, ValidationError};

/// A KRX market.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Market {
    /// KOSPI (유가증권시장).
    Kospi,
    /// KOSDAQ.
    Kosdaq,
    /// KONEX.
    Konex,
}

impl Market {
    /// All markets.
    pub const ALL: [Market; 3] = [Market::Kospi, Market::Kosdaq, Market::Konex];

    /// The upper-case name (`KOSPI`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Market::Kospi => "KOSPI",
            Market::Kosdaq => "KOSDAQ",
            Market::Konex => "KONEX",
        }
    }
}

impl FromStr for Market {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "KOSPI" => Ok(Market::Kospi),
            // The raw KRX snapshot names the KOSDAQ global segment separately.
            "KOSDAQ" | "KOSDAQ GLOBAL" => Ok(Market::Kosdaq),
            "KONEX" => Ok(Market::Konex),
            _ => Err(ValidationError::Unknown { param: "market", value: s.to_owned() }),
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of security an instrument is; it decides the tick table and the tax.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    /// Common or preferred stock.
    #[default]
    Stock,
    /// Exchange-traded fund (5-won tick, no transaction tax).
    Etf,
    /// Exchange-traded note.
    Etn,
    /// Anything else (REIT, fund, depositary receipt...), traded like a stock.
    Other,
}

impl InstrumentKind {
    /// The kind to assume for `code` when no instrument list says: an ETN for an ETN's code
    /// (`Q` + 6), else a stock.
    #[must_use]
    pub fn of_code(code: StockCode) -> Self {
        if code.is_etn() { Self::Etn } else { Self::Stock }
    }
}

/// A listed security.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Instrument {
    /// Short code.
    pub code: StockCode,
    /// Korean name.
    pub name: String,
    /// Market.
    pub market: Market,
    /// Sector (KRX industry, large level), if known.
    pub sector: Option<String>,
    /// Trading unit in shares (1 for stocks).
    pub lot: u32,
    /// Kind of security.
    #[serde(default)]
    pub kind: InstrumentKind,
}

impl Instrument {
    /// A listed security with lot size 1: a stock, or an ETN when the code is an ETN's
    /// (`Q` + 6), so its tick, tax and price-limit rules are an ETN's.
    #[must_use]
    pub fn stock(code: StockCode, name: impl Into<String>, market: Market, sector: Option<String>) -> Self {
        Self { code, name: name.into(), market, sector, lot: 1, kind: InstrumentKind::of_code(code) }
    }
}
