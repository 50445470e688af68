//! KIS wire values to domain types, strictly.
//!
//! KIS sends every number as a JSON string (`"65850"`, `"-0.23"`, `"64250.0000"`). [`Obj`] reads
//! one JSON object and turns named fields into integers, decimals, prices, quantities, dates and
//! flags; any missing field or malformed value is a [`ParseError`] naming the field with its
//! path (`output2[3].stck_clpr`) and the offending value. Nothing is defaulted silently: optional
//! values have explicit `_opt` readers that map `""` to `None`.

use std::fmt;
use std::str::FromStr;

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveTime};
use hantu_core::domain::{Price, Side, StockCode};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::json::Json;

/// A reply field that is missing or malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {reason} (got {value:?})")]
pub struct ParseError {
    /// Path of the field, e.g. `output2[3].stck_clpr`.
    pub field: String,
    /// The raw value (truncated to 64 characters).
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

impl ParseError {
    /// An error about the whole body (not JSON, not an object).
    #[must_use]
    pub fn body(value: &str, reason: &'static str) -> Self {
        Self { field: "<body>".into(), value: value.chars().take(64).collect(), reason }
    }
}

/// Where an object sits in the reply, for error messages (built only on error).
#[derive(Clone, Copy, Debug)]
enum Ctx<'a> {
    Root,
    Key(&'a str),
    Index(&'a str, usize),
}

impl fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ctx::Root => Ok(()),
            Ctx::Key(k) => write!(f, "{k}."),
            Ctx::Index(k, i) => write!(f, "{k}[{i}]."),
        }
    }
}

/// The members of an object, from either JSON representation.
#[derive(Clone, Copy, Debug)]
enum Fields<'a> {
    Value(&'a Map<String, Value>),
    Json(&'a [(Cow<'a, str>, Json<'a>)]),
}

/// One JSON value, from either representation.
#[derive(Clone, Copy, Debug)]
enum Node<'a> {
    Value(&'a Value),
    Json(&'a Json<'a>),
}

impl<'a> Node<'a> {
    fn as_str(self) -> Option<&'a str> {
        match self {
            Node::Value(Value::String(s)) => Some(s),
            Node::Json(Json::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn fields(self) -> Option<Fields<'a>> {
        match self {
            Node::Value(Value::Object(m)) => Some(Fields::Value(m)),
            Node::Json(Json::Obj(m)) => Some(Fields::Json(m)),
            _ => None,
        }
    }

    fn items(self) -> Option<Vec<Node<'a>>> {
        match self {
            Node::Value(Value::Array(a)) => Some(a.iter().map(Node::Value).collect()),
            Node::Json(Json::Arr(a)) => Some(a.iter().map(Node::Json).collect()),
            _ => None,
        }
    }

    fn render(self) -> String {
        match self {
            Node::Value(v) => v.to_string(),
            Node::Json(j) => j.to_string(),
        }
    }
}

impl<'a> Fields<'a> {
    fn get(self, key: &str) -> Option<Node<'a>> {
        match self {
            Fields::Value(m) => m.get(key).map(Node::Value),
            Fields::Json(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| Node::Json(v)),
        }
    }
}

/// A JSON object of a KIS reply with strict typed field readers.
#[derive(Clone, Copy, Debug)]
pub struct Obj<'a> {
    map: Fields<'a>,
    ctx: Ctx<'a>,
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

impl<'a> Obj<'a> {
    /// The top level of a reply body.
    ///
    /// # Errors
    /// If `v` is not a JSON object.
    pub fn root(v: &'a Value) -> Result<Self, ParseError> {
        match v {
            Value::Object(map) => Ok(Self { map: Fields::Value(map), ctx: Ctx::Root }),
            other => Err(ParseError::body(&other.to_string(), "expected a JSON object")),
        }
    }

    /// The top level of a reply parsed into the borrowed [`Json`] tree (the fast path).
    ///
    /// # Errors
    /// If `v` is not a JSON object.
    pub fn root_json(v: &'a Json<'a>) -> Result<Self, ParseError> {
        match v {
            Json::Obj(map) => Ok(Self { map: Fields::Json(map), ctx: Ctx::Root }),
            other => Err(ParseError::body(&other.to_string(), "expected a JSON object")),
        }
    }

    fn err(&self, key: &str, value: &str, reason: &'static str) -> ParseError {
        ParseError { field: format!("{}{key}", self.ctx), value: clip(value), reason }
    }

