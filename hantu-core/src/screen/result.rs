//! The outcome of a screen run: the ranked watchlist, every stock's criteria values and the
//! explanation of why a stock is in or out.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::config::{Compiled, Prefer};
use super::criterion::Criterion;
use super::rule::{CrossStats, Facts, Outcome, View};
use super::universe::Universe;
use crate::domain::{Market, StockCode};

/// One admitted stock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchEntry {
    /// The stock.
    pub code: StockCode,
    /// Its name.
    pub name: String,
    /// Market.
    pub market: Market,
    /// Sector, when known.
    pub sector: Option<String>,
    /// 1-based position in the watchlist.
    pub rank: usize,
    /// Score 0..=100 (weighted mean percentile); `None` when no score term was known.
    pub score: Option<f64>,
    /// Criteria values, aligned with [`ScreenResult::columns`]; `None` = unknown.
    pub values: Vec<Option<f64>>,
}

/// Where a stock stands in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "standing")]
pub enum Standing {
    /// On the watchlist at this rank.
    Admitted {
        /// 1-based rank.
        rank: usize,
    },
    /// The rule passed but the stock ranked below `max_results`.
    Cut {
        /// The rank it would have had.
        rank: usize,
    },
    /// The rule failed.
    Rejected,
    /// The rule could not be decided because a value it needs is unknown.
    Undecided,
    /// The stock has no bar on the as-of date (suspended, not yet listed, or no data).
    NoBar,
}

/// Why a stock is in or out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The stock.
    pub code: StockCode,
    /// Its standing.
    pub standing: Standing,
    /// Score, when admitted or cut.
    pub score: Option<f64>,
    /// The rule tree with each test marked `✓` pass, `✗` fail, `?` unknown, and the values.
    pub detail: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let score = self.score.map(|s| format!(", score {s:.2}")).unwrap_or_default();
        match self.standing {
            Standing::Admitted { rank } => writeln!(f, "{} is in: rank {rank}{score}", self.code)?,
            Standing::Cut { rank } => {
                writeln!(f, "{} is out: passed but ranked {rank}, below the cut{score}", self.code)?
            }
            Standing::Rejected => writeln!(f, "{} is out: the rule failed", self.code)?,
            Standing::Undecided => writeln!(f, "{} is out: the rule needs a value that is unknown", self.code)?,
            Standing::NoBar => writeln!(f, "{} is out: no bar on the as-of date", self.code)?,
        }
        f.write_str(&self.detail)
    }
}

/// Entries and exits between two watchlists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistDiff {
    /// On the new list only, in code order.
    pub entered: Vec<StockCode>,
    /// On the old list only, in code order.
    pub exited: Vec<StockCode>,
    /// On both, in code order.
    pub stayed: Vec<StockCode>,
}

impl WatchlistDiff {
    /// Compares two lists of codes (any order, duplicates ignored).
    #[must_use]
    pub fn between(previous: &[StockCode], current: &[StockCode]) -> Self {
        let sorted = |v: &[StockCode]| {
            let mut v = v.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (old, new) = (sorted(previous), sorted(current));
        let mut d = Self::default();
        for c in &new {
            if old.binary_search(c).is_ok() { d.stayed.push(*c) } else { d.entered.push(*c) }
        }
        d.exited = old.into_iter().filter(|c| new.binary_search(c).is_err()).collect();
        d
    }
}

/// Internal pieces a screen run hands to [`ScreenResult::build`].
pub(super) struct Parts<'a> {
    pub as_of: NaiveDate,
    pub screen: String,
    pub version: String,
    pub fingerprint: u64,
    pub compiled: Arc<Compiled>,
    pub universe: &'a Universe,
    pub eligible: Vec<usize>,
    pub values: Vec<f64>,
    pub ncols: usize,
    pub outcomes: Vec<Outcome>,
    pub nleaves: usize,
    pub cross: Vec<Option<CrossStats>>,
    /// (row, score), best first.
    pub admitted: Vec<(usize, f64)>,
    pub kept: usize,
}

/// Facts about a screened stock, for explanations.
#[derive(Clone, Debug)]
struct StockFacts {
    code: StockCode,
    market: Market,
    sector: Option<String>,
}

/// A screen run.
#[derive(Clone, Debug)]
pub struct ScreenResult {
    /// The date of the last bar the run saw.
    pub as_of: NaiveDate,
    /// Screen name.
    pub screen: String,
    /// Screen version.
    pub version: String,
    /// Fingerprint of the exact config.
    pub fingerprint: u64,
    /// The watchlist, best first (ties by code).
    pub entries: Vec<WatchEntry>,
    /// Stocks in the universe.
    pub universe_size: usize,
    /// Stocks with a bar on the as-of date (the ones evaluated).
    pub evaluated: usize,
    compiled: Arc<Compiled>,
    facts: Vec<StockFacts>,
    values: Vec<f64>,
    ncols: usize,
    outcomes: Vec<Outcome>,
    nleaves: usize,
    cross: Vec<Option<CrossStats>>,
    /// Per evaluated row: (standing, score).
    standing: Vec<(Standing, f64)>,
}

