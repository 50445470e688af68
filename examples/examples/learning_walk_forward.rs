//! The learning loop on real KRX data: screen → select → trade → learn, day by day from 2020, with the
//! selection's weights adapting against the same loop with fixed weights — no look-ahead (day `d`
//! reads nothing dated after `d`; `hantu-core/tests/learn.rs` proves it).
//!
//! ```sh
//! cargo run --release -p hantu-examples --example learning_walk_forward -- [KRX_DIR] [FROM] [SVG_OUT]
//! # defaults: ../shared/data/krx, 2020-01-02, docs/img/learning-walk-forward.svg
//! ```
//!
//! Fundamentals are left out: the data set's only snapshot is dated after the bars, and using it
//! would be look-ahead. The value factor is therefore unknown for every stock.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use hantu_core::io::{read_csv_dir, read_instruments_csv};
use hantu_core::learn::{LearnConfig, WalkForwardConfig, WalkForwardRun, walk_forward};
use hantu_core::pipeline::PipelineConfig;
use hantu_core::screen::{ScreenConfig, Screener, Universe};
use hantu_core::select::SelectConfig;
use hantu_core::store::{SqliteStore, Store};

const SCREEN: &str = include_str!("../config/screen.toml");
const SELECT: &str = include_str!("../config/select.toml");

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/data/krx".into()));
    let from: NaiveDate = args.next().unwrap_or_else(|| "2020-01-02".into()).parse().context("FROM as YYYY-MM-DD")?;
    let svg = PathBuf::from(args.next().unwrap_or_else(|| "docs/img/learning-walk-forward.svg".into()));

    let t = Instant::now();
    let instruments = read_instruments_csv(dir.join("stocks.csv")).context("reading stocks.csv")?;
    let bars = read_csv_dir(dir.join("daily")).context("reading the daily folder")?;
    let universe = Universe::new(instruments.clone(), bars.series.clone(), Vec::new())?;
    println!("{} stocks, {:.1}s to load", universe.len(), t.elapsed().as_secs_f64());

    let screener = Screener::new(ScreenConfig::from_toml_str(SCREEN)?)?;
    let select = SelectConfig::from_toml_str(SELECT)?;
    let pipeline = PipelineConfig { from: Some(from), ..PipelineConfig::default() };
    let runs = [
        ("fixed weights", LearnConfig { adapt: false, ..LearnConfig::default() }, false),
        ("adaptive weights", LearnConfig::default(), false),
        ("adaptive + regime", LearnConfig::default(), true),
    ];
    let tmp = tempfile::tempdir()?;
    let mut results: Vec<(&str, WalkForwardRun, f64)> = Vec::new();
    for (k, (name, learn, use_regime)) in runs.into_iter().enumerate() {
        let t = Instant::now();
        let store = SqliteStore::open(tmp.path().join(format!("walk{k}.db")))?;
        store.upsert_instruments(&instruments)?;
        for (_, series) in &bars.series {
            store.upsert_daily_bars(series)?;
        }
        let cfg = WalkForwardConfig { pipeline: pipeline.clone(), learn, use_regime };
        let run = walk_forward(&universe, &store, &screener, &select, &cfg)?;
        let secs = t.elapsed().as_secs_f64();
        println!("{name}: {} days in {secs:.0}s", run.selections.len());
        results.push((name, run, secs));
    }

    println!(
        "\n| run | total return | annual | Sharpe | max drawdown | trades | picks measured | 5-session hit rate | 5-session mean return | weights versions |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, run, _) in &results {
        let s = &run.report.stats;
        let five = run.accuracy.by_horizon.get(&5);
        println!(
            "| {name} | {:.1}% | {:.1}% | {:.2} | {:.1}% | {} | {} | {} | {} | {} |",
            s.total_return * 100.0,
            s.annual_return * 100.0,
            s.sharpe,
            s.max_drawdown * 100.0,
            s.trades,
            run.accuracy.overall.count,
            five.map_or("-".into(), |g| format!("{:.1}%", g.hit_rate * 100.0)),
            five.map_or("-".into(), |g| format!("{:.2}%", g.mean_return * 100.0)),
            run.versions.len(),
        );
    }
    if let Some((_, run, _)) = results.iter().find(|(n, _, _)| *n == "adaptive weights") {
        println!("\nweights versions of the adaptive run:");
        for v in &run.versions {
            let w: Vec<String> = v.weights.iter().map(|(f, w)| format!("{f} {w:.3}")).collect();
            println!("  {} from {}: {}", v.version, v.effective_from, w.join(", "));
        }
    }
    if let Some(parent) = svg.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&svg, equity_svg(&results))?;
    println!("\nequity curves: {}", svg.display());
    Ok(())
}

/// Equity curves (normalised to 1.0 at the start) as a small self-contained SVG.
fn equity_svg(runs: &[(&str, WalkForwardRun, f64)]) -> String {
    let (w, h, pad) = (900.0, 420.0, 50.0);
    let colours = ["#555555", "#1f77b4", "#d62728"];
    let series: Vec<Vec<f64>> = runs
        .iter()
        .map(|(_, r, _)| {
            let first = r.report.equity.first().map_or(1.0, |p| p.equity.to_f64());
            r.report.equity.iter().map(|p| p.equity.to_f64() / first).collect()
        })
        .collect();
    let n = series.iter().map(Vec::len).max().unwrap_or(1).max(2);
    let (lo, hi) = series.iter().flatten().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1) as f64;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v - lo) / (hi - lo);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"25\" font-size=\"15\">Walk-forward on KRX daily data: equity (start = 1.0)</text>\n"
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let (yl, yt) = (y(v), y(v) + 4.0);
        out += &format!(
            "<line x1=\"{pad}\" x2=\"{}\" y1=\"{yl:.1}\" y2=\"{yl:.1}\" stroke=\"#dddddd\"/><text x=\"5\" y=\"{yt:.1}\">{v:.2}</text>\n",
            w - pad
        );
    }
    for (k, ((name, run, _), s)) in runs.iter().zip(&series).enumerate() {
        let pts: Vec<String> = s.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        let c = colours[k % colours.len()];
        out += &format!("<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{}\"/>\n", pts.join(" "));
        let label = format!("{name}: {:+.1}%", run.report.stats.total_return * 100.0);
        out += &format!("<text x=\"{}\" y=\"{}\" fill=\"{c}\">{label}</text>\n", pad + 10.0, 45.0 + 16.0 * k as f64);
    }
    if let Some((_, r, _)) = runs.first() {
        if let (Some(a), Some(b)) = (r.report.equity.first(), r.report.equity.last()) {
            out += &format!(
                "<text x=\"{pad}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                h - 15.0,
                a.ts.kst_date(),
                w - pad,
                h - 15.0,
                b.ts.kst_date()
            );
        }
    }
    out + "</svg>\n"
}