    /// Whether the object has `key`.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some()
    }

    /// A string field, as sent (not trimmed).
    ///
    /// # Errors
    /// If missing or not a string.
    pub fn raw(&self, key: &str) -> Result<&'a str, ParseError> {
        match self.map.get(key) {
            Some(node) => node.as_str().ok_or_else(|| self.err(key, &node.render(), "expected a string")),
            None => Err(self.err(key, "", "missing field")),
        }
    }

    /// A string field, trimmed of the padding KIS adds.
    ///
    /// # Errors
    /// If missing or not a string.
    pub fn str(&self, key: &str) -> Result<&'a str, ParseError> {
        self.raw(key).map(str::trim)
    }

    /// A string field that may be absent; absent or blank is `None`.
    ///
    /// # Errors
    /// If present but not a string.
    pub fn str_opt(&self, key: &str) -> Result<Option<&'a str>, ParseError> {
        if !self.has(key) {
            return Ok(None);
        }
        let s = self.str(key)?;
        Ok((!s.is_empty()).then_some(s))
    }

    /// A signed whole number sent as a string (`"-150"`, `"+150"`).
    ///
    /// # Errors
    /// If missing, blank, or not an integer.
    pub fn int(&self, key: &str) -> Result<i64, ParseError> {
        let s = self.str(key)?;
        parse_int(s).ok_or_else(|| self.err(key, s, "expected a whole number"))
    }

    /// Like [`Obj::int`], with blank or absent as `None`.
    ///
    /// # Errors
    /// If present, non-blank and not an integer.
    pub fn int_opt(&self, key: &str) -> Result<Option<i64>, ParseError> {
        match self.str_opt(key)? {
            None => Ok(None),
            Some(s) => parse_int(s).map(Some).ok_or_else(|| self.err(key, s, "expected a whole number")),
        }
    }

    /// A non-negative whole number (volumes, quantities).
    ///
    /// # Errors
    /// If missing, negative or not an integer.
    pub fn uint(&self, key: &str) -> Result<u64, ParseError> {
        let s = self.str(key)?;
        parse_int(s)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| self.err(key, s, "expected a non-negative whole number"))
    }

    /// A price in whole won, strictly positive.
    ///
    /// # Errors
    /// If missing, zero, negative, fractional or not a number.
    pub fn price(&self, key: &str) -> Result<Price, ParseError> {
        let s = self.str(key)?;
        parse_int(s)
            .and_then(|v| Price::new_checked(v).ok())
            .ok_or_else(|| self.err(key, s, "expected a positive whole-won price"))
    }

    /// A price where `"0"` or blank means "none" (e.g. an unfilled average price).
    ///
    /// # Errors
    /// If present and neither zero nor a valid price.
    pub fn price_opt(&self, key: &str) -> Result<Option<Price>, ParseError> {
        match self.str_opt(key)? {
            None => Ok(None),
            Some(s) => match parse_int(s) {
                Some(0) => Ok(None),
                Some(v) => Price::new_checked(v).map(Some).map_err(|_| self.err(key, s, "expected a whole-won price")),
                None => Err(self.err(key, s, "expected a whole-won price")),
            },
        }
    }

    /// A decimal number (`"64250.0000"`, `"-0.23"`).
    ///
    /// # Errors
    /// If missing, blank or not a decimal.
    pub fn dec(&self, key: &str) -> Result<Decimal, ParseError> {
        let s = self.str(key)?;
        parse_dec(s).ok_or_else(|| self.err(key, s, "expected a decimal number"))
    }

    /// Like [`Obj::dec`], with blank or absent as `None`.
    ///
    /// # Errors
    /// If present, non-blank and not a decimal.
    pub fn dec_opt(&self, key: &str) -> Result<Option<Decimal>, ParseError> {
        match self.str_opt(key)? {
            None => Ok(None),
            Some(s) => parse_dec(s).map(Some).ok_or_else(|| self.err(key, s, "expected a decimal number")),
        }
    }

    /// A `YYYYMMDD` date.
    ///
    /// # Errors
    /// If missing or not a valid date.
    pub fn date(&self, key: &str) -> Result<NaiveDate, ParseError> {
        let s = self.str(key)?;
        parse_date(s).ok_or_else(|| self.err(key, s, "expected a YYYYMMDD date"))
    }

    /// A `YYYYMMDD` date, blank as `None`.
    ///
    /// # Errors
    /// If present, non-blank and not a date.
    pub fn date_opt(&self, key: &str) -> Result<Option<NaiveDate>, ParseError> {
        match self.str_opt(key)? {
            None => Ok(None),
            Some(s) => parse_date(s).map(Some).ok_or_else(|| self.err(key, s, "expected a YYYYMMDD date")),
        }
    }

    /// An `HHMMSS` time (KST).
    ///
    /// # Errors
    /// If missing or not a valid time.
    pub fn time(&self, key: &str) -> Result<NaiveTime, ParseError> {
        let s = self.str(key)?;
        parse_time(s).ok_or_else(|| self.err(key, s, "expected an HHMMSS time"))
    }

    /// A `Y`/`N` flag.
    ///
    /// # Errors
    /// If missing or anything but `Y`/`N`.
    pub fn yn(&self, key: &str) -> Result<bool, ParseError> {
        let s = self.str(key)?;
        match s {
            "Y" => Ok(true),
            "N" => Ok(false),
            _ => Err(self.err(key, s, "expected Y or N")),
        }
    }

    /// A `Y`/`N` flag where blank means `N` (e.g. `cncl_yn` on ordinary orders).
    ///
    /// # Errors
    /// If missing or anything but `Y`/`N`/blank.
    pub fn yn_or_blank(&self, key: &str) -> Result<bool, ParseError> {
        if self.str(key)?.is_empty() { Ok(false) } else { self.yn(key) }
    }

    /// A six-character stock code.
    ///
    /// # Errors
    /// If missing or not a valid code.
    pub fn code(&self, key: &str) -> Result<StockCode, ParseError> {
        let s = self.str(key)?;
        StockCode::new_checked(s).map_err(|_| self.err(key, s, "expected a 6-character stock code"))
    }

    /// `sll_buy_dvsn_cd`-style side: `01` sell, `02` buy.
    ///
    /// # Errors
    /// If missing or another code.
    pub fn side(&self, key: &str) -> Result<Side, ParseError> {
        let s = self.str(key)?;
        match s {
            "01" => Ok(Side::Sell),
            "02" => Ok(Side::Buy),
            _ => Err(self.err(key, s, "expected 01 (sell) or 02 (buy)")),
        }
    }

    /// A nested object.
    ///
    /// # Errors
    /// If missing or not an object.
    pub fn obj(&self, key: &'a str) -> Result<Obj<'a>, ParseError> {
        match self.map.get(key) {
            Some(node) => match node.fields() {
                Some(map) => Ok(Obj { map, ctx: Ctx::Key(key) }),
                None => Err(self.err(key, &node.render(), "expected an object")),
            },
            None => Err(self.err(key, "", "missing field")),
        }
    }

    /// A nested array of objects.
    ///
    /// # Errors
    /// If missing, not an array, or an element is not an object.
    pub fn arr(&self, key: &'a str) -> Result<Vec<Obj<'a>>, ParseError> {
        let Some(node) = self.map.get(key) else { return Err(self.err(key, "", "missing field")) };
        let Some(items) = node.items() else { return Err(self.err(key, &node.render(), "expected an array")) };
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v.fields() {
                Some(map) => Ok(Obj { map, ctx: Ctx::Index(key, i) }),
                None => Err(ParseError {
                    field: format!("{}{key}[{i}]", self.ctx),
                    value: clip(&v.render()),
                    reason: "expected an object",
                }),
            })
            .collect()
    }

    /// Maps each element of the array `key` with `f`.
    ///
    /// # Errors
    /// The first element error.
    pub fn rows<T>(&self, key: &'a str, f: impl Fn(Obj<'a>) -> Result<T, ParseError>) -> Result<Vec<T>, ParseError> {
        self.arr(key)?.into_iter().map(f).collect()
    }
}

