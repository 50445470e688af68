//! Compiled rules: a tree of `all` / `any` / `not` over leaf tests, evaluated with three
//! outcomes so that an unknown value is never mistaken for a zero.
//!
//! `all` fails if any part fails, else is unknown if any part is unknown; `any` passes if any
//! part passes, else is unknown if any part is unknown; `not` swaps pass and fail and keeps
//! unknown (Kleene logic). A stock is admitted only when the whole rule passes.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::criterion::Criterion;
use crate::domain::Market;

/// The result of a test on one stock.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The test holds.
    Pass,
    /// The test does not hold.
    Fail,
    /// A value the test needs is unknown.
    Unknown,
}

impl Outcome {
    fn from_bool(b: bool) -> Self {
        if b { Outcome::Pass } else { Outcome::Fail }
    }

    /// A mark for explanations: `✓`, `✗` or `?`.
    #[must_use]
    pub fn mark(self) -> char {
        match self {
            Outcome::Pass => '✓',
            Outcome::Fail => '✗',
            Outcome::Unknown => '?',
        }
    }
}

/// One test.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Leaf {
    /// `min <= value <= max` (either bound optional).
    Range { col: usize, min: Option<f64>, max: Option<f64>, if_unknown: Outcome },
    /// Rank across the universe: 1 = highest (`top`) or lowest (`bottom`).
    Rank { col: usize, top: Option<usize>, bottom: Option<usize>, if_unknown: Outcome },
    /// Percentile across the universe, 0..=100 (100 = highest).
    Percentile { col: usize, min: Option<f64>, max: Option<f64>, if_unknown: Outcome },
    /// A cross seen within the last `within` bars.
    Cross { col: usize, within: u16, if_unknown: Outcome },
    /// The value is known.
    Known { col: usize },
    /// Listed on one of these markets.
    MarketIn(Vec<Market>),
    /// In one of these sectors.
    SectorIn { sectors: Vec<String>, if_unknown: Outcome },
}

/// A node of the rule tree; leaves point into [`Rule::leaves`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Leaf(usize),
}

/// Cross-sectional statistics of one column over the stocks screened.
#[derive(Clone, Debug, Default)]
pub(crate) struct CrossStats {
    /// 1 = highest value; NaN when unknown. Ties share the better rank.
    pub rank_desc: Vec<f64>,
    /// 1 = lowest value; NaN when unknown.
    pub rank_asc: Vec<f64>,
    /// 0..=100, ties share the mid-rank percentile; NaN when unknown.
    pub pct: Vec<f64>,
}

impl CrossStats {
    /// Statistics of `values` (NaN = unknown).
    pub fn new(values: &[f64]) -> Self {
        let n = values.len();
        let mut known: Vec<(f64, usize)> =
            values.iter().enumerate().filter(|(_, v)| !v.is_nan()).map(|(i, &v)| (v, i)).collect();
        known.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let m = known.len();
        let mut out = Self { rank_desc: vec![f64::NAN; n], rank_asc: vec![f64::NAN; n], pct: vec![f64::NAN; n] };
        let mut start = 0;
        while start < m {
            let mut end = start + 1;
            while end < m && known[end].0 == known[start].0 {
                end += 1;
            }
            let (less, equal) = (start, end - start);
            let greater = m - end;
            let pct = if m > 1 { 100.0 * (less as f64 + (equal as f64 - 1.0) / 2.0) / (m as f64 - 1.0) } else { 50.0 };
            for &(_, i) in &known[start..end] {
                out.rank_desc[i] = (greater + 1) as f64;
                out.rank_asc[i] = (less + 1) as f64;
                out.pct[i] = pct;
            }
            start = end;
        }
        out
    }
}

/// Facts of a stock that are not numbers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts<'a> {
    pub market: Market,
    pub sector: Option<&'a str>,
}

/// One evaluated stock, as explanations see it.
pub(crate) struct View<'a> {
    pub columns: &'a [Criterion],
    /// Row of the stock among those screened.
    pub i: usize,
    pub row: &'a [f64],
    pub cross: &'a [Option<CrossStats>],
    pub facts: Facts<'a>,
    pub leaves: &'a [Outcome],
}

