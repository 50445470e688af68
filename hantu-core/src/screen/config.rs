//! Screen configuration: serde data, loadable from TOML, validated with errors that name the key.
//!
//! ```toml
//! name = "liquid-uptrend"
//! max_results = 200
//!
//! [rule]
//! all = [
//!   { value = "avg_traded_value(20)", min = 1e9 },
//!   { value = "close", min = 1000, max = 500000 },
//!   { market_in = ["KOSPI", "KOSDAQ"] },
//!   { not = { sector_in = ["금융"] } },
//!   { any = [ { value = "per", max = 30 }, { value = "roe", min = 5 } ] },
//!   { cross = "sma(5)", above = "sma(20)", within = 5 },
//!   { rank = "return(60)", top = 500 },
//!   { percentile = "volume_surge(20)", min = 50 },
//! ]
//!
//! [[score]]
//! value = "return(20)"
//! weight = 2.0
//! ```
//!
//! A rule is a table with exactly one of `all`, `any`, `not`, `value` (with `min` and/or
//! `max`), `rank` (with `top` and/or `bottom`), `percentile` (with `min` and/or `max`),
//! `cross` (with `above` or `below`, and `within`), `known`, `market_in`, `sector_in`.
//! Value tests may set `if_unknown = "pass" | "fail" | "unknown"` (default unknown, which
//! keeps the stock out).

use serde::{Deserialize, Serialize};

use super::compute::Plan;
use super::criterion::{Criterion, Series};
use super::rule::{Leaf, Node, Outcome, Rule};
use crate::domain::Market;

/// A screen: the rule that admits stocks, how admitted stocks are scored, and how many to keep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenConfig {
    /// Name, recorded with every run.
    pub name: String,
    /// Version of this screen, recorded with every run.
    #[serde(default = "default_version")]
    pub version: String,
    /// The admission rule.
    pub rule: RuleSpec,
    /// Score terms; stocks are ranked by the weighted mean of their percentiles. Empty: rank by code.
    #[serde(default)]
    pub score: Vec<ScoreTerm>,
    /// Keep at most this many admitted stocks (best scores first).
    #[serde(default)]
    pub max_results: Option<usize>,
    /// Bars of history used per stock (the most recent ones up to the as-of date).
    #[serde(default = "default_history")]
    pub history: usize,
}

fn default_version() -> String {
    "1".into()
}

fn default_history() -> usize {
    500
}

/// One term of a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreTerm {
    /// The criterion.
    pub value: String,
    /// Weight (> 0).
    #[serde(default = "one")]
    pub weight: f64,
    /// Whether high or low values score well.
    #[serde(default)]
    pub prefer: Prefer,
}

fn one() -> f64 {
    1.0
}

/// Which end of a criterion is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prefer {
    /// Higher is better.
    #[default]
    High,
    /// Lower is better.
    Low,
}

/// A rule as written in a config (see the module docs for the keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "the keys are documented together in the module docs")]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<RuleSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_in: Option<Vec<Market>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_in: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottom: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_unknown: Option<Outcome>,
}

/// A validated screen, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Compiled {
    pub plan: Plan,
    pub rule: Rule,
    /// (column, weight, prefer) per score term.
    pub score: Vec<(usize, f64, Prefer)>,
    /// Columns whose universe-wide ranks are needed.
    pub cross_columns: Vec<usize>,
}