impl ScreenResult {
    pub(super) fn build(p: Parts<'_>) -> Self {
        let ins = p.universe.instruments();
        let ncols_used = p.compiled.plan.columns.len();
        let mut standing: Vec<(Standing, f64)> = (0..p.eligible.len())
            .map(|k| {
                let o = p.compiled.rule.combine(&p.outcomes[k * p.nleaves..(k + 1) * p.nleaves]);
                (if o == Outcome::Fail { Standing::Rejected } else { Standing::Undecided }, f64::NAN)
            })
            .collect();
        let mut entries = Vec::with_capacity(p.kept);
        for (pos, &(k, score)) in p.admitted.iter().enumerate() {
            let rank = pos + 1;
            if pos < p.kept {
                standing[k] = (Standing::Admitted { rank }, score);
                let i = &ins[p.eligible[k]];
                entries.push(WatchEntry {
                    code: i.code,
                    name: i.name.clone(),
                    market: i.market,
                    sector: i.sector.clone(),
                    rank,
                    score: (!score.is_nan()).then_some(score),
                    values: p.values[k * p.ncols..k * p.ncols + ncols_used]
                        .iter()
                        .map(|v| (!v.is_nan()).then_some(*v))
                        .collect(),
                });
            } else {
                standing[k] = (Standing::Cut { rank }, score);
            }
        }
        let facts = p
            .eligible
            .iter()
            .map(|&i| StockFacts { code: ins[i].code, market: ins[i].market, sector: ins[i].sector.clone() })
            .collect();
        Self {
            as_of: p.as_of,
            screen: p.screen,
            version: p.version,
            fingerprint: p.fingerprint,
            entries,
            universe_size: p.universe.len(),
            evaluated: p.eligible.len(),
            compiled: p.compiled,
            facts,
            values: p.values,
            ncols: p.ncols,
            outcomes: p.outcomes,
            nleaves: p.nleaves,
            cross: p.cross,
            standing,
        }
    }

    /// The criteria, in the order of [`WatchEntry::values`].
    #[must_use]
    pub fn columns(&self) -> &[Criterion] {
        &self.compiled.plan.columns
    }

    /// Watchlist codes, best first.
    #[must_use]
    pub fn codes(&self) -> Vec<StockCode> {
        self.entries.iter().map(|e| e.code).collect()
    }

    /// The watchlist entry of `code`.
    #[must_use]
    pub fn entry(&self, code: StockCode) -> Option<&WatchEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    fn row(&self, code: StockCode) -> Option<usize> {
        self.facts.binary_search_by_key(&code, |f| f.code).ok()
    }

    /// The value of `criterion` for `code`, if it was computed and is known.
    #[must_use]
    pub fn value(&self, code: StockCode, criterion: Criterion) -> Option<f64> {
        let k = self.row(code)?;
        let col = self.compiled.plan.column(criterion)?;
        let v = self.values[k * self.ncols + col];
        (!v.is_nan()).then_some(v)
    }

    /// Where `code` stands; [`Standing::NoBar`] for a code that was not evaluated (no bar on
    /// the as-of date, or not in the universe).
    #[must_use]
    pub fn standing(&self, code: StockCode) -> Standing {
        self.row(code).map_or(Standing::NoBar, |k| self.standing[k].0)
    }

    /// Why `code` is in or out: its standing and every test with its value.
    #[must_use]
    pub fn why(&self, code: StockCode) -> Explanation {
        let Some(k) = self.row(code) else {
            return Explanation { code, standing: Standing::NoBar, score: None, detail: String::new() };
        };
        let f = &self.facts[k];
        let facts = Facts { market: f.market, sector: f.sector.as_deref() };
        let mut detail = String::new();
        let view = View {
            columns: self.columns(),
            i: k,
            row: &self.values[k * self.ncols..(k + 1) * self.ncols],
            cross: &self.cross,
            facts,
            leaves: &self.outcomes[k * self.nleaves..(k + 1) * self.nleaves],
        };
        self.compiled.rule.explain(&view, &mut detail);
        if !self.compiled.score.is_empty() {
            detail.push_str("  score terms (percentile among stocks screened × weight):\n");
            for &(col, weight, prefer) in &self.compiled.score {
                let pct = self.cross[col].as_ref().map_or(f64::NAN, |s| s.pct[k]);
                let low = if prefer == Prefer::Low { ", lower is better" } else { "" };
                let shown = if pct.is_nan() { "unknown".to_owned() } else { format!("{pct:.1}") };
                let _ = writeln!(detail, "    {} {shown} × {weight}{low}", self.columns()[col]);
            }
        }
        let (standing, score) = self.standing[k];
        Explanation { code, standing, score: (!score.is_nan()).then_some(score), detail }
    }

    /// Entries and exits against an earlier run.
    #[must_use]
    pub fn diff(&self, previous: &ScreenResult) -> WatchlistDiff {
        WatchlistDiff::between(&previous.codes(), &self.codes())
    }
}