/// A compiled rule.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    pub root: Node,
    pub leaves: Vec<Leaf>,
}

impl Rule {
    /// Evaluates every leaf of stock `i` into `out`.
    pub fn eval_leaves(
        &self,
        i: usize,
        row: &[f64],
        cross: &[Option<CrossStats>],
        facts: Facts<'_>,
        out: &mut [Outcome],
    ) {
        for (o, leaf) in out.iter_mut().zip(&self.leaves) {
            *o = leaf.eval(i, row, cross, facts);
        }
    }

    /// Combines leaf outcomes through the tree.
    pub fn combine(&self, leaves: &[Outcome]) -> Outcome {
        combine(&self.root, leaves)
    }

    /// Writes one line per node: mark, test, value.
    pub fn explain(&self, view: &View<'_>, out: &mut String) {
        explain_node(&self.root, self, view, 1, out);
    }
}

fn combine(node: &Node, leaves: &[Outcome]) -> Outcome {
    match node {
        Node::Leaf(k) => leaves[*k],
        Node::Not(inner) => match combine(inner, leaves) {
            Outcome::Pass => Outcome::Fail,
            Outcome::Fail => Outcome::Pass,
            Outcome::Unknown => Outcome::Unknown,
        },
        Node::All(parts) => {
            let mut acc = Outcome::Pass;
            for p in parts {
                match combine(p, leaves) {
                    Outcome::Fail => return Outcome::Fail,
                    Outcome::Unknown => acc = Outcome::Unknown,
                    Outcome::Pass => {}
                }
            }
            acc
        }
        Node::Any(parts) => {
            let mut acc = Outcome::Fail;
            for p in parts {
                match combine(p, leaves) {
                    Outcome::Pass => return Outcome::Pass,
                    Outcome::Unknown => acc = Outcome::Unknown,
                    Outcome::Fail => {}
                }
            }
            acc
        }
    }
}