impl ScreenConfig {
    /// Reads and validates a TOML screen.
    ///
    /// # Errors
    /// [`crate::Error::Config`]: key `toml` for syntax and shape errors (the message has the
    /// line), otherwise the key of the bad value as from [`ScreenConfig::validate`].
    pub fn from_toml_str(text: &str) -> crate::Result<Self> {
        let cfg: Self = toml::from_str(text).map_err(|e| crate::Error::config("toml", e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The config as TOML.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if a value cannot be written (a NaN bound).
    pub fn to_toml_string(&self) -> crate::Result<String> {
        toml::to_string(self).map_err(|e| crate::Error::config("toml", e.to_string()))
    }

    /// Checks every key.
    ///
    /// # Errors
    /// [`crate::Error::Config`] with a dotted key such as `rule.all[2].min` or `score[0].value`.
    pub fn validate(&self) -> crate::Result<()> {
        self.compile().map(|_| ())
    }

    pub(crate) fn compile(&self) -> crate::Result<Compiled> {
        if self.name.trim().is_empty() {
            return Err(crate::Error::config("name", "must not be empty"));
        }
        if self.max_results == Some(0) {
            return Err(crate::Error::config("max_results", "must be at least 1 when set"));
        }
        if self.history < 2 {
            return Err(crate::Error::config("history", "must be at least 2 bars"));
        }
        let mut b = Builder::default();
        let root = b.node(&self.rule, "rule")?;
        let mut score = Vec::new();
        for (k, t) in self.score.iter().enumerate() {
            let c = parse(&t.value, &format!("score[{k}].value"))?;
            if !(t.weight.is_finite() && t.weight > 0.0) {
                return Err(crate::Error::config(format!("score[{k}].weight"), "must be a positive number"));
            }
            let col = b.column(c);
            b.cross(col);
            score.push((col, t.weight, t.prefer));
        }
        check_history(self.history, &b.columns, "history")?;
        Ok(Compiled {
            plan: Plan::new(b.columns),
            rule: Rule { root, leaves: b.leaves },
            score,
            cross_columns: b.cross_columns,
        })
    }
}

#[derive(Default)]
struct Builder {
    columns: Vec<Criterion>,
    leaves: Vec<Leaf>,
    cross_columns: Vec<usize>,
}

fn parse(text: &str, key: &str) -> crate::Result<Criterion> {
    Criterion::parse(text).map_err(|m| crate::Error::config(key, m))
}

fn finite(v: Option<f64>, key: String) -> crate::Result<Option<f64>> {
    match v {
        Some(x) if !x.is_finite() => Err(crate::Error::config(key, "must be a finite number")),
        _ => Ok(v),
    }
}

impl Builder {
    fn column(&mut self, c: Criterion) -> usize {
        if let Some(k) = self.columns.iter().position(|&x| x == c) {
            return k;
        }
        self.columns.push(c);
        self.columns.len() - 1
    }

    fn cross(&mut self, col: usize) {
        if !self.cross_columns.contains(&col) {
            self.cross_columns.push(col);
        }
    }

    fn leaf(&mut self, leaf: Leaf) -> Node {
        self.leaves.push(leaf);
        Node::Leaf(self.leaves.len() - 1)
    }

    fn node(&mut self, s: &RuleSpec, key: &str) -> crate::Result<Node> {
        let kinds = [
            ("all", s.all.is_some()),
            ("any", s.any.is_some()),
            ("not", s.not.is_some()),
            ("value", s.value.is_some()),
            ("rank", s.rank.is_some()),
            ("percentile", s.percentile.is_some()),
            ("cross", s.cross.is_some()),
            ("known", s.known.is_some()),
            ("market_in", s.market_in.is_some()),
            ("sector_in", s.sector_in.is_some()),
        ];
        let present: Vec<&str> = kinds.iter().filter(|k| k.1).map(|k| k.0).collect();
        let kind = match present.as_slice() {
            [one] => *one,
            [] => {
                return Err(crate::Error::config(
                    key,
                    "a rule needs one of all, any, not, value, rank, percentile, cross, known, market_in, sector_in",
                ));
            }
            many => {
                return Err(crate::Error::config(key, format!("a rule has one kind, found {}", many.join(" and "))));
            }
        };
        let allowed: &[&str] = match kind {
            "value" | "percentile" => &["min", "max", "if_unknown"],
            "rank" => &["top", "bottom", "if_unknown"],
            "cross" => &["above", "below", "within", "if_unknown"],
            "sector_in" => &["if_unknown"],
            _ => &[],
        };
        let extras = [
            ("min", s.min.is_some()),
            ("max", s.max.is_some()),
            ("top", s.top.is_some()),
            ("bottom", s.bottom.is_some()),
            ("above", s.above.is_some()),
            ("below", s.below.is_some()),
            ("within", s.within.is_some()),
            ("if_unknown", s.if_unknown.is_some()),
        ];
        if let Some((name, _)) = extras.iter().find(|(n, set)| *set && !allowed.contains(n)) {
            return Err(crate::Error::config(format!("{key}.{name}"), format!("not allowed in a `{kind}` rule")));
        }
        let unknown = s.if_unknown.unwrap_or(Outcome::Unknown);
        let sub = |name: &str| format!("{key}.{name}");
        let bounds = |what: &str| -> crate::Result<(Option<f64>, Option<f64>)> {
            let (min, max) = (finite(s.min, sub("min"))?, finite(s.max, sub("max"))?);
            match (min, max) {
                (None, None) => Err(crate::Error::config(key, format!("a `{what}` rule needs min and/or max"))),
                (Some(a), Some(b)) if a > b => Err(crate::Error::config(sub("min"), format!("{a} is above max {b}"))),
                _ => Ok((min, max)),
            }
        };
        match kind {
            "all" | "any" => {
                let parts = if kind == "all" { s.all.as_deref() } else { s.any.as_deref() }.unwrap_or_default();
                if parts.is_empty() {
                    return Err(crate::Error::config(sub(kind), "must list at least one rule"));
                }
                let nodes = parts
                    .iter()
                    .enumerate()
                    .map(|(k, p)| self.node(p, &format!("{key}.{kind}[{k}]")))
                    .collect::<crate::Result<Vec<_>>>()?;
                Ok(if kind == "all" { Node::All(nodes) } else { Node::Any(nodes) })
            }
            "not" => {
                let inner = s.not.as_deref().map(|n| self.node(n, &sub("not"))).transpose()?;
                Ok(Node::Not(Box::new(inner.unwrap_or(Node::All(Vec::new())))))
            }
            "value" => {
                let col = self.column(parse(s.value.as_deref().unwrap_or(""), &sub("value"))?);
                let (min, max) = bounds("value")?;
                Ok(self.leaf(Leaf::Range { col, min, max, if_unknown: unknown }))
            }
            "percentile" => {
                let col = self.column(parse(s.percentile.as_deref().unwrap_or(""), &sub("percentile"))?);
                let (min, max) = bounds("percentile")?;
                for (name, v) in [("min", min), ("max", max)] {
                    if v.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
                        return Err(crate::Error::config(sub(name), "a percentile is within 0..=100"));
                    }
                }
                self.cross(col);
                Ok(self.leaf(Leaf::Percentile { col, min, max, if_unknown: unknown }))
            }
            "rank" => {
                let col = self.column(parse(s.rank.as_deref().unwrap_or(""), &sub("rank"))?);
                if s.top.is_none() && s.bottom.is_none() {
                    return Err(crate::Error::config(key, "a `rank` rule needs top and/or bottom"));
                }
                for (name, v) in [("top", s.top), ("bottom", s.bottom)] {
                    if v == Some(0) {
                        return Err(crate::Error::config(sub(name), "must be at least 1"));
                    }
                }
                self.cross(col);
                Ok(self.leaf(Leaf::Rank { col, top: s.top, bottom: s.bottom, if_unknown: unknown }))
            }
            "cross" => {
                let fast = series(s.cross.as_deref().unwrap_or(""), &sub("cross"))?;
                let (slow, up) = match (&s.above, &s.below) {
                    (Some(a), None) => (series(a, &sub("above"))?, true),
                    (None, Some(b)) => (series(b, &sub("below"))?, false),
                    _ => return Err(crate::Error::config(key, "a `cross` rule needs exactly one of above or below")),
                };
                let within =
                    s.within.ok_or_else(|| crate::Error::config(sub("within"), "missing (bars, at least 1)"))?;
                if within == 0 {
                    return Err(crate::Error::config(sub("within"), "must be at least 1"));
                }
                let col = self.column(Criterion::BarsSinceCross { fast, slow, up });
                Ok(self.leaf(Leaf::Cross { col, within, if_unknown: unknown }))
            }
            "known" => {
                let col = self.column(parse(s.known.as_deref().unwrap_or(""), &sub("known"))?);
                Ok(self.leaf(Leaf::Known { col }))
            }
            "market_in" => {
                let m = s.market_in.clone().unwrap_or_default();
                if m.is_empty() {
                    return Err(crate::Error::config(sub("market_in"), "must list at least one market"));
                }
                Ok(self.leaf(Leaf::MarketIn(m)))
            }
            _ => {
                let sectors = s.sector_in.clone().unwrap_or_default();
                if sectors.is_empty() {
                    return Err(crate::Error::config(sub("sector_in"), "must list at least one sector"));
                }
                Ok(self.leaf(Leaf::SectorIn { sectors, if_unknown: s.if_unknown.unwrap_or(Outcome::Unknown) }))
            }
        }
    }
}

/// Refuses a history too short for any of `columns` (every stock would be unknown on it).
pub(crate) fn check_history(history: usize, columns: &[Criterion], key: &str) -> crate::Result<()> {
    match columns.iter().map(|c| (c.min_bars(), c)).max_by_key(|x| x.0) {
        Some((need, c)) if need > history => {
            Err(crate::Error::config(key, format!("{history} bars are too few for {c}, which needs {need}")))
        }
        _ => Ok(()),
    }
}

fn series(text: &str, key: &str) -> crate::Result<Series> {
    match parse(text, key)? {
        Criterion::Close => Ok(Series::Close),
        Criterion::Level(s) => Ok(s),
        other => Err(crate::Error::config(
            key,
            format!("'{other}' is not a series; crosses compare close, sma(n) or ema(n)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(toml: &str) -> String {
        match ScreenConfig::from_toml_str(toml).unwrap_err() {
            crate::Error::Config { key, message } => format!("{key}: {message}"),
            e => panic!("not a config error: {e}"),
        }
    }

    #[test]
    fn module_example_parses_and_round_trips() {
        let text = r#"
name = "liquid-uptrend"
max_results = 200
[rule]
all = [
  { value = "avg_traded_value(20)", min = 1e9 },
  { value = "close", min = 1000, max = 500000 },
  { market_in = ["KOSPI", "KOSDAQ"] },
  { not = { sector_in = ["금융"] } },
  { any = [ { value = "per", max = 30 }, { value = "roe", min = 5 } ] },
  { cross = "sma(5)", above = "sma(20)", within = 5 },
  { rank = "return(60)", top = 500 },
  { percentile = "volume_surge(20)", min = 50 },
]
[[score]]
value = "return(20)"
weight = 2.0
"#;
        let cfg = ScreenConfig::from_toml_str(text).unwrap();
        let c = cfg.compile().unwrap();
        assert_eq!(c.rule.leaves.len(), 9);
        assert_eq!(c.plan.columns.len(), 8);
        let back = ScreenConfig::from_toml_str(&cfg.to_toml_string().unwrap()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn errors_name_the_key() {
        let base = |rule: &str| format!("name = \"s\"\n[rule]\n{rule}\n");
        assert_eq!(
            err(&base("all = [ { value = \"close\", min = 1 }, { value = \"momentum(3)\", min = 1 } ]")),
            format!("rule.all[1].value: unknown criterion 'momentum'; known: {}", Criterion::NAMES)
        );
        assert!(
            err(&base("all = [ { any = [ { value = \"close\" } ] } ]"))
                .starts_with("rule.all[0].any[0]: a `value` rule needs")
        );
        assert!(err(&base("value = \"close\"\nmin = 5\nmax = 1")).starts_with("rule.min: 5 is above max 1"));
        assert!(err(&base("value = \"close\"\nmin = 5\ntop = 1")).starts_with("rule.top: not allowed"));
        assert!(err(&base("value = \"close\"\nany = []")).starts_with("rule: a rule has one kind"));
        assert!(err(&base("percentile = \"rsi(14)\"\nmin = 120")).starts_with("rule.min: a percentile"));
        assert!(err(&base("cross = \"sma(5)\"\nabove = \"rsi(3)\"\nwithin = 2")).starts_with("rule.above:"));
        assert!(err(&base("cross = \"sma(5)\"\nabove = \"sma(20)\"")).starts_with("rule.within: missing"));
        assert!(err(&base("rank = \"close\"\ntop = 0")).starts_with("rule.top: must be at least 1"));
        assert!(err(&base("bogus = 1")).starts_with("toml: "));
        assert_eq!(
            err("name = \"s\"\nhistory = 100\n[rule]\nvalue = \"high_distance(250)\"\nmin = -10"),
            "history: 100 bars are too few for high_distance(250), which needs 250"
        );
        assert!(err("name = \"s\"\nmax_results = 0\n[rule]\nvalue = \"close\"\nmin = 1").starts_with("max_results:"));
        assert!(
            err("name = \"s\"\n[rule]\nvalue = \"close\"\nmin = 1\n[[score]]\nvalue = \"close\"\nweight = -1")
                .starts_with("score[0].weight:")
        );
    }

    #[test]
    fn shared_criteria_get_one_column() {
        let cfg = ScreenConfig::from_toml_str(
            "name = \"s\"\n[rule]\nall = [ { value = \"rsi(14)\", min = 30 }, { value = \"rsi(14)\", max = 70 } ]\n[[score]]\nvalue = \"rsi(14)\"",
        )
        .unwrap();
        let c = cfg.compile().unwrap();
        assert_eq!(c.plan.columns, vec![Criterion::Rsi(14)]);
        assert_eq!(c.cross_columns, vec![0]);
    }
}