/// Parses a KIS integer string: optional sign, ASCII digits only.
#[must_use]
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

/// Parses a KIS decimal string: optional sign, digits, optional fraction.
#[must_use]
pub fn parse_dec(s: &str) -> Option<Decimal> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    Decimal::from_str(s.strip_prefix('+').unwrap_or(s)).ok()
}

/// Parses `YYYYMMDD`.
#[must_use]
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// Parses `HHMMSS`.
#[must_use]
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H%M%S").ok()
}

/// Formats a date as `YYYYMMDD`.
#[must_use]
pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int("-150"), Some(-150));
        assert_eq!(parse_int("+150"), Some(150));
        for bad in ["", "-", "1.0", "1e3", " 1", "abc", "0x10"] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
        assert_eq!(parse_dec("64250.0000"), Some(Decimal::new(642_500_000, 4)));
        for bad in ["", ".", "1.2.3", "NaN", "1e5", "--1"] {
            assert_eq!(parse_dec(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_field_and_path() {
        let v = json!({"output2": [{"stck_clpr": "100"}, {"stck_clpr": "abc"}]});
        let root = Obj::root(&v).unwrap();
        let err = root.rows("output2", |r| r.price("stck_clpr")).unwrap_err();
        assert_eq!(err.field, "output2[1].stck_clpr");
        assert_eq!(err.value, "abc");
        let missing = root.obj("output1").unwrap_err();
        assert_eq!(missing.field, "output1");
        assert_eq!(missing.reason, "missing field");
    }

    #[test]
    fn optional_readers_map_blank_and_zero_to_none() {
        let v = json!({"a": "", "b": "0", "c": "65800", "d": " 20250725 "});
        let o = Obj::root(&v).unwrap();
        assert_eq!(o.price_opt("a").unwrap(), None);
        assert_eq!(o.price_opt("b").unwrap(), None);
        assert_eq!(o.price_opt("c").unwrap(), Some(Price::new(65_800)));
        assert_eq!(o.date("d").unwrap(), NaiveDate::from_ymd_opt(2025, 7, 25).unwrap());
        assert!(o.price("b").is_err());
        assert!(o.int("a").is_err());
    }
}