fn in_range(v: f64, min: Option<f64>, max: Option<f64>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

fn stat(cross: &[Option<CrossStats>], col: usize) -> Option<&CrossStats> {
    cross.get(col).and_then(Option::as_ref)
}

impl Leaf {
    fn eval(&self, i: usize, row: &[f64], cross: &[Option<CrossStats>], facts: Facts<'_>) -> Outcome {
        let known = |v: f64, unknown: Outcome, test: &dyn Fn(f64) -> bool| {
            if v.is_nan() { unknown } else { Outcome::from_bool(test(v)) }
        };
        match self {
            Leaf::Range { col, min, max, if_unknown } => known(row[*col], *if_unknown, &|v| in_range(v, *min, *max)),
            Leaf::Rank { col, top, bottom, if_unknown } => {
                let Some(s) = stat(cross, *col) else { return *if_unknown };
                let (d, a) = (s.rank_desc[i], s.rank_asc[i]);
                known(d, *if_unknown, &|_| top.is_none_or(|t| d <= t as f64) && bottom.is_none_or(|b| a <= b as f64))
            }
            Leaf::Percentile { col, min, max, if_unknown } => {
                let Some(s) = stat(cross, *col) else { return *if_unknown };
                known(s.pct[i], *if_unknown, &|p| in_range(p, *min, *max))
            }
            Leaf::Cross { col, within, if_unknown } => known(row[*col], *if_unknown, &|v| v < f64::from(*within)),
            Leaf::Known { col } => Outcome::from_bool(!row[*col].is_nan()),
            Leaf::MarketIn(markets) => Outcome::from_bool(markets.contains(&facts.market)),
            Leaf::SectorIn { sectors, if_unknown } => match facts.sector {
                Some(s) => Outcome::from_bool(sectors.iter().any(|x| x == s)),
                None => *if_unknown,
            },
        }
    }

    fn describe(&self, v: &View<'_>, out: &mut String) {
        let View { columns, i, row, cross, facts, .. } = *v;
        let bounds = |min: Option<f64>, max: Option<f64>| match (min, max) {
            (Some(a), Some(b)) => format!("in {}..={}", num(a), num(b)),
            (Some(a), None) => format!(">= {}", num(a)),
            (None, Some(b)) => format!("<= {}", num(b)),
            (None, None) => "any".to_owned(),
        };
        let _ = match self {
            Leaf::Range { col, min, max, .. } => {
                write!(out, "{} {} (is {})", columns[*col], bounds(*min, *max), value(row[*col]))
            }
            Leaf::Rank { col, top, bottom, .. } => {
                let s = stat(cross, *col);
                let want = match (top, bottom) {
                    (Some(t), Some(b)) => format!("top {t} and bottom {b}"),
                    (Some(t), None) => format!("top {t}"),
                    (None, Some(b)) => format!("bottom {b}"),
                    (None, None) => "any rank".into(),
                };
                let got = s.map_or("unknown".into(), |s| {
                    if s.rank_desc[i].is_nan() {
                        "unknown".into()
                    } else {
                        format!("{} from the top, {} from the bottom", s.rank_desc[i], s.rank_asc[i])
                    }
                });
                write!(out, "{} rank {want} (is {got}; value {})", columns[*col], value(row[*col]))
            }
            Leaf::Percentile { col, min, max, .. } => {
                let p = stat(cross, *col).map_or(f64::NAN, |s| s.pct[i]);
                write!(
                    out,
                    "{} percentile {} (is {}; value {})",
                    columns[*col],
                    bounds(*min, *max),
                    value(p),
                    value(row[*col])
                )
            }
            Leaf::Cross { col, within, .. } => {
                write!(out, "{} < {within} (is {})", columns[*col], value(row[*col]))
            }
            Leaf::Known { col } => write!(out, "{} is known (is {})", columns[*col], value(row[*col])),
            Leaf::MarketIn(m) => {
                let names: Vec<&str> = m.iter().map(|x| x.as_str()).collect();
                write!(out, "market in [{}] (is {})", names.join(", "), facts.market)
            }
            Leaf::SectorIn { sectors, .. } => {
                write!(out, "sector in [{}] (is {})", sectors.join(", "), facts.sector.unwrap_or("unknown"))
            }
        };
    }
}

fn explain_node(node: &Node, rule: &Rule, view: &View<'_>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let mark = combine(node, view.leaves).mark();
    match node {
        Node::Leaf(k) => {
            let _ = write!(out, "{indent}{mark} ");
            rule.leaves[*k].describe(view, out);
            out.push('\n');
        }
        Node::Not(inner) => {
            let _ = writeln!(out, "{indent}{mark} not:");
            explain_node(inner, rule, view, depth + 1, out);
        }
        Node::All(parts) | Node::Any(parts) => {
            let word = if matches!(node, Node::All(_)) { "all of" } else { "any of" };
            let _ = writeln!(out, "{indent}{mark} {word}:");
            for p in parts {
                explain_node(p, rule, view, depth + 1, out);
            }
        }
    }
}

fn value(v: f64) -> String {
    if v.is_nan() { "unknown".into() } else { num(v) }
}

/// A number for people: whole numbers without decimals, others to 4 significant places.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.4}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(root: Node, leaves: Vec<Leaf>) -> Rule {
        Rule { root, leaves }
    }

    #[test]
    fn kleene_logic_keeps_unknown_apart_from_fail() {
        use Outcome::{Fail, Pass, Unknown};
        let r = rule(
            Node::All(vec![Node::Leaf(0), Node::Any(vec![Node::Leaf(1), Node::Not(Box::new(Node::Leaf(2)))])]),
            vec![],
        );
        assert_eq!(r.combine(&[Pass, Pass, Unknown]), Pass);
        assert_eq!(r.combine(&[Pass, Fail, Unknown]), Unknown);
        assert_eq!(r.combine(&[Pass, Fail, Pass]), Fail);
        assert_eq!(r.combine(&[Pass, Fail, Fail]), Pass);
        assert_eq!(r.combine(&[Unknown, Pass, Pass]), Unknown);
        assert_eq!(r.combine(&[Fail, Unknown, Unknown]), Fail);
        // `not` of unknown stays unknown: a missing PER never passes "not per > 30".
        let n = rule(Node::Not(Box::new(Node::Leaf(0))), vec![]);
        assert_eq!(n.combine(&[Unknown]), Unknown);
    }

    #[test]
    fn de_morgan_and_double_negation_hold_for_every_outcome() {
        use Outcome::{Fail, Pass, Unknown};
        let leaf = |k| Node::Leaf(k);
        let not = |n| Node::Not(Box::new(n));
        let cases = [
            (
                not(Node::All(vec![leaf(0), leaf(1), leaf(2)])),
                Node::Any(vec![not(leaf(0)), not(leaf(1)), not(leaf(2))]),
            ),
            (
                not(Node::Any(vec![leaf(0), leaf(1), leaf(2)])),
                Node::All(vec![not(leaf(0)), not(leaf(1)), not(leaf(2))]),
            ),
            (
                not(not(Node::Any(vec![leaf(0), Node::All(vec![leaf(1), leaf(2)])]))),
                Node::Any(vec![leaf(0), Node::All(vec![leaf(1), leaf(2)])]),
            ),
        ];
        for a in [Pass, Fail, Unknown] {
            for b in [Pass, Fail, Unknown] {
                for c in [Pass, Fail, Unknown] {
                    for (x, y) in &cases {
                        assert_eq!(combine(x, &[a, b, c]), combine(y, &[a, b, c]), "{a:?} {b:?} {c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn ranks_and_percentiles_share_ties_and_skip_unknowns() {
        let s = CrossStats::new(&[5.0, f64::NAN, 7.0, 5.0, 1.0]);
        assert_eq!(s.rank_desc[2], 1.0);
        assert_eq!(s.rank_desc[0], 2.0);
        assert_eq!(s.rank_desc[3], 2.0);
        assert_eq!(s.rank_desc[4], 4.0);
        assert_eq!(s.rank_asc[4], 1.0);
        assert_eq!(s.rank_asc[0], 2.0);
        assert!(s.rank_desc[1].is_nan() && s.pct[1].is_nan());
        assert_eq!(s.pct[4], 0.0);
        assert_eq!(s.pct[2], 100.0);
        assert_eq!(s.pct[0], 50.0);
        assert_eq!(s.pct[0], s.pct[3]);
    }

    #[test]
    fn leaves_test_values_ranks_and_membership() {
        let facts = Facts { market: Market::Kosdaq, sector: None };
        let cross = vec![Some(CrossStats::new(&[10.0, 20.0, 30.0]))];
        let leaves = vec![
            Leaf::Range { col: 0, min: Some(15.0), max: None, if_unknown: Outcome::Unknown },
            Leaf::Rank { col: 0, top: Some(2), bottom: None, if_unknown: Outcome::Unknown },
            Leaf::Percentile { col: 0, min: Some(60.0), max: None, if_unknown: Outcome::Unknown },
            Leaf::MarketIn(vec![Market::Kospi]),
            Leaf::SectorIn { sectors: vec!["금융".into()], if_unknown: Outcome::Fail },
        ];
        let r = rule(Node::All((0..5).map(Node::Leaf).collect()), leaves);
        let mut out = [Outcome::Unknown; 5];
        r.eval_leaves(1, &[20.0], &cross, facts, &mut out);
        assert_eq!(out, [Outcome::Pass, Outcome::Pass, Outcome::Fail, Outcome::Fail, Outcome::Fail]);
        r.eval_leaves(0, &[f64::NAN], &[Some(CrossStats::new(&[f64::NAN]))], facts, &mut out);
        assert_eq!(out[..3], [Outcome::Unknown; 3]);
        let mut text = String::new();
        let view = View { columns: &[Criterion::Return(5)], i: 1, row: &[20.0], cross: &cross, facts, leaves: &out };
        r.explain(&view, &mut text);
        assert!(text.contains("return(5) >= 15 (is 20)"), "{text}");
        assert!(text.contains("market in [KOSPI] (is KOSDAQ)"), "{text}");
    }
}
